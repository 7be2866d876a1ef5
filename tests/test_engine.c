/* Engine lifecycle, configuration, status strings, the clock, host timers
 * and event delivery (DESIGN.md contracts 1, 2, 7, 10). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "usher.h"

#define MAX_SEEN 64

/* What the test callback saw. */
typedef struct recorder {
    usher_engine *engine;
    usher_event seen[MAX_SEEN];
    int count;
    int in_callback;
    int nested_violation; /* set if the callback was entered while inside it */
    void (*react)(struct recorder *, const usher_event *);
} recorder;

static void record_event(void *user, const usher_event *event)
{
    recorder *r = user;
    if (r->in_callback)
        r->nested_violation = 1;
    r->in_callback = 1;
    if (r->count < MAX_SEEN)
        r->seen[r->count++] = *event;
    if (r->react)
        r->react(r, event);
    r->in_callback = 0;
}

static usher_engine *new_engine(recorder *r, uint64_t start_ms)
{
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.start_ms = start_ms;
    usher_engine *e = NULL;
    assert_int_equal(usher_engine_new(&cfg, &e), USHER_OK);
    assert_non_null(e);
    if (r) {
        memset(r, 0, sizeof *r);
        r->engine = e;
        assert_int_equal(usher_set_event_handler(e, record_event, r), USHER_OK);
    }
    return e;
}

static void assert_timer_event(const usher_event *ev, uint64_t timer_id, uint64_t time_ms)
{
    assert_int_equal(ev->type, USHER_EVENT_TIMER);
    assert_int_equal(ev->timer_id, timer_id);
    assert_int_equal(ev->time_ms, time_ms);
    assert_int_equal(ev->struct_size, sizeof(usher_event));
}

/* ---- version and status ------------------------------------------------ */

static void test_version(void **state)
{
    (void)state;
    assert_string_equal(usher_version(), USHER_VERSION_STRING);
    assert_int_equal(usher_version_number(), USHER_VERSION_NUMBER);
    assert_int_equal(USHER_VERSION_NUMBER,
                     USHER_VERSION_MAJOR * 10000 + USHER_VERSION_MINOR * 100 + USHER_VERSION_PATCH);
}

static void test_status_values_are_fixed(void **state)
{
    (void)state;
    assert_int_equal(USHER_OK, 0);
    assert_int_equal(USHER_ENOMEM, -1);
    assert_int_equal(USHER_EINVAL, -2);
    assert_int_equal(USHER_ENOTFOUND, -3);
    assert_int_equal(USHER_EEXIST, -4);
    assert_int_equal(USHER_ESTATE, -5);
    assert_int_equal(USHER_ELIMIT, -6);
    assert_int_equal(USHER_ECORRUPT, -7);
    assert_int_equal(USHER_ECLOSED, -8);
    assert_int_equal(USHER_ETOKEN, -9);
    assert_int_equal(USHER_EINTERNAL, -10);
}

static void test_status_strings(void **state)
{
    (void)state;
    const char *messages[11];
    for (int s = 0; s >= -10; s--) {
        const char *name = usher_status_name(s);
        messages[-s] = usher_strerror(s);
        assert_true(strncmp(name, "USHER_", 6) == 0);
        assert_string_not_equal(name, "USHER_E_UNKNOWN");
        assert_string_not_equal(messages[-s], "unknown status");
        for (int other = 0; other < -s; other++)
            assert_string_not_equal(messages[other], messages[-s]);
    }
    assert_string_equal(usher_status_name(USHER_ENOMEM), "USHER_ENOMEM");
    assert_string_equal(usher_strerror(USHER_ENOMEM), "out of memory");
    assert_string_equal(usher_strerror(USHER_EINTERNAL), "an internal invariant does not hold");
    assert_string_equal(usher_strerror(-11), "unknown status");
    assert_string_equal(usher_strerror(1), "unknown status");
    assert_string_equal(usher_strerror(INT32_MIN), "unknown status");
    assert_string_equal(usher_status_name(-11), "USHER_E_UNKNOWN");
}

