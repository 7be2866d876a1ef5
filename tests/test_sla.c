/* SLA tracking, tested from include/usher.h alone: policy validation,
 * rules, the four target clocks (first response, next response, periodic
 * update, resolution), warnings and breaches at their exact times (also
 * across clock jumps), pauses, business time on a real zone with holidays,
 * events held to open hours, policy changes mid-life (also through the
 * routing API), held events across policy changes and restarts,
 * statistics, forgetting, and allocation failure. */
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

#define OK(call) assert_int_equal((call), USHER_OK)

#define SEC UINT64_C(1000)
#define MINUTE (60 * SEC)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)
#define WEEK (7 * DAY)
#define NEVER USHER_TIME_NEVER

#define FR USHER_SLA_FIRST_RESPONSE
#define NR USHER_SLA_NEXT_RESPONSE
#define PU USHER_SLA_PERIODIC_UPDATE
#define RES USHER_SLA_RESOLUTION
#define BIT(t) (1u << (t))

#define EV_WARN USHER_EVENT_SLA_WARNING
#define EV_BREACH USHER_EVENT_SLA_BREACHED
#define EV_MET USHER_EVENT_SLA_MET

#define S_INACTIVE USHER_SLA_INACTIVE
#define S_RUNNING USHER_SLA_RUNNING
#define S_PAUSED USHER_SLA_PAUSED
#define S_MET USHER_SLA_MET
#define S_BREACHED USHER_SLA_BREACHED
#define S_STOPPED USHER_SLA_STOPPED

#define MAX_SEEN 512

/* ---- event recording ------------------------------------------------------------------ */

typedef struct recorder {
    usher_event seen[MAX_SEEN];
    int count;
    int pos; /* the next event a test expects */
} recorder;

static void record_event(void *user, const usher_event *event)
{
    recorder *r = user;
    assert_true(r->count < MAX_SEEN);
    if (r->count > 0)
        assert_int_equal(event->seq, r->seen[r->count - 1].seq + 1);
    r->seen[r->count++] = *event;
}

/* The engines a test made, freed by its teardown if an assertion stopped
 * it before it freed them itself (so that ASan reports only real leaks). */
#define MAX_ENGINES 4
static usher_engine *live_engines[MAX_ENGINES];

static void free_engine(usher_engine *e)
{
    for (int i = 0; i < MAX_ENGINES; i++)
        if (live_engines[i] == e)
            live_engines[i] = NULL;
    usher_engine_free(e);
}

static int free_engines(void **state)
{
    (void)state;
    for (int i = 0; i < MAX_ENGINES; i++)
        if (live_engines[i]) {
            usher_engine_free(live_engines[i]);
            live_engines[i] = NULL;
        }
    return 0;
}

static usher_engine *new_engine_with(recorder *r, uint64_t start_ms, test_allocator *ta)
{
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.start_ms = start_ms;
    if (ta)
        cfg.allocator = &ta->allocator;
    usher_engine *e = NULL;
    OK(usher_engine_new(&cfg, &e));
    assert_non_null(e);
    int slot = 0;
    while (slot < MAX_ENGINES && live_engines[slot])
        slot++;
    assert_true(slot < MAX_ENGINES);
    live_engines[slot] = e;
    if (r) {
        memset(r, 0, sizeof *r);
        OK(usher_set_event_handler(e, record_event, r));
    }
    return e;
}

static usher_engine *new_engine(recorder *r, uint64_t start_ms)
{
    return new_engine_with(r, start_ms, NULL);
}

static const usher_event *next_event(recorder *r)
{
    if (r->pos >= r->count)
        fail_msg("expected another event: only %d seen", r->count);
    return &r->seen[r->pos++];
}

/* Every event seen so far was expected. */
static void no_more_events(const recorder *r)
{
    if (r->pos != r->count)
        fail_msg("%d unexpected event(s), the first of type %d for ticket %llu target %d at %llu",
                 r->count - r->pos, r->seen[r->pos].type,
                 (unsigned long long)r->seen[r->pos].ticket_id, r->seen[r->pos].reason,
                 (unsigned long long)r->seen[r->pos].time_ms);
}

static void check_sla_event(const usher_event *ev, int32_t type, uint64_t time_ms,
                            uint64_t ticket, uint32_t target, int64_t value, uint32_t detail,
                            uint64_t due_ms)
{
    assert_int_equal(ev->struct_size, sizeof(usher_event));
    assert_int_equal(ev->type, type);
    assert_int_equal(ev->ticket_id, ticket);
    assert_int_equal(ev->reason, (int32_t)target);
    assert_int_equal(ev->time_ms, time_ms);
    assert_int_equal(ev->due_ms, due_ms);
    assert_int_equal(ev->value, value);
    assert_int_equal(ev->detail, detail);
    assert_int_equal(ev->agent_id, 0);
    assert_int_equal(ev->timer_id, 0);
    assert_int_equal(ev->offer_token, 0);
}

/* A warning reached at due_ms, delivered at time_ms, with `left` of the
 * target left. */
static void expect_warning(recorder *r, uint64_t ticket, uint32_t target, uint32_t permille,
                           uint64_t due_ms, uint64_t time_ms, uint64_t left)
{
    check_sla_event(next_event(r), EV_WARN, time_ms, ticket, target, (int64_t)left, permille,
                    due_ms);
}

static void expect_breach(recorder *r, uint64_t ticket, uint32_t target, uint64_t due_ms,
                          uint64_t time_ms)
{
    check_sla_event(next_event(r), EV_BREACH, time_ms, ticket, target,
                    (int64_t)(time_ms - due_ms), 0, due_ms);
}

static void expect_met(recorder *r, uint64_t ticket, uint32_t target, uint64_t time_ms,
                       uint64_t left)
{
    check_sla_event(next_event(r), EV_MET, time_ms, ticket, target, (int64_t)left, 0, 0);
}

/* ---- SLA helpers ------------------------------------------------------------------------ */

/* A policy with the given targets (0: absent). */
static usher_sla_policy_def policy_def(uint64_t fr, uint64_t nr, uint64_t pu, uint64_t res)
{
    usher_sla_policy_def def;
    usher_sla_policy_def_init(&def);
    const uint64_t ms[USHER_SLA_TARGETS] = {fr, nr, pu, res};
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        if (ms[t]) {
            def.target_mask |= BIT(t);
            def.target_ms[t] = ms[t];
        }
    return def;
}

static void set_warnings(usher_sla_policy_def *def, uint32_t count, uint32_t w0, uint32_t w1,
                         uint32_t w2)
{
    def->warning_count = count;
    def->warning_permille[0] = w0;
    def->warning_permille[1] = w1;
    def->warning_permille[2] = w2;
}

static void set_default_policy(usher_engine *e, uint32_t policy)
{
    OK(usher_sla_set_rules(e, NULL, 0, policy));
}

static usher_sla_spec spec_at(uint64_t created_ms)
{
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    spec.created_ms = created_ms;
    return spec;
}

static void start_at(usher_engine *e, uint64_t ticket, uint64_t created_ms)
{
    usher_sla_spec spec = spec_at(created_ms);
    OK(usher_sla_start(e, ticket, &spec));
}

static void start_prio(usher_engine *e, uint64_t ticket, uint32_t priority)
{
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    spec.priority = priority;
    OK(usher_sla_start(e, ticket, &spec));
}

static void update_prio(usher_engine *e, uint64_t ticket, uint32_t priority)
{
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    spec.priority = priority;
    OK(usher_sla_update(e, ticket, &spec));
}

static usher_sla_target_info target_info(const usher_engine *e, uint64_t ticket, uint32_t target)
{
    usher_sla_target_info info;
    memset(&info, 0xab, sizeof info);
    info.struct_size = sizeof info;
    OK(usher_sla_get(e, ticket, target, &info));
    assert_int_equal(info.struct_size, sizeof info);
    return info;
}

static void check_target(const usher_engine *e, uint64_t ticket, uint32_t target, uint32_t state,
                         uint32_t policy, uint64_t due_ms, uint64_t elapsed_ms,
                         int64_t remaining_ms)
{
    usher_sla_target_info info = target_info(e, ticket, target);
    assert_int_equal(info.state, state);
    assert_int_equal(info.policy, policy);
    assert_int_equal(info.due_ms, due_ms);
    assert_int_equal(info.elapsed_ms, elapsed_ms);
    assert_int_equal(info.remaining_ms, remaining_ms);
}

/* An INACTIVE target: no deadline, nothing counted. */
static void check_inactive(const usher_engine *e, uint64_t ticket, uint32_t target,
                           uint32_t policy)
{
    check_target(e, ticket, target, S_INACTIVE, policy, NEVER, 0, 0);
}

static usher_sla_stats policy_stats(const usher_engine *e, uint32_t policy)
{
    usher_sla_stats s;
    memset(&s, 0xab, sizeof s);
    s.struct_size = sizeof s;
    OK(usher_sla_policy_stats(e, policy, &s));
    return s;
}

static void check_stats(const usher_engine *e, uint32_t policy, const uint64_t met[4],
                        const uint64_t breached[4])
{
    usher_sla_stats s = policy_stats(e, policy);
    for (int t = 0; t < 4; t++) {
        assert_int_equal(s.met[t], met[t]);
        assert_int_equal(s.breached[t], breached[t]);
    }
}

static void advance(usher_engine *e, uint64_t now_ms) { OK(usher_advance(e, now_ms)); }

static void report(usher_engine *e, uint64_t ticket, uint32_t what)
{
    OK(usher_sla_report(e, ticket, what));
}

/* Business hours Mon-Fri 09:00-17:00 on calendar `id` in Europe/Berlin. */
static void add_office_calendar(usher_engine *e, uint32_t id)
{
    usher_open_hours week[5];
    for (uint32_t d = 0; d < 5; d++)
        week[d] = (usher_open_hours){d + 1, 9 * 60, 17 * 60};
    OK(usher_calendar_add(e, id, "Europe/Berlin"));
    OK(usher_calendar_set_hours(e, id, week, 5));
}

/*
 * Instants used below, worked out by hand. 1970-01-01 was a Thursday; from
 * then to 2024-01-01 are 54 years with 13 leap days (1972 .. 2020), i.e.
 * 54 * 365 + 13 = 19723 days, so 2024-01-12 is day 19734 (19734 mod 7 = 1:
 * Thursday + 1 = Friday) and starts at 19734 * 86400000 = 1705017600000.
 * In January Berlin is on CET = UTC+1: local hh:00 is (hh-1):00 UTC.
 */
#define FRI_12_JAN UINT64_C(1705017600000) /* 2024-01-12 00:00 UTC, day 19734 */
#define MON_15_JAN (FRI_12_JAN + 3 * DAY)  /* day 19737: 1705276800000 */
#define FRI_19_JAN (FRI_12_JAN + 7 * DAY)  /* day 19741: 1705622400000 */

/* ======================================================================
 * 1. Policies and rules
 * ====================================================================== */

static void expect_policy_rejected(usher_engine *e, uint32_t id, const usher_sla_policy_def *def,
                                   usher_status status)
{
    usher_sla_stats s;
    s.struct_size = sizeof s;
    assert_int_equal(usher_sla_policy_add(e, id, def), status);
    assert_int_equal(usher_sla_policy_stats(e, id, &s), USHER_ENOTFOUND);
}

static void test_policy_validation(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    usher_sla_policy_def def;
    memset(&def, 0x5a, sizeof def);
    usher_sla_policy_def_init(&def);
    assert_int_equal(def.struct_size, sizeof def);
    assert_int_equal(def.flags, 0);
    assert_int_equal(def.target_mask, 0);
    assert_int_equal(def.business_mask, 0);
    assert_int_equal(def.pause_mask, 0);
    assert_int_equal(def.calendar, USHER_CALENDAR_24_7);
    assert_int_equal(def.warning_count, 0);
    for (int t = 0; t < 4; t++)
        assert_int_equal(def.target_ms[t], 0);
    usher_sla_policy_def_init(NULL); /* does nothing */

    /* No target. */
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);
    /* A target of 0, or longer than a year. */
    def.target_mask = BIT(RES);
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);
    def.target_ms[RES] = USHER_MAX_SLA_TARGET_MS + 1;
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);
    def = policy_def(HOUR, 0, 0, 0);
    def.target_mask |= BIT(PU); /* PU set, its time 0 */
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);

    /* Unknown bits. */
    usher_sla_policy_def good = policy_def(0, 0, 0, HOUR);
    def = good;
    def.target_mask |= BIT(4);
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);
    def = good;
    def.business_mask = BIT(4);
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);
    def = good;
    def.pause_mask = 0x80000000u;
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);
    def = good;
    def.flags = 2;
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);

    /* Warnings out of (0, 1000), not strictly increasing, too many. */
    def = good;
    set_warnings(&def, 1, 0, 0, 0);
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);
    set_warnings(&def, 1, 1000, 0, 0);
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);
    set_warnings(&def, 2, 500, 500, 0);
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);
    set_warnings(&def, 3, 500, 750, 600);
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);
    def.warning_count = USHER_MAX_SLA_WARNINGS + 1;
    def.warning_permille[0] = 100;
    def.warning_permille[1] = 200;
    def.warning_permille[2] = 300;
    def.warning_permille[3] = 400;
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);

    /* An unknown calendar. */
    def = good;
    def.calendar = 7;
    expect_policy_rejected(e, 1, &def, USHER_ENOTFOUND);

    /* struct_size too small, NULL arguments. */
    def = good;
    def.struct_size = sizeof def - 1;
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);
    def.struct_size = 0;
    expect_policy_rejected(e, 1, &def, USHER_EINVAL);
    expect_policy_rejected(e, 1, NULL, USHER_EINVAL);
    assert_int_equal(usher_sla_policy_add(NULL, 1, &good), USHER_EINVAL);

    /* The edges that are valid. */
    def = policy_def(1, 1, 1, USHER_MAX_SLA_TARGET_MS);
    def.business_mask = 0xf;
    def.pause_mask = 0xf;
    def.flags = USHER_SLA_HOLD_EVENTS;
    def.warning_count = USHER_MAX_SLA_WARNINGS;
    def.warning_permille[0] = 1;
    def.warning_permille[1] = 2;
    def.warning_permille[2] = 998;
    def.warning_permille[3] = 999;
    OK(usher_sla_policy_add(e, 1, &def));
    OK(usher_sla_policy_add(e, 0, &good)); /* any 32-bit id */
    OK(usher_sla_policy_add(e, UINT32_MAX - 1, &good));
    assert_int_equal(usher_sla_policy_add(e, 1, &good), USHER_EEXIST);

    uint64_t zero[4] = {0, 0, 0, 0};
    check_stats(e, 1, zero, zero);
    usher_sla_stats s;
    s.struct_size = sizeof s - 1;
    assert_int_equal(usher_sla_policy_stats(e, 1, &s), USHER_EINVAL);
    assert_int_equal(usher_sla_policy_stats(e, 1, NULL), USHER_EINVAL);
    assert_int_equal(usher_sla_policy_stats(NULL, 1, &s), USHER_EINVAL);
    free_engine(e);
}

