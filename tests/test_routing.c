/* The routing engine, tested from include/usher.h alone: queues and their
 * policies, ticket submission and immediate assignment, waiting until an
 * agent can take a ticket, required and preferred skills, the six
 * selection strategies, ticket order (priority, tiers, FIFO, ageing and its
 * starvation bound, across queues), requeue on logout and removal,
 * transfer, cancel, complete, changes of requirements and priority, queue
 * statistics, bad input, allocation failure and re-entrant callbacks. */
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

#define MAX_SEEN 1024

#define OFF USHER_AGENT_OFFLINE
#define AVAIL USHER_AGENT_AVAILABLE
#define AWAY USHER_AGENT_AWAY

#define EV_STATE USHER_EVENT_AGENT_STATE
#define EV_WRAPUP USHER_EVENT_WRAPUP_ENDED
#define EV_ASSIGNED USHER_EVENT_TICKET_ASSIGNED
#define EV_REQUEUED USHER_EVENT_TICKET_REQUEUED
#define EV_TRANSFERRED USHER_EVENT_TICKET_TRANSFERRED
#define EV_ABANDONED USHER_EVENT_TICKET_ABANDONED
#define EV_COMPLETED USHER_EVENT_TICKET_COMPLETED

#define WAITING USHER_TICKET_WAITING
#define ASSIGNED USHER_TICKET_ASSIGNED
#define NO_WRAPUP USHER_RELEASE_NO_WRAPUP

#define LONGEST_IDLE USHER_STRATEGY_LONGEST_IDLE
#define MOST_FREE USHER_STRATEGY_MOST_FREE
#define BEST_SKILL USHER_STRATEGY_BEST_SKILL
#define FEWEST USHER_STRATEGY_FEWEST_ASSIGNMENTS
#define ROUND_ROBIN USHER_STRATEGY_ROUND_ROBIN
#define RANDOM USHER_STRATEGY_RANDOM

#define OK(call) assert_int_equal((call), USHER_OK)

/* ======================================================================
 * Helpers
 * ====================================================================== */

/* What the test callback saw. */
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

/* Engines a test has not freed yet: a failing test leaves through a
 * longjmp, and the teardown frees them, so that LeakSanitizer reports only
 * what the library leaks. */
#define MAX_LIVE_ENGINES 4
static usher_engine *live_engines[MAX_LIVE_ENGINES];

static void track_engine(usher_engine *e)
{
    for (int i = 0; i < MAX_LIVE_ENGINES; i++)
        if (!live_engines[i]) {
            live_engines[i] = e;
            return;
        }
    fail_msg("too many live engines");
}

static void free_engine(usher_engine *e)
{
    for (int i = 0; i < MAX_LIVE_ENGINES; i++)
        if (live_engines[i] == e)
            live_engines[i] = NULL;
    usher_engine_free(e);
}

static int free_leftover_engines(void **state)
{
    (void)state;
    for (int i = 0; i < MAX_LIVE_ENGINES; i++) {
        usher_engine_free(live_engines[i]);
        live_engines[i] = NULL;
    }
    return 0;
}

static usher_engine *engine_with(recorder *r, uint64_t start_ms, uint64_t seed,
                                 const usher_allocator *allocator)
{
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.start_ms = start_ms;
    cfg.seed = seed;
    cfg.allocator = allocator;
    usher_engine *e = NULL;
    OK(usher_engine_new(&cfg, &e));
    assert_non_null(e);
    track_engine(e);
    if (r) {
        memset(r, 0, sizeof *r);
        r->engine = e;
        OK(usher_set_event_handler(e, record_event, r));
    }
    return e;
}

static usher_engine *new_engine(recorder *r, uint64_t start_ms)
{
    return engine_with(r, start_ms, 0, NULL);
}

static void add_channel(usher_engine *e, uint32_t channel, uint32_t flags, uint32_t cost,
                        uint32_t max_per_agent, uint64_t wrapup_ms)
{
    usher_channel_def def;
    usher_channel_def_init(&def);
    def.flags = flags;
    def.cost = cost;
    def.max_per_agent = max_per_agent;
    def.wrapup_ms = wrapup_ms;
    OK(usher_channel_add(e, channel, &def));
}

static usher_queue_def queue_def(uint32_t strategy, uint32_t ageing_rate)
{
    usher_queue_def def;
    usher_queue_def_init(&def);
    def.strategy = strategy;
    def.ageing_rate = ageing_rate;
    return def;
}

static void add_queue(usher_engine *e, uint32_t queue, uint32_t strategy, uint32_t ageing_rate)
{
    usher_queue_def def = queue_def(strategy, ageing_rate);
    OK(usher_queue_add(e, queue, &def));
}

static uint32_t skill(usher_engine *e, const char *name)
{
    uint32_t id = 0;
    OK(usher_skill_intern(e, name, &id));
    return id;
}

static void add_agent(usher_engine *e, uint64_t agent_id, uint32_t capacity)
{
    OK(usher_agent_add(e, agent_id, capacity));
}

static void login(usher_engine *e, uint64_t agent_id)
{
    OK(usher_agent_set_state(e, agent_id, AVAIL, 0));
}

static void logout(usher_engine *e, uint64_t agent_id)
{
    OK(usher_agent_set_state(e, agent_id, OFF, 0));
}

/* Moves the clock to t (which must not be in the past). */
static void at(usher_engine *e, uint64_t t)
{
    OK(usher_advance(e, t));
    uint64_t now = 0;
    OK(usher_now(e, &now));
    assert_int_equal(now, t);
}

static usher_ticket_spec make_spec(uint32_t queue, uint32_t channel, uint32_t priority)
{
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = queue;
    spec.channel = channel;
    spec.priority = priority;
    return spec;
}

static void submit(usher_engine *e, uint64_t ticket_id, uint32_t queue, uint32_t channel,
                   uint32_t priority)
{
    usher_ticket_spec spec = make_spec(queue, channel, priority);
    OK(usher_ticket_submit(e, ticket_id, &spec));
}

/* A ticket with one required skill at a minimum level. */
static void submit_req(usher_engine *e, uint64_t ticket_id, uint32_t queue, uint32_t channel,
                       uint32_t priority, uint32_t skill_id, uint32_t level)
{
    usher_skill_level req = {skill_id, level};
    usher_ticket_spec spec = make_spec(queue, channel, priority);
    spec.required_count = 1;
    spec.required = &req;
    OK(usher_ticket_submit(e, ticket_id, &spec));
}

static usher_ticket_info ticket(const usher_engine *e, uint64_t ticket_id)
{
    usher_ticket_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    OK(usher_ticket_get(e, ticket_id, &info));
    assert_int_equal(info.struct_size, sizeof info);
    return info;
}

static void assert_gone(const usher_engine *e, uint64_t ticket_id)
{
    usher_ticket_info info;
    memset(&info, 0x5a, sizeof info);
    info.struct_size = sizeof info;
    assert_int_equal(usher_ticket_get(e, ticket_id, &info), USHER_ENOTFOUND);
    assert_int_equal(info.state, 0x5a5a5a5au); /* untouched */
}

static void assert_waiting(const usher_engine *e, uint64_t ticket_id)
{
    usher_ticket_info info = ticket(e, ticket_id);
    assert_int_equal(info.state, WAITING);
    assert_int_equal(info.agent_id, 0);
    assert_int_equal(info.assigned_ms, 0);
}

static void assert_assigned(const usher_engine *e, uint64_t ticket_id, uint64_t agent_id,
                            uint64_t assigned_ms)
{
    usher_ticket_info info = ticket(e, ticket_id);
    assert_int_equal(info.state, ASSIGNED);
    assert_int_equal(info.agent_id, agent_id);
    assert_int_equal(info.assigned_ms, assigned_ms);
    uint64_t holder = 0;
    OK(usher_capacity_holder(e, ticket_id, &holder, NULL));
    assert_int_equal(holder, agent_id);
}

static uint64_t agent_of(const usher_engine *e, uint64_t ticket_id)
{
    usher_ticket_info info = ticket(e, ticket_id);
    assert_int_equal(info.state, ASSIGNED);
    return info.agent_id;
}

static usher_queue_stats qstats(const usher_engine *e, uint32_t queue)
{
    usher_queue_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    OK(usher_queue_get_stats(e, queue, &stats));
    return stats;
}

static void check_stats(const usher_engine *e, uint32_t queue, uint64_t waiting,
                        uint64_t longest_wait_ms, uint64_t entered, uint64_t answered,
                        uint64_t answered_in_sl, uint64_t answer_wait_ms, uint64_t abandoned,
                        uint64_t completed)
{
    usher_queue_stats s = qstats(e, queue);
    assert_int_equal(s.waiting, waiting);
    assert_int_equal(s.longest_wait_ms, longest_wait_ms);
    assert_int_equal(s.entered, entered);
    assert_int_equal(s.answered, answered);
    assert_int_equal(s.answered_in_sl, answered_in_sl);
    assert_int_equal(s.answer_wait_ms, answer_wait_ms);
    assert_int_equal(s.abandoned, abandoned);
    assert_int_equal(s.completed, completed);
}

static usher_agent_info agent_info(const usher_engine *e, uint64_t agent_id)
{
    usher_agent_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    OK(usher_agent_get(e, agent_id, &info));
    return info;
}

static void check_event(const usher_event *ev, int32_t type, uint64_t time_ms, uint64_t agent_id,
                        uint64_t ticket_id, int64_t value, int32_t reason)
{
    assert_int_equal(ev->struct_size, sizeof(usher_event));
    assert_int_equal(ev->type, type);
    assert_int_equal(ev->time_ms, time_ms);
    assert_int_equal(ev->agent_id, agent_id);
    assert_int_equal(ev->ticket_id, ticket_id);
    assert_int_equal(ev->value, value);
    assert_int_equal(ev->reason, reason);
    assert_int_equal(ev->timer_id, 0);
    assert_int_equal(ev->offer_token, 0);
    assert_int_equal(ev->detail, 0);
    assert_int_equal(ev->due_ms, 0);
}

static void check_seq(const recorder *r)
{
    for (int i = 1; i < r->count; i++)
        assert_int_equal(r->seen[i].seq, r->seen[i - 1].seq + 1);
}

/* The tickets of the ASSIGNED events from index `from` on, in order. */
static int assigned_since(const recorder *r, int from, uint64_t *out, int max)
{
    int n = 0;
    for (int i = from; i < r->count; i++)
        if (r->seen[i].type == EV_ASSIGNED) {
            assert_true(n < max);
            out[n++] = r->seen[i].ticket_id;
        }
    return n;
}

/* An agent of capacity 1 serves its tickets one after the other: each
 * ticket it is assigned is completed (no wrap-up) as soon as it is seen.
 * Stores the tickets in the order they were assigned. */
static int serve_in_order(usher_engine *e, recorder *r, int from, uint64_t *order, int max)
{
    int n = 0, served = 0;
    for (;;) {
        for (; from < r->count; from++)
            if (r->seen[from].type == EV_ASSIGNED) {
                assert_true(n < max);
                order[n++] = r->seen[from].ticket_id;
            }
        if (served == n)
            return n;
        OK(usher_ticket_complete(e, order[served++], NO_WRAPUP));
    }
}

static void assert_order(const uint64_t *got, int n, const uint64_t *want, int m)
{
    assert_int_equal(n, m);
    for (int i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("position %d: ticket %llu, expected %llu", i, (unsigned long long)got[i],
                     (unsigned long long)want[i]);
}

/* ======================================================================
 * 1. Assignment at once, or waiting until an agent can take the ticket
 * ====================================================================== */

static void test_submit_assigns_at_once(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 1000);
    add_channel(e, 2, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 7, 2);
    login(e, 7);
    at(e, 1500);
    r.count = 0;

    usher_ticket_spec spec = make_spec(1, 2, 4);
    spec.tier = 3;
    spec.customer_id = 555;
    spec.created_ms = 1200; /* the customer asked 300 ms ago */
    OK(usher_ticket_submit(e, 100, &spec));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_ASSIGNED, 1500, 7, 100, 300, 2); /* reason: the channel */

    usher_ticket_info t = ticket(e, 100);
    assert_int_equal(t.state, ASSIGNED);
    assert_int_equal(t.queue, 1);
    assert_int_equal(t.channel, 2);
    assert_int_equal(t.priority, 4);
    assert_int_equal(t.tier, 3);
    assert_int_equal(t.required_count, 0);
    assert_int_equal(t.preferred_count, 0);
    assert_int_equal(t.customer_id, 555);
    assert_int_equal(t.created_ms, 1200);
    assert_int_equal(t.agent_id, 7);
    assert_int_equal(t.assigned_ms, 1500);
    assert_int_equal(t.effective_priority, 4000 + 300); /* tier weights are 0 */

    uint64_t holder = 0;
    uint32_t channel = 99;
    OK(usher_capacity_holder(e, 100, &holder, &channel));
    assert_int_equal(holder, 7);
    assert_int_equal(channel, 2);
    usher_agent_info a = agent_info(e, 7);
    assert_int_equal(a.capacity_used, 1);
    assert_int_equal(a.work_count, 1);
    assert_int_equal(a.assignments_today, 1);
    check_stats(e, 1, 0, 0, 1, 1, 1, 300, 0, 0);
    check_seq(&r);
    free_engine(e);
}

