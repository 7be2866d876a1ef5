/*
 * Scenario `sla`: SLA clocks under business-hours calendars.
 *
 * Three calendars read from the system's zone files (Europe/Berlin,
 * America/New_York, Asia/Tokyo), open Monday to Friday 08:00-18:00 local
 * time, with the usual holidays of 2026 and 2027 (half days on the 24th and
 * 31st of December). One policy per calendar: first response 4 business
 * hours, periodic update 8, resolution 40, warnings at 50, 75 and 90 %,
 * "pending customer" pausing all three; a rule per queue picks it.
 *
 * --tickets N tickets (default 10^5) go through four phases over a
 * simulated week from Monday 2026-01-05 00:00 UTC, each phase spread over
 * a day with usher_advance before every operation (warnings and breaches
 * fire there, timed apart): start (usher_sla_start) on day 0, pause
 * (usher_sla_report PENDING_CUSTOMER) on day 1, resume (RESUMED) on day 2,
 * stop (SOLVED) on day 4, each phase in its own random order of tickets;
 * then usher_sla_forget. Every operation is timed alone; ops_per_sec is the
 * four operations' count over the sum of their times. Bytes per ticket:
 * the counting allocator's live bytes after the starts, less before, per
 * ticket (clock records, wheel timers, id map).
 *
 * The baseline (slaheap.h) runs the same timeline with its clocks in a
 * binary heap and the same calendars.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "slaheap.h"

#define DAY_MS UINT64_C(86400000)
#define HOUR_MS UINT64_C(3600000)
#define BASE_MS UINT64_C(1767571200000) /* Monday 2026-01-05 00:00 UTC */
#define POLICIES 3

static const char *const zones[POLICIES] = {"Europe/Berlin", "America/New_York", "Asia/Tokyo"};

static const struct { uint32_t month, day, from, to; } holidays[] = {
    {1, 1, 0, 1440},   {1, 6, 0, 1440},  {5, 1, 0, 1440},      {10, 3, 0, 1440},
    {12, 24, 720, 1440}, {12, 25, 0, 1440}, {12, 26, 0, 1440}, {12, 31, 720, 1440},
};

enum { PH_START, PH_PAUSE, PH_RESUME, PH_STOP, PHASES };
static const char *const phase_name[PHASES] = {"start", "pause", "resume", "stop"};
static const uint64_t phase_day[PHASES] = {0, 1, 2, 4};

static slaheap_policy policy_of(uint32_t k)
{
    slaheap_policy p = {.calendar = k + 1,
                        .target_ms = {4 * HOUR_MS, 8 * HOUR_MS, 40 * HOUR_MS},
                        .warning_permille = {500, 750, 900}};
    return p;
}

typedef struct sla_host {
    uint64_t warnings, breaches, met;
} sla_host;

static void on_event(void *user, const usher_event *ev)
{
    sla_host *h = user;
    if (ev->type == USHER_EVENT_SLA_WARNING)
        h->warnings++;
    else if (ev->type == USHER_EVENT_SLA_BREACHED)
        h->breaches++;
    else if (ev->type == USHER_EVENT_SLA_MET && ev->reason == USHER_SLA_RESOLUTION)
        h->met++;
}

static usher_engine *make_engine(count_alloc *ca, uint64_t seed, sla_host *h)
{
    usher_config config;
    usher_config_init(&config);
    config.seed = seed;
    config.start_ms = BASE_MS;
    config.allocator = &ca->allocator;
    usher_engine *e;
    CHECK(usher_engine_new(&config, &e));
    CHECK(usher_set_event_handler(e, on_event, h));
    for (uint32_t k = 0; k < POLICIES; k++) {
        usher_status st = usher_calendar_add(e, k + 1, zones[k]);
        if (st != USHER_OK)
            bench_fail("calendar %s: %s (is tzdata installed?)", zones[k], usher_status_name(st));
        usher_open_hours hours[5];
        for (uint32_t d = 0; d < 5; d++)
            hours[d] = (usher_open_hours){d + 1, 8 * 60, 18 * 60};
        CHECK(usher_calendar_set_hours(e, k + 1, hours, 5));
        for (uint32_t year = 2026; year <= 2027; year++)
            for (size_t i = 0; i < sizeof holidays / sizeof holidays[0]; i++)
                CHECK(usher_calendar_add_holiday(e, k + 1, year, holidays[i].month,
                                                 holidays[i].day, holidays[i].from,
                                                 holidays[i].to));
        slaheap_policy p = policy_of(k);
        usher_sla_policy_def def;
        usher_sla_policy_def_init(&def);
        def.target_mask = 1u << USHER_SLA_FIRST_RESPONSE | 1u << USHER_SLA_PERIODIC_UPDATE |
                          1u << USHER_SLA_RESOLUTION;
        def.business_mask = def.target_mask;
        def.pause_mask = def.target_mask;
        def.calendar = k + 1;
        def.target_ms[USHER_SLA_FIRST_RESPONSE] = p.target_ms[0];
        def.target_ms[USHER_SLA_PERIODIC_UPDATE] = p.target_ms[1];
        def.target_ms[USHER_SLA_RESOLUTION] = p.target_ms[2];
        def.warning_count = 3;
        for (unsigned i = 0; i < 3; i++)
            def.warning_permille[i] = p.warning_permille[i];
        CHECK(usher_sla_policy_add(e, k + 1, &def));
    }
    usher_sla_rule rules[POLICIES];
    for (uint32_t k = 0; k < POLICIES; k++)
        rules[k] = (usher_sla_rule){USHER_SLA_ANY, k + 1, USHER_SLA_ANY, 0, USHER_MAX_PRIORITY, k + 1};
    CHECK(usher_sla_set_rules(e, rules, POLICIES, 1));
    return e;
}