static void expect_policy(usher_engine *e, uint64_t ticket, uint32_t channel, uint32_t queue,
                          uint32_t tier, uint32_t priority, uint32_t policy)
{
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    spec.channel = channel;
    spec.queue = queue;
    spec.tier = tier;
    spec.priority = priority;
    OK(usher_sla_start(e, ticket, &spec));
    assert_int_equal(target_info(e, ticket, RES).policy, policy);
}

static void test_rules(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 1000);
    usher_sla_policy_def def = policy_def(0, 0, 0, HOUR);
    for (uint32_t id = 1; id <= 5; id++)
        OK(usher_sla_policy_add(e, id, &def));
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    assert_int_equal(spec.struct_size, sizeof spec);
    assert_int_equal(spec.created_ms, USHER_CREATED_NOW);
    assert_int_equal(spec.channel | spec.queue | spec.tier | spec.priority, 0);

    /* No rules yet and no default: no policy applies. */
    assert_int_equal(usher_sla_start(e, 1, &spec), USHER_ENOTFOUND);
    usher_sla_target_info info;
    info.struct_size = sizeof info;
    assert_int_equal(usher_sla_get(e, 1, RES, &info), USHER_ENOTFOUND);

    usher_sla_rule bad = {USHER_SLA_ANY, USHER_SLA_ANY, USHER_SLA_ANY, 5, 4, 1};
    assert_int_equal(usher_sla_set_rules(e, &bad, 1, 1), USHER_EINVAL); /* inverted */
    bad = (usher_sla_rule){USHER_SLA_ANY, USHER_SLA_ANY, USHER_SLA_ANY, 0, 1000, 99};
    assert_int_equal(usher_sla_set_rules(e, &bad, 1, 1), USHER_ENOTFOUND);
    bad.policy = 1;
    assert_int_equal(usher_sla_set_rules(e, &bad, 1, 99), USHER_ENOTFOUND); /* default */
    assert_int_equal(usher_sla_set_rules(e, NULL, 1, 1), USHER_EINVAL);
    static usher_sla_rule many[USHER_MAX_SLA_RULES + 1];
    for (size_t i = 0; i < USHER_MAX_SLA_RULES + 1; i++)
        many[i] = (usher_sla_rule){0, 0, 0, 0, 0, 1};
    assert_int_equal(usher_sla_set_rules(e, many, USHER_MAX_SLA_RULES + 1, 1), USHER_EINVAL);
    assert_int_equal(usher_sla_set_rules(NULL, NULL, 0, 1), USHER_EINVAL);
    /* None of those took effect. */
    assert_int_equal(usher_sla_start(e, 1, &spec), USHER_ENOTFOUND);

    OK(usher_sla_set_rules(e, many, USHER_MAX_SLA_RULES, USHER_SLA_NO_POLICY));
    expect_policy(e, 1, 0, 0, 0, 0, 1);
    spec.priority = 1; /* no rule covers it, and there is no default */
    assert_int_equal(usher_sla_start(e, 2, &spec), USHER_ENOTFOUND);
    spec.priority = 0;
    OK(usher_sla_forget(e, 1));

    const usher_sla_rule rules[] = {
        {2, USHER_SLA_ANY, USHER_SLA_ANY, 0, USHER_MAX_PRIORITY, 2},
        {USHER_SLA_ANY, 7, USHER_SLA_ANY, 0, USHER_MAX_PRIORITY, 3},
        {USHER_SLA_ANY, USHER_SLA_ANY, 3, 10, 20, 4},
        {1, 1, 1, 5, 5, 5},
    };
    OK(usher_sla_set_rules(e, rules, 4, 1));
    expect_policy(e, 10, 2, 7, 3, 15, 2);  /* every rule matches: the first wins */
    expect_policy(e, 11, 0, 7, 3, 15, 3);  /* the second */
    expect_policy(e, 12, 0, 6, 3, 15, 4);  /* tier 3, 10 <= 15 <= 20 */
    expect_policy(e, 13, 0, 6, 3, 10, 4);  /* bounds are inclusive */
    expect_policy(e, 14, 0, 6, 3, 20, 4);
    expect_policy(e, 15, 0, 6, 3, 9, 1);   /* below: the default */
    expect_policy(e, 16, 0, 6, 3, 21, 1);  /* above: the default */
    expect_policy(e, 17, 0, 6, 2, 15, 1);  /* another tier */
    expect_policy(e, 18, 1, 1, 1, 5, 5);   /* exact fields */
    expect_policy(e, 19, 1, 1, 1, 6, 1);
    expect_policy(e, 20, 1, 2, 1, 5, 1);
    expect_policy(e, 21, 3, 1, 1, 5, 1);

    /* The rules are copied. Without a default, unmatched tickets get no
     * SLA; tracked tickets keep their policy until their attributes change. */
    usher_sla_rule copy = rules[1];
    OK(usher_sla_set_rules(e, &copy, 1, USHER_SLA_NO_POLICY));
    copy.policy = 4; /* changing the caller's copy changes nothing */
    expect_policy(e, 30, 0, 7, 0, 0, 3);
    spec.queue = 8;
    assert_int_equal(usher_sla_start(e, 31, &spec), USHER_ENOTFOUND);
    assert_int_equal(usher_sla_get(e, 31, RES, &info), USHER_ENOTFOUND);
    assert_int_equal(target_info(e, 10, RES).policy, 2);
    spec.channel = 2; /* ticket 10's own attributes now match no rule */
    spec.tier = 3;
    spec.priority = 15;
    spec.queue = 6;
    assert_int_equal(usher_sla_update(e, 10, &spec), USHER_ENOTFOUND);
    assert_int_equal(target_info(e, 10, RES).policy, 2);
    spec.queue = 7; /* now they match rule 0 of the new rules: policy 3 */
    OK(usher_sla_update(e, 10, &spec));
    assert_int_equal(target_info(e, 10, RES).policy, 3);

    /* Default only. */
    set_default_policy(e, 4);
    expect_policy(e, 32, 9, 9, 9, 999, 4);
    free_engine(e);
}

/* ======================================================================
 * 2. The clocks
 * ====================================================================== */

static void test_clocks_start_at_created(void **state)
{
    (void)state;
    recorder r;
    const uint64_t now = 10000000;
    usher_engine *e = new_engine(&r, now);
    usher_sla_policy_def def = policy_def(HOUR, 0, 0, 8 * HOUR);
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);

    /* Later than the clock: refused, nothing tracked. */
    usher_sla_spec spec = spec_at(now + 1);
    assert_int_equal(usher_sla_start(e, 1, &spec), USHER_EINVAL);
    usher_sla_target_info info;
    info.struct_size = sizeof info;
    assert_int_equal(usher_sla_get(e, 1, FR, &info), USHER_ENOTFOUND);
    spec = spec_at(0);
    spec.struct_size = sizeof spec - 1;
    assert_int_equal(usher_sla_start(e, 1, &spec), USHER_EINVAL);
    assert_int_equal(usher_sla_start(e, 1, NULL), USHER_EINVAL);
    assert_int_equal(usher_sla_start(NULL, 1, &spec), USHER_EINVAL);

    /* In the past: the clocks have run since. */
    start_at(e, 1, 9000000);
    check_target(e, 1, FR, S_RUNNING, 1, 9000000 + HOUR, 1000000, (int64_t)(HOUR - 1000000));
    check_target(e, 1, RES, S_RUNNING, 1, 9000000 + 8 * HOUR, 1000000,
                 (int64_t)(8 * HOUR - 1000000));
    check_inactive(e, 1, NR, 1); /* no message yet */
    check_inactive(e, 1, PU, 1); /* not in the policy */
    spec = spec_at(9000000);
    assert_int_equal(usher_sla_start(e, 1, &spec), USHER_EEXIST);
    start_at(e, 2, now);                /* exactly now */
    start_at(e, 3, USHER_CREATED_NOW); /* the default */
    check_target(e, 2, FR, S_RUNNING, 1, now + HOUR, 0, (int64_t)HOUR);
    check_target(e, 3, FR, S_RUNNING, 1, now + HOUR, 0, (int64_t)HOUR);

    /* Output checks. */
    info.struct_size = sizeof info - 1;
    assert_int_equal(usher_sla_get(e, 1, FR, &info), USHER_EINVAL);
    info.struct_size = sizeof info;
    assert_int_equal(usher_sla_get(e, 1, USHER_SLA_TARGETS, &info), USHER_EINVAL);
    assert_int_equal(usher_sla_get(e, 1, FR, NULL), USHER_EINVAL);
    assert_int_equal(usher_sla_get(NULL, 1, FR, &info), USHER_EINVAL);

    uint64_t deadline = 0;
    OK(usher_next_deadline(e, &deadline));
    assert_int_equal(deadline, 9000000 + HOUR);
    advance(e, 9000000 + HOUR - 1);
    no_more_events(&r);
    advance(e, 9000000 + HOUR);
    expect_breach(&r, 1, FR, 9000000 + HOUR, 9000000 + HOUR);
    no_more_events(&r);
    check_target(e, 1, FR, S_BREACHED, 1, 9000000 + HOUR, HOUR, 0);
    advance(e, 9000000 + HOUR + 1000);
    check_target(e, 1, FR, S_BREACHED, 1, 9000000 + HOUR, HOUR + 1000, -1000);
    no_more_events(&r);
    free_engine(e);
}

/* Deadlines already passed at the start fire, in order, at the next
 * advance, each with its exact due_ms. */
static void test_start_in_the_past_fires_at_start(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 3 * HOUR);
    usher_sla_policy_def def = policy_def(HOUR, 0, 0, 0);
    set_warnings(&def, 3, 500, 750, 900);
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 7, 0); /* what fell due since the creation is raised by the start */
    const uint64_t now = 3 * HOUR;
    expect_warning(&r, 7, FR, 500, 30 * MINUTE, now, 30 * MINUTE);
    expect_warning(&r, 7, FR, 750, 45 * MINUTE, now, 15 * MINUTE);
    expect_warning(&r, 7, FR, 900, 54 * MINUTE, now, 6 * MINUTE);
    expect_breach(&r, 7, FR, HOUR, now); /* value: 2 h overdue */
    no_more_events(&r);
    check_target(e, 7, FR, S_BREACHED, 1, HOUR, 3 * HOUR, -(int64_t)(2 * HOUR));
    advance(e, WEEK);
    no_more_events(&r);
    free_engine(e);
}

/* The same with two targets: the past-due events come in the order of
 * their times, as after a clock jump. */
static void test_start_in_the_past_two_targets_in_order(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 3 * HOUR);
    usher_sla_policy_def def = policy_def(HOUR, 0, 0, 4 * HOUR);
    set_warnings(&def, 3, 500, 750, 900);
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 7, 0);
    advance(e, 3 * HOUR);
    const uint64_t now = 3 * HOUR;
    expect_warning(&r, 7, FR, 500, 30 * MINUTE, now, 30 * MINUTE);
    expect_warning(&r, 7, FR, 750, 45 * MINUTE, now, 15 * MINUTE);
    expect_warning(&r, 7, FR, 900, 54 * MINUTE, now, 6 * MINUTE);
    expect_breach(&r, 7, FR, HOUR, now);
    expect_warning(&r, 7, RES, 500, 2 * HOUR, now, 2 * HOUR);
    expect_warning(&r, 7, RES, 750, 3 * HOUR, now, HOUR);
    no_more_events(&r);
    advance(e, 3 * HOUR + 36 * MINUTE - 1);
    no_more_events(&r);
    advance(e, 3 * HOUR + 36 * MINUTE);
    expect_warning(&r, 7, RES, 900, 3 * HOUR + 36 * MINUTE, 3 * HOUR + 36 * MINUTE, 24 * MINUTE);
    no_more_events(&r);
    free_engine(e);
}

static void test_first_and_next_response(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 1000000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def def = policy_def(HOUR, 30 * MINUTE, 0, 8 * HOUR);
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 1, t0);
    check_inactive(e, 1, NR, 1);

    advance(e, t0 + 10 * MINUTE);
    report(e, 1, USHER_SLA_AGENT_REPLY);
    expect_met(&r, 1, FR, t0 + 10 * MINUTE, 50 * MINUTE);
    no_more_events(&r); /* NEXT_RESPONSE had not started: nothing to meet */
    check_target(e, 1, FR, S_MET, 1, NEVER, 10 * MINUTE, (int64_t)(50 * MINUTE));
    check_inactive(e, 1, NR, 1);
    check_target(e, 1, RES, S_RUNNING, 1, t0 + 8 * HOUR, 10 * MINUTE,
                 (int64_t)(470 * MINUTE)); /* no target overrides another */

    advance(e, t0 + 2 * HOUR); /* FR's deadline passes: met, so no breach */
    no_more_events(&r);
    check_target(e, 1, FR, S_MET, 1, NEVER, 10 * MINUTE, (int64_t)(50 * MINUTE));

    /* A customer message starts NEXT_RESPONSE. */
    report(e, 1, USHER_SLA_CUSTOMER_MESSAGE);
    check_target(e, 1, NR, S_RUNNING, 1, t0 + 150 * MINUTE, 0, (int64_t)(30 * MINUTE));
    advance(e, t0 + 130 * MINUTE);
    report(e, 1, USHER_SLA_CUSTOMER_MESSAGE); /* one is waiting: no restart */
    check_target(e, 1, NR, S_RUNNING, 1, t0 + 150 * MINUTE, 10 * MINUTE,
                 (int64_t)(20 * MINUTE));
    advance(e, t0 + 140 * MINUTE);
    report(e, 1, USHER_SLA_AGENT_REPLY);
    expect_met(&r, 1, NR, t0 + 140 * MINUTE, 10 * MINUTE);
    no_more_events(&r); /* FR is already met: not again */
    check_target(e, 1, NR, S_MET, 1, NEVER, 20 * MINUTE, (int64_t)(10 * MINUTE));
    check_target(e, 1, FR, S_MET, 1, NEVER, 10 * MINUTE, (int64_t)(50 * MINUTE));

    /* A reply with no message waiting meets nothing. */
    advance(e, t0 + 170 * MINUTE);
    report(e, 1, USHER_SLA_AGENT_REPLY);
    no_more_events(&r);

    /* A later message restarts it; this time it breaches. */
    advance(e, t0 + 3 * HOUR);
    report(e, 1, USHER_SLA_CUSTOMER_MESSAGE);
    check_target(e, 1, NR, S_RUNNING, 1, t0 + 210 * MINUTE, 0, (int64_t)(30 * MINUTE));
    advance(e, t0 + 210 * MINUTE - 1);
    no_more_events(&r);
    advance(e, t0 + 210 * MINUTE);
    expect_breach(&r, 1, NR, t0 + 210 * MINUTE, t0 + 210 * MINUTE);
    no_more_events(&r);
    check_target(e, 1, NR, S_BREACHED, 1, t0 + 210 * MINUTE, 30 * MINUTE, 0);
    advance(e, t0 + 220 * MINUTE);
    report(e, 1, USHER_SLA_AGENT_REPLY); /* late: no MET */
    no_more_events(&r);
    check_target(e, 1, NR, S_BREACHED, 1, NEVER, 40 * MINUTE, -(int64_t)(10 * MINUTE));

    /* And the next message starts a fresh cycle. */
    advance(e, t0 + 4 * HOUR);
    report(e, 1, USHER_SLA_CUSTOMER_MESSAGE);
    check_target(e, 1, NR, S_RUNNING, 1, t0 + 270 * MINUTE, 0, (int64_t)(30 * MINUTE));
    check_target(e, 1, RES, S_RUNNING, 1, t0 + 8 * HOUR, 4 * HOUR, (int64_t)(4 * HOUR));

    const uint64_t met[4] = {1, 1, 0, 0}, breached[4] = {0, 1, 0, 0};
    check_stats(e, 1, met, breached);
    free_engine(e);
}

