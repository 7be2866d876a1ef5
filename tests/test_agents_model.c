/* The agent-capacity model against a reference model: random operations on
 * agents, skills, channels, states, reservations, releases, load caps,
 * cool-downs, idle timeouts and the clock. The reference keeps plain arrays
 * and recomputes everything by brute force; after every step the engine's
 * answers (usher_agent_get, usher_agent_get_channel, usher_capacity_holder)
 * and its event stream must equal the reference, the invariants of the
 * header must hold, and usher_check() must pass.
 *
 * USHER_MODEL_SEED=<n> in the environment replays one run with that seed;
 * every failure message starts with the seed and the step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h" /* lib/: us_check() names a broken invariant */
#include "testutil.h"
#include "usher.h"

#if defined(__SANITIZE_ADDRESS__)
#define MODEL_OPS 20000
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MODEL_OPS 20000
#endif
#endif
#ifndef MODEL_OPS
#define MODEL_OPS 100000
#endif
#define RUNS 4 /* seeds per test run; MODEL_OPS operations in all */

#define NAG 12      /* agent ids in play */
#define NTK 48      /* ticket ids in play */
#define NCH 5       /* channels 0 .. NCH-1 in play (7 is never defined) */
#define NSK 6       /* skills interned; id NSK is unknown */
#define MAXITEMS 32 /* work + wrap-ups of one agent: capacity <= 12, cost >= 1 */
#define MAXCAPN 5   /* largest load cap the generator sets */
#define MAXEV 4096

#define OFF USHER_AGENT_OFFLINE
#define AVAIL USHER_AGENT_AVAILABLE
#define AWAY USHER_AGENT_AWAY

typedef struct m_item {
    uint64_t ticket;
    uint32_t ch;
    uint64_t t0;  /* reservation time (work) or release time (wrap-up) */
    uint64_t end; /* wrap-up end */
} m_item;

typedef struct m_agent {
    int exists;
    int32_t state, reason;
    uint32_t capacity;
    uint32_t own[NCH];
    uint32_t level[NSK];
    uint32_t cap_n;
    uint64_t cap_w;
    uint64_t times[MAXCAPN]; /* the last reservations, oldest first */
    int ntimes;
    uint64_t cap_until; /* 0: not at the window cap */
    uint64_t cooldown, cool_until;
    uint64_t idle, last_act;
    uint64_t assign, handled, busy, logged, counted;
    m_item work[MAXITEMS]; /* in reservation order */
    int nwork;
    m_item wrap[MAXITEMS];
    int nwrap;
} m_agent;

typedef struct m_channel {
    int defined;
    uint32_t flags, cost, max;
    uint64_t wrapup;
} m_channel;

typedef struct model {
    usher_engine *e;
    uint64_t seed, rng, now;
    long step;
    const char *op;
    m_agent ag[NAG];
    m_channel ch[NCH];
    int holder[NTK]; /* agent index holding the ticket's work, or -1 */
    usher_event exp[MAXEV];
    int nexp;
    usher_event got[MAXEV];
    int ngot;
    uint64_t last_seq;
    int got_overflow;
    long stat_reserve_st[9];
    long stat_ok_reserve, stat_events, stat_wrapups, stat_idle, stat_caps;
} model;

static uint64_t agent_id(int i) { return UINT64_C(0x51ed270b27e3c5a1) * (uint64_t)(i + 1); }
static uint64_t ticket_id(int i) { return 7000 + (uint64_t)i * 13; }

/* ---- failure reporting ---------------------------------------------- */

static void model_fail(const model *m, const char *what, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    fail_msg("seed %llu step %ld op %s now %llu: %s: %s\n(replay: USHER_MODEL_SEED=%llu)",
             (unsigned long long)m->seed, m->step, m->op ? m->op : "-",
             (unsigned long long)m->now, what, detail, (unsigned long long)m->seed);
}

