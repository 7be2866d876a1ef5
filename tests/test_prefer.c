/* Preferred agents, repeat-contact escalation, sticky agents, explanations
 * (usher_explain, usher_ticket_candidate) and the scoring hook, tested from
 * include/usher.h alone: which agent gets which ticket and when, the exact
 * events, ticket_get and explain fields, invalid settings, and allocation
 * failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "usher.h"

#define OK(call) assert_int_equal((call), USHER_OK)

#define DAY UINT64_C(86400000)

/* Event types, shorter. */
#define E_STATE USHER_EVENT_AGENT_STATE
#define E_RETURNED USHER_EVENT_WORK_RETURNED
#define E_ASSIGNED USHER_EVENT_TICKET_ASSIGNED
#define E_COMPLETED USHER_EVENT_TICKET_COMPLETED
#define E_ABANDONED USHER_EVENT_TICKET_ABANDONED
#define E_OFFERED USHER_EVENT_TICKET_OFFERED
#define E_REJECTED USHER_EVENT_OFFER_REJECTED
#define E_WIDENED USHER_EVENT_TICKET_WIDENED
#define E_ESCALATED USHER_EVENT_TICKET_ESCALATED

/* Channels of the fixtures. */
#define CHAT 0u
#define VOICE 1u  /* exclusive */
#define EMAIL 2u  /* its wrap-up blocks the agent */

/* ---- event recording ------------------------------------------------------------ */

#define LOG_MAX 512

typedef struct events {
    usher_event ev[LOG_MAX];
    int n;
} events;

static void on_event(void *user, const usher_event *event)
{
    events *log = user;
    assert_true(log->n < LOG_MAX);
    log->ev[log->n++] = *event;
}

static void clear(events *log) { log->n = 0; }

/* Checks event i of the log field by field; offer tokens and timer ids are
 * expected to be 0 (offers are checked separately). */
static void expect(const events *log, int i, int32_t type, uint64_t time_ms, uint64_t ticket,
                   uint64_t agent, int64_t value, int32_t reason)
{
    assert_true(i < log->n);
    const usher_event *ev = &log->ev[i];
    assert_int_equal(ev->struct_size, sizeof(usher_event));
    assert_int_equal(ev->type, type);
    assert_int_equal(ev->time_ms, time_ms);
    assert_int_equal(ev->ticket_id, ticket);
    assert_int_equal(ev->agent_id, agent);
    assert_int_equal(ev->value, value);
    assert_int_equal(ev->reason, reason);
    assert_int_equal(ev->timer_id, 0);
    assert_int_equal(ev->detail, 0);
    assert_int_equal(ev->due_ms, 0);
    if (type != E_OFFERED && type != E_REJECTED && type != USHER_EVENT_OFFER_EXPIRED)
        assert_int_equal(ev->offer_token, 0);
    if (i > 0)
        assert_int_equal(ev->seq, log->ev[i - 1].seq + 1);
}

static void expect_assigned(const events *log, int i, uint64_t time_ms, uint64_t ticket,
                            uint64_t agent, uint64_t created_ms, uint32_t channel)
{
    expect(log, i, E_ASSIGNED, time_ms, ticket, agent, (int64_t)(time_ms - created_ms),
           (int32_t)channel);
}

/* ---- fixtures --------------------------------------------------------------------- */

static usher_engine *engine_with(events *log, uint64_t seed, const usher_allocator *alloc)
{
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.seed = seed;
    cfg.allocator = alloc;
    usher_engine *e = NULL;
    OK(usher_engine_new(&cfg, &e));
    if (log) {
        clear(log);
        OK(usher_set_event_handler(e, on_event, log));
    }
    return e;
}

static void add_channel(usher_engine *e, uint32_t channel, uint32_t flags, uint64_t wrapup_ms)
{
    usher_channel_def def;
    usher_channel_def_init(&def);
    def.flags = flags;
    def.wrapup_ms = wrapup_ms;
    OK(usher_channel_add(e, channel, &def));
}

static usher_queue_def queue_def(void)
{
    usher_queue_def def;
    usher_queue_def_init(&def);
    return def;
}

static void add_queue(usher_engine *e, uint32_t queue, const usher_queue_def *def)
{
    usher_queue_def plain = queue_def();
    OK(usher_queue_add(e, queue, def ? def : &plain));
}

static void add_agent(usher_engine *e, uint64_t agent, uint32_t capacity)
{
    OK(usher_agent_add(e, agent, capacity));
}

static void login(usher_engine *e, uint64_t agent)
{
    OK(usher_agent_set_state(e, agent, USHER_AGENT_AVAILABLE, 0));
}

static void advance(usher_engine *e, uint64_t t) { OK(usher_advance(e, t)); }

static uint64_t now_of(const usher_engine *e)
{
    uint64_t t = 0;
    OK(usher_now(e, &t));
    return t;
}

/* A ticket of the queue and channel, with a customer and a preferred agent
 * (0: none). */
static usher_ticket_spec spec_of(uint32_t queue, uint32_t channel, uint64_t customer,
                                 uint64_t preferred, uint64_t wait_ms)
{
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = queue;
    spec.channel = channel;
    spec.customer_id = customer;
    spec.preferred_agent_id = preferred;
    spec.preferred_wait_ms = wait_ms;
    return spec;
}

static usher_status submit(usher_engine *e, uint64_t ticket, uint32_t queue, uint64_t customer,
                           uint64_t preferred, uint64_t wait_ms)
{
    usher_ticket_spec spec = spec_of(queue, CHAT, customer, preferred, wait_ms);
    return usher_ticket_submit(e, ticket, &spec);
}

static usher_ticket_info tinfo(const usher_engine *e, uint64_t ticket)
{
    usher_ticket_info info;
    memset(&info, 0xab, sizeof info);
    info.struct_size = sizeof info;
    OK(usher_ticket_get(e, ticket, &info));
    return info;
}

static void assert_ticket_absent(const usher_engine *e, uint64_t ticket)
{
    usher_ticket_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    assert_int_equal(usher_ticket_get(e, ticket, &info), USHER_ENOTFOUND);
}

static void assert_waiting_for(const usher_engine *e, uint64_t ticket, uint64_t agent,
                               uint64_t until_ms)
{
    usher_ticket_info info = tinfo(e, ticket);
    assert_int_equal(info.state, USHER_TICKET_WAITING);
    assert_int_equal(info.agent_id, 0);
    assert_int_equal(info.preferred_agent_id, agent);
    assert_int_equal(info.preferred_until_ms, until_ms);
}

static void assert_assigned_to(const usher_engine *e, uint64_t ticket, uint64_t agent)
{
    usher_ticket_info info = tinfo(e, ticket);
    assert_int_equal(info.state, USHER_TICKET_ASSIGNED);
    assert_int_equal(info.agent_id, agent);
    assert_int_equal(info.preferred_agent_id, 0);
    assert_int_equal(info.preferred_until_ms, 0);
}

static usher_agent_info ainfo(const usher_engine *e, uint64_t agent)
{
    usher_agent_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    OK(usher_agent_get(e, agent, &info));
    return info;
}

static usher_explanation explain(const usher_engine *e, uint64_t ticket, uint64_t agent)
{
    usher_explanation x;
    memset(&x, 0xcd, sizeof x);
    x.struct_size = sizeof x;
    OK(usher_explain(e, ticket, agent, &x));
    assert_int_equal(x.struct_size, sizeof x);
    return x;
}

/* An explanation without skill details. */
static void expect_why(const usher_engine *e, uint64_t ticket, uint64_t agent, int32_t why,
                       uint64_t until_ms)
{
    usher_explanation x = explain(e, ticket, agent);
    assert_int_equal(x.why, why);
    assert_int_equal(x.until_ms, until_ms);
    assert_int_equal(x.skill, 0);
    assert_int_equal(x.required_level, 0);
    assert_int_equal(x.agent_level, 0);
    assert_int_equal(x.score, 0);
}

static void expect_skill_why(const usher_engine *e, uint64_t ticket, uint64_t agent, int32_t why,
                             uint32_t skill, uint32_t required, uint32_t has, uint64_t until_ms)
{
    usher_explanation x = explain(e, ticket, agent);
    assert_int_equal(x.why, why);
    assert_int_equal(x.skill, skill);
    assert_int_equal(x.required_level, required);
    assert_int_equal(x.agent_level, has);
    assert_int_equal(x.until_ms, until_ms);
    assert_int_equal(x.score, 0);
}

/* Host work that keeps an agent busy (capacity 1 agents). */
static void occupy(usher_engine *e, uint64_t agent, uint64_t work_id)
{
    OK(usher_capacity_reserve(e, agent, work_id, CHAT));
}

static void free_work(usher_engine *e, uint64_t work_id)
{
    OK(usher_capacity_release(e, work_id, USHER_RELEASE_NO_WRAPUP));
}

/*
 * The preference fixture: channel CHAT, queue 1 (longest idle), agents 1
 * and 2 of capacity 1, agent 1 available since 0 and agent 2 since 100 (so
 * agent 1 is idle longer); the clock at 1000, the log empty.
 */
static usher_engine *two_agents(events *log)
{
    usher_engine *e = engine_with(log, 1, NULL);
    add_channel(e, CHAT, 0, 0);
    add_queue(e, 1, NULL);
    add_agent(e, 1, 1);
    add_agent(e, 2, 1);
    login(e, 1);
    advance(e, 100);
    login(e, 2);
    advance(e, 1000);
    clear(log);
    return e;
}

/* ======================================================================
 * Preferred agents
 * ====================================================================== */

static void test_prefer_available_agent(void **state)
{
    (void)state;
    events log;
    usher_engine *e = two_agents(&log);

    /* Without a preference the longest idle agent 1 would take it. */
    OK(submit(e, 10, 1, 0, 2, 5000));
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 1000, 10, 2, 1000, CHAT);
    assert_assigned_to(e, 10, 2);
    assert_int_equal(tinfo(e, 10).assigned_ms, 1000);

    /* The control: no preference, agent 1. */
    clear(&log);
    OK(submit(e, 11, 1, 0, 0, 0));
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 1000, 11, 1, 1000, CHAT);
    usher_engine_free(e);
}

static void test_prefer_unavailable_agent_skipped(void **state)
{
    (void)state;
    events log;
    usher_engine *e = two_agents(&log);

    /* Away: no wait, agent 1 at once, no preference recorded. */
    OK(usher_agent_set_state(e, 2, USHER_AGENT_AWAY, 4));
    clear(&log);
    OK(submit(e, 10, 1, 0, 2, 5000));
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 1000, 10, 1, 1000, CHAT);
    assert_assigned_to(e, 10, 1);
    OK(usher_ticket_complete(e, 10, USHER_RELEASE_NO_WRAPUP));

    /* Offline. */
    OK(usher_agent_set_state(e, 2, USHER_AGENT_OFFLINE, 0));
    advance(e, 1200);
    clear(&log);
    OK(submit(e, 11, 1, 0, 2, 5000));
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 1200, 11, 1, 1200, CHAT);
    assert_assigned_to(e, 11, 1);
    OK(usher_ticket_complete(e, 11, USHER_RELEASE_NO_WRAPUP));

    /* Unknown. */
    advance(e, 1300);
    clear(&log);
    OK(submit(e, 12, 1, 0, 999, 5000));
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 1300, 12, 1, 1300, CHAT);
    assert_assigned_to(e, 12, 1);

    /* Nobody eligible and the preferred agent offline: the ticket waits
     * with no preference, and the next agent to log in takes it. */
    clear(&log);
    OK(submit(e, 13, 1, 0, 2, 5000));
    assert_int_equal(log.n, 0);
    assert_waiting_for(e, 13, 0, 0);
    uint64_t deadline = 0;
    OK(usher_next_deadline(e, &deadline));
    assert_int_equal(deadline, USHER_TIME_NEVER);
    OK(usher_agent_add(e, 3, 1));
    login(e, 3);
    assert_int_equal(log.n, 2);
    expect(&log, 0, E_STATE, 1300, 0, 3, USHER_AGENT_AVAILABLE, 0);
    expect_assigned(&log, 1, 1300, 13, 3, 1300, CHAT);
    usher_engine_free(e);
}

