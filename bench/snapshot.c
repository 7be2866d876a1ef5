/*
 * Scenario `snapshot`: the size of a snapshot and the speed of writing and
 * restoring one, for a contact center in mid-flow. The model of
 * workload.h (--agents, default 10,000, all available), then --tickets
 * (default 100,000) submitted one per simulated second with an SLA clock
 * each (first response 15 min, periodic update 1 h, resolution 4 h,
 * warnings at 50, 75 and 90 %): every agent fills up, the rest wait; one
 * assigned ticket in ten is completed meanwhile (its wrap-up running, its
 * SLA solved). Bytes per agent and per ticket are the growth of the
 * snapshot as agents, then tickets, are added. Each operation is timed
 * several times and the fastest run is reported; the restored engine's
 * snapshot must equal the original's, byte for byte. No baseline: nothing
 * else writes this state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define RUNS 5

static size_t snapshot_size(const usher_engine *e)
{
    size_t size = 0;
    if (usher_snapshot(e, NULL, 0, &size) != USHER_ELIMIT)
        bench_fail("usher_snapshot: no size");
    return size;
}

static void add_sla_policy(usher_engine *e)
{
    usher_sla_policy_def def;
    usher_sla_policy_def_init(&def);
    def.target_mask = 1u << USHER_SLA_FIRST_RESPONSE | 1u << USHER_SLA_PERIODIC_UPDATE |
                      1u << USHER_SLA_RESOLUTION;
    def.target_ms[USHER_SLA_FIRST_RESPONSE] = 15 * 60000;
    def.target_ms[USHER_SLA_PERIODIC_UPDATE] = 60 * 60000;
    def.target_ms[USHER_SLA_RESOLUTION] = 4 * 3600000;
    def.warning_count = 3;
    def.warning_permille[0] = 500;
    def.warning_permille[1] = 750;
    def.warning_permille[2] = 900;
    CHECK(usher_sla_policy_add(e, 1, &def));
    CHECK(usher_sla_set_rules(e, NULL, 0, 1));
}

/* The host's record of what is assigned, from the events. */
static void on_event(void *user, const usher_event *event)
{
    if (event->type == USHER_EVENT_TICKET_ASSIGNED)
        assigned_add(user, event->ticket_id);
}

/* Tickets 1 .. n, one per simulated second, each with an SLA clock; one
 * assigned ticket in ten completed (wrap-up, SLA solved). Returns how many
 * are live. */
static uint64_t fill(const workload *w, usher_engine *e, uint64_t n, uint64_t seed)
{
    uint64_t completed = 0;
    assigned_set assigned;
    assigned_init(&assigned, n + 1);
    CHECK(usher_set_event_handler(e, on_event, &assigned));
    uint64_t rng = seed, now = WL_EPOCH_MS;
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    for (uint64_t id = 1; id <= n; id++) {
        uint32_t set, priority;
        wl_ticket(w, &rng, WL_CHANNELS, &set, &priority);
        CHECK(usher_advance(e, now += 1000));
        CHECK(usher_sla_start(e, id, &spec));
        CHECK(wl_engine_submit(w, e, id, set, priority));
        if (assigned.count > 0 && rng_below(&rng, 10) == 0) {
            uint64_t done = assigned_pick(&assigned, &rng);
            assigned_remove(&assigned, done);
            CHECK(usher_sla_report(e, done, USHER_SLA_AGENT_REPLY));
            CHECK(usher_sla_report(e, done, USHER_SLA_SOLVED));
            CHECK(usher_ticket_complete(e, done, 0));
            completed++;
        }
    }
    CHECK(usher_set_event_handler(e, NULL, NULL));
    assigned_free(&assigned);
    return n - completed;
}

static usher_status discard(void *user, const void *data, size_t size)
{
    (void)data;
    *(uint64_t *)user += size;
    return USHER_OK;
}

typedef struct timings {
    double write_ms, stream_ms, restore_ms, free_ms;
    uint64_t restored_live;
} timings;

static double ms_since(uint64_t t0) { return (double)(mono_ns() - t0) / 1e6; }

static double fastest(double a, double b) { return b < a ? b : a; }

static void time_runs(usher_engine *e, uint8_t *buf, size_t size, timings *t)
{
    t->write_ms = t->stream_ms = t->restore_ms = t->free_ms = 1e300;
    for (int run = 0; run < RUNS; run++) {
        size_t written;
        uint64_t t0 = mono_ns();
        CHECK(usher_snapshot(e, buf, size, &written));
        t->write_ms = fastest(t->write_ms, ms_since(t0));
        uint64_t streamed = 0;
        t0 = mono_ns();
        CHECK(usher_snapshot_write(e, discard, &streamed));
        t->stream_ms = fastest(t->stream_ms, ms_since(t0));
        if (written != size || streamed != size)
            bench_fail("snapshot sizes differ: %zu, %zu, %llu", size, written,
                       (unsigned long long)streamed);
        count_alloc ca;
        count_alloc_init(&ca);
        usher_config config;
        usher_config_init(&config);
        config.allocator = &ca.allocator;
        usher_engine *copy;
        t0 = mono_ns();
        CHECK(usher_restore(&config, buf, size, &copy));
        t->restore_ms = fastest(t->restore_ms, ms_since(t0));
        t->restored_live = ca.live;
        if (run == 0) { /* the round trip: the copy snapshots to the same bytes */
            uint8_t *again = xmalloc(size);
            CHECK(usher_snapshot(copy, again, size, &written));
            if (written != size || memcmp(again, buf, size) != 0)
                bench_fail("the restored engine snapshots to other bytes");
            free(again);
        }
        t0 = mono_ns();
        usher_engine_free(copy);
        t->free_ms = fastest(t->free_ms, ms_since(t0));
    }
}

