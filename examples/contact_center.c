/*
 * A simulated contact-center day driven through usher.
 *
 * Everything is generated from one seed by the PRNG below: a few hundred
 * agents with languages, products and levels, working shifts with breaks;
 * customers who call, chat and write e-mails along a daily curve with a
 * morning peak; repeat contacts; callers who hang up when they have waited
 * longer than their patience. The program is the host: it keeps its own
 * calendar of what happens next (arrivals, the end of each conversation,
 * patience running out, log-ins, breaks) and moves the engine's clock to
 * whichever comes first, its own next event or the engine's next deadline
 * (usher_next_deadline: wrap-ups ending, cool-downs). The engine decides who
 * takes what; the host only reports what happened.
 *
 * At the end it prints the day's service levels per hour, queue, channel and
 * agent group, how fast usher routed, and the result of its own cross-checks:
 * every assignment is verified against the agent's skills, limits and
 * capacity as the host knows them, and the engine's queue counters against
 * the host's own counts.
 *
 *   contact_center [--agents N] [--tickets N] [--seed N]
 *
 * Exit status: 0; 1 if an usher call failed unexpectedly; 2 for a bad
 * option; 3 if a cross-check failed (the report says which, on stderr).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "usher.h"

#define SEC_MS UINT64_C(1000)
#define MIN_MS UINT64_C(60000)
#define HOUR_MS UINT64_C(3600000)
#define DAY_MINUTES 1440u
#define CLOSE_MS (20 * HOUR_MS) /* phones and chat are open 07:00-20:00 */
#define LAST_MINUTE (21 * 60u)  /* the host's minute ticks stop at 21:00 */
#define INCIDENT_START (13 * HOUR_MS + 30 * MIN_MS)
#define INCIDENT_END (14 * HOUR_MS + 15 * MIN_MS)
#define PI 3.14159265358979323846
/* The share of --tickets drawn from the daily curve: customers who try
 * again and the incident bring the rest. */
#define FIRST_CONTACTS 0.88

/* ------------------------------------------------------------------------
 * The model: channels, skills, queues, agent groups
 * ------------------------------------------------------------------------ */

enum { CH_VOICE, CH_CHAT, CH_EMAIL, N_CH };
enum { LANG_EN, LANG_ES, LANG_DE, N_LANG };
enum { PROD_BILLING, PROD_TECH, PROD_SALES, N_PROD };
enum { TOPIC_NETWORK, TOPIC_DEVICES, TOPIC_ACCOUNTS, N_TOPIC };
enum { Q_VOICE_BILLING, Q_VOICE_TECH, Q_VOICE_SALES, Q_CHAT, Q_EMAIL, Q_ESCALATION, N_QUEUE };
enum { PROF_VOICE, PROF_CHAT, PROF_DIGITAL, PROF_EMAIL, PROF_SENIOR, N_PROF };
/* Host-defined away reasons. */
enum { AWAY_BREAK = 1, AWAY_LUNCH = 2, AWAY_COACHING = 3, AWAY_END_OF_SHIFT = 4, N_AWAY };

static const char *const channel_names[N_CH] = {"voice", "chat", "e-mail"};
static const char *const lang_names[N_LANG] = {"en", "es", "de"};
static const char *const prod_names[N_PROD] = {"billing", "tech", "sales"};
static const char *const topic_names[N_TOPIC] = {"tech-network", "tech-devices", "tech-accounts"};

/* Voice is a phone call: exclusive, and its wrap-up blocks the agent. */
static const struct {
    uint32_t flags, max_per_agent;
    uint64_t wrapup_ms;
} channel_defs[N_CH] = {
    {USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_WRAPUP_BLOCKS_AGENT, 0, 30 * SEC_MS},
    {0, 3, 10 * SEC_MS},
    {0, 5, 0},
};

static const struct {
    const char *name, *strategy_name;
    uint32_t strategy, ageing_rate;
    uint32_t tier_weight[4];
    uint64_t service_level_ms;
} queue_defs[N_QUEUE] = {
    {"voice-billing",
     "longest idle",
     USHER_STRATEGY_LONGEST_IDLE,
     1000,
     {0, 60, 150, 300},
     20 * SEC_MS},
    {"voice-tech", "best skill", USHER_STRATEGY_BEST_SKILL, 1000, {0, 60, 150, 300}, 20 * SEC_MS},
    {"voice-sales",
     "round robin",
     USHER_STRATEGY_ROUND_ROBIN,
     1000,
     {0, 100, 200, 300},
     20 * SEC_MS},
    {"chat", "most free", USHER_STRATEGY_MOST_FREE, 1000, {0, 40, 100, 200}, 60 * SEC_MS},
    {"e-mail",
     "fewest assigned",
     USHER_STRATEGY_FEWEST_ASSIGNMENTS,
     100,
     {0, 100, 200, 400},
     4 * HOUR_MS},
    {"escalations", "best skill", USHER_STRATEGY_BEST_SKILL, 2000, {0, 60, 150, 300}, 30 * SEC_MS},
};

/* Service-level targets per channel, for the per-channel report. */
static const uint64_t channel_sl_ms[N_CH] = {20 * SEC_MS, 60 * SEC_MS, 4 * HOUR_MS};

/* Agent groups: share of the staff, capacity in units, and the channels
 * they take (each at the channel's own limit; the others at limit 0). */
static const struct {
    const char *name;
    double share;
    uint32_t capacity;
    bool serves[N_CH];
} profiles[N_PROF] = {
    {"voice", 0.53, 1, {true, false, false}},      {"chat", 0.16, 3, {false, true, false}},
    {"chat+e-mail", 0.12, 6, {false, true, true}}, {"e-mail", 0.10, 5, {false, false, true}},
    {"senior", 0.09, 3, {true, true, false}},
};

/* Shift templates: start and length; part-time ones are at most a third of
 * a team. Breaks are placed relative to the start. */
static const struct {
    uint64_t start, length;
    bool part_time;
} shifts[] = {
    {7 * HOUR_MS, 510 * MIN_MS, false},
    {7 * HOUR_MS + 30 * MIN_MS, 510 * MIN_MS, false},
    {8 * HOUR_MS, 510 * MIN_MS, false},
    {8 * HOUR_MS + 30 * MIN_MS, 510 * MIN_MS, false},
    {9 * HOUR_MS, 510 * MIN_MS, false},
    {9 * HOUR_MS + 30 * MIN_MS, 510 * MIN_MS, false},
    {10 * HOUR_MS, 510 * MIN_MS, false},
    {10 * HOUR_MS + 30 * MIN_MS, 510 * MIN_MS, false},
    {11 * HOUR_MS, 510 * MIN_MS, false},
    {11 * HOUR_MS + 30 * MIN_MS, 510 * MIN_MS, false},
    {12 * HOUR_MS, 510 * MIN_MS, false},
    {12 * HOUR_MS + 30 * MIN_MS, 510 * MIN_MS, false},
    {7 * HOUR_MS + 30 * MIN_MS, 270 * MIN_MS, true},
    {8 * HOUR_MS, 270 * MIN_MS, true},
    {8 * HOUR_MS + 30 * MIN_MS, 270 * MIN_MS, true},
    {9 * HOUR_MS, 270 * MIN_MS, true},
    {9 * HOUR_MS + 30 * MIN_MS, 270 * MIN_MS, true},
    {13 * HOUR_MS, 270 * MIN_MS, true},
    {15 * HOUR_MS + 30 * MIN_MS, 270 * MIN_MS, true},
};
#define N_SHIFTS (sizeof shifts / sizeof shifts[0])

/* ------------------------------------------------------------------------
 * PRNG: splitmix64, and the distributions the day needs
 * ------------------------------------------------------------------------ */

