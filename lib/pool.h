/*
 * A pool of fixed-size records addressed by 32-bit slots that never move
 * (the array grows, so pointers do not survive a reservation; slots do).
 * Free slots form a list threaded through each record's `next_free` field,
 * whose offset the pool is given.
 */
#ifndef USHER_POOL_H
#define USHER_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

typedef struct us_pool {
    void *items;
    size_t slots, capacity;
    size_t elem_size, link_offset;
    uint32_t free_head;
    uint32_t live;
} us_pool;

void us_pool_init(us_pool *p, size_t elem_size, size_t link_offset);
void us_pool_free(us_pool *p, const us_alloc *alloc);

/* Makes sure us_pool_take() has a slot: USHER_OK, USHER_ENOMEM or
 * USHER_ELIMIT (USHER_MAX_OBJECTS records). */
usher_status us_pool_reserve(us_pool *p, const us_alloc *alloc);

/* Takes the reserved free slot; the record's contents are the caller's. */
uint32_t us_pool_take(us_pool *p);

/* Gives a slot back. */
void us_pool_put(us_pool *p, uint32_t slot);

/* The free slot after `slot` in the free list (US_NONE at its end). */
uint32_t us_pool_next_free(const us_pool *p, uint32_t slot);

/* Snapshot restore: gives an empty pool `slots` zeroed records, the free
 * ones linked in the order of free_list (validated by the caller: distinct
 * slots below `slots`). USHER_ENOMEM changes nothing. */
usher_status us_pool_restore(us_pool *p, const us_alloc *alloc, uint32_t slots,
                             const uint32_t *free_list, uint32_t free_count);

static inline void *us_pool_at(const us_pool *p, uint32_t slot)
{
    return (char *)p->items + (size_t)slot * p->elem_size;
}

#endif
