/* The id map (lib/idmap.c): return codes, growth and shrinking, a random
 * model test against a plain array, reserve and out-of-memory behaviour,
 * and resistance to structured and hostile keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <xxhash.h>

#include "idmap.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define MODEL_STEPS 200000
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MODEL_STEPS 200000
#endif
#endif
#ifndef MODEL_STEPS
#define MODEL_STEPS 1000000
#endif

/* ---- helpers ------------------------------------------------------------ */

static uint32_t capacity(const us_idmap *m) { return m->slots ? m->mask + 1 : 0; }

/* Structure every map must have whatever happened to it. */
static void check_shape(const us_idmap *m)
{
    uint32_t cap = capacity(m);
    if (cap == 0) {
        assert_int_equal(m->count, 0);
        return;
    }
    assert_int_equal(cap & (cap - 1), 0); /* a power of two */
    assert_true(cap >= 16);
    assert_true((uint64_t)m->count * 4 <= (uint64_t)cap * 3); /* load at most 3/4 */
    uint32_t used = 0;
    for (uint32_t i = 0; i < cap; i++)
        if (m->slots[i].used)
            used++;
    assert_int_equal(used, m->count);
}

/* Every stored entry is found with its value, and keys are distinct. */
static void check_entries_findable(const us_idmap *m)
{
    for (uint32_t i = 0; i < capacity(m); i++) {
        if (!m->slots[i].used)
            continue;
        uint32_t v = ~m->slots[i].value;
        assert_true(us_idmap_find(m, m->slots[i].key, &v));
        assert_int_equal(v, m->slots[i].value);
    }
}

/* Slot of key in the table, or UINT32_MAX. */
static uint32_t slot_of(const us_idmap *m, uint64_t key)
{
    for (uint32_t i = 0; i < capacity(m); i++)
        if (m->slots[i].used && m->slots[i].key == key)
            return i;
    return UINT32_MAX;
}

/* A byte copy of a map, to show that a failed call changed nothing. */
typedef struct snapshot {
    us_idmap head;
    us_idmap_slot *slots;
} snapshot;

static void take_snapshot(snapshot *s, const us_idmap *m)
{
    s->head = *m;
    size_t bytes = (size_t)capacity(m) * sizeof *m->slots;
    s->slots = malloc(bytes ? bytes : 1);
    assert_non_null(s->slots);
    if (bytes)
        memcpy(s->slots, m->slots, bytes);
}

static void assert_same_as_snapshot(const snapshot *s, const us_idmap *m)
{
    assert_ptr_equal(m->slots, s->head.slots);
    assert_int_equal(m->mask, s->head.mask);
    assert_int_equal(m->count, s->head.count);
    assert_int_equal(m->seed, s->head.seed);
    assert_ptr_equal(m->alloc, s->head.alloc);
    if (capacity(m))
        assert_memory_equal(m->slots, s->slots, (size_t)capacity(m) * sizeof *m->slots);
}

static void drop_snapshot(snapshot *s) { free(s->slots); }

/* ---- basics ------------------------------------------------------------- */

static void test_empty_map(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_idmap m;
    us_idmap_init(&m, &ta.allocator, 42);
    assert_int_equal(ta.calls, 0); /* init allocates nothing */
    assert_int_equal(us_idmap_count(&m), 0);
    uint32_t v = 7;
    assert_false(us_idmap_find(&m, 0, &v));
    assert_false(us_idmap_find(&m, 1, NULL));
    assert_false(us_idmap_update(&m, 1, 3));
    assert_false(us_idmap_erase(&m, 1, &v));
    assert_false(us_idmap_erase(&m, 1, NULL));
    assert_int_equal(v, 7); /* failed lookups leave *value alone */
    assert_int_equal(ta.calls, 0);
    us_idmap_free(&m);
    us_idmap_free(&m); /* freeing twice is harmless */
    assert_int_equal(ta.live, 0);
}

