/* The routing driver (see drive.h). */
#include <stdlib.h>
#include <string.h>

#include "drive.h"
#include "linear.h"

#define FIRST_RESPONSE_MS (15 * 60 * 1000)
#define PERIODIC_UPDATE_MS (60 * 60 * 1000)
#define RESOLUTION_MS (4 * 60 * 60 * 1000)

typedef struct host {
    assigned_set assigned;
    uint64_t assignments, sla_warnings, sla_breaches, sla_met;
} host;

static void on_event(void *user, const usher_event *ev)
{
    host *h = user;
    switch (ev->type) {
    case USHER_EVENT_TICKET_ASSIGNED:
        h->assignments++;
        assigned_add(&h->assigned, ev->ticket_id);
        break;
    case USHER_EVENT_SLA_WARNING:
        h->sla_warnings++;
        break;
    case USHER_EVENT_SLA_BREACHED:
        h->sla_breaches++;
        break;
    case USHER_EVENT_SLA_MET:
        h->sla_met++;
        break;
    default:
        break;
    }
}

static void add_sla_policy(usher_engine *e)
{
    usher_sla_policy_def def;
    usher_sla_policy_def_init(&def);
    def.target_mask = 1u << USHER_SLA_FIRST_RESPONSE | 1u << USHER_SLA_PERIODIC_UPDATE |
                      1u << USHER_SLA_RESOLUTION;
    def.target_ms[USHER_SLA_FIRST_RESPONSE] = FIRST_RESPONSE_MS;
    def.target_ms[USHER_SLA_PERIODIC_UPDATE] = PERIODIC_UPDATE_MS;
    def.target_ms[USHER_SLA_RESOLUTION] = RESOLUTION_MS;
    def.warning_count = 3;
    def.warning_permille[0] = 500;
    def.warning_permille[1] = 750;
    def.warning_permille[2] = 900;
    CHECK(usher_sla_policy_add(e, 1, &def));
    CHECK(usher_sla_set_rules(e, NULL, 0, 1));
}

static void sla_start(usher_engine *e, uint64_t id, uint32_t channel, uint32_t priority)
{
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    spec.channel = channel;
    spec.queue = channel + 1;
    spec.priority = priority;
    CHECK(usher_sla_start(e, id, &spec));
}

static void figures_init(drive_figures *f)
{
    memset(f, 0, sizeof *f);
    f->decision = hist_new();
    f->filed = hist_new();
    f->idle = hist_new();
}

void drive_free(drive_figures *f)
{
    hist_free(f->decision);
    hist_free(f->filed);
    hist_free(f->idle);
}

/* ---- usher --------------------------------------------------------------------------- */

