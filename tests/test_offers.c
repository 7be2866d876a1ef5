/* Offers as leases, tested from include/usher.h alone: offer-mode queues,
 * the capacity an offer holds, accept and reject with a token, stale and
 * foreign tokens, expiry, the reject cool-down, missed offers and the
 * away state they lead to, withdrawal by logout, removal, cancel, complete
 * and transfer, re-entrant callbacks, a randomised model check,
 * allocation failure, and bad queue definitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "usher.h"

#define MAX_SEEN 512

#define OK(call) assert_int_equal((call), USHER_OK)

#define OFF USHER_AGENT_OFFLINE
#define AVAIL USHER_AGENT_AVAILABLE
#define AWAY USHER_AGENT_AWAY

#define EV_STATE USHER_EVENT_AGENT_STATE
#define EV_ASSIGNED USHER_EVENT_TICKET_ASSIGNED
#define EV_REQUEUED USHER_EVENT_TICKET_REQUEUED
#define EV_TRANSFERRED USHER_EVENT_TICKET_TRANSFERRED
#define EV_ABANDONED USHER_EVENT_TICKET_ABANDONED
#define EV_COMPLETED USHER_EVENT_TICKET_COMPLETED
#define EV_OFFERED USHER_EVENT_TICKET_OFFERED
#define EV_REJECTED USHER_EVENT_OFFER_REJECTED
#define EV_EXPIRED USHER_EVENT_OFFER_EXPIRED

/* Agents, queues, channel and tickets used throughout. */
#define A 1u
#define B 2u
#define C 3u
#define Q 1u  /* offer mode */
#define QD 2u /* direct mode */
#define Q3 3u /* offer mode, short timeout */
#define CH 0u
#define T1 11u
#define T2 12u
#define T3 13u

/* ======================================================================
 * Helpers
 * ====================================================================== */

typedef struct recorder {
    usher_engine *engine;
    usher_event seen[MAX_SEEN];
    int count;
    int in_callback;
    int nested_violation; /* set if the callback was entered while inside it */
    void (*react)(struct recorder *, const usher_event *);
    void *ctx;
} recorder;

static void record_event(void *user, const usher_event *event)
{
    recorder *r = user;
    if (r->in_callback)
        r->nested_violation = 1;
    r->in_callback = 1;
    assert_true(r->count < MAX_SEEN);
    r->seen[r->count++] = *event;
    if (r->react)
        r->react(r, event);
    r->in_callback = 0;
}

/* The engine of the running test, freed by the teardown if an assertion
 * ends the test early (so that a failure is not also reported as leaks). */
static usher_engine *live_engine;

static int free_live_engine(void **state)
{
    (void)state;
    if (live_engine)
        usher_engine_free(live_engine);
    live_engine = NULL;
    return 0;
}

static void done(usher_engine *e)
{
    assert_ptr_equal(e, live_engine);
    live_engine = NULL;
    usher_engine_free(e);
}

static usher_engine *new_engine(recorder *r, const usher_allocator *alloc)
{
    assert_null(live_engine);
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.allocator = alloc;
    usher_engine *e = NULL;
    OK(usher_engine_new(&cfg, &e));
    assert_non_null(e);
    live_engine = e;
    memset(r, 0, sizeof *r);
    r->engine = e;
    OK(usher_set_event_handler(e, record_event, r));
    return e;
}

static void add_channel(usher_engine *e, uint32_t channel, uint64_t wrapup_ms)
{
    usher_channel_def def;
    usher_channel_def_init(&def);
    def.wrapup_ms = wrapup_ms;
    OK(usher_channel_add(e, channel, &def));
}

static void offer_def(usher_queue_def *def, uint64_t timeout, uint64_t cooldown,
                      uint32_t max_missed)
{
    usher_queue_def_init(def);
    def->assign_mode = USHER_ASSIGN_OFFER;
    def->offer_timeout_ms = timeout;
    def->reject_cooldown_ms = cooldown;
    def->max_missed_offers = max_missed;
}

static void add_offer_queue(usher_engine *e, uint32_t queue, uint64_t timeout, uint64_t cooldown,
                            uint32_t max_missed)
{
    usher_queue_def def;
    offer_def(&def, timeout, cooldown, max_missed);
    OK(usher_queue_add(e, queue, &def));
}

static void add_direct_queue(usher_engine *e, uint32_t queue)
{
    usher_queue_def def;
    usher_queue_def_init(&def);
    OK(usher_queue_add(e, queue, &def));
}

static void add_agent(usher_engine *e, uint64_t agent, uint32_t capacity, int available)
{
    OK(usher_agent_add(e, agent, capacity));
    if (available)
        OK(usher_agent_set_state(e, agent, AVAIL, 0));
}

/* The usual engine: channel CH (cost 1, no wrap-up), offer queue Q, and
 * `agents` agents (A, B, C, ...) of `capacity`, available at time 0. The
 * recorder starts empty. */
static usher_engine *offer_engine(recorder *r, uint64_t timeout, uint64_t cooldown,
                                  uint32_t max_missed, uint64_t agents, uint32_t capacity)
{
    usher_engine *e = new_engine(r, NULL);
    add_channel(e, CH, 0);
    add_offer_queue(e, Q, timeout, cooldown, max_missed);
    for (uint64_t a = 1; a <= agents; a++)
        add_agent(e, a, capacity, 1);
    r->count = 0;
    return e;
}

static usher_status submit_to(usher_engine *e, uint64_t ticket, uint32_t queue, uint64_t created)
{
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = queue;
    spec.channel = CH;
    if (created != USHER_CREATED_NOW)
        spec.created_ms = created;
    return usher_ticket_submit(e, ticket, &spec);
}

static void submit(usher_engine *e, uint64_t ticket)
{
    OK(submit_to(e, ticket, Q, USHER_CREATED_NOW));
}

static usher_ticket_info ticket_info(const usher_engine *e, uint64_t ticket)
{
    usher_ticket_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    OK(usher_ticket_get(e, ticket, &info));
    return info;
}

static usher_agent_info agent_info(const usher_engine *e, uint64_t agent)
{
    usher_agent_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    OK(usher_agent_get(e, agent, &info));
    return info;
}

static usher_agent_channel_info chan_info(const usher_engine *e, uint64_t agent)
{
    usher_agent_channel_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    OK(usher_agent_get_channel(e, agent, CH, &info));
    return info;
}

static usher_queue_stats queue_stats(const usher_engine *e, uint32_t queue)
{
    usher_queue_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    OK(usher_queue_get_stats(e, queue, &stats));
    return stats;
}

static uint64_t next_deadline(usher_engine *e)
{
    uint64_t d = 0;
    OK(usher_next_deadline(e, &d));
    return d;
}

/* Every field of an event. */
static void check_ev(const usher_event *ev, int32_t type, uint64_t time_ms, uint64_t agent,
                     uint64_t ticket, uint64_t token, int64_t value, int32_t reason)
{
    assert_int_equal(ev->struct_size, sizeof(usher_event));
    assert_int_equal(ev->type, type);
    assert_int_equal(ev->time_ms, time_ms);
    assert_int_equal(ev->agent_id, agent);
    assert_int_equal(ev->ticket_id, ticket);
    assert_int_equal(ev->offer_token, token);
    assert_int_equal(ev->value, value);
    assert_int_equal(ev->reason, reason);
    assert_int_equal(ev->timer_id, 0);
    assert_int_equal(ev->detail, 0);
    assert_int_equal(ev->due_ms, 0);
}

/* A TICKET_OFFERED event; returns its token (never 0). */
static uint64_t check_offered(const usher_event *ev, uint64_t time_ms, uint64_t agent,
                              uint64_t ticket, uint64_t expires)
{
    assert_int_not_equal(ev->offer_token, 0);
    check_ev(ev, EV_OFFERED, time_ms, agent, ticket, ev->offer_token, (int64_t)expires, 0);
    return ev->offer_token;
}

static void check_seq(const recorder *r)
{
    for (int i = 1; i < r->count; i++)
        assert_int_equal(r->seen[i].seq, r->seen[i - 1].seq + 1);
}

/* The ticket is offered to `agent` with `token`, expiring at `expires`. */
static void check_ticket_offered(const usher_engine *e, uint64_t ticket, uint64_t agent,
                                 uint64_t token, uint64_t expires)
{
    usher_ticket_info t = ticket_info(e, ticket);
    assert_int_equal(t.state, USHER_TICKET_OFFERED);
    assert_int_equal(t.agent_id, agent);
    assert_int_equal(t.assigned_ms, 0);
    assert_int_equal(t.offer_token, token);
    assert_int_equal(t.offer_expires_ms, expires);
}

static void check_ticket_waiting(const usher_engine *e, uint64_t ticket)
{
    usher_ticket_info t = ticket_info(e, ticket);
    assert_int_equal(t.state, USHER_TICKET_WAITING);
    assert_int_equal(t.agent_id, 0);
    assert_int_equal(t.assigned_ms, 0);
    assert_int_equal(t.offer_token, 0);
    assert_int_equal(t.offer_expires_ms, 0);
}

static void check_ticket_assigned(const usher_engine *e, uint64_t ticket, uint64_t agent,
                                  uint64_t assigned_ms)
{
    usher_ticket_info t = ticket_info(e, ticket);
    assert_int_equal(t.state, USHER_TICKET_ASSIGNED);
    assert_int_equal(t.agent_id, agent);
    assert_int_equal(t.assigned_ms, assigned_ms);
    assert_int_equal(t.offer_token, 0);
    assert_int_equal(t.offer_expires_ms, 0);
}

/* The agent's hold on channel CH: `active` tickets (offers included). */
static void check_held(const usher_engine *e, uint64_t agent, uint32_t active)
{
    usher_agent_channel_info ci = chan_info(e, agent);
    assert_int_equal(ci.active, active);
    usher_agent_info ai = agent_info(e, agent);
    assert_int_equal(ai.work_count, active);
    assert_int_equal(ai.capacity_used, active);
    assert_int_equal(ci.free, ai.capacity - active);
}

/* Everything the public API shows about tickets T1..T3 (and 14..16),
 * agents A..C and queues 1..3: for "nothing changed". */
#define SNAP_TICKETS 6
#define SNAP_AGENTS 3
#define SNAP_QUEUES 3
typedef struct snapshot {
    usher_status ticket_st[SNAP_TICKETS];
    usher_ticket_info ticket[SNAP_TICKETS];
    usher_status agent_st[SNAP_AGENTS], chan_st[SNAP_AGENTS];
    usher_agent_info agent[SNAP_AGENTS];
    usher_agent_channel_info chan[SNAP_AGENTS];
    usher_status holder_st[SNAP_TICKETS];
    uint64_t holder[SNAP_TICKETS];
    usher_status stats_st[SNAP_QUEUES];
    usher_queue_stats stats[SNAP_QUEUES];
    uint64_t now, next_deadline;
} snapshot;

static void take_snapshot(usher_engine *e, snapshot *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < SNAP_TICKETS; i++) {
        s->ticket[i].struct_size = sizeof s->ticket[i];
        s->ticket_st[i] = usher_ticket_get(e, T1 + (uint64_t)i, &s->ticket[i]);
        s->holder_st[i] = usher_capacity_holder(e, T1 + (uint64_t)i, &s->holder[i], NULL);
    }
    for (int i = 0; i < SNAP_AGENTS; i++) {
        s->agent[i].struct_size = sizeof s->agent[i];
        s->agent_st[i] = usher_agent_get(e, A + (uint64_t)i, &s->agent[i]);
        s->chan[i].struct_size = sizeof s->chan[i];
        s->chan_st[i] = usher_agent_get_channel(e, A + (uint64_t)i, CH, &s->chan[i]);
    }
    for (int i = 0; i < SNAP_QUEUES; i++) {
        s->stats[i].struct_size = sizeof s->stats[i];
        s->stats_st[i] = usher_queue_get_stats(e, Q + (uint32_t)i, &s->stats[i]);
    }
    OK(usher_now(e, &s->now));
    OK(usher_next_deadline(e, &s->next_deadline));
}

static void assert_unchanged(usher_engine *e, const snapshot *before)
{
    snapshot now;
    take_snapshot(e, &now);
    assert_memory_equal(&now, before, sizeof now);
}

/* ======================================================================
 * Queue definitions (10)
 * ====================================================================== */

