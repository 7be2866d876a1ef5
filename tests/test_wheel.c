/* The timing wheel (lib/wheel.c): expiry order, cancel and reschedule,
 * past deadlines, next_deadline, jumps of any size up to UINT64_MAX, the
 * clock, a random model test against a sorted reference, reserve and
 * out-of-memory behaviour, bookkeeping, tags and data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "wheel.h"

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

#define NONE US_TIMER_NONE
#define HOUR UINT64_C(3600000)
#define DAY (24 * HOUR)
#define YEAR (365 * DAY)

/* ---- helpers ------------------------------------------------------------ */

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static uint64_t add_sat(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

static uint64_t sub_sat(uint64_t a, uint64_t b) { return a < b ? 0 : a - b; }

static uint32_t sched(us_wheel *w, uint64_t deadline, uint32_t tag, uint64_t data)
{
    uint32_t id = NONE;
    assert_int_equal(us_wheel_schedule(w, deadline, tag, data, &id), USHER_OK);
    assert_int_not_equal(id, NONE);
    assert_true(id < w->capacity);
    assert_int_equal(us_wheel_deadline(w, id), deadline);
    assert_int_equal(us_wheel_tag(w, id), tag);
    assert_int_equal(us_wheel_data(w, id), data);
    return id;
}

/* next_due(limit) gives `id` with the clock at `clock`. */
static void expect_due(us_wheel *w, uint64_t limit, uint32_t id, uint64_t clock)
{
    assert_int_equal(us_wheel_next_due(w, limit), id);
    assert_int_equal(us_wheel_now(w), clock);
    assert_int_equal(us_wheel_next_deadline(w), clock);
}

/* next_due(limit) gives nothing and the clock ends at `clock`. */
static void expect_none(us_wheel *w, uint64_t limit, uint64_t clock)
{
    assert_int_equal(us_wheel_next_due(w, limit), NONE);
    assert_int_equal(us_wheel_now(w), clock);
}

/* Byte copies of a wheel and its nodes, to show a failed call changed
 * nothing. */
typedef struct snapshot {
    us_wheel head;
    us_timer_node *nodes;
} snapshot;

static void take_snapshot(snapshot *s, const us_wheel *w)
{
    memcpy(&s->head, w, sizeof *w);
    size_t bytes = (size_t)w->capacity * sizeof *w->nodes;
    s->nodes = malloc(bytes ? bytes : 1);
    assert_non_null(s->nodes);
    if (bytes)
        memcpy(s->nodes, w->nodes, bytes);
}

static void assert_same_as_snapshot(const snapshot *s, const us_wheel *w)
{
    assert_memory_equal(&s->head, w, sizeof *w);
    if (w->capacity)
        assert_memory_equal(s->nodes, w->nodes, (size_t)w->capacity * sizeof *w->nodes);
}

static void drop_snapshot(snapshot *s) { free(s->nodes); }

/* ---- reference: live timers sorted by (effective deadline, sequence) ---- */

#define REF_IDS 8192

typedef struct ref_entry {
    uint64_t effective, seq;
    uint32_t id;
} ref_entry;

typedef struct reference {
    int live[REF_IDS];
    uint64_t deadline[REF_IDS], effective[REF_IDS], seq[REF_IDS], data[REF_IDS];
    uint32_t tag[REF_IDS];
    ref_entry order[REF_IDS];
    uint32_t count;
    uint64_t next_seq;
    uint64_t now;
} reference;

static int entry_before(uint64_t eff_a, uint64_t seq_a, const ref_entry *b)
{
    return eff_a < b->effective || (eff_a == b->effective && seq_a < b->seq);
}

/* First index whose entry is not before (eff, seq). */
static uint32_t ref_search(const reference *r, uint64_t eff, uint64_t seq)
{
    uint32_t lo = 0, hi = r->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (entry_before(r->order[mid].effective, r->order[mid].seq, &(ref_entry){eff, seq, 0}))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void ref_insert(reference *r, uint32_t id, uint64_t deadline)
{
    assert_true(id < REF_IDS);
    r->deadline[id] = deadline;
    r->effective[id] = max_u64(deadline, r->now);
    r->seq[id] = r->next_seq++;
    uint32_t at = ref_search(r, r->effective[id], r->seq[id]);
    memmove(&r->order[at + 1], &r->order[at], (r->count - at) * sizeof r->order[0]);
    r->order[at] = (ref_entry){r->effective[id], r->seq[id], id};
    r->count++;
}

static void ref_remove(reference *r, uint32_t id)
{
    uint32_t at = ref_search(r, r->effective[id], r->seq[id]);
    assert_true(at < r->count);
    assert_int_equal(r->order[at].id, id);
    memmove(&r->order[at], &r->order[at + 1], (r->count - at - 1) * sizeof r->order[0]);
    r->count--;
}

static void ref_schedule(reference *r, uint32_t id, uint64_t deadline, uint32_t tag, uint64_t data)
{
    assert_true(id < REF_IDS);
    assert_false(r->live[id]); /* a live handle is never handed out twice */
    r->live[id] = 1;
    r->tag[id] = tag;
    r->data[id] = data;
    ref_insert(r, id, deadline);
}

static void ref_cancel(reference *r, uint32_t id)
{
    ref_remove(r, id);
    r->live[id] = 0;
}

static void ref_reschedule(reference *r, uint32_t id, uint64_t deadline)
{
    ref_remove(r, id);
    ref_insert(r, id, deadline);
}

static void ref_check_timer(const reference *r, const us_wheel *w, uint32_t id)
{
    assert_true(r->live[id]);
    assert_int_equal(us_wheel_deadline(w, id), r->deadline[id]);
    assert_int_equal(us_wheel_tag(w, id), r->tag[id]);
    assert_int_equal(us_wheel_data(w, id), r->data[id]);
}

/* One next_due(limit): checks the answer and the clock against the
 * reference; returns the timer or NONE. */
static uint32_t ref_next_due(reference *r, us_wheel *w, uint64_t limit)
{
    uint32_t got = us_wheel_next_due(w, limit);
    uint64_t horizon = max_u64(limit, r->now);
    if (r->count == 0 || r->order[0].effective > horizon) {
        assert_int_equal(got, NONE);
        r->now = horizon;
        assert_int_equal(us_wheel_now(w), r->now);
        return NONE;
    }
    assert_int_equal(got, r->order[0].id);
    assert_true(r->order[0].effective >= r->now);
    r->now = r->order[0].effective;
    assert_int_equal(us_wheel_now(w), r->now);
    ref_check_timer(r, w, got);
    return got;
}

/* Runs the wheel to UINT64_MAX, checking every expiry, cancelling each. */
static void ref_drain(reference *r, us_wheel *w)
{
    uint32_t id;
    while ((id = ref_next_due(r, w, UINT64_MAX)) != NONE) {
        us_wheel_cancel(w, id);
        ref_cancel(r, id);
    }
    assert_int_equal(us_wheel_count(w), 0);
    assert_int_equal(us_wheel_now(w), UINT64_MAX);
    assert_int_equal(us_wheel_next_deadline(w), UINT64_MAX);
}

static reference *ref_new(uint64_t now)
{
    reference *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->now = now;
    return r;
}

/* ---- basics ------------------------------------------------------------- */

static void test_empty_wheel(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_wheel w;
    us_wheel_init(&w, &ta.allocator, 500);
    assert_int_equal(ta.calls, 0); /* init allocates nothing */
    assert_int_equal(us_wheel_now(&w), 500);
    assert_int_equal(us_wheel_count(&w), 0);
    assert_int_equal(us_wheel_next_deadline(&w), UINT64_MAX);
    assert_int_equal(us_wheel_reserve(&w, 0), USHER_OK);
    expect_none(&w, 100, 500); /* never backwards */
    expect_none(&w, 0, 500);
    expect_none(&w, 500, 500);
    expect_none(&w, 600, 600);
    expect_none(&w, UINT64_MAX - 1, UINT64_MAX - 1);
    expect_none(&w, UINT64_MAX, UINT64_MAX);
    expect_none(&w, 7, UINT64_MAX);
    assert_int_equal(us_wheel_next_deadline(&w), UINT64_MAX);
    us_wheel_free(&w);
    assert_int_equal(ta.live, 0);
}

/* Expiry by deadline, equal deadlines in schedule order, whether the clock
 * jumps once or moves in steps of various sizes. */
static void test_order_of_equal_and_different_deadlines(void **state)
{
    (void)state;
    static const uint64_t deadlines[] = {50,   10, 50, 30, 10,     50,     70, 4096, 64, 4096,
                                         63,   10, 262144, 64, 4095, 262143, 1,  1,    4097, 50};
    enum { N = sizeof deadlines / sizeof deadlines[0] };
    static const uint64_t steps[] = {UINT64_MAX, 1, 7, 64, 1000, 100000};
    for (size_t si = 0; si < sizeof steps / sizeof steps[0]; si++) {
        test_allocator ta;
        test_allocator_init(&ta, 0);
        us_wheel w;
        us_wheel_init(&w, &ta.allocator, 0);
        uint32_t ids[N];
        for (uint32_t i = 0; i < N; i++)
            ids[i] = sched(&w, deadlines[i], i * 7, UINT64_C(1000) + i);
        /* Expected order: a stable sort by deadline. */
        uint32_t order[N];
        for (uint32_t i = 0; i < N; i++) {
            uint32_t j = i;
            while (j > 0 && deadlines[order[j - 1]] > deadlines[i]) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
        uint32_t next = 0;
        uint64_t limit = 0;
        while (next < N) {
            uint32_t got = us_wheel_next_due(&w, limit);
            if (got == NONE) {
                assert_true(deadlines[order[next]] > limit);
                assert_int_equal(us_wheel_now(&w), limit);
                assert_int_equal(us_wheel_next_deadline(&w), deadlines[order[next]]);
                limit = add_sat(limit, steps[si]);
                continue;
            }
            uint32_t i = order[next++];
            assert_int_equal(got, ids[i]);
            assert_int_equal(us_wheel_now(&w), deadlines[i]);
            assert_int_equal(us_wheel_tag(&w, got), i * 7);
            assert_int_equal(us_wheel_data(&w, got), UINT64_C(1000) + i);
            us_wheel_cancel(&w, got);
            assert_int_equal(us_wheel_count(&w), N - next);
        }
        expect_none(&w, limit, limit);
        assert_int_equal(us_wheel_next_deadline(&w), UINT64_MAX);
        us_wheel_free(&w);
        assert_int_equal(ta.live, 0);
    }
}

/* A deadline in the past or at the clock is due at the clock when it was
 * scheduled, after the timers already due then. */
static void test_past_and_present_deadlines(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_wheel w;
    us_wheel_init(&w, &ta.allocator, 1000);
    uint32_t a = sched(&w, 2000, 1, 11);
    uint32_t b = sched(&w, 500, 2, 22);
    uint32_t c = sched(&w, 1000, 3, 33);
    uint32_t d = sched(&w, 0, 4, 44);
    assert_int_equal(us_wheel_next_deadline(&w), 1000);
    assert_int_equal(us_wheel_deadline(&w, b), 500); /* the given deadline is kept */
    expect_due(&w, 0, b, 1000); /* due now even for a limit in the past */
    us_wheel_cancel(&w, b);
    expect_due(&w, 1000, c, 1000);
    us_wheel_cancel(&w, c);
    expect_due(&w, 5000, d, 1000);
    us_wheel_cancel(&w, d);
    assert_int_equal(us_wheel_next_deadline(&w), 2000);
    expect_due(&w, 5000, a, 2000);
    /* a stays due and unprocessed; later past deadlines queue behind it. */
    uint32_t e = sched(&w, 1500, 5, 55);
    uint32_t f = sched(&w, 2000, 6, 66);
    uint32_t g = sched(&w, 2001, 7, 77);
    uint32_t h = sched(&w, 1, 8, 88);
    expect_due(&w, 5000, a, 2000);
    us_wheel_cancel(&w, a);
    expect_due(&w, 5000, e, 2000);
    us_wheel_cancel(&w, e);
    expect_due(&w, 5000, f, 2000);
    us_wheel_cancel(&w, f);
    expect_due(&w, 5000, h, 2000); /* effective 2000 comes before g's 2001 */
    us_wheel_cancel(&w, h);
    expect_due(&w, 5000, g, 2001);
    assert_int_equal(us_wheel_tag(&w, g), 7);
    assert_int_equal(us_wheel_data(&w, g), 77);
    us_wheel_cancel(&w, g);
    expect_none(&w, 5000, 5000);
    /* After the clock moved with nothing due, the past is the new clock. */
    uint32_t i = sched(&w, 4999, 9, 99);
    uint32_t j = sched(&w, 5001, 10, 100);
    assert_int_equal(us_wheel_next_deadline(&w), 5000);
    expect_due(&w, 0, i, 5000);
    us_wheel_cancel(&w, i);
    assert_int_equal(us_wheel_next_deadline(&w), 5001);
    expect_none(&w, 5000, 5000);
    expect_due(&w, 5001, j, 5001);
    us_wheel_cancel(&w, j);
    assert_int_equal(us_wheel_count(&w), 0);
    us_wheel_free(&w);
    assert_int_equal(ta.live, 0);
}

static void test_cancel(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_wheel w;
    us_wheel_init(&w, &ta.allocator, 0);
    uint32_t a = sched(&w, 10, 0, 1);
    uint32_t b = sched(&w, 20, 0, 2);
    uint32_t c = sched(&w, 20, 0, 3);
    uint32_t d = sched(&w, 30, 0, 4);
    uint32_t far = sched(&w, UINT64_C(1) << 40, 0, 5);
    us_wheel_cancel(&w, b);
    us_wheel_cancel(&w, d);
    us_wheel_cancel(&w, far);
    assert_int_equal(us_wheel_count(&w), 2);
    expect_due(&w, 100, a, 10);
    us_wheel_cancel(&w, a);
    expect_due(&w, 100, c, 20);
    us_wheel_cancel(&w, c);
    expect_none(&w, 100, 100);
    assert_int_equal(us_wheel_next_deadline(&w), UINT64_MAX);

    /* Cancelling due timers: the head, the middle and the tail. */
    uint32_t e = sched(&w, 200, 0, 6);
    uint32_t f = sched(&w, 200, 0, 7);
    uint32_t g = sched(&w, 200, 0, 8);
    uint32_t h = sched(&w, 200, 0, 9);
    expect_due(&w, 300, e, 200);
    us_wheel_cancel(&w, f);
    expect_due(&w, 300, e, 200);
    us_wheel_cancel(&w, h);
    expect_due(&w, 300, e, 200);
    us_wheel_cancel(&w, e);
    expect_due(&w, 300, g, 200);
    us_wheel_cancel(&w, g);
    expect_none(&w, 300, 300);

    /* A cancelled timer never fires, wherever it was in the wheel. */
    static const uint64_t offsets[] = {1, 63, 64, 4095, 4096, 1u << 20, UINT64_C(1) << 40,
                                       UINT64_C(1) << 62};
    uint32_t keep = sched(&w, 300 + (UINT64_C(1) << 50), 0, 10);
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++)
        us_wheel_cancel(&w, sched(&w, 300 + offsets[i], 0, 11));
    assert_int_equal(us_wheel_count(&w), 1);
    assert_int_equal(us_wheel_next_deadline(&w), 300 + (UINT64_C(1) << 50));
    expect_due(&w, UINT64_MAX, keep, 300 + (UINT64_C(1) << 50));
    us_wheel_cancel(&w, keep);
    expect_none(&w, UINT64_MAX, UINT64_MAX);
    us_wheel_free(&w);
    assert_int_equal(ta.live, 0);
}

static void test_reschedule(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_wheel w;
    us_wheel_init(&w, &ta.allocator, 0);
    uint32_t a = sched(&w, 100, 1, 10);
    uint32_t b = sched(&w, 100, 2, 20);
    uint32_t c = sched(&w, 100, 3, 30);
    uint32_t d = sched(&w, 100, 4, 40);
    us_wheel_reschedule(&w, a, 100); /* same deadline: now last among equals */
    us_wheel_reschedule(&w, b, 50);
    us_wheel_reschedule(&w, c, 1000000);
    assert_int_equal(us_wheel_count(&w), 4);
    assert_int_equal(us_wheel_deadline(&w, c), 1000000);
    assert_int_equal(us_wheel_tag(&w, c), 3);
    assert_int_equal(us_wheel_data(&w, c), 30);
    expect_due(&w, UINT64_MAX, b, 50);
    us_wheel_cancel(&w, b);
    expect_due(&w, UINT64_MAX, d, 100);
    us_wheel_cancel(&w, d);
    expect_due(&w, UINT64_MAX, a, 100);
    us_wheel_cancel(&w, a);
    expect_due(&w, UINT64_MAX, c, 1000000);
    us_wheel_cancel(&w, c);

    /* Rescheduling due timers, on a fresh wheel. */
    us_wheel_free(&w);
    assert_int_equal(ta.live, 0);
    us_wheel_init(&w, &ta.allocator, 1000);
    uint32_t p = sched(&w, 1005, 5, 50);
    uint32_t q = sched(&w, 1005, 6, 60);
    expect_due(&w, 2000, p, 1005);
    us_wheel_reschedule(&w, p, 1500); /* to the future */
    assert_int_equal(us_wheel_next_deadline(&w), 1005);
    expect_due(&w, 2000, q, 1005);
    us_wheel_cancel(&w, q);
    assert_int_equal(us_wheel_next_deadline(&w), 1500);
    expect_due(&w, 2000, p, 1500);
    uint32_t r = sched(&w, 1200, 7, 70); /* effective 1500, after p */
    expect_due(&w, 2000, p, 1500);
    us_wheel_reschedule(&w, p, 10); /* to the past: effective 1500, after r */
    expect_due(&w, 2000, r, 1500);
    us_wheel_cancel(&w, r);
    expect_due(&w, 2000, p, 1500);
    assert_int_equal(us_wheel_deadline(&w, p), 10);
    assert_int_equal(us_wheel_tag(&w, p), 5);
    assert_int_equal(us_wheel_data(&w, p), 50);
    us_wheel_reschedule(&w, p, 1500); /* to the clock itself: due again at once */
    expect_due(&w, 0, p, 1500);
    us_wheel_reschedule(&w, p, 1501);
    expect_none(&w, 1500, 1500);
    assert_int_equal(us_wheel_next_deadline(&w), 1501);
    /* Back and forth between far and near keeps exactly one copy. */
    us_wheel_reschedule(&w, p, UINT64_C(1) << 60);
    us_wheel_reschedule(&w, p, 1700);
    us_wheel_reschedule(&w, p, UINT64_MAX);
    us_wheel_reschedule(&w, p, 1600);
    assert_int_equal(us_wheel_count(&w), 1);
    expect_due(&w, UINT64_MAX, p, 1600);
    us_wheel_cancel(&w, p);
    expect_none(&w, UINT64_MAX, UINT64_MAX);
    us_wheel_free(&w);
    assert_int_equal(ta.live, 0);
}

static void test_next_deadline(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_wheel w;
    us_wheel_init(&w, &ta.allocator, 0);
    assert_int_equal(us_wheel_next_deadline(&w), UINT64_MAX);
    uint32_t t500 = sched(&w, 500, 0, 0);
    assert_int_equal(us_wheel_next_deadline(&w), 500);
    uint32_t t300 = sched(&w, 300, 0, 0);
    assert_int_equal(us_wheel_next_deadline(&w), 300);
    uint32_t t400 = sched(&w, 400, 0, 0);
    assert_int_equal(us_wheel_next_deadline(&w), 300);
    us_wheel_cancel(&w, t300); /* the earliest */
    assert_int_equal(us_wheel_next_deadline(&w), 400);
    us_wheel_cancel(&w, t500); /* not the earliest */
    assert_int_equal(us_wheel_next_deadline(&w), 400);
    uint32_t t450 = sched(&w, 450, 0, 0);
    assert_int_equal(us_wheel_next_deadline(&w), 400);
    us_wheel_reschedule(&w, t400, 700); /* the earliest moves later */
    assert_int_equal(us_wheel_next_deadline(&w), 450);
    us_wheel_reschedule(&w, t450, 100); /* and earlier */
    assert_int_equal(us_wheel_next_deadline(&w), 100);
    us_wheel_reschedule(&w, t450, 650);
    assert_int_equal(us_wheel_next_deadline(&w), 650);
    expect_none(&w, 50, 50);
    assert_int_equal(us_wheel_next_deadline(&w), 650);
    expect_due(&w, 650, t450, 650);
    assert_int_equal(us_wheel_next_deadline(&w), 650);
    us_wheel_cancel(&w, t450);
    assert_int_equal(us_wheel_next_deadline(&w), 700);
    uint32_t past = sched(&w, 20, 0, 0);
    assert_int_equal(us_wheel_next_deadline(&w), 650); /* effective: the clock */
    us_wheel_cancel(&w, past);
    assert_int_equal(us_wheel_next_deadline(&w), 700);
    uint32_t high = sched(&w, UINT64_C(1) << 40, 0, 0);
    assert_int_equal(us_wheel_next_deadline(&w), 700);
    us_wheel_cancel(&w, t400);
    assert_int_equal(us_wheel_next_deadline(&w), UINT64_C(1) << 40);
    /* Several deadlines sharing one upper-level slot: the least counts. */
    uint32_t s1 = sched(&w, 5000, 0, 0), s2 = sched(&w, 4200, 0, 0), s3 = sched(&w, 4500, 0, 0);
    assert_int_equal(us_wheel_next_deadline(&w), 4200);
    us_wheel_cancel(&w, s2);
    assert_int_equal(us_wheel_next_deadline(&w), 4500);
    us_wheel_reschedule(&w, s3, 6000);
    assert_int_equal(us_wheel_next_deadline(&w), 5000);
    us_wheel_cancel(&w, s1);
    assert_int_equal(us_wheel_next_deadline(&w), 6000);
    us_wheel_cancel(&w, s3);
    assert_int_equal(us_wheel_next_deadline(&w), UINT64_C(1) << 40);
    uint32_t top = sched(&w, UINT64_MAX, 0, 0);
    us_wheel_cancel(&w, high);
    assert_int_equal(us_wheel_next_deadline(&w), UINT64_MAX);
    assert_int_equal(us_wheel_count(&w), 1);
    us_wheel_cancel(&w, top);
    assert_int_equal(us_wheel_next_deadline(&w), UINT64_MAX);
    us_wheel_free(&w);
    assert_int_equal(ta.live, 0);
}

/* ---- the clock ---------------------------------------------------------- */

static void test_next_due_moves_the_clock(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_wheel w;
    us_wheel_init(&w, &ta.allocator, 100);
    uint32_t t = sched(&w, 1000, 0, 0);
    expect_none(&w, 50, 100);
    expect_none(&w, 999, 999);
    expect_none(&w, 500, 999);
    assert_int_equal(us_wheel_next_deadline(&w), 1000);
    expect_due(&w, 1000, t, 1000);
    expect_due(&w, 5000, t, 1000); /* the clock waits while a timer is due */
    expect_due(&w, 0, t, 1000);
    us_wheel_cancel(&w, t);
    expect_none(&w, 0, 1000);
    expect_none(&w, 5000, 5000);

    /* Just before a far deadline, then at it. */
    uint64_t d = 5000 + (UINT64_C(1) << 45) + 12345;
    t = sched(&w, d, 0, 0);
    expect_none(&w, d - 1, d - 1);
    assert_int_equal(us_wheel_next_deadline(&w), d);
    expect_due(&w, d, t, d);
    us_wheel_cancel(&w, t);
    /* A limit beyond the deadline stops at the deadline. */
    t = sched(&w, d + 64, 0, 0);
    expect_due(&w, d + 1000000, t, d + 64);
    us_wheel_cancel(&w, t);
    expect_none(&w, d + 1000000, d + 1000000);
    us_wheel_free(&w);
    assert_int_equal(ta.live, 0);
}

/* Jumps of an hour, a day, a year, ten years and to the end of time. */
static void test_big_jumps(void **state)
{
    (void)state;
    const uint64_t start = 1234567;
    const uint64_t deadlines[] = {start + 10 * YEAR,
                                  UINT64_MAX,
                                  start + HOUR,
                                  UINT64_C(1) << 63,
                                  start + DAY,
                                  start + 1,
                                  start + YEAR,
                                  USHER_TIME_MAX,
                                  UINT64_MAX - 1,
                                  start + DAY - 1,
                                  start + HOUR,
                                  (UINT64_C(1) << 63) + 1,
                                  UINT64_C(1) << 62,
                                  start + DAY + 1,
                                  UINT64_MAX,
                                  start + 10 * YEAR + 1,
                                  (UINT64_C(1) << 63) - 2,
                                  start + YEAR - 1};
    enum { N = sizeof deadlines / sizeof deadlines[0] };
    const uint64_t limits[] = {start + HOUR, start + DAY, start + YEAR, start + 10 * YEAR,
                               UINT64_C(1) << 62, UINT64_C(1) << 63, UINT64_MAX - 1, UINT64_MAX};
    for (int stepwise = 0; stepwise < 2; stepwise++) {
        test_allocator ta;
        test_allocator_init(&ta, 0);
        us_wheel w;
        us_wheel_init(&w, &ta.allocator, start);
        reference *r = ref_new(start);
        for (uint32_t i = 0; i < N; i++) {
            uint32_t id = sched(&w, deadlines[i], i, ~(uint64_t)i);
            ref_schedule(r, id, deadlines[i], i, ~(uint64_t)i);
        }
        if (stepwise) {
            for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
                uint32_t id;
                while ((id = ref_next_due(r, &w, limits[l])) != NONE) {
                    assert_int_equal(us_wheel_now(&w), us_wheel_deadline(&w, id));
                    us_wheel_cancel(&w, id);
                    ref_cancel(r, id);
                }
                assert_int_equal(us_wheel_now(&w), limits[l]);
                assert_int_equal(us_wheel_next_deadline(&w),
                                 r->count ? r->order[0].effective : UINT64_MAX);
            }
        }
        ref_drain(r, &w);
        free(r);
        us_wheel_free(&w);
        assert_int_equal(ta.live, 0);
    }
}

/* Clocks that start near digit boundaries, 2^63 and UINT64_MAX. */
static void test_clock_near_the_top(void **state)
{
    (void)state;
    const uint64_t h = UINT64_C(1) << 63;
    const uint64_t starts[] = {h - 3, UINT64_MAX - 100, (UINT64_C(1) << 60) - 1, UINT64_MAX};
    const uint64_t offsets[] = {0, 1, 2, 3, 4, 63, 64, 65, 4096, UINT64_C(1) << 36, 50, 100, 101};
    enum { N = sizeof offsets / sizeof offsets[0] };
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
        test_allocator ta;
        test_allocator_init(&ta, 0);
        us_wheel w;
        us_wheel_init(&w, &ta.allocator, starts[s]);
        reference *r = ref_new(starts[s]);
        for (uint32_t i = 0; i < N; i++) {
            uint64_t d = add_sat(starts[s], offsets[(i * 5) % N]);
            uint32_t id = sched(&w, d, i, i);
            ref_schedule(r, id, d, i, i);
            d = sub_sat(d, 2); /* some in the past */
            id = sched(&w, d, i + 100, i);
            ref_schedule(r, id, d, i + 100, i);
        }
        assert_int_equal(us_wheel_next_deadline(&w), r->order[0].effective);
        /* Small steps first, then the rest at once. */
        for (int k = 0; k < 200; k++) {
            uint32_t id = ref_next_due(r, &w, add_sat(r->now, 1));
            if (id != NONE) {
                us_wheel_cancel(&w, id);
                ref_cancel(r, id);
            }
        }
        ref_drain(r, &w);
        free(r);
        us_wheel_free(&w);
        assert_int_equal(ta.live, 0);
    }
}