/* ---- lifecycle and configuration --------------------------------------- */

static void test_new_with_defaults(void **state)
{
    (void)state;
    usher_engine *e = NULL;
    uint64_t now = 1, next = 0;
    assert_int_equal(usher_engine_new(NULL, &e), USHER_OK);
    assert_int_equal(usher_now(e, &now), USHER_OK);
    assert_int_equal(now, 0);
    assert_int_equal(usher_next_deadline(e, &next), USHER_OK);
    assert_int_equal(next, USHER_TIME_NEVER);
    usher_engine_free(e);
    usher_engine_free(NULL); /* a no-op */
}

static void test_config_init(void **state)
{
    (void)state;
    usher_config cfg;
    memset(&cfg, 0xab, sizeof cfg);
    usher_config_init(&cfg);
    assert_int_equal(cfg.struct_size, sizeof cfg);
    assert_int_equal(cfg.seed, 0);
    assert_int_equal(cfg.start_ms, 0);
    assert_null(cfg.allocator);
    usher_config_init(NULL); /* does nothing, does not crash */
}

static void test_config_rejected(void **state)
{
    (void)state;
    usher_engine *sentinel = (usher_engine *)&sentinel;
    usher_engine *e = sentinel;
    usher_config cfg;
    usher_allocator incomplete = {test_malloc_fn, NULL, test_free_fn, NULL};

    assert_int_equal(usher_engine_new(NULL, NULL), USHER_EINVAL);

    usher_config_init(&cfg);
    cfg.struct_size = sizeof cfg - 1;
    assert_int_equal(usher_engine_new(&cfg, &e), USHER_EINVAL);

    usher_config_init(&cfg);
    cfg.reserved = 1;
    assert_int_equal(usher_engine_new(&cfg, &e), USHER_EINVAL);

    usher_config_init(&cfg);
    cfg.start_ms = USHER_TIME_MAX + 1;
    assert_int_equal(usher_engine_new(&cfg, &e), USHER_EINVAL);

    usher_config_init(&cfg);
    cfg.allocator = &incomplete;
    assert_int_equal(usher_engine_new(&cfg, &e), USHER_EINVAL);

    assert_ptr_equal(e, sentinel); /* *out untouched on every failure */
}

/* A host compiled against a newer, larger usher_config. */
typedef struct newer_config {
    usher_config base;
    uint64_t future_field;
} newer_config;

static void test_config_from_newer_host(void **state)
{
    (void)state;
    newer_config cfg;
    memset(&cfg, 0, sizeof cfg);
    usher_config_init(&cfg.base);
    cfg.base.struct_size = sizeof cfg;
    cfg.base.start_ms = 5000;
    usher_engine *e = NULL;
    assert_int_equal(usher_engine_new(&cfg.base, &e), USHER_OK);
    uint64_t now = 0;
    assert_int_equal(usher_now(e, &now), USHER_OK);
    assert_int_equal(now, 5000);
    usher_engine_free(e);

    /* A feature this library does not know is asked for: refused. */
    cfg.future_field = 1;
    e = NULL;
    assert_int_equal(usher_engine_new(&cfg.base, &e), USHER_EINVAL);
    assert_null(e);
}

static void test_null_arguments(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    uint64_t value = 7;
    assert_int_equal(usher_set_event_handler(NULL, NULL, NULL), USHER_EINVAL);
    assert_int_equal(usher_advance(NULL, 0), USHER_EINVAL);
    assert_int_equal(usher_now(NULL, &value), USHER_EINVAL);
    assert_int_equal(usher_now(e, NULL), USHER_EINVAL);
    assert_int_equal(usher_next_deadline(NULL, &value), USHER_EINVAL);
    assert_int_equal(usher_next_deadline(e, NULL), USHER_EINVAL);
    assert_int_equal(usher_timer_set(NULL, 1, 1), USHER_EINVAL);
    assert_int_equal(usher_timer_cancel(NULL, 1), USHER_EINVAL);
    assert_int_equal(usher_timer_due(NULL, 1, &value), USHER_EINVAL);
    assert_int_equal(usher_timer_set(e, 1, 10), USHER_OK);
    assert_int_equal(usher_timer_due(e, 1, NULL), USHER_EINVAL);
    assert_int_equal(value, 7);
    usher_engine_free(e);
}