static void test_periodic_update(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 1000000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def def = policy_def(3 * HOUR, 0, HOUR, 10 * HOUR);
    set_warnings(&def, 1, 500, 0, 0);
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 5, t0);
    check_target(e, 5, PU, S_RUNNING, 1, t0 + HOUR, 0, (int64_t)HOUR);

    advance(e, t0 + 30 * MINUTE - 1);
    no_more_events(&r);
    advance(e, t0 + 30 * MINUTE);
    expect_warning(&r, 5, PU, 500, t0 + 30 * MINUTE, t0 + 30 * MINUTE, 30 * MINUTE);
    no_more_events(&r);

    /* A reply meets FR and PU's cycle, and restarts PU. */
    advance(e, t0 + 40 * MINUTE);
    report(e, 5, USHER_SLA_AGENT_REPLY);
    expect_met(&r, 5, FR, t0 + 40 * MINUTE, 140 * MINUTE);
    expect_met(&r, 5, PU, t0 + 40 * MINUTE, 20 * MINUTE);
    no_more_events(&r);
    check_target(e, 5, PU, S_RUNNING, 1, t0 + 100 * MINUTE, 0, (int64_t)HOUR);
    check_target(e, 5, RES, S_RUNNING, 1, t0 + 10 * HOUR, 40 * MINUTE,
                 (int64_t)(560 * MINUTE));

    /* The new cycle warns again, then is late. */
    advance(e, t0 + 70 * MINUTE);
    expect_warning(&r, 5, PU, 500, t0 + 70 * MINUTE, t0 + 70 * MINUTE, 30 * MINUTE);
    no_more_events(&r);
    advance(e, t0 + 100 * MINUTE - 1);
    no_more_events(&r);
    advance(e, t0 + 100 * MINUTE);
    expect_breach(&r, 5, PU, t0 + 100 * MINUTE, t0 + 100 * MINUTE);
    no_more_events(&r);
    check_target(e, 5, PU, S_BREACHED, 1, t0 + 100 * MINUTE, HOUR, 0);

    /* A late reply: no MET, but a new cycle starts. FR is not met twice. */
    advance(e, t0 + 2 * HOUR);
    report(e, 5, USHER_SLA_AGENT_REPLY);
    no_more_events(&r);
    check_target(e, 5, PU, S_RUNNING, 1, t0 + 3 * HOUR, 0, (int64_t)HOUR);
    check_target(e, 5, FR, S_MET, 1, NEVER, 40 * MINUTE, (int64_t)(140 * MINUTE));
    advance(e, t0 + 150 * MINUTE);
    expect_warning(&r, 5, PU, 500, t0 + 150 * MINUTE, t0 + 150 * MINUTE, 30 * MINUTE);
    no_more_events(&r);
    advance(e, t0 + 165 * MINUTE);
    report(e, 5, USHER_SLA_AGENT_REPLY);
    expect_met(&r, 5, PU, t0 + 165 * MINUTE, 15 * MINUTE);
    no_more_events(&r);

    const uint64_t met[4] = {1, 0, 2, 0}, breached[4] = {0, 0, 1, 0};
    check_stats(e, 1, met, breached);
    free_engine(e);
}

static void test_solved_and_reopened(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 1000000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def def = policy_def(HOUR, 30 * MINUTE, 2 * HOUR, 8 * HOUR);
    set_warnings(&def, 1, 500, 0, 0);
    def.pause_mask = BIT(RES);
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 1, t0);

    advance(e, t0 + 20 * MINUTE);
    no_more_events(&r);
    report(e, 1, USHER_SLA_SOLVED);
    expect_met(&r, 1, RES, t0 + 20 * MINUTE, 460 * MINUTE);
    no_more_events(&r);
    check_target(e, 1, RES, S_MET, 1, NEVER, 20 * MINUTE, (int64_t)(460 * MINUTE));
    check_target(e, 1, FR, S_STOPPED, 1, NEVER, 20 * MINUTE, (int64_t)(40 * MINUTE));
    check_target(e, 1, PU, S_STOPPED, 1, NEVER, 20 * MINUTE, (int64_t)(100 * MINUTE));
    check_inactive(e, 1, NR, 1);

    /* Stopped clocks raise nothing, however long. */
    advance(e, t0 + WEEK);
    no_more_events(&r);
    check_target(e, 1, FR, S_STOPPED, 1, NEVER, 20 * MINUTE, (int64_t)(40 * MINUTE));

    /* Only REOPENED fits a solved ticket. */
    assert_int_equal(usher_sla_report(e, 1, USHER_SLA_AGENT_REPLY), USHER_ESTATE);
    assert_int_equal(usher_sla_report(e, 1, USHER_SLA_CUSTOMER_MESSAGE), USHER_ESTATE);
    assert_int_equal(usher_sla_report(e, 1, USHER_SLA_PENDING_CUSTOMER), USHER_ESTATE);
    assert_int_equal(usher_sla_report(e, 1, USHER_SLA_RESUMED), USHER_ESTATE);
    assert_int_equal(usher_sla_report(e, 1, USHER_SLA_SOLVED), USHER_ESTATE);
    assert_int_equal(usher_sla_report(e, 1, 0), USHER_EINVAL);
    assert_int_equal(usher_sla_report(e, 1, 7), USHER_EINVAL);
    assert_int_equal(usher_sla_report(e, 2, USHER_SLA_AGENT_REPLY), USHER_ENOTFOUND);
    assert_int_equal(usher_sla_report(NULL, 1, USHER_SLA_AGENT_REPLY), USHER_EINVAL);
    no_more_events(&r);
    check_target(e, 1, RES, S_MET, 1, NEVER, 20 * MINUTE, (int64_t)(460 * MINUTE));

    /* Reopened a week later: RESOLUTION goes on from its 20 minutes, a
     * message is waiting (NEXT_RESPONSE), a new PERIODIC_UPDATE cycle. */
    const uint64_t t1 = t0 + WEEK;
    report(e, 1, USHER_SLA_REOPENED);
    no_more_events(&r);
    assert_int_equal(usher_sla_report(e, 1, USHER_SLA_REOPENED), USHER_ESTATE);
    check_target(e, 1, RES, S_RUNNING, 1, t1 + 460 * MINUTE, 20 * MINUTE,
                 (int64_t)(460 * MINUTE));
    check_target(e, 1, NR, S_RUNNING, 1, t1 + 30 * MINUTE, 0, (int64_t)(30 * MINUTE));
    check_target(e, 1, PU, S_RUNNING, 1, t1 + 2 * HOUR, 0, (int64_t)(2 * HOUR));
    check_target(e, 1, FR, S_STOPPED, 1, NEVER, 20 * MINUTE, (int64_t)(40 * MINUTE));

    advance(e, t1 + 220 * MINUTE);
    expect_warning(&r, 1, NR, 500, t1 + 15 * MINUTE, t1 + 15 * MINUTE, 15 * MINUTE);
    expect_breach(&r, 1, NR, t1 + 30 * MINUTE, t1 + 30 * MINUTE);
    expect_warning(&r, 1, PU, 500, t1 + HOUR, t1 + HOUR, HOUR);
    expect_breach(&r, 1, PU, t1 + 2 * HOUR, t1 + 2 * HOUR);
    /* RESOLUTION's warning at 4 h of its time: 3 h 40 min after reopening. */
    expect_warning(&r, 1, RES, 500, t1 + 220 * MINUTE, t1 + 220 * MINUTE, 4 * HOUR);
    no_more_events(&r);

    advance(e, t1 + 4 * HOUR);
    report(e, 1, USHER_SLA_SOLVED);
    expect_met(&r, 1, RES, t1 + 4 * HOUR, 220 * MINUTE);
    no_more_events(&r);
    check_target(e, 1, RES, S_MET, 1, NEVER, 260 * MINUTE, (int64_t)(220 * MINUTE));
    /* Breached, then stopped: the breach is what is reported. */
    check_target(e, 1, NR, S_BREACHED, 1, NEVER, 4 * HOUR, -(int64_t)(210 * MINUTE));
    check_target(e, 1, PU, S_BREACHED, 1, NEVER, 4 * HOUR, -(int64_t)(2 * HOUR));
    advance(e, t1 + WEEK);
    no_more_events(&r);
    free_engine(e);
}

/* A ticket solved while pending is reopened running (not pending). */
static void test_solved_while_pending(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 5000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def def = policy_def(0, 0, 0, HOUR);
    def.pause_mask = BIT(RES);
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 1, t0);
    advance(e, t0 + 10 * MINUTE);
    report(e, 1, USHER_SLA_PENDING_CUSTOMER);
    advance(e, t0 + 30 * MINUTE);
    report(e, 1, USHER_SLA_SOLVED);
    expect_met(&r, 1, RES, t0 + 30 * MINUTE, 50 * MINUTE);
    no_more_events(&r);
    advance(e, t0 + 40 * MINUTE);
    report(e, 1, USHER_SLA_REOPENED);
    check_target(e, 1, RES, S_RUNNING, 1, t0 + 90 * MINUTE, 10 * MINUTE,
                 (int64_t)(50 * MINUTE));
    assert_int_equal(usher_sla_report(e, 1, USHER_SLA_RESUMED), USHER_ESTATE);
    report(e, 1, USHER_SLA_PENDING_CUSTOMER);
    check_target(e, 1, RES, S_PAUSED, 1, NEVER, 10 * MINUTE, (int64_t)(50 * MINUTE));
    free_engine(e);
}

/* ======================================================================
 * 3. Warnings and breaches at their exact times
 * ====================================================================== */

static void test_warnings_exact_times(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 5000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def def = policy_def(0, 0, 0, 1000000);
    set_warnings(&def, 3, 500, 750, 900);
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 9, t0);
    uint64_t deadline = 0;
    OK(usher_next_deadline(e, &deadline));
    assert_int_equal(deadline, t0 + 500000);

    const uint32_t permille[3] = {500, 750, 900};
    for (int k = 0; k < 3; k++) {
        uint64_t at = t0 + permille[k] * 1000;
        advance(e, at - 1);
        no_more_events(&r);
        advance(e, at);
        expect_warning(&r, 9, RES, permille[k], at, at, 1000000 - permille[k] * 1000);
        no_more_events(&r);
        advance(e, at); /* the same ms again: nothing twice */
        no_more_events(&r);
        check_target(e, 9, RES, S_RUNNING, 1, t0 + 1000000, permille[k] * 1000,
                     (int64_t)(1000000 - permille[k] * 1000));
    }
    advance(e, t0 + 999999);
    no_more_events(&r);
    advance(e, t0 + 1000000);
    expect_breach(&r, 9, RES, t0 + 1000000, t0 + 1000000);
    no_more_events(&r);
    OK(usher_next_deadline(e, &deadline));
    assert_int_equal(deadline, NEVER);
    advance(e, t0 + 10 * WEEK);
    no_more_events(&r);
    check_target(e, 9, RES, S_BREACHED, 1, t0 + 1000000, 10 * WEEK,
                 (int64_t)1000000 - (int64_t)(10 * WEEK));

    /* Thresholds that do not divide evenly round down. */
    def = policy_def(0, 0, 0, 1999);
    set_warnings(&def, 2, 1, 999, 0);
    OK(usher_sla_policy_add(e, 2, &def));
    set_default_policy(e, 2);
    const uint64_t t1 = t0 + 10 * WEEK;
    start_at(e, 10, t1);
    advance(e, t1 + 1);
    expect_warning(&r, 10, RES, 1, t1 + 1, t1 + 1, 1998); /* 1999 * 1 / 1000 = 1 */
    no_more_events(&r);
    advance(e, t1 + 1996);
    no_more_events(&r);
    advance(e, t1 + 1997);
    expect_warning(&r, 10, RES, 999, t1 + 1997, t1 + 1997, 2); /* 1999 * 999 / 1000 = 1997 */
    advance(e, t1 + 1999);
    expect_breach(&r, 10, RES, t1 + 1999, t1 + 1999);
    no_more_events(&r);
    free_engine(e);
}

typedef struct expected {
    uint64_t due;
    uint64_t ticket;
    uint32_t target;
    int32_t type;
    uint32_t detail;
    int64_t value;
} expected;

static int by_due(const void *a, const void *b)
{
    const expected *x = a, *y = b;
    return x->due < y->due ? -1 : x->due > y->due;
}

/* The three warnings and the breach of a clock started at `from`. */
static int add_expected(expected *out, int n, uint64_t ticket, uint32_t target, uint64_t from,
                        uint64_t target_ms)
{
    static const uint32_t permille[3] = {500, 750, 900};
    for (int k = 0; k < 3; k++) {
        uint64_t at = target_ms * permille[k] / 1000;
        out[n++] = (expected){from + at, ticket, target, EV_WARN, permille[k],
                              (int64_t)(target_ms - at)};
    }
    out[n++] = (expected){from + target_ms, ticket, target, EV_BREACH, 0, 0};
    return n;
}

