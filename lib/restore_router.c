/* Restoring queues with their buckets, tickets with their exclusions,
 * preferred agents and routing marks, and customer records (see
 * restore.h). */
#include "restore.h"

#include <stdlib.h>

/* ---- queues and buckets ------------------------------------------------------------------ */

static void read_queue_def(us_reader *r, usher_queue_def *d)
{
    d->struct_size = sizeof *d;
    d->strategy = us_get_u32(r);
    d->ageing_rate = us_get_u32(r);
    for (uint32_t t = 0; t < USHER_MAX_TIERS; t++)
        d->tier_weight[t] = us_get_u32(r);
    d->service_level_ms = us_get_u64(r);
    d->assign_mode = us_get_u32(r);
    d->max_missed_offers = us_get_u32(r);
    d->offer_timeout_ms = us_get_u64(r);
    d->reject_cooldown_ms = us_get_u64(r);
    d->repeat_threshold = us_get_u32(r);
    d->repeat_flags = us_get_u32(r);
    d->repeat_window_ms = us_get_u64(r);
    d->repeat_tier = us_get_u32(r);
    d->repeat_queue = us_get_u32(r);
    d->sticky_ms = us_get_u64(r);
    d->order = us_get_u32(r);
    d->sl_window_ms = us_get_u64(r);
}

static bool read_steps(const us_restore *x, us_reader *r, us_queue *q)
{
    q->step_count = us_get_count(r, USHER_MAX_WIDEN_STEPS, 20);
    for (uint32_t i = 0; i < q->step_count; i++) {
        usher_widen_step *step = &q->steps[i];
        step->after_ms = us_get_u64(r);
        step->action = us_get_u32(r);
        step->skill = us_get_u32(r);
        step->value = us_get_u32(r);
        uint64_t earliest = i > 0 ? q->steps[i - 1].after_ms : 0;
        if (!us_widen_step_valid(step, earliest, q->id, (uint32_t)x->e->skills.count))
            return false;
    }
    return !r->bad;
}

static void read_queue_stats(us_reader *r, us_queue *q)
{
    usher_queue_stats *s = &q->stats;
    uint64_t *counters[] = {&s->entered,   &s->answered,        &s->answered_in_sl,
                            &s->answer_wait_ms, &s->abandoned, &s->completed,
                            &s->offered,   &s->offers_rejected, &s->offers_expired};
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++)
        *counters[i] = us_get_u64(r);
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        s->sla_met[t] = us_get_u64(r);
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        s->sla_breached[t] = us_get_u64(r);
    for (uint32_t i = 0; i < 60; i++)
        q->ring_answered[i] = us_get_u64(r);
    for (uint32_t i = 0; i < 60; i++)
        q->ring_in_sl[i] = us_get_u64(r);
    q->ring_slot = us_get_u64(r);
}

static uint64_t bucket_key(uint32_t queue, uint32_t sig) { return (uint64_t)queue << 32 | sig; }

/* A bucket of the queue, next in the queue's list. */
static usher_status read_bucket(us_restore *x, us_reader *r, uint32_t queue, uint32_t *last)
{
    usher_engine *e = x->e;
    uint32_t slot = us_get_u32(r), sig = us_get_u32(r), found;
    if (r->bad || !us_restore_claim(&x->buckets, slot) || !us_restore_live(&x->sigs, sig) ||
        e->index.sigs[sig].strategy != us_queue_at(e, queue)->def.strategy ||
        us_idmap_find(&e->router.bucket_by_key, bucket_key(queue, sig), &found))
        return USHER_ECORRUPT; /* a bucket twice, or of another strategy's signature */
    usher_status st = us_idmap_reserve(&e->router.bucket_by_key, 1);
    if (st != USHER_OK)
        return st;
    (void)us_idmap_insert(&e->router.bucket_by_key, bucket_key(queue, sig), slot);
    us_bucket *b = us_bucket_at(e, slot);
    b->queue = queue;
    b->sig = sig;
    b->queue_prev = *last;
    b->queue_next = b->sig_prev = b->sig_next = US_NONE;
    if (*last == US_NONE)
        us_queue_at(e, queue)->buckets = slot;
    else
        us_bucket_at(e, *last)->queue_next = slot;
    *last = slot;
    e->index.sigs[sig].refs++; /* buckets are a signature's only users */
    return USHER_OK;
}

