/*
 * The invariant checker's router half (see check.h): queues, buckets of
 * waiting tickets, tickets and their offers, widening, preferred agents,
 * exclusions, customer records, the matching marks, and the matching
 * invariant itself.
 */
#include "check.h"

#include <string.h>

/* ---- which records are live --------------------------------------------------------- */

bool us_check_ticket_live(const usher_engine *e, uint32_t slot)
{
    uint32_t found;
    return slot < e->router.tickets.slots &&
           us_idmap_find(&e->router.ticket_by_id, us_ticket_at(e, slot)->id, &found) &&
           found == slot;
}

bool us_check_queue_live(const usher_engine *e, uint32_t slot)
{
    uint32_t found;
    return slot < e->router.queues.slots &&
           us_idmap_find(&e->router.queue_by_id, us_queue_at(e, slot)->id, &found) &&
           found == slot;
}

static bool bucket_live(const usher_engine *e, uint32_t slot)
{
    if (slot >= e->router.buckets.slots)
        return false;
    const us_bucket *b = us_bucket_at(e, slot);
    uint32_t found;
    return b->heap && b->sig < e->index.slots &&
           us_idmap_find(&e->router.bucket_by_key, (uint64_t)b->queue << 32 | b->sig, &found) &&
           found == slot;
}

bool us_check_customer_live(const usher_engine *e, uint32_t slot)
{
    if (slot >= e->router.customers.slots)
        return false;
    const us_customer *c = us_pool_at(&e->router.customers, slot);
    uint32_t found;
    return us_idmap_find(&e->router.customer_by_id, c->id, &found) && found == slot;
}

static const us_exclusion *exclusion_at(const usher_engine *e, uint32_t slot)
{
    return us_pool_at(&e->router.exclusions, slot);
}

/* Live: in the exclusion list of the live ticket it names. */
static bool exclusion_live(const usher_engine *e, uint32_t slot)
{
    uint32_t ticket = exclusion_at(e, slot)->ticket;
    if (!us_check_ticket_live(e, ticket))
        return false;
    size_t steps = 0;
    for (uint32_t x = us_ticket_at(e, ticket)->exclusions;
         x != US_NONE && x < e->router.exclusions.slots && steps++ < e->router.exclusions.slots;
         x = exclusion_at(e, x)->next)
        if (x == slot)
            return true;
    return false;
}

static bool pools_consistent(us_checker *c)
{
    const us_router *r = &c->e->router;
    if (!us_check_pool(c, &r->queues, us_check_queue_live, "queues and their map disagree") ||
        !us_check_pool(c, &r->buckets, bucket_live, "buckets and their map disagree") ||
        !us_check_pool(c, &r->tickets, us_check_ticket_live, "tickets and their map disagree") ||
        !us_check_pool(c, &r->exclusions, exclusion_live,
                       "exclusion records are lost or in two places") ||
        !us_check_pool(c, &r->customers, us_check_customer_live, "customer records and their map disagree"))
        return false;
    US_REQUIRE(c,
               us_idmap_count(&r->queue_by_id) == r->queues.live &&
                   us_idmap_count(&r->bucket_by_key) == r->buckets.live &&
                   us_idmap_count(&r->ticket_by_id) == r->tickets.live &&
                   us_idmap_count(&r->customer_by_id) == r->customers.live,
               "a router map holds entries that are not live");
    return true;
}

/* ---- counts per bucket, queue and customer record --------------------------------------------
 *
 * Counted from the tickets into arrays on the stack, TALLY slots of each
 * kind per pass over the tickets (the first during the tickets' own
 * check): the checker allocates nothing. */

#define TALLY 256

typedef struct slot_tally {
    uint32_t lo; /* the first slot counted */
    uint32_t bucket_tickets[TALLY], queue_live[TALLY], customer_tickets[TALLY];
} slot_tally;

static void count(uint32_t *counts, uint32_t lo, uint32_t slot)
{
    if (slot != US_NONE && slot >= lo && slot - lo < TALLY)
        counts[slot - lo]++;
}

static void tally_start(slot_tally *t, uint32_t lo)
{
    memset(t, 0, sizeof *t);
    t->lo = lo;
}