static void test_waits_until_agent_available(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 7, 1); /* offline */
    at(e, 100);
    r.count = 0;
    submit(e, 100, 1, 0, 0);
    assert_int_equal(r.count, 0);
    assert_waiting(e, 100);
    check_stats(e, 1, 1, 0, 1, 0, 0, 0, 0, 0);
    at(e, 400);
    check_stats(e, 1, 1, 300, 1, 0, 0, 0, 0, 0);

    OK(usher_agent_set_state(e, 7, AWAY, 3)); /* logged in, but away */
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_STATE, 400, 7, 0, AWAY, 3);
    assert_waiting(e, 100);

    r.count = 0;
    at(e, 450);
    login(e, 7);
    assert_int_equal(r.count, 2);
    check_event(&r.seen[0], EV_STATE, 450, 7, 0, AVAIL, 0);
    check_event(&r.seen[1], EV_ASSIGNED, 450, 7, 100, 350, 0);
    assert_assigned(e, 100, 7, 450);
    check_stats(e, 1, 0, 0, 1, 1, 1, 350, 0, 0);
    check_seq(&r);
    free_engine(e);
}

static void test_waits_until_capacity_freed(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 7, 1);
    login(e, 7);
    OK(usher_capacity_reserve(e, 7, 900, 0)); /* the host's own ticket fills it */
    at(e, 100);
    r.count = 0;
    submit(e, 100, 1, 0, 0);
    at(e, 200);
    submit(e, 101, 1, 0, 0);
    assert_int_equal(r.count, 0);
    assert_waiting(e, 100);
    assert_waiting(e, 101);

    at(e, 300);
    OK(usher_agent_set_capacity(e, 7, 2)); /* room for one more */
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_ASSIGNED, 300, 7, 100, 200, 0);
    assert_waiting(e, 101);

    at(e, 450);
    r.count = 0;
    OK(usher_capacity_release(e, 900, NO_WRAPUP));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_ASSIGNED, 450, 7, 101, 250, 0);
    assert_assigned(e, 101, 7, 450);
    usher_agent_info a = agent_info(e, 7);
    assert_int_equal(a.capacity_used, 2);
    assert_int_equal(a.work_count, 2);
    free_engine(e);
}

static void test_waits_until_agent_has_skill(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    uint32_t billing = skill(e, "billing");
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 7, 1);
    OK(usher_agent_set_skill(e, 7, billing, 2));
    login(e, 7);
    add_agent(e, 8, 1); /* no skills */
    login(e, 8);
    r.count = 0;

    submit_req(e, 100, 1, 0, 0, billing, 3);
    assert_int_equal(r.count, 0);
    assert_waiting(e, 100);
    assert_int_equal(ticket(e, 100).required_count, 1);

    at(e, 50);
    OK(usher_agent_set_skill(e, 7, billing, 3)); /* now meets the minimum */
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_ASSIGNED, 50, 7, 100, 50, 0);

    r.count = 0;
    submit_req(e, 101, 1, 0, 0, billing, 1); /* 7 is full, 8 lacks the skill */
    assert_int_equal(r.count, 0);
    assert_waiting(e, 101);
    at(e, 80);
    OK(usher_agent_set_skill(e, 8, billing, 1));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_ASSIGNED, 80, 8, 101, 30, 0);
    free_engine(e);
}

static void test_waits_until_wrapup_ends(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 5000);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 7, 1);
    login(e, 7);
    submit(e, 100, 1, 0, 0);
    submit(e, 101, 1, 0, 0);
    assert_assigned(e, 100, 7, 0);
    assert_waiting(e, 101);

    at(e, 1000);
    r.count = 0;
    OK(usher_ticket_complete(e, 100, 0));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_COMPLETED, 1000, 7, 100, 1000, 0);
    usher_agent_info a = agent_info(e, 7);
    assert_int_equal(a.work_count, 0);
    assert_int_equal(a.wrapup_count, 1);
    assert_int_equal(a.capacity_used, 1);
    assert_waiting(e, 101);

    at(e, 5999);
    assert_int_equal(r.count, 1);
    assert_waiting(e, 101);
    at(e, 6000);
    assert_int_equal(r.count, 3);
    check_event(&r.seen[1], EV_WRAPUP, 6000, 7, 100, 0, 0);
    check_event(&r.seen[2], EV_ASSIGNED, 6000, 7, 101, 6000, 0);
    assert_assigned(e, 101, 7, 6000);
    check_seq(&r);
    free_engine(e);
}

/* ======================================================================
 * 2. Required and preferred skills
 * ====================================================================== */

static void test_required_skill_levels(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    uint32_t s = skill(e, "billing");
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 1, 2);
    OK(usher_agent_set_skill(e, 1, s, 2));
    add_agent(e, 2, 2);
    OK(usher_agent_set_skill(e, 2, s, 5));
    add_agent(e, 3, 2); /* no skill */
    login(e, 1);
    at(e, 10);
    login(e, 3);
    at(e, 20);
    login(e, 2);
    at(e, 100);

    submit_req(e, 10, 1, 0, 0, s, 3); /* only agent 2 reaches level 3 */
    assert_int_equal(agent_of(e, 10), 2);
    submit(e, 11, 1, 0, 0); /* no requirement: the longest idle */
    assert_int_equal(agent_of(e, 11), 1);
    submit_req(e, 12, 1, 0, 0, s, 6); /* nobody reaches 6 */
    assert_waiting(e, 12);
    submit_req(e, 13, 1, 0, 0, s, 5); /* exactly the level: eligible */
    assert_int_equal(agent_of(e, 13), 2);
    submit_req(e, 14, 1, 0, 0, s, 2);
    assert_int_equal(agent_of(e, 14), 1);
    submit_req(e, 15, 1, 0, 0, s, 1); /* 1 and 2 full, 3 lacks the skill */
    assert_waiting(e, 15);

    OK(usher_agent_set_skill(e, 3, s, 1));
    assert_int_equal(agent_of(e, 15), 3);
    assert_waiting(e, 12); /* level 1 is below 6 */
    OK(usher_agent_set_skill(e, 2, s, 6)); /* 2 is full */
    assert_waiting(e, 12);
    OK(usher_ticket_complete(e, 10, NO_WRAPUP));
    assert_int_equal(agent_of(e, 12), 2);
    free_engine(e);
}

static void submit_prefs(usher_engine *e, uint64_t ticket_id, uint32_t queue,
                         const usher_skill_level *req, uint32_t req_count,
                         const usher_skill_level *pref, uint32_t pref_count)
{
    usher_ticket_spec spec = make_spec(queue, 0, 0);
    spec.required = req;
    spec.required_count = req_count;
    spec.preferred = pref;
    spec.preferred_count = pref_count;
    OK(usher_ticket_submit(e, ticket_id, &spec));
}

static void test_preferred_skills_best_skill(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    uint32_t rs = skill(e, "required"), ps = skill(e, "preferred"), qs = skill(e, "nobody");
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, BEST_SKILL, 1000);
    add_queue(e, 2, LONGEST_IDLE, 1000);
    add_agent(e, 1, 10); /* A: required 2 */
    OK(usher_agent_set_skill(e, 1, rs, 2));
    add_agent(e, 2, 10); /* B: required 2, preferred 2 */
    OK(usher_agent_set_skill(e, 2, rs, 2));
    OK(usher_agent_set_skill(e, 2, ps, 2));
    add_agent(e, 3, 10); /* C: required 8 */
    OK(usher_agent_set_skill(e, 3, rs, 8));
    login(e, 1);
    at(e, 10);
    login(e, 2);
    at(e, 20);
    login(e, 3);
    at(e, 100);

    const usher_skill_level req1 = {rs, 1}, req3 = {rs, 3};
    /* Scores: A 2, B 2 + 3 * 2 = 8, C 8: a tie, broken by idle time (B
     * logged in before C). */
    const usher_skill_level w3 = {ps, 3};
    submit_prefs(e, 14, 1, &req1, 1, &w3, 1);
    assert_int_equal(agent_of(e, 14), 2);
    usher_ticket_info t = ticket(e, 14);
    assert_int_equal(t.required_count, 1);
    assert_int_equal(t.preferred_count, 1);

    submit_prefs(e, 11, 1, &req1, 1, NULL, 0); /* A 2, B 2, C 8 */
    assert_int_equal(agent_of(e, 11), 3);
    const usher_skill_level w4 = {ps, 4}; /* B 2 + 8 = 10 > C 8 */
    submit_prefs(e, 12, 1, &req1, 1, &w4, 1);
    assert_int_equal(agent_of(e, 12), 2);
    const usher_skill_level w2 = {ps, 2}; /* B 2 + 4 = 6 < C 8 */
    submit_prefs(e, 13, 1, &req1, 1, &w2, 1);
    assert_int_equal(agent_of(e, 13), 3);
    /* A preferred skill nobody has counts 0 for everyone: B 2 + 2 = 4. */
    const usher_skill_level wq[] = {{qs, 100}, {ps, 1}};
    submit_prefs(e, 16, 1, &req1, 1, wq, 2);
    assert_int_equal(agent_of(e, 16), 3);
    /* No requirement: the preference alone (A 0, B 2, C 0). */
    const usher_skill_level w1 = {ps, 1};
    submit_prefs(e, 17, 1, NULL, 0, &w1, 1);
    assert_int_equal(agent_of(e, 17), 2);
    /* Under another strategy preferences do not count: the longest idle. */
    const usher_skill_level w100 = {ps, 100};
    submit_prefs(e, 15, 2, &req1, 1, &w100, 1);
    assert_int_equal(agent_of(e, 15), 1);
    /* Below the minimum level an agent is never chosen, whatever its
     * preferred skills would score. */
    OK(usher_agent_set_skill(e, 1, ps, 10));
    submit_prefs(e, 18, 1, &req3, 1, &w100, 1); /* A: 2 + 1000 but level 2 < 3 */
    assert_int_equal(agent_of(e, 18), 3);
    free_engine(e);
}

static void test_below_minimum_never_chosen_best_skill(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    uint32_t rs = skill(e, "required"), ps = skill(e, "preferred");
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, BEST_SKILL, 1000);
    add_agent(e, 1, 10);
    const usher_skill_level a_skills[] = {{rs, 4}, {ps, 10}};
    OK(usher_agent_set_skills(e, 1, a_skills, 2));
    login(e, 1);
    r.count = 0;
    const usher_skill_level req = {rs, 5}, pref = {ps, 100};
    submit_prefs(e, 10, 1, &req, 1, &pref, 1);
    assert_int_equal(r.count, 0);
    assert_waiting(e, 10);
    OK(usher_agent_set_skill(e, 1, rs, 5));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_ASSIGNED, 0, 1, 10, 0, 0);
    free_engine(e);
}

/* ======================================================================
 * 3. Selection strategies
 * ====================================================================== */

static void test_strategy_longest_idle(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 0);
    for (uint64_t a = 1; a <= 3; a++)
        add_agent(e, a, 1);
    login(e, 1);
    at(e, 100);
    login(e, 2);
    at(e, 200);
    login(e, 3);
    at(e, 300);
    submit(e, 10, 1, 0, 0);
    submit(e, 11, 1, 0, 0);
    submit(e, 12, 1, 0, 0);
    assert_int_equal(agent_of(e, 10), 1);
    assert_int_equal(agent_of(e, 11), 2);
    assert_int_equal(agent_of(e, 12), 3);
    at(e, 400);
    OK(usher_ticket_complete(e, 11, NO_WRAPUP)); /* 2 idle since 400 */
    at(e, 500);
    OK(usher_ticket_complete(e, 10, NO_WRAPUP)); /* 1 idle since 500 */
    at(e, 600);
    OK(usher_ticket_complete(e, 12, NO_WRAPUP)); /* 3 idle since 600 */
    at(e, 700);
    submit(e, 13, 1, 0, 0);
    submit(e, 14, 1, 0, 0);
    submit(e, 15, 1, 0, 0);
    assert_int_equal(agent_of(e, 13), 2);
    assert_int_equal(agent_of(e, 14), 1);
    assert_int_equal(agent_of(e, 15), 3);
    free_engine(e);

    /* Ties go to the lower id; a wrap-up's end starts the idle time. */
    e = new_engine(&r, 0);
    add_channel(e, 1, 0, 1, 0, 1000);
    add_queue(e, 1, LONGEST_IDLE, 0);
    add_agent(e, 9, 1);
    add_agent(e, 4, 1);
    login(e, 9);
    login(e, 4); /* same time as 9 */
    submit(e, 20, 1, 1, 0);
    assert_int_equal(agent_of(e, 20), 4);
    submit(e, 21, 1, 1, 0);
    assert_int_equal(agent_of(e, 21), 9);
    at(e, 1000);
    OK(usher_ticket_complete(e, 20, 0)); /* 4: wrap-up until 2000 */
    at(e, 1500);
    OK(usher_ticket_complete(e, 21, NO_WRAPUP)); /* 9 idle since 1500 */
    at(e, 2500);
    submit(e, 22, 1, 1, 0);
    assert_int_equal(agent_of(e, 22), 9);
    free_engine(e);
}

/*
 * LONGEST_IDLE: an agent that holds work but has room is not idle; it
 * counts from when it took its latest ticket. An agent with nothing to do
 * since an earlier time gets the next ticket.
 */
static void test_longest_idle_working_agent(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 0);
    add_agent(e, 1, 3);
    add_agent(e, 2, 3);
    login(e, 1);
    at(e, 50);
    login(e, 2);
    at(e, 100);
    submit(e, 10, 1, 0, 0);
    assert_int_equal(agent_of(e, 10), 1); /* idle since 0 */
    at(e, 200);
    submit(e, 11, 1, 0, 0); /* 1 took a ticket at 100; 2 has been idle since 50 */
    assert_int_equal(agent_of(e, 11), 2);
    at(e, 300);
    submit(e, 12, 1, 0, 0); /* 1 counts from 100, 2 from 200 */
    assert_int_equal(agent_of(e, 12), 1);
    at(e, 400);
    OK(usher_ticket_complete(e, 12, NO_WRAPUP)); /* 1 from 400 */
    submit(e, 13, 1, 0, 0);
    assert_int_equal(agent_of(e, 13), 2);
    free_engine(e);
}

