/* Record pools (see pool.h). */
#include "pool.h"

#include <string.h>

#include "agents.h"

void us_pool_init(us_pool *p, size_t elem_size, size_t link_offset)
{
    memset(p, 0, sizeof *p);
    p->elem_size = elem_size;
    p->link_offset = link_offset;
    p->free_head = US_NONE;
}

void us_pool_free(us_pool *p, const us_alloc *alloc)
{
    us_free(alloc, p->items);
    p->items = NULL;
    p->slots = p->capacity = 0;
    p->free_head = US_NONE;
    p->live = 0;
}

static uint32_t *link_of(const us_pool *p, uint32_t slot)
{
    return (uint32_t *)((char *)us_pool_at(p, slot) + p->link_offset);
}

usher_status us_pool_reserve(us_pool *p, const us_alloc *alloc)
{
    if (p->free_head != US_NONE)
        return USHER_OK;
    if (p->slots >= USHER_MAX_OBJECTS)
        return USHER_ELIMIT;
    usher_status st = us_grow_array(alloc, &p->items, &p->capacity, p->slots + 1, p->elem_size);
    if (st != USHER_OK)
        return st;
    memset(us_pool_at(p, (uint32_t)p->slots), 0, p->elem_size);
    p->free_head = (uint32_t)p->slots++;
    *link_of(p, p->free_head) = US_NONE;
    return USHER_OK;
}

uint32_t us_pool_take(us_pool *p)
{
    uint32_t slot = p->free_head;
    p->free_head = *link_of(p, slot);
    p->live++;
    return slot;
}

/* Links a slot at the head of the free list. */
static void link_free(us_pool *p, uint32_t slot)
{
    *link_of(p, slot) = p->free_head;
    p->free_head = slot;
}

void us_pool_put(us_pool *p, uint32_t slot)
{
    link_free(p, slot);
    p->live--;
}

uint32_t us_pool_next_free(const us_pool *p, uint32_t slot) { return *link_of(p, slot); }

usher_status us_pool_restore(us_pool *p, const us_alloc *alloc, uint32_t slots,
                             const uint32_t *free_list, uint32_t free_count)
{
    void *items = NULL;
    size_t capacity = 0;
    usher_status st = us_grow_array(alloc, &items, &capacity, slots ? slots : 1, p->elem_size);
    if (st != USHER_OK)
        return st;
    memset(items, 0, capacity * p->elem_size);
    p->items = items;
    p->capacity = capacity;
    p->slots = slots;
    p->live = slots - free_count;
    p->free_head = US_NONE;
    for (uint32_t i = free_count; i-- > 0;) /* pushed from the tail: the head comes first */
        link_free(p, free_list[i]);
    return USHER_OK;
}