/* Counts one live ticket (whose filings were checked). */
static void tally_ticket(const usher_engine *e, slot_tally *t, const us_ticket *tk)
{
    for (uint32_t k = 0; k < US_FILINGS; k++)
        count(t->bucket_tickets, t->lo, tk->buckets[k]);
    count(t->queue_live, t->lo, us_queue_slot_of(e, tk));
    if (tk->remembered)
        count(t->customer_tickets, t->lo, us_customer_find(e, tk->customer));
}

/* A further pass over the tickets, for slots from t->lo. */
static void tally_tickets(const usher_engine *e, slot_tally *t)
{
    uint32_t cursor = 0, slot;
    uint64_t id;
    tally_start(t, t->lo);
    while (us_idmap_next(&e->router.ticket_by_id, &cursor, &id, &slot))
        tally_ticket(e, t, us_ticket_at(e, slot));
}


/* ---- tickets ------------------------------------------------------------------------------ */

/* What the tickets add up to, for comparison with the router's counters. */
typedef struct ticket_tally {
    uint64_t waiting, filings, preferring, exclusions, marked;
} ticket_tally;

static const us_sig *sig_at(const usher_engine *e, uint32_t bucket)
{
    return &e->index.sigs[us_bucket_at(e, bucket)->sig];
}

static bool same_entries(const us_skill_entry *x, const us_skill_entry *y, uint32_t n)
{
    return n == 0 || memcmp(x, y, n * sizeof *x) == 0;
}

/* The ticket's buckets are live, in its queue, and their signatures are
 * what its queue, channel, requirements and preferences make them. */
static bool filing_consistent(us_checker *c, const us_ticket *t)
{
    const usher_engine *e = c->e;
    uint32_t main = t->buckets[US_FILED_MAIN], group = t->buckets[US_FILED_OVERFLOW];
    US_REQUIRE(c, bucket_live(e, main) && us_check_queue_live(e, us_bucket_at(e, main)->queue),
               "a ticket is filed in no live bucket");
    /* (The group's bucket may be the main one: the same skill required.) */
    US_REQUIRE(c,
               group == US_NONE || (bucket_live(e, group) &&
                                    us_bucket_at(e, group)->queue == us_bucket_at(e, main)->queue),
               "a ticket's overflow filing is not in its queue");
    const us_queue *q = us_queue_at(e, us_bucket_at(e, main)->queue);
    const us_sig *sig = sig_at(e, main);
    bool with_prefs = q->def.strategy == USHER_STRATEGY_BEST_SKILL;
    US_REQUIRE(c,
               sig->refs > 0 && sig->strategy == q->def.strategy &&
                   e->channels[sig->channel].defined &&
                   sig->pref_count == (with_prefs ? t->pref_count : 0) &&
                   (!with_prefs || same_entries(sig->prefs, t->prefs, t->pref_count)),
               "a ticket's bucket has the wrong signature");
    if (group == US_NONE)
        return true;
    const us_sig *g = sig_at(e, group);
    US_REQUIRE(c,
               g->refs > 0 && g->channel == sig->channel && g->strategy == sig->strategy &&
                   g->req_count == 1 && g->reqs[0].level == 1 && g->pref_count == 0,
               "a ticket's overflow bucket has the wrong signature");
    return true;
}

static bool attributes_consistent(us_checker *c, const us_ticket *t)
{
    const usher_engine *e = c->e;
    US_REQUIRE(c,
               t->priority <= USHER_MAX_PRIORITY && t->tier < USHER_MAX_TIERS &&
                   t->created <= us_now(e) && t->seq >= 1 && t->seq <= e->router.submit_seq &&
                   t->pref_count <= USHER_MAX_TICKET_SKILLS && (t->pref_count == 0 || t->prefs),
               "a ticket's attributes are out of range");
    for (uint32_t i = 0; i < t->pref_count; i++)
        US_REQUIRE(c,
                   t->prefs[i].skill < e->skills.count && t->prefs[i].level >= 1 &&
                       t->prefs[i].level <= USHER_MAX_PREFERENCE_WEIGHT &&
                       (i == 0 || t->prefs[i - 1].skill < t->prefs[i].skill),
                   "a ticket's preferred skills are out of range or order");
    return true;
}