static void test_queue_def_offer_fields(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, NULL);
    usher_queue_def def;
    usher_queue_def_init(&def);
    assert_int_equal(def.assign_mode, USHER_ASSIGN_DIRECT);
    assert_int_equal(def.max_missed_offers, 3);
    assert_int_equal(def.offer_timeout_ms, 20000);
    assert_int_equal(def.reject_cooldown_ms, 60000);

    struct {
        uint32_t mode;
        uint64_t timeout, cooldown;
    } bad[] = {
        {2, 20000, 60000},
        {UINT32_MAX, 20000, 60000},
        {USHER_ASSIGN_OFFER, 0, 60000},
        {USHER_ASSIGN_OFFER, 86400001, 60000},
        {USHER_ASSIGN_OFFER, UINT64_MAX, 60000},
        {USHER_ASSIGN_OFFER, 20000, 86400001},
        {USHER_ASSIGN_OFFER, 20000, UINT64_MAX},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        offer_def(&def, bad[i].timeout, bad[i].cooldown, 3);
        def.assign_mode = bad[i].mode;
        assert_int_equal(usher_queue_add(e, 40 + (uint32_t)i, &def), USHER_EINVAL);
        usher_queue_stats stats;
        stats.struct_size = sizeof stats;
        assert_int_equal(usher_queue_get_stats(e, 40 + (uint32_t)i, &stats), USHER_ENOTFOUND);
    }

    /* The bounds themselves are valid; so is any max_missed_offers. */
    struct {
        uint64_t timeout, cooldown;
        uint32_t max_missed;
    } good[] = {
        {1, 0, 0},
        {86400000, 86400000, UINT32_MAX},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        offer_def(&def, good[i].timeout, good[i].cooldown, good[i].max_missed);
        OK(usher_queue_add(e, 60 + (uint32_t)i, &def));
    }
    assert_int_equal(r.count, 0);

    /* A 1 ms offer expires 1 ms later. */
    add_channel(e, CH, 0);
    add_agent(e, A, 1, 1);
    r.count = 0;
    OK(submit_to(e, T1, 60, USHER_CREATED_NOW));
    assert_int_equal(r.count, 1);
    uint64_t tok = check_offered(&r.seen[0], 0, A, T1, 1);
    OK(usher_advance(e, 1));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[1], EV_EXPIRED, 1, A, T1, tok, 1, 0);
    check_offered(&r.seen[2], 1, A, T1, 2); /* no cool-down: again at once */
    done(e);
}

/* ======================================================================
 * Offer and accept (1, 2)
 * ====================================================================== */

static void test_offer_holds_capacity(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 1, 1);
    OK(usher_advance(e, 1000));
    submit(e, T1);
    assert_int_equal(r.count, 1);
    uint64_t tok = check_offered(&r.seen[0], 1000, A, T1, 21000);

    usher_ticket_info t = ticket_info(e, T1);
    assert_int_equal(t.queue, Q);
    assert_int_equal(t.channel, CH);
    assert_int_equal(t.created_ms, 1000);
    check_ticket_offered(e, T1, A, tok, 21000);

    /* The capacity is held; the assignment is not counted yet. */
    check_held(e, A, 1);
    usher_agent_channel_info ci = chan_info(e, A);
    assert_int_equal(ci.eligible, 0);
    usher_agent_info ai = agent_info(e, A);
    assert_int_equal(ai.state, AVAIL);
    assert_int_equal(ai.assignments_today, 0);
    assert_int_equal(ai.missed_offers, 0);
    uint64_t holder = 0;
    uint32_t channel = 99;
    OK(usher_capacity_holder(e, T1, &holder, &channel));
    assert_int_equal(holder, A);
    assert_int_equal(channel, CH);
    assert_int_equal(usher_capacity_release(e, T1, 0), USHER_ESTATE);

    usher_queue_stats qs = queue_stats(e, Q);
    assert_int_equal(qs.entered, 1);
    assert_int_equal(qs.offered, 1);
    assert_int_equal(qs.answered, 0);
    assert_int_equal(qs.answer_wait_ms, 0);
    assert_int_equal(qs.offers_rejected, 0);
    assert_int_equal(qs.offers_expired, 0);
    assert_int_equal(next_deadline(e), 21000);

    /* The agent is full: the next ticket waits, not offered. */
    submit(e, T2);
    assert_int_equal(r.count, 1);
    check_ticket_waiting(e, T2);
    qs = queue_stats(e, Q);
    assert_int_equal(qs.offered, 1);
    assert_int_equal(qs.entered, 2);
    assert_int_equal(agent_info(e, A).assignments_today, 0);
    done(e);
}

static void test_accept_assigns(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, NULL);
    add_channel(e, 2, 0);
    usher_queue_def def;
    offer_def(&def, 20000, 60000, 3);
    def.service_level_ms = 3000;
    OK(usher_queue_add(e, Q, &def));
    add_agent(e, A, 1, 1);
    OK(usher_advance(e, 1000));
    r.count = 0;

    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = Q;
    spec.channel = 2;
    spec.created_ms = 500;
    OK(usher_ticket_submit(e, T1, &spec));
    assert_int_equal(r.count, 1);
    uint64_t tok = check_offered(&r.seen[0], 1000, A, T1, 21000);
    OK(usher_advance(e, 4500));
    assert_int_equal(r.count, 1);
    assert_int_equal(queue_stats(e, Q).answered, 0);

    OK(usher_offer_accept(e, T1, tok));
    assert_int_equal(r.count, 2);
    check_ev(&r.seen[1], EV_ASSIGNED, 4500, A, T1, 0, 4000, 2);
    check_seq(&r);
    check_ticket_assigned(e, T1, A, 4500);
    usher_agent_info ai = agent_info(e, A);
    assert_int_equal(ai.assignments_today, 1);
    assert_int_equal(ai.capacity_used, 1);
    assert_int_equal(ai.work_count, 1);
    assert_int_equal(ai.missed_offers, 0);
    usher_queue_stats qs = queue_stats(e, Q);
    assert_int_equal(qs.answered, 1);
    assert_int_equal(qs.answered_in_sl, 0); /* 4000 ms > 3000 ms */
    assert_int_equal(qs.answer_wait_ms, 4000);
    assert_int_equal(qs.offered, 1);

    /* The offer's timer is gone; answering again is refused. */
    assert_int_equal(next_deadline(e), USHER_TIME_NEVER);
    OK(usher_advance(e, 30000));
    assert_int_equal(r.count, 2);
    assert_int_equal(usher_offer_accept(e, T1, tok), USHER_ESTATE);
    assert_int_equal(usher_offer_reject(e, T1, tok), USHER_ESTATE);
    check_ticket_assigned(e, T1, A, 4500);

    OK(usher_ticket_complete(e, T1, 0));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[2], EV_COMPLETED, 30000, A, T1, 0, 25500, 0);

    /* A second ticket answered within the service level. */
    spec.created_ms = USHER_CREATED_NOW;
    OK(usher_ticket_submit(e, T2, &spec));
    assert_int_equal(r.count, 4);
    uint64_t tok2 = check_offered(&r.seen[3], 30000, A, T2, 50000);
    assert_int_not_equal(tok2, tok);
    OK(usher_advance(e, 31000));
    OK(usher_offer_accept(e, T2, tok2));
    assert_int_equal(r.count, 5);
    check_ev(&r.seen[4], EV_ASSIGNED, 31000, A, T2, 0, 1000, 2);
    qs = queue_stats(e, Q);
    assert_int_equal(qs.answered, 2);
    assert_int_equal(qs.answered_in_sl, 1);
    assert_int_equal(qs.answer_wait_ms, 5000);
    assert_int_equal(qs.offered, 2);
    assert_int_equal(agent_info(e, A).assignments_today, 2);
    check_seq(&r);
    done(e);
}

/* An agent who is away still holds its offer and may accept it. */
static void test_accept_while_away(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 1, 1);
    submit(e, T1);
    uint64_t tok = check_offered(&r.seen[0], 0, A, T1, 20000);
    OK(usher_agent_set_state(e, A, AWAY, 7));
    assert_int_equal(r.count, 2);
    check_ev(&r.seen[1], EV_STATE, 0, A, 0, 0, AWAY, 7);
    check_ticket_offered(e, T1, A, tok, 20000);
    check_held(e, A, 1);
    OK(usher_advance(e, 100));
    OK(usher_offer_accept(e, T1, tok));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[2], EV_ASSIGNED, 100, A, T1, 0, 100, CH);
    check_ticket_assigned(e, T1, A, 100);
    assert_int_equal(agent_info(e, A).state, AWAY);
    done(e);
}

/* ======================================================================
 * Tokens (3)
 * ====================================================================== */

static void test_wrong_tokens_change_nothing(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 1, 2);
    submit(e, T1);
    submit(e, T2);
    submit(e, T3); /* A is full: waits */
    assert_int_equal(r.count, 2);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 20000);
    uint64_t tok2 = check_offered(&r.seen[1], 0, A, T2, 20000);
    assert_int_not_equal(tok1, tok2);
    r.count = 0;

    snapshot before;
    take_snapshot(e, &before);
    const uint64_t wrong[] = {0, UINT64_MAX, tok2 + tok1 + 1000};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        assert_int_equal(usher_offer_accept(e, T1, wrong[i]), USHER_ETOKEN);
        assert_int_equal(usher_offer_reject(e, T1, wrong[i]), USHER_ETOKEN);
    }
    /* Another ticket's token. */
    assert_int_equal(usher_offer_accept(e, T1, tok2), USHER_ETOKEN);
    assert_int_equal(usher_offer_reject(e, T1, tok2), USHER_ETOKEN);
    assert_int_equal(usher_offer_accept(e, T2, tok1), USHER_ETOKEN);
    assert_int_equal(usher_offer_reject(e, T2, tok1), USHER_ETOKEN);
    /* A ticket that is not offered: waiting. */
    assert_int_equal(usher_offer_accept(e, T3, tok1), USHER_ESTATE);
    assert_int_equal(usher_offer_reject(e, T3, 0), USHER_ESTATE);
    /* Unknown tickets, a NULL engine. */
    assert_int_equal(usher_offer_accept(e, 99, tok1), USHER_ENOTFOUND);
    assert_int_equal(usher_offer_reject(e, 99, tok1), USHER_ENOTFOUND);
    assert_int_equal(usher_offer_accept(NULL, T1, tok1), USHER_EINVAL);
    assert_int_equal(usher_offer_reject(NULL, T1, tok1), USHER_EINVAL);
    assert_int_equal(r.count, 0);
    assert_unchanged(e, &before);

    /* The right tokens still work after all that. */
    OK(usher_offer_accept(e, T2, tok2));
    assert_int_equal(r.count, 1);
    check_ev(&r.seen[0], EV_ASSIGNED, 0, A, T2, 0, 0, CH);
    /* An assigned ticket is not offered. */
    assert_int_equal(usher_offer_accept(e, T2, tok2), USHER_ESTATE);
    assert_int_equal(usher_offer_reject(e, T2, tok2), USHER_ESTATE);
    OK(usher_offer_reject(e, T1, tok1));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[1], EV_REJECTED, 0, A, T1, tok1, 0, 0);
    uint64_t tok3 = check_offered(&r.seen[2], 0, A, T3, 20000);
    assert_int_not_equal(tok3, tok1);
    assert_int_not_equal(tok3, tok2);
    /* A completed ticket is unknown. */
    OK(usher_ticket_complete(e, T2, 0));
    assert_int_equal(usher_offer_accept(e, T2, tok2), USHER_ENOTFOUND);
    check_seq(&r);
    done(e);
}

/* The tokens of earlier offers of the same ticket: USHER_ESTATE while it
 * is not offered, USHER_ETOKEN once it is offered again. */
