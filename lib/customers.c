/*
 * Customer records: the times of a customer id's last tickets (repeat
 * contacts) and the agent last assigned one (sticky agent). Once a queue
 * has such a rule, every ticket with a customer id is noted, and a record
 * lives while the customer has live tickets and for the longest window or
 * sticky time of any queue after its last activity; then its timer forgets
 * it, so the engine holds no customer longer than its rules need.
 */
#include "engine.h"

static us_customer *customer_at(const usher_engine *e, uint32_t slot)
{
    return (us_customer *)us_pool_at(&e->router.customers, slot);
}

uint32_t us_customer_find(const usher_engine *e, uint64_t customer_id)
{
    uint32_t slot;
    return us_idmap_find(&e->router.customer_by_id, customer_id, &slot) ? slot : US_NONE;
}

uint32_t us_customer_recent(const usher_engine *e, uint32_t slot, uint64_t window_ms)
{
    uint32_t recent = 1;
    if (slot == US_NONE)
        return recent;
    const us_customer *c = customer_at(e, slot);
    uint64_t now = us_now(e);
    for (uint32_t i = 0; i < c->count; i++) {
        uint64_t t = c->times[(c->head + i) % USHER_MAX_REPEAT_THRESHOLD];
        recent += now - t < window_ms;
    }
    return recent;
}

usher_status us_customer_prepare(usher_engine *e)
{
    usher_status st = us_pool_reserve(&e->router.customers, &e->alloc);
    return st == USHER_OK ? us_idmap_reserve(&e->router.customer_by_id, 1) : st;
}

/*
 * A record's timer is due when the record may be forgotten: keep_until once
 * the customer has no live ticket. While tickets live it is parked
 * (US_TIMER_PARKED): a ticket may live for years, and a clock jump must not
 * wake the record once per window meanwhile.
 */

/* Keeps the record at least keep_ms from now. */
static void keep(usher_engine *e, uint32_t slot)
{
    us_customer *c = customer_at(e, slot);
    c->keep_until = us_time_add(us_now(e), e->router.customer_keep_ms);
    if (c->live_tickets == 0)
        us_wheel_reschedule(&e->wheel, c->timer, c->keep_until);
}

void us_customer_need(usher_engine *e, const usher_queue_def *def)
{
    uint64_t window = def->repeat_threshold ? def->repeat_window_ms : 0;
    uint64_t need = window > def->sticky_ms ? window : def->sticky_ms;
    if (need > e->router.customer_keep_ms)
        e->router.customer_keep_ms = need;
}

void us_customer_note(usher_engine *e, uint64_t customer_id)
{
    uint32_t slot = us_customer_find(e, customer_id);
    if (slot == US_NONE) {
        slot = us_pool_take(&e->router.customers);
        us_customer *c = customer_at(e, slot);
        c->id = customer_id;
        c->last_agent_id = 0;
        c->head = c->count = 0;
        c->live_tickets = 0;
        (void)us_idmap_insert(&e->router.customer_by_id, customer_id, slot);
        (void)us_wheel_schedule(&e->wheel, us_time_add(us_now(e), e->router.customer_keep_ms),
                                US_TIMER_CUSTOMER, slot, &c->timer);
    }
    us_customer *c = customer_at(e, slot);
    if (c->count == USHER_MAX_REPEAT_THRESHOLD) { /* the oldest makes room */
        c->head = (c->head + 1) % USHER_MAX_REPEAT_THRESHOLD;
        c->count--;
    }
    c->times[(c->head + c->count++) % USHER_MAX_REPEAT_THRESHOLD] = us_now(e);
    c->live_tickets++;
    keep(e, slot);
}

void us_customer_served(usher_engine *e, uint64_t customer_id, uint64_t agent_id)
{
    uint32_t slot = customer_id ? us_customer_find(e, customer_id) : US_NONE;
    if (slot == US_NONE)
        return;
    customer_at(e, slot)->last_agent_id = agent_id;
    keep(e, slot);
}

void us_customer_ticket_ended(usher_engine *e, uint64_t customer_id)
{
    uint32_t slot = customer_id ? us_customer_find(e, customer_id) : US_NONE;
    if (slot == US_NONE)
        return;
    customer_at(e, slot)->live_tickets--;
    keep(e, slot);
}

void us_expire_customer(usher_engine *e, uint32_t timer)
{
    uint32_t slot = (uint32_t)us_wheel_data(&e->wheel, timer);
    const us_customer *c = customer_at(e, slot);
    if (c->live_tickets > 0) { /* the last one's end reschedules it */
        us_wheel_reschedule(&e->wheel, timer, US_TIMER_PARKED);
        return;
    }
    if (c->keep_until > us_now(e)) {
        us_wheel_reschedule(&e->wheel, timer, c->keep_until);
        return;
    }
    us_wheel_cancel(&e->wheel, timer);
    (void)us_idmap_erase(&e->router.customer_by_id, customer_at(e, slot)->id, NULL);
    us_pool_put(&e->router.customers, slot);
}

uint64_t us_customer_last_agent(const usher_engine *e, uint32_t slot)
{
    return slot == US_NONE ? 0 : customer_at(e, slot)->last_agent_id;
}
