/*
 * The counting allocator: usher's every allocation goes through it (the
 * engine's allocator contract), so live bytes before and after adding
 * agents or tickets give the bytes each one costs, array slack included.
 * Each block carries a 16-byte header with its size (16 keeps malloc's
 * alignment); the header is not counted.
 */
#include <stdlib.h>

#include "bench.h"

#define HEADER 16

static void *counted_malloc(void *user, size_t size)
{
    count_alloc *c = user;
    unsigned char *p = malloc(size + HEADER);
    if (!p)
        return NULL;
    *(size_t *)p = size;
    c->live += size;
    if (c->live > c->peak)
        c->peak = c->live;
    c->calls++;
    return p + HEADER;
}

static void *counted_realloc(void *user, void *ptr, size_t size)
{
    count_alloc *c = user;
    unsigned char *old = (unsigned char *)ptr - HEADER;
    size_t old_size = *(size_t *)old;
    unsigned char *p = realloc(old, size + HEADER);
    if (!p)
        return NULL;
    *(size_t *)p = size;
    c->live = c->live - old_size + size;
    if (c->live > c->peak)
        c->peak = c->live;
    c->calls++;
    return p + HEADER;
}

static void counted_free(void *user, void *ptr)
{
    count_alloc *c = user;
    unsigned char *p = (unsigned char *)ptr - HEADER;
    c->live -= *(size_t *)p;
    free(p);
}

void count_alloc_init(count_alloc *c)
{
    c->allocator.malloc_fn = counted_malloc;
    c->allocator.realloc_fn = counted_realloc;
    c->allocator.free_fn = counted_free;
    c->allocator.user = c;
    c->live = c->peak = c->calls = 0;
}