static void test_clock_jump(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    usher_sla_policy_def def = policy_def(HOUR, 0, 100 * MINUTE, 7 * HOUR);
    set_warnings(&def, 3, 500, 750, 900);
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    advance(e, 3);
    start_at(e, 1, 0);
    start_at(e, 2, 1);
    start_at(e, 3, 2);
    report(e, 3, USHER_SLA_AGENT_REPLY); /* at 3: FR met, PU restarted */
    expect_met(&r, 3, FR, 3, HOUR - 1);
    expect_met(&r, 3, PU, 3, 100 * MINUTE - 1);
    no_more_events(&r);

    expected want[64];
    int n = 0;
    n = add_expected(want, n, 1, FR, 0, HOUR);
    n = add_expected(want, n, 1, PU, 0, 100 * MINUTE);
    n = add_expected(want, n, 1, RES, 0, 7 * HOUR);
    n = add_expected(want, n, 2, FR, 1, HOUR);
    n = add_expected(want, n, 2, PU, 1, 100 * MINUTE);
    n = add_expected(want, n, 2, RES, 1, 7 * HOUR);
    n = add_expected(want, n, 3, PU, 3, 100 * MINUTE);
    n = add_expected(want, n, 3, RES, 2, 7 * HOUR);
    assert_int_equal(n, 32);
    qsort(want, (size_t)n, sizeof *want, by_due);
    for (int i = 1; i < n; i++) /* the scenario has no two events in one ms */
        assert_true(want[i - 1].due < want[i].due);

    advance(e, WEEK);
    assert_int_equal(r.count - r.pos, n);
    for (int i = 0; i < n; i++)
        check_sla_event(next_event(&r), want[i].type, want[i].due, want[i].ticket,
                        want[i].target, want[i].value, want[i].detail, want[i].due);
    no_more_events(&r);
    check_target(e, 1, RES, S_BREACHED, 1, 7 * HOUR, WEEK, (int64_t)(7 * HOUR) - (int64_t)WEEK);
    check_target(e, 3, FR, S_MET, 1, NEVER, 1, (int64_t)(HOUR - 1));
    const uint64_t met[4] = {1, 0, 1, 0}, breached[4] = {2, 0, 3, 3};
    check_stats(e, 1, met, breached);
    advance(e, 2 * WEEK);
    no_more_events(&r);
    free_engine(e);
}

#define SHARED_TICKETS 100

static void test_many_tickets_one_deadline(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 777;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def def = policy_def(10 * MINUTE, 0, 0, 0);
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    for (uint64_t id = 1; id <= SHARED_TICKETS; id++)
        start_at(e, id * 1000, t0);
    advance(e, t0 + 10 * MINUTE - 1);
    no_more_events(&r);
    advance(e, t0 + 10 * MINUTE);
    assert_int_equal(r.count, SHARED_TICKETS);
    int seen[SHARED_TICKETS + 1] = {0};
    for (int i = 0; i < SHARED_TICKETS; i++) {
        const usher_event *ev = next_event(&r);
        uint64_t id = ev->ticket_id / 1000;
        assert_true(id >= 1 && id <= SHARED_TICKETS && ev->ticket_id % 1000 == 0);
        assert_int_equal(seen[id]++, 0);
        check_sla_event(ev, EV_BREACH, t0 + 10 * MINUTE, ev->ticket_id, FR, 0, 0,
                        t0 + 10 * MINUTE);
    }
    no_more_events(&r);
    advance(e, t0 + WEEK);
    no_more_events(&r);
    free_engine(e);
}

/* ======================================================================
 * 4. Pending customer
 * ====================================================================== */

static void test_pending_pauses_pause_mask(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 1000000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def def = policy_def(HOUR, 25 * MINUTE, 100 * MINUTE, 8 * HOUR);
    set_warnings(&def, 1, 500, 0, 0);
    def.pause_mask = BIT(FR) | BIT(NR) | BIT(RES); /* not PU */
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 1, t0);
    assert_int_equal(usher_sla_report(e, 1, USHER_SLA_RESUMED), USHER_ESTATE);

    advance(e, t0 + 10 * MINUTE);
    report(e, 1, USHER_SLA_PENDING_CUSTOMER);
    no_more_events(&r);
    assert_int_equal(usher_sla_report(e, 1, USHER_SLA_PENDING_CUSTOMER), USHER_ESTATE);
    check_target(e, 1, FR, S_PAUSED, 1, NEVER, 10 * MINUTE, (int64_t)(50 * MINUTE));
    check_target(e, 1, RES, S_PAUSED, 1, NEVER, 10 * MINUTE, (int64_t)(470 * MINUTE));
    check_target(e, 1, PU, S_RUNNING, 1, t0 + 100 * MINUTE, 10 * MINUTE,
                 (int64_t)(90 * MINUTE));
    check_inactive(e, 1, NR, 1);

    /* A message while pending: NEXT_RESPONSE starts paused. */
    advance(e, t0 + 20 * MINUTE);
    report(e, 1, USHER_SLA_CUSTOMER_MESSAGE);
    check_target(e, 1, NR, S_PAUSED, 1, NEVER, 0, (int64_t)(25 * MINUTE));

    /* FR's warning (30 min) does not fire while paused; PU's does. */
    advance(e, t0 + 70 * MINUTE);
    expect_warning(&r, 1, PU, 500, t0 + 50 * MINUTE, t0 + 50 * MINUTE, 50 * MINUTE);
    no_more_events(&r);
    check_target(e, 1, FR, S_PAUSED, 1, NEVER, 10 * MINUTE, (int64_t)(50 * MINUTE));

    /* Resumed after an hour: every deadline moves by the pause. */
    report(e, 1, USHER_SLA_RESUMED);
    no_more_events(&r);
    assert_int_equal(usher_sla_report(e, 1, USHER_SLA_RESUMED), USHER_ESTATE);
    check_target(e, 1, FR, S_RUNNING, 1, t0 + 120 * MINUTE, 10 * MINUTE,
                 (int64_t)(50 * MINUTE));
    check_target(e, 1, RES, S_RUNNING, 1, t0 + 540 * MINUTE, 10 * MINUTE,
                 (int64_t)(470 * MINUTE));
    check_target(e, 1, NR, S_RUNNING, 1, t0 + 95 * MINUTE, 0, (int64_t)(25 * MINUTE));
    check_target(e, 1, PU, S_RUNNING, 1, t0 + 100 * MINUTE, 70 * MINUTE,
                 (int64_t)(30 * MINUTE));

    const uint64_t nr_warn = t0 + 70 * MINUTE + 750 * SEC; /* 12.5 min of 25 */
    advance(e, nr_warn - 1);
    no_more_events(&r);
    advance(e, nr_warn);
    expect_warning(&r, 1, NR, 500, nr_warn, nr_warn, 750 * SEC);
    no_more_events(&r);
    advance(e, t0 + 90 * MINUTE - 1);
    no_more_events(&r);
    advance(e, t0 + 90 * MINUTE);
    expect_warning(&r, 1, FR, 500, t0 + 90 * MINUTE, t0 + 90 * MINUTE, 30 * MINUTE);
    no_more_events(&r);
    advance(e, t0 + 600 * MINUTE);
    expect_breach(&r, 1, NR, t0 + 95 * MINUTE, t0 + 95 * MINUTE);
    expect_breach(&r, 1, PU, t0 + 100 * MINUTE, t0 + 100 * MINUTE);
    expect_breach(&r, 1, FR, t0 + 120 * MINUTE, t0 + 120 * MINUTE);
    expect_warning(&r, 1, RES, 500, t0 + 300 * MINUTE, t0 + 300 * MINUTE, 4 * HOUR);
    expect_breach(&r, 1, RES, t0 + 540 * MINUTE, t0 + 540 * MINUTE);
    no_more_events(&r);
    free_engine(e);
}

/* A pause of business time across a weekend: the deadline moves by the
 * open time paused, not by the calendar time. */
static void test_pending_business_time(void **state)
{
    (void)state;
    recorder r;
    /* Fri 2024-01-19 13:00 CET = 12:00 UTC. */
    const uint64_t start = FRI_19_JAN + 12 * HOUR; /* 1705665600000 */
    usher_engine *e = new_engine(&r, start);
    add_office_calendar(e, 1);
    usher_sla_policy_def def = policy_def(0, 0, 0, 10 * HOUR);
    def.business_mask = BIT(RES);
    def.pause_mask = BIT(RES);
    def.calendar = 1;
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 1, start);
    /* Unpaused: Fri 13-17 (4 h) + Mon 22 09:00-15:00 (6 h) = Mon 15:00 CET
     * = 14:00 UTC of day 19744 = 1705881600000 + 50400000. */
    check_target(e, 1, RES, S_RUNNING, 1, UINT64_C(1705932000000), 0, (int64_t)(10 * HOUR));

    /* Pending from Fri 15:00 CET (2 h elapsed) to Mon 22 11:00 CET. */
    const uint64_t pend = FRI_19_JAN + 14 * HOUR; /* 1705672800000 */
    advance(e, pend);
    report(e, 1, USHER_SLA_PENDING_CUSTOMER);
    check_target(e, 1, RES, S_PAUSED, 1, NEVER, 2 * HOUR, (int64_t)(8 * HOUR));
    const uint64_t resume = FRI_19_JAN + 3 * DAY + 10 * HOUR; /* 1705917600000 */
    assert_int_equal(resume, UINT64_C(1705917600000));
    advance(e, resume);
    no_more_events(&r);
    check_target(e, 1, RES, S_PAUSED, 1, NEVER, 2 * HOUR, (int64_t)(8 * HOUR));
    report(e, 1, USHER_SLA_RESUMED);
    /* 8 h left from Mon 11:00: Mon 11-17 (6 h), Tue 23 09:00-11:00 CET =
     * 10:00 UTC of day 19745 = 1705968000000 + 36000000. */
    const uint64_t due = UINT64_C(1706004000000);
    check_target(e, 1, RES, S_RUNNING, 1, due, 2 * HOUR, (int64_t)(8 * HOUR));
    advance(e, resume + HOUR);
    check_target(e, 1, RES, S_RUNNING, 1, due, 3 * HOUR, (int64_t)(7 * HOUR));
    /* Pause and resume inside closed hours change nothing. */
    advance(e, FRI_19_JAN + 3 * DAY + 20 * HOUR); /* Mon 21:00 CET */
    report(e, 1, USHER_SLA_PENDING_CUSTOMER);
    advance(e, FRI_19_JAN + 3 * DAY + 22 * HOUR);
    report(e, 1, USHER_SLA_RESUMED);
    check_target(e, 1, RES, S_RUNNING, 1, due, 8 * HOUR, (int64_t)(2 * HOUR));
    advance(e, due - 1);
    no_more_events(&r);
    advance(e, due);
    expect_breach(&r, 1, RES, due, due);
    no_more_events(&r);
    free_engine(e);
}

/* ======================================================================
 * 5. Business time
 * ====================================================================== */

static void test_business_time_with_holiday(void **state)
{
    (void)state;
    recorder r;
    /* Fri 2024-01-12 15:00 CET = 14:00 UTC = 1705017600000 + 50400000. */
    const uint64_t start = UINT64_C(1705068000000);
    assert_int_equal(start, FRI_12_JAN + 14 * HOUR);
    usher_engine *e = new_engine(&r, start);
    add_office_calendar(e, 1);
    OK(usher_calendar_add_holiday(e, 1, 2024, 1, 15, 0, 1440)); /* Monday */
    usher_sla_policy_def def = policy_def(0, 0, 0, 24 * HOUR);
    def.business_mask = BIT(RES);
    def.calendar = 1;
    set_warnings(&def, 3, 500, 750, 900);
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 1, start);

    /*
     * 24 business hours from Fri 15:00: Fri 15-17 (2 h), Sat, Sun, Mon
     * (holiday) closed, Tue 16 (8 h, 10 h), Wed 17 (8 h, 18 h), Thu 18
     * 09:00 + 6 h = 15:00 CET = 14:00 UTC of day 19740:
     * 19740 * 86400000 + 50400000 = 1705536000000 + 50400000.
     * Warnings: 500 = 12 h: Wed 09:00 + 2 h = 11:00 CET = 10:00 UTC of
     * day 19739 = 1705449600000 + 36000000; 750 = 18 h: Wed 17:00 CET
     * (the close) = 16:00 UTC = 1705449600000 + 57600000; 900 = 21.6 h:
     * Thu 09:00 + 3 h 36 min = 12:36 CET = 11:36 UTC = 1705536000000 +
     * 41760000.
     */
    const uint64_t due = UINT64_C(1705586400000);
    const uint64_t w500 = UINT64_C(1705485600000);
    const uint64_t w750 = UINT64_C(1705507200000);
    const uint64_t w900 = UINT64_C(1705577760000);
    uint64_t check = 0;
    OK(usher_calendar_add_business(e, 1, start, 24 * HOUR, &check));
    assert_int_equal(check, due);
    check_target(e, 1, RES, S_RUNNING, 1, due, 0, (int64_t)(24 * HOUR));

    /* Saturday noon: 2 h used. */
    advance(e, FRI_12_JAN + DAY + 11 * HOUR);
    check_target(e, 1, RES, S_RUNNING, 1, due, 2 * HOUR, (int64_t)(22 * HOUR));
    /* Holiday Monday afternoon: still 2 h. */
    advance(e, MON_15_JAN + 13 * HOUR);
    check_target(e, 1, RES, S_RUNNING, 1, due, 2 * HOUR, (int64_t)(22 * HOUR));
    no_more_events(&r);

    advance(e, w500 - 1);
    no_more_events(&r);
    advance(e, w500);
    expect_warning(&r, 1, RES, 500, w500, w500, 12 * HOUR);
    no_more_events(&r);
    advance(e, w750 - 1);
    no_more_events(&r);
    advance(e, w750);
    expect_warning(&r, 1, RES, 750, w750, w750, 6 * HOUR);
    no_more_events(&r);
    advance(e, w900 - 1);
    no_more_events(&r);
    advance(e, w900);
    expect_warning(&r, 1, RES, 900, w900, w900, 144 * MINUTE);
    no_more_events(&r);
    advance(e, due - 1);
    no_more_events(&r);
    check_target(e, 1, RES, S_RUNNING, 1, due, 24 * HOUR - 1, 1);
    advance(e, due);
    expect_breach(&r, 1, RES, due, due);
    no_more_events(&r);
    /* Thu 17:00 CET: 2 h over; then closed, nothing more counts. */
    advance(e, due + 2 * HOUR);
    check_target(e, 1, RES, S_BREACHED, 1, due, 26 * HOUR, -(int64_t)(2 * HOUR));
    advance(e, due + 12 * HOUR);
    check_target(e, 1, RES, S_BREACHED, 1, due, 26 * HOUR, -(int64_t)(2 * HOUR));
    no_more_events(&r);
    free_engine(e);
}