/* ---- random model ------------------------------------------------------- */

static uint64_t random_deadline(uint64_t *rng, const reference *r, uint32_t max_bits)
{
    uint64_t now = r->now;
    uint32_t kind = (uint32_t)test_rand_below(rng, 100);
    if (kind < 8)
        return sub_sat(now, test_rand_below(rng, 1000) + 1); /* the past */
    if (kind < 16)
        return now;
    if (kind < 46)
        return add_sat(now, test_rand_below(rng, 70));
    if (kind < 76)
        return add_sat(now, test_rand_below(rng, UINT64_C(1) << (6 + test_rand_below(rng, max_bits - 5))));
    if (kind < 84) { /* anywhere ahead, up to the end of time */
        uint32_t bits = 40 + (uint32_t)test_rand_below(rng, 25);
        return add_sat(now, bits >= 64 ? test_rand(rng) : test_rand_below(rng, UINT64_C(1) << bits));
    }
    if (kind < 87)
        return UINT64_MAX - test_rand_below(rng, 3);
    if (r->count > 0) /* the deadline of another timer */
        return r->deadline[r->order[test_rand_below(rng, r->count)].id];
    return now + 1;
}

static uint32_t random_live(uint64_t *rng, const reference *r)
{
    assert_true(r->count > 0);
    return r->order[test_rand_below(rng, r->count)].id;
}