static void test_stale_tokens(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 1000, 5000, 0, 1, 1);
    submit(e, T1);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 1000);

    OK(usher_offer_reject(e, T1, tok1));
    assert_int_equal(r.count, 2);
    check_ev(&r.seen[1], EV_REJECTED, 0, A, T1, tok1, 0, 0);
    check_ticket_waiting(e, T1);
    assert_int_equal(usher_offer_accept(e, T1, tok1), USHER_ESTATE);
    assert_int_equal(usher_offer_reject(e, T1, tok1), USHER_ESTATE);

    OK(usher_advance(e, 5000));
    assert_int_equal(r.count, 3);
    uint64_t tok2 = check_offered(&r.seen[2], 5000, A, T1, 6000);
    assert_int_not_equal(tok2, tok1);
    snapshot before;
    take_snapshot(e, &before);
    assert_int_equal(usher_offer_accept(e, T1, tok1), USHER_ETOKEN);
    assert_int_equal(usher_offer_reject(e, T1, tok1), USHER_ETOKEN);
    assert_unchanged(e, &before);

    /* Expired: the token never works again. */
    OK(usher_advance(e, 6000));
    assert_int_equal(r.count, 4);
    check_ev(&r.seen[3], EV_EXPIRED, 6000, A, T1, tok2, 1, 0);
    check_ticket_waiting(e, T1);
    assert_int_equal(usher_offer_accept(e, T1, tok2), USHER_ESTATE);
    assert_int_equal(usher_offer_reject(e, T1, tok2), USHER_ESTATE);

    OK(usher_advance(e, 11000));
    assert_int_equal(r.count, 5);
    uint64_t tok3 = check_offered(&r.seen[4], 11000, A, T1, 12000);
    assert_int_not_equal(tok3, tok1);
    assert_int_not_equal(tok3, tok2);
    assert_int_equal(usher_offer_accept(e, T1, tok2), USHER_ETOKEN);
    assert_int_equal(usher_offer_accept(e, T1, tok1), USHER_ETOKEN);
    assert_int_equal(usher_offer_reject(e, T1, tok2), USHER_ETOKEN);
    assert_int_equal(r.count, 5);

    OK(usher_offer_accept(e, T1, tok3));
    assert_int_equal(r.count, 6);
    check_ev(&r.seen[5], EV_ASSIGNED, 11000, A, T1, 0, 11000, CH);
    assert_int_equal(usher_offer_accept(e, T1, tok3), USHER_ESTATE);
    assert_int_equal(usher_offer_accept(e, T1, tok2), USHER_ESTATE);
    usher_queue_stats qs = queue_stats(e, Q);
    assert_int_equal(qs.offered, 3);
    assert_int_equal(qs.offers_rejected, 1);
    assert_int_equal(qs.offers_expired, 1);
    assert_int_equal(qs.answered, 1);
    assert_int_equal(qs.answer_wait_ms, 11000);
    OK(usher_ticket_complete(e, T1, 0));
    assert_int_equal(usher_offer_accept(e, T1, tok3), USHER_ENOTFOUND);
    assert_int_equal(usher_offer_reject(e, T1, tok3), USHER_ENOTFOUND);
    check_seq(&r);
    done(e);
}

/* ======================================================================
 * Reject and its cool-down (4)
 * ====================================================================== */

static void test_reject_goes_back_in_place(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 1, 1);
    add_agent(e, B, 1, 0); /* offline for now */
    submit(e, T1);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 20000);
    OK(usher_advance(e, 100));
    submit(e, T2);
    OK(usher_advance(e, 200));
    submit(e, T3);
    assert_int_equal(r.count, 1);
    assert_int_equal(queue_stats(e, Q).waiting, 2);

    OK(usher_advance(e, 1000));
    OK(usher_offer_reject(e, T1, tok1));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[1], EV_REJECTED, 1000, A, T1, tok1, 0, 0);
    /* A may take other tickets: the next one in order. */
    uint64_t tok2 = check_offered(&r.seen[2], 1000, A, T2, 21000);
    check_ticket_waiting(e, T1);
    check_ticket_offered(e, T2, A, tok2, 21000);
    check_held(e, A, 1);
    usher_queue_stats qs = queue_stats(e, Q);
    assert_int_equal(qs.waiting, 2);
    assert_int_equal(qs.longest_wait_ms, 1000); /* T1 keeps its age */
    assert_int_equal(qs.offered, 2);
    assert_int_equal(qs.offers_rejected, 1);
    assert_int_equal(agent_info(e, A).assignments_today, 0);

    /* The rejected ticket goes before the one submitted after it. */
    OK(usher_advance(e, 1500));
    OK(usher_agent_set_state(e, B, AVAIL, 0));
    assert_int_equal(r.count, 5);
    check_ev(&r.seen[3], EV_STATE, 1500, B, 0, 0, AVAIL, 0);
    uint64_t tok3 = check_offered(&r.seen[4], 1500, B, T1, 21500);
    check_ticket_offered(e, T1, B, tok3, 21500);
    check_ticket_waiting(e, T3);
    check_seq(&r);
    done(e);
}

static void test_reject_offers_to_another_agent_at_once(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 2, 1);
    submit(e, T1);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 20000);
    check_held(e, A, 1);
    check_held(e, B, 0);
    OK(usher_advance(e, 300));
    OK(usher_offer_reject(e, T1, tok1));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[1], EV_REJECTED, 300, A, T1, tok1, 0, 0);
    uint64_t tok2 = check_offered(&r.seen[2], 300, B, T1, 20300);
    assert_int_not_equal(tok2, tok1);
    check_ticket_offered(e, T1, B, tok2, 20300);
    check_held(e, A, 0);
    check_held(e, B, 1);
    assert_int_equal(chan_info(e, A).eligible, 1);
    usher_queue_stats qs = queue_stats(e, Q);
    assert_int_equal(qs.offered, 2);
    assert_int_equal(qs.offers_rejected, 1);
    assert_int_equal(qs.offers_expired, 0);
    check_seq(&r);
    done(e);
}

/* The only eligible agent rejected: the ticket is offered to it again
 * exactly when the cool-down ends, not before. */
static void test_reject_cooldown_only_agent(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 1, 1);
    submit(e, T1);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 20000);
    OK(usher_advance(e, 500));
    OK(usher_offer_reject(e, T1, tok1));
    assert_int_equal(r.count, 2); /* no offer again without a pause */
    check_ev(&r.seen[1], EV_REJECTED, 500, A, T1, tok1, 0, 0);
    check_ticket_waiting(e, T1);
    check_held(e, A, 0);
    assert_int_equal(chan_info(e, A).eligible, 1);
    assert_int_equal(next_deadline(e), 60500);

    OK(usher_advance(e, 60499));
    assert_int_equal(r.count, 2);
    check_ticket_waiting(e, T1);
    OK(usher_advance(e, 60500));
    assert_int_equal(r.count, 3);
    uint64_t tok2 = check_offered(&r.seen[2], 60500, A, T1, 80500);
    check_ticket_offered(e, T1, A, tok2, 80500);
    assert_int_equal(queue_stats(e, Q).offered, 2);
    done(e);
}

/* During the cool-down the agent gets other tickets, not that one. */
static void test_reject_cooldown_other_tickets(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 1, 1);
    submit(e, T1);
    submit(e, T2);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 20000);
    assert_int_equal(r.count, 1);
    OK(usher_advance(e, 1000));
    OK(usher_offer_reject(e, T1, tok1));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[1], EV_REJECTED, 1000, A, T1, tok1, 0, 0);
    uint64_t tok2 = check_offered(&r.seen[2], 1000, A, T2, 21000);
    OK(usher_advance(e, 2000));
    OK(usher_offer_accept(e, T2, tok2));
    OK(usher_advance(e, 3000));
    OK(usher_ticket_complete(e, T2, 0));
    assert_int_equal(r.count, 5);
    check_ev(&r.seen[3], EV_ASSIGNED, 2000, A, T2, 0, 2000, CH);
    check_ev(&r.seen[4], EV_COMPLETED, 3000, A, T2, 0, 1000, 0);
    check_ticket_waiting(e, T1); /* free, but T1 is still cooling */
    check_held(e, A, 0);

    OK(usher_advance(e, 4000));
    submit(e, T3); /* a new ticket goes to A at once */
    assert_int_equal(r.count, 6);
    uint64_t tok3 = check_offered(&r.seen[5], 4000, A, T3, 24000);
    OK(usher_offer_accept(e, T3, tok3));
    OK(usher_advance(e, 5000));
    OK(usher_ticket_complete(e, T3, 0));
    assert_int_equal(r.count, 8);

    OK(usher_advance(e, 60999));
    assert_int_equal(r.count, 8);
    OK(usher_advance(e, 61000));
    assert_int_equal(r.count, 9);
    uint64_t tok4 = check_offered(&r.seen[8], 61000, A, T1, 81000);
    check_ticket_offered(e, T1, A, tok4, 81000);
    check_seq(&r);
    done(e);
}

/* reject_cooldown_ms 0: the ticket may be offered again at once, and it
 * comes before a ticket submitted after it. */
static void test_reject_cooldown_zero(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 0, 3, 1, 1);
    submit(e, T1);
    submit(e, T2);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 20000);
    OK(usher_advance(e, 10));
    OK(usher_offer_reject(e, T1, tok1));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[1], EV_REJECTED, 10, A, T1, tok1, 0, 0);
    uint64_t tok2 = check_offered(&r.seen[2], 10, A, T1, 20010);
    assert_int_not_equal(tok2, tok1);
    check_ticket_offered(e, T1, A, tok2, 20010);
    check_ticket_waiting(e, T2);
    assert_int_equal(next_deadline(e), 20010); /* no cool-down timer */
    assert_int_equal(usher_offer_accept(e, T1, tok1), USHER_ETOKEN);
    done(e);
}

/* Every agent rejected: each gets the ticket back when its own cool-down
 * ends; the ticket is never stuck. */
static void test_every_agent_rejects(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 2, 1);
    submit(e, T1);
    uint64_t tok = check_offered(&r.seen[0], 0, A, T1, 20000);
    OK(usher_offer_reject(e, T1, tok));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[1], EV_REJECTED, 0, A, T1, tok, 0, 0);
    tok = check_offered(&r.seen[2], 0, B, T1, 20000);
    OK(usher_advance(e, 100));
    OK(usher_offer_reject(e, T1, tok));
    assert_int_equal(r.count, 4);
    check_ev(&r.seen[3], EV_REJECTED, 100, B, T1, tok, 0, 0);
    check_ticket_waiting(e, T1);

    OK(usher_advance(e, 59999));
    assert_int_equal(r.count, 4);
    OK(usher_advance(e, 60000));
    assert_int_equal(r.count, 5);
    tok = check_offered(&r.seen[4], 60000, A, T1, 80000);
    OK(usher_offer_reject(e, T1, tok)); /* B is still cooling */
    assert_int_equal(r.count, 6);
    check_ev(&r.seen[5], EV_REJECTED, 60000, A, T1, tok, 0, 0);
    OK(usher_advance(e, 60099));
    assert_int_equal(r.count, 6);
    OK(usher_advance(e, 60100));
    assert_int_equal(r.count, 7);
    tok = check_offered(&r.seen[6], 60100, B, T1, 80100);
    OK(usher_offer_accept(e, T1, tok));
    assert_int_equal(r.count, 8);
    check_ev(&r.seen[7], EV_ASSIGNED, 60100, B, T1, 0, 60100, CH);
    usher_queue_stats qs = queue_stats(e, Q);
    assert_int_equal(qs.offered, 4);
    assert_int_equal(qs.offers_rejected, 3);
    assert_int_equal(qs.answered, 1);
    assert_int_equal(qs.answer_wait_ms, 60100);
    /* A's cool-down for T1 (until 120000) ends quietly. */
    OK(usher_advance(e, 200000));
    assert_int_equal(r.count, 8);
    check_seq(&r);
    done(e);
}

/* ======================================================================
 * Expiry and missed offers (5)
 * ====================================================================== */

static void test_expiry_offers_elsewhere(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 2, 1);
    submit(e, T1);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 20000);
    OK(usher_advance(e, 19999));
    assert_int_equal(r.count, 1);
    OK(usher_advance(e, 20000));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[1], EV_EXPIRED, 20000, A, T1, tok1, 1, 0);
    uint64_t tok2 = check_offered(&r.seen[2], 20000, B, T1, 40000);
    usher_agent_info ai = agent_info(e, A);
    assert_int_equal(ai.missed_offers, 1);
    assert_int_equal(ai.state, AVAIL);
    assert_int_equal(ai.assignments_today, 0);
    check_held(e, A, 0);
    check_held(e, B, 1);
    usher_queue_stats qs = queue_stats(e, Q);
    assert_int_equal(qs.offered, 2);
    assert_int_equal(qs.offers_expired, 1);
    assert_int_equal(qs.offers_rejected, 0);

    assert_int_equal(usher_offer_accept(e, T1, tok1), USHER_ETOKEN);
    OK(usher_offer_accept(e, T1, tok2));
    assert_int_equal(r.count, 4);
    check_ev(&r.seen[3], EV_ASSIGNED, 20000, B, T1, 0, 20000, CH);
    assert_int_equal(agent_info(e, A).missed_offers, 1); /* B answered, not A */
    assert_int_equal(agent_info(e, B).missed_offers, 0);
    check_seq(&r);
    done(e);
}

/* Three offers missed in a row: the agent is set away, reason
 * USHER_AWAY_NO_ANSWER, and the ticket waits. */