static void test_prefer_busy_agent_waits(void **state)
{
    (void)state;
    events log;
    usher_engine *e = two_agents(&log);
    occupy(e, 2, 500);
    clear(&log);

    OK(submit(e, 10, 1, 0, 2, 5000));
    assert_int_equal(log.n, 0);
    assert_waiting_for(e, 10, 2, 6000);
    assert_int_equal(ainfo(e, 1).work_count, 0); /* agent 1 stays idle */
    uint64_t deadline = 0;
    OK(usher_next_deadline(e, &deadline));
    assert_int_equal(deadline, 6000);

    /* Agent 1 may still take other tickets, even of lower priority. */
    usher_ticket_spec spec = spec_of(1, CHAT, 0, 0, 0);
    OK(usher_ticket_submit(e, 11, &spec));
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 1000, 11, 1, 1000, CHAT);
    OK(usher_ticket_complete(e, 11, USHER_RELEASE_NO_WRAPUP));

    advance(e, 3000);
    clear(&log);
    assert_waiting_for(e, 10, 2, 6000);

    /* Agent 2 frees its capacity before the deadline: it gets the ticket. */
    free_work(e, 500);
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 3000, 10, 2, 1000, CHAT);
    assert_assigned_to(e, 10, 2);

    /* The preference timer is gone with the wait. */
    clear(&log);
    advance(e, 6000);
    assert_int_equal(log.n, 0);
    usher_engine_free(e);
}

static void test_prefer_deadline_falls_back(void **state)
{
    (void)state;
    events log;
    usher_engine *e = two_agents(&log);
    occupy(e, 2, 500);
    clear(&log);

    OK(submit(e, 10, 1, 0, 2, 5000));
    assert_waiting_for(e, 10, 2, 6000);
    advance(e, 5999);
    assert_int_equal(log.n, 0);
    assert_waiting_for(e, 10, 2, 6000);

    advance(e, 6000); /* exactly created + wait */
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 6000, 10, 1, 1000, CHAT);
    assert_assigned_to(e, 10, 1);

    /* With no other agent the ticket just stops waiting for agent 2. */
    clear(&log);
    OK(submit(e, 11, 1, 0, 2, 1000));
    assert_waiting_for(e, 11, 2, 7000);
    advance(e, 7000);
    assert_int_equal(log.n, 0);
    assert_waiting_for(e, 11, 0, 0);
    free_work(e, 500); /* and anyone may take it */
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 7000, 11, 2, 6000, CHAT);
    usher_engine_free(e);
}

static void test_prefer_zero_wait(void **state)
{
    (void)state;
    events log;
    usher_engine *e = two_agents(&log);
    occupy(e, 2, 500);
    clear(&log);
    OK(submit(e, 10, 1, 0, 2, 0));
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 1000, 10, 1, 1000, CHAT);
    assert_assigned_to(e, 10, 1);
    usher_engine_free(e);
}

/* The ways the preferred agent can leave while the ticket waits. */
enum leave { LEAVE_AWAY, LEAVE_OFFLINE, LEAVE_REMOVED };

static void prefer_agent_leaves(enum leave how)
{
    events log;
    usher_engine *e = two_agents(&log);
    occupy(e, 2, 500);
    advance(e, 2000);
    OK(submit(e, 10, 1, 0, 2, 60000));
    assert_waiting_for(e, 10, 2, 62000);
    advance(e, 2500);
    clear(&log);

    int i = 0;
    switch (how) {
    case LEAVE_AWAY:
        OK(usher_agent_set_state(e, 2, USHER_AGENT_AWAY, 9));
        assert_int_equal(log.n, 2);
        expect(&log, i++, E_STATE, 2500, 0, 2, USHER_AGENT_AWAY, 9);
        break;
    case LEAVE_OFFLINE:
        OK(usher_agent_set_state(e, 2, USHER_AGENT_OFFLINE, 0));
        assert_int_equal(log.n, 3);
        expect(&log, i++, E_STATE, 2500, 0, 2, USHER_AGENT_OFFLINE, 0);
        expect(&log, i++, E_RETURNED, 2500, 500, 2, CHAT, USHER_RETURN_LOGOUT);
        break;
    case LEAVE_REMOVED:
        OK(usher_agent_remove(e, 2));
        assert_int_equal(log.n, 2);
        expect(&log, i++, E_RETURNED, 2500, 500, 2, CHAT, USHER_RETURN_REMOVED);
        break;
    }
    expect_assigned(&log, i, 2500, 10, 1, 2000, CHAT);
    assert_assigned_to(e, 10, 1);

    /* Its timer went with it. */
    clear(&log);
    advance(e, 62000);
    assert_int_equal(log.n, 0);
    usher_engine_free(e);
}

static void test_prefer_agent_goes_away(void **state)
{
    (void)state;
    prefer_agent_leaves(LEAVE_AWAY);
}

static void test_prefer_agent_logs_out(void **state)
{
    (void)state;
    prefer_agent_leaves(LEAVE_OFFLINE);
}

static void test_prefer_agent_removed(void **state)
{
    (void)state;
    prefer_agent_leaves(LEAVE_REMOVED);
}

static void test_prefer_cancelled_while_waiting(void **state)
{
    (void)state;
    events log;
    usher_engine *e = two_agents(&log);
    occupy(e, 2, 500);
    OK(submit(e, 10, 1, 0, 2, 5000));
    clear(&log);
    OK(usher_ticket_cancel(e, 10));
    assert_int_equal(log.n, 1);
    expect(&log, 0, E_ABANDONED, 1000, 10, 0, 0, 0);
    free_work(e, 500);
    advance(e, 6000);
    assert_int_equal(log.n, 1); /* no assignment, no preference firing */
    uint64_t deadline = 0;
    OK(usher_next_deadline(e, &deadline));
    assert_int_equal(deadline, USHER_TIME_NEVER);
    usher_engine_free(e);
}

static void test_prefer_wait_limit(void **state)
{
    (void)state;
    events log;
    usher_engine *e = two_agents(&log);
    occupy(e, 2, 500);
    clear(&log);
    assert_int_equal(submit(e, 10, 1, 0, 2, DAY + 1), USHER_EINVAL);
    assert_int_equal(submit(e, 10, 1, 0, 2, UINT64_MAX), USHER_EINVAL);
    assert_int_equal(log.n, 0);
    assert_ticket_absent(e, 10);
    assert_int_equal(ainfo(e, 1).work_count, 0);

    OK(submit(e, 10, 1, 0, 2, DAY)); /* exactly one day is allowed */
    assert_int_equal(log.n, 0);
    assert_waiting_for(e, 10, 2, 1000 + DAY);
    usher_engine_free(e);
}

/* ======================================================================
 * Repeat contacts
 * ====================================================================== */

/* Channel CHAT; agent 1 of capacity 100 available; the clock at 1000. */
static usher_engine *repeat_engine(events *log, const usher_queue_def *q1)
{
    usher_engine *e = engine_with(log, 1, NULL);
    add_channel(e, CHAT, 0, 0);
    add_queue(e, 1, q1);
    add_agent(e, 1, 100);
    login(e, 1);
    advance(e, 1000);
    clear(log);
    return e;
}

/* Submits and checks the events: an escalation (count, flags) unless
 * flags is 0, then the assignment to agent 1. */
static void submit_expect(usher_engine *e, events *log, uint64_t ticket, uint32_t queue,
                          uint64_t customer, int64_t count, int32_t flags)
{
    clear(log);
    uint64_t t = now_of(e);
    OK(submit(e, ticket, queue, customer, 0, 0));
    int i = 0;
    if (flags) {
        assert_int_equal(log->n, 2);
        expect(log, i++, E_ESCALATED, t, ticket, 0, count, flags);
    } else {
        assert_int_equal(log->n, 1);
    }
    expect_assigned(log, i, t, ticket, 1, t, CHAT);
}

static void test_repeat_raises_tier(void **state)
{
    (void)state;
    events log;
    usher_queue_def def = queue_def();
    def.repeat_threshold = 3;
    def.repeat_window_ms = 10000;
    def.repeat_flags = USHER_REPEAT_RAISE_TIER;
    def.repeat_tier = 5;
    usher_engine *e = repeat_engine(&log, &def);

    submit_expect(e, &log, 1, 1, 42, 0, 0);
    assert_int_equal(tinfo(e, 1).tier, 0);
    advance(e, 2000);
    submit_expect(e, &log, 2, 1, 42, 0, 0);
    advance(e, 3000);
    submit_expect(e, &log, 3, 1, 42, 3, USHER_REPEAT_RAISE_TIER);
    assert_int_equal(tinfo(e, 3).tier, 5);
    assert_int_equal(tinfo(e, 3).queue, 1);
    assert_int_equal(tinfo(e, 3).customer_id, 42);
    advance(e, 4000);
    submit_expect(e, &log, 4, 1, 42, 4, USHER_REPEAT_RAISE_TIER);
    assert_int_equal(tinfo(e, 4).tier, 5);
    /* Another customer does not share the count. */
    submit_expect(e, &log, 5, 1, 43, 0, 0);
    submit_expect(e, &log, 6, 1, 43, 0, 0);
    assert_int_equal(tinfo(e, 6).tier, 0);
    /* Ended tickets still count: 42's fifth. */
    OK(usher_ticket_complete(e, 1, 0));
    OK(usher_ticket_complete(e, 2, 0));
    submit_expect(e, &log, 7, 1, 42, 5, USHER_REPEAT_RAISE_TIER);
    usher_engine_free(e);
}

static void test_repeat_window(void **state)
{
    (void)state;
    events log;
    usher_queue_def def = queue_def();
    def.repeat_threshold = 2;
    def.repeat_window_ms = 1000;
    def.repeat_flags = USHER_REPEAT_RAISE_TIER;
    def.repeat_tier = 1;
    usher_engine *e = repeat_engine(&log, &def);

    submit_expect(e, &log, 1, 1, 7, 0, 0); /* t = 1000 */
    advance(e, 2500);
    submit_expect(e, &log, 2, 1, 7, 0, 0); /* 1500 later: outside */
    assert_int_equal(tinfo(e, 2).tier, 0);
    advance(e, 3000);
    submit_expect(e, &log, 3, 1, 7, 2, USHER_REPEAT_RAISE_TIER); /* 500 after ticket 2 */
    advance(e, 3400);
    submit_expect(e, &log, 4, 1, 7, 3, USHER_REPEAT_RAISE_TIER);
    advance(e, 3900);
    /* ticket 2 (2500) has left the window, 3 and 4 remain */
    submit_expect(e, &log, 5, 1, 7, 3, USHER_REPEAT_RAISE_TIER);
    advance(e, 10000);
    submit_expect(e, &log, 6, 1, 7, 0, 0);
    assert_int_equal(tinfo(e, 6).tier, 0);
    usher_engine_free(e);
}

