/*
 * erlang_check: does the service level usher reports match queueing theory?
 *
 * For each configuration below, a seeded Poisson stream of calls with
 * exponential handle times (and, for some, exponential patience) is routed
 * by usher to c identical agents on one queue (direct assignment, first
 * come first served). The host only plays the callers: it submits each call,
 * completes it when its handle time is over and cancels it when its caller
 * hangs up. Service level, ASA, abandonment and occupancy are then read from
 * usher's own statistics (usher_queue_get_stats, usher_agent_get) and
 * printed beside usher_staffing_evaluate()'s Erlang C or Erlang A values.
 *
 *   erlang_check [--arrivals N] [--seed S]
 *
 * N measured calls per configuration (default 20,000: what `make check`
 * runs, under valgrind), after warm-up calls that are not measured (a tenth
 * of N, at least ten handle times' worth). The measured calls are cut into
 * BATCHES batches whose spread gives each figure's standard error (batch
 * means: successive calls are correlated, so the binomial formula would
 * understate it). A figure agrees when it is within
 * TOLERANCE_SE standard errors of theory, plus a rounding allowance (usher
 * counts whole milliseconds). With N >= 1,000,000 it must also be within
 * 0.5 percentage points (service level) and 2 % (ASA) of theory.
 * Exit status 0 when every figure agrees.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usher.h"

#define BATCHES 20
#define TOLERANCE_SE 5.0
#define FULL_SIZE 1000000
#define FULL_SL_POINTS 0.005
#define FULL_ASA_RELATIVE 0.02

typedef struct config {
    uint32_t agents;
    double erlangs;
    double handle_s;
    double within_s;
    double patience_s; /* 0: callers never hang up (Erlang C) */
} config;

/*
 * Small and large teams, light and heavy load, with and without patience.
 * Erlang C with many agents is left out on purpose: there waits are rare
 * and short, and their mean needs far more than 10^7 calls to settle within
 * 2 % (docs/STAFFING.md).
 */
static const config configs[] = {
    {1, 0.5, 60, 20, 0},        {5, 4, 120, 20, 0},          {14, 10, 180, 20, 0},
    {20, 15, 180, 20, 0},       {10, 12, 180, 20, 60},       {100, 100, 300, 20, 120},
    {1000, 1050, 300, 20, 120}, {5000, 5200, 300, 20, 180},
};

/* ------------------------------------------------------------------------
 * Randomness and the host's own event list
 * ------------------------------------------------------------------------ */

static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* An exponential draw of the given mean, in whole milliseconds. */
static uint64_t exponential_ms(uint64_t *rng, double mean_s)
{
    double u = (double)(next_random(rng) >> 11) / 9007199254740992.0; /* [0, 1) */
    return (uint64_t)llround(-log1p(-u) * mean_s * 1000);
}

enum happening { CALL_ENDS, CALLER_HANGS_UP };

typedef struct pending {
    uint64_t at_ms;
    uint64_t ticket;
    enum happening what;
} pending;

/* A binary min-heap on at_ms. */
typedef struct agenda {
    pending *items;
    size_t count, capacity;
} agenda;

static int agenda_push(agenda *a, pending p)
{
    if (a->count == a->capacity) {
        size_t capacity = a->capacity ? a->capacity * 2 : 1024;
        pending *items = realloc(a->items, capacity * sizeof *items);
        if (!items)
            return -1;
        a->items = items;
        a->capacity = capacity;
    }
    size_t i = a->count++;
    while (i > 0 && a->items[(i - 1) / 2].at_ms > p.at_ms) {
        a->items[i] = a->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    a->items[i] = p;
    return 0;
}

static pending agenda_pop(agenda *a)
{
    pending top = a->items[0], last = a->items[--a->count];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= a->count)
            break;
        if (child + 1 < a->count && a->items[child + 1].at_ms < a->items[child].at_ms)
            child++;
        if (a->items[child].at_ms >= last.at_ms)
            break;
        a->items[i] = a->items[child];
        i = child;
    }
    if (a->count > 0)
        a->items[i] = last;
    return top;
}

/* ------------------------------------------------------------------------
 * One run
 * ------------------------------------------------------------------------ */

enum call_state { CALL_WAITING, CALL_TALKING, CALL_OVER };

