/* The tick clock, latency histograms and peak RSS. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"

static double ns_per_tick = 1.0;
static double overhead_ns;

uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#if !(defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)))
uint64_t ticks(void) { return mono_ns(); }
const char *timing_source(void) { return "CLOCK_MONOTONIC"; }
#else
const char *timing_source(void) { return "rdtsc calibrated against CLOCK_MONOTONIC"; }
#endif

void timing_init(void)
{
    /* Ticks per ns over ~50 ms of CLOCK_MONOTONIC, taken twice; keep the
     * second (the first warms up the page and the frequency). */
    for (int round = 0; round < 2; round++) {
        uint64_t n0 = mono_ns(), t0 = ticks();
        uint64_t n1;
        do
            n1 = mono_ns();
        while (n1 - n0 < 50000000u);
        uint64_t t1 = ticks();
        ns_per_tick = t1 > t0 ? (double)(n1 - n0) / (double)(t1 - t0) : 1.0;
    }
    /* The cheapest back-to-back pair: what every timed call pays at least. */
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 100000; i++) {
        uint64_t a = ticks();
        uint64_t b = ticks();
        if (b - a < best)
            best = b - a;
    }
    overhead_ns = (double)best * ns_per_tick;
}

double ticks_to_ns(uint64_t t) { return (double)t * ns_per_tick; }
double timing_overhead_ns(void) { return overhead_ns; }

/* ---- histogram ----------------------------------------------------------------------- */

hist *hist_new(void) { return xcalloc(1, sizeof(hist)); }
void hist_free(hist *h) { free(h); }

static unsigned bucket_of(uint64_t v)
{
    if (v < 64)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* 2^e <= v < 2^(e+1), e >= 6 */
    return (e - 5) * 32 + (unsigned)(v >> (e - 5)); /* top 6 bits: 32 .. 63 */
}

/* The largest value that falls in bucket i. */
static uint64_t bucket_top(unsigned i)
{
    if (i < 64)
        return i;
    unsigned e = i / 32 + 4;
    uint64_t m = i % 32 + 32;
    return ((m + 1) << (e - 5)) - 1;
}

void hist_add(hist *h, uint64_t t)
{
    h->bucket[bucket_of(t)]++;
    h->count++;
    h->sum += t;
    if (t > h->max)
        h->max = t;
}

double hist_quantile_ns(const hist *h, double q)
{
    if (!h->count)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            uint64_t top = bucket_top(i);
            return ticks_to_ns(top < h->max ? top : h->max);
        }
    }
    return ticks_to_ns(h->max);
}

double hist_max_ns(const hist *h) { return ticks_to_ns(h->max); }
double hist_mean_ns(const hist *h) { return h->count ? ticks_to_ns(h->sum) / (double)h->count : 0; }

uint64_t peak_rss_bytes(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024u; /* Linux reports KiB */
}