static void test_insert_find_update_erase(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_idmap m;
    us_idmap_init(&m, &ta.allocator, 1);

    /* Key 0 and UINT64_MAX are ordinary keys; value 0 and UINT32_MAX too. */
    const uint64_t keys[] = {0, 1, UINT64_MAX, UINT64_C(1) << 63, 12345};
    const uint32_t values[] = {0, UINT32_MAX, 5, 6, 7};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(us_idmap_insert(&m, keys[i], values[i]), USHER_OK);
        assert_int_equal(us_idmap_count(&m), i + 1);
    }
    assert_int_equal(ta.live, 1);
    for (size_t i = 0; i < 5; i++) {
        uint32_t v = 99;
        assert_true(us_idmap_find(&m, keys[i], &v));
        assert_int_equal(v, values[i]);
        assert_true(us_idmap_find(&m, keys[i], NULL));
    }
    assert_false(us_idmap_find(&m, 2, NULL));
    assert_false(us_idmap_find(&m, UINT64_MAX - 1, NULL));

    /* EEXIST: neither the value nor anything else changes. */
    snapshot s;
    take_snapshot(&s, &m);
    long calls = ta.calls;
    assert_int_equal(us_idmap_insert(&m, 0, 1000), USHER_EEXIST);
    assert_int_equal(us_idmap_insert(&m, UINT64_MAX, 1000), USHER_EEXIST);
    assert_same_as_snapshot(&s, &m);
    assert_int_equal(ta.calls, calls);
    drop_snapshot(&s);
    uint32_t v = 99;
    assert_true(us_idmap_find(&m, 0, &v));
    assert_int_equal(v, 0);

    /* update: only existing keys, only their value. */
    assert_true(us_idmap_update(&m, 12345, 70));
    assert_false(us_idmap_update(&m, 12346, 70));
    assert_int_equal(us_idmap_count(&m), 5);
    assert_false(us_idmap_find(&m, 12346, NULL));
    assert_true(us_idmap_find(&m, 12345, &v));
    assert_int_equal(v, 70);
    assert_true(us_idmap_find(&m, 1, &v));
    assert_int_equal(v, UINT32_MAX);

    /* erase returns the value, absent keys give false. */
    v = 0;
    assert_true(us_idmap_erase(&m, 1, &v));
    assert_int_equal(v, UINT32_MAX);
    assert_int_equal(us_idmap_count(&m), 4);
    assert_false(us_idmap_find(&m, 1, NULL));
    v = 123;
    assert_false(us_idmap_erase(&m, 1, &v));
    assert_int_equal(v, 123);
    assert_true(us_idmap_erase(&m, 0, NULL));
    assert_false(us_idmap_find(&m, 0, NULL));
    assert_false(us_idmap_update(&m, 0, 1));
    assert_int_equal(us_idmap_count(&m), 3);

    /* An erased key can come back with a new value. */
    assert_int_equal(us_idmap_insert(&m, 1, 11), USHER_OK);
    assert_true(us_idmap_find(&m, 1, &v));
    assert_int_equal(v, 11);
    assert_int_equal(us_idmap_count(&m), 4);
    check_shape(&m);
    check_entries_findable(&m);

    us_idmap_free(&m);
    assert_int_equal(ta.live, 0);
    assert_int_equal(us_idmap_count(&m), 0);
    /* A freed map is an empty map again. */
    assert_false(us_idmap_find(&m, 1, NULL));
    assert_int_equal(us_idmap_insert(&m, 1, 2), USHER_OK);
    assert_true(us_idmap_find(&m, 1, &v));
    assert_int_equal(v, 2);
    us_idmap_free(&m);
    assert_int_equal(ta.live, 0);
}

/* ---- growth and shrinking ----------------------------------------------- */

static uint64_t spread_key(uint32_t i) { return (uint64_t)i * UINT64_C(0x100000001b3) + 17; }