typedef struct timeline {
    uint64_t n;
    uint32_t *order[PHASES]; /* ticket indexes, per phase */
} timeline;

static void timeline_make(timeline *tl, uint64_t n, uint64_t seed)
{
    uint64_t rng = seed ^ UINT64_C(0x51a51a);
    tl->n = n;
    for (unsigned ph = 0; ph < PHASES; ph++) {
        uint32_t *o = xmalloc(n * sizeof *o);
        for (uint64_t i = 0; i < n; i++)
            o[i] = (uint32_t)i;
        if (ph != PH_START) /* tickets start in id order, the rest at random */
            for (uint64_t i = n - 1; i > 0; i--) {
                uint64_t j = rng_below(&rng, i + 1);
                uint32_t t = o[i];
                o[i] = o[j];
                o[j] = t;
            }
        tl->order[ph] = o;
    }
}

static uint64_t op_time(const timeline *tl, unsigned ph, uint64_t k)
{
    return BASE_MS + phase_day[ph] * DAY_MS + k * DAY_MS / tl->n;
}

typedef struct sla_result {
    hist *op[PHASES];
    hist *forget;
    uint64_t advance_ticks, events;
    double bytes_per_ticket, ops_per_sec;
    uint64_t warnings, breaches, met;
    double calendar_add_ns, calendar_between_ns; /* baseline run: the calendars alone */
} sla_result;

/* The calendar arithmetic both sides pay for, alone: business-time add
 * (4 .. 40 business hours) and between (up to a week) from random instants
 * of the simulated week, averaged over a batch of 20,000 calls each. */
static void time_calendars(const usher_engine *e, uint64_t seed, sla_result *r)
{
    enum { CALLS = 20000 };
    uint64_t rng = seed ^ UINT64_C(0xca1e);
    static uint64_t from[CALLS], amount[CALLS];
    for (unsigned i = 0; i < CALLS; i++) {
        from[i] = BASE_MS + rng_below(&rng, 7 * DAY_MS);
        amount[i] = 4 * HOUR_MS + rng_below(&rng, 36 * HOUR_MS);
    }
    uint64_t sink = 0, out;
    uint64_t t0 = ticks();
    for (unsigned i = 0; i < CALLS; i++) {
        CHECK(usher_calendar_add_business(e, 1 + i % POLICIES, from[i], amount[i], &out));
        sink += out;
    }
    uint64_t t1 = ticks();
    for (unsigned i = 0; i < CALLS; i++) {
        CHECK(usher_calendar_business_between(e, 1 + i % POLICIES, from[i],
                                              from[i] + amount[i] * 4, &out));
        sink += out;
    }
    uint64_t t2 = ticks();
    r->calendar_add_ns = ticks_to_ns(t1 - t0) / CALLS;
    r->calendar_between_ns = ticks_to_ns(t2 - t1) / CALLS;
    if (sink == 42)
        puts(""); /* keeps the calls */
}

static double ops_per_sec(const sla_result *r, uint64_t n)
{
    uint64_t sum = 0;
    for (unsigned ph = 0; ph < PHASES; ph++)
        sum += r->op[ph]->sum;
    return (double)(PHASES * n) / (ticks_to_ns(sum) / 1e9);
}

