/*
 * Scenario `timers`: N live deadlines (default 10^4, 10^5 and 10^6)
 * spread uniformly over 24 h at 1 ms resolution, three ways:
 *
 *   wheel     usher's hierarchical timer wheel driven directly through the
 *             internal header lib/wheel.h (us_wheel_schedule, _cancel,
 *             _reschedule, _next_due): the structure itself;
 *   heap      the baseline binary min-heap (heap.h), same operations;
 *   API       the public host-timer calls usher_timer_set / _cancel and
 *             usher_advance with event delivery: the wheel plus the id map
 *             from host timer ids, status checks and the event queue.
 *
 * Phases, each timed as a batch and divided by its operation count (these
 * operations take tens of ns, below what timing each one alone can
 * resolve honestly):
 *
 *   schedule  N deadlines into an empty structure (room reserved first);
 *   cancel    all N, in random order;
 *   expire    N scheduled again (untimed), then the clock advances through
 *             the whole 24 h; per expired deadline (the API advances one
 *             simulated second per call and delivers an event per timer);
 *   mixed     N live, then --ops operations: 70 % reschedule a random timer
 *             to a random time in the next 24 h, 20 % cancel one and
 *             schedule a new one, 10 % advance the clock 1 .. 100 ms,
 *             each expired timer rescheduled to keep N live. The operation
 *             stream is generated before timing and is the same for all;
 *   pairs     with those N still live, --ops short-lived timers: each
 *             schedules a new deadline in the next 24 h and cancels the
 *             one scheduled 64 iterations before (an offer timeout or a
 *             reminder answered soon); per operation (two per iteration).
 *             This is the figure held against the "schedule +
 *             cancel at 10^6 live deadlines" target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "heap.h"
#include "wheel.h"

#define DAY_MS UINT64_C(86400000)
#define BASE_MS UINT64_C(1767571200000) /* 2026-01-05 00:00 UTC */
#define REOFF 4096                      /* offsets for expired timers, used in turn */

enum { OP_RESCHEDULE, OP_REPLACE, OP_ADVANCE };

typedef struct op {
    uint32_t type;
    uint32_t index;
    uint32_t value; /* the new deadline's offset from now, or the advance in ms */
} op;

typedef struct plan {
    uint64_t n, m;
    uint64_t *deadline; /* the N deadlines */
    uint32_t *order;    /* the cancel order: a permutation of 0 .. N-1 */
    op *ops;
    uint32_t reoff[REOFF];
} plan;

#define RING 64 /* live short timers in the pairs phase */

typedef struct result {
    double schedule_ns, cancel_ns, expire_ns, mixed_ns, pair_ns, bytes_per_timer;
    uint64_t expired_in_mixed;
} result;

static void plan_make(plan *p, uint64_t n, uint64_t m, uint64_t seed)
{
    uint64_t rng = seed ^ UINT64_C(0x7133e5);
    p->n = n;
    p->m = m;
    p->deadline = xmalloc(n * sizeof *p->deadline);
    p->order = xmalloc(n * sizeof *p->order);
    for (uint64_t i = 0; i < n; i++) {
        p->deadline[i] = BASE_MS + 1 + rng_below(&rng, DAY_MS);
        p->order[i] = (uint32_t)i;
    }
    for (uint64_t i = n - 1; i > 0; i--) {
        uint64_t j = rng_below(&rng, i + 1);
        uint32_t t = p->order[i];
        p->order[i] = p->order[j];
        p->order[j] = t;
    }
    p->ops = xmalloc(m * sizeof *p->ops);
    for (uint64_t k = 0; k < m; k++) {
        uint64_t r = rng_below(&rng, 100);
        op *o = &p->ops[k];
        o->type = r < 70 ? OP_RESCHEDULE : r < 90 ? OP_REPLACE : OP_ADVANCE;
        o->index = (uint32_t)rng_below(&rng, n);
        o->value = o->type == OP_ADVANCE ? (uint32_t)(1 + rng_below(&rng, 100))
                                         : (uint32_t)(1 + rng_below(&rng, DAY_MS));
    }
    for (unsigned k = 0; k < REOFF; k++)
        p->reoff[k] = (uint32_t)(1 + rng_below(&rng, DAY_MS));
}