static void test_grow_and_shrink_many_sizes(void **state)
{
    (void)state;
    static const uint32_t sizes[] = {1,  2,  11,  12,  13,  23,  24,  25,  47,  48,   49,  96,
                                     97, 100, 192, 193, 383, 384, 385, 768, 769, 1000, 3072, 3073,
                                     5000};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        uint32_t n = sizes[si];
        test_allocator ta;
        test_allocator_init(&ta, 0);
        us_idmap m;
        us_idmap_init(&m, &ta.allocator, si * 977);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(us_idmap_insert(&m, spread_key(i), i * 3), USHER_OK);
            uint32_t cap = capacity(&m);
            /* Grown when needed, not before: half the table would not do. */
            assert_true((uint64_t)(i + 1) * 4 <= (uint64_t)cap * 3);
            assert_true(cap == 16 || (uint64_t)(i + 1) * 4 > (uint64_t)(cap / 2) * 3);
            assert_int_equal(ta.live, 1);
        }
        assert_int_equal(us_idmap_count(&m), n);
        check_shape(&m);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t v;
            assert_true(us_idmap_find(&m, spread_key(i), &v));
            assert_int_equal(v, i * 3);
        }
        assert_false(us_idmap_find(&m, spread_key(n), NULL));

        /* Erase odd keys first, then even ones: memory follows the count. */
        for (uint32_t pass = 0; pass < 2; pass++) {
            for (uint32_t i = 1 - pass; i < n; i += 2) {
                uint32_t v = 0;
                assert_true(us_idmap_erase(&m, spread_key(i), &v));
                assert_int_equal(v, i * 3);
                uint32_t cap = capacity(&m);
                assert_true(cap == 16 || m.count >= cap / 8);
                assert_true((uint64_t)m.count * 4 <= (uint64_t)cap * 3);
                assert_int_equal(ta.live, 1);
            }
            check_shape(&m);
            check_entries_findable(&m);
            for (uint32_t i = 0; i < n; i++)
                assert_int_equal(us_idmap_find(&m, spread_key(i), NULL), pass == 0 && i % 2 == 0);
        }
        assert_int_equal(us_idmap_count(&m), 0);
        assert_int_equal(capacity(&m), 16);
        us_idmap_free(&m);
        assert_int_equal(ta.live, 0);
    }
}

/* ---- random model ------------------------------------------------------- */

#define MODEL_KEYS 16384

typedef struct model {
    uint64_t key[MODEL_KEYS];
    uint32_t value[MODEL_KEYS];
    uint32_t pos[MODEL_KEYS]; /* index in present[], or UINT32_MAX */
    uint32_t present[MODEL_KEYS];
    uint32_t count;
} model;

static void model_add(model *md, uint32_t id, uint32_t value)
{
    md->value[id] = value;
    md->pos[id] = md->count;
    md->present[md->count++] = id;
}

static void model_remove(model *md, uint32_t id)
{
    uint32_t p = md->pos[id], last = md->present[--md->count];
    md->present[p] = last;
    md->pos[last] = p;
    md->pos[id] = UINT32_MAX;
}

static void model_check_all(const model *md, const us_idmap *m)
{
    assert_int_equal(us_idmap_count(m), md->count);
    check_shape(m);
    for (uint32_t id = 0; id < MODEL_KEYS; id++) {
        uint32_t v = 0;
        bool found = us_idmap_find(m, md->key[id], &v);
        assert_int_equal(found, md->pos[id] != UINT32_MAX);
        if (found)
            assert_int_equal(v, md->value[id]);
    }
}

