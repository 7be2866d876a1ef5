/*
 * Buckets: the waiting tickets of one queue and one signature, in a heap
 * ordered by effective priority (see router.h and usher.h "Queues").
 *
 * Within a queue the order of two tickets does not change as they wait:
 * both gain ageing_rate per second, so the difference of their effective
 * priorities is fixed. That makes a plain binary heap exact, with O(log n)
 * push and removal and O(1) top.
 */
#include "engine.h"
#include "heapsearch.h"

#include <string.h>

/* Effective priorities are compared exactly, in micro-points:
 * 10^6 * (priority + tier weight) + ageing_rate * age_ms reaches 2^83, so
 * it is held in 128 bits made of two 64-bit halves (portable C11). */
typedef struct wide {
    uint64_t hi, lo;
} wide;

static wide add_small(wide x, uint64_t y)
{
    uint64_t lo = x.lo + y;
    return (wide){x.hi + (lo < x.lo), lo};
}

/* rate < 2^32 times age < 2^64. */
static wide multiply(uint64_t rate, uint64_t age)
{
    uint64_t low = rate * (age & 0xffffffffu), high = rate * (age >> 32);
    wide product = {high >> 32, high << 32};
    return add_small(product, low);
}

static int compare_wide(wide x, wide y)
{
    if (x.hi != y.hi)
        return x.hi < y.hi ? -1 : 1;
    return (x.lo > y.lo) - (x.lo < y.lo);
}

static wide urgency_at(const us_queue *q, const us_ticket *t, uint64_t now)
{
    uint64_t base = (uint64_t)t->priority + q->def.tier_weight[t->tier];
    uint64_t age = now > t->created ? now - t->created : 0;
    return add_small(multiply(q->def.ageing_rate, age), 1000000 * base);
}

int64_t us_ticket_urgency(const usher_engine *e, const us_ticket *t)
{
    const us_queue *q = us_queue_at(e, us_queue_slot_of(e, t));
    wide u = urgency_at(q, t, us_now(e));
    /* Divided by 1000, digit by digit in base 2^32: u.hi < 2^20. */
    uint64_t upper = (u.hi << 32 | u.lo >> 32) / 1000;
    uint64_t rest = (u.hi << 32 | u.lo >> 32) % 1000;
    uint64_t lower = (rest << 32 | (u.lo & 0xffffffffu)) / 1000;
    if (upper >> 31 != 0) /* the quotient would not fit in int64_t */
        return INT64_MAX;
    return (int64_t)(upper << 32 | lower);
}

/* Within one queue: measured at the later creation time, which gives the
 * same order as at any later time (both tickets age at the same rate), so
 * the heap stays valid as time passes. */
static bool same_queue_before(const us_queue *q, const us_ticket *x, const us_ticket *y)
{
    if (q->def.order == USHER_ORDER_SLA_DEADLINE) {
        if (x->sla_due != y->sla_due)
            return x->sla_due < y->sla_due;
        return x->seq < y->seq;
    }
    uint64_t then = x->created > y->created ? x->created : y->created;
    int order = compare_wide(urgency_at(q, x, then), urgency_at(q, y, then));
    if (order != 0)
        return order > 0;
    return x->seq < y->seq;
}

bool us_ticket_before(const usher_engine *e, uint32_t x, uint32_t y)
{
    const us_ticket *a = us_ticket_at(e, x), *b = us_ticket_at(e, y);
    uint32_t qa = us_queue_slot_of(e, a), qb = us_queue_slot_of(e, b);
    if (qa == qb)
        return same_queue_before(us_queue_at(e, qa), a, b);
    bool by_deadline = us_queue_at(e, qa)->def.order == USHER_ORDER_SLA_DEADLINE &&
                       us_queue_at(e, qb)->def.order == USHER_ORDER_SLA_DEADLINE;
    if (by_deadline && a->sla_due != b->sla_due)
        return a->sla_due < b->sla_due;
    if (by_deadline)
        return a->seq < b->seq;
    int order = compare_wide(urgency_at(us_queue_at(e, qa), a, us_now(e)),
                             urgency_at(us_queue_at(e, qb), b, us_now(e)));
    if (order != 0)
        return order > 0;
    return a->seq < b->seq;
}