static void test_missed_offers_set_away(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 1000, 0, 3, 1, 1);
    submit(e, T1);
    uint64_t tok = check_offered(&r.seen[0], 0, A, T1, 1000);
    OK(usher_advance(e, 2999));
    assert_int_equal(r.count, 5);
    check_ev(&r.seen[1], EV_EXPIRED, 1000, A, T1, tok, 1, 0);
    tok = check_offered(&r.seen[2], 1000, A, T1, 2000);
    check_ev(&r.seen[3], EV_EXPIRED, 2000, A, T1, tok, 2, 0);
    tok = check_offered(&r.seen[4], 2000, A, T1, 3000);
    assert_int_equal(agent_info(e, A).missed_offers, 2);
    assert_int_equal(agent_info(e, A).state, AVAIL);

    OK(usher_advance(e, 3000));
    assert_int_equal(r.count, 7);
    check_ev(&r.seen[5], EV_EXPIRED, 3000, A, T1, tok, 3, 0);
    check_ev(&r.seen[6], EV_STATE, 3000, A, 0, 0, AWAY, USHER_AWAY_NO_ANSWER);
    usher_agent_info ai = agent_info(e, A);
    assert_int_equal(ai.state, AWAY);
    assert_int_equal(ai.away_reason, USHER_AWAY_NO_ANSWER);
    assert_int_equal(ai.missed_offers, 3);
    check_held(e, A, 0);
    check_ticket_waiting(e, T1);
    usher_queue_stats qs = queue_stats(e, Q);
    assert_int_equal(qs.offered, 3);
    assert_int_equal(qs.offers_expired, 3);
    assert_int_equal(qs.waiting, 1);
    assert_int_equal(next_deadline(e), USHER_TIME_NEVER);
    OK(usher_advance(e, 100000));
    assert_int_equal(r.count, 7);

    /* Back available: offered again; accepting resets the count. */
    OK(usher_agent_set_state(e, A, AVAIL, 0));
    assert_int_equal(r.count, 9);
    check_ev(&r.seen[7], EV_STATE, 100000, A, 0, 0, AVAIL, 0);
    tok = check_offered(&r.seen[8], 100000, A, T1, 101000);
    assert_int_equal(agent_info(e, A).missed_offers, 3);
    OK(usher_offer_accept(e, T1, tok));
    assert_int_equal(agent_info(e, A).missed_offers, 0);
    check_seq(&r);
    done(e);
}

static void test_missed_offers_reset_by_answers(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 1000, 0, 3, 1, 1);
    submit(e, T1);
    OK(usher_advance(e, 2000));
    assert_int_equal(r.count, 5);
    check_ev(&r.seen[3], EV_EXPIRED, 2000, A, T1, r.seen[2].offer_token, 2, 0);
    uint64_t tok = check_offered(&r.seen[4], 2000, A, T1, 3000);
    assert_int_equal(agent_info(e, A).missed_offers, 2);

    OK(usher_offer_reject(e, T1, tok)); /* reset; offered again at once */
    assert_int_equal(r.count, 7);
    check_ev(&r.seen[5], EV_REJECTED, 2000, A, T1, tok, 0, 0);
    tok = check_offered(&r.seen[6], 2000, A, T1, 3000);
    assert_int_equal(agent_info(e, A).missed_offers, 0);

    OK(usher_advance(e, 4000));
    assert_int_equal(r.count, 11);
    check_ev(&r.seen[7], EV_EXPIRED, 3000, A, T1, tok, 1, 0);
    tok = check_offered(&r.seen[8], 3000, A, T1, 4000);
    check_ev(&r.seen[9], EV_EXPIRED, 4000, A, T1, tok, 2, 0);
    tok = check_offered(&r.seen[10], 4000, A, T1, 5000);
    assert_int_equal(agent_info(e, A).missed_offers, 2);
    OK(usher_offer_accept(e, T1, tok));
    assert_int_equal(r.count, 12);
    check_ev(&r.seen[11], EV_ASSIGNED, 4000, A, T1, 0, 4000, CH);
    usher_agent_info ai = agent_info(e, A);
    assert_int_equal(ai.missed_offers, 0);
    assert_int_equal(ai.state, AVAIL);

    /* Counting starts again from 1. */
    OK(usher_advance(e, 4500));
    OK(usher_ticket_complete(e, T1, 0));
    submit(e, T2);
    assert_int_equal(r.count, 14);
    check_ev(&r.seen[12], EV_COMPLETED, 4500, A, T1, 0, 500, 0);
    tok = check_offered(&r.seen[13], 4500, A, T2, 5500);
    OK(usher_advance(e, 5500));
    assert_int_equal(r.count, 16);
    check_ev(&r.seen[14], EV_EXPIRED, 5500, A, T2, tok, 1, 0);
    check_offered(&r.seen[15], 5500, A, T2, 6500);
    assert_int_equal(agent_info(e, A).missed_offers, 1);
    usher_queue_stats qs = queue_stats(e, Q);
    assert_int_equal(qs.offered, 8);
    assert_int_equal(qs.offers_expired, 5);
    assert_int_equal(qs.offers_rejected, 1);
    check_seq(&r);
    done(e);
}

static void test_max_missed_zero_never_away(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 1000, 0, 0, 1, 1);
    submit(e, T1);
    uint64_t tok = check_offered(&r.seen[0], 0, A, T1, 1000);
    OK(usher_advance(e, 10000));
    assert_int_equal(r.count, 21);
    for (int k = 1; k <= 10; k++) {
        uint64_t t = (uint64_t)k * 1000;
        check_ev(&r.seen[2 * k - 1], EV_EXPIRED, t, A, T1, tok, k, 0);
        tok = check_offered(&r.seen[2 * k], t, A, T1, t + 1000);
    }
    usher_agent_info ai = agent_info(e, A);
    assert_int_equal(ai.state, AVAIL);
    assert_int_equal(ai.away_reason, 0);
    assert_int_equal(ai.missed_offers, 10);
    check_ticket_offered(e, T1, A, tok, 11000);
    assert_int_equal(queue_stats(e, Q).offers_expired, 10);
    check_seq(&r);
    done(e);
}

/* ======================================================================
 * One offer per ticket (6)
 * ====================================================================== */

/* Walks events: a ticket is offered again only after its offer ended. */
typedef struct offer_tracker {
    uint64_t ticket[16];
    uint64_t agent[16];
    uint64_t token[16];
    int open[16];
} offer_tracker;

static int tracker_slot(uint64_t ticket)
{
    assert_true(ticket >= T1 && ticket < T1 + 16);
    return (int)(ticket - T1);
}

static void track_events(offer_tracker *tr, const recorder *r, int from)
{
    for (int i = from; i < r->count; i++) {
        const usher_event *ev = &r->seen[i];
        if (ev->ticket_id == 0)
            continue;
        int s = tracker_slot(ev->ticket_id);
        switch (ev->type) {
        case EV_OFFERED:
            if (tr->open[s])
                fail_msg("ticket %u offered to %u while offered to %u",
                         (unsigned)ev->ticket_id, (unsigned)ev->agent_id,
                         (unsigned)tr->agent[s]);
            tr->open[s] = 1;
            tr->agent[s] = ev->agent_id;
            tr->token[s] = ev->offer_token;
            break;
        case EV_REJECTED:
        case EV_EXPIRED:
            assert_true(tr->open[s]);
            assert_int_equal(ev->agent_id, tr->agent[s]);
            assert_int_equal(ev->offer_token, tr->token[s]);
            tr->open[s] = 0;
            break;
        case EV_ASSIGNED:
            assert_true(tr->open[s]);
            assert_int_equal(ev->agent_id, tr->agent[s]);
            tr->open[s] = 0;
            break;
        default:
            tr->open[s] = 0;
            break;
        }
    }
}

static void test_one_offer_per_ticket(void **state)
{
    (void)state;
    recorder r;
    offer_tracker tr;
    memset(&tr, 0, sizeof tr);
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 3, 3);
    for (uint64_t t = T1; t < T1 + 3; t++) {
        int before = r.count;
        submit(e, t);
        assert_int_equal(r.count, before + 1); /* exactly one offer */
        assert_int_equal(r.seen[before].type, EV_OFFERED);
        assert_int_equal(r.seen[before].ticket_id, t);
    }
    track_events(&tr, &r, 0);
    uint32_t held = 0;
    for (uint64_t a = A; a <= C; a++)
        held += chan_info(e, a).active;
    assert_int_equal(held, 3);
    for (uint64_t t = T1; t < T1 + 3; t++) {
        int s = tracker_slot(t);
        check_ticket_offered(e, t, tr.agent[s], tr.token[s], 20000);
    }

    /* Each rejection moves the ticket to exactly one other agent. */
    for (int round = 0; round < 2; round++) {
        for (uint64_t t = T1; t < T1 + 3; t++) {
            int s = tracker_slot(t);
            uint64_t was = tr.agent[s];
            int before = r.count;
            OK(usher_offer_reject(e, t, tr.token[s]));
            assert_int_equal(r.count, before + 2);
            track_events(&tr, &r, before);
            assert_int_equal(r.seen[before + 1].type, EV_OFFERED);
            assert_int_equal(r.seen[before + 1].ticket_id, t);
            assert_int_not_equal(tr.agent[s], was);
            check_ticket_offered(e, t, tr.agent[s], tr.token[s], 20000);
        }
    }
    held = 0;
    for (uint64_t a = A; a <= C; a++)
        held += chan_info(e, a).active;
    assert_int_equal(held, 3);
    /* Third round: every agent of each ticket is cooling but the current
     * one; a rejection leaves the ticket waiting. */
    for (uint64_t t = T1; t < T1 + 3; t++) {
        int s = tracker_slot(t);
        int before = r.count;
        OK(usher_offer_reject(e, t, tr.token[s]));
        assert_int_equal(r.count, before + 1);
        track_events(&tr, &r, before);
        check_ticket_waiting(e, t);
    }
    held = 0;
    for (uint64_t a = A; a <= C; a++)
        held += chan_info(e, a).active;
    assert_int_equal(held, 0);
    /* The cool-downs end: each ticket is offered once more, to one agent. */
    int before = r.count;
    OK(usher_advance(e, 200000));
    track_events(&tr, &r, before);
    int offers = 0;
    for (int i = before; i < r.count; i++)
        offers += r.seen[i].type == EV_OFFERED;
    for (uint64_t t = T1; t < T1 + 3; t++)
        assert_true(tr.open[tracker_slot(t)] || ticket_info(e, t).state == USHER_TICKET_WAITING);
    assert_true(offers >= 3);
    check_seq(&r);
    done(e);
}

/* ---- a randomised model check -------------------------------------------------- */

#define M_AGENTS 4
#define M_TICKETS 8
#define M_CAP 2
#define M_TIMEOUT 500
#define M_COOLDOWN 300
#define M_MAX_MISSED 3
#define M_TOKENS 20000

typedef struct model {
    usher_engine *e;
    recorder r;
    uint64_t now;
    int agent_state[M_AGENTS + 1];
    uint64_t missed[M_AGENTS + 1];
    int live[M_TICKETS];
    int state[M_TICKETS]; /* usher_ticket_state */
    uint64_t holder[M_TICKETS];
    uint64_t token[M_TICKETS];
    uint64_t stale[M_TICKETS]; /* the ticket's previous token, 0 if none */
    uint64_t expires[M_TICKETS];
    uint64_t until[M_TICKETS][M_AGENTS + 1]; /* cool-down end per agent */
    uint64_t tokens[M_TOKENS];
    int token_count;
    uint64_t last_seq;
    long offers, accepts, rejects, expiries, aways;
} model;

static uint64_t m_id(int i) { return T1 + (uint64_t)i; }

static int m_held(const model *m, uint64_t agent)
{
    int n = 0;
    for (int i = 0; i < M_TICKETS; i++)
        n += m->live[i] && m->state[i] != USHER_TICKET_WAITING && m->holder[i] == agent;
    return n;
}

static void m_end_offer(model *m, int i)
{
    m->stale[i] = m->token[i];
    m->token[i] = 0;
    m->expires[i] = 0;
}