typedef struct run {
    const config *cfg;
    usher_engine *engine;
    uint64_t rng;
    agenda agenda;
    unsigned char *state; /* enum call_state per ticket id */
    int failed;
} run;

/* usher's callback: an assigned call is talked through for an exponential
 * handle time. */
static void on_event(void *user, const usher_event *ev)
{
    run *r = user;
    if (ev->type != USHER_EVENT_TICKET_ASSIGNED)
        return;
    r->state[ev->ticket_id] = CALL_TALKING;
    pending end = {ev->time_ms + exponential_ms(&r->rng, r->cfg->handle_s), ev->ticket_id,
                   CALL_ENDS};
    if (agenda_push(&r->agenda, end) != 0)
        r->failed = 1;
}

/* Cumulative counters at one moment; a batch is the difference of two. */
typedef struct counters {
    uint64_t answered, answered_in_sl, answer_wait_ms, abandoned;
    uint64_t busy_ms, logged_in_ms;
} counters;

static counters read_counters(const run *r)
{
    usher_queue_stats qs = {.struct_size = sizeof qs};
    counters c = {0};
    if (usher_queue_get_stats(r->engine, 0, &qs) != USHER_OK)
        return c;
    c.answered = qs.answered;
    c.answered_in_sl = qs.answered_in_sl;
    c.answer_wait_ms = qs.answer_wait_ms;
    c.abandoned = qs.abandoned;
    for (uint32_t a = 1; a <= r->cfg->agents; a++) {
        usher_agent_info info = {.struct_size = sizeof info};
        if (usher_agent_get(r->engine, a, &info) == USHER_OK) {
            c.busy_ms += info.busy_ms;
            c.logged_in_ms += info.logged_in_ms;
        }
    }
    return c;
}

static counters difference(counters later, counters earlier)
{
    return (counters){
        later.answered - earlier.answered,     later.answered_in_sl - earlier.answered_in_sl,
        later.answer_wait_ms - earlier.answer_wait_ms, later.abandoned - earlier.abandoned,
        later.busy_ms - earlier.busy_ms,       later.logged_in_ms - earlier.logged_in_ms,
    };
}

static usher_status set_up(run *r)
{
    usher_status s = usher_engine_new(NULL, &r->engine);
    if (s != USHER_OK)
        return s;
    usher_set_event_handler(r->engine, on_event, r);
    usher_channel_def channel;
    usher_channel_def_init(&channel);
    usher_queue_def queue;
    usher_queue_def_init(&queue);
    queue.service_level_ms = (uint64_t)llround(r->cfg->within_s * 1000);
    if ((s = usher_channel_add(r->engine, 0, &channel)) != USHER_OK ||
        (s = usher_queue_add(r->engine, 0, &queue)) != USHER_OK)
        return s;
    for (uint32_t a = 1; a <= r->cfg->agents && s == USHER_OK; a++) {
        s = usher_agent_add(r->engine, a, 1);
        if (s == USHER_OK)
            s = usher_agent_set_state(r->engine, a, USHER_AGENT_AVAILABLE, 0);
    }
    return s;
}

/* Moves usher's clock to `at` and lets the pending happening take place. */
static usher_status happen(run *r, pending p)
{
    usher_status s = usher_advance(r->engine, p.at_ms);
    if (s != USHER_OK)
        return s;
    if (p.what == CALL_ENDS) {
        r->state[p.ticket] = CALL_OVER;
        return usher_ticket_complete(r->engine, p.ticket, 0);
    }
    if (r->state[p.ticket] != CALL_WAITING)
        return USHER_OK; /* answered before the caller ran out of patience */
    r->state[p.ticket] = CALL_OVER;
    return usher_ticket_cancel(r->engine, p.ticket);
}

static usher_status call_arrives(run *r, uint64_t ticket, uint64_t now)
{
    usher_status s = usher_advance(r->engine, now);
    if (s != USHER_OK)
        return s;
    r->state[ticket] = CALL_WAITING;
    if (r->cfg->patience_s > 0) {
        pending hang_up = {now + exponential_ms(&r->rng, r->cfg->patience_s), ticket,
                           CALLER_HANGS_UP};
        if (agenda_push(&r->agenda, hang_up) != 0)
            return USHER_ENOMEM;
    }
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    return usher_ticket_submit(r->engine, ticket, &spec);
}

