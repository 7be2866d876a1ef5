/*
 * Seeded XXH3 open-addressing map from host ids to internal slots.
 *
 * Linear probing keeps a lookup to one or two cache lines; backward-shift
 * deletion keeps the table free of tombstones, so probe runs never grow
 * from churn. The load factor stays between 1/8 and 3/4 (the table shrinks
 * after mass deletion, so memory follows the live count).
 */
#include "idmap.h"

#include <string.h>
#include <xxhash.h>

#define MIN_CAPACITY 16u
#define MAX_CAPACITY 0x80000000u

static uint32_t home_of(const us_idmap *m, uint64_t key)
{
    return (uint32_t)XXH3_64bits_withSeed(&key, sizeof key, m->seed) & m->mask;
}

static uint32_t capacity_of(const us_idmap *m) { return m->slots ? m->mask + 1 : 0; }

/* Capacity that keeps `count` entries at or below 3/4 load, or 0 if too big. */
static uint32_t capacity_for(uint32_t count)
{
    uint64_t cap = MIN_CAPACITY;
    while (cap * 3 < (uint64_t)count * 4)
        cap *= 2;
    return cap > MAX_CAPACITY ? 0 : (uint32_t)cap;
}

void us_idmap_init(us_idmap *m, const us_alloc *alloc, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    m->alloc = alloc;
    m->seed = seed;
}

void us_idmap_free(us_idmap *m)
{
    us_free(m->alloc, m->slots);
    m->slots = NULL;
    m->mask = 0;
    m->count = 0;
}

/* Inserts a key known to be absent into a table known to have room. */
static void place(us_idmap *m, uint64_t key, uint32_t value)
{
    uint32_t i = home_of(m, key);
    m->probes++;
    while (m->slots[i].used) {
        i = (i + 1) & m->mask;
        m->probes++;
    }
    m->slots[i].key = key;
    m->slots[i].value = value;
    m->slots[i].used = 1;
}

static usher_status rehash(us_idmap *m, uint32_t capacity)
{
    us_idmap_slot *fresh = us_malloc(m->alloc, (size_t)capacity * sizeof *fresh);
    if (!fresh)
        return USHER_ENOMEM;
    memset(fresh, 0, (size_t)capacity * sizeof *fresh);
    us_idmap_slot *old = m->slots;
    uint32_t old_capacity = capacity_of(m);
    m->slots = fresh;
    m->mask = capacity - 1;
    for (uint32_t i = 0; i < old_capacity; i++)
        if (old[i].used)
            place(m, old[i].key, old[i].value);
    us_free(m->alloc, old);
    return USHER_OK;
}

usher_status us_idmap_reserve(us_idmap *m, uint32_t extra)
{
    if (extra == 0)
        return USHER_OK;
    uint64_t wanted = (uint64_t)m->count + extra;
    if (wanted > USHER_MAX_OBJECTS)
        return USHER_ELIMIT;
    uint32_t capacity = capacity_for((uint32_t)wanted);
    if (capacity == 0)
        return USHER_ELIMIT;
    if (capacity <= capacity_of(m))
        return USHER_OK;
    return rehash(m, capacity);
}

/* Index of key's slot, or UINT32_MAX. */
static uint32_t locate(const us_idmap *m, uint64_t key)
{
    if (!m->slots)
        return UINT32_MAX;
    us_idmap *counted = (us_idmap *)m; /* the probe counter is statistics only */
    uint32_t i = home_of(m, key);
    for (;;) {
        counted->probes++;
        if (!m->slots[i].used)
            return UINT32_MAX;
        if (m->slots[i].key == key)
            return i;
        i = (i + 1) & m->mask;
    }
}

usher_status us_idmap_insert(us_idmap *m, uint64_t key, uint32_t value)
{
    if (locate(m, key) != UINT32_MAX)
        return USHER_EEXIST;
    usher_status st = us_idmap_reserve(m, 1);
    if (st != USHER_OK)
        return st;
    place(m, key, value);
    m->count++;
    return USHER_OK;
}

bool us_idmap_find(const us_idmap *m, uint64_t key, uint32_t *value)
{
    uint32_t i = locate(m, key);
    if (i == UINT32_MAX)
        return false;
    if (value)
        *value = m->slots[i].value;
    return true;
}

bool us_idmap_update(us_idmap *m, uint64_t key, uint32_t value)
{
    uint32_t i = locate(m, key);
    if (i == UINT32_MAX)
        return false;
    m->slots[i].value = value;
    return true;
}

/* True if home h lies cyclically in the half-open run (hole, j]. */
static bool home_in_run(uint32_t h, uint32_t hole, uint32_t j)
{
    if (hole <= j)
        return h > hole && h <= j;
    return h > hole || h <= j;
}

/* Fills the hole at `hole` by shifting back entries that probed past it. */
static void close_hole(us_idmap *m, uint32_t hole)
{
    uint32_t j = hole;
    for (;;) {
        j = (j + 1) & m->mask;
        if (!m->slots[j].used)
            break;
        if (home_in_run(home_of(m, m->slots[j].key), hole, j))
            continue;
        m->slots[hole] = m->slots[j];
        hole = j;
    }
    m->slots[hole].used = 0;
}

bool us_idmap_erase(us_idmap *m, uint64_t key, uint32_t *value)
{
    uint32_t i = locate(m, key);
    if (i == UINT32_MAX)
        return false;
    if (value)
        *value = m->slots[i].value;
    close_hole(m, i);
    m->count--;
    uint32_t capacity = capacity_of(m);
    if (capacity > MIN_CAPACITY && m->count < capacity / 8)
        (void)rehash(m, capacity_for(m->count)); /* on failure the table stays as it is */
    return true;
}

bool us_idmap_next(const us_idmap *m, uint32_t *cursor, uint64_t *key, uint32_t *value)
{
    for (uint32_t i = *cursor; i < capacity_of(m); i++) {
        if (m->slots[i].used) {
            *key = m->slots[i].key;
            *value = m->slots[i].value;
            *cursor = i + 1;
            return true;
        }
    }
    *cursor = capacity_of(m);
    return false;
}

/* True if the entry at i is reached by probing from its home: no empty
 * slot and no other entry with its key lies on the way. */
static bool reachable(const us_idmap *m, uint32_t i)
{
    uint64_t key = m->slots[i].key;
    for (uint32_t j = home_of(m, key); j != i; j = (j + 1) & m->mask)
        if (!m->slots[j].used || m->slots[j].key == key)
            return false;
    return true;
}

bool us_idmap_check(const us_idmap *m)
{
    if (!m->slots)
        return m->count == 0 && m->mask == 0;
    uint64_t capacity = (uint64_t)m->mask + 1;
    if ((capacity & m->mask) != 0 || (uint64_t)m->count * 4 > capacity * 3)
        return false;
    uint32_t used = 0;
    for (uint32_t i = 0; i <= m->mask; i++) {
        if (!m->slots[i].used)
            continue;
        if (!reachable(m, i))
            return false;
        used++;
    }
    return used == m->count;
}
