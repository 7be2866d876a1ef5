/*
 * The invariant checker (see check.h and usher_check in usher.h): the
 * driver, the timer wheel and host timers, the id maps, agents and their
 * capacity, SLA records and calendars.
 */
#include "check.h"

#include <string.h>

bool us_check_fail(us_checker *c, const char *what)
{
    if (!c->failed)
        c->failed = what;
    return false;
}

bool us_check_timer(us_checker *c, uint32_t timer, uint32_t tag, uint64_t data)
{
    const us_wheel *w = &c->e->wheel;
    US_REQUIRE(c,
               us_wheel_is_live(w, timer) && us_wheel_tag(w, timer) == tag &&
                   us_wheel_data(w, timer) == data,
               "an object's timer is not live or belongs to another object");
    c->timers++;
    return true;
}

static uint32_t pool_link(const us_pool *p, uint32_t slot)
{
    uint32_t next;
    memcpy(&next, (const char *)us_pool_at(p, slot) + p->link_offset, sizeof next);
    return next;
}

bool us_check_pool(us_checker *c, const us_pool *p, us_check_live_fn live, const char *what)
{
    size_t live_count = 0;
    for (uint32_t slot = 0; slot < p->slots; slot++)
        live_count += live(c->e, slot);
    US_REQUIRE(c, live_count == p->live, what);
    size_t free_count = 0;
    for (uint32_t slot = p->free_head; slot != US_NONE; slot = pool_link(p, slot))
        US_REQUIRE(c, slot < p->slots && !live(c->e, slot) && ++free_count <= p->slots - p->live,
                   what);
    US_REQUIRE(c, free_count == p->slots - p->live, what);
    return true;
}

/* ---- id maps ---------------------------------------------------------------------- */

static bool maps_consistent(us_checker *c)
{
    const usher_engine *e = c->e;
    const us_idmap *maps[] = {
        &e->host_timers,           &e->agents.by_id,         &e->agents.by_ticket,
        &e->index.by_hash,         &e->router.queue_by_id,   &e->router.bucket_by_key,
        &e->router.ticket_by_id,   &e->router.customer_by_id, &e->slas.policy_by_id,
        &e->slas.by_ticket,        &e->calendars.by_id,
    };
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
        US_REQUIRE(c, us_idmap_check(maps[i]), "an id map's table is inconsistent");
    return true;
}

/* ---- agents and their capacity ------------------------------------------------------ */

/* What an agent's capacity records add up to. */
typedef struct work_tally {
    uint32_t active[USHER_MAX_CHANNELS], wrapping[USHER_MAX_CHANNELS];
    uint32_t used, exclusive, blocking, offers, records;
} work_tally;

static bool wrapup_consistent(us_checker *c, uint32_t w, bool mapped)
{
    const usher_engine *e = c->e;
    const us_work *work = &e->agents.works[w];
    US_REQUIRE(c, !mapped, "a wrap-up is still in the map of held tickets");
    if (!us_check_timer(c, work->timer, US_TIMER_WRAPUP, w))
        return false;
    uint64_t ends = us_time_add(work->started, e->channels[work->channel].def.wrapup_ms);
    US_REQUIRE(c, us_wheel_deadline(&e->wheel, work->timer) == ends,
               "a wrap-up ends at the wrong time");
    return true;
}

/* An active record: in the map of held tickets, and either the host's
 * reservation or the capacity of an offered or assigned routed ticket. */