static void test_strategy_most_free(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_channel(e, 1, 0, 3, 0, 0);
    add_queue(e, 1, MOST_FREE, 0);
    add_agent(e, 1, 2);
    add_agent(e, 2, 9);
    add_agent(e, 3, 5);
    login(e, 1);
    login(e, 2);
    login(e, 3);
    submit(e, 10, 1, 1, 0); /* free 2, 9, 5 */
    assert_int_equal(agent_of(e, 10), 2);
    submit(e, 11, 1, 1, 0); /* 2, 6, 5 */
    assert_int_equal(agent_of(e, 11), 2);
    submit(e, 12, 1, 0, 0); /* 2, 3, 5 */
    assert_int_equal(agent_of(e, 12), 3);
    submit(e, 13, 1, 0, 0); /* 2, 3, 4 */
    assert_int_equal(agent_of(e, 13), 3);
    assert_int_equal(agent_info(e, 3).capacity_used, 2);
    free_engine(e);

    /* Equal free capacity: the longest idle, whatever the ids. */
    e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, MOST_FREE, 0);
    add_agent(e, 5, 3);
    add_agent(e, 4, 3);
    login(e, 5);
    at(e, 10);
    login(e, 4);
    submit(e, 20, 1, 0, 0);
    assert_int_equal(agent_of(e, 20), 5);
    submit(e, 21, 1, 0, 0); /* 5 has 2 free, 4 has 3 */
    assert_int_equal(agent_of(e, 21), 4);
    free_engine(e);
}

static void test_strategy_fewest_assignments(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, FEWEST, 0);
    for (uint64_t a = 1; a <= 3; a++)
        add_agent(e, a, 1);
    login(e, 1);
    at(e, 10);
    login(e, 2);
    at(e, 20);
    login(e, 3);
    at(e, 30); /* the host's own reservations count as assignments too */
    OK(usher_capacity_reserve(e, 1, 900, 0));
    OK(usher_capacity_release(e, 900, NO_WRAPUP));
    OK(usher_capacity_reserve(e, 1, 901, 0));
    OK(usher_capacity_release(e, 901, NO_WRAPUP));
    at(e, 40);
    OK(usher_capacity_reserve(e, 2, 902, 0));
    OK(usher_capacity_release(e, 902, NO_WRAPUP));
    at(e, 50);
    submit(e, 10, 1, 0, 0); /* 2, 1, 0 assignments */
    assert_int_equal(agent_of(e, 10), 3);
    at(e, 60);
    OK(usher_ticket_complete(e, 10, NO_WRAPUP)); /* 3 idle since 60 */
    at(e, 70);
    submit(e, 11, 1, 0, 0); /* 2, 1, 1: 2 idle since 40, 3 since 60 */
    assert_int_equal(agent_of(e, 11), 2);
    at(e, 80);
    OK(usher_ticket_complete(e, 11, NO_WRAPUP));
    at(e, 90);
    submit(e, 12, 1, 0, 0); /* 2, 2, 1 */
    assert_int_equal(agent_of(e, 12), 3);
    assert_int_equal(agent_info(e, 1).assignments_today, 2);
    assert_int_equal(agent_info(e, 2).assignments_today, 2);
    assert_int_equal(agent_info(e, 3).assignments_today, 2);
    OK(usher_agents_new_day(e)); /* all 0: the longest idle of 1 (30), 2 (80) */
    at(e, 95);
    submit(e, 13, 1, 0, 0);
    assert_int_equal(agent_of(e, 13), 1);
    assert_int_equal(agent_info(e, 1).assignments_today, 1);
    free_engine(e);
}

static void test_strategy_round_robin(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, ROUND_ROBIN, 0);
    add_agent(e, 3, 10);
    add_agent(e, 1, 10);
    add_agent(e, 2, 10);
    login(e, 3); /* idle longest, but never-assigned agents go by id */
    at(e, 10);
    login(e, 1);
    at(e, 20);
    login(e, 2);
    at(e, 100);
    const uint64_t want1[] = {1, 2, 3, 1, 2, 3};
    for (uint64_t i = 0; i < 6; i++) {
        submit(e, 10 + i, 1, 0, 0);
        assert_int_equal(agent_of(e, 10 + i), want1[i]);
    }
    OK(usher_ticket_complete(e, 10, NO_WRAPUP)); /* completions do not matter */
    add_agent(e, 9, 10);
    login(e, 9);
    const uint64_t want2[] = {9, 1, 2, 3, 9, 1};
    for (uint64_t i = 0; i < 6; i++) {
        submit(e, 20 + i, 1, 0, 0);
        assert_int_equal(agent_of(e, 20 + i), want2[i]);
    }
    free_engine(e);
}

#define RANDOM_PICKS 200

static void random_run(uint64_t seed, uint64_t *picks)
{
    static recorder rec;
    recorder *r = &rec;
    usher_engine *e = engine_with(r, 0, seed, NULL);
    uint32_t s = skill(e, "s");
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, RANDOM, 1000);
    for (uint64_t a = 1; a <= 7; a++) {
        add_agent(e, a, a == 7 ? 1 : 1000);
        if (a != 5) /* 5 lacks the skill */
            OK(usher_agent_set_skill(e, a, s, 1));
        if (a != 6) /* 6 is offline */
            login(e, a);
    }
    OK(usher_capacity_reserve(e, 7, 5000, 0)); /* 7 is full */
    for (int i = 0; i < RANDOM_PICKS; i++) {
        submit_req(e, 100 + (uint64_t)i, 1, 0, 0, s, 1);
        picks[i] = agent_of(e, 100 + (uint64_t)i);
    }
    free_engine(e);
}

static void test_strategy_random(void **state)
{
    (void)state;
    static uint64_t a[RANDOM_PICKS], b[RANDOM_PICKS], c[RANDOM_PICKS];
    random_run(42, a);
    random_run(42, b);
    random_run(43, c);
    int count[8] = {0};
    int differ = 0;
    for (int i = 0; i < RANDOM_PICKS; i++) {
        assert_int_equal(a[i], b[i]); /* the same seed, the same choices */
        assert_true(a[i] >= 1 && a[i] <= 4); /* only eligible agents */
        assert_true(c[i] >= 1 && c[i] <= 4);
        count[a[i]]++;
        differ += a[i] != c[i];
    }
    for (int agent = 1; agent <= 4; agent++)
        if (count[agent] < 20) /* 50 expected */
            fail_msg("agent %d got %d of %d tickets", agent, count[agent], RANDOM_PICKS);
    assert_true(differ > 0); /* another seed, other choices */
}

/* When several agents become free in one call, a ticket goes to the agent
 * its queue's strategy ranks first among them. */
static void test_several_agents_freed_in_one_call(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    uint32_t s = skill(e, "s");
    add_channel(e, 0, 0, 1, 0, 1000);
    add_queue(e, 1, BEST_SKILL, 0);
    add_agent(e, 1, 1);
    OK(usher_agent_set_skill(e, 1, s, 3));
    add_agent(e, 2, 1);
    OK(usher_agent_set_skill(e, 2, s, 7));
    login(e, 1);
    login(e, 2);
    submit_req(e, 10, 1, 0, 0, s, 1);
    submit_req(e, 11, 1, 0, 0, s, 1);
    assert_int_equal(agent_of(e, 10), 2);
    assert_int_equal(agent_of(e, 11), 1);
    at(e, 500);
    OK(usher_ticket_complete(e, 11, 0)); /* both wrap-ups end at 1500 */
    OK(usher_ticket_complete(e, 10, 0));
    at(e, 600);
    submit_req(e, 20, 1, 0, 5, s, 1); /* high */
    submit_req(e, 21, 1, 0, 1, s, 1); /* low */
    r.count = 0;
    at(e, 1500);
    assert_int_equal(r.count, 4);
    assert_int_equal(r.seen[0].type, EV_WRAPUP);
    assert_int_equal(r.seen[1].type, EV_WRAPUP);
    /* The best skill (2) gets the first ticket, the other agent the next. */
    check_event(&r.seen[2], EV_ASSIGNED, 1500, 2, 20, 900, 0);
    check_event(&r.seen[3], EV_ASSIGNED, 1500, 1, 21, 900, 0);
    free_engine(e);
}

/* ======================================================================
 * 4. Ticket order
 * ====================================================================== */

static void test_order_priority_tier_fifo(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    usher_queue_def def = queue_def(LONGEST_IDLE, 0);
    def.tier_weight[2] = 4;
    OK(usher_queue_add(e, 1, &def));
    add_agent(e, 1, 1);
    /* id: priority / tier -> points */
    const struct {
        uint64_t id;
        uint32_t priority, tier;
        int64_t points;
    } tk[] = {{1, 1, 0, 1}, {2, 5, 0, 5}, {3, 3, 0, 3}, {4, 5, 0, 5},
              {5, 2, 2, 6}, {6, 6, 0, 6}, {7, 1, 1, 1}};
    for (size_t i = 0; i < sizeof tk / sizeof tk[0]; i++) {
        usher_ticket_spec spec = make_spec(1, 0, tk[i].priority);
        spec.tier = tk[i].tier;
        OK(usher_ticket_submit(e, tk[i].id, &spec));
    }
    at(e, 1000); /* ageing rate 0: the points stay */
    for (size_t i = 0; i < sizeof tk / sizeof tk[0]; i++) {
        usher_ticket_info t = ticket(e, tk[i].id);
        assert_int_equal(t.priority, tk[i].priority);
        assert_int_equal(t.tier, tk[i].tier);
        assert_int_equal(t.effective_priority, 1000 * tk[i].points);
    }
    r.count = 0;
    login(e, 1);
    uint64_t order[8];
    int n = serve_in_order(e, &r, 0, order, 8);
    const uint64_t want[] = {5, 6, 2, 4, 3, 1, 7};
    assert_order(order, n, want, 7);
    free_engine(e);
}

/* Old ticket 1 (priority 0, created at 0) and ticket 2 (priority 5)
 * submitted at T; the agent becomes available at T. Ageing 2000
 * milli-points per second: the bound is 1000 * 5 / 2000 = 2.5 s. */
static uint64_t ageing_first(uint64_t T)
{
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 2000);
    add_agent(e, 1, 1);
    submit(e, 1, 1, 0, 0);
    at(e, T);
    submit(e, 2, 1, 0, 5);
    assert_int_equal(ticket(e, 1).effective_priority, (int64_t)(2 * T));
    assert_int_equal(ticket(e, 2).effective_priority, 5000);
    r.count = 0;
    login(e, 1);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.seen[1].type, EV_ASSIGNED);
    uint64_t first = r.seen[1].ticket_id;
    OK(usher_ticket_complete(e, first, NO_WRAPUP));
    assert_int_equal(r.count, 4);
    assert_int_equal(r.seen[3].ticket_id, 3 - first); /* then the other one */
    free_engine(e);
    return first;
}

static void test_ageing_bound(void **state)
{
    (void)state;
    assert_int_equal(ageing_first(0), 2);
    assert_int_equal(ageing_first(2499), 2); /* waited less than the bound */
    assert_int_equal(ageing_first(2500), 1); /* equal points: first come first */
    assert_int_equal(ageing_first(2501), 1); /* waited more than the bound */
    assert_int_equal(ageing_first(100000), 1);
}

static void test_ageing_counts_creation_in_past(void **state)
{
    (void)state;
    for (int c = 0; c < 2; c++) {
        recorder r;
        usher_engine *e = new_engine(&r, 10000);
        add_channel(e, 0, 0, 1, 0, 0);
        add_queue(e, 1, LONGEST_IDLE, 2000);
        add_agent(e, 1, 1);
        usher_ticket_spec old = make_spec(1, 0, 0);
        old.created_ms = c == 0 ? 7000 : 8000; /* waited 3 s (6000) or 2 s (4000) */
        OK(usher_ticket_submit(e, 1, &old));
        submit(e, 2, 1, 0, 5); /* 5000 */
        assert_int_equal(ticket(e, 1).created_ms, old.created_ms);
        assert_int_equal(ticket(e, 1).effective_priority, c == 0 ? 6000 : 4000);
        assert_int_equal(ticket(e, 2).created_ms, 10000);
        r.count = 0;
        login(e, 1);
        assert_int_equal(r.count, 2);
        if (c == 0)
            check_event(&r.seen[1], EV_ASSIGNED, 10000, 1, 1, 3000, 0);
        else
            check_event(&r.seen[1], EV_ASSIGNED, 10000, 1, 2, 0, 0);
        free_engine(e);
    }
}

/* E(t) compares the creation times: a newer ticket of higher priority
 * that has itself waited keeps that wait, so the old ticket overtakes it
 * only once the difference of their ages exceeds 1000 * d / rate. */
static void test_ageing_compares_creation_times(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 1, 1);
    submit(e, 1, 1, 0, 0);
    at(e, 500);
    submit(e, 2, 1, 0, 1);
    at(e, 1200); /* ticket 1 waited 1.2 s > 1000 * 1 / 1000 s */
    assert_int_equal(ticket(e, 1).effective_priority, 1200);
    assert_int_equal(ticket(e, 2).effective_priority, 1000 + 700);
    r.count = 0;
    login(e, 1);
    assert_int_equal(r.count, 2);
    check_event(&r.seen[1], EV_ASSIGNED, 1200, 1, 2, 700, 0);
    free_engine(e);
}

static void test_ageing_zero_is_strict(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 0);
    add_agent(e, 1, 1);
    submit(e, 1, 1, 0, 0);
    at(e, 10000000); /* almost three hours */
    submit(e, 2, 1, 0, 1);
    assert_int_equal(ticket(e, 1).effective_priority, 0);
    assert_int_equal(ticket(e, 2).effective_priority, 1000);
    r.count = 0;
    login(e, 1);
    uint64_t order[4];
    int n = serve_in_order(e, &r, 0, order, 4);
    const uint64_t want[] = {2, 1};
    assert_order(order, n, want, 2);
    free_engine(e);
}

