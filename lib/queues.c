/* Queues: definitions, statistics; the router's setup and teardown. */
#include "engine.h"

#include <stddef.h>
#include <string.h>

void us_router_init(us_router *r, const us_alloc *alloc, uint64_t seed)
{
    memset(r, 0, sizeof *r);
    us_pool_init(&r->queues, sizeof(us_queue), offsetof(us_queue, next_free));
    us_pool_init(&r->buckets, sizeof(us_bucket), offsetof(us_bucket, next_free));
    us_pool_init(&r->tickets, sizeof(us_ticket), offsetof(us_ticket, next_free));
    us_pool_init(&r->exclusions, sizeof(us_exclusion), offsetof(us_exclusion, next_free));
    us_pool_init(&r->customers, sizeof(us_customer), offsetof(us_customer, next_free));
    us_idmap_init(&r->customer_by_id, alloc, seed ^ 6);
    us_idmap_init(&r->queue_by_id, alloc, seed ^ 3);
    us_idmap_init(&r->bucket_by_key, alloc, seed ^ 4);
    us_idmap_init(&r->ticket_by_id, alloc, seed ^ 5);
    r->dirty_agents = r->dirty_tickets = US_NONE;
}

void us_router_free(usher_engine *e)
{
    us_router *r = &e->router;
    for (uint32_t slot = 0; slot < r->tickets.slots; slot++)
        us_free(&e->alloc, us_ticket_at(e, slot)->prefs);
    us_router_free_buckets(e);
    us_pool_free(&r->queues, &e->alloc);
    us_pool_free(&r->buckets, &e->alloc);
    us_pool_free(&r->tickets, &e->alloc);
    us_pool_free(&r->exclusions, &e->alloc);
    us_pool_free(&r->customers, &e->alloc);
    us_idmap_free(&r->customer_by_id);
    us_idmap_free(&r->queue_by_id);
    us_idmap_free(&r->bucket_by_key);
    us_idmap_free(&r->ticket_by_id);
}

usher_status us_queue_find(const usher_engine *e, uint32_t queue_id, uint32_t *slot)
{
    return us_idmap_find(&e->router.queue_by_id, queue_id, slot) ? USHER_OK : USHER_ENOTFOUND;
}

USHER_API void usher_queue_def_init(usher_queue_def *def)
{
    if (!def)
        return;
    memset(def, 0, sizeof *def);
    def->struct_size = sizeof *def;
    def->strategy = USHER_STRATEGY_LONGEST_IDLE;
    def->ageing_rate = 1000;
    def->service_level_ms = 20000;
    def->assign_mode = USHER_ASSIGN_DIRECT;
    def->max_missed_offers = 3;
    def->offer_timeout_ms = 20000;
    def->reject_cooldown_ms = 60000;
    def->order = USHER_ORDER_PRIORITY;
    def->sl_window_ms = 3600000;
}


static bool repeat_valid(const usher_queue_def *def)
{
    if (def->repeat_threshold == 0)
        return def->repeat_flags == 0;
    return def->repeat_threshold >= 2 && def->repeat_threshold <= USHER_MAX_REPEAT_THRESHOLD &&
           def->repeat_window_ms >= 1 && def->repeat_window_ms <= 90 * US_DAY_MS &&
           !(def->repeat_flags & ~(uint32_t)(USHER_REPEAT_RAISE_TIER | USHER_REPEAT_MOVE_QUEUE)) &&
           def->repeat_tier < USHER_MAX_TIERS;
}

bool us_queue_def_valid(const usher_queue_def *def)
{
    if (def->struct_size < sizeof *def || def->strategy > USHER_STRATEGY_RANDOM ||
        def->ageing_rate > USHER_MAX_AGEING_RATE || def->reserved != 0 ||
        def->service_level_ms > USHER_TIME_MAX || def->assign_mode > USHER_ASSIGN_OFFER ||
        def->offer_timeout_ms < 1 || def->offer_timeout_ms > US_DAY_MS ||
        def->reject_cooldown_ms > US_DAY_MS || def->sticky_ms > US_DAY_MS || !repeat_valid(def) ||
        def->order > USHER_ORDER_SLA_DEADLINE || def->reserved2 != 0 ||
        def->sl_window_ms < 60000 || def->sl_window_ms > 7 * US_DAY_MS || def->sl_window_ms % 60)
        return false;
    for (uint32_t t = 0; t < USHER_MAX_TIERS; t++)
        if (def->tier_weight[t] > USHER_MAX_PRIORITY)
            return false;
    return true;
}