/* ---- clock and host timers ---------------------------------------------- */

static void test_timers_fire_in_deadline_order(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 1000);
    assert_int_equal(usher_timer_set(e, 3, 1300), USHER_OK);
    assert_int_equal(usher_timer_set(e, 1, 1100), USHER_OK);
    assert_int_equal(usher_timer_set(e, 2, 1200), USHER_OK);
    assert_int_equal(usher_timer_set(e, 4, 1200), USHER_OK); /* ties: schedule order */

    assert_int_equal(usher_advance(e, 1199), USHER_OK);
    assert_int_equal(r.count, 1);
    assert_timer_event(&r.seen[0], 1, 1100);
    assert_int_equal(usher_advance(e, 5000), USHER_OK);
    assert_int_equal(r.count, 4);
    assert_timer_event(&r.seen[1], 2, 1200);
    assert_timer_event(&r.seen[2], 4, 1200);
    assert_timer_event(&r.seen[3], 3, 1300);
    for (int i = 0; i < r.count; i++)
        assert_int_equal(r.seen[i].seq, (uint64_t)i + 1);
    assert_int_equal(usher_timer_cancel(e, 1), USHER_ENOTFOUND); /* fired timers are gone */
    usher_engine_free(e);
}

static void test_timer_set_moves_cancel_removes(void **state)
{
    (void)state;
    recorder r;
    uint64_t due = 0;
    usher_engine *e = new_engine(&r, 0);
    assert_int_equal(usher_timer_set(e, 7, 100), USHER_OK);
    assert_int_equal(usher_timer_set(e, 8, 50), USHER_OK);
    assert_int_equal(usher_timer_set(e, 7, 50), USHER_OK); /* moved: now after 8 */
    assert_int_equal(usher_timer_due(e, 7, &due), USHER_OK);
    assert_int_equal(due, 50);
    assert_int_equal(usher_timer_set(e, 9, 60), USHER_OK);
    assert_int_equal(usher_timer_cancel(e, 9), USHER_OK);
    assert_int_equal(usher_timer_cancel(e, 9), USHER_ENOTFOUND);
    assert_int_equal(usher_timer_due(e, 9, &due), USHER_ENOTFOUND);
    assert_int_equal(due, 50);
    assert_int_equal(usher_advance(e, 1000), USHER_OK);
    assert_int_equal(r.count, 2);
    assert_timer_event(&r.seen[0], 8, 50);
    assert_timer_event(&r.seen[1], 7, 50);
    usher_engine_free(e);
}

static void test_time_limits(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    assert_int_equal(usher_timer_set(e, 1, USHER_TIME_MAX + 1), USHER_EINVAL);
    assert_int_equal(usher_advance(e, USHER_TIME_MAX + 1), USHER_EINVAL);
    assert_int_equal(usher_timer_set(e, 1, USHER_TIME_MAX), USHER_OK);
    assert_int_equal(usher_advance(e, USHER_TIME_MAX), USHER_OK);
    assert_int_equal(r.count, 1);
    assert_timer_event(&r.seen[0], 1, USHER_TIME_MAX);
    usher_engine_free(e);
}