static void run_model(uint64_t start, uint32_t max_bits, long steps, uint64_t seed)
{
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_wheel w;
    us_wheel_init(&w, &ta.allocator, start);
    reference *r = ref_new(start);
    uint64_t rng = seed;
    static const uint32_t targets[] = {10, 300, 2, 2000, 40, 0, 700, 5};
    const long phase = steps / (long)(sizeof targets / sizeof targets[0]) + 1;
    for (long step = 0; step < steps; step++) {
        uint32_t target = targets[step / phase];
        /* Below the target the mix fills the wheel, above it drains it. */
        int filling = r->count < target;
        uint32_t op = (uint32_t)test_rand_below(&rng, 100);
        if (op < (filling ? 55u : 12u)) { /* schedule */
            if (r->count < 4000) {
                uint64_t d = random_deadline(&rng, r, max_bits);
                uint32_t tag = (uint32_t)test_rand(&rng);
                uint64_t data = test_rand(&rng);
                uint32_t id = sched(&w, d, tag, data);
                ref_schedule(r, id, d, tag, data);
            }
        } else if (op < (filling ? 58u : 30u)) { /* cancel */
            if (r->count > 0) {
                uint32_t id = random_live(&rng, r);
                ref_check_timer(r, &w, id);
                us_wheel_cancel(&w, id);
                ref_cancel(r, id);
            }
        } else if (op < (filling ? 70u : 45u)) { /* reschedule */
            if (r->count > 0) {
                uint32_t id = random_live(&rng, r);
                uint64_t d = random_deadline(&rng, r, max_bits);
                us_wheel_reschedule(&w, id, d);
                ref_reschedule(r, id, d);
                ref_check_timer(r, &w, id);
            }
        } else { /* advance: a limit, then a few expiries */
            uint32_t how = (uint32_t)test_rand_below(&rng, 100);
            uint64_t limit;
            if (how < 5)
                limit = sub_sat(r->now, test_rand_below(&rng, 100));
            else if (how < 20)
                limit = r->now;
            else if (how < 60)
                limit = add_sat(r->now, test_rand_below(&rng, 70));
            else if (how < 95)
                limit = add_sat(r->now, test_rand_below(&rng, UINT64_C(1) << (6 + test_rand_below(&rng, max_bits - 5))));
            else if (test_rand_below(&rng, 100) == 0) /* a huge jump, but keep some headroom */
                limit = add_sat(r->now, 1 + test_rand_below(&rng, (UINT64_MAX - r->now) / 64 + 1));
            else if (r->count > 0 && r->order[0].effective - r->now < UINT64_C(1) << max_bits)
                /* exactly at, or just before, the next expiry */
                limit = r->order[0].effective - (r->order[0].effective > r->now ? how & 1 : 0);
            else
                limit = add_sat(r->now, 1);
            uint32_t pops = 1 + (uint32_t)test_rand_below(&rng, filling ? 2 : 16);
            for (uint32_t p = 0; p < pops; p++) {
                uint32_t id = ref_next_due(r, &w, limit);
                if (id == NONE)
                    break;
                uint32_t what = (uint32_t)test_rand_below(&rng, 100);
                if (what < 70) {
                    us_wheel_cancel(&w, id);
                    ref_cancel(r, id);
                } else if (what < 85) {
                    uint64_t d = random_deadline(&rng, r, max_bits);
                    us_wheel_reschedule(&w, id, d);
                    ref_reschedule(r, id, d);
                } /* else left due: it must come back first */
            }
        }
        assert_int_equal(us_wheel_count(&w), r->count);
        assert_true(w.capacity >= w.used);
        assert_int_equal(us_wheel_now(&w), r->now);
        assert_int_equal(us_wheel_next_deadline(&w), r->count ? r->order[0].effective : UINT64_MAX);
        if (step % 4096 == 0)
            for (uint32_t i = 0; i < r->count; i++)
                ref_check_timer(r, &w, r->order[i].id);
    }
    ref_drain(r, &w);
    free(r);
    us_wheel_free(&w);
    assert_int_equal(ta.live, 0);
}