USHER_API usher_status usher_queue_add(usher_engine *e, uint32_t queue_id,
                                       const usher_queue_def *def)
{
    US_CHECK_ENGINE(e);
    if (!def || !us_queue_def_valid(def))
        return USHER_EINVAL;
    uint32_t slot;
    if (us_queue_find(e, queue_id, &slot) == USHER_OK)
        return USHER_EEXIST;
    usher_status st = us_pool_reserve(&e->router.queues, &e->alloc);
    if (st == USHER_OK)
        st = us_idmap_reserve(&e->router.queue_by_id, 1);
    if (st != USHER_OK)
        return us_finish(e, st);
    slot = us_pool_take(&e->router.queues);
    us_queue *q = us_queue_at(e, slot);
    memset(q, 0, sizeof *q);
    q->id = queue_id;
    q->def = *def;
    q->def.struct_size = sizeof q->def;
    q->buckets = US_NONE;
    (void)us_idmap_insert(&e->router.queue_by_id, queue_id, slot);
    us_customer_need(e, &q->def);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_queue_remove(usher_engine *e, uint32_t queue_id)
{
    US_CHECK_ENGINE(e);
    uint32_t slot;
    usher_status st = us_queue_find(e, queue_id, &slot);
    if (st != USHER_OK)
        return st;
    if (us_queue_at(e, slot)->live_tickets > 0)
        return USHER_ESTATE;
    us_bucket_drop_queue(e, slot);
    (void)us_idmap_erase(&e->router.queue_by_id, queue_id, NULL);
    us_pool_put(&e->router.queues, slot);
    return us_finish(e, USHER_OK);
}

/* ---- the rolling service level: 60 slots of sl_window_ms / 60 -------------------------- */

static uint64_t slot_of(const us_queue *q, uint64_t t) { return t / (q->def.sl_window_ms / 60); }

void us_queue_count_answer(usher_engine *e, us_queue *q, bool in_sl)
{
    uint64_t now = slot_of(q, us_now(e));
    if (now > q->ring_slot) { /* slots that passed hold nothing yet */
        uint64_t gap = now - q->ring_slot < 60 ? now - q->ring_slot : 60;
        for (uint64_t i = 1; i <= gap; i++) {
            q->ring_answered[(q->ring_slot + i) % 60] = 0;
            q->ring_in_sl[(q->ring_slot + i) % 60] = 0;
        }
        q->ring_slot = now;
    }
    q->ring_answered[now % 60]++;
    q->ring_in_sl[now % 60] += in_sl;
}

static void window_counts(const usher_engine *e, const us_queue *q, usher_queue_stats *out)
{
    uint64_t now = slot_of(q, us_now(e));
    for (uint64_t i = 0; i < 60 && i <= q->ring_slot; i++) {
        uint64_t s = q->ring_slot - i;
        if (s + 60 > now) { /* within the last 60 slots */
            out->window_answered += q->ring_answered[s % 60];
            out->window_answered_in_sl += q->ring_in_sl[s % 60];
        }
    }
}

/* Waiting tickets of the queue, and the age of the oldest. */
static void count_waiting(const usher_engine *e, const us_queue *q, usher_queue_stats *out)
{
    uint64_t oldest = UINT64_MAX;
    for (uint32_t b = q->buckets; b != US_NONE; b = us_bucket_at(e, b)->queue_next) {
        for (size_t i = 0; i < us_bucket_at(e, b)->size; i++) {
            bool main;
            uint32_t ticket = us_bucket_ticket(e, b, i, &main);
            if (!main)
                continue; /* a widened ticket counts once, in its own bucket */
            out->waiting++;
            uint64_t created = us_ticket_at(e, ticket)->created;
            oldest = created < oldest ? created : oldest;
        }
    }
    out->longest_wait_ms = out->waiting > 0 && us_now(e) > oldest ? us_now(e) - oldest : 0;
}

USHER_API usher_status usher_queue_get_stats(const usher_engine *e, uint32_t queue_id,
                                             usher_queue_stats *stats)
{
    US_CHECK_ENGINE(e);
    if (!stats)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_queue_find(e, queue_id, &slot);
    if (st != USHER_OK)
        return st;
    const us_queue *q = us_queue_at(e, slot);
    usher_queue_stats out = q->stats;
    out.struct_size = sizeof out;
    out.waiting = 0;
    count_waiting(e, q, &out);
    window_counts(e, q, &out);
    return us_copy_out(stats, &out, sizeof out, sizeof out);
}

USHER_API usher_status usher_queue_reset_stats(usher_engine *e, uint32_t queue_id)
{
    US_CHECK_ENGINE(e);
    uint32_t slot;
    usher_status st = us_queue_find(e, queue_id, &slot);
    if (st != USHER_OK)
        return st;
    us_queue *q = us_queue_at(e, slot);
    memset(&q->stats, 0, sizeof q->stats);
    memset(q->ring_answered, 0, sizeof q->ring_answered);
    memset(q->ring_in_sl, 0, sizeof q->ring_in_sl);
    return us_finish(e, USHER_OK);
}
