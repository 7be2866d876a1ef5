/*
 * The agent-capacity model: channels, agents, the work they hold and their
 * wrap-ups. Shared by agents.c (agents and their settings), capacity.c
 * (reservations, wrap-ups, load caps, idle timeouts), channels.c and
 * index.c (the eligibility index).
 */
#ifndef USHER_AGENTS_H
#define USHER_AGENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "idmap.h"
#include "links.h"

#define US_NONE UINT32_MAX
/* The per-agent channel limit slot value meaning "the channel's default". */
#define US_LIMIT_DEFAULT UINT16_MAX

/* A skill with a level: the agent's proficiency or a required minimum. */
typedef struct us_skill_entry {
    uint16_t skill;
    uint8_t level;
    uint8_t unused;
} us_skill_entry;

typedef struct us_channel {
    usher_channel_def def;
    bool defined;
    uint32_t in_use; /* work and wrap-ups on this channel, all agents */
} us_channel;

/* A membership named by its agent and its index in the agent's array. */
typedef struct us_mref {
    uint32_t agent, member;
} us_mref;

/* An agent's membership of an eligibility signature whose requirements its
 * skills meet; heap_pos is its place in the signature's heap, or
 * US_IN_LIST under the longest-idle strategy while it is in the
 * signature's idle list (prev, next), or US_NONE. */
typedef struct us_membership {
    uint32_t sig;
    uint32_t heap_pos;
    uint32_t score; /* USHER_STRATEGY_BEST_SKILL's score of the agent for it */
    uint64_t key;   /* in a list: the agent's idle time when it was filed */
    us_mref prev, next;
} us_membership;

#define US_IN_LIST 0u

typedef struct us_agent {
    uint64_t id;
    bool live;
    int32_t state;
    int32_t away_reason;
    uint32_t next_free; /* free-list link while !live */

    uint32_t capacity;
    uint32_t used; /* units held by work and wrap-ups */
    uint32_t active_total, wrapping_total;
    uint32_t exclusive_active; /* work held on exclusive channels */
    uint32_t blocking_wrapups; /* wrap-ups that block the whole agent */
    uint16_t limit[USHER_MAX_CHANNELS]; /* own limits, or US_LIMIT_DEFAULT */
    uint16_t active[USHER_MAX_CHANNELS];
    uint16_t wrapping[USHER_MAX_CHANNELS];
    uint32_t work_head, work_tail; /* its work and wrap-ups, oldest first */

    us_skill_entry *skills; /* sorted by skill id */
    uint32_t skill_count;

    /* Eligibility: bit c set when the agent may take a ticket of channel c
     * now; the signatures its skills meet. */
    uint32_t ready_mask;
    uint64_t idle_since; /* the index orders agents by it: longest idle first */
    us_membership *members;
    size_t member_count, member_capacity;

    /* Rolling-window load cap: the times of the last cap_max reservations,
     * a ring starting at cap_head. */
    uint32_t cap_max;
    uint64_t cap_window;
    uint64_t *cap_times;
    uint32_t cap_head, cap_count;
    bool capped;        /* reservations fill the window */
    uint32_t cap_timer; /* at us_load_cap_due(), or US_NONE */

    uint64_t cooldown_ms;
    bool cooling;
    uint32_t cooldown_timer;

    uint64_t idle_timeout;
    uint64_t last_activity;
    uint32_t idle_timer;

    uint64_t assignments_today;
    uint64_t last_assigned; /* the router's assignment stamp, 0 if never */
    uint64_t missed_offers; /* consecutive offers that expired unanswered */
    uint32_t offers_out;    /* offers waiting for this agent's answer */
    uint32_t preferred_by;  /* the first ticket waiting for this agent */
    us_link dirty_link; /* in the router's list of agents to match */
    bool dirty;
    uint64_t handled_ms, busy_ms, logged_in_ms;
    uint64_t counted_until; /* busy_ms and logged_in_ms count up to here */
} us_agent;

/* A ticket's reservation at an agent, then its wrap-up. */
typedef struct us_work {
    uint64_t ticket;
    uint64_t started; /* reservation time, then wrap-up start */
    uint32_t agent;
    uint32_t next, prev; /* the agent's list; next is the free list link too */
    uint32_t timer;      /* the wrap-up timer */
    uint32_t routed; /* the router's ticket slot, US_NONE for a host reservation */
    uint8_t channel;
    bool wrapping;
} us_work;

typedef struct us_agents {
    us_agent *items; /* by slot; slots never move */
    size_t slots, capacity;
    uint32_t free_head;
    uint32_t live;
    us_idmap by_id; /* agent id -> slot */

    us_work *works;
    size_t work_slots, work_capacity;
    uint32_t work_free;
    uint32_t work_free_count;
    us_idmap by_ticket; /* ticket id -> work slot, while the work is active */
} us_agents;

/* True if a channel definition is in range (usher_channel_add's checks). */
bool us_channel_def_valid(const usher_channel_def *def);

void us_agents_init(us_agents *m, const us_alloc *alloc, uint64_t seed);
void us_agents_free(us_agents *m, const us_alloc *alloc);

/* Finds a live agent: USHER_OK or USHER_ENOTFOUND. */
usher_status us_agent_find(const usher_engine *e, uint64_t agent_id, uint32_t *slot);

/* Finds a live agent and reserves room for `events` events and `timers`
 * wheel timers: USHER_OK, USHER_ENOTFOUND or USHER_ENOMEM. */