static void test_random_model(void **state)
{
    (void)state;
    run_model(0, 36, MODEL_STEPS / 4, 1);
    run_model(UINT64_C(1700000000000), 36, MODEL_STEPS / 4, 2);
    run_model((UINT64_C(1) << 63) - (UINT64_C(1) << 30), 36, MODEL_STEPS / 4, 3);
    run_model(UINT64_MAX - (UINT64_C(1) << 24), 10, MODEL_STEPS / 4, 4);
}

/* ---- memory ------------------------------------------------------------- */

static void test_reserve_then_schedules_need_no_memory(void **state)
{
    (void)state;
    static const uint32_t already[] = {0, 0, 0, 0, 0, 3, 8, 20};
    static const uint32_t extra[] = {1, 7, 8, 9, 1000, 5, 1, 100};
    for (size_t c = 0; c < sizeof extra / sizeof extra[0]; c++) {
        test_allocator ta;
        test_allocator_init(&ta, 0);
        us_wheel w;
        us_wheel_init(&w, &ta.allocator, 10);
        reference *r = ref_new(10);
        uint64_t rng = c + 1;
        /* Some timers, some of them cancelled so that handles are free. */
        for (uint32_t i = 0; i < already[c] * 2; i++) {
            uint64_t d = 10 + test_rand_below(&rng, 100000);
            uint32_t id = sched(&w, d, i, i);
            ref_schedule(r, id, d, i, i);
        }
        for (uint32_t i = 0; i < already[c]; i++) {
            uint32_t id = random_live(&rng, r);
            us_wheel_cancel(&w, id);
            ref_cancel(r, id);
        }
        assert_int_equal(us_wheel_reserve(&w, extra[c]), USHER_OK);
        test_allocator_refuse_all(&ta);
        for (uint32_t i = 0; i < extra[c]; i++) {
            uint64_t d = 10 + test_rand_below(&rng, 100000);
            uint32_t id = sched(&w, d, i, i);
            ref_schedule(r, id, d, i, i);
        }
        assert_int_equal(us_wheel_count(&w), already[c] + extra[c]);
        assert_int_equal(us_wheel_reserve(&w, 0), USHER_OK);
        /* Past the room there is: ENOMEM, nothing changed, *id untouched. */
        for (;;) {
            snapshot s;
            take_snapshot(&s, &w);
            uint32_t id = 12345;
            usher_status st = us_wheel_schedule(&w, 77, 1, 2, &id);
            if (st == USHER_ENOMEM) {
                assert_int_equal(id, 12345);
                assert_int_equal(w.used, w.capacity);
                assert_same_as_snapshot(&s, &w);
                drop_snapshot(&s);
                break;
            }
            assert_int_equal(st, USHER_OK);
            ref_schedule(r, id, 77, 1, 2);
            drop_snapshot(&s);
        }
        assert_int_equal(us_wheel_reserve(&w, 1), USHER_ENOMEM);
        test_allocator_allow_all(&ta);
        ref_drain(r, &w);
        free(r);
        us_wheel_free(&w);
        assert_int_equal(ta.live, 0);
    }
}

