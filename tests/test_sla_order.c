/* Where SLA meets routing: queues ordered by the earliest SLA deadline,
 * the rolling service level of a queue, and SLA counts per queue and per
 * channel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "usher.h"

#define OK(call) assert_int_equal((call), USHER_OK)
#define MIN_MS 60000ULL

typedef struct log {
    uint64_t assigned[16]; /* ticket ids in assignment order */
    int count;
} log_t;

static void on_event(void *user, const usher_event *ev)
{
    log_t *log = user;
    if (ev->type == USHER_EVENT_TICKET_ASSIGNED && log->count < 16)
        log->assigned[log->count++] = ev->ticket_id;
}

static usher_engine *engine(log_t *log)
{
    usher_engine *e;
    OK(usher_engine_new(NULL, &e));
    memset(log, 0, sizeof *log);
    OK(usher_set_event_handler(e, on_event, log));
    usher_channel_def ch;
    usher_channel_def_init(&ch);
    OK(usher_channel_add(e, 0, &ch));
    return e;
}

static void add_queue(usher_engine *e, uint32_t id, uint32_t order)
{
    usher_queue_def q;
    usher_queue_def_init(&q);
    q.order = order;
    OK(usher_queue_add(e, id, &q));
}

/* A resolution-only policy of `minutes`, chosen for tickets of priority
 * `priority` (rules on priority). */
static void policy_for_priority(usher_engine *e, uint32_t id, uint64_t minutes)
{
    usher_sla_policy_def p;
    usher_sla_policy_def_init(&p);
    p.target_mask = 1u << USHER_SLA_RESOLUTION;
    p.target_ms[USHER_SLA_RESOLUTION] = minutes * MIN_MS;
    OK(usher_sla_policy_add(e, id, &p));
}

static void submit(usher_engine *e, uint64_t ticket, uint32_t queue, uint32_t priority)
{
    usher_ticket_spec s;
    usher_ticket_spec_init(&s);
    s.queue = queue;
    s.priority = priority;
    OK(usher_ticket_submit(e, ticket, &s));
}

static void track(usher_engine *e, uint64_t ticket, uint32_t queue, uint32_t priority)
{
    usher_sla_spec s;
    usher_sla_spec_init(&s);
    s.queue = queue;
    s.priority = priority;
    OK(usher_sla_start(e, ticket, &s));
}

/* Three policies by priority: 0-> 60 min, 1 -> 10 min, 2 -> 30 min. */
static void three_policies(usher_engine *e)
{
    policy_for_priority(e, 1, 60);
    policy_for_priority(e, 2, 10);
    policy_for_priority(e, 3, 30);
    usher_sla_rule rules[] = {{USHER_SLA_ANY, USHER_SLA_ANY, USHER_SLA_ANY, 1, 1, 2},
                              {USHER_SLA_ANY, USHER_SLA_ANY, USHER_SLA_ANY, 2, 2, 3}};
    OK(usher_sla_set_rules(e, rules, 2, 1));
}

static void test_deadline_order(void **state)
{
    (void)state;
    log_t log;
    usher_engine *e = engine(&log);
    three_policies(e);
    add_queue(e, 1, USHER_ORDER_SLA_DEADLINE);
    /* Deadlines: ticket 10 at 60 min, 11 at 10 min, 12 at 30 min; 13 has
     * no SLA and goes last, though its priority is the highest. */
    for (uint32_t i = 0; i < 3; i++) {
        track(e, 10 + i, 1, i);
        submit(e, 10 + i, 1, 0);
    }
    submit(e, 13, 1, 900);
    OK(usher_agent_add(e, 1, 1));
    OK(usher_agent_set_state(e, 1, USHER_AGENT_AVAILABLE, 0));
    assert_int_equal(log.count, 1);
    assert_int_equal(log.assigned[0], 11);
    uint64_t expect[] = {12, 10, 13};
    for (int i = 0; i < 3; i++) {
        OK(usher_ticket_complete(e, log.assigned[log.count - 1], USHER_RELEASE_NO_WRAPUP));
        assert_int_equal(log.assigned[log.count - 1], expect[i]);
    }
    usher_engine_free(e);
}

static void test_deadline_moves_with_pause(void **state)
{
    (void)state;
    log_t log;
    usher_engine *e = engine(&log);
    usher_sla_policy_def p;
    usher_sla_policy_def_init(&p);
    p.target_mask = 1u << USHER_SLA_RESOLUTION;
    p.pause_mask = p.target_mask;
    p.target_ms[USHER_SLA_RESOLUTION] = 10 * MIN_MS;
    OK(usher_sla_policy_add(e, 1, &p));
    OK(usher_sla_set_rules(e, NULL, 0, 1));
    add_queue(e, 1, USHER_ORDER_SLA_DEADLINE);
    track(e, 20, 1, 0);
    submit(e, 20, 1, 0);
    OK(usher_advance(e, MIN_MS));
    track(e, 21, 1, 0); /* due at 11 min, after 20's 10 min */
    submit(e, 21, 1, 0);
    /* Pausing 20 takes its deadline away: 21 now comes first. */
    OK(usher_sla_report(e, 20, USHER_SLA_PENDING_CUSTOMER));
    OK(usher_agent_add(e, 1, 1));
    OK(usher_agent_set_state(e, 1, USHER_AGENT_AVAILABLE, 0));
    assert_int_equal(log.count, 1);
    assert_int_equal(log.assigned[0], 21);
    usher_engine_free(e);
}

