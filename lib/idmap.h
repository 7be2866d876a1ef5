/*
 * A map from 64-bit host ids to 32-bit internal slots: open addressing with
 * linear probing and backward-shift deletion, keys hashed with XXH3 and a
 * per-map seed so that hostile ids cannot pile up in one probe run.
 */
#ifndef USHER_IDMAP_H
#define USHER_IDMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"

typedef struct us_idmap_slot {
    uint64_t key;
    uint32_t value;
    uint32_t used; /* 0: empty */
} us_idmap_slot;

typedef struct us_idmap {
    const us_alloc *alloc;
    us_idmap_slot *slots; /* NULL until the first insert */
    uint32_t mask;        /* capacity - 1; capacity is a power of two */
    uint32_t count;
    uint64_t seed;
    uint64_t probes; /* slots inspected since init: for tests and benches */
} us_idmap;

/* Empty map; allocates nothing. */
void us_idmap_init(us_idmap *m, const us_alloc *alloc, uint64_t seed);
void us_idmap_free(us_idmap *m);

/* Makes room so that `extra` more inserts cannot fail (until an erase,
 * which may shrink the table). USHER_ENOMEM, or USHER_ELIMIT beyond
 * 1,610,612,736 keys (2^31 slots at load 3/4); both change nothing. */
usher_status us_idmap_reserve(us_idmap *m, uint32_t extra);

/* USHER_OK, USHER_EEXIST, USHER_ENOMEM or USHER_ELIMIT (see reserve); a
 * failure leaves the map unchanged. */
usher_status us_idmap_insert(us_idmap *m, uint64_t key, uint32_t value);

bool us_idmap_find(const us_idmap *m, uint64_t key, uint32_t *value);

/* Replaces the value of an existing key; false if the key is absent. */
bool us_idmap_update(us_idmap *m, uint64_t key, uint32_t value);

/* Removes key; stores its value in *value if not NULL. False if absent.
 * Never fails: shrinking the table is skipped when memory is short. */
bool us_idmap_erase(us_idmap *m, uint64_t key, uint32_t *value);

/* Iterates over the entries: start with *cursor = 0; each call stores the
 * next entry's key and value and returns true, or returns false at the
 * end. The map must not change during the walk. */
bool us_idmap_next(const us_idmap *m, uint32_t *cursor, uint64_t *key, uint32_t *value);

/* True when the table is consistent: the count matches the used slots,
 * every key is found from its home slot without crossing an empty one,
 * no key appears twice, and the load is at most 3/4 (usher_check). */
bool us_idmap_check(const us_idmap *m);

static inline uint32_t us_idmap_count(const us_idmap *m) { return m->count; }

#endif