/* X in queue 1 (ageing 1000, priority 0), Y in queue 2 (no ageing,
 * priority 1 in tier 1 of weight 2: 3000), both created at 0, one agent
 * serving both queues comes at T. */
static uint64_t cross_queue_first(uint64_t T, int y_first)
{
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    usher_queue_def def = queue_def(MOST_FREE, 0);
    def.tier_weight[1] = 2;
    OK(usher_queue_add(e, 2, &def));
    add_agent(e, 1, 1);
    usher_ticket_spec x = make_spec(1, 0, 0), y = make_spec(2, 0, 1);
    y.tier = 1;
    if (y_first)
        OK(usher_ticket_submit(e, 20, &y));
    OK(usher_ticket_submit(e, 10, &x));
    if (!y_first)
        OK(usher_ticket_submit(e, 20, &y));
    at(e, T);
    assert_int_equal(ticket(e, 10).effective_priority, (int64_t)T);
    assert_int_equal(ticket(e, 20).effective_priority, 3000);
    r.count = 0;
    login(e, 1);
    uint64_t order[4];
    int n = serve_in_order(e, &r, 0, order, 4);
    assert_int_equal(n, 2);
    free_engine(e);
    return order[0];
}

static void test_cross_queue_order(void **state)
{
    (void)state;
    assert_int_equal(cross_queue_first(2999, 0), 20);
    assert_int_equal(cross_queue_first(3000, 0), 10); /* equal: submitted first */
    assert_int_equal(cross_queue_first(3000, 1), 20);
    assert_int_equal(cross_queue_first(3001, 1), 10);
}

/* ======================================================================
 * 5. No starvation
 * ====================================================================== */

/* One agent serves one ticket a second; priority-10 tickets arrive two a
 * second. Returns when the old priority-0 ticket was assigned (0: not by
 * 30 s) and stores the tickets assigned before it. */
static uint64_t starvation_run(uint32_t ageing_rate, uint64_t *before, int *n_before)
{
    static recorder rec;
    recorder *r = &rec;
    usher_engine *e = new_engine(r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, ageing_rate);
    add_agent(e, 1, 1);
    login(e, 1);
    submit(e, 1, 1, 0, 10); /* the agent's first ticket */
    submit(e, 2, 1, 0, 0);  /* the old low-priority ticket */
    uint64_t current = 1, next_id = 100, assigned_at = 0;
    *n_before = 0;
    for (uint64_t t = 500; t <= 30000 && assigned_at == 0; t += 500) {
        at(e, t);
        if (t % 1000 == 0) {
            int from = r->count;
            OK(usher_ticket_complete(e, current, NO_WRAPUP));
            uint64_t got[2];
            assert_int_equal(assigned_since(r, from, got, 2), 1);
            current = got[0];
            if (current == 2)
                assigned_at = t;
            else
                before[(*n_before)++] = current;
        }
        submit(e, next_id++, 1, 0, 10);
    }
    if (assigned_at == 0) {
        assert_waiting(e, 2);
        usher_queue_stats s = qstats(e, 1);
        assert_int_equal(s.longest_wait_ms, 30000);
    } else {
        usher_event last = r->seen[r->count - 1];
        check_event(&last, EV_ASSIGNED, assigned_at, 1, 2, (int64_t)assigned_at, 0);
    }
    free_engine(e);
    return assigned_at;
}

static void test_no_starvation(void **state)
{
    (void)state;
    uint64_t before[64];
    int n = 0;
    /* Ageing 1000: the old ticket ranks ahead of every ticket created more
     * than 10 s after it (and ties with the one created at 10 s, which it
     * beats by arrival): the 19 created at 0.5 .. 9.5 s go first. */
    assert_int_equal(starvation_run(1000, before, &n), 20000);
    assert_int_equal(n, 19);
    for (int i = 0; i < n; i++)
        assert_int_equal(before[i], 100 + (uint64_t)i);
    /* Without ageing it starves. */
    assert_int_equal(starvation_run(0, before, &n), 0);
    assert_int_equal(n, 30);
}

/* ======================================================================
 * 6. Logout and removal of an agent holding routed tickets
 * ====================================================================== */

static void test_logout_requeues_and_reassigns(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 5000); /* a requeue starts no wrap-up */
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 1, 1);
    add_agent(e, 2, 1);
    login(e, 1);
    at(e, 10);
    login(e, 2);
    at(e, 100);
    submit(e, 10, 1, 0, 0);
    assert_assigned(e, 10, 1, 100);
    at(e, 250);
    r.count = 0;
    logout(e, 1);
    assert_int_equal(r.count, 3);
    check_event(&r.seen[0], EV_STATE, 250, 1, 0, OFF, 0);
    check_event(&r.seen[1], EV_REQUEUED, 250, 1, 10, 0, USHER_RETURN_LOGOUT);
    check_event(&r.seen[2], EV_ASSIGNED, 250, 2, 10, 150, 0);
    usher_agent_info a = agent_info(e, 1);
    assert_int_equal(a.state, OFF);
    assert_int_equal(a.capacity_used, 0);
    assert_int_equal(a.work_count, 0);
    assert_int_equal(a.wrapup_count, 0);
    assert_assigned(e, 10, 2, 250);
    assert_int_equal(ticket(e, 10).created_ms, 100);
    /* Answered once, at its first assignment. */
    check_stats(e, 1, 0, 0, 1, 1, 1, 0, 0, 0);
    check_seq(&r);
    free_engine(e);
}

static void test_requeued_ticket_keeps_place(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 1, 2);
    add_agent(e, 2, 1);
    login(e, 1);
    login(e, 2);
    OK(usher_capacity_reserve(e, 2, 900, 0)); /* 2 is busy */
    at(e, 100);
    submit(e, 10, 1, 0, 0);
    at(e, 120);
    submit(e, 11, 1, 0, 0);
    assert_assigned(e, 10, 1, 100);
    assert_assigned(e, 11, 1, 120);
    at(e, 150);
    submit(e, 12, 1, 0, 0); /* waits */
    at(e, 160);
    submit(e, 13, 1, 0, 0);
    at(e, 200);
    r.count = 0;
    logout(e, 1); /* both go back, oldest first; nobody can take them */
    assert_int_equal(r.count, 3);
    check_event(&r.seen[0], EV_STATE, 200, 1, 0, OFF, 0);
    check_event(&r.seen[1], EV_REQUEUED, 200, 1, 10, 0, USHER_RETURN_LOGOUT);
    check_event(&r.seen[2], EV_REQUEUED, 200, 1, 11, 0, USHER_RETURN_LOGOUT);
    for (uint64_t t = 10; t <= 13; t++)
        assert_waiting(e, t);
    check_stats(e, 1, 4, 100, 4, 2, 2, 0, 0, 0);
    assert_int_equal(agent_info(e, 1).capacity_used, 0);

    at(e, 300);
    r.count = 0;
    uint64_t order[8];
    OK(usher_capacity_release(e, 900, NO_WRAPUP));
    int n = serve_in_order(e, &r, 0, order, 8);
    const uint64_t want[] = {10, 11, 12, 13};
    assert_order(order, n, want, 4);
    check_event(&r.seen[0], EV_ASSIGNED, 300, 2, 10, 200, 0);
    check_stats(e, 1, 0, 0, 4, 4, 4, 150 + 140, 0, 4);
    free_engine(e);
}

static void test_remove_requeues_and_reassigns(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 5000);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 1, 1);
    add_agent(e, 2, 1);
    login(e, 1);
    at(e, 10);
    login(e, 2);
    at(e, 100);
    submit(e, 10, 1, 0, 0);
    assert_int_equal(agent_of(e, 10), 1);
    at(e, 300);
    r.count = 0;
    OK(usher_agent_remove(e, 1));
    assert_int_equal(r.count, 2);
    check_event(&r.seen[0], EV_REQUEUED, 300, 1, 10, 0, USHER_RETURN_REMOVED);
    check_event(&r.seen[1], EV_ASSIGNED, 300, 2, 10, 200, 0);
    usher_agent_info info;
    info.struct_size = sizeof info;
    assert_int_equal(usher_agent_get(e, 1, &info), USHER_ENOTFOUND);
    assert_assigned(e, 10, 2, 300);

    /* Removing the last eligible agent leaves the ticket waiting. */
    r.count = 0;
    OK(usher_agent_remove(e, 2));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_REQUEUED, 300, 2, 10, 0, USHER_RETURN_REMOVED);
    assert_waiting(e, 10);
    check_stats(e, 1, 1, 200, 1, 1, 1, 0, 0, 0);
    free_engine(e);
}

/* ======================================================================
 * 7. Transfer
 * ====================================================================== */

static void test_transfer_waiting(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_queue(e, 2, LONGEST_IDLE, 1000);
    add_agent(e, 1, 1); /* offline */
    submit(e, 10, 1, 0, 3);
    at(e, 300);
    r.count = 0;
    OK(usher_ticket_transfer(e, 10, 2));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_TRANSFERRED, 300, 0, 10, 2, 0);
    usher_ticket_info t = ticket(e, 10);
    assert_int_equal(t.queue, 2);
    assert_int_equal(t.state, WAITING);
    assert_int_equal(t.created_ms, 0); /* its wait goes on */
    assert_int_equal(t.priority, 3);
    check_stats(e, 1, 0, 0, 1, 0, 0, 0, 0, 0);
    check_stats(e, 2, 1, 300, 1, 0, 0, 0, 0, 0);

    r.count = 0;
    assert_int_equal(usher_ticket_transfer(e, 10, 2), USHER_ESTATE); /* already there */
    assert_int_equal(usher_ticket_transfer(e, 10, 77), USHER_ENOTFOUND);
    assert_int_equal(usher_ticket_transfer(e, 99, 1), USHER_ENOTFOUND);
    assert_int_equal(r.count, 0);
    assert_int_equal(ticket(e, 10).queue, 2);
    check_stats(e, 2, 1, 300, 1, 0, 0, 0, 0, 0);

    at(e, 400);
    OK(usher_ticket_transfer(e, 10, 1)); /* back */
    check_event(&r.seen[0], EV_TRANSFERRED, 400, 0, 10, 1, 0);
    check_stats(e, 1, 1, 400, 2, 0, 0, 0, 0, 0);
    check_stats(e, 2, 0, 0, 1, 0, 0, 0, 0, 0);
    at(e, 500);
    login(e, 1);
    assert_assigned(e, 10, 1, 500);
    check_stats(e, 1, 0, 0, 2, 1, 1, 500, 0, 0);
    check_stats(e, 2, 0, 0, 1, 0, 0, 0, 0, 0);
    free_engine(e);
}

static void test_transfer_assigned(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    uint32_t s = skill(e, "s");
    add_channel(e, 0, 0, 1, 0, 5000); /* a transfer starts no wrap-up */
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_queue(e, 2, LONGEST_IDLE, 1000);
    add_agent(e, 1, 1);
    add_agent(e, 2, 1);
    login(e, 1);
    at(e, 10);
    login(e, 2);
    at(e, 100);
    submit(e, 10, 1, 0, 0);
    assert_assigned(e, 10, 1, 100);
    at(e, 200);
    r.count = 0;
    OK(usher_ticket_transfer(e, 10, 2));
    assert_int_equal(r.count, 2);
    check_event(&r.seen[0], EV_TRANSFERRED, 200, 1, 10, 2, 0);
    check_event(&r.seen[1], EV_ASSIGNED, 200, 2, 10, 100, 0);
    usher_agent_info a = agent_info(e, 1);
    assert_int_equal(a.capacity_used, 0);
    assert_int_equal(a.work_count, 0);
    assert_int_equal(a.wrapup_count, 0);
    assert_assigned(e, 10, 2, 200);
    assert_int_equal(ticket(e, 10).queue, 2);
    check_stats(e, 1, 0, 0, 1, 1, 1, 0, 0, 0);
    check_stats(e, 2, 0, 0, 1, 0, 0, 0, 0, 0); /* answered once, from queue 1 */

    /* An assigned ticket may be transferred to its own queue: it leaves
     * its agent and is matched again (1 idle since 200, 2 from now). */
    at(e, 300);
    r.count = 0;
    OK(usher_ticket_transfer(e, 10, 2));
    assert_int_equal(r.count, 2);
    check_event(&r.seen[0], EV_TRANSFERRED, 300, 2, 10, 2, 0);
    check_event(&r.seen[1], EV_ASSIGNED, 300, 1, 10, 200, 0);
    assert_int_equal(agent_info(e, 2).capacity_used, 0);
    assert_int_equal(agent_info(e, 2).wrapup_count, 0);
    check_stats(e, 2, 0, 0, 2, 0, 0, 0, 0, 0);

    /* A requirement added while assigned applies in the new queue: nobody
     * meets it, so the ticket waits there. */
    r.count = 0;
    OK(usher_ticket_require(e, 10, s, 1));
    assert_int_equal(r.count, 0);
    OK(usher_ticket_transfer(e, 10, 1));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_TRANSFERRED, 300, 1, 10, 1, 0);
    assert_waiting(e, 10);
    check_stats(e, 1, 1, 200, 2, 1, 1, 0, 0, 0);
    check_stats(e, 2, 0, 0, 2, 0, 0, 0, 0, 0);
    assert_int_equal(agent_info(e, 1).capacity_used, 0);
    free_engine(e);
}

/* ======================================================================
 * 8. Cancel and complete
 * ====================================================================== */