static bool held_consistent(us_checker *c, uint32_t w, bool mapped, work_tally *t)
{
    const usher_engine *e = c->e;
    const us_work *work = &e->agents.works[w];
    uint32_t ticket;
    US_REQUIRE(c, mapped && work->timer == US_NONE,
               "a held ticket is not in the map of held tickets");
    if (work->routed == US_NONE) {
        US_REQUIRE(c, us_ticket_find(e, work->ticket, &ticket) != USHER_OK,
                   "a host reservation shares its id with a routed ticket");
        return true;
    }
    US_REQUIRE(c, us_check_ticket_live(e, work->routed),
               "a capacity record names a ticket that is not live");
    const us_ticket *tk = us_ticket_at(e, work->routed);
    US_REQUIRE(c,
               tk->id == work->ticket && tk->work == w &&
                   (tk->state == USHER_TICKET_OFFERED || tk->state == USHER_TICKET_ASSIGNED),
               "a capacity record and its ticket disagree");
    t->offers += tk->state == USHER_TICKET_OFFERED;
    return true;
}

static bool record_consistent(us_checker *c, uint32_t slot, uint32_t w, work_tally *t)
{
    const usher_engine *e = c->e;
    const us_work *work = &e->agents.works[w];
    US_REQUIRE(c,
               work->agent == slot && work->channel < USHER_MAX_CHANNELS &&
                   e->channels[work->channel].defined,
               "a capacity record is not its agent's or has no channel");
    const usher_channel_def *def = &e->channels[work->channel].def;
    uint32_t found;
    bool mapped = us_idmap_find(&e->agents.by_ticket, work->ticket, &found) && found == w;
    t->used += def->cost;
    if (work->wrapping) {
        t->wrapping[work->channel]++;
        t->blocking += (def->flags & USHER_CHANNEL_WRAPUP_BLOCKS_AGENT) != 0;
        return wrapup_consistent(c, w, mapped);
    }
    t->active[work->channel]++;
    t->exclusive += (def->flags & USHER_CHANNEL_EXCLUSIVE) != 0;
    return held_consistent(c, w, mapped, t);
}

static bool work_list_consistent(us_checker *c, uint32_t slot, work_tally *t)
{
    const us_agents *m = &c->e->agents;
    const us_agent *a = &m->items[slot];
    uint32_t prev = US_NONE;
    for (uint32_t w = a->work_head; w != US_NONE; w = m->works[w].next) {
        US_REQUIRE(c, w < m->work_slots && ++t->records <= m->work_slots && m->works[w].prev == prev,
                   "an agent's list of capacity records is broken");
        if (!record_consistent(c, slot, w, t))
            return false;
        prev = w;
    }
    US_REQUIRE(c, a->work_tail == prev, "an agent's list of capacity records is broken");
    return true;
}

static bool counts_match(us_checker *c, const us_agent *a, const work_tally *t)
{
    const usher_engine *e = c->e;
    uint32_t active = 0, wrapping = 0;
    for (uint32_t ch = 0; ch < USHER_MAX_CHANNELS; ch++) {
        US_REQUIRE(c, a->active[ch] == t->active[ch] && a->wrapping[ch] == t->wrapping[ch],
                   "an agent's work per channel differs from its capacity records");
        US_REQUIRE(c, (uint32_t)a->active[ch] + a->wrapping[ch] <= us_agent_limit(e, a, ch),
                   "an agent is over a channel limit");
        US_REQUIRE(c,
                   a->limit[ch] == US_LIMIT_DEFAULT ||
                       (e->channels[ch].defined && a->limit[ch] <= a->capacity),
                   "an agent's own channel limit is out of range");
        active += a->active[ch];
        wrapping += a->wrapping[ch];
    }
    US_REQUIRE(c, a->active_total == active && a->wrapping_total == wrapping,
               "an agent's totals of work differ from its capacity records");
    US_REQUIRE(c, a->used == t->used, "an agent's capacity used differs from its capacity records");
    US_REQUIRE(c, a->capacity >= 1 && a->capacity <= USHER_MAX_CAPACITY && a->used <= a->capacity,
               "an agent is over its capacity");
    US_REQUIRE(c, a->exclusive_active == t->exclusive && t->exclusive <= 1,
               "an agent's exclusive work differs from its capacity records");
    US_REQUIRE(c, a->blocking_wrapups == t->blocking,
               "an agent's blocking wrap-ups differ from its capacity records");
    US_REQUIRE(c, a->offers_out == t->offers,
               "an agent's outstanding offers differ from its offered tickets");
    return true;
}