/* ======================================================================
 * 6. Events held to open hours
 * ====================================================================== */

static void test_hold_events(void **state)
{
    (void)state;
    recorder r;
    /* Fri 2024-01-12 12:00 CET = 11:00 UTC. */
    const uint64_t start = FRI_12_JAN + 11 * HOUR; /* 1705057200000 */
    usher_engine *e = new_engine(&r, start);
    add_office_calendar(e, 1);
    usher_sla_policy_def def = policy_def(0, 0, 0, 48 * HOUR); /* calendar time */
    def.flags = USHER_SLA_HOLD_EVENTS;
    def.calendar = 1;
    set_warnings(&def, 2, 100, 500, 0);
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 1, start);
    const uint64_t due = start + 48 * HOUR; /* Sun 12:00 CET: 1705230000000 */
    assert_int_equal(due, UINT64_C(1705230000000));
    check_target(e, 1, RES, S_RUNNING, 1, due, 0, (int64_t)(48 * HOUR));

    /* 100 per mille = 4.8 h: Fri 16:48 CET, open: delivered at once. */
    const uint64_t w100 = start + 288 * MINUTE; /* 1705074480000 */
    advance(e, w100 - 1);
    no_more_events(&r);
    advance(e, w100);
    expect_warning(&r, 1, RES, 100, w100, w100, 2592 * MINUTE);
    no_more_events(&r);

    /* 500 per mille: Sat 12:00 CET, closed: held to Mon 09:00 CET = 08:00
     * UTC of day 19737 = 1705276800000 + 28800000. So is the breach. */
    const uint64_t w500 = start + DAY; /* 1705143600000 */
    const uint64_t monday = UINT64_C(1705305600000);
    advance(e, w500);
    no_more_events(&r);
    advance(e, due);
    no_more_events(&r);
    advance(e, monday - 1);
    no_more_events(&r);
    usher_sla_target_info info = target_info(e, 1, RES);
    assert_int_equal(info.due_ms, due); /* the deadline itself stays exact */
    assert_int_equal(info.elapsed_ms, monday - 1 - start);
    assert_int_equal(info.remaining_ms, (int64_t)(48 * HOUR) - (int64_t)(monday - 1 - start));
    advance(e, monday);
    expect_warning(&r, 1, RES, 500, w500, monday, DAY);
    expect_breach(&r, 1, RES, due, monday); /* value: 21 h overdue */
    no_more_events(&r);
    assert_int_equal(r.seen[r.count - 1].value, 21 * HOUR);
    check_target(e, 1, RES, S_BREACHED, 1, due, monday - start,
                 (int64_t)(48 * HOUR) - (int64_t)(monday - start));
    free_engine(e);
}

/* Held events only change delivery: a deadline that passed in closed
 * hours is passed. */
static void test_hold_events_reply_after_held_breach(void **state)
{
    (void)state;
    recorder r;
    /* Fri 2024-01-12 16:30 CET = 15:30 UTC; FR of 1 h due 17:30 CET. */
    const uint64_t start = FRI_12_JAN + 15 * HOUR + 30 * MINUTE;
    const uint64_t due = start + HOUR;               /* 1705077000000 */
    const uint64_t monday = UINT64_C(1705305600000); /* Mon 09:00 CET */
    usher_engine *e = new_engine(&r, start);
    add_office_calendar(e, 1);
    usher_sla_policy_def def = policy_def(HOUR, 0, 0, 0);
    def.flags = USHER_SLA_HOLD_EVENTS;
    def.calendar = 1;
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 1, start);
    check_target(e, 1, FR, S_RUNNING, 1, due, 0, (int64_t)HOUR);

    /* The agent replies on Saturday, after the deadline. */
    const uint64_t saturday = FRI_12_JAN + DAY + 9 * HOUR;
    advance(e, saturday);
    no_more_events(&r);
    report(e, 1, USHER_SLA_AGENT_REPLY);
    for (int i = r.pos; i < r.count; i++)
        if (r.seen[i].type == EV_MET)
            fail_msg("a reply %lld ms after the deadline was reported MET (value %lld)",
                     (long long)(saturday - due), (long long)r.seen[i].value);
    usher_sla_target_info info = target_info(e, 1, FR);
    assert_int_equal(info.state, S_BREACHED);
    assert_int_equal(info.elapsed_ms, saturday - start);

    /* The breach itself is still reported, with its exact time, by the
     * next opening. */
    advance(e, monday + HOUR);
    int breaches = 0;
    for (int i = r.pos; i < r.count; i++) {
        assert_int_equal(r.seen[i].type, EV_BREACH);
        assert_int_equal(r.seen[i].due_ms, due);
        assert_true(r.seen[i].time_ms >= saturday && r.seen[i].time_ms <= monday);
        breaches++;
    }
    assert_int_equal(breaches, 1);
    const uint64_t met[4] = {0, 0, 0, 0}, breached[4] = {1, 0, 0, 0};
    check_stats(e, 1, met, breached);
    free_engine(e);
}

/* A breach held over the weekend, then a pause over it: when the clock
 * runs again, the breach still carries its exact time. */
static void test_hold_events_pause_keeps_exact_due(void **state)
{
    (void)state;
    recorder r;
    const uint64_t start = FRI_12_JAN + 15 * HOUR + 30 * MINUTE; /* Fri 16:30 CET */
    const uint64_t due = start + HOUR;                           /* Fri 17:30 CET */
    const uint64_t monday = UINT64_C(1705305600000);             /* Mon 09:00 CET */
    usher_engine *e = new_engine(&r, start);
    add_office_calendar(e, 1);
    usher_sla_policy_def def = policy_def(0, 0, 0, HOUR);
    def.flags = USHER_SLA_HOLD_EVENTS;
    def.pause_mask = BIT(RES);
    def.calendar = 1;
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 1, start);
    advance(e, FRI_12_JAN + DAY + 9 * HOUR); /* Saturday: the breach is held */
    no_more_events(&r);
    report(e, 1, USHER_SLA_PENDING_CUSTOMER);
    advance(e, monday + HOUR);
    report(e, 1, USHER_SLA_RESUMED); /* Mon 10:00 CET */
    advance(e, monday + 2 * HOUR);
    /* One breach, due at its exact time, whenever it is delivered. */
    assert_int_equal(r.count - r.pos, 1);
    const usher_event *ev = next_event(&r);
    assert_int_equal(ev->type, EV_BREACH);
    assert_int_equal(ev->reason, RES);
    assert_int_equal(ev->due_ms, due);
    assert_int_equal(ev->value, (int64_t)(ev->time_ms - due));
    free_engine(e);
}

/* A ticket created in the past whose deadline passed before it was
 * tracked: a reply before the next advance is still late. */
static void test_reply_after_deadline_before_advance(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 2 * HOUR);
    usher_sla_policy_def def = policy_def(HOUR, 0, 0, 0);
    OK(usher_sla_policy_add(e, 1, &def));
    set_default_policy(e, 1);
    start_at(e, 1, 0); /* FR was due at 1 h */
    report(e, 1, USHER_SLA_AGENT_REPLY);
    advance(e, 2 * HOUR);
    advance(e, 3 * HOUR);
    for (int i = 0; i < r.count; i++)
        if (r.seen[i].type == EV_MET)
            fail_msg("a reply 1 h after the deadline was reported MET (value %lld)",
                     (long long)r.seen[i].value);
    usher_sla_target_info info = target_info(e, 1, FR);
    assert_int_equal(info.state, S_BREACHED);
    assert_int_equal(info.elapsed_ms, 2 * HOUR);
    assert_int_equal(info.remaining_ms, -(int64_t)HOUR);
    const uint64_t met[4] = {0, 0, 0, 0}, breached[4] = {1, 0, 0, 0};
    check_stats(e, 1, met, breached);
    free_engine(e);
}

/* ======================================================================
 * 7. Policy changes mid-life
 * ====================================================================== */

/* Policies 1 (priority 0-4) and 2 (priority 5 and up). */
static void two_policy_rules(usher_engine *e, const usher_sla_policy_def *p1,
                             const usher_sla_policy_def *p2)
{
    OK(usher_sla_policy_add(e, 1, p1));
    OK(usher_sla_policy_add(e, 2, p2));
    const usher_sla_rule rules[] = {
        {USHER_SLA_ANY, USHER_SLA_ANY, USHER_SLA_ANY, 0, 4, 1},
        {USHER_SLA_ANY, USHER_SLA_ANY, USHER_SLA_ANY, 5, USHER_MAX_PRIORITY, 2},
    };
    OK(usher_sla_set_rules(e, rules, 2, USHER_SLA_NO_POLICY));
}

static void test_policy_change_keeps_elapsed(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 1000000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def p1 = policy_def(HOUR, 0, 3 * HOUR, 8 * HOUR);
    usher_sla_policy_def p2 = policy_def(2 * HOUR, 0, 0, 4 * HOUR);
    set_warnings(&p1, 2, 250, 500, 0);
    set_warnings(&p2, 2, 250, 500, 0);
    p1.pause_mask = p2.pause_mask = BIT(RES);
    two_policy_rules(e, &p1, &p2);
    start_prio(e, 1, 0);
    check_target(e, 1, PU, S_RUNNING, 1, t0 + 3 * HOUR, 0, (int64_t)(3 * HOUR));

    /* Pending 10 minutes: RESOLUTION loses them. */
    advance(e, t0 + 5 * MINUTE);
    report(e, 1, USHER_SLA_PENDING_CUSTOMER);
    advance(e, t0 + 15 * MINUTE);
    expect_warning(&r, 1, FR, 250, t0 + 15 * MINUTE, t0 + 15 * MINUTE, 45 * MINUTE);
    report(e, 1, USHER_SLA_RESUMED);
    advance(e, t0 + 40 * MINUTE);
    expect_warning(&r, 1, FR, 500, t0 + 30 * MINUTE, t0 + 30 * MINUTE, 30 * MINUTE);
    no_more_events(&r);

    /* Priority 7: policy 2. FR has 40 min of 2 h; RES 30 min of 4 h. */
    update_prio(e, 1, 7);
    no_more_events(&r);
    check_target(e, 1, FR, S_RUNNING, 2, t0 + 2 * HOUR, 40 * MINUTE, (int64_t)(80 * MINUTE));
    check_target(e, 1, RES, S_RUNNING, 2, t0 + 250 * MINUTE, 30 * MINUTE,
                 (int64_t)(210 * MINUTE));
    check_inactive(e, 1, PU, 2); /* policy 2 has none */
    check_inactive(e, 1, NR, 2);

    /* FR's 250 (30 min) already passed under policy 2: not raised; PU
     * raises nothing any more. */
    advance(e, t0 + 5 * HOUR);
    expect_warning(&r, 1, FR, 500, t0 + HOUR, t0 + HOUR, HOUR);
    expect_warning(&r, 1, RES, 250, t0 + 70 * MINUTE, t0 + 70 * MINUTE, 3 * HOUR);
    expect_breach(&r, 1, FR, t0 + 2 * HOUR, t0 + 2 * HOUR);
    expect_warning(&r, 1, RES, 500, t0 + 130 * MINUTE, t0 + 130 * MINUTE, 2 * HOUR);
    expect_breach(&r, 1, RES, t0 + 250 * MINUTE, t0 + 250 * MINUTE);
    no_more_events(&r);
    const uint64_t zero[4] = {0, 0, 0, 0}, breached[4] = {1, 0, 0, 1};
    check_stats(e, 1, zero, zero);
    check_stats(e, 2, zero, breached);

    /* Back to policy 1 (same attributes again): PU starts as if from the
     * creation, 5 h ago, 3 h target: past due, breaches at once. FR and RES
     * keep their breach. */
    update_prio(e, 1, 2);
    usher_sla_target_info info = target_info(e, 1, FR);
    assert_int_equal(info.state, S_BREACHED);
    assert_int_equal(info.policy, 1);
    assert_int_equal(info.elapsed_ms, 5 * HOUR);
    assert_int_equal(info.remaining_ms, -(int64_t)(4 * HOUR));
    info = target_info(e, 1, PU);
    assert_int_equal(info.policy, 1);
    assert_int_equal(info.due_ms, t0 + 3 * HOUR);
    assert_int_equal(info.elapsed_ms, 5 * HOUR);
    advance(e, t0 + 5 * HOUR);
    expect_warning(&r, 1, PU, 250, t0 + 45 * MINUTE, t0 + 5 * HOUR, 135 * MINUTE);
    expect_warning(&r, 1, PU, 500, t0 + 90 * MINUTE, t0 + 5 * HOUR, 90 * MINUTE);
    expect_breach(&r, 1, PU, t0 + 3 * HOUR, t0 + 5 * HOUR);
    no_more_events(&r);
    check_target(e, 1, PU, S_BREACHED, 1, t0 + 3 * HOUR, 5 * HOUR, -(int64_t)(2 * HOUR));
    free_engine(e);
}

static void test_policy_change_adds_target(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 1000000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def p1 = policy_def(0, 0, 0, 8 * HOUR);
    usher_sla_policy_def p2 = policy_def(45 * MINUTE, 20 * MINUTE, HOUR, 8 * HOUR);
    two_policy_rules(e, &p1, &p2);
    start_prio(e, 1, 0);
    start_prio(e, 2, 0);
    check_inactive(e, 1, FR, 1);
    advance(e, t0 + 10 * MINUTE);
    report(e, 2, USHER_SLA_AGENT_REPLY); /* ticket 2 has had its first reply */
    no_more_events(&r);

    advance(e, t0 + 30 * MINUTE);
    update_prio(e, 1, 9);
    update_prio(e, 2, 9);
    no_more_events(&r);
    /* Ticket 1: FR and PU as if running since the creation; NR waits for a
     * message. RES unchanged (the same target). */
    check_target(e, 1, FR, S_RUNNING, 2, t0 + 45 * MINUTE, 30 * MINUTE,
                 (int64_t)(15 * MINUTE));
    check_target(e, 1, PU, S_RUNNING, 2, t0 + HOUR, 30 * MINUTE, (int64_t)(30 * MINUTE));
    check_inactive(e, 1, NR, 2);
    check_target(e, 1, RES, S_RUNNING, 2, t0 + 8 * HOUR, 30 * MINUTE,
                 (int64_t)(450 * MINUTE));
    /* Ticket 2 was replied to: no first response to wait for. */
    check_inactive(e, 2, FR, 2);

    advance(e, t0 + 45 * MINUTE - 1);
    no_more_events(&r);
    advance(e, t0 + 45 * MINUTE);
    expect_breach(&r, 1, FR, t0 + 45 * MINUTE, t0 + 45 * MINUTE);
    no_more_events(&r);
    free_engine(e);
}