static void test_random_model(void **state)
{
    (void)state;
    model *md = calloc(1, sizeof *md);
    assert_non_null(md);
    uint64_t rng = 20240601;
    /* Distinct keys of several shapes: sequential, shifted, random, high. */
    for (uint32_t id = 0; id < MODEL_KEYS; id++) {
        switch (id % 4) {
        case 0: md->key[id] = (uint64_t)id << 20; break;
        case 1: md->key[id] = id; break;
        case 2: md->key[id] = test_rand(&rng) | (UINT64_C(1) << 40); break;
        default: md->key[id] = ~(uint64_t)id; break;
        }
        md->pos[id] = UINT32_MAX;
    }

    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_idmap m;
    us_idmap_init(&m, &ta.allocator, 0x5eed);

    /* Phases drift the population towards a target, so the table grows and
     * shrinks through every size many times. */
    static const uint32_t targets[] = {0, 3, 40, 1000, 12000, 8, 200, 16384, 0, 5000, 1};
    const long phase_len = MODEL_STEPS / (long)(sizeof targets / sizeof targets[0]);
    uint32_t max_cap = 0;
    for (long step = 0; step < MODEL_STEPS; step++) {
        uint32_t target = targets[(step / phase_len) % (sizeof targets / sizeof targets[0])];
        uint32_t op = (uint32_t)test_rand_below(&rng, 100);
        uint32_t id = (uint32_t)test_rand_below(&rng, MODEL_KEYS);
        uint32_t value = (uint32_t)test_rand(&rng);
        if (op < 35) { /* insert, likelier below the target */
            if (md->count > target && test_rand_below(&rng, 4) != 0)
                op = 50; /* turn into an erase of a present key */
            else {
                usher_status st = us_idmap_insert(&m, md->key[id], value);
                if (md->pos[id] != UINT32_MAX) {
                    assert_int_equal(st, USHER_EEXIST);
                } else {
                    assert_int_equal(st, USHER_OK);
                    model_add(md, id, value);
                }
            }
        }
        if (op >= 35 && op < 60) { /* erase: mostly a present key */
            if (md->count > 0 && (op == 50 || test_rand_below(&rng, 10) != 0) &&
                (md->count > target || test_rand_below(&rng, 4) == 0))
                id = md->present[test_rand_below(&rng, md->count)];
            uint32_t v = 0xdeadbeef;
            bool erased = us_idmap_erase(&m, md->key[id], &v);
            assert_int_equal(erased, md->pos[id] != UINT32_MAX);
            if (erased) {
                assert_int_equal(v, md->value[id]);
                model_remove(md, id);
                uint32_t cap = capacity(&m);
                assert_true(cap == 16 || m.count >= cap / 8);
            } else {
                assert_int_equal(v, 0xdeadbeef);
            }
        } else if (op >= 60 && op < 85) { /* find */
            if (md->count > 0 && (op & 1))
                id = md->present[test_rand_below(&rng, md->count)];
            uint32_t v = 0xdeadbeef;
            bool found = us_idmap_find(&m, md->key[id], &v);
            assert_int_equal(found, md->pos[id] != UINT32_MAX);
            assert_int_equal(v, found ? md->value[id] : 0xdeadbeef);
        } else if (op >= 85) { /* update */
            if (md->count > 0 && (op & 1))
                id = md->present[test_rand_below(&rng, md->count)];
            bool updated = us_idmap_update(&m, md->key[id], value);
            assert_int_equal(updated, md->pos[id] != UINT32_MAX);
            if (updated)
                md->value[id] = value;
        }
        assert_int_equal(us_idmap_count(&m), md->count);
        if (capacity(&m) > max_cap)
            max_cap = capacity(&m);
        if (step % 8192 == 0)
            model_check_all(md, &m);
    }
    model_check_all(md, &m);
    assert_true(max_cap >= 4096); /* the population really went up */
    assert_int_equal(ta.live, m.slots ? 1 : 0);
    us_idmap_free(&m);
    assert_int_equal(ta.live, 0);
    free(md);
}

/* ---- reserve ------------------------------------------------------------ */

static void test_reserve_then_inserts_need_no_memory(void **state)
{
    (void)state;
    static const uint32_t already[] = {0, 0, 0, 0, 5, 12, 13, 100, 700};
    static const uint32_t extra[] = {1, 12, 13, 1000, 7, 1, 100, 2000, 3};
    for (size_t c = 0; c < sizeof extra / sizeof extra[0]; c++) {
        test_allocator ta;
        test_allocator_init(&ta, 0);
        us_idmap m;
        us_idmap_init(&m, &ta.allocator, c);
        uint32_t k = 0;
        for (; k < already[c]; k++)
            assert_int_equal(us_idmap_insert(&m, spread_key(k), k), USHER_OK);
        assert_int_equal(us_idmap_reserve(&m, extra[c]), USHER_OK);
        assert_true(capacity(&m) > 0);
        assert_int_equal(us_idmap_count(&m), already[c]);
        check_entries_findable(&m);

        test_allocator_refuse_all(&ta);
        for (uint32_t i = 0; i < extra[c]; i++, k++)
            assert_int_equal(us_idmap_insert(&m, spread_key(k), k), USHER_OK);
        assert_int_equal(us_idmap_count(&m), already[c] + extra[c]);
        for (uint32_t i = 0; i < k; i++) {
            uint32_t v;
            assert_true(us_idmap_find(&m, spread_key(i), &v));
            assert_int_equal(v, i);
        }
        /* Reserving what is already there needs no memory either. */
        assert_int_equal(us_idmap_reserve(&m, 0), USHER_OK);
        check_shape(&m);

        /* Past the reservation, growth may fail but then changes nothing. */
        for (;; k++) {
            snapshot s;
            take_snapshot(&s, &m);
            usher_status st = us_idmap_insert(&m, spread_key(k), k);
            if (st == USHER_ENOMEM) {
                assert_same_as_snapshot(&s, &m);
                drop_snapshot(&s);
                break;
            }
            assert_int_equal(st, USHER_OK);
            drop_snapshot(&s);
        }
        assert_false(us_idmap_find(&m, spread_key(k), NULL));
        assert_int_equal(us_idmap_reserve(&m, 1), USHER_ENOMEM);
        test_allocator_allow_all(&ta);
        assert_int_equal(us_idmap_insert(&m, spread_key(k), k), USHER_OK);
        check_shape(&m);
        check_entries_findable(&m);
        us_idmap_free(&m);
        assert_int_equal(ta.live, 0);
    }
}

