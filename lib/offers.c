/*
 * Offers (USHER_ASSIGN_OFFER queues): the agent's capacity is held for the
 * ticket while the offer waits for an answer; a token makes each offer a
 * lease; a rejection or expiry keeps the agent from the ticket for the
 * queue's cool-down through an exclusion with its own timer.
 */
#include "engine.h"

static us_exclusion *exclusion_at(const usher_engine *e, uint32_t slot)
{
    return (us_exclusion *)us_pool_at(&e->router.exclusions, slot);
}

static const us_queue *queue_of(const usher_engine *e, const us_ticket *t)
{
    return us_queue_at(e, us_queue_slot_of(e, t));
}

bool us_ticket_excludes(const usher_engine *e, const us_ticket *t, uint32_t agent)
{
    uint64_t id = us_agent_at(e, agent)->id;
    for (uint32_t x = t->exclusions; x != US_NONE; x = exclusion_at(e, x)->next)
        if (exclusion_at(e, x)->agent_id == id)
            return true;
    return false;
}

static void offer_event(usher_engine *e, int32_t type, const us_ticket *t, uint64_t agent_id,
                        int64_t value)
{
    usher_event event = {0};
    event.type = type;
    event.time_ms = us_now(e);
    event.ticket_id = t->id;
    event.agent_id = agent_id;
    event.offer_token = t->offer_token;
    event.value = value;
    us_events_push(e, &event);
}

void us_offer_make(usher_engine *e, uint32_t ticket, uint32_t agent)
{
    us_ticket *t = us_ticket_at(e, ticket);
    us_queue *q = us_queue_at(e, us_queue_slot_of(e, t));
    uint32_t channel = e->index.sigs[us_bucket_at(e, t->buckets[US_FILED_MAIN])->sig].channel;
    us_agent_at(e, agent)->offers_out++; /* before the reservation re-checks eligibility */
    t->work = us_capacity_take(e, agent, t->id, channel, false);
    e->agents.works[t->work].routed = ticket;
    t->state = USHER_TICKET_OFFERED;
    t->offer_token = ++e->router.offer_seq;
    uint64_t expires = us_time_add(us_now(e), q->def.offer_timeout_ms);
    (void)us_wheel_schedule(&e->wheel, expires, US_TIMER_OFFER, ticket, &t->offer_timer);
    q->stats.offered++;
    offer_event(e, USHER_EVENT_TICKET_OFFERED, t, us_agent_at(e, agent)->id, (int64_t)expires);
}

/* Keeps the agent from the ticket for the queue's cool-down (an
 * exclusion record and a wheel node reserved). */
static void exclude(usher_engine *e, uint32_t ticket, uint64_t agent_id)
{
    us_ticket *t = us_ticket_at(e, ticket);
    uint64_t cooldown = queue_of(e, t)->def.reject_cooldown_ms;
    if (cooldown == 0)
        return;
    uint32_t x = us_pool_take(&e->router.exclusions);
    us_exclusion *ex = exclusion_at(e, x);
    ex->ticket = ticket;
    ex->agent_id = agent_id;
    ex->next = t->exclusions;
    t->exclusions = x;
    (void)us_wheel_schedule(&e->wheel, us_time_add(us_now(e), cooldown), US_TIMER_EXCLUSION, x,
                            &ex->timer);
}

static void unlink_exclusion(usher_engine *e, uint32_t x)
{
    us_exclusion *ex = exclusion_at(e, x);
    us_ticket *t = us_ticket_at(e, ex->ticket);
    uint32_t *link = &t->exclusions;
    while (*link != x)
        link = &exclusion_at(e, *link)->next;
    *link = ex->next;
    us_pool_put(&e->router.exclusions, x);
}

void us_offer_forget(usher_engine *e, uint32_t ticket)
{
    us_ticket *t = us_ticket_at(e, ticket);
    while (t->exclusions != US_NONE) {
        us_wheel_cancel(&e->wheel, exclusion_at(e, t->exclusions)->timer);
        unlink_exclusion(e, t->exclusions);
    }
}

/* The offered agent turned the ticket down, by answer or by silence. */
static void decline(usher_engine *e, uint32_t ticket, uint32_t agent)
{
    uint64_t agent_id = us_agent_at(e, agent)->id;
    us_route_unassign(e, ticket);
    exclude(e, ticket, agent_id);
    us_route_mark_ticket(e, ticket);
}

