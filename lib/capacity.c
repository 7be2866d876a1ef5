/* Capacity: reservations of tickets at agents, their release, wrap-ups. */
#include "engine.h"

static bool busy(const us_agent *a) { return a->active_total + a->wrapping_total > 0; }

/* Makes sure a free work slot exists; returns it without taking it. */
/* Makes sure n free work slots exist. */
static usher_status reserve_work_slots(usher_engine *e, uint32_t n)
{
    us_agents *m = &e->agents;
    if (m->work_free_count >= n)
        return USHER_OK;
    size_t more = n - m->work_free_count;
    if (m->work_slots + more > USHER_MAX_OBJECTS)
        return USHER_ELIMIT;
    void *works = m->works;
    usher_status st = us_grow_array(&e->alloc, &works, &m->work_capacity, m->work_slots + more,
                                    sizeof *m->works);
    m->works = works;
    if (st != USHER_OK)
        return st;
    for (; more > 0; more--) {
        m->works[m->work_slots].next = m->work_free;
        m->work_free = (uint32_t)m->work_slots++;
        m->work_free_count++;
    }
    return USHER_OK;
}

static uint32_t take_work_slot(usher_engine *e, uint32_t agent_slot)
{
    us_agents *m = &e->agents;
    uint32_t w = m->work_free;
    m->work_free = m->works[w].next;
    m->work_free_count--;
    us_agent *a = us_agent_at(e, agent_slot);
    us_work *work = &m->works[w];
    work->agent = agent_slot;
    work->next = US_NONE;
    work->prev = a->work_tail;
    work->timer = US_NONE;
    work->routed = US_NONE;
    work->wrapping = false;
    if (a->work_tail != US_NONE)
        m->works[a->work_tail].next = w;
    else
        a->work_head = w;
    a->work_tail = w;
    return w;
}

/* Unlinks a work record from its agent, gives back its capacity and frees it. */
static void end_work(usher_engine *e, uint32_t w)
{
    us_agents *m = &e->agents;
    us_work *work = &m->works[w];
    us_agent *a = us_agent_at(e, work->agent);
    a->used -= e->channels[work->channel].def.cost;
    e->channels[work->channel].in_use--;
    if (work->prev != US_NONE)
        m->works[work->prev].next = work->next;
    else
        a->work_head = work->next;
    if (work->next != US_NONE)
        m->works[work->next].prev = work->prev;
    else
        a->work_tail = work->prev;
    work->next = m->work_free;
    m->work_free = w;
    m->work_free_count++;
}

/* Why the agent cannot take a ticket of the channel: USHER_ESTATE for its
 * state, load caps or other work in the way, USHER_ELIMIT for capacity. */
static usher_status check_can_take(const usher_engine *e, const us_agent *a, uint32_t channel)
{
    const usher_channel_def *def = &e->channels[channel].def;
    bool lone = (def->flags & USHER_CHANNEL_EXCLUSIVE) && !(def->flags & USHER_CHANNEL_INTERRUPTS);
    if (!us_agent_open_for_work(e, a) || a->exclusive_active > 0 || a->blocking_wrapups > 0 ||
        (lone && busy(a)))
        return USHER_ESTATE;
    return us_agent_room(e, a, channel) > 0 ? USHER_OK : USHER_ELIMIT;
}

usher_status us_capacity_prepare(usher_engine *e, uint32_t n)
{
    usher_status st = reserve_work_slots(e, n);
    return st == USHER_OK ? us_idmap_reserve(&e->agents.by_ticket, n) : st;
}

void us_capacity_count(usher_engine *e, uint32_t slot)
{
    us_agent_at(e, slot)->assignments_today++;
    us_load_cap_count(e, slot);
    us_agent_refresh(e, slot);
}

uint32_t us_capacity_take(usher_engine *e, uint32_t slot, uint64_t ticket_id, uint32_t channel,
                          bool counted)
{
    us_agent *a = us_agent_at(e, slot);
    us_agent_count_time(e, a);
    uint32_t w = take_work_slot(e, slot);
    us_work *work = &e->agents.works[w];
    work->ticket = ticket_id;
    work->started = us_now(e);
    work->channel = (uint8_t)channel;
    a->active[channel]++;
    a->active_total++;
    a->used += e->channels[channel].def.cost;
    if (e->channels[channel].def.flags & USHER_CHANNEL_EXCLUSIVE)
        a->exclusive_active++;
    e->channels[channel].in_use++;
    (void)us_idmap_insert(&e->agents.by_ticket, ticket_id, w);
    if (counted)
        us_capacity_count(e, slot);
    else
        us_agent_refresh(e, slot);
    /* After the refresh: the signatures the agent just left need no move. */
    us_agent_set_idle_since(e, slot, us_now(e));
    return w;
}

USHER_API usher_status usher_capacity_reserve(usher_engine *e, uint64_t agent_id,
                                              uint64_t ticket_id, uint32_t channel)
{
    US_CHECK_ENGINE(e);
    if (channel >= USHER_MAX_CHANNELS)
        return USHER_EINVAL;
    uint32_t slot, held;
    usher_status st = us_agent_find(e, agent_id, &slot);
    if (st != USHER_OK)
        return st;
    if (!e->channels[channel].defined)
        return USHER_ENOTFOUND;
    if (us_idmap_find(&e->agents.by_ticket, ticket_id, &held) ||
        us_idmap_find(&e->router.ticket_by_id, ticket_id, &held))
        return USHER_EEXIST;
    st = check_can_take(e, us_agent_at(e, slot), channel);
    if (st != USHER_OK)
        return st;
    st = us_reserve(e, 1, 1);
    if (st == USHER_OK)
        st = us_capacity_prepare(e, 1);
    if (st != USHER_OK)
        return us_finish(e, st);
    (void)us_capacity_take(e, slot, ticket_id, channel, true);
    return us_finish(e, USHER_OK);
}

