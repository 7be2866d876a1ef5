/*
 * Baseline: a linear-scan router, the way classic queue applications
 * choose a member: for every ticket it looks at every agent and keeps the
 * best eligible one by the queue's strategy. Waiting tickets sit in one
 * binary heap per requirement set, in effective-priority order (the same
 * ageing arithmetic as usher: priority points plus one point per second
 * waited, FIFO among equals); an agent who frees capacity looks at the
 * head of every set it may serve, takes the best, and that ticket goes to
 * the agent the strategy ranks first among all agents (a full scan).
 *
 * It models the same rules as the engine built by workload.c: capacity,
 * channel limits, the exclusive voice channel, skills with minimum
 * levels, the three strategies with their tie rules (longest idle, then
 * agent id). It keeps one shortcut any plain implementation would have: a
 * count of agents with room per channel, so a submit scans nothing when
 * every agent of its channel is full.
 *
 * The untimed warm-up (`setup` true) looks only at the agents that have a
 * set's skills (lists built once): the same choice as the full scan, made
 * faster so that filling 10,000 agents and 100,000 waiting tickets does not
 * take longer than the timed run.
 */
#ifndef USHER_BENCH_LINEAR_H
#define USHER_BENCH_LINEAR_H

#include "heap.h"
#include "workload.h"

typedef struct lin_agent {
    uint8_t used;
    uint8_t active[WL_CHANNELS];
    uint8_t limit[WL_CHANNELS];
    uint8_t room; /* bit c: may take a ticket of channel c (capacity, limits, exclusivity) */
    uint64_t idle_since;
    uint64_t assignments;
} lin_agent;

typedef struct linear_router {
    const workload *w;
    lin_agent *agent;
    uint32_t with_room[WL_CHANNELS];
    bheap *waiting; /* one per set */
    uint64_t waiting_count;
    uint32_t *ticket_set;   /* by ticket id */
    uint32_t *ticket_agent; /* by ticket id: agent index + 1, 0 while waiting */
    uint64_t max_id;
    uint64_t now;
    assigned_set *assigned; /* told of every assignment */
    uint64_t assignments;
    bool setup;               /* the warm-up: scan set_agents only */
    uint32_t **set_agents;    /* by set: the agents with its skills */
    uint32_t *set_agent_count;
} linear_router;

void linear_init(linear_router *r, const workload *w, uint64_t max_id, assigned_set *assigned,
                 uint64_t now);
void linear_free(linear_router *r);
/* Submits ticket id (<= max_id): assigned at once if an agent may take it. */
void linear_submit(linear_router *r, uint64_t id, uint32_t set, uint32_t priority);
/* Completes an assigned ticket; its agent takes the next waiting ticket. */
void linear_complete(linear_router *r, uint64_t id);

#endif
