'use strict';
// Engine methods for SLA policies, rules, per-ticket clocks and statistics.

const { call } = require('./engine');
const { defaults } = require('./ffi');
const { SlaSpec, SlaRule, SlaTargetInfo, SlaStats, toJs, toC, blank } = require('./types');
const { SlaPolicyFlag, Limits } = require('./constants');
const { u32, u64, bool, array, options } = require('./convert');

// The keys of a policy's `targets`, in enum usher_sla_target order.
const TARGET_KEYS = ['firstResponse', 'nextResponse', 'periodicUpdate', 'resolution'];

function policyTarget(what, value) {
    if (value !== null && typeof value === 'object') {
        const t = options(what, value, ['ms', 'business', 'pausable']);
        return {
            ms: u64(`${what}.ms`, t.ms),
            business: t.business === undefined ? false : bool(`${what}.business`, t.business),
            pausable: t.pausable === undefined ? false : bool(`${what}.pausable`, t.pausable),
        };
    }
    return { ms: u64(what, value), business: false, pausable: false };
}

/** usher_sla_policy_def from { targets, calendar, holdEvents, warnings }. */
function policyDef(def) {
    const o = options('SLA policy', def, ['targets', 'calendar', 'holdEvents', 'warnings']);
    const base = defaults('usher_sla_policy_def_init');
    const c = { ...base, target_ms: Array.from(base.target_ms), warning_permille: Array.from(base.warning_permille) };
    const targets = options('SLA policy.targets', o.targets, TARGET_KEYS);
    TARGET_KEYS.forEach((key, index) => {
        if (targets[key] === undefined) return;
        const t = policyTarget(`SLA policy.targets.${key}`, targets[key]);
        const bit = 1 << index;
        c.target_mask |= bit;
        c.target_ms[index] = t.ms;
        if (t.business) c.business_mask |= bit;
        if (t.pausable) c.pause_mask |= bit;
    });
    if (o.calendar !== undefined) c.calendar = u32('SLA policy.calendar', o.calendar);
    if (o.holdEvents !== undefined)
        c.flags = bool('SLA policy.holdEvents', o.holdEvents) ? SlaPolicyFlag.HOLD_EVENTS : 0;
    const warnings = o.warnings === undefined ? [] : array('SLA policy.warnings', o.warnings);
    if (warnings.length > c.warning_permille.length)
        throw new RangeError(
            `SLA policy.warnings has ${warnings.length} entries, at most ${c.warning_permille.length} allowed`);
    warnings.forEach((permille, i) => { c.warning_permille[i] = u32(`SLA policy.warnings[${i}]`, permille); });
    c.warning_count = warnings.length;
    return c;
}

const ANY_RULE = {
    channel: Limits.SLA_ANY, queue: Limits.SLA_ANY, tier: Limits.SLA_ANY,
    min_priority: 0, max_priority: Limits.MAX_PRIORITY, policy: 0,
};

function rule(what, value) {
    const c = toC(SlaRule, what, ANY_RULE, value);
    if (value.policy === undefined) throw new TypeError(`${what}.policy is required`);
    return c;
}

module.exports = {
    /**
     * Defines SLA policy policyId: { targets: { firstResponse, nextResponse,
     * periodicUpdate, resolution }, calendar, holdEvents, warnings }. Each
     * target is its length in ms, or { ms, business, pausable } (business:
     * counted in the calendar's open hours; pausable: paused while pending
     * the customer). warnings: per mille thresholds, increasing, at most 4.
     */
    addSlaPolicy(policyId, def) {
        call(this, 'usher_sla_policy_add', u32('policyId', policyId), policyDef(def));
    },

    /**
     * Replaces the rules: [{ policy, channel, queue, tier, minPriority,
     * maxPriority }, ...] (channel, queue, tier default to Limits.SLA_ANY,
     * priorities to 0 .. Limits.MAX_PRIORITY), first match wins; tickets no
     * rule matches get defaultPolicy (Limits.SLA_NO_POLICY: none).
     */
    setSlaRules(rules, defaultPolicy = Limits.SLA_NO_POLICY) {
        const list = array('rules', rules).map((r, i) => rule(`rules[${i}]`, r));
        call(this, 'usher_sla_set_rules', list.length ? list : null, list.length, u32('defaultPolicy', defaultPolicy));
    },

    /** Starts tracking ticketId: spec { channel, queue, tier, priority, createdMs (default now) }. */
    startSla(ticketId, spec) {
        const id = u64('ticketId', ticketId);
        call(this, 'usher_sla_start', id, toC(SlaSpec, 'SLA spec', defaults('usher_sla_spec_init'), spec));
    },

    /** The ticket's attributes changed: its policy is chosen again (createdMs ignored). */
    updateSla(ticketId, spec) {
        const id = u64('ticketId', ticketId);
        call(this, 'usher_sla_update', id, toC(SlaSpec, 'SLA spec', defaults('usher_sla_spec_init'), spec));
    },

    /** what: a SlaReport value (AGENT_REPLY, CUSTOMER_MESSAGE, ...). */
    reportSla(ticketId, what) {
        call(this, 'usher_sla_report', u64('ticketId', ticketId), u32('what', what));
    },

    forgetSla(ticketId) {
        call(this, 'usher_sla_forget', u64('ticketId', ticketId));
    },

    /** Target `target` (SlaTarget) of a tracked ticket: { state (SlaState), policy, dueMs, elapsedMs, remainingMs }. */
    getSla(ticketId, target) {
        const out = blank(SlaTargetInfo);
        call(this, 'usher_sla_get', u64('ticketId', ticketId), u32('target', target), out);
        return toJs(SlaTargetInfo, out);
    },

    /** { met: [4 BigInt], breached: [4 BigInt] } per SlaTarget under policy policyId. */
    slaPolicyStats(policyId) {
        const out = blank(SlaStats);
        call(this, 'usher_sla_policy_stats', u32('policyId', policyId), out);
        return toJs(SlaStats, out);
    },

    /** The same counts for the tickets of channel `channel`. */
    slaChannelStats(channel) {
        const out = blank(SlaStats);
        call(this, 'usher_sla_channel_stats', u32('channel', channel), out);
        return toJs(SlaStats, out);
    },
};
