/*
 * The router: queues, tickets, the buckets where tickets wait, and the
 * matching of waiting tickets with eligible agents.
 *
 * A bucket files the tickets of one queue that share one signature (index.h):
 * the same channel, strategy and skills, so the same agents can take them.
 * Its heap keeps the waiting ones in the queue's ticket order, which does
 * not change with time: within one queue every ticket ages at the same
 * rate. A bucket lives while its queue does (an empty one is kept: it
 * holds its signature, which is costly to build) and has heap room for
 * every live ticket filed in it, so putting a ticket back never allocates.
 *
 * Invariant after every call: no signature has both a waiting ticket and
 * an eligible agent (unless memory ran out while matching; see us_route).
 */
#ifndef USHER_ROUTER_H
#define USHER_ROUTER_H

#include <stdbool.h>
#include <stdint.h>

#include "agents.h"
#include "idmap.h"
#include "index.h"
#include "pool.h"
#include "usher.h"

typedef struct us_queue {
    uint32_t next_free;
    uint32_t id;
    usher_queue_def def;
    uint32_t buckets; /* first bucket of the queue */
    uint64_t live_tickets;
    usher_queue_stats stats; /* the counters; waiting and longest wait computed */
    usher_widen_step steps[USHER_MAX_WIDEN_STEPS];
    uint32_t step_count;
    /* The rolling service level: answers per slot of sl_window_ms / 60,
     * ring_slot the latest slot counted. */
    uint64_t ring_answered[60], ring_in_sl[60];
    uint64_t ring_slot;
} us_queue;

typedef struct us_bucket {
    uint32_t next_free;
    uint32_t queue, sig; /* slots */
    uint32_t *heap;      /* waiting ticket slots, first to route on top */
    size_t size, capacity;
    uint64_t tickets; /* live tickets filed here, waiting or assigned */
    uint32_t sig_prev, sig_next;
    uint32_t queue_prev, queue_next;
} us_bucket;

/* "Do not offer this ticket to this agent before the timer fires." */
typedef struct us_exclusion {
    uint32_t next_free;
    uint32_t ticket; /* slot */
    uint32_t next;   /* the ticket's next exclusion */
    uint32_t timer;
    uint64_t agent_id; /* an id, not a slot: the agent may go and its slot be reused */
} us_exclusion;

/* What the engine remembers of a customer id, for repeat contacts and
 * sticky agents, until keep_until. */
typedef struct us_customer {
    uint32_t next_free;
    uint32_t timer; /* forgets the record at keep_until */
    uint64_t id;
    uint64_t last_agent_id; /* 0 if none */
    uint64_t keep_until;
    uint64_t times[USHER_MAX_REPEAT_THRESHOLD]; /* the last submissions, a ring */
    uint32_t head, count;
    uint32_t live_tickets; /* pin the record: their assignments are remembered */
} us_customer;

/* A ticket is filed in its own bucket and, once widened to an overflow
 * group, in that group's bucket too. */
enum { US_FILED_MAIN = 0, US_FILED_OVERFLOW = 1, US_FILINGS = 2 };

typedef struct us_ticket {
    uint32_t next_free;
    uint32_t buckets[US_FILINGS];  /* US_NONE when not filed there */
    uint32_t heap_pos[US_FILINGS]; /* in those buckets' heaps while waiting */
    uint32_t work;     /* the capacity record while offered or assigned */
    uint32_t exclusions; /* first exclusion, or US_NONE */
    uint32_t offer_timer;
    uint32_t widen_timer; /* the next widening step's, or US_NONE */
    /* While it waits for a preferred agent: the agent (slot), its list of
     * such tickets, and the timer that ends the wait. */
    uint32_t pref_agent, pref_timer;
    us_link pref_link;
    uint8_t widen_next;   /* the index of that step in the queue's list */
    uint64_t offer_token;
    us_link dirty_link;
    uint64_t id, customer, created, seq, assigned_at;
    uint64_t sla_due; /* its SLA clocks' earliest running deadline, or USHER_TIME_NEVER */
    us_skill_entry *prefs; /* NULL when none */
    uint8_t pref_count;
    uint8_t tier;
    uint8_t state; /* enum usher_ticket_state */
    bool answered;   /* counted as answered by its queue */
    bool remembered; /* noted in its customer's record */
    bool dirty;
    uint16_t priority;
} us_ticket;

typedef struct us_router {
    us_pool queues, buckets, tickets, exclusions, customers;
    us_idmap customer_by_id;
    uint64_t customer_keep_ms; /* the longest repeat window or sticky time of any queue */
    us_idmap queue_by_id;
    us_idmap bucket_by_key; /* queue slot << 32 | signature -> bucket */
    us_idmap ticket_by_id;
    /* Agents that entered the heap of a signature with waiting tickets, and
     * tickets that started waiting where agents may be eligible. */
    uint32_t dirty_agents, dirty_tickets;
    uint64_t submit_seq;   /* FIFO order among equal priorities */
    uint64_t assign_stamp; /* round robin order */
    uint64_t offer_seq;    /* offer tokens */
    uint64_t waiting;      /* tickets waiting (filed in bucket heaps) */
} us_router;

