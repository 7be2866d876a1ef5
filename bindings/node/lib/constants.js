'use strict';
// The enums and limits of include/usher.h, named without their C prefix:
// EventType.TICKET_ASSIGNED is USHER_EVENT_TICKET_ASSIGNED. 64-bit limits
// are BigInts, the others Numbers. test/layout.test.js checks every value
// against the header through a compiled C program (C_PREFIX says how a
// name is spelt there).

const table = (entries) => Object.freeze(entries);

const Status = table({
    OK: 0, ENOMEM: -1, EINVAL: -2, ENOTFOUND: -3, EEXIST: -4, ESTATE: -5, ELIMIT: -6,
    ECORRUPT: -7, ECLOSED: -8, ETOKEN: -9, EINTERNAL: -10,
});

const EventType = table({
    TIMER: 1, AGENT_STATE: 2, WORK_RETURNED: 3, WRAPUP_ENDED: 4, LOAD_CAP_REACHED: 5,
    LOAD_CAP_CLEARED: 6, TICKET_ASSIGNED: 7, TICKET_REQUEUED: 8, TICKET_TRANSFERRED: 9,
    TICKET_ABANDONED: 10, TICKET_COMPLETED: 11, TICKET_OFFERED: 12, OFFER_REJECTED: 13,
    OFFER_EXPIRED: 14, TICKET_WIDENED: 15, TICKET_ESCALATED: 16, SLA_WARNING: 17,
    SLA_BREACHED: 18, SLA_MET: 19,
});

const ChannelFlag = table({ EXCLUSIVE: 1, INTERRUPTS: 2, WRAPUP_BLOCKS_AGENT: 4 });
const AgentState = table({ OFFLINE: 0, AVAILABLE: 1, AWAY: 2 });
const AwayReason = table({ IDLE: -1, NO_ANSWER: -2 });
const ReturnReason = table({ LOGOUT: 1, REMOVED: 2 });
const LoadCap = table({ WINDOW: 1, COOLDOWN: 2 });
const AgentFlag = table({ AT_LOAD_CAP: 1, COOLING_DOWN: 2, WRAPUP_BLOCKED: 4, EXCLUSIVE: 8 });
const ReleaseFlag = table({ HEAVY: 1, NO_WRAPUP: 2 });
const Strategy = table({
    LONGEST_IDLE: 0, MOST_FREE: 1, BEST_SKILL: 2, FEWEST_ASSIGNMENTS: 3, ROUND_ROBIN: 4, RANDOM: 5,
});
const AssignMode = table({ DIRECT: 0, OFFER: 1 });
const TicketOrder = table({ PRIORITY: 0, SLA_DEADLINE: 1 });
const RepeatFlag = table({ RAISE_TIER: 1, MOVE_QUEUE: 2 });
const WidenAction = table({
    LOWER_LEVEL: 1, DROP_PREFERRED: 2, OVERFLOW_GROUP: 3, RAISE_PRIORITY: 4, MOVE_QUEUE: 5,
});
const TicketState = table({ WAITING: 1, ASSIGNED: 2, OFFERED: 3 });
const SlaTarget = table({ FIRST_RESPONSE: 0, NEXT_RESPONSE: 1, PERIODIC_UPDATE: 2, RESOLUTION: 3 });
const SlaPolicyFlag = table({ HOLD_EVENTS: 1 });
const SlaReport = table({
    AGENT_REPLY: 1, CUSTOMER_MESSAGE: 2, PENDING_CUSTOMER: 3, RESUMED: 4, SOLVED: 5, REOPENED: 6,
});
const SlaState = table({ INACTIVE: 0, RUNNING: 1, PAUSED: 2, MET: 3, BREACHED: 4, STOPPED: 5 });
const Why = table({
    ELIGIBLE: 0, TICKET_TAKEN: 1, OFFLINE: 2, AWAY: 3, LOAD_CAP: 4, COOLING_DOWN: 5,
    EXCLUSIVE_BUSY: 6, WRAPUP: 7, NO_CAPACITY: 8, MISSING_SKILL: 9, WIDENING_PENDING: 10,
    REJECT_COOLDOWN: 11, WAITING_FOR_PREFERRED: 12,
});

const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;

const Limits = table({
    TIME_MAX: (1n << 63n) - 1n,
    TIME_NEVER: U64_MAX,
    CREATED_NOW: U64_MAX,
    MAX_OBJECTS: 0x7fffffff,
    SKILL_NAME_MAX: 63,
    MAX_SKILLS: 65535,
    LEVEL_MIN: 1,
    LEVEL_MAX: 10,
    MAX_CHANNELS: 16,
    MAX_CAPACITY: 10000,
    MAX_CHANNEL_LIMIT: 10000,
    MAX_WRAPUP_MS: 86400000,
    LIMIT_DEFAULT: U32_MAX,
    MAX_PRIORITY: 1000,
    MAX_TIERS: 8,
    MAX_AGEING_RATE: 1000000,
    MAX_REPEAT_THRESHOLD: 16,
    MAX_WIDEN_STEPS: 16,
    MAX_TICKET_SKILLS: 32,
    MAX_PREFERENCE_WEIGHT: 100,
    CALENDAR_24_7: 0,
    CALENDAR_TIME_MAX: 253402300799999n,
    MAX_OPEN_INTERVALS: 64,
    MAX_HOLIDAYS: 4096,
    MAX_CLOSED_PER_DAY: 64,
    ZONE_NAME_MAX: 255,
    SLA_TARGETS: 4,
    MAX_SLA_WARNINGS: 4,
    MAX_SLA_TARGET_MS: 31536000000n,
    SLA_ANY: U32_MAX,
    SLA_NO_POLICY: U32_MAX,
    MAX_SLA_RULES: 1024,
    MAX_SCORE_CANDIDATES: 32,
    STAFFING_MAX_AGENTS: 100000,
});

// How each table's names are spelt in include/usher.h.
const C_PREFIX = table({
    Status: 'USHER_', EventType: 'USHER_EVENT_', ChannelFlag: 'USHER_CHANNEL_',
    AgentState: 'USHER_AGENT_', AwayReason: 'USHER_AWAY_', ReturnReason: 'USHER_RETURN_',
    LoadCap: 'USHER_CAP_', AgentFlag: 'USHER_AGENT_', ReleaseFlag: 'USHER_RELEASE_',
    Strategy: 'USHER_STRATEGY_', AssignMode: 'USHER_ASSIGN_', TicketOrder: 'USHER_ORDER_',
    RepeatFlag: 'USHER_REPEAT_', WidenAction: 'USHER_WIDEN_', TicketState: 'USHER_TICKET_',
    SlaTarget: 'USHER_SLA_', SlaPolicyFlag: 'USHER_SLA_', SlaReport: 'USHER_SLA_',
    SlaState: 'USHER_SLA_', Why: 'USHER_WHY_', Limits: 'USHER_',
});

/** The name of `value` in `tableObject`, or undefined. */
function nameOf(tableObject, value) {
    return Object.keys(tableObject).find((key) => tableObject[key] === value);
}

module.exports = {
    Status, EventType, ChannelFlag, AgentState, AwayReason, ReturnReason, LoadCap, AgentFlag,
    ReleaseFlag, Strategy, AssignMode, TicketOrder, RepeatFlag, WidenAction, TicketState,
    SlaTarget, SlaPolicyFlag, SlaReport, SlaState, Why, Limits, C_PREFIX, nameOf,
};