static void run_usher(const timeline *tl, uint64_t seed, sla_result *r)
{
    count_alloc ca;
    count_alloc_init(&ca);
    sla_host h = {0};
    usher_engine *e = make_engine(&ca, seed, &h);
    for (unsigned ph = 0; ph < PHASES; ph++)
        r->op[ph] = hist_new();
    r->forget = hist_new();
    r->advance_ticks = 0;
    uint64_t live0 = ca.live;
    static const uint32_t report_of[PHASES] = {0, USHER_SLA_PENDING_CUSTOMER, USHER_SLA_RESUMED,
                                               USHER_SLA_SOLVED};
    for (unsigned ph = 0; ph < PHASES; ph++) {
        for (uint64_t k = 0; k < tl->n; k++) {
            uint64_t ticket = (uint64_t)tl->order[ph][k] + 1;
            uint64_t a0 = ticks();
            CHECK(usher_advance(e, op_time(tl, ph, k)));
            uint64_t t0 = ticks();
            usher_status st;
            if (ph == PH_START) {
                usher_sla_spec spec;
                usher_sla_spec_init(&spec);
                spec.queue = (uint32_t)(ticket % POLICIES) + 1;
                st = usher_sla_start(e, ticket, &spec);
            } else {
                st = usher_sla_report(e, ticket, report_of[ph]);
            }
            uint64_t t1 = ticks();
            CHECK(st);
            r->advance_ticks += t0 - a0;
            hist_add(r->op[ph], t1 - t0);
        }
        if (ph == PH_START)
            r->bytes_per_ticket = (double)(ca.live - live0) / (double)tl->n;
    }
    for (uint64_t k = 0; k < tl->n; k++) {
        uint64_t t0 = ticks();
        usher_status st = usher_sla_forget(e, (uint64_t)tl->order[PH_START][k] + 1);
        uint64_t t1 = ticks();
        CHECK(st);
        hist_add(r->forget, t1 - t0);
    }
    r->warnings = h.warnings;
    r->breaches = h.breaches;
    r->met = h.met;
    r->events = h.warnings + h.breaches;
    r->ops_per_sec = ops_per_sec(r, tl->n);
    usher_engine_free(e);
}

static void run_baseline(const timeline *tl, uint64_t seed, sla_result *r)
{
    count_alloc ca;
    count_alloc_init(&ca);
    sla_host h = {0};
    usher_engine *e = make_engine(&ca, seed, &h); /* its calendars only */
    slaheap_policy policies[POLICIES];
    for (uint32_t k = 0; k < POLICIES; k++)
        policies[k] = policy_of(k);
    slaheap s;
    slaheap_init(&s, e, policies, tl->n, BASE_MS);
    for (unsigned ph = 0; ph < PHASES; ph++)
        r->op[ph] = hist_new();
    r->forget = hist_new();
    r->advance_ticks = 0;
    for (unsigned ph = 0; ph < PHASES; ph++) {
        for (uint64_t k = 0; k < tl->n; k++) {
            uint64_t ticket = tl->order[ph][k];
            uint64_t a0 = ticks();
            slaheap_advance(&s, op_time(tl, ph, k));
            uint64_t t0 = ticks();
            switch (ph) {
            case PH_START:
                slaheap_start(&s, ticket, (uint32_t)((ticket + 1) % POLICIES));
                break;
            case PH_PAUSE:
                slaheap_pause(&s, ticket);
                break;
            case PH_RESUME:
                slaheap_resume(&s, ticket);
                break;
            default:
                slaheap_stop(&s, ticket);
            }
            uint64_t t1 = ticks();
            r->advance_ticks += t0 - a0;
            hist_add(r->op[ph], t1 - t0);
        }
        if (ph == PH_START)
            r->bytes_per_ticket = slaheap_bytes_per_ticket(&s);
    }
    r->warnings = s.warnings;
    r->breaches = s.breaches;
    r->met = s.met;
    r->events = s.warnings + s.breaches;
    r->ops_per_sec = ops_per_sec(r, tl->n);
    slaheap_free(&s);
    time_calendars(e, seed, r);
    usher_engine_free(e);
}

static void result_free(sla_result *r)
{
    for (unsigned ph = 0; ph < PHASES; ph++)
        hist_free(r->op[ph]);
    hist_free(r->forget);
}