static void test_reserve_limits(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_idmap m;
    us_idmap_init(&m, &ta.allocator, 9);
    assert_int_equal(us_idmap_insert(&m, 1, 1), USHER_OK);
    snapshot s;
    take_snapshot(&s, &m);
    long calls = ta.calls;
    /* Beyond USHER_MAX_OBJECTS entries: a limit, not a memory problem. */
    assert_int_equal(us_idmap_reserve(&m, USHER_MAX_OBJECTS), USHER_ELIMIT);
    assert_int_equal(us_idmap_reserve(&m, UINT32_MAX), USHER_ELIMIT);
    assert_same_as_snapshot(&s, &m);
    assert_int_equal(ta.calls, calls);
    /* A large but legal reservation that the allocator refuses. */
    test_allocator_refuse_all(&ta);
    usher_status st = us_idmap_reserve(&m, 100000000);
    assert_int_equal(st, USHER_ENOMEM);
    assert_same_as_snapshot(&s, &m);
    drop_snapshot(&s);
    test_allocator_allow_all(&ta);
    assert_true(us_idmap_find(&m, 1, NULL));
    us_idmap_free(&m);
    assert_int_equal(ta.live, 0);
}

/* ---- out of memory ------------------------------------------------------ */

/* The k-th allocation fails, for every k reached by a run that grows the
 * map, shrinks it by erasing and grows it again. A failed insert changes
 * nothing and a retry succeeds; an erase always succeeds. */
static void test_allocation_failure_sweep(void **state)
{
    (void)state;
    int insert_failures = 0, erase_failures = 0;
    for (long k = 1;; k++) {
        test_allocator ta;
        test_allocator_init(&ta, k);
        us_idmap m;
        us_idmap_init(&m, &ta.allocator, (uint64_t)k);
        uint8_t present[700] = {0};
        /* Script: insert 0..599, erase all but 0..2, insert 600..699. */
        for (uint32_t i = 0; i < 700; i++) {
            if (i == 600) {
                for (uint32_t j = 3; j < 600; j++) {
                    uint32_t cap_before = capacity(&m);
                    int was_failed = ta.failed;
                    uint32_t v = 0;
                    assert_true(us_idmap_erase(&m, spread_key(j), &v));
                    assert_int_equal(v, j + 1);
                    present[j] = 0;
                    if (ta.failed && !was_failed) {
                        /* The shrink failed: the table just stays. */
                        erase_failures++;
                        assert_int_equal(capacity(&m), cap_before);
                        check_shape(&m);
                        check_entries_findable(&m);
                    }
                }
            }
            snapshot s;
            take_snapshot(&s, &m);
            int was_failed = ta.failed;
            usher_status st = us_idmap_insert(&m, spread_key(i), i + 1);
            if (st == USHER_ENOMEM) {
                assert_true(ta.failed && !was_failed);
                insert_failures++;
                assert_same_as_snapshot(&s, &m);
                assert_false(us_idmap_find(&m, spread_key(i), NULL));
                st = us_idmap_insert(&m, spread_key(i), i + 1); /* memory is back */
            } else {
                assert_true(ta.failed == was_failed);
            }
            drop_snapshot(&s);
            assert_int_equal(st, USHER_OK);
            present[i] = 1;
        }
        uint32_t expected = 0;
        for (uint32_t i = 0; i < 700; i++) {
            uint32_t v = 0;
            bool found = us_idmap_find(&m, spread_key(i), &v);
            assert_int_equal(found, present[i]);
            if (found)
                assert_int_equal(v, i + 1);
            expected += present[i];
        }
        assert_int_equal(us_idmap_count(&m), expected);
        check_shape(&m);
        us_idmap_free(&m);
        assert_int_equal(ta.live, 0);
        if (!ta.failed)
            break; /* the k-th allocation was never reached: all points covered */
    }
    assert_true(insert_failures >= 8);
    assert_true(erase_failures >= 3);
}