/* Paused time is kept across a change, and the clock stays paused. */
static void test_policy_change_while_paused(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 1000000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def p1 = policy_def(0, 0, 0, 8 * HOUR);
    usher_sla_policy_def p2 = policy_def(0, 0, 0, 4 * HOUR);
    p1.pause_mask = p2.pause_mask = BIT(RES);
    two_policy_rules(e, &p1, &p2);
    start_prio(e, 1, 0);
    advance(e, t0 + 10 * MINUTE);
    report(e, 1, USHER_SLA_PENDING_CUSTOMER);
    advance(e, t0 + 40 * MINUTE);
    update_prio(e, 1, 5);
    check_target(e, 1, RES, S_PAUSED, 2, NEVER, 10 * MINUTE, (int64_t)(230 * MINUTE));
    advance(e, t0 + 50 * MINUTE);
    report(e, 1, USHER_SLA_RESUMED);
    check_target(e, 1, RES, S_RUNNING, 2, t0 + 280 * MINUTE, 10 * MINUTE,
                 (int64_t)(230 * MINUTE));
    advance(e, t0 + 280 * MINUTE - 1);
    no_more_events(&r);
    advance(e, t0 + 280 * MINUTE);
    expect_breach(&r, 1, RES, t0 + 280 * MINUTE, t0 + 280 * MINUTE);
    no_more_events(&r);
    free_engine(e);
}

/* A change while pending to a policy that pauses other targets: "pending"
 * pauses the new policy's pause_mask, and RESUMED resumes every paused
 * target. */
static void test_policy_change_while_pending_other_pause_mask(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 1000000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def p1 = policy_def(0, 0, 0, 8 * HOUR);
    usher_sla_policy_def p2 = policy_def(0, 0, 0, 4 * HOUR);
    p1.pause_mask = BIT(RES);
    p2.pause_mask = 0; /* policy 2 does not pause RESOLUTION */
    two_policy_rules(e, &p1, &p2);
    start_prio(e, 1, 0);
    advance(e, t0 + 10 * MINUTE);
    report(e, 1, USHER_SLA_PENDING_CUSTOMER);
    advance(e, t0 + 40 * MINUTE);
    update_prio(e, 1, 5);
    advance(e, t0 + 50 * MINUTE);
    report(e, 1, USHER_SLA_RESUMED);
    /* However the change treats the pending stretch, after RESUMED the
     * clock runs. */
    usher_sla_target_info info = target_info(e, 1, RES);
    assert_int_equal(info.policy, 2);
    assert_int_equal(info.state, S_RUNNING);
    assert_true(info.due_ms != NEVER);
    free_engine(e);
}

/* The reverse: pending under a policy that pauses nothing, changed to one
 * that pauses RESOLUTION while still pending. */
static void test_policy_change_while_pending_new_pause_mask(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 1000000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def p1 = policy_def(0, 0, 0, 8 * HOUR);
    usher_sla_policy_def p2 = policy_def(0, 0, 0, 4 * HOUR);
    p1.pause_mask = 0;
    p2.pause_mask = BIT(RES);
    two_policy_rules(e, &p1, &p2);
    start_prio(e, 1, 0);
    advance(e, t0 + 10 * MINUTE);
    report(e, 1, USHER_SLA_PENDING_CUSTOMER);
    check_target(e, 1, RES, S_RUNNING, 1, t0 + 8 * HOUR, 10 * MINUTE, (int64_t)(470 * MINUTE));
    advance(e, t0 + 40 * MINUTE);
    update_prio(e, 1, 5);
    /* Pending pauses the targets of the policy's pause_mask: now RES. */
    check_target(e, 1, RES, S_PAUSED, 2, NEVER, 40 * MINUTE, (int64_t)(200 * MINUTE));
    advance(e, t0 + 60 * MINUTE);
    report(e, 1, USHER_SLA_RESUMED);
    check_target(e, 1, RES, S_RUNNING, 2, t0 + 260 * MINUTE, 40 * MINUTE,
                 (int64_t)(200 * MINUTE));
    free_engine(e);
}

/* If the elapsed time already exceeds the new target, the breach fires at
 * the next advance; warnings already passed are not raised. */
static void test_policy_change_past_new_target(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 1000000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def p1 = policy_def(2 * HOUR, 0, 0, 0);
    usher_sla_policy_def p2 = policy_def(HOUR, 0, 0, 0);
    set_warnings(&p1, 1, 500, 0, 0);
    set_warnings(&p2, 1, 500, 0, 0);
    two_policy_rules(e, &p1, &p2);
    start_prio(e, 1, 0);
    advance(e, t0 + 90 * MINUTE);
    expect_warning(&r, 1, FR, 500, t0 + HOUR, t0 + HOUR, HOUR);
    no_more_events(&r);
    /* The breach is raised by the change itself and dated then: the ticket
     * became late under the new policy at that moment. */
    update_prio(e, 1, 6);
    expect_breach(&r, 1, FR, t0 + 90 * MINUTE, t0 + 90 * MINUTE);
    no_more_events(&r);
    usher_sla_target_info info = target_info(e, 1, FR);
    assert_int_equal(info.policy, 2);
    assert_int_equal(info.elapsed_ms, 90 * MINUTE);
    assert_int_equal(info.remaining_ms, -(int64_t)(30 * MINUTE));
    advance(e, t0 + 90 * MINUTE);
    no_more_events(&r);
    check_target(e, 1, FR, S_BREACHED, 2, t0 + 90 * MINUTE, 90 * MINUTE,
                 -(int64_t)(30 * MINUTE));
    const uint64_t zero[4] = {0, 0, 0, 0}, breached[4] = {1, 0, 0, 0};
    check_stats(e, 1, zero, zero);
    check_stats(e, 2, zero, breached);

    /* usher_sla_update ignores created_ms; bad input and unknown tickets. */
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    spec.priority = 1;
    spec.created_ms = t0 + WEEK;
    OK(usher_sla_update(e, 1, &spec));
    assert_int_equal(target_info(e, 1, FR).policy, 1);
    assert_int_equal(usher_sla_update(e, 2, &spec), USHER_ENOTFOUND);
    spec.struct_size = sizeof spec - 1;
    assert_int_equal(usher_sla_update(e, 1, &spec), USHER_EINVAL);
    assert_int_equal(usher_sla_update(e, 1, NULL), USHER_EINVAL);
    free_engine(e);
}

/* The routing API: a routed ticket with the same id gets its SLA policy
 * chosen again when its priority changes. */
static void test_routing_priority_rechooses_policy(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 1000000;
    usher_engine *e = new_engine(&r, t0);
    usher_channel_def ch;
    usher_channel_def_init(&ch);
    OK(usher_channel_add(e, 0, &ch));
    usher_queue_def q;
    usher_queue_def_init(&q);
    OK(usher_queue_add(e, 1, &q));
    usher_ticket_spec ts;
    usher_ticket_spec_init(&ts);
    ts.queue = 1;
    ts.priority = 1;
    OK(usher_ticket_submit(e, 100, &ts)); /* no agent: it waits */
    OK(usher_ticket_submit(e, 101, &ts));

    usher_sla_policy_def p1 = policy_def(HOUR, 0, 0, 0);
    usher_sla_policy_def p2 = policy_def(2 * HOUR, 0, 0, 0);
    two_policy_rules(e, &p1, &p2);
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    spec.queue = 1;
    spec.priority = 1;
    OK(usher_sla_start(e, 100, &spec));
    OK(usher_sla_start(e, 200, &spec)); /* tracked, not routed */
    check_target(e, 100, FR, S_RUNNING, 1, t0 + HOUR, 0, (int64_t)HOUR);

    advance(e, t0 + 10 * MINUTE);
    OK(usher_ticket_set_priority(e, 100, 9));
    check_target(e, 100, FR, S_RUNNING, 2, t0 + 2 * HOUR, 10 * MINUTE,
                 (int64_t)(110 * MINUTE));
    OK(usher_ticket_set_priority(e, 101, 9)); /* routed, not tracked */
    usher_sla_target_info info;
    info.struct_size = sizeof info;
    assert_int_equal(usher_sla_get(e, 101, FR, &info), USHER_ENOTFOUND);
    check_target(e, 200, FR, S_RUNNING, 1, t0 + HOUR, 10 * MINUTE, (int64_t)(50 * MINUTE));

    advance(e, t0 + 20 * MINUTE);
    OK(usher_ticket_set_priority(e, 100, 3));
    check_target(e, 100, FR, S_RUNNING, 1, t0 + HOUR, 20 * MINUTE, (int64_t)(40 * MINUTE));
    OK(usher_ticket_set_priority(e, 100, 8));
    advance(e, t0 + HOUR);
    expect_breach(&r, 200, FR, t0 + HOUR, t0 + HOUR);
    no_more_events(&r);
    advance(e, t0 + 2 * HOUR);
    expect_breach(&r, 100, FR, t0 + 2 * HOUR, t0 + 2 * HOUR);
    no_more_events(&r);
    free_engine(e);
}

/* ======================================================================
 * 7b. Held events across policy changes and restarts
 *
 * Each event held to open hours keeps what it was when it fell due: its
 * exact due_ms, its threshold and the target left then, under the policy
 * in force then. A policy change or a restart in the meantime changes
 * neither that nor when it is delivered (the next opening).
 * ====================================================================== */

#define FRI_CET(h, m) (FRI_12_JAN + (uint64_t)((h) - 1) * HOUR + (uint64_t)(m) * MINUTE)
#define SAT_CET(h, m) (FRI_CET(h, m) + DAY)
#define MON_9_CET UINT64_C(1705305600000) /* Mon 2024-01-15 09:00 CET */

/* A policy holding its events to the office hours of calendar 1. */
static usher_sla_policy_def held_policy(uint64_t fr, uint64_t pu, uint64_t res)
{
    usher_sla_policy_def def = policy_def(fr, 0, pu, res);
    def.flags = USHER_SLA_HOLD_EVENTS;
    def.calendar = 1;
    return def;
}

static void set_four_warnings(usher_sla_policy_def *def, uint32_t w0, uint32_t w1, uint32_t w2,
                              uint32_t w3)
{
    set_warnings(def, 4, w0, w1, w2);
    def->warning_permille[3] = w3;
}

static void engine_ok(const usher_engine *e) { OK(usher_check(e)); }

/* The snapshot helper's find: a breach held over the weekend, then a change
 * to a policy with more warnings (all of them already passed). The held
 * events are the old policy's, with their own times; before the fix the
 * change's new numbering made them read due times of slots never filled. */
static void test_held_events_survive_change_to_more_warnings(void **state)
{
    (void)state;
    recorder r;
    const uint64_t start = FRI_CET(16, 0);
    usher_engine *e = new_engine(&r, start);
    add_office_calendar(e, 1);
    usher_sla_policy_def p1 = held_policy(4 * HOUR, 0, 0);
    usher_sla_policy_def p2 = held_policy(6 * HOUR, 0, 0);
    set_warnings(&p1, 2, 100, 500, 0);
    set_four_warnings(&p2, 100, 200, 300, 400);
    two_policy_rules(e, &p1, &p2);
    start_prio(e, 1, 0);

    /* 10 %: 16:24, open: delivered. 50 % (18:00) and the breach (20:00) are
     * held. */
    advance(e, FRI_CET(16, 24));
    expect_warning(&r, 1, FR, 100, FRI_CET(16, 24), FRI_CET(16, 24), 216 * MINUTE);
    advance(e, SAT_CET(10, 0));
    no_more_events(&r);
    engine_ok(e);

    /* Saturday: priority 7, policy 2 (6 h; 18 h elapsed, breached already). */
    update_prio(e, 1, 7);
    no_more_events(&r);
    engine_ok(e);
    usher_sla_target_info info = target_info(e, 1, FR);
    assert_int_equal(info.policy, 2);
    assert_int_equal(info.state, S_BREACHED);
    advance(e, MON_9_CET - 1);
    no_more_events(&r);
    advance(e, MON_9_CET);
    expect_warning(&r, 1, FR, 500, FRI_CET(18, 0), MON_9_CET, 2 * HOUR);
    expect_breach(&r, 1, FR, FRI_CET(20, 0), MON_9_CET);
    no_more_events(&r);
    engine_ok(e);
    const uint64_t zero[4] = {0, 0, 0, 0}, breached[4] = {1, 0, 0, 0};
    check_stats(e, 1, zero, breached);
    check_stats(e, 2, zero, zero);
    free_engine(e);
}

/* Warnings held, then a change to a policy with fewer warnings whose own
 * breach falls due (and is held) later that night. */
static void test_held_events_survive_change_to_fewer_warnings(void **state)
{
    (void)state;
    recorder r;
    const uint64_t start = FRI_CET(16, 30);
    usher_engine *e = new_engine(&r, start);
    add_office_calendar(e, 1);
    usher_sla_policy_def p1 = held_policy(0, 0, 4 * HOUR);
    usher_sla_policy_def p2 = held_policy(0, 0, 3 * HOUR);
    set_warnings(&p1, 3, 250, 500, 750); /* 17:30, 18:30, 19:30 */
    set_warnings(&p2, 1, 500, 0, 0);     /* 18:00, passed at the change */
    two_policy_rules(e, &p1, &p2);
    start_prio(e, 1, 0);
    advance(e, FRI_CET(19, 0)); /* two warnings held */
    no_more_events(&r);
    update_prio(e, 1, 9);
    no_more_events(&r);
    engine_ok(e);
    check_target(e, 1, RES, S_RUNNING, 2, FRI_CET(19, 30), 150 * MINUTE,
                 (int64_t)(30 * MINUTE));
    advance(e, FRI_CET(19, 30)); /* policy 2's breach: held too */
    no_more_events(&r);
    engine_ok(e);
    advance(e, MON_9_CET);
    expect_warning(&r, 1, RES, 250, FRI_CET(17, 30), MON_9_CET, 3 * HOUR);
    expect_warning(&r, 1, RES, 500, FRI_CET(18, 30), MON_9_CET, 2 * HOUR);
    expect_breach(&r, 1, RES, FRI_CET(19, 30), MON_9_CET);
    no_more_events(&r);
    engine_ok(e);
    free_engine(e);
}