int bench_sla(const bench_opts *o)
{
    timeline tl;
    timeline_make(&tl, o->sla_tickets, o->seed);
    sla_result u = {0}, b = {0};
    run_usher(&tl, o->seed, &u);
    run_baseline(&tl, o->seed, &b);
    double speedup = u.ops_per_sec / b.ops_per_sec;

    report *r = report_new("sla", o->json);
    report_int(r, "tickets", tl.n);
    report_int(r, "seed", o->seed);
    report_num(r, "ops_per_sec", u.ops_per_sec);
    report_num(r, "bytes_per_ticket", u.bytes_per_ticket);
    char key[48];
    for (unsigned ph = 0; ph < PHASES; ph++) {
        snprintf(key, sizeof key, "%s_ns_p50", phase_name[ph]);
        report_num(r, key, hist_quantile_ns(u.op[ph], 0.5));
        snprintf(key, sizeof key, "%s_ns_p99", phase_name[ph]);
        report_num(r, key, hist_quantile_ns(u.op[ph], 0.99));
    }
    report_num(r, "forget_ns_p50", hist_quantile_ns(u.forget, 0.5));
    report_num(r, "advance_ns_per_event", u.events ? ticks_to_ns(u.advance_ticks) / (double)u.events : 0);
    report_int(r, "warnings", u.warnings);
    report_int(r, "breaches", u.breaches);
    report_str(r, "baseline", "binary_heap_sla");
    report_num(r, "baseline_ops_per_sec", b.ops_per_sec);
    report_num(r, "baseline_bytes_per_ticket", b.bytes_per_ticket);
    report_num(r, "baseline_advance_ns_per_event",
               b.events ? ticks_to_ns(b.advance_ticks) / (double)b.events : 0);
    report_int(r, "baseline_warnings", b.warnings);
    report_int(r, "baseline_breaches", b.breaches);
    report_num(r, "speedup", speedup);
    report_num(r, "calendar_add_ns", b.calendar_add_ns);
    report_num(r, "calendar_between_ns", b.calendar_between_ns);

    char a[32], bb[32], s[32], g[64], label[48];
    report_title(r,
                 "sla: %llu tickets, 3 targets and 3 warnings each, business hours in 3 time zones "
                 "with holidays, seed %llu\n"
                 "  baseline: the same clocks in a binary min-heap, same calendars, same process",
                 (unsigned long long)tl.n, (unsigned long long)o->seed);
    report_row(r, "start/pause/resume/stop ops/s", fmt_count(a, u.ops_per_sec),
               fmt_count(bb, b.ops_per_sec), fmt_ratio(s, speedup), NULL);
    for (unsigned ph = 0; ph < PHASES; ph++) {
        double x = hist_quantile_ns(u.op[ph], 0.5), y = hist_quantile_ns(b.op[ph], 0.5);
        snprintf(label, sizeof label, "%s p50", phase_name[ph]);
        report_row(r, label, fmt_ns(a, x), fmt_ns(bb, y), fmt_ratio(s, y / x), NULL);
        x = hist_quantile_ns(u.op[ph], 0.99);
        y = hist_quantile_ns(b.op[ph], 0.99);
        snprintf(label, sizeof label, "%s p99", phase_name[ph]);
        report_row(r, label, fmt_ns(a, x), fmt_ns(bb, y), fmt_ratio(s, y / x), NULL);
    }
    double ue = u.events ? ticks_to_ns(u.advance_ticks) / (double)u.events : 0;
    double be = b.events ? ticks_to_ns(b.advance_ticks) / (double)b.events : 0;
    report_row(r, "advance, per warning/breach", fmt_ns(a, ue), fmt_ns(bb, be),
               fmt_ratio(s, be / ue), NULL);
    report_row(r, "forget p50", fmt_ns(a, hist_quantile_ns(u.forget, 0.5)), NULL, NULL, NULL);
    snprintf(g, sizeof g, "(routing target incl. ticket: <= 256 B)");
    report_row(r, "bytes per ticket", fmt_bytes(a, u.bytes_per_ticket),
               fmt_bytes(bb, b.bytes_per_ticket), NULL, g);
    report_note(r, "the calendar arithmetic both use, per call: business add %s, between %s",
                fmt_ns(a, b.calendar_add_ns), fmt_ns(bb, b.calendar_between_ns));
    report_note(r, "events: usher %llu warnings, %llu breaches, %llu resolutions met; baseline %llu, "
                   "%llu, %llu",
                (unsigned long long)u.warnings, (unsigned long long)u.breaches,
                (unsigned long long)u.met, (unsigned long long)b.warnings,
                (unsigned long long)b.breaches, (unsigned long long)b.met);
    report_end(r);

    result_free(&u);
    result_free(&b);
    for (unsigned ph = 0; ph < PHASES; ph++)
        free(tl.order[ph]);
    return 0;
}
