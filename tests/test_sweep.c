/*
 * The allocation-failure sweep: one representative scenario (calendars, SLA
 * policies, channels, skills, queues with offers and widening, agents with
 * load caps, host timers and host work, tickets from submission to
 * completion, repeat customers, clock jumps, and a snapshot restored into a
 * fresh engine that carries on) run once with a working
 * allocator as the reference, then again for every k with an allocator that
 * fails the k-th allocation, until a run no longer reaches k.
 *
 * In every run, the call that meets the failure must return USHER_ENOMEM,
 * must leave usher_check() passing and raise no event; the scenario then
 * repeats that call, which must give the reference's status. Every run must end with exactly the
 * reference's event stream and leak nothing.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "usher.h"

#define MAX_EVENTS 4096
#define MAX_STEPS 1024
#define MIN_MS UINT64_C(60000)
#define HOUR_MS (60 * MIN_MS)
/* Monday 2 November 2026, 08:00 UTC. */
#define MONDAY_8AM UINT64_C(1794038400000)

typedef struct sweep {
    test_allocator ta;
    /* The reference run records each step's status; the others must match. */
    int recording;
    usher_status *statuses;
    usher_engine *e;
    usher_event events[MAX_EVENTS];
    int count;
    int step;
    int failures; /* calls that met the injected failure */
    uint64_t tokens[64];
    unsigned char snapshot[1 << 18];
    size_t snapshot_size;
} sweep;

static void on_event(void *user, const usher_event *ev)
{
    sweep *s = user;
    assert_true(s->count < MAX_EVENTS);
    s->events[s->count++] = *ev;
    if (ev->type == USHER_EVENT_TICKET_OFFERED && ev->ticket_id < 64)
        s->tokens[ev->ticket_id] = ev->offer_token;
}

static void check_engine(sweep *s, const char *call)
{
    usher_status st = usher_check(s->e);
    if (st != USHER_OK)
        fail_msg("step %d (%s): usher_check says %s", s->step, call, usher_status_name(st));
}

/*
 * One call of the scenario. A call that returns USHER_ENOMEM must be the
 * one the allocator failed in, must have raised no event (usher_advance may
 * have delivered the events of the deadlines it got through), and the
 * engine must still be consistent; the call is then made again.
 */
static void step(sweep *s, int partial_progress_allowed,
                 usher_status (*call)(sweep *s, const void *arg), const void *arg,
                 const char *name)
{
    int events_before = s->count;
    int failed_before = s->ta.failed;
    usher_status st = call(s, arg);
    if (st == USHER_ENOMEM) {
        if (!s->ta.failed || failed_before)
            fail_msg("step %d (%s): USHER_ENOMEM without an allocation failure", s->step, name);
        if (!partial_progress_allowed && s->count != events_before)
            fail_msg("step %d (%s): USHER_ENOMEM raised events", s->step, name);
        check_engine(s, name);
        s->failures++;
        st = call(s, arg);
    }
    assert_true(s->step < MAX_STEPS);
    if (s->recording)
        s->statuses[s->step] = st;
    else if (st != s->statuses[s->step])
        fail_msg("step %d (%s): %s, the reference run had %s", s->step, name,
                 usher_status_name(st), usher_status_name(s->statuses[s->step]));
    check_engine(s, name);
    s->step++;
}

#define STEP(s, fn, arg) step((s), 0, (fn), (arg), #fn)
#define STEP_ADVANCE(s, t) step((s), 1, call_advance, &(uint64_t){(t)}, "advance")

/* ------------------------------------------------------------------------
 * The calls, each a function of (sweep, argument) so it can be repeated
 * ------------------------------------------------------------------------ */

static usher_status call_advance(sweep *s, const void *t)
{
    return usher_advance(s->e, *(const uint64_t *)t);
}

static usher_status call_setup_calendar(sweep *s, const void *arg)
{
    (void)arg;
    usher_status st = usher_calendar_add(s->e, 1, "Europe/Berlin");
    return st == USHER_EEXIST ? USHER_OK : st;
}

static usher_status call_hours(sweep *s, const void *arg)
{
    (void)arg;
    usher_open_hours hours[5];
    for (uint32_t d = 0; d < 5; d++)
        hours[d] = (usher_open_hours){d + 1, 8 * 60, 18 * 60};
    return usher_calendar_set_hours(s->e, 1, hours, 5);
}

static usher_status call_holiday(sweep *s, const void *arg)
{
    (void)arg;
    return usher_calendar_add_holiday(s->e, 1, 2026, 12, 24, 12 * 60, 24 * 60);
}