static void test_time_never_goes_backwards(void **state)
{
    (void)state;
    recorder r;
    uint64_t now = 0;
    usher_engine *e = new_engine(&r, 10000);
    assert_int_equal(usher_advance(e, 5000), USHER_OK); /* earlier: treated as now */
    assert_int_equal(usher_now(e, &now), USHER_OK);
    assert_int_equal(now, 10000);

    /* A deadline already past fires at the next advance, even one "earlier",
     * with its own due time. */
    assert_int_equal(usher_timer_set(e, 1, 9000), USHER_OK);
    assert_int_equal(usher_timer_set(e, 2, 10000), USHER_OK);
    uint64_t next = 0;
    assert_int_equal(usher_next_deadline(e, &next), USHER_OK);
    assert_int_equal(next, 10000); /* due now */
    assert_int_equal(r.count, 0);
    assert_int_equal(usher_advance(e, 1), USHER_OK);
    assert_int_equal(usher_now(e, &now), USHER_OK);
    assert_int_equal(now, 10000);
    assert_int_equal(r.count, 2);
    assert_timer_event(&r.seen[0], 1, 9000);
    assert_timer_event(&r.seen[1], 2, 10000);
    usher_engine_free(e);
}

static void test_next_deadline(void **state)
{
    (void)state;
    uint64_t next = 0;
    const uint64_t day = 24ull * 3600 * 1000;
    usher_engine *e = new_engine(NULL, 0);
    assert_int_equal(usher_timer_set(e, 1, 3 * day + 17), USHER_OK);
    assert_int_equal(usher_timer_set(e, 2, 3 * day + 5), USHER_OK);
    assert_int_equal(usher_timer_set(e, 3, 400 * day), USHER_OK);
    assert_int_equal(usher_next_deadline(e, &next), USHER_OK);
    assert_int_equal(next, 3 * day + 5);
    assert_int_equal(usher_timer_cancel(e, 2), USHER_OK);
    assert_int_equal(usher_next_deadline(e, &next), USHER_OK);
    assert_int_equal(next, 3 * day + 17);
    assert_int_equal(usher_advance(e, 3 * day + 17), USHER_OK);
    assert_int_equal(usher_next_deadline(e, &next), USHER_OK);
    assert_int_equal(next, 400 * day);
    assert_int_equal(usher_timer_cancel(e, 3), USHER_OK);
    assert_int_equal(usher_next_deadline(e, &next), USHER_OK);
    assert_int_equal(next, USHER_TIME_NEVER);
    usher_engine_free(e);
}

static void test_jump_of_a_year_fires_each_once_in_order(void **state)
{
    (void)state;
    recorder r;
    const uint64_t hour = 3600ull * 1000;
    usher_engine *e = new_engine(&r, 0);
    /* Scheduled out of order, spread over a year. */
    for (uint64_t i = 0; i < 40; i++)
        assert_int_equal(usher_timer_set(e, i, ((i * 17) % 40 + 1) * 219 * hour), USHER_OK);
    assert_int_equal(usher_advance(e, 366 * 24 * hour), USHER_OK);
    assert_int_equal(r.count, 40);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(r.seen[i].time_ms, (uint64_t)(i + 1) * 219 * hour);
        assert_int_equal((r.seen[i].timer_id * 17) % 40 + 1, (uint64_t)i + 1);
    }
    assert_int_equal(usher_advance(e, 400 * 24 * hour), USHER_OK);
    assert_int_equal(r.count, 40); /* nothing fires twice */
    usher_engine_free(e);
}

/* ---- event delivery and re-entrancy -------------------------------------- */

/* On timer 1: schedules 10 (already due) and 11 (later), advances (nested)
 * so that 10 fires inside the callback, and cancels 2. */
static void react_reenter(recorder *r, const usher_event *ev)
{
    if (ev->timer_id != 1)
        return;
    uint64_t now = 0;
    assert_int_equal(usher_now(r->engine, &now), USHER_OK);
    assert_int_equal(now, 500); /* state changes are complete before delivery */
    assert_int_equal(usher_timer_set(r->engine, 10, 150), USHER_OK);
    assert_int_equal(usher_timer_set(r->engine, 11, 800), USHER_OK);
    assert_int_equal(usher_advance(r->engine, 500), USHER_OK);
    assert_int_equal(r->count, 1); /* the nested call delivered nothing itself */
    assert_int_equal(usher_timer_cancel(r->engine, 2), USHER_ENOTFOUND); /* 2 already fired */
}

