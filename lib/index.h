/*
 * The eligibility index: for each signature (a channel, a selection
 * strategy, a set of required skills with minimum levels, and preferred
 * skills with weights under USHER_STRATEGY_BEST_SKILL) the agents whose
 * skills meet it, and a lazy heap that holds every member eligible for the
 * channel now (and perhaps some that no longer are), in the strategy's
 * order (see index.c). Updated incrementally on every change of
 * an agent's skills, eligibility or ordering key. Waiting tickets are
 * filed by signature too (router.h): a ticket's signature names the
 * agents who could take it.
 */
#ifndef USHER_INDEX_H
#define USHER_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "agents.h"

/* A heap entry carries its sort keys, so comparing two entries reads no
 * agent record (but for the agent id of full ties). */
typedef struct us_heap_entry {
    uint32_t agent;  /* agent slot */
    uint32_t member; /* index in that agent's membership array */
    uint64_t key;    /* the strategy's key, smaller first (random: the idle time filed with) */
    uint64_t idle;   /* the tie-break: idle time (0 where ties go by id) */
} us_heap_entry;

typedef struct us_sig {
    uint64_t hash;
    uint32_t refs; /* 0: a free slot */
    uint32_t next; /* next signature with the same hash, or the free list */
    uint32_t channel;
    uint32_t strategy; /* enum usher_strategy */
    uint32_t req_count, pref_count;
    us_skill_entry *reqs;  /* sorted by skill id; one allocation with prefs */
    us_skill_entry *prefs; /* sorted; level is the weight */
    us_heap_entry *heap;  /* eligible members; room for every member */
    size_t heap_size, heap_capacity;
    uint32_t members;
    uint64_t mark; /* scratch for re-matching an agent */
    uint64_t waiting; /* tickets waiting in the buckets of this signature */
    uint32_t buckets; /* the first bucket (router.h) of this signature */
    /* USHER_STRATEGY_LONGEST_IDLE: the eligible members, longest idle
     * first (the heap is only used while the signature is built). */
    us_mref head, tail;
    size_t listed;
    bool building;
} us_sig;

/* What identifies a signature. Preferences are part of it only under
 * USHER_STRATEGY_BEST_SKILL (the caller leaves them out otherwise). */
typedef struct us_sig_key {
    uint32_t channel;
    uint32_t strategy;
    const us_skill_entry *reqs; /* sorted, distinct, levels 1..10 */
    uint32_t req_count;
    const us_skill_entry *prefs; /* sorted, distinct, weights as levels */
    uint32_t pref_count;
} us_sig_key;

typedef struct us_index {
    us_sig *sigs;
    size_t slots, capacity;
    uint32_t free_head;
    uint64_t mark;
    us_idmap by_hash; /* hash -> first signature of that hash */
} us_index;

void us_index_init(us_index *x, const us_alloc *alloc, uint64_t seed);
void us_index_free(us_index *x, const us_alloc *alloc);

/* Takes a reference to the signature of *key: found or created (the
 * channel defined). USHER_ENOMEM / USHER_ELIMIT change nothing. */
usher_status us_index_acquire(usher_engine *e, const us_sig_key *key, uint32_t *sig);
void us_index_release(usher_engine *e, uint32_t sig);
/* The live signature of *key, without taking a reference. */
bool us_index_find(const usher_engine *e, const us_sig_key *key, uint32_t *sig);

/* The eligible agent (slot) the signature's strategy chooses, or US_NONE:
 * the heap's first, or a uniformly random one under
 * USHER_STRATEGY_RANDOM (which draws from the engine's generator). */
uint32_t us_index_pick(usher_engine *e, uint32_t sig);

/* Agents to pass over (agent slot). */
typedef bool (*us_index_skip_fn)(const usher_engine *e, const void *ctx, uint32_t agent);
/* As us_index_pick(), among the agents `skip` does not pass over (when
 * the random choice is passed over, the heap order decides). */
uint32_t us_index_pick_unless(usher_engine *e, uint32_t sig, us_index_skip_fn skip,
                              const void *ctx);

/* The first k (at most USHER_MAX_SCORE_CANDIDATES) eligible agents in
 * the strategy's order that `skip` (NULL: none) does not pass over, with
 * their strategy scores (usher_score_fn). Returns how many. */
size_t us_index_candidates(usher_engine *e, uint32_t sig, us_index_skip_fn skip, const void *ctx,
                           uint32_t *agents, int64_t *scores, size_t k);
/* An agent's strategy score for a signature it is a member of (else 0). */
int64_t us_index_score(const usher_engine *e, uint32_t sig, uint32_t agent);

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

/* The agent's ready_mask changed from old_mask; an ordering key (free
 * capacity, assignments, skills score) changed; its idle time grew. */
void us_index_ready_changed(usher_engine *e, uint32_t agent, uint32_t old_mask);
void us_index_key_changed(usher_engine *e, uint32_t agent);
void us_index_idle_changed(usher_engine *e, uint32_t agent);

/* True if skills meet every requirement. */
bool us_skills_meet(const us_skill_entry *skills, uint32_t skill_count, const us_skill_entry *reqs,
                    uint32_t req_count);

/* ---- snapshot restore: the caller validated every reference --------------- */

/* Fills free signature slot s (zeroed, below e->index.slots) from key, with
 * no reference, member or bucket yet, and links it to its hash.
 * USHER_ECORRUPT if a live signature has the same key; USHER_ENOMEM. */
usher_status us_index_restore_sig(usher_engine *e, uint32_t s, const us_sig_key *key);
/* Makes membership m of the agent (room allocated, skills set) one of
 * signature s, not filed; counts it in the signature's members. */
void us_index_restore_member(usher_engine *e, uint32_t agent, uint32_t m, uint32_t s);
/* Gives signature s heap room for all its members. */
usher_status us_index_restore_room(usher_engine *e, uint32_t s);
/* Files the agent's membership m last in its signature's idle list, or its
 * heap: under USHER_STRATEGY_RANDOM with `key`, the idle time it was filed
 * with; other strategies compute their keys. Heap and list order are
 * checked afterwards by us_index_check(). */
void us_index_restore_file(usher_engine *e, uint32_t agent, uint32_t m, uint64_t key);

/* Recomputes the whole index by brute force and compares: true when it is
 * consistent (tests, and the invariant checker). */
bool us_index_check(const usher_engine *e);
/* The same, but for the agents' ready masks, taken as they are (the
 * restore checks them against the state itself, agent by agent). */
bool us_index_check_filed(const usher_engine *e);

#endif