static void test_priority_queue_ignores_deadlines(void **state)
{
    (void)state;
    log_t log;
    usher_engine *e = engine(&log);
    three_policies(e);
    add_queue(e, 1, USHER_ORDER_PRIORITY);
    track(e, 30, 1, 1); /* the earliest deadline, lowest priority */
    submit(e, 30, 1, 0);
    submit(e, 31, 1, 5);
    OK(usher_agent_add(e, 1, 1));
    OK(usher_agent_set_state(e, 1, USHER_AGENT_AVAILABLE, 0));
    assert_int_equal(log.assigned[0], 31);
    usher_engine_free(e);
}

static void test_rolling_service_level(void **state)
{
    (void)state;
    log_t log;
    usher_engine *e = engine(&log);
    usher_queue_def q;
    usher_queue_def_init(&q);
    q.service_level_ms = 20000;
    q.sl_window_ms = 60 * MIN_MS; /* 60 slots of a minute */
    OK(usher_queue_add(e, 1, &q));
    OK(usher_agent_add(e, 1, 10));
    OK(usher_agent_set_state(e, 1, USHER_AGENT_AVAILABLE, 0));
    submit(e, 1, 1, 0); /* t = 0, answered at once: in service level */
    OK(usher_advance(e, 30 * MIN_MS));
    usher_ticket_spec s;
    usher_ticket_spec_init(&s);
    s.queue = 1;
    s.created_ms = 0; /* answered 30 min after creation: late */
    OK(usher_ticket_submit(e, 2, &s));
    usher_queue_stats st = {.struct_size = sizeof st};
    OK(usher_queue_get_stats(e, 1, &st));
    assert_int_equal(st.answered, 2);
    assert_int_equal(st.window_answered, 2);
    assert_int_equal(st.window_answered_in_sl, 1);
    OK(usher_advance(e, 60 * MIN_MS)); /* the first answer's minute has left the window */
    OK(usher_queue_get_stats(e, 1, &st));
    assert_int_equal(st.window_answered, 1);
    assert_int_equal(st.window_answered_in_sl, 0);
    OK(usher_advance(e, 90 * MIN_MS)); /* and then the second */
    OK(usher_queue_get_stats(e, 1, &st));
    assert_int_equal(st.window_answered, 0);
    assert_int_equal(st.answered, 2); /* the day's counters stay */
    assert_int_equal(st.answered_in_sl, 1);
    usher_queue_def bad = q;
    bad.sl_window_ms = 59999;
    assert_int_equal(usher_queue_add(e, 2, &bad), USHER_EINVAL);
    bad.sl_window_ms = 60 * MIN_MS + 1;
    assert_int_equal(usher_queue_add(e, 2, &bad), USHER_EINVAL);
    bad = q;
    bad.order = 2;
    assert_int_equal(usher_queue_add(e, 2, &bad), USHER_EINVAL);
    usher_engine_free(e);
}

static void test_sla_counts_per_queue_and_channel(void **state)
{
    (void)state;
    log_t log;
    usher_engine *e = engine(&log);
    policy_for_priority(e, 1, 10);
    OK(usher_sla_set_rules(e, NULL, 0, 1));
    add_queue(e, 4, USHER_ORDER_PRIORITY);
    usher_sla_spec s;
    usher_sla_spec_init(&s);
    s.queue = 4;
    s.channel = 3;
    OK(usher_sla_start(e, 1, &s));
    OK(usher_sla_start(e, 2, &s));
    OK(usher_advance(e, 5 * MIN_MS));
    OK(usher_sla_report(e, 1, USHER_SLA_SOLVED)); /* met */
    OK(usher_advance(e, 10 * MIN_MS));            /* 2 breaches */
    usher_queue_stats q = {.struct_size = sizeof q};
    OK(usher_queue_get_stats(e, 4, &q));
    assert_int_equal(q.sla_met[USHER_SLA_RESOLUTION], 1);
    assert_int_equal(q.sla_breached[USHER_SLA_RESOLUTION], 1);
    usher_sla_stats c = {.struct_size = sizeof c};
    OK(usher_sla_channel_stats(e, 3, &c));
    assert_int_equal(c.met[USHER_SLA_RESOLUTION], 1);
    assert_int_equal(c.breached[USHER_SLA_RESOLUTION], 1);
    OK(usher_sla_channel_stats(e, 0, &c));
    assert_int_equal(c.met[USHER_SLA_RESOLUTION] + c.breached[USHER_SLA_RESOLUTION], 0);
    assert_int_equal(usher_sla_channel_stats(e, USHER_MAX_CHANNELS, &c), USHER_EINVAL);
    assert_int_equal(usher_sla_channel_stats(e, 0, NULL), USHER_EINVAL);
    usher_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_order),
        cmocka_unit_test(test_deadline_moves_with_pause),
        cmocka_unit_test(test_priority_queue_ignores_deadlines),
        cmocka_unit_test(test_rolling_service_level),
        cmocka_unit_test(test_sla_counts_per_queue_and_channel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