void us_router_init(us_router *r, const us_alloc *alloc, uint64_t seed);
void us_router_free(usher_engine *e);

/* ---- queues.c ---- */
/* True if a queue definition is in range (usher_queue_add's checks). */
bool us_queue_def_valid(const usher_queue_def *def);
usher_status us_queue_find(const usher_engine *e, uint32_t queue_id, uint32_t *slot);
/* Counts an answer in the queue's rolling service level. */
void us_queue_count_answer(usher_engine *e, us_queue *q, bool in_sl);

/* ---- buckets.c ---- */

/* Finds or creates the bucket of (queue, key) with heap room for one more
 * ticket; *created tells whether the caller must us_bucket_abandon() it if
 * it fails later. USHER_ENOMEM / USHER_ELIMIT change nothing. */
usher_status us_bucket_prepare(usher_engine *e, uint32_t queue, const us_sig_key *key,
                               uint32_t *bucket, bool *created);
void us_bucket_abandon(usher_engine *e, uint32_t bucket);
/* Frees the heaps of all bucket slots (engine destruction). */
void us_router_free_buckets(usher_engine *e);
/* Frees the empty buckets of a channel (before the channel goes). */
void us_bucket_drop_unused(usher_engine *e, uint32_t channel);
/* Frees every bucket of a queue (all empty). */
void us_bucket_drop_queue(usher_engine *e, uint32_t queue);

/* Files a ticket in the heaps of all its buckets (it is waiting), or
 * takes it out of them. */
void us_bucket_push(usher_engine *e, uint32_t ticket);
void us_bucket_remove(usher_engine *e, uint32_t ticket);
/* After a change of the ticket's priority or tier. */
void us_bucket_resift(usher_engine *e, uint32_t ticket);
/* Files a waiting ticket in one bucket's heap, or takes it out. */
void us_bucket_push_filing(usher_engine *e, uint32_t ticket, uint32_t k);
void us_bucket_remove_filing(usher_engine *e, uint32_t ticket, uint32_t k);
/* The ticket at a heap position, and whether it is filed there as main. */
uint32_t us_bucket_ticket(const usher_engine *e, uint32_t bucket, size_t pos, bool *main);

/* The waiting ticket to route first among those that do not exclude the
 * agent, or US_NONE. */
uint32_t us_bucket_top_for(const usher_engine *e, uint32_t bucket, uint32_t agent);

/* The ticket's effective priority at the engine's time, in the documented
 * milli-points (saturating at INT64_MAX). */
int64_t us_ticket_urgency(const usher_engine *e, const us_ticket *t);
/* True when ticket x is routed before ticket y (any queues). */
bool us_ticket_before(const usher_engine *e, uint32_t x, uint32_t y);

/* ---- offers.c ---- */

/* True if the ticket may not be offered to the agent now. */
bool us_ticket_excludes(const usher_engine *e, const us_ticket *t, uint32_t agent);
/* Offers the ticket to the agent (memory reserved as for an assignment). */
void us_offer_make(usher_engine *e, uint32_t ticket, uint32_t agent);
/* Drops a ending ticket's exclusions and their timers. */
void us_offer_forget(usher_engine *e, uint32_t ticket);

/* ---- widen.c ---- */

/* True if a step of queue queue_id is in range, after a step due at
 * `earliest`, with skills below skill_count (usher_queue_set_widening's
 * checks, but for the target queue's existence: it may have gone). */
bool us_widen_step_valid(const usher_widen_step *step, uint64_t earliest, uint32_t queue_id,
                         uint32_t skill_count);

/* Starts the ticket's queue's widening steps from the first (one wheel
 * node reserved), or stops them (the ticket ends). */
void us_widen_start(usher_engine *e, uint32_t ticket);
void us_widen_stop(usher_engine *e, uint32_t ticket);
/* Before a widening timer fires: finds or creates the bucket its step
 * needs. USHER_ENOMEM / USHER_ELIMIT: the timer stays due. */
usher_status us_widen_prepare(usher_engine *e, uint32_t timer);

/* ---- tickets.c ---- */

/* Finds a live ticket: USHER_OK or USHER_ENOTFOUND. */
usher_status us_ticket_find(const usher_engine *e, uint64_t ticket_id, uint32_t *slot);

/* Files the ticket's main filing under (queue, reqs): a waiting ticket
 * moves and is marked for matching; an assigned one keeps its agent. A
 * new queue drops the overflow filing and starts its widening steps (one
 * wheel node reserved). USHER_ENOMEM / USHER_ELIMIT change nothing. */
