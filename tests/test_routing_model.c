/* The router against a reference model: random submits, completions (any
 * flags), cancellations, transfers, priority / tier / requirement changes,
 * agent presence, skills, capacity, channel limits, cool-downs, additions
 * and removals, host reservations sharing the ticket id space, and the
 * clock, with invalid and malformed calls mixed in (each must fail with its
 * documented code, raise no event and change nothing).
 *
 * The world: 30 agent ids, 6 skills, 3 channels (voice: exclusive, cost 1,
 * one at a time, a wrap-up that blocks the agent; chat: at most 3, short
 * wrap-up; e-mail: at most 5, no wrap-up), 3 queues whose strategies,
 * ageing rates and tier weights depend on the seed (seed % 4: all six
 * strategies, two queues sharing one in two configurations; configuration
 * 3 runs its clock past 2^62 ms with tickets created near 0, so effective
 * priorities need 83 bits). Requirements come mostly from a small per-seed
 * menu, so that few signatures exist and us_index_check() stays cheap.
 *
 * The reference keeps plain arrays: every agent's work and wrap-ups, every
 * ticket's queue, channel, priority, tier, requirements and state, every
 * queue's counters. Every event but the assignments is predicted exactly.
 * Which agent a strategy picks is judged when USHER_EVENT_TICKET_ASSIGNED
 * arrives: the ticket was waiting, the agent eligible for its channel and
 * meeting every requirement; the agent is the one the queue's strategy
 * ranks first among all eligible agents (not under RANDOM); the ticket is
 * the best waiting ticket (highest E, then FIFO) of an agent that could
 * take it; and only what the call made possible happens (no assignment
 * after a priority change; after a submit only that ticket, once; after
 * an agent or a deadline frees agents, only those agents take work).
 *
 * After every step, by brute force from the public API and the internal
 * structures:
 *  - each live ticket is waiting or assigned as the model says, with its
 *    queue, channel, priority, tier, creation time and exact effective
 *    priority; an assigned one holds capacity (usher_capacity_holder) at
 *    the agent of its ASSIGNED event; each agent holds exactly the tickets
 *    the model gave it, so none is held twice;
 *  - no agent exceeds its capacity or a channel limit, and every agent's
 *    state, counters, skills and per-channel free room and eligibility
 *    equal the model's;
 *  - matching is complete: no waiting ticket has an agent that the engine
 *    calls eligible for its channel and whose skills meet its requirements;
 *  - each submission ends once (one COMPLETED or ABANDONED), no ticket
 *    event names a ticket that is not live, seq goes up by one;
 *  - the router's buckets, heaps, marks and counts against the model;
 *  - usher_check(): the library's own recomputation of its records, the
 *    eligibility index (us_index_check) included;
 *  - the queue counters (entered, answered, in service level, answer wait,
 *    abandoned, completed, waiting, longest wait) equal the model's;
 *  - the clock and the next deadline.
 *
 * USHER_MODEL_SEED=<n> replays one run; USHER_MODEL_TRACE=1 also prints
 * every operation. Failure messages start with the seed and the step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "engine.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define MODEL_OPS 7000
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MODEL_OPS 7000
#endif
#endif
#ifndef MODEL_OPS
#define MODEL_OPS 100000
#endif
#define RUNS 4 /* seeds per test run; MODEL_OPS operations in all */
#define SEED_BASE UINT64_C(0x5eed0000)

#define NAG 30   /* agent ids in play */
#define NSK 6    /* skills interned; id NSK is unknown */
#define NCH 3    /* channels 0..2; 3 is never defined */
#define NQ 3     /* queues */
#define NTK 64   /* ticket ids in play */
#define NHOST 8  /* host tickets (usher_capacity_reserve) in play */
#define MAXW 16  /* work + wrap-ups of one agent (capacity <= 8, cost 1) */
#define MAXEV 512
#define NMENU 5  /* requirement sets in use (see model.menu) */

#define VOICE 0
#define CHAT 1
#define MAIL 2

#define OFF USHER_AGENT_OFFLINE
#define AVAIL USHER_AGENT_AVAILABLE
#define AWAY USHER_AGENT_AWAY

/* Effective priorities are compared exactly: micro-points need up to 83
 * bits (USHER_MAX_AGEING_RATE x an age of 2^63 ms). */
__extension__ typedef unsigned __int128 u128;

static const uint32_t QID[NQ] = {10, 20, 30};
#define QID_UNKNOWN 99

/* ---- the model ------------------------------------------------------------ */

typedef struct m_wrap {
    uint64_t ticket;
    uint32_t ch;
    uint64_t end;
} m_wrap;

typedef struct m_agent {
    int exists;
    int32_t state, reason;
    uint32_t capacity;
    uint32_t own[NCH]; /* USHER_LIMIT_DEFAULT or the agent's own limit */
    uint32_t level[NSK];
    uint64_t cooldown;
    uint64_t cool_until; /* 0: not cooling down */
    int work[MAXW];      /* in reservation order: a ticket index, or NTK + a host ticket */
    int nwork;
    m_wrap wrap[MAXW];
    int nwrap;
    uint64_t idle_since; /* the longest-idle key */
    uint64_t stamp;      /* round-robin: order of the last assignment, 0 never */
    uint64_t assignments;
} m_agent;

typedef struct m_ticket {
    int live, assigned;
    int q;
    uint32_t ch, prio, tier;
    uint64_t created, assigned_at, seq, customer;
    uint32_t req[NSK];  /* minimum level, 0: not required */
    uint32_t pref[NSK]; /* weight, 0: not preferred */
    int agent;
    int answered;
    long submissions, ends;
} m_ticket;

/* A ticket of the host's own, holding capacity through
 * usher_capacity_reserve(): same id space as the router's tickets. */
typedef struct m_host {
    int agent; /* -1: holds no capacity */
    uint32_t ch;
} m_host;

typedef struct m_queue {
    usher_queue_def def;
    uint64_t entered, answered, answered_in_sl, answer_wait, abandoned, completed;
} m_queue;

/* What the call made possible, so who may be assigned what (on top of the
 * rules every assignment follows, see process_assigned):
 *  NONE    nothing: no assignment may follow;
 *  AGENTS  these agents became free (or gained skills or room): each
 *          assignment goes to one of them, with the best ticket of one of
 *          them;
 *  TICKET  this ticket started waiting: at most it is assigned, once;
 *  MIXED   tickets and agents at once (a logout or removal requeues, a
 *          transfer of an assigned ticket): the general rules only. */
enum { TRIG_NONE, TRIG_AGENTS, TRIG_TICKET, TRIG_MIXED };

typedef struct model {
    usher_engine *e;
    uint64_t seed, rng, now;
    int cfg;
    long step;
    const char *op;
    char desc[192];
    int trace;
    usher_channel_def chd[NCH];
    m_queue q[NQ];
    m_agent ag[NAG];
    m_ticket tk[NTK];
    m_host host[NHOST];
    uint64_t seqc, stamp;
    /* Requirement sets tickets are given (closed under the generator's
     * require and drop), and the preferred skill: few signatures, so that
     * us_index_check() after every step stays cheap. */
    uint32_t menu[NMENU][NSK];
    uint32_t pref_skill;
    /* events as delivered */
    usher_event got[MAXEV];
    int ngot, overflow;
    uint64_t last_seq, seq_error;
    /* events the model predicts (everything but assignments) */
    usher_event exp[MAXEV];
    int nexp, sort_exp;
    /* who may be assigned in the current call */
    int trig, trig_ticket, nassigned;
    uint32_t trig_agents; /* TRIG_AGENTS: bit i for agent i */
    uint64_t trig_time;
    /* statistics */
    long calls_ok, calls_failed, n_assigned, n_requeued, n_returned, n_reserved, n_wrapups,
        n_cooldowns;
    long n_completed, n_abandoned, n_transfers, n_agent_checks, n_ticket_checks;
    long max_waiting, max_assigned, sum_waiting;
} model;

static uint64_t agent_id(int i) { return 500 + 11 * (uint64_t)i; }

static int agent_index(uint64_t id)
{
    if (id < 500 || (id - 500) % 11 != 0 || (id - 500) / 11 >= NAG)
        return -1;
    return (int)((id - 500) / 11);
}

static uint64_t ticket_id(int i) { return UINT64_C(0x7100000000) + 977 * (uint64_t)i; }

static int ticket_index(uint64_t id)
{
    uint64_t base = UINT64_C(0x7100000000);
    if (id < base || (id - base) % 977 != 0 || (id - base) / 977 >= NTK)
        return -1;
    return (int)((id - base) / 977);
}

static uint64_t host_id(int h) { return UINT64_C(0x7200000000) + 613 * (uint64_t)h; }

static int host_index(uint64_t id)
{
    uint64_t base = UINT64_C(0x7200000000);
    if (id < base || (id - base) % 613 != 0 || (id - base) / 613 >= NHOST)
        return -1;
    return (int)((id - base) / 613);
}

/* A work entry (m_agent.work) and what it holds. */
static uint64_t work_id(int x) { return x < NTK ? ticket_id(x) : host_id(x - NTK); }

/* ---- failure reporting ------------------------------------------------------ */

static void model_fail(const model *m, const char *what, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    fail_msg("seed %llu step %ld op %s (%s) now %llu: %s: %s\n(replay: USHER_MODEL_SEED=%llu)",
             (unsigned long long)m->seed, m->step, m->op ? m->op : "-", m->desc,
             (unsigned long long)m->now, what, detail, (unsigned long long)m->seed);
}

#define MCHECK(m, cond, ...)                     \
    do {                                         \
        if (!(cond))                             \
            model_fail((m), #cond, __VA_ARGS__); \
    } while (0)

static unsigned err_bit(usher_status st) { return 1u << (unsigned)(-st); }

static int rnd(model *m, uint64_t n) { return (int)test_rand_below(&m->rng, n); }

/* ---- events ------------------------------------------------------------------ */

static void on_event(void *user, const usher_event *ev)
{
    model *m = user;
    if (ev->seq != m->last_seq + 1 && !m->seq_error)
        m->seq_error = ev->seq ? ev->seq : UINT64_MAX;
    m->last_seq = ev->seq;
    if (m->ngot >= MAXEV) {
        m->overflow = 1;
        return;
    }
    m->got[m->ngot++] = *ev;
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
    case USHER_EVENT_TICKET_ASSIGNED: return "TICKET_ASSIGNED";
    case USHER_EVENT_TICKET_REQUEUED: return "TICKET_REQUEUED";
    case USHER_EVENT_TICKET_TRANSFERRED: return "TICKET_TRANSFERRED";
    case USHER_EVENT_TICKET_ABANDONED: return "TICKET_ABANDONED";
    case USHER_EVENT_TICKET_COMPLETED: return "TICKET_COMPLETED";
    default: return "?";
    }
}

static void dump_events(const char *title, const usher_event *evs, int n)
{
    fprintf(stderr, "%s (%d):\n", title, n);
    for (int i = 0; i < n && i < 40; i++)
        fprintf(stderr, "  %s t=%llu agent=%d ticket=%d host=%d value=%lld reason=%d\n",
                ev_name(evs[i].type), (unsigned long long)evs[i].time_ms,
                agent_index(evs[i].agent_id), ticket_index(evs[i].ticket_id),
                host_index(evs[i].ticket_id), (long long)evs[i].value, evs[i].reason);
}

static void expect_event_id(model *m, int32_t type, int a, uint64_t ticket, int64_t value,
                            int32_t reason)
{
    MCHECK(m, m->nexp < MAXEV, "too many expected events");
    usher_event *ev = &m->exp[m->nexp++];
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    ev->time_ms = m->now;
    ev->agent_id = a >= 0 ? agent_id(a) : 0;
    ev->ticket_id = ticket;
    ev->value = value;
    ev->reason = reason;
}

static void expect_event(model *m, int32_t type, int a, int t, int64_t value, int32_t reason)
{
    expect_event_id(m, type, a, t >= 0 ? ticket_id(t) : 0, value, reason);
}

static int ev_cmp(const void *pa, const void *pb)
{
    const usher_event *a = pa, *b = pb;
#define EV_CMP_FIELD(f)            \
    if (a->f != b->f)              \
        return a->f < b->f ? -1 : 1;
    EV_CMP_FIELD(time_ms)
    EV_CMP_FIELD(type)
    EV_CMP_FIELD(agent_id)
    EV_CMP_FIELD(ticket_id)
    EV_CMP_FIELD(value)
    EV_CMP_FIELD(reason)
#undef EV_CMP_FIELD
    return 0;
}

/* ---- the model's view of agents ------------------------------------------- */

static int is_flag(const model *m, uint32_t c, uint32_t flag) { return (m->chd[c].flags & flag) != 0; }

static uint32_t work_ch(const model *m, int x)
{
    return x < NTK ? m->tk[x].ch : m->host[x - NTK].ch;
}

static uint32_t used_of(const model *m, const m_agent *a)
{
    uint32_t used = 0;
    for (int w = 0; w < a->nwork; w++)
        used += m->chd[work_ch(m, a->work[w])].cost;
    for (int w = 0; w < a->nwrap; w++)
        used += m->chd[a->wrap[w].ch].cost;
    return used;
}