static void test_cancel(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 1000);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 1, 1);
    login(e, 1);
    submit(e, 10, 1, 0, 0); /* assigned */
    usher_ticket_spec spec = make_spec(1, 0, 0);
    spec.created_ms = 500;
    OK(usher_ticket_submit(e, 11, &spec)); /* waits */
    at(e, 2000);
    r.count = 0;
    OK(usher_ticket_cancel(e, 11));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_ABANDONED, 2000, 0, 11, 1500, 0);
    assert_gone(e, 11);
    check_stats(e, 1, 0, 0, 2, 1, 1, 0, 1, 0);
    assert_int_equal(usher_ticket_cancel(e, 11), USHER_ENOTFOUND);

    assert_int_equal(usher_ticket_cancel(e, 10), USHER_ESTATE); /* assigned */
    assert_assigned(e, 10, 1, 1000);
    assert_int_equal(agent_info(e, 1).capacity_used, 1);
    assert_int_equal(r.count, 1);
    check_stats(e, 1, 0, 0, 2, 1, 1, 0, 1, 0);

    submit(e, 11, 1, 0, 0); /* the id is free again */
    assert_waiting(e, 11);
    assert_int_equal(ticket(e, 11).created_ms, 2000);
    free_engine(e);
}

static void test_complete(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    uint32_t s = skill(e, "s");
    add_channel(e, 0, 0, 1, 0, 3000);
    add_channel(e, 1, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 1, 2);
    login(e, 1);
    at(e, 1000);
    submit(e, 10, 1, 0, 0);
    at(e, 1700);
    r.count = 0;
    OK(usher_ticket_complete(e, 10, 0));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_COMPLETED, 1700, 1, 10, 700, 0);
    assert_gone(e, 10);
    usher_agent_info a = agent_info(e, 1);
    assert_int_equal(a.work_count, 0);
    assert_int_equal(a.wrapup_count, 1); /* channel 0's wrap-up */
    assert_int_equal(a.capacity_used, 1);
    check_stats(e, 1, 0, 0, 1, 1, 1, 0, 0, 1);
    assert_int_equal(usher_ticket_complete(e, 10, 0), USHER_ENOTFOUND);
    assert_int_equal(r.count, 1);

    /* The id may be used again at once, also while its wrap-up runs. */
    submit(e, 10, 1, 0, 0);
    assert_int_equal(r.count, 2);
    check_event(&r.seen[1], EV_ASSIGNED, 1700, 1, 10, 0, 0);

    /* A waiting ticket solved without an agent. */
    submit_req(e, 11, 1, 0, 0, s, 1);
    at(e, 1800);
    r.count = 0;
    OK(usher_ticket_complete(e, 11, 0));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_COMPLETED, 1800, 0, 11, 0, 0);
    assert_gone(e, 11);
    check_stats(e, 1, 0, 0, 3, 2, 2, 0, 0, 2);

    at(e, 4700);
    assert_int_equal(r.count, 2);
    check_event(&r.seen[1], EV_WRAPUP, 4700, 1, 10, 0, 0);
    r.count = 0;
    at(e, 5000);
    OK(usher_ticket_complete(e, 10, NO_WRAPUP));
    check_event(&r.seen[0], EV_COMPLETED, 5000, 1, 10, 3300, 0);
    a = agent_info(e, 1);
    assert_int_equal(a.capacity_used, 0);
    assert_int_equal(a.wrapup_count, 0);

    /* A channel without wrap-up frees the capacity at once. */
    submit(e, 12, 1, 1, 0);
    OK(usher_ticket_complete(e, 12, 0));
    a = agent_info(e, 1);
    assert_int_equal(a.capacity_used, 0);
    assert_int_equal(a.wrapup_count, 0);
    check_stats(e, 1, 0, 0, 4, 3, 3, 0, 0, 4);
    free_engine(e);
}

/* ======================================================================
 * 9. The capacity calls and the router's tickets
 * ====================================================================== */

static void test_capacity_calls_on_router_tickets(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    uint32_t s = skill(e, "s");
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 1, 3);
    login(e, 1);
    submit(e, 10, 1, 0, 0);
    submit_req(e, 11, 1, 0, 0, s, 1); /* waits */
    r.count = 0;
    assert_int_equal(usher_capacity_release(e, 10, 0), USHER_ESTATE);
    assert_int_equal(usher_capacity_release(e, 10, NO_WRAPUP), USHER_ESTATE);
    assert_assigned(e, 10, 1, 0);
    assert_int_equal(usher_capacity_reserve(e, 1, 10, 0), USHER_EEXIST);
    assert_int_equal(usher_capacity_reserve(e, 1, 11, 0), USHER_EEXIST);
    assert_int_equal(usher_capacity_holder(e, 11, NULL, NULL), USHER_ENOTFOUND);
    assert_waiting(e, 11);
    usher_agent_info a = agent_info(e, 1);
    assert_int_equal(a.capacity_used, 1);
    assert_int_equal(a.assignments_today, 1);
    assert_int_equal(r.count, 0);

    OK(usher_capacity_reserve(e, 1, 900, 0)); /* the host's own ticket */
    usher_ticket_spec spec = make_spec(1, 0, 0);
    assert_int_equal(usher_ticket_submit(e, 900, &spec), USHER_EEXIST);
    assert_gone(e, 900);
    assert_int_equal(agent_info(e, 1).capacity_used, 2);
    check_stats(e, 1, 1, 0, 2, 1, 1, 0, 0, 0);
    assert_int_equal(r.count, 0);
    OK(usher_capacity_release(e, 900, NO_WRAPUP));
    OK(usher_ticket_submit(e, 900, &spec));
    assert_assigned(e, 900, 1, 0);
    free_engine(e);
}

/* ======================================================================
 * 10. Requirements of live tickets
 * ====================================================================== */

static void test_require_waiting_rematches(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    uint32_t s = skill(e, "s"), u = skill(e, "u");
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 1, 1);
    OK(usher_agent_set_skill(e, 1, s, 3));
    login(e, 1);
    submit_req(e, 10, 1, 0, 0, s, 5);
    assert_waiting(e, 10);
    at(e, 100);
    r.count = 0;
    OK(usher_ticket_require(e, 10, s, 3)); /* a lower minimum: 1 meets it */
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_ASSIGNED, 100, 1, 10, 100, 0);
    assert_int_equal(ticket(e, 10).required_count, 1);
    OK(usher_ticket_complete(e, 10, NO_WRAPUP));

    submit_req(e, 11, 1, 0, 0, s, 5);
    r.count = 0;
    OK(usher_ticket_require(e, 11, u, 2)); /* one more requirement */
    assert_waiting(e, 11);
    assert_int_equal(ticket(e, 11).required_count, 2);
    OK(usher_ticket_drop_requirement(e, 11, s));
    assert_waiting(e, 11); /* still needs u */
    assert_int_equal(ticket(e, 11).required_count, 1);
    assert_int_equal(r.count, 0);
    at(e, 200);
    OK(usher_ticket_drop_requirement(e, 11, u));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_ASSIGNED, 200, 1, 11, 100, 0);
    assert_int_equal(ticket(e, 11).required_count, 0);
    /* Changing requirements keeps the ticket in its queue: entered once. */
    check_stats(e, 1, 0, 0, 2, 2, 2, 200, 0, 1);
    free_engine(e);
}

static void test_require_assigned_keeps_agent(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    uint32_t s = skill(e, "s"), u = skill(e, "u");
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 1, 1);
    OK(usher_agent_set_skill(e, 1, s, 3));
    add_agent(e, 2, 1);
    OK(usher_agent_set_skill(e, 2, s, 5));
    login(e, 1);
    at(e, 10);
    login(e, 2);
    submit_req(e, 10, 1, 0, 0, s, 1);
    assert_assigned(e, 10, 1, 10);
    r.count = 0;
    OK(usher_ticket_require(e, 10, s, 9)); /* 1 does not meet it: kept anyway */
    OK(usher_ticket_require(e, 10, u, 1));
    assert_int_equal(ticket(e, 10).required_count, 2);
    OK(usher_ticket_drop_requirement(e, 10, u));
    assert_int_equal(ticket(e, 10).required_count, 1);
    assert_assigned(e, 10, 1, 10);
    assert_int_equal(r.count, 0);
    check_stats(e, 1, 0, 0, 1, 1, 1, 0, 0, 0);

    at(e, 20);
    logout(e, 1); /* the new requirement applies: 2 has level 5 < 9 */
    assert_int_equal(r.count, 2);
    check_event(&r.seen[1], EV_REQUEUED, 20, 1, 10, 0, USHER_RETURN_LOGOUT);
    assert_waiting(e, 10);
    at(e, 30);
    OK(usher_agent_set_skill(e, 2, s, 9));
    assert_int_equal(r.count, 3);
    check_event(&r.seen[2], EV_ASSIGNED, 30, 2, 10, 20, 0);
    free_engine(e);
}

static void test_require_errors(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    uint32_t ids[40];
    for (int i = 0; i < 40; i++) {
        char name[16];
        snprintf(name, sizeof name, "k%d", i);
        ids[i] = skill(e, name);
    }
    uint32_t s = ids[0], p = ids[1], u = ids[2];
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    usher_skill_level req = {s, 1}, pref = {p, 2};
    submit_prefs(e, 10, 1, &req, 1, &pref, 1); /* waits: no agent */
    usher_ticket_info before = ticket(e, 10);
    r.count = 0;

    assert_int_equal(usher_ticket_require(e, 10, p, 3), USHER_ESTATE); /* preferred */
    assert_int_equal(usher_ticket_drop_requirement(e, 10, u), USHER_ENOTFOUND);
    assert_int_equal(usher_ticket_drop_requirement(e, 10, p), USHER_ENOTFOUND);
    assert_int_equal(usher_ticket_drop_requirement(e, 10, 999), USHER_ENOTFOUND);
    assert_int_equal(usher_ticket_require(e, 10, 999, 1), USHER_ENOTFOUND);
    assert_int_equal(usher_ticket_require(e, 99, s, 1), USHER_ENOTFOUND);
    assert_int_equal(usher_ticket_drop_requirement(e, 99, s), USHER_ENOTFOUND);
    assert_int_equal(usher_ticket_require(e, 10, u, 0), USHER_EINVAL);
    assert_int_equal(usher_ticket_require(e, 10, u, 11), USHER_EINVAL);
    assert_int_equal(usher_ticket_require(NULL, 10, u, 1), USHER_EINVAL);
    assert_int_equal(usher_ticket_drop_requirement(NULL, 10, s), USHER_EINVAL);
    usher_ticket_info after = ticket(e, 10);
    assert_memory_equal(&before, &after, sizeof before);
    assert_int_equal(r.count, 0);

    /* USHER_MAX_TICKET_SKILLS requirements: no 33rd, but a level change. */
    usher_skill_level many[USHER_MAX_TICKET_SKILLS];
    for (uint32_t i = 0; i < USHER_MAX_TICKET_SKILLS; i++)
        many[i] = (usher_skill_level){ids[i], 1};
    submit_prefs(e, 11, 1, many, USHER_MAX_TICKET_SKILLS, NULL, 0);
    assert_int_equal(ticket(e, 11).required_count, USHER_MAX_TICKET_SKILLS);
    assert_int_equal(usher_ticket_require(e, 11, ids[USHER_MAX_TICKET_SKILLS], 1),
                     USHER_EINVAL);
    assert_int_equal(ticket(e, 11).required_count, USHER_MAX_TICKET_SKILLS);
    OK(usher_ticket_require(e, 11, ids[5], 10));
    assert_int_equal(ticket(e, 11).required_count, USHER_MAX_TICKET_SKILLS);
    check_stats(e, 1, 2, 0, 2, 0, 0, 0, 0, 0);
    assert_int_equal(r.count, 0);
    free_engine(e);
}

/* ======================================================================
 * 11. Priority and tier of waiting tickets
 * ====================================================================== */

static void test_set_priority_and_tier_reorder(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    usher_queue_def def = queue_def(LONGEST_IDLE, 0);
    def.tier_weight[3] = 10;
    OK(usher_queue_add(e, 1, &def));
    add_agent(e, 1, 1);
    submit(e, 1, 1, 0, 1);
    submit(e, 2, 1, 0, 2);
    submit(e, 3, 1, 0, 3);
    submit(e, 4, 1, 0, 9);
    OK(usher_ticket_set_priority(e, 1, 5));
    OK(usher_ticket_set_tier(e, 3, 3));
    OK(usher_ticket_set_priority(e, 2, 5)); /* equal to 1: 1 came first */
    OK(usher_ticket_set_priority(e, 4, 0)); /* down to the last place */
    assert_int_equal(r.count, 0);
    assert_int_equal(ticket(e, 1).effective_priority, 5000);
    assert_int_equal(ticket(e, 2).effective_priority, 5000);
    assert_int_equal(ticket(e, 3).effective_priority, 13000);
    assert_int_equal(ticket(e, 3).tier, 3);
    assert_int_equal(ticket(e, 4).effective_priority, 0);
    assert_int_equal(ticket(e, 4).priority, 0);
    login(e, 1);
    uint64_t order[8];
    int n = serve_in_order(e, &r, 0, order, 8);
    const uint64_t want[] = {3, 1, 2, 4};
    assert_order(order, n, want, 4);

    /* An assigned ticket's priority changes too, without an event. */
    submit(e, 5, 1, 0, 0);
    r.count = 0;
    OK(usher_ticket_set_priority(e, 5, 1000));
    OK(usher_ticket_set_tier(e, 5, 7));
    usher_ticket_info t = ticket(e, 5);
    assert_int_equal(t.state, ASSIGNED);
    assert_int_equal(t.priority, 1000);
    assert_int_equal(t.tier, 7);
    assert_int_equal(r.count, 0);
    free_engine(e);
}

/* ======================================================================
 * 12. Queue statistics and removal
 * ====================================================================== */