/* A waiting ticket sits in the heap of each bucket it is filed in. */
static bool waiting_consistent(us_checker *c, const us_ticket *t, uint32_t slot,
                               ticket_tally *tally)
{
    const usher_engine *e = c->e;
    US_REQUIRE(c, t->work == US_NONE && t->offer_timer == US_NONE && t->offer_token == 0,
               "a waiting ticket holds capacity or an offer");
    for (uint32_t k = 0; k < US_FILINGS; k++) {
        uint32_t pos = t->heap_pos[k];
        if (t->buckets[k] == US_NONE) {
            US_REQUIRE(c, pos == US_NONE, "a ticket has a place in a bucket it is not filed in");
            continue;
        }
        const us_bucket *b = us_bucket_at(e, t->buckets[k]);
        US_REQUIRE(c, pos < b->size && b->heap[pos] == slot * 2 + k,
                   "a waiting ticket is not where its bucket holds it");
        tally->filings++;
    }
    return true;
}

/* An offered or assigned ticket is held by exactly one capacity record, of
 * a live agent (the agents' side checked that the record is in its list
 * and in the map of held tickets). */
static bool taken_consistent(us_checker *c, const us_ticket *t, uint32_t slot)
{
    const usher_engine *e = c->e;
    uint32_t found;
    US_REQUIRE(c,
               t->heap_pos[US_FILED_MAIN] == US_NONE && t->heap_pos[US_FILED_OVERFLOW] == US_NONE &&
                   t->work < e->agents.work_slots &&
                   us_idmap_find(&e->agents.by_ticket, t->id, &found) && found == t->work,
               "an offered or assigned ticket waits too, or holds no capacity");
    const us_work *w = &e->agents.works[t->work];
    US_REQUIRE(c,
               !w->wrapping && w->routed == slot && w->agent < e->agents.slots &&
                   us_agent_at(e, w->agent)->live &&
                   w->channel == sig_at(e, t->buckets[US_FILED_MAIN])->channel,
               "an offered or assigned ticket's capacity record does not match it");
    const us_queue *q = us_queue_at(e, us_queue_slot_of(e, t));
    if (t->state == USHER_TICKET_ASSIGNED) {
        US_REQUIRE(c, t->offer_timer == US_NONE && t->offer_token == 0 && t->answered,
                   "an assigned ticket still has an offer");
        return true;
    }
    US_REQUIRE(c,
               t->offer_token != 0 && t->offer_token <= e->router.offer_seq &&
                   q->def.assign_mode == USHER_ASSIGN_OFFER,
               "an offered ticket has no valid token");
    if (!us_check_timer(c, t->offer_timer, US_TIMER_OFFER, slot))
        return false;
    US_REQUIRE(c,
               us_wheel_deadline(&e->wheel, t->offer_timer) ==
                   us_time_add(w->started, q->def.offer_timeout_ms),
               "an offer expires at the wrong time");
    return true;
}

/* The timer of the next widening step runs while a step is left; it is due
 * at the step's time, or at the time it was scheduled if that was later. */
static bool widening_consistent(us_checker *c, const us_ticket *t, uint32_t slot)
{
    const usher_engine *e = c->e;
    const us_queue *q = us_queue_at(e, us_queue_slot_of(e, t));
    bool pending = t->widen_next < q->step_count;
    US_REQUIRE(c, t->widen_next <= q->step_count && pending == (t->widen_timer != US_NONE),
               "a ticket's widening timer is missing or left over");
    if (!pending)
        return true;
    if (!us_check_timer(c, t->widen_timer, US_TIMER_WIDEN, slot))
        return false;
    uint64_t step = us_time_add(t->created, q->steps[t->widen_next].after_ms);
    uint64_t due = us_wheel_deadline(&e->wheel, t->widen_timer);
    US_REQUIRE(c, due == step || (due > step && due <= us_now(e)),
               "a widening step falls due at the wrong time");
    return true;
}

/* A ticket slot in an agent's list of tickets waiting for it. (Its
 * liveness needs no look-up: every live ticket waiting for the agent is
 * linked both ways up to the list's head, and the list holds as many
 * tickets as wait for it.) */
static bool pref_neighbour(const usher_engine *e, uint32_t other, uint32_t agent)
{
    return other < e->router.tickets.slots && us_ticket_at(e, other)->pref_agent == agent;
}

/* A ticket waiting for a preferred agent is in that agent's list, and the
 * agent is available. */
