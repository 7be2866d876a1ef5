/*
 * Restoring the timers (see restore.h). The snapshot lists every timer in
 * the wheel's order of lists with its owner (the tag and data the wheel
 * carries) and deadline; scheduling them again in that order rebuilds the
 * same lists, hence the same expiry order, ties included. Each timer must
 * belong to a live owner that is in a state to have it, each owner may
 * have one, and every owner that must have one has it (the load cap's at
 * the one time the agent's window allows).
 */
#include "restore.h"

/* Whether an agent's idle timer runs (as agents.c decides). */
static bool idle_timer_wanted(const us_agent *a)
{
    return a->idle_timeout > 0 && a->state == USHER_AGENT_AVAILABLE &&
           a->active_total + a->wrapping_total == 0;
}

static us_agent *live_agent(const us_restore *x, uint64_t data)
{
    return data < x->agents.slots && us_restore_live(&x->agents, (uint32_t)data)
               ? us_agent_at(x->e, (uint32_t)data)
               : NULL;
}

static us_ticket *live_ticket(const us_restore *x, uint64_t data)
{
    return data < x->tickets.slots && us_restore_live(&x->tickets, (uint32_t)data)
               ? us_ticket_at(x->e, (uint32_t)data)
               : NULL;
}

static uint32_t *agent_timer(const us_restore *x, uint32_t tag, uint64_t data)
{
    us_agent *a = live_agent(x, data);
    if (!a)
        return NULL;
    switch (tag) {
    case US_TIMER_LOAD_CAP: /* whether it must exist, and when: us_restore_timers_finish() */
        return a->cap_max > 0 ? &a->cap_timer : NULL;
    case US_TIMER_COOLDOWN:
        return a->cooling ? &a->cooldown_timer : NULL;
    default:
        return idle_timer_wanted(a) ? &a->idle_timer : NULL;
    }
}

static uint32_t *ticket_timer(const us_restore *x, uint32_t tag, uint64_t data)
{
    us_ticket *t = live_ticket(x, data);
    if (!t)
        return NULL;
    switch (tag) {
    case US_TIMER_OFFER:
        return t->state == USHER_TICKET_OFFERED ? &t->offer_timer : NULL;
    case US_TIMER_PREFERENCE:
        return t->pref_agent != US_NONE ? &t->pref_timer : NULL;
    default: {
        const us_queue *q = us_queue_at(x->e, us_queue_slot_of(x->e, t));
        return t->widen_next < q->step_count ? &t->widen_timer : NULL;
    }
    }
}

/* The timer field of the timer's owner, or NULL if it has no such owner. */
static uint32_t *owner_field(const us_restore *x, uint32_t tag, uint64_t data)
{
    usher_engine *e = x->e;
    switch (tag) {
    case US_TIMER_WRAPUP:
        return data < x->works.slots && us_restore_live(&x->works, (uint32_t)data) &&
                       e->agents.works[data].wrapping
                   ? &e->agents.works[data].timer
                   : NULL;
    case US_TIMER_LOAD_CAP:
    case US_TIMER_COOLDOWN:
    case US_TIMER_IDLE:
        return agent_timer(x, tag, data);
    case US_TIMER_OFFER:
    case US_TIMER_WIDEN:
    case US_TIMER_PREFERENCE:
        return ticket_timer(x, tag, data);
    case US_TIMER_EXCLUSION:
        return data < x->exclusions.slots && us_restore_live(&x->exclusions, (uint32_t)data)
                   ? &((us_exclusion *)us_pool_at(&e->router.exclusions, (uint32_t)data))->timer
                   : NULL;
    case US_TIMER_CUSTOMER:
        return data < x->customers.slots && us_restore_live(&x->customers, (uint32_t)data)
                   ? &((us_customer *)us_pool_at(&e->router.customers, (uint32_t)data))->timer
                   : NULL;
    case US_TIMER_SLA: {
        uint64_t slot = data / USHER_SLA_TARGETS;
        return slot < x->slas.slots && us_restore_live(&x->slas, (uint32_t)slot)
                   ? &((us_sla *)us_pool_at(&e->slas.records, (uint32_t)slot))
                          ->clocks[data % USHER_SLA_TARGETS]
                          .timer
                   : NULL;
    }
    default:
        return NULL;
    }
}