/* Sizes of the snapshot: without agents, with them, with the tickets. */
typedef struct sizes {
    size_t empty, agents, full;
    uint64_t live_tickets, waiting, engine_bytes;
} sizes;

/* Tickets waiting in the model's queues (ids 1 .. WL_CHANNELS). */
static uint64_t waiting(const usher_engine *e)
{
    uint64_t n = 0;
    for (uint32_t q = 1; q <= WL_CHANNELS; q++) {
        usher_queue_stats stats = {.struct_size = sizeof stats};
        CHECK(usher_queue_get_stats(e, q, &stats));
        n += stats.waiting;
    }
    return n;
}

static void report_snapshot(const bench_opts *o, const workload *w, const sizes *z,
                            const timings *t)
{
    size_t full = z->full;
    double per_agent = (double)(z->agents - z->empty) / w->agents;
    double per_ticket = (double)(full - z->agents) / (double)z->live_tickets;
    double mb = (double)full / 1e6;
    report *r = report_new("snapshot", o->json);
    report_int(r, "agents", w->agents);
    report_int(r, "tickets", o->tickets);
    report_int(r, "live_tickets", z->live_tickets);
    report_int(r, "waiting_tickets", z->waiting);
    report_int(r, "sets", w->sets);
    report_int(r, "seed", o->seed);
    report_int(r, "snapshot_bytes", full);
    report_num(r, "bytes_per_agent", per_agent);
    report_num(r, "bytes_per_ticket", per_ticket);
    report_num(r, "snapshot_ms", t->write_ms);
    report_num(r, "snapshot_mb_per_sec", mb / (t->write_ms / 1e3));
    report_num(r, "stream_ms", t->stream_ms);
    report_num(r, "restore_ms", t->restore_ms);
    report_num(r, "restore_mb_per_sec", mb / (t->restore_ms / 1e3));
    report_num(r, "free_ms", t->free_ms);
    report_int(r, "engine_bytes", z->engine_bytes);
    report_int(r, "restored_engine_bytes", t->restored_live);
    report_int(r, "peak_rss_bytes", peak_rss_bytes());

    char a[32], b[32];
    report_title(r,
                 "snapshot: %u agents (%.1f signatures each), %llu tickets with SLA clocks "
                 "submitted, %llu live (%llu waiting), seed %llu; fastest of %d runs",
                 w->agents, w->sets_per_agent, (unsigned long long)o->tickets,
                 (unsigned long long)z->live_tickets, (unsigned long long)z->waiting,
                 (unsigned long long)o->seed, RUNS);
    report_row(r, "snapshot size", fmt_bytes(a, (double)full), NULL, NULL, NULL);
    report_row(r, "bytes per agent", fmt_bytes(a, per_agent), NULL, NULL, NULL);
    report_row(r, "bytes per ticket", fmt_bytes(a, per_ticket), NULL, NULL, "(SLA clock included)");
    snprintf(b, sizeof b, "%.0f MB/s", mb / (t->write_ms / 1e3));
    report_row(r, "usher_snapshot", fmt_ns(a, t->write_ms * 1e6), NULL, NULL, b);
    report_row(r, "usher_snapshot_write", fmt_ns(a, t->stream_ms * 1e6), NULL, NULL,
               "(64 KiB pieces, discarded)");
    snprintf(b, sizeof b, "%.0f MB/s", mb / (t->restore_ms / 1e3));
    report_row(r, "usher_restore", fmt_ns(a, t->restore_ms * 1e6), NULL, NULL, b);
    report_row(r, "usher_engine_free (restored)", fmt_ns(a, t->free_ms * 1e6), NULL, NULL, NULL);
    report_row(r, "engine memory, original", fmt_bytes(a, (double)z->engine_bytes), NULL, NULL,
               NULL);
    report_row(r, "engine memory, restored", fmt_bytes(a, (double)t->restored_live), NULL, NULL,
               NULL);
    report_end(r);
}

int bench_snapshot(const bench_opts *o)
{
    workload *w = workload_new(o);
    if (!w)
        return 2;
    count_alloc ca;
    count_alloc_init(&ca);
    usher_engine *e = wl_engine_new(w, &ca.allocator, o->seed);
    add_sla_policy(e);
    sizes z;
    z.empty = snapshot_size(e);
    wl_engine_add_agents(w, e);
    z.agents = snapshot_size(e);
    z.live_tickets = fill(w, e, o->tickets, o->seed);
    z.full = snapshot_size(e);
    z.waiting = waiting(e);
    z.engine_bytes = ca.live;
    uint8_t *buf = xmalloc(z.full);
    timings t;
    time_runs(e, buf, z.full, &t);
    report_snapshot(o, w, &z, &t);
    free(buf);
    usher_engine_free(e);
    workload_free(w);
    return 0;
}