/* Every erase succeeds while no memory at all is available, and the table
 * shrinks later once memory is back. */
static void test_erase_never_fails(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_idmap m;
    us_idmap_init(&m, &ta.allocator, 77);
    const uint32_t n = 2000;
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(us_idmap_insert(&m, (uint64_t)i << 20, i), USHER_OK);
    uint32_t big = capacity(&m);
    test_allocator_refuse_all(&ta);
    for (uint32_t i = 0; i < n - 3; i++) {
        uint32_t v = UINT32_MAX;
        assert_true(us_idmap_erase(&m, (uint64_t)i << 20, &v));
        assert_int_equal(v, i);
        assert_false(us_idmap_find(&m, (uint64_t)i << 20, NULL));
        assert_int_equal(us_idmap_count(&m), n - 1 - i);
        if (i % 97 == 0)
            check_entries_findable(&m);
    }
    assert_true(ta.failed); /* shrinking was attempted and refused */
    assert_int_equal(capacity(&m), big);
    check_shape(&m);
    for (uint32_t i = n - 3; i < n; i++) {
        uint32_t v;
        assert_true(us_idmap_find(&m, (uint64_t)i << 20, &v));
        assert_int_equal(v, i);
    }
    test_allocator_allow_all(&ta);
    assert_true(us_idmap_erase(&m, (uint64_t)(n - 1) << 20, NULL));
    assert_int_equal(capacity(&m), 16);
    assert_int_equal(ta.live, 1);
    check_entries_findable(&m);
    assert_int_equal(us_idmap_count(&m), 2);
    us_idmap_free(&m);
    assert_int_equal(ta.live, 0);
}

/* ---- hashing ------------------------------------------------------------ */

typedef uint64_t (*key_shape)(uint32_t i);
static uint64_t shape_shift20(uint32_t i) { return (uint64_t)i << 20; }
static uint64_t shape_page(uint32_t i) { return (uint64_t)i * 4096; }
static uint64_t shape_high(uint32_t i) { return (uint64_t)i << 44; }
static uint64_t shape_sequential(uint32_t i) { return i; }
static uint64_t shape_top_bits(uint32_t i) { return UINT64_MAX - ((uint64_t)i << 32); }

/* Average slots inspected per find stays small for structured keys. */
static void test_structured_keys_probe_little(void **state)
{
    (void)state;
    static const key_shape shapes[] = {shape_shift20, shape_page, shape_high, shape_sequential,
                                       shape_top_bits};
    const uint32_t n = 40000;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        for (uint64_t seed = 0; seed < 3; seed++) {
            test_allocator ta;
            test_allocator_init(&ta, 0);
            us_idmap m;
            us_idmap_init(&m, &ta.allocator, seed * UINT64_C(0x9e3779b97f4a7c15));
            uint64_t before = m.probes;
            for (uint32_t i = 0; i < n; i++)
                assert_int_equal(us_idmap_insert(&m, shapes[si](i), i), USHER_OK);
            double per_insert = (double)(m.probes - before) / n; /* rehashes included */
            assert_true(per_insert < 12.0); /* random keys need about 8 */

            before = m.probes;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t v;
                assert_true(us_idmap_find(&m, shapes[si](i), &v));
                assert_int_equal(v, i);
            }
            double per_find = (double)(m.probes - before) / n;
            assert_true(per_find >= 1.0);
            assert_true(per_find < 3.0);

            before = m.probes;
            for (uint32_t i = n; i < 2 * n; i++)
                assert_false(us_idmap_find(&m, shapes[si](i), NULL));
            double per_miss = (double)(m.probes - before) / n;
            assert_true(per_miss < 8.0);

            /* No long run: the largest displacement stays far from n. */
            uint32_t worst = 0;
            for (uint32_t i = 0; i < n; i += 7) {
                before = m.probes;
                assert_true(us_idmap_find(&m, shapes[si](i), NULL));
                if (m.probes - before > worst)
                    worst = (uint32_t)(m.probes - before);
            }
            assert_true(worst < 200);
            us_idmap_free(&m);
            assert_int_equal(ta.live, 0);
        }
    }
}

