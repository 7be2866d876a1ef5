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

void us_pool_put(us_pool *p, uint32_t slot)
{
    *link_of(p, slot) = p->free_head;
    p->free_head = slot;
    p->live--;
}
