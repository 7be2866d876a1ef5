'use strict';
// Engine methods for queues, tickets, offers and explanations.

const { call } = require('./engine');
const { defaults } = require('./ffi');
const { u32, u64, array, options, big } = require('./convert');
const {
    QueueDef, WidenStep, QueueStats, TicketSpec, TicketInfo, Explanation, toJs, toC, blank, optionNames, skillLevels,
} = require('./types');

const WIDEN_STEP_ZERO = { after_ms: 0n, action: 0, skill: 0, value: 0, reserved: 0 };

// The options of a ticket spec: its scalar fields, and the two skill lists
// as arrays instead of pointer and count.
const TICKET_SCALARS = optionNames(TicketSpec, ['required_count', 'required', 'preferred_count', 'preferred']);
const TICKET_OPTIONS = [...TICKET_SCALARS, 'required', 'preferred'];

function ticketSpec(spec) {
    const { required = [], preferred = [], ...scalars } = options('ticket spec', spec, TICKET_OPTIONS);
    const c = toC(TicketSpec, 'ticket spec', defaults('usher_ticket_spec_init'), scalars);
    const needs = skillLevels('ticket spec.required', required, 'level');
    const likes = skillLevels('ticket spec.preferred', preferred, 'weight');
    c.required_count = needs.length;
    c.required = needs.length ? needs : null;
    c.preferred_count = likes.length;
    c.preferred = likes.length ? likes : null;
    return c;
}

module.exports = {
    // ---- queues ----

    /**
     * Defines queue queueId. def: { strategy, ageingRate, tierWeight (up to
     * 8 numbers), serviceLevelMs, assignMode, maxMissedOffers,
     * offerTimeoutMs, rejectCooldownMs, repeatThreshold, repeatFlags,
     * repeatWindowMs, repeatTier, repeatQueue, stickyMs, order, slWindowMs },
     * each defaulting to usher_queue_def_init's value.
     */
    addQueue(queueId, def) {
        const c = toC(QueueDef, 'queue definition', defaults('usher_queue_def_init'), def);
        call(this, 'usher_queue_add', u32('queueId', queueId), c);
    },

    removeQueue(queueId) {
        call(this, 'usher_queue_remove', u32('queueId', queueId));
    },

    /** steps: [{ afterMs, action (WidenAction), skill, value }, ...]; [] removes them. */
    setQueueWidening(queueId, steps) {
        const id = u32('queueId', queueId);
        const list = array('steps', steps).map((step, i) => toC(WidenStep, `steps[${i}]`, WIDEN_STEP_ZERO, step));
        call(this, 'usher_queue_set_widening', id, list.length ? list : null, list.length);
    },

    /** The queue's counters (usher_queue_stats, camelCase; counts BigInt). */
    getQueueStats(queueId) {
        const out = blank(QueueStats);
        call(this, 'usher_queue_get_stats', u32('queueId', queueId), out);
        return toJs(QueueStats, out);
    },

    resetQueueStats(queueId) {
        call(this, 'usher_queue_reset_stats', u32('queueId', queueId));
    },

    // ---- tickets ----

    /**
     * Submits ticket ticketId. spec: { queue, channel, priority, tier,
     * required: [{ skill, level }], preferred: [{ skill, weight }],
     * customerId, createdMs, preferredAgentId, preferredWaitMs }, defaults
     * from usher_ticket_spec_init (createdMs: now).
     */
    submitTicket(ticketId, spec) {
        const id = u64('ticketId', ticketId);
        call(this, 'usher_ticket_submit', id, ticketSpec(spec));
    },

    setTicketPriority(ticketId, priority) {
        call(this, 'usher_ticket_set_priority', u64('ticketId', ticketId), u32('priority', priority));
    },

    setTicketTier(ticketId, tier) {
        call(this, 'usher_ticket_set_tier', u64('ticketId', ticketId), u32('tier', tier));
    },

    /** Adds a required skill to a live ticket, or changes its minimum level. */
    requireSkill(ticketId, skill, level) {
        call(this, 'usher_ticket_require', u64('ticketId', ticketId), u32('skill', skill), u32('level', level));
    },

    dropRequirement(ticketId, skill) {
        call(this, 'usher_ticket_drop_requirement', u64('ticketId', ticketId), u32('skill', skill));
    },

    transferTicket(ticketId, queueId) {
        call(this, 'usher_ticket_transfer', u64('ticketId', ticketId), u32('queueId', queueId));
    },

    cancelTicket(ticketId) {
        call(this, 'usher_ticket_cancel', u64('ticketId', ticketId));
    },

    /** flags: ReleaseFlag bits. */
    completeTicket(ticketId, flags = 0) {
        call(this, 'usher_ticket_complete', u64('ticketId', ticketId), u32('flags', flags));
    },

    /** A live ticket's state (usher_ticket_info, camelCase; 64-bit fields BigInt). */
    getTicket(ticketId) {
        const out = blank(TicketInfo);
        call(this, 'usher_ticket_get', u64('ticketId', ticketId), out);
        return toJs(TicketInfo, out);
    },

    // ---- offers ----

    acceptOffer(ticketId, token) {
        call(this, 'usher_offer_accept', u64('ticketId', ticketId), u64('token', token));
    },

    rejectOffer(ticketId, token) {
        call(this, 'usher_offer_reject', u64('ticketId', ticketId), u64('token', token));
    },

    // ---- explanations ----

    /**
     * Why agentId may or may not take ticketId now:
     * { why (a Why value), skill, requiredLevel, agentLevel, untilMs, score }.
     */
    explain(ticketId, agentId) {
        const out = blank(Explanation);
        call(this, 'usher_explain', u64('ticketId', ticketId), u64('agentId', agentId), out);
        return toJs(Explanation, out);
    },

    /** The agent a waiting ticket would go to now: { agentId, score } (UsherError ENOTFOUND if none). */
    ticketCandidate(ticketId) {
        const agent = [0];
        const score = [0];
        call(this, 'usher_ticket_candidate', u64('ticketId', ticketId), agent, score);
        return { agentId: big(agent[0]), score: big(score[0]) };
    },
};