/* A change while paused, with a warning held across the pause: the held
 * warning stays the old policy's, the new policy's passed warnings are
 * skipped, and its later ones carry their own exact times. */
static void test_held_events_change_while_paused(void **state)
{
    (void)state;
    recorder r;
    const uint64_t start = FRI_CET(16, 30);
    usher_engine *e = new_engine(&r, start);
    add_office_calendar(e, 1);
    usher_sla_policy_def p1 = held_policy(0, 0, 4 * HOUR);
    usher_sla_policy_def p2 = held_policy(0, 0, 2 * HOUR);
    p1.pause_mask = p2.pause_mask = BIT(RES);
    set_warnings(&p1, 2, 250, 500, 0);            /* 17:30 held; 18:30 */
    set_four_warnings(&p2, 100, 200, 300, 900); /* 12, 24, 36 and 108 min */
    two_policy_rules(e, &p1, &p2);
    start_prio(e, 1, 0);
    advance(e, FRI_CET(18, 0));
    report(e, 1, USHER_SLA_PENDING_CUSTOMER); /* 90 min elapsed */
    advance(e, SAT_CET(10, 0));
    update_prio(e, 1, 5);
    no_more_events(&r);
    engine_ok(e);
    check_target(e, 1, RES, S_PAUSED, 2, NEVER, 90 * MINUTE, (int64_t)(30 * MINUTE));
    advance(e, SAT_CET(11, 0));
    report(e, 1, USHER_SLA_RESUMED); /* 90 %: 11:18; the breach: 11:30 */
    check_target(e, 1, RES, S_RUNNING, 2, SAT_CET(11, 30), 90 * MINUTE, (int64_t)(30 * MINUTE));
    advance(e, SAT_CET(12, 0));
    no_more_events(&r);
    engine_ok(e);
    advance(e, MON_9_CET);
    expect_warning(&r, 1, RES, 250, FRI_CET(17, 30), MON_9_CET, 3 * HOUR);
    expect_warning(&r, 1, RES, 900, SAT_CET(11, 18), MON_9_CET, 12 * MINUTE);
    expect_breach(&r, 1, RES, SAT_CET(11, 30), MON_9_CET);
    no_more_events(&r);
    free_engine(e);
}

/* A paused clock whose elapsed time exceeds the new policy's target is
 * breached by the change itself, due then (held here to the opening),
 * not when it resumes. */
static void test_change_while_paused_past_new_target(void **state)
{
    (void)state;
    recorder r;
    const uint64_t start = FRI_CET(16, 30);
    usher_engine *e = new_engine(&r, start);
    add_office_calendar(e, 1);
    usher_sla_policy_def p1 = held_policy(0, 0, 4 * HOUR);
    usher_sla_policy_def p2 = held_policy(0, 0, HOUR);
    p1.pause_mask = p2.pause_mask = BIT(RES);
    set_warnings(&p2, 1, 500, 0, 0); /* passed: not raised */
    two_policy_rules(e, &p1, &p2);
    start_prio(e, 1, 0);
    advance(e, FRI_CET(18, 30));
    report(e, 1, USHER_SLA_PENDING_CUSTOMER); /* 2 h elapsed */
    advance(e, SAT_CET(10, 0));
    update_prio(e, 1, 5);
    no_more_events(&r);
    engine_ok(e);
    usher_sla_target_info info = target_info(e, 1, RES);
    assert_int_equal(info.state, S_BREACHED);
    assert_int_equal(info.elapsed_ms, 2 * HOUR);
    const uint64_t zero[4] = {0, 0, 0, 0}, breached[4] = {0, 0, 0, 1};
    check_stats(e, 2, zero, breached);
    advance(e, MON_9_CET);
    expect_breach(&r, 1, RES, SAT_CET(10, 0), MON_9_CET);
    no_more_events(&r);
    advance(e, MON_9_CET + HOUR);
    report(e, 1, USHER_SLA_RESUMED);
    advance(e, MON_9_CET + 2 * HOUR);
    no_more_events(&r); /* once per cycle */
    engine_ok(e);

    /* Without holding: the breach comes with the update call. */
    usher_sla_policy_def p3 = policy_def(0, 0, 0, 4 * HOUR);
    usher_sla_policy_def p4 = policy_def(0, 0, 0, HOUR);
    p3.pause_mask = p4.pause_mask = BIT(RES);
    recorder r2;
    usher_engine *e2 = new_engine(&r2, 0);
    two_policy_rules(e2, &p3, &p4);
    start_prio(e2, 1, 0);
    advance(e2, 2 * HOUR);
    report(e2, 1, USHER_SLA_PENDING_CUSTOMER);
    advance(e2, 3 * HOUR);
    update_prio(e2, 1, 5);
    expect_breach(&r2, 1, RES, 3 * HOUR, 3 * HOUR);
    no_more_events(&r2);
    engine_ok(e2);
    free_engine(e2);
    free_engine(e);
}

/* A target the new policy lacks stops, but what it held is still raised,
 * at once when the new policy holds nothing. */
static void test_held_events_of_removed_target(void **state)
{
    (void)state;
    recorder r;
    const uint64_t start = FRI_CET(16, 30);
    usher_engine *e = new_engine(&r, start);
    add_office_calendar(e, 1);
    usher_sla_policy_def p1 = held_policy(HOUR, 0, 0);
    usher_sla_policy_def p2 = policy_def(0, 0, 0, WEEK); /* 24/7, no FR */
    set_warnings(&p1, 1, 750, 0, 0); /* 17:15, held */
    two_policy_rules(e, &p1, &p2);
    start_prio(e, 1, 0);
    advance(e, SAT_CET(10, 0));
    no_more_events(&r);
    update_prio(e, 1, 5);
    engine_ok(e);
    check_inactive(e, 1, FR, 2);
    advance(e, SAT_CET(10, 0)); /* at the next advance */
    expect_warning(&r, 1, FR, 750, FRI_CET(17, 15), SAT_CET(10, 0), 15 * MINUTE);
    expect_breach(&r, 1, FR, FRI_CET(17, 30), SAT_CET(10, 0));
    no_more_events(&r);
    engine_ok(e);
    free_engine(e);
}

/* A target added while pending starts as if it had run since the
 * creation: what fell due since then is raised by the change, at its own
 * times, and only then is it paused. */
static void test_change_while_pending_adds_target_with_past_events(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 1000000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def p1 = policy_def(0, 0, 0, 8 * HOUR);
    usher_sla_policy_def p2 = policy_def(HOUR, 0, 0, 8 * HOUR);
    p1.pause_mask = BIT(RES);
    p2.pause_mask = BIT(FR) | BIT(RES);
    set_warnings(&p2, 1, 500, 0, 0);
    two_policy_rules(e, &p1, &p2);
    start_prio(e, 1, 0);
    advance(e, t0 + 30 * MINUTE);
    report(e, 1, USHER_SLA_PENDING_CUSTOMER);
    advance(e, t0 + 2 * HOUR);
    update_prio(e, 1, 5);
    expect_warning(&r, 1, FR, 500, t0 + 30 * MINUTE, t0 + 2 * HOUR, 30 * MINUTE);
    expect_breach(&r, 1, FR, t0 + HOUR, t0 + 2 * HOUR);
    no_more_events(&r);
    engine_ok(e);
    check_target(e, 1, FR, S_BREACHED, 2, NEVER, 2 * HOUR, -(int64_t)HOUR);
    check_target(e, 1, RES, S_PAUSED, 2, NEVER, 30 * MINUTE, (int64_t)(450 * MINUTE));
    advance(e, t0 + 3 * HOUR);
    report(e, 1, USHER_SLA_RESUMED);
    advance(e, t0 + 4 * HOUR);
    no_more_events(&r); /* nothing twice */
    free_engine(e);
}

/* PERIODIC_UPDATE restarts on a reply while its events are held: the
 * finished cycle's events are still raised at the opening, before the new
 * cycle's, each with its own time. */
static void test_held_events_survive_restart(void **state)
{
    (void)state;
    recorder r;
    const uint64_t start = FRI_CET(17, 30);
    usher_engine *e = new_engine(&r, start);
    add_office_calendar(e, 1);
    usher_sla_policy_def p = held_policy(0, HOUR, 0);
    set_warnings(&p, 1, 500, 0, 0);
    OK(usher_sla_policy_add(e, 1, &p));
    set_default_policy(e, 1);
    start_at(e, 1, start); /* 18:00 and 18:30 held */
    advance(e, FRI_CET(19, 0));
    report(e, 1, USHER_SLA_AGENT_REPLY); /* again: 19:30 and 20:00 */
    advance(e, FRI_CET(21, 0));
    no_more_events(&r);
    engine_ok(e);
    advance(e, MON_9_CET);
    expect_warning(&r, 1, PU, 500, FRI_CET(18, 0), MON_9_CET, 30 * MINUTE);
    expect_breach(&r, 1, PU, FRI_CET(18, 30), MON_9_CET);
    expect_warning(&r, 1, PU, 500, FRI_CET(19, 30), MON_9_CET, 30 * MINUTE);
    expect_breach(&r, 1, PU, FRI_CET(20, 0), MON_9_CET);
    no_more_events(&r);
    const uint64_t zero[4] = {0, 0, 0, 0}, breached[4] = {0, 0, 2, 0};
    check_stats(e, 1, zero, breached);
    free_engine(e);
}

/* A target holds at most USHER_MAX_SLA_WARNINGS + 1 events: a further one
 * falling due (only possible across restarts or policy changes) raises the
 * earliest held one then, so nothing is lost and the order stays. */
static void test_held_events_overflow_raises_earliest(void **state)
{
    (void)state;
    recorder r;
    const uint64_t start = FRI_CET(17, 30);
    usher_engine *e = new_engine(&r, start);
    add_office_calendar(e, 1);
    usher_sla_policy_def p = held_policy(0, 100 * MINUTE, 0);
    set_four_warnings(&p, 100, 200, 300, 400); /* 10, 20, 30, 40 min */
    OK(usher_sla_policy_add(e, 1, &p));
    set_default_policy(e, 1);
    start_at(e, 1, start);
    advance(e, FRI_CET(19, 30)); /* five held: 17:40 .. 18:10, breach 19:10 */
    no_more_events(&r);
    report(e, 1, USHER_SLA_AGENT_REPLY);
    advance(e, FRI_CET(19, 39));
    no_more_events(&r);
    advance(e, FRI_CET(19, 40)); /* a sixth: the earliest goes out */
    expect_warning(&r, 1, PU, 100, FRI_CET(17, 40), FRI_CET(19, 40), 90 * MINUTE);
    no_more_events(&r);
    engine_ok(e);
    advance(e, FRI_CET(19, 50));
    expect_warning(&r, 1, PU, 200, FRI_CET(17, 50), FRI_CET(19, 50), 80 * MINUTE);
    no_more_events(&r);
    /* The second cycle's other events push out the first cycle's rest. */
    advance(e, MON_9_CET - 1);
    expect_warning(&r, 1, PU, 300, FRI_CET(18, 0), FRI_CET(20, 0), 70 * MINUTE);
    expect_warning(&r, 1, PU, 400, FRI_CET(18, 10), FRI_CET(20, 10), 60 * MINUTE);
    expect_breach(&r, 1, PU, FRI_CET(19, 10), FRI_CET(21, 10));
    no_more_events(&r);
    advance(e, MON_9_CET);
    expect_warning(&r, 1, PU, 100, FRI_CET(19, 40), MON_9_CET, 90 * MINUTE);
    expect_warning(&r, 1, PU, 200, FRI_CET(19, 50), MON_9_CET, 80 * MINUTE);
    expect_warning(&r, 1, PU, 300, FRI_CET(20, 0), MON_9_CET, 70 * MINUTE);
    expect_warning(&r, 1, PU, 400, FRI_CET(20, 10), MON_9_CET, 60 * MINUTE);
    expect_breach(&r, 1, PU, FRI_CET(21, 10), MON_9_CET);
    no_more_events(&r);
    engine_ok(e);
    free_engine(e);
}

/* ======================================================================
 * 8. Statistics, forgetting, calendars in use
 * ====================================================================== */

static void test_stats_and_forget(void **state)
{
    (void)state;
    recorder r;
    const uint64_t t0 = 1000000;
    usher_engine *e = new_engine(&r, t0);
    usher_sla_policy_def def = policy_def(HOUR, 0, 30 * MINUTE, 2 * HOUR);
    OK(usher_sla_policy_add(e, 1, &def));
    OK(usher_sla_policy_add(e, 2, &def));
    set_default_policy(e, 1);
    start_at(e, 1, t0);
    start_at(e, 2, t0);
    start_at(e, 3, t0);

    advance(e, t0 + 5 * MINUTE);
    OK(usher_sla_forget(e, 3));
    assert_int_equal(usher_sla_forget(e, 3), USHER_ENOTFOUND);
    usher_sla_target_info info;
    info.struct_size = sizeof info;
    assert_int_equal(usher_sla_get(e, 3, FR, &info), USHER_ENOTFOUND);
    assert_int_equal(usher_sla_report(e, 3, USHER_SLA_AGENT_REPLY), USHER_ENOTFOUND);
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    assert_int_equal(usher_sla_update(e, 3, &spec), USHER_ENOTFOUND);
    assert_int_equal(usher_sla_forget(NULL, 3), USHER_EINVAL);

    advance(e, t0 + 10 * MINUTE);
    report(e, 1, USHER_SLA_AGENT_REPLY);
    expect_met(&r, 1, FR, t0 + 10 * MINUTE, 50 * MINUTE);
    expect_met(&r, 1, PU, t0 + 10 * MINUTE, 20 * MINUTE);
    advance(e, t0 + 20 * MINUTE);
    report(e, 1, USHER_SLA_SOLVED);
    expect_met(&r, 1, RES, t0 + 20 * MINUTE, 100 * MINUTE);
    no_more_events(&r);

    advance(e, t0 + 3 * HOUR);
    expect_breach(&r, 2, PU, t0 + 30 * MINUTE, t0 + 30 * MINUTE);
    expect_breach(&r, 2, FR, t0 + HOUR, t0 + HOUR);
    expect_breach(&r, 2, RES, t0 + 2 * HOUR, t0 + 2 * HOUR);
    no_more_events(&r);
    const uint64_t met[4] = {1, 0, 1, 1}, breached[4] = {1, 0, 1, 1};
    const uint64_t zero[4] = {0, 0, 0, 0};
    check_stats(e, 1, met, breached);
    check_stats(e, 2, zero, zero);

    /* Forgetting a ticket with running clocks: silence from then on. */
    start_at(e, 4, t0 + 3 * HOUR);
    start_at(e, 3, t0 + 3 * HOUR); /* a forgotten id may be tracked again */
    check_target(e, 3, FR, S_RUNNING, 1, t0 + 4 * HOUR, 0, (int64_t)HOUR);
    advance(e, t0 + 3 * HOUR + 29 * MINUTE);
    OK(usher_sla_forget(e, 4));
    OK(usher_sla_forget(e, 3));
    OK(usher_sla_forget(e, 2));
    advance(e, t0 + WEEK);
    no_more_events(&r);
    check_stats(e, 1, met, breached);
    uint64_t deadline = 0;
    OK(usher_next_deadline(e, &deadline));
    assert_int_equal(deadline, NEVER);
    free_engine(e);
}

