/*
 * The routing workload shared by `routing`, `backlog` and the linear-scan
 * baseline: a contact center generated from a seed.
 *
 *  - channels: 0 voice (exclusive, cost 1, limit 1), 1 chat (cost 1,
 *    limit 3), 2 e-mail (cost 1, limit 5); no wrap-up;
 *  - agents: capacity 5; every fourth agent works voice only (chat and
 *    e-mail limits 0), the others chat and e-mail (voice limit 0): an
 *    exclusive channel blended with the others would never get an agent
 *    back while chats and e-mails wait (any work blocks a call);
 *  - each agent has `agent_skills` distinct skills of `skills`, levels
 *    uniform 1 .. 10;
 *  - requirement sets: a channel (a third each) and one or two required
 *    skills with a minimum level 1 .. 5, taken from a random agent of the
 *    channel's group so that every set has agents; all distinct;
 *  - one queue per channel (id channel + 1): voice longest idle, chat
 *    most free capacity, e-mail fewest assignments today; ageing 1 point
 *    per second;
 *  - a ticket: a set and a priority (0 for 80 %, else 1 .. 5).
 */
#ifndef USHER_BENCH_WORKLOAD_H
#define USHER_BENCH_WORKLOAD_H

#include "bench.h"

#define WL_CHANNELS 3
#define WL_VOICE 0
#define WL_CHAT 1
#define WL_EMAIL 2
#define WL_CAPACITY 5
#define WL_MAX_AGENT_SKILLS 32
#define WL_MAX_REQS 2
/* Simulated time per step of the steady phase. */
#define WL_STEP_MS 10
/* Where the simulated clock starts (2026-01-05 00:00 UTC, a Monday). */
#define WL_EPOCH_MS UINT64_C(1767571200000)

typedef struct wl_agent {
    uint8_t voice; /* 1: the voice group, 0: chat and e-mail */
    uint8_t nskills;
    uint16_t skill[WL_MAX_AGENT_SKILLS]; /* sorted */
    uint8_t level[WL_MAX_AGENT_SKILLS];
} wl_agent;

typedef struct wl_set {
    uint8_t channel;
    uint8_t nreq;
    uint16_t skill[WL_MAX_REQS]; /* sorted */
    uint8_t level[WL_MAX_REQS];
} wl_set;

typedef struct workload {
    uint32_t agents, skills, agent_skills, sets;
    wl_agent *agent;
    wl_set *set;
    uint32_t *by_channel[WL_CHANNELS]; /* set indexes of each channel */
    uint32_t channel_sets[WL_CHANNELS];
    /* How many sets an agent has the skills for, on average (over up to
     * 1000 agents): its memberships in usher's eligibility index. */
    double sets_per_agent;
} workload;

/* The model for these options; NULL (and a message on stderr) if the sizes
 * cannot make that many distinct requirement sets. */
workload *workload_new(const bench_opts *o);
void workload_free(workload *w);

/* True if agent a has every skill of set s at its level. */
bool wl_qualifies(const workload *w, uint32_t a, uint32_t s);
/* True if the agent's group works the channel. */
static inline bool wl_works(const workload *w, uint32_t a, uint32_t channel)
{
    return w->agent[a].voice == (channel == WL_VOICE);
}

/* A new ticket: a uniformly random set (of `channel`, or of any channel if
 * channel is WL_CHANNELS) and a priority. */
void wl_ticket(const workload *w, uint64_t *rng, uint32_t channel, uint32_t *set,
               uint32_t *priority);

/* ---- the usher engine for the model -------------------------------------------------- */

/* An engine with channels, skills and queues (agents come separately),
 * using `alloc`, and every requirement set's signature already built (one
 * ticket per set submitted and completed before any agent exists: a
 * signature lives with its queue). */
usher_engine *wl_engine_new(const workload *w, const usher_allocator *alloc, uint64_t seed);
/* Adds every agent (id = index + 1) with its skills and limits, available. */
void wl_engine_add_agents(const workload *w, usher_engine *e);
/* Submits ticket `id` of set `set` with `priority` now. */
usher_status wl_engine_submit(const workload *w, usher_engine *e, uint64_t id, uint32_t set,
                              uint32_t priority);

/* ---- the host's record of assigned tickets ------------------------------------------- */

/* Assigned ticket ids, to complete one at random in O(1). */
typedef struct assigned_set {
    uint64_t *ids;
    uint32_t *pos; /* by ticket id: index in ids + 1, 0 if not assigned */
    uint64_t count, max_id;
} assigned_set;

void assigned_init(assigned_set *s, uint64_t max_id);
void assigned_free(assigned_set *s);
void assigned_add(assigned_set *s, uint64_t id);
void assigned_remove(assigned_set *s, uint64_t id);
/* A uniformly random assigned ticket (count must be > 0). */
uint64_t assigned_pick(const assigned_set *s, uint64_t *rng);

#endif