static usher_status read_queue(us_restore *x, us_reader *r, uint32_t slot)
{
    usher_engine *e = x->e;
    us_queue *q = us_queue_at(e, slot);
    uint32_t found;
    q->id = us_get_u32(r);
    read_queue_def(r, &q->def);
    q->buckets = US_NONE;
    if (r->bad || !us_queue_def_valid(&q->def) || !read_steps(x, r, q) ||
        us_idmap_find(&e->router.queue_by_id, q->id, &found))
        return USHER_ECORRUPT;
    read_queue_stats(r, q);
    usher_status st = us_idmap_reserve(&e->router.queue_by_id, 1);
    if (st != USHER_OK)
        return st;
    (void)us_idmap_insert(&e->router.queue_by_id, q->id, slot);
    uint32_t n = us_get_count(r, x->buckets.slots, 8), last = US_NONE;
    for (uint32_t i = 0; st == USHER_OK && i < n; i++)
        st = read_bucket(x, r, slot, &last);
    return st;
}

/* Each live signature's buckets, in its list's order: every bucket of the
 * signature exactly once. */
static usher_status read_sig_buckets(us_restore *x, us_reader *r, uint32_t s)
{
    usher_engine *e = x->e;
    us_sig *sig = &e->index.sigs[s];
    uint32_t n = us_get_count(r, sig->refs, 4), last = US_NONE;
    if (r->bad || n != sig->refs || n == 0)
        return USHER_ECORRUPT; /* a signature no bucket uses */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot = us_get_u32(r);
        if (slot >= x->buckets.slots || x->buckets.mark[slot] != SLOT_CLAIMED ||
            us_bucket_at(e, slot)->sig != s)
            return USHER_ECORRUPT;
        x->buckets.mark[slot] = SLOT_LISTED;
        us_bucket *b = us_bucket_at(e, slot);
        b->sig_prev = last;
        if (last == US_NONE)
            sig->buckets = slot;
        else
            us_bucket_at(e, last)->sig_next = slot;
        last = slot;
    }
    return USHER_OK;
}

usher_status us_restore_queues(us_restore *x, us_reader *r)
{
    us_router *router = &x->e->router;
    usher_status st = us_restore_slots(x, r, &x->queues, 4 + 116 + 4 + 1104 + 4);
    if (st == USHER_OK)
        st = us_restore_slots(x, r, &x->buckets, 8);
    if (st == USHER_OK)
        st = us_pool_restore(&router->queues, &x->e->alloc, x->queues.slots,
                             x->queues.free_list, x->queues.free_count);
    if (st == USHER_OK)
        st = us_pool_restore(&router->buckets, &x->e->alloc, x->buckets.slots,
                             x->buckets.free_list, x->buckets.free_count);
    for (uint32_t q = 0; st == USHER_OK && q < x->queues.slots; q++)
        if (us_restore_live(&x->queues, q))
            st = read_queue(x, r, q);
    for (uint32_t s = 0; st == USHER_OK && s < x->sigs.slots; s++)
        if (us_restore_live(&x->sigs, s))
            st = read_sig_buckets(x, r, s);
    for (uint32_t b = 0; st == USHER_OK && b < x->buckets.slots; b++)
        if (x->buckets.mark[b] == SLOT_LIVE)
            st = USHER_ECORRUPT; /* a live bucket of no queue */
    return st;
}

/* ---- tickets ------------------------------------------------------------------------------------ */

static const us_sig *sig_of_bucket(const usher_engine *e, uint32_t bucket)
{
    return &e->index.sigs[us_bucket_at(e, bucket)->sig];
}

/* Where a ticket is filed: its own bucket, and an overflow group's of the
 * same queue and channel once widened. */