static void test_reserve_limits(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_wheel w;
    us_wheel_init(&w, &ta.allocator, 0);
    uint32_t a = sched(&w, 5, 1, 1);
    uint32_t b = sched(&w, 6, 2, 2);
    snapshot s;
    take_snapshot(&s, &w);
    long calls = ta.calls;
    assert_int_equal(us_wheel_reserve(&w, USHER_MAX_OBJECTS - 1), USHER_ELIMIT);
    assert_int_equal(us_wheel_reserve(&w, UINT32_MAX), USHER_ELIMIT);
    assert_int_equal(ta.calls, calls); /* a limit is known without asking for memory */
    assert_same_as_snapshot(&s, &w);
    test_allocator_refuse_all(&ta);
    assert_int_equal(us_wheel_reserve(&w, USHER_MAX_OBJECTS - 2), USHER_ENOMEM);
    assert_int_equal(us_wheel_reserve(&w, 100000), USHER_ENOMEM);
    assert_same_as_snapshot(&s, &w);
    drop_snapshot(&s);
    test_allocator_allow_all(&ta);
    expect_due(&w, 10, a, 5);
    us_wheel_cancel(&w, a);
    expect_due(&w, 10, b, 6);
    us_wheel_cancel(&w, b);
    us_wheel_free(&w);
    assert_int_equal(ta.live, 0);
}