static void test_callback_reenters(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    r.react = react_reenter;
    assert_int_equal(usher_timer_set(e, 1, 100), USHER_OK);
    assert_int_equal(usher_timer_set(e, 2, 200), USHER_OK);
    assert_int_equal(usher_advance(e, 500), USHER_OK);
    assert_false(r.nested_violation);
    assert_int_equal(r.count, 3);
    assert_timer_event(&r.seen[0], 1, 100);
    assert_timer_event(&r.seen[1], 2, 200);
    assert_timer_event(&r.seen[2], 10, 150); /* raised by the nested advance */
    for (int i = 0; i < r.count; i++)
        assert_int_equal(r.seen[i].seq, (uint64_t)i + 1); /* none lost, none twice */
    assert_int_equal(usher_advance(e, 1000), USHER_OK);
    assert_int_equal(r.count, 4);
    assert_timer_event(&r.seen[3], 11, 800);
    assert_int_equal(r.seen[3].seq, 4);
    usher_engine_free(e);
}

static void react_chain(recorder *r, const usher_event *ev)
{
    if (ev->timer_id < 20) /* every event schedules the next, due at once */
        assert_int_equal(usher_timer_set(r->engine, ev->timer_id + 1, ev->time_ms), USHER_OK);
    if (ev->timer_id < 20)
        assert_int_equal(usher_advance(r->engine, ev->time_ms), USHER_OK);
}

static void test_events_raised_in_callbacks_follow_in_order(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    r.react = react_chain;
    assert_int_equal(usher_timer_set(e, 1, 10), USHER_OK);
    assert_int_equal(usher_advance(e, 10), USHER_OK);
    assert_false(r.nested_violation);
    assert_int_equal(r.count, 20);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(r.seen[i].timer_id, (uint64_t)i + 1);
        assert_int_equal(r.seen[i].seq, (uint64_t)i + 1);
    }
    usher_engine_free(e);
}

static void react_switch_handler(recorder *r, const usher_event *ev)
{
    (void)ev;
    assert_int_equal(usher_set_event_handler(r->engine, NULL, NULL), USHER_OK);
}

static void test_handler_change_takes_effect_at_next_event(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    r.react = react_switch_handler;
    assert_int_equal(usher_timer_set(e, 1, 1), USHER_OK);
    assert_int_equal(usher_timer_set(e, 2, 2), USHER_OK);
    assert_int_equal(usher_advance(e, 5), USHER_OK);
    assert_int_equal(r.count, 1); /* the second event was dropped: no handler */
    r.react = NULL;
    assert_int_equal(usher_set_event_handler(e, record_event, &r), USHER_OK);
    assert_int_equal(usher_timer_set(e, 3, 6), USHER_OK);
    assert_int_equal(usher_advance(e, 6), USHER_OK);
    assert_int_equal(r.count, 2);
    assert_timer_event(&r.seen[1], 3, 6);
    assert_int_equal(r.seen[1].seq, 3); /* the dropped event kept its number */
    usher_engine_free(e);
}

static void react_free(recorder *r, const usher_event *ev)
{
    (void)ev;
    uint64_t now;
    usher_engine_free(r->engine);
    usher_engine_free(r->engine); /* twice is still harmless while closing */
    assert_int_equal(usher_timer_set(r->engine, 99, 1), USHER_ECLOSED);
    assert_int_equal(usher_timer_cancel(r->engine, 2), USHER_ECLOSED);
    assert_int_equal(usher_timer_due(r->engine, 2, &now), USHER_ECLOSED);
    assert_int_equal(usher_advance(r->engine, 100), USHER_ECLOSED);
    assert_int_equal(usher_now(r->engine, &now), USHER_ECLOSED);
    assert_int_equal(usher_next_deadline(r->engine, &now), USHER_ECLOSED);
    assert_int_equal(usher_set_event_handler(r->engine, NULL, NULL), USHER_ECLOSED);
}

