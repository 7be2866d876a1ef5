/*
 * Reading snapshots back into an engine (docs/SNAPSHOT.md), shared by the
 * restore*.c files: one file per group of sections.
 *
 * Every section reader checks each value it reads before using it: ranges,
 * references to records of earlier sections, and that each record is
 * claimed by exactly one owner. What the snapshot leaves out (counters of
 * work held, ticket heaps, hash tables, eligibility) is recomputed, and the
 * invariants that tie records together are checked at the end. A failure
 * is USHER_ECORRUPT or USHER_ENOMEM; the caller then frees the partly built
 * engine, whose records are at all times either complete or zeroed.
 */
#ifndef USHER_RESTORE_H
#define USHER_RESTORE_H

#include "snapshot.h"

/* What the restore knows of each slot of a slot space. */
enum { SLOT_FREE = 0, SLOT_LIVE = 1, SLOT_CLAIMED = 2, SLOT_LISTED = 3 };

/* A slot space as read: its size, its free list, and a mark per slot. */
typedef struct us_slot_space {
    uint32_t slots, free_count;
    uint32_t *free_list; /* head first */
    uint8_t *mark;       /* SLOT_FREE, or SLOT_LIVE and later marks */
} us_slot_space;

typedef struct us_restore {
    usher_engine *e;
    uint64_t now;
    us_slot_space calendars, policies, sigs, queues, buckets, agents, works, tickets, exclusions,
        customers, slas;
    uint64_t *seqs; /* the tickets' submission numbers, to check they differ */
    uint32_t seq_count;
} us_restore;

/* Reads a slot space: its slot count and free list (distinct slots), with
 * room left in the section for a record of at least min_record bytes per
 * live slot. Temporary arrays come from the engine's allocator. */
usher_status us_restore_slots(us_restore *x, us_reader *r, us_slot_space *s, size_t min_record);
/* The slot is live and not claimed yet: claims it. */
bool us_restore_claim(us_slot_space *s, uint32_t slot);
/* The slot exists and is live (claimed or not). */
static inline bool us_restore_live(const us_slot_space *s, uint32_t slot)
{
    return slot < s->slots && s->mark[slot] != SLOT_FREE;
}
void us_restore_free_slots(us_restore *x, us_slot_space *s);

/* Reads a sorted list of distinct skills (below the engine's skill count)
 * with levels or weights 1 .. max_level. */
bool us_restore_skill_entries(const us_restore *x, us_reader *r, us_skill_entry *out,
                              uint32_t count, uint32_t max_level);

/* A time of the past: at most the snapshot's clock. */
static inline bool us_restore_past(const us_restore *x, uint64_t t) { return t <= x->now; }

/* The sections, in the order they are read. */
usher_status us_restore_calendars(us_restore *x, us_reader *r);
usher_status us_restore_policies(us_restore *x, us_reader *r);
usher_status us_restore_sigs(us_restore *x, us_reader *r);
usher_status us_restore_queues(us_restore *x, us_reader *r);
usher_status us_restore_agents(us_restore *x, us_reader *r);
usher_status us_restore_tickets(us_restore *x, us_reader *r);
usher_status us_restore_customers(us_restore *x, us_reader *r);
usher_status us_restore_slas(us_restore *x, us_reader *r);
usher_status us_restore_index(us_restore *x, us_reader *r);
usher_status us_restore_timers(us_restore *x, us_reader *r);

/* After the last section: the state no section holds, and the invariants
 * that tie the sections together. */
usher_status us_restore_agents_finish(us_restore *x);
usher_status us_restore_tickets_finish(us_restore *x);
usher_status us_restore_timers_finish(us_restore *x);

#endif