static uint32_t active_on(const model *m, const m_agent *a, uint32_t c)
{
    uint32_t n = 0;
    for (int w = 0; w < a->nwork; w++)
        n += work_ch(m, a->work[w]) == c;
    return n;
}

static uint32_t wrapping_on(const m_agent *a, uint32_t c)
{
    uint32_t n = 0;
    for (int w = 0; w < a->nwrap; w++)
        n += a->wrap[w].ch == c;
    return n;
}

static uint32_t limit_of(const model *m, const m_agent *a, uint32_t c)
{
    if (a->own[c] != USHER_LIMIT_DEFAULT)
        return a->own[c];
    return m->chd[c].max_per_agent ? m->chd[c].max_per_agent : UINT32_MAX;
}

static int exclusive_work(const model *m, const m_agent *a)
{
    for (int w = 0; w < a->nwork; w++)
        if (is_flag(m, work_ch(m, a->work[w]), USHER_CHANNEL_EXCLUSIVE))
            return 1;
    return 0;
}

static int blocking_wrapup(const model *m, const m_agent *a)
{
    for (int w = 0; w < a->nwrap; w++)
        if (is_flag(m, a->wrap[w].ch, USHER_CHANNEL_WRAPUP_BLOCKS_AGENT))
            return 1;
    return 0;
}

/* usher_agent_channel_info.free, from the header's rules. */
static uint32_t free_of(const model *m, const m_agent *a, uint32_t c)
{
    if (exclusive_work(m, a) || blocking_wrapup(m, a))
        return 0;
    int lone = is_flag(m, c, USHER_CHANNEL_EXCLUSIVE) && !is_flag(m, c, USHER_CHANNEL_INTERRUPTS);
    if (lone && a->nwork + a->nwrap > 0)
        return 0;
    uint32_t n = (a->capacity - used_of(m, a)) / m->chd[c].cost;
    uint32_t limit = limit_of(m, a, c), held = active_on(m, a, c) + wrapping_on(a, c);
    if (limit != UINT32_MAX) {
        uint32_t room = limit > held ? limit - held : 0;
        n = room < n ? room : n;
    }
    if (is_flag(m, c, USHER_CHANNEL_EXCLUSIVE) && n > 1)
        n = 1;
    return n;
}

static int open_for_work(const m_agent *a)
{
    return a->exists && a->state == AVAIL && a->cool_until == 0;
}

static int eligible(const model *m, const m_agent *a, uint32_t c)
{
    return open_for_work(a) && free_of(m, a, c) > 0;
}

static int meets_levels(const uint32_t *level, const m_ticket *t)
{
    for (int s = 0; s < NSK; s++)
        if (t->req[s] && level[s] < t->req[s])
            return 0;
    return 1;
}

static int req_count(const m_ticket *t)
{
    int n = 0;
    for (int s = 0; s < NSK; s++)
        n += t->req[s] != 0;
    return n;
}

static int pref_count(const m_ticket *t)
{
    int n = 0;
    for (int s = 0; s < NSK; s++)
        n += t->pref[s] != 0;
    return n;
}

/* ---- the model's order of tickets and agents ------------------------------ */

/* The effective priority in micro-points (1000 x the header's milli-points),
 * exact. */
static u128 urgency(const model *m, const m_ticket *t)
{
    const usher_queue_def *d = &m->q[t->q].def;
    uint64_t age = m->now > t->created ? m->now - t->created : 0;
    return (u128)1000000 * ((uint64_t)t->prio + d->tier_weight[t->tier]) +
           (u128)d->ageing_rate * age;
}

/* usher_ticket_info.effective_priority: milli-points rounded down,
 * INT64_MAX if larger. */
static int64_t effective_priority(const model *m, const m_ticket *t)
{
    u128 e = urgency(m, t) / 1000;
    return e > (u128)INT64_MAX ? INT64_MAX : (int64_t)e;
}

/* Decimal text of an exact effective priority (for messages). */
static const char *u128_text(u128 x, char *buf)
{
    char tmp[48];
    int n = 0;
    do
        tmp[n++] = (char)('0' + (int)(x % 10));
    while ((x /= 10) != 0);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
    return buf;
}

/* Ticket x is routed before ticket y: higher E, then submitted first. */
static int ticket_before(const model *m, int x, int y)
{
    u128 ux = urgency(m, &m->tk[x]), uy = urgency(m, &m->tk[y]);
    if (ux != uy)
        return ux > uy;
    return m->tk[x].seq < m->tk[y].seq;
}

static uint32_t skill_score(const m_agent *a, const m_ticket *t)
{
    uint32_t score = 0;
    for (int s = 0; s < NSK; s++) {
        if (t->req[s])
            score += a->level[s];
        score += t->pref[s] * a->level[s];
    }
    return score;
}

/* Agent x is chosen before agent y for ticket t by its queue's strategy. */
static int agent_before(const model *m, const m_ticket *t, int x, int y)
{
    const m_agent *a = &m->ag[x], *b = &m->ag[y];
    switch (m->q[t->q].def.strategy) {
    case USHER_STRATEGY_MOST_FREE: {
        uint32_t fa = a->capacity - used_of(m, a), fb = b->capacity - used_of(m, b);
        if (fa != fb)
            return fa > fb;
        break;
    }
    case USHER_STRATEGY_BEST_SKILL: {
        uint32_t sa = skill_score(a, t), sb = skill_score(b, t);
        if (sa != sb)
            return sa > sb;
        break;
    }
    case USHER_STRATEGY_FEWEST_ASSIGNMENTS:
        if (a->assignments != b->assignments)
            return a->assignments < b->assignments;
        break;
    case USHER_STRATEGY_ROUND_ROBIN:
        if (a->stamp != b->stamp)
            return a->stamp < b->stamp;
        return agent_id(x) < agent_id(y);
    default:
        break;
    }
    if (a->idle_since != b->idle_since)
        return a->idle_since < b->idle_since;
    return agent_id(x) < agent_id(y);
}

static int can_take(const model *m, int a, int t)
{
    return eligible(m, &m->ag[a], m->tk[t].ch) && meets_levels(m->ag[a].level, &m->tk[t]);
}

/* The waiting ticket agent a should take next, or -1. */
static int best_ticket_for(const model *m, int a)
{
    int elig[NCH], any = 0, best = -1;
    for (uint32_t c = 0; c < NCH; c++)
        any |= elig[c] = eligible(m, &m->ag[a], c);
    if (!any)
        return -1;
    for (int t = 0; t < NTK; t++)
        if (m->tk[t].live && !m->tk[t].assigned && elig[m->tk[t].ch] &&
            meets_levels(m->ag[a].level, &m->tk[t]) && (best < 0 || ticket_before(m, t, best)))
            best = t;
    return best;
}

/* The agent ticket t's strategy picks, or -1 (random: any). */
static int best_agent_for(const model *m, int t)
{
    int best = -1;
    for (int a = 0; a < NAG; a++)
        if (m->ag[a].exists && can_take(m, a, t) &&
            (best < 0 || agent_before(m, &m->tk[t], a, best)))
            best = a;
    return best;
}

static uint64_t model_next_deadline(const model *m)
{
    uint64_t best = USHER_TIME_NEVER;
    for (int i = 0; i < NAG; i++) {
        const m_agent *a = &m->ag[i];
        if (!a->exists)
            continue;
        for (int w = 0; w < a->nwrap; w++)
            if (a->wrap[w].end < best)
                best = a->wrap[w].end;
        if (a->cool_until && a->cool_until < best)
            best = a->cool_until;
    }
    return best;
}

/* ---- model transitions -------------------------------------------------------- */

static void apply_assign(model *m, int t, int a)
{
    m_ticket *tk = &m->tk[t];
    m_agent *ag = &m->ag[a];
    MCHECK(m, ag->nwork + ag->nwrap < MAXW, "model: agent %d holds too much", a);
    tk->assigned = 1;
    tk->agent = a;
    tk->assigned_at = m->now;
    ag->work[ag->nwork++] = t;
    ag->assignments++;
    ag->stamp = ++m->stamp;
    ag->idle_since = m->now; /* "since it last took a ticket, ended one or a wrap-up" */
    if (!tk->answered) {
        m_queue *q = &m->q[tk->q];
        uint64_t wait = m->now - tk->created;
        tk->answered = 1;
        q->answered++;
        q->answer_wait += wait;
        if (wait <= q->def.service_level_ms)
            q->answered_in_sl++;
    }
    m->n_assigned++;
}

/* Ends work entry x at agent a: wrap-up unless NO_WRAPUP, cool-down if
 * HEAVY (its event expected). */
static void release_work(model *m, int a, int x, uint32_t flags)
{
    m_agent *ag = &m->ag[a];
    uint32_t ch = work_ch(m, x);
    int w = 0;
    while (w < ag->nwork && ag->work[w] != x)
        w++;
    MCHECK(m, w < ag->nwork, "model: work %d not at agent %d", x, a);
    memmove(ag->work + w, ag->work + w + 1, sizeof ag->work[0] * (size_t)(ag->nwork - w - 1));
    ag->nwork--;
    if (!(flags & USHER_RELEASE_NO_WRAPUP) && m->chd[ch].wrapup_ms > 0)
        ag->wrap[ag->nwrap++] = (m_wrap){work_id(x), ch, m->now + m->chd[ch].wrapup_ms};
    ag->idle_since = m->now;
    if ((flags & USHER_RELEASE_HEAVY) && ag->cooldown > 0) {
        uint64_t until = m->now + ag->cooldown;
        if (until > ag->cool_until)
            ag->cool_until = until;
        expect_event(m, USHER_EVENT_LOAD_CAP_REACHED, a, -1, (int64_t)ag->cool_until,
                     USHER_CAP_COOLDOWN);
    }
    if (x >= NTK)
        m->host[x - NTK].agent = -1;
}

/* Ends router ticket t's work at its agent. */
static void apply_release(model *m, int t, uint32_t flags)
{
    m_ticket *tk = &m->tk[t];
    release_work(m, tk->agent, t, flags);
    tk->assigned = 0;
    tk->agent = -1;
    tk->assigned_at = 0;
}

static void end_ticket(model *m, int t)
{
    m->tk[t].live = 0;
    m->tk[t].ends++;
}

/* ---- settling a call's events -------------------------------------------------- */

static void check_common(model *m, const usher_event *g)
{
    MCHECK(m, g->struct_size == sizeof(usher_event), "struct_size %u", g->struct_size);
    MCHECK(m, g->timer_id == 0 && g->offer_token == 0 && g->detail == 0 && g->due_ms == 0,
           "nonzero unused fields in %s", ev_name(g->type));
    if (g->type >= USHER_EVENT_TICKET_ASSIGNED && g->type <= USHER_EVENT_TICKET_COMPLETED)
        MCHECK(m, ticket_index(g->ticket_id) >= 0, "%s names unknown ticket %llu",
               ev_name(g->type), (unsigned long long)g->ticket_id);
}

static void begin(model *m, const char *op)
{
    m->op = op;
    m->desc[0] = 0;
    m->nexp = 0;
    m->sort_exp = 0;
    m->ngot = 0;
    m->trig = TRIG_NONE;
    m->trig_ticket = -1;
    m->trig_agents = 0;
    m->nassigned = 0;
}

static void trigger_agent(model *m, int a)
{
    if (m->trig != TRIG_AGENTS)
        m->trig_agents = 0;
    m->trig = TRIG_AGENTS;
    m->trig_agents |= UINT32_C(1) << a;
}

static void describe(model *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->desc, sizeof m->desc, fmt, ap);
    va_end(ap);
    if (m->trace)
        fprintf(stderr, "[%ld] t=%llu %s %s\n", m->step, (unsigned long long)m->now, m->op,
                m->desc);
}

static void dump_ticket(const model *m, const char *title, int t)
{
    const m_ticket *tk = &m->tk[t];
    char buf[48];
    fprintf(stderr, "  %s: ticket %d queue %u channel %u priority %u tier %u (weight %u) age %llu "
                    "E %s micro-points, seq %llu\n",
            title, t, QID[tk->q], tk->ch, tk->prio, tk->tier, m->q[tk->q].def.tier_weight[tk->tier],
            (unsigned long long)(m->now - tk->created), u128_text(urgency(m, tk), buf),
            (unsigned long long)tk->seq);
}

/* One assignment the engine reported: legal, and the prescribed one where
 * the call leaves one choice. */