static void test_calendar_in_use(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    OK(usher_calendar_add(e, 5, "Europe/Berlin"));
    OK(usher_calendar_add(e, 6, "Europe/Berlin"));
    usher_sla_policy_def def = policy_def(0, 0, 0, HOUR);
    def.calendar = 5;
    OK(usher_sla_policy_add(e, 1, &def));
    assert_int_equal(usher_calendar_remove(e, 5), USHER_ESTATE);
    uint64_t open = 0;
    OK(usher_calendar_next_open(e, 5, 1000, &open)); /* still there */
    assert_int_equal(open, 1000);
    OK(usher_calendar_remove(e, 6));
    assert_int_equal(usher_calendar_remove(e, 6), USHER_ENOTFOUND);
    def.calendar = 6;
    assert_int_equal(usher_sla_policy_add(e, 2, &def), USHER_ENOTFOUND);
    free_engine(e);
}

/* ======================================================================
 * 9. Allocation failure
 * ====================================================================== */

/* Runs `op` on a fresh engine prepared by `setup`, with the k-th
 * allocation of the op failing, for k = 1, 2, ... until the op succeeds
 * without a failure. On USHER_ENOMEM, `unchanged` checks that nothing
 * changed; then the op is retried and `done` checks its effect. */
typedef struct alloc_case {
    void (*setup)(usher_engine *e);
    usher_status (*op)(usher_engine *e);
    void (*unchanged)(usher_engine *e, recorder *r);
    void (*done)(usher_engine *e, recorder *r);
} alloc_case;

static long sweep(const alloc_case *c)
{
    static recorder r;
    long k;
    for (k = 1;; k++) {
        static test_allocator ta; /* outlives a failed assertion: see free_engines */
        test_allocator_init(&ta, 0);
        usher_engine *e = new_engine_with(&r, 1000, &ta);
        c->setup(e);
        no_more_events(&r);
        ta.fail_at = ta.calls + k;
        usher_status st = c->op(e);
        int failed = ta.failed;
        ta.fail_at = 0;
        if (st == USHER_ENOMEM) {
            assert_true(failed);
            no_more_events(&r);
            c->unchanged(e, &r);
            OK(c->op(e));
        } else {
            OK(st);
        }
        c->done(e, &r);
        free_engine(e);
        assert_int_equal(ta.live, 0);
        if (!failed)
            break;
        assert_true(k < 10000);
    }
    return k - 1; /* the allocation points */
}

static void setup_policies(usher_engine *e)
{
    usher_sla_policy_def def = policy_def(HOUR, 0, 0, 2 * HOUR);
    OK(usher_sla_policy_add(e, 1, &def));
    def = policy_def(2 * HOUR, 0, 0, 4 * HOUR);
    OK(usher_sla_policy_add(e, 2, &def));
    set_default_policy(e, 1);
}

static void setup_tracked(usher_engine *e)
{
    setup_policies(e);
    start_at(e, 1, 1000);
}

static void setup_nothing(usher_engine *e) { (void)e; }

static usher_status op_policy_add(usher_engine *e)
{
    usher_sla_policy_def def = policy_def(HOUR, 0, 0, 0);
    return usher_sla_policy_add(e, 9, &def);
}

static void policy_add_unchanged(usher_engine *e, recorder *r)
{
    (void)r;
    usher_sla_stats s;
    s.struct_size = sizeof s;
    assert_int_equal(usher_sla_policy_stats(e, 9, &s), USHER_ENOTFOUND);
    assert_int_equal(usher_sla_set_rules(e, NULL, 0, 9), USHER_ENOTFOUND);
}

static void policy_add_done(usher_engine *e, recorder *r)
{
    const uint64_t zero[4] = {0, 0, 0, 0};
    check_stats(e, 9, zero, zero);
    set_default_policy(e, 9);
    start_at(e, 1, 1000);
    check_target(e, 1, FR, S_RUNNING, 9, 1000 + HOUR, 0, (int64_t)HOUR);
    advance(e, 1000 + HOUR);
    expect_breach(r, 1, FR, 1000 + HOUR, 1000 + HOUR);
    no_more_events(r);
}

static usher_status op_set_rules(usher_engine *e)
{
    const usher_sla_rule rules[] = {
        {USHER_SLA_ANY, 3, USHER_SLA_ANY, 0, USHER_MAX_PRIORITY, 1},
        {USHER_SLA_ANY, USHER_SLA_ANY, USHER_SLA_ANY, 0, USHER_MAX_PRIORITY, 2},
    };
    return usher_sla_set_rules(e, rules, 2, USHER_SLA_NO_POLICY);
}

static void expect_policy_of_new_ticket(usher_engine *e, uint64_t ticket, uint32_t queue,
                                        uint32_t policy)
{
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    spec.queue = queue;
    OK(usher_sla_start(e, ticket, &spec));
    assert_int_equal(target_info(e, ticket, FR).policy, policy);
    OK(usher_sla_forget(e, ticket));
}

static void set_rules_unchanged(usher_engine *e, recorder *r)
{
    (void)r;
    expect_policy_of_new_ticket(e, 50, 0, 1); /* the default of the old rules */
    expect_policy_of_new_ticket(e, 51, 3, 1);
}

static void set_rules_done(usher_engine *e, recorder *r)
{
    (void)r;
    expect_policy_of_new_ticket(e, 52, 0, 2);
    expect_policy_of_new_ticket(e, 53, 3, 1);
}

static usher_status op_start(usher_engine *e)
{
    usher_sla_spec spec = spec_at(500);
    return usher_sla_start(e, 7, &spec);
}

static void start_unchanged(usher_engine *e, recorder *r)
{
    usher_sla_target_info info;
    info.struct_size = sizeof info;
    assert_int_equal(usher_sla_get(e, 7, FR, &info), USHER_ENOTFOUND);
    assert_int_equal(usher_sla_report(e, 7, USHER_SLA_AGENT_REPLY), USHER_ENOTFOUND);
    uint64_t deadline = 0;
    OK(usher_next_deadline(e, &deadline));
    assert_int_equal(deadline, NEVER);
    no_more_events(r);
}

static void start_done(usher_engine *e, recorder *r)
{
    check_target(e, 7, FR, S_RUNNING, 1, 500 + HOUR, 500, (int64_t)(HOUR - 500));
    advance(e, 500 + 2 * HOUR);
    expect_breach(r, 7, FR, 500 + HOUR, 500 + HOUR);
    expect_breach(r, 7, RES, 500 + 2 * HOUR, 500 + 2 * HOUR);
    no_more_events(r);
}

static usher_status op_reply(usher_engine *e)
{
    return usher_sla_report(e, 1, USHER_SLA_AGENT_REPLY);
}

static void reply_unchanged(usher_engine *e, recorder *r)
{
    no_more_events(r);
    check_target(e, 1, FR, S_RUNNING, 1, 1000 + HOUR, 0, (int64_t)HOUR);
    const uint64_t zero[4] = {0, 0, 0, 0};
    check_stats(e, 1, zero, zero);
}

static void reply_done(usher_engine *e, recorder *r)
{
    expect_met(r, 1, FR, 1000, HOUR);
    no_more_events(r);
    check_target(e, 1, FR, S_MET, 1, NEVER, 0, (int64_t)HOUR);
    advance(e, 1000 + 2 * HOUR);
    expect_breach(r, 1, RES, 1000 + 2 * HOUR, 1000 + 2 * HOUR);
    no_more_events(r);
}

static usher_status op_solved(usher_engine *e)
{
    return usher_sla_report(e, 1, USHER_SLA_SOLVED);
}

static void solved_unchanged(usher_engine *e, recorder *r)
{
    no_more_events(r);
    check_target(e, 1, RES, S_RUNNING, 1, 1000 + 2 * HOUR, 0, (int64_t)(2 * HOUR));
    check_target(e, 1, FR, S_RUNNING, 1, 1000 + HOUR, 0, (int64_t)HOUR);
}

static void solved_done(usher_engine *e, recorder *r)
{
    expect_met(r, 1, RES, 1000, 2 * HOUR);
    no_more_events(r);
    check_target(e, 1, FR, S_STOPPED, 1, NEVER, 0, (int64_t)HOUR);
    advance(e, 1000 + WEEK);
    no_more_events(r);
}

static usher_status op_update(usher_engine *e)
{
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    spec.queue = 4;
    return usher_sla_update(e, 1, &spec);
}

static void setup_tracked_two_rules(usher_engine *e)
{
    setup_tracked(e);
    const usher_sla_rule rule = {USHER_SLA_ANY, 4, USHER_SLA_ANY, 0, USHER_MAX_PRIORITY, 2};
    OK(usher_sla_set_rules(e, &rule, 1, 1));
}

static void update_unchanged(usher_engine *e, recorder *r)
{
    (void)r;
    check_target(e, 1, FR, S_RUNNING, 1, 1000 + HOUR, 0, (int64_t)HOUR);
}

static void update_done(usher_engine *e, recorder *r)
{
    check_target(e, 1, FR, S_RUNNING, 2, 1000 + 2 * HOUR, 0, (int64_t)(2 * HOUR));
    advance(e, 1000 + 4 * HOUR);
    expect_breach(r, 1, FR, 1000 + 2 * HOUR, 1000 + 2 * HOUR);
    expect_breach(r, 1, RES, 1000 + 4 * HOUR, 1000 + 4 * HOUR);
    no_more_events(r);
}

static void test_allocation_failure(void **state)
{
    (void)state;
    const alloc_case cases[] = {
        {setup_nothing, op_policy_add, policy_add_unchanged, policy_add_done},
        {setup_policies, op_set_rules, set_rules_unchanged, set_rules_done},
        {setup_policies, op_start, start_unchanged, start_done},
        {setup_tracked, op_reply, reply_unchanged, reply_done},
        {setup_tracked, op_solved, solved_unchanged, solved_done},
        {setup_tracked_two_rules, op_update, update_unchanged, update_done},
    };
    const char *names[] = {"policy_add", "set_rules", "sla_start",
                           "report(reply)", "report(solved)", "sla_update"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        long points = sweep(&cases[i]);
        print_message("%s: %ld allocation point(s)\n", names[i], points);
        if (i < 3) /* each of these allocates on a fresh engine (a report finds
                    * room its ticket's start reserved) */
            assert_true(points >= 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_policy_validation, free_engines),
        cmocka_unit_test_teardown(test_rules, free_engines),
        cmocka_unit_test_teardown(test_clocks_start_at_created, free_engines),
        cmocka_unit_test_teardown(test_start_in_the_past_fires_at_start, free_engines),
        cmocka_unit_test_teardown(test_start_in_the_past_two_targets_in_order, free_engines),
        cmocka_unit_test_teardown(test_first_and_next_response, free_engines),
        cmocka_unit_test_teardown(test_periodic_update, free_engines),
        cmocka_unit_test_teardown(test_solved_and_reopened, free_engines),
        cmocka_unit_test_teardown(test_solved_while_pending, free_engines),
        cmocka_unit_test_teardown(test_warnings_exact_times, free_engines),
        cmocka_unit_test_teardown(test_clock_jump, free_engines),
        cmocka_unit_test_teardown(test_many_tickets_one_deadline, free_engines),
        cmocka_unit_test_teardown(test_pending_pauses_pause_mask, free_engines),
        cmocka_unit_test_teardown(test_pending_business_time, free_engines),
        cmocka_unit_test_teardown(test_business_time_with_holiday, free_engines),
        cmocka_unit_test_teardown(test_hold_events, free_engines),
        cmocka_unit_test_teardown(test_hold_events_reply_after_held_breach, free_engines),
        cmocka_unit_test_teardown(test_hold_events_pause_keeps_exact_due, free_engines),
        cmocka_unit_test_teardown(test_reply_after_deadline_before_advance, free_engines),
        cmocka_unit_test_teardown(test_policy_change_keeps_elapsed, free_engines),
        cmocka_unit_test_teardown(test_policy_change_adds_target, free_engines),
        cmocka_unit_test_teardown(test_policy_change_while_paused, free_engines),
        cmocka_unit_test_teardown(test_policy_change_while_pending_other_pause_mask, free_engines),
        cmocka_unit_test_teardown(test_policy_change_while_pending_new_pause_mask, free_engines),
        cmocka_unit_test_teardown(test_policy_change_past_new_target, free_engines),
        cmocka_unit_test_teardown(test_routing_priority_rechooses_policy, free_engines),
        cmocka_unit_test_teardown(test_held_events_survive_change_to_more_warnings, free_engines),
        cmocka_unit_test_teardown(test_held_events_survive_change_to_fewer_warnings, free_engines),
        cmocka_unit_test_teardown(test_held_events_change_while_paused, free_engines),
        cmocka_unit_test_teardown(test_change_while_paused_past_new_target, free_engines),
        cmocka_unit_test_teardown(test_held_events_of_removed_target, free_engines),
        cmocka_unit_test_teardown(test_change_while_pending_adds_target_with_past_events,
                                  free_engines),
        cmocka_unit_test_teardown(test_held_events_survive_restart, free_engines),
        cmocka_unit_test_teardown(test_held_events_overflow_raises_earliest, free_engines),
        cmocka_unit_test_teardown(test_stats_and_forget, free_engines),
        cmocka_unit_test_teardown(test_calendar_in_use, free_engines),
        cmocka_unit_test_teardown(test_allocation_failure, free_engines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