static void start_wrapup(usher_engine *e, us_agent *a, uint32_t w)
{
    us_work *work = &e->agents.works[w];
    const usher_channel_def *def = &e->channels[work->channel].def;
    work->wrapping = true;
    work->started = us_now(e);
    a->wrapping[work->channel]++;
    a->wrapping_total++;
    if (def->flags & USHER_CHANNEL_WRAPUP_BLOCKS_AGENT)
        a->blocking_wrapups++;
    (void)us_wheel_schedule(&e->wheel, us_time_add(us_now(e), def->wrapup_ms), US_TIMER_WRAPUP,
                            w, &work->timer);
}

#define KNOWN_RELEASE_FLAGS (USHER_RELEASE_HEAVY | USHER_RELEASE_NO_WRAPUP)

void us_capacity_end(usher_engine *e, uint32_t w, uint32_t flags)
{
    us_work *work = &e->agents.works[w];
    uint64_t ticket_id = work->ticket;
    uint32_t slot = work->agent, channel = work->channel;
    us_agent *a = us_agent_at(e, slot);
    const usher_channel_def *def = &e->channels[channel].def;
    us_agent_count_time(e, a);
    (void)us_idmap_erase(&e->agents.by_ticket, ticket_id, NULL);
    a->active[channel]--;
    a->active_total--;
    if (def->flags & USHER_CHANNEL_EXCLUSIVE)
        a->exclusive_active--;
    a->handled_ms += us_now(e) - work->started;
    if (!(flags & USHER_RELEASE_NO_WRAPUP) && def->wrapup_ms > 0)
        start_wrapup(e, a, w);
    else
        end_work(e, w);
    a->last_activity = us_now(e);
    us_agent_set_idle_since(e, slot, us_now(e));
    if (flags & USHER_RELEASE_HEAVY)
        us_load_cap_cool_down(e, slot);
    us_agent_refresh(e, slot);
}

bool us_release_flags_valid(uint32_t flags)
{
    return !(flags & ~(uint32_t)KNOWN_RELEASE_FLAGS);
}

USHER_API usher_status usher_capacity_release(usher_engine *e, uint64_t ticket_id, uint32_t flags)
{
    US_CHECK_ENGINE(e);
    if (!us_release_flags_valid(flags))
        return USHER_EINVAL;
    uint32_t w;
    if (!us_idmap_find(&e->agents.by_ticket, ticket_id, &w))
        return USHER_ENOTFOUND;
    if (e->agents.works[w].routed != US_NONE)
        return USHER_ESTATE; /* the router's ticket: usher_ticket_complete() ends it */
    usher_status st = us_reserve_for(e, 1, US_RELEASE_TIMERS,
                                     us_agent_at(e, e->agents.works[w].agent)->capacity);
    if (st != USHER_OK)
        return us_finish(e, st);
    us_capacity_end(e, w, flags);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_capacity_holder(const usher_engine *e, uint64_t ticket_id,
                                             uint64_t *agent_id, uint32_t *channel)
{
    US_CHECK_ENGINE(e);
    uint32_t w;
    if (!us_idmap_find(&e->agents.by_ticket, ticket_id, &w))
        return USHER_ENOTFOUND;
    const us_work *work = &e->agents.works[w];
    if (agent_id)
        *agent_id = us_agent_at(e, work->agent)->id;
    if (channel)
        *channel = work->channel;
    return USHER_OK;
}

void us_expire_wrapup(usher_engine *e, uint32_t timer)
{
    uint32_t w = (uint32_t)us_wheel_data(&e->wheel, timer);
    us_work *work = &e->agents.works[w];
    uint32_t slot = work->agent, channel = work->channel;
    uint64_t ticket = work->ticket;
    us_agent *a = us_agent_at(e, slot);
    us_wheel_cancel(&e->wheel, timer);
    us_agent_count_time(e, a);
    a->wrapping[channel]--;
    a->wrapping_total--;
    if (e->channels[channel].def.flags & USHER_CHANNEL_WRAPUP_BLOCKS_AGENT)
        a->blocking_wrapups--;
    a->handled_ms += us_now(e) - work->started;
    end_work(e, w);
    a->last_activity = us_now(e);
    us_agent_set_idle_since(e, slot, us_now(e));
    us_agent_event(e, USHER_EVENT_WRAPUP_ENDED, a, ticket, channel, 0);
    us_agent_refresh(e, slot);
}

void us_capacity_drop_agent(usher_engine *e, uint32_t slot)
{
    us_agent *a = us_agent_at(e, slot);
    while (a->work_head != US_NONE) {
        uint32_t w = a->work_head;
        us_work *work = &e->agents.works[w];
        if (work->wrapping) {
            us_wheel_cancel(&e->wheel, work->timer);
        } else if (work->routed != US_NONE) {
            us_route_requeue(e, w, USHER_RETURN_REMOVED); /* ends the work */
            continue;
        } else {
            (void)us_idmap_erase(&e->agents.by_ticket, work->ticket, NULL);
            us_agent_event(e, USHER_EVENT_WORK_RETURNED, a, work->ticket, work->channel,
                           USHER_RETURN_REMOVED);
        }
        end_work(e, w);
    }
    uint32_t *timers[] = {&a->cap_timer, &a->cooldown_timer, &a->idle_timer};
    for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
        if (*timers[i] != US_NONE)
            us_wheel_cancel(&e->wheel, *timers[i]);
        *timers[i] = US_NONE;
    }
}