/* The k-th allocation fails, for every k a run reaches: a failed schedule
 * changes nothing (byte for byte) and a retry succeeds. */
static void test_allocation_failure_sweep(void **state)
{
    (void)state;
    int failures = 0;
    for (long k = 1;; k++) {
        test_allocator ta;
        test_allocator_init(&ta, k);
        us_wheel w;
        us_wheel_init(&w, &ta.allocator, 1000);
        reference *r = ref_new(1000);
        uint64_t rng = 99;
        for (uint32_t i = 0; i < 300; i++) {
            if (i % 5 == 4) {
                uint32_t id = random_live(&rng, r);
                us_wheel_cancel(&w, id);
                ref_cancel(r, id);
            }
            if (i % 50 == 49) {
                uint32_t id = ref_next_due(r, &w, r->now + 100);
                if (id != NONE) {
                    us_wheel_cancel(&w, id);
                    ref_cancel(r, id);
                }
            }
            uint64_t d = r->now + test_rand_below(&rng, UINT64_C(1) << (test_rand_below(&rng, 40)));
            (void)us_wheel_next_deadline(&w); /* make the cache valid */
            snapshot s;
            take_snapshot(&s, &w);
            int was_failed = ta.failed;
            uint32_t id = 4242;
            usher_status st = us_wheel_schedule(&w, d, i, i, &id);
            if (st == USHER_ENOMEM) {
                assert_true(ta.failed && !was_failed);
                assert_int_equal(id, 4242);
                assert_same_as_snapshot(&s, &w);
                failures++;
                id = sched(&w, d, i, i);
            } else {
                assert_int_equal(st, USHER_OK);
                assert_int_equal(ta.failed, was_failed);
            }
            drop_snapshot(&s);
            ref_schedule(r, id, d, i, i);
            assert_int_equal(us_wheel_next_deadline(&w), r->order[0].effective);
        }
        ref_drain(r, &w);
        free(r);
        us_wheel_free(&w);
        assert_int_equal(ta.live, 0);
        if (!ta.failed)
            break;
    }
    assert_true(failures >= 5);
}