static bool preference_consistent(us_checker *c, const us_ticket *t, uint32_t slot,
                                  ticket_tally *tally)
{
    const usher_engine *e = c->e;
    US_REQUIRE(c, (t->pref_agent == US_NONE) == (t->pref_timer == US_NONE),
               "a ticket's preferred-agent wait and its timer disagree");
    if (t->pref_agent == US_NONE)
        return true;
    uint32_t agent = t->pref_agent;
    US_REQUIRE(c,
               t->state == USHER_TICKET_WAITING && agent < e->agents.slots &&
                   us_agent_at(e, agent)->live &&
                   us_agent_at(e, agent)->state == USHER_AGENT_AVAILABLE,
               "a ticket waits for an agent who is not available");
    us_link l = t->pref_link;
    US_REQUIRE(c,
               (l.prev == US_NONE ? us_agent_at(e, agent)->preferred_by == slot
                                  : pref_neighbour(e, l.prev, agent) &&
                                        us_ticket_at(e, l.prev)->pref_link.next == slot) &&
                   (l.next == US_NONE || (pref_neighbour(e, l.next, agent) &&
                                          us_ticket_at(e, l.next)->pref_link.prev == slot)),
               "a ticket is not in its preferred agent's list");
    tally->preferring++;
    return us_check_timer(c, t->pref_timer, US_TIMER_PREFERENCE, slot);
}

static bool exclusions_consistent(us_checker *c, const us_ticket *t, uint32_t slot,
                                  ticket_tally *tally)
{
    const us_pool *p = &c->e->router.exclusions;
    size_t n = 0;
    for (uint32_t x = t->exclusions; x != US_NONE; x = exclusion_at(c->e, x)->next) {
        US_REQUIRE(c, x < p->slots && ++n <= p->live && exclusion_at(c->e, x)->ticket == slot,
                   "a ticket's list of exclusions is broken");
        if (!us_check_timer(c, exclusion_at(c->e, x)->timer, US_TIMER_EXCLUSION, x))
            return false;
    }
    tally->exclusions += n;
    return true;
}

/* The earliest SLA deadline a ticket is ordered by is its clocks' where it
 * is calendar time (business time is not recomputed: see check.c). */
static bool sla_due_consistent(us_checker *c, const us_ticket *t)
{
    const usher_engine *e = c->e;
    uint32_t record;
    if (!us_idmap_find(&e->slas.by_ticket, t->id, &record)) {
        US_REQUIRE(c, t->sla_due == USHER_TIME_NEVER, "an untracked ticket has an SLA deadline");
        return true;
    }
    const us_sla *r = us_pool_at(&e->slas.records, record);
    if (us_sla_policy_at(e, r->policy)->def.business_mask == 0)
        US_REQUIRE(c, t->sla_due == us_sla_earliest_due(e, t->id),
                   "a ticket's SLA deadline differs from its clocks'");
    return true;
}

/* A live ticket: the pool check showed that the map names exactly the
 * live slots, each by its own id. */
static bool ticket_consistent(us_checker *c, uint32_t slot, ticket_tally *tally)
{
    const usher_engine *e = c->e;
    const us_ticket *t = us_ticket_at(e, slot);
    if (!filing_consistent(c, t) || !attributes_consistent(c, t))
        return false;
    bool ok;
    switch (t->state) {
    case USHER_TICKET_WAITING:
        tally->waiting++;
        ok = waiting_consistent(c, t, slot, tally);
        break;
    case USHER_TICKET_OFFERED:
    case USHER_TICKET_ASSIGNED:
        ok = taken_consistent(c, t, slot);
        break;
    default:
        return us_check_fail(c, "a ticket is neither waiting, offered nor assigned");
    }
    if (!ok || !widening_consistent(c, t, slot) || !preference_consistent(c, t, slot, tally) ||
        !exclusions_consistent(c, t, slot, tally) || !sla_due_consistent(c, t))
        return false;
    US_REQUIRE(c, !t->dirty || t->state == USHER_TICKET_WAITING,
               "a ticket that does not wait is marked for matching");
    tally->marked += t->dirty;
    US_REQUIRE(c,
               !t->remembered ||
                   (t->customer != 0 && us_customer_find(e, t->customer) != US_NONE),
               "a remembered ticket's customer record is gone");
    return true;
}