usher_status us_ticket_refile(usher_engine *e, uint32_t ticket, uint32_t queue,
                              const us_skill_entry *reqs, uint32_t req_count);

/* ---- customers.c ---- */

/* Looks up a customer's record: US_NONE if none. */
uint32_t us_customer_find(const usher_engine *e, uint64_t customer_id);
/* How many of the customer's tickets fall in the last window_ms, a new one
 * now included. */
uint32_t us_customer_recent(const usher_engine *e, uint32_t customer, uint64_t window_ms);
/* Reserves a record and its id entry for us_customer_note() (the caller
 * reserves its wheel node). */
usher_status us_customer_prepare(usher_engine *e);
/* The agent last assigned one of the customer's tickets (sticky), or 0. */
uint64_t us_customer_last_agent(const usher_engine *e, uint32_t customer);
/* A queue with these settings exists: records are kept long enough. */
void us_customer_need(usher_engine *e, const usher_queue_def *def);
/* Records a new live ticket of the customer (record reserved if new). */
void us_customer_note(usher_engine *e, uint64_t customer_id);
/* Records the agent assigned one of the customer's tickets. */
void us_customer_served(usher_engine *e, uint64_t customer_id, uint64_t agent_id);
/* One of the customer's noted tickets ended. */
void us_customer_ticket_ended(usher_engine *e, uint64_t customer_id);
void us_expire_customer(usher_engine *e, uint32_t timer);

/* ---- match.c: preferred agents ---- */

/* Makes the ticket wait for the agent until `until` (one wheel node
 * reserved), if the agent is available; otherwise nothing. */
void us_prefer_agent(usher_engine *e, uint32_t ticket, uint64_t agent_id, uint64_t until);
/* Ends the ticket's wait for its preferred agent, if any. */
void us_prefer_end(usher_engine *e, uint32_t ticket);
/* The agent is no longer available: tickets waiting for it stop waiting. */
void us_prefer_agent_left(usher_engine *e, uint32_t agent);
void us_expire_preference(usher_engine *e, uint32_t timer);
/* True if the ticket may not go to the agent now: excluded after an
 * offer, or waiting for another agent. */
bool us_ticket_barred(const usher_engine *e, const us_ticket *t, uint32_t agent);

/* ---- buckets.c: SLA deadlines ---- */

/* Ticket `ticket_id`'s SLA deadline changed: a routed ticket of that id in
 * a deadline-ordered queue moves to its new place. */
void us_route_sla_changed(usher_engine *e, uint64_t ticket_id, uint64_t due);

/* ---- match.c ---- */

/* Index hook: an agent entered the heap of a signature with waiting
 * tickets. */
void us_route_mark_agent(usher_engine *e, uint32_t agent);
void us_route_unmark_agent(usher_engine *e, uint32_t agent);
/* A ticket started waiting: matched by the next us_route(). */
void us_route_mark_ticket(usher_engine *e, uint32_t ticket);
void us_route_unmark_ticket(usher_engine *e, uint32_t ticket);

/* Makes every match the marks allow. Each assignment reserves its memory
 * first; when that fails the marks stay and the next call goes on. */
void us_route(usher_engine *e);

/* The eligible agent to get the ticket, or US_NONE: its preferred agent
 * while it waits for one; else the strategy's (or the scoring hook's)
 * choice among the agents it does not exclude, main agents before its
 * overflow group. *score (may be NULL): the chosen agent's score. */
uint32_t us_route_pick(usher_engine *e, uint32_t ticket, int64_t *score);

/* Reserves what one assignment or offer needs (events, timers, a
 * capacity record, an exclusion record for its rejection). */
usher_status us_route_reserve_assignment(usher_engine *e);
/* Assigns, or offers in an offer-mode queue, a waiting or new ticket to
 * the agent (memory reserved). */
void us_route_assign(usher_engine *e, uint32_t ticket, uint32_t agent);

/* The agent of an offered or assigned ticket is done with it: the offer
 * is withdrawn, the capacity freed without wrap-up, and the ticket waits
 * again in its place (not marked for matching; no event). */
void us_route_unassign(usher_engine *e, uint32_t ticket);
/* An offered ticket is accepted, or a direct one assigned: the state, the
 * queue's counters and USHER_EVENT_TICKET_ASSIGNED. */
void us_route_confirm(usher_engine *e, uint32_t ticket, uint32_t agent);

/* A routed ticket's agent logged out or is being removed: the ticket goes
 * back to waiting in its place (USHER_EVENT_TICKET_REQUEUED; one event
 * reserved, no allocation). */
void us_route_requeue(usher_engine *e, uint32_t work, int32_t reason);

#endif
