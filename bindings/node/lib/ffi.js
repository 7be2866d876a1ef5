'use strict';
// Every function of include/usher.h, declared for koffi once the library is
// loaded (on first use, so that requiring the package never fails). The
// prototypes follow the header; the differences are deliberate:
//   - usher_status is int32_t (its typedef);
//   - `const usher_engine *` is `usher_engine *` (the same pointer to koffi);
//   - `void *user` (event handler, score hook) is uintptr_t: the binding
//     passes a small integer key there, never a pointer, and uintptr_t has
//     the size and calling convention of a pointer on every koffi platform;
//   - size_t is koffi's size_t (the platform's);
//   - output pointers are marked _Out_, and the structures whose struct_size
//     the library reads first _Inout_.
// No function takes or returns an enum type: enum values travel as int32_t
// or uint32_t, so their size never depends on the compiler.

require('./types'); // declares the struct and callback types named below
const { library } = require('./library');

const PROTOTYPES = [
    'const char *usher_version(void)',
    'uint32_t usher_version_number(void)',
    'const char *usher_strerror(int32_t status)',
    'const char *usher_status_name(int32_t status)',
    'void usher_config_init(_Out_ usher_config *config)',
    'int32_t usher_engine_new(const usher_config *config, _Out_ usher_engine **out)',
    'void usher_engine_free(usher_engine *engine)',
    'int32_t usher_set_event_handler(usher_engine *engine, usher_event_fn *fn, uintptr_t user)',
    'int32_t usher_advance(usher_engine *engine, uint64_t now_ms)',
    'int32_t usher_now(usher_engine *engine, _Out_ uint64_t *now_ms)',
    'int32_t usher_next_deadline(usher_engine *engine, _Out_ uint64_t *deadline_ms)',
    'int32_t usher_timer_set(usher_engine *engine, uint64_t timer_id, uint64_t due_ms)',
    'int32_t usher_timer_cancel(usher_engine *engine, uint64_t timer_id)',
    'int32_t usher_timer_due(usher_engine *engine, uint64_t timer_id, _Out_ uint64_t *due_ms)',
    // skills
    'int32_t usher_skill_intern(usher_engine *engine, const char *name, _Out_ uint32_t *skill_id)',
    'int32_t usher_skill_find(usher_engine *engine, const char *name, _Out_ uint32_t *skill_id)',
    'int32_t usher_skill_name(usher_engine *engine, uint32_t skill_id, _Out_ uint8_t *buf, size_t size)',
    'int32_t usher_skill_count(usher_engine *engine, _Out_ uint32_t *count)',
    // channels
    'void usher_channel_def_init(_Out_ usher_channel_def *def)',
    'int32_t usher_channel_add(usher_engine *engine, uint32_t channel, const usher_channel_def *def)',
    'int32_t usher_channel_remove(usher_engine *engine, uint32_t channel)',
    'int32_t usher_channel_get(usher_engine *engine, uint32_t channel, _Inout_ usher_channel_def *def)',
    // agents
    'int32_t usher_agent_add(usher_engine *engine, uint64_t agent_id, uint32_t capacity)',
    'int32_t usher_agent_remove(usher_engine *engine, uint64_t agent_id)',
    'int32_t usher_agent_set_capacity(usher_engine *engine, uint64_t agent_id, uint32_t capacity)',
    'int32_t usher_agent_set_channel_limit(usher_engine *engine, uint64_t agent_id, uint32_t channel, uint32_t limit)',
    'int32_t usher_agent_set_skill(usher_engine *engine, uint64_t agent_id, uint32_t skill, uint32_t level)',
    'int32_t usher_agent_drop_skill(usher_engine *engine, uint64_t agent_id, uint32_t skill)',
    'int32_t usher_agent_set_skills(usher_engine *engine, uint64_t agent_id, const usher_skill_level *skills, size_t count)',
    'int32_t usher_agent_get_skills(usher_engine *engine, uint64_t agent_id, _Out_ usher_skill_level *out, size_t capacity, _Out_ size_t *count)',
    'int32_t usher_agent_set_state(usher_engine *engine, uint64_t agent_id, int32_t state, int32_t reason)',
    'int32_t usher_agent_set_load_cap(usher_engine *engine, uint64_t agent_id, uint32_t max_assignments, uint64_t window_ms)',
    'int32_t usher_agent_set_cooldown(usher_engine *engine, uint64_t agent_id, uint64_t cooldown_ms)',
    'int32_t usher_agent_set_idle_timeout(usher_engine *engine, uint64_t agent_id, uint64_t idle_ms)',
    'int32_t usher_agent_activity(usher_engine *engine, uint64_t agent_id)',
    'int32_t usher_agent_get(usher_engine *engine, uint64_t agent_id, _Inout_ usher_agent_info *info)',
    'int32_t usher_agent_get_channel(usher_engine *engine, uint64_t agent_id, uint32_t channel, _Inout_ usher_agent_channel_info *info)',
    'int32_t usher_agent_next(usher_engine *engine, _Inout_ uint64_t *cursor, _Out_ uint64_t *agent_id)',
    'int32_t usher_agents_new_day(usher_engine *engine)',
    // capacity
    'int32_t usher_capacity_reserve(usher_engine *engine, uint64_t agent_id, uint64_t ticket_id, uint32_t channel)',
    'int32_t usher_capacity_release(usher_engine *engine, uint64_t ticket_id, uint32_t flags)',
    'int32_t usher_capacity_holder(usher_engine *engine, uint64_t ticket_id, _Out_ uint64_t *agent_id, _Out_ uint32_t *channel)',
    // queues
    'void usher_queue_def_init(_Out_ usher_queue_def *def)',
    'int32_t usher_queue_add(usher_engine *engine, uint32_t queue_id, const usher_queue_def *def)',
    'int32_t usher_queue_remove(usher_engine *engine, uint32_t queue_id)',
    'int32_t usher_queue_set_widening(usher_engine *engine, uint32_t queue_id, const usher_widen_step *steps, size_t count)',
    'int32_t usher_queue_get_stats(usher_engine *engine, uint32_t queue_id, _Inout_ usher_queue_stats *stats)',
    'int32_t usher_queue_reset_stats(usher_engine *engine, uint32_t queue_id)',
    // tickets and offers
    'void usher_ticket_spec_init(_Out_ usher_ticket_spec *spec)',
    'int32_t usher_ticket_submit(usher_engine *engine, uint64_t ticket_id, const usher_ticket_spec *spec)',
    'int32_t usher_ticket_set_priority(usher_engine *engine, uint64_t ticket_id, uint32_t priority)',
    'int32_t usher_ticket_set_tier(usher_engine *engine, uint64_t ticket_id, uint32_t tier)',
    'int32_t usher_ticket_require(usher_engine *engine, uint64_t ticket_id, uint32_t skill_id, uint32_t level)',
    'int32_t usher_ticket_drop_requirement(usher_engine *engine, uint64_t ticket_id, uint32_t skill_id)',
    'int32_t usher_ticket_transfer(usher_engine *engine, uint64_t ticket_id, uint32_t queue_id)',
    'int32_t usher_ticket_cancel(usher_engine *engine, uint64_t ticket_id)',
    'int32_t usher_ticket_complete(usher_engine *engine, uint64_t ticket_id, uint32_t flags)',
    'int32_t usher_ticket_get(usher_engine *engine, uint64_t ticket_id, _Inout_ usher_ticket_info *info)',
    'int32_t usher_offer_accept(usher_engine *engine, uint64_t ticket_id, uint64_t token)',
    'int32_t usher_offer_reject(usher_engine *engine, uint64_t ticket_id, uint64_t token)',
    // calendars
    'int32_t usher_calendar_add(usher_engine *engine, uint32_t calendar_id, const char *zone)',
    'int32_t usher_calendar_add_tzif(usher_engine *engine, uint32_t calendar_id, const void *tzif, size_t size)',
    'int32_t usher_calendar_remove(usher_engine *engine, uint32_t calendar_id)',
    'int32_t usher_calendar_set_hours(usher_engine *engine, uint32_t calendar_id, const usher_open_hours *hours, size_t count)',
    'int32_t usher_calendar_add_holiday(usher_engine *engine, uint32_t calendar_id, uint32_t year, uint32_t month, uint32_t day, uint32_t from_minute, uint32_t to_minute)',
    'int32_t usher_calendar_add_business(usher_engine *engine, uint32_t calendar_id, uint64_t from_ms, uint64_t business_ms, _Out_ uint64_t *due_ms)',
    'int32_t usher_calendar_business_between(usher_engine *engine, uint32_t calendar_id, uint64_t from_ms, uint64_t to_ms, _Out_ uint64_t *business_ms)',
    'int32_t usher_calendar_next_open(usher_engine *engine, uint32_t calendar_id, uint64_t at_ms, _Out_ uint64_t *open_ms)',
    // SLA
    'void usher_sla_policy_def_init(_Out_ usher_sla_policy_def *def)',
    'int32_t usher_sla_policy_add(usher_engine *engine, uint32_t policy_id, const usher_sla_policy_def *def)',
    'int32_t usher_sla_set_rules(usher_engine *engine, const usher_sla_rule *rules, size_t count, uint32_t default_policy)',
    'void usher_sla_spec_init(_Out_ usher_sla_spec *spec)',
    'int32_t usher_sla_start(usher_engine *engine, uint64_t ticket_id, const usher_sla_spec *spec)',
    'int32_t usher_sla_update(usher_engine *engine, uint64_t ticket_id, const usher_sla_spec *spec)',
    'int32_t usher_sla_report(usher_engine *engine, uint64_t ticket_id, uint32_t what)',
    'int32_t usher_sla_forget(usher_engine *engine, uint64_t ticket_id)',
    'int32_t usher_sla_get(usher_engine *engine, uint64_t ticket_id, uint32_t target, _Inout_ usher_sla_target_info *info)',
    'int32_t usher_sla_policy_stats(usher_engine *engine, uint32_t policy_id, _Inout_ usher_sla_stats *stats)',
    'int32_t usher_sla_channel_stats(usher_engine *engine, uint32_t channel, _Inout_ usher_sla_stats *stats)',
    // scoring hook, explanations
    'int32_t usher_set_score_hook(usher_engine *engine, usher_score_fn *fn, uintptr_t user, uint32_t candidates)',
    'int32_t usher_explain(usher_engine *engine, uint64_t ticket_id, uint64_t agent_id, _Inout_ usher_explanation *out)',
    'int32_t usher_ticket_candidate(usher_engine *engine, uint64_t ticket_id, _Out_ uint64_t *agent_id, _Out_ int64_t *score)',
    'int32_t usher_check(usher_engine *engine)',
    // snapshots
    'int32_t usher_snapshot(usher_engine *engine, _Out_ uint8_t *buf, size_t capacity, _Out_ size_t *size)',
    'int32_t usher_snapshot_write(usher_engine *engine, usher_write_fn *fn, uintptr_t user)',
    'int32_t usher_restore(const usher_config *config, const void *data, size_t size, _Out_ usher_engine **out)',
    // staffing (no engine)
    'void usher_staffing_input_init(_Out_ usher_staffing_input *in)',
    'int32_t usher_staffing_evaluate(const usher_staffing_input *in, _Inout_ usher_staffing_result *out)',
    'int32_t usher_staffing_agents(const usher_staffing_input *in, double target_service_level, double max_occupancy, _Inout_ usher_staffing_result *out)',
];

const functionName = (prototype) => prototype.match(/(usher_\w+)\(/)[1];

let declared = null;

/** { usher_xxx: callable } for every function above; loads the library on first use. */
function native() {
    if (declared) return declared;
    const { lib } = library();
    const table = {};
    for (const prototype of PROTOTYPES) table[functionName(prototype)] = lib.func(prototype);
    declared = Object.freeze(table);
    return declared;
}

const initialised = new Map();

/**
 * The defaults a usher_*_init function fills in (e.g. "usher_queue_def_init"),
 * as koffi decodes the struct; computed once. Callers copy before changing.
 */
function defaults(init) {
    if (!initialised.has(init)) {
        const out = {};
        native()[init](out);
        initialised.set(init, Object.freeze(out));
    }
    return initialised.get(init);
}

module.exports = { native, defaults, PROTOTYPES, functionName };