static bool tickets_consistent(us_checker *c, ticket_tally *tally, slot_tally *first)
{
    const us_router *r = &c->e->router;
    uint32_t cursor = 0, slot;
    uint64_t id;
    tally_start(first, 0);
    while (us_idmap_next(&r->ticket_by_id, &cursor, &id, &slot)) {
        if (!ticket_consistent(c, slot, tally))
            return false;
        tally_ticket(c->e, first, us_ticket_at(c->e, slot));
    }
    US_REQUIRE(c, r->waiting == tally->waiting,
               "the router's count of waiting tickets differs from its tickets");
    US_REQUIRE(c, r->exclusions.live == tally->exclusions,
               "exclusion records are lost or in two places");
    return true;
}

/* ---- buckets, signatures, queues ------------------------------------------------------------ */

/* Every heap entry is a waiting ticket filed there, at that place, and
 * no child comes before its parent. (Every live waiting ticket's filing
 * was found in its heap, and the heaps hold as many entries as there are
 * such filings: so the entries are those, with no look-up.) */
static bool bucket_heap_consistent(us_checker *c, uint32_t slot)
{
    const usher_engine *e = c->e;
    const us_bucket *b = us_bucket_at(e, slot);
    US_REQUIRE(c, b->size <= b->tickets && b->capacity >= b->tickets,
               "a bucket lacks heap room for its tickets");
    for (size_t pos = 0; pos < b->size; pos++) {
        uint32_t ticket = b->heap[pos] / 2, k = b->heap[pos] % 2;
        US_REQUIRE(c,
                   ticket < e->router.tickets.slots &&
                       us_ticket_at(e, ticket)->state == USHER_TICKET_WAITING &&
                       us_ticket_at(e, ticket)->buckets[k] == slot &&
                       us_ticket_at(e, ticket)->heap_pos[k] == pos,
                   "a bucket holds a ticket that does not wait there");
        if (pos > 0)
            US_REQUIRE(c, !us_ticket_before(e, ticket, b->heap[(pos - 1) / 2] / 2),
                       "a bucket's heap is out of order");
    }
    return true;
}

/* A signature's buckets: linked both ways, one reference each, and its
 * count of waiting tickets is their heaps' sizes. Returns the bucket
 * count in *buckets. */
static bool sig_buckets_consistent(us_checker *c, uint32_t s, size_t *buckets)
{
    const usher_engine *e = c->e;
    const us_sig *sig = &e->index.sigs[s];
    uint32_t prev = US_NONE;
    uint64_t waiting = 0;
    size_t n = 0;
    for (uint32_t b = sig->buckets; b != US_NONE; b = us_bucket_at(e, b)->sig_next) {
        US_REQUIRE(c,
                   bucket_live(e, b) && us_bucket_at(e, b)->sig == s &&
                       us_bucket_at(e, b)->sig_prev == prev && ++n <= e->router.buckets.live,
                   "a signature's list of buckets is broken");
        if (!bucket_heap_consistent(c, b))
            return false;
        waiting += us_bucket_at(e, b)->size;
        prev = b;
    }
    US_REQUIRE(c, n == sig->refs, "a signature's references differ from its buckets");
    US_REQUIRE(c, sig->waiting == waiting,
               "a signature's count of waiting tickets differs from its buckets");
    *buckets += n;
    return true;
}

static bool queue_consistent(us_checker *c, uint32_t slot, size_t *buckets)
{
    const usher_engine *e = c->e;
    const us_queue *q = us_queue_at(e, slot);
    US_REQUIRE(c,
               q->step_count <= USHER_MAX_WIDEN_STEPS &&
                   q->stats.answered_in_sl <= q->stats.answered,
               "a queue's settings or counters are out of range");
    for (uint32_t i = 0; i < 60; i++)
        US_REQUIRE(c, q->ring_in_sl[i] <= q->ring_answered[i],
                   "a queue's rolling service level counts more in time than answered");
    uint32_t prev = US_NONE;
    size_t n = 0;
    for (uint32_t b = q->buckets; b != US_NONE; b = us_bucket_at(e, b)->queue_next) {
        US_REQUIRE(c,
                   bucket_live(e, b) && us_bucket_at(e, b)->queue == slot &&
                       us_bucket_at(e, b)->queue_prev == prev && ++n <= e->router.buckets.live,
                   "a queue's list of buckets is broken");
        prev = b;
    }
    *buckets += n;
    return true;
}