usher_status us_agent_prepare(usher_engine *e, uint64_t agent_id, size_t events, uint32_t timers,
                              uint32_t *slot);

/* Adds the time since counted_until to busy_ms and logged_in_ms: called
 * before anything that changes whether the agent is logged in or busy. */
void us_agent_count_time(const usher_engine *e, us_agent *a);

/* How many more tickets of `channel` capacity, limits, exclusive work and
 * blocking wrap-ups allow (state and load caps aside). */
uint32_t us_agent_room(const usher_engine *e, const us_agent *a, uint32_t channel);

/* The effective limit of a channel for an agent, UINT32_MAX for none. */
uint32_t us_agent_limit(const usher_engine *e, const us_agent *a, uint32_t channel);

/* True when state and load caps (outstanding offers included) let the
 * agent take new work. */
bool us_agent_open_for_work(const usher_engine *e, const us_agent *a);
/* How many more reservations the rolling-window cap allows now
 * (UINT32_MAX without a cap). */
uint32_t us_load_cap_room(const usher_engine *e, const us_agent *a);
/* The most reservations a rolling-window cap may count. */
#define US_MAX_WINDOW_ASSIGNMENTS 100000u
/* The time the agent's rolling window is seen at: now, or just before
 * its load cap timer while that timer is due but has not fired yet (an
 * usher_advance() that failed for memory left it for the next one), so
 * that the window changes for the agent exactly when its timer fires. */
uint64_t us_load_cap_clock(const usher_engine *e, const us_agent *a);
/* When the agent's load cap timer is due, USHER_TIME_NEVER if it has
 * none: while capped, when the window reopens; otherwise, while the
 * reservations in the window and the offers out fill the cap, when the
 * oldest reservation in the window leaves it (eligibility may change
 * then); otherwise never. */
uint64_t us_load_cap_due(const usher_engine *e, const us_agent *a);
/* Schedules, moves or cancels the load cap timer to match
 * us_load_cap_due() (one wheel node reserved; us_agent_refresh calls it). */
void us_load_cap_sync_timer(usher_engine *e, uint32_t slot);

/* The channels (bits) the agent may take a ticket of now: what
 * ready_mask must hold. */
uint32_t us_agent_ready_mask(const usher_engine *e, const us_agent *a);

/* Recomputes the agent's eligibility (index), idle timer and load cap
 * timer after any change. Cannot fail: the caller reserved one wheel
 * node. */
void us_agent_refresh(usher_engine *e, uint32_t slot);

/* Recomputes eligibility only (no timer is touched). */
void us_agent_refresh_ready(usher_engine *e, uint32_t slot);

/* Moves the agent to a state (validated by the caller): counts time, hands
 * work back on logout, queues the state event (room for active_total + 1
 * events and one wheel node reserved). */
void us_agent_change_state(usher_engine *e, uint32_t slot, int32_t state, int32_t reason);

/* Sets the time the index orders the agent by (idle time only grows). */
void us_agent_set_idle_since(usher_engine *e, uint32_t slot, uint64_t t);

/* Queues an event about an agent at the engine's current time (room
 * reserved). */
void us_agent_event(usher_engine *e, int32_t type, const us_agent *a, uint64_t ticket,
                    int64_t value, int32_t reason);

/* Reserves n capacity records and by_ticket entries (us_capacity_take). */
usher_status us_capacity_prepare(usher_engine *e, uint32_t n);
/* Reserves capacity for a ticket at an agent that can take it (checked by
 * the caller; us_capacity_prepare() and room for one event and one timer
 * reserved). Counts it as an assignment (load cap, assignments_today)
 * when `counted`; an offer is counted when accepted, by
 * us_capacity_count(). Returns the work record. */
uint32_t us_capacity_take(usher_engine *e, uint32_t slot, uint64_t ticket_id, uint32_t channel,
                          bool counted);
void us_capacity_count(usher_engine *e, uint32_t slot);
/* Ends a work record's ticket: wrap-up or freed (room for one event and
 * US_RELEASE_TIMERS timers reserved). */
void us_capacity_end(usher_engine *e, uint32_t w, uint32_t flags);
/* The wrap-up, the cool-down and the idle timeout. */
#define US_RELEASE_TIMERS 3
bool us_release_flags_valid(uint32_t flags);

/* Frees an agent's work and wrap-ups, reporting active tickets with
 * USHER_EVENT_WORK_RETURNED (reason REMOVED); cancels its timers. Room for
 * active_total events is reserved. */
void us_capacity_drop_agent(usher_engine *e, uint32_t slot);

/* Counts a reservation against the agent's rolling-window cap, and starts
 * its cool-down after a heavy ticket (room for one event, one timer). */
void us_load_cap_count(usher_engine *e, uint32_t slot);
void us_load_cap_cool_down(usher_engine *e, uint32_t slot);

/* Timer expiry of the capacity model (room reserved for events and one
 * wheel node). */
void us_expire_wrapup(usher_engine *e, uint32_t timer);
void us_expire_load_cap(usher_engine *e, uint32_t timer);
void us_expire_cooldown(usher_engine *e, uint32_t timer);
void us_expire_idle(usher_engine *e, uint32_t timer);

/* Saturating a + b, capped at USHER_TIME_MAX. */
static inline uint64_t us_time_add(uint64_t a, uint64_t b)
{
    return b > USHER_TIME_MAX - a ? USHER_TIME_MAX : a + b;
}

#endif
