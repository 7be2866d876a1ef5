/*
 * The eligibility index: for each signature (a channel and a set of
 * required skills with minimum levels) the agents whose skills meet it, and
 * among them a heap of those eligible for the channel now, ordered longest
 * idle first (idle_since, then agent id). Updated incrementally on every
 * change of an agent's skills, eligibility or idle time.
 */
#ifndef USHER_INDEX_H
#define USHER_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "agents.h"

typedef struct us_heap_entry {
    uint32_t agent;  /* agent slot */
    uint32_t member; /* index in that agent's membership array */
} us_heap_entry;

typedef struct us_sig {
    uint64_t hash;
    uint32_t refs; /* 0: a free slot */
    uint32_t next; /* next signature with the same hash, or the free list */
    uint32_t channel;
    uint32_t req_count;
    us_skill_entry *reqs; /* sorted by skill id */
    us_heap_entry *heap;  /* eligible members; room for every member */
    size_t heap_size, heap_capacity;
    uint32_t members;
    uint64_t mark; /* scratch for re-matching an agent */
} us_sig;

typedef struct us_index {
    us_sig *sigs;
    size_t slots, capacity;
    uint32_t free_head;
    uint64_t mark;
    us_idmap by_hash; /* hash -> first signature of that hash */
} us_index;

void us_index_init(us_index *x, const us_alloc *alloc, uint64_t seed);
void us_index_free(us_index *x, const us_alloc *alloc);

/* Takes a reference to the signature (channel, reqs): found or created.
 * reqs: sorted by skill, no duplicates, levels 1..10, channel defined.
 * USHER_ENOMEM / USHER_ELIMIT change nothing. */
usher_status us_index_acquire(usher_engine *e, uint32_t channel, const us_skill_entry *reqs,
                              uint32_t req_count, uint32_t *sig);
void us_index_release(usher_engine *e, uint32_t sig);

/* The longest-idle eligible agent of a signature (slot), or US_NONE. */
uint32_t us_index_best(const usher_engine *e, uint32_t sig);

/* True if a live signature routes to the channel. */
bool us_index_uses_channel(const usher_engine *e, uint32_t channel);

/* Reserves memory so that us_index_rematch() after giving the agent
 * `skills` cannot fail. */
usher_status us_index_prepare(usher_engine *e, uint32_t agent, const us_skill_entry *skills,
                              uint32_t skill_count);
/* Brings the agent's memberships in line with its (new) skills. */
void us_index_rematch(usher_engine *e, uint32_t agent);
/* Leaves every signature (the agent is being removed). */
void us_index_forget(usher_engine *e, uint32_t agent);

/* The agent's ready_mask changed from old_mask; idle_since changed. */
void us_index_ready_changed(usher_engine *e, uint32_t agent, uint32_t old_mask);
void us_index_key_changed(usher_engine *e, uint32_t agent);

/* True if skills meet every requirement. */
bool us_skills_meet(const us_skill_entry *skills, uint32_t skill_count, const us_skill_entry *reqs,
                    uint32_t req_count);

/* Recomputes the whole index by brute force and compares: true when it is
 * consistent (tests, and the invariant checker). */
bool us_index_check(const usher_engine *e);

#endif