static usher_status call_policy(sweep *s, const void *arg)
{
    uint32_t id = *(const uint32_t *)arg;
    usher_sla_policy_def def;
    usher_sla_policy_def_init(&def);
    def.target_mask = 1u << USHER_SLA_FIRST_RESPONSE | 1u << USHER_SLA_RESOLUTION;
    def.target_ms[USHER_SLA_FIRST_RESPONSE] = id * 5 * MIN_MS;
    def.target_ms[USHER_SLA_RESOLUTION] = id * 8 * HOUR_MS;
    def.business_mask = id == 2 ? 1u << USHER_SLA_RESOLUTION : 0;
    def.calendar = id == 2 ? 1 : 0;
    def.warning_count = 2;
    def.warning_permille[0] = 500;
    def.warning_permille[1] = 800;
    return usher_sla_policy_add(s->e, id, &def);
}

static usher_status call_rules(sweep *s, const void *arg)
{
    (void)arg;
    usher_sla_rule rules[] = {
        {.channel = 1, .queue = USHER_SLA_ANY, .tier = USHER_SLA_ANY, .min_priority = 0,
         .max_priority = USHER_MAX_PRIORITY, .policy = 2},
    };
    return usher_sla_set_rules(s->e, rules, 1, 1);
}

static usher_status call_channel(sweep *s, const void *arg)
{
    uint32_t id = *(const uint32_t *)arg;
    usher_channel_def def;
    usher_channel_def_init(&def);
    def.cost = id == 0 ? 1 : 2;
    def.wrapup_ms = id == 0 ? 30000 : 0;
    def.max_per_agent = id == 0 ? 1 : 2;
    return usher_channel_add(s->e, id, &def);
}

static usher_status call_skill(sweep *s, const void *name)
{
    uint32_t id;
    return usher_skill_intern(s->e, name, &id);
}

static usher_status call_queue(sweep *s, const void *arg)
{
    uint32_t id = *(const uint32_t *)arg;
    usher_queue_def def;
    usher_queue_def_init(&def);
    def.strategy = id;
    def.assign_mode = id == 1 ? USHER_ASSIGN_OFFER : USHER_ASSIGN_DIRECT;
    def.offer_timeout_ms = 20000;
    def.repeat_threshold = id == 0 ? 2 : 0;
    def.repeat_flags = USHER_REPEAT_RAISE_TIER;
    def.repeat_window_ms = HOUR_MS;
    def.repeat_tier = 2;
    def.sticky_ms = id == 2 ? 60000 : 0;
    def.order = id == 2 ? USHER_ORDER_SLA_DEADLINE : USHER_ORDER_PRIORITY;
    return usher_queue_add(s->e, id, &def);
}

static usher_status call_widening(sweep *s, const void *arg)
{
    (void)arg;
    usher_widen_step steps[] = {
        {.after_ms = 30000, .action = USHER_WIDEN_LOWER_LEVEL, .skill = 0, .value = 1},
        {.after_ms = 90000, .action = USHER_WIDEN_RAISE_PRIORITY, .value = 50},
    };
    return usher_queue_set_widening(s->e, 0, steps, 2);
}

static usher_status call_agent(sweep *s, const void *arg)
{
    return usher_agent_add(s->e, *(const uint64_t *)arg, 3);
}

static usher_status call_agent_skill(sweep *s, const void *arg)
{
    uint64_t id = *(const uint64_t *)arg;
    return usher_agent_set_skill(s->e, id, (uint32_t)(id % 3), (uint32_t)(3 + id % 5));
}

static usher_status call_agent_skills(sweep *s, const void *arg)
{
    uint64_t id = *(const uint64_t *)arg;
    usher_skill_level skills[] = {{(uint32_t)(id % 3), 4}, {(uint32_t)((id + 1) % 3), 2}};
    return usher_agent_set_skills(s->e, id, skills, 2);
}

static usher_status call_load_cap(sweep *s, const void *arg)
{
    return usher_agent_set_load_cap(s->e, *(const uint64_t *)arg, 6, HOUR_MS);
}

static usher_status call_login(sweep *s, const void *arg)
{
    return usher_agent_set_state(s->e, *(const uint64_t *)arg, USHER_AGENT_AVAILABLE, 0);
}

static usher_status call_away(sweep *s, const void *arg)
{
    return usher_agent_set_state(s->e, *(const uint64_t *)arg, USHER_AGENT_AWAY, 7);
}

static usher_status call_remove_agent(sweep *s, const void *arg)
{
    return usher_agent_remove(s->e, *(const uint64_t *)arg);
}