/* ---- bookkeeping -------------------------------------------------------- */

static void test_count_and_handles(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_wheel w;
    us_wheel_init(&w, &ta.allocator, 0);
    enum { N = 100 };
    uint32_t ids[N];
    uint8_t seen[256] = {0};
    for (uint32_t i = 0; i < N; i++) {
        ids[i] = sched(&w, 1000 + i % 7, 0, i);
        assert_int_equal(us_wheel_count(&w), i + 1);
        assert_true(ids[i] < 256);
        assert_false(seen[ids[i]]); /* distinct handles */
        seen[ids[i]] = 1;
    }
    assert_true(w.capacity >= N);
    assert_int_equal(ta.live, 1);
    for (uint32_t i = 0; i < N; i += 2) {
        us_wheel_cancel(&w, ids[i]);
        seen[ids[i]] = 0;
        ids[i] = NONE;
    }
    assert_int_equal(us_wheel_count(&w), N / 2);
    us_wheel_reschedule(&w, ids[1], 5000);
    assert_int_equal(us_wheel_count(&w), N / 2);
    uint32_t first = us_wheel_next_due(&w, 2000);
    assert_int_not_equal(first, NONE);
    assert_int_equal(us_wheel_count(&w), N / 2);

    /* Churn at a steady population: handles are reused, memory stays. */
    uint32_t capacity = w.capacity;
    long calls = ta.calls;
    uint64_t rng = 5;
    for (int round = 0; round < 20000; round++) {
        uint32_t i = (uint32_t)test_rand_below(&rng, N);
        if (ids[i] == NONE) {
            ids[i] = sched(&w, us_wheel_now(&w) + test_rand_below(&rng, 5000), 0, i);
            assert_true(ids[i] < capacity);
            assert_false(seen[ids[i]]);
            seen[ids[i]] = 1;
        } else {
            assert_int_equal(us_wheel_data(&w, ids[i]), i);
            us_wheel_cancel(&w, ids[i]);
            seen[ids[i]] = 0;
            ids[i] = NONE;
        }
        uint32_t live = 0;
        for (uint32_t j = 0; j < N; j++)
            live += ids[j] != NONE;
        assert_int_equal(us_wheel_count(&w), live);
        assert_int_equal(w.used, live);
    }
    assert_int_equal(w.capacity, capacity);
    assert_int_equal(ta.calls, calls);
    uint32_t id;
    while ((id = us_wheel_next_due(&w, UINT64_MAX)) != NONE) {
        assert_true(seen[id]);
        seen[id] = 0;
        us_wheel_cancel(&w, id);
    }
    for (uint32_t j = 0; j < 256; j++)
        assert_false(seen[j]); /* every live timer fired exactly once */
    assert_int_equal(us_wheel_count(&w), 0);
    us_wheel_free(&w);
    assert_int_equal(ta.live, 0);
}