/* Schedules one timer; *list is the wheel list the previous one went to. */
static usher_status read_timer(us_restore *x, us_reader *r, uint32_t *list)
{
    usher_engine *e = x->e;
    uint32_t tag = us_get_u8(r), id;
    uint64_t data = us_get_u64(r), deadline = us_get_u64(r);
    bool parked = tag == US_TIMER_CUSTOMER && deadline == US_TIMER_PARKED;
    if (r->bad || (deadline > USHER_TIME_MAX && !parked))
        return USHER_ECORRUPT;
    uint32_t *field = NULL;
    if (tag == US_TIMER_HOST) {
        if (us_idmap_find(&e->host_timers, data, &id))
            return USHER_ECORRUPT; /* a host timer twice */
        usher_status st = us_idmap_reserve(&e->host_timers, 1);
        if (st != USHER_OK)
            return st;
    } else if (!(field = owner_field(x, tag, data)) || *field != US_NONE) {
        return USHER_ECORRUPT; /* no owner, or an owner with two */
    }
    (void)us_wheel_schedule(&e->wheel, deadline, tag, data, &id); /* room reserved */
    if (field)
        *field = id;
    else
        (void)us_idmap_insert(&e->host_timers, data, id);
    uint32_t here = us_wheel_list_index(&e->wheel, id);
    if (here < *list)
        return USHER_ECORRUPT; /* not in the wheel's order: another expiry order */
    *list = here;
    return USHER_OK;
}

usher_status us_restore_timers(us_restore *x, us_reader *r)
{
    uint32_t count = us_get_count(r, USHER_MAX_OBJECTS, 17), list = 0;
    usher_status st = us_wheel_reserve(&x->e->wheel, count);
    for (uint32_t i = 0; st == USHER_OK && i < count; i++)
        st = read_timer(x, r, &list);
    return st;
}

/* The rolling window as the engine keeps it (lib/loadcap.c): capped
 * exactly while the reservations in it fill it, and the load cap's timer
 * there exactly when us_load_cap_due() says (both seen at the agent's
 * window clock, which a timer due but not fired yet holds back). */
static bool load_cap_consistent(const usher_engine *e, const us_agent *a)
{
    bool full = a->cap_max > 0 && us_load_cap_room(e, a) == 0;
    if (a->capped != full)
        return false;
    uint64_t due = us_load_cap_due(e, a);
    return a->cap_timer == US_NONE ? due == USHER_TIME_NEVER
                                   : us_wheel_deadline(&e->wheel, a->cap_timer) == due;
}

static bool agent_timers_present(const usher_engine *e, const us_agent *a)
{
    return load_cap_consistent(e, a) && a->cooling == (a->cooldown_timer != US_NONE) &&
           idle_timer_wanted(a) == (a->idle_timer != US_NONE);
}

static bool ticket_timers_present(const usher_engine *e, const us_ticket *t)
{
    const us_queue *q = us_queue_at(e, us_queue_slot_of(e, t));
    return (t->state == USHER_TICKET_OFFERED) == (t->offer_timer != US_NONE) &&
           (t->pref_agent != US_NONE) == (t->pref_timer != US_NONE) &&
           (t->widen_next < q->step_count) == (t->widen_timer != US_NONE);
}

usher_status us_restore_timers_finish(us_restore *x)
{
    usher_engine *e = x->e;
    for (uint32_t s = 0; s < x->agents.slots; s++)
        if (us_restore_live(&x->agents, s) && !agent_timers_present(e, us_agent_at(e, s)))
            return USHER_ECORRUPT;
    for (uint32_t w = 0; w < x->works.slots; w++)
        if (us_restore_live(&x->works, w) &&
            e->agents.works[w].wrapping != (e->agents.works[w].timer != US_NONE))
            return USHER_ECORRUPT;
    for (uint32_t s = 0; s < x->tickets.slots; s++)
        if (us_restore_live(&x->tickets, s) && !ticket_timers_present(e, us_ticket_at(e, s)))
            return USHER_ECORRUPT;
    for (uint32_t s = 0; s < x->exclusions.slots; s++)
        if (us_restore_live(&x->exclusions, s) &&
            ((us_exclusion *)us_pool_at(&e->router.exclusions, s))->timer == US_NONE)
            return USHER_ECORRUPT;
    for (uint32_t s = 0; s < x->customers.slots; s++)
        if (us_restore_live(&x->customers, s) &&
            ((us_customer *)us_pool_at(&e->router.customers, s))->timer == US_NONE)
            return USHER_ECORRUPT;
    return USHER_OK;
}