/*
 * Calls routed before measuring starts: a tenth of the measured ones, and at
 * least ten handle times' worth, which brings a large team from idle to
 * its steady state.
 */
static uint64_t warm_up_calls(const config *cfg, uint64_t arrivals)
{
    uint64_t ten_handle_times = (uint64_t)(10 * cfg->erlangs);
    return arrivals / 10 > ten_handle_times ? arrivals / 10 : ten_handle_times;
}

/*
 * Routes the warm-up calls, then `arrivals` measured ones; batch[k] receives the counters of the k-th
 * measured stretch of arrivals.
 */
static usher_status simulate(run *r, uint64_t arrivals, counters batch[BATCHES])
{
    double per_s = r->cfg->erlangs / r->cfg->handle_s;
    uint64_t warm_up = warm_up_calls(r->cfg, arrivals), per_batch = arrivals / BATCHES;
    uint64_t next_arrival = exponential_ms(&r->rng, 1 / per_s);
    counters mark = {0};
    usher_status s = USHER_OK;
    /* The call after the last one does not arrive: its turn closes the
     * last batch. */
    uint64_t last = warm_up + arrivals;
    for (uint64_t ticket = 1; ticket <= last + 1 && s == USHER_OK && !r->failed; ticket++) {
        while (s == USHER_OK && r->agenda.count > 0 && r->agenda.items[0].at_ms <= next_arrival)
            s = happen(r, agenda_pop(&r->agenda));
        if (s != USHER_OK)
            break;
        uint64_t measured = ticket - 1 - warm_up; /* wraps while warming up */
        if (ticket - 1 == warm_up)
            mark = read_counters(r);
        else if (ticket - 1 > warm_up && measured % per_batch == 0 &&
                 measured / per_batch <= BATCHES) {
            counters now = read_counters(r);
            batch[measured / per_batch - 1] = difference(now, mark);
            mark = now;
        }
        if (ticket <= last)
            s = call_arrives(r, ticket, next_arrival);
        next_arrival += exponential_ms(&r->rng, 1 / per_s);
    }
    return r->failed ? USHER_ENOMEM : s;
}

/* ------------------------------------------------------------------------
 * Comparison with theory
 * ------------------------------------------------------------------------ */

typedef struct estimate {
    double value, standard_error;
} estimate;

/* The ratio of sums over the batches, and its batch-means standard error. */
static estimate ratio(const counters batch[BATCHES], double (*top)(const counters *),
                      double (*bottom)(const counters *))
{
    double top_sum = 0, bottom_sum = 0, values[BATCHES];
    for (int k = 0; k < BATCHES; k++) {
        top_sum += top(&batch[k]);
        bottom_sum += bottom(&batch[k]);
        values[k] = bottom(&batch[k]) > 0 ? top(&batch[k]) / bottom(&batch[k]) : 0;
    }
    estimate e = {bottom_sum > 0 ? top_sum / bottom_sum : 0, 0};
    double spread = 0;
    for (int k = 0; k < BATCHES; k++)
        spread += (values[k] - e.value) * (values[k] - e.value);
    e.standard_error = sqrt(spread / (BATCHES - 1) / BATCHES);
    return e;
}

static double in_sl(const counters *c) { return (double)c->answered_in_sl; }
static double answered(const counters *c) { return (double)c->answered; }
static double offered(const counters *c) { return (double)(c->answered + c->abandoned); }
static double abandoned(const counters *c) { return (double)c->abandoned; }
static double wait_s(const counters *c) { return (double)c->answer_wait_ms / 1000; }
static double busy(const counters *c) { return (double)c->busy_ms; }
static double logged_in(const counters *c) { return (double)c->logged_in_ms; }

/* Prints one figure and says whether it agrees with theory. */
static int agrees(const char *name, estimate measured, double theory, double rounding,
                  double full_size_limit, uint64_t arrivals)
{
    double gap = fabs(measured.value - theory);
    int ok = gap <= TOLERANCE_SE * measured.standard_error + rounding;
    if (arrivals >= FULL_SIZE && full_size_limit > 0)
        ok = ok && gap <= full_size_limit;
    printf("  %-12s %12.4f %12.4f %10.4f %s\n", name, theory, measured.value,
           measured.standard_error, ok ? "ok" : "DISAGREES");
    return ok;
}

