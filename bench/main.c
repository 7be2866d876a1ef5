/*
 * usher-bench: routing throughput, decision latency, timer and SLA cost and
 * memory of the usher library, each beside a baseline measured in the same
 * run. See bench/README.md.
 *
 *   usher-bench [--seed N] [--json]       the default suite, every scenario
 *   usher-bench routing|backlog|timers|sla|snapshot [flags]
 *
 * Exit status: 0, 1 when the library or the machine fails, 2 for a bad
 * command line (after a usage message).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "workload.h"

static const char usage_text[] =
    "usage: usher-bench [--seed N] [--json]          run the default suite\n"
    "       usher-bench routing [flags]               submit, route, complete with SLA clocks\n"
    "       usher-bench backlog [flags]               pick the next ticket among many waiting\n"
    "       usher-bench timers  [flags]               the timer wheel against a binary heap\n"
    "       usher-bench sla     [flags]               SLA clocks under business-hours calendars\n"
    "       usher-bench snapshot [flags]              snapshot size, write and restore speed\n"
    "       usher-bench --help\n"
    "\n"
    "routing and backlog:\n"
    "  --agents N            agents (1 .. 1000000; default 10000)\n"
    "  --skills N            skills (1 .. 65535; default 64)\n"
    "  --agent-skills N      skills per agent (1 .. 32; default 8)\n"
    "  --sets N              distinct requirement sets (1 .. 100000; default 500)\n"
    "  --backlog N           tickets left waiting before timing (1 .. 10000000;\n"
    "                        default 100000 for routing, 1000000 for backlog)\n"
    "  --tickets N           timed steps: tickets routed end to end (routing, default\n"
    "                        1000000) or agents freeing capacity (backlog, default\n"
    "                        100000); 1 .. 100000000\n"
    "  --baseline-tickets N  timed steps of the linear-scan baseline (1 .. 100000000;\n"
    "                        default 20000 for routing, 5000 for backlog; at most --tickets)\n"
    "timers:\n"
    "  --live N              live deadlines (1 .. 10000000; default: 10^4, 10^5 and 10^6)\n"
    "  --ops N               operations of the mixed run (1 .. 100000000; default 1000000)\n"
    "sla:\n"
    "  --tickets N           tickets with SLA clocks (1 .. 10000000; default 100000)\n"
    "snapshot (not in the default suite):\n"
    "  --agents, --skills, --agent-skills, --sets as for routing\n"
    "  --tickets N           tickets submitted before the snapshot (1 .. 10000000;\n"
    "                        default 100000)\n"
    "every subcommand:\n"
    "  --seed N              workload seed (0 .. 2^64-1; default 1)\n"
    "  --json                one JSON object per scenario (per size for timers) per line\n"
    "Flags also take the form --flag=N.\n";

static _Noreturn void usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("usher-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    va_end(ap);
    fputs(usage_text, stderr);
    exit(2);
}

_Noreturn void bench_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("usher-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    va_end(ap);
    exit(1);
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        bench_fail("out of memory (%zu bytes)", size);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        bench_fail("out of memory (%zu x %zu bytes)", count, size);
    return p;
}

/* ---- command line -------------------------------------------------------------------- */

enum { SC_SUITE, SC_ROUTING, SC_BACKLOG, SC_TIMERS, SC_SLA, SC_SNAPSHOT };

/* Which subcommands take each flag. */
#define F_ROUTE (1u << SC_ROUTING | 1u << SC_BACKLOG)
#define F_MODEL (F_ROUTE | 1u << SC_SNAPSHOT)
#define F_ALL (1u << SC_SUITE | F_ROUTE | 1u << SC_TIMERS | 1u << SC_SLA | 1u << SC_SNAPSHOT)

typedef struct flag {
    const char *name;
    unsigned where;
    uint64_t min, max;
} flag;

static const flag flags[] = {
    {"agents", F_MODEL, 1, 1000000},
    {"skills", F_MODEL, 1, USHER_MAX_SKILLS},
    {"agent-skills", F_MODEL, 1, WL_MAX_AGENT_SKILLS},
    {"sets", F_MODEL, 1, 100000},
    {"backlog", F_ROUTE, 1, 10000000},
    {"tickets", F_MODEL | 1u << SC_SLA, 1, 100000000},
    {"baseline-tickets", F_ROUTE, 1, 100000000},
    {"live", 1u << SC_TIMERS, 1, 10000000},
    {"ops", 1u << SC_TIMERS, 1, 100000000},
    {"seed", F_ALL, 0, UINT64_MAX},
    {"json", F_ALL, 0, 0},
};