/* The ring of reservation times: in range, in order, none in the future. */
static bool window_ring_consistent(us_checker *c, const us_agent *a)
{
    bool on = a->cap_max > 0;
    US_REQUIRE(c,
               on == (a->cap_times != NULL) && on == (a->cap_window > 0) &&
                   a->cap_count <= a->cap_max && (!on || a->cap_head < a->cap_max),
               "an agent's rolling-window ring is out of range");
    uint64_t last = 0;
    for (uint32_t i = 0; i < a->cap_count; i++) {
        uint64_t t = a->cap_times[(a->cap_head + i) % a->cap_max];
        US_REQUIRE(c, t >= last && t <= us_now(c->e),
                   "an agent's rolling-window times are out of order or in the future");
        last = t;
    }
    return true;
}

/* The rolling window counted afresh at time `at`: how many reservations
 * are in it and when the oldest of them leaves it. */
typedef struct window_tally {
    uint32_t in_window;
    uint64_t oldest_leaves;
} window_tally;

static window_tally count_window(const us_agent *a, uint64_t at)
{
    window_tally t = {0, USHER_TIME_NEVER};
    for (uint32_t i = 0; i < a->cap_count; i++) {
        uint64_t leaves = us_time_add(a->cap_times[(a->cap_head + i) % a->cap_max], a->cap_window);
        if (leaves > at) {
            t.in_window++;
            t.oldest_leaves = leaves < t.oldest_leaves ? leaves : t.oldest_leaves;
        }
    }
    return t;
}

/* Capped while the reservations in the window fill it. The cap timer is
 * due when the oldest of them leaves the window while they fill it, or
 * while they and the offers out do; otherwise there is none. A timer due
 * but not fired yet (an advance that failed for memory) fires at the next
 * advance: until then the agent's window is as it was just before. */
static bool load_cap_consistent(us_checker *c, const us_agent *a, uint32_t slot)
{
    const usher_engine *e = c->e;
    if (!window_ring_consistent(c, a))
        return false;
    uint64_t at = us_now(e);
    if (a->cap_timer != US_NONE) {
        if (!us_check_timer(c, a->cap_timer, US_TIMER_LOAD_CAP, slot))
            return false;
        uint64_t due = us_wheel_deadline(&e->wheel, a->cap_timer);
        at = due <= at ? due - 1 : at;
    }
    window_tally t = count_window(a, at);
    bool full = a->cap_max > 0 && t.in_window == a->cap_max;
    bool limited = t.in_window > 0 && (uint64_t)t.in_window + a->offers_out >= a->cap_max;
    US_REQUIRE(c, a->capped == full && limited == (a->cap_timer != US_NONE),
               "an agent's load cap and its timer disagree");
    US_REQUIRE(c, !limited || us_wheel_deadline(&e->wheel, a->cap_timer) == t.oldest_leaves,
               "an agent's load cap lifts at the wrong time");
    return true;
}

static bool agent_timers_consistent(us_checker *c, const us_agent *a, uint32_t slot)
{
    const us_wheel *w = &c->e->wheel;
    if (!load_cap_consistent(c, a, slot))
        return false;
    US_REQUIRE(c, a->cooling == (a->cooldown_timer != US_NONE),
               "an agent's cool-down and its timer disagree");
    if (a->cooling && !us_check_timer(c, a->cooldown_timer, US_TIMER_COOLDOWN, slot))
        return false;
    bool idle = a->idle_timeout > 0 && a->state == USHER_AGENT_AVAILABLE &&
                a->active_total + a->wrapping_total == 0;
    US_REQUIRE(c, idle == (a->idle_timer != US_NONE),
               "an agent's idle timeout timer is missing or left over");
    if (!idle)
        return true;
    if (!us_check_timer(c, a->idle_timer, US_TIMER_IDLE, slot))
        return false;
    US_REQUIRE(c,
               us_wheel_deadline(w, a->idle_timer) == us_time_add(a->last_activity, a->idle_timeout),
               "an agent's idle timeout falls due at the wrong time");
    return true;
}