static void plan_free(plan *p)
{
    free(p->deadline);
    free(p->order);
    free(p->ops);
}

static double per_op(uint64_t t0, uint64_t t1, uint64_t count)
{
    return count ? ticks_to_ns(t1 - t0) / (double)count : 0;
}

/* ---- usher's wheel, through lib/wheel.h ---------------------------------------------- */

static void run_wheel(const plan *p, result *res)
{
    count_alloc ca;
    count_alloc_init(&ca);
    us_wheel w;
    uint32_t *id = xmalloc(p->n * sizeof *id);
    uint64_t n = p->n;

    us_wheel_init(&w, &ca.allocator, BASE_MS);
    if (us_wheel_reserve(&w, (uint32_t)n) != USHER_OK)
        bench_fail("wheel: cannot reserve %llu timers", (unsigned long long)n);
    uint64_t t0 = ticks();
    for (uint64_t i = 0; i < n; i++)
        (void)us_wheel_schedule(&w, p->deadline[i], 1, i, &id[i]);
    uint64_t t1 = ticks();
    res->schedule_ns = per_op(t0, t1, n);
    res->bytes_per_timer = (double)ca.live / (double)n;

    t0 = ticks();
    for (uint64_t k = 0; k < n; k++)
        us_wheel_cancel(&w, id[p->order[k]]);
    t1 = ticks();
    res->cancel_ns = per_op(t0, t1, n);

    for (uint64_t i = 0; i < n; i++)
        (void)us_wheel_schedule(&w, p->deadline[i], 1, i, &id[i]);
    uint64_t expired = 0;
    t0 = ticks();
    for (;;) {
        uint32_t t = us_wheel_next_due(&w, BASE_MS + DAY_MS + 1);
        if (t == US_TIMER_NONE)
            break;
        us_wheel_cancel(&w, t);
        expired++;
    }
    t1 = ticks();
    if (expired != n)
        bench_fail("wheel: %llu of %llu timers expired", (unsigned long long)expired,
                   (unsigned long long)n);
    res->expire_ns = per_op(t0, t1, n);
    us_wheel_free(&w);

    us_wheel_init(&w, &ca.allocator, BASE_MS);
    if (us_wheel_reserve(&w, (uint32_t)n) != USHER_OK)
        bench_fail("wheel: cannot reserve %llu timers", (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++)
        (void)us_wheel_schedule(&w, p->deadline[i], 1, i, &id[i]);
    uint64_t now = BASE_MS;
    unsigned re = 0;
    expired = 0;
    t0 = ticks();
    for (uint64_t k = 0; k < p->m; k++) {
        const op *o = &p->ops[k];
        switch (o->type) {
        case OP_RESCHEDULE:
            us_wheel_reschedule(&w, id[o->index], now + o->value);
            break;
        case OP_REPLACE:
            us_wheel_cancel(&w, id[o->index]);
            (void)us_wheel_schedule(&w, now + o->value, 1, o->index, &id[o->index]);
            break;
        default:
            now += o->value;
            for (;;) {
                uint32_t t = us_wheel_next_due(&w, now);
                if (t == US_TIMER_NONE)
                    break;
                us_wheel_reschedule(&w, t, now + p->reoff[re++ % REOFF]);
                expired++;
            }
        }
    }
    t1 = ticks();
    res->mixed_ns = per_op(t0, t1, p->m);
    res->expired_in_mixed = expired;

    uint32_t ring[RING];
    if (us_wheel_reserve(&w, RING) != USHER_OK)
        bench_fail("wheel: cannot reserve");
    t0 = ticks();
    for (uint64_t k = 0; k < p->m; k++) {
        if (k >= RING)
            us_wheel_cancel(&w, ring[k % RING]);
        (void)us_wheel_schedule(&w, now + p->ops[k].value, 2, k, &ring[k % RING]);
    }
    t1 = ticks();
    res->pair_ns = ticks_to_ns(t1 - t0) / (2.0 * (double)p->m);
    us_wheel_free(&w);
    free(id);
}

/* ---- the baseline heap ---------------------------------------------------------------- */

static void run_heap(const plan *p, result *res)
{
    bheap h;
    uint64_t n = p->n;
    heap_init(&h, (uint32_t)n, (uint32_t)n + RING);
    uint64_t t0 = ticks();
    for (uint64_t i = 0; i < n; i++)
        heap_push(&h, p->deadline[i], (uint32_t)i);
    uint64_t t1 = ticks();
    res->schedule_ns = per_op(t0, t1, n);
    res->bytes_per_timer = (double)(h.capacity * sizeof(heap_entry) + n * sizeof(uint32_t)) / (double)n;

    t0 = ticks();
    for (uint64_t k = 0; k < n; k++)
        heap_remove(&h, p->order[k]);
    t1 = ticks();
    res->cancel_ns = per_op(t0, t1, n);

    for (uint64_t i = 0; i < n; i++)
        heap_push(&h, p->deadline[i], (uint32_t)i);
    uint64_t expired = 0, limit = BASE_MS + DAY_MS + 1;
    t0 = ticks();
    while (h.size > 0 && heap_top(&h)->key <= limit) {
        heap_pop(&h);
        expired++;
    }
    t1 = ticks();
    if (expired != n)
        bench_fail("heap: %llu of %llu timers expired", (unsigned long long)expired,
                   (unsigned long long)n);
    res->expire_ns = per_op(t0, t1, n);

    for (uint64_t i = 0; i < n; i++)
        heap_push(&h, p->deadline[i], (uint32_t)i);
    uint64_t now = BASE_MS;
    unsigned re = 0;
    expired = 0;
    t0 = ticks();
    for (uint64_t k = 0; k < p->m; k++) {
        const op *o = &p->ops[k];
        switch (o->type) {
        case OP_RESCHEDULE:
            heap_update(&h, o->index, now + o->value);
            break;
        case OP_REPLACE:
            heap_remove(&h, o->index);
            heap_push(&h, now + o->value, o->index);
            break;
        default:
            now += o->value;
            while (heap_top(&h)->key <= now) {
                heap_update(&h, heap_top(&h)->handle, now + p->reoff[re++ % REOFF]);
                expired++;
            }
        }
    }
    t1 = ticks();
    res->mixed_ns = per_op(t0, t1, p->m);
    res->expired_in_mixed = expired;

    t0 = ticks();
    for (uint64_t k = 0; k < p->m; k++) {
        uint32_t handle = (uint32_t)(n + k % RING);
        if (k >= RING)
            heap_remove(&h, handle);
        heap_push(&h, now + p->ops[k].value, handle);
    }
    t1 = ticks();
    res->pair_ns = ticks_to_ns(t1 - t0) / (2.0 * (double)p->m);
    heap_free(&h);
}

/* ---- the public API ------------------------------------------------------------------ */

typedef struct api_host {
    usher_engine *e;
    uint64_t fired;
    const plan *p;
    unsigned re;
    bool rearm; /* reschedule each fired timer (the mixed run) */
} api_host;

static void on_timer(void *user, const usher_event *ev)
{
    api_host *h = user;
    if (ev->type != USHER_EVENT_TIMER)
        return;
    h->fired++;
    if (h->rearm) {
        uint64_t now;
        CHECK(usher_now(h->e, &now));
        CHECK(usher_timer_set(h->e, ev->timer_id, now + h->p->reoff[h->re++ % REOFF]));
    }
}

static usher_engine *api_engine(count_alloc *ca, api_host *h)
{
    usher_config config;
    usher_config_init(&config);
    config.start_ms = BASE_MS;
    config.allocator = &ca->allocator;
    usher_engine *e;
    CHECK(usher_engine_new(&config, &e));
    CHECK(usher_set_event_handler(e, on_timer, h));
    h->e = e;
    return e;
}

static void run_api(const plan *p, result *res)
{
    count_alloc ca;
    count_alloc_init(&ca);
    api_host h = {.p = p};
    uint64_t n = p->n;
    usher_engine *e = api_engine(&ca, &h);

    uint64_t t0 = ticks();
    for (uint64_t i = 0; i < n; i++)
        CHECK(usher_timer_set(e, i + 1, p->deadline[i]));
    uint64_t t1 = ticks();
    res->schedule_ns = per_op(t0, t1, n);
    res->bytes_per_timer = (double)ca.live / (double)n;

    t0 = ticks();
    for (uint64_t k = 0; k < n; k++)
        CHECK(usher_timer_cancel(e, (uint64_t)p->order[k] + 1));
    t1 = ticks();
    res->cancel_ns = per_op(t0, t1, n);

    for (uint64_t i = 0; i < n; i++)
        CHECK(usher_timer_set(e, i + 1, p->deadline[i]));
    t0 = ticks();
    for (uint64_t now = BASE_MS + 1000; now <= BASE_MS + DAY_MS + 1000; now += 1000)
        CHECK(usher_advance(e, now));
    t1 = ticks();
    if (h.fired != n)
        bench_fail("API: %llu of %llu timers fired", (unsigned long long)h.fired,
                   (unsigned long long)n);
    res->expire_ns = per_op(t0, t1, n);
    usher_engine_free(e);

    e = api_engine(&ca, &h);
    for (uint64_t i = 0; i < n; i++)
        CHECK(usher_timer_set(e, i + 1, p->deadline[i]));
    h.fired = 0;
    h.rearm = true;
    uint64_t now = BASE_MS;
    t0 = ticks();
    for (uint64_t k = 0; k < p->m; k++) {
        const op *o = &p->ops[k];
        switch (o->type) {
        case OP_RESCHEDULE:
            CHECK(usher_timer_set(e, (uint64_t)o->index + 1, now + o->value));
            break;
        case OP_REPLACE:
            CHECK(usher_timer_cancel(e, (uint64_t)o->index + 1));
            CHECK(usher_timer_set(e, (uint64_t)o->index + 1, now + o->value));
            break;
        default:
            now += o->value;
            CHECK(usher_advance(e, now));
        }
    }
    t1 = ticks();
    res->mixed_ns = per_op(t0, t1, p->m);
    res->expired_in_mixed = h.fired;

    t0 = ticks();
    for (uint64_t k = 0; k < p->m; k++) {
        uint64_t timer = n + 1 + k % RING;
        if (k >= RING)
            CHECK(usher_timer_cancel(e, timer));
        CHECK(usher_timer_set(e, timer, now + p->ops[k].value));
    }
    t1 = ticks();
    res->pair_ns = ticks_to_ns(t1 - t0) / (2.0 * (double)p->m);
    usher_engine_free(e);
}

/* ---- the report ---------------------------------------------------------------------- */

static void run_size(const bench_opts *o, uint64_t n)
{
    plan p;
    plan_make(&p, n, o->ops, o->seed);
    result wheel, heap, api;
    run_wheel(&p, &wheel);
    run_heap(&p, &heap);
    run_api(&p, &api);
    plan_free(&p);

    double sc = wheel.pair_ns;
    double speedup = heap.mixed_ns / wheel.mixed_ns;
    report *r = report_new("timers", o->json);
    report_int(r, "live", n);
    report_int(r, "ops", o->ops);
    report_int(r, "seed", o->seed);
    report_str(r, "structure", "wheel");
    report_num(r, "schedule_ns", wheel.schedule_ns);
    report_num(r, "cancel_ns", wheel.cancel_ns);
    report_num(r, "schedule_cancel_ns", sc);
    report_num(r, "expire_ns", wheel.expire_ns);
    report_num(r, "mixed_ns", wheel.mixed_ns);
    report_num(r, "bytes_per_timer", wheel.bytes_per_timer);
    report_str(r, "baseline", "binary_heap");
    report_num(r, "baseline_schedule_ns", heap.schedule_ns);
    report_num(r, "baseline_cancel_ns", heap.cancel_ns);
    report_num(r, "baseline_expire_ns", heap.expire_ns);
    report_num(r, "baseline_mixed_ns", heap.mixed_ns);
    report_num(r, "baseline_schedule_cancel_ns", heap.pair_ns);
    report_num(r, "baseline_bytes_per_timer", heap.bytes_per_timer);
    report_num(r, "speedup", speedup);
    report_num(r, "api_schedule_ns", api.schedule_ns);
    report_num(r, "api_cancel_ns", api.cancel_ns);
    report_num(r, "api_expire_ns", api.expire_ns);
    report_num(r, "api_mixed_ns", api.mixed_ns);
    report_num(r, "api_schedule_cancel_ns", api.pair_ns);
    report_num(r, "api_bytes_per_timer", api.bytes_per_timer);
    report_num(r, "api_speedup", heap.mixed_ns / api.mixed_ns);

    char a[32], b[32], s[32], t[32], g[64];
    char count[32];
    report_title(r,
                 "timers: %s live deadlines over 24 h at 1 ms, %s mixed operations, seed %llu\n"
                 "  usher: the wheel through lib/wheel.h, and the public API (usher_timer_set, "
                 "_cancel, usher_advance); baseline: binary min-heap",
                 fmt_count(count, (double)n), fmt_count(a, (double)o->ops),
                 (unsigned long long)o->seed);
    bool big = n >= 1000000;
    report_row(r, "wheel: schedule", fmt_ns(a, wheel.schedule_ns), fmt_ns(b, heap.schedule_ns),
               fmt_ratio(s, heap.schedule_ns / wheel.schedule_ns), NULL);
    report_row(r, "wheel: cancel", fmt_ns(a, wheel.cancel_ns), fmt_ns(b, heap.cancel_ns),
               fmt_ratio(s, heap.cancel_ns / wheel.cancel_ns), NULL);
    if (big)
        snprintf(g, sizeof g, "<= 40 ns at 10^6: %s", fmt_target(t, sc, 40, true));
    report_row(r, "wheel: schedule+cancel pairs, per op", fmt_ns(a, sc), fmt_ns(b, heap.pair_ns),
               fmt_ratio(s, heap.pair_ns / sc), big ? g : NULL);
    report_row(r, "wheel: expire, per deadline", fmt_ns(a, wheel.expire_ns),
               fmt_ns(b, heap.expire_ns), fmt_ratio(s, heap.expire_ns / wheel.expire_ns), NULL);
    if (big)
        snprintf(g, sizeof g, ">= 3x the heap at 10^6: %s", fmt_target(t, speedup, 3, false));
    report_row(r, "wheel: mixed, per op", fmt_ns(a, wheel.mixed_ns), fmt_ns(b, heap.mixed_ns),
               fmt_ratio(s, speedup), big ? g : NULL);
    report_row(r, "API: usher_timer_set", fmt_ns(a, api.schedule_ns), fmt_ns(b, heap.schedule_ns),
               fmt_ratio(s, heap.schedule_ns / api.schedule_ns), NULL);
    report_row(r, "API: usher_timer_cancel", fmt_ns(a, api.cancel_ns), fmt_ns(b, heap.cancel_ns),
               fmt_ratio(s, heap.cancel_ns / api.cancel_ns), NULL);
    report_row(r, "API: expire (+ event), per timer", fmt_ns(a, api.expire_ns),
               fmt_ns(b, heap.expire_ns), fmt_ratio(s, heap.expire_ns / api.expire_ns), NULL);
    report_row(r, "API: mixed, per op", fmt_ns(a, api.mixed_ns), fmt_ns(b, heap.mixed_ns),
               fmt_ratio(s, heap.mixed_ns / api.mixed_ns), NULL);
    report_row(r, "API: set+cancel pairs, per op", fmt_ns(a, api.pair_ns), fmt_ns(b, heap.pair_ns),
               fmt_ratio(s, heap.pair_ns / api.pair_ns), NULL);
    report_row(r, "bytes per timer: wheel / API", fmt_bytes(a, wheel.bytes_per_timer),
               fmt_bytes(b, heap.bytes_per_timer), NULL, NULL);
    report_row(r, "", fmt_bytes(a, api.bytes_per_timer), NULL, NULL, NULL);
    report_note(r, "expired during the mixed run: wheel %llu, heap %llu, API %llu",
                (unsigned long long)wheel.expired_in_mixed,
                (unsigned long long)heap.expired_in_mixed, (unsigned long long)api.expired_in_mixed);
    report_end(r);
}

int bench_timers(const bench_opts *o)
{
    if (o->live) {
        run_size(o, o->live);
        return 0;
    }
    for (uint64_t n = 10000; n <= 1000000; n *= 10)
        run_size(o, n);
    return 0;
}