void drive_usher(const bench_opts *o, const workload *w, bool with_sla, uint64_t steps,
                 drive_figures *f)
{
    figures_init(f);
    count_alloc ca;
    count_alloc_init(&ca);
    host h = {0};
    uint64_t max_id = o->backlog + (uint64_t)w->agents * WL_CAPACITY + steps + 16;
    assigned_init(&h.assigned, max_id);
    uint32_t *ticket_set = xmalloc((size_t)(max_id + 1) * sizeof *ticket_set);

    usher_engine *e = wl_engine_new(w, &ca.allocator, o->seed);
    CHECK(usher_set_event_handler(e, on_event, &h));
    if (with_sla)
        add_sla_policy(e);

    uint64_t live0 = ca.live;
    wl_engine_add_agents(w, e);
    f->bytes_per_agent = (double)(ca.live - live0) / w->agents;

    /* Warm-up: one ticket per ms until --backlog wait. Bytes per ticket are
     * measured over the part after the first tenth of the backlog, when
     * agents are (nearly) full and new tickets wait. */
    uint64_t rng = o->seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
    uint64_t now = WL_EPOCH_MS, id = 0;
    uint64_t mark_live = 0, mark_id = 0;
    uint64_t mark_at = o->backlog / 10 ? o->backlog / 10 : 1;
    uint64_t w0 = mono_ns();
    for (;;) {
        uint64_t waiting = id - h.assignments;
        if (!mark_id && waiting >= mark_at) {
            mark_live = ca.live;
            mark_id = id;
        }
        if (waiting >= o->backlog)
            break;
        if (id == max_id - steps - 1)
            bench_fail("the warm-up did not reach the backlog");
        now += 1;
        CHECK(usher_advance(e, now));
        uint32_t set, priority;
        wl_ticket(w, &rng, WL_CHANNELS, &set, &priority);
        ticket_set[++id] = set;
        CHECK(wl_engine_submit(w, e, id, set, priority));
        if (with_sla)
            sla_start(e, id, w->set[set].channel, priority);
    }
    f->warmup_s = (double)(mono_ns() - w0) / 1e9;
    f->bytes_per_ticket =
        id > mark_id ? (double)(ca.live - mark_live) / (double)(id - mark_id) : 0;

    /* The timed steps. */
    uint64_t t_start = mono_ns();
    for (uint64_t step = 0; step < steps; step++) {
        now += WL_STEP_MS;
        CHECK(usher_advance(e, now));
        uint32_t channel = WL_CHANNELS;
        if (h.assigned.count > 0) {
            uint64_t done = assigned_pick(&h.assigned, &rng);
            channel = w->set[ticket_set[done]].channel;
            assigned_remove(&h.assigned, done);
            if (with_sla) {
                CHECK(usher_sla_report(e, done, USHER_SLA_AGENT_REPLY));
                CHECK(usher_sla_report(e, done, USHER_SLA_SOLVED));
            }
            uint64_t before = h.assignments;
            uint64_t t0 = ticks();
            usher_status st = usher_ticket_complete(e, done, 0);
            uint64_t t1 = ticks();
            CHECK(st);
            if (h.assignments > before) {
                hist_add(f->decision, t1 - t0);
                f->decisions++;
            } else {
                hist_add(f->idle, t1 - t0);
            }
            if (with_sla)
                CHECK(usher_sla_forget(e, done));
        }
        uint32_t set, priority;
        wl_ticket(w, &rng, channel, &set, &priority);
        ticket_set[++id] = set;
        uint64_t before = h.assignments;
        uint64_t t0 = ticks();
        usher_status st = wl_engine_submit(w, e, id, set, priority);
        uint64_t t1 = ticks();
        CHECK(st);
        if (h.assignments > before) {
            hist_add(f->decision, t1 - t0);
            f->decisions++;
            f->at_submit++;
        } else {
            hist_add(f->filed, t1 - t0);
        }
        if (with_sla)
            sla_start(e, id, w->set[set].channel, priority);
    }
    uint64_t t_end = mono_ns();
    f->steps = steps;
    f->wall_s = (double)(t_end - t_start) / 1e9;
    f->steps_per_sec = (double)steps / f->wall_s;
    f->waiting_end = id - h.assignments;
    f->sla_warnings = h.sla_warnings;
    f->sla_breaches = h.sla_breaches;
    f->peak_rss = peak_rss_bytes();

    usher_engine_free(e);
    if (ca.live != 0)
        bench_fail("usher leaked %llu bytes", (unsigned long long)ca.live);
    free(ticket_set);
    assigned_free(&h.assigned);
}

/* ---- the linear-scan baseline -------------------------------------------------------- */

void drive_linear(const bench_opts *o, const workload *w, uint64_t steps, drive_figures *f)
{
    figures_init(f);
    assigned_set assigned;
    uint64_t max_id = o->backlog + (uint64_t)w->agents * WL_CAPACITY + steps + 16;
    assigned_init(&assigned, max_id);
    linear_router r;
    linear_init(&r, w, max_id, &assigned, WL_EPOCH_MS);

    uint64_t rng = o->seed * UINT64_C(0x9e3779b97f4a7c15) + 1; /* usher's warm-up stream */
    uint64_t id = 0;
    uint64_t w0 = mono_ns();
    r.setup = true;
    while (r.waiting_count < o->backlog) {
        if (id == max_id - steps - 1)
            bench_fail("the baseline warm-up did not reach the backlog");
        r.now += 1;
        uint32_t set, priority;
        wl_ticket(w, &rng, WL_CHANNELS, &set, &priority);
        linear_submit(&r, ++id, set, priority);
    }

    r.setup = false;
    f->warmup_s = (double)(mono_ns() - w0) / 1e9;
    uint64_t t_start = mono_ns();
    for (uint64_t step = 0; step < steps; step++) {
        r.now += WL_STEP_MS;
        uint32_t channel = WL_CHANNELS;
        if (assigned.count > 0) {
            uint64_t done = assigned_pick(&assigned, &rng);
            channel = w->set[r.ticket_set[done]].channel;
            uint64_t before = r.assignments;
            uint64_t t0 = ticks();
            linear_complete(&r, done);
            uint64_t t1 = ticks();
            if (r.assignments > before) {
                hist_add(f->decision, t1 - t0);
                f->decisions++;
            } else {
                hist_add(f->idle, t1 - t0);
            }
        }
        uint32_t set, priority;
        wl_ticket(w, &rng, channel, &set, &priority);
        uint64_t before = r.assignments;
        uint64_t t0 = ticks();
        linear_submit(&r, ++id, set, priority);
        uint64_t t1 = ticks();
        if (r.assignments > before) {
            hist_add(f->decision, t1 - t0);
            f->decisions++;
            f->at_submit++;
        } else {
            hist_add(f->filed, t1 - t0);
        }
    }
    uint64_t t_end = mono_ns();
    f->steps = steps;
    f->wall_s = (double)(t_end - t_start) / 1e9;
    f->steps_per_sec = (double)steps / f->wall_s;
    f->waiting_end = r.waiting_count;
    linear_free(&r);
    assigned_free(&assigned);
}