static void test_free_inside_callback_is_deferred(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.allocator = &ta.allocator;
    usher_engine *e = NULL;
    assert_int_equal(usher_engine_new(&cfg, &e), USHER_OK);
    recorder r;
    memset(&r, 0, sizeof r);
    r.engine = e;
    r.react = react_free;
    assert_int_equal(usher_set_event_handler(e, record_event, &r), USHER_OK);
    assert_int_equal(usher_timer_set(e, 1, 10), USHER_OK);
    assert_int_equal(usher_timer_set(e, 2, 10), USHER_OK);
    assert_int_equal(usher_advance(e, 20), USHER_OK);
    assert_int_equal(r.count, 1);   /* delivery stopped after the freeing callback */
    assert_int_equal(ta.live, 0);   /* and the engine is gone, nothing leaked */
}

/* ---- allocation failure -------------------------------------------------- */

/* The k-th allocation fails in create, timer growth and advance: every call
 * either succeeds or returns USHER_ENOMEM having changed nothing, and
 * nothing leaks. */
static void test_allocation_failure_sweep(void **state)
{
    (void)state;
    int failures_seen = 0;
    for (int k = 1;; k++) {
        test_allocator ta;
        test_allocator_init(&ta, k);
        usher_config cfg;
        usher_config_init(&cfg);
        cfg.allocator = &ta.allocator;
        usher_engine *e = NULL;
        usher_status st = usher_engine_new(&cfg, &e);
        if (st == USHER_ENOMEM) {
            assert_null(e);
            assert_int_equal(ta.live, 0);
            failures_seen++;
            continue;
        }
        assert_int_equal(st, USHER_OK);
        recorder r;
        memset(&r, 0, sizeof r);
        r.engine = e;
        assert_int_equal(usher_set_event_handler(e, record_event, &r), USHER_OK);

        uint64_t scheduled = 0;
        for (uint64_t id = 0; id < 40; id++) {
            st = usher_timer_set(e, id, 1000 + id);
            if (st == USHER_ENOMEM) {
                uint64_t due;
                assert_int_equal(usher_timer_due(e, id, &due), USHER_ENOTFOUND);
                failures_seen++;
                continue;
            }
            assert_int_equal(st, USHER_OK);
            scheduled++;
        }
        /* Advance until done; an ENOMEM stops the clock at the stuck deadline
         * and the next call resumes: every timer fires exactly once. */
        int tries = 0;
        while ((st = usher_advance(e, 5000)) == USHER_ENOMEM) {
            failures_seen++;
            assert_true(++tries < 100);
            ta.fail_at = 0; /* memory comes back */
        }
        assert_int_equal(st, USHER_OK);
        assert_int_equal((uint64_t)r.count > MAX_SEEN ? MAX_SEEN : (uint64_t)r.count,
                         scheduled > MAX_SEEN ? MAX_SEEN : scheduled);
        for (int i = 1; i < r.count; i++)
            assert_true(r.seen[i].time_ms > r.seen[i - 1].time_ms);
        usher_engine_free(e);
        assert_int_equal(ta.live, 0);
        if (!ta.failed)
            break; /* the k-th allocation was never reached: every point is covered */
    }
    assert_true(failures_seen > 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_status_values_are_fixed),
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_new_with_defaults),
        cmocka_unit_test(test_config_init),
        cmocka_unit_test(test_config_rejected),
        cmocka_unit_test(test_config_from_newer_host),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_timers_fire_in_deadline_order),
        cmocka_unit_test(test_timer_set_moves_cancel_removes),
        cmocka_unit_test(test_time_limits),
        cmocka_unit_test(test_time_never_goes_backwards),
        cmocka_unit_test(test_next_deadline),
        cmocka_unit_test(test_jump_of_a_year_fires_each_once_in_order),
        cmocka_unit_test(test_callback_reenters),
        cmocka_unit_test(test_events_raised_in_callbacks_follow_in_order),
        cmocka_unit_test(test_handler_change_takes_effect_at_next_event),
        cmocka_unit_test(test_free_inside_callback_is_deferred),
        cmocka_unit_test(test_allocation_failure_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
