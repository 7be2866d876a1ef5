/*
 * A hierarchical timing wheel with millisecond resolution. Generic: a timer
 * is a deadline and a 64-bit payload; the wheel knows nothing else.
 *
 * 11 levels of 64 slots cover all 64-bit times. A timer due at d is kept at
 * the level of the highest 6-bit digit in which d differs from the wheel's
 * clock, so every level-0 slot holds timers of one exact deadline and every
 * slot list is in schedule order. Schedule and cancel are O(1); advancing
 * skips empty slots with per-level bitmaps and moves each timer down at most
 * once per level, so a jump of any size costs O(timers due or cascaded).
 *
 * Timers due at or before the clock wait in a "due" list in schedule order.
 * Expiry order is (effective deadline, schedule order), where the effective
 * deadline is the later of the deadline and the clock when it was
 * scheduled.
 */
#ifndef USHER_WHEEL_H
#define USHER_WHEEL_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"

#define US_TIMER_NONE UINT32_MAX

#define US_WHEEL_BITS 6
#define US_WHEEL_SLOTS 64
#define US_WHEEL_LEVELS 11

typedef struct us_timer_node {
    uint32_t next, prev;
    uint32_t where; /* list it is in: level * 64 + slot, DUE, or FREE */
    uint32_t tag; /* the owner's kind of timer, carried untouched */
    uint64_t deadline;
    uint64_t data;
} us_timer_node;

typedef struct us_timer_list {
    uint32_t head, tail;
} us_timer_list;

typedef struct us_wheel {
    const us_alloc *alloc;
    us_timer_node *nodes;
    uint32_t capacity; /* nodes allocated */
    uint32_t used;     /* nodes handed out and not freed */
    uint32_t free_head;
    uint64_t now;
    uint64_t occupied[US_WHEEL_LEVELS]; /* bit s: slot s is non-empty */
    us_timer_list slots[US_WHEEL_LEVELS][US_WHEEL_SLOTS];
    us_timer_list due;
    uint64_t next_cache; /* earliest effective deadline when cache_valid */
    int cache_valid;
} us_wheel;

/* An empty wheel whose clock is `now`; allocates nothing. */
void us_wheel_init(us_wheel *w, const us_alloc *alloc, uint64_t now);
/* Frees every node; the wheel is then empty (clock kept) and usable. */
void us_wheel_free(us_wheel *w);

/* Makes room so that `extra` more schedules cannot fail. USHER_ENOMEM or
 * USHER_ELIMIT (beyond USHER_MAX_OBJECTS timers) leave the wheel unchanged. */
usher_status us_wheel_reserve(us_wheel *w, uint32_t extra);

/* Schedules a timer carrying (tag, data); its handle goes to *id. USHER_ENOMEM / USHER_ELIMIT
 * leave the wheel unchanged. */
usher_status us_wheel_schedule(us_wheel *w, uint64_t deadline, uint32_t tag, uint64_t data,
                               uint32_t *id);

/* Unschedules a live timer and frees its handle. */
void us_wheel_cancel(us_wheel *w, uint32_t id);

/* Moves a live timer to a new deadline; it counts as scheduled now. */
void us_wheel_reschedule(us_wheel *w, uint32_t id, uint64_t deadline);

/*
 * The next timer due at or before `limit` in expiry order, or US_TIMER_NONE.
 * Moves the clock forward: to that timer's effective deadline, or to `limit`
 * when nothing is due (never backwards). The timer stays scheduled: the
 * caller processes it, then cancels it (or reschedules it).
 */
uint32_t us_wheel_next_due(us_wheel *w, uint64_t limit);

/* Earliest effective deadline of all live timers, or UINT64_MAX. */
uint64_t us_wheel_next_deadline(us_wheel *w);

/* True if id names a scheduled timer (not a free node). */
bool us_wheel_is_live(const us_wheel *w, uint32_t id);

/* Walks every list of the wheel and compares it with the placement
 * invariant, the occupancy bitmaps, the count of live nodes, the free list
 * and the cached next deadline: true when all agree (usher_check). */
bool us_wheel_check(const us_wheel *w);

/* Visits every live timer, list by list: the due list, then level 0 slot 0
 * to level 10 slot 63, each list in its order. Scheduling the timers again
 * in this order into an empty wheel with the same clock rebuilds the same
 * lists (placement depends only on deadline and clock), so this is the
 * order snapshots keep. */
typedef void (*us_wheel_visit_fn)(void *ctx, uint32_t id);
void us_wheel_walk(const us_wheel *w, us_wheel_visit_fn visit, void *ctx);

/* Where a live timer is in that order of lists: 0 for the due list, then
 * 1 + level * 64 + slot. */
uint32_t us_wheel_list_index(const us_wheel *w, uint32_t id);

static inline uint64_t us_wheel_now(const us_wheel *w) { return w->now; }
static inline uint32_t us_wheel_count(const us_wheel *w) { return w->used; }
static inline uint64_t us_wheel_deadline(const us_wheel *w, uint32_t id)
{
    return w->nodes[id].deadline;
}
static inline uint64_t us_wheel_data(const us_wheel *w, uint32_t id) { return w->nodes[id].data; }
static inline uint32_t us_wheel_tag(const us_wheel *w, uint32_t id) { return w->nodes[id].tag; }

#endif