static bool read_filings(const us_restore *x, us_reader *r, us_ticket *t)
{
    const usher_engine *e = x->e;
    uint32_t main = t->buckets[US_FILED_MAIN] = us_get_u32(r);
    uint32_t extra = t->buckets[US_FILED_OVERFLOW] = us_get_u32(r);
    if (!us_restore_live(&x->buckets, main))
        return false;
    if (extra == US_NONE)
        return true;
    return us_restore_live(&x->buckets, extra) && extra != main &&
           us_bucket_at(e, extra)->queue == us_bucket_at(e, main)->queue &&
           sig_of_bucket(e, extra)->channel == sig_of_bucket(e, main)->channel;
}

/* An offered or assigned ticket holds its capacity in a work record of the
 * same ticket id that no other ticket holds; a waiting one holds none. */
static bool read_holding(us_restore *x, us_reader *r, uint32_t slot, us_ticket *t)
{
    usher_engine *e = x->e;
    uint32_t held;
    bool holds = us_idmap_find(&e->agents.by_ticket, t->id, &held);
    t->work = us_get_u32(r);
    if (t->state == USHER_TICKET_WAITING)
        return t->work == US_NONE && !holds && t->offer_token == 0;
    if (!holds || held != t->work || e->agents.works[held].routed != US_NONE)
        return false;
    us_work *work = &e->agents.works[held];
    if (work->channel != sig_of_bucket(e, t->buckets[US_FILED_MAIN])->channel)
        return false;
    work->routed = slot;
    if (t->state == USHER_TICKET_ASSIGNED)
        return t->offer_token == 0;
    us_agent_at(e, work->agent)->offers_out++;
    return t->offer_token >= 1 && t->offer_token <= e->router.offer_seq;
}

static usher_status read_exclusions(us_restore *x, us_reader *r, uint32_t slot, us_ticket *t)
{
    uint32_t n = us_get_count(r, x->exclusions.slots, 12);
    uint32_t *link = &t->exclusions;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t xs = us_get_u32(r);
        if (!us_restore_claim(&x->exclusions, xs))
            return USHER_ECORRUPT;
        us_exclusion *ex = us_pool_at(&x->e->router.exclusions, xs);
        ex->ticket = slot;
        ex->agent_id = us_get_u64(r);
        ex->timer = ex->next = US_NONE;
        *link = xs;
        link = &ex->next;
    }
    return USHER_OK;
}

static usher_status read_prefs(us_restore *x, us_reader *r, us_ticket *t)
{
    t->pref_count = us_get_u8(r);
    if (t->pref_count > USHER_MAX_TICKET_SKILLS)
        return USHER_ECORRUPT;
    if (t->pref_count > 0 &&
        !(t->prefs = us_malloc(&x->e->alloc, t->pref_count * sizeof *t->prefs)))
        return USHER_ENOMEM;
    return us_restore_skill_entries(x, r, t->prefs, t->pref_count, USHER_MAX_PREFERENCE_WEIGHT)
               ? USHER_OK
               : USHER_ECORRUPT;
}

static void read_ticket_fields(us_reader *r, us_ticket *t)
{
    t->id = us_get_u64(r);
    t->customer = us_get_u64(r);
    t->created = us_get_u64(r);
    t->seq = us_get_u64(r);
    t->assigned_at = us_get_u64(r);
    t->sla_due = us_get_u64(r);
    t->offer_token = us_get_u64(r);
    t->priority = us_get_u16(r);
    t->tier = us_get_u8(r);
    t->state = us_get_u8(r);
    t->answered = us_get_bool(r);
    t->remembered = us_get_bool(r);
    t->widen_next = us_get_u8(r);
}

static bool ticket_fields_valid(const us_restore *x, const us_ticket *t)
{
    uint32_t found;
    return t->priority <= USHER_MAX_PRIORITY && t->tier < USHER_MAX_TIERS &&
           t->state >= USHER_TICKET_WAITING && t->state <= USHER_TICKET_OFFERED &&
           us_restore_past(x, t->created) && us_restore_past(x, t->assigned_at) && t->seq >= 1 &&
           t->seq <= x->e->router.submit_seq && (!t->remembered || t->customer != 0) &&
           !us_idmap_find(&x->e->router.ticket_by_id, t->id, &found);
}

