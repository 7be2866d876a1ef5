'use strict';
// The C types of include/usher.h declared for koffi, field for field and in
// the header's order (test/layout.test.js compares every size and offset with
// the C compiler's), and the conversions between those structs and the
// camelCase JavaScript objects the Engine takes and returns.

const koffi = require('koffi');
const { u32, i32, u64, double, array, options, big } = require('./convert');

// Field types. Enum-valued fields are declared in the header as uint32_t or
// int32_t, never as an enum type, so their size does not depend on the
// compiler; size_t appears only as a function argument (koffi's size_t);
// double only in the staffing structures.
const U32 = 'uint32_t';
const I32 = 'int32_t';
const U64 = 'uint64_t';
const I64 = 'int64_t';
const F64 = 'double';
const arrayOf = (type, length) => ({ arrayOf: type, length });
const isArray = (type) => typeof type === 'object' && 'arrayOf' in type;

const WIDE = new Set([U64, I64]);
const SPECS = new Map(); // koffi type -> its field specification

function declare(name, fields) {
    const members = {};
    for (const [field, type] of Object.entries(fields))
        members[field] = isArray(type) ? koffi.array(type.arrayOf, type.length, 'Array') : type;
    const declared = koffi.struct(name, members);
    SPECS.set(declared, fields);
    return declared;
}

const Engine = koffi.opaque('usher_engine');

const SkillLevel = declare('usher_skill_level', { skill: U32, level: U32 });

const Config = declare('usher_config', {
    struct_size: U32, reserved: U32, seed: U64, start_ms: U64,
    allocator: 'void *', // always NULL: the binding uses the C library's allocator
});

const Event = declare('usher_event', {
    struct_size: U32, type: I32, seq: U64, time_ms: U64, ticket_id: U64, agent_id: U64,
    timer_id: U64, offer_token: U64, value: I64, reason: I32, detail: U32, due_ms: U64,
});

const ChannelDef = declare('usher_channel_def', {
    struct_size: U32, flags: U32, cost: U32, max_per_agent: U32, wrapup_ms: U64,
});

const AgentInfo = declare('usher_agent_info', {
    struct_size: U32, state: I32, away_reason: I32, flags: U32, capacity: U32,
    capacity_used: U32, work_count: U32, wrapup_count: U32, skill_count: U32,
    load_cap_max: U32, load_cap_window_ms: U64, cooldown_ms: U64, idle_timeout_ms: U64,
    capped_until_ms: U64, assignments_today: U64, handled_ms: U64, busy_ms: U64,
    logged_in_ms: U64, missed_offers: U64,
});

const AgentChannelInfo = declare('usher_agent_channel_info', {
    struct_size: U32, limit: U32, active: U32, wrapping: U32, free: U32, eligible: U32,
});

const QueueDef = declare('usher_queue_def', {
    struct_size: U32, strategy: U32, ageing_rate: U32, tier_weight: arrayOf(U32, 8),
    reserved: U32, service_level_ms: U64, assign_mode: U32, max_missed_offers: U32,
    offer_timeout_ms: U64, reject_cooldown_ms: U64, repeat_threshold: U32, repeat_flags: U32,
    repeat_window_ms: U64, repeat_tier: U32, repeat_queue: U32, sticky_ms: U64, order: U32,
    reserved2: U32, sl_window_ms: U64,
});

const WidenStep = declare('usher_widen_step', {
    after_ms: U64, action: U32, skill: U32, value: U32, reserved: U32,
});

const QueueStats = declare('usher_queue_stats', {
    struct_size: U32, reserved: U32, waiting: U64, longest_wait_ms: U64, entered: U64,
    answered: U64, answered_in_sl: U64, answer_wait_ms: U64, abandoned: U64, completed: U64,
    offered: U64, offers_rejected: U64, offers_expired: U64, window_answered: U64,
    window_answered_in_sl: U64, sla_met: arrayOf(U64, 4), sla_breached: arrayOf(U64, 4),
});

const TicketSpec = declare('usher_ticket_spec', {
    struct_size: U32, queue: U32, channel: U32, priority: U32, tier: U32,
    required_count: U32, required: koffi.pointer(SkillLevel),
    preferred_count: U32, reserved: U32, preferred: koffi.pointer(SkillLevel),
    customer_id: U64, created_ms: U64, preferred_agent_id: U64, preferred_wait_ms: U64,
});

const TicketInfo = declare('usher_ticket_info', {
    struct_size: U32, state: U32, queue: U32, channel: U32, priority: U32, tier: U32,
    required_count: U32, preferred_count: U32, customer_id: U64, created_ms: U64,
    agent_id: U64, assigned_ms: U64, effective_priority: I64, offer_token: U64,
    offer_expires_ms: U64, preferred_agent_id: U64, preferred_until_ms: U64,
});

const OpenHours = declare('usher_open_hours', { weekday: U32, open_minute: U32, close_minute: U32 });

const SlaPolicyDef = declare('usher_sla_policy_def', {
    struct_size: U32, flags: U32, target_mask: U32, business_mask: U32, pause_mask: U32,
    calendar: U32, target_ms: arrayOf(U64, 4), warning_count: U32,
    warning_permille: arrayOf(U32, 4), reserved: U32,
});