/* A decimal number of digits only, no sign, no overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
    if (!*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static void set_flag(bench_opts *o, int sc, const char *name, uint64_t v)
{
    if (!strcmp(name, "agents"))
        o->agents = (uint32_t)v;
    else if (!strcmp(name, "skills"))
        o->skills = (uint32_t)v;
    else if (!strcmp(name, "agent-skills"))
        o->agent_skills = (uint32_t)v;
    else if (!strcmp(name, "sets"))
        o->sets = (uint32_t)v;
    else if (!strcmp(name, "backlog"))
        o->backlog = v;
    else if (!strcmp(name, "tickets")) {
        if (sc == SC_SLA || sc == SC_SNAPSHOT) {
            if (v > 10000000)
                usage("--tickets: %llu is out of range for %s (1 .. 10000000)",
                      (unsigned long long)v, sc == SC_SLA ? "sla" : "snapshot");
            if (sc == SC_SLA)
                o->sla_tickets = v;
            else
                o->tickets = v;
        } else {
            o->tickets = v;
        }
    } else if (!strcmp(name, "baseline-tickets"))
        o->baseline_tickets = v;
    else if (!strcmp(name, "live"))
        o->live = v;
    else if (!strcmp(name, "ops"))
        o->ops = v;
    else if (!strcmp(name, "seed"))
        o->seed = v;
}

static void defaults(bench_opts *o, int sc)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->agents = 10000;
    o->skills = 64;
    o->agent_skills = 8;
    o->sets = 500;
    o->backlog = sc == SC_BACKLOG ? 1000000 : 100000;
    o->tickets = sc == SC_BACKLOG || sc == SC_SNAPSHOT ? 100000 : 1000000;
    o->baseline_tickets = sc == SC_BACKLOG ? 5000 : 20000;
    o->live = 0;
    o->ops = 1000000;
    o->sla_tickets = 100000;
}

static const char *const names[] = {"suite", "routing", "backlog", "timers", "sla", "snapshot"};

static int parse(int argc, char **argv, bench_opts *o)
{
    int sc = SC_SUITE, i = 1;
    if (argc > 1 && argv[1][0] != '-') {
        for (sc = SC_ROUTING; sc <= SC_SNAPSHOT; sc++)
            if (!strcmp(argv[1], names[sc]))
                break;
        if (sc > SC_SNAPSHOT)
            usage("unknown subcommand '%s'", argv[1]);
        i = 2;
    }
    defaults(o, sc);
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (strncmp(arg, "--", 2) != 0)
            usage("unexpected argument '%s'", arg);
        char name[32];
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (len == 0 || len >= sizeof name)
            usage("unknown flag '%s'", arg);
        memcpy(name, arg + 2, len);
        name[len] = '\0';
        size_t f = 0, nflags = sizeof flags / sizeof flags[0];
        while (f < nflags && strcmp(flags[f].name, name) != 0)
            f++;
        if (f == nflags)
            usage("unknown flag '--%s'", name);
        if (!(flags[f].where & 1u << sc))
            usage("--%s does not apply to %s", name,
                  sc == SC_SUITE ? "the default suite" : names[sc]);
        if (!strcmp(name, "json")) {
            if (eq)
                usage("--json takes no value");
            o->json = true;
            continue;
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        uint64_t v;
        if (!value)
            usage("--%s needs a number", name);
        if (!parse_u64(value, &v))
            usage("--%s: '%s' is not a number", name, value);
        if (v < flags[f].min || v > flags[f].max)
            usage("--%s: %s is out of range (%llu .. %llu)", name, value,
                  (unsigned long long)flags[f].min, (unsigned long long)flags[f].max);
        set_flag(o, sc, name, v);
    }
    if ((sc == SC_ROUTING || sc == SC_BACKLOG) && o->baseline_tickets > o->tickets)
        o->baseline_tickets = o->tickets;
    return sc;
}

/* ---- the suite ----------------------------------------------------------------------- */

typedef int (*scenario_fn)(const bench_opts *);

/* Runs one scenario in a child process, so that its peak RSS is its own. */
static int run_child(scenario_fn fn, const bench_opts *o)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        bench_fail("fork failed");
    if (pid == 0) {
        int rc = fn(o);
        fflush(stdout);
        _exit(rc);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0)
        bench_fail("waitpid failed");
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 1;
}

static void header(const bench_opts *o)
{
    if (o->json)
        return;
    printf("usher-bench: usher %s, %ld CPUs online; latency clock: %s (a timed call costs at least "
           "%.0f ns more)\n\n",
           usher_version(), sysconf(_SC_NPROCESSORS_ONLN), timing_source(), timing_overhead_ns());
    fflush(stdout);
}

int main(int argc, char **argv)
{
    bench_opts o;
    int sc = parse(argc, argv, &o);
    timing_init();
    header(&o);
    int rc = -1;
    switch (sc) {
    case SC_ROUTING:
        rc = bench_routing(&o);
        break;
    case SC_BACKLOG:
        rc = bench_backlog(&o);
        break;
    case SC_TIMERS:
        rc = bench_timers(&o);
        break;
    case SC_SLA:
        rc = bench_sla(&o);
        break;
    case SC_SNAPSHOT:
        rc = bench_snapshot(&o);
        break;
    default:
        break;
    }
    if (rc == 2) /* sizes that fit their ranges but not each other */
        fputs(usage_text, stderr);
    if (rc >= 0)
        return rc;
    static const scenario_fn suite[] = {bench_routing, bench_backlog, bench_timers, bench_sla};
    static const int suite_sc[] = {SC_ROUTING, SC_BACKLOG, SC_TIMERS, SC_SLA};
    int worst = 0;
    uint64_t t0 = mono_ns();
    for (size_t k = 0; k < sizeof suite / sizeof suite[0]; k++) {
        bench_opts so;
        defaults(&so, suite_sc[k]);
        so.seed = o.seed;
        so.json = o.json;
        int child = run_child(suite[k], &so);
        if (child > worst)
            worst = child;
    }
    if (!o.json)
        printf("suite: %.1f s\n", (double)(mono_ns() - t0) / 1e9);
    return worst;
}