/* Counts the ticket where it is filed (what tickets.c keeps). */
static void file_ticket(usher_engine *e, const us_ticket *t)
{
    us_bucket *b = us_bucket_at(e, t->buckets[US_FILED_MAIN]);
    b->tickets++;
    us_queue_at(e, b->queue)->live_tickets++;
    if (t->buckets[US_FILED_OVERFLOW] != US_NONE)
        us_bucket_at(e, t->buckets[US_FILED_OVERFLOW])->tickets++;
}

static usher_status read_ticket(us_restore *x, us_reader *r, uint32_t slot)
{
    usher_engine *e = x->e;
    us_ticket *t = us_ticket_at(e, slot);
    t->heap_pos[US_FILED_MAIN] = t->heap_pos[US_FILED_OVERFLOW] = US_NONE;
    t->exclusions = t->offer_timer = t->widen_timer = US_NONE;
    t->pref_agent = t->pref_timer = US_NONE;
    t->pref_link = t->dirty_link = (us_link){US_NONE, US_NONE};
    read_ticket_fields(r, t);
    if (r->bad || !ticket_fields_valid(x, t) || !read_filings(x, r, t) ||
        !read_holding(x, r, slot, t))
        return USHER_ECORRUPT;
    if (t->widen_next > us_queue_at(e, us_queue_slot_of(e, t))->step_count)
        return USHER_ECORRUPT;
    usher_status st = read_prefs(x, r, t);
    if (st == USHER_OK)
        st = read_exclusions(x, r, slot, t);
    if (st == USHER_OK)
        st = us_idmap_reserve(&e->router.ticket_by_id, 1);
    if (st != USHER_OK)
        return st;
    (void)us_idmap_insert(&e->router.ticket_by_id, t->id, slot);
    file_ticket(e, t);
    x->seqs[x->seq_count++] = t->seq;
    return USHER_OK;
}

/* ---- lists of the router: preferred agents, routing marks ------------------------------------------ */

static us_link *pref_link(void *e, uint32_t slot) { return &us_ticket_at(e, slot)->pref_link; }
static us_link *ticket_mark_link(void *e, uint32_t slot)
{
    return &us_ticket_at(e, slot)->dirty_link;
}
static us_link *agent_mark_link(void *e, uint32_t slot)
{
    return &us_agent_at(e, slot)->dirty_link;
}

/* Links items[0 .. n) into a list in that order (pushed from the last). */
static void link_in_order(uint32_t *head, const uint32_t *items, uint32_t n, us_link_fn link,
                          void *ctx)
{
    for (uint32_t i = n; i-- > 0;)
        us_list_push(head, items[i], link, ctx);
}

/* Reads n slots (the caller checked they fit) into a scratch array. */
static usher_status read_slots(us_restore *x, us_reader *r, uint32_t n, uint32_t **out)
{
    *out = us_malloc(&x->e->alloc, (n ? n : 1) * sizeof **out);
    if (!*out)
        return USHER_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        (*out)[i] = us_get_u32(r);
    return r->bad ? USHER_ECORRUPT : USHER_OK;
}

/* The tickets waiting for one agent, first to be released first. */
static usher_status read_preferring(us_restore *x, us_reader *r)
{
    usher_engine *e = x->e;
    uint32_t agent = us_get_u32(r), n = us_get_count(r, x->tickets.slots, 4), *items;
    if (r->bad || !us_restore_live(&x->agents, agent) || n == 0 ||
        us_agent_at(e, agent)->preferred_by != US_NONE ||
        us_agent_at(e, agent)->state != USHER_AGENT_AVAILABLE)
        return USHER_ECORRUPT; /* a list twice, or for an agent who left */
    usher_status st = read_slots(x, r, n, &items);
    for (uint32_t i = 0; st == USHER_OK && i < n; i++) {
        us_ticket *t = us_restore_live(&x->tickets, items[i]) ? us_ticket_at(e, items[i]) : NULL;
        if (!t || t->state != USHER_TICKET_WAITING || t->pref_agent != US_NONE)
            st = USHER_ECORRUPT;
        else
            t->pref_agent = agent;
    }
    if (st == USHER_OK)
        link_in_order(&us_agent_at(e, agent)->preferred_by, items, n, pref_link, e);
    us_free(&e->alloc, items);
    return st;
}