/* Finds the offered ticket for an answer: the usual lookups, then
 * USHER_ESTATE if it is not offered and USHER_ETOKEN for another token. */
static usher_status find_offer(const usher_engine *e, uint64_t ticket_id, uint64_t token,
                               uint32_t *slot)
{
    usher_status st = us_ticket_find(e, ticket_id, slot);
    if (st != USHER_OK)
        return st;
    const us_ticket *t = us_ticket_at(e, *slot);
    if (t->state != USHER_TICKET_OFFERED)
        return USHER_ESTATE;
    return token == t->offer_token ? USHER_OK : USHER_ETOKEN;
}

USHER_API usher_status usher_offer_accept(usher_engine *e, uint64_t ticket_id, uint64_t token)
{
    US_CHECK_ENGINE(e);
    uint32_t slot;
    usher_status st = find_offer(e, ticket_id, token, &slot);
    if (st != USHER_OK)
        return st;
    /* Events: the assignment, a load cap reached; a timer: the load cap. */
    st = us_reserve(e, 2, 1);
    if (st != USHER_OK)
        return us_finish(e, st);
    us_ticket *t = us_ticket_at(e, slot);
    uint32_t agent = e->agents.works[t->work].agent;
    us_wheel_cancel(&e->wheel, t->offer_timer);
    t->offer_timer = US_NONE;
    us_agent_at(e, agent)->missed_offers = 0;
    us_agent_at(e, agent)->offers_out--;
    us_capacity_count(e, agent);
    us_route_confirm(e, slot, agent);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_offer_reject(usher_engine *e, uint64_t ticket_id, uint64_t token)
{
    US_CHECK_ENGINE(e);
    uint32_t slot;
    usher_status st = find_offer(e, ticket_id, token, &slot);
    if (st != USHER_OK)
        return st;
    /* Timers: the exclusion's, and what freeing capacity may schedule. */
    uint32_t agent = e->agents.works[us_ticket_at(e, slot)->work].agent;
    st = us_reserve_for(e, 1, 1 + US_RELEASE_TIMERS, us_agent_at(e, agent)->capacity);
    if (st == USHER_OK)
        st = us_pool_reserve(&e->router.exclusions, &e->alloc);
    if (st != USHER_OK)
        return us_finish(e, st);
    us_ticket *t = us_ticket_at(e, slot);
    us_agent_at(e, agent)->missed_offers = 0;
    us_queue_at(e, us_queue_slot_of(e, t))->stats.offers_rejected++;
    offer_event(e, USHER_EVENT_OFFER_REJECTED, t, us_agent_at(e, agent)->id, 0);
    decline(e, slot, agent);
    return us_finish(e, USHER_OK);
}

void us_expire_offer(usher_engine *e, uint32_t timer)
{
    uint32_t slot = (uint32_t)us_wheel_data(&e->wheel, timer);
    us_ticket *t = us_ticket_at(e, slot);
    us_queue *q = us_queue_at(e, us_queue_slot_of(e, t));
    uint32_t agent = e->agents.works[t->work].agent;
    us_agent *a = us_agent_at(e, agent);
    uint64_t missed = ++a->missed_offers;
    q->stats.offers_expired++;
    offer_event(e, USHER_EVENT_OFFER_EXPIRED, t, a->id, (int64_t)missed);
    decline(e, slot, agent);
    if (q->def.max_missed_offers > 0 && missed >= q->def.max_missed_offers &&
        a->state == USHER_AGENT_AVAILABLE)
        us_agent_change_state(e, agent, USHER_AGENT_AWAY, USHER_AWAY_NO_ANSWER);
}

void us_expire_exclusion(usher_engine *e, uint32_t timer)
{
    uint32_t x = (uint32_t)us_wheel_data(&e->wheel, timer);
    uint32_t ticket = exclusion_at(e, x)->ticket;
    us_wheel_cancel(&e->wheel, timer);
    unlink_exclusion(e, x);
    if (us_ticket_at(e, ticket)->state == USHER_TICKET_WAITING)
        us_route_mark_ticket(e, ticket); /* the agent may take it now */
}