static void process_assigned(model *m, const usher_event *g)
{
    int t = ticket_index(g->ticket_id), a = agent_index(g->agent_id);
    MCHECK(m, t >= 0 && m->tk[t].live && !m->tk[t].assigned,
           "ASSIGNED ticket %d that is not waiting (live %d)", t, t >= 0 ? m->tk[t].live : -1);
    MCHECK(m, a >= 0 && m->ag[a].exists, "ASSIGNED to unknown agent %llu",
           (unsigned long long)g->agent_id);
    const m_ticket *tk = &m->tk[t];
    MCHECK(m, g->time_ms == m->now, "ASSIGNED at %llu", (unsigned long long)g->time_ms);
    MCHECK(m, g->reason == (int32_t)tk->ch, "ASSIGNED channel %d, ticket's %u", g->reason,
           tk->ch);
    MCHECK(m, g->value == (int64_t)(m->now - tk->created), "ASSIGNED value %lld, expected %llu",
           (long long)g->value, (unsigned long long)(m->now - tk->created));
    MCHECK(m, eligible(m, &m->ag[a], tk->ch), "ticket %d assigned to agent %d, not eligible", t,
           a);
    MCHECK(m, meets_levels(m->ag[a].level, tk), "ticket %d assigned to agent %d, lacks skills",
           t, a);
    if (m->trig == TRIG_NONE)
        model_fail(m, "assignment", "ticket %d to agent %d: no assignment can follow this call", t,
                   a);
    if (m->trig == TRIG_AGENTS)
        MCHECK(m, (m->trig_agents >> a) & 1u, "ticket %d to agent %d, who did not become free", t,
               a);
    if (m->trig == TRIG_TICKET)
        MCHECK(m, t == m->trig_ticket && m->nassigned == 0,
               "ticket %d assigned; only ticket %d could be (%d assignments so far)", t,
               m->trig_ticket, m->nassigned);
    /* The ticket goes to the agent its strategy ranks first among all
     * eligible agents (with no match possible before the call, only those
     * the call made eligible can be). */
    if (m->q[tk->q].def.strategy != USHER_STRATEGY_RANDOM) {
        int best = best_agent_for(m, t);
        /* Longest idle: among agents idle since the same ms, the one that
         * became idle first, an order the model does not follow. */
        int tie = m->q[tk->q].def.strategy == USHER_STRATEGY_LONGEST_IDLE && best >= 0 &&
                  can_take(m, a, t) && m->ag[a].idle_since == m->ag[best].idle_since;
        MCHECK(m, best == a || tie, "ticket %d (queue %u, strategy %u) went to agent %d, the "
               "strategy's agent is %d", t, QID[tk->q], m->q[tk->q].def.strategy, a, best);
        m->n_agent_checks++;
    }
    /* And it is the best waiting ticket (highest E, then FIFO) of an agent
     * who could take it: of one of the agents that became free, if that
     * is what the call did. */
    int found = 0, single = -1, candidates = 0;
    for (int x = 0; x < NAG && !found; x++) {
        if (m->trig == TRIG_AGENTS ? !((m->trig_agents >> x) & 1u) : !m->ag[x].exists)
            continue;
        if (!can_take(m, x, t))
            continue;
        candidates++;
        single = x;
        found = best_ticket_for(m, x) == t;
    }
    if (!found) {
        int best = candidates == 1 ? best_ticket_for(m, single) : -1;
        dump_ticket(m, "taken", t);
        if (best >= 0)
            dump_ticket(m, "the one possible agent's best", best);
        model_fail(m, "an agent takes its best ticket",
                   "ticket %d (to agent %d) is not the best ticket of any agent that could take "
                   "it (%d such agents)", t, a, candidates);
    }
    m->n_ticket_checks++;
    m->nassigned++;
    apply_assign(m, t, a);
}

/* After a call that is not usher_advance: the predicted events first (in
 * order, or as a set when sort_exp), then assignments only. */
static void settle(model *m)
{
    MCHECK(m, !m->overflow, "event buffer overflow");
    MCHECK(m, !m->seq_error, "event seq %llu, expected %llu", (unsigned long long)m->seq_error,
           (unsigned long long)m->last_seq);
    int same = m->ngot >= m->nexp;
    for (int i = 0; same && i < m->ngot; i++)
        same = (i < m->nexp) == (m->got[i].type != USHER_EVENT_TICKET_ASSIGNED);
    if (same && m->sort_exp) {
        qsort(m->exp, (size_t)m->nexp, sizeof m->exp[0], ev_cmp);
        qsort(m->got, (size_t)m->nexp, sizeof m->got[0], ev_cmp);
    }
    for (int i = 0; same && i < m->nexp; i++)
        same = ev_cmp(&m->got[i], &m->exp[i]) == 0;
    if (!same) {
        dump_events("expected (then any assignments)", m->exp, m->nexp);
        dump_events("got", m->got, m->ngot);
        model_fail(m, "event stream", "%d events, %d predicted (listed above)", m->ngot, m->nexp);
    }
    for (int i = 0; i < m->ngot; i++) {
        check_common(m, &m->got[i]);
        if (m->got[i].type == USHER_EVENT_TICKET_ASSIGNED)
            process_assigned(m, &m->got[i]);
    }
    m->ngot = 0;
    m->nexp = 0;
}

/* A call's status: errs == 0 means it must succeed; otherwise it must fail
 * with one of the codes in errs (the header does not order its checks),
 * raise no event and change nothing (the full check follows). Returns
 * whether it succeeded. */
static int expect_status(model *m, usher_status st, unsigned errs)
{
    if (errs == 0) {
        MCHECK(m, st == USHER_OK, "got %s, expected USHER_OK", usher_status_name(st));
        m->calls_ok++;
        return 1;
    }
    MCHECK(m, st < 0 && st >= -8 && (errs & err_bit(st)), "got %s, expected one of mask 0x%x",
           usher_status_name(st), errs);
    MCHECK(m, m->ngot == 0, "a failed call raised %d events (first %s)", m->ngot,
           ev_name(m->got[0].type));
    m->calls_failed++;
    return 0;
}

/* ---- the checks after every step ------------------------------------------------ */

/* One agent's figures, computed once per check from the model. */
typedef struct agent_view {
    uint32_t used, nskills;
    uint32_t active[NCH], wrapping[NCH], limit[NCH], free[NCH];
    int elig[NCH];
    uint32_t flags;
} agent_view;

static void view_agent(const model *m, const m_agent *a, agent_view *v)
{
    memset(v, 0, sizeof *v);
    int excl = 0, block = 0;
    for (int w = 0; w < a->nwork; w++) {
        uint32_t c = work_ch(m, a->work[w]);
        v->active[c]++;
        v->used += m->chd[c].cost;
        excl |= is_flag(m, c, USHER_CHANNEL_EXCLUSIVE);
    }
    for (int w = 0; w < a->nwrap; w++) {
        uint32_t c = a->wrap[w].ch;
        v->wrapping[c]++;
        v->used += m->chd[c].cost;
        block |= is_flag(m, c, USHER_CHANNEL_WRAPUP_BLOCKS_AGENT);
    }
    for (int s = 0; s < NSK; s++)
        v->nskills += a->level[s] != 0;
    v->flags = (a->cool_until ? USHER_AGENT_COOLING_DOWN : 0) |
               (block ? USHER_AGENT_WRAPUP_BLOCKED : 0) | (excl ? USHER_AGENT_EXCLUSIVE : 0);
    for (uint32_t c = 0; c < NCH; c++) {
        v->limit[c] = limit_of(m, a, c);
        v->free[c] = free_of(m, a, c);
        v->elig[c] = open_for_work(a) && v->free[c] > 0;
    }
}

/* Per channel, the agents the engine says are eligible now; and every
 * agent's skills as the engine reports them. */
static int eng_elig_list[NCH][NAG], eng_elig_count[NCH];
static uint32_t eng_level[NAG][NSK];

static void check_agents(model *m)
{
    memset(eng_elig_count, 0, sizeof eng_elig_count);
    for (int i = 0; i < NAG; i++) {
        const m_agent *a = &m->ag[i];
        usher_agent_info info = {.struct_size = sizeof info};
        usher_status st = usher_agent_get(m->e, agent_id(i), &info);
        if (!a->exists) {
            MCHECK(m, st == USHER_ENOTFOUND, "agent %d: get %s, expected ENOTFOUND", i,
                   usher_status_name(st));
            continue;
        }
        MCHECK(m, st == USHER_OK, "agent %d: get %s", i, usher_status_name(st));
        agent_view v;
        view_agent(m, a, &v);
        MCHECK(m, info.state == a->state && info.away_reason == a->reason,
               "agent %d: state %d/%d, model %d/%d", i, info.state, info.away_reason, a->state,
               a->reason);
        MCHECK(m, info.capacity == a->capacity && info.capacity_used == v.used,
               "agent %d: capacity %u used %u, model %u used %u", i, info.capacity,
               info.capacity_used, a->capacity, v.used);
        MCHECK(m, info.capacity_used <= info.capacity, "agent %d: %u units used of %u", i,
               info.capacity_used, info.capacity);
        MCHECK(m, info.work_count == (uint32_t)a->nwork && info.wrapup_count == (uint32_t)a->nwrap,
               "agent %d: work %u wrap-ups %u, model %d %d", i, info.work_count,
               info.wrapup_count, a->nwork, a->nwrap);
        MCHECK(m, info.flags == v.flags, "agent %d: flags 0x%x, model 0x%x", i, info.flags,
               v.flags);
        MCHECK(m, info.assignments_today == a->assignments,
               "agent %d: assignments %llu, model %llu", i,
               (unsigned long long)info.assignments_today, (unsigned long long)a->assignments);
        MCHECK(m, info.cooldown_ms == a->cooldown && info.capped_until_ms == a->cool_until,
               "agent %d: cooldown %llu until %llu, model %llu until %llu", i,
               (unsigned long long)info.cooldown_ms, (unsigned long long)info.capped_until_ms,
               (unsigned long long)a->cooldown, (unsigned long long)a->cool_until);
        MCHECK(m, info.skill_count == v.nskills && info.missed_offers == 0,
               "agent %d: %u skills, model %u; %llu missed offers", i, info.skill_count,
               v.nskills, (unsigned long long)info.missed_offers);

        usher_skill_level list[NSK + 1];
        size_t count = 0;
        st = usher_agent_get_skills(m->e, agent_id(i), list, NSK + 1, &count);
        MCHECK(m, st == USHER_OK && count == v.nskills, "agent %d: get_skills %s count %zu", i,
               usher_status_name(st), count);
        memset(eng_level[i], 0, sizeof eng_level[i]);
        for (size_t k = 0; k < count; k++) {
            MCHECK(m, list[k].skill < NSK && (k == 0 || list[k].skill > list[k - 1].skill),
                   "agent %d: skill list out of order", i);
            eng_level[i][list[k].skill] = list[k].level;
        }
        MCHECK(m, memcmp(eng_level[i], a->level, sizeof a->level) == 0,
               "agent %d: skill levels differ from the model", i);

        for (uint32_t c = 0; c < NCH; c++) {
            usher_agent_channel_info ci = {.struct_size = sizeof ci};
            st = usher_agent_get_channel(m->e, agent_id(i), c, &ci);
            MCHECK(m, st == USHER_OK, "agent %d channel %u: %s", i, c, usher_status_name(st));
            MCHECK(m, ci.limit == v.limit[c] && ci.active == v.active[c] &&
                          ci.wrapping == v.wrapping[c],
                   "agent %d channel %u: limit %u active %u wrapping %u, model %u %u %u", i, c,
                   ci.limit, ci.active, ci.wrapping, v.limit[c], v.active[c], v.wrapping[c]);
            MCHECK(m, ci.active + ci.wrapping <= ci.limit,
                   "agent %d channel %u: %u + %u tickets over the limit %u", i, c, ci.active,
                   ci.wrapping, ci.limit);
            MCHECK(m, ci.free == v.free[c] && ci.eligible == (uint32_t)v.elig[c],
                   "agent %d channel %u: free %u eligible %u, model %u %d", i, c, ci.free,
                   ci.eligible, v.free[c], v.elig[c]);
            if (ci.eligible)
                eng_elig_list[c][eng_elig_count[c]++] = i;
        }
    }
}