static void test_queue_stats(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    usher_queue_def def = queue_def(LONGEST_IDLE, 1000);
    def.service_level_ms = 1000;
    OK(usher_queue_add(e, 1, &def));
    check_stats(e, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    add_agent(e, 1, 1);
    submit(e, 1, 1, 0, 0);
    at(e, 200);
    submit(e, 2, 1, 0, 0);
    at(e, 599);
    submit(e, 3, 1, 0, 0);
    at(e, 700);
    check_stats(e, 1, 3, 700, 3, 0, 0, 0, 0, 0);
    at(e, 1000);
    login(e, 1); /* 1 waited exactly the service level: within */
    check_stats(e, 1, 2, 800, 3, 1, 1, 1000, 0, 0);
    at(e, 1100);
    OK(usher_ticket_complete(e, 1, NO_WRAPUP)); /* 2 waited 900 */
    at(e, 1600);
    OK(usher_ticket_complete(e, 2, NO_WRAPUP)); /* 3 waited 1001: late */
    assert_assigned(e, 3, 1, 1600);
    check_stats(e, 1, 0, 0, 3, 3, 2, 2901, 0, 2);
    at(e, 1700);
    submit(e, 4, 1, 0, 0);
    at(e, 2000);
    OK(usher_ticket_cancel(e, 4));
    at(e, 2100);
    submit(e, 5, 1, 0, 0);
    at(e, 2500);
    check_stats(e, 1, 1, 400, 5, 3, 2, 2901, 1, 2);

    OK(usher_queue_reset_stats(e, 1)); /* waiting and the longest wait stay */
    check_stats(e, 1, 1, 400, 0, 0, 0, 0, 0, 0);

    r.count = 0;
    assert_int_equal(usher_queue_remove(e, 1), USHER_ESTATE); /* 5 waits, 3 assigned */
    OK(usher_ticket_cancel(e, 5));
    assert_int_equal(usher_queue_remove(e, 1), USHER_ESTATE); /* 3 assigned */
    check_stats(e, 1, 0, 0, 0, 0, 0, 0, 1, 0);
    assert_assigned(e, 3, 1, 1600);
    OK(usher_ticket_complete(e, 3, NO_WRAPUP));
    check_stats(e, 1, 0, 0, 0, 0, 0, 0, 1, 1);
    OK(usher_queue_remove(e, 1));

    usher_queue_stats s;
    memset(&s, 0x77, sizeof s);
    s.struct_size = sizeof s;
    assert_int_equal(usher_queue_get_stats(e, 1, &s), USHER_ENOTFOUND);
    assert_int_equal(s.entered, 0x7777777777777777u);
    assert_int_equal(usher_queue_reset_stats(e, 1), USHER_ENOTFOUND);
    assert_int_equal(usher_queue_remove(e, 1), USHER_ENOTFOUND);
    usher_ticket_spec spec = make_spec(1, 0, 0);
    assert_int_equal(usher_ticket_submit(e, 6, &spec), USHER_ENOTFOUND);
    assert_gone(e, 6);

    OK(usher_queue_add(e, 1, &def)); /* a new queue with the same id */
    check_stats(e, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    submit(e, 6, 1, 0, 0);
    assert_assigned(e, 6, 1, 2500);
    check_stats(e, 1, 0, 0, 1, 1, 1, 0, 0, 0);
    free_engine(e);
}

/* ======================================================================
 * 13. Bad input
 * ====================================================================== */

static void test_queue_bad_input(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    usher_queue_def def;
    usher_queue_def_init(&def);
    assert_int_equal(def.struct_size, sizeof def);
    assert_int_equal(def.strategy, LONGEST_IDLE);
    assert_int_equal(def.ageing_rate, 1000);
    for (uint32_t t = 0; t < USHER_MAX_TIERS; t++)
        assert_int_equal(def.tier_weight[t], 0);
    assert_int_equal(def.service_level_ms, 20000);

    usher_queue_def bad = def;
    assert_int_equal(usher_queue_add(NULL, 1, &def), USHER_EINVAL);
    assert_int_equal(usher_queue_add(e, 1, NULL), USHER_EINVAL);
    bad.struct_size = offsetof(usher_queue_def, service_level_ms);
    assert_int_equal(usher_queue_add(e, 1, &bad), USHER_EINVAL);
    bad = def;
    bad.strategy = RANDOM + 1;
    assert_int_equal(usher_queue_add(e, 1, &bad), USHER_EINVAL);
    bad.strategy = UINT32_MAX;
    assert_int_equal(usher_queue_add(e, 1, &bad), USHER_EINVAL);
    bad = def;
    bad.ageing_rate = USHER_MAX_AGEING_RATE + 1;
    assert_int_equal(usher_queue_add(e, 1, &bad), USHER_EINVAL);
    bad = def;
    bad.tier_weight[USHER_MAX_TIERS - 1] = USHER_MAX_PRIORITY + 1;
    assert_int_equal(usher_queue_add(e, 1, &bad), USHER_EINVAL);
    bad = def;
    bad.service_level_ms = USHER_TIME_MAX + 1;
    assert_int_equal(usher_queue_add(e, 1, &bad), USHER_EINVAL);

    usher_queue_stats s;
    memset(&s, 0, sizeof s);
    s.struct_size = sizeof s;
    assert_int_equal(usher_queue_get_stats(e, 1, &s), USHER_ENOTFOUND); /* none created */

    /* The largest values are accepted. */
    bad = def;
    bad.strategy = RANDOM;
    bad.ageing_rate = USHER_MAX_AGEING_RATE;
    bad.tier_weight[USHER_MAX_TIERS - 1] = USHER_MAX_PRIORITY;
    OK(usher_queue_add(e, 1, &bad));
    assert_int_equal(usher_queue_add(e, 1, &def), USHER_EEXIST);

    assert_int_equal(usher_queue_remove(NULL, 1), USHER_EINVAL);
    assert_int_equal(usher_queue_remove(e, 9), USHER_ENOTFOUND);
    assert_int_equal(usher_queue_get_stats(NULL, 1, &s), USHER_EINVAL);
    assert_int_equal(usher_queue_get_stats(e, 1, NULL), USHER_EINVAL);
    assert_int_equal(usher_queue_get_stats(e, 9, &s), USHER_ENOTFOUND);
    memset(&s, 0x77, sizeof s);
    s.struct_size = offsetof(usher_queue_stats, completed);
    assert_int_equal(usher_queue_get_stats(e, 1, &s), USHER_EINVAL);
    assert_int_equal(s.entered, 0x7777777777777777u);
    assert_int_equal(usher_queue_reset_stats(NULL, 1), USHER_EINVAL);
    assert_int_equal(usher_queue_reset_stats(e, 9), USHER_ENOTFOUND);
    check_stats(e, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    assert_int_equal(r.count, 0);
    free_engine(e);
}

/* A submit that must fail with `code` and change nothing. */
static void submit_fails(usher_engine *e, uint64_t ticket_id, const usher_ticket_spec *spec,
                         usher_status code)
{
    assert_int_equal(usher_ticket_submit(e, ticket_id, spec), code);
    assert_gone(e, ticket_id);
}

static void test_submit_bad_input(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 1000);
    uint32_t ids[2 * USHER_MAX_TICKET_SKILLS + 1];
    for (uint32_t i = 0; i < 2 * USHER_MAX_TICKET_SKILLS + 1; i++) {
        char name[16];
        snprintf(name, sizeof name, "k%u", (unsigned)i);
        ids[i] = skill(e, name);
    }
    uint32_t a = ids[0], b = ids[1];
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, BEST_SKILL, 1000);
    add_agent(e, 1, 5); /* would take any valid ticket with a and b */
    const usher_skill_level all[] = {{a, 10}, {b, 10}};
    OK(usher_agent_set_skills(e, 1, all, 2));
    login(e, 1);
    r.count = 0;

    usher_ticket_spec init;
    usher_ticket_spec_init(&init);
    assert_int_equal(init.struct_size, sizeof init);
    assert_int_equal(init.queue, 0);
    assert_int_equal(init.channel, 0);
    assert_int_equal(init.priority, 0);
    assert_int_equal(init.tier, 0);
    assert_int_equal(init.required_count, 0);
    assert_int_equal(init.preferred_count, 0);
    assert_null(init.required);
    assert_null(init.preferred);
    assert_int_equal(init.customer_id, 0);
    assert_int_equal(init.created_ms, USHER_CREATED_NOW);

    usher_ticket_spec ok = make_spec(1, 0, 0), bad;
    assert_int_equal(usher_ticket_submit(NULL, 10, &ok), USHER_EINVAL);
    submit_fails(e, 10, NULL, USHER_EINVAL);
    bad = ok;
    bad.struct_size = offsetof(usher_ticket_spec, created_ms);
    submit_fails(e, 10, &bad, USHER_EINVAL);
    bad = ok;
    bad.priority = USHER_MAX_PRIORITY + 1;
    submit_fails(e, 10, &bad, USHER_EINVAL);
    bad = ok;
    bad.tier = USHER_MAX_TIERS;
    submit_fails(e, 10, &bad, USHER_EINVAL);

    usher_skill_level one = {a, 0};
    bad = ok;
    bad.required = &one;
    bad.required_count = 1;
    submit_fails(e, 10, &bad, USHER_EINVAL); /* level 0 */
    one.level = 11;
    submit_fails(e, 10, &bad, USHER_EINVAL);
    one.level = 0;
    bad = ok;
    bad.preferred = &one;
    bad.preferred_count = 1;
    submit_fails(e, 10, &bad, USHER_EINVAL); /* weight 0 */
    one.level = USHER_MAX_PREFERENCE_WEIGHT + 1;
    submit_fails(e, 10, &bad, USHER_EINVAL);

    usher_skill_level many[USHER_MAX_TICKET_SKILLS + 1];
    for (uint32_t i = 0; i <= USHER_MAX_TICKET_SKILLS; i++)
        many[i] = (usher_skill_level){ids[i], 1};
    bad = ok;
    bad.required = many;
    bad.required_count = USHER_MAX_TICKET_SKILLS + 1;
    submit_fails(e, 10, &bad, USHER_EINVAL);
    bad = ok;
    bad.preferred = many;
    bad.preferred_count = USHER_MAX_TICKET_SKILLS + 1;
    submit_fails(e, 10, &bad, USHER_EINVAL);

    const usher_skill_level twice[] = {{a, 3}, {b, 1}, {a, 4}};
    bad = ok;
    bad.required = twice;
    bad.required_count = 3;
    submit_fails(e, 10, &bad, USHER_EINVAL);
    bad = ok;
    bad.preferred = twice;
    bad.preferred_count = 3;
    submit_fails(e, 10, &bad, USHER_EINVAL);
    const usher_skill_level req_a = {a, 1}, pref_a = {a, 5};
    bad = ok;
    bad.required = &req_a;
    bad.required_count = 1;
    bad.preferred = &pref_a;
    bad.preferred_count = 1;
    submit_fails(e, 10, &bad, USHER_EINVAL); /* preferred and required */
    bad = ok;
    bad.required_count = 1; /* NULL array */
    submit_fails(e, 10, &bad, USHER_EINVAL);
    bad = ok;
    bad.preferred_count = 1;
    submit_fails(e, 10, &bad, USHER_EINVAL);

    bad = ok;
    bad.created_ms = 1001; /* later than the clock */
    submit_fails(e, 10, &bad, USHER_EINVAL);
    bad.created_ms = USHER_CREATED_NOW - 1;
    submit_fails(e, 10, &bad, USHER_EINVAL);

    bad = ok;
    bad.queue = 9;
    submit_fails(e, 10, &bad, USHER_ENOTFOUND);
    bad = ok;
    bad.channel = 1; /* not defined */
    submit_fails(e, 10, &bad, USHER_ENOTFOUND);
    bad.channel = USHER_MAX_CHANNELS; /* out of range */
    submit_fails(e, 10, &bad, USHER_EINVAL);
    const usher_skill_level unknown = {999, 1};
    bad = ok;
    bad.required = &unknown;
    bad.required_count = 1;
    submit_fails(e, 10, &bad, USHER_ENOTFOUND);
    bad = ok;
    bad.preferred = &unknown;
    bad.preferred_count = 1;
    submit_fails(e, 10, &bad, USHER_ENOTFOUND);

    assert_int_equal(r.count, 0);
    check_stats(e, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    assert_int_equal(agent_info(e, 1).capacity_used, 0);

    /* A live id. */
    OK(usher_ticket_submit(e, 10, &ok));
    usher_ticket_info before = ticket(e, 10);
    bad = ok;
    bad.priority = 7;
    assert_int_equal(usher_ticket_submit(e, 10, &bad), USHER_EEXIST);
    usher_ticket_info after = ticket(e, 10);
    assert_memory_equal(&before, &after, sizeof before);
    assert_int_equal(r.count, 1);
    check_stats(e, 1, 0, 0, 1, 1, 1, 0, 0, 0);

    /* The largest values are accepted. */
    usher_ticket_spec max = make_spec(1, 0, USHER_MAX_PRIORITY);
    max.tier = USHER_MAX_TIERS - 1;
    max.created_ms = 1000;
    for (uint32_t i = 0; i < USHER_MAX_TICKET_SKILLS; i++) {
        many[i] = (usher_skill_level){ids[i], USHER_LEVEL_MAX};
    }
    usher_skill_level prefs[USHER_MAX_TICKET_SKILLS];
    for (uint32_t i = 0; i < USHER_MAX_TICKET_SKILLS; i++)
        prefs[i] = (usher_skill_level){ids[USHER_MAX_TICKET_SKILLS + i],
                                       USHER_MAX_PREFERENCE_WEIGHT};
    max.required = many;
    max.required_count = USHER_MAX_TICKET_SKILLS;
    max.preferred = prefs;
    max.preferred_count = USHER_MAX_TICKET_SKILLS;
    OK(usher_ticket_submit(e, 11, &max));
    usher_ticket_info t = ticket(e, 11);
    assert_int_equal(t.state, WAITING); /* agent 1 has only a and b */
    assert_int_equal(t.priority, USHER_MAX_PRIORITY);
    assert_int_equal(t.tier, USHER_MAX_TIERS - 1);
    assert_int_equal(t.required_count, USHER_MAX_TICKET_SKILLS);
    assert_int_equal(t.preferred_count, USHER_MAX_TICKET_SKILLS);
    free_engine(e);
}

static void test_ticket_calls_bad_input(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    uint32_t s = skill(e, "s");
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_queue(e, 2, LONGEST_IDLE, 1000);
    submit_req(e, 10, 1, 0, 4, s, 1); /* waits */
    at(e, 100);
    usher_ticket_info before = ticket(e, 10);
    usher_queue_stats q1 = qstats(e, 1), q2 = qstats(e, 2);
    r.count = 0;

    assert_int_equal(usher_ticket_set_priority(NULL, 10, 1), USHER_EINVAL);
    assert_int_equal(usher_ticket_set_priority(e, 10, USHER_MAX_PRIORITY + 1), USHER_EINVAL);
    assert_int_equal(usher_ticket_set_priority(e, 99, 1), USHER_ENOTFOUND);
    assert_int_equal(usher_ticket_set_tier(NULL, 10, 1), USHER_EINVAL);
    assert_int_equal(usher_ticket_set_tier(e, 10, USHER_MAX_TIERS), USHER_EINVAL);
    assert_int_equal(usher_ticket_set_tier(e, 99, 1), USHER_ENOTFOUND);
    assert_int_equal(usher_ticket_transfer(NULL, 10, 2), USHER_EINVAL);
    assert_int_equal(usher_ticket_transfer(e, 99, 2), USHER_ENOTFOUND);
    assert_int_equal(usher_ticket_transfer(e, 10, 9), USHER_ENOTFOUND);
    assert_int_equal(usher_ticket_transfer(e, 10, 1), USHER_ESTATE);
    assert_int_equal(usher_ticket_cancel(NULL, 10), USHER_EINVAL);
    assert_int_equal(usher_ticket_cancel(e, 99), USHER_ENOTFOUND);
    assert_int_equal(usher_ticket_complete(NULL, 10, 0), USHER_EINVAL);
    assert_int_equal(usher_ticket_complete(e, 10, 4), USHER_EINVAL);
    assert_int_equal(usher_ticket_complete(e, 10, UINT32_MAX), USHER_EINVAL);
    assert_int_equal(usher_ticket_complete(e, 99, 0), USHER_ENOTFOUND);

    usher_ticket_info info;
    memset(&info, 0x33, sizeof info);
    info.struct_size = sizeof info;
    assert_int_equal(usher_ticket_get(NULL, 10, &info), USHER_EINVAL);
    assert_int_equal(usher_ticket_get(e, 10, NULL), USHER_EINVAL);
    info.struct_size = offsetof(usher_ticket_info, effective_priority);
    assert_int_equal(usher_ticket_get(e, 10, &info), USHER_EINVAL);
    assert_int_equal(info.queue, 0x33333333u); /* untouched */
    info.struct_size = sizeof info;
    assert_int_equal(usher_ticket_get(e, 99, &info), USHER_ENOTFOUND);
    assert_int_equal(info.queue, 0x33333333u);

    usher_ticket_info after = ticket(e, 10);
    assert_memory_equal(&before, &after, sizeof before);
    usher_queue_stats q1_after = qstats(e, 1), q2_after = qstats(e, 2);
    assert_memory_equal(&q1, &q1_after, sizeof q1);
    assert_memory_equal(&q2, &q2_after, sizeof q2);
    assert_int_equal(r.count, 0);
    free_engine(e);
}

/* ======================================================================
 * 14. Allocation failure
 * ====================================================================== */

#define SW_TICKETS 64
#define SW_QUEUES 3
#define SW_AGENTS 3

static uint64_t sw_ticket(int i) { return 100 + (uint64_t)i; }

typedef struct rsnap {
    usher_ticket_info ticket[SW_TICKETS];
    usher_queue_stats queue[SW_QUEUES];
    usher_agent_info agent[SW_AGENTS];
    uint64_t holder[SW_TICKETS];
    usher_status ticket_st[SW_TICKETS], queue_st[SW_QUEUES], agent_st[SW_AGENTS];
    usher_status holder_st[SW_TICKETS];
    uint64_t now, next_deadline;
} rsnap;

static void take_rsnap(usher_engine *e, rsnap *s)
{
    memset(s, 0, sizeof *s);
    for (int t = 0; t < SW_TICKETS; t++) {
        s->ticket[t].struct_size = sizeof s->ticket[t];
        s->ticket_st[t] = usher_ticket_get(e, sw_ticket(t), &s->ticket[t]);
        s->holder_st[t] = usher_capacity_holder(e, sw_ticket(t), &s->holder[t], NULL);
    }
    for (int q = 0; q < SW_QUEUES; q++) {
        s->queue[q].struct_size = sizeof s->queue[q];
        s->queue_st[q] = usher_queue_get_stats(e, (uint32_t)q + 1, &s->queue[q]);
    }
    for (int a = 0; a < SW_AGENTS; a++) {
        s->agent[a].struct_size = sizeof s->agent[a];
        s->agent_st[a] = usher_agent_get(e, (uint64_t)a + 1, &s->agent[a]);
    }
    OK(usher_now(e, &s->now));
    OK(usher_next_deadline(e, &s->next_deadline));
}

#define SW_MAX_STEPS 200

typedef struct rsweep {
    usher_engine *e;
    recorder *r;
    int step;
    int nomem;
    /* The reference run (no failure) records the state and the number of
     * events after each step; the other runs must match it step by step. */
    rsnap *ref;
    int *ref_events;
    int recording;
} rsweep;

static void sw_after_step(rsweep *w, const char *call)
{
    assert_true(w->step < SW_MAX_STEPS);
    if (w->recording) {
        take_rsnap(w->e, &w->ref[w->step]);
        w->ref_events[w->step] = w->r->count;
    } else {
        static rsnap now;
        take_rsnap(w->e, &now);
        if (memcmp(&now, &w->ref[w->step], sizeof now) != 0)
            fail_msg("step %d (%s): the state differs from the reference run", w->step, call);
        if (w->r->count != w->ref_events[w->step])
            fail_msg("step %d (%s): %d events, reference %d", w->step, call, w->r->count,
                     w->ref_events[w->step]);
    }
    w->step++;
}

/* One call of the scenario: if it fails with USHER_ENOMEM (allowed only
 * where the header lists it), the engine and the events must be exactly as
 * before; the call is then repeated (the allocator fails only once). */
#define SW(w, allow_nomem, expected, call)                                                  \
    do {                                                                                    \
        rsnap before_, after_;                                                              \
        take_rsnap((w)->e, &before_);                                                       \
        int events_ = (w)->r->count;                                                        \
        usher_status st_ = (call);                                                          \
        if (st_ == USHER_ENOMEM) {                                                          \
            if (!(allow_nomem))                                                             \
                fail_msg("step %d (%s): USHER_ENOMEM is not documented", (w)->step, #call); \
            take_rsnap((w)->e, &after_);                                                    \
            if (memcmp(&before_, &after_, sizeof before_) != 0)                             \
                fail_msg("step %d (%s): USHER_ENOMEM changed the engine", (w)->step,        \
                         #call);                                                            \
            if ((w)->r->count != events_)                                                   \
                fail_msg("step %d (%s): USHER_ENOMEM raised events", (w)->step, #call);     \
            (w)->nomem++;                                                                   \
            st_ = (call);                                                                   \
        }                                                                                   \
        if (st_ != (expected))                                                              \
            fail_msg("step %d (%s): status %d, expected %d", (w)->step, #call, st_,         \
                     (expected));                                                           \
        sw_after_step((w), #call);                                                          \
    } while (0)

/* usher_advance may stop part-way on USHER_ENOMEM and resumes when called
 * again (the comparison with the reference run checks the result). */
#define SW_ADVANCE(w, t)                                                                    \
    do {                                                                                    \
        usher_status st_;                                                                   \
        int tries_ = 0;                                                                     \
        while ((st_ = usher_advance((w)->e, (t))) == USHER_ENOMEM) {                        \
            (w)->nomem++;                                                                   \
            assert_true(++tries_ < 10);                                                     \
        }                                                                                   \
        if (st_ != USHER_OK)                                                                \
            fail_msg("step %d: advance to %d: %d", (w)->step, (int)(t), st_);               \
        sw_after_step((w), "usher_advance(" #t ")");                                        \
    } while (0)

static usher_status sw_intern(usher_engine *e, const char *name, uint32_t expected_id)
{
    uint32_t id = 999;
    usher_status st = usher_skill_intern(e, name, &id);
    if (st == USHER_ENOMEM)
        assert_int_equal(id, 999);
    else if (st == USHER_OK)
        assert_int_equal(id, expected_id);
    return st;
}

static usher_status sw_channel(usher_engine *e, uint32_t ch, uint32_t cost, uint64_t wrapup_ms)
{
    usher_channel_def def;
    usher_channel_def_init(&def);
    def.cost = cost;
    def.wrapup_ms = wrapup_ms;
    return usher_channel_add(e, ch, &def);
}

static usher_status sw_queue(usher_engine *e, uint32_t q, uint32_t strategy, uint32_t rate,
                             uint32_t tier1_weight)
{
    usher_queue_def def = queue_def(strategy, rate);
    def.tier_weight[1] = tier1_weight;
    return usher_queue_add(e, q, &def);
}

static usher_status sw_submit(usher_engine *e, uint64_t id, uint32_t queue, uint32_t channel,
                              uint32_t priority, uint32_t tier, const usher_skill_level *req,
                              uint32_t req_count, const usher_skill_level *pref,
                              uint32_t pref_count, uint64_t created_ms)
{
    usher_ticket_spec spec = make_spec(queue, channel, priority);
    spec.tier = tier;
    spec.required = req;
    spec.required_count = req_count;
    spec.preferred = pref;
    spec.preferred_count = pref_count;
    spec.created_ms = created_ms;
    return usher_ticket_submit(e, id, &spec);
}

#define NOW USHER_CREATED_NOW

static void routing_scenario(rsweep *w)
{
    usher_engine *e = w->e;
    const uint32_t BILL = 0, TECH = 1;
    const usher_skill_level bill3 = {BILL, 3}, bill9 = {BILL, 9}, tech1 = {TECH, 1},
                            tech5 = {TECH, 5}, tech2w = {TECH, 2}, bill1w = {BILL, 1};
    SW(w, 1, USHER_OK, sw_intern(e, "billing", BILL));
    SW(w, 1, USHER_OK, sw_intern(e, "tech", TECH));
    SW(w, 0, USHER_OK, sw_channel(e, 0, 1, 500)); /* chat: wrap-up */
    SW(w, 0, USHER_OK, sw_channel(e, 1, 2, 0));   /* e-mail: costs 2 */
    SW(w, 1, USHER_OK, sw_queue(e, 1, LONGEST_IDLE, 1000, 0));
    SW(w, 1, USHER_OK, sw_queue(e, 2, BEST_SKILL, 500, 3));
    SW(w, 1, USHER_OK, sw_queue(e, 3, ROUND_ROBIN, 0, 0));
    SW(w, 1, USHER_EEXIST, sw_queue(e, 3, RANDOM, 0, 0));
    SW(w, 1, USHER_OK, usher_agent_add(e, 1, 3));
    SW(w, 1, USHER_OK, usher_agent_set_skill(e, 1, BILL, 5));
    SW(w, 1, USHER_OK, usher_agent_add(e, 2, 2));
    SW(w, 1, USHER_OK, usher_agent_set_skill(e, 2, TECH, 3));
    SW(w, 1, USHER_OK, usher_agent_add(e, 3, 4));
    SW(w, 1, USHER_OK, usher_agent_set_skill(e, 3, BILL, 2));
    SW(w, 1, USHER_OK, usher_agent_set_skill(e, 3, TECH, 7));

    /* Waiting tickets, then an agent who takes two in one call. */
    SW(w, 1, USHER_OK, sw_submit(e, 100, 1, 0, 0, 0, NULL, 0, NULL, 0, NOW));
    SW(w, 1, USHER_OK, sw_submit(e, 101, 2, 1, 2, 1, &bill3, 1, &tech2w, 1, NOW));
    SW(w, 1, USHER_OK, sw_submit(e, 102, 3, 0, 1, 0, &tech1, 1, NULL, 0, NOW));
    SW_ADVANCE(w, 100);
    SW(w, 1, USHER_OK, usher_agent_set_state(e, 1, AVAIL, 0));
    SW(w, 1, USHER_OK, sw_submit(e, 103, 1, 0, 5, 0, NULL, 0, NULL, 0, NOW));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, 2, AVAIL, 0));
    SW_ADVANCE(w, 200);
    SW(w, 1, USHER_OK, sw_submit(e, 104, 1, 0, 0, 0, NULL, 0, NULL, 0, 150));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, 3, AVAIL, 0));
    /* Immediate assignments. */
    SW(w, 1, USHER_OK, sw_submit(e, 105, 2, 0, 0, 0, &tech5, 1, &bill1w, 1, NOW));
    SW(w, 1, USHER_OK, sw_submit(e, 106, 1, 1, 3, 0, NULL, 0, NULL, 0, NOW));
    SW(w, 1, USHER_OK, sw_submit(e, 107, 3, 0, 0, 0, NULL, 0, NULL, 0, NOW));
    SW(w, 1, USHER_OK, sw_submit(e, 108, 1, 0, 0, 0, &bill9, 1, NULL, 0, NOW));
    SW(w, 1, USHER_EEXIST, sw_submit(e, 108, 1, 0, 0, 0, NULL, 0, NULL, 0, NOW));
    /* Transfers of waiting and assigned tickets. */
    SW(w, 1, USHER_OK, usher_ticket_transfer(e, 107, 1));
    SW(w, 1, USHER_OK, usher_ticket_transfer(e, 103, 2));
    SW(w, 1, USHER_OK, usher_ticket_transfer(e, 104, 3));
    /* Requirement changes. */
    SW(w, 1, USHER_OK, usher_ticket_require(e, 108, TECH, 2));
    SW(w, 1, USHER_OK, usher_ticket_drop_requirement(e, 108, BILL));
    SW(w, 1, USHER_OK, usher_ticket_require(e, 105, TECH, 9));
    SW(w, 0, USHER_OK, usher_ticket_set_priority(e, 107, 9));
    SW(w, 0, USHER_OK, usher_ticket_set_tier(e, 108, 1));
    SW_ADVANCE(w, 300);
    /* Endings. */
    SW(w, 1, USHER_OK, usher_ticket_complete(e, 100, 0));
    SW(w, 1, USHER_OK, usher_ticket_complete(e, 101, NO_WRAPUP));
    SW(w, 1, USHER_OK, sw_submit(e, 109, 3, 0, 0, 0, &bill9, 1, NULL, 0, NOW));
    SW(w, 1, USHER_OK, usher_ticket_cancel(e, 109));
    SW(w, 1, USHER_OK, sw_submit(e, 100, 1, 0, 0, 0, NULL, 0, NULL, 0, NOW)); /* reused */
    SW_ADVANCE(w, 1000);
    /* Requeues. */
    SW(w, 1, USHER_OK, usher_agent_set_state(e, 3, OFF, 0));
    SW(w, 1, USHER_OK, usher_agent_remove(e, 2));
    for (int i = 10; i < 22; i++)
        SW(w, 1, USHER_OK,
           sw_submit(e, sw_ticket(i), (uint32_t)(1 + i % 3), (uint32_t)(i % 2), (uint32_t)i % 4,
                     (uint32_t)(i % 2), NULL, 0, NULL, 0, NOW));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, 3, AVAIL, 0));
    SW(w, 1, USHER_OK, usher_agent_set_capacity(e, 1, 10));
    SW_ADVANCE(w, 5000);
    for (int i = 0; i < SW_TICKETS; i++) {
        usher_ticket_info info;
        info.struct_size = sizeof info;
        if (usher_ticket_get(e, sw_ticket(i), &info) == USHER_OK)
            SW(w, 1, USHER_OK, usher_ticket_complete(e, sw_ticket(i), (uint32_t)i % 3 == 0 ? NO_WRAPUP : 0));
    }
    SW_ADVANCE(w, 10000);
    SW(w, 0, USHER_OK, usher_queue_reset_stats(e, 1));
    SW(w, 0, USHER_OK, usher_queue_remove(e, 3));
    SW(w, 1, USHER_OK, sw_queue(e, 3, FEWEST, 10, 0));
    SW(w, 1, USHER_OK, sw_submit(e, 100, 3, 0, 0, 0, NULL, 0, NULL, 0, NOW));
    /* One call that makes many matches possible at once (more than any
     * fixed reservation): 40 tickets wait, then agent 1 gets room. */
    SW(w, 1, USHER_OK, usher_agent_set_capacity(e, 1, 1));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, 3, OFF, 0));
    for (int i = 24; i < SW_TICKETS; i++)
        SW(w, 1, USHER_OK,
           sw_submit(e, sw_ticket(i), (uint32_t)(1 + i % 2), 0, (uint32_t)i % 5, 0, NULL, 0, NULL,
                     0, NOW));
    SW(w, 1, USHER_OK, usher_agent_set_capacity(e, 1, 100));
    SW_ADVANCE(w, 20000);
}