static void m_apply(model *m, const usher_event *ev)
{
    assert_int_equal(ev->seq, m->last_seq + 1);
    m->last_seq = ev->seq;
    int i = ev->ticket_id ? (int)(ev->ticket_id - T1) : -1;
    uint64_t a = ev->agent_id;
    switch (ev->type) {
    case EV_OFFERED:
        assert_true(m->live[i]);
        assert_int_equal(m->state[i], USHER_TICKET_WAITING); /* never offered twice */
        assert_int_equal(m->agent_state[a], AVAIL);
        assert_true(m_held(m, a) < M_CAP);
        assert_true(ev->time_ms >= m->until[i][a]); /* not during its cool-down */
        assert_int_equal(ev->value, (int64_t)(ev->time_ms + M_TIMEOUT));
        assert_int_not_equal(ev->offer_token, 0);
        for (int k = 0; k < m->token_count; k++)
            assert_int_not_equal(m->tokens[k], ev->offer_token);
        assert_true(m->token_count < M_TOKENS);
        m->tokens[m->token_count++] = ev->offer_token;
        m->state[i] = USHER_TICKET_OFFERED;
        m->holder[i] = a;
        m->token[i] = ev->offer_token;
        m->expires[i] = (uint64_t)ev->value;
        m->offers++;
        break;
    case EV_ASSIGNED:
        assert_int_equal(m->state[i], USHER_TICKET_OFFERED);
        assert_int_equal(m->holder[i], a);
        m_end_offer(m, i);
        m->state[i] = USHER_TICKET_ASSIGNED;
        break;
    case EV_REJECTED:
    case EV_EXPIRED:
        assert_int_equal(m->state[i], USHER_TICKET_OFFERED);
        assert_int_equal(m->holder[i], a);
        assert_int_equal(ev->offer_token, m->token[i]);
        if (ev->type == EV_EXPIRED) {
            assert_int_equal(ev->time_ms, m->expires[i]);
            assert_int_equal(ev->value, (int64_t)m->missed[a] + 1);
            m->missed[a]++;
            m->expiries++;
        } else {
            assert_int_equal(ev->value, 0);
        }
        m_end_offer(m, i);
        m->state[i] = USHER_TICKET_WAITING;
        m->holder[i] = 0;
        m->until[i][a] = ev->time_ms + M_COOLDOWN;
        break;
    case EV_REQUEUED:
        assert_int_not_equal(m->state[i], USHER_TICKET_WAITING);
        assert_int_equal(m->holder[i], a);
        assert_int_equal(ev->reason, USHER_RETURN_LOGOUT);
        if (m->state[i] == USHER_TICKET_OFFERED)
            m_end_offer(m, i);
        m->state[i] = USHER_TICKET_WAITING;
        m->holder[i] = 0;
        break;
    case EV_STATE:
        if (ev->reason == USHER_AWAY_NO_ANSWER) {
            assert_int_equal(ev->value, AWAY);
            assert_true(m->missed[a] >= M_MAX_MISSED);
            assert_int_equal(m->agent_state[a], AVAIL);
            m->aways++;
        }
        m->agent_state[a] = (int)ev->value;
        break;
    case EV_ABANDONED:
    case EV_COMPLETED:
        assert_true(m->live[i]);
        m->live[i] = 0;
        m->token[i] = m->stale[i] = m->expires[i] = m->holder[i] = 0;
        memset(m->until[i], 0, sizeof m->until[i]);
        break;
    default:
        fail_msg("unexpected event type %d", ev->type);
    }
}

/* Compares the engine with the model; checks that no waiting ticket could
 * be offered to an agent free for it. */
static void m_check(model *m)
{
    for (int i = 0; i < m->r.count; i++)
        m_apply(m, &m->r.seen[i]);
    m->r.count = 0;
    for (int i = 0; i < M_TICKETS; i++) {
        usher_ticket_info info;
        info.struct_size = sizeof info;
        usher_status st = usher_ticket_get(m->e, m_id(i), &info);
        if (!m->live[i]) {
            assert_int_equal(st, USHER_ENOTFOUND);
            continue;
        }
        OK(st);
        assert_int_equal(info.state, m->state[i]);
        assert_int_equal(info.agent_id, m->state[i] == USHER_TICKET_WAITING ? 0 : m->holder[i]);
        assert_int_equal(info.offer_token, m->token[i]);
        assert_int_equal(info.offer_expires_ms, m->expires[i]);
    }
    for (uint64_t a = 1; a <= M_AGENTS; a++) {
        usher_agent_info ai = agent_info(m->e, a);
        assert_int_equal(ai.state, m->agent_state[a]);
        assert_int_equal(ai.missed_offers, m->missed[a]);
        assert_int_equal(ai.work_count, m_held(m, a));
        assert_int_equal(chan_info(m->e, a).active, m_held(m, a));
    }
    for (int i = 0; i < M_TICKETS; i++) {
        if (!m->live[i] || m->state[i] != USHER_TICKET_WAITING)
            continue;
        for (uint64_t a = 1; a <= M_AGENTS; a++)
            if (m->agent_state[a] == AVAIL && m_held(m, a) < M_CAP && m->now >= m->until[i][a])
                fail_msg("ticket %d waits while agent %u is free for it at %u", (int)m_id(i),
                         (unsigned)a, (unsigned)m->now);
    }
}

static int m_pick(uint64_t *rng, const model *m, int want_state)
{
    int start = (int)test_rand_below(rng, M_TICKETS);
    for (int k = 0; k < M_TICKETS; k++) {
        int i = (start + k) % M_TICKETS;
        if (want_state == 0 ? !m->live[i] : (m->live[i] && m->state[i] == want_state))
            return i;
    }
    return -1;
}

static void m_step(model *m, uint64_t *rng)
{
    usher_engine *e = m->e;
    int i;
    switch (test_rand_below(rng, 12)) {
    case 0:
    case 1:
        if ((i = m_pick(rng, m, 0)) >= 0) {
            submit(e, m_id(i));
            m->live[i] = 1;
            m->state[i] = USHER_TICKET_WAITING;
            m->holder[i] = 0;
        }
        break;
    case 2:
        if ((i = m_pick(rng, m, USHER_TICKET_OFFERED)) >= 0) {
            OK(usher_offer_accept(e, m_id(i), m->token[i]));
            m->missed[m->holder[i]] = 0;
            m->accepts++;
        }
        break;
    case 3:
        if ((i = m_pick(rng, m, USHER_TICKET_OFFERED)) >= 0) {
            OK(usher_offer_reject(e, m_id(i), m->token[i]));
            m->missed[m->holder[i]] = 0;
            m->rejects++;
        }
        break;
    case 4: /* a stale or foreign token */
        if ((i = m_pick(rng, m, USHER_TICKET_OFFERED)) >= 0) {
            uint64_t bad = m->stale[i] ? m->stale[i] : m->token[i] + 1000000;
            assert_int_equal(usher_offer_accept(e, m_id(i), bad), USHER_ETOKEN);
            assert_int_equal(usher_offer_reject(e, m_id(i), bad), USHER_ETOKEN);
            assert_int_equal(m->r.count, 0);
        } else if ((i = m_pick(rng, m, USHER_TICKET_WAITING)) >= 0 ||
                   (i = m_pick(rng, m, USHER_TICKET_ASSIGNED)) >= 0) {
            assert_int_equal(usher_offer_accept(e, m_id(i), m->stale[i]), USHER_ESTATE);
            assert_int_equal(m->r.count, 0);
        }
        break;
    case 5:
        if ((i = m_pick(rng, m, USHER_TICKET_ASSIGNED)) >= 0)
            OK(usher_ticket_complete(e, m_id(i), 0));
        break;
    case 6:
        i = (int)test_rand_below(rng, M_TICKETS);
        if (!m->live[i])
            break;
        if (m->state[i] == USHER_TICKET_ASSIGNED)
            assert_int_equal(usher_ticket_cancel(e, m_id(i)), USHER_ESTATE);
        else if (test_rand_below(rng, 2))
            OK(usher_ticket_cancel(e, m_id(i)));
        else
            OK(usher_ticket_complete(e, m_id(i), 0));
        break;
    case 7: {
        uint64_t a = 1 + test_rand_below(rng, M_AGENTS);
        int target = m->agent_state[a] == AVAIL ? (test_rand_below(rng, 3) ? AWAY : OFF) : AVAIL;
        OK(usher_agent_set_state(e, a, target, target == AWAY ? 5 : 0));
        break;
    }
    default: {
        m->now += test_rand_below(rng, 400);
        OK(usher_advance(e, m->now));
        break;
    }
    }
    m_check(m);
}

static void test_model_random(void **state)
{
    (void)state;
    static model m;
    long offers = 0, accepts = 0, rejects = 0, expiries = 0, aways = 0;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        memset(&m, 0, sizeof m);
        m.e = offer_engine(&m.r, M_TIMEOUT, M_COOLDOWN, M_MAX_MISSED, M_AGENTS, M_CAP);
        for (uint64_t a = 1; a <= M_AGENTS; a++)
            m.agent_state[a] = AVAIL;
        m.last_seq = (uint64_t)M_AGENTS; /* the logins */
        uint64_t rng = seed * 7919;
        for (int step = 0; step < 2000; step++)
            m_step(&m, &rng);
        assert_false(m.r.nested_violation);
        offers += m.offers;
        accepts += m.accepts;
        rejects += m.rejects;
        expiries += m.expiries;
        aways += m.aways;
        done(m.e);
    }
    print_message("offers %ld, accepted %ld, rejected %ld, expired %ld, set away %ld\n", offers,
                  accepts, rejects, expiries, aways);
    /* The run covered every path. */
    assert_true(offers > 300);
    assert_true(accepts > 50);
    assert_true(rejects > 50);
    assert_true(expiries > 50);
    assert_true(aways > 0);
}

/* ======================================================================
 * Callbacks (7)
 * ====================================================================== */

typedef struct answer_ctx {
    int reject;          /* 0: accept */
    uint64_t only_agent;  /* 0: every agent */
    usher_status results[8];
    int calls;
} answer_ctx;

static void react_answer(recorder *r, const usher_event *ev)
{
    answer_ctx *ctx = r->ctx;
    if (ev->type != EV_OFFERED || (ctx->only_agent && ev->agent_id != ctx->only_agent))
        return;
    int delivered = r->count;
    usher_status st = ctx->reject ? usher_offer_reject(r->engine, ev->ticket_id, ev->offer_token)
                                  : usher_offer_accept(r->engine, ev->ticket_id, ev->offer_token);
    assert_true(ctx->calls < 8);
    ctx->results[ctx->calls++] = st;
    assert_int_equal(r->count, delivered); /* nothing delivered from inside */
    if (st == USHER_OK && !ctx->reject) {
        usher_ticket_info t = ticket_info(r->engine, ev->ticket_id);
        assert_int_equal(t.state, USHER_TICKET_ASSIGNED); /* done before it returns */
        assert_int_equal(t.agent_id, ev->agent_id);
    }
}

static void test_callback_accepts_offer(void **state)
{
    (void)state;
    recorder r;
    answer_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 0, 1);
    add_agent(e, A, 2, 0);
    r.react = react_answer;
    r.ctx = &ctx;
    OK(usher_advance(e, 100));
    submit(e, T1);
    assert_int_equal(r.count, 0);
    OK(usher_advance(e, 200));
    submit(e, T2);

    /* One call, two offers: each acceptance comes after what was queued. */
    OK(usher_agent_set_state(e, A, AVAIL, 0));
    assert_false(r.nested_violation);
    assert_int_equal(r.count, 5);
    check_ev(&r.seen[0], EV_STATE, 200, A, 0, 0, AVAIL, 0);
    check_offered(&r.seen[1], 200, A, T1, 20200);
    check_offered(&r.seen[2], 200, A, T2, 20200);
    check_ev(&r.seen[3], EV_ASSIGNED, 200, A, T1, 0, 100, CH);
    check_ev(&r.seen[4], EV_ASSIGNED, 200, A, T2, 0, 0, CH);
    check_seq(&r);
    assert_int_equal(ctx.calls, 2);
    assert_int_equal(ctx.results[0], USHER_OK);
    assert_int_equal(ctx.results[1], USHER_OK);
    check_ticket_assigned(e, T1, A, 200);
    check_ticket_assigned(e, T2, A, 200);
    assert_int_equal(agent_info(e, A).assignments_today, 2);
    assert_int_equal(next_deadline(e), USHER_TIME_NEVER);

    /* One offer: the assignment right after it. */
    OK(usher_ticket_complete(e, T1, 0));
    r.count = 0;
    submit(e, T3);
    assert_int_equal(r.count, 2);
    check_offered(&r.seen[0], 200, A, T3, 20200);
    check_ev(&r.seen[1], EV_ASSIGNED, 200, A, T3, 0, 0, CH);
    assert_int_equal(r.seen[1].seq, r.seen[0].seq + 1);
    usher_queue_stats qs = queue_stats(e, Q);
    assert_int_equal(qs.answered, 3);
    assert_int_equal(qs.offered, 3);
    done(e);
}

static void test_callback_rejects_offer(void **state)
{
    (void)state;
    recorder r;
    answer_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.reject = 1;
    ctx.only_agent = A;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 2, 1);
    r.react = react_answer;
    r.ctx = &ctx;
    submit(e, T1);
    assert_false(r.nested_violation);
    assert_int_equal(r.count, 3);
    uint64_t tok = check_offered(&r.seen[0], 0, A, T1, 20000);
    check_ev(&r.seen[1], EV_REJECTED, 0, A, T1, tok, 0, 0);
    uint64_t tok2 = check_offered(&r.seen[2], 0, B, T1, 20000);
    check_seq(&r);
    assert_int_equal(ctx.calls, 1);
    assert_int_equal(ctx.results[0], USHER_OK);
    check_ticket_offered(e, T1, B, tok2, 20000);
    check_held(e, A, 0);
    check_held(e, B, 1);

    /* The only agent rejects each time it is offered: once per
     * cool-down, never in a loop. */
    OK(usher_agent_set_state(e, B, OFF, 0)); /* T1 goes back, A is cooling */
    assert_int_equal(r.count, 5);
    check_ev(&r.seen[3], EV_STATE, 0, B, 0, 0, OFF, 0);
    check_ev(&r.seen[4], EV_REQUEUED, 0, B, T1, 0, 0, USHER_RETURN_LOGOUT);
    OK(usher_advance(e, 59999));
    assert_int_equal(r.count, 5);
    OK(usher_advance(e, 60000));
    assert_int_equal(r.count, 7);
    tok = check_offered(&r.seen[5], 60000, A, T1, 80000);
    check_ev(&r.seen[6], EV_REJECTED, 60000, A, T1, tok, 0, 0);
    OK(usher_advance(e, 119999));
    assert_int_equal(r.count, 7);
    OK(usher_advance(e, 120000));
    assert_int_equal(r.count, 9);
    tok = check_offered(&r.seen[7], 120000, A, T1, 140000);
    check_ev(&r.seen[8], EV_REJECTED, 120000, A, T1, tok, 0, 0);
    assert_false(r.nested_violation);
    assert_int_equal(ctx.calls, 3);
    check_ticket_waiting(e, T1);
    check_seq(&r);
    done(e);
}