/* ---- the heap ----------------------------------------------------------------
 *
 * A heap entry is a filing: ticket slot * 2 + k, with k = US_FILED_MAIN for
 * the ticket's own bucket and US_FILED_OVERFLOW for its overflow group's
 * (a widened ticket waits in both). */

static uint32_t filing(uint32_t ticket, uint32_t k) { return ticket * 2 + k; }
static uint32_t ticket_of(uint32_t entry) { return entry / 2; }

static bool heap_before(const usher_engine *e, const us_bucket *b, uint32_t x, uint32_t y)
{
    return same_queue_before(us_queue_at(e, b->queue), us_ticket_at(e, ticket_of(x)),
                             us_ticket_at(e, ticket_of(y)));
}

static void put(usher_engine *e, us_bucket *b, size_t pos, uint32_t entry)
{
    b->heap[pos] = entry;
    us_ticket_at(e, ticket_of(entry))->heap_pos[entry % 2] = (uint32_t)pos;
}

static void sift_up(usher_engine *e, us_bucket *b, size_t pos)
{
    uint32_t ticket = b->heap[pos];
    while (pos > 0) {
        size_t parent = (pos - 1) / 2;
        if (!heap_before(e, b, ticket, b->heap[parent]))
            break;
        put(e, b, pos, b->heap[parent]);
        pos = parent;
    }
    put(e, b, pos, ticket);
}

static void sift_down(usher_engine *e, us_bucket *b, size_t pos)
{
    uint32_t ticket = b->heap[pos];
    for (;;) {
        size_t child = 2 * pos + 1;
        if (child >= b->size)
            break;
        if (child + 1 < b->size && heap_before(e, b, b->heap[child + 1], b->heap[child]))
            child++;
        if (!heap_before(e, b, b->heap[child], ticket))
            break;
        put(e, b, pos, b->heap[child]);
        pos = child;
    }
    put(e, b, pos, ticket);
}

static void resift(usher_engine *e, us_bucket *b, size_t pos)
{
    if (pos > 0 && heap_before(e, b, b->heap[pos], b->heap[(pos - 1) / 2]))
        sift_up(e, b, pos);
    else
        sift_down(e, b, pos);
}

void us_bucket_push_filing(usher_engine *e, uint32_t ticket, uint32_t k)
{
    us_bucket *b = us_bucket_at(e, us_ticket_at(e, ticket)->buckets[k]);
    b->heap[b->size] = filing(ticket, k);
    sift_up(e, b, b->size++);
    e->index.sigs[b->sig].waiting++;
}

void us_bucket_remove_filing(usher_engine *e, uint32_t ticket, uint32_t k)
{
    us_ticket *t = us_ticket_at(e, ticket);
    us_bucket *b = us_bucket_at(e, t->buckets[k]);
    size_t pos = t->heap_pos[k], last = --b->size;
    t->heap_pos[k] = US_NONE;
    e->index.sigs[b->sig].waiting--;
    if (pos == last)
        return;
    put(e, b, pos, b->heap[last]);
    resift(e, b, pos);
}

void us_bucket_push(usher_engine *e, uint32_t ticket)
{
    us_ticket *t = us_ticket_at(e, ticket);
    t->state = USHER_TICKET_WAITING;
    e->router.waiting++;
    for (uint32_t k = 0; k < US_FILINGS; k++)
        if (t->buckets[k] != US_NONE)
            us_bucket_push_filing(e, ticket, k);
}

void us_bucket_remove(usher_engine *e, uint32_t ticket)
{
    e->router.waiting--;
    for (uint32_t k = 0; k < US_FILINGS; k++)
        if (us_ticket_at(e, ticket)->heap_pos[k] != US_NONE)
            us_bucket_remove_filing(e, ticket, k);
}