static int events_equal(const usher_event *a, const usher_event *b)
{
    return a->struct_size == b->struct_size && a->type == b->type && a->seq == b->seq &&
           a->time_ms == b->time_ms && a->ticket_id == b->ticket_id &&
           a->agent_id == b->agent_id && a->timer_id == b->timer_id &&
           a->offer_token == b->offer_token && a->value == b->value && a->reason == b->reason;
}

static void test_allocation_failure_sweep(void **state)
{
    (void)state;
    static recorder ref_events, rec;
    static rsnap ref_final, final, ref_steps[SW_MAX_STEPS];
    static int ref_step_events[SW_MAX_STEPS];
    int nomem_total = 0;
    long k;
    for (k = 0;; k++) {
        static test_allocator ta; /* outlives a failing run until the teardown */
        test_allocator_init(&ta, k);
        usher_config cfg;
        usher_config_init(&cfg);
        cfg.allocator = &ta.allocator;
        usher_engine *e = NULL;
        usher_status st = usher_engine_new(&cfg, &e);
        if (st == USHER_ENOMEM) {
            assert_int_equal(k == 0, 0);
            assert_null(e);
            assert_int_equal(ta.live, 0);
            continue;
        }
        OK(st);
        track_engine(e);
        recorder *r = k == 0 ? &ref_events : &rec;
        memset(r, 0, sizeof *r);
        r->engine = e;
        OK(usher_set_event_handler(e, record_event, r));
        rsweep w = {e, r, 0, 0, ref_steps, ref_step_events, k == 0};
        routing_scenario(&w);
        assert_false(r->nested_violation);
        if (k == 0) {
            take_rsnap(e, &ref_final);
            check_seq(&ref_events);
            /* The scenario does what it is meant to. */
            int count[16] = {0};
            for (int i = 0; i < ref_events.count; i++)
                count[ref_events.seen[i].type & 15]++;
            assert_true(count[EV_ASSIGNED] >= 15);
            assert_true(count[EV_TRANSFERRED] == 3);
            assert_true(count[EV_REQUEUED] >= 3);
            assert_true(count[EV_ABANDONED] == 1);
            assert_true(count[EV_COMPLETED] >= 10);
            assert_true(count[EV_WRAPUP] >= 2);
        } else {
            take_rsnap(e, &final);
            if (memcmp(&final, &ref_final, sizeof final) != 0)
                fail_msg("fail_at %ld: final state differs from the reference run", k);
            if (r->count != ref_events.count)
                fail_msg("fail_at %ld: %d events, reference %d", k, r->count, ref_events.count);
            for (int i = 0; i < r->count; i++)
                if (!events_equal(&r->seen[i], &ref_events.seen[i]))
                    fail_msg("fail_at %ld: event %d (type %d, ticket %llu) differs from the "
                             "reference run (type %d, ticket %llu)",
                             k, i, r->seen[i].type, (unsigned long long)r->seen[i].ticket_id,
                             ref_events.seen[i].type,
                             (unsigned long long)ref_events.seen[i].ticket_id);
        }
        nomem_total += w.nomem;
        free_engine(e);
        assert_int_equal(ta.live, 0);
        if (k > 0 && !ta.failed)
            break; /* the k-th allocation was never reached: every point covered */
        assert_true(k < 100000);
    }
    assert_true(nomem_total > 20);
    print_message("routing allocation points: %ld, USHER_ENOMEM returns: %d\n", k - 1,
                  nomem_total);
}