static void test_repeat_customer_zero_and_others(void **state)
{
    (void)state;
    events log;
    usher_queue_def def = queue_def();
    def.repeat_threshold = 2;
    def.repeat_window_ms = 60000;
    def.repeat_flags = USHER_REPEAT_RAISE_TIER;
    def.repeat_tier = 2;
    usher_engine *e = repeat_engine(&log, &def);

    for (uint64_t t = 1; t <= 5; t++) /* no customer: never a repeat */
        submit_expect(e, &log, t, 1, 0, 0, 0);
    submit_expect(e, &log, 6, 1, 100, 0, 0);
    submit_expect(e, &log, 7, 1, 200, 0, 0);
    submit_expect(e, &log, 8, 1, 300, 0, 0);
    submit_expect(e, &log, 9, 1, 200, 2, USHER_REPEAT_RAISE_TIER);
    submit_expect(e, &log, 10, 1, 100, 2, USHER_REPEAT_RAISE_TIER);
    for (uint64_t t = 1; t <= 8; t++)
        assert_int_equal(tinfo(e, t).tier, 0);
    assert_int_equal(tinfo(e, 9).tier, 2);
    assert_int_equal(tinfo(e, 10).tier, 2);
    usher_engine_free(e);
}

static void test_repeat_moves_queue(void **state)
{
    (void)state;
    events log;
    usher_queue_def def = queue_def();
    def.repeat_threshold = 2;
    def.repeat_window_ms = 60000;
    def.repeat_flags = USHER_REPEAT_MOVE_QUEUE;
    def.repeat_queue = 2;
    usher_engine *e = repeat_engine(&log, &def);
    add_queue(e, 2, NULL);

    submit_expect(e, &log, 1, 1, 9, 0, 0);
    assert_int_equal(tinfo(e, 1).queue, 1);
    submit_expect(e, &log, 2, 1, 9, 2, USHER_REPEAT_MOVE_QUEUE);
    usher_ticket_info info = tinfo(e, 2);
    assert_int_equal(info.queue, 2);
    assert_int_equal(info.tier, 0);

    usher_queue_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    OK(usher_queue_get_stats(e, 1, &stats));
    assert_int_equal(stats.entered, 1);
    assert_int_equal(stats.answered, 1);
    OK(usher_queue_get_stats(e, 2, &stats));
    assert_int_equal(stats.entered, 1);
    assert_int_equal(stats.answered, 1);
    usher_engine_free(e);
}

static void test_repeat_raise_and_move(void **state)
{
    (void)state;
    events log;
    usher_queue_def def = queue_def();
    def.repeat_threshold = 2;
    def.repeat_window_ms = 60000;
    def.repeat_flags = USHER_REPEAT_RAISE_TIER | USHER_REPEAT_MOVE_QUEUE;
    def.repeat_tier = 3;
    def.repeat_queue = 99; /* does not exist yet */
    usher_engine *e = repeat_engine(&log, &def);

    submit_expect(e, &log, 1, 1, 9, 0, 0);
    /* The missing queue: the tier is raised, the queue stays. */
    submit_expect(e, &log, 2, 1, 9, 2, USHER_REPEAT_RAISE_TIER);
    assert_int_equal(tinfo(e, 2).queue, 1);
    assert_int_equal(tinfo(e, 2).tier, 3);

    add_queue(e, 99, NULL);
    submit_expect(e, &log, 3, 1, 9, 3, USHER_REPEAT_RAISE_TIER | USHER_REPEAT_MOVE_QUEUE);
    assert_int_equal(tinfo(e, 3).queue, 99);
    assert_int_equal(tinfo(e, 3).tier, 3);

    /* Only the move is applied to a ticket whose tier is already higher. */
    clear(&log);
    usher_ticket_spec spec = spec_of(1, CHAT, 9, 0, 0);
    spec.tier = 6;
    OK(usher_ticket_submit(e, 4, &spec));
    assert_int_equal(log.n, 2);
    expect(&log, 0, E_ESCALATED, 1000, 4, 0, 4, USHER_REPEAT_MOVE_QUEUE);
    expect_assigned(&log, 1, 1000, 4, 1, 1000, CHAT);
    assert_int_equal(tinfo(e, 4).tier, 6);
    assert_int_equal(tinfo(e, 4).queue, 99);
    usher_engine_free(e);
}

static void test_repeat_move_to_missing_queue(void **state)
{
    (void)state;
    events log;
    usher_queue_def def = queue_def();
    def.repeat_threshold = 2;
    def.repeat_window_ms = 60000;
    def.repeat_flags = USHER_REPEAT_MOVE_QUEUE;
    def.repeat_queue = 99;
    usher_engine *e = repeat_engine(&log, &def);
    submit_expect(e, &log, 1, 1, 9, 0, 0);
    submit_expect(e, &log, 2, 1, 9, 0, 0); /* nothing applied: no escalation */
    assert_int_equal(tinfo(e, 2).queue, 1);
    usher_engine_free(e);
}

/* The escalation is reported before the ticket waits: no assignment. */
static void test_repeat_escalation_of_waiting_ticket(void **state)
{
    (void)state;
    events log;
    usher_engine *e = engine_with(&log, 1, NULL);
    add_channel(e, CHAT, 0, 0);
    usher_queue_def def = queue_def();
    def.repeat_threshold = 2;
    def.repeat_window_ms = 60000;
    def.repeat_flags = USHER_REPEAT_RAISE_TIER;
    def.repeat_tier = 7;
    def.tier_weight[7] = 500;
    add_queue(e, 1, &def);
    advance(e, 100);
    OK(submit(e, 1, 1, 5, 0, 0));
    advance(e, 200);
    OK(submit(e, 2, 1, 6, 0, 0));
    clear(&log);
    OK(submit(e, 3, 1, 5, 0, 0));
    assert_int_equal(log.n, 1);
    expect(&log, 0, E_ESCALATED, 200, 3, 0, 2, USHER_REPEAT_RAISE_TIER);
    usher_ticket_info info = tinfo(e, 3);
    assert_int_equal(info.state, USHER_TICKET_WAITING);
    assert_int_equal(info.tier, 7);
    /* The raised tier puts it first. */
    OK(usher_agent_add(e, 1, 1));
    clear(&log);
    login(e, 1);
    assert_int_equal(log.n, 2);
    expect_assigned(&log, 1, 200, 3, 1, 200, CHAT);
    usher_engine_free(e);
}

/* The header: "counting the customer's tickets in every queue". */
static void test_repeat_counts_every_queue(void **state)
{
    (void)state;
    events log;
    usher_queue_def def = queue_def();
    def.repeat_threshold = 2;
    def.repeat_window_ms = 60000;
    def.repeat_flags = USHER_REPEAT_RAISE_TIER;
    def.repeat_tier = 1;
    usher_engine *e = repeat_engine(&log, &def);
    def.repeat_tier = 2;
    add_queue(e, 3, &def);
    submit_expect(e, &log, 1, 1, 5, 0, 0);
    advance(e, 2000);
    submit_expect(e, &log, 2, 3, 5, 2, USHER_REPEAT_RAISE_TIER);
    assert_int_equal(tinfo(e, 2).tier, 2);
    submit_expect(e, &log, 3, 1, 5, 3, USHER_REPEAT_RAISE_TIER);
    assert_int_equal(tinfo(e, 3).tier, 1);
    usher_engine_free(e);
}

/* A ticket in a queue with a short window still counts for a queue whose
 * window is longer (and in a queue without rules of its own). */
static void test_repeat_history_outlives_short_window(void **state)
{
    (void)state;
    events log;
    usher_queue_def def = queue_def();
    def.repeat_threshold = 2;
    def.repeat_window_ms = 1000;
    def.repeat_flags = USHER_REPEAT_RAISE_TIER;
    def.repeat_tier = 1;
    usher_engine *e = repeat_engine(&log, &def);
    def.repeat_window_ms = 100000;
    def.repeat_tier = 2;
    add_queue(e, 3, &def);
    submit_expect(e, &log, 1, 1, 5, 0, 0); /* t = 1000, queue 1 (window 1 s) */
    advance(e, 5000);
    clear(&log);
    /* 4 s later, in queue 3 (window 100 s): ticket 1 is in that window. */
    OK(submit(e, 2, 3, 5, 0, 0));
    events seen = log;
    uint32_t tier = tinfo(e, 2).tier;
    usher_engine_free(e);
    assert_int_equal(seen.n, 2);
    expect(&seen, 0, E_ESCALATED, 5000, 2, 0, 2, USHER_REPEAT_RAISE_TIER);
    assert_int_equal(tier, 2);
}

static void test_repeat_counts_queue_without_rules(void **state)
{
    (void)state;
    events log;
    usher_queue_def def = queue_def();
    def.repeat_threshold = 2;
    def.repeat_window_ms = 60000;
    def.repeat_flags = USHER_REPEAT_RAISE_TIER;
    def.repeat_tier = 4;
    usher_engine *e = repeat_engine(&log, &def);
    add_queue(e, 2, NULL); /* no rules */
    submit_expect(e, &log, 1, 2, 5, 0, 0);
    advance(e, 2000);
    clear(&log);
    OK(submit(e, 2, 1, 5, 0, 0));
    events seen = log;
    uint32_t tier = tinfo(e, 2).tier;
    usher_engine_free(e);
    assert_int_equal(seen.n, 2);
    expect(&seen, 0, E_ESCALATED, 2000, 2, 0, 2, USHER_REPEAT_RAISE_TIER);
    assert_int_equal(tier, 4);
}

