/* Shared test helpers: a counting allocator that can fail on demand, and a
 * small deterministic PRNG. Header-only: every test file is one program. */
#ifndef USHER_TESTUTIL_H
#define USHER_TESTUTIL_H

#include <stdint.h>
#include <stdlib.h>

#include "usher.h"

/* Counts live blocks; the fail_at-th allocation (1-based, 0: never) fails.
 * `failed` records that the failure point was reached. */
typedef struct test_allocator {
    usher_allocator allocator; /* first: the callbacks get this address */
    long calls;
    long fail_at;
    long live;
    int failed;
} test_allocator;

static inline int test_allocation_fails(test_allocator *ta)
{
    ta->calls++;
    if (ta->fail_at != 0 && ta->calls == ta->fail_at) {
        ta->failed = 1;
        return 1;
    }
    return 0;
}

static inline void *test_malloc_fn(void *user, size_t size)
{
    test_allocator *ta = user;
    if (test_allocation_fails(ta))
        return NULL;
    void *p = malloc(size);
    if (p)
        ta->live++;
    return p;
}

static inline void *test_realloc_fn(void *user, void *ptr, size_t size)
{
    test_allocator *ta = user;
    if (test_allocation_fails(ta))
        return NULL;
    return realloc(ptr, size);
}

static inline void test_free_fn(void *user, void *ptr)
{
    test_allocator *ta = user;
    ta->live--;
    free(ptr);
}

static inline void test_allocator_init(test_allocator *ta, long fail_at)
{
    ta->allocator.malloc_fn = test_malloc_fn;
    ta->allocator.realloc_fn = test_realloc_fn;
    ta->allocator.free_fn = test_free_fn;
    ta->allocator.user = ta;
    ta->calls = 0;
    ta->fail_at = fail_at;
    ta->live = 0;
    ta->failed = 0;
}

/* Refuses every allocation until test_allocator_allow_all(): for proving
 * that reserved room really needs no memory. */
static inline void *test_refuse_malloc(void *user, size_t size)
{
    test_allocator *ta = user;
    (void)size;
    ta->calls++;
    ta->failed = 1;
    return NULL;
}

static inline void *test_refuse_realloc(void *user, void *ptr, size_t size)
{
    (void)ptr;
    return test_refuse_malloc(user, size);
}

static inline void test_allocator_refuse_all(test_allocator *ta)
{
    ta->allocator.malloc_fn = test_refuse_malloc;
    ta->allocator.realloc_fn = test_refuse_realloc;
}

static inline void test_allocator_allow_all(test_allocator *ta)
{
    ta->allocator.malloc_fn = test_malloc_fn;
    ta->allocator.realloc_fn = test_realloc_fn;
    ta->fail_at = 0;
}

/* splitmix64: a tiny, well-mixed, seedable generator. */
static inline uint64_t test_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (the bias is negligible for test purposes). */
static inline uint64_t test_rand_below(uint64_t *state, uint64_t n) { return test_rand(state) % n; }

#endif