/* Offer events delivered after the clock moved on: the host can only
 * answer the current offer. */
static void test_callback_late_offer_events(void **state)
{
    (void)state;
    recorder r;
    answer_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    usher_engine *e = offer_engine(&r, 1000, 0, 0, 1, 1);
    submit(e, T1);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 1000);
    r.react = react_answer;
    r.ctx = &ctx;
    OK(usher_advance(e, 2500));
    assert_false(r.nested_violation);
    assert_int_equal(r.count, 6);
    check_ev(&r.seen[1], EV_EXPIRED, 1000, A, T1, tok1, 1, 0);
    uint64_t tok2 = check_offered(&r.seen[2], 1000, A, T1, 2000);
    check_ev(&r.seen[3], EV_EXPIRED, 2000, A, T1, tok2, 2, 0);
    uint64_t tok3 = check_offered(&r.seen[4], 2000, A, T1, 3000);
    check_ev(&r.seen[5], EV_ASSIGNED, 2500, A, T1, 0, 2500, CH);
    check_seq(&r);
    assert_int_equal(ctx.calls, 2);
    assert_int_equal(ctx.results[0], USHER_ETOKEN); /* tok2 expired at 2000 */
    assert_int_equal(ctx.results[1], USHER_OK);     /* tok3 is current */
    assert_int_not_equal(tok3, tok2);
    check_ticket_assigned(e, T1, A, 2500);
    assert_int_equal(agent_info(e, A).missed_offers, 0);
    done(e);
}

/* ======================================================================
 * Withdrawn offers (8)
 * ====================================================================== */

static void test_logout_withdraws_offer(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 0, 1);
    add_agent(e, A, 2, 1);
    add_agent(e, B, 1, 0);
    r.count = 0;
    submit(e, T1);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 20000);
    OK(usher_advance(e, 100));
    OK(usher_agent_set_state(e, A, OFF, 0));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[1], EV_STATE, 100, A, 0, 0, OFF, 0);
    check_ev(&r.seen[2], EV_REQUEUED, 100, A, T1, 0, 0, USHER_RETURN_LOGOUT);
    check_ticket_waiting(e, T1);
    check_held(e, A, 0);
    assert_int_equal(agent_info(e, A).missed_offers, 0);
    assert_int_equal(usher_offer_accept(e, T1, tok1), USHER_ESTATE);
    assert_int_equal(usher_offer_reject(e, T1, tok1), USHER_ESTATE);
    assert_int_equal(next_deadline(e), USHER_TIME_NEVER); /* no expiry left */
    OK(usher_advance(e, 30000));
    assert_int_equal(r.count, 3);

    OK(usher_agent_set_state(e, B, AVAIL, 0));
    assert_int_equal(r.count, 5);
    check_ev(&r.seen[3], EV_STATE, 30000, B, 0, 0, AVAIL, 0);
    uint64_t tok2 = check_offered(&r.seen[4], 30000, B, T1, 50000);
    assert_int_equal(usher_offer_accept(e, T1, tok1), USHER_ETOKEN);
    assert_int_equal(usher_offer_reject(e, T1, tok1), USHER_ETOKEN);

    /* B logs out: the ticket is offered at once to A, who is back (no
     * cool-down: nobody rejected). */
    OK(usher_agent_set_state(e, A, AVAIL, 0));
    assert_int_equal(r.count, 6);
    OK(usher_advance(e, 30500));
    OK(usher_agent_set_state(e, B, OFF, 0));
    assert_int_equal(r.count, 9);
    check_ev(&r.seen[6], EV_STATE, 30500, B, 0, 0, OFF, 0);
    check_ev(&r.seen[7], EV_REQUEUED, 30500, B, T1, 0, 0, USHER_RETURN_LOGOUT);
    uint64_t tok3 = check_offered(&r.seen[8], 30500, A, T1, 50500);
    assert_int_equal(usher_offer_accept(e, T1, tok2), USHER_ETOKEN);
    check_held(e, B, 0);
    check_held(e, A, 1);
    OK(usher_offer_accept(e, T1, tok3));
    assert_int_equal(r.count, 10);
    check_ev(&r.seen[9], EV_ASSIGNED, 30500, A, T1, 0, 30500, CH);
    usher_queue_stats qs = queue_stats(e, Q);
    assert_int_equal(qs.offered, 3);
    assert_int_equal(qs.offers_rejected, 0);
    assert_int_equal(qs.offers_expired, 0);
    assert_int_equal(qs.answered, 1);
    check_seq(&r);
    done(e);
}

static void test_remove_withdraws_offer(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 2, 1);
    submit(e, T1);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 20000);
    OK(usher_advance(e, 50));
    OK(usher_agent_remove(e, A));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[1], EV_REQUEUED, 50, A, T1, 0, 0, USHER_RETURN_REMOVED);
    uint64_t tok2 = check_offered(&r.seen[2], 50, B, T1, 20050);
    assert_int_equal(usher_offer_accept(e, T1, tok1), USHER_ETOKEN);
    check_ticket_offered(e, T1, B, tok2, 20050);
    assert_int_equal(next_deadline(e), 20050);
    check_seq(&r);
    done(e);
}

static void test_cancel_withdraws_offer(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 1, 1);
    submit(e, T1);
    submit(e, T2);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 20000);
    OK(usher_advance(e, 700));
    OK(usher_ticket_cancel(e, T1));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[1], EV_ABANDONED, 700, 0, T1, 0, 700, 0);
    uint64_t tok2 = check_offered(&r.seen[2], 700, A, T2, 20700);
    check_held(e, A, 1);
    assert_int_equal(usher_offer_accept(e, T1, tok1), USHER_ENOTFOUND);
    assert_int_equal(usher_offer_reject(e, T1, tok1), USHER_ENOTFOUND);
    usher_queue_stats qs = queue_stats(e, Q);
    assert_int_equal(qs.abandoned, 1);
    assert_int_equal(qs.offered, 2);
    assert_int_equal(qs.waiting, 0);
    assert_int_equal(next_deadline(e), 20700);

    /* A rejected ticket's cool-down goes with it. */
    OK(usher_offer_reject(e, T2, tok2));
    assert_int_equal(r.count, 4);
    check_ev(&r.seen[3], EV_REJECTED, 700, A, T2, tok2, 0, 0);
    assert_int_equal(next_deadline(e), 60700);
    OK(usher_ticket_cancel(e, T2));
    assert_int_equal(r.count, 5);
    check_ev(&r.seen[4], EV_ABANDONED, 700, 0, T2, 0, 700, 0);
    assert_int_equal(next_deadline(e), USHER_TIME_NEVER);
    submit(e, T2); /* the id again: a new ticket, nobody excluded */
    assert_int_equal(r.count, 6);
    uint64_t tok3 = check_offered(&r.seen[5], 700, A, T2, 20700);
    OK(usher_offer_accept(e, T2, tok3));
    assert_int_equal(usher_ticket_cancel(e, T2), USHER_ESTATE); /* assigned */
    qs = queue_stats(e, Q);
    assert_int_equal(qs.abandoned, 2);
    assert_int_equal(qs.entered, 3);
    check_seq(&r);
    done(e);
}

static void test_complete_withdraws_offer(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, NULL);
    add_channel(e, CH, 5000);
    add_offer_queue(e, Q, 20000, 60000, 3);
    add_agent(e, A, 1, 1);
    r.count = 0;
    submit(e, T1);
    submit(e, T2);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 20000);
    OK(usher_advance(e, 300));
    OK(usher_ticket_complete(e, T1, 0));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[1], EV_COMPLETED, 300, 0, T1, 0, 0, 0);
    check_offered(&r.seen[2], 300, A, T2, 20300);
    usher_agent_info ai = agent_info(e, A);
    assert_int_equal(ai.wrapup_count, 0); /* it was waiting: no wrap-up */
    assert_int_equal(ai.work_count, 1);   /* T2's offer */
    assert_int_equal(ai.assignments_today, 0);
    assert_int_equal(usher_offer_accept(e, T1, tok1), USHER_ENOTFOUND);
    usher_queue_stats qs = queue_stats(e, Q);
    assert_int_equal(qs.completed, 1);
    assert_int_equal(qs.answered, 0);
    assert_int_equal(next_deadline(e), 20300);
    check_seq(&r);
    done(e);
}

static void test_transfer_offered_ticket(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 1, 1);
    add_direct_queue(e, QD);
    add_offer_queue(e, Q3, 5000, 60000, 3);
    submit(e, T1);
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 20000);
    OK(usher_advance(e, 100));

    /* To a direct queue: assigned at once. */
    OK(usher_ticket_transfer(e, T1, QD));
    assert_int_equal(r.count, 3);
    check_ev(&r.seen[1], EV_TRANSFERRED, 100, A, T1, 0, QD, 0);
    check_ev(&r.seen[2], EV_ASSIGNED, 100, A, T1, 0, 100, CH);
    check_ticket_assigned(e, T1, A, 100);
    assert_int_equal(usher_offer_accept(e, T1, tok1), USHER_ESTATE);
    assert_int_equal(agent_info(e, A).assignments_today, 1);
    usher_queue_stats q1 = queue_stats(e, Q), qd = queue_stats(e, QD);
    assert_int_equal(q1.entered, 1);
    assert_int_equal(q1.offered, 1);
    assert_int_equal(q1.answered, 0);
    assert_int_equal(qd.entered, 1);
    assert_int_equal(qd.answered, 1);
    assert_int_equal(qd.offered, 0);
    assert_int_equal(next_deadline(e), USHER_TIME_NEVER);

    /* To another offer queue: a new offer with a new token. */
    OK(usher_advance(e, 200));
    OK(usher_ticket_complete(e, T1, 0));
    submit(e, T2);
    assert_int_equal(r.count, 5);
    check_ev(&r.seen[3], EV_COMPLETED, 200, A, T1, 0, 100, 0);
    uint64_t tok2 = check_offered(&r.seen[4], 200, A, T2, 20200);
    OK(usher_ticket_transfer(e, T2, Q3));
    assert_int_equal(r.count, 7);
    check_ev(&r.seen[5], EV_TRANSFERRED, 200, A, T2, 0, Q3, 0);
    uint64_t tok3 = check_offered(&r.seen[6], 200, A, T2, 5200);
    assert_int_not_equal(tok3, tok2);
    assert_int_equal(usher_offer_accept(e, T2, tok2), USHER_ETOKEN);
    assert_int_equal(ticket_info(e, T2).queue, Q3);
    check_ticket_offered(e, T2, A, tok3, 5200);
    check_held(e, A, 1);
    assert_int_equal(next_deadline(e), 5200);
    usher_queue_stats q3 = queue_stats(e, Q3);
    assert_int_equal(q3.entered, 1);
    assert_int_equal(q3.offered, 1);
    OK(usher_advance(e, 5200));
    assert_int_equal(r.count, 8);
    check_ev(&r.seen[7], EV_EXPIRED, 5200, A, T2, tok3, 1, 0);
    assert_int_equal(queue_stats(e, Q3).offers_expired, 1);
    assert_int_equal(queue_stats(e, Q).offers_expired, 0);
    check_seq(&r);
    done(e);
}

/* An offered ticket is "waiting for the rest of the API", and a transfer
 * of a waiting ticket into the queue it is in is USHER_ESTATE. */
static void test_transfer_offered_ticket_to_its_queue(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 1, 1);
    submit(e, T1);
    submit(e, T2);
    assert_int_equal(usher_ticket_transfer(e, T2, Q), USHER_ESTATE); /* waiting */
    uint64_t tok1 = check_offered(&r.seen[0], 0, A, T1, 20000);
    r.count = 0;
    snapshot before;
    take_snapshot(e, &before);
    assert_int_equal(usher_ticket_transfer(e, T1, Q), USHER_ESTATE);
    assert_int_equal(r.count, 0);
    assert_unchanged(e, &before);
    OK(usher_offer_accept(e, T1, tok1));
    done(e);
}