const SlaRule = declare('usher_sla_rule', {
    channel: U32, queue: U32, tier: U32, min_priority: U32, max_priority: U32, policy: U32,
});

const SlaSpec = declare('usher_sla_spec', {
    struct_size: U32, channel: U32, queue: U32, tier: U32, priority: U32, reserved: U32,
    created_ms: U64,
});

const SlaTargetInfo = declare('usher_sla_target_info', {
    struct_size: U32, state: U32, policy: U32, reserved: U32, due_ms: U64, elapsed_ms: U64,
    remaining_ms: I64,
});

const SlaStats = declare('usher_sla_stats', {
    struct_size: U32, reserved: U32, met: arrayOf(U64, 4), breached: arrayOf(U64, 4),
});

const Explanation = declare('usher_explanation', {
    struct_size: U32, why: I32, skill: U32, required_level: U32, agent_level: U32,
    reserved: U32, until_ms: U64, score: I64,
});

const StaffingInput = declare('usher_staffing_input', {
    struct_size: U32, agents: U32, arrivals_per_hour: F64, handle_time_s: F64,
    answer_within_s: F64, patience_s: F64,
});

const StaffingResult = declare('usher_staffing_result', {
    struct_size: U32, agents: U32, traffic_erlangs: F64, wait_probability: F64,
    service_level: F64, answered_service_level: F64, asa_s: F64, abandon_probability: F64,
    occupancy: F64,
});

const EventFn = koffi.proto('void usher_event_fn(uintptr_t user, const usher_event *event)');
const ScoreFn = koffi.proto(
    'int64_t usher_score_fn(uintptr_t user, uint64_t ticket_id, uint64_t agent_id, int64_t score)');
// Declared for usher_snapshot_write (not wrapped: Engine.snapshot() returns the bytes).
const WriteFn = koffi.proto('int32_t usher_write_fn(uintptr_t user, const void *data, size_t size)');

// ---- conversions ---------------------------------------------------------------------

const camel = (field) => field.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const HIDDEN = new Set(['struct_size', 'reserved', 'reserved2']);

function jsValue(type, value) {
    if (isArray(type)) return Array.from(value, (item) => jsValue(type.arrayOf, item));
    return WIDE.has(type) ? big(value) : value;
}

/** A struct koffi decoded, as a plain object: camelCase keys, 64-bit fields as BigInt. */
function toJs(declared, raw) {
    const out = {};
    for (const [field, type] of Object.entries(SPECS.get(declared)))
        if (!HIDDEN.has(field)) out[camel(field)] = jsValue(type, raw[field]);
    return out;
}

// An array field keeps the entries of `base` (its default) beyond those given.
function cValue(what, type, value, base) {
    if (isArray(type)) {
        array(what, value);
        if (value.length > type.length)
            throw new RangeError(`${what} has ${value.length} entries, at most ${type.length} allowed`);
        const filled = Array.from(base);
        value.forEach((item, i) => { filled[i] = cValue(`${what}[${i}]`, type.arrayOf, item); });
        return filled;
    }
    switch (type) {
    case U32: return u32(what, value);
    case I32: return i32(what, value);
    case U64: return u64(what, value);
    case F64: return double(what, value);
    default: throw new Error(`internal: no conversion to ${type}`);
    }
}

/** The camelCase option names a struct accepts (every field but the hidden ones). */
function optionNames(declared, except = []) {
    return Object.keys(SPECS.get(declared))
        .filter((field) => !HIDDEN.has(field) && !except.includes(field))
        .map(camel);
}

/**
 * A struct for C from `defaults` (a struct koffi decoded, e.g. from a *_init
 * function, or plain zeros) with the options the host gave, each checked.
 */
function toC(declared, what, defaults, given) {
    const spec = SPECS.get(declared);
    const allowed = optionNames(declared);
    const opts = options(what, given, allowed);
    const out = { ...defaults };
    if ('struct_size' in spec) out.struct_size = koffi.sizeof(declared);
    for (const [field, type] of Object.entries(spec)) {
        const key = camel(field);
        if (opts[key] !== undefined) out[field] = cValue(`${what}.${key}`, type, opts[key], defaults[field]);
    }
    return out;
}

/**
 * usher_skill_level entries from [{ skill, <levelKey> }, ...] (levelKey:
 * "level" for skills and requirements, "weight" for preferred skills).
 */
function skillLevels(what, list, levelKey) {
    return array(what, list).map((item, i) => {
        const entry = options(`${what}[${i}]`, item, ['skill', levelKey]);
        return {
            skill: u32(`${what}[${i}].skill`, entry.skill),
            level: u32(`${what}[${i}].${levelKey}`, entry[levelKey]),
        };
    });
}

/** An output struct ready for an _Inout_ argument: zeros and its struct_size. */
function blank(declared) {
    return { struct_size: koffi.sizeof(declared) };
}

module.exports = {
    Engine, SkillLevel, Config, Event, ChannelDef, AgentInfo, AgentChannelInfo, QueueDef,
    WidenStep, QueueStats, TicketSpec, TicketInfo, OpenHours, SlaPolicyDef, SlaRule, SlaSpec,
    SlaTargetInfo, SlaStats, Explanation, StaffingInput, StaffingResult, EventFn, ScoreFn, WriteFn,
    STRUCTS: SPECS, toJs, toC, blank, optionNames, camel, skillLevels,
};
