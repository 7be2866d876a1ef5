/* The engine's allocator: every allocation goes through one of these. */
#ifndef USHER_ALLOC_H
#define USHER_ALLOC_H

#include <stddef.h>

#include "usher.h"

typedef usher_allocator us_alloc;

/* The C library's malloc, realloc and free behind the usher_allocator shape. */
extern const us_alloc us_alloc_default;

void *us_malloc(const us_alloc *a, size_t size);
void us_free(const us_alloc *a, void *ptr);

/*
 * Grows the array *items (of *capacity elements of elem_size bytes) so that
 * it holds at least `needed` elements, at least doubling. On failure
 * (allocation, or a size that would overflow) returns USHER_ENOMEM and
 * leaves *items and *capacity untouched.
 */
usher_status us_grow_array(const us_alloc *a, void **items, size_t *capacity, size_t needed,
                           size_t elem_size);

#endif