#define MCHECK(m, cond, ...)                         \
    do {                                             \
        if (!(cond))                                 \
            model_fail((m), #cond, __VA_ARGS__);     \
    } while (0)

static unsigned err_bit(usher_status st) { return 1u << (unsigned)(-st); }

/* errs == 0: the call must succeed; otherwise it must fail with one of the
 * statuses in errs (the header does not order the checks). */
static void expect_status(model *m, usher_status got, unsigned errs)
{
    if (errs == 0)
        MCHECK(m, got == USHER_OK, "got %s, expected USHER_OK", usher_status_name(got));
    else
        MCHECK(m, got < 0 && got >= -8 && (errs & err_bit(got)),
               "got %s, expected one of mask 0x%x", usher_status_name(got), errs);
}

/* ---- events ----------------------------------------------------------- */

static void on_event(void *user, const usher_event *ev)
{
    model *m = user;
    if (m->ngot >= MAXEV) {
        m->got_overflow = 1;
        return;
    }
    m->got[m->ngot++] = *ev;
}

static void expect_event(model *m, int32_t type, uint64_t time_ms, int a, uint64_t ticket,
                         int64_t value, int32_t reason)
{
    MCHECK(m, m->nexp < MAXEV, "too many expected events");
    usher_event *ev = &m->exp[m->nexp++];
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    ev->time_ms = time_ms;
    ev->agent_id = agent_id(a);
    ev->ticket_id = ticket;
    ev->value = value;
    ev->reason = reason;
}

static int ev_cmp(const void *pa, const void *pb)
{
    const usher_event *a = pa, *b = pb;
    if (a->time_ms != b->time_ms)
        return a->time_ms < b->time_ms ? -1 : 1;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    if (a->agent_id != b->agent_id)
        return a->agent_id < b->agent_id ? -1 : 1;
    if (a->ticket_id != b->ticket_id)
        return a->ticket_id < b->ticket_id ? -1 : 1;
    if (a->value != b->value)
        return a->value < b->value ? -1 : 1;
    if (a->reason != b->reason)
        return a->reason < b->reason ? -1 : 1;
    return 0;
}

static const char *ev_name(int32_t type)
{
    switch (type) {
    case USHER_EVENT_TIMER: return "TIMER";
    case USHER_EVENT_AGENT_STATE: return "AGENT_STATE";
    case USHER_EVENT_WORK_RETURNED: return "WORK_RETURNED";
    case USHER_EVENT_WRAPUP_ENDED: return "WRAPUP_ENDED";
    case USHER_EVENT_LOAD_CAP_REACHED: return "LOAD_CAP_REACHED";
    case USHER_EVENT_LOAD_CAP_CLEARED: return "LOAD_CAP_CLEARED";
    default: return "?";
    }
}

static void dump_events(const char *title, const usher_event *evs, int n)
{
    fprintf(stderr, "%s (%d):\n", title, n);
    for (int i = 0; i < n && i < 40; i++)
        fprintf(stderr, "  %s t=%llu agent=%llx ticket=%llu value=%lld reason=%d\n",
                ev_name(evs[i].type), (unsigned long long)evs[i].time_ms,
                (unsigned long long)evs[i].agent_id, (unsigned long long)evs[i].ticket_id,
                (long long)evs[i].value, evs[i].reason);
}

/* Compares what arrived with what the model expects. `grouped`: events of
 * the same time may come in any order (deadlines due at one time, or the
 * returns of a removal); otherwise the order must match exactly. */
static void compare_events(model *m, int grouped)
{
    MCHECK(m, !m->got_overflow, "event buffer overflow");
    for (int i = 0; i < m->ngot; i++) {
        const usher_event *g = &m->got[i];
        MCHECK(m, g->seq == m->last_seq + 1, "event seq %llu after %llu",
               (unsigned long long)g->seq, (unsigned long long)m->last_seq);
        m->last_seq = g->seq;
        MCHECK(m, g->struct_size == sizeof(usher_event), "struct_size %u", g->struct_size);
        MCHECK(m, g->timer_id == 0 && g->offer_token == 0 && g->detail == 0 && g->due_ms == 0,
               "nonzero unused fields in %s", ev_name(g->type));
        if (i > 0)
            MCHECK(m, g->time_ms >= m->got[i - 1].time_ms, "event times go backwards");
    }
    if (grouped) {
        qsort(m->exp, (size_t)m->nexp, sizeof m->exp[0], ev_cmp);
        qsort(m->got, (size_t)m->ngot, sizeof m->got[0], ev_cmp);
    }
    int same = m->ngot == m->nexp;
    for (int i = 0; same && i < m->ngot; i++)
        same = ev_cmp(&m->got[i], &m->exp[i]) == 0;
    if (!same) {
        dump_events("expected", m->exp, m->nexp);
        dump_events("got", m->got, m->ngot);
        model_fail(m, "event stream", "%d events, expected %d (listed above)", m->ngot, m->nexp);
    }
    m->stat_events += m->ngot;
    m->nexp = 0;
    m->ngot = 0;
}

/* ---- the reference model ---------------------------------------------- */

static int has_flag(const model *m, uint32_t c, uint32_t flag)
{
    return (m->ch[c].flags & flag) != 0;
}

static uint32_t used_of(const model *m, const m_agent *a)
{
    uint32_t used = 0;
    for (int i = 0; i < a->nwork; i++)
        used += m->ch[a->work[i].ch].cost;
    for (int i = 0; i < a->nwrap; i++)
        used += m->ch[a->wrap[i].ch].cost;
    return used;
}

static uint32_t active_on(const m_agent *a, uint32_t c)
{
    uint32_t n = 0;
    for (int i = 0; i < a->nwork; i++)
        n += a->work[i].ch == c;
    return n;
}

static uint32_t wrapping_on(const m_agent *a, uint32_t c)
{
    uint32_t n = 0;
    for (int i = 0; i < a->nwrap; i++)
        n += a->wrap[i].ch == c;
    return n;
}

static uint32_t limit_of(const model *m, const m_agent *a, uint32_t c)
{
    if (a->own[c] != USHER_LIMIT_DEFAULT)
        return a->own[c];
    return m->ch[c].max ? m->ch[c].max : UINT32_MAX;
}

static int excl_work(const model *m, const m_agent *a)
{
    for (int i = 0; i < a->nwork; i++)
        if (has_flag(m, a->work[i].ch, USHER_CHANNEL_EXCLUSIVE))
            return 1;
    return 0;
}

static int blocking_wrap(const model *m, const m_agent *a)
{
    for (int i = 0; i < a->nwrap; i++)
        if (has_flag(m, a->wrap[i].ch, USHER_CHANNEL_WRAPUP_BLOCKS_AGENT))
            return 1;
    return 0;
}

/* Exclusive work or a blocking wrap-up in the way of channel c. */
static int blocked_for(const model *m, const m_agent *a, uint32_t c)
{
    if (blocking_wrap(m, a) || excl_work(m, a))
        return 1;
    return has_flag(m, c, USHER_CHANNEL_EXCLUSIVE) && !has_flag(m, c, USHER_CHANNEL_INTERRUPTS) &&
           a->nwork + a->nwrap > 0;
}

static uint32_t free_of(const model *m, const m_agent *a, uint32_t c)
{
    if (blocked_for(m, a, c))
        return 0;
    uint32_t n = (a->capacity - used_of(m, a)) / m->ch[c].cost;
    uint32_t limit = limit_of(m, a, c), held = active_on(a, c) + wrapping_on(a, c);
    if (limit != UINT32_MAX) {
        uint32_t room = limit > held ? limit - held : 0;
        if (room < n)
            n = room;
    }
    if (has_flag(m, c, USHER_CHANNEL_EXCLUSIVE) && n > 1)
        n = 1; /* after one, exclusive work stands in the way */
    return n;
}

static int open_for_work(const m_agent *a)
{
    return a->state == AVAIL && a->cap_until == 0 && a->cool_until == 0;
}

static int idle_candidate(const m_agent *a)
{
    return a->exists && a->state == AVAIL && a->nwork == 0 && a->nwrap == 0 && a->idle > 0;
}

static void account(m_agent *a, uint64_t t)
{
    uint64_t d = t - a->counted;
    if (a->state != OFF) {
        a->logged += d;
        if (a->nwork + a->nwrap > 0)
            a->busy += d;
    }
    a->counted = t;
}

static void account_all(model *m)
{
    for (int i = 0; i < NAG; i++)
        if (m->ag[i].exists)
            account(&m->ag[i], m->now);
}

/* ---- checking the engine against the model ---------------------------- */

static void check_agent(model *m, int i)
{
    const m_agent *a = &m->ag[i];
    usher_agent_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    usher_status st = usher_agent_get(m->e, agent_id(i), &info);
    usher_agent_channel_info ci;
    if (!a->exists) {
        MCHECK(m, st == USHER_ENOTFOUND, "agent %d: get %s, expected ENOTFOUND", i,
               usher_status_name(st));
        ci.struct_size = sizeof ci;
        st = usher_agent_get_channel(m->e, agent_id(i), 0, &ci);
        MCHECK(m, st == USHER_ENOTFOUND, "agent %d: get_channel %s", i, usher_status_name(st));
        return;
    }
    MCHECK(m, st == USHER_OK, "agent %d: get %s", i, usher_status_name(st));
    uint64_t d = m->now - a->counted;
    uint64_t logged = a->logged + (a->state != OFF ? d : 0);
    uint64_t busy = a->busy + (a->state != OFF && a->nwork + a->nwrap > 0 ? d : 0);
    uint32_t flags = (a->cap_until ? USHER_AGENT_AT_LOAD_CAP : 0) |
                     (a->cool_until ? USHER_AGENT_COOLING_DOWN : 0) |
                     (blocking_wrap(m, a) ? USHER_AGENT_WRAPUP_BLOCKED : 0) |
                     (excl_work(m, a) ? USHER_AGENT_EXCLUSIVE : 0);
    uint32_t skills = 0;
    for (int s = 0; s < NSK; s++)
        skills += a->level[s] != 0;
    MCHECK(m, info.state == a->state, "agent %d state %d, model %d", i, info.state, a->state);
    MCHECK(m, info.away_reason == a->reason, "agent %d away_reason %d, model %d", i,
           info.away_reason, a->reason);
    MCHECK(m, info.flags == flags, "agent %d flags 0x%x, model 0x%x", i, info.flags, flags);
    MCHECK(m, info.capacity == a->capacity, "agent %d capacity %u, model %u", i, info.capacity,
           a->capacity);
    MCHECK(m, info.capacity_used == used_of(m, a), "agent %d capacity_used %u, model %u", i,
           info.capacity_used, used_of(m, a));
    MCHECK(m, info.work_count == (uint32_t)a->nwork, "agent %d work_count %u, model %d", i,
           info.work_count, a->nwork);
    MCHECK(m, info.wrapup_count == (uint32_t)a->nwrap, "agent %d wrapup_count %u, model %d", i,
           info.wrapup_count, a->nwrap);
    MCHECK(m, info.skill_count == skills, "agent %d skill_count %u, model %u", i,
           info.skill_count, skills);
    MCHECK(m, info.load_cap_max == a->cap_n && info.load_cap_window_ms == a->cap_w,
           "agent %d load cap %u/%llu, model %u/%llu", i, info.load_cap_max,
           (unsigned long long)info.load_cap_window_ms, a->cap_n, (unsigned long long)a->cap_w);
    MCHECK(m, info.cooldown_ms == a->cooldown, "agent %d cooldown_ms", i);
    MCHECK(m, info.idle_timeout_ms == a->idle, "agent %d idle_timeout_ms", i);
    if (a->cap_until && a->cool_until)
        /* Both in force: the header does not say which end is reported. */
        MCHECK(m, info.capped_until_ms == a->cap_until || info.capped_until_ms == a->cool_until,
               "agent %d capped_until_ms %llu, model %llu or %llu", i,
               (unsigned long long)info.capped_until_ms, (unsigned long long)a->cap_until,
               (unsigned long long)a->cool_until);
    else
        MCHECK(m, info.capped_until_ms == (a->cap_until | a->cool_until),
               "agent %d capped_until_ms %llu, model %llu", i,
               (unsigned long long)info.capped_until_ms,
               (unsigned long long)(a->cap_until | a->cool_until));
    MCHECK(m, info.assignments_today == a->assign, "agent %d assignments_today %llu, model %llu",
           i, (unsigned long long)info.assignments_today, (unsigned long long)a->assign);
    MCHECK(m, info.handled_ms == a->handled, "agent %d handled_ms %llu, model %llu", i,
           (unsigned long long)info.handled_ms, (unsigned long long)a->handled);
    MCHECK(m, info.busy_ms == busy, "agent %d busy_ms %llu, model %llu", i,
           (unsigned long long)info.busy_ms, (unsigned long long)busy);
    MCHECK(m, info.logged_in_ms == logged, "agent %d logged_in_ms %llu, model %llu", i,
           (unsigned long long)info.logged_in_ms, (unsigned long long)logged);

    /* Per channel, and the invariants from the engine's own numbers. */
    MCHECK(m, info.capacity_used <= info.capacity, "agent %d over capacity", i);
    uint32_t sum_units = 0, sum_active = 0, sum_wrapping = 0;
    for (uint32_t c = 0; c < NCH; c++) {
        memset(&ci, 0, sizeof ci);
        ci.struct_size = sizeof ci;
        st = usher_agent_get_channel(m->e, agent_id(i), c, &ci);
        if (!m->ch[c].defined) {
            MCHECK(m, st == USHER_ENOTFOUND, "agent %d channel %u: %s, undefined", i, c,
                   usher_status_name(st));
            continue;
        }
        MCHECK(m, st == USHER_OK, "agent %d channel %u: %s", i, c, usher_status_name(st));
        uint32_t fr = free_of(m, a, c);
        uint32_t eligible = open_for_work(a) && fr > 0;
        MCHECK(m, ci.limit == limit_of(m, a, c), "agent %d ch %u limit %u, model %u", i, c,
               ci.limit, limit_of(m, a, c));
        MCHECK(m, ci.active == active_on(a, c), "agent %d ch %u active %u, model %u", i, c,
               ci.active, active_on(a, c));
        MCHECK(m, ci.wrapping == wrapping_on(a, c), "agent %d ch %u wrapping %u, model %u", i, c,
               ci.wrapping, wrapping_on(a, c));
        MCHECK(m, ci.free == fr, "agent %d ch %u free %u, model %u", i, c, ci.free, fr);
        MCHECK(m, ci.eligible == eligible, "agent %d ch %u eligible %u, model %u", i, c,
               ci.eligible, eligible);
        MCHECK(m, ci.limit == UINT32_MAX || ci.active + ci.wrapping <= ci.limit,
               "agent %d ch %u over its limit", i, c);
        sum_units += (ci.active + ci.wrapping) * m->ch[c].cost;
        sum_active += ci.active;
        sum_wrapping += ci.wrapping;
    }
    MCHECK(m, sum_units == info.capacity_used, "agent %d: channel units %u != capacity_used %u",
           i, sum_units, info.capacity_used);
    MCHECK(m, sum_active == info.work_count, "agent %d: channel active %u != work_count %u", i,
           sum_active, info.work_count);
    MCHECK(m, sum_wrapping == info.wrapup_count,
           "agent %d: channel wrapping %u != wrapup_count %u", i, sum_wrapping,
           info.wrapup_count);
    ci.struct_size = sizeof ci;
    st = usher_agent_get_channel(m->e, agent_id(i), 7, &ci);
    MCHECK(m, st == USHER_ENOTFOUND, "agent %d channel 7: %s", i, usher_status_name(st));
}

static void check_skills(model *m, int i)
{
    const m_agent *a = &m->ag[i];
    usher_skill_level out[NSK + 2];
    size_t count = 0;
    usher_status st = usher_agent_get_skills(m->e, agent_id(i), out, NSK + 2, &count);
    if (!a->exists) {
        MCHECK(m, st == USHER_ENOTFOUND, "agent %d get_skills %s", i, usher_status_name(st));
        return;
    }
    MCHECK(m, st == USHER_OK, "agent %d get_skills %s", i, usher_status_name(st));
    size_t n = 0;
    for (uint32_t s = 0; s < NSK; s++) {
        if (!a->level[s])
            continue;
        MCHECK(m, n < count && out[n].skill == s && out[n].level == a->level[s],
               "agent %d skill %u level %u missing or wrong", i, s, a->level[s]);
        n++;
    }
    MCHECK(m, count == n, "agent %d has %zu skills, model %zu", i, count, n);
}

/* The earliest deadline of the model: wrap-up ends, cap and cool-down
 * ends, idle timeouts. */
static uint64_t next_model_deadline(const model *m)
{
    uint64_t best = USHER_TIME_NEVER;
    for (int i = 0; i < NAG; i++) {
        const m_agent *a = &m->ag[i];
        if (!a->exists)
            continue;
        for (int w = 0; w < a->nwrap; w++)
            if (a->wrap[w].end < best)
                best = a->wrap[w].end;
        if (a->cap_until && a->cap_until < best)
            best = a->cap_until;
        if (a->cool_until && a->cool_until < best)
            best = a->cool_until;
        if (idle_candidate(a) && a->last_act + a->idle < best)
            best = a->last_act + a->idle;
    }
    return best;
}

static void check_all(model *m)
{
    uint32_t held_by[NAG] = {0};
    for (int t = 0; t < NTK; t++) {
        uint64_t agent = 0;
        uint32_t ch = 0;
        usher_status st = usher_capacity_holder(m->e, ticket_id(t), &agent, &ch);
        int h = m->holder[t];
        if (h < 0) {
            MCHECK(m, st == USHER_ENOTFOUND, "ticket %d: holder %s, model none", t,
                   usher_status_name(st));
            continue;
        }
        MCHECK(m, st == USHER_OK, "ticket %d: holder %s, model agent %d", t,
               usher_status_name(st), h);
        MCHECK(m, agent == agent_id(h), "ticket %d held at %llx, model agent %d", t,
               (unsigned long long)agent, h);
        int found = 0;
        for (int w = 0; w < m->ag[h].nwork; w++)
            if (m->ag[h].work[w].ticket == ticket_id(t)) {
                found = 1;
                MCHECK(m, ch == m->ag[h].work[w].ch, "ticket %d channel %u, model %u", t, ch,
                       m->ag[h].work[w].ch);
            }
        MCHECK(m, found, "model inconsistent for ticket %d", t);
        held_by[h]++;
    }
    for (int i = 0; i < NAG; i++) {
        check_agent(m, i);
        if (m->ag[i].exists)
            MCHECK(m, held_by[i] == (uint32_t)m->ag[i].nwork,
                   "agent %d: %u tickets hold capacity there, work_count %d", i, held_by[i],
                   m->ag[i].nwork);
    }
    uint64_t now = 0;
    MCHECK(m, usher_now(m->e, &now) == USHER_OK && now == m->now, "clock %llu, model %llu",
           (unsigned long long)now, (unsigned long long)m->now);

    /* The engine's next deadline is the model's earliest one. */
    uint64_t next = 0, want = next_model_deadline(m);
    if (want != USHER_TIME_NEVER && want < m->now)
        want = m->now;
    MCHECK(m, usher_next_deadline(m->e, &next) == USHER_OK && next == want,
           "next deadline %llu, model %llu", (unsigned long long)next, (unsigned long long)want);
    /* The engine's own invariants, recomputed inside. */
    if (usher_check(m->e) != USHER_OK)
        model_fail(m, "usher_check", "%s", us_check(m->e));
}

static void check_iteration(model *m)
{
    int seen[NAG] = {0};
    uint64_t cursor = 0, id = 0;
    int n = 0;
    usher_status st;
    while ((st = usher_agent_next(m->e, &cursor, &id)) == USHER_OK) {
        int found = -1;
        for (int i = 0; i < NAG; i++)
            if (agent_id(i) == id)
                found = i;
        MCHECK(m, found >= 0 && m->ag[found].exists, "iteration gave unknown agent %llx",
               (unsigned long long)id);
        seen[found]++;
        MCHECK(m, ++n <= NAG, "iteration does not end");
    }
    MCHECK(m, st == USHER_ENOTFOUND, "iteration ended with %s", usher_status_name(st));
    for (int i = 0; i < NAG; i++)
        MCHECK(m, seen[i] == m->ag[i].exists, "agent %d seen %d times", i, seen[i]);
}

/* ---- operations ---------------------------------------------------------- */

static int rnd(model *m, uint64_t n) { return (int)test_rand_below(&m->rng, n); }

static int pick_agent(model *m) { return rnd(m, NAG); }

/* Mostly an agent that exists (and is available, when asked). */
static int pick_live_agent(model *m, int want_available)
{
    int i = rnd(m, NAG);
    if (rnd(m, 8) == 0)
        return i;
    for (int k = 0; k < NAG; k++) {
        int j = (i + k) % NAG;
        if (m->ag[j].exists && (!want_available || m->ag[j].state == AVAIL))
            return j;
    }
    return i;
}

static void op_add(model *m)
{
    m->op = "agent_add";
    int i = pick_agent(m);
    uint32_t cap = rnd(m, 20) == 0 ? (rnd(m, 2) ? 0 : USHER_MAX_CAPACITY + 1)
                                   : (uint32_t)(1 + rnd(m, 10));
    unsigned errs = 0;
    if (cap == 0 || cap > USHER_MAX_CAPACITY)
        errs |= err_bit(USHER_EINVAL);
    if (m->ag[i].exists)
        errs |= err_bit(USHER_EEXIST);
    usher_status st = usher_agent_add(m->e, agent_id(i), cap);
    expect_status(m, st, errs);
    if (errs)
        return;
    m_agent *a = &m->ag[i];
    memset(a, 0, sizeof *a);
    a->exists = 1;
    a->state = OFF;
    a->capacity = cap;
    for (int c = 0; c < NCH; c++)
        a->own[c] = USHER_LIMIT_DEFAULT;
    a->counted = m->now;
    a->last_act = m->now;
}

static void op_remove(model *m)
{
    m->op = "agent_remove";
    int i = pick_agent(m);
    m_agent *a = &m->ag[i];
    usher_status st = usher_agent_remove(m->e, agent_id(i));
    expect_status(m, st, a->exists ? 0 : err_bit(USHER_ENOTFOUND));
    if (!a->exists)
        return;
    for (int w = 0; w < a->nwork; w++) {
        expect_event(m, USHER_EVENT_WORK_RETURNED, m->now, i, a->work[w].ticket, a->work[w].ch,
                     USHER_RETURN_REMOVED);
        m->holder[(a->work[w].ticket - 7000) / 13] = -1;
    }
    a->exists = 0;
}

static void op_set_capacity(model *m)
{
    m->op = "agent_set_capacity";
    int i = pick_live_agent(m, 0);
    m_agent *a = &m->ag[i];
    uint32_t cap = rnd(m, 25) == 0 ? (rnd(m, 2) ? 0 : USHER_MAX_CAPACITY + 1)
                                   : (uint32_t)(1 + rnd(m, 12));
    unsigned errs = 0;
    if (cap == 0 || cap > USHER_MAX_CAPACITY)
        errs |= err_bit(USHER_EINVAL);
    if (!a->exists) {
        errs |= err_bit(USHER_ENOTFOUND);
    } else {
        for (int c = 0; c < NCH; c++)
            if (m->ch[c].defined && a->own[c] != USHER_LIMIT_DEFAULT && a->own[c] > cap)
                errs |= err_bit(USHER_EINVAL);
        if (used_of(m, a) > cap)
            errs |= err_bit(USHER_ESTATE);
    }
    usher_status st = usher_agent_set_capacity(m->e, agent_id(i), cap);
    expect_status(m, st, errs);
    if (!errs)
        a->capacity = cap;
}

static void op_set_limit(model *m)
{
    m->op = "agent_set_channel_limit";
    int i = pick_live_agent(m, 0);
    m_agent *a = &m->ag[i];
    uint32_t c = rnd(m, 20) == 0 ? (rnd(m, 2) ? 7 : USHER_MAX_CHANNELS) : (uint32_t)rnd(m, NCH);
    uint32_t limit = rnd(m, 4) == 0 ? USHER_LIMIT_DEFAULT : (uint32_t)rnd(m, 13);
    unsigned errs = 0;
    if (c >= USHER_MAX_CHANNELS)
        errs |= err_bit(USHER_EINVAL);
    else if (c >= NCH || !m->ch[c].defined)
        errs |= err_bit(USHER_ENOTFOUND);
    if (!a->exists)
        errs |= err_bit(USHER_ENOTFOUND);
    if (a->exists && limit != USHER_LIMIT_DEFAULT && limit > a->capacity)
        errs |= err_bit(USHER_EINVAL);
    if (a->exists && c < NCH && m->ch[c].defined) {
        uint32_t held = active_on(a, c) + wrapping_on(a, c);
        if (limit != USHER_LIMIT_DEFAULT && held > limit)
            errs |= err_bit(USHER_ESTATE);
        if (limit == USHER_LIMIT_DEFAULT && m->ch[c].max && held > m->ch[c].max && !errs)
            return; /* back to a channel default below what is held: not specified */
    }
    usher_status st = usher_agent_set_channel_limit(m->e, agent_id(i), c, limit);
    expect_status(m, st, errs);
    if (!errs)
        a->own[c] = limit;
}

static void op_skills(model *m)
{
    int i = pick_live_agent(m, 0);
    m_agent *a = &m->ag[i];
    int kind = rnd(m, 3);
    usher_status st;
    unsigned errs = 0;
    if (kind == 0) {
        m->op = "agent_set_skill";
        uint32_t s = (uint32_t)rnd(m, NSK + 1);
        uint32_t level = rnd(m, 10) == 0 ? (rnd(m, 2) ? 0 : USHER_LEVEL_MAX + 1)
                                         : (uint32_t)(1 + rnd(m, USHER_LEVEL_MAX));
        if (level < USHER_LEVEL_MIN || level > USHER_LEVEL_MAX)
            errs |= err_bit(USHER_EINVAL);
        if (!a->exists || s >= NSK)
            errs |= err_bit(USHER_ENOTFOUND);
        st = usher_agent_set_skill(m->e, agent_id(i), s, level);
        expect_status(m, st, errs);
        if (!errs)
            a->level[s] = level;
    } else if (kind == 1) {
        m->op = "agent_drop_skill";
        uint32_t s = (uint32_t)rnd(m, NSK + 1);
        if (!a->exists || s >= NSK || a->level[s] == 0)
            errs |= err_bit(USHER_ENOTFOUND);
        st = usher_agent_drop_skill(m->e, agent_id(i), s);
        expect_status(m, st, errs);
        if (!errs)
            a->level[s] = 0;
    } else {
        m->op = "agent_set_skills";
        usher_skill_level list[5];
        size_t n = (size_t)rnd(m, 5);
        int dup = 0, unknown = 0, bad_level = 0;
        for (size_t k = 0; k < n; k++) {
            list[k].skill = (uint32_t)(rnd(m, 12) == 0 ? NSK : rnd(m, NSK));
            list[k].level = rnd(m, 15) == 0 ? 0 : (uint32_t)(1 + rnd(m, USHER_LEVEL_MAX));
            for (size_t j = 0; j < k; j++)
                dup |= list[j].skill == list[k].skill;
            unknown |= list[k].skill >= NSK;
            bad_level |= list[k].level == 0;
        }
        int null_list = n > 0 && rnd(m, 30) == 0;
        if (null_list || dup || bad_level)
            errs |= err_bit(USHER_EINVAL);
        if (!a->exists || (unknown && !null_list))
            errs |= err_bit(USHER_ENOTFOUND);
        st = usher_agent_set_skills(m->e, agent_id(i), null_list ? NULL : list, n);
        expect_status(m, st, errs);
        if (!errs) {
            memset(a->level, 0, sizeof a->level);
            for (size_t k = 0; k < n; k++)
                a->level[list[k].skill] = list[k].level;
        }
    }
    check_skills(m, i);
}

static void op_set_state(model *m)
{
    m->op = "agent_set_state";
    int i = pick_live_agent(m, 0);
    m_agent *a = &m->ag[i];
    int32_t s, reason = 0;
    int r = rnd(m, 100);
    if (r < 55)
        s = AVAIL;
    else if (r < 72) {
        s = AWAY;
        reason = rnd(m, 3);
    } else if (r < 95)
        s = OFF;
    else {
        /* invalid combinations */
        static const int32_t bad[][2] = {{AVAIL, 1}, {OFF, 3}, {AWAY, -1}, {3, 0}, {-1, 0}};
        int b = rnd(m, 5);
        s = bad[b][0];
        reason = bad[b][1];
    }
    unsigned errs = 0;
    int valid = (s == OFF || s == AVAIL || s == AWAY) && (s == AWAY ? reason >= 0 : reason == 0);
    if (!valid)
        errs |= err_bit(USHER_EINVAL);
    if (!a->exists)
        errs |= err_bit(USHER_ENOTFOUND);
    else if (valid && a->state == s && (s != AWAY || a->reason == reason))
        errs |= err_bit(USHER_ESTATE);
    usher_status st = usher_agent_set_state(m->e, agent_id(i), s, reason);
    expect_status(m, st, errs);
    if (errs)
        return;
    a->state = s;
    a->reason = s == AWAY ? reason : 0;
    expect_event(m, USHER_EVENT_AGENT_STATE, m->now, i, 0, s, a->reason);
    if (s == AVAIL)
        a->last_act = m->now;
    if (s == OFF)
        for (int w = 0; w < a->nwork; w++)
            expect_event(m, USHER_EVENT_WORK_RETURNED, m->now, i, a->work[w].ticket,
                         a->work[w].ch, USHER_RETURN_LOGOUT);
}

static void op_reserve(model *m)
{
    m->op = "capacity_reserve";
    int i = pick_live_agent(m, rnd(m, 3) != 0);
    m_agent *a = &m->ag[i];
    int t = rnd(m, NTK);
    int r = rnd(m, 40);
    uint32_t c = r == 0 ? USHER_MAX_CHANNELS : r == 1 ? 7 : (uint32_t)rnd(m, NCH);
    unsigned errs = 0;
    if (c >= USHER_MAX_CHANNELS)
        errs |= err_bit(USHER_EINVAL);
    else if (c >= NCH || !m->ch[c].defined)
        errs |= err_bit(USHER_ENOTFOUND);
    if (!a->exists)
        errs |= err_bit(USHER_ENOTFOUND);
    if (m->holder[t] >= 0)
        errs |= err_bit(USHER_EEXIST);
    if (a->exists && c < NCH && m->ch[c].defined) {
        if (!open_for_work(a) || blocked_for(m, a, c))
            errs |= err_bit(USHER_ESTATE);
        uint32_t held = active_on(a, c) + wrapping_on(a, c);
        if (a->capacity - used_of(m, a) < m->ch[c].cost || held >= limit_of(m, a, c))
            errs |= err_bit(USHER_ELIMIT);
    }
    usher_status st = usher_capacity_reserve(m->e, agent_id(i), ticket_id(t), c);
    m->stat_reserve_st[-st]++;
    expect_status(m, st, errs);
    if (errs)
        return;
    MCHECK(m, a->nwork < MAXITEMS, "model: too much work");
    a->work[a->nwork++] = (m_item){ticket_id(t), c, m->now, 0};
    m->holder[t] = i;
    a->assign++;
    m->stat_ok_reserve++;
    if (a->cap_n) {
        if (a->ntimes == (int)a->cap_n) {
            memmove(a->times, a->times + 1, sizeof a->times[0] * (size_t)(a->ntimes - 1));
            a->ntimes--;
        }
        a->times[a->ntimes++] = m->now;
        if (a->ntimes == (int)a->cap_n && a->times[0] + a->cap_w > m->now) {
            a->cap_until = a->times[0] + a->cap_w;
            expect_event(m, USHER_EVENT_LOAD_CAP_REACHED, m->now, i, 0, (int64_t)a->cap_until,
                         USHER_CAP_WINDOW);
            m->stat_caps++;
        }
    }
}

static void op_release(model *m)
{
    m->op = "capacity_release";
    int t = rnd(m, NTK);
    if (rnd(m, 10) < 7) { /* mostly a ticket that holds capacity */
        for (int k = 0; k < NTK && m->holder[t] < 0; k++)
            t = (t + 1) % NTK;
    }
    static const uint32_t flag_sets[] = {0, 0, 0, USHER_RELEASE_NO_WRAPUP, USHER_RELEASE_HEAVY,
                                         USHER_RELEASE_HEAVY | USHER_RELEASE_NO_WRAPUP};
    uint32_t flags = flag_sets[rnd(m, sizeof flag_sets / sizeof flag_sets[0])];
    if (rnd(m, 40) == 0)
        flags |= rnd(m, 2) ? 4u : 0x80000000u;
    int h = m->holder[t];
    /* A heavy release during a cool-down is not specified (restart or
     * keep?): the generator avoids it. */
    if (h >= 0 && m->ag[h].cool_until)
        flags &= ~(uint32_t)USHER_RELEASE_HEAVY;
    unsigned errs = 0;
    if (flags & ~(uint32_t)(USHER_RELEASE_HEAVY | USHER_RELEASE_NO_WRAPUP))
        errs |= err_bit(USHER_EINVAL);
    if (h < 0)
        errs |= err_bit(USHER_ENOTFOUND);
    usher_status st = usher_capacity_release(m->e, ticket_id(t), flags);
    expect_status(m, st, errs);
    if (errs)
        return;
    m_agent *a = &m->ag[h];
    int w = 0;
    while (a->work[w].ticket != ticket_id(t))
        w++;
    m_item item = a->work[w];
    memmove(a->work + w, a->work + w + 1, sizeof a->work[0] * (size_t)(a->nwork - w - 1));
    a->nwork--;
    m->holder[t] = -1;
    a->handled += m->now - item.t0;
    if (!(flags & USHER_RELEASE_NO_WRAPUP) && m->ch[item.ch].wrapup > 0) {
        uint64_t end = m->now + m->ch[item.ch].wrapup;
        a->wrap[a->nwrap++] = (m_item){item.ticket, item.ch, m->now, end};
    }
    a->last_act = m->now;
    if ((flags & USHER_RELEASE_HEAVY) && a->cooldown > 0) {
        a->cool_until = m->now + a->cooldown;
        expect_event(m, USHER_EVENT_LOAD_CAP_REACHED, m->now, h, 0, (int64_t)a->cool_until,
                     USHER_CAP_COOLDOWN);
        m->stat_caps++;
    }
}

/* Would the window cap hold with these settings and the kept times? */
static int capped_with(const m_agent *a, uint32_t n, uint64_t w, uint64_t now)
{
    if (n == 0)
        return 0;
    int keep = a->ntimes < (int)n ? a->ntimes : (int)n;
    if (keep < (int)n)
        return 0;
    return a->times[a->ntimes - keep] + w > now;
}

static void op_load_cap(model *m)
{
    m->op = "agent_set_load_cap";
    int i = pick_live_agent(m, 0);
    m_agent *a = &m->ag[i];
    uint32_t n;
    uint64_t w;
    int r = rnd(m, 20);
    if (r == 0) {
        static const uint64_t bad[][2] = {
            {100001, 1000}, {3, 0}, {0, 7}, {2, USHER_TIME_MAX + 1}};
        int b = rnd(m, 4);
        n = (uint32_t)bad[b][0];
        w = bad[b][1];
        usher_status st = usher_agent_set_load_cap(m->e, agent_id(i), n, w);
        expect_status(m, st,
                      err_bit(USHER_EINVAL) | (a->exists ? 0 : err_bit(USHER_ENOTFOUND)));
        return;
    }
    if (r < 8) {
        n = 0;
        w = 0;
    } else {
        n = (uint32_t)(1 + rnd(m, MAXCAPN));
        w = (uint64_t)(1 + rnd(m, 4000));
    }
    if (!a->exists) {
        expect_status(m, usher_agent_set_load_cap(m->e, agent_id(i), n, w),
                      err_bit(USHER_ENOTFOUND));
        return;
    }
    /* Changing the cap of a capped agent, or a change that caps at once,
     * raises events the header does not specify: avoided. */
    if (a->cap_until || capped_with(a, n, w, m->now))
        return;
    expect_status(m, usher_agent_set_load_cap(m->e, agent_id(i), n, w), 0);
    int keep = a->ntimes < (int)n ? a->ntimes : (int)n;
    memmove(a->times, a->times + (a->ntimes - keep), sizeof a->times[0] * (size_t)keep);
    a->ntimes = keep;
    a->cap_n = n;
    a->cap_w = w;
}

static void op_cooldown(model *m)
{
    m->op = "agent_set_cooldown";
    int i = pick_live_agent(m, 0);
    m_agent *a = &m->ag[i];
    uint64_t ms = rnd(m, 30) == 0 ? USHER_TIME_MAX + 1 : rnd(m, 2) ? 0 : (uint64_t)rnd(m, 3000);
    unsigned errs = 0;
    if (ms > USHER_TIME_MAX)
        errs |= err_bit(USHER_EINVAL);
    if (!a->exists)
        errs |= err_bit(USHER_ENOTFOUND);
    expect_status(m, usher_agent_set_cooldown(m->e, agent_id(i), ms), errs);
    if (!errs)
        a->cooldown = ms;
}

static void op_activity_for(model *m, int i)
{
    m_agent *a = &m->ag[i];
    expect_status(m, usher_agent_activity(m->e, agent_id(i)),
                  a->exists ? 0 : err_bit(USHER_ENOTFOUND));
    if (a->exists)
        a->last_act = m->now;
}

static void op_activity(model *m)
{
    m->op = "agent_activity";
    op_activity_for(m, pick_agent(m));
}

static void op_idle(model *m)
{
    m->op = "agent_set_idle_timeout";
    int i = pick_live_agent(m, 0);
    m_agent *a = &m->ag[i];
    uint64_t ms = rnd(m, 30) == 0 ? USHER_TIME_MAX + 1
                  : rnd(m, 4) == 0 ? 0
                                   : (uint64_t)(200 + rnd(m, 30000));
    /* Whether the idle time of an agent already idle counts from its last
     * activity or from this call is not specified: report activity first,
     * so both readings agree. */
    if (a->exists && a->state == AVAIL && a->nwork + a->nwrap == 0) {
        m->op = "agent_activity (before set_idle_timeout)";
        op_activity_for(m, i);
        m->op = "agent_set_idle_timeout";
    }
    unsigned errs = 0;
    if (ms > USHER_TIME_MAX)
        errs |= err_bit(USHER_EINVAL);
    if (!a->exists)
        errs |= err_bit(USHER_ENOTFOUND);
    expect_status(m, usher_agent_set_idle_timeout(m->e, agent_id(i), ms), errs);
    if (!errs)
        a->idle = ms;
}

static void op_new_day(model *m)
{
    m->op = "agents_new_day";
    expect_status(m, usher_agents_new_day(m->e), 0);
    for (int i = 0; i < NAG; i++)
        m->ag[i].assign = 0;
}

static void random_def(model *m, usher_channel_def *def)
{
    static const uint32_t flag_sets[] = {
        0,
        USHER_CHANNEL_EXCLUSIVE,
        USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_INTERRUPTS,
        USHER_CHANNEL_WRAPUP_BLOCKS_AGENT,
        USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_WRAPUP_BLOCKS_AGENT,
        USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_INTERRUPTS | USHER_CHANNEL_WRAPUP_BLOCKS_AGENT};
    usher_channel_def_init(def);
    def->flags = rnd(m, 2) ? 0 : flag_sets[rnd(m, sizeof flag_sets / sizeof flag_sets[0])];
    def->cost = (uint32_t)(1 + rnd(m, 3));
    def->max_per_agent = rnd(m, 2) ? 0 : (uint32_t)(1 + rnd(m, 4));
    def->wrapup_ms = rnd(m, 5) < 2 ? 0 : (uint64_t)(1 + rnd(m, 3000));
}

static void define_channel(model *m, uint32_t c, const usher_channel_def *def)
{
    m->ch[c] = (m_channel){1, def->flags, def->cost, def->max_per_agent, def->wrapup_ms};
}

static void op_channel(model *m)
{
    uint32_t c = (uint32_t)rnd(m, NCH);
    usher_channel_def def;
    random_def(m, &def);
    if (m->ch[c].defined) {
        if (rnd(m, 3) != 0)
            return; /* channels come back faster than they go */
        if (rnd(m, 4) == 0) {
            m->op = "channel_add (defined)";
            expect_status(m, usher_channel_add(m->e, c, &def), err_bit(USHER_EEXIST));
            return;
        }
        m->op = "channel_remove";
        int in_use = 0;
        for (int i = 0; i < NAG; i++)
            if (m->ag[i].exists)
                in_use |= active_on(&m->ag[i], c) + wrapping_on(&m->ag[i], c) > 0;
        expect_status(m, usher_channel_remove(m->e, c), in_use ? err_bit(USHER_ESTATE) : 0);
        if (in_use)
            return;
        m->ch[c].defined = 0;
        for (int i = 0; i < NAG; i++)
            m->ag[i].own[c] = USHER_LIMIT_DEFAULT; /* forgotten */
        return;
    }
    m->op = "channel_add";
    if (rnd(m, 5) == 0) {
        switch (rnd(m, 4)) {
        case 0: def.cost = 0; break;
        case 1: def.flags = USHER_CHANNEL_INTERRUPTS; break;
        case 2: def.wrapup_ms = (uint64_t)USHER_MAX_WRAPUP_MS + 1; break;
        default: def.struct_size = 4; break;
        }
        expect_status(m, usher_channel_add(m->e, c, &def), err_bit(USHER_EINVAL));
        return;
    }
    expect_status(m, usher_channel_add(m->e, c, &def), 0);
    define_channel(m, c, &def);
}

/* Runs every deadline up to `target` in the model, in time order. Ties are
 * processed in any order: events of one time are compared as a set. */
static void model_advance(model *m, uint64_t target)
{
    for (;;) {
        uint64_t best = UINT64_MAX;
        int who = -1, kind = -1, idx = -1;
        for (int i = 0; i < NAG; i++) {
            const m_agent *a = &m->ag[i];
            if (!a->exists)
                continue;
            for (int w = 0; w < a->nwrap; w++)
                if (a->wrap[w].end < best)
                    best = a->wrap[w].end, who = i, kind = 0, idx = w;
            if (a->cap_until && a->cap_until < best)
                best = a->cap_until, who = i, kind = 1;
            if (a->cool_until && a->cool_until < best)
                best = a->cool_until, who = i, kind = 2;
            if (idle_candidate(a) && a->last_act + a->idle < best)
                best = a->last_act + a->idle, who = i, kind = 3;
        }
        if (who < 0 || best > target)
            break;
        m_agent *a = &m->ag[who];
        account(a, best > a->counted ? best : a->counted);
        if (kind == 0) {
            m_item item = a->wrap[idx];
            memmove(a->wrap + idx, a->wrap + idx + 1,
                    sizeof a->wrap[0] * (size_t)(a->nwrap - idx - 1));
            a->nwrap--;
            a->handled += item.end - item.t0;
            a->last_act = best;
            expect_event(m, USHER_EVENT_WRAPUP_ENDED, best, who, item.ticket, item.ch, 0);
            m->stat_wrapups++;
        } else if (kind == 1) {
            a->cap_until = 0;
            expect_event(m, USHER_EVENT_LOAD_CAP_CLEARED, best, who, 0, 0, USHER_CAP_WINDOW);
        } else if (kind == 2) {
            a->cool_until = 0;
            expect_event(m, USHER_EVENT_LOAD_CAP_CLEARED, best, who, 0, 0, USHER_CAP_COOLDOWN);
        } else {
            a->state = AWAY;
            a->reason = USHER_AWAY_IDLE;
            expect_event(m, USHER_EVENT_AGENT_STATE, best, who, 0, AWAY, USHER_AWAY_IDLE);
            m->stat_idle++;
        }
    }
    if (target > m->now)
        m->now = target;
    account_all(m);
}

static void op_advance(model *m)
{
    m->op = "advance";
    int r = rnd(m, 100);
    uint64_t step;
    if (r < 50)
        step = (uint64_t)rnd(m, 51);
    else if (r < 85)
        step = (uint64_t)rnd(m, 1001);
    else if (r < 97)
        step = (uint64_t)rnd(m, 10001);
    else
        step = (uint64_t)rnd(m, 100001);
    uint64_t target = m->now + step;
    uint64_t asked = target;
    if (rnd(m, 50) == 0) { /* an earlier time: treated as the current time */
        asked = m->now - (uint64_t)rnd(m, 1000);
        target = m->now;
    }
    expect_status(m, usher_advance(m->e, asked), 0);
    model_advance(m, target);
}

/* ---- one run -------------------------------------------------------------- */

static void run_model(uint64_t seed, long ops)
{
    static model mstore;
    model *m = &mstore;
    memset(m, 0, sizeof *m);
    m->seed = seed;
    m->rng = seed;
    m->now = 1000000 + (uint64_t)rnd(m, 1000000);
    for (int t = 0; t < NTK; t++)
        m->holder[t] = -1;

    usher_config cfg;
    usher_config_init(&cfg);
    cfg.seed = seed;
    cfg.start_ms = m->now;
    MCHECK(m, usher_engine_new(&cfg, &m->e) == USHER_OK, "engine_new");
    MCHECK(m, usher_set_event_handler(m->e, on_event, m) == USHER_OK, "set_event_handler");
    for (uint32_t s = 0; s < NSK; s++) {
        char name[16];
        uint32_t id = 0;
        snprintf(name, sizeof name, "skill%u", (unsigned)s);
        MCHECK(m, usher_skill_intern(m->e, name, &id) == USHER_OK && id == s, "intern");
    }
    for (uint32_t c = 0; c < NCH; c++) {
        usher_channel_def def;
        random_def(m, &def);
        MCHECK(m, usher_channel_add(m->e, c, &def) == USHER_OK, "channel_add");
        define_channel(m, c, &def);
    }

    for (m->step = 0; m->step < ops; m->step++) {
        account_all(m);
        int r = rnd(m, 1000);
        int grouped = 0;
        if (r < 230)
            op_reserve(m);
        else if (r < 380)
            op_release(m);
        else if (r < 540)
            op_advance(m), grouped = 1;
        else if (r < 670)
            op_set_state(m);
        else if (r < 710)
            op_activity(m);
        else if (r < 745)
            op_add(m);
        else if (r < 760)
            op_remove(m), grouped = 1;
        else if (r < 790)
            op_set_capacity(m);
        else if (r < 830)
            op_set_limit(m);
        else if (r < 870)
            op_skills(m);
        else if (r < 905)
            op_load_cap(m);
        else if (r < 930)
            op_cooldown(m);
        else if (r < 965)
            op_idle(m);
        else if (r < 970)
            op_new_day(m);
        else if (r < 985)
            op_channel(m);
        else
            op_add(m); /* keep the population up */
        compare_events(m, grouped);
        check_all(m);
        if (m->step % 512 == 0) {
            m->op = "iteration";
            check_iteration(m);
            for (int i = 0; i < NAG; i++)
                check_skills(m, i);
        }
    }
    print_message("seed %llu: %ld ops, %ld reservations, %ld events, %ld wrap-ups ended, "
                  "%ld caps reached, %ld idle timeouts\n",
                  (unsigned long long)seed, ops, m->stat_ok_reserve, m->stat_events,
                  m->stat_wrapups, m->stat_caps, m->stat_idle);
    print_message("  reserve: ok %ld einval %ld enotfound %ld eexist %ld estate %ld elimit %ld\n",
                  m->stat_reserve_st[0], m->stat_reserve_st[2], m->stat_reserve_st[3],
                  m->stat_reserve_st[4], m->stat_reserve_st[5], m->stat_reserve_st[6]);
    /* The run must have exercised the interesting paths. */
    MCHECK(m, m->stat_ok_reserve > ops / 50, "too few reservations");
    MCHECK(m, m->stat_wrapups > 0 && m->stat_caps > 0 && m->stat_idle > 0,
           "a path was never exercised");
    usher_engine_free(m->e);
}

static void test_agents_model(void **state)
{
    (void)state;
    const char *env = getenv("USHER_MODEL_SEED");
    if (env && *env) {
        run_model(strtoull(env, NULL, 0), MODEL_OPS);
        return;
    }
    for (uint64_t k = 0; k < RUNS; k++)
        run_model(UINT64_C(0x5eed0000) + k, MODEL_OPS / RUNS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agents_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