static void check_tickets(model *m)
{
    uint32_t held[NAG] = {0};
    long waiting = 0, assigned = 0;
    int spot = rnd(m, NTK); /* tickets that ended: a few by the API each step */
    for (int t = 0; t < NTK; t++) {
        const m_ticket *tk = &m->tk[t];
        if (!tk->live && (t - spot + NTK) % NTK >= 2)
            continue; /* check_internal counts the live ones in the id map */
        usher_ticket_info info = {.struct_size = sizeof info};
        usher_status st = usher_ticket_get(m->e, ticket_id(t), &info);
        uint64_t holder = 0;
        uint32_t ch = 99;
        usher_status hst = usher_capacity_holder(m->e, ticket_id(t), &holder, &ch);
        if (!tk->live) {
            MCHECK(m, st == USHER_ENOTFOUND, "ticket %d: get %s, model: not live", t,
                   usher_status_name(st));
            MCHECK(m, hst == USHER_ENOTFOUND, "ticket %d: holder %s, model: not live", t,
                   usher_status_name(hst));
            continue;
        }
        MCHECK(m, st == USHER_OK, "ticket %d: get %s, model: live", t, usher_status_name(st));
        uint32_t state = tk->assigned ? USHER_TICKET_ASSIGNED : USHER_TICKET_WAITING;
        MCHECK(m, info.state == state, "ticket %d: state %u, model %u", t, info.state, state);
        MCHECK(m, info.queue == QID[tk->q] && info.channel == tk->ch && info.priority == tk->prio &&
                      info.tier == tk->tier,
               "ticket %d: queue %u channel %u priority %u tier %u, model %u %u %u %u", t,
               info.queue, info.channel, info.priority, info.tier, QID[tk->q], tk->ch, tk->prio,
               tk->tier);
        MCHECK(m, info.required_count == (uint32_t)req_count(tk) &&
                      info.preferred_count == (uint32_t)pref_count(tk),
               "ticket %d: %u required %u preferred, model %d %d", t, info.required_count,
               info.preferred_count, req_count(tk), pref_count(tk));
        MCHECK(m, info.created_ms == tk->created && info.customer_id == tk->customer,
               "ticket %d: created %llu, model %llu", t, (unsigned long long)info.created_ms,
               (unsigned long long)tk->created);
        MCHECK(m, info.offer_token == 0 && info.offer_expires_ms == 0, "ticket %d: an offer", t);
        int64_t eff = effective_priority(m, tk);
        MCHECK(m, info.effective_priority == eff, "ticket %d: effective priority %lld, model %lld",
               t, (long long)info.effective_priority, (long long)eff);
        if (tk->assigned) {
            assigned++;
            MCHECK(m, info.agent_id == agent_id(tk->agent) && info.assigned_ms == tk->assigned_at,
                   "ticket %d: agent %d since %llu, model %d since %llu", t,
                   agent_index(info.agent_id), (unsigned long long)info.assigned_ms, tk->agent,
                   (unsigned long long)tk->assigned_at);
            MCHECK(m, hst == USHER_OK && holder == agent_id(tk->agent) && ch == tk->ch,
                   "ticket %d: holder %s agent %d channel %u, model agent %d channel %u", t,
                   usher_status_name(hst), agent_index(holder), ch, tk->agent, tk->ch);
            held[tk->agent]++;
        } else {
            waiting++;
            MCHECK(m, info.agent_id == 0 && info.assigned_ms == 0,
                   "waiting ticket %d: agent %d since %llu", t, agent_index(info.agent_id),
                   (unsigned long long)info.assigned_ms);
            MCHECK(m, hst == USHER_ENOTFOUND, "waiting ticket %d holds capacity at agent %d (%s)",
                   t, agent_index(holder), usher_status_name(hst));
            /* Matching is complete: no agent the engine calls eligible for
             * the channel meets the requirements. */
            for (int k = 0; k < eng_elig_count[tk->ch]; k++) {
                int a = eng_elig_list[tk->ch][k];
                if (meets_levels(eng_level[a], tk))
                    model_fail(m, "matching complete",
                               "ticket %d (queue %u channel %u) waits, agent %d is eligible and "
                               "meets its requirements",
                               t, QID[tk->q], tk->ch, a);
            }
        }
    }
    for (int h = 0; h < NHOST; h++) {
        uint64_t holder = 0;
        uint32_t ch = 99;
        usher_status hst = usher_capacity_holder(m->e, host_id(h), &holder, &ch);
        const m_host *ht = &m->host[h];
        if (ht->agent < 0) {
            MCHECK(m, hst == USHER_ENOTFOUND, "host ticket %d: holder %s, model none", h,
                   usher_status_name(hst));
        } else {
            MCHECK(m, hst == USHER_OK && holder == agent_id(ht->agent) && ch == ht->ch,
                   "host ticket %d: holder %s agent %d channel %u, model %d %u", h,
                   usher_status_name(hst), agent_index(holder), ch, ht->agent, ht->ch);
            held[ht->agent]++;
        }
    }
    for (int i = 0; i < NAG; i++)
        if (m->ag[i].exists)
            MCHECK(m, held[i] == (uint32_t)m->ag[i].nwork,
                   "agent %d: %u tickets hold capacity there, model work %d", i, held[i],
                   m->ag[i].nwork);
    m->sum_waiting += waiting;
    if (waiting > m->max_waiting)
        m->max_waiting = waiting;
    if (assigned > m->max_assigned)
        m->max_assigned = assigned;
}

static void check_queues(model *m)
{
    uint64_t waiting[NQ] = {0}, oldest[NQ] = {UINT64_MAX, UINT64_MAX, UINT64_MAX};
    for (int t = 0; t < NTK; t++) {
        const m_ticket *tk = &m->tk[t];
        if (tk->live && !tk->assigned) {
            waiting[tk->q]++;
            oldest[tk->q] = tk->created < oldest[tk->q] ? tk->created : oldest[tk->q];
        }
    }
    for (int k = 0; k < NQ; k++) {
        const m_queue *q = &m->q[k];
        usher_queue_stats s = {.struct_size = sizeof s};
        usher_status st = usher_queue_get_stats(m->e, QID[k], &s);
        MCHECK(m, st == USHER_OK, "queue %u: stats %s", QID[k], usher_status_name(st));
        uint64_t longest = waiting[k] ? m->now - oldest[k] : 0;
        MCHECK(m, s.entered == q->entered && s.answered == q->answered &&
                      s.abandoned == q->abandoned && s.completed == q->completed &&
                      s.waiting == waiting[k],
               "queue %u: entered %llu answered %llu abandoned %llu completed %llu waiting %llu; "
               "model %llu %llu %llu %llu %llu",
               QID[k], (unsigned long long)s.entered, (unsigned long long)s.answered,
               (unsigned long long)s.abandoned, (unsigned long long)s.completed,
               (unsigned long long)s.waiting, (unsigned long long)q->entered,
               (unsigned long long)q->answered, (unsigned long long)q->abandoned,
               (unsigned long long)q->completed, (unsigned long long)waiting[k]);
        MCHECK(m, s.answered_in_sl == q->answered_in_sl && s.answer_wait_ms == q->answer_wait &&
                      s.longest_wait_ms == longest,
               "queue %u: in SL %llu wait %llu longest %llu; model %llu %llu %llu", QID[k],
               (unsigned long long)s.answered_in_sl, (unsigned long long)s.answer_wait_ms,
               (unsigned long long)s.longest_wait_ms, (unsigned long long)q->answered_in_sl,
               (unsigned long long)q->answer_wait, (unsigned long long)longest);
        MCHECK(m, s.offered == 0 && s.offers_rejected == 0 && s.offers_expired == 0,
               "queue %u: offers in a direct queue", QID[k]);
    }
}

/* The router's own structures against the model. */
#define MAXSLOTS 4096
static uint64_t bucket_count[MAXSLOTS], sig_waiting[MAXSLOTS];

static void check_internal(model *m)
{
    const usher_engine *e = m->e;
    const us_router *r = &e->router;
    MCHECK(m, r->dirty_agents == US_NONE && r->dirty_tickets == US_NONE,
           "matching left marks behind (agents %u tickets %u)", r->dirty_agents,
           r->dirty_tickets);
    MCHECK(m, r->buckets.slots < MAXSLOTS && e->index.slots < MAXSLOTS,
           "%zu buckets, %zu signatures: raise MAXSLOTS", r->buckets.slots, e->index.slots);
    memset(bucket_count, 0, sizeof bucket_count[0] * r->buckets.slots);
    memset(sig_waiting, 0, sizeof sig_waiting[0] * e->index.slots);
    uint32_t live = 0, qslot[NQ];
    for (int k = 0; k < NQ; k++)
        MCHECK(m, us_queue_find(e, QID[k], &qslot[k]) == USHER_OK, "queue %u not found", QID[k]);
    uint64_t queue_live[NQ] = {0};
    for (int t = 0; t < NTK; t++) {
        const m_ticket *tk = &m->tk[t];
        if (!tk->live)
            continue; /* the count below shows that no other ticket is in the map */
        uint32_t slot;
        MCHECK(m, us_idmap_find(&r->ticket_by_id, ticket_id(t), &slot),
               "live ticket %d is not in the id map", t);
        live++;
        queue_live[tk->q]++;
        const us_ticket *it = us_ticket_at(e, slot);
        uint32_t bs = it->buckets[US_FILED_MAIN];
        const us_bucket *b = us_bucket_at(e, bs);
        const us_sig *sig = &e->index.sigs[b->sig];
        MCHECK(m, it->id == ticket_id(t) && b->queue == qslot[tk->q],
               "ticket %d: filed in the wrong queue", t);
        /* No offers, no widening in this test. */
        MCHECK(m, it->buckets[US_FILED_OVERFLOW] == US_NONE &&
                      it->heap_pos[US_FILED_OVERFLOW] == US_NONE && it->exclusions == US_NONE &&
                      it->offer_timer == US_NONE && it->widen_timer == US_NONE &&
                      it->offer_token == 0,
               "ticket %d: overflow filing, exclusion, offer or widening timer set", t);
        bucket_count[bs]++;
        int best = m->q[tk->q].def.strategy == USHER_STRATEGY_BEST_SKILL;
        MCHECK(m, sig->refs > 0 && sig->channel == tk->ch &&
                      sig->strategy == m->q[tk->q].def.strategy &&
                      sig->req_count == (uint32_t)req_count(tk) &&
                      sig->pref_count == (uint32_t)(best ? pref_count(tk) : 0),
               "ticket %d: signature channel %u strategy %u %u reqs %u prefs", t, sig->channel,
               sig->strategy, sig->req_count, sig->pref_count);
        for (uint32_t k = 0; k < sig->req_count; k++)
            MCHECK(m, sig->reqs[k].skill < NSK && tk->req[sig->reqs[k].skill] == sig->reqs[k].level,
                   "ticket %d: signature requires skill %u at %u", t, sig->reqs[k].skill,
                   sig->reqs[k].level);
        MCHECK(m, it->pref_count == (uint8_t)pref_count(tk), "ticket %d: %u preferences", t,
               it->pref_count);
        for (uint32_t k = 0; k < it->pref_count; k++)
            MCHECK(m, it->prefs[k].skill < NSK && tk->pref[it->prefs[k].skill] == it->prefs[k].level,
                   "ticket %d: preference %u weight %u", t, it->prefs[k].skill,
                   it->prefs[k].level);
        uint32_t pos = it->heap_pos[US_FILED_MAIN];
        if (tk->assigned) {
            MCHECK(m, it->state == USHER_TICKET_ASSIGNED && pos == US_NONE && it->work != US_NONE,
                   "assigned ticket %d: state %u heap_pos %u work %u", t, it->state, pos,
                   it->work);
            const us_work *w = &e->agents.works[it->work];
            MCHECK(m, w->routed == slot && w->ticket == ticket_id(t) && !w->wrapping &&
                          us_agent_at(e, w->agent)->id == agent_id(tk->agent),
                   "assigned ticket %d: its capacity record does not match", t);
        } else {
            bool main_filing = false;
            MCHECK(m, it->state == USHER_TICKET_WAITING && it->work == US_NONE && pos < b->size &&
                          us_bucket_ticket(e, bs, pos, &main_filing) == slot && main_filing,
                   "waiting ticket %d: state %u heap_pos %u of %zu, work %u", t, it->state, pos,
                   b->size, it->work);
        }
    }
    MCHECK(m, us_idmap_count(&r->ticket_by_id) == live, "%u tickets in the id map, model %u",
           us_idmap_count(&r->ticket_by_id), live);
    for (int k = 0; k < NQ; k++) {
        const us_queue *q = us_queue_at(e, qslot[k]);
        MCHECK(m, q->live_tickets == queue_live[k], "queue %u: %llu live tickets, model %llu",
               QID[k], (unsigned long long)q->live_tickets, (unsigned long long)queue_live[k]);
        for (uint32_t bs = q->buckets; bs != US_NONE; bs = us_bucket_at(e, bs)->queue_next) {
            const us_bucket *b = us_bucket_at(e, bs);
            MCHECK(m, b->queue == qslot[k], "bucket %u in the wrong queue list", bs);
            MCHECK(m, b->tickets == bucket_count[bs] && b->size <= b->tickets &&
                          b->capacity >= b->tickets,
                   "bucket %u: %llu tickets filed, model %llu; %zu waiting, room %zu", bs,
                   (unsigned long long)b->tickets, (unsigned long long)bucket_count[bs], b->size,
                   b->capacity);
            sig_waiting[b->sig] += b->size;
            for (size_t pos = 0; pos < b->size; pos++) {
                bool main_filing = false;
                int t = ticket_index(us_ticket_at(e, us_bucket_ticket(e, bs, pos, &main_filing))->id);
                MCHECK(m, t >= 0 && m->tk[t].live && !m->tk[t].assigned,
                       "bucket %u holds ticket %d that is not waiting", bs, t);
                if (pos > 0) {
                    uint32_t up = us_bucket_ticket(e, bs, (pos - 1) / 2, &main_filing);
                    int parent = ticket_index(us_ticket_at(e, up)->id);
                    if (ticket_before(m, t, parent)) {
                        dump_ticket(m, "below", t);
                        dump_ticket(m, "above", parent);
                        model_fail(m, "bucket heap order",
                                   "queue %u: ticket %d is below ticket %d (listed above)", QID[k],
                                   t, parent);
                    }
                }
            }
        }
    }
    for (size_t s = 0; s < e->index.slots; s++)
        if (e->index.sigs[s].refs > 0)
            MCHECK(m, e->index.sigs[s].waiting == sig_waiting[s],
                   "signature %zu: %llu waiting, buckets hold %llu", s,
                   (unsigned long long)e->index.sigs[s].waiting,
                   (unsigned long long)sig_waiting[s]);
}