static usher_status call_timer(sweep *s, const void *arg)
{
    uint64_t id = *(const uint64_t *)arg;
    return usher_timer_set(s->e, id, MONDAY_8AM + id * 7 * MIN_MS);
}

static usher_status call_host_work(sweep *s, const void *arg)
{
    return usher_capacity_reserve(s->e, *(const uint64_t *)arg, 900, 1);
}

static usher_status call_host_work_done(sweep *s, const void *arg)
{
    (void)arg;
    return usher_capacity_release(s->e, 900, 0);
}

static usher_status call_submit(sweep *s, const void *arg)
{
    uint64_t id = *(const uint64_t *)arg;
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    usher_skill_level need = {(uint32_t)(id % 3), 3};
    spec.queue = (uint32_t)(id % 3);
    spec.channel = (uint32_t)(id % 2);
    spec.priority = (uint32_t)(id * 37 % 200);
    spec.tier = (uint32_t)(id % 4);
    spec.required_count = 1;
    spec.required = &need;
    spec.customer_id = 1 + id % 5;
    return usher_ticket_submit(s->e, id, &spec);
}

static usher_status call_sla_start(sweep *s, const void *arg)
{
    uint64_t id = *(const uint64_t *)arg;
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    spec.channel = (uint32_t)(id % 2);
    spec.queue = (uint32_t)(id % 3);
    return usher_sla_start(s->e, id, &spec);
}

static usher_status call_reply(sweep *s, const void *arg)
{
    return usher_sla_report(s->e, *(const uint64_t *)arg, USHER_SLA_AGENT_REPLY);
}

static usher_status call_accept(sweep *s, const void *arg)
{
    uint64_t id = *(const uint64_t *)arg;
    return usher_offer_accept(s->e, id, s->tokens[id]);
}

static usher_status call_transfer(sweep *s, const void *arg)
{
    return usher_ticket_transfer(s->e, *(const uint64_t *)arg, 2);
}

static usher_status call_require(sweep *s, const void *arg)
{
    return usher_ticket_require(s->e, *(const uint64_t *)arg, 2, 1);
}

static usher_status call_solved(sweep *s, const void *arg)
{
    return usher_sla_report(s->e, *(const uint64_t *)arg, USHER_SLA_SOLVED);
}

static usher_status call_complete(sweep *s, const void *arg)
{
    return usher_ticket_complete(s->e, *(const uint64_t *)arg, 0);
}

static usher_status call_cancel(sweep *s, const void *arg)
{
    return usher_ticket_cancel(s->e, *(const uint64_t *)arg);
}

static usher_status keep_piece(void *user, const void *data, size_t size)
{
    sweep *s = user;
    if (size > sizeof s->snapshot - s->snapshot_size)
        return USHER_ELIMIT;
    memcpy(s->snapshot + s->snapshot_size, data, size);
    s->snapshot_size += size;
    return USHER_OK;
}

static usher_status call_snapshot(sweep *s, const void *arg)
{
    (void)arg;
    s->snapshot_size = 0;
    return usher_snapshot_write(s->e, keep_piece, s);
}

/* The host restarts: a fresh engine from the snapshot takes over (through
 * the same failing allocator); if the restore fails the old one stays. */
static usher_status call_restore(sweep *s, const void *arg)
{
    (void)arg;
    usher_config config;
    usher_config_init(&config);
    config.seed = 6;
    config.allocator = &s->ta.allocator;
    usher_engine *fresh;
    usher_status st = usher_restore(&config, s->snapshot, s->snapshot_size, &fresh);
    if (st != USHER_OK)
        return st;
    usher_engine_free(s->e);
    s->e = fresh;
    return usher_set_event_handler(s->e, on_event, s);
}

/* ------------------------------------------------------------------------
 * The scenario
 * ------------------------------------------------------------------------ */

static const uint64_t agents[] = {11, 12, 13, 14, 15, 16};
static const uint32_t channels[] = {0, 1};
static const uint32_t queues[] = {0, 1, 2};
static const uint32_t policies[] = {1, 2};