static void test_repeat_invalid_settings(void **state)
{
    (void)state;
    usher_engine *e = engine_with(NULL, 1, NULL);
    usher_queue_def good = queue_def();
    good.repeat_threshold = 2;
    good.repeat_window_ms = 1000;
    good.repeat_flags = USHER_REPEAT_RAISE_TIER;
    good.repeat_tier = 1;
    usher_queue_def d;
    uint32_t id = 1;

#define BAD(field, value)                                                                          \
    do {                                                                                           \
        d = good;                                                                                  \
        d.field = value;                                                                           \
        assert_int_equal(usher_queue_add(e, id, &d), USHER_EINVAL);                                \
    } while (0)
#define FINE(field, value)                                                                         \
    do {                                                                                           \
        d = good;                                                                                  \
        d.field = value;                                                                           \
        OK(usher_queue_add(e, id++, &d));                                                          \
    } while (0)

    BAD(repeat_threshold, 1);
    BAD(repeat_threshold, USHER_MAX_REPEAT_THRESHOLD + 1);
    FINE(repeat_threshold, USHER_MAX_REPEAT_THRESHOLD);
    FINE(repeat_threshold, 2);
    BAD(repeat_window_ms, 0);
    BAD(repeat_window_ms, 90 * DAY + 1);
    FINE(repeat_window_ms, 90 * DAY);
    FINE(repeat_window_ms, 1);
    BAD(repeat_tier, USHER_MAX_TIERS);
    FINE(repeat_tier, USHER_MAX_TIERS - 1);
    BAD(repeat_flags, 4);
    BAD(repeat_flags, USHER_REPEAT_RAISE_TIER | 8);
    FINE(repeat_flags, USHER_REPEAT_RAISE_TIER | USHER_REPEAT_MOVE_QUEUE);
    FINE(repeat_flags, 0);
    BAD(sticky_ms, DAY + 1);
    FINE(sticky_ms, DAY);

    /* Flags without a threshold. */
    d = queue_def();
    d.repeat_flags = USHER_REPEAT_RAISE_TIER;
    assert_int_equal(usher_queue_add(e, id, &d), USHER_EINVAL);
    d.repeat_flags = USHER_REPEAT_MOVE_QUEUE;
    assert_int_equal(usher_queue_add(e, id, &d), USHER_EINVAL);

    /* None of the refused queues exists. */
    usher_queue_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    assert_int_equal(usher_queue_get_stats(e, id, &stats), USHER_ENOTFOUND);
    OK(usher_queue_get_stats(e, id - 1, &stats));
#undef BAD
#undef FINE
    usher_engine_free(e);
}

/* ======================================================================
 * Sticky agents
 * ====================================================================== */

static usher_engine *sticky_engine(events *log, uint64_t sticky_ms)
{
    usher_engine *e = engine_with(log, 1, NULL);
    add_channel(e, CHAT, 0, 0);
    usher_queue_def def = queue_def();
    def.sticky_ms = sticky_ms;
    add_queue(e, 1, &def);
    add_queue(e, 2, NULL); /* no sticky */
    add_agent(e, 1, 1);
    add_agent(e, 2, 1);
    login(e, 1);
    advance(e, 100);
    login(e, 2);
    advance(e, 1000);
    clear(log);
    return e;
}

static void test_sticky_agent(void **state)
{
    (void)state;
    events log;
    usher_engine *e = sticky_engine(&log, 60000);

    OK(submit(e, 1, 1, 77, 0, 0));
    expect_assigned(&log, 0, 1000, 1, 1, 1000, CHAT);
    advance(e, 1500);
    OK(usher_ticket_complete(e, 1, USHER_RELEASE_NO_WRAPUP));

    /* Agent 2 is now idle longer, but agent 1 served customer 77. */
    advance(e, 2000);
    clear(&log);
    OK(submit(e, 2, 1, 77, 0, 0));
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 2000, 2, 1, 2000, CHAT);
    OK(usher_ticket_complete(e, 2, USHER_RELEASE_NO_WRAPUP));

    /* Another customer goes by the strategy. */
    clear(&log);
    OK(submit(e, 3, 1, 78, 0, 0));
    expect_assigned(&log, 0, 2000, 3, 2, 2000, CHAT);
    OK(usher_ticket_complete(e, 3, USHER_RELEASE_NO_WRAPUP));

    /* Agent 1 busy: customer 77's ticket waits for it, agent 2 stays idle. */
    occupy(e, 1, 900);
    advance(e, 3000);
    clear(&log);
    OK(submit(e, 4, 1, 77, 0, 0));
    assert_int_equal(log.n, 0);
    assert_waiting_for(e, 4, 1, 63000);
    assert_int_equal(ainfo(e, 2).work_count, 0);
    advance(e, 4000);
    free_work(e, 900);
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 4000, 4, 1, 3000, CHAT);
    OK(usher_ticket_complete(e, 4, USHER_RELEASE_NO_WRAPUP));

    /* ... for sticky_ms at most, then agent 2 takes it. */
    occupy(e, 1, 901);
    advance(e, 5000);
    clear(&log);
    OK(submit(e, 5, 1, 77, 0, 0));
    assert_waiting_for(e, 5, 1, 65000);
    advance(e, 64999);
    assert_int_equal(log.n, 0);
    advance(e, 65000);
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 65000, 5, 2, 5000, CHAT);
    usher_engine_free(e);
}

/* After the wait for the last agent ran out, the agent who took the ticket
 * is the customer's last agent. */
static void test_sticky_remembers_fallback_agent(void **state)
{
    (void)state;
    events log;
    usher_engine *e = sticky_engine(&log, 60000);
    OK(submit(e, 1, 1, 77, 0, 0));
    expect_assigned(&log, 0, 1000, 1, 1, 1000, CHAT);
    OK(usher_ticket_complete(e, 1, USHER_RELEASE_NO_WRAPUP));
    occupy(e, 1, 900);
    OK(submit(e, 2, 1, 77, 0, 0));
    assert_waiting_for(e, 2, 1, 61000);
    clear(&log);
    advance(e, 61000);
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 61000, 2, 2, 1000, CHAT);
    OK(usher_ticket_complete(e, 2, USHER_RELEASE_NO_WRAPUP));
    /* Agent 2 busy, agent 1 free: customer 77's ticket waits for agent 2. */
    free_work(e, 900);
    occupy(e, 2, 901);
    advance(e, 62000);
    clear(&log);
    OK(submit(e, 3, 1, 77, 0, 0));
    int n = log.n;
    usher_ticket_info info = tinfo(e, 3);
    usher_engine_free(e);
    assert_int_equal(n, 0);
    assert_int_equal(info.state, USHER_TICKET_WAITING);
    assert_int_equal(info.preferred_agent_id, 2);
    assert_int_equal(info.preferred_until_ms, 122000);
}

static void test_sticky_overridden_by_preference(void **state)
{
    (void)state;
    events log;
    usher_engine *e = sticky_engine(&log, 60000);
    OK(submit(e, 1, 1, 77, 0, 0));
    expect_assigned(&log, 0, 1000, 1, 1, 1000, CHAT);
    OK(usher_ticket_complete(e, 1, USHER_RELEASE_NO_WRAPUP));
    occupy(e, 2, 900);
    advance(e, 2000);
    clear(&log);

    /* Sticky would hand it to idle agent 1 at once; the explicit
     * preference waits for agent 2. */
    OK(submit(e, 2, 1, 77, 2, 5000));
    assert_int_equal(log.n, 0);
    assert_waiting_for(e, 2, 2, 7000);
    free_work(e, 900);
    expect_assigned(&log, 0, 2000, 2, 2, 2000, CHAT);
    usher_engine_free(e);
}

static void test_sticky_only_in_sticky_queues(void **state)
{
    (void)state;
    events log;
    usher_engine *e = sticky_engine(&log, 60000);
    OK(submit(e, 1, 1, 77, 0, 0));
    expect_assigned(&log, 0, 1000, 1, 1, 1000, CHAT);
    OK(usher_ticket_complete(e, 1, USHER_RELEASE_NO_WRAPUP));
    occupy(e, 1, 900);
    advance(e, 2000);
    clear(&log);
    /* Queue 2 has no sticky_ms: no wait for agent 1. */
    OK(submit(e, 2, 2, 77, 0, 0));
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 2000, 2, 2, 2000, CHAT);
    usher_engine_free(e);
}

/* The last agent is remembered from the assignment, also when the ticket
 * waited longer than sticky_ms for it. */
static void test_sticky_after_long_wait(void **state)
{
    (void)state;
    events log;
    usher_engine *e = engine_with(&log, 1, NULL);
    add_channel(e, CHAT, 0, 0);
    usher_queue_def def = queue_def();
    def.sticky_ms = 1000;
    add_queue(e, 1, &def);
    add_agent(e, 1, 1);
    add_agent(e, 2, 1);
    OK(submit(e, 1, 1, 77, 0, 0)); /* t = 0, nobody available */
    advance(e, 5000);
    login(e, 1);
    assert_assigned_to(e, 1, 1);
    advance(e, 5050);
    login(e, 2);
    advance(e, 5100);
    OK(usher_ticket_complete(e, 1, USHER_RELEASE_NO_WRAPUP));
    advance(e, 5200);
    clear(&log);
    /* Agent 2 is idle longer; customer 77's last agent is agent 1. */
    OK(submit(e, 2, 1, 77, 0, 0));
    int n = log.n;
    uint64_t agent = log.ev[0].agent_id;
    usher_engine_free(e);
    assert_int_equal(n, 1);
    assert_int_equal(agent, 1);
}

/* ======================================================================
 * Explanations
 * ====================================================================== */

/* Channels CHAT, VOICE (exclusive), EMAIL (10 s wrap-up blocking the
 * agent); skills billing (0), spanish (1), backup (2); queue 1 plain. */
static usher_engine *explain_engine(events *log)
{
    usher_engine *e = engine_with(log, 1, NULL);
    add_channel(e, CHAT, 0, 0);
    add_channel(e, VOICE, USHER_CHANNEL_EXCLUSIVE, 0);
    add_channel(e, EMAIL, USHER_CHANNEL_WRAPUP_BLOCKS_AGENT, 10000);
    uint32_t id;
    OK(usher_skill_intern(e, "billing", &id));
    assert_int_equal(id, 0);
    OK(usher_skill_intern(e, "spanish", &id));
    assert_int_equal(id, 1);
    OK(usher_skill_intern(e, "backup", &id));
    assert_int_equal(id, 2);
    add_queue(e, 1, NULL);
    advance(e, 1000);
    clear(log);
    return e;
}

/* Submits a ticket of queue 1 with required skills. */
static usher_status submit_needing(usher_engine *e, uint64_t ticket, uint32_t channel,
                                   const usher_skill_level *reqs, uint32_t count)
{
    usher_ticket_spec spec = spec_of(1, channel, 0, 0, 0);
    spec.required = reqs;
    spec.required_count = count;
    return usher_ticket_submit(e, ticket, &spec);
}

static void test_explain_states(void **state)
{
    (void)state;
    events log;
    usher_engine *e = explain_engine(&log);
    add_agent(e, 1, 5); /* offline */
    add_agent(e, 2, 5);
    OK(usher_agent_set_state(e, 2, USHER_AGENT_AWAY, 3));
    OK(submit(e, 10, 1, 0, 0, 0));
    assert_int_equal(tinfo(e, 10).state, USHER_TICKET_WAITING);
    expect_why(e, 10, 1, USHER_WHY_OFFLINE, 0);
    expect_why(e, 10, 2, USHER_WHY_AWAY, 0);

    /* Taken: for every agent, the holder included. */
    add_agent(e, 3, 5);
    login(e, 3);
    assert_assigned_to(e, 10, 3);
    expect_why(e, 10, 3, USHER_WHY_TICKET_TAKEN, 0);
    expect_why(e, 10, 1, USHER_WHY_TICKET_TAKEN, 0);
    usher_engine_free(e);
}