static bool buckets_consistent(us_checker *c, const ticket_tally *tally)
{
    const usher_engine *e = c->e;
    size_t by_sig = 0, by_queue = 0;
    uint64_t filed = 0;
    for (uint32_t s = 0; s < e->index.slots; s++) {
        if (e->index.sigs[s].refs == 0)
            continue;
        if (!sig_buckets_consistent(c, s, &by_sig))
            return false;
        filed += e->index.sigs[s].waiting;
    }
    US_REQUIRE(c, filed == tally->filings, "the buckets hold tickets that do not wait there");
    for (uint32_t q = 0; q < e->router.queues.slots; q++)
        if (us_check_queue_live(e, q) && !queue_consistent(c, q, &by_queue))
            return false;
    US_REQUIRE(c, by_sig == e->router.buckets.live && by_queue == e->router.buckets.live,
               "a bucket is missing from its signature's or its queue's list");
    return true;
}

static bool tally_matches(us_checker *c, const slot_tally *t)
{
    const usher_engine *e = c->e;
    const us_router *r = &e->router;
    for (uint32_t i = 0; i < TALLY; i++) {
        uint32_t slot = t->lo + i;
        if (slot < r->buckets.slots && bucket_live(e, slot))
            US_REQUIRE(c, us_bucket_at(e, slot)->tickets == t->bucket_tickets[i],
                       "a bucket's count of tickets differs from its tickets");
        if (slot < r->queues.slots && us_check_queue_live(e, slot))
            US_REQUIRE(c, us_queue_at(e, slot)->live_tickets == t->queue_live[i],
                       "a queue's count of live tickets differs from its tickets");
        if (slot < r->customers.slots && us_check_customer_live(e, slot)) {
            const us_customer *cu = us_pool_at(&r->customers, slot);
            US_REQUIRE(c, cu->live_tickets == t->customer_tickets[i],
                       "a customer record's count of live tickets differs from its tickets");
        }
    }
    return true;
}

/* `t` holds the counts of the first TALLY slots; the others take more
 * passes. */
static bool tallies_consistent(us_checker *c, slot_tally *t)
{
    const us_router *r = &c->e->router;
    size_t span = r->buckets.slots;
    span = r->queues.slots > span ? r->queues.slots : span;
    span = r->customers.slots > span ? r->customers.slots : span;
    if (!tally_matches(c, t))
        return false;
    for (size_t lo = TALLY; lo < span; lo += TALLY) {
        t->lo = (uint32_t)lo;
        tally_tickets(c->e, t);
        if (!tally_matches(c, t))
            return false;
    }
    return true;
}

static bool customers_consistent(us_checker *c)
{
    const us_router *r = &c->e->router;
    uint32_t cursor = 0, slot;
    uint64_t id;
    while (us_idmap_next(&r->customer_by_id, &cursor, &id, &slot)) {
        const us_customer *cu = us_pool_at(&r->customers, slot);
        US_REQUIRE(c, cu->count <= USHER_MAX_REPEAT_THRESHOLD && cu->head < USHER_MAX_REPEAT_THRESHOLD,
                   "a customer record's ring is out of range");
        if (!us_check_timer(c, cu->timer, US_TIMER_CUSTOMER, slot))
            return false;
    }
    return true;
}

/* ---- agents' lists: tickets waiting for them, agents marked for matching -------------------- */

static bool preferred_lists_consistent(us_checker *c, uint64_t preferring)
{
    const usher_engine *e = c->e;
    uint64_t listed = 0;
    for (uint32_t slot = 0; slot < e->agents.slots; slot++) {
        const us_agent *a = us_agent_at(e, slot);
        if (!a->live)
            continue;
        for (uint32_t t = a->preferred_by; t != US_NONE; t = us_ticket_at(e, t)->pref_link.next)
            US_REQUIRE(c, pref_neighbour(e, t, slot) && ++listed <= preferring,
                       "an agent's list of tickets waiting for it is broken");
    }
    US_REQUIRE(c, listed == preferring, "an agent's list of tickets waiting for it is broken");
    return true;
}

static bool agent_marks_consistent(us_checker *c)
{
    const usher_engine *e = c->e;
    uint32_t marked = 0, listed = 0, prev = US_NONE;
    for (uint32_t slot = 0; slot < e->agents.slots; slot++)
        marked += us_agent_at(e, slot)->live && us_agent_at(e, slot)->dirty;
    for (uint32_t a = e->router.dirty_agents; a != US_NONE;
         a = us_agent_at(e, a)->dirty_link.next) {
        US_REQUIRE(c,
                   a < e->agents.slots && us_agent_at(e, a)->live && us_agent_at(e, a)->dirty &&
                       us_agent_at(e, a)->dirty_link.prev == prev && ++listed <= marked,
                   "the list of agents to match is broken");
        prev = a;
    }
    US_REQUIRE(c, listed == marked, "the list of agents to match is broken");
    return true;
}