/* The load cap counts an offer when it is accepted. Two offers made while
 * the window had room for one must not both become assignments in it:
 * "caps the agent at max_assignments reservations in any rolling window". */
static void test_load_cap_with_concurrent_offers(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = offer_engine(&r, 20000, 60000, 3, 1, 2);
    OK(usher_agent_set_load_cap(e, A, 1, 100000));
    r.count = 0;
    submit(e, T1);
    submit(e, T2);
    assert_true(r.count >= 1);
    check_offered(&r.seen[0], 0, A, T1, 20000);
    /* The host accepts every offer it is made. */
    int n = r.count;
    for (int i = 0; i < n; i++)
        if (r.seen[i].type == EV_OFFERED)
            (void)usher_offer_accept(e, r.seen[i].ticket_id, r.seen[i].offer_token);
    int assigned = 0;
    for (int i = 0; i < r.count; i++)
        assigned += r.seen[i].type == EV_ASSIGNED;
    if (assigned > 1 || agent_info(e, A).assignments_today > 1)
        fail_msg("load cap 1 per 100000 ms, but %d assignments at time 0", assigned);
    done(e);
}

/* ======================================================================
 * Load caps with offers out
 * ====================================================================== */

/* Offers out count toward a rolling-window load cap until answered, so an
 * agent whose reservations in the window and offers out fill the cap may
 * take more work as soon as the oldest of those reservations leaves the
 * window: exactly then, by a timer, not at the next change that happens
 * to touch the agent. usher_check() runs after every call. */

#define T4 14u
#define T5 15u

#define CHECKED(e, call)                                                                           \
    do {                                                                                           \
        OK(call);                                                                                  \
        OK(usher_check(e));                                                                        \
    } while (0)

/* The index of the one event of `type` about `ticket` from r->seen[from]. */
static int only_event(const recorder *r, int from, int32_t type, uint64_t ticket)
{
    int found = -1;
    for (int i = from; i < r->count; i++) {
        if (r->seen[i].type != type || r->seen[i].ticket_id != ticket)
            continue;
        if (found >= 0)
            fail_msg("two events of type %d about ticket %llu", (int)type,
                     (unsigned long long)ticket);
        found = i;
    }
    if (found < 0)
        fail_msg("no event of type %d about ticket %llu", (int)type, (unsigned long long)ticket);
    return found;
}

static int events_of_type(const recorder *r, int32_t type)
{
    int n = 0;
    for (int i = 0; i < r->count; i++)
        n += r->seen[i].type == type;
    return n;
}

/* Channel CH, offer queue Q (offers expire after `timeout`, a rejection or
 * expiry keeps the agent from the ticket for `cooldown`; missed offers
 * never set the agent away), and agent `agent` of capacity 5, available,
 * capped at `max` reservations per `window` ms. */
static usher_engine *capped_offer_engine(recorder *r, const usher_allocator *alloc,
                                         uint64_t agent, uint32_t max, uint64_t window,
                                         uint64_t timeout, uint64_t cooldown)
{
    usher_engine *e = new_engine(r, alloc);
    add_channel(e, CH, 0);
    add_offer_queue(e, Q, timeout, cooldown, 0);
    add_agent(e, agent, 5, 1);
    CHECKED(e, usher_agent_set_load_cap(e, agent, max, window));
    r->count = 0;
    return e;
}

/* Submits a ticket and checks that it is offered to `agent` now; returns
 * its token. */
static uint64_t submit_offered(usher_engine *e, recorder *r, uint64_t ticket, uint64_t agent)
{
    int from = r->count;
    CHECKED(e, submit_to(e, ticket, Q, USHER_CREATED_NOW));
    const usher_event *ev = &r->seen[only_event(r, from, EV_OFFERED, ticket)];
    assert_int_equal(ev->agent_id, agent);
    return ev->offer_token;
}

/* The ticket is offered to `agent` and accepted: one more reservation. */
static void submit_accepted(usher_engine *e, recorder *r, uint64_t ticket, uint64_t agent)
{
    uint64_t token = submit_offered(e, r, ticket, agent);
    CHECKED(e, usher_offer_accept(e, ticket, token));
}

static void submit_waiting(usher_engine *e, uint64_t ticket)
{
    CHECKED(e, submit_to(e, ticket, Q, USHER_CREATED_NOW));
    check_ticket_waiting(e, ticket);
}

/* The offer event of `ticket` since r->seen[from]: at `time_ms`, to
 * `agent`. Returns its token. */
static uint64_t offered_at(const recorder *r, int from, uint64_t ticket, uint64_t agent,
                           uint64_t time_ms, uint64_t expires)
{
    return check_offered(&r->seen[only_event(r, from, EV_OFFERED, ticket)], time_ms, agent, ticket,
                         expires);
}

/* The regression: agent 7, capacity 5, capped at 2 per 60 s. Ticket 1 was
 * accepted at 0; at 10 s ticket 2 is offered to 7 and ticket 3 waits (one
 * reservation and one offer fill the cap). When the reservation of time 0
 * leaves the window, at 60 s, agent 7 may take ticket 3: it is offered
 * then, though nothing else happens to the agent. */
static void test_load_cap_offers_out_reopen_on_time(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = capped_offer_engine(&r, NULL, 7, 2, 60000, 600000, 0);
    submit_accepted(e, &r, 1, 7);
    CHECKED(e, usher_advance(e, 10000));
    (void)submit_offered(e, &r, 2, 7);
    submit_waiting(e, 3);
    assert_int_equal(next_deadline(e), 60000);
    int from = r.count;
    CHECKED(e, usher_advance(e, 70000));
    assert_int_equal(r.count, from + 1);
    offered_at(&r, from, 3, 7, 60000, 660000);
    /* Reservations alone never filled the window: no load cap events. */
    assert_int_equal(events_of_type(&r, USHER_EVENT_LOAD_CAP_REACHED), 0);
    assert_int_equal(events_of_type(&r, USHER_EVENT_LOAD_CAP_CLEARED), 0);
    assert_int_equal(agent_info(e, 7).flags, 0);
    assert_int_equal(agent_info(e, 7).capped_until_ms, 0);
    /* Two offers fill the cap again, but no reservation is in the window:
     * only answers can make room, so no timer waits for the window. */
    assert_int_equal(next_deadline(e), 610000);
    check_seq(&r);
    done(e);
}

/* Three per minute, reservations at 0 and 20 s: each leaves the window in
 * turn and lets one more offer out, at 60 s and at 80 s exactly. */
static void test_load_cap_offers_out_several_reservations(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = capped_offer_engine(&r, NULL, A, 3, 60000, 600000, 0);
    submit_accepted(e, &r, T1, A);
    CHECKED(e, usher_advance(e, 20000));
    submit_accepted(e, &r, T2, A);
    CHECKED(e, usher_advance(e, 30000));
    (void)submit_offered(e, &r, T3, A);
    submit_waiting(e, T4);
    assert_int_equal(next_deadline(e), 60000);
    CHECKED(e, usher_advance(e, 59999));
    check_ticket_waiting(e, T4);
    int from = r.count;
    CHECKED(e, usher_advance(e, 60000));
    offered_at(&r, from, T4, A, 60000, 660000);
    submit_waiting(e, T5);
    assert_int_equal(next_deadline(e), 80000); /* the reservation of 20 s */
    from = r.count;
    CHECKED(e, usher_advance(e, 90000));
    assert_int_equal(r.count, from + 1);
    offered_at(&r, from, T5, A, 80000, 680000);
    assert_int_equal(next_deadline(e), 630000); /* T3's offer expires */
    assert_int_equal(events_of_type(&r, USHER_EVENT_LOAD_CAP_REACHED), 0);
    check_seq(&r);
    done(e);
}

/* A rejection or an expiry makes room at once; the offer that takes it
 * fills the cap again, which the window reopens on time. */
static void test_load_cap_offers_out_answered(void **state)
{
    (void)state;
    recorder r;
    /* Rejected: T2 is kept from A for 30 s, so T3 goes to A at once. */
    usher_engine *e = capped_offer_engine(&r, NULL, A, 2, 60000, 600000, 30000);
    submit_accepted(e, &r, T1, A);
    CHECKED(e, usher_advance(e, 10000));
    uint64_t token = submit_offered(e, &r, T2, A);
    submit_waiting(e, T3);
    CHECKED(e, usher_advance(e, 20000));
    int from = r.count;
    CHECKED(e, usher_offer_reject(e, T2, token));
    offered_at(&r, from, T3, A, 20000, 620000);
    check_ticket_waiting(e, T2);
    assert_int_equal(next_deadline(e), 50000); /* the exclusion ends */
    CHECKED(e, usher_advance(e, 50000));
    check_ticket_waiting(e, T2); /* A is free for it, but its cap is full */
    assert_int_equal(next_deadline(e), 60000);
    from = r.count;
    CHECKED(e, usher_advance(e, 60000));
    offered_at(&r, from, T2, A, 60000, 660000);
    check_seq(&r);
    done(e);

    /* Expired: the same, the offer of T2 running out at 25 s. */
    e = capped_offer_engine(&r, NULL, A, 2, 60000, 15000, 30000);
    submit_accepted(e, &r, T1, A);
    CHECKED(e, usher_advance(e, 10000));
    (void)submit_offered(e, &r, T2, A);
    submit_waiting(e, T3);
    from = r.count;
    CHECKED(e, usher_advance(e, 25000));
    const usher_event *expired = &r.seen[only_event(&r, from, EV_EXPIRED, T2)];
    check_ev(expired, EV_EXPIRED, 25000, A, T2, expired->offer_token, 1, 0);
    token = offered_at(&r, from, T3, A, 25000, 40000);
    CHECKED(e, usher_offer_accept(e, T3, token)); /* two reservations: capped until 60 s */
    assert_int_equal(agent_info(e, A).capped_until_ms, 60000);
    from = r.count;
    CHECKED(e, usher_advance(e, 60000));
    check_ev(&r.seen[from], USHER_EVENT_LOAD_CAP_CLEARED, 60000, A, 0, 0, 0, USHER_CAP_WINDOW);
    offered_at(&r, from, T2, A, 60000, 75000);
    assert_int_equal(next_deadline(e), 75000); /* T3's reservation is in the window, room 1 */
    check_seq(&r);
    done(e);
}

/* usher_agent_set_load_cap while offers are out: a shorter window moves the
 * timer, a higher cap makes room at once, a lower one imposes a cap
 * (LOAD_CAP_REACHED, as documented), and lifting it offers at once. */
static void test_load_cap_changed_while_offers_out(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = capped_offer_engine(&r, NULL, A, 2, 60000, 600000, 0);
    submit_accepted(e, &r, T1, A);
    CHECKED(e, usher_advance(e, 10000));
    uint64_t tok2 = submit_offered(e, &r, T2, A);
    submit_waiting(e, T3);
    CHECKED(e, usher_advance(e, 20000));
    int from = r.count;
    CHECKED(e, usher_agent_set_load_cap(e, A, 2, 30000));
    assert_int_equal(r.count, from); /* the window is not full: no event */
    assert_int_equal(next_deadline(e), 30000);
    CHECKED(e, usher_advance(e, 40000));
    offered_at(&r, from, T3, A, 30000, 630000);
    /* Two offers out, nothing in the window: only answers make room. */
    submit_waiting(e, T4);
    assert_int_equal(next_deadline(e), 610000);
    from = r.count;
    CHECKED(e, usher_agent_set_load_cap(e, A, 3, 30000));
    offered_at(&r, from, T4, A, 40000, 640000);
    CHECKED(e, usher_advance(e, 45000));
    CHECKED(e, usher_offer_accept(e, T2, tok2));
    submit_waiting(e, T5);
    assert_int_equal(next_deadline(e), 75000); /* 45 s + 30 s */
    CHECKED(e, usher_advance(e, 50000));
    from = r.count;
    CHECKED(e, usher_agent_set_load_cap(e, A, 1, 30000)); /* keeps the 45 s reservation */
    assert_int_equal(r.count, from + 1);
    check_ev(&r.seen[from], USHER_EVENT_LOAD_CAP_REACHED, 50000, A, 0, 0, 75000,
             USHER_CAP_WINDOW);
    assert_int_equal(agent_info(e, A).flags, USHER_AGENT_AT_LOAD_CAP);
    assert_int_equal(agent_info(e, A).capped_until_ms, 75000);
    assert_int_equal(next_deadline(e), 75000);
    from = r.count;
    CHECKED(e, usher_advance(e, 80000));
    assert_int_equal(r.count, from + 1); /* cleared, but the two offers fill the cap */
    check_ev(&r.seen[from], USHER_EVENT_LOAD_CAP_CLEARED, 75000, A, 0, 0, 0, USHER_CAP_WINDOW);
    check_ticket_waiting(e, T5);
    assert_int_equal(next_deadline(e), 630000);
    from = r.count;
    CHECKED(e, usher_agent_set_load_cap(e, A, 0, 0));
    assert_int_equal(r.count, from + 1);
    offered_at(&r, from, T5, A, 80000, 680000);
    assert_int_equal(next_deadline(e), 630000);
    check_seq(&r);
    done(e);
}