/* Tags and data come back as given, through cascades from every level and
 * through reschedules. */
static void test_tags_and_data(void **state)
{
    (void)state;
    static const uint32_t tags[] = {0, 1, UINT32_MAX, UINT32_C(0x80000000), 0x12345678};
    static const uint64_t data[] = {0, UINT64_MAX, UINT64_C(1) << 63, UINT64_C(0x0123456789abcdef),
                                    42};
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_wheel w;
    us_wheel_init(&w, &ta.allocator, 3);
    reference *r = ref_new(3);
    for (uint32_t level = 0; level < 64; level += 3) {
        for (uint32_t i = 0; i < 5; i++) {
            uint64_t d = add_sat(3, (UINT64_C(1) << level) + i * 11);
            uint32_t id = sched(&w, d, tags[i], data[(i + level) % 5]);
            ref_schedule(r, id, d, tags[i], data[(i + level) % 5]);
        }
    }
    /* Reschedule some: tag and data stay. */
    for (uint32_t i = 0; i < r->count; i += 4) {
        uint32_t id = r->order[i].id;
        uint64_t d = r->deadline[id] / 2 + 1;
        us_wheel_reschedule(&w, id, d);
        ref_reschedule(r, id, d);
        ref_check_timer(r, &w, id);
    }
    /* Advance in growing steps so that timers cascade level by level. */
    uint64_t limit = 4;
    while (r->count > 0 && limit < UINT64_MAX / 2) {
        uint32_t id;
        while ((id = ref_next_due(r, &w, limit)) != NONE) {
            us_wheel_cancel(&w, id);
            ref_cancel(r, id);
        }
        limit *= 2;
    }
    ref_drain(r, &w);
    free(r);
    us_wheel_free(&w);
    assert_int_equal(ta.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_wheel),
        cmocka_unit_test(test_order_of_equal_and_different_deadlines),
        cmocka_unit_test(test_past_and_present_deadlines),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_reschedule),
        cmocka_unit_test(test_next_deadline),
        cmocka_unit_test(test_next_due_moves_the_clock),
        cmocka_unit_test(test_big_jumps),
        cmocka_unit_test(test_clock_near_the_top),
        cmocka_unit_test(test_random_model),
        cmocka_unit_test(test_reserve_then_schedules_need_no_memory),
        cmocka_unit_test(test_reserve_limits),
        cmocka_unit_test(test_allocation_failure_sweep),
        cmocka_unit_test(test_count_and_handles),
        cmocka_unit_test(test_tags_and_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