static void check_all(model *m)
{
    check_agents(m);
    check_tickets(m);
    check_queues(m);
    check_internal(m);
    if (usher_check(m->e) != USHER_OK)
        model_fail(m, "usher_check", "%s", us_check(m->e));
    uint64_t now = 0, next = 0, want = model_next_deadline(m);
    MCHECK(m, usher_now(m->e, &now) == USHER_OK && now == m->now, "clock %llu, model %llu",
           (unsigned long long)now, (unsigned long long)m->now);
    MCHECK(m, usher_next_deadline(m->e, &next) == USHER_OK && next == want,
           "next deadline %llu, model %llu", (unsigned long long)next, (unsigned long long)want);
}

/* ---- picking ids -------------------------------------------------------------------- */

enum { ANY, LIVE, WAITING, ASSIGNED, DEAD };

static int ticket_is(const m_ticket *t, int kind)
{
    switch (kind) {
    case LIVE: return t->live;
    case WAITING: return t->live && !t->assigned;
    case ASSIGNED: return t->live && t->assigned;
    case DEAD: return !t->live;
    default: return 1;
    }
}

/* A ticket of the kind if there is one (from a random start), else any. */
static int pick_ticket(model *m, int kind)
{
    int start = rnd(m, NTK);
    for (int k = 0; k < NTK; k++) {
        int t = (start + k) % NTK;
        if (ticket_is(&m->tk[t], kind))
            return t;
    }
    return start;
}

/* Mostly an agent that exists. */
static int pick_agent(model *m)
{
    int i = rnd(m, NAG);
    if (rnd(m, 12) == 0)
        return i;
    for (int k = 0; k < NAG; k++)
        if (m->ag[(i + k) % NAG].exists)
            return (i + k) % NAG;
    return i;
}


/* ---- ticket operations ---------------------------------------------------------------- */

static void op_submit(model *m)
{
    begin(m, "ticket_submit");
    int r = rnd(m, 100);
    int t = pick_ticket(m, r < 88 ? DEAD : r < 96 ? LIVE : ANY);
    unsigned errs = 0;
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    int qi = rnd(m, NQ);
    spec.queue = rnd(m, 50) == 0 ? QID_UNKNOWN : QID[qi];
    if (spec.queue == QID_UNKNOWN)
        errs |= err_bit(USHER_ENOTFOUND);
    r = rnd(m, 100);
    spec.channel = r < 30 ? VOICE : r < 70 ? CHAT : r < 98 ? MAIL : r == 98 ? 3 : USHER_MAX_CHANNELS;
    if (spec.channel == 3)
        errs |= err_bit(USHER_ENOTFOUND);
    if (spec.channel >= USHER_MAX_CHANNELS)
        errs |= err_bit(USHER_EINVAL);
    static const uint32_t prios[] = {0, 0, 0, 5, 5, 50, 300, 1000};
    spec.priority = rnd(m, 3) ? prios[rnd(m, 8)] : (uint32_t)rnd(m, 1001);
    if (rnd(m, 60) == 0)
        spec.priority = USHER_MAX_PRIORITY + 1 + (uint32_t)rnd(m, 5);
    spec.tier = (uint32_t)rnd(m, 8);
    if (rnd(m, 60) == 0)
        spec.tier = USHER_MAX_TIERS;
    if (spec.priority > USHER_MAX_PRIORITY || spec.tier >= USHER_MAX_TIERS)
        errs |= err_bit(USHER_EINVAL);

    usher_skill_level req[3], pref[2];
    uint32_t nreq = 0;
    if (rnd(m, 1000) != 0) {
        const uint32_t *set = m->menu[rnd(m, NMENU)];
        for (uint32_t k = 0; k < NSK; k++)
            if (set[k])
                req[nreq++] = (usher_skill_level){k, set[k]};
        if (nreq == 2 && rnd(m, 2)) { /* the host's order is any */
            usher_skill_level x = req[0];
            req[0] = req[1];
            req[1] = x;
        }
    } else { /* now and then a set off the menu: a new signature */
        nreq = 1 + (uint32_t)rnd(m, 2);
        req[0] = (usher_skill_level){(uint32_t)rnd(m, NSK), 1 + (uint32_t)rnd(m, 10)};
        req[1] = (usher_skill_level){(req[0].skill + 1 + (uint32_t)rnd(m, NSK - 1)) % NSK,
                                     1 + (uint32_t)rnd(m, 10)};
    }
    int bad = rnd(m, 80);
    if (bad == 0 && nreq > 0) {
        req[0].level = rnd(m, 2) ? 0 : USHER_LEVEL_MAX + 1;
        errs |= err_bit(USHER_EINVAL);
    } else if (bad == 1 && nreq > 0) {
        req[0].skill = NSK;
        errs |= err_bit(USHER_ENOTFOUND);
    } else if (bad == 2 && nreq == 2) {
        req[1].skill = req[0].skill;
        errs |= err_bit(USHER_EINVAL);
    } else if (bad == 3) {
        nreq = 1 + (uint32_t)rnd(m, 2); /* a count with no list */
        errs |= err_bit(USHER_EINVAL);
    }
    uint32_t npref = rnd(m, 100) < 40 ? 1 : 0;
    if (npref) {
        uint32_t ps = m->pref_skill;
        if (rnd(m, 500) == 0 || (nreq > 0 && ps == req[0].skill) || (nreq > 1 && ps == req[1].skill)) {
            do
                ps = (uint32_t)rnd(m, NSK);
            while ((nreq > 0 && ps == req[0].skill) || (nreq > 1 && ps == req[1].skill));
        }
        pref[0] = (usher_skill_level){ps, 20};
        if (bad == 4 && nreq > 0) {
            pref[0].skill = req[0].skill; /* preferred and required */
            errs |= err_bit(USHER_EINVAL);
        } else if (bad == 5) {
            pref[0].level = rnd(m, 2) ? 0 : USHER_MAX_PREFERENCE_WEIGHT + 1;
            errs |= err_bit(USHER_EINVAL);
        }
    }
    spec.required_count = nreq;
    spec.required = bad == 3 ? NULL : nreq ? req : NULL;
    spec.preferred_count = npref;
    spec.preferred = npref ? pref : NULL;
    spec.customer_id = (uint64_t)rnd(m, 1000);
    r = rnd(m, 100);
    if (r < 74)
        spec.created_ms = USHER_CREATED_NOW;
    else if (r < 78) /* answered now, its wait is the service level or next to it */
        spec.created_ms = m->now - m->q[qi].def.service_level_ms + (uint64_t)rnd(m, 3) - 1;
    else if (r < 92)
        spec.created_ms = m->now - (uint64_t)rnd(m, 60000);
    else if (r < 97)
        spec.created_ms = m->now - (uint64_t)rnd(m, 3600000);
    else if (r < 98)
        spec.created_ms = m->now;
    else if (m->cfg == 3) /* the clock is past 2^62: ancient tickets, huge E */
        spec.created_ms = rnd(m, 3) == 0 ? 0
                          : rnd(m, 2)    ? (uint64_t)rnd(m, 1000000) << 40
                                         : m->now - (UINT64_C(1) << 40) + (uint64_t)rnd(m, 400000);
    else
        spec.created_ms = m->now + 1 + (uint64_t)rnd(m, 1000);
    if (spec.created_ms != USHER_CREATED_NOW && spec.created_ms > m->now)
        errs |= err_bit(USHER_EINVAL);
    if (m->tk[t].live)
        errs |= err_bit(USHER_EEXIST);

    char created_text[32] = "now";
    if (spec.created_ms != USHER_CREATED_NOW)
        snprintf(created_text, sizeof created_text, "now-%lld",
                 (long long)(m->now - spec.created_ms));
    describe(m, "ticket %d queue %u channel %u prio %u tier %u req %u [%u:%u %u:%u] pref %u [%u:%u] "
                "created %s",
             t, spec.queue, spec.channel, spec.priority, spec.tier, nreq,
             nreq > 0 ? req[0].skill : 0, nreq > 0 ? req[0].level : 0,
             nreq > 1 ? req[1].skill : 0, nreq > 1 ? req[1].level : 0, npref,
             npref ? pref[0].skill : 0, npref ? pref[0].level : 0,
             created_text);
    usher_status st = usher_ticket_submit(m->e, ticket_id(t), &spec);
    if (!expect_status(m, st, errs))
        return;
    m_ticket *tk = &m->tk[t];
    long subs = tk->submissions, ends = tk->ends;
    memset(tk, 0, sizeof *tk);
    tk->submissions = subs + 1;
    tk->ends = ends;
    tk->live = 1;
    tk->q = qi;
    tk->ch = spec.channel;
    tk->prio = spec.priority;
    tk->tier = spec.tier;
    tk->created = spec.created_ms == USHER_CREATED_NOW ? m->now : spec.created_ms;
    tk->customer = spec.customer_id;
    tk->seq = ++m->seqc;
    tk->agent = -1;
    for (uint32_t k = 0; k < nreq; k++)
        tk->req[req[k].skill] = req[k].level;
    for (uint32_t k = 0; k < npref; k++)
        tk->pref[pref[k].skill] = pref[k].level;
    m->q[qi].entered++;
    m->trig = TRIG_TICKET;
    m->trig_ticket = t;
    settle(m);
}

static const uint32_t FLAG_SETS[] = {0,
                                     0,
                                     USHER_RELEASE_NO_WRAPUP,
                                     USHER_RELEASE_HEAVY,
                                     USHER_RELEASE_HEAVY | USHER_RELEASE_NO_WRAPUP};

static void op_complete(model *m)
{
    begin(m, "ticket_complete");
    int r = rnd(m, 100);
    int t = pick_ticket(m, r < 70 ? ASSIGNED : r < 92 ? WAITING : DEAD);
    uint32_t flags = FLAG_SETS[rnd(m, 5)];
    if (rnd(m, 50) == 0)
        flags |= rnd(m, 2) ? 4u : 0x80000000u;
    unsigned errs = 0;
    if (flags & ~(uint32_t)(USHER_RELEASE_HEAVY | USHER_RELEASE_NO_WRAPUP))
        errs |= err_bit(USHER_EINVAL);
    if (!m->tk[t].live)
        errs |= err_bit(USHER_ENOTFOUND);
    describe(m, "ticket %d flags 0x%x (%s)", t, flags,
             !m->tk[t].live ? "not live" : m->tk[t].assigned ? "assigned" : "waiting");
    usher_status st = usher_ticket_complete(m->e, ticket_id(t), flags);
    if (!expect_status(m, st, errs))
        return;
    m_ticket *tk = &m->tk[t];
    if (tk->assigned) {
        int a = tk->agent;
        expect_event(m, USHER_EVENT_TICKET_COMPLETED, a, t, (int64_t)(m->now - tk->assigned_at),
                     0);
        apply_release(m, t, flags);
        m->sort_exp = 1; /* the cool-down's event and the completion: order unspecified */
        trigger_agent(m, a);
    } else {
        expect_event(m, USHER_EVENT_TICKET_COMPLETED, -1, t, 0, 0);
    }
    m->q[tk->q].completed++;
    end_ticket(m, t);
    m->n_completed++;
    settle(m);
    if (rnd(m, 4) == 0) { /* completing twice */
        check_all(m);
        begin(m, "ticket_complete (again)");
        describe(m, "ticket %d", t);
        expect_status(m, usher_ticket_complete(m->e, ticket_id(t), 0), err_bit(USHER_ENOTFOUND));
    }
}

static void op_cancel(model *m)
{
    begin(m, "ticket_cancel");
    int r = rnd(m, 100);
    int t = pick_ticket(m, r < 75 ? WAITING : r < 90 ? ASSIGNED : DEAD);
    unsigned errs = 0;
    if (!m->tk[t].live)
        errs |= err_bit(USHER_ENOTFOUND);
    else if (m->tk[t].assigned)
        errs |= err_bit(USHER_ESTATE);
    describe(m, "ticket %d", t);
    usher_status st = usher_ticket_cancel(m->e, ticket_id(t));
    if (!expect_status(m, st, errs))
        return;
    expect_event(m, USHER_EVENT_TICKET_ABANDONED, -1, t, (int64_t)(m->now - m->tk[t].created), 0);
    m->q[m->tk[t].q].abandoned++;
    end_ticket(m, t);
    m->n_abandoned++;
    settle(m);
    if (rnd(m, 6) == 0) {
        check_all(m);
        begin(m, "ticket_cancel (again)");
        describe(m, "ticket %d", t);
        expect_status(m, usher_ticket_cancel(m->e, ticket_id(t)), err_bit(USHER_ENOTFOUND));
    }
}