/* ======================================================================
 * 15. Re-entrant callbacks
 * ====================================================================== */

static void react_complete_own(recorder *r, const usher_event *ev)
{
    if (ev->type != EV_ASSIGNED || ev->ticket_id != 10)
        return;
    usher_engine *e = r->engine;
    assert_assigned(e, 10, 1, 100); /* the assignment is complete */
    assert_waiting(e, 11);
    int seen = r->count;
    OK(usher_ticket_complete(e, 10, NO_WRAPUP));
    assert_int_equal(r->count, seen); /* delivered later, not from inside */
    assert_gone(e, 10);
    assert_assigned(e, 11, 1, 100); /* matched inside the nested call */
}

static void test_callback_completes_on_assignment(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 1, 1);
    submit(e, 10, 1, 0, 0);
    submit(e, 11, 1, 0, 0);
    at(e, 100);
    r.react = react_complete_own;
    login(e, 1);
    assert_false(r.nested_violation);
    assert_int_equal(r.count, 4);
    check_event(&r.seen[0], EV_STATE, 100, 1, 0, AVAIL, 0);
    check_event(&r.seen[1], EV_ASSIGNED, 100, 1, 10, 100, 0);
    check_event(&r.seen[2], EV_COMPLETED, 100, 1, 10, 0, 0);
    check_event(&r.seen[3], EV_ASSIGNED, 100, 1, 11, 100, 0);
    check_seq(&r);
    check_stats(e, 1, 0, 0, 2, 2, 2, 200, 0, 1);
    free_engine(e);
}

static void react_submit(recorder *r, const usher_event *ev)
{
    usher_engine *e = r->engine;
    if (ev->type == EV_ASSIGNED && ev->ticket_id == 10) {
        submit(e, 20, 1, 0, 0);
        assert_assigned(e, 20, 2, 100); /* the other agent, at once */
    } else if (ev->type == EV_COMPLETED && ev->ticket_id == 10) {
        submit(e, 21, 1, 0, 0);
        assert_assigned(e, 21, 1, 200); /* the capacity 10 freed */
    }
}

static void test_callback_submits(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_queue(e, 1, LONGEST_IDLE, 1000);
    add_agent(e, 1, 1);
    add_agent(e, 2, 1);
    login(e, 1);
    at(e, 10);
    login(e, 2);
    at(e, 100);
    r.count = 0;
    r.react = react_submit;
    submit(e, 10, 1, 0, 0);
    assert_int_equal(r.count, 2);
    check_event(&r.seen[0], EV_ASSIGNED, 100, 1, 10, 0, 0);
    check_event(&r.seen[1], EV_ASSIGNED, 100, 2, 20, 0, 0);
    at(e, 200);
    OK(usher_ticket_complete(e, 10, NO_WRAPUP));
    assert_int_equal(r.count, 4);
    check_event(&r.seen[2], EV_COMPLETED, 200, 1, 10, 100, 0);
    check_event(&r.seen[3], EV_ASSIGNED, 200, 1, 21, 0, 0);
    assert_false(r.nested_violation);
    check_seq(&r);
    check_stats(e, 1, 0, 0, 3, 3, 3, 0, 0, 1);
    free_engine(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_submit_assigns_at_once, free_leftover_engines),
        cmocka_unit_test_teardown(test_waits_until_agent_available, free_leftover_engines),
        cmocka_unit_test_teardown(test_waits_until_capacity_freed, free_leftover_engines),
        cmocka_unit_test_teardown(test_waits_until_agent_has_skill, free_leftover_engines),
        cmocka_unit_test_teardown(test_waits_until_wrapup_ends, free_leftover_engines),
        cmocka_unit_test_teardown(test_required_skill_levels, free_leftover_engines),
        cmocka_unit_test_teardown(test_preferred_skills_best_skill, free_leftover_engines),
        cmocka_unit_test_teardown(test_below_minimum_never_chosen_best_skill, free_leftover_engines),
        cmocka_unit_test_teardown(test_strategy_longest_idle, free_leftover_engines),
        cmocka_unit_test_teardown(test_longest_idle_working_agent, free_leftover_engines),
        cmocka_unit_test_teardown(test_strategy_most_free, free_leftover_engines),
        cmocka_unit_test_teardown(test_strategy_fewest_assignments, free_leftover_engines),
        cmocka_unit_test_teardown(test_strategy_round_robin, free_leftover_engines),
        cmocka_unit_test_teardown(test_strategy_random, free_leftover_engines),
        cmocka_unit_test_teardown(test_several_agents_freed_in_one_call, free_leftover_engines),
        cmocka_unit_test_teardown(test_order_priority_tier_fifo, free_leftover_engines),
        cmocka_unit_test_teardown(test_ageing_bound, free_leftover_engines),
        cmocka_unit_test_teardown(test_ageing_counts_creation_in_past, free_leftover_engines),
        cmocka_unit_test_teardown(test_ageing_compares_creation_times, free_leftover_engines),
        cmocka_unit_test_teardown(test_ageing_zero_is_strict, free_leftover_engines),
        cmocka_unit_test_teardown(test_cross_queue_order, free_leftover_engines),
        cmocka_unit_test_teardown(test_no_starvation, free_leftover_engines),
        cmocka_unit_test_teardown(test_logout_requeues_and_reassigns, free_leftover_engines),
        cmocka_unit_test_teardown(test_requeued_ticket_keeps_place, free_leftover_engines),
        cmocka_unit_test_teardown(test_remove_requeues_and_reassigns, free_leftover_engines),
        cmocka_unit_test_teardown(test_transfer_waiting, free_leftover_engines),
        cmocka_unit_test_teardown(test_transfer_assigned, free_leftover_engines),
        cmocka_unit_test_teardown(test_cancel, free_leftover_engines),
        cmocka_unit_test_teardown(test_complete, free_leftover_engines),
        cmocka_unit_test_teardown(test_capacity_calls_on_router_tickets, free_leftover_engines),
        cmocka_unit_test_teardown(test_require_waiting_rematches, free_leftover_engines),
        cmocka_unit_test_teardown(test_require_assigned_keeps_agent, free_leftover_engines),
        cmocka_unit_test_teardown(test_require_errors, free_leftover_engines),
        cmocka_unit_test_teardown(test_set_priority_and_tier_reorder, free_leftover_engines),
        cmocka_unit_test_teardown(test_queue_stats, free_leftover_engines),
        cmocka_unit_test_teardown(test_queue_bad_input, free_leftover_engines),
        cmocka_unit_test_teardown(test_submit_bad_input, free_leftover_engines),
        cmocka_unit_test_teardown(test_ticket_calls_bad_input, free_leftover_engines),
        cmocka_unit_test_teardown(test_allocation_failure_sweep, free_leftover_engines),
        cmocka_unit_test_teardown(test_callback_completes_on_assignment, free_leftover_engines),
        cmocka_unit_test_teardown(test_callback_submits, free_leftover_engines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