static void test_explain_load_cap_and_cooldown(void **state)
{
    (void)state;
    events log;
    usher_engine *e = explain_engine(&log);
    add_agent(e, 1, 5);
    add_agent(e, 2, 5);
    OK(usher_agent_set_load_cap(e, 1, 1, 10000));
    OK(usher_agent_set_cooldown(e, 2, 5000));
    login(e, 1);
    OK(submit(e, 10, 1, 0, 0, 0)); /* t = 1000: agent 1 reaches its cap */
    assert_assigned_to(e, 10, 1);
    login(e, 2);
    OK(submit(e, 11, 1, 0, 0, 0));
    assert_assigned_to(e, 11, 2);
    advance(e, 2000);
    OK(usher_ticket_complete(e, 11, USHER_RELEASE_HEAVY | USHER_RELEASE_NO_WRAPUP));
    OK(usher_ticket_complete(e, 10, USHER_RELEASE_NO_WRAPUP));

    OK(submit(e, 12, 1, 0, 0, 0));
    assert_int_equal(tinfo(e, 12).state, USHER_TICKET_WAITING);
    expect_why(e, 12, 1, USHER_WHY_LOAD_CAP, 11000);
    assert_int_equal(ainfo(e, 1).capped_until_ms, 11000);
    expect_why(e, 12, 2, USHER_WHY_COOLING_DOWN, 7000);
    assert_int_equal(ainfo(e, 2).capped_until_ms, 7000);

    /* When the cool-down ends agent 2 takes it. */
    clear(&log);
    advance(e, 7000);
    assert_assigned_to(e, 12, 2);
    usher_engine_free(e);
}

static void test_explain_exclusive_wrapup_capacity(void **state)
{
    (void)state;
    events log;
    usher_engine *e = explain_engine(&log);
    add_agent(e, 1, 5); /* on a call */
    add_agent(e, 2, 5); /* in a blocking wrap-up */
    add_agent(e, 3, 1); /* full */
    add_agent(e, 4, 5); /* chatting: cannot take a call */
    add_agent(e, 5, 5); /* limited to no chats */
    for (uint64_t a = 1; a <= 5; a++)
        login(e, a);
    OK(usher_capacity_reserve(e, 1, 901, VOICE));
    OK(usher_capacity_reserve(e, 2, 902, EMAIL));
    OK(usher_capacity_release(e, 902, 0)); /* wrap-up until 11000 */
    OK(usher_capacity_reserve(e, 3, 903, CHAT));
    OK(usher_capacity_reserve(e, 4, 904, CHAT));
    OK(usher_agent_set_channel_limit(e, 5, CHAT, 0));
    OK(usher_capacity_reserve(e, 5, 905, EMAIL));

    /* A chat: agent 4 could take it, so make it the holder's. */
    OK(submit(e, 10, 1, 0, 0, 0));
    assert_assigned_to(e, 10, 4);
    OK(submit(e, 11, 1, 0, 0, 0));
    assert_int_equal(tinfo(e, 11).state, USHER_TICKET_ASSIGNED); /* agent 4 again */
    assert_int_equal(tinfo(e, 11).agent_id, 4);
    OK(usher_agent_set_capacity(e, 4, 3)); /* full now */
    OK(submit(e, 12, 1, 0, 0, 0));
    assert_int_equal(tinfo(e, 12).state, USHER_TICKET_WAITING);
    expect_why(e, 12, 1, USHER_WHY_EXCLUSIVE_BUSY, 0);
    expect_why(e, 12, 2, USHER_WHY_WRAPUP, 0);
    expect_why(e, 12, 3, USHER_WHY_NO_CAPACITY, 0);
    expect_why(e, 12, 4, USHER_WHY_NO_CAPACITY, 0);
    expect_why(e, 12, 5, USHER_WHY_NO_CAPACITY, 0);

    /* A call: agent 4 holds chats. */
    usher_ticket_spec spec = spec_of(1, VOICE, 0, 0, 0);
    OK(usher_ticket_submit(e, 13, &spec));
    assert_int_equal(tinfo(e, 13).state, USHER_TICKET_WAITING);
    expect_why(e, 13, 4, USHER_WHY_EXCLUSIVE_BUSY, 0);
    expect_why(e, 13, 5, USHER_WHY_EXCLUSIVE_BUSY, 0);
    usher_engine_free(e);
}

static void test_explain_missing_skill(void **state)
{
    (void)state;
    events log;
    usher_engine *e = explain_engine(&log);
    add_agent(e, 1, 5);
    add_agent(e, 2, 5);
    add_agent(e, 3, 5);
    OK(usher_agent_set_skill(e, 1, 0, 3));  /* billing 3 */
    OK(usher_agent_set_skill(e, 2, 0, 9));  /* billing 9, spanish 2 */
    OK(usher_agent_set_skill(e, 2, 1, 2));
    for (uint64_t a = 1; a <= 3; a++)
        login(e, a);
    usher_skill_level reqs[2] = {{1, 4}, {0, 5}}; /* spanish 4, billing 5 */
    OK(submit_needing(e, 10, CHAT, reqs, 2));
    assert_int_equal(tinfo(e, 10).state, USHER_TICKET_WAITING);
    expect_skill_why(e, 10, 1, USHER_WHY_MISSING_SKILL, 0, 5, 3, 0);
    expect_skill_why(e, 10, 2, USHER_WHY_MISSING_SKILL, 1, 4, 2, 0);
    expect_skill_why(e, 10, 3, USHER_WHY_MISSING_SKILL, 0, 5, 0, 0);

    /* Agent 2 learns spanish: eligible, assigned. */
    OK(usher_agent_set_skill(e, 2, 1, 4));
    assert_assigned_to(e, 10, 2);
    usher_engine_free(e);
}

static void test_explain_widening_pending(void **state)
{
    (void)state;
    events log;
    usher_engine *e = explain_engine(&log);
    add_queue(e, 2, NULL);
    usher_widen_step steps[3];
    memset(steps, 0, sizeof steps);
    steps[0].after_ms = 5000;
    steps[0].action = USHER_WIDEN_RAISE_PRIORITY;
    steps[0].value = 10;
    steps[1].after_ms = 6000;
    steps[1].action = USHER_WIDEN_LOWER_LEVEL;
    steps[1].skill = 0;
    steps[1].value = 3;
    steps[2].after_ms = 9000;
    steps[2].action = USHER_WIDEN_OVERFLOW_GROUP;
    steps[2].skill = 2;
    OK(usher_queue_set_widening(e, 2, steps, 3));

    add_agent(e, 1, 5);
    add_agent(e, 2, 5);
    add_agent(e, 3, 5);
    OK(usher_agent_set_skill(e, 1, 0, 3)); /* billing 3: reached by step 1 */
    OK(usher_agent_set_skill(e, 2, 2, 1)); /* backup: reached by step 2 */
    OK(usher_agent_set_skill(e, 3, 0, 1)); /* billing 1: never */
    for (uint64_t a = 1; a <= 3; a++)
        login(e, a);
    advance(e, 20000);

    usher_skill_level reqs[1] = {{0, 5}};
    usher_ticket_spec spec = spec_of(2, CHAT, 0, 0, 0);
    spec.required = reqs;
    spec.required_count = 1;
    spec.created_ms = 18000; /* two seconds ago */
    OK(usher_ticket_submit(e, 10, &spec));
    assert_int_equal(tinfo(e, 10).state, USHER_TICKET_WAITING);
    expect_skill_why(e, 10, 1, USHER_WHY_WIDENING_PENDING, 0, 5, 3, 24000);
    expect_skill_why(e, 10, 2, USHER_WHY_WIDENING_PENDING, 0, 5, 0, 27000);
    expect_skill_why(e, 10, 3, USHER_WHY_MISSING_SKILL, 0, 5, 1, 0);

    /* Agent 1 busy: then at 24000 the lowered level lets nobody in yet;
     * at 27000 the overflow group lets agent 2 take it. */
    OK(usher_capacity_reserve(e, 1, 901, CHAT));
    OK(usher_agent_set_capacity(e, 1, 1));
    advance(e, 24000);
    assert_int_equal(tinfo(e, 10).state, USHER_TICKET_WAITING);
    expect_why(e, 10, 1, USHER_WHY_NO_CAPACITY, 0);
    expect_skill_why(e, 10, 2, USHER_WHY_WIDENING_PENDING, 0, 3, 0, 27000);
    clear(&log);
    advance(e, 27000);
    assert_int_equal(log.n, 2);
    expect(&log, 0, E_WIDENED, 27000, 10, 0, 2, USHER_WIDEN_OVERFLOW_GROUP);
    expect_assigned(&log, 1, 27000, 10, 2, 18000, CHAT);
    usher_engine_free(e);
}

static void test_explain_reject_cooldown(void **state)
{
    (void)state;
    events log;
    usher_engine *e = explain_engine(&log);
    usher_queue_def def = queue_def();
    def.assign_mode = USHER_ASSIGN_OFFER;
    def.offer_timeout_ms = 20000;
    def.reject_cooldown_ms = 30000;
    add_queue(e, 3, &def);
    add_agent(e, 1, 5);
    login(e, 1);
    clear(&log);
    OK(submit(e, 10, 3, 0, 0, 0));
    assert_int_equal(log.n, 1);
    assert_int_equal(log.ev[0].type, E_OFFERED);
    uint64_t token = log.ev[0].offer_token;
    expect_why(e, 10, 1, USHER_WHY_TICKET_TAKEN, 0); /* offered */

    advance(e, 2500);
    OK(usher_offer_reject(e, 10, token));
    assert_int_equal(tinfo(e, 10).state, USHER_TICKET_WAITING);
    expect_why(e, 10, 1, USHER_WHY_REJECT_COOLDOWN, 32500);
    clear(&log);
    advance(e, 32500); /* the cool-down ends: offered again */
    assert_int_equal(log.n, 1);
    assert_int_equal(log.ev[0].type, E_OFFERED);
    assert_int_equal(log.ev[0].agent_id, 1);
    usher_engine_free(e);
}

static void test_explain_waiting_for_preferred(void **state)
{
    (void)state;
    events log;
    usher_engine *e = two_agents(&log);
    occupy(e, 2, 500);
    OK(submit(e, 10, 1, 0, 2, 5000));
    expect_why(e, 10, 1, USHER_WHY_WAITING_FOR_PREFERRED, 6000);
    expect_why(e, 10, 2, USHER_WHY_NO_CAPACITY, 0);
    int64_t score = 0;
    uint64_t agent = 0;
    assert_int_equal(usher_ticket_candidate(e, 10, &agent, &score), USHER_ENOTFOUND);
    usher_engine_free(e);
}