void us_bucket_resift(usher_engine *e, uint32_t ticket)
{
    us_ticket *t = us_ticket_at(e, ticket);
    for (uint32_t k = 0; k < US_FILINGS; k++)
        if (t->heap_pos[k] != US_NONE)
            resift(e, us_bucket_at(e, t->buckets[k]), t->heap_pos[k]);
}

typedef struct top_search {
    const usher_engine *e;
    const us_bucket *b;
    uint32_t agent;
} top_search;

static bool top_before(const void *ctx, size_t x, size_t y)
{
    const top_search *s = ctx;
    return heap_before(s->e, s->b, s->b->heap[x], s->b->heap[y]);
}

static bool top_skip(const void *ctx, size_t pos)
{
    const top_search *s = ctx;
    return us_ticket_barred(s->e, us_ticket_at(s->e, ticket_of(s->b->heap[pos])), s->agent);
}

uint32_t us_bucket_top_for(const usher_engine *e, uint32_t bucket, uint32_t agent)
{
    top_search s = {e, us_bucket_at(e, bucket), agent};
    size_t pos = us_heap_first_unless(s.b->size, top_before, top_skip, &s);
    return pos == US_HEAP_NONE ? US_NONE : ticket_of(s.b->heap[pos]);
}

uint32_t us_bucket_ticket(const usher_engine *e, uint32_t bucket, size_t pos, bool *main)
{
    uint32_t entry = us_bucket_at(e, bucket)->heap[pos];
    *main = entry % 2 == US_FILED_MAIN;
    return ticket_of(entry);
}

/* ---- buckets: found or created per (queue, signature) ---------------------------- */

static uint64_t bucket_key(uint32_t queue, uint32_t sig) { return (uint64_t)queue << 32 | sig; }

static usher_status grow_heap(usher_engine *e, us_bucket *b, size_t needed)
{
    void *heap = b->heap;
    usher_status st = us_grow_array(&e->alloc, &heap, &b->capacity, needed, sizeof *b->heap);
    b->heap = heap;
    return st;
}

static void link_bucket(usher_engine *e, uint32_t slot)
{
    us_bucket *b = us_bucket_at(e, slot);
    us_sig *sig = &e->index.sigs[b->sig];
    us_queue *q = us_queue_at(e, b->queue);
    b->sig_prev = b->queue_prev = US_NONE;
    b->sig_next = sig->buckets;
    b->queue_next = q->buckets;
    if (sig->buckets != US_NONE)
        us_bucket_at(e, sig->buckets)->sig_prev = slot;
    if (q->buckets != US_NONE)
        us_bucket_at(e, q->buckets)->queue_prev = slot;
    sig->buckets = q->buckets = slot;
}

static void unlink_bucket(usher_engine *e, uint32_t slot)
{
    us_bucket *b = us_bucket_at(e, slot);
    us_sig *sig = &e->index.sigs[b->sig];
    us_queue *q = us_queue_at(e, b->queue);
    if (b->sig_prev != US_NONE)
        us_bucket_at(e, b->sig_prev)->sig_next = b->sig_next;
    else
        sig->buckets = b->sig_next;
    if (b->sig_next != US_NONE)
        us_bucket_at(e, b->sig_next)->sig_prev = b->sig_prev;
    if (b->queue_prev != US_NONE)
        us_bucket_at(e, b->queue_prev)->queue_next = b->queue_next;
    else
        q->buckets = b->queue_next;
    if (b->queue_next != US_NONE)
        us_bucket_at(e, b->queue_next)->queue_prev = b->queue_prev;
}