static void op_transfer(model *m)
{
    begin(m, "ticket_transfer");
    int r = rnd(m, 100);
    int t = pick_ticket(m, r < 50 ? WAITING : r < 93 ? ASSIGNED : DEAD);
    int qi = rnd(m, NQ);
    uint32_t qid = rnd(m, 40) == 0 ? QID_UNKNOWN : QID[qi];
    m_ticket *tk = &m->tk[t];
    unsigned errs = 0;
    if (!tk->live || qid == QID_UNKNOWN)
        errs |= err_bit(USHER_ENOTFOUND);
    else if (!tk->assigned && tk->q == qi)
        errs |= err_bit(USHER_ESTATE);
    describe(m, "ticket %d (%s, queue %u) to queue %u", t,
             !tk->live ? "not live" : tk->assigned ? "assigned" : "waiting",
             tk->live ? QID[tk->q] : 0, qid);
    usher_status st = usher_ticket_transfer(m->e, ticket_id(t), qid);
    if (!expect_status(m, st, errs))
        return;
    int a = tk->assigned ? tk->agent : -1;
    if (a >= 0)
        apply_release(m, t, USHER_RELEASE_NO_WRAPUP);
    tk->q = qi;
    m->q[qi].entered++;
    expect_event(m, USHER_EVENT_TICKET_TRANSFERRED, a, t, qid, 0);
    m->trig = a >= 0 ? TRIG_MIXED : TRIG_TICKET;
    m->trig_ticket = t;
    m->n_transfers++;
    settle(m);
}

static void op_priority_tier(model *m)
{
    int tier = rnd(m, 2);
    begin(m, tier ? "ticket_set_tier" : "ticket_set_priority");
    int t = pick_ticket(m, rnd(m, 10) ? LIVE : DEAD);
    uint32_t v;
    unsigned errs = 0;
    if (tier) {
        v = rnd(m, 30) == 0 ? USHER_MAX_TIERS + (uint32_t)rnd(m, 3) : (uint32_t)rnd(m, 8);
        if (v >= USHER_MAX_TIERS)
            errs |= err_bit(USHER_EINVAL);
    } else {
        static const uint32_t prios[] = {0, 5, 50, 300, 1000};
        v = rnd(m, 30) == 0 ? USHER_MAX_PRIORITY + 1 : rnd(m, 2) ? prios[rnd(m, 5)]
                                                                   : (uint32_t)rnd(m, 1001);
        if (v > USHER_MAX_PRIORITY)
            errs |= err_bit(USHER_EINVAL);
    }
    if (!m->tk[t].live)
        errs |= err_bit(USHER_ENOTFOUND);
    describe(m, "ticket %d value %u", t, v);
    usher_status st = tier ? usher_ticket_set_tier(m->e, ticket_id(t), v)
                           : usher_ticket_set_priority(m->e, ticket_id(t), v);
    if (!expect_status(m, st, errs))
        return;
    if (tier)
        m->tk[t].tier = v;
    else
        m->tk[t].prio = v;
    settle(m); /* no event: nothing new can be matched */
}

static void op_require(model *m)
{
    begin(m, "ticket_require");
    int r = rnd(m, 100);
    int t = pick_ticket(m, r < 70 ? WAITING : r < 93 ? ASSIGNED : DEAD);
    m_ticket *tk = &m->tk[t];
    /* Mostly a change that leads to another set of the menu. */
    uint32_t s = (uint32_t)rnd(m, NSK), level = 1 + (uint32_t)rnd(m, USHER_LEVEL_MAX);
    if (tk->live && rnd(m, 500) != 0) {
        uint32_t cand_s[NMENU], cand_l[NMENU], n = 0;
        for (int k = 0; k < NMENU; k++) {
            int diff = 0;
            uint32_t ds = 0;
            for (uint32_t j = 0; j < NSK; j++)
                if (m->menu[k][j] != tk->req[j])
                    diff++, ds = j;
            if (diff == 1 && m->menu[k][ds] != 0)
                cand_s[n] = ds, cand_l[n++] = m->menu[k][ds];
        }
        if (n > 0) {
            uint32_t c = (uint32_t)rnd(m, n);
            s = cand_s[c];
            level = cand_l[c];
        } else if (rnd(m, 200) != 0) {
            for (uint32_t j = 0; j < NSK; j++) /* the same again: nothing moves */
                if (tk->req[j])
                    s = j, level = tk->req[j];
        }
    }
    r = rnd(m, 60);
    if (r == 0)
        s = NSK;
    else if (r == 1)
        level = rnd(m, 2) ? 0 : USHER_LEVEL_MAX + 1;
    unsigned errs = 0;
    if (level < USHER_LEVEL_MIN || level > USHER_LEVEL_MAX)
        errs |= err_bit(USHER_EINVAL);
    if (!tk->live || s >= NSK)
        errs |= err_bit(USHER_ENOTFOUND);
    else if (tk->pref[s])
        errs |= err_bit(USHER_ESTATE);
    describe(m, "ticket %d (%s) skill %u level %u", t,
             !tk->live ? "not live" : tk->assigned ? "assigned" : "waiting", s, level);
    usher_status st = usher_ticket_require(m->e, ticket_id(t), s, level);
    if (!expect_status(m, st, errs))
        return;
    tk->req[s] = level;
    if (!tk->assigned) {
        m->trig = TRIG_TICKET;
        m->trig_ticket = t;
    }
    settle(m);
}

static void op_drop_requirement(model *m)
{
    begin(m, "ticket_drop_requirement");
    int r = rnd(m, 100);
    int t = pick_ticket(m, r < 70 ? WAITING : r < 93 ? ASSIGNED : DEAD);
    m_ticket *tk = &m->tk[t];
    uint32_t s = (uint32_t)rnd(m, NSK + 1);
    if (tk->live && rnd(m, 5) != 0) {
        /* a required skill, mostly one whose drop leads into the menu */
        uint32_t any = NSK + 1, menu_s = NSK + 1;
        for (uint32_t k = 0; k < NSK; k++) {
            uint32_t j = (s + k) % NSK;
            if (!tk->req[j])
                continue;
            any = j;
            for (int q = 0; q < NMENU; q++) {
                int same = m->menu[q][j] == 0;
                for (uint32_t x = 0; same && x < NSK; x++)
                    same = x == j || m->menu[q][x] == tk->req[x];
                if (same)
                    menu_s = j;
            }
        }
        s = menu_s < NSK ? menu_s : any < NSK && rnd(m, 200) == 0 ? any : s;
    }
    unsigned errs = 0;
    if (!tk->live || s >= NSK || !tk->req[s])
        errs |= err_bit(USHER_ENOTFOUND);
    describe(m, "ticket %d (%s) skill %u", t,
             !tk->live ? "not live" : tk->assigned ? "assigned" : "waiting", s);
    usher_status st = usher_ticket_drop_requirement(m->e, ticket_id(t), s);
    if (!expect_status(m, st, errs))
        return;
    tk->req[s] = 0;
    if (!tk->assigned) {
        m->trig = TRIG_TICKET;
        m->trig_ticket = t;
    }
    settle(m);
}

/* ---- agent operations ------------------------------------------------------------------ */

/* Logout or removal hands the agent's tickets back, oldest first: the
 * router's wait again (REQUEUED), the host's are reported (WORK_RETURNED)
 * and keep their capacity after a logout. Returns how many were requeued. */
static int hand_back(model *m, int a, int32_t reason)
{
    m_agent *ag = &m->ag[a];
    int requeued = 0;
    for (int w = 0; w < ag->nwork;) {
        int x = ag->work[w];
        if (x < NTK) {
            expect_event(m, USHER_EVENT_TICKET_REQUEUED, a, x, 0, reason);
            apply_release(m, x, USHER_RELEASE_NO_WRAPUP);
            m->n_requeued++;
            requeued++;
            continue;
        }
        expect_event_id(m, USHER_EVENT_WORK_RETURNED, a, work_id(x), m->host[x - NTK].ch, reason);
        m->n_returned++;
        if (reason == USHER_RETURN_REMOVED) {
            m->host[x - NTK].agent = -1;
            memmove(ag->work + w, ag->work + w + 1, sizeof ag->work[0] * (size_t)(ag->nwork - w - 1));
            ag->nwork--;
            continue;
        }
        w++;
    }
    return requeued;
}

static void do_set_state(model *m, int i, int32_t s, int32_t reason, unsigned errs)
{
    m_agent *a = &m->ag[i];
    usher_status st = usher_agent_set_state(m->e, agent_id(i), s, reason);
    if (!expect_status(m, st, errs))
        return;
    int was_available = a->state == AVAIL;
    a->state = s;
    a->reason = s == AWAY ? reason : 0;
    expect_event(m, USHER_EVENT_AGENT_STATE, i, -1, s, a->reason);
    if (s == AVAIL && !was_available) {
        a->idle_since = m->now;
        trigger_agent(m, i);
    }
    if (s == OFF && hand_back(m, i, USHER_RETURN_LOGOUT) > 0)
        m->trig = TRIG_MIXED;
    settle(m);
}