static void test_explain_errors(void **state)
{
    (void)state;
    events log;
    usher_engine *e = two_agents(&log);
    occupy(e, 1, 500);
    occupy(e, 2, 501);
    OK(submit(e, 10, 1, 0, 0, 0));
    usher_explanation x;
    memset(&x, 0x5a, sizeof x);
    x.struct_size = sizeof x;
    assert_int_equal(usher_explain(e, 10, 1, NULL), USHER_EINVAL);
    assert_int_equal(usher_explain(NULL, 10, 1, &x), USHER_EINVAL);
    assert_int_equal(usher_explain(e, 11, 1, &x), USHER_ENOTFOUND);
    assert_int_equal(usher_explain(e, 10, 3, &x), USHER_ENOTFOUND);
    assert_int_equal(usher_explain(e, 500, 1, &x), USHER_ENOTFOUND); /* host work */
    x.struct_size = sizeof x - 1;
    assert_int_equal(usher_explain(e, 10, 1, &x), USHER_EINVAL);
    x.struct_size = 0;
    assert_int_equal(usher_explain(e, 10, 1, &x), USHER_EINVAL);
    /* Untouched by every failure. */
    unsigned char *bytes = (unsigned char *)&x;
    for (size_t i = sizeof x.struct_size; i < sizeof x; i++)
        assert_int_equal(bytes[i], 0x5a);

    /* A larger struct_size: the known part is filled, the rest left. */
    struct {
        usher_explanation x;
        uint64_t more;
    } big;
    memset(&big, 0x5a, sizeof big);
    big.x.struct_size = sizeof big;
    OK(usher_explain(e, 10, 1, &big.x));
    assert_int_equal(big.x.struct_size, sizeof big);
    assert_int_equal(big.x.why, USHER_WHY_NO_CAPACITY);
    assert_int_equal(big.more, UINT64_C(0x5a5a5a5a5a5a5a5a));

    uint64_t agent = 77;
    int64_t score = 77;
    assert_int_equal(usher_ticket_candidate(e, 10, NULL, &score), USHER_EINVAL);
    assert_int_equal(usher_ticket_candidate(e, 10, &agent, NULL), USHER_EINVAL);
    assert_int_equal(usher_ticket_candidate(NULL, 10, &agent, &score), USHER_EINVAL);
    assert_int_equal(usher_ticket_candidate(e, 11, &agent, &score), USHER_ENOTFOUND);
    assert_int_equal(usher_ticket_candidate(e, 10, &agent, &score), USHER_ENOTFOUND);
    assert_int_equal(agent, 77);
    assert_int_equal(score, 77);

    /* Assigned: ESTATE. */
    free_work(e, 500);
    assert_assigned_to(e, 10, 1);
    assert_int_equal(usher_ticket_candidate(e, 10, &agent, &score), USHER_ESTATE);
    assert_int_equal(agent, 77);
    usher_engine_free(e);
}

static void test_candidate_offered_is_estate(void **state)
{
    (void)state;
    events log;
    usher_engine *e = explain_engine(&log);
    usher_queue_def def = queue_def();
    def.assign_mode = USHER_ASSIGN_OFFER;
    add_queue(e, 3, &def);
    add_agent(e, 1, 5);
    login(e, 1);
    OK(submit(e, 10, 3, 0, 0, 0));
    assert_int_equal(tinfo(e, 10).state, USHER_TICKET_OFFERED);
    uint64_t agent = 0;
    int64_t score = 0;
    assert_int_equal(usher_ticket_candidate(e, 10, &agent, &score), USHER_ESTATE);
    usher_engine_free(e);
}

/* ======================================================================
 * Scoring hook
 * ====================================================================== */

#define MAX_CALLS 64

typedef struct hook_ctx {
    usher_engine *e;
    uint64_t favourite; /* gets a huge bonus */
    uint64_t shunned;   /* gets a huge malus */
    int constant;       /* return 0 for everyone */
    int calls;
    uint64_t ticket[MAX_CALLS], agent[MAX_CALLS];
    int64_t score[MAX_CALLS];
    /* Re-entry probing: the statuses of calls made from the hook. */
    int probe;
    usher_status got[16];
    const char *name[16];
    int probes;
} hook_ctx;

static void probe_calls(hook_ctx *h, uint64_t ticket);

static int64_t hook(void *user, uint64_t ticket, uint64_t agent, int64_t score)
{
    hook_ctx *h = user;
    if (h->calls < MAX_CALLS) {
        h->ticket[h->calls] = ticket;
        h->agent[h->calls] = agent;
        h->score[h->calls] = score;
    }
    h->calls++;
    if (h->probe) {
        h->probe = 0;
        probe_calls(h, ticket);
    }
    if (h->constant)
        return 0;
    if (agent == h->favourite)
        return INT64_C(1) << 50;
    if (agent == h->shunned)
        return -(INT64_C(1) << 50);
    return score;
}

/* Four agents of capacity 1, available since 0, 100, 200, 300 (agent 1
 * idle longest); queue 1 of the strategy; the clock at 1000. */
static usher_engine *four_agents(events *log, uint32_t strategy, uint64_t seed)
{
    usher_engine *e = engine_with(log, seed, NULL);
    add_channel(e, CHAT, 0, 0);
    usher_queue_def def = queue_def();
    def.strategy = strategy;
    add_queue(e, 1, &def);
    for (uint64_t a = 1; a <= 4; a++) {
        add_agent(e, a, 1);
        advance(e, (a - 1) * 100);
        login(e, a);
    }
    advance(e, 1000);
    clear(log);
    return e;
}

/* The hook saw exactly these agents, each once, with ms idle as score. */
static void expect_seen(const hook_ctx *h, uint64_t ticket, const uint64_t *agents, int n)
{
    assert_int_equal(h->calls, n);
    for (int i = 0; i < n; i++) {
        int found = 0;
        for (int c = 0; c < h->calls; c++) {
            if (h->agent[c] != agents[i])
                continue;
            found++;
            assert_int_equal(h->ticket[c], ticket);
            assert_int_equal(h->score[c], 1000 - (int64_t)(agents[i] - 1) * 100);
        }
        assert_int_equal(found, 1);
    }
}

static uint64_t hooked_choice(uint32_t candidates, uint64_t favourite, uint64_t shunned,
                              int constant, hook_ctx *h)
{
    events log;
    usher_engine *e = four_agents(&log, USHER_STRATEGY_LONGEST_IDLE, 1);
    memset(h, 0, sizeof *h);
    h->e = e;
    h->favourite = favourite;
    h->shunned = shunned;
    h->constant = constant;
    OK(usher_set_score_hook(e, hook, h, candidates));
    OK(submit(e, 10, 1, 0, 0, 0));
    assert_int_equal(log.n, 1);
    uint64_t agent = log.ev[0].agent_id;
    expect_assigned(&log, 0, 1000, 10, agent, 1000, CHAT);
    usher_engine_free(e);
    return agent;
}

static void test_hook_prefers_agent(void **state)
{
    (void)state;
    hook_ctx h;
    const uint64_t all[4] = {1, 2, 3, 4};

    assert_int_equal(hooked_choice(4, 3, 0, 0, &h), 3);
    expect_seen(&h, 10, all, 4);
    assert_int_equal(hooked_choice(3, 3, 0, 0, &h), 3);
    expect_seen(&h, 10, all, 3);
    assert_int_equal(hooked_choice(32, 4, 0, 0, &h), 4);
    expect_seen(&h, 10, all, 4);
    /* Agent 3 is not among the first two: the strategy's choice. */
    assert_int_equal(hooked_choice(2, 3, 0, 0, &h), 1);
    expect_seen(&h, 10, all, 2);
    /* Scores as given: the strategy's choice. */
    assert_int_equal(hooked_choice(4, 0, 0, 0, &h), 1);
    /* Shunning the first: the second. */
    assert_int_equal(hooked_choice(4, 0, 1, 0, &h), 2);
    /* Ties go to the strategy's order. */
    assert_int_equal(hooked_choice(4, 0, 0, 1, &h), 1);
    /* One candidate: the hook cannot change the choice. */
    assert_int_equal(hooked_choice(1, 3, 1, 0, &h), 1);
    expect_seen(&h, 10, all, 1);
}

static void test_hook_removed_and_limits(void **state)
{
    (void)state;
    events log;
    usher_engine *e = four_agents(&log, USHER_STRATEGY_LONGEST_IDLE, 1);
    hook_ctx h;
    memset(&h, 0, sizeof h);
    h.favourite = 4;

    assert_int_equal(usher_set_score_hook(e, hook, &h, 0), USHER_EINVAL);
    assert_int_equal(usher_set_score_hook(e, hook, &h, USHER_MAX_SCORE_CANDIDATES + 1),
                     USHER_EINVAL);
    assert_int_equal(usher_set_score_hook(NULL, hook, &h, 4), USHER_EINVAL);
    /* None of those registered anything. */
    OK(submit(e, 10, 1, 0, 0, 0));
    expect_assigned(&log, 0, 1000, 10, 1, 1000, CHAT);
    assert_int_equal(h.calls, 0);

    OK(usher_set_score_hook(e, hook, &h, 4));
    clear(&log);
    OK(submit(e, 11, 1, 0, 0, 0));
    expect_assigned(&log, 0, 1000, 11, 4, 1000, CHAT);
    assert_int_equal(h.calls, 3); /* agents 2, 3, 4 */

    OK(usher_set_score_hook(e, NULL, &h, 0)); /* removed, whatever candidates */
    h.calls = 0;
    clear(&log);
    OK(submit(e, 12, 1, 0, 0, 0));
    expect_assigned(&log, 0, 1000, 12, 2, 1000, CHAT);
    assert_int_equal(h.calls, 0);
    usher_engine_free(e);
}

static void test_hook_random_longest_idle_order(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        events log;
        usher_engine *e = four_agents(&log, USHER_STRATEGY_RANDOM, seed);
        hook_ctx h;
        memset(&h, 0, sizeof h);
        OK(usher_set_score_hook(e, hook, &h, 2));
        OK(submit(e, 10, 1, 0, 0, 0));
        /* The two longest idle, scored by ms idle: agent 1 wins. */
        const uint64_t first[2] = {1, 2};
        expect_seen(&h, 10, first, 2);
        expect_assigned(&log, 0, 1000, 10, 1, 1000, CHAT);
        usher_engine_free(e);
    }
}

static void probe_calls(hook_ctx *h, uint64_t ticket)
{
    usher_engine *e = h->e;
    usher_ticket_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    usher_explanation x;
    memset(&x, 0, sizeof x);
    x.struct_size = sizeof x;
    usher_ticket_spec spec = spec_of(1, CHAT, 0, 0, 0);
    uint64_t agent = 0;
    int64_t score = 0;
    int n = 0;
#define PROBE(call)                                                                                \
    do {                                                                                           \
        h->name[n] = #call;                                                                        \
        h->got[n++] = (call);                                                                      \
    } while (0)
    PROBE(usher_ticket_get(e, ticket, &info));
    PROBE(usher_agent_set_state(e, 4, USHER_AGENT_AWAY, 1));
    PROBE(usher_ticket_submit(e, 99, &spec));
    PROBE(usher_ticket_cancel(e, ticket));
    PROBE(usher_explain(e, ticket, 1, &x));
    PROBE(usher_ticket_candidate(e, ticket, &agent, &score));
    PROBE(usher_set_score_hook(e, NULL, NULL, 0));
    PROBE(usher_agent_add(e, 50, 1));
    h->probes = n;
#undef PROBE
}

