/*
 * usher-bench: what the bench's files share. Each file has one concern:
 *
 *   main.c          command line, the default suite, usage and exit codes
 *   timing.c        the tick clock (rdtsc calibrated, or CLOCK_MONOTONIC),
 *                   latency histograms, peak RSS
 *   countalloc.c    the counting allocator given to usher_config.allocator
 *   report.c        output: the readable table and the JSON lines
 *   workload.c      the seeded contact-center model (agents, skills,
 *                   requirement sets) and the usher engine built from it
 *   drive.c         warm-up and timed steps of `routing` and `backlog`,
 *                   for usher and for the linear-scan baseline
 *   routing.c       scenario `routing`
 *   backlog.c       scenario `backlog`
 *   timers.c        scenario `timers`
 *   sla.c           scenario `sla`
 *   snapshot.c      scenario `snapshot` (not in the default suite)
 *   linear.c        baseline: the linear-scan router
 *   heap.c          baseline: the binary min-heap timer queue
 *   slaheap.c       baseline: SLA clocks kept in that heap
 */
#ifndef USHER_BENCH_H
#define USHER_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "usher.h"

/* ---- options (main.c) ---------------------------------------------------------------- */

typedef struct bench_opts {
    uint64_t seed;
    bool json;
    /* routing and backlog */
    uint32_t agents, skills, agent_skills, sets;
    uint64_t backlog, tickets, baseline_tickets;
    /* timers: one size (0: the default three) and the mixed operations */
    uint64_t live, ops;
    /* sla */
    uint64_t sla_tickets;
} bench_opts;

/* ---- random numbers ------------------------------------------------------------------ */

/* splitmix64: small, fast, good enough for workloads; seeded by --seed. */
static inline uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n >= 1 (the modulo bias is below 2^-40 for the n used). */
static inline uint64_t rng_below(uint64_t *state, uint64_t n) { return rng_next(state) % n; }

/* ---- timing (timing.c) --------------------------------------------------------------- */

/* Ticks of the bench clock: the TSC on x86-64 (invariant on this machine
 * class), CLOCK_MONOTONIC nanoseconds elsewhere. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
static inline uint64_t ticks(void) { return __builtin_ia32_rdtsc(); }
#else
uint64_t ticks(void);
#endif

/* Calibrates ticks against CLOCK_MONOTONIC (about 50 ms); call once. */
void timing_init(void);
double ticks_to_ns(uint64_t t);
/* CLOCK_MONOTONIC in ns. */
uint64_t mono_ns(void);
/* What one ticks() pair costs, in ns (the floor of every latency figure). */
double timing_overhead_ns(void);
const char *timing_source(void);

/* A log-linear latency histogram in ticks: exact below 64, then 32
 * sub-buckets per power of two (under 3.2 % error). */
#define HIST_BUCKETS 1920
typedef struct hist {
    uint64_t count, max, sum;
    uint64_t bucket[HIST_BUCKETS];
} hist;

hist *hist_new(void);
void hist_free(hist *h);
void hist_add(hist *h, uint64_t t);
/* The q-quantile (0 < q <= 1) in ns: the upper edge of the bucket holding
 * it, never above the maximum. 0 for an empty histogram. */
double hist_quantile_ns(const hist *h, double q);
double hist_max_ns(const hist *h);
double hist_mean_ns(const hist *h);

/* Peak resident set of this process (getrusage), in bytes. */
uint64_t peak_rss_bytes(void);

/* ---- counting allocator (countalloc.c) ----------------------------------------------- */

typedef struct count_alloc {
    usher_allocator allocator; /* give &allocator to usher_config.allocator */
    uint64_t live;             /* bytes asked for and not freed */
    uint64_t peak;
    uint64_t calls;            /* malloc + realloc calls */
} count_alloc;

void count_alloc_init(count_alloc *c);

/* ---- output (report.c) --------------------------------------------------------------- */

/* One scenario's results: JSON fields in order, and the table. */
typedef struct report report;

report *report_new(const char *scenario, bool json);
/* JSON fields (also printed nowhere else). */
void report_int(report *r, const char *key, uint64_t value);
void report_num(report *r, const char *key, double value);
void report_str(report *r, const char *key, const char *value);
/* The table: a title line and rows "label  usher  baseline  speedup  target". */
void report_title(report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_row(report *r, const char *label, const char *usher, const char *baseline,
                const char *speedup, const char *target);
void report_note(report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the JSON line or the table, and frees. */
void report_end(report *r);

/* Number formatting into a caller buffer of at least 32 bytes. */
const char *fmt_ns(char *buf, double ns);       /* "840 ns", "4.21 us", "12.3 ms" */
const char *fmt_count(char *buf, double value); /* "1,234,567" */
const char *fmt_bytes(char *buf, double bytes); /* "312 B", "41.2 MiB" */
const char *fmt_ratio(char *buf, double ratio); /* "123x", "1.8x" */
/* "met" / "missed by 23%" for a figure against a target. */
const char *fmt_target(char *buf, double value, double target, bool at_most);

/* ---- scenarios ----------------------------------------------------------------------- */

int bench_routing(const bench_opts *o);
int bench_backlog(const bench_opts *o);
int bench_timers(const bench_opts *o);
int bench_sla(const bench_opts *o);
int bench_snapshot(const bench_opts *o);

/* Prints "usher-bench: <what>" on stderr and exits 1 (a failure of the
 * library or the machine, not of the command line). */
_Noreturn void bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Checks a usher call. */
#define CHECK(call)                                                                                \
    do {                                                                                           \
        usher_status st_ = (call);                                                                 \
        if (st_ != USHER_OK)                                                                       \
            bench_fail("%s:%d: %s: %s", __FILE__, __LINE__, #call, usher_status_name(st_));       \
    } while (0)

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);

#endif