static usher_status read_agent_marks(us_restore *x, us_reader *r)
{
    usher_engine *e = x->e;
    uint32_t n = us_get_count(r, x->agents.slots, 4), *items;
    usher_status st = read_slots(x, r, n, &items);
    for (uint32_t i = 0; st == USHER_OK && i < n; i++) {
        if (!us_restore_live(&x->agents, items[i]) || us_agent_at(e, items[i])->dirty)
            st = USHER_ECORRUPT;
        else
            us_agent_at(e, items[i])->dirty = true;
    }
    if (st == USHER_OK)
        link_in_order(&e->router.dirty_agents, items, n, agent_mark_link, e);
    us_free(&e->alloc, items);
    return st;
}

static usher_status read_ticket_marks(us_restore *x, us_reader *r)
{
    usher_engine *e = x->e;
    uint32_t n = us_get_count(r, x->tickets.slots, 4), *items;
    usher_status st = read_slots(x, r, n, &items);
    for (uint32_t i = 0; st == USHER_OK && i < n; i++) {
        if (!us_restore_live(&x->tickets, items[i]) || us_ticket_at(e, items[i])->dirty)
            st = USHER_ECORRUPT;
        else
            us_ticket_at(e, items[i])->dirty = true;
    }
    if (st == USHER_OK)
        link_in_order(&e->router.dirty_tickets, items, n, ticket_mark_link, e);
    us_free(&e->alloc, items);
    return st;
}

static usher_status read_router_lists(us_restore *x, us_reader *r)
{
    uint32_t lists = us_get_count(r, x->agents.slots, 12);
    usher_status st = USHER_OK;
    for (uint32_t i = 0; st == USHER_OK && i < lists; i++)
        st = read_preferring(x, r);
    if (st == USHER_OK)
        st = read_agent_marks(x, r);
    if (st == USHER_OK)
        st = read_ticket_marks(x, r);
    return st;
}

usher_status us_restore_tickets(us_restore *x, us_reader *r)
{
    us_router *router = &x->e->router;
    usher_status st = us_restore_slots(x, r, &x->tickets, 80);
    if (st == USHER_OK)
        st = us_restore_slots(x, r, &x->exclusions, 12);
    if (st == USHER_OK)
        st = us_pool_restore(&router->tickets, &x->e->alloc, x->tickets.slots,
                             x->tickets.free_list, x->tickets.free_count);
    if (st == USHER_OK)
        st = us_pool_restore(&router->exclusions, &x->e->alloc, x->exclusions.slots,
                             x->exclusions.free_list, x->exclusions.free_count);
    uint32_t live = x->tickets.slots - x->tickets.free_count;
    if (st == USHER_OK &&
        !(x->seqs = us_malloc(&x->e->alloc, (live ? live : 1) * sizeof *x->seqs)))
        st = USHER_ENOMEM;
    for (uint32_t slot = 0; st == USHER_OK && slot < x->tickets.slots; slot++)
        if (us_restore_live(&x->tickets, slot))
            st = read_ticket(x, r, slot);
    for (uint32_t s = 0; st == USHER_OK && s < x->exclusions.slots; s++)
        if (x->exclusions.mark[s] == SLOT_LIVE)
            st = USHER_ECORRUPT; /* an exclusion of no ticket */
    return st == USHER_OK ? read_router_lists(x, r) : st;
}

/* ---- customers ------------------------------------------------------------------------------------- */