static int check_config(const config *cfg, uint64_t arrivals, uint64_t seed)
{
    usher_staffing_input in;
    usher_staffing_input_init(&in);
    in.agents = cfg->agents;
    in.arrivals_per_hour = cfg->erlangs / cfg->handle_s * 3600;
    in.handle_time_s = cfg->handle_s;
    in.answer_within_s = cfg->within_s;
    in.patience_s = cfg->patience_s;
    usher_staffing_result theory = {.struct_size = sizeof theory};
    run r = {.cfg = cfg, .rng = seed};
    counters batch[BATCHES] = {{0}};
    r.state = calloc(warm_up_calls(cfg, arrivals) + arrivals + 1, 1);
    usher_status s = r.state ? usher_staffing_evaluate(&in, &theory) : USHER_ENOMEM;
    if (s == USHER_OK)
        s = set_up(&r);
    if (s == USHER_OK)
        s = simulate(&r, arrivals, batch);
    usher_engine_free(r.engine);
    free(r.agenda.items);
    free(r.state);
    if (s != USHER_OK) {
        fprintf(stderr, "erlang_check: %s (%s)\n", usher_strerror(s), usher_status_name(s));
        return 0;
    }

    printf("\n%" PRIu32 " agents, %.1f Erlangs (load %.0f %%), %.0f s handle time, "
           "answer within %.0f s, %s\n",
           cfg->agents, cfg->erlangs, 100 * cfg->erlangs / cfg->agents, cfg->handle_s,
           cfg->within_s, cfg->patience_s > 0 ? "callers hang up (Erlang A)" : "Erlang C");
    if (cfg->patience_s > 0)
        printf("  mean patience %.0f s\n", cfg->patience_s);
    printf("  %-12s %12s %12s %10s\n", "figure", "theory", "usher", "std.err.");
    /* A wait is counted in whole ms: up to 1 ms off near the threshold and
     * in the mean. */
    double ms = 0.001;
    int ok = agrees("SL", ratio(batch, in_sl, offered), theory.service_level,
                    ms * 5 / cfg->handle_s, FULL_SL_POINTS, arrivals);
    ok &= agrees("ASA (s)", ratio(batch, wait_s, answered), theory.asa_s, ms,
                 FULL_ASA_RELATIVE * theory.asa_s, arrivals);
    ok &= agrees("occupancy", ratio(batch, busy, logged_in), theory.occupancy, 0.001, 0,
                 arrivals);
    if (cfg->patience_s > 0)
        ok &= agrees("abandoned", ratio(batch, abandoned, offered), theory.abandon_probability,
                     0, 0, arrivals);
    return ok;
}

static int usage(void)
{
    fprintf(stderr, "usage: erlang_check [--arrivals N] [--seed S]\n"
                    "  N measured calls per configuration, 2,000 .. 100,000,000 (default 20,000)\n");
    return 2;
}

int main(int argc, char **argv)
{
    uint64_t arrivals = 20000, seed = 1;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (i + 1 < argc && strcmp(argv[i], "--arrivals") == 0)
            arrivals = strtoull(argv[++i], &end, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--seed") == 0)
            seed = strtoull(argv[++i], &end, 10);
        else
            return usage();
        if (!end || *end != '\0')
            return usage();
    }
    if (arrivals < 2000 || arrivals > 100000000)
        return usage();

    printf("usher %s against Erlang C / Erlang A: %" PRIu64 " calls per configuration, "
           "seed %" PRIu64 "\n(agreement: within %.0f batch-means standard errors",
           usher_version(), arrivals, seed, TOLERANCE_SE);
    if (arrivals >= FULL_SIZE)
        printf(", and 0.5 points of SL and 2 %% of ASA");
    printf(")\n");
    int all = 1;
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
        all &= check_config(&configs[i], arrivals, seed + i);
    printf("\n%s\n", all ? "every figure agrees with theory"
                         : "SOME FIGURES DISAGREE WITH THEORY");
    return all ? 0 : 1;
}