/* Keys hostile to one seed (all hashing to slot 0 of any table of up to
 * 4096 slots) pile up under that seed but not under another. */
static void test_seed_defeats_hostile_keys(void **state)
{
    (void)state;
    const uint64_t bad_seed = 1234, good_seed = 98765;
    enum { N = 600 };
    uint64_t keys[N];
    uint32_t found = 0;
    for (uint64_t candidate = 0; found < N; candidate++)
        if ((XXH3_64bits_withSeed(&candidate, sizeof candidate, bad_seed) & 4095) == 0)
            keys[found++] = candidate;

    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_idmap bad, good;
    us_idmap_init(&bad, &ta.allocator, bad_seed);
    us_idmap_init(&good, &ta.allocator, good_seed);
    for (uint32_t i = 0; i < N; i++) {
        assert_int_equal(us_idmap_insert(&bad, keys[i], i), USHER_OK);
        assert_int_equal(us_idmap_insert(&good, keys[i], i), USHER_OK);
    }
    assert_true(capacity(&good) <= 4096);
    uint64_t bad_before = bad.probes, good_before = good.probes;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t v;
        assert_true(us_idmap_find(&bad, keys[i], &v));
        assert_int_equal(v, i);
        assert_true(us_idmap_find(&good, keys[i], &v));
        assert_int_equal(v, i);
    }
    /* Under the attacked seed they form one run (shows the keys are
     * hostile); under another seed they spread. */
    assert_true((double)(bad.probes - bad_before) / N > 100.0);
    assert_true((double)(good.probes - good_before) / N < 3.0);
    us_idmap_free(&bad);
    us_idmap_free(&good);
    assert_int_equal(ta.live, 0);
}

/* Different seeds place the same keys differently; equal seeds the same. */
static void test_seed_changes_placement(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    enum { N = 3000 };
    us_idmap a, b, c;
    us_idmap_init(&a, &ta.allocator, 1);
    us_idmap_init(&b, &ta.allocator, 2);
    us_idmap_init(&c, &ta.allocator, 1);
    for (uint32_t i = 0; i < N; i++) {
        assert_int_equal(us_idmap_insert(&a, (uint64_t)i << 20, i), USHER_OK);
        assert_int_equal(us_idmap_insert(&b, (uint64_t)i << 20, i), USHER_OK);
        assert_int_equal(us_idmap_insert(&c, (uint64_t)i << 20, i), USHER_OK);
    }
    assert_int_equal(capacity(&a), capacity(&b));
    assert_int_equal(capacity(&a), capacity(&c));
    assert_memory_equal(a.slots, c.slots, (size_t)capacity(&a) * sizeof *a.slots);
    uint32_t same = 0;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t sa = slot_of(&a, (uint64_t)i << 20), sb = slot_of(&b, (uint64_t)i << 20);
        assert_int_not_equal(sa, UINT32_MAX);
        assert_int_not_equal(sb, UINT32_MAX);
        same += sa == sb;
    }
    assert_true(same < N / 20);
    us_idmap_free(&a);
    us_idmap_free(&b);
    us_idmap_free(&c);
    assert_int_equal(ta.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_map),
        cmocka_unit_test(test_insert_find_update_erase),
        cmocka_unit_test(test_grow_and_shrink_many_sizes),
        cmocka_unit_test(test_random_model),
        cmocka_unit_test(test_reserve_then_inserts_need_no_memory),
        cmocka_unit_test(test_reserve_limits),
        cmocka_unit_test(test_allocation_failure_sweep),
        cmocka_unit_test(test_erase_never_fails),
        cmocka_unit_test(test_structured_keys_probe_little),
        cmocka_unit_test(test_seed_defeats_hostile_keys),
        cmocka_unit_test(test_seed_changes_placement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