static void test_hook_refuses_engine_calls(void **state)
{
    (void)state;
    events log;
    usher_engine *e = four_agents(&log, USHER_STRATEGY_LONGEST_IDLE, 1);
    hook_ctx h;
    memset(&h, 0, sizeof h);
    h.e = e;
    h.probe = 1;
    h.favourite = 2;
    OK(usher_set_score_hook(e, hook, &h, 4));
    OK(submit(e, 10, 1, 0, 0, 0));
    for (int i = 0; i < h.probes; i++) {
        if (h.got[i] != USHER_ESTATE)
            print_message("from the hook: %s returned %d\n", h.name[i], (int)h.got[i]);
        assert_int_equal(h.got[i], USHER_ESTATE);
    }
    /* Nothing those calls asked for happened, and the decision stood. */
    assert_int_equal(log.n, 1);
    expect_assigned(&log, 0, 1000, 10, 2, 1000, CHAT);
    assert_int_equal(ainfo(e, 4).state, USHER_AGENT_AVAILABLE);
    assert_ticket_absent(e, 99);
    usher_agent_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    assert_int_equal(usher_agent_get(e, 50, &info), USHER_ENOTFOUND);
    /* The hook is still registered. */
    h.calls = 0;
    clear(&log);
    OK(submit(e, 11, 1, 0, 0, 0));
    assert_int_equal(h.calls, 3);
    usher_engine_free(e);
}

/* The other entry points: timers, the clock, skills, the event handler. */
typedef struct probe2 {
    usher_engine *e;
    int done;
    usher_status got[8];
    const char *name[8];
    int n;
} probe2;

static int64_t hook_probe2(void *user, uint64_t ticket, uint64_t agent, int64_t score)
{
    probe2 *p = user;
    (void)ticket;
    (void)agent;
    if (p->done)
        return score;
    p->done = 1;
    usher_engine *e = p->e;
    uint32_t skill = 0;
    uint64_t t = 0;
#define PROBE(call)                                                                                \
    do {                                                                                           \
        p->name[p->n] = #call;                                                                     \
        p->got[p->n++] = (call);                                                                   \
    } while (0)
    PROBE(usher_timer_set(e, 5, 900000));
    PROBE(usher_timer_cancel(e, 6));
    PROBE(usher_advance(e, 1000));
    PROBE(usher_skill_intern(e, "new", &skill));
    PROBE(usher_now(e, &t));
    PROBE(usher_next_deadline(e, &t));
#undef PROBE
    return score;
}

static void test_hook_refuses_timer_and_clock_calls(void **state)
{
    (void)state;
    events log;
    usher_engine *e = four_agents(&log, USHER_STRATEGY_LONGEST_IDLE, 1);
    OK(usher_timer_set(e, 6, 500000));
    probe2 p;
    memset(&p, 0, sizeof p);
    p.e = e;
    OK(usher_set_score_hook(e, hook_probe2, &p, 4));
    OK(submit(e, 10, 1, 0, 0, 0));
    expect_assigned(&log, 0, 1000, 10, 1, 1000, CHAT);
    int wrong = 0;
    for (int i = 0; i < p.n; i++)
        if (p.got[i] != USHER_ESTATE) {
            print_message("from the hook: %s returned %d, not USHER_ESTATE\n", p.name[i],
                          (int)p.got[i]);
            wrong++;
        }
    uint64_t due = 0;
    usher_status timer5 = usher_timer_due(e, 5, &due);
    usher_status timer6 = usher_timer_due(e, 6, &due);
    uint32_t count = 0;
    OK(usher_skill_count(e, &count));
    usher_engine_free(e);
    assert_int_equal(timer5, USHER_ENOTFOUND); /* not scheduled from the hook */
    assert_int_equal(timer6, USHER_OK);        /* not cancelled from the hook */
    assert_int_equal(count, 0);                /* no skill interned */
    assert_int_equal(wrong, 0);
}

/* ======================================================================
 * Deferred matches: ELIGIBLE and the candidate
 * ====================================================================== */

/*
 * A waiting ticket with eligible agents exists only while matches are
 * deferred: usher.h ("Tickets") says matches beyond the reserved ones take
 * memory as they are made, and if that fails the call still succeeds and
 * the next call makes them. Agent 1 (capacity 40) holds tickets 100..139
 * and logs out; agents 2 (capacity 100, available since 200) and 3
 * (capacity 60, since 300) may take the 40 requeued tickets. The sweep
 * fails one allocation of the logout after another until the logout
 * succeeds with tickets left waiting. Returns NULL if no such state exists.
 */
#define DEFERRED_TICKETS 40

static usher_engine *deferred_engine(events *log, test_allocator *ta, uint32_t strategy,
                                     uint64_t seed)
{
    for (long k = 1; k < 1000; k++) {
        test_allocator_init(ta, 0);
        usher_engine *e = engine_with(log, seed, &ta->allocator);
        add_channel(e, CHAT, 0, 0);
        usher_queue_def def = queue_def();
        def.strategy = strategy;
        add_queue(e, 1, &def);
        add_agent(e, 1, DEFERRED_TICKETS);
        add_agent(e, 2, 100);
        add_agent(e, 3, 60);
        login(e, 1);
        for (uint64_t t = 100; t < 100 + DEFERRED_TICKETS; t++)
            OK(submit(e, t, 1, 0, 0, 0));
        advance(e, 200);
        login(e, 2);
        advance(e, 300);
        login(e, 3);
        advance(e, 1000);
        clear(log);
        ta->fail_at = ta->calls + k;
        usher_status st = usher_agent_set_state(e, 1, USHER_AGENT_OFFLINE, 0);
        int failed = ta->failed;
        test_allocator_allow_all(ta);
        if (st != USHER_OK) {
            /* A failed logout changes nothing. */
            assert_int_equal(st, USHER_ENOMEM);
            assert_int_equal(log->n, 0);
            assert_int_equal(ainfo(e, 1).state, USHER_AGENT_AVAILABLE);
            assert_int_equal(ainfo(e, 1).work_count, DEFERRED_TICKETS);
        } else {
            assert_true(log->n >= 1 + DEFERRED_TICKETS);
            expect(log, 0, E_STATE, 1000, 0, 1, USHER_AGENT_OFFLINE, 0);
            if (ainfo(e, 2).work_count + ainfo(e, 3).work_count < DEFERRED_TICKETS)
                return e; /* matches deferred */
        }
        usher_engine_free(e);
        assert_int_equal(ta->live, 0);
        if (!failed)
            return NULL; /* the logout took no allocation this time */
    }
    return NULL;
}

/* The first waiting ticket of the deferred state. */
static uint64_t first_waiting(const usher_engine *e)
{
    for (uint64_t t = 100; t < 100 + DEFERRED_TICKETS; t++)
        if (tinfo(e, t).state == USHER_TICKET_WAITING)
            return t;
    fail_msg("no ticket waits");
    return 0;
}

static uint32_t free_units(const usher_engine *e, uint64_t agent)
{
    usher_agent_info info = ainfo(e, agent);
    return info.capacity - info.capacity_used;
}

static void test_explain_eligible_and_candidate(void **state)
{
    (void)state;
    events log;
    test_allocator ta;
    usher_engine *e = deferred_engine(&log, &ta, USHER_STRATEGY_MOST_FREE, 1);
    assert_non_null(e);
    uint64_t w = first_waiting(e);
    uint32_t free2 = free_units(e, 2), free3 = free_units(e, 3);
    assert_true(free2 > free3); /* agent 2 took the first matches */

    /* ELIGIBLE, with the strategy's score: free units under MOST_FREE. */
    usher_explanation x = explain(e, w, 2);
    assert_int_equal(x.why, USHER_WHY_ELIGIBLE);
    assert_int_equal(x.score, free2);
    assert_int_equal(x.until_ms, 0);
    assert_int_equal(x.skill, 0);
    x = explain(e, w, 3);
    assert_int_equal(x.why, USHER_WHY_ELIGIBLE);
    assert_int_equal(x.score, free3);
    expect_why(e, w, 1, USHER_WHY_OFFLINE, 0);

    /* The candidate: the strategy's choice, with its score; asking
     * changes nothing. */
    uint64_t agent = 0;
    int64_t score = 0;
    OK(usher_ticket_candidate(e, w, &agent, &score));
    assert_int_equal(agent, 2);
    assert_int_equal(score, free2);
    OK(usher_ticket_candidate(e, w, &agent, &score));
    assert_int_equal(agent, 2);
    assert_int_equal(tinfo(e, w).state, USHER_TICKET_WAITING);

    /* With a hook favouring agent 3 the candidate follows the hook. */
    hook_ctx h;
    memset(&h, 0, sizeof h);
    h.favourite = 3;
    OK(usher_set_score_hook(e, hook, &h, 2));
    OK(usher_ticket_candidate(e, w, &agent, &score));
    assert_int_equal(agent, 3);
    assert_int_equal(score, INT64_C(1) << 50);
    assert_int_equal(h.calls, 2);
    assert_int_equal(h.ticket[0], w);
    x = explain(e, w, 3); /* explain's score is before any hook */
    assert_int_equal(x.score, free3);

    /* The next call makes the deferred matches: the first goes to the
     * announced agent, and nothing waits afterwards. */
    clear(&log);
    int waiting = DEFERRED_TICKETS - (int)(ainfo(e, 2).work_count + ainfo(e, 3).work_count);
    advance(e, 1000);
    assert_int_equal(log.n, waiting);
    expect_assigned(&log, 0, 1000, w, 3, 0, CHAT);
    for (int i = 0; i < log.n; i++)
        assert_int_equal(log.ev[i].type, E_ASSIGNED);
    expect_why(e, w, 2, USHER_WHY_TICKET_TAKEN, 0);
    assert_int_equal(usher_ticket_candidate(e, w, &agent, &score), USHER_ESTATE);
    usher_engine_free(e);
    assert_int_equal(ta.live, 0);
}

/* Under RANDOM the candidate tells the next draw: the ticket then goes to
 * the agent it announced. */
static void test_candidate_random_announces_assignment(void **state)
{
    (void)state;
    int mismatches = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        events log;
        test_allocator ta;
        usher_engine *e = deferred_engine(&log, &ta, USHER_STRATEGY_RANDOM, seed);
        assert_non_null(e);
        uint64_t w = first_waiting(e);
        uint64_t agent = 0;
        int64_t score = 0;
        OK(usher_ticket_candidate(e, w, &agent, &score));
        assert_true(agent == 2 || agent == 3);
        usher_explanation x = explain(e, w, agent);
        assert_int_equal(x.why, USHER_WHY_ELIGIBLE);
        assert_int_equal(x.score, score); /* ms idle */
        clear(&log);
        advance(e, 1000);
        assert_true(log.n > 0);
        assert_int_equal(log.ev[0].type, E_ASSIGNED);
        assert_int_equal(log.ev[0].ticket_id, w);
        if (log.ev[0].agent_id != agent) {
            print_message("seed %" PRIu64 ": candidate announced agent %" PRIu64
                          ", ticket %" PRIu64 " went to agent %" PRIu64 "\n",
                          seed, agent, w, log.ev[0].agent_id);
            mismatches++;
        }
        usher_engine_free(e);
    }
    assert_int_equal(mismatches, 0);
}

/* usher_engine_free() from the hook takes effect when the call under way
 * returns: no use of freed memory (ASan), nothing leaks, no event. */
typedef struct free_ctx {
    usher_engine *e;
    int calls;
} free_ctx;

static int64_t hook_frees(void *user, uint64_t ticket, uint64_t agent, int64_t score)
{
    free_ctx *f = user;
    (void)ticket;
    (void)agent;
    if (f->calls++ == 0)
        usher_engine_free(f->e);
    return score;
}