/* The timer does not depend on the agent's state: an agent away when the
 * window reopens takes the ticket when it is back. Logging out hands the
 * offers back (no timer left); back, the agent gets offers up to its cap
 * and the window reopens on time again. Removed, the agent leaves no
 * timer; a new agent of that id has no cap. */
static void test_load_cap_offers_out_agent_leaves(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = capped_offer_engine(&r, NULL, A, 2, 60000, 600000, 0);
    submit_accepted(e, &r, T1, A);
    CHECKED(e, usher_advance(e, 10000));
    (void)submit_offered(e, &r, T2, A);
    submit_waiting(e, T3);
    CHECKED(e, usher_agent_set_state(e, A, AWAY, 1));
    assert_int_equal(next_deadline(e), 60000);
    int from = r.count;
    CHECKED(e, usher_advance(e, 65000));
    assert_int_equal(r.count, from);
    check_ticket_waiting(e, T3);
    assert_int_equal(next_deadline(e), 610000);
    CHECKED(e, usher_agent_set_state(e, A, AVAIL, 0));
    uint64_t token = offered_at(&r, from, T3, A, 65000, 665000);

    /* Out and back while a reservation of 70 s is in the window. */
    CHECKED(e, usher_advance(e, 70000));
    CHECKED(e, usher_offer_accept(e, T3, token));
    submit_waiting(e, T4);
    assert_int_equal(next_deadline(e), 130000);
    CHECKED(e, usher_advance(e, 75000));
    CHECKED(e, usher_agent_set_state(e, A, OFF, 0)); /* T1, T2 and T3 go back */
    check_ticket_waiting(e, T1);
    check_ticket_waiting(e, T2);
    check_ticket_waiting(e, T3);
    assert_int_equal(next_deadline(e), USHER_TIME_NEVER);
    CHECKED(e, usher_advance(e, 80000));
    from = r.count;
    CHECKED(e, usher_agent_set_state(e, A, AVAIL, 0)); /* room for one offer */
    offered_at(&r, from, T1, A, 80000, 680000);
    check_ticket_waiting(e, T2);
    assert_int_equal(next_deadline(e), 130000);
    from = r.count;
    CHECKED(e, usher_advance(e, 130000));
    assert_int_equal(r.count, from + 1);
    token = offered_at(&r, from, T2, A, 130000, 730000);

    /* Removed while a reservation and an offer fill the cap. */
    CHECKED(e, usher_offer_accept(e, T2, token));
    assert_int_equal(next_deadline(e), 190000);
    CHECKED(e, usher_agent_remove(e, A));
    assert_int_equal(next_deadline(e), USHER_TIME_NEVER);
    from = r.count;
    add_agent(e, A, 5, 1); /* a new agent: no cap, every ticket offered */
    OK(usher_check(e));
    assert_int_equal(agent_info(e, A).load_cap_max, 0);
    assert_int_equal(chan_info(e, A).active, 4);
    offered_at(&r, from, T4, A, 130000, 730000);
    check_seq(&r);
    done(e);
}

/* An usher_advance() that fails for memory when the window reopens stops
 * with the clock there and the timer due: the agent's window is still seen
 * as just before (usher_check agrees), and the next advance fires the
 * timer and offers at that time. Every allocation point of the advance. */
static void test_load_cap_reopen_allocation_failure(void **state)
{
    (void)state;
    int stopped = 0;
    for (long k = 1;; k++) {
        static recorder r;
        static test_allocator ta; /* outlives the test if the teardown frees */
        test_allocator_init(&ta, 0);
        usher_engine *e = capped_offer_engine(&r, &ta.allocator, A, 2, 60000, 600000, 0);
        submit_accepted(e, &r, T1, A);
        CHECKED(e, usher_advance(e, 10000));
        (void)submit_offered(e, &r, T2, A);
        submit_waiting(e, T3);
        int from = r.count;
        ta.fail_at = ta.calls + k;
        usher_status st = usher_advance(e, 70000);
        int reached = ta.failed;
        ta.fail_at = 0;
        OK(usher_check(e));
        if (st == USHER_ENOMEM) {
            uint64_t now;
            OK(usher_now(e, &now));
            assert_int_equal(now, 60000);
            assert_int_equal(next_deadline(e), 60000);
            check_ticket_waiting(e, T3);
            assert_int_equal(r.count, from);
            stopped++;
            CHECKED(e, usher_advance(e, 70000));
        } else {
            OK(st);
        }
        assert_int_equal(r.count, from + 1);
        offered_at(&r, from, T3, A, 60000, 660000);
        done(e);
        assert_int_equal(ta.live, 0);
        if (!reached)
            break;
        assert_true(k < 100);
    }
    print_message("%d advances stopped for memory at the window's end\n", stopped);
    assert_true(stopped > 0);
}

/* ======================================================================
 * Allocation failure (9)
 * ====================================================================== */

enum { OP_SUBMIT, OP_ACCEPT, OP_REJECT, OP_COUNT };
static const char *const op_names[OP_COUNT] = {"submit", "accept", "reject"};

/* Two agents, an offer queue; `host_timers` host timers fill the wheel by
 * different amounts, so that the operation meets a full array at some
 * count. For accept and reject, T1 is offered to A first. */
static usher_engine *sweep_setup(recorder *r, test_allocator *ta, int op, int host_timers,
                                 uint64_t *token)
{
    usher_engine *e = new_engine(r, &ta->allocator);
    add_channel(e, CH, 0);
    add_offer_queue(e, Q, 20000, 60000, 3);
    add_agent(e, A, 1, 1);
    add_agent(e, B, 1, 1);
    *token = 0;
    if (op != OP_SUBMIT) {
        submit(e, T1);
        *token = r->seen[r->count - 1].offer_token;
    }
    for (int i = 0; i < host_timers; i++)
        OK(usher_timer_set(e, 1000 + (uint64_t)i, 1000000));
    OK(usher_advance(e, 10));
    r->count = 0;
    return e;
}

static usher_status sweep_op(usher_engine *e, int op, uint64_t token)
{
    switch (op) {
    case OP_SUBMIT:
        return submit_to(e, T1, Q, USHER_CREATED_NOW);
    case OP_ACCEPT:
        return usher_offer_accept(e, T1, token);
    default:
        return usher_offer_reject(e, T1, token);
    }
}

static int events_equal(const usher_event *x, const usher_event *y)
{
    return x->struct_size == y->struct_size && x->type == y->type && x->seq == y->seq &&
           x->time_ms == y->time_ms && x->ticket_id == y->ticket_id &&
           x->agent_id == y->agent_id && x->timer_id == y->timer_id &&
           x->offer_token == y->offer_token && x->value == y->value && x->reason == y->reason;
}

static void test_allocation_failure(void **state)
{
    (void)state;
    static recorder r, ref;
    static snapshot ref_final, before, final;
    for (int op = 0; op < OP_COUNT; op++) {
        int nomem = 0;
        for (int h = 0; h <= 10; h++) {
            /* The reference run. */
            static test_allocator ta; /* outlives the test if the teardown frees */
            test_allocator_init(&ta, 0);
            uint64_t token;
            usher_engine *e = sweep_setup(&r, &ta, op, h, &token);
            OK(sweep_op(e, op, token));
            assert_true(r.count >= 1);
            ref = r;
            take_snapshot(e, &ref_final);
            done(e);
            assert_int_equal(ta.live, 0);

            for (long k = 1;; k++) {
                test_allocator_init(&ta, 0);
                e = sweep_setup(&r, &ta, op, h, &token);
                take_snapshot(e, &before);
                ta.fail_at = ta.calls + k;
                usher_status st = sweep_op(e, op, token);
                if (st == USHER_ENOMEM) {
                    assert_true(ta.failed);
                    if (r.count != 0)
                        fail_msg("%s, k %ld: USHER_ENOMEM raised events", op_names[op], k);
                    assert_unchanged(e, &before);
                    nomem++;
                    ta.fail_at = 0;
                    st = sweep_op(e, op, token);
                } else if (ta.failed) {
                    fail_msg("%s, %d timers, k %ld: an allocation failed but the call "
                             "returned %d",
                             op_names[op], h, k, st);
                }
                OK(st);
                take_snapshot(e, &final);
                if (memcmp(&final, &ref_final, sizeof final) != 0)
                    fail_msg("%s, k %ld: final state differs from the reference", op_names[op],
                             k);
                if (r.count != ref.count)
                    fail_msg("%s, k %ld: %d events, reference %d", op_names[op], k, r.count,
                             ref.count);
                for (int i = 0; i < r.count; i++)
                    if (!events_equal(&r.seen[i], &ref.seen[i]))
                        fail_msg("%s, k %ld: event %d differs", op_names[op], k, i);
                int reached = ta.failed;
                done(e);
                assert_int_equal(ta.live, 0);
                if (!reached)
                    break; /* every allocation point of the call covered */
                assert_true(k < 1000);
            }
        }
        print_message("%s: %d USHER_ENOMEM returns\n", op_names[op], nomem);
        /* Each operation really allocated at some point of the sweep. */
        if (nomem == 0)
            fail_msg("%s never returned USHER_ENOMEM", op_names[op]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_queue_def_offer_fields, free_live_engine),
        cmocka_unit_test_teardown(test_offer_holds_capacity, free_live_engine),
        cmocka_unit_test_teardown(test_accept_assigns, free_live_engine),
        cmocka_unit_test_teardown(test_accept_while_away, free_live_engine),
        cmocka_unit_test_teardown(test_wrong_tokens_change_nothing, free_live_engine),
        cmocka_unit_test_teardown(test_stale_tokens, free_live_engine),
        cmocka_unit_test_teardown(test_reject_goes_back_in_place, free_live_engine),
        cmocka_unit_test_teardown(test_reject_offers_to_another_agent_at_once, free_live_engine),
        cmocka_unit_test_teardown(test_reject_cooldown_only_agent, free_live_engine),
        cmocka_unit_test_teardown(test_reject_cooldown_other_tickets, free_live_engine),
        cmocka_unit_test_teardown(test_reject_cooldown_zero, free_live_engine),
        cmocka_unit_test_teardown(test_every_agent_rejects, free_live_engine),
        cmocka_unit_test_teardown(test_expiry_offers_elsewhere, free_live_engine),
        cmocka_unit_test_teardown(test_missed_offers_set_away, free_live_engine),
        cmocka_unit_test_teardown(test_missed_offers_reset_by_answers, free_live_engine),
        cmocka_unit_test_teardown(test_max_missed_zero_never_away, free_live_engine),
        cmocka_unit_test_teardown(test_one_offer_per_ticket, free_live_engine),
        cmocka_unit_test_teardown(test_model_random, free_live_engine),
        cmocka_unit_test_teardown(test_callback_accepts_offer, free_live_engine),
        cmocka_unit_test_teardown(test_callback_rejects_offer, free_live_engine),
        cmocka_unit_test_teardown(test_callback_late_offer_events, free_live_engine),
        cmocka_unit_test_teardown(test_logout_withdraws_offer, free_live_engine),
        cmocka_unit_test_teardown(test_remove_withdraws_offer, free_live_engine),
        cmocka_unit_test_teardown(test_cancel_withdraws_offer, free_live_engine),
        cmocka_unit_test_teardown(test_complete_withdraws_offer, free_live_engine),
        cmocka_unit_test_teardown(test_transfer_offered_ticket, free_live_engine),
        cmocka_unit_test_teardown(test_transfer_offered_ticket_to_its_queue, free_live_engine),
        cmocka_unit_test_teardown(test_load_cap_with_concurrent_offers, free_live_engine),
        cmocka_unit_test_teardown(test_load_cap_offers_out_reopen_on_time, free_live_engine),
        cmocka_unit_test_teardown(test_load_cap_offers_out_several_reservations, free_live_engine),
        cmocka_unit_test_teardown(test_load_cap_offers_out_answered, free_live_engine),
        cmocka_unit_test_teardown(test_load_cap_changed_while_offers_out, free_live_engine),
        cmocka_unit_test_teardown(test_load_cap_offers_out_agent_leaves, free_live_engine),
        cmocka_unit_test_teardown(test_load_cap_reopen_allocation_failure, free_live_engine),
        cmocka_unit_test_teardown(test_allocation_failure, free_live_engine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