/* Creates the bucket; every step is reserved before anything is linked. */
static usher_status create_bucket(usher_engine *e, uint32_t queue, const us_sig_key *key,
                                  uint32_t *out)
{
    us_router *r = &e->router;
    usher_status st = us_pool_reserve(&r->buckets, &e->alloc);
    if (st == USHER_OK)
        st = us_idmap_reserve(&r->bucket_by_key, 1);
    uint32_t sig;
    if (st == USHER_OK)
        st = us_index_acquire(e, key, &sig);
    if (st != USHER_OK)
        return st;
    uint32_t slot = r->buckets.free_head;
    us_bucket *b = us_bucket_at(e, slot);
    b->heap = NULL;
    b->capacity = 0;
    st = grow_heap(e, b, 1);
    if (st != USHER_OK) {
        us_index_release(e, sig);
        return st;
    }
    (void)us_pool_take(&r->buckets);
    b->queue = queue;
    b->sig = sig;
    b->size = 0;
    b->tickets = 0;
    (void)us_idmap_insert(&r->bucket_by_key, bucket_key(queue, sig), slot);
    link_bucket(e, slot);
    *out = slot;
    return USHER_OK;
}

static void destroy_bucket(usher_engine *e, uint32_t slot)
{
    us_bucket *b = us_bucket_at(e, slot);
    uint32_t sig = b->sig;
    unlink_bucket(e, slot);
    (void)us_idmap_erase(&e->router.bucket_by_key, bucket_key(b->queue, sig), NULL);
    us_free(&e->alloc, b->heap);
    b->heap = NULL;
    us_pool_put(&e->router.buckets, slot);
    us_index_release(e, sig);
}

static uint32_t find_bucket(usher_engine *e, uint32_t queue, const us_sig_key *key)
{
    uint32_t sig, slot;
    if (!us_index_find(e, key, &sig))
        return US_NONE;
    return us_idmap_find(&e->router.bucket_by_key, bucket_key(queue, sig), &slot) ? slot
                                                                                  : US_NONE;
}

usher_status us_bucket_prepare(usher_engine *e, uint32_t queue, const us_sig_key *key,
                               uint32_t *bucket, bool *created)
{
    uint32_t slot = find_bucket(e, queue, key);
    *created = slot == US_NONE;
    if (*created) {
        usher_status st = create_bucket(e, queue, key, &slot);
        if (st != USHER_OK)
            return st;
    }
    us_bucket *b = us_bucket_at(e, slot);
    usher_status st = grow_heap(e, b, (size_t)b->tickets + 1);
    if (st != USHER_OK) {
        if (*created)
            destroy_bucket(e, slot);
        return st;
    }
    *bucket = slot;
    return USHER_OK;
}

void us_bucket_abandon(usher_engine *e, uint32_t bucket) { destroy_bucket(e, bucket); }

void us_bucket_drop_queue(usher_engine *e, uint32_t queue)
{
    while (us_queue_at(e, queue)->buckets != US_NONE)
        destroy_bucket(e, us_queue_at(e, queue)->buckets);
}

void us_route_sla_changed(usher_engine *e, uint64_t ticket_id, uint64_t due)
{
    uint32_t slot;
    if (us_ticket_find(e, ticket_id, &slot) != USHER_OK)
        return;
    us_ticket *t = us_ticket_at(e, slot);
    if (t->sla_due == due)
        return;
    t->sla_due = due;
    if (t->state == USHER_TICKET_WAITING &&
        us_queue_at(e, us_queue_slot_of(e, t))->def.order == USHER_ORDER_SLA_DEADLINE)
        us_bucket_resift(e, slot);
}

void us_bucket_drop_unused(usher_engine *e, uint32_t channel)
{
    for (uint32_t slot = 0; slot < e->router.buckets.slots; slot++) {
        const us_bucket *b = us_bucket_at(e, slot);
        if (b->heap && b->tickets == 0 && e->index.sigs[b->sig].channel == channel)
            destroy_bucket(e, slot);
    }
}

void us_router_free_buckets(usher_engine *e)
{
    us_pool *p = &e->router.buckets;
    for (uint32_t slot = 0; slot < p->slots; slot++)
        us_free(&e->alloc, us_bucket_at(e, slot)->heap);
}