static void op_set_state(model *m)
{
    begin(m, "agent_set_state");
    int i = pick_agent(m);
    m_agent *a = &m->ag[i];
    int32_t s, reason = 0;
    int r = rnd(m, 100);
    if (r < 55) {
        s = AVAIL;
    } else if (r < 72) {
        s = AWAY;
        reason = rnd(m, 3);
    } else if (r < 96) {
        s = OFF;
    } else {
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
    describe(m, "agent %d state %d reason %d (was %d, %d tickets)", i, s, reason, a->state,
             a->nwork);
    do_set_state(m, i, s, reason, errs);
}

static void op_skills(model *m)
{
    int i = pick_agent(m);
    m_agent *a = &m->ag[i];
    int kind = rnd(m, 10);
    unsigned errs = 0;
    usher_status st;
    if (kind < 5) {
        begin(m, "agent_set_skill");
        uint32_t s = (uint32_t)rnd(m, NSK), level = 1 + (uint32_t)rnd(m, USHER_LEVEL_MAX);
        int r = rnd(m, 40);
        if (r == 0)
            s = NSK;
        else if (r == 1)
            level = rnd(m, 2) ? 0 : USHER_LEVEL_MAX + 1;
        if (level < USHER_LEVEL_MIN || level > USHER_LEVEL_MAX)
            errs |= err_bit(USHER_EINVAL);
        if (!a->exists || s >= NSK)
            errs |= err_bit(USHER_ENOTFOUND);
        describe(m, "agent %d skill %u level %u", i, s, level);
        st = usher_agent_set_skill(m->e, agent_id(i), s, level);
        if (!expect_status(m, st, errs))
            return;
        a->level[s] = level;
        trigger_agent(m, i);
    } else if (kind < 9) {
        begin(m, "agent_drop_skill");
        uint32_t s = (uint32_t)rnd(m, NSK + 1);
        if (!a->exists || s >= NSK || !a->level[s])
            errs |= err_bit(USHER_ENOTFOUND);
        describe(m, "agent %d skill %u", i, s);
        st = usher_agent_drop_skill(m->e, agent_id(i), s);
        if (!expect_status(m, st, errs))
            return;
        a->level[s] = 0; /* losing a skill cannot make a match */
    } else {
        begin(m, "agent_set_skills");
        usher_skill_level list[4];
        size_t n = (size_t)rnd(m, 5);
        int dup = 0;
        for (size_t k = 0; k < n; k++) {
            list[k] = (usher_skill_level){(uint32_t)rnd(m, NSK), 1 + (uint32_t)rnd(m, 10)};
            for (size_t j = 0; j < k; j++)
                dup |= list[j].skill == list[k].skill;
        }
        if (dup)
            errs |= err_bit(USHER_EINVAL);
        if (!a->exists)
            errs |= err_bit(USHER_ENOTFOUND);
        describe(m, "agent %d %zu skills", i, n);
        st = usher_agent_set_skills(m->e, agent_id(i), n ? list : NULL, n);
        if (!expect_status(m, st, errs))
            return;
        memset(a->level, 0, sizeof a->level);
        for (size_t k = 0; k < n; k++)
            a->level[list[k].skill] = list[k].level;
        trigger_agent(m, i);
    }
    settle(m);
}

static void op_set_capacity(model *m)
{
    begin(m, "agent_set_capacity");
    int i = pick_agent(m);
    m_agent *a = &m->ag[i];
    uint32_t cap = rnd(m, 30) == 0 ? (rnd(m, 2) ? 0 : USHER_MAX_CAPACITY + 1)
                                   : 1 + (uint32_t)rnd(m, 8);
    unsigned errs = 0;
    if (cap == 0 || cap > USHER_MAX_CAPACITY)
        errs |= err_bit(USHER_EINVAL);
    if (!a->exists) {
        errs |= err_bit(USHER_ENOTFOUND);
    } else {
        for (int c = 0; c < NCH; c++)
            if (a->own[c] != USHER_LIMIT_DEFAULT && a->own[c] > cap)
                errs |= err_bit(USHER_EINVAL);
        if (used_of(m, a) > cap)
            errs |= err_bit(USHER_ESTATE);
    }
    describe(m, "agent %d capacity %u (used %u)", i, cap, a->exists ? used_of(m, a) : 0);
    usher_status st = usher_agent_set_capacity(m->e, agent_id(i), cap);
    if (!expect_status(m, st, errs))
        return;
    a->capacity = cap;
    trigger_agent(m, i);
    settle(m);
}

static void op_set_limit(model *m)
{
    begin(m, "agent_set_channel_limit");
    int i = pick_agent(m);
    m_agent *a = &m->ag[i];
    int r = rnd(m, 40);
    uint32_t c = r == 0 ? USHER_MAX_CHANNELS : r == 1 ? 3 : (uint32_t)rnd(m, NCH);
    uint32_t limit = rnd(m, 4) == 0 ? USHER_LIMIT_DEFAULT : (uint32_t)rnd(m, 7);
    unsigned errs = 0;
    if (c >= USHER_MAX_CHANNELS)
        errs |= err_bit(USHER_EINVAL);
    else if (c >= NCH)
        errs |= err_bit(USHER_ENOTFOUND);
    if (!a->exists)
        errs |= err_bit(USHER_ENOTFOUND);
    if (a->exists && limit != USHER_LIMIT_DEFAULT && limit > a->capacity)
        errs |= err_bit(USHER_EINVAL);
    if (a->exists && c < NCH) {
        uint32_t held = active_on(m, a, c) + wrapping_on(a, c);
        uint32_t want = limit != USHER_LIMIT_DEFAULT ? limit
                        : m->chd[c].max_per_agent   ? m->chd[c].max_per_agent
                                                    : UINT32_MAX;
        if (held > want)
            errs |= err_bit(USHER_ESTATE);
    }
    describe(m, "agent %d channel %u limit %d", i, c,
             limit == USHER_LIMIT_DEFAULT ? -1 : (int)limit);
    usher_status st = usher_agent_set_channel_limit(m->e, agent_id(i), c, limit);
    if (!expect_status(m, st, errs))
        return;
    a->own[c] = limit;
    trigger_agent(m, i);
    settle(m);
}

static void do_cooldown(model *m, int i, uint64_t ms)
{
    unsigned errs = m->ag[i].exists ? 0 : err_bit(USHER_ENOTFOUND);
    if (ms > USHER_TIME_MAX)
        errs |= err_bit(USHER_EINVAL);
    usher_status st = usher_agent_set_cooldown(m->e, agent_id(i), ms);
    if (!expect_status(m, st, errs))
        return;
    m->ag[i].cooldown = ms;
    settle(m);
}

static void op_cooldown(model *m)
{
    begin(m, "agent_set_cooldown");
    int i = pick_agent(m);
    uint64_t ms = rnd(m, 30) == 0 ? USHER_TIME_MAX + 1 : rnd(m, 2) ? 0 : 200 + (uint64_t)rnd(m, 4000);
    describe(m, "agent %d cooldown %llu", i, (unsigned long long)ms);
    do_cooldown(m, i, ms);
}

static void do_add(model *m, int i, uint32_t cap)
{
    unsigned errs = 0;
    if (cap == 0 || cap > USHER_MAX_CAPACITY)
        errs |= err_bit(USHER_EINVAL);
    if (m->ag[i].exists)
        errs |= err_bit(USHER_EEXIST);
    usher_status st = usher_agent_add(m->e, agent_id(i), cap);
    if (!expect_status(m, st, errs))
        return;
    m_agent *a = &m->ag[i];
    memset(a, 0, sizeof *a);
    a->exists = 1;
    a->state = OFF;
    a->capacity = cap;
    for (int c = 0; c < NCH; c++)
        a->own[c] = USHER_LIMIT_DEFAULT;
    a->idle_since = m->now;
    settle(m);
}

static void op_add(model *m)
{
    begin(m, "agent_add");
    int i = rnd(m, NAG);
    uint32_t cap = rnd(m, 30) == 0 ? 0 : 1 + (uint32_t)rnd(m, 6);
    describe(m, "agent %d capacity %u", i, cap);
    do_add(m, i, cap);
}

static void op_remove(model *m)
{
    begin(m, "agent_remove");
    int i = rnd(m, NAG);
    m_agent *a = &m->ag[i];
    describe(m, "agent %d (%s, %d tickets and host work)", i, a->exists ? "exists" : "unknown",
             a->exists ? a->nwork : 0);
    usher_status st = usher_agent_remove(m->e, agent_id(i));
    if (!expect_status(m, st, a->exists ? 0 : err_bit(USHER_ENOTFOUND)))
        return;
    if (hand_back(m, i, USHER_RETURN_REMOVED) > 0)
        m->trig = TRIG_MIXED;
    a->exists = 0; /* its wrap-ups and cool-down go without events */
    a->nwrap = 0;
    a->cool_until = 0;
    settle(m);
}

static void op_new_day(model *m)
{
    begin(m, "agents_new_day");
    describe(m, "-");
    expect_status(m, usher_agents_new_day(m->e), 0);
    for (int i = 0; i < NAG; i++)
        m->ag[i].assignments = 0;
    settle(m);
}

static void op_reset_stats(model *m)
{
    begin(m, "queue_reset_stats");
    int k = rnd(m, NQ + 1);
    uint32_t qid = k < NQ ? QID[k] : QID_UNKNOWN;
    describe(m, "queue %u", qid);
    usher_status st = usher_queue_reset_stats(m->e, qid);
    if (!expect_status(m, st, k < NQ ? 0 : err_bit(USHER_ENOTFOUND)))
        return;
    m_queue *q = &m->q[k];
    q->entered = q->answered = q->answered_in_sl = q->answer_wait = q->abandoned =
        q->completed = 0;
    settle(m);
}

/* ---- host reservations: the same id space --------------------------------------------- */

static void op_reserve(model *m)
{
    begin(m, "capacity_reserve");
    int h = rnd(m, NHOST);
    int r = rnd(m, 40);
    uint32_t c = r == 0 ? USHER_MAX_CHANNELS : r == 1 ? 3 : (uint32_t)rnd(m, NCH);
    int i = pick_agent(m);
    if (c < NCH && rnd(m, 4) != 0) /* mostly one that can take it */
        for (int k = 0, j = i; k < NAG; k++, j = (j + 1) % NAG)
            if (eligible(m, &m->ag[j], c)) {
                i = j;
                break;
            }
    m_agent *a = &m->ag[i];
    if (rnd(m, 12) == 0) { /* a live router ticket's id: taken */
        int t = pick_ticket(m, LIVE);
        if (m->tk[t].live) {
            describe(m, "agent %d router ticket %d channel %u", i, t, c);
            unsigned errs = err_bit(USHER_EEXIST);
            if (c >= USHER_MAX_CHANNELS)
                errs |= err_bit(USHER_EINVAL);
            if (!a->exists || c >= NCH)
                errs |= err_bit(USHER_ENOTFOUND);
            expect_status(m, usher_capacity_reserve(m->e, agent_id(i), ticket_id(t), c), errs);
            return;
        }
    }
    unsigned errs = 0;
    if (c >= USHER_MAX_CHANNELS)
        errs |= err_bit(USHER_EINVAL);
    else if (c >= NCH)
        errs |= err_bit(USHER_ENOTFOUND);
    if (!a->exists)
        errs |= err_bit(USHER_ENOTFOUND);
    if (m->host[h].agent >= 0)
        errs |= err_bit(USHER_EEXIST);
    if (a->exists && c < NCH) {
        int lone = is_flag(m, c, USHER_CHANNEL_EXCLUSIVE) && !is_flag(m, c, USHER_CHANNEL_INTERRUPTS);
        if (!open_for_work(a) || exclusive_work(m, a) || blocking_wrapup(m, a) ||
            (lone && a->nwork + a->nwrap > 0))
            errs |= err_bit(USHER_ESTATE);
        if ((a->capacity - used_of(m, a)) / m->chd[c].cost == 0 ||
            active_on(m, a, c) + wrapping_on(a, c) >= limit_of(m, a, c))
            errs |= err_bit(USHER_ELIMIT);
    }
    describe(m, "agent %d host ticket %d channel %u", i, h, c);
    usher_status st = usher_capacity_reserve(m->e, agent_id(i), host_id(h), c);
    if (!expect_status(m, st, errs))
        return;
    MCHECK(m, a->nwork + a->nwrap < MAXW, "model: agent %d holds too much", i);
    a->work[a->nwork++] = NTK + h;
    a->assignments++;
    a->idle_since = m->now; /* took a ticket */
    m->host[h] = (m_host){i, c};
    m->n_reserved++;
    settle(m); /* less capacity: nothing new can be matched */
}

static void op_release(model *m)
{
    begin(m, "capacity_release");
    uint32_t flags = FLAG_SETS[rnd(m, 5)];
    if (rnd(m, 8) == 0) { /* a router ticket: complete it instead */
        int t = pick_ticket(m, rnd(m, 2) ? ASSIGNED : ANY);
        unsigned errs = m->tk[t].live && m->tk[t].assigned ? err_bit(USHER_ESTATE)
                                                             : err_bit(USHER_ENOTFOUND);
        describe(m, "router ticket %d flags 0x%x", t, flags);
        expect_status(m, usher_capacity_release(m->e, ticket_id(t), flags), errs);
        return;
    }
    if (rnd(m, 12) == 0) { /* a held host ticket's id cannot be submitted */
        int h = rnd(m, NHOST);
        if (m->host[h].agent >= 0) {
            begin(m, "ticket_submit (host ticket id)");
            describe(m, "host ticket %d", h);
            usher_ticket_spec spec;
            usher_ticket_spec_init(&spec);
            spec.queue = QID[0];
            expect_status(m, usher_ticket_submit(m->e, host_id(h), &spec), err_bit(USHER_EEXIST));
            return;
        }
    }
    int h = rnd(m, NHOST);
    for (int k = 0; k < NHOST && rnd(m, 6) != 0 && m->host[h].agent < 0; k++)
        h = (h + 1) % NHOST;
    int a = m->host[h].agent;
    describe(m, "host ticket %d (agent %d) flags 0x%x", h, a, flags);
    usher_status st = usher_capacity_release(m->e, host_id(h), flags);
    if (!expect_status(m, st, a >= 0 ? 0 : err_bit(USHER_ENOTFOUND)))
        return;
    release_work(m, a, NTK + h, flags);
    m->sort_exp = 1;
    trigger_agent(m, a);
    settle(m);
}

/* ---- malformed calls: the documented code, and nothing changes ------------------------- */

static void op_invalid(model *m)
{
    begin(m, "invalid call");
    int t = pick_ticket(m, LIVE), k = rnd(m, NQ);
    uint64_t live_in_queue = 0;
    for (int x = 0; x < NTK; x++)
        live_in_queue += m->tk[x].live && m->tk[x].q == k;
    usher_status st;
    unsigned errs;
    switch (rnd(m, 9)) {
    case 0:
        describe(m, "ticket_submit with no spec");
        st = usher_ticket_submit(m->e, ticket_id(pick_ticket(m, DEAD)), NULL);
        errs = err_bit(USHER_EINVAL);
        break;
    case 1: {
        usher_ticket_spec spec;
        usher_ticket_spec_init(&spec);
        spec.queue = QID[k];
        spec.struct_size = 8;
        describe(m, "ticket_submit with struct_size 8");
        st = usher_ticket_submit(m->e, ticket_id(pick_ticket(m, DEAD)), &spec);
        errs = err_bit(USHER_EINVAL);
        break;
    }
    case 2: {
        usher_ticket_info info = {.struct_size = 8};
        describe(m, "ticket_get of ticket %d with struct_size 8", t);
        st = usher_ticket_get(m->e, ticket_id(t), &info);
        errs = err_bit(USHER_EINVAL) | (m->tk[t].live ? 0 : err_bit(USHER_ENOTFOUND));
        break;
    }
    case 3: {
        usher_queue_stats stats = {.struct_size = 8};
        describe(m, "queue_get_stats with struct_size 8");
        st = usher_queue_get_stats(m->e, QID[k], &stats);
        errs = err_bit(USHER_EINVAL);
        break;
    }
    case 4: {
        usher_queue_def def;
        usher_queue_def_init(&def);
        describe(m, "queue_add of existing queue %u", QID[k]);
        st = usher_queue_add(m->e, QID[k], &def);
        errs = err_bit(USHER_EEXIST);
        break;
    }
    case 5:
        if (live_in_queue == 0)
            return; /* it would succeed */
        describe(m, "queue_remove of queue %u with %llu live tickets", QID[k],
                 (unsigned long long)live_in_queue);
        st = usher_queue_remove(m->e, QID[k]);
        errs = err_bit(USHER_ESTATE);
        break;
    case 6:
        describe(m, "queue_remove of unknown queue");
        st = usher_queue_remove(m->e, QID_UNKNOWN);
        errs = err_bit(USHER_ENOTFOUND);
        break;
    case 7: {
        if (live_in_queue == 0)
            return;
        usher_widen_step step = {.after_ms = 1000, .action = USHER_WIDEN_RAISE_PRIORITY,
                                 .value = 10};
        describe(m, "queue_set_widening of queue %u with live tickets", QID[k]);
        st = usher_queue_set_widening(m->e, QID[k], &step, 1);
        errs = err_bit(USHER_ESTATE);
        break;
    }
    default:
        describe(m, "agent_set_skills with no list");
        st = usher_agent_set_skills(m->e, agent_id(pick_agent(m)), NULL, 2);
        errs = err_bit(USHER_EINVAL);
        break;
    }
    expect_status(m, st, errs);
}

/* ---- the clock ------------------------------------------------------------------------- */

static void op_advance(model *m)
{
    begin(m, "advance");
    int r = rnd(m, 100);
    uint64_t step;
    if (r < 40)
        step = (uint64_t)rnd(m, 100);
    else if (r < 80)
        step = (uint64_t)rnd(m, 1500);
    else if (r < 97)
        step = (uint64_t)rnd(m, 8000);
    else
        step = (uint64_t)rnd(m, 200000);
    uint64_t target = m->now + step, asked = target;
    if (rnd(m, 50) == 0) { /* an earlier time counts as the current time */
        asked = m->now - (uint64_t)rnd(m, 1000);
        target = m->now;
    }
    describe(m, "to %llu (+%llu)", (unsigned long long)asked, (unsigned long long)(target - m->now));
    usher_status st = usher_advance(m->e, asked);
    expect_status(m, st, 0);
    MCHECK(m, !m->overflow, "event buffer overflow");
    MCHECK(m, !m->seq_error, "event seq %llu", (unsigned long long)m->seq_error);
    /* Deadlines fire in order, each followed by the matches it allows. */
    for (int k = 0; k < m->ngot; k++) {
        const usher_event *g = &m->got[k];
        check_common(m, g);
        if (g->type == USHER_EVENT_TICKET_ASSIGNED) {
            process_assigned(m, g);
            continue;
        }
        uint64_t due = model_next_deadline(m);
        MCHECK(m, due <= target && g->time_ms == due, "%s at %llu, model's next deadline %llu",
               ev_name(g->type), (unsigned long long)g->time_ms, (unsigned long long)due);
        int a = agent_index(g->agent_id);
        MCHECK(m, a >= 0 && m->ag[a].exists, "%s of unknown agent", ev_name(g->type));
        m_agent *ag = &m->ag[a];
        m->now = due;
        if (g->type == USHER_EVENT_WRAPUP_ENDED) {
            int w = 0;
            while (w < ag->nwrap && !(ag->wrap[w].end == due && ag->wrap[w].ticket == g->ticket_id &&
                                      (int64_t)ag->wrap[w].ch == g->value))
                w++;
            MCHECK(m, w < ag->nwrap && g->reason == 0, "WRAPUP_ENDED agent %d ticket %d: none due",
                   a, ticket_index(g->ticket_id));
            memmove(ag->wrap + w, ag->wrap + w + 1, sizeof ag->wrap[0] * (size_t)(ag->nwrap - w - 1));
            ag->nwrap--;
            ag->idle_since = due;
            m->n_wrapups++;
        } else if (g->type == USHER_EVENT_LOAD_CAP_CLEARED) {
            MCHECK(m, ag->cool_until == due && g->reason == USHER_CAP_COOLDOWN && g->value == 0 &&
                          g->ticket_id == 0,
                   "LOAD_CAP_CLEARED agent %d: cool-down until %llu", a,
                   (unsigned long long)ag->cool_until);
            ag->cool_until = 0;
            m->n_cooldowns++;
        } else {
            model_fail(m, "advance", "unexpected %s", ev_name(g->type));
        }
        /* The agents whose deadlines of this ms fired take work. */
        if (m->trig != TRIG_AGENTS || m->trig_time != due)
            m->trig_agents = 0;
        m->trig = TRIG_AGENTS;
        m->trig_agents |= UINT32_C(1) << a;
        m->trig_time = due;
    }
    MCHECK(m, model_next_deadline(m) > target, "deadline %llu <= %llu did not fire",
           (unsigned long long)model_next_deadline(m), (unsigned long long)target);
    if (target > m->now)
        m->now = target;
    m->ngot = 0;
}

/* ---- one run ---------------------------------------------------------------------------- */

/* Queue policies per configuration (seed % 4): all six strategies, and two
 * queues sharing a strategy (so their tickets share signatures) in two of
 * them. Configuration 3 runs its clock past 2^40 ms, where ageing stops. */
static const uint32_t CFG_STRATEGY[4][NQ] = {
    {USHER_STRATEGY_LONGEST_IDLE, USHER_STRATEGY_LONGEST_IDLE, USHER_STRATEGY_BEST_SKILL},
    {USHER_STRATEGY_MOST_FREE, USHER_STRATEGY_FEWEST_ASSIGNMENTS, USHER_STRATEGY_ROUND_ROBIN},
    {USHER_STRATEGY_RANDOM, USHER_STRATEGY_BEST_SKILL, USHER_STRATEGY_LONGEST_IDLE},
    {USHER_STRATEGY_ROUND_ROBIN, USHER_STRATEGY_ROUND_ROBIN, USHER_STRATEGY_MOST_FREE},
};
static const uint32_t CFG_AGEING[4][NQ] = {
    {1000, 0, 20000}, {0, 1000, 100000}, {5000, 1000, 0}, {1000000, 1000, 0}};

static void setup(model *m)
{
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.seed = m->seed;
    cfg.start_ms = m->now;
    MCHECK(m, usher_engine_new(&cfg, &m->e) == USHER_OK, "engine_new");
    MCHECK(m, usher_set_event_handler(m->e, on_event, m) == USHER_OK, "set_event_handler");
    for (uint32_t s = 0; s < NSK; s++) {
        char name[16];
        uint32_t id = 0;
        snprintf(name, sizeof name, "skill%u", (unsigned)s);
        MCHECK(m, usher_skill_intern(m->e, name, &id) == USHER_OK && id == s, "intern");
    }
    uint32_t perm[NSK];
    for (uint32_t k = 0; k < NSK; k++)
        perm[k] = k;
    for (uint32_t k = NSK - 1; k > 0; k--) {
        uint32_t j = (uint32_t)rnd(m, k + 1), x = perm[k];
        perm[k] = perm[j];
        perm[j] = x;
    }
    uint32_t sa = perm[0], sb = perm[1];
    m->pref_skill = perm[2];
    memset(m->menu, 0, sizeof m->menu);
    m->menu[1][sa] = 1 + (uint32_t)rnd(m, 4);
    m->menu[2][sa] = 5 + (uint32_t)rnd(m, 4);
    m->menu[3][sb] = 1 + (uint32_t)rnd(m, 7);
    m->menu[4][sa] = m->menu[1][sa];
    m->menu[4][sb] = m->menu[3][sb];
    for (uint32_t c = 0; c < NCH; c++) {
        usher_channel_def *d = &m->chd[c];
        usher_channel_def_init(d);
        if (c == VOICE) {
            d->flags = USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_WRAPUP_BLOCKS_AGENT;
            d->max_per_agent = 1;
            d->wrapup_ms = 1000 + (uint64_t)rnd(m, 2000);
        } else if (c == CHAT) {
            d->max_per_agent = 3;
            d->wrapup_ms = 200 + (uint64_t)rnd(m, 600);
        } else {
            d->max_per_agent = 5;
        }
        MCHECK(m, usher_channel_add(m->e, c, d) == USHER_OK, "channel_add");
    }
    for (int k = 0; k < NQ; k++) {
        usher_queue_def *d = &m->q[k].def;
        usher_queue_def_init(d);
        d->strategy = CFG_STRATEGY[m->cfg][k];
        d->ageing_rate = CFG_AGEING[m->cfg][k];
        static const uint32_t w2[USHER_MAX_TIERS] = {0, 5, 10, 20, 40, 80, 160, 1000};
        for (uint32_t t = 0; t < USHER_MAX_TIERS; t++)
            d->tier_weight[t] = k == 0 ? 0 : k == 1 ? 100 * t : w2[t];
        d->service_level_ms = k == 0 ? 20000 : k == 1 ? 5000 : 60000;
        MCHECK(m, usher_queue_add(m->e, QID[k], d) == USHER_OK, "queue_add");
    }
    for (int i = 0; i < NAG; i++) {
        begin(m, "setup: agent_add");
        do_add(m, i, 1 + (uint32_t)rnd(m, 6));
        for (uint32_t s = 0; s < NSK; s++) {
            if (rnd(m, 2))
                continue;
            uint32_t level = 1 + (uint32_t)rnd(m, 10);
            MCHECK(m, usher_agent_set_skill(m->e, agent_id(i), s, level) == USHER_OK, "set_skill");
            m->ag[i].level[s] = level;
        }
        if (rnd(m, 3) == 0) {
            begin(m, "setup: cooldown");
            do_cooldown(m, i, 300 + (uint64_t)rnd(m, 3000));
        }
        int r = rnd(m, 10);
        begin(m, "setup: set_state");
        if (r < 7)
            do_set_state(m, i, AVAIL, 0, 0);
        else if (r < 8)
            do_set_state(m, i, AWAY, 1, 0);
    }
    check_all(m);
}

static void run_model(uint64_t seed, long ops)
{
    static model mstore;
    model *m = &mstore;
    memset(m, 0, sizeof *m);
    m->seed = seed;
    m->rng = seed;
    m->cfg = (int)(seed % 4);
    const char *trace = getenv("USHER_MODEL_TRACE");
    m->trace = trace && *trace && *trace != '0';
    m->now = 1000000 + (uint64_t)rnd(m, 1000000);
    if (m->cfg == 3)
        m->now += UINT64_C(1) << 62;
    for (int t = 0; t < NTK; t++)
        m->tk[t].agent = -1;
    for (int h = 0; h < NHOST; h++)
        m->host[h].agent = -1;
    setup(m);

    for (m->step = 0; m->step < ops; m->step++) {
        int r = rnd(m, 1000);
        if (r < 185)
            op_submit(m);
        else if (r < 285)
            op_complete(m);
        else if (r < 298)
            op_reserve(m);
        else if (r < 310)
            op_release(m);
        else if (r < 350)
            op_cancel(m);
        else if (r < 410)
            op_transfer(m);
        else if (r < 470)
            op_priority_tier(m);
        else if (r < 520)
            op_require(m);
        else if (r < 555)
            op_drop_requirement(m);
        else if (r < 675)
            op_set_state(m);
        else if (r < 745)
            op_skills(m);
        else if (r < 780)
            op_set_capacity(m);
        else if (r < 815)
            op_set_limit(m);
        else if (r < 945)
            op_advance(m);
        else if (r < 965)
            op_add(m);
        else if (r < 975)
            op_remove(m);
        else if (r < 985)
            op_cooldown(m);
        else if (r < 990)
            op_invalid(m);
        else if (r < 995)
            op_new_day(m);
        else
            op_reset_stats(m);
        check_all(m);
    }
    m->op = "end of run";
    long subs = 0, ends = 0, live = 0;
    for (int t = 0; t < NTK; t++) {
        MCHECK(m, m->tk[t].submissions == m->tk[t].ends + m->tk[t].live,
               "ticket %d: %ld submissions, %ld ends", t, m->tk[t].submissions, m->tk[t].ends);
        subs += m->tk[t].submissions;
        ends += m->tk[t].ends;
        live += m->tk[t].live;
    }
    print_message("seed %llu (strategies %u %u %u): %ld ops, %ld calls ok, %ld failed as "
                  "documented\n",
                  (unsigned long long)seed, CFG_STRATEGY[m->cfg][0], CFG_STRATEGY[m->cfg][1],
                  CFG_STRATEGY[m->cfg][2], ops, m->calls_ok, m->calls_failed);
    print_message("  %ld submitted, %ld ended (%ld completed, %ld abandoned), %ld live; %ld assignments "
                  "(%ld agent choices and %ld ticket choices checked), %ld requeues, %ld "
                  "transfers, %ld wrap-ups ended, %ld cool-downs ended, %ld host reservations, "
                  "%ld handed back\n",
                  subs, ends, m->n_completed, m->n_abandoned, live, m->n_assigned, m->n_agent_checks,
                  m->n_ticket_checks, m->n_requeued, m->n_transfers, m->n_wrapups,
                  m->n_cooldowns, m->n_reserved, m->n_returned);
    size_t live_sigs = 0;
    for (size_t k = 0; k < m->e->index.slots; k++)
        live_sigs += m->e->index.sigs[k].refs > 0;
    print_message("  waiting tickets: mean %.1f, max %ld; assigned max %ld; %zu signatures\n",
                  (double)m->sum_waiting / (double)(ops ? ops : 1), m->max_waiting,
                  m->max_assigned, live_sigs);
    MCHECK(m, m->n_assigned > ops / 20 && m->n_requeued > 0 && m->n_wrapups > 0 &&
                  m->n_cooldowns > 0 && m->n_agent_checks > 0 && m->n_ticket_checks > 0,
           "a path was never exercised");
    usher_engine_free(m->e);
    m->e = NULL;
}

static uint64_t replay_seed;

static void test_routing_replay(void **state)
{
    (void)state;
    run_model(replay_seed, MODEL_OPS / RUNS);
}

/* One test per seed: a failing seed does not hide the others. */
#define SEED_TEST(k)                                   \
    static void test_routing_model_seed##k(void **state) \
    {                                                  \
        (void)state;                                   \
        run_model(SEED_BASE + (k), MODEL_OPS / RUNS);  \
    }
SEED_TEST(0)
SEED_TEST(1)
SEED_TEST(2)
SEED_TEST(3)

int main(void)
{
    const char *env = getenv("USHER_MODEL_SEED");
    if (env && *env) {
        replay_seed = strtoull(env, NULL, 0);
        const struct CMUnitTest replay[] = {cmocka_unit_test(test_routing_replay)};
        return cmocka_run_group_tests(replay, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routing_model_seed0),
        cmocka_unit_test(test_routing_model_seed1),
        cmocka_unit_test(test_routing_model_seed2),
        cmocka_unit_test(test_routing_model_seed3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
