/*
 * Baseline: a binary min-heap, the timer queue of general-purpose event
 * loops (libevent's min-heap, libuv's timer heap). Entries are ordered by
 * (key, seq): seq is the insertion stamp, so equal keys leave in insertion
 * order, the same tie rule as usher's wheel. An entry carries a handle;
 * with a position table (handles < max_handles) an entry can be removed or
 * re-keyed by handle in O(log n), as a timer library's cancel needs.
 */
#ifndef USHER_BENCH_HEAP_H
#define USHER_BENCH_HEAP_H

#include <stdint.h>

typedef struct heap_entry {
    uint64_t key;
    uint32_t seq;
    uint32_t handle;
} heap_entry;

typedef struct bheap {
    heap_entry *items;
    uint32_t size, capacity;
    uint32_t *pos; /* by handle: index + 1, 0 when absent; NULL without handles */
    uint32_t next_seq;
} bheap;

/* An empty heap with room for `capacity` entries (it grows past that) and,
 * if max_handles > 0, a position table for handles < max_handles. */
void heap_init(bheap *h, uint32_t capacity, uint32_t max_handles);
void heap_free(bheap *h);
void heap_push(bheap *h, uint64_t key, uint32_t handle);
/* The smallest entry; the heap must not be empty. */
static inline const heap_entry *heap_top(const bheap *h) { return &h->items[0]; }
void heap_pop(bheap *h);
/* With a position table: is handle in the heap, remove it, re-key it (it
 * then counts as inserted now). */
static inline int heap_contains(const bheap *h, uint32_t handle) { return h->pos[handle] != 0; }
void heap_remove(bheap *h, uint32_t handle);
void heap_update(bheap *h, uint32_t handle, uint64_t key);

#endif