static bool agent_settings_consistent(us_checker *c, const us_agent *a)
{
    const usher_engine *e = c->e;
    bool state_ok = a->state == USHER_AGENT_OFFLINE || a->state == USHER_AGENT_AVAILABLE ||
                    a->state == USHER_AGENT_AWAY;
    US_REQUIRE(c, state_ok && (a->state == USHER_AGENT_AWAY || a->away_reason == 0),
               "an agent's state is out of range");
    for (uint32_t i = 0; i < a->skill_count; i++)
        US_REQUIRE(c,
                   a->skills[i].skill < e->skills.count && a->skills[i].level >= USHER_LEVEL_MIN &&
                       a->skills[i].level <= USHER_LEVEL_MAX &&
                       (i == 0 || a->skills[i - 1].skill < a->skills[i].skill),
                   "an agent's skills are out of range or order");
    US_REQUIRE(c, a->idle_since <= us_now(e) && a->counted_until <= us_now(e),
               "an agent's times lie in the future");
    return true;
}

/* Live slots are those of the id map, free ones those of the free list. */
static bool agent_slots_consistent(us_checker *c)
{
    const us_agents *m = &c->e->agents;
    uint32_t live = 0, found;
    for (uint32_t slot = 0; slot < m->slots; slot++) {
        const us_agent *a = &m->items[slot];
        if (!a->live)
            continue;
        US_REQUIRE(c, us_idmap_find(&m->by_id, a->id, &found) && found == slot,
                   "a live agent is not in the agent map");
        live++;
    }
    US_REQUIRE(c, live == m->live && live == us_idmap_count(&m->by_id),
               "the agent map holds agents that are not live");
    size_t free_count = 0;
    for (uint32_t slot = m->free_head; slot != US_NONE; slot = m->items[slot].next_free)
        US_REQUIRE(c, slot < m->slots && !m->items[slot].live && ++free_count <= m->slots - live,
                   "the free list of agent slots is broken");
    US_REQUIRE(c, free_count == m->slots - live, "the free list of agent slots is broken");
    return true;
}

/* The records of free capacity: exactly those in no agent's list. */
static bool free_records_consistent(us_checker *c, uint32_t records)
{
    const us_agents *m = &c->e->agents;
    size_t free_count = 0;
    for (uint32_t w = m->work_free; w != US_NONE; w = m->works[w].next)
        US_REQUIRE(c, w < m->work_slots && ++free_count <= m->work_free_count,
                   "the free list of capacity records is broken");
    US_REQUIRE(c, free_count == m->work_free_count && records + free_count == m->work_slots,
               "capacity records are lost or in two places");
    return true;
}

static bool agents_consistent(us_checker *c)
{
    const usher_engine *e = c->e;
    if (!agent_slots_consistent(c))
        return false;
    uint32_t in_use[USHER_MAX_CHANNELS] = {0}, records = 0, active = 0;
    for (uint32_t slot = 0; slot < e->agents.slots; slot++) {
        const us_agent *a = us_agent_at(e, slot);
        if (!a->live)
            continue;
        work_tally t;
        memset(&t, 0, sizeof t);
        if (!work_list_consistent(c, slot, &t) || !counts_match(c, a, &t) ||
            !agent_timers_consistent(c, a, slot) || !agent_settings_consistent(c, a))
            return false;
        for (uint32_t ch = 0; ch < USHER_MAX_CHANNELS; ch++)
            in_use[ch] += t.active[ch] + t.wrapping[ch];
        records += t.records;
        active += a->active_total;
    }
    for (uint32_t ch = 0; ch < USHER_MAX_CHANNELS; ch++)
        US_REQUIRE(c, e->channels[ch].in_use == in_use[ch],
                   "a channel's use differs from its agents' work");
    US_REQUIRE(c, us_idmap_count(&e->agents.by_ticket) == active,
               "the map of held tickets holds tickets no agent holds");
    return free_records_consistent(c, records);
}

