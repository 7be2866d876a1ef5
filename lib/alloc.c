/* The engine's allocator and overflow-checked array growth. */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>

static void *default_malloc(void *user, size_t size)
{
    (void)user;
    return malloc(size);
}

static void *default_realloc(void *user, void *ptr, size_t size)
{
    (void)user;
    return realloc(ptr, size);
}

static void default_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

const us_alloc us_alloc_default = {default_malloc, default_realloc, default_free, NULL};

void *us_malloc(const us_alloc *a, size_t size)
{
    return a->malloc_fn(a->user, size ? size : 1);
}

void us_free(const us_alloc *a, void *ptr)
{
    if (ptr)
        a->free_fn(a->user, ptr);
}

usher_status us_grow_array(const us_alloc *a, void **items, size_t *capacity, size_t needed,
                           size_t elem_size)
{
    if (needed <= *capacity)
        return USHER_OK;
    size_t cap = *capacity ? *capacity : 8;
    while (cap < needed) {
        if (cap > SIZE_MAX / 2)
            return USHER_ENOMEM;
        cap *= 2;
    }
    if (cap > SIZE_MAX / elem_size)
        return USHER_ENOMEM;
    void *grown = *items ? a->realloc_fn(a->user, *items, cap * elem_size)
                         : a->malloc_fn(a->user, cap * elem_size);
    if (!grown)
        return USHER_ENOMEM;
    *items = grown;
    *capacity = cap;
    return USHER_OK;
}