static bool ticket_marks_consistent(us_checker *c, uint64_t marked)
{
    const usher_engine *e = c->e;
    uint64_t listed = 0;
    uint32_t prev = US_NONE;
    for (uint32_t t = e->router.dirty_tickets; t != US_NONE;
         t = us_ticket_at(e, t)->dirty_link.next) {
        US_REQUIRE(c,
                   us_check_ticket_live(e, t) && us_ticket_at(e, t)->dirty &&
                       us_ticket_at(e, t)->dirty_link.prev == prev && ++listed <= marked,
                   "the list of tickets to match is broken");
        prev = t;
    }
    US_REQUIRE(c, listed == marked, "the list of tickets to match is broken");
    return true;
}

/* ---- the matching invariant -------------------------------------------------------------------- */

/* True if the agent is a member of the signature and eligible for its
 * channel now. */
static bool eligible_in(const usher_engine *e, uint32_t agent, uint32_t s)
{
    const us_agent *a = us_agent_at(e, agent);
    if (!((a->ready_mask >> e->index.sigs[s].channel) & 1u))
        return false;
    for (size_t m = 0; m < a->member_count; m++)
        if (a->members[m].sig == s)
            return true;
    return false;
}

/* True if some agent eligible for signature s may take the ticket: one
 * that it does not exclude, and its preferred agent while it waits for
 * one. The eligible members are those of the list, or the heap entries
 * whose agent is eligible (the index check showed that every eligible
 * member has one). Each agent passed over is one of the ticket's
 * exclusions, so this stops after at most that many + 1. */
static bool could_go(const usher_engine *e, uint32_t s, const us_ticket *t)
{
    const us_sig *sig = &e->index.sigs[s];
    if (t->pref_agent != US_NONE)
        return eligible_in(e, t->pref_agent, s) && !us_ticket_barred(e, t, t->pref_agent);
    if (sig->strategy == USHER_STRATEGY_LONGEST_IDLE) {
        for (us_mref r = sig->head; r.agent != US_NONE;
             r = us_agent_at(e, r.agent)->members[r.member].next)
            if (!us_ticket_barred(e, t, r.agent))
                return true;
        return false;
    }
    for (size_t pos = 0; pos < sig->heap_size; pos++) {
        uint32_t agent = sig->heap[pos].agent;
        if (((us_agent_at(e, agent)->ready_mask >> sig->channel) & 1u) &&
            !us_ticket_barred(e, t, agent))
            return true;
    }
    return false;
}

/* After every call no waiting ticket has an eligible agent who may take
 * it: unless matching stopped for lack of memory, which leaves its marks
 * for the next call. */
static bool matching_complete(us_checker *c)
{
    const usher_engine *e = c->e;
    if (e->router.dirty_agents != US_NONE || e->router.dirty_tickets != US_NONE)
        return true;
    for (uint32_t s = 0; s < e->index.slots; s++) {
        const us_sig *sig = &e->index.sigs[s];
        if (sig->refs == 0 || sig->waiting == 0)
            continue;
        for (uint32_t b = sig->buckets; b != US_NONE; b = us_bucket_at(e, b)->sig_next) {
            const us_bucket *bk = us_bucket_at(e, b);
            for (size_t pos = 0; pos < bk->size; pos++)
                US_REQUIRE(c, !could_go(e, s, us_ticket_at(e, bk->heap[pos] / 2)),
                           "a waiting ticket has an eligible agent who may take it");
        }
    }
    return true;
}

bool us_check_router(us_checker *c)
{
    ticket_tally tally;
    slot_tally counts;
    memset(&tally, 0, sizeof tally);
    return pools_consistent(c) && tickets_consistent(c, &tally, &counts) &&
           buckets_consistent(c, &tally) && tallies_consistent(c, &counts) &&
           customers_consistent(c) &&
           preferred_lists_consistent(c, tally.preferring) && agent_marks_consistent(c) &&
           ticket_marks_consistent(c, tally.marked) && matching_complete(c);
}