/* ---- SLA records, policies, calendars ---------------------------------------------------- */

static const us_sla *sla_at(const usher_engine *e, uint32_t slot)
{
    return (const us_sla *)us_pool_at(&e->slas.records, slot);
}

bool us_check_sla_live(const usher_engine *e, uint32_t slot)
{
    uint32_t found;
    return slot < e->slas.records.slots &&
           us_idmap_find(&e->slas.by_ticket, sla_at(e, slot)->ticket, &found) && found == slot;
}

static bool calendar_live(const usher_engine *e, uint32_t slot)
{
    const us_calendar *cal = us_pool_at(&e->calendars.pool, slot);
    uint32_t found;
    return cal->id != USHER_CALENDAR_24_7 && us_idmap_find(&e->calendars.by_id, cal->id, &found) &&
           found == slot;
}

/* The target time at which a clock's event k falls: warning k at its per
 * mille of the target, the breach (k = warning_count) at the target. */
static uint64_t event_threshold(const usher_sla_policy_def *def, uint32_t t, uint32_t k)
{
    return k < def->warning_count ? def->target_ms[t] * def->warning_permille[k] / 1000
                                  : def->target_ms[t];
}

/* A running clock's next event is at run_since plus the target time left
 * to it: recomputed where that is calendar time (business time depends on
 * a calendar that may have changed since). */
static bool next_due_consistent(us_checker *c, const us_sla *r, uint32_t t)
{
    const usher_sla_policy_def *def = &us_sla_policy_at(c->e, r->policy)->def;
    const us_sla_clock *k = &r->clocks[t];
    bool counting = k->state == US_CLOCK_RUNNING && k->next_event <= def->warning_count;
    if (!counting) {
        US_REQUIRE(c, k->next_due == USHER_TIME_NEVER,
                   "an SLA clock that does not run has a next event");
        return true;
    }
    if (def->business_mask >> t & 1)
        return true;
    uint64_t at = event_threshold(def, t, k->next_event);
    uint64_t due = us_time_add(k->run_since, at > k->elapsed ? at - k->elapsed : 0);
    US_REQUIRE(c, k->next_due == due, "an SLA clock's next event is at the wrong time");
    return true;
}

/* A clock has a timer while it has a next event or held events. A timer
 * at or before now may be one a catch-up overtook: it fires at the next
 * advance and re-arms. */
static bool clock_timer_consistent(us_checker *c, const us_sla *r, uint32_t slot, uint32_t t)
{
    const us_sla_clock *k = &r->clocks[t];
    bool held = k->held_count > 0;
    bool needed = k->next_due != USHER_TIME_NEVER || held;
    if (k->timer == US_NONE) {
        US_REQUIRE(c, !needed, "an SLA clock lacks its timer");
        return true;
    }
    if (!us_check_timer(c, k->timer, US_TIMER_SLA, (uint64_t)slot * USHER_SLA_TARGETS + t))
        return false;
    uint64_t due = us_wheel_deadline(&c->e->wheel, k->timer);
    bool overtaken = due <= us_now(c->e);
    uint64_t next = k->next_due < USHER_TIME_MAX ? k->next_due : USHER_TIME_MAX;
    US_REQUIRE(c, needed || overtaken, "an SLA clock keeps a timer it does not need");
    US_REQUIRE(c, held || !needed || overtaken || due == next,
               "an SLA clock's timer is at the wrong time");
    return true;
}