typedef struct rng {
    uint64_t state;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_uniform(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

/* Uniform integer in [lo, hi]. */
static uint32_t rng_range(rng *r, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(rng_uniform(r) * (double)(hi - lo + 1));
}

static bool rng_chance(rng *r, double p) { return rng_uniform(r) < p; }

static double rng_normal(rng *r)
{
    double u1 = 1.0 - rng_uniform(r), u2 = rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * PI * u2);
}

static double rng_exponential(rng *r, double mean) { return -log(1.0 - rng_uniform(r)) * mean; }

static double rng_lognormal(rng *r, double median, double sigma)
{
    return median * exp(sigma * rng_normal(r));
}

/* Poisson by Knuth's method, in chunks small enough for exp(-lambda). */
static uint32_t rng_poisson(rng *r, double lambda)
{
    uint32_t n = 0;
    while (lambda > 0.0) {
        double chunk = lambda > 20.0 ? 20.0 : lambda;
        lambda -= chunk;
        double limit = exp(-chunk), p = 1.0;
        for (;;) {
            p *= rng_uniform(r);
            if (p <= limit)
                break;
            n++;
        }
    }
    return n;
}

/* An index drawn from a table of weights that sum to 1. */
static unsigned rng_pick(rng *r, const double *weights, unsigned n)
{
    double u = rng_uniform(r);
    for (unsigned i = 0; i + 1 < n; i++) {
        if (u < weights[i])
            return i;
        u -= weights[i];
    }
    return n - 1;
}

static const double lang_mix[N_LANG] = {0.72, 0.18, 0.10};
static const double prod_mix[N_PROD] = {0.45, 0.35, 0.20};
static const double topic_mix[N_TOPIC] = {0.40, 0.35, 0.25};
static const double tier_mix[4] = {0.70, 0.20, 0.08, 0.02};
static const double channel_mix[N_CH] = {0.50, 0.32, 0.18};

/* ------------------------------------------------------------------------
 * The host's state
 * ------------------------------------------------------------------------ */

enum { T_WAITING = 1, T_ASSIGNED, T_ABANDONED, T_COMPLETED };

typedef struct ticket {
    uint64_t created, assigned;
    uint32_t agent; /* index + 1 while assigned */
    uint32_t customer;
    uint32_t gen; /* bumped when requeued: older calendar entries are stale */
    uint8_t channel, queue, product, topic, tier, lang, state;
    uint8_t lang_level, product_level; /* the minimum levels required */
    bool answered;
} ticket;

typedef struct customer {
    uint8_t lang, tier, product, topic;
    uint16_t contacts;
} customer;

enum { A_OFFLINE, A_AVAILABLE, A_AWAY };

typedef struct agent {
    uint64_t shift_start, shift_end;
    uint64_t capped_until; /* cool-down in force, as the engine reported it */
    uint32_t profile, capacity;
    uint32_t limit[N_CH]; /* 0: never */
    uint32_t active[N_CH], wrapping[N_CH];
    uint8_t lang[N_LANG], prod[N_PROD], topic[N_TOPIC];
    uint8_t state, reason;
    bool leaving; /* shift over, finishing the work in hand */
} agent;

/* The host's calendar: a binary heap ordered by time, then insertion. */
enum {
    EV_MINUTE,   /* id: minute of the day; draws that minute's arrivals */
    EV_ARRIVAL,  /* aux: channel, +8 for the incident */
    EV_RETRY,    /* id: customer, aux: channel; a customer contacts again */
    EV_PATIENCE, /* id: ticket, aux: generation */
    EV_COMPLETE, /* id: ticket, aux: generation */
    EV_LOGIN,    /* id: agent */
    EV_BREAK,    /* id: agent, aux: reason */
    EV_BREAK_END,
    EV_CRASH,  /* id: agent; the agent's PC crashes, it drops out */
    EV_RETURN, /* id: agent, back after a crash */
    EV_SHIFT_END,
    EV_LEAVE_CHECK /* id: agent; may log out now that its work is done */
};

typedef struct hev {
    uint64_t time, seq, id;
    uint32_t kind, aux;
} hev;

typedef struct counts {
    uint64_t offered, answered, in_sl, wait_ms, abandoned, completed, waiting;
    uint64_t longest_wait_ms; /* of those still waiting */
} counts;

typedef struct sim {
    usher_engine *engine;
    uint32_t n_agents;
    uint64_t tickets_wanted, seed;
    rng setup, arrivals, behaviour;
    uint32_t skill_lang[N_LANG], skill_prod[N_PROD], skill_topic[N_TOPIC];

    agent *agents;
    ticket *tickets;
    size_t n_tickets, cap_tickets;
    customer *customers;
    size_t n_customers, cap_customers;
    hev *heap;
    size_t heap_n, heap_cap;
    uint64_t heap_seq;

    double rate[N_CH][DAY_MINUTES]; /* expected arrivals per minute */
    uint64_t now;
    uint32_t logged_in;
    bool oom;

    /* What the host counted itself. */
    counts by_queue[N_QUEUE], by_channel[N_CH];
    uint64_t hour_arrivals[24], hour_staffed[24], hour_voice_answered[24], hour_voice_in_sl[24];
    uint64_t hour_voice_wait[24], hour_voice_offered[24], hour_voice_abandoned[24];
    uint64_t assignments, requeued, repeat_contacts, incident_contacts;
    uint64_t breaks[N_AWAY], crashes, cooldowns, agent_handled[N_PROF];

    /* Cross-checks. */
    uint64_t violations;

    /* Time inside usher during the day. */
    uint64_t usher_ns, usher_calls;
} sim;

static void sim_free(sim *s)
{
    if (!s)
        return;
    usher_engine_free(s->engine);
    free(s->agents);
    free(s->tickets);
    free(s->customers);
    free(s->heap);
    free(s);
}

static sim *current; /* for fail(): the one simulation of this process */

static void fail(const char *what, usher_status status)
{
    fprintf(stderr, "contact_center: %s: %s (%s)\n", what, usher_strerror(status),
            usher_status_name(status));
    sim_free(current);
    exit(1);
}

static void fail_oom(void)
{
    fprintf(stderr, "contact_center: out of memory\n");
    sim_free(current);
    exit(1);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Every usher call of the day goes through CALL: timed, counted, and any
 * status but USHER_OK ends the program. */
#define CALL(s, expr)                                                                              \
    do {                                                                                           \
        uint64_t t0_ = mono_ns();                                                                  \
        usher_status st_ = (expr);                                                                 \
        (s)->usher_ns += mono_ns() - t0_;                                                          \
        (s)->usher_calls++;                                                                        \
        if (st_ != USHER_OK)                                                                       \
            fail(#expr, st_);                                                                      \
        if ((s)->oom)                                                                              \
            fail_oom();                                                                            \
    } while (0)

static void violation(sim *s, const char *fmt, ...)
{
    if (s->violations++ < 10) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "contact_center: check failed at %" PRIu64 " ms: ", s->now);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
}

static bool grow(void **array, size_t *cap, size_t size)
{
    size_t n = *cap ? *cap * 2 : 1024;
    void *p = realloc(*array, n * size);
    if (!p)
        return false;
    *array = p;
    *cap = n;
    return true;
}

/* ------------------------------------------------------------------------
 * The calendar
 * ------------------------------------------------------------------------ */

static bool hev_before(const hev *a, const hev *b)
{
    return a->time != b->time ? a->time < b->time : a->seq < b->seq;
}

/* May run inside the event callback: on failure it only raises s->oom. */
static void schedule(sim *s, uint64_t time, uint32_t kind, uint64_t id, uint32_t aux)
{
    if (s->heap_n == s->heap_cap && !grow((void **)&s->heap, &s->heap_cap, sizeof(hev))) {
        s->oom = true;
        return;
    }
    hev e = {time, s->heap_seq++, id, kind, aux};
    size_t i = s->heap_n++;
    while (i > 0 && hev_before(&e, &s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = e;
}

static hev unschedule_first(sim *s)
{
    hev top = s->heap[0], last = s->heap[--s->heap_n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->heap_n)
            break;
        if (c + 1 < s->heap_n && hev_before(&s->heap[c + 1], &s->heap[c]))
            c++;
        if (!hev_before(&s->heap[c], &last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->heap_n)
        s->heap[i] = last;
    return top;
}

/* ------------------------------------------------------------------------
 * The day's curves
 * ------------------------------------------------------------------------ */

static double bump(double h, double centre, double width)
{
    double x = (h - centre) / width;
    return exp(-0.5 * x * x);
}

/* Relative arrival intensity of a channel at hour h (fractional). Phones and
 * chat peak mid-morning with a smaller afternoon wave; e-mail also arrives
 * overnight and waits for the morning. */
static double intensity(unsigned channel, double h)
{
    bool open = h >= 7.0 && h < 20.0;
    switch (channel) {
    case CH_VOICE:
        return open ? 0.25 + bump(h, 10.0, 1.3) + 0.6 * bump(h, 14.5, 1.6) : 0.0;
    case CH_CHAT:
        return open ? 0.30 + bump(h, 11.0, 1.6) + 0.7 * bump(h, 15.0, 1.8) : 0.0;
    default:
        return h < 7.0 ? 0.25 : h < 20.0 ? 0.25 + 0.6 * bump(h, 10.5, 2.0) : 0.0;
    }
}

static void build_curves(sim *s)
{
    for (unsigned c = 0; c < N_CH; c++) {
        double total = 0.0;
        for (unsigned m = 0; m < DAY_MINUTES; m++)
            total += s->rate[c][m] = intensity(c, (m + 0.5) / 60.0);
        double scale = (double)s->tickets_wanted * FIRST_CONTACTS * channel_mix[c] / total;
        for (unsigned m = 0; m < DAY_MINUTES; m++)
            s->rate[c][m] *= scale;
    }
}

/* ------------------------------------------------------------------------
 * Setting up the engine: channels, skills, queues, agents and their shifts
 * ------------------------------------------------------------------------ */

static void on_event(void *user, const usher_event *ev);

static void setup_engine(sim *s)
{
    usher_config config;
    usher_config_init(&config);
    config.seed = s->seed;
    usher_status st = usher_engine_new(&config, &s->engine);
    if (st != USHER_OK)
        fail("usher_engine_new", st);
    CALL(s, usher_set_event_handler(s->engine, on_event, s));

    for (uint32_t c = 0; c < N_CH; c++) {
        usher_channel_def def;
        usher_channel_def_init(&def);
        def.flags = channel_defs[c].flags;
        def.cost = 1;
        def.max_per_agent = channel_defs[c].max_per_agent;
        def.wrapup_ms = channel_defs[c].wrapup_ms;
        CALL(s, usher_channel_add(s->engine, c, &def));
    }
    for (unsigned i = 0; i < N_LANG; i++)
        CALL(s, usher_skill_intern(s->engine, lang_names[i], &s->skill_lang[i]));
    for (unsigned i = 0; i < N_PROD; i++)
        CALL(s, usher_skill_intern(s->engine, prod_names[i], &s->skill_prod[i]));
    for (unsigned i = 0; i < N_TOPIC; i++)
        CALL(s, usher_skill_intern(s->engine, topic_names[i], &s->skill_topic[i]));

    for (uint32_t q = 0; q < N_QUEUE; q++) {
        usher_queue_def def;
        usher_queue_def_init(&def);
        def.strategy = queue_defs[q].strategy;
        def.ageing_rate = queue_defs[q].ageing_rate;
        for (unsigned t = 0; t < 4; t++)
            def.tier_weight[t] = queue_defs[q].tier_weight[t];
        def.service_level_ms = queue_defs[q].service_level_ms;
        CALL(s, usher_queue_add(s->engine, q + 1, &def));
    }
}

/* Skills of an agent of a group, drawn from the setup stream. */
static void draw_skills(sim *s, agent *a)
{
    rng *r = &s->setup;
    if (a->profile == PROF_SENIOR) {
        a->lang[LANG_EN] = (uint8_t)rng_range(r, 8, 10);
        unsigned second = rng_range(r, 0, 2); /* 0: none, else es or de */
        if (second)
            a->lang[second] = (uint8_t)rng_range(r, 7, 9);
        for (unsigned p = 0; p < N_PROD; p++)
            a->prod[p] = (uint8_t)rng_range(r, 8, 10);
        for (unsigned t = 0; t < N_TOPIC; t++)
            a->topic[t] = (uint8_t)rng_range(r, 5, 9);
        return;
    }
    a->lang[LANG_EN] = (uint8_t)rng_range(r, 5, 9);
    /* Bilingual agents also take English work, so they outnumber their
     * customers. */
    double u = rng_uniform(r);
    if (u < 0.32)
        a->lang[LANG_ES] = (uint8_t)rng_range(r, 6, 9);
    else if (u < 0.52)
        a->lang[LANG_DE] = (uint8_t)rng_range(r, 6, 9);
    /* Trained in proportion to the work: tech calls are longer. */
    static const double training_mix[N_PROD] = {0.36, 0.44, 0.20};
    unsigned primary = rng_pick(r, training_mix, N_PROD);
    a->prod[primary] = (uint8_t)rng_range(r, 4, 7);
    if (rng_chance(r, 0.7)) {
        unsigned other = (primary + rng_range(r, 1, 2)) % N_PROD;
        a->prod[other] = (uint8_t)rng_range(r, 3, 6);
    }
    if (a->prod[PROD_TECH]) {
        unsigned t = rng_pick(r, topic_mix, N_TOPIC);
        a->topic[t] = (uint8_t)rng_range(r, 3, 8);
        if (rng_chance(r, 0.4))
            a->topic[(t + 1) % N_TOPIC] = (uint8_t)rng_range(r, 3, 6);
    }
}

static double profile_demand(unsigned profile, double h)
{
    double d = 0.0;
    for (unsigned c = 0; c < N_CH; c++) {
        if (!profiles[profile].serves[c])
            continue;
        /* E-mail waits: it is worked through the day, not at its peaks. */
        d += c == CH_EMAIL ? (h >= 7.0 && h < 19.0 ? 0.5 : 0.0) : intensity(c, h);
    }
    /* Small teams need a floor of cover whatever the volume. */
    return d > 0.0 ? d + 0.2 : 0.0;
}

/* Rostering, team by team (a team is an agent group and a second language,
 * so that Spanish and German speakers are on duty all day). The team's
 * cover target follows its demand; each agent in turn takes the shift
 * template that fills most of what is still missing (and costs least where
 * the cover is already above target). Part-time shifts, for the peaks, are
 * at most a third of a team. Stores each member's template in shift_of. */
static void roster(unsigned profile, const uint32_t *members, uint32_t n, uint8_t *shift_of)
{
    double target[96], total = 0.0;
    for (unsigned i = 0; i < 96; i++)
        total += target[i] = profile_demand(profile, (i + 0.5) / 4.0);
    for (unsigned i = 0; i < 96; i++)
        target[i] *= 30.0 * n / total; /* about 30 quarter-hours per agent */
    double cover[96] = {0};
    uint32_t part = 0;
    for (uint32_t j = 0; j < n; j++) {
        unsigned best = 0;
        double best_score = -1e300;
        for (unsigned k = 0; k < N_SHIFTS; k++) {
            if (shifts[k].part_time && (part + 1) * 3 > n)
                continue;
            unsigned first = (unsigned)(shifts[k].start / (15 * MIN_MS));
            unsigned slots = (unsigned)(shifts[k].length / (15 * MIN_MS));
            double score = 0.0;
            for (unsigned i = first; i < first + slots && i < 96; i++)
                score += target[i] - cover[i];
            if (score > best_score) {
                best_score = score;
                best = k;
            }
        }
        unsigned first = (unsigned)(shifts[best].start / (15 * MIN_MS));
        unsigned slots = (unsigned)(shifts[best].length / (15 * MIN_MS));
        for (unsigned i = first; i < first + slots && i < 96; i++)
            cover[i] += 1.0;
        part += shifts[best].part_time;
        shift_of[members[j]] = (uint8_t)best;
    }
}

static uint64_t jitter(rng *r, uint64_t at, uint64_t spread)
{
    return at - spread + rng_range(r, 0, (uint32_t)(2 * spread / MIN_MS)) * MIN_MS;
}

static void setup_agents(sim *s)
{
    s->agents = calloc(s->n_agents, sizeof(agent));
    if (!s->agents)
        fail_oom();
    /* Group sizes: the shares rounded down, the rest spread over the groups. */
    uint32_t group_of[N_PROF + 1] = {0};
    uint32_t size[N_PROF], total = 0;
    for (unsigned p = 0; p < N_PROF; p++)
        total += size[p] = (uint32_t)(profiles[p].share * s->n_agents);
    for (unsigned p = 0; total < s->n_agents; p = (p + 1) % N_PROF, total++)
        size[p]++;
    for (unsigned p = 0; p < N_PROF; p++)
        group_of[p + 1] = group_of[p] + size[p];

    uint8_t *shift_of = calloc(s->n_agents, 1);
    uint32_t *members = calloc(s->n_agents, sizeof(uint32_t));
    if (!shift_of || !members) {
        free(shift_of);
        free(members);
        fail_oom();
    }
    for (unsigned p = 0; p < N_PROF; p++) {
        for (uint32_t i = group_of[p]; i < group_of[p + 1]; i++) {
            agent *a = &s->agents[i];
            a->profile = p;
            a->capacity = profiles[p].capacity;
            draw_skills(s, a);
            for (uint32_t c = 0; c < N_CH; c++) {
                uint32_t lim = channel_defs[c].max_per_agent;
                a->limit[c] = !profiles[p].serves[c]     ? 0
                              : lim && lim < a->capacity ? lim
                                                         : a->capacity;
            }
        }
        for (unsigned team = 0; team < N_LANG; team++) {
            uint32_t n = 0;
            for (uint32_t i = group_of[p]; i < group_of[p + 1]; i++) {
                const agent *a = &s->agents[i];
                unsigned second = a->lang[LANG_ES] ? LANG_ES : a->lang[LANG_DE] ? LANG_DE : LANG_EN;
                if (second == team)
                    members[n++] = i;
            }
            roster(p, members, n, shift_of);
        }
    }
    free(members);

    for (uint32_t i = 0; i < s->n_agents; i++) {
        agent *a = &s->agents[i];
        uint64_t id = i + 1;
        CALL(s, usher_agent_add(s->engine, id, a->capacity));
        usher_skill_level skills[N_LANG + N_PROD + N_TOPIC];
        size_t n = 0;
        for (unsigned k = 0; k < N_LANG; k++)
            if (a->lang[k])
                skills[n++] = (usher_skill_level){s->skill_lang[k], a->lang[k]};
        for (unsigned k = 0; k < N_PROD; k++)
            if (a->prod[k])
                skills[n++] = (usher_skill_level){s->skill_prod[k], a->prod[k]};
        for (unsigned k = 0; k < N_TOPIC; k++)
            if (a->topic[k])
                skills[n++] = (usher_skill_level){s->skill_topic[k], a->topic[k]};
        CALL(s, usher_agent_set_skills(s->engine, id, skills, n));
        for (uint32_t c = 0; c < N_CH; c++)
            if (a->limit[c] == 0)
                CALL(s, usher_agent_set_channel_limit(s->engine, id, c, 0));
        /* Burnout guard: two minutes to breathe after an escalation. */
        if (a->profile == PROF_SENIOR)
            CALL(s, usher_agent_set_cooldown(s->engine, id, 2 * MIN_MS));

        /* The shift and its breaks. */
        unsigned k = shift_of[i];
        rng *r = &s->setup;
        a->shift_start = jitter(r, shifts[k].start, 5 * MIN_MS);
        a->shift_end = shifts[k].start + shifts[k].length;
        schedule(s, a->shift_start, EV_LOGIN, i, 0);
        schedule(s, a->shift_end, EV_SHIFT_END, i, 0);
        uint64_t at = jitter(r, shifts[k].start + 2 * HOUR_MS, 15 * MIN_MS);
        schedule(s, at, EV_BREAK, i, AWAY_BREAK);
        schedule(s, at + 15 * MIN_MS, EV_BREAK_END, i, AWAY_BREAK);
        if (!shifts[k].part_time) {
            at = jitter(r, shifts[k].start + 4 * HOUR_MS, 20 * MIN_MS);
            schedule(s, at, EV_BREAK, i, AWAY_LUNCH);
            schedule(s, at + 30 * MIN_MS, EV_BREAK_END, i, AWAY_LUNCH);
            if (rng_chance(r, 0.1)) {
                at = shifts[k].start + 5 * HOUR_MS + 15 * MIN_MS;
                schedule(s, at, EV_BREAK, i, AWAY_COACHING);
                schedule(s, at + 45 * MIN_MS, EV_BREAK_END, i, AWAY_COACHING);
            }
            at = jitter(r, shifts[k].start + 6 * HOUR_MS + 30 * MIN_MS, 15 * MIN_MS);
            schedule(s, at, EV_BREAK, i, AWAY_BREAK);
            schedule(s, at + 15 * MIN_MS, EV_BREAK_END, i, AWAY_BREAK);
        }
        if (rng_chance(r, 0.03)) {
            uint64_t span = shifts[k].length - 90 * MIN_MS;
            at = shifts[k].start + 30 * MIN_MS + (uint64_t)(rng_uniform(r) * span);
            schedule(s, at - at % MIN_MS, EV_CRASH, i, 0);
        }
        if (s->oom) {
            free(shift_of);
            fail_oom();
        }
    }
    free(shift_of);
}

/* ------------------------------------------------------------------------
 * Events from the engine
 * ------------------------------------------------------------------------ */

static ticket *ticket_of(sim *s, uint64_t id)
{
    return id >= 1 && id <= s->n_tickets ? &s->tickets[id - 1] : NULL;
}

static agent *agent_of(sim *s, uint64_t id)
{
    return id >= 1 && id <= s->n_agents ? &s->agents[id - 1] : NULL;
}

static uint32_t agent_used(const agent *a)
{
    uint32_t used = 0;
    for (unsigned c = 0; c < N_CH; c++)
        used += a->active[c] + a->wrapping[c];
    return used;
}

/* Is the assignment of t to a allowed, as far as the host knows? */
static const char *assignment_error(const sim *s, const agent *a, const ticket *t)
{
    if (t->state != T_WAITING)
        return "ticket not waiting";
    if (a->state != A_AVAILABLE)
        return "agent not available";
    if (a->capped_until > s->now)
        return "agent cooling down";
    if (a->lang[t->lang] < t->lang_level || a->prod[t->product] < t->product_level)
        return "agent lacks a required skill";
    if (a->limit[t->channel] == 0)
        return "agent does not take this channel";
    if (a->active[t->channel] + a->wrapping[t->channel] >= a->limit[t->channel])
        return "channel limit exceeded";
    if (agent_used(a) + 1 > a->capacity)
        return "capacity exceeded";
    if (a->active[CH_VOICE] > 0 || a->wrapping[CH_VOICE] > 0)
        return "agent is on a call or its wrap-up";
    if (t->channel == CH_VOICE && agent_used(a) > 0)
        return "call given to a busy agent";
    return NULL;
}

static double handle_seconds(sim *s, const ticket *t, const agent *a)
{
    static const double median[N_CH][N_PROD] = {
        {210, 330, 270}, /* voice: billing, tech, sales */
        {480, 720, 420}, /* chat, several at a time */
        {720, 900, 600}, /* e-mail: elapsed time while it is open */
    };
    static const double sigma[N_CH] = {0.6, 0.5, 0.7};
    double x = rng_lognormal(&s->behaviour, median[t->channel][t->product], sigma[t->channel]);
    if (t->queue == Q_ESCALATION)
        x *= 1.5;
    if (a->profile == PROF_SENIOR)
        x *= 0.8;
    return x < 20.0 ? 20.0 : x;
}

static double patience_seconds(sim *s, const ticket *t)
{
    double mean = t->channel == CH_VOICE ? 120.0 : 240.0;
    if (t->tier >= 2)
        mean *= 1.5;
    double x = rng_exponential(&s->behaviour, mean);
    return x < 5.0 ? 5.0 : x;
}

static void on_assigned(sim *s, const usher_event *ev)
{
    ticket *t = ticket_of(s, ev->ticket_id);
    agent *a = agent_of(s, ev->agent_id);
    if (!t || !a) {
        violation(s, "assignment of unknown ticket %" PRIu64 " or agent %" PRIu64, ev->ticket_id,
                  ev->agent_id);
        return;
    }
    const char *err = assignment_error(s, a, t);
    if (err)
        violation(s, "ticket %" PRIu64 " (%s, %s/%s) to agent %" PRIu64 ": %s", ev->ticket_id,
                  channel_names[t->channel], lang_names[t->lang], prod_names[t->product],
                  ev->agent_id, err);
    if ((uint64_t)ev->value != ev->time_ms - t->created || ev->time_ms != s->now ||
        (uint32_t)ev->reason != t->channel)
        violation(
            s, "assignment event of ticket %" PRIu64 " has wait %" PRId64 " ms, expected %" PRIu64,
            ev->ticket_id, ev->value, ev->time_ms - t->created);
    t->state = T_ASSIGNED;
    t->agent = (uint32_t)ev->agent_id;
    t->assigned = ev->time_ms;
    a->active[t->channel]++;
    s->assignments++;
    s->agent_handled[a->profile]++;
    if (!t->answered) {
        uint64_t wait = ev->time_ms - t->created;
        t->answered = true;
        counts *q = &s->by_queue[t->queue], *c = &s->by_channel[t->channel];
        q->answered++;
        q->wait_ms += wait;
        q->in_sl += wait <= queue_defs[t->queue].service_level_ms;
        c->answered++;
        c->wait_ms += wait;
        c->in_sl += wait <= channel_sl_ms[t->channel];
        if (t->channel == CH_VOICE) {
            unsigned h = (unsigned)(t->created / HOUR_MS);
            s->hour_voice_answered[h]++;
            s->hour_voice_wait[h] += wait;
            s->hour_voice_in_sl[h] += wait <= channel_sl_ms[CH_VOICE];
        }
    }
    uint64_t handle = (uint64_t)(handle_seconds(s, t, a) * 1000.0);
    schedule(s, ev->time_ms + handle, EV_COMPLETE, ev->ticket_id, t->gen);
}

static void on_requeued(sim *s, const usher_event *ev)
{
    ticket *t = ticket_of(s, ev->ticket_id);
    agent *a = agent_of(s, ev->agent_id);
    if (!t || !a || t->state != T_ASSIGNED || t->agent != ev->agent_id) {
        violation(s, "requeue of ticket %" PRIu64 " from agent %" PRIu64 " it does not hold",
                  ev->ticket_id, ev->agent_id);
        return;
    }
    a->active[t->channel]--;
    t->state = T_WAITING;
    t->agent = 0;
    t->gen++;
    s->requeued++;
    /* The customer is told "please hold": a fresh patience. */
    if (t->channel != CH_EMAIL)
        schedule(s, s->now + (uint64_t)(patience_seconds(s, t) * 1000.0), EV_PATIENCE,
                 ev->ticket_id, t->gen);
}

static void on_event(void *user, const usher_event *ev)
{
    sim *s = user;
    ticket *t;
    agent *a;
    switch (ev->type) {
    case USHER_EVENT_TICKET_ASSIGNED:
        on_assigned(s, ev);
        break;
    case USHER_EVENT_TICKET_REQUEUED:
        on_requeued(s, ev);
        break;
    case USHER_EVENT_TICKET_ABANDONED:
        t = ticket_of(s, ev->ticket_id);
        if (!t || t->state != T_WAITING || (uint64_t)ev->value != s->now - t->created) {
            violation(s, "abandon event for ticket %" PRIu64 " not waiting", ev->ticket_id);
            break;
        }
        t->state = T_ABANDONED;
        s->by_queue[t->queue].abandoned++;
        s->by_channel[t->channel].abandoned++;
        if (t->channel == CH_VOICE)
            s->hour_voice_abandoned[t->created / HOUR_MS]++;
        break;
    case USHER_EVENT_TICKET_COMPLETED:
        t = ticket_of(s, ev->ticket_id);
        a = agent_of(s, ev->agent_id);
        if (!t || !a || t->state != T_ASSIGNED || t->agent != ev->agent_id ||
            (uint64_t)ev->value != s->now - t->assigned) {
            violation(s, "completion of ticket %" PRIu64 " not held by agent %" PRIu64,
                      ev->ticket_id, ev->agent_id);
            break;
        }
        t->state = T_COMPLETED;
        t->agent = 0;
        a->active[t->channel]--;
        if (channel_defs[t->channel].wrapup_ms)
            a->wrapping[t->channel]++;
        s->by_queue[t->queue].completed++;
        s->by_channel[t->channel].completed++;
        break;
    case USHER_EVENT_WRAPUP_ENDED:
        a = agent_of(s, ev->agent_id);
        if (!a || ev->value < 0 || ev->value >= N_CH || a->wrapping[ev->value] == 0) {
            violation(s, "wrap-up end for agent %" PRIu64 " not wrapping up", ev->agent_id);
            break;
        }
        a->wrapping[ev->value]--;
        if (a->leaving)
            schedule(s, s->now, EV_LEAVE_CHECK, ev->agent_id - 1, 0);
        break;
    case USHER_EVENT_LOAD_CAP_REACHED:
        a = agent_of(s, ev->agent_id);
        if (!a || ev->reason != USHER_CAP_COOLDOWN) {
            violation(s, "unexpected load cap for agent %" PRIu64, ev->agent_id);
            break;
        }
        a->capped_until = (uint64_t)ev->value;
        s->cooldowns++;
        break;
    case USHER_EVENT_LOAD_CAP_CLEARED:
        a = agent_of(s, ev->agent_id);
        if (!a || a->capped_until != ev->time_ms) {
            violation(s, "cool-down of agent %" PRIu64 " cleared at %" PRIu64 ", expected %" PRIu64,
                      ev->agent_id, ev->time_ms, a ? a->capped_until : 0);
            break;
        }
        a->capped_until = 0;
        break;
    case USHER_EVENT_AGENT_STATE:
        a = agent_of(s, ev->agent_id);
        if (!a || ev->value != (a->state == A_OFFLINE     ? USHER_AGENT_OFFLINE
                                : a->state == A_AVAILABLE ? USHER_AGENT_AVAILABLE
                                                          : USHER_AGENT_AWAY))
            violation(s, "agent %" PRIu64 " changed state on its own", ev->agent_id);
        break;
    case USHER_EVENT_TIMER:
    case USHER_EVENT_WORK_RETURNED:
    case USHER_EVENT_TICKET_TRANSFERRED:
        violation(s, "unexpected event type %d", (int)ev->type);
        break;
    default: /* newer event types this demo does not use */
        break;
    }
}

/* ------------------------------------------------------------------------
 * What the host does
 * ------------------------------------------------------------------------ */

static void set_state(sim *s, uint32_t i, uint8_t state, uint8_t reason)
{
    agent *a = &s->agents[i];
    static const int32_t engine_state[] = {USHER_AGENT_OFFLINE, USHER_AGENT_AVAILABLE,
                                           USHER_AGENT_AWAY};
    s->logged_in += (a->state == A_OFFLINE) - (state == A_OFFLINE);
    a->state = state; /* first: events of the call see the new state */
    a->reason = reason;
    CALL(s, usher_agent_set_state(s->engine, i + 1, engine_state[state], reason));
}

/* A leaving agent logs out once its work and wrap-ups are over. */
static void try_leave(sim *s, uint32_t i)
{
    agent *a = &s->agents[i];
    if (!a->leaving || agent_used(a) > 0)
        return;
    usher_agent_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    CALL(s, usher_agent_get(s->engine, i + 1, &info));
    if (info.work_count != 0 || info.wrapup_count != 0 || info.capacity_used != 0)
        violation(s,
                  "agent %" PRIu32 " holds %" PRIu32 " tickets, %" PRIu32 " wrap-ups, %" PRIu32
                  " units; the host counts none",
                  i + 1, info.work_count, info.wrapup_count, info.capacity_used);
    a->leaving = false;
    set_state(s, i, A_OFFLINE, 0);
}

static uint32_t new_customer(sim *s)
{
    if (s->n_customers == s->cap_customers &&
        !grow((void **)&s->customers, &s->cap_customers, sizeof(customer)))
        fail_oom();
    rng *r = &s->arrivals;
    customer *c = &s->customers[s->n_customers];
    c->lang = (uint8_t)rng_pick(r, lang_mix, N_LANG);
    c->tier = (uint8_t)rng_pick(r, tier_mix, 4);
    c->product = (uint8_t)rng_pick(r, prod_mix, N_PROD);
    c->topic = (uint8_t)rng_pick(r, topic_mix, N_TOPIC);
    c->contacts = 0;
    return (uint32_t)s->n_customers++;
}

/* A contact arrives: a new ticket is filed and submitted. */
static void arrive(sim *s, uint32_t channel, uint32_t cust, bool incident)
{
    customer *c = &s->customers[cust];
    if (incident) {
        c->product = PROD_TECH;
        c->topic = TOPIC_NETWORK;
        s->incident_contacts++;
    }
    c->contacts++;
    if (c->contacts > 1)
        s->repeat_contacts++;

    if (s->n_tickets == s->cap_tickets &&
        !grow((void **)&s->tickets, &s->cap_tickets, sizeof(ticket)))
        fail_oom();
    uint64_t id = ++s->n_tickets;
    ticket *t = &s->tickets[id - 1];
    memset(t, 0, sizeof *t);
    t->created = s->now;
    t->customer = cust;
    t->channel = (uint8_t)channel;
    t->product = c->product;
    t->topic = c->topic;
    t->tier = c->tier;
    t->lang = c->lang;
    t->state = T_WAITING;
    t->lang_level = c->lang == LANG_EN ? 4 : 6;
    /* Third contact of the day by phone or chat: the escalation desk. */
    if (c->contacts >= 3 && channel != CH_EMAIL) {
        t->queue = Q_ESCALATION;
        t->product_level = 7;
    } else {
        t->queue = channel == CH_CHAT           ? Q_CHAT
                   : channel == CH_EMAIL        ? Q_EMAIL
                   : c->product == PROD_BILLING ? Q_VOICE_BILLING
                   : c->product == PROD_TECH    ? Q_VOICE_TECH
                                                : Q_VOICE_SALES;
        t->product_level = c->tier == 3 ? 5 : 3;
    }

    usher_skill_level required[2] = {{s->skill_lang[t->lang], t->lang_level},
                                     {s->skill_prod[t->product], t->product_level}};
    usher_skill_level preferred[1] = {{s->skill_topic[t->topic], 10}};
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = t->queue + 1u;
    spec.channel = channel;
    /* A repeat contact goes first; so do Spanish and German contacts, which
     * only some agents can take: when one of those agents frees up, the
     * contact that needs them is served before an English one. */
    spec.priority = (c->contacts == 2 ? 100u : 0u) + (t->lang != LANG_EN ? 60u : 0u);
    spec.tier = t->tier;
    spec.required_count = 2;
    spec.required = required;
    if (t->product == PROD_TECH) {
        spec.preferred_count = 1;
        spec.preferred = preferred;
    }
    spec.customer_id = 100000u + cust;

    s->by_queue[t->queue].offered++;
    s->by_channel[channel].offered++;
    s->hour_arrivals[s->now / HOUR_MS]++;
    if (channel == CH_VOICE)
        s->hour_voice_offered[s->now / HOUR_MS]++;
    if (channel != CH_EMAIL) /* e-mail never hangs up */
        schedule(s, s->now + (uint64_t)(patience_seconds(s, t) * 1000.0), EV_PATIENCE, id, 0);
    CALL(s, usher_ticket_submit(s->engine, id, &spec));
}

static void on_minute(sim *s, uint32_t minute)
{
    rng *r = &s->arrivals;
    if (minute % 60 == 0)
        s->hour_staffed[minute / 60] = s->logged_in;
    if (minute < DAY_MINUTES) {
        uint64_t start = (uint64_t)minute * MIN_MS;
        for (uint32_t c = 0; c < N_CH; c++) {
            double lambda = s->rate[c][minute];
            /* A network incident: extra tech calls and chats. */
            bool incident = start >= INCIDENT_START && start < INCIDENT_END && c != CH_EMAIL;
            uint32_t n = rng_poisson(r, lambda);
            uint32_t extra = incident ? rng_poisson(r, lambda * (c == CH_VOICE ? 0.6 : 0.4)) : 0;
            for (uint32_t k = 0; k < n + extra; k++)
                schedule(s, start + rng_range(r, 0, (uint32_t)MIN_MS - 1), EV_ARRIVAL, 0,
                         c | (k >= n ? 8u : 0u));
        }
    }
    if (minute + 1 < LAST_MINUTE)
        schedule(s, (uint64_t)(minute + 1) * MIN_MS, EV_MINUTE, minute + 1, 0);
}

static void on_arrival(sim *s, uint32_t aux)
{
    rng *r = &s->arrivals;
    uint32_t cust;
    /* Some customers already contacted us today. */
    if (s->n_customers > 0 && rng_chance(r, 0.05))
        cust = (uint32_t)(rng_uniform(r) * (double)s->n_customers);
    else
        cust = new_customer(s);
    arrive(s, aux & 7u, cust, aux & 8u);
}

static void on_complete(sim *s, uint64_t id, uint32_t gen)
{
    ticket *t = ticket_of(s, id);
    if (t->state != T_ASSIGNED || t->gen != gen)
        return; /* requeued meanwhile: a later completion is scheduled */
    uint32_t i = t->agent - 1;
    bool heavy = t->queue == Q_ESCALATION;
    CALL(s, usher_ticket_complete(s->engine, id, heavy ? USHER_RELEASE_HEAVY : 0));
    /* Not every problem is solved at the first contact. */
    rng *r = &s->behaviour;
    double unsolved = t->product == PROD_TECH ? 0.15 : 0.08;
    uint64_t back = s->now + rng_range(r, 20, 180) * MIN_MS;
    if (t->channel != CH_EMAIL && rng_chance(r, unsolved) && back < CLOSE_MS - 15 * MIN_MS)
        schedule(s, back, EV_RETRY, t->customer, t->channel);
    try_leave(s, i);
}

static void on_patience(sim *s, uint64_t id, uint32_t gen)
{
    ticket *t = ticket_of(s, id);
    if (t->state != T_WAITING || t->gen != gen)
        return;
    CALL(s, usher_ticket_cancel(s->engine, id));
    /* Many who hang up try again a few minutes later. */
    rng *r = &s->behaviour;
    uint64_t back = s->now + rng_range(r, 1, 10) * MIN_MS;
    if (rng_chance(r, 0.4) && back < CLOSE_MS)
        schedule(s, back, EV_RETRY, t->customer, t->channel);
}

static void handle(sim *s, const hev *e)
{
    agent *a = e->kind >= EV_LOGIN ? &s->agents[e->id] : NULL;
    uint32_t i = (uint32_t)e->id;
    switch (e->kind) {
    case EV_MINUTE:
        on_minute(s, i);
        break;
    case EV_ARRIVAL:
        on_arrival(s, e->aux);
        break;
    case EV_RETRY:
        arrive(s, e->aux, i, false);
        break;
    case EV_PATIENCE:
        on_patience(s, e->id, e->aux);
        break;
    case EV_COMPLETE:
        on_complete(s, e->id, e->aux);
        break;
    case EV_LOGIN:
        if (a->state == A_OFFLINE)
            set_state(s, i, A_AVAILABLE, 0);
        break;
    case EV_BREAK:
        if (a->state == A_AVAILABLE && !a->leaving) {
            s->breaks[e->aux]++;
            set_state(s, i, A_AWAY, (uint8_t)e->aux); /* the current work goes on */
        }
        break;
    case EV_BREAK_END:
        if (a->state == A_AWAY && a->reason == e->aux)
            set_state(s, i, A_AVAILABLE, 0);
        break;
    case EV_CRASH:
        if (a->state != A_OFFLINE && !a->leaving) {
            s->crashes++;
            set_state(s, i, A_OFFLINE, 0); /* its tickets are requeued */
            schedule(s, s->now + rng_range(&s->behaviour, 10, 30) * MIN_MS, EV_RETURN, i, 0);
        }
        break;
    case EV_RETURN:
        if (a->state == A_OFFLINE && s->now + 10 * MIN_MS < a->shift_end)
            set_state(s, i, A_AVAILABLE, 0);
        break;
    case EV_SHIFT_END:
        if (a->state == A_OFFLINE)
            break;
        a->leaving = true;
        if (agent_used(a) > 0) /* finish the work in hand first */
            set_state(s, i, A_AWAY, AWAY_END_OF_SHIFT);
        try_leave(s, i);
        break;
    case EV_LEAVE_CHECK:
        try_leave(s, i);
        break;
    default:
        break;
    }
}

/* The day: move the engine's clock to the host's next event or the engine's
 * next deadline, whichever comes first, then act on the host's events. */
static void run_day(sim *s)
{
    s->usher_ns = 0;
    s->usher_calls = 0;
    CALL(s, usher_agents_new_day(s->engine));
    schedule(s, 0, EV_MINUTE, 0, 0);
    uint64_t last = 0, same = 0;
    for (;;) {
        uint64_t deadline;
        CALL(s, usher_next_deadline(s->engine, &deadline));
        uint64_t next = s->heap_n && s->heap[0].time < deadline ? s->heap[0].time : deadline;
        if (next == USHER_TIME_NEVER)
            break;
        if (next < s->now) {
            violation(s, "next deadline %" PRIu64 " is in the past", next);
            next = s->now;
        }
        same = next == last ? same + 1 : 0;
        if (same > 1000000) {
            fprintf(stderr, "contact_center: the clock is stuck at %" PRIu64 " ms\n", next);
            sim_free(s);
            exit(1);
        }
        last = next;
        s->now = next;
        CALL(s, usher_advance(s->engine, next));
        while (s->heap_n && s->heap[0].time <= s->now) {
            hev e = unschedule_first(s);
            handle(s, &e);
        }
    }
}

/* ------------------------------------------------------------------------
 * The report
 * ------------------------------------------------------------------------ */

static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static double avg_s(uint64_t ms, uint64_t n) { return n ? (double)ms / 1000.0 / (double)n : 0.0; }

static void sl_target(char *buf, size_t size, uint64_t ms)
{
    if (ms >= HOUR_MS)
        snprintf(buf, size, "%" PRIu64 " h", ms / HOUR_MS);
    else
        snprintf(buf, size, "%" PRIu64 " s", ms / SEC_MS);
}

/* A duration in seconds, minutes or hours, right-aligned in 9 columns. */
static void duration(char *buf, size_t size, double seconds)
{
    if (seconds < 100.0)
        snprintf(buf, size, "%7.1f s", seconds);
    else if (seconds < 6000.0)
        snprintf(buf, size, "%5.1f min", seconds / 60.0);
    else
        snprintf(buf, size, "%7.1f h", seconds / 3600.0);
}

static void print_counts(const char *name, const char *what, const char *target, const counts *c)
{
    char asa[32] = "        -";
    if (*target)
        duration(asa, sizeof asa, avg_s(c->wait_ms, c->answered));
    printf("  %-13s %-16s %5s %7" PRIu64 " %8" PRIu64 " %6.1f%% %s %6.1f%% %5" PRIu64 "\n", name,
           what, target, c->offered, c->answered, pct(c->in_sl, c->answered), asa,
           pct(c->abandoned, c->offered), c->waiting);
}

static void add_counts(counts *sum, const counts *c)
{
    sum->offered += c->offered;
    sum->answered += c->answered;
    sum->in_sl += c->in_sl;
    sum->wait_ms += c->wait_ms;
    sum->abandoned += c->abandoned;
    sum->completed += c->completed;
    sum->waiting += c->waiting;
}

/* The engine's queue counters against the host's. */
static uint64_t check_queues(sim *s, counts engine_counts[N_QUEUE])
{
    uint64_t bad = 0;
    for (uint32_t q = 0; q < N_QUEUE; q++) {
        usher_queue_stats st;
        memset(&st, 0, sizeof st);
        st.struct_size = sizeof st;
        CALL(s, usher_queue_get_stats(s->engine, q + 1, &st));
        counts *mine = &s->by_queue[q];
        counts *e = &engine_counts[q];
        *e = (counts){st.entered,   st.answered,  st.answered_in_sl, st.answer_wait_ms,
                      st.abandoned, st.completed, st.waiting,        st.longest_wait_ms};
        if (memcmp(e, mine, sizeof *e) != 0) {
            bad++;
            violation(s,
                      "queue %s: engine entered/answered/in SL/wait/abandoned/completed/waiting/"
                      "longest wait %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
                      "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 ", host %" PRIu64 "/%" PRIu64 "/%" PRIu64
                      "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64,
                      queue_defs[q].name, e->offered, e->answered, e->in_sl, e->wait_ms,
                      e->abandoned, e->completed, e->waiting, e->longest_wait_ms, mine->offered,
                      mine->answered, mine->in_sl, mine->wait_ms, mine->abandoned, mine->completed,
                      mine->waiting, mine->longest_wait_ms);
        }
    }
    return bad;
}

static void report(sim *s, uint64_t wall_ns)
{
    /* Tickets still waiting at the end (e-mail left for tomorrow). */
    for (size_t k = 0; k < s->n_tickets; k++) {
        const ticket *t = &s->tickets[k];
        if (t->state == T_WAITING) {
            counts *q = &s->by_queue[t->queue];
            q->waiting++;
            if (s->now - t->created > q->longest_wait_ms)
                q->longest_wait_ms = s->now - t->created;
            s->by_channel[t->channel].waiting++;
        } else if (t->state == T_ASSIGNED) {
            violation(s, "ticket %zu still assigned at the end of the day", k + 1);
        }
    }
    counts engine_counts[N_QUEUE];
    uint64_t bad_queues = check_queues(s, engine_counts);

    uint64_t overnight = 0;
    for (unsigned h = 0; h < 7; h++)
        overnight += s->hour_arrivals[h];
    printf("usher %s contact-center day, seed %" PRIu64 ": %" PRIu32 " agent%s, %zu contact%s "
           "from %zu customer%s\n",
           usher_version(), s->seed, s->n_agents, plural(s->n_agents), s->n_tickets,
           plural(s->n_tickets), s->n_customers, plural(s->n_customers));
    printf("(%" PRIu64 " repeat contact%s, %" PRIu64 " more during a network incident "
           "13:30-14:15, %" PRIu64 " e-mail%s overnight)\n\n",
           s->repeat_contacts, plural(s->repeat_contacts), s->incident_contacts, overnight,
           plural(overnight));

    uint64_t peak = 1;
    for (unsigned h = 7; h < 21; h++)
        peak = s->hour_arrivals[h] > peak ? s->hour_arrivals[h] : peak;
    printf("  %-5s %8s %-26s %6s  %8s  %9s  %12s\n", "hour", "contacts", "", "agents", "voice SL",
           "voice ASA", "voice aband.");
    for (unsigned h = 7; h < 21; h++) {
        char bar[32];
        unsigned n = (unsigned)(s->hour_arrivals[h] * 26 / peak);
        memset(bar, '#', n);
        bar[n] = '\0';
        printf("  %02u:00 %8" PRIu64 " %-26s %6" PRIu64, h, s->hour_arrivals[h], bar,
               s->hour_staffed[h]);
        if (s->hour_voice_offered[h])
            printf("  %7.1f%%  %7.1f s  %11.1f%%",
                   pct(s->hour_voice_in_sl[h], s->hour_voice_answered[h]),
                   avg_s(s->hour_voice_wait[h], s->hour_voice_answered[h]),
                   pct(s->hour_voice_abandoned[h], s->hour_voice_offered[h]));
        printf("\n");
    }
    printf("  (contacts by the hour they arrived; agents logged in at the full hour)\n");

    printf("\n  %-13s %-16s %5s %7s %8s %7s %9s %7s %5s\n", "queue", "strategy", "SL", "offered",
           "answered", "SL %", "ASA", "aband.", "left");
    counts all = {0};
    for (unsigned q = 0; q < N_QUEUE; q++) {
        char target[16];
        sl_target(target, sizeof target, queue_defs[q].service_level_ms);
        print_counts(queue_defs[q].name, queue_defs[q].strategy_name, target, &engine_counts[q]);
    }
    printf("\n  %-13s %-16s %5s %7s %8s %7s %9s %7s %5s\n", "channel", "", "SL", "offered",
           "answered", "SL %", "ASA", "aband.", "left");
    for (unsigned c = 0; c < N_CH; c++) {
        char target[16];
        sl_target(target, sizeof target, channel_sl_ms[c]);
        print_counts(channel_names[c],
                     c == CH_VOICE  ? "exclusive"
                     : c == CH_CHAT ? "up to 3"
                                    : "up to 5",
                     target, &s->by_channel[c]);
        add_counts(&all, &s->by_channel[c]);
    }
    print_counts("all", "", "", &all);
    printf("  (SL %%: answered within the target, of those answered; ASA: their mean wait;\n"
           "   aband.: hung up while waiting; left: e-mails still waiting for tomorrow)\n");

    /* Occupancy from the engine's own counters. */
    printf("\n  %-13s %6s %11s %10s %15s\n", "agents", "count", "logged in", "occupancy",
           "contacts/agent");
    double occ_sum[N_PROF + 1] = {0}, hours[N_PROF + 1] = {0};
    uint32_t n[N_PROF + 1] = {0}, with_time[N_PROF + 1] = {0};
    uint64_t assignments = 0;
    for (uint32_t i = 0; i < s->n_agents; i++) {
        usher_agent_info info;
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        CALL(s, usher_agent_get(s->engine, i + 1, &info));
        assignments += info.assignments_today;
        if (info.state != USHER_AGENT_OFFLINE || info.work_count || info.capacity_used)
            violation(s, "agent %" PRIu32 " still logged in or holding work at the end", i + 1);
        if (info.busy_ms > info.logged_in_ms)
            violation(s, "agent %" PRIu32 " busy %" PRIu64 " ms of %" PRIu64 " ms logged in", i + 1,
                      info.busy_ms, info.logged_in_ms);
        unsigned p = s->agents[i].profile;
        for (unsigned g = 0; g < 2; g++) {
            unsigned k = g ? N_PROF : p;
            n[k]++;
            hours[k] += (double)info.logged_in_ms / (double)HOUR_MS;
            if (info.logged_in_ms) {
                with_time[k]++;
                occ_sum[k] += (double)info.busy_ms / (double)info.logged_in_ms;
            }
        }
    }
    uint64_t handled_all = 0;
    for (unsigned p = 0; p <= N_PROF; p++) {
        uint64_t handled = p < N_PROF ? s->agent_handled[p] : handled_all;
        if (p < N_PROF)
            handled_all += handled;
        printf("  %-13s %6" PRIu32 " %9.1f h %9.1f%% %15.1f\n",
               p < N_PROF ? profiles[p].name : "all", n[p], n[p] ? hours[p] / n[p] : 0.0,
               with_time[p] ? 100.0 * occ_sum[p] / with_time[p] : 0.0,
               n[p] ? (double)handled / n[p] : 0.0);
    }
    printf("  (logged in: mean per agent; occupancy: busy / logged-in time, mean per agent;\n"
           "   breaks %" PRIu64 ", lunches %" PRIu64 ", coaching sessions %" PRIu64
           ", PC crashes %" PRIu64 " with %" PRIu64 " contacts requeued,\n"
           "   senior cool-downs after escalations %" PRIu64 ")\n",
           s->breaks[AWAY_BREAK], s->breaks[AWAY_LUNCH], s->breaks[AWAY_COACHING], s->crashes,
           s->requeued, s->cooldowns);

    if (assignments != s->assignments)
        violation(s, "agents count %" PRIu64 " assignments, the host saw %" PRIu64, assignments,
                  s->assignments);
    double inside_s = (double)s->usher_ns / 1e9;
    printf("\nrouting: %" PRIu64 " assignments, %" PRIu64 " usher calls, %.1f ms inside usher "
           "(%.0f ns per call)\n",
           s->assignments, s->usher_calls, inside_s * 1e3,
           s->usher_calls ? (double)s->usher_ns / (double)s->usher_calls : 0.0);
    printf("         = %.0f routing decisions per second; the whole day took %.1f ms\n",
           inside_s > 0 ? (double)s->assignments / inside_s : 0.0, (double)wall_ns / 1e6);
    if (s->violations == 0)
        printf("checks:  every assignment respected skills, channel limits, capacity and "
               "states;\n         the engine's queue counters equal the host's own counts\n");
    else
        printf("checks:  FAILED: %" PRIu64 " problem%s (%" PRIu64 " queue%s whose counters differ "
               "from the host's), see stderr\n",
               s->violations, plural(s->violations), bad_queues, plural(bad_queues));
}

/* ------------------------------------------------------------------------
 * Command line
 * ------------------------------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(out, "usage: contact_center [--agents N] [--tickets N] [--seed N]\n"
                 "\n"
                 "Simulates one day of a contact center routed by usher and prints its\n"
                 "service levels.\n"
                 "\n"
                 "  --agents N   agents on the roster, 1 to 100000 (default 220)\n"
                 "  --tickets N  contacts expected over the day, 0 to 2000000 (default 14000)\n"
                 "  --seed N     seed of the generated day, 0 to 2^64-1 (default 1)\n"
                 "  --help       show this help\n"
                 "\n"
                 "Exit status: 0; 1 if an usher call failed; 2 for a bad option; 3 if a\n"
                 "cross-check of the engine's decisions or counters failed.\n");
}

static bool parse_u64(const char *text, uint64_t max, uint64_t *out)
{
    if (!text || *text < '0' || *text > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        uint64_t min, max;
    } opts[] = {{"--agents", 1, 100000}, {"--tickets", 0, 2000000}, {"--seed", 0, UINT64_MAX}};
    uint64_t values[] = {220, 14000, 1}; /* agents, tickets, seed */
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        unsigned k = 0;
        const char *value = NULL;
        for (; k < 3; k++) {
            size_t len = strlen(opts[k].name);
            if (strncmp(arg, opts[k].name, len) != 0)
                continue;
            if (arg[len] == '=')
                value = arg + len + 1;
            else if (arg[len] == '\0')
                value = i + 1 < argc ? argv[++i] : NULL;
            else
                continue;
            break;
        }
        if (k == 3) {
            fprintf(stderr, "contact_center: unknown option '%s'\n", arg);
            usage(stderr);
            return 2;
        }
        if (!parse_u64(value, opts[k].max, &values[k]) || values[k] < opts[k].min) {
            fprintf(stderr,
                    "contact_center: %s needs a number from %" PRIu64 " to %" PRIu64 ", not '%s'\n",
                    opts[k].name, opts[k].min, opts[k].max, value ? value : "");
            usage(stderr);
            return 2;
        }
    }

    uint64_t wall0 = mono_ns();
    sim *s = calloc(1, sizeof *s);
    if (!s)
        fail_oom();
    current = s;
    s->n_agents = (uint32_t)values[0];
    s->tickets_wanted = values[1];
    s->seed = values[2];
    /* Three streams, so that more contacts do not change the roster. */
    s->setup.state = s->seed ^ 0x5e7u;
    s->arrivals.state = s->seed ^ 0xa77u;
    s->behaviour.state = s->seed ^ 0xbe4u;
    build_curves(s);
    setup_engine(s);
    setup_agents(s);
    run_day(s);
    uint64_t wall = mono_ns() - wall0;
    report(s, wall);
    int status = s->violations ? 3 : 0;
    sim_free(s);
    return status;
}