static usher_status read_customer(us_restore *x, us_reader *r, uint32_t slot)
{
    usher_engine *e = x->e;
    us_customer *c = us_pool_at(&e->router.customers, slot);
    uint32_t found;
    c->id = us_get_u64(r);
    c->last_agent_id = us_get_u64(r);
    c->keep_until = us_get_u64(r);
    c->head = us_get_u8(r);
    c->count = us_get_u8(r);
    c->timer = US_NONE;
    if (r->bad || c->id == 0 || c->keep_until > USHER_TIME_MAX ||
        c->head >= USHER_MAX_REPEAT_THRESHOLD || c->count > USHER_MAX_REPEAT_THRESHOLD ||
        us_idmap_find(&e->router.customer_by_id, c->id, &found))
        return USHER_ECORRUPT;
    for (uint32_t i = 0; i < c->count; i++)
        if (!us_restore_past(x, c->times[(c->head + i) % USHER_MAX_REPEAT_THRESHOLD] =
                                    us_get_u64(r)))
            return USHER_ECORRUPT;
    usher_status st = us_idmap_reserve(&e->router.customer_by_id, 1);
    if (st == USHER_OK)
        (void)us_idmap_insert(&e->router.customer_by_id, c->id, slot);
    return st;
}

usher_status us_restore_customers(us_restore *x, us_reader *r)
{
    us_pool *p = &x->e->router.customers;
    usher_status st = us_restore_slots(x, r, &x->customers, 26);
    if (st == USHER_OK)
        st = us_pool_restore(p, &x->e->alloc, x->customers.slots, x->customers.free_list,
                             x->customers.free_count);
    for (uint32_t slot = 0; st == USHER_OK && slot < x->customers.slots; slot++)
        if (us_restore_live(&x->customers, slot))
            st = read_customer(x, r, slot);
    return st;
}

/* ---- what no section holds ---------------------------------------------------------------------------- */

static int compare_seq(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Remembered tickets pin their customer's record: it must exist. */
static usher_status count_customer_tickets(us_restore *x)
{
    usher_engine *e = x->e;
    for (uint32_t slot = 0; slot < x->tickets.slots; slot++) {
        const us_ticket *t = us_ticket_at(e, slot);
        if (!us_restore_live(&x->tickets, slot) || !t->remembered)
            continue;
        uint32_t c = us_customer_find(e, t->customer);
        if (c == US_NONE)
            return USHER_ECORRUPT;
        ((us_customer *)us_pool_at(&e->router.customers, c))->live_tickets++;
    }
    return USHER_OK;
}

/* Gives each bucket room for all its tickets and files the waiting ones
 * (the heap order is a strict total order, so its layout decides nothing). */
static usher_status file_waiting(us_restore *x)
{
    usher_engine *e = x->e;
    for (uint32_t b = 0; b < x->buckets.slots; b++) {
        if (!us_restore_live(&x->buckets, b))
            continue;
        us_bucket *bucket = us_bucket_at(e, b);
        void *heap = NULL;
        size_t capacity = 0;
        usher_status st = us_grow_array(&e->alloc, &heap, &capacity,
                                        bucket->tickets ? bucket->tickets : 1, sizeof(uint32_t));
        if (st != USHER_OK)
            return st;
        bucket->heap = heap;
        bucket->capacity = capacity;
    }
    for (uint32_t slot = 0; slot < x->tickets.slots; slot++)
        if (us_restore_live(&x->tickets, slot) &&
            us_ticket_at(e, slot)->state == USHER_TICKET_WAITING)
            us_bucket_push(e, slot);
    return USHER_OK;
}

usher_status us_restore_tickets_finish(us_restore *x)
{
    qsort(x->seqs, x->seq_count, sizeof *x->seqs, compare_seq);
    for (uint32_t i = 1; i < x->seq_count; i++)
        if (x->seqs[i] == x->seqs[i - 1])
            return USHER_ECORRUPT; /* FIFO order needs distinct submission numbers */
    usher_status st = count_customer_tickets(x);
    return st == USHER_OK ? file_waiting(x) : st;
}