static bool clock_consistent(us_checker *c, const us_sla *r, uint32_t slot, uint32_t t)
{
    const usher_sla_policy_def *def = &us_sla_policy_at(c->e, r->policy)->def;
    const us_sla_clock *k = &r->clocks[t];
    US_REQUIRE(c,
               k->state <= US_CLOCK_STOPPED &&
                   ((def->target_mask >> t & 1) || k->state == US_CLOCK_INACTIVE),
               "an SLA clock is in a state its policy does not allow");
    US_REQUIRE(c, k->next_event <= def->warning_count + 1,
               "an SLA clock's events are out of range");
    US_REQUIRE(c, us_sla_held_valid(c->e, k, t),
               "an SLA clock's held events are out of range or order");
    return next_due_consistent(c, r, t) && clock_timer_consistent(c, r, slot, t);
}

static bool slas_consistent(us_checker *c)
{
    const usher_engine *e = c->e;
    const us_slas *s = &e->slas;
    if (!us_check_pool(c, &s->policies, us_sla_policy_live, "SLA policies and their map disagree") ||
        !us_check_pool(c, &s->records, us_check_sla_live, "SLA records and their map disagree"))
        return false;
    US_REQUIRE(c,
               us_idmap_count(&s->policy_by_id) == s->policies.live &&
                   us_idmap_count(&s->by_ticket) == s->records.live,
               "an SLA map holds entries that are not live");
    for (uint32_t p = 0; p < s->policies.slots; p++)
        US_REQUIRE(c, !us_sla_policy_live(e, p) || us_calendar_find(e, us_sla_policy_at(e, p)->def.calendar),
                   "an SLA policy's calendar is gone");
    US_REQUIRE(c, s->default_policy == US_NONE || us_sla_policy_live(e, s->default_policy),
               "the default SLA policy is not live");
    uint32_t cursor = 0, slot;
    uint64_t ticket;
    while (us_idmap_next(&s->by_ticket, &cursor, &ticket, &slot)) {
        const us_sla *r = sla_at(e, slot);
        US_REQUIRE(c, us_sla_policy_live(e, r->policy),
                   "an SLA record's policy is not live");
        for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
            if (!clock_consistent(c, r, slot, t))
                return false;
    }
    return true;
}

static bool calendars_consistent(us_checker *c)
{
    const us_calendars *cs = &c->e->calendars;
    if (!us_check_pool(c, &cs->pool, calendar_live, "calendars and their map disagree"))
        return false;
    US_REQUIRE(c, us_idmap_count(&cs->by_id) == cs->pool.live,
               "the calendar map holds entries that are not live");
    return true;
}

/* ---- host timers and the wheel as a whole ------------------------------------------------ */

static bool host_timers_consistent(us_checker *c)
{
    uint32_t cursor = 0, timer;
    uint64_t id;
    while (us_idmap_next(&c->e->host_timers, &cursor, &id, &timer))
        if (!us_check_timer(c, timer, US_TIMER_HOST, id))
            return false;
    return true;
}

const char *us_check(const usher_engine *e)
{
    us_checker c = {e, NULL, 0};
    if (!us_wheel_check(&e->wheel))
        return "the timer wheel's lists, bitmaps or free list are inconsistent";
    if (!maps_consistent(&c) || !agents_consistent(&c))
        return c.failed;
    if (!us_index_check(e))
        return "the eligibility index differs from a recomputation";
    if (!slas_consistent(&c) || !us_check_router(&c) || !calendars_consistent(&c) ||
        !host_timers_consistent(&c))
        return c.failed;
    if (c.timers != us_wheel_count(&e->wheel))
        return "the timer wheel holds timers no object owns";
    return NULL;
}

USHER_API usher_status usher_check(const usher_engine *e)
{
    US_CHECK_ENGINE(e);
    return us_check(e) ? USHER_EINTERNAL : USHER_OK;
}