static void scenario(sweep *s)
{
    STEP(s, call_setup_calendar, NULL);
    STEP(s, call_hours, NULL);
    STEP(s, call_holiday, NULL);
    for (size_t i = 0; i < 2; i++)
        STEP(s, call_policy, &policies[i]);
    STEP(s, call_rules, NULL);
    for (size_t i = 0; i < 2; i++)
        STEP(s, call_channel, &channels[i]);
    STEP(s, call_skill, "billing");
    STEP(s, call_skill, "tech");
    STEP(s, call_skill, "sales");
    for (size_t i = 0; i < 3; i++)
        STEP(s, call_queue, &queues[i]);
    STEP(s, call_widening, NULL);
    for (size_t i = 0; i < 6; i++) {
        STEP(s, call_agent, &agents[i]);
        STEP(s, call_agent_skill, &agents[i]);
        if (i % 2)
            STEP(s, call_agent_skills, &agents[i]);
        if (i == 0)
            STEP(s, call_load_cap, &agents[i]);
    }
    for (uint64_t t = 1; t <= 3; t++)
        STEP(s, call_timer, &t);
    /* Tickets arrive before anyone logs in: they wait and widen. */
    for (uint64_t t = 1; t <= 12; t++) {
        STEP(s, call_submit, &t);
        STEP(s, call_sla_start, &t);
        STEP_ADVANCE(s, MONDAY_8AM + t * 10000);
    }
    STEP(s, call_host_work, &agents[5]);
    for (size_t i = 0; i < 6; i++)
        STEP(s, call_login, &agents[i]);
    STEP_ADVANCE(s, MONDAY_8AM + 3 * MIN_MS);
    for (uint64_t t = 1; t <= 12; t += 3)
        STEP(s, call_reply, &t);
    for (uint64_t t = 13; t <= 30; t++) {
        STEP(s, call_submit, &t);
        STEP(s, call_sla_start, &t);
        if (t % 4 == 0)
            STEP(s, call_accept, &t);
        if (t % 5 == 0)
            STEP(s, call_transfer, &t);
        if (t % 6 == 0)
            STEP(s, call_require, &t);
        STEP_ADVANCE(s, MONDAY_8AM + 3 * MIN_MS + (t - 12) * 45000);
    }
    STEP(s, call_snapshot, NULL);
    STEP(s, call_restore, NULL);
    STEP(s, call_away, &agents[2]);
    STEP(s, call_remove_agent, &agents[3]);
    STEP(s, call_host_work_done, NULL);
    for (uint64_t t = 1; t <= 30; t += 2) {
        STEP(s, call_solved, &t);
        STEP(s, call_complete, &t);
    }
    for (uint64_t t = 2; t <= 30; t += 4)
        STEP(s, call_cancel, &t);
    STEP_ADVANCE(s, MONDAY_8AM + 10 * HOUR_MS);                 /* past closing time */
    STEP_ADVANCE(s, MONDAY_8AM + 30 * 24 * HOUR_MS);            /* a month later */
}

/* The run with the k-th allocation failing (0: none). Returns whether the
 * allocator got to k. */
static int run_scenario(sweep *s, long fail_at, usher_status *statuses)
{
    memset(s, 0, sizeof *s);
    s->recording = fail_at == 0;
    s->statuses = statuses;
    test_allocator_init(&s->ta, fail_at);
    usher_config config;
    usher_config_init(&config);
    config.seed = 5;
    config.start_ms = MONDAY_8AM;
    config.allocator = &s->ta.allocator;
    usher_status st = usher_engine_new(&config, &s->e);
    if (st == USHER_ENOMEM) {
        assert_int_equal(s->ta.live, 0);
        s->failures++;
        st = usher_engine_new(&config, &s->e);
    }
    assert_int_equal(st, USHER_OK);
    assert_int_equal(usher_set_event_handler(s->e, on_event, s), USHER_OK);
    scenario(s);
    usher_engine_free(s->e);
    assert_int_equal(s->ta.live, 0);
    return s->ta.failed;
}

static void test_every_allocation_failure(void **state)
{
    (void)state;
    static sweep reference, run;
    static usher_status statuses[MAX_STEPS];
    assert_false(run_scenario(&reference, 0, statuses));
    assert_true(reference.count > 100);
    long points = 0;
    for (long k = 1;; k++) {
        if (!run_scenario(&run, k, statuses))
            break;
        points++;
        assert_int_equal(run.failures, 1);
        assert_int_equal(run.count, reference.count);
        for (int i = 0; i < reference.count; i++)
            if (memcmp(&run.events[i], &reference.events[i], sizeof run.events[i]) != 0)
                fail_msg("failure point %ld: event %d differs from the reference run", k, i);
    }
    printf("sweep: %ld allocation failure points (a snapshot and a restore among the calls), "
           "each USHER_ENOMEM from the call that needed memory, usher_check passing, the "
           "reference's %d events, no leak\n",
           points, reference.count);
    assert_true(points > 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