static void test_hook_frees_engine(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    events log;
    usher_engine *e = engine_with(&log, 1, &ta.allocator);
    add_channel(e, CHAT, 0, 0);
    add_queue(e, 1, NULL);
    add_agent(e, 1, 1);
    add_agent(e, 2, 1);
    login(e, 1);
    login(e, 2);
    free_ctx f = {e, 0};
    OK(usher_set_score_hook(e, hook_frees, &f, 2));
    clear(&log);
    (void)submit(e, 10, 1, 0, 0, 0); /* the engine is gone when this returns */
    assert_int_equal(f.calls, 2);    /* the decision ran to its end */
    assert_int_equal(log.n, 0);
    assert_int_equal(ta.live, 0);
}

/* ======================================================================
 * Random strategy: usher_ticket_candidate makes no draw
 * ====================================================================== */

/* Runs a RANDOM offer-mode scenario; with `peek` a candidate is asked for
 * while the only agent in the draw is excluded. Returns the agents of the
 * next eight random assignments in `out`. */
static void random_run(int peek, uint64_t out[8])
{
    events log;
    usher_engine *e = four_agents(&log, USHER_STRATEGY_RANDOM, 12345);
    usher_queue_def def = queue_def();
    def.strategy = USHER_STRATEGY_RANDOM;
    def.assign_mode = USHER_ASSIGN_OFFER;
    def.reject_cooldown_ms = 60000;
    add_queue(e, 2, &def);
    occupy(e, 2, 902);
    occupy(e, 3, 903);
    occupy(e, 4, 904);
    clear(&log);
    OK(submit(e, 10, 2, 0, 0, 0));
    assert_int_equal(log.n, 1);
    assert_int_equal(log.ev[0].type, E_OFFERED);
    assert_int_equal(log.ev[0].agent_id, 1);
    OK(usher_offer_reject(e, 10, log.ev[0].offer_token));
    assert_int_equal(tinfo(e, 10).state, USHER_TICKET_WAITING);
    if (peek) {
        uint64_t agent = 0;
        int64_t score = 0;
        for (int i = 0; i < 5; i++)
            assert_int_equal(usher_ticket_candidate(e, 10, &agent, &score), USHER_ENOTFOUND);
        expect_why(e, 10, 1, USHER_WHY_REJECT_COOLDOWN, 61000);
    }
    OK(usher_ticket_cancel(e, 10));
    free_work(e, 902);
    free_work(e, 903);
    free_work(e, 904);
    for (int i = 0; i < 8; i++) {
        clear(&log);
        OK(submit(e, 20 + (uint64_t)i, 1, 0, 0, 0));
        assert_int_equal(log.n, 1);
        out[i] = log.ev[0].agent_id;
        OK(usher_ticket_complete(e, 20 + (uint64_t)i, USHER_RELEASE_NO_WRAPUP));
    }
    usher_engine_free(e);
}

static void test_candidate_random_makes_no_draw(void **state)
{
    (void)state;
    uint64_t plain[8], peeked[8];
    random_run(0, plain);
    random_run(1, peeked);
    for (int i = 0; i < 8; i++)
        assert_int_equal(peeked[i], plain[i]);
    /* The draws are really random: not one agent all along. */
    int varied = 0;
    for (int i = 1; i < 8; i++)
        varied |= plain[i] != plain[0];
    assert_true(varied);
}

/* ======================================================================
 * Allocation failure
 * ====================================================================== */

/* Queue 1 with a repeat rule and sticky agents; agents 1 (idle) and 2
 * (busy); the clock at 1000. */
static usher_engine *oom_engine(events *log, test_allocator *ta)
{
    usher_engine *e = engine_with(log, 3, &ta->allocator);
    add_channel(e, CHAT, 0, 0);
    usher_queue_def def = queue_def();
    def.repeat_threshold = 2;
    def.repeat_window_ms = 60000;
    def.repeat_flags = USHER_REPEAT_RAISE_TIER | USHER_REPEAT_MOVE_QUEUE;
    def.repeat_tier = 2;
    def.repeat_queue = 2;
    def.sticky_ms = 30000;
    add_queue(e, 1, &def);
    add_queue(e, 2, NULL);
    add_agent(e, 1, 1);
    add_agent(e, 2, 1);
    login(e, 1);
    login(e, 2);
    occupy(e, 2, 500);
    advance(e, 1000);
    clear(log);
    return e;
}

static void test_submit_allocation_failure(void **state)
{
    (void)state;
    int reached_ok = 0;
    for (long k = 1; k < 400 && !reached_ok; k++) {
        test_allocator ta;
        test_allocator_init(&ta, 0);
        events log;
        usher_engine *e = oom_engine(&log, &ta);
        ta.fail_at = ta.calls + k;
        /* A new customer (a record) and a preferred busy agent (a wait). */
        usher_status st = submit(e, 10, 1, 55, 2, 5000);
        test_allocator_allow_all(&ta);
        if (st == USHER_OK) {
            assert_false(ta.failed);
            reached_ok = 1;
        } else {
            assert_int_equal(st, USHER_ENOMEM);
            assert_true(ta.failed);
            assert_int_equal(log.n, 0);
            assert_ticket_absent(e, 10);
            uint64_t deadline = 0;
            OK(usher_next_deadline(e, &deadline));
            assert_int_equal(deadline, USHER_TIME_NEVER);
            assert_int_equal(ainfo(e, 1).work_count, 0);
            /* No trace of the customer: this is their first ticket. */
            OK(submit(e, 10, 1, 55, 2, 5000));
        }
        assert_int_equal(log.n, 0);
        assert_waiting_for(e, 10, 2, 6000);
        /* The record was made once: the second ticket is a repeat. */
        OK(usher_ticket_cancel(e, 10));
        clear(&log);
        OK(submit(e, 11, 1, 55, 0, 0));
        assert_int_equal(log.n, 2);
        expect(&log, 0, E_ESCALATED, 1000, 11, 0, 2,
               USHER_REPEAT_RAISE_TIER | USHER_REPEAT_MOVE_QUEUE);
        expect_assigned(&log, 1, 1000, 11, 1, 1000, CHAT);
        usher_engine_free(e);
        assert_int_equal(ta.live, 0);
    }
    assert_true(reached_ok);
}

/* An escalated, sticky submit: a new bucket in the target queue, the
 * escalation event, a wait for the customer's last agent. */
static void test_escalated_submit_allocation_failure(void **state)
{
    (void)state;
    int reached_ok = 0;
    for (long k = 1; k < 400 && !reached_ok; k++) {
        test_allocator ta;
        test_allocator_init(&ta, 0);
        events log;
        usher_engine *e = oom_engine(&log, &ta);
        OK(submit(e, 1, 1, 55, 0, 0)); /* to agent 1 */
        OK(usher_ticket_complete(e, 1, USHER_RELEASE_NO_WRAPUP));
        occupy(e, 1, 501);
        free_work(e, 500); /* agent 2 idle, agent 1 (the last) busy */
        clear(&log);
        ta.fail_at = ta.calls + k;
        usher_status st = submit(e, 2, 1, 55, 0, 0);
        test_allocator_allow_all(&ta);
        if (st == USHER_OK) {
            assert_false(ta.failed);
            reached_ok = 1;
        } else {
            assert_int_equal(st, USHER_ENOMEM);
            assert_int_equal(log.n, 0);
            assert_ticket_absent(e, 2);
            assert_int_equal(ainfo(e, 2).work_count, 0);
            OK(submit(e, 2, 1, 55, 0, 0));
        }
        /* The second ticket of customer 55: escalated and moved, waiting
         * for agent 1 (count 2: the failed attempts did not count). */
        assert_int_equal(log.n, 1);
        expect(&log, 0, E_ESCALATED, 1000, 2, 0, 2,
               USHER_REPEAT_RAISE_TIER | USHER_REPEAT_MOVE_QUEUE);
        usher_ticket_info info = tinfo(e, 2);
        assert_int_equal(info.queue, 2);
        assert_int_equal(info.tier, 2);
        assert_waiting_for(e, 2, 1, 31000);
        usher_engine_free(e);
        assert_int_equal(ta.live, 0);
    }
    assert_true(reached_ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefer_available_agent),
        cmocka_unit_test(test_prefer_unavailable_agent_skipped),
        cmocka_unit_test(test_prefer_busy_agent_waits),
        cmocka_unit_test(test_prefer_deadline_falls_back),
        cmocka_unit_test(test_prefer_zero_wait),
        cmocka_unit_test(test_prefer_agent_goes_away),
        cmocka_unit_test(test_prefer_agent_logs_out),
        cmocka_unit_test(test_prefer_agent_removed),
        cmocka_unit_test(test_prefer_cancelled_while_waiting),
        cmocka_unit_test(test_prefer_wait_limit),
        cmocka_unit_test(test_repeat_raises_tier),
        cmocka_unit_test(test_repeat_window),
        cmocka_unit_test(test_repeat_customer_zero_and_others),
        cmocka_unit_test(test_repeat_moves_queue),
        cmocka_unit_test(test_repeat_raise_and_move),
        cmocka_unit_test(test_repeat_move_to_missing_queue),
        cmocka_unit_test(test_repeat_escalation_of_waiting_ticket),
        cmocka_unit_test(test_repeat_counts_every_queue),
        cmocka_unit_test(test_repeat_history_outlives_short_window),
        cmocka_unit_test(test_repeat_counts_queue_without_rules),
        cmocka_unit_test(test_repeat_invalid_settings),
        cmocka_unit_test(test_sticky_agent),
        cmocka_unit_test(test_sticky_remembers_fallback_agent),
        cmocka_unit_test(test_sticky_overridden_by_preference),
        cmocka_unit_test(test_sticky_only_in_sticky_queues),
        cmocka_unit_test(test_sticky_after_long_wait),
        cmocka_unit_test(test_explain_states),
        cmocka_unit_test(test_explain_load_cap_and_cooldown),
        cmocka_unit_test(test_explain_exclusive_wrapup_capacity),
        cmocka_unit_test(test_explain_missing_skill),
        cmocka_unit_test(test_explain_widening_pending),
        cmocka_unit_test(test_explain_reject_cooldown),
        cmocka_unit_test(test_explain_waiting_for_preferred),
        cmocka_unit_test(test_explain_errors),
        cmocka_unit_test(test_candidate_offered_is_estate),
        cmocka_unit_test(test_explain_eligible_and_candidate),
        cmocka_unit_test(test_candidate_random_announces_assignment),
        cmocka_unit_test(test_hook_prefers_agent),
        cmocka_unit_test(test_hook_removed_and_limits),
        cmocka_unit_test(test_hook_random_longest_idle_order),
        cmocka_unit_test(test_hook_refuses_engine_calls),
        cmocka_unit_test(test_hook_refuses_timer_and_clock_calls),
        cmocka_unit_test(test_candidate_random_makes_no_draw),
        cmocka_unit_test(test_submit_allocation_failure),
        cmocka_unit_test(test_escalated_submit_allocation_failure),
        cmocka_unit_test(test_hook_frees_engine), /* last: a regression is a use after free */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
