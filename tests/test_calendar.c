/* Business-hours calendars (lib/tz.c, lib/tzif.c, lib/calendar.c,
 * lib/calendars.c): zone offsets against the C library, daylight-saving
 * changes inside and across open intervals, holidays, overnight shifts,
 * next-open, a randomized comparison of add/between with a minute-by-minute
 * reference, TZif input (real, truncated, mutated, hand-built), API errors
 * and allocation failure. Every expected instant below is written as a UTC
 * wall time, with the local time it stands for in a comment. */
#define _DEFAULT_SOURCE /* setenv, tzset, localtime_r, gmtime_r, tm_gmtoff, fork */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Random spans in the reference comparison (over all zones). */
#define SPANS (UNDER_ASAN ? 2000 : 10000)
/* Random schedules (each with its own holidays and window) per zone. */
#define CONFIGS_PER_ZONE (UNDER_ASAN ? 5 : 20)
/* Mutated and random TZif buffers. */
#define FUZZ_ROUNDS (UNDER_ASAN ? 600 : 3000)

#define OK(call) assert_int_equal((call), USHER_OK)
#define ST(call, status) assert_int_equal((call), (status))

#define MIN_MS UINT64_C(60000)
#define HOUR_MS UINT64_C(3600000)
#define DAY_MS UINT64_C(86400000)
#define WEEK_MINUTES 10080
#define TMAX USHER_CALENDAR_TIME_MAX
#define NEVER USHER_TIME_NEVER

/* ======================================================================
 * Civil time, computed here independently of lib/tz.c
 * ====================================================================== */

static int leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Days since 1970-01-01 of a proleptic Gregorian date: counted year by
 * year, month by month (slow, obviously right). */
static int64_t civil_days(int64_t y, unsigned m, unsigned d)
{
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t days = 0;
    for (int64_t k = 1970; k < y; k++)
        days += 365 + leap(k);
    for (int64_t k = y; k < 1970; k++)
        days -= 365 + leap(k);
    for (unsigned k = 1; k < m; k++)
        days += mdays[k - 1] + (k == 2 && leap(y));
    return days + d - 1;
}

/* The UTC instant (ms) of a UTC wall time. */
static uint64_t utc(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
    return (uint64_t)((civil_days(y, mo, d) * 1440 + h * 60 + mi) * 60000);
}

/* The civil date of a day number, through the C library. */
static void civil_from(int64_t days, int *y, int *m, int *d)
{
    time_t t = (time_t)(days * 86400);
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
}

/* Readable instants in failure messages (rotating static buffers). */
static const char *show(uint64_t ms)
{
    static char buf[4][80];
    static int next;
    char *s = buf[next++ % 4];
    if (ms == NEVER) {
        snprintf(s, 80, "NEVER");
        return s;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms < UINT64_C(100000000000) || ms > TMAX + DAY_MS * 400 || !gmtime_r(&t, &tm)) {
        /* a duration, or far out */
        snprintf(s, 80, "%llu", (unsigned long long)ms);
        return s;
    }
    snprintf(s, 80, "%llu (%04d-%02d-%02d %02d:%02d:%02d.%03u UTC)", (unsigned long long)ms,
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (unsigned)(ms % 1000));
    return s;
}

#define EQ(actual, expected) check_eq(__FILE__, __LINE__, #actual, (actual), (expected))
static void check_eq(const char *file, int line, const char *what, uint64_t actual,
                     uint64_t expected)
{
    if (actual != expected)
        fail_msg("%s:%d: %s = %s, expected %s", file, line, what, show(actual), show(expected));
}

/* ======================================================================
 * Engine and calendar helpers
 * ====================================================================== */

/* Engines and heap blocks a test holds are listed, so that the teardown
 * frees what a failing test leaves behind (no leak reports after a
 * failure). */
static usher_engine *open_engines[16];
static void *open_blocks[32];

static void keep_engine(usher_engine *e)
{
    for (int i = 0; i < 16; i++)
        if (!open_engines[i]) {
            open_engines[i] = e;
            return;
        }
    fail_msg("too many engines");
}

static void end_engine(usher_engine *e)
{
    for (int i = 0; i < 16; i++)
        if (open_engines[i] == e)
            open_engines[i] = NULL;
    usher_engine_free(e);
}

static void *keep_block(void *p)
{
    assert_non_null(p);
    for (int i = 0; i < 32; i++)
        if (!open_blocks[i]) {
            open_blocks[i] = p;
            return p;
        }
    fail_msg("too many blocks");
    return p;
}

static void end_block(void *p)
{
    for (int i = 0; i < 32; i++)
        if (open_blocks[i] == p)
            open_blocks[i] = NULL;
    free(p);
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 16; i++)
        if (open_engines[i])
            end_engine(open_engines[i]);
    for (int i = 0; i < 32; i++)
        if (open_blocks[i])
            end_block(open_blocks[i]);
    return 0;
}

static usher_engine *new_engine(void)
{
    usher_config cfg;
    usher_config_init(&cfg);
    usher_engine *e = NULL;
    OK(usher_engine_new(&cfg, &e));
    assert_non_null(e);
    keep_engine(e);
    return e;
}

static void add_cal(usher_engine *e, uint32_t id, const char *zone)
{
    usher_status st = usher_calendar_add(e, id, zone);
    if (st != USHER_OK)
        fail_msg("usher_calendar_add(%u, %s) = %d", id, zone, (int)st);
}

static void hours(usher_engine *e, uint32_t id, const usher_open_hours *h, size_t n)
{
    OK(usher_calendar_set_hours(e, id, h, n));
}

/* Monday to Friday, open .. close minutes. */
static void weekdays(usher_engine *e, uint32_t id, uint32_t open, uint32_t close)
{
    usher_open_hours h[5];
    for (uint32_t i = 0; i < 5; i++)
        h[i] = (usher_open_hours){i + 1, open, close};
    hours(e, id, h, 5);
}

/* Every day of the week, open .. close minutes. */
static void daily(usher_engine *e, uint32_t id, uint32_t open, uint32_t close)
{
    usher_open_hours h[7];
    for (uint32_t i = 0; i < 7; i++)
        h[i] = (usher_open_hours){i, open, close};
    hours(e, id, h, 7);
}

static void holiday(usher_engine *e, uint32_t id, uint32_t y, uint32_t m, uint32_t d,
                    uint32_t from, uint32_t to)
{
    OK(usher_calendar_add_holiday(e, id, y, m, d, from, to));
}

static uint64_t add_biz(const usher_engine *e, uint32_t id, uint64_t from, uint64_t biz)
{
    uint64_t due = 12345;
    OK(usher_calendar_add_business(e, id, from, biz, &due));
    return due;
}

static uint64_t between(const usher_engine *e, uint32_t id, uint64_t a, uint64_t b)
{
    uint64_t v = 12345;
    OK(usher_calendar_business_between(e, id, a, b, &v));
    return v;
}

static uint64_t next_open(const usher_engine *e, uint32_t id, uint64_t at)
{
    uint64_t v = 12345;
    OK(usher_calendar_next_open(e, id, at, &v));
    return v;
}

static const us_tz *zone_of(const usher_engine *e, uint32_t id)
{
    const us_calendar *c = us_calendar_find(e, id);
    assert_non_null(c);
    return &c->tz;
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    uint8_t *buf = keep_block(malloc(1 << 20));
    *size = fread(buf, 1, 1 << 20, f);
    fclose(f);
    assert_true(*size > 44 && *size < (1 << 20));
    return buf;
}

static uint8_t *read_zone_file(const char *zone, size_t *size)
{
    char path[512];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone);
    return read_file(path, size);
}

/* ======================================================================
 * 1. Offsets against the C library
 * ====================================================================== */

static long libc_offset(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    assert_non_null(localtime_r(&tt, &tm));
    return tm.tm_gmtoff;
}

static void check_offset_at(const char *zone, const us_tz *tz, int64_t t)
{
    long want = libc_offset(t);
    int32_t got = us_tz_offset(tz, t);
    if (got != want)
        fail_msg("%s at %s: us_tz_offset %d, localtime_r %ld", zone, show((uint64_t)t * 1000), got,
                 want);
}

/* Compares offsets from 1950 to 2200 (see below). Returns the library's
 * transitions in that range. */
static int compare_zone_offsets(const char *zone, uint64_t *rng)
{
    assert_int_equal(setenv("TZ", zone, 1), 0);
    tzset();
    usher_engine *e = new_engine();
    add_cal(e, 1, zone);
    const us_tz *tz = zone_of(e, 1);
    const int64_t first = civil_days(1950, 1, 1) * 86400, last = civil_days(2200, 1, 1) * 86400;

    /* Samples every three days at a random second: a missing or extra
     * change leaves months of disagreement. */
    long prev = libc_offset(first);
    check_offset_at(zone, tz, first);
    int libc_changes = 0;
    for (int64_t t = first; t < last; t += 3 * 86400) {
        int64_t at = t + (int64_t)test_rand_below(rng, 3 * 86400);
        long now = libc_offset(at);
        check_offset_at(zone, tz, at);
        libc_changes += now != prev;
        prev = now;
    }
    /* Each of the library's transitions to the second: if one were
     * misplaced, the C library would disagree on one side of it. */
    int transitions = 0;
    for (int64_t t = us_tz_next_transition(tz, first); t <= last;
         t = us_tz_next_transition(tz, t)) {
        check_offset_at(zone, tz, t - 1);
        check_offset_at(zone, tz, t);
        check_offset_at(zone, tz, t + 1);
        transitions++;
    }
    assert_true(transitions >= libc_changes);
    end_engine(e);
    return transitions;
}

static void test_offsets_match_libc(void **state)
{
    (void)state;
    uint64_t rng = 1;
    const char *saved = getenv("TZ");
    char *saved_copy = saved ? strdup(saved) : NULL;
    /* 1980 .. 2199: two changes a year (Berlin, New York from 1950 on). */
    assert_true(compare_zone_offsets("Europe/Berlin", &rng) >= 440);
    assert_true(compare_zone_offsets("America/New_York", &rng) >= 490);
    assert_true(compare_zone_offsets("Australia/Sydney", &rng) >= 440);
    assert_true(compare_zone_offsets("Europe/Dublin", &rng) >= 440);
    assert_int_equal(compare_zone_offsets("Asia/Kolkata", &rng), 0);
    if (saved_copy) {
        setenv("TZ", saved_copy, 1);
        free(saved_copy);
    } else {
        unsetenv("TZ");
    }
    tzset();

    /* A few values known by heart, inside and beyond the explicit data
     * (the fat files list transitions up to 2037; the footer rule after). */
    usher_engine *e = new_engine();
    add_cal(e, 1, "Europe/Berlin");
    add_cal(e, 2, "America/New_York");
    add_cal(e, 3, "Australia/Sydney");
    add_cal(e, 4, "Europe/Dublin");
    add_cal(e, 5, "Asia/Kolkata");
    for (int64_t y = 2024; y <= 2150; y += 126) {
        int64_t jan = civil_days(y, 1, 15) * 86400, jul = civil_days(y, 7, 15) * 86400;
        assert_int_equal(us_tz_offset(zone_of(e, 1), jan), 3600);
        assert_int_equal(us_tz_offset(zone_of(e, 1), jul), 7200);
        assert_int_equal(us_tz_offset(zone_of(e, 2), jan), -18000);
        assert_int_equal(us_tz_offset(zone_of(e, 2), jul), -14400);
        assert_int_equal(us_tz_offset(zone_of(e, 3), jan), 39600);
        assert_int_equal(us_tz_offset(zone_of(e, 3), jul), 36000);
        assert_int_equal(us_tz_offset(zone_of(e, 4), jan), 0);
        assert_int_equal(us_tz_offset(zone_of(e, 4), jul), 3600);
        assert_int_equal(us_tz_offset(zone_of(e, 5), jan), 19800);
        assert_int_equal(us_tz_offset(zone_of(e, 5), jul), 19800);
    }
    /* Berlin 2150: DST from Sunday 2150-03-29 01:00 UTC to Sunday
     * 2150-10-25 01:00 UTC (last Sundays of March and October). */
    const us_tz *berlin = zone_of(e, 1);
    int64_t spring = civil_days(2150, 3, 29) * 86400 + 3600;
    int64_t fall = civil_days(2150, 10, 25) * 86400 + 3600;
    assert_int_equal(us_tz_offset(berlin, spring - 1), 3600);
    assert_int_equal(us_tz_offset(berlin, spring), 7200);
    assert_int_equal(us_tz_offset(berlin, fall - 1), 7200);
    assert_int_equal(us_tz_offset(berlin, fall), 3600);
    assert_int_equal(us_tz_next_transition(berlin, spring - 1), spring);
    assert_int_equal(us_tz_next_transition(berlin, spring), fall);
    /* Dublin's footer "IST-1GMT0,M10.5.0,M3.5.0/1": winter time is the
     * "daylight" time, one hour behind standard. 2150-03-29 01:00 UTC
     * starts IST, 2150-10-25 01:00 UTC ends it. */
    const us_tz *dublin = zone_of(e, 4);
    assert_true(dublin->has_rule && dublin->rule.has_dst);
    assert_int_equal(dublin->rule.std_offset, 3600);
    assert_int_equal(dublin->rule.dst_offset, 0);
    assert_int_equal(us_tz_offset(dublin, spring - 1), 0);
    assert_int_equal(us_tz_offset(dublin, spring), 3600);
    assert_int_equal(us_tz_offset(dublin, fall - 1), 3600);
    assert_int_equal(us_tz_offset(dublin, fall), 0);
    end_engine(e);
}

/* ======================================================================
 * 2. Daylight-saving changes
 * ====================================================================== */

/* Europe/Berlin 2024: Sunday 31 March, 02:00 CET -> 03:00 CEST at 01:00
 * UTC (1711846800 s); Sunday 27 October, 03:00 CEST -> 02:00 CET at 01:00
 * UTC (1729990800 s). */
static void test_dst_berlin(void **state)
{
    (void)state;
    usher_engine *e = new_engine();
    assert_int_equal(utc(2024, 3, 31, 1, 0), UINT64_C(1711846800000));
    assert_int_equal(utc(2024, 10, 27, 1, 0), UINT64_C(1729990800000));

    /* Calendar 1: Sundays 00:00-06:00 local. */
    add_cal(e, 1, "Europe/Berlin");
    usher_open_hours sunday_night = {0, 0, 360};
    hours(e, 1, &sunday_night, 1);
    /* An ordinary Sunday, 2024-03-24: 00:00 CET = Sat 23:00 UTC to 06:00
     * CET = 05:00 UTC: 6 h. */
    EQ(between(e, 1, utc(2024, 3, 23, 0, 0), utc(2024, 3, 25, 0, 0)), 6 * HOUR_MS);
    EQ(next_open(e, 1, utc(2024, 3, 23, 12, 0)), utc(2024, 3, 23, 23, 0));
    /* Spring forward: 00:00 CET = Sat 23:00 UTC to 06:00 CEST = 04:00 UTC:
     * 5 h. */
    EQ(between(e, 1, utc(2024, 3, 30, 0, 0), utc(2024, 4, 1, 0, 0)), 5 * HOUR_MS);
    EQ(next_open(e, 1, utc(2024, 3, 30, 12, 0)), utc(2024, 3, 30, 23, 0));
    EQ(add_biz(e, 1, utc(2024, 3, 30, 23, 0), 5 * HOUR_MS), utc(2024, 3, 31, 4, 0));
    /* Two open hours after 00:00 CET it is 02:00 CET = 03:00 CEST = 01:00
     * UTC, the jump. */
    EQ(add_biz(e, 1, utc(2024, 3, 30, 23, 0), 2 * HOUR_MS), utc(2024, 3, 31, 1, 0));
    EQ(add_biz(e, 1, utc(2024, 3, 30, 23, 0), 2 * HOUR_MS + 1), utc(2024, 3, 31, 1, 0) + 1);
    /* 5 h + 1 ms: the next Sunday (2024-04-07 00:00 CEST = Sat 22:00 UTC). */
    EQ(add_biz(e, 1, utc(2024, 3, 30, 23, 0), 5 * HOUR_MS + 1), utc(2024, 4, 6, 22, 0) + 1);
    /* Fall back: 00:00 CEST = Sat 22:00 UTC to 06:00 CET = 05:00 UTC: 7 h. */
    EQ(between(e, 1, utc(2024, 10, 26, 0, 0), utc(2024, 10, 28, 0, 0)), 7 * HOUR_MS);
    EQ(next_open(e, 1, utc(2024, 10, 26, 12, 0)), utc(2024, 10, 26, 22, 0));
    EQ(add_biz(e, 1, utc(2024, 10, 26, 22, 0), 7 * HOUR_MS), utc(2024, 10, 27, 5, 0));
    /* Three open hours: 03:00 CEST is the change (01:00 UTC); four: the
     * second 02:00 ... 03:00 CET = 02:00 UTC. */
    EQ(add_biz(e, 1, utc(2024, 10, 26, 22, 0), 3 * HOUR_MS), utc(2024, 10, 27, 1, 0));
    EQ(add_biz(e, 1, utc(2024, 10, 26, 22, 0), 4 * HOUR_MS), utc(2024, 10, 27, 2, 0));

    /* Calendar 2: Sundays 00:00-02:30 and 02:30-03:30 (touching). On the
     * fall-back night the first ends at the first 02:30 (CEST, 00:30 UTC)
     * and the second runs to 03:30 CET (02:30 UTC): 2.5 h + 2 h. */
    add_cal(e, 2, "Europe/Berlin");
    usher_open_hours split[2] = {{0, 0, 150}, {0, 150, 210}};
    hours(e, 2, split, 2);
    EQ(between(e, 2, utc(2024, 10, 26, 0, 0), utc(2024, 10, 27, 0, 30)), 150 * MIN_MS);
    EQ(between(e, 2, utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 0, 0)), 2 * HOUR_MS);
    EQ(add_biz(e, 2, utc(2024, 10, 26, 22, 0), 270 * MIN_MS), utc(2024, 10, 27, 2, 30));
    /* On the spring night 02:30 does not exist: the second interval opens
     * at 03:00 CEST = 01:00 UTC and closes at 03:30 CEST = 01:30 UTC; the
     * first runs from 23:00 UTC to the jump. */
    EQ(between(e, 2, utc(2024, 3, 30, 0, 0), utc(2024, 4, 1, 0, 0)), 150 * MIN_MS);
    EQ(add_biz(e, 2, utc(2024, 3, 30, 23, 0), 2 * HOUR_MS + 30 * MIN_MS), utc(2024, 3, 31, 1, 30));

    /* Calendar 3: Sundays 02:30-04:00: spring opens at the end of the gap
     * (01:00 UTC) and closes at 04:00 CEST (02:00 UTC). */
    add_cal(e, 3, "Europe/Berlin");
    usher_open_hours in_gap = {0, 150, 240};
    hours(e, 3, &in_gap, 1);
    EQ(next_open(e, 3, utc(2024, 3, 31, 0, 0)), utc(2024, 3, 31, 1, 0));
    EQ(between(e, 3, utc(2024, 3, 31, 0, 0), utc(2024, 3, 31, 12, 0)), HOUR_MS);
    /* Fall: 02:30 first occurs at 00:30 UTC, 04:00 CET is 03:00 UTC. */
    EQ(between(e, 3, utc(2024, 10, 27, 0, 0), utc(2024, 10, 27, 12, 0)), 150 * MIN_MS);

    /* Calendar 4: every day 08:00-17:00: 9 h on each local day around
     * both changes. Local midnights in UTC: 23:00 the day before in CET,
     * 22:00 in CEST. */
    add_cal(e, 4, "Europe/Berlin");
    daily(e, 4, 480, 1020);
    const uint64_t spring_midnights[] = {utc(2024, 3, 28, 23, 0), utc(2024, 3, 29, 23, 0),
                                         utc(2024, 3, 30, 23, 0), utc(2024, 3, 31, 22, 0),
                                         utc(2024, 4, 1, 22, 0)};
    const uint64_t fall_midnights[] = {utc(2024, 10, 24, 22, 0), utc(2024, 10, 25, 22, 0),
                                       utc(2024, 10, 26, 22, 0), utc(2024, 10, 27, 23, 0),
                                       utc(2024, 10, 28, 23, 0)};
    for (int i = 0; i < 4; i++) {
        EQ(between(e, 4, spring_midnights[i], spring_midnights[i + 1]), 9 * HOUR_MS);
        EQ(between(e, 4, fall_midnights[i], fall_midnights[i + 1]), 9 * HOUR_MS);
    }
    EQ(between(e, 4, spring_midnights[0], spring_midnights[4]), 36 * HOUR_MS);
    EQ(between(e, 4, fall_midnights[0], fall_midnights[4]), 36 * HOUR_MS);
    /* Saturday 30 March opens 08:00 CET = 07:00 UTC, Sunday 31 March
     * 08:00 CEST = 06:00 UTC; Sunday 27 October 08:00 CET = 07:00 UTC. */
    EQ(next_open(e, 4, utc(2024, 3, 30, 0, 0)), utc(2024, 3, 30, 7, 0));
    EQ(next_open(e, 4, utc(2024, 3, 31, 0, 0)), utc(2024, 3, 31, 6, 0));
    EQ(next_open(e, 4, utc(2024, 10, 27, 0, 0)), utc(2024, 10, 27, 7, 0));
    /* Saturday 16:00 CET (15:00 UTC) + 2 h: 1 h to 17:00 CET, then Sunday
     * 08:00 CEST (06:00 UTC) + 1 h. */
    EQ(add_biz(e, 4, utc(2024, 3, 30, 15, 0), 2 * HOUR_MS), utc(2024, 3, 31, 7, 0));
    /* Saturday 16:00 CEST (14:00 UTC) + 2 h: Sunday 09:00 CET (08:00 UTC). */
    EQ(add_biz(e, 4, utc(2024, 10, 26, 14, 0), 2 * HOUR_MS), utc(2024, 10, 27, 8, 0));

    /* Calendar 5: Monday to Friday 08:00-17:00. Friday 29 March 16:00 CET
     * (15:00 UTC) + 2 h = Monday 1 April 09:00 CEST (07:00 UTC); Friday
     * 25 October 16:00 CEST (14:00 UTC) + 2 h = Monday 28 October 09:00
     * CET (08:00 UTC). */
    add_cal(e, 5, "Europe/Berlin");
    weekdays(e, 5, 480, 1020);
    EQ(add_biz(e, 5, utc(2024, 3, 29, 15, 0), 2 * HOUR_MS), utc(2024, 4, 1, 7, 0));
    EQ(add_biz(e, 5, utc(2024, 10, 25, 14, 0), 2 * HOUR_MS), utc(2024, 10, 28, 8, 0));
    EQ(between(e, 5, utc(2024, 3, 29, 15, 0), utc(2024, 4, 1, 7, 0)), 2 * HOUR_MS);
    /* A whole week across the change: 45 h. */
    EQ(between(e, 5, utc(2024, 3, 25, 0, 0), utc(2024, 4, 1, 0, 0)), 45 * HOUR_MS);
    /* 1 h on Friday and the whole next week: Friday 5 April 17:00 CEST. */
    EQ(add_biz(e, 5, utc(2024, 3, 29, 15, 0), 46 * HOUR_MS), utc(2024, 4, 5, 15, 0));
    EQ(add_biz(e, 5, utc(2024, 3, 29, 15, 0), 46 * HOUR_MS + 1), utc(2024, 4, 8, 6, 0) + 1);
    end_engine(e);
}

/* America/New_York 2024: Sunday 10 March, 02:00 EST -> 03:00 EDT at 07:00
 * UTC (1710054000 s); Sunday 3 November, 02:00 EDT -> 01:00 EST at 06:00
 * UTC (1730613600 s). */
static void test_dst_new_york(void **state)
{
    (void)state;
    usher_engine *e = new_engine();
    assert_int_equal(utc(2024, 3, 10, 7, 0), UINT64_C(1710054000000));
    assert_int_equal(utc(2024, 11, 3, 6, 0), UINT64_C(1730613600000));

    /* Sundays 00:00-06:00: spring 00:00 EST (05:00 UTC) to 06:00 EDT
     * (10:00 UTC) = 5 h; fall 00:00 EDT (04:00 UTC) to 06:00 EST (11:00
     * UTC) = 7 h. */
    add_cal(e, 1, "America/New_York");
    usher_open_hours sunday_night = {0, 0, 360};
    hours(e, 1, &sunday_night, 1);
    EQ(between(e, 1, utc(2024, 3, 9, 0, 0), utc(2024, 3, 11, 0, 0)), 5 * HOUR_MS);
    EQ(between(e, 1, utc(2024, 11, 2, 0, 0), utc(2024, 11, 4, 0, 0)), 7 * HOUR_MS);
    EQ(between(e, 1, utc(2024, 3, 16, 0, 0), utc(2024, 3, 18, 0, 0)), 6 * HOUR_MS);

    /* Saturday 22:00 - Sunday 06:00 (overnight, wrapping the week). */
    add_cal(e, 2, "America/New_York");
    usher_open_hours sat_night = {6, 1320, 1800};
    hours(e, 2, &sat_night, 1);
    /* Spring: 22:00 EST = Sunday 03:00 UTC to 06:00 EDT = 10:00 UTC: 7 h.
     * Four open hours reach 02:00 EST = 03:00 EDT = 07:00 UTC. */
    EQ(between(e, 2, utc(2024, 3, 9, 0, 0), utc(2024, 3, 11, 0, 0)), 7 * HOUR_MS);
    EQ(next_open(e, 2, utc(2024, 3, 9, 12, 0)), utc(2024, 3, 10, 3, 0));
    EQ(add_biz(e, 2, utc(2024, 3, 10, 3, 0), 4 * HOUR_MS), utc(2024, 3, 10, 7, 0));
    EQ(add_biz(e, 2, utc(2024, 3, 10, 3, 0), 4 * HOUR_MS + 30 * MIN_MS),
       utc(2024, 3, 10, 7, 30));
    EQ(add_biz(e, 2, utc(2024, 3, 10, 3, 0), 7 * HOUR_MS), utc(2024, 3, 10, 10, 0));
    /* Fall: 22:00 EDT = Sunday 02:00 UTC to 06:00 EST = 11:00 UTC: 9 h.
     * 3.5 h: the first 01:30 (EDT, 05:30 UTC); 4.5 h: the second 01:30
     * (EST, 06:30 UTC). */
    EQ(between(e, 2, utc(2024, 11, 2, 0, 0), utc(2024, 11, 4, 0, 0)), 9 * HOUR_MS);
    EQ(add_biz(e, 2, utc(2024, 11, 3, 2, 0), 210 * MIN_MS), utc(2024, 11, 3, 5, 30));
    EQ(add_biz(e, 2, utc(2024, 11, 3, 2, 0), 270 * MIN_MS), utc(2024, 11, 3, 6, 30));
    EQ(add_biz(e, 2, utc(2024, 11, 3, 2, 0), 9 * HOUR_MS), utc(2024, 11, 3, 11, 0));
    /* The week after: 8 h again (22:00 EST = 03:00 UTC). */
    EQ(between(e, 2, utc(2024, 11, 9, 0, 0), utc(2024, 11, 11, 0, 0)), 8 * HOUR_MS);

    /* Sundays 01:00-01:30 end the first time the clock reads 01:30: on 3
     * November 05:00-05:30 UTC only. */
    add_cal(e, 3, "America/New_York");
    usher_open_hours early = {0, 60, 90};
    hours(e, 3, &early, 1);
    EQ(between(e, 3, utc(2024, 11, 3, 0, 0), utc(2024, 11, 4, 0, 0)), 30 * MIN_MS);
    EQ(next_open(e, 3, utc(2024, 11, 3, 5, 30)), utc(2024, 11, 10, 6, 0));

    /* Every day 08:00-17:00: 9 h on each local day (local midnights: 05:00
     * UTC in EST, 04:00 UTC in EDT). */
    add_cal(e, 4, "America/New_York");
    daily(e, 4, 480, 1020);
    const uint64_t spring_midnights[] = {utc(2024, 3, 8, 5, 0), utc(2024, 3, 9, 5, 0),
                                         utc(2024, 3, 10, 5, 0), utc(2024, 3, 11, 4, 0),
                                         utc(2024, 3, 12, 4, 0)};
    const uint64_t fall_midnights[] = {utc(2024, 11, 1, 4, 0), utc(2024, 11, 2, 4, 0),
                                       utc(2024, 11, 3, 4, 0), utc(2024, 11, 4, 5, 0),
                                       utc(2024, 11, 5, 5, 0)};
    for (int i = 0; i < 4; i++) {
        EQ(between(e, 4, spring_midnights[i], spring_midnights[i + 1]), 9 * HOUR_MS);
        EQ(between(e, 4, fall_midnights[i], fall_midnights[i + 1]), 9 * HOUR_MS);
    }
    /* Sunday 10 March opens 08:00 EDT = 12:00 UTC; Sunday 3 November
     * 08:00 EST = 13:00 UTC. */
    EQ(next_open(e, 4, utc(2024, 3, 10, 5, 0)), utc(2024, 3, 10, 12, 0));
    EQ(next_open(e, 4, utc(2024, 11, 3, 4, 0)), utc(2024, 11, 3, 13, 0));

    /* Monday to Friday 09:00-17:00: Friday 8 March 16:00 EST (21:00 UTC)
     * + 2 h = Monday 11 March 10:00 EDT (14:00 UTC); Friday 1 November
     * 16:00 EDT (20:00 UTC) + 2 h = Monday 4 November 10:00 EST (15:00
     * UTC). */
    add_cal(e, 5, "America/New_York");
    weekdays(e, 5, 540, 1020);
    EQ(add_biz(e, 5, utc(2024, 3, 8, 21, 0), 2 * HOUR_MS), utc(2024, 3, 11, 14, 0));
    EQ(add_biz(e, 5, utc(2024, 11, 1, 20, 0), 2 * HOUR_MS), utc(2024, 11, 4, 15, 0));
    EQ(between(e, 5, utc(2024, 11, 1, 20, 0), utc(2024, 11, 4, 15, 0)), 2 * HOUR_MS);
    end_engine(e);
}

/* ======================================================================
 * 3. Holidays
 * ====================================================================== */

static void test_holidays(void **state)
{
    (void)state;
    usher_engine *e = new_engine();
    /* Europe/Berlin in January 2024 (CET, UTC+1), Monday to Friday
     * 09:00-17:00 = 08:00-16:00 UTC. Friday 5 January 15:00 CET = 14:00
     * UTC (1704463200 s); Monday 8 January is a holiday. */
    assert_int_equal(utc(2024, 1, 5, 14, 0), UINT64_C(1704463200000));
    add_cal(e, 1, "Europe/Berlin");
    weekdays(e, 1, 540, 1020);
    add_cal(e, 2, "Europe/Berlin"); /* the same without holidays */
    weekdays(e, 2, 540, 1020);
    holiday(e, 1, 2024, 1, 8, 0, 1440);
    const uint64_t fri = utc(2024, 1, 5, 14, 0);
    /* 2 h on Friday, 8 h Tuesday, 8 h Wednesday: 18 h end at Wednesday
     * 17:00 CET (16:00 UTC) exactly - the end of that day's hours, not
     * Thursday's opening. 24 h: 6 h into Thursday, 15:00 CET. */
    EQ(add_biz(e, 1, fri, 18 * HOUR_MS), utc(2024, 1, 10, 16, 0));
    EQ(add_biz(e, 1, fri, 24 * HOUR_MS), utc(2024, 1, 11, 14, 0));
    EQ(add_biz(e, 1, fri, 18 * HOUR_MS + 1), utc(2024, 1, 11, 8, 0) + 1);
    EQ(between(e, 1, fri, utc(2024, 1, 10, 16, 0)), 18 * HOUR_MS);
    EQ(between(e, 1, fri, utc(2024, 1, 11, 14, 0)), 24 * HOUR_MS);
    /* Without the holiday: Tuesday 17:00 and Wednesday 15:00 CET. */
    EQ(add_biz(e, 2, fri, 18 * HOUR_MS), utc(2024, 1, 9, 16, 0));
    EQ(add_biz(e, 2, fri, 24 * HOUR_MS), utc(2024, 1, 10, 14, 0));
    /* Friday 18:00 CET: next open is Tuesday 09:00 CET (08:00 UTC). */
    EQ(next_open(e, 1, utc(2024, 1, 5, 17, 0)), utc(2024, 1, 9, 8, 0));
    EQ(next_open(e, 2, utc(2024, 1, 5, 17, 0)), utc(2024, 1, 8, 8, 0));
    EQ(between(e, 1, utc(2024, 1, 8, 0, 0), utc(2024, 1, 9, 0, 0)), 0);

    /* A partial holiday: Tuesday 16 January closed 12:00-14:00 CET. */
    holiday(e, 1, 2024, 1, 16, 720, 840);
    EQ(between(e, 1, utc(2024, 1, 15, 23, 0), utc(2024, 1, 16, 23, 0)), 6 * HOUR_MS);
    /* 11:00 CET (10:00 UTC) + 2 h: 1 h to 12:00, closed, 14:00-15:00 CET. */
    EQ(add_biz(e, 1, utc(2024, 1, 16, 10, 0), 2 * HOUR_MS), utc(2024, 1, 16, 14, 0));
    EQ(add_biz(e, 1, utc(2024, 1, 16, 10, 0), HOUR_MS), utc(2024, 1, 16, 11, 0));
    EQ(next_open(e, 1, utc(2024, 1, 16, 11, 30)), utc(2024, 1, 16, 13, 0));
    EQ(next_open(e, 1, utc(2024, 1, 16, 11, 0)), utc(2024, 1, 16, 13, 0));
    EQ(next_open(e, 1, utc(2024, 1, 16, 11, 0) - 1), utc(2024, 1, 16, 11, 0) - 1);

    /* Overlapping holidays add up: Wednesday 17 January closed 10:00-12:00
     * and 11:00-15:00 = 10:00-15:00: open 09:00-10:00 and 15:00-17:00. */
    holiday(e, 1, 2024, 1, 17, 660, 900);
    holiday(e, 1, 2024, 1, 17, 600, 720);
    EQ(between(e, 1, utc(2024, 1, 16, 23, 0), utc(2024, 1, 17, 23, 0)), 3 * HOUR_MS);
    EQ(add_biz(e, 1, utc(2024, 1, 17, 8, 0), HOUR_MS + 1), utc(2024, 1, 17, 14, 0) + 1);
    /* Thursday 18: a whole day and a part of it: closed. */
    holiday(e, 1, 2024, 1, 18, 600, 660);
    holiday(e, 1, 2024, 1, 18, 0, 1440);
    holiday(e, 1, 2024, 1, 18, 700, 800);
    EQ(between(e, 1, utc(2024, 1, 17, 23, 0), utc(2024, 1, 18, 23, 0)), 0);
    /* Friday 19: touching 10:00-11:00 and 11:00-12:00, and 16:00-18:00
     * reaching past closing: open 09:00-10:00 and 12:00-16:00 = 5 h. */
    holiday(e, 1, 2024, 1, 19, 600, 660);
    holiday(e, 1, 2024, 1, 19, 960, 1080);
    holiday(e, 1, 2024, 1, 19, 660, 720);
    EQ(between(e, 1, utc(2024, 1, 18, 23, 0), utc(2024, 1, 19, 23, 0)), 5 * HOUR_MS);
    const us_calendar *c = us_calendar_find(e, 1);
    assert_non_null(c);
    /* 8 Jan, 16 Jan, 17 Jan (merged), 18 Jan (merged), 19 Jan x2. */
    assert_int_equal(c->holiday_count, 6);
    /* The whole week of 15 January: 8 + 6 + 3 + 0 + 5 = 22 h. */
    EQ(between(e, 1, utc(2024, 1, 14, 23, 0), utc(2024, 1, 21, 23, 0)), 22 * HOUR_MS);

    /* A holiday inside an overnight interval's second half: Friday
     * 22:00 - Saturday 06:00, Saturday 20 January closed 02:00-04:00: open
     * Friday 21:00 UTC - Saturday 01:00 UTC and 03:00-05:00 UTC = 6 h. */
    add_cal(e, 3, "Europe/Berlin");
    usher_open_hours fri_night = {5, 1320, 1800};
    hours(e, 3, &fri_night, 1);
    holiday(e, 3, 2024, 1, 20, 120, 240);
    EQ(between(e, 3, utc(2024, 1, 19, 0, 0), utc(2024, 1, 21, 0, 0)), 6 * HOUR_MS);
    EQ(add_biz(e, 3, utc(2024, 1, 19, 21, 0), 4 * HOUR_MS), utc(2024, 1, 20, 1, 0));
    EQ(add_biz(e, 3, utc(2024, 1, 19, 21, 0), 4 * HOUR_MS + 1), utc(2024, 1, 20, 3, 0) + 1);
    EQ(next_open(e, 3, utc(2024, 1, 20, 2, 0)), utc(2024, 1, 20, 3, 0));
    /* Friday 26 January a holiday: only its own day closes; the part
     * after midnight (Saturday 00:00-06:00 CET) stays open. */
    holiday(e, 3, 2024, 1, 26, 0, 1440);
    EQ(between(e, 3, utc(2024, 1, 26, 0, 0), utc(2024, 1, 28, 0, 0)), 6 * HOUR_MS);
    EQ(next_open(e, 3, utc(2024, 1, 26, 12, 0)), utc(2024, 1, 26, 23, 0));
    /* A new calendar is open all week; holidays still close it. */
    add_cal(e, 4, "Europe/Berlin");
    holiday(e, 4, 2024, 1, 10, 0, 1440);
    holiday(e, 4, 2024, 1, 11, 600, 610);
    EQ(between(e, 4, utc(2024, 1, 9, 23, 0), utc(2024, 1, 11, 23, 0)), 1430 * MIN_MS);
    EQ(next_open(e, 4, utc(2024, 1, 10, 5, 0)), utc(2024, 1, 10, 23, 0));
    end_engine(e);
}

/* ======================================================================
 * 4. Overnight shifts
 * ====================================================================== */

static void test_overnight(void **state)
{
    (void)state;
    usher_engine *e = new_engine();
    /* Europe/Berlin, January 2024 (CET, UTC+1). Friday 22:00 - Saturday
     * 06:00: Friday 12 January 21:00 UTC to Saturday 05:00 UTC. */
    add_cal(e, 1, "Europe/Berlin");
    usher_open_hours fri_night = {5, 1320, 1800};
    hours(e, 1, &fri_night, 1);
    EQ(between(e, 1, utc(2024, 1, 8, 0, 0), utc(2024, 1, 15, 0, 0)), 8 * HOUR_MS);
    EQ(next_open(e, 1, utc(2024, 1, 12, 20, 0)), utc(2024, 1, 12, 21, 0));
    EQ(next_open(e, 1, utc(2024, 1, 13, 0, 0)), utc(2024, 1, 13, 0, 0));
    EQ(add_biz(e, 1, utc(2024, 1, 12, 20, 0), HOUR_MS), utc(2024, 1, 12, 22, 0));
    EQ(add_biz(e, 1, utc(2024, 1, 12, 20, 0), 3 * HOUR_MS), utc(2024, 1, 13, 0, 0));
    EQ(add_biz(e, 1, utc(2024, 1, 12, 20, 0), 8 * HOUR_MS), utc(2024, 1, 13, 5, 0));
    /* 8 h that night, 1 h into the next Friday night (19 January 22:00
     * CET = 21:00 UTC). */
    EQ(add_biz(e, 1, utc(2024, 1, 12, 20, 0), 9 * HOUR_MS), utc(2024, 1, 19, 22, 0));
    EQ(between(e, 1, utc(2024, 1, 12, 23, 30), utc(2024, 1, 13, 1, 15)), 105 * MIN_MS);
    /* Four weeks in winter: 32 h; 10 weeks: 80 h. */
    EQ(between(e, 1, utc(2024, 1, 8, 0, 0), utc(2024, 2, 5, 0, 0)), 32 * HOUR_MS);
    EQ(between(e, 1, utc(2023, 11, 6, 0, 0), utc(2024, 1, 15, 0, 0)), 80 * HOUR_MS);
    EQ(add_biz(e, 1, utc(2024, 1, 8, 0, 0), 32 * HOUR_MS), utc(2024, 2, 3, 5, 0));

    /* Saturday 22:00 - Sunday 06:00 across the week's end: Saturday 13
     * January 21:00 UTC to Sunday 14 January 05:00 UTC. */
    add_cal(e, 2, "Europe/Berlin");
    usher_open_hours sat_night = {6, 1320, 1800};
    hours(e, 2, &sat_night, 1);
    EQ(between(e, 2, utc(2024, 1, 12, 23, 0), utc(2024, 1, 14, 23, 0)), 8 * HOUR_MS);
    /* Sunday alone (00:00-24:00 CET): its 00:00-06:00 part. */
    EQ(between(e, 2, utc(2024, 1, 13, 23, 0), utc(2024, 1, 14, 23, 0)), 6 * HOUR_MS);
    EQ(next_open(e, 2, utc(2024, 1, 14, 6, 0)), utc(2024, 1, 20, 21, 0));
    EQ(next_open(e, 2, utc(2024, 1, 14, 4, 59)), utc(2024, 1, 14, 4, 59));
    /* Sunday 05:00 CET (04:00 UTC) + 2 h: 1 h to 06:00, then Saturday 20
     * January 22:00 CET + 1 h = 22:00 UTC. */
    EQ(add_biz(e, 2, utc(2024, 1, 14, 4, 0), 2 * HOUR_MS), utc(2024, 1, 20, 22, 0));
    EQ(between(e, 2, utc(2024, 1, 14, 4, 0), utc(2024, 1, 20, 22, 0)), 2 * HOUR_MS);

    /* Both, with touching neighbours: Friday 22:00 - Saturday 06:00,
     * Saturday 06:00-10:00, Saturday 22:00 - Sunday 06:00, Sunday
     * 06:00-08:00: 8 + 4 + 8 + 2 = 22 h a week. */
    add_cal(e, 3, "Europe/Berlin");
    usher_open_hours four[4] = {{5, 1320, 1800}, {6, 360, 600}, {6, 1320, 1800}, {0, 360, 480}};
    hours(e, 3, four, 4);
    EQ(between(e, 3, utc(2024, 1, 8, 0, 0), utc(2024, 1, 15, 0, 0)), 22 * HOUR_MS);
    EQ(between(e, 3, utc(2024, 1, 8, 0, 0), utc(2024, 2, 5, 0, 0)), 88 * HOUR_MS);
    /* Friday 22:00 CET + 12 h runs through to Saturday 10:00 CET. */
    EQ(add_biz(e, 3, utc(2024, 1, 12, 21, 0), 12 * HOUR_MS), utc(2024, 1, 13, 9, 0));
    EQ(add_biz(e, 3, utc(2024, 1, 13, 21, 0), 10 * HOUR_MS), utc(2024, 1, 14, 7, 0));
    EQ(next_open(e, 3, utc(2024, 1, 14, 7, 0)), utc(2024, 1, 19, 21, 0));

    /* A 24-hour interval from Wednesday 12:00 to Thursday 12:00. */
    add_cal(e, 4, "Europe/Berlin");
    usher_open_hours full = {3, 720, 2160};
    hours(e, 4, &full, 1);
    EQ(between(e, 4, utc(2024, 1, 8, 0, 0), utc(2024, 1, 15, 0, 0)), 24 * HOUR_MS);
    EQ(add_biz(e, 4, utc(2024, 1, 8, 0, 0), 24 * HOUR_MS), utc(2024, 1, 11, 11, 0));
    end_engine(e);
}

/* ======================================================================
 * 5. Next open
 * ====================================================================== */

static void test_next_open(void **state)
{
    (void)state;
    usher_engine *e = new_engine();
    add_cal(e, 1, "Europe/Berlin");
    weekdays(e, 1, 540, 1020); /* 08:00-16:00 UTC in January */
    holiday(e, 1, 2024, 1, 8, 0, 1440);
    /* Open: the instant itself, from the opening ms to the last ms. */
    EQ(next_open(e, 1, utc(2024, 1, 5, 10, 0)), utc(2024, 1, 5, 10, 0));
    EQ(next_open(e, 1, utc(2024, 1, 5, 8, 0)), utc(2024, 1, 5, 8, 0));
    EQ(next_open(e, 1, utc(2024, 1, 5, 16, 0) - 1), utc(2024, 1, 5, 16, 0) - 1);
    EQ(next_open(e, 1, utc(2024, 1, 5, 8, 0) - 1), utc(2024, 1, 5, 8, 0));
    /* Closing is exclusive: across the weekend and Monday's holiday. */
    EQ(next_open(e, 1, utc(2024, 1, 5, 16, 0)), utc(2024, 1, 9, 8, 0));
    EQ(next_open(e, 1, utc(2024, 1, 6, 12, 0)), utc(2024, 1, 9, 8, 0));
    EQ(next_open(e, 1, utc(2024, 1, 8, 9, 0)), utc(2024, 1, 9, 8, 0));
    /* A July weekend: 09:00 CEST = 07:00 UTC. */
    EQ(next_open(e, 1, utc(2024, 7, 6, 12, 0)), utc(2024, 7, 8, 7, 0));

    /* Calendar 0: always open, up to the last instant. */
    EQ(next_open(e, 0, 0), 0);
    EQ(next_open(e, 0, utc(2024, 1, 6, 12, 0)), utc(2024, 1, 6, 12, 0));
    EQ(next_open(e, 0, TMAX), TMAX);
    uint64_t out = 7;
    ST(usher_calendar_next_open(e, 0, TMAX + 1, &out), USHER_EINVAL);
    EQ(out, 7);

    /* Etc/UTC, Monday to Friday 09:00-17:00. 9999-12-31 is a Friday (its
     * midnight is 253402214400 s). Every weekday of December 9999 a
     * holiday: never open again. */
    assert_int_equal(utc(9999, 12, 31, 0, 0), UINT64_C(253402214400000));
    assert_int_equal(utc(10000, 1, 1, 0, 0), TMAX + 1);
    add_cal(e, 2, "Etc/UTC");
    weekdays(e, 2, 540, 1020);
    add_cal(e, 3, "Etc/UTC");
    weekdays(e, 3, 540, 1020);
    int weekdays_closed = 0;
    for (unsigned d = 1; d <= 31; d++) {
        unsigned wd = (unsigned)((civil_days(9999, 12, d) + 4) % 7);
        if (wd == 0 || wd == 6)
            continue;
        holiday(e, 2, 9999, 12, d, 0, 1440);
        if (d < 31)
            holiday(e, 3, 9999, 12, d, 0, 1440);
        weekdays_closed++;
    }
    assert_int_equal(weekdays_closed, 23);
    EQ(next_open(e, 2, utc(9999, 12, 1, 0, 0)), NEVER);
    /* Tuesday 30 November: open until 17:00, then never again. */
    EQ(next_open(e, 2, utc(9999, 11, 30, 17, 0)), NEVER);
    EQ(next_open(e, 2, utc(9999, 11, 30, 15, 0)), utc(9999, 11, 30, 15, 0));
    EQ(next_open(e, 2, TMAX), NEVER);
    EQ(add_biz(e, 2, utc(9999, 12, 1, 0, 0), 1), NEVER);
    EQ(add_biz(e, 2, utc(9999, 11, 30, 15, 0), 2 * HOUR_MS), utc(9999, 11, 30, 17, 0));
    EQ(add_biz(e, 2, utc(9999, 11, 30, 15, 0), 2 * HOUR_MS + 1), NEVER);
    EQ(between(e, 2, utc(9999, 11, 30, 0, 0), TMAX), 8 * HOUR_MS);
    /* Calendar 3 opens once more, Friday 31 December 09:00 UTC. */
    EQ(next_open(e, 3, utc(9999, 12, 1, 0, 0)), utc(9999, 12, 31, 9, 0));
    EQ(add_biz(e, 3, utc(9999, 12, 1, 0, 0), 8 * HOUR_MS), utc(9999, 12, 31, 17, 0));
    EQ(add_biz(e, 3, utc(9999, 12, 1, 0, 0), 8 * HOUR_MS + 1), NEVER);
    EQ(next_open(e, 3, utc(9999, 12, 31, 17, 0)), NEVER);
    end_engine(e);
}

/* next_open must not return an instant after USHER_CALENDAR_TIME_MAX: in
 * New York, open 22:00-23:00 daily, the opening on 9999-12-31 22:00 EST
 * is 10000-01-01 03:00 UTC, beyond the range. */
static void test_next_open_beyond_time_max(void **state)
{
    (void)state;
    usher_engine *e = new_engine();
    add_cal(e, 1, "America/New_York");
    daily(e, 1, 1320, 1380);
    /* 9999-12-30 22:00 EST = 9999-12-31 03:00 UTC: still in range. */
    EQ(next_open(e, 1, utc(9999, 12, 31, 2, 0)), utc(9999, 12, 31, 3, 0));
    EQ(add_biz(e, 1, utc(9999, 12, 31, 2, 0), HOUR_MS), utc(9999, 12, 31, 4, 0));
    EQ(add_biz(e, 1, utc(9999, 12, 31, 2, 0), HOUR_MS + 1), NEVER);
    EQ(between(e, 1, utc(9999, 12, 31, 2, 0), TMAX), HOUR_MS);
    /* After that: the next opening is out of range. */
    EQ(next_open(e, 1, utc(9999, 12, 31, 20, 0)), NEVER);
    /* Asia/Kolkata (UTC+5:30), open 06:00-07:00 daily: 10000-01-01 06:00
     * IST = 00:30 UTC of 10000-01-01, out of range too. */
    add_cal(e, 2, "Asia/Kolkata");
    daily(e, 2, 360, 420);
    EQ(next_open(e, 2, utc(9999, 12, 31, 12, 0)), NEVER);
    end_engine(e);
}

/* ======================================================================
 * 6. Against a minute-by-minute reference
 * ====================================================================== */

/*
 * The reference knows, for every UTC minute of a window, whether the
 * calendar is open. A local wall-clock minute L is open when the weekly
 * schedule has it and no holiday closes it. A UTC minute u is open when
 * M(u), the latest wall-clock minute shown so far (the maximum of
 * local(u') over u' <= u), is open: this is the documented meaning - an
 * interval that starts in a gap opens when the clock jumps past its start,
 * one that ends inside a repeated hour ends the first time the clock
 * reaches its end, and the repeated hour itself counts as the minute
 * before the change. Local times come from us_tz_offset (checked against
 * the C library above); the zones used have whole-minute offsets and
 * transitions, so openness is constant within a UTC minute.
 */
typedef struct reference {
    const us_tz *tz;
    int always_open;
    uint8_t week[WEEK_MINUTES]; /* minute 0: Sunday 00:00 */
    int64_t l0, lcount;         /* local minutes with holiday marks */
    uint8_t *closed;
    int64_t c0, cells; /* the window: UTC minutes [c0, c0 + cells) */
    uint64_t *prefix;  /* open minutes in [c0, c0 + i) */
    char text[2048];   /* the schedule and holidays, for failure messages */
} reference;

static void ref_init(reference *r, const us_tz *tz, int64_t day0, int64_t days)
{
    memset(r->week, 0, sizeof r->week);
    r->tz = tz;
    r->always_open = 0;
    r->c0 = day0 * 1440;
    r->cells = days * 1440;
    r->l0 = (day0 - 3) * 1440;
    r->lcount = (days + 6) * 1440;
    r->closed = keep_block(calloc((size_t)r->lcount, 1));
    r->prefix = keep_block(calloc((size_t)r->cells + 1, sizeof *r->prefix));
    assert_non_null(r->closed);
    assert_non_null(r->prefix);
    r->text[0] = 0;
}

static void ref_free(reference *r)
{
    end_block(r->closed);
    end_block(r->prefix);
    r->closed = NULL;
    r->prefix = NULL;
}

static void ref_note(reference *r, const char *fmt, ...)
{
    size_t used = strlen(r->text);
    if (used + 1 >= sizeof r->text)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->text + used, sizeof r->text - used, fmt, ap);
    va_end(ap);
}

/* The offset of each minute from us_tz_offset, asked once per quarter of
 * an hour when its first and last seconds agree (no zone changes twice
 * within 15 minutes), else minute by minute. */
static void ref_compute(reference *r)
{
    int64_t m = INT64_MIN, block = INT64_MIN;
    int32_t block_offset = 0;
    int block_mixed = 0;
    for (int64_t u = r->c0 - 3 * 1440; u < r->c0 + r->cells; u++) {
        int64_t b = u - ((u % 15) + 15) % 15;
        if (b != block) {
            block = b;
            block_offset = us_tz_offset(r->tz, b * 60);
            block_mixed = us_tz_offset(r->tz, b * 60 + 15 * 60 - 1) != block_offset;
        }
        int32_t offset = block_mixed ? us_tz_offset(r->tz, u * 60) : block_offset;
        assert_int_equal(offset % 60, 0);
        int64_t local = u + offset / 60;
        if (local > m)
            m = local;
        if (u < r->c0)
            continue;
        int64_t i = u - r->c0;
        assert_true(m >= 0);
        int open = r->always_open || r->week[(m + 4 * 1440) % WEEK_MINUTES]; /* 1970-01-01: Thu */
        if (open && m >= r->l0 && m < r->l0 + r->lcount && r->closed[m - r->l0])
            open = 0;
        r->prefix[i + 1] = r->prefix[i] + (uint64_t)open;
    }
}

static uint64_t ref_start(const reference *r) { return (uint64_t)r->c0 * MIN_MS; }
static uint64_t ref_end(const reference *r) { return (uint64_t)(r->c0 + r->cells) * MIN_MS; }

/* Open time in [window start, x). */
static uint64_t ref_f(const reference *r, uint64_t x)
{
    uint64_t rel = x - ref_start(r);
    uint64_t i = rel / MIN_MS;
    if (i >= (uint64_t)r->cells)
        return r->prefix[r->cells] * MIN_MS;
    int open = r->prefix[i + 1] > r->prefix[i];
    return r->prefix[i] * MIN_MS + (open ? rel % MIN_MS : 0);
}

static uint64_t ref_between(const reference *r, uint64_t a, uint64_t b)
{
    return ref_f(r, b) - ref_f(r, a);
}

/* The first instant by which d of open time have passed from a (d must
 * fit in the window). */
static uint64_t ref_add(const reference *r, uint64_t a, uint64_t d)
{
    if (d == 0)
        return a;
    uint64_t target = ref_f(r, a) + d;
    assert_true(target <= r->prefix[r->cells] * MIN_MS);
    int64_t lo = 0, hi = r->cells - 1; /* the least i with prefix[i + 1] * MIN >= target */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (r->prefix[mid + 1] * MIN_MS >= target)
            hi = mid;
        else
            lo = mid + 1;
    }
    return (uint64_t)(r->c0 + lo) * MIN_MS + (target - r->prefix[lo] * MIN_MS);
}

/* Random non-overlapping weekly intervals (some overnight, some across
 * the week's end, some touching), in random order. */
static size_t random_hours(uint64_t *rng, usher_open_hours *out, uint8_t week[WEEK_MINUTES])
{
    size_t k = 1 + (size_t)test_rand_below(rng, 8);
    uint32_t unit = test_rand_below(rng, 2) ? 60 : (test_rand_below(rng, 2) ? 30 : 1);
    uint32_t pts[16];
    for (;;) {
        for (size_t i = 0; i < 2 * k; i++)
            pts[i] = (uint32_t)test_rand_below(rng, WEEK_MINUTES / unit) * unit;
        for (size_t i = 1; i < 2 * k; i++) /* insertion sort */
            for (size_t j = i; j > 0 && pts[j] < pts[j - 1]; j--) {
                uint32_t t = pts[j];
                pts[j] = pts[j - 1];
                pts[j - 1] = t;
            }
        int distinct = 1;
        for (size_t i = 1; i < 2 * k; i++)
            distinct &= pts[i] > pts[i - 1];
        if (distinct)
            break;
    }
    uint32_t rotate = (uint32_t)test_rand_below(rng, WEEK_MINUTES / unit) * unit;
    if (test_rand_below(rng, 3) == 0) /* the first one opens Saturday 18:00 .. Sunday 00:00, */
        rotate = (WEEK_MINUTES - 60 * (uint32_t)test_rand_below(rng, 7) + WEEK_MINUTES - pts[0]) %
                 WEEK_MINUTES; /* likely open when the clocks change */
    memset(week, 0, WEEK_MINUTES);
    for (size_t i = 0; i < k; i++) {
        uint32_t from = pts[2 * i], to = pts[2 * i + 1];
        if (i + 1 < k && test_rand_below(rng, 6) == 0)
            to = pts[2 * i + 2]; /* touching the next one */
        if (to - from > 1440)
            to = from + unit * (1 + (uint32_t)test_rand_below(rng, 1440 / unit));
        uint32_t start = (from + rotate) % WEEK_MINUTES, len = to - from;
        out[i] = (usher_open_hours){start / 1440, start % 1440, start % 1440 + len};
        for (uint32_t m = 0; m < len; m++) {
            assert_int_equal(week[(start + m) % WEEK_MINUTES], 0);
            week[(start + m) % WEEK_MINUTES] = 1;
        }
    }
    for (size_t i = k; i > 1; i--) { /* shuffle */
        size_t j = (size_t)test_rand_below(rng, i);
        usher_open_hours t = out[i - 1];
        out[i - 1] = out[j];
        out[j] = t;
    }
    return k;
}

/* If set, random_calendar() makes its calendars from these bytes. */
static const uint8_t *zone_bytes;
static size_t zone_bytes_size;

/* Sets up calendar `id` in `zone` with random hours and holidays and the
 * reference for a window of `days` days from UTC day day0. */
static void random_calendar(usher_engine *e, uint32_t id, const char *zone, uint64_t *rng,
                            reference *r, int64_t day0, int64_t days, int max_holidays)
{
    usher_status st = usher_calendar_remove(e, id);
    assert_true(st == USHER_OK || st == USHER_ENOTFOUND);
    if (zone_bytes)
        OK(usher_calendar_add_tzif(e, id, zone_bytes, zone_bytes_size));
    else
        add_cal(e, id, zone);
    ref_init(r, zone_of(e, id), day0, days);
    int y, m, d;
    civil_from(day0, &y, &m, &d);
    ref_note(r, "%s, window %04d-%02d-%02d + %lld days; hours:", zone, y, m, d, (long long)days);
    if (test_rand_below(rng, 8) == 0) {
        r->always_open = 1;
        ref_note(r, " always open");
    } else {
        usher_open_hours h[8];
        size_t n = random_hours(rng, h, r->week);
        hours(e, id, h, n);
        for (size_t i = 0; i < n; i++)
            ref_note(r, " {%u,%u,%u}", h[i].weekday, h[i].open_minute, h[i].close_minute);
    }
    ref_note(r, "; holidays:");
    int count = (int)test_rand_below(rng, (uint64_t)max_holidays + 1);
    int64_t prev_day = 0;
    uint32_t prev_from = 0, prev_to = 0;
    for (int i = 0; i < count; i++) {
        int64_t day = day0 - 1 + (int64_t)test_rand_below(rng, (uint64_t)days + 2);
        uint32_t from, to;
        uint64_t kind = test_rand_below(rng, 4);
        if (kind == 0) {
            from = 0;
            to = 1440;
        } else if (kind == 3 && i > 0) { /* overlapping or touching the previous one */
            day = prev_day;
            from = prev_from + (uint32_t)test_rand_below(rng, prev_to - prev_from + 1);
            if (from >= 1440)
                from = 1439;
            to = from + 1 + (uint32_t)test_rand_below(rng, 1440 - from);
        } else {
            uint32_t unit = test_rand_below(rng, 2) ? 60 : 1;
            from = (uint32_t)test_rand_below(rng, 1440 / unit) * unit;
            to = from + unit * (1 + (uint32_t)test_rand_below(rng, (1440 - from) / unit));
        }
        civil_from(day, &y, &m, &d);
        holiday(e, id, (uint32_t)y, (uint32_t)m, (uint32_t)d, from, to);
        ref_note(r, " %04d-%02d-%02d %u-%u", y, m, d, from, to);
        for (uint32_t k = from; k < to; k++) {
            int64_t l = day * 1440 + k - r->l0;
            assert_true(l >= 0 && l < r->lcount);
            r->closed[l] = 1;
        }
        prev_day = day;
        prev_from = from;
        prev_to = to;
    }
    ref_compute(r);
}

static uint64_t rand_upto(uint64_t *rng, uint64_t max) { return test_rand_below(rng, max + 1); }

/* One random span: between and add against the reference, and against
 * each other. */
static void check_span(const usher_engine *e, uint32_t id, const reference *r, uint64_t a,
                       uint64_t b, uint64_t d)
{
    uint64_t want = ref_between(r, a, b), got = between(e, id, a, b);
    if (got != want)
        fail_msg("between(%s, %s) = %llu, reference %llu\n  [%s]", show(a), show(b),
                 (unsigned long long)got, (unsigned long long)want, r->text);
    uint64_t due = add_biz(e, id, a, d), want_due = ref_add(r, a, d);
    if (due != want_due)
        fail_msg("add(%s, %llu) = %s, reference %s\n  [%s]", show(a), (unsigned long long)d,
                 show(due), show(want_due), r->text);
    /* Consistency: between(a, add(a, d)) == d, add(a, between(a, b)) <= b. */
    uint64_t again = between(e, id, a, due);
    if (again != d)
        fail_msg("between(%s, add(a, %llu) = %s) = %llu\n  [%s]", show(a),
                 (unsigned long long)d, show(due), (unsigned long long)again, r->text);
    uint64_t back = add_biz(e, id, a, got);
    if (back > b || back != ref_add(r, a, want))
        fail_msg("add(%s, between(a, %s) = %llu) = %s, reference %s\n  [%s]", show(a), show(b),
                 (unsigned long long)got, show(back), show(ref_add(r, a, want)), r->text);
}

static void random_span(const usher_engine *e, uint32_t id, const reference *r, uint64_t *rng)
{
    uint64_t w0 = ref_start(r), w1 = ref_end(r);
    uint64_t a = w0 + test_rand_below(rng, w1 - w0);
    uint64_t align = test_rand_below(rng, 6);
    if (align <= 1)
        a -= a % MIN_MS;
    else if (align == 2)
        a -= a % (30 * MIN_MS);
    uint64_t kind = test_rand_below(rng, 10), len;
    if (kind < 5)
        len = rand_upto(rng, 6 * HOUR_MS);
    else if (kind < 8)
        len = rand_upto(rng, 3 * DAY_MS);
    else
        len = rand_upto(rng, w1 - a);
    uint64_t b = a + len < w1 ? a + len : w1;
    uint64_t left = r->prefix[r->cells] * MIN_MS - ref_f(r, a), d;
    kind = test_rand_below(rng, 10);
    if (kind == 0)
        d = 0;
    else if (kind < 6)
        d = 1 + test_rand_below(rng, 8 * HOUR_MS);
    else if (kind < 9)
        d = 1 + test_rand_below(rng, 3 * DAY_MS);
    else
        d = rand_upto(rng, left);
    if (test_rand_below(rng, 3) == 0)
        d -= d % MIN_MS;
    if (d > left)
        d = left;
    check_span(e, id, r, a, b, d);
}

static const char *const random_zones[3] = {"Europe/Berlin", "America/New_York",
                                            "Australia/Sydney"};

/* A window start: a random year, often just before a change of either
 * hemisphere's daylight-saving time. */
static int64_t random_window_day(uint64_t *rng, int64_t year_lo, int64_t year_hi)
{
    static const unsigned starts[6][2] = {{1, 1}, {2, 25}, {3, 20}, {9, 20}, {10, 20}, {0, 0}};
    int64_t year = year_lo + (int64_t)test_rand_below(rng, (uint64_t)(year_hi - year_lo + 1));
    const unsigned *s = starts[test_rand_below(rng, 6)];
    if (s[0] == 0)
        return civil_days(year, 1 + (unsigned)test_rand_below(rng, 12),
                          1 + (unsigned)test_rand_below(rng, 28));
    return civil_days(year, s[0], s[1]);
}

static void test_random_against_reference(void **state)
{
    (void)state;
    uint64_t rng = 20240331;
    usher_engine *e = new_engine();
    const int configs = 3 * CONFIGS_PER_ZONE;
    const int per_config = (SPANS + configs - 1) / configs;
    long spans = 0;
    for (int c = 0; c < configs; c++) {
        const char *zone = random_zones[c % 3];
        reference r;
        int64_t day0 = random_window_day(&rng, 1971, 2199);
        random_calendar(e, 1, zone, &rng, &r, day0, 40, 8);
        for (int i = 0; i < per_config; i++, spans++)
            random_span(e, 1, &r, &rng);
        ref_free(&r);
    }
    assert_true(spans >= SPANS);
    end_engine(e);
}

/* Months and years at once: the path that skips regular weeks whole. */
static void test_long_spans_against_reference(void **state)
{
    (void)state;
    uint64_t rng = 777;
    usher_engine *e = new_engine();
    const int64_t days = UNDER_ASAN ? 150 : 560;
    for (int c = 0; c < 6; c++) {
        const char *zone = random_zones[c % 3];
        /* Half of them across 2037/2038, where the explicit transitions
         * end and the footer rule takes over. */
        int64_t day0 = c < 3 ? civil_days(2037, 1 + (unsigned)test_rand_below(&rng, 6), 1)
                             : random_window_day(&rng, 1975, 2190);
        reference r;
        random_calendar(e, 1, zone, &rng, &r, day0, days, 3);
        uint64_t w0 = ref_start(&r), w1 = ref_end(&r);
        for (int i = 0; i < 12; i++) {
            uint64_t a = w0 + test_rand_below(&rng, (w1 - w0) / 10);
            uint64_t b = w1 - test_rand_below(&rng, (w1 - w0) / 10);
            uint64_t left = r.prefix[r.cells] * MIN_MS - ref_f(&r, a);
            uint64_t d = left - test_rand_below(&rng, left / 5 + 1);
            if (i % 3 == 0) { /* whole minutes and hours too */
                a -= a % HOUR_MS;
                d -= d % MIN_MS;
            }
            check_span(e, 1, &r, a, b, d);
        }
        ref_free(&r);
    }
    /* Calendar 0 and a zone without daylight-saving time over decades. */
    EQ(between(e, 0, utc(1980, 1, 1, 0, 0), utc(2100, 1, 1, 0, 0)),
       utc(2100, 1, 1, 0, 0) - utc(1980, 1, 1, 0, 0));
    EQ(add_biz(e, 0, utc(1980, 1, 1, 0, 0), utc(2100, 1, 1, 0, 0) - utc(1980, 1, 1, 0, 0)),
       utc(2100, 1, 1, 0, 0));
    add_cal(e, 2, "Asia/Kolkata");
    weekdays(e, 2, 540, 1020);
    /* 1990-01-01 and 2090-01-02 are Mondays: 5218 whole weeks of 40 h. */
    assert_int_equal((civil_days(1990, 1, 1) + 4) % 7, 1);
    assert_int_equal(civil_days(2090, 1, 2) - civil_days(1990, 1, 1), 5218 * 7);
    /* Midnight IST = 18:30 UTC the day before. */
    uint64_t from = utc(1989, 12, 31, 18, 30), to = utc(2090, 1, 1, 18, 30);
    EQ(between(e, 2, from, to), 5218 * 40 * HOUR_MS);
    /* The last hour lands on Friday 2089-12-30 17:00 IST = 11:30 UTC. */
    EQ(add_biz(e, 2, from, 5218 * 40 * HOUR_MS), utc(2089, 12, 30, 11, 30));
    end_engine(e);
}

/* ======================================================================
 * 7. TZif input
 * ====================================================================== */

/* A TZif file built by hand. Designations are "AAA\0BBB\0" (charcnt 8):
 * type i uses desig[i] if given, else 0 or 4 by isdst. */
typedef struct tzif_spec {
    int version; /* 0: version 1 only; '2' .. '4': a minimal v1 block, then 64-bit data */
    uint32_t timecnt;
    const int64_t *times;
    const uint8_t *indices;
    uint32_t typecnt;
    const int32_t *offsets;
    const uint8_t *isdst;
    const uint8_t *desig;
    uint32_t charcnt; /* 0: 8; UINT32_MAX: none */
    uint32_t leapcnt;
    uint32_t isstdcnt, isutcnt;
    const char *footer; /* version 2+: the TZ string */
    int no_final_newline, no_first_newline;
} tzif_spec;

typedef struct byte_buf {
    uint8_t b[8192];
    size_t n;
} byte_buf;

static void put(byte_buf *o, const void *p, size_t n)
{
    assert_true(o->n + n <= sizeof o->b);
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void put8(byte_buf *o, uint8_t v) { put(o, &v, 1); }

static void put32(byte_buf *o, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(o, b, 4);
}

static void put64(byte_buf *o, uint64_t v)
{
    put32(o, (uint32_t)(v >> 32));
    put32(o, (uint32_t)v);
}

static void put_header(byte_buf *o, int version, uint32_t isut, uint32_t isstd, uint32_t leap_,
                       uint32_t time, uint32_t type, uint32_t chars)
{
    static const uint8_t zeros[15] = {0};
    put(o, "TZif", 4);
    put8(o, (uint8_t)version);
    put(o, zeros, 15);
    put32(o, isut);
    put32(o, isstd);
    put32(o, leap_);
    put32(o, time);
    put32(o, type);
    put32(o, chars);
}

static void put_block(byte_buf *o, const tzif_spec *s, unsigned time_size)
{
    uint32_t chars = s->charcnt == 0 ? 8 : s->charcnt == UINT32_MAX ? 0 : s->charcnt;
    put_header(o, s->version, s->isutcnt, s->isstdcnt, s->leapcnt, s->timecnt, s->typecnt, chars);
    for (uint32_t i = 0; i < s->timecnt; i++) {
        if (time_size == 8)
            put64(o, (uint64_t)s->times[i]);
        else
            put32(o, (uint32_t)(int32_t)s->times[i]);
    }
    for (uint32_t i = 0; i < s->timecnt; i++)
        put8(o, s->indices[i]);
    for (uint32_t i = 0; i < s->typecnt; i++) {
        put32(o, (uint32_t)s->offsets[i]);
        put8(o, s->isdst ? s->isdst[i] : 0);
        put8(o, s->desig ? s->desig[i] : (s->isdst && s->isdst[i] ? 4 : 0));
    }
    for (uint32_t i = 0; i < chars; i++)
        put8(o, (uint8_t)"AAA\0BBB\0"[i % 8]);
    for (uint32_t i = 0; i < s->leapcnt; i++) { /* occurrence, correction */
        if (time_size == 8)
            put64(o, (uint64_t)(78796800 + 15724800 * (int64_t)i));
        else
            put32(o, (uint32_t)(78796800 + 15724800 * i));
        put32(o, i + 1);
    }
    for (uint32_t i = 0; i < s->isstdcnt; i++)
        put8(o, 0);
    for (uint32_t i = 0; i < s->isutcnt; i++)
        put8(o, 0);
}

static void build_tzif(const tzif_spec *s, byte_buf *o)
{
    o->n = 0;
    if (s->version == 0) {
        put_block(o, s, 4);
        return;
    }
    /* The version 1 block a version 2+ reader skips: no transitions, one
     * type (as zic -b slim writes). */
    const int32_t utc0 = 0;
    tzif_spec v1 = {.version = s->version, .typecnt = 1, .offsets = &utc0, .charcnt = 4};
    put_block(o, &v1, 4);
    put_block(o, s, 8);
    if (!s->no_first_newline)
        put8(o, '\n');
    put(o, s->footer, strlen(s->footer));
    if (!s->no_final_newline)
        put8(o, '\n');
}

/* Adds the data as calendar `id` from an exactly sized heap copy (so that
 * ASan sees any read beyond it). */
static usher_status add_bytes(usher_engine *e, uint32_t id, const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    assert_non_null(copy);
    if (size)
        memcpy(copy, data, size);
    usher_status st = usher_calendar_add_tzif(e, id, copy, size);
    free(copy);
    return st;
}

/* A footer-only zone: no transitions, one type of offset 0. */
static usher_status add_footer_zone(usher_engine *e, uint32_t id, const char *footer)
{
    const int32_t off = 0;
    tzif_spec s = {.version = '2', .typecnt = 1, .offsets = &off, .footer = footer};
    byte_buf o;
    build_tzif(&s, &o);
    return add_bytes(e, id, o.b, o.n);
}

static void test_tzif_real_files(void **state)
{
    (void)state;
    usher_engine *e = new_engine();
    static const char *const zones[] = {"Europe/Berlin", "America/New_York", "Australia/Sydney",
                                        "Europe/Dublin", "Asia/Kolkata", "Etc/UTC"};
    for (uint32_t i = 0; i < 6; i++) {
        size_t size;
        uint8_t *data = read_zone_file(zones[i], &size);
        OK(add_bytes(e, 10 + i, data, size));
        add_cal(e, 20 + i, zones[i]);
        const us_tz *a = zone_of(e, 10 + i), *b = zone_of(e, 20 + i);
        assert_int_equal(a->count, b->count);
        assert_int_equal(a->initial, b->initial);
        for (int64_t y = 1950; y < 2300; y += 7)
            assert_int_equal(us_tz_offset(a, civil_days(y, 6, 1) * 86400),
                             us_tz_offset(b, civil_days(y, 6, 1) * 86400));
        /* us_tz_parse directly, and its allocation-free failure. */
        us_tz tz;
        OK(us_tz_parse(&us_alloc_default, data, size, &tz));
        assert_int_equal(tz.count, a->count);
        us_tz_free(&us_alloc_default, &tz);
        end_block(data);
    }
    /* The Berlin data gives the Berlin answers. */
    usher_open_hours sunday_night = {0, 0, 360};
    hours(e, 10, &sunday_night, 1);
    EQ(between(e, 10, utc(2024, 3, 30, 0, 0), utc(2024, 4, 1, 0, 0)), 5 * HOUR_MS);
    /* Leap-second zones are not supported; zone.tab is not TZif (each if
     * installed: newer Debian moves right/ to tzdata-legacy). */
    static const char *const refused[] = {"right/Europe/Berlin", "zone.tab", "tzdata.zi"};
    for (int i = 0; i < 3; i++) {
        char path[128];
        snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", refused[i]);
        if (access(path, R_OK) != 0) {
            print_message("%s not installed: not checked\n", path);
            continue;
        }
        ST(usher_calendar_add(e, 30, refused[i]), USHER_ECORRUPT);
        assert_null(us_calendar_find(e, 30));
    }
    /* A directory cannot be read. */
    ST(usher_calendar_add(e, 30, "Europe"), USHER_ENOTFOUND);
    assert_null(us_calendar_find(e, 30));
    end_engine(e);
}

/* Every proper prefix of valid data is refused (ASan checks the reads). */
static void check_truncations(usher_engine *e, const uint8_t *data, size_t size)
{
    for (size_t len = 0; len < size; len++) {
        usher_status st = add_bytes(e, 40, data, len);
        if (st != USHER_ECORRUPT)
            fail_msg("prefix of %zu of %zu bytes: status %d", len, size, (int)st);
    }
    OK(add_bytes(e, 40, data, size));
    OK(usher_calendar_remove(e, 40));
}

static void test_tzif_truncated(void **state)
{
    (void)state;
    usher_engine *e = new_engine();
    static const char *const zones[] = {"Europe/Berlin", "America/New_York", "Asia/Kolkata"};
    for (int i = 0; i < 3; i++) {
        size_t size;
        uint8_t *data = read_zone_file(zones[i], &size);
        check_truncations(e, data, size);
        end_block(data);
    }
    const int64_t times[2] = {1711846800, 1729990800};
    const uint8_t idx[2] = {1, 0};
    const int32_t offs[2] = {3600, 7200};
    const uint8_t dst[2] = {0, 1};
    tzif_spec v1 = {.version = 0, .timecnt = 2, .times = times, .indices = idx, .typecnt = 2,
                    .offsets = offs, .isdst = dst};
    byte_buf o;
    build_tzif(&v1, &o);
    check_truncations(e, o.b, o.n);
    tzif_spec v2 = v1;
    v2.version = '2';
    v2.footer = "AAA-1BBB,M3.5.0,M10.5.0/3";
    build_tzif(&v2, &o);
    check_truncations(e, o.b, o.n);
    ST(usher_calendar_add_tzif(e, 40, o.b, 0), USHER_ECORRUPT);
    ST(usher_calendar_add_tzif(e, 40, NULL, 0), USHER_ECORRUPT);
    assert_null(us_calendar_find(e, 40));
    end_engine(e);
}

/* A calendar made from arbitrary accepted data must still answer sanely. */
static void exercise_zone(usher_engine *e, uint32_t id)
{
    weekdays(e, id, 540, 1020);
    static const uint64_t at[3] = {UINT64_C(0), UINT64_C(1711846800000), UINT64_C(4102444800000)};
    for (int i = 0; i < 3; i++) {
        uint64_t a = at[i], b = at[i] + 9 * DAY_MS;
        uint64_t v = between(e, id, a, b);
        assert_true(v <= b - a);
        assert_true(add_biz(e, id, a, v) <= b);
        uint64_t open = next_open(e, id, a);
        assert_true(open >= a);
    }
}

static void test_tzif_fuzz(void **state)
{
    (void)state;
    uint64_t rng = 99;
    usher_engine *e = new_engine();
    static const char *const zones[] = {"Europe/Berlin", "America/New_York", "Australia/Sydney",
                                        "Europe/Dublin"};
    uint8_t *files[4];
    size_t sizes[4];
    for (int i = 0; i < 4; i++)
        files[i] = read_zone_file(zones[i], &sizes[i]);
    uint8_t buf[4096];
    int accepted = 0, refused = 0;
    for (int round = 0; round < FUZZ_ROUNDS; round++) {
        size_t n;
        uint64_t kind = test_rand_below(&rng, 4);
        if (kind <= 1) { /* a real file with a few bytes changed */
            int f = (int)test_rand_below(&rng, 4);
            n = sizes[f];
            memcpy(buf, files[f], n);
            int flips = 1 + (int)test_rand_below(&rng, 4);
            for (int k = 0; k < flips; k++) {
                size_t at = kind == 0 ? test_rand_below(&rng, n) : test_rand_below(&rng, 60);
                if (test_rand_below(&rng, 2))
                    buf[at] ^= (uint8_t)(1u << test_rand_below(&rng, 8));
                else
                    buf[at] = (uint8_t)test_rand(&rng);
            }
            if (test_rand_below(&rng, 4) == 0)
                n = test_rand_below(&rng, n + 1);
        } else if (kind == 2) { /* random bytes */
            n = test_rand_below(&rng, 300);
            for (size_t k = 0; k < n; k++)
                buf[k] = (uint8_t)test_rand(&rng);
        } else { /* a plausible header with small random counts, random body */
            n = 44 + test_rand_below(&rng, 400);
            for (size_t k = 0; k < n; k++)
                buf[k] = (uint8_t)test_rand(&rng);
            memcpy(buf, "TZif", 4);
            static const uint8_t versions[4] = {0, '2', '3', '4'};
            buf[4] = versions[test_rand_below(&rng, 4)];
            for (int k = 0; k < 6; k++) {
                uint32_t v = (uint32_t)test_rand_below(&rng, 5);
                buf[20 + 4 * k] = buf[21 + 4 * k] = buf[22 + 4 * k] = 0;
                buf[23 + 4 * k] = (uint8_t)v;
            }
        }
        usher_status st = add_bytes(e, 50, buf, n);
        if (st == USHER_OK) {
            accepted++;
            exercise_zone(e, 50);
            OK(usher_calendar_remove(e, 50));
        } else {
            if (st != USHER_ECORRUPT)
                fail_msg("round %d: status %d", round, (int)st);
            refused++;
        }
    }
    print_message("fuzz: %d accepted, %d refused\n", accepted, refused);
    assert_true(accepted > 0 && refused > 0);
    for (int i = 0; i < 4; i++)
        end_block(files[i]);
    end_engine(e);
}

static void test_tzif_hand_built(void **state)
{
    (void)state;
    usher_engine *e = new_engine();
    byte_buf o;

    /* Version 1 only: +01:00, +02:00 from 2024-03-31 01:00 UTC, +01:00
     * again from 2024-10-27 01:00 UTC, and no rule after that. */
    const int64_t times[2] = {1711846800, 1729990800};
    const uint8_t idx[2] = {1, 0};
    const int32_t offs[2] = {3600, 7200};
    const uint8_t dst[2] = {0, 1};
    tzif_spec v1 = {.version = 0, .timecnt = 2, .times = times, .indices = idx, .typecnt = 2,
                    .offsets = offs, .isdst = dst};
    build_tzif(&v1, &o);
    OK(add_bytes(e, 1, o.b, o.n));
    const us_tz *tz = zone_of(e, 1);
    assert_false(tz->has_rule);
    assert_int_equal(tz->count, 2);
    assert_int_equal(us_tz_offset(tz, 0), 3600);
    assert_int_equal(us_tz_offset(tz, 1711846799), 3600);
    assert_int_equal(us_tz_offset(tz, 1711846800), 7200);
    assert_int_equal(us_tz_offset(tz, 1729990799), 7200);
    assert_int_equal(us_tz_offset(tz, 1729990800), 3600);
    assert_int_equal(us_tz_offset(tz, INT64_C(4102444800)), 3600);
    usher_open_hours sunday_night = {0, 0, 360};
    hours(e, 1, &sunday_night, 1);
    /* Like Berlin in 2024 (5 h, 7 h), but no change in 2025: 6 h. */
    EQ(between(e, 1, utc(2024, 3, 30, 0, 0), utc(2024, 4, 1, 0, 0)), 5 * HOUR_MS);
    EQ(between(e, 1, utc(2024, 10, 26, 0, 0), utc(2024, 10, 28, 0, 0)), 7 * HOUR_MS);
    EQ(between(e, 1, utc(2025, 3, 29, 0, 0), utc(2025, 3, 31, 0, 0)), 6 * HOUR_MS);
    /* With extra isstd/isut indicators (one per type) it still parses. */
    tzif_spec v1b = v1;
    v1b.isstdcnt = v1b.isutcnt = 2;
    build_tzif(&v1b, &o);
    OK(add_bytes(e, 2, o.b, o.n));
    /* Version 1 with a leap second, and with mismatched indicator counts. */
    tzif_spec bad = v1;
    bad.leapcnt = 1;
    build_tzif(&bad, &o);
    ST(add_bytes(e, 3, o.b, o.n), USHER_ECORRUPT);
    bad = v1;
    bad.isstdcnt = 1;
    build_tzif(&bad, &o);
    ST(add_bytes(e, 3, o.b, o.n), USHER_ECORRUPT);

    /* Version 2 with the same transitions and Berlin's rule after them. */
    tzif_spec v2 = v1;
    v2.version = '2';
    v2.footer = "CET-1CEST,M3.5.0,M10.5.0/3";
    build_tzif(&v2, &o);
    OK(add_bytes(e, 4, o.b, o.n));
    tz = zone_of(e, 4);
    assert_true(tz->has_rule);
    /* 2025: 30 March and 26 October, 01:00 UTC. */
    assert_int_equal(us_tz_offset(tz, (int64_t)(utc(2025, 3, 30, 1, 0) / 1000) - 1), 3600);
    assert_int_equal(us_tz_offset(tz, (int64_t)(utc(2025, 3, 30, 1, 0) / 1000)), 7200);
    assert_int_equal(us_tz_offset(tz, (int64_t)(utc(2025, 10, 26, 1, 0) / 1000) - 1), 7200);
    assert_int_equal(us_tz_offset(tz, (int64_t)(utc(2025, 10, 26, 1, 0) / 1000)), 3600);
    for (int version = '3'; version <= '4'; version++) {
        v2.version = version;
        build_tzif(&v2, &o);
        OK(add_bytes(e, (uint32_t)(5 + version - '3'), o.b, o.n));
    }
    v2.version = '2';
    /* Leap seconds in the 64-bit block. */
    bad = v2;
    bad.leapcnt = 2;
    build_tzif(&bad, &o);
    ST(add_bytes(e, 9, o.b, o.n), USHER_ECORRUPT);
    /* Structural errors. */
    const int64_t back[2] = {1729990800, 1711846800};
    const int64_t same[2] = {1711846800, 1711846800};
    const uint8_t idx_bad[2] = {1, 2};
    const int32_t offs_far[2] = {3600, 26 * 3600 + 1};
    const int32_t offs_west[2] = {3600, -26 * 3600 - 1};
    const uint8_t dst_bad[2] = {0, 2};
    const uint8_t desig_bad[2] = {0, 8};
    for (int k = 0; k < 12; k++) {
        bad = v2;
        switch (k) {
        case 0: bad.times = back; break;
        case 1: bad.times = same; break;
        case 2: bad.indices = idx_bad; break;
        case 3: bad.offsets = offs_far; break;
        case 4: bad.offsets = offs_west; break;
        case 5: bad.isdst = dst_bad; break;
        case 6: bad.desig = desig_bad; break;
        case 7: bad.typecnt = 0; bad.timecnt = 0; break;
        case 8: bad.charcnt = UINT32_MAX; break;
        case 9: bad.isutcnt = 1; break;
        case 10: bad.version = '1'; break;
        case 11: bad.version = '5'; break;
        default: break;
        }
        build_tzif(&bad, &o);
        usher_status st = add_bytes(e, 9, o.b, o.n);
        if (st != USHER_ECORRUPT)
            fail_msg("structural error %d: status %d", k, (int)st);
    }
    /* Bad magic. */
    build_tzif(&v2, &o);
    o.b[0] = 'X';
    ST(add_bytes(e, 9, o.b, o.n), USHER_ECORRUPT);
    assert_null(us_calendar_find(e, 9));
    end_engine(e);
}

static void test_tzif_footers(void **state)
{
    (void)state;
    usher_engine *e = new_engine();
    /* Refused footers. */
    static const char *const bad[] = {
        "garbage!",
        "CET",
        "CE-1",
        "CET-1CEST,M3.5.0",
        "CET-1CEST,M3.5.0,",
        "CET-1CEST,M13.5.0,M10.5.0",
        "CET-1CEST,M0.5.0,M10.5.0",
        "CET-1CEST,M3.6.0,M10.5.0",
        "CET-1CEST,M3.0.0,M10.5.0",
        "CET-1CEST,M3.5.7,M10.5.0",
        "CET-1CEST,M3.5,M10.5.0",
        "CET-1CEST,J0,J300",
        "CET-1CEST,J366,J300",
        "CET-1CEST,366,300",
        "CET-1CEST,M3.5.0/168,M10.5.0",
        "CET-1CEST,M3.5.0,M10.5.0/3x",
        "CET-1CEST,M3.5.0,M10.5.0 ",
        "CET-25",
        "CET-1:60",
        "CET-1:00:60",
        "CET-1CEST;M3.5.0,M10.5.0",
        "<+05-5",
        "<+5>-5",
        "<+0 5>-5",
        "CET-1CEST-2-3",
        ",M3.5.0,M10.5.0",
        "1CET-1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        usher_status st = add_footer_zone(e, 1, bad[i]);
        if (st != USHER_ECORRUPT)
            fail_msg("footer \"%s\": status %d", bad[i], (int)st);
    }
    /* A NUL inside the footer, a missing final or first newline. */
    const int32_t off = 0;
    tzif_spec s = {.version = '2', .typecnt = 1, .offsets = &off, .footer = "CET-1"};
    byte_buf o;
    build_tzif(&s, &o);
    OK(add_bytes(e, 2, o.b, o.n));
    o.b[o.n - 3] = 0; /* "CE\0-1" */
    ST(add_bytes(e, 1, o.b, o.n), USHER_ECORRUPT);
    s.no_final_newline = 1;
    build_tzif(&s, &o);
    ST(add_bytes(e, 1, o.b, o.n), USHER_ECORRUPT);
    s.no_final_newline = 0;
    s.no_first_newline = 1;
    s.footer = "XCET-1"; /* "CET-1" after the byte in the newline's place */
    build_tzif(&s, &o);
    ST(add_bytes(e, 1, o.b, o.n), USHER_ECORRUPT);
    assert_null(us_calendar_find(e, 1));

    /* Accepted footers, and what they mean. */
    OK(add_footer_zone(e, 10, "")); /* no rule: type 0 for ever */
    assert_false(zone_of(e, 10)->has_rule);
    assert_int_equal(us_tz_offset(zone_of(e, 10), INT64_C(4102444800)), 0);
    /* "EST5EDT" without dates: the United States rule (second Sunday of
     * March, first Sunday of November, 02:00). 2030: 10 March 07:00 UTC,
     * 3 November 06:00 UTC. */
    OK(add_footer_zone(e, 11, "EST5EDT"));
    const us_tz *tz = zone_of(e, 11);
    int64_t on = (int64_t)(utc(2030, 3, 10, 7, 0) / 1000), off_at = (int64_t)(utc(2030, 11, 3, 6, 0) / 1000);
    assert_int_equal(us_tz_offset(tz, on - 1), -18000);
    assert_int_equal(us_tz_offset(tz, on), -14400);
    assert_int_equal(us_tz_offset(tz, off_at - 1), -14400);
    assert_int_equal(us_tz_offset(tz, off_at), -18000);
    /* Angle-bracket names, minutes, a fixed zone. */
    OK(add_footer_zone(e, 12, "<+0530>-5:30"));
    assert_int_equal(us_tz_offset(zone_of(e, 12), 0), 19800);
    OK(add_footer_zone(e, 13, "<-03>3"));
    assert_int_equal(us_tz_offset(zone_of(e, 13), 0), -10800);
    /* Explicit DST offset, Julian days: J60 is 1 March in every year (29
     * February never counts); 59 (zero-based) is 29 February in a leap
     * year. At 2024-02-29 12:00 UTC the first is standard, the second
     * daylight time. */
    OK(add_footer_zone(e, 14, "AAA0BBB-2,J60/0,J300/0"));
    OK(add_footer_zone(e, 15, "AAA0BBB-2,59/0,300/0"));
    int64_t feb29 = (int64_t)(utc(2024, 2, 29, 12, 0) / 1000);
    assert_int_equal(us_tz_offset(zone_of(e, 14), feb29), 0);
    assert_int_equal(us_tz_offset(zone_of(e, 15), feb29), 7200);
    assert_int_equal(us_tz_offset(zone_of(e, 14), feb29 + 86400), 7200);
    /* In 2023 both start on 1 March. */
    int64_t mar1 = (int64_t)(utc(2023, 3, 1, 0, 0) / 1000);
    assert_int_equal(us_tz_offset(zone_of(e, 14), mar1 - 1), 0);
    assert_int_equal(us_tz_offset(zone_of(e, 14), mar1), 7200);
    assert_int_equal(us_tz_offset(zone_of(e, 15), mar1 - 1), 0);
    assert_int_equal(us_tz_offset(zone_of(e, 15), mar1), 7200);
    /* Negative and large rule times (Greenland: "<-02>2<-01>,M3.5.0/-1,
     * M10.5.0/0"): 2030-03-31 is the last Sunday of March; -1:00 local
     * standard time is Saturday 23:00 -02 = 2030-03-31 01:00 UTC. */
    OK(add_footer_zone(e, 16, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0"));
    int64_t nuuk = (int64_t)(utc(2030, 3, 31, 1, 0) / 1000);
    assert_int_equal(us_tz_offset(zone_of(e, 16), nuuk - 1), -7200);
    assert_int_equal(us_tz_offset(zone_of(e, 16), nuuk), -3600);
    /* "M3.5.0/167": a week minus an hour after the last Sunday of March
     * 2030 (31 March) at 00:00 UTC: 2030-04-06 23:00 UTC. */
    OK(add_footer_zone(e, 17, "AAA0BBB,M3.5.0/167,M10.5.0"));
    int64_t late = (int64_t)(utc(2030, 4, 6, 23, 0) / 1000);
    assert_int_equal(us_tz_offset(zone_of(e, 17), late - 1), 0);
    assert_int_equal(us_tz_offset(zone_of(e, 17), late), 3600);
    end_engine(e);
}

/* ======================================================================
 * 8. API errors
 * ====================================================================== */

static void test_api_errors(void **state)
{
    (void)state;
    usher_engine *e = new_engine();
    size_t size;
    uint8_t *berlin = read_zone_file("Europe/Berlin", &size);
    uint64_t out = 7;
    usher_open_hours h = {1, 540, 1020};

    /* NULL engine. */
    ST(usher_calendar_add(NULL, 1, "Europe/Berlin"), USHER_EINVAL);
    ST(usher_calendar_add_tzif(NULL, 1, berlin, size), USHER_EINVAL);
    ST(usher_calendar_remove(NULL, 1), USHER_EINVAL);
    ST(usher_calendar_set_hours(NULL, 1, &h, 1), USHER_EINVAL);
    ST(usher_calendar_add_holiday(NULL, 1, 2024, 1, 1, 0, 1440), USHER_EINVAL);
    ST(usher_calendar_add_business(NULL, 0, 0, 1, &out), USHER_EINVAL);
    ST(usher_calendar_business_between(NULL, 0, 0, 1, &out), USHER_EINVAL);
    ST(usher_calendar_next_open(NULL, 0, 0, &out), USHER_EINVAL);
    /* NULL pointers. */
    ST(usher_calendar_add(e, 1, NULL), USHER_EINVAL);
    ST(usher_calendar_add_tzif(e, 1, NULL, size), USHER_EINVAL);
    ST(usher_calendar_add_business(e, 0, 0, 1, NULL), USHER_EINVAL);
    ST(usher_calendar_business_between(e, 0, 0, 1, NULL), USHER_EINVAL);
    ST(usher_calendar_next_open(e, 0, 0, NULL), USHER_EINVAL);
    /* Calendar 0 cannot be added, changed or removed. */
    ST(usher_calendar_add(e, 0, "Europe/Berlin"), USHER_EINVAL);
    ST(usher_calendar_add_tzif(e, 0, berlin, size), USHER_EINVAL);
    ST(usher_calendar_remove(e, 0), USHER_EINVAL);
    ST(usher_calendar_set_hours(e, 0, &h, 1), USHER_EINVAL);
    ST(usher_calendar_add_holiday(e, 0, 2024, 1, 1, 0, 1440), USHER_EINVAL);
    EQ(between(e, 0, 0, HOUR_MS), HOUR_MS); /* still open all the time */

    /* Zone names. */
    char long_name[USHER_ZONE_NAME_MAX + 2];
    memset(long_name, 'a', sizeof long_name);
    long_name[USHER_ZONE_NAME_MAX + 1] = 0; /* 256 characters */
    static const char *const bad_names[] = {
        "", "/etc/passwd", "../x", "Europe/../../etc", "Europe/Ber lin", "..", "a/..",
        "../../../../etc/passwd", "Europe/Berlin\n", "Europe\\Berlin", "Europe/Berlin;", "~",
        "Europe/Berlin*",
    };
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        usher_status st = usher_calendar_add(e, 1, bad_names[i]);
        if (st != USHER_EINVAL)
            fail_msg("zone \"%s\": status %d", bad_names[i], (int)st);
    }
    ST(usher_calendar_add(e, 1, long_name), USHER_EINVAL);
    long_name[USHER_ZONE_NAME_MAX] = 0; /* 255: a fine name, no such file */
    ST(usher_calendar_add(e, 1, long_name), USHER_ENOTFOUND);
    ST(usher_calendar_add(e, 1, "Nowhere/City"), USHER_ENOTFOUND);
    ST(usher_calendar_add(e, 1, "Europe/Berlinx"), USHER_ENOTFOUND);
    assert_null(us_calendar_find(e, 1));
    /* Names with '+', '-', '_' and dots that are not "..". */
    add_cal(e, 2, "Etc/GMT+5");
    assert_int_equal(us_tz_offset(zone_of(e, 2), 0), -18000);
    add_cal(e, 3, "Etc/GMT-14");
    assert_int_equal(us_tz_offset(zone_of(e, 3), 0), 50400);
    add_cal(e, 4, "America/Los_Angeles");
    add_cal(e, 5, "./Europe/Berlin");
    ST(usher_calendar_add(e, 6, "Europe/..Berlin"), USHER_ENOTFOUND);

    /* Duplicates, unknown ids, removal. */
    add_cal(e, 1, "Europe/Berlin");
    ST(usher_calendar_add(e, 1, "America/New_York"), USHER_EEXIST);
    ST(usher_calendar_add(e, 1, "Nowhere/City"), USHER_EEXIST);
    ST(usher_calendar_add_tzif(e, 1, berlin, size), USHER_EEXIST);
    assert_int_equal(us_tz_offset(zone_of(e, 1), 0), 3600);
    ST(usher_calendar_remove(e, 99), USHER_ENOTFOUND);
    ST(usher_calendar_set_hours(e, 99, &h, 1), USHER_ENOTFOUND);
    ST(usher_calendar_add_holiday(e, 99, 2024, 1, 1, 0, 1440), USHER_ENOTFOUND);
    ST(usher_calendar_add_business(e, 99, 0, 1, &out), USHER_ENOTFOUND);
    ST(usher_calendar_business_between(e, 99, 0, 1, &out), USHER_ENOTFOUND);
    ST(usher_calendar_next_open(e, 99, 0, &out), USHER_ENOTFOUND);
    OK(usher_calendar_remove(e, 5));
    ST(usher_calendar_remove(e, 5), USHER_ENOTFOUND);
    ST(usher_calendar_add_business(e, 5, 0, 1, &out), USHER_ENOTFOUND);
    ST(usher_calendar_set_hours(e, 5, &h, 1), USHER_ENOTFOUND);
    OK(usher_calendar_add_tzif(e, 5, berlin, size)); /* the id is free again */
    EQ(out, 7);

    /* Hours: count and ranges. Calendar 1 first gets Monday to Friday
     * 09:00-17:00; every refused call leaves that. */
    weekdays(e, 1, 540, 1020);
    const uint64_t week0 = utc(2024, 1, 7, 23, 0), week1 = utc(2024, 1, 14, 23, 0);
    EQ(between(e, 1, week0, week1), 40 * HOUR_MS);
    usher_open_hours many[USHER_MAX_OPEN_INTERVALS + 1];
    for (uint32_t i = 0; i <= USHER_MAX_OPEN_INTERVALS; i++)
        many[i] = (usher_open_hours){i / 10, (i % 10) * 100, (i % 10) * 100 + 50};
    ST(usher_calendar_set_hours(e, 1, many, 0), USHER_EINVAL);
    ST(usher_calendar_set_hours(e, 1, NULL, 1), USHER_EINVAL);
    ST(usher_calendar_set_hours(e, 1, many, USHER_MAX_OPEN_INTERVALS + 1), USHER_EINVAL);
    EQ(between(e, 1, week0, week1), 40 * HOUR_MS);
    static const usher_open_hours refused[][2] = {
        {{7, 540, 1020}, {1, 0, 1}},         /* weekday 7 */
        {{1, 1440, 1500}, {2, 0, 1}},        /* opens at 24:00 */
        {{1, 540, 540}, {2, 0, 1}},          /* empty */
        {{1, 540, 500}, {2, 0, 1}},          /* backwards */
        {{1, 540, 540 + 1441}, {3, 0, 1}},   /* over a day */
        {{1, 540, 1020}, {1, 1000, 1100}},   /* overlap */
        {{1, 540, 1020}, {1, 540, 1020}},    /* the same twice */
        {{1, 540, 1020}, {1, 600, 700}},     /* one inside the other */
        {{1, 1320, 1800}, {2, 300, 400}},    /* overnight into Tuesday 05:00 */
        {{2, 300, 400}, {1, 1320, 1800}},    /* the same, other order */
        {{6, 1320, 1800}, {0, 300, 400}},    /* Saturday night into Sunday */
        {{0, 0, 60}, {6, 1380, 1500}},       /* Saturday 23:00 - Sunday 01:00 */
        {{6, 0, 1440}, {5, 720, 1441}},      /* Friday noon to Saturday 00:01 */
        {{6, 1439, 2879}, {0, 1438, 1439}},  /* Saturday 23:59 + 24 h */
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        usher_status st = usher_calendar_set_hours(e, 1, refused[i], 2);
        if (st != USHER_EINVAL)
            fail_msg("refused hours %zu: status %d", i, (int)st);
        EQ(between(e, 1, week0, week1), 40 * HOUR_MS);
        EQ(next_open(e, 1, utc(2024, 1, 6, 12, 0)), utc(2024, 1, 8, 8, 0));
    }
    /* Accepted: touching, overnight up to the next one, 24 h, 64 intervals. */
    static const usher_open_hours accepted[][2] = {
        {{1, 540, 600}, {1, 600, 700}},
        {{1, 1320, 1800}, {2, 360, 400}},
        {{6, 1320, 1800}, {0, 360, 400}},
        {{0, 0, 60}, {6, 1380, 1440}},
        {{6, 0, 1440}, {0, 0, 1440}},
        {{3, 0, 1440}, {2, 0, 1440}},
        {{6, 1439, 2879}, {0, 1439, 1440}},
    };
    for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++) {
        usher_status st = usher_calendar_set_hours(e, 2, accepted[i], 2);
        if (st != USHER_OK)
            fail_msg("accepted hours %zu: status %d", i, (int)st);
    }
    EQ(between(e, 2, utc(2024, 1, 1, 0, 0), utc(2024, 1, 8, 0, 0)), 24 * HOUR_MS + MIN_MS);
    OK(usher_calendar_set_hours(e, 2, many, USHER_MAX_OPEN_INTERVALS));
    /* 64 intervals of 50 minutes. */
    EQ(between(e, 2, utc(2024, 1, 1, 0, 0), utc(2024, 1, 8, 0, 0)), 64 * 50 * MIN_MS);

    /* Holidays: dates and minutes. */
    const us_calendar *c = us_calendar_find(e, 1);
    assert_int_equal(c->holiday_count, 0);
    static const uint32_t refused_days[][5] = {
        {2024, 2, 30, 0, 1440}, {2023, 2, 29, 0, 1440}, {2100, 2, 29, 0, 1440},
        {2024, 4, 31, 0, 1440}, {2024, 0, 1, 0, 1440},  {2024, 13, 1, 0, 1440},
        {2024, 1, 0, 0, 1440},  {2024, 1, 32, 0, 1440}, {1969, 12, 31, 0, 1440},
        {10000, 1, 1, 0, 1440}, {0, 1, 1, 0, 1440},     {2024, 1, 1, 600, 600},
        {2024, 1, 1, 700, 600}, {2024, 1, 1, 0, 1441},  {2024, 1, 1, 1440, 1441},
        {2024, 1, 1, 1440, 1440}, {UINT32_MAX, 1, 1, 0, 1440}, {2024, 1, 1, UINT32_MAX, 1440},
    };
    for (size_t i = 0; i < sizeof refused_days / sizeof *refused_days; i++) {
        const uint32_t *d = refused_days[i];
        usher_status st = usher_calendar_add_holiday(e, 1, d[0], d[1], d[2], d[3], d[4]);
        if (st != USHER_EINVAL)
            fail_msg("holiday %u-%u-%u %u-%u: status %d", d[0], d[1], d[2], d[3], d[4], (int)st);
        assert_int_equal(us_calendar_find(e, 1)->holiday_count, 0);
    }
    holiday(e, 1, 2024, 2, 29, 0, 1440);
    holiday(e, 1, 2000, 2, 29, 0, 1440);
    holiday(e, 1, 1970, 1, 1, 0, 1);
    holiday(e, 1, 9999, 12, 31, 1439, 1440);
    assert_int_equal(us_calendar_find(e, 1)->holiday_count, 4);
    /* Thursday 29 February 2024 is closed (09:00 CET = 08:00 UTC). */
    EQ(next_open(e, 1, utc(2024, 2, 29, 0, 0)), utc(2024, 3, 1, 8, 0));

    /* Arithmetic arguments. */
    ST(usher_calendar_business_between(e, 1, 10, 9, &out), USHER_EINVAL);
    ST(usher_calendar_business_between(e, 0, 10, 9, &out), USHER_EINVAL);
    ST(usher_calendar_business_between(e, 1, 0, TMAX + 1, &out), USHER_EINVAL);
    ST(usher_calendar_business_between(e, 1, TMAX + 1, TMAX + 2, &out), USHER_EINVAL);
    ST(usher_calendar_add_business(e, 1, TMAX + 1, 0, &out), USHER_EINVAL);
    ST(usher_calendar_add_business(e, 0, UINT64_MAX, 0, &out), USHER_EINVAL);
    ST(usher_calendar_next_open(e, 1, TMAX + 1, &out), USHER_EINVAL);
    ST(usher_calendar_next_open(e, 0, UINT64_MAX, &out), USHER_EINVAL);
    EQ(out, 7);
    EQ(between(e, 1, utc(2024, 1, 9, 10, 0), utc(2024, 1, 9, 10, 0)), 0);
    EQ(add_biz(e, 1, utc(2024, 1, 6, 10, 0), 0), utc(2024, 1, 6, 10, 0)); /* closed, 0 ms */
    EQ(add_biz(e, 1, TMAX, 0), TMAX);

    /* Calendar 0: 24/7 in UTC. */
    EQ(add_biz(e, 0, 1000, 5000), 6000);
    EQ(add_biz(e, 0, 0, 0), 0);
    EQ(between(e, 0, 1000, 6000), 5000);
    EQ(between(e, 0, 0, TMAX), TMAX);
    EQ(next_open(e, 0, 777), 777);
    EQ(add_biz(e, 0, TMAX - 5, 5), TMAX);
    EQ(add_biz(e, 0, TMAX - 5, 6), NEVER);
    EQ(add_biz(e, 0, TMAX, 1), NEVER);
    EQ(add_biz(e, 0, 0, TMAX), TMAX);
    EQ(add_biz(e, 0, 0, TMAX + 1), NEVER);
    EQ(add_biz(e, 0, utc(2024, 3, 31, 0, 0), 3 * HOUR_MS), utc(2024, 3, 31, 3, 0));

    /* USHER_MAX_HOLIDAYS: 4096 different days, then no more. */
    add_cal(e, 7, "Etc/UTC");
    for (int64_t d = 0; d < (int64_t)USHER_MAX_HOLIDAYS; d++) {
        int y, m, dd;
        civil_from(civil_days(2000, 1, 1) + d, &y, &m, &dd);
        holiday(e, 7, (uint32_t)y, (uint32_t)m, (uint32_t)dd, 0, 1440);
    }
    ST(usher_calendar_add_holiday(e, 7, 2030, 1, 1, 0, 1440), USHER_ELIMIT);
    assert_int_equal(us_calendar_find(e, 7)->holiday_count, USHER_MAX_HOLIDAYS);
    /* All closed 2000-01-01 .. 2011-03-20; open again 4096 days on. */
    const uint64_t y2k = utc(2000, 1, 1, 0, 0);
    EQ(between(e, 7, y2k, y2k + 4096 * DAY_MS), 0);
    EQ(next_open(e, 7, y2k), y2k + 4096 * DAY_MS);
    EQ(add_biz(e, 7, y2k - HOUR_MS, 2 * HOUR_MS), y2k + 4096 * DAY_MS + HOUR_MS);
    end_block(berlin);
    end_engine(e);
}

/* ======================================================================
 * 9. Allocation failure
 * ====================================================================== */

typedef struct holiday_state {
    uint32_t count;
    us_holiday list[32];
} holiday_state;

static holiday_state holidays_of(const usher_engine *e, uint32_t id)
{
    holiday_state s;
    memset(&s, 0, sizeof s);
    const us_calendar *c = us_calendar_find(e, id);
    assert_non_null(c);
    assert_true(c->holiday_count <= 32);
    s.count = c->holiday_count;
    for (uint32_t i = 0; i < s.count; i++) /* field by field: no padding compared */
        s.list[i] = (us_holiday){c->holidays[i].day, c->holidays[i].from, c->holidays[i].to};
    return s;
}

static int same_holidays(const holiday_state *a, const holiday_state *b)
{
    if (a->count != b->count)
        return 0;
    for (uint32_t i = 0; i < a->count; i++)
        if (a->list[i].day != b->list[i].day || a->list[i].from != b->list[i].from ||
            a->list[i].to != b->list[i].to)
            return 0;
    return 1;
}

static void test_allocation_failure_sweep(void **state)
{
    (void)state;
    size_t size;
    uint8_t *ny = read_zone_file("America/New_York", &size);
    uint64_t ref_results[4] = {0};
    int nomem = 0, nomem_add = 0, nomem_tzif = 0, nomem_holiday = 0;
    long k;
    for (k = 0;; k++) {
        test_allocator ta;
        test_allocator_init(&ta, k);
        usher_config cfg;
        usher_config_init(&cfg);
        cfg.allocator = &ta.allocator;
        usher_engine *e = NULL;
        usher_status st = usher_engine_new(&cfg, &e);
        if (st == USHER_ENOMEM) {
            assert_true(k > 0);
            assert_int_equal(ta.live, 0);
            continue;
        }
        OK(st);
        keep_engine(e);
        /* Calendars 1 .. 6, alternately from a zone name and from bytes. */
        for (uint32_t id = 1; id <= 6; id++) {
            st = id % 2 ? usher_calendar_add(e, id, "Europe/Berlin")
                        : usher_calendar_add_tzif(e, id, ny, size);
            if (st == USHER_ENOMEM) {
                nomem++;
                *(id % 2 ? &nomem_add : &nomem_tzif) += 1;
                assert_null(us_calendar_find(e, id));
                ST(usher_calendar_remove(e, id), USHER_ENOTFOUND);
                uint64_t v;
                ST(usher_calendar_next_open(e, id, 0, &v), USHER_ENOTFOUND);
                st = id % 2 ? usher_calendar_add(e, id, "Europe/Berlin")
                            : usher_calendar_add_tzif(e, id, ny, size);
            }
            OK(st);
            for (uint32_t other = 1; other < id; other++) /* the others untouched */
                assert_non_null(us_calendar_find(e, other));
        }
        weekdays(e, 1, 540, 1020);
        weekdays(e, 2, 540, 1020);
        /* Twenty holidays (the array grows at 8 and 16), one merging. */
        for (uint32_t i = 0; i < 20; i++) {
            uint32_t id = 1 + i % 2, day = 1 + i, from = 600, to = 660;
            if (i == 19) { /* merges into calendar 1's 3 January */
                id = 1;
                day = 3;
                from = 0;
            }
            holiday_state before = holidays_of(e, id);
            st = usher_calendar_add_holiday(e, id, 2024, 1, day, from, to);
            if (st == USHER_ENOMEM) {
                nomem++;
                nomem_holiday++;
                holiday_state after = holidays_of(e, id);
                assert_true(same_holidays(&before, &after));
                st = usher_calendar_add_holiday(e, id, 2024, 1, day, from, to);
            }
            OK(st);
        }
        assert_int_equal(us_calendar_find(e, 1)->holiday_count, 10);
        uint64_t results[4] = {
            between(e, 1, utc(2024, 1, 1, 0, 0), utc(2024, 2, 1, 0, 0)),
            between(e, 2, utc(2024, 1, 1, 0, 0), utc(2024, 2, 1, 0, 0)),
            add_biz(e, 1, utc(2024, 1, 1, 0, 0), 100 * HOUR_MS),
            next_open(e, 2, utc(2024, 1, 2, 15, 0)),
        };
        if (k == 0)
            memcpy(ref_results, results, sizeof results);
        else
            for (int i = 0; i < 4; i++)
                if (results[i] != ref_results[i])
                    fail_msg("fail_at %ld: result %d is %s, reference %s", k, i, show(results[i]),
                             show(ref_results[i]));
        end_engine(e);
        assert_int_equal(ta.live, 0);
        if (k > 0 && !ta.failed)
            break; /* the k-th allocation was never reached: every point covered */
        assert_true(k < 10000);
    }
    /* Berlin, 23 weekdays in January 2024 of 8 h. Holidays 10:00-11:00 on
     * the odd days, of which 1, 5, 9, 11, 15, 17, 19 are weekdays (7 h) and
     * 7 and 13 weekend days; 3 January 00:00-11:00 (2 h): 184 - 9 h. */
    EQ(ref_results[0], 175 * HOUR_MS);
    /* add: the file buffer, times, offsets, the pool, the id map; add_tzif
     * the same but the buffer; add_holiday: growing to 8 and 16, twice. */
    assert_true(nomem_add >= 5 && nomem_tzif >= 4 && nomem_holiday >= 3);
    print_message("allocation points: %ld, USHER_ENOMEM returns: %d (add %d, add_tzif %d, "
                  "add_holiday %d)\n",
                  k - 1, nomem, nomem_add, nomem_tzif, nomem_holiday);
    end_block(ny);
}

/* ======================================================================
 * Suspected bugs (kept last: under ASan/UBSan some abort the program)
 * ====================================================================== */

/* Clocks that fall back across midnight. Also the footer "<+00>0<+02>-2,
 * M3.5.0/1,M10.5.0/1" keeps daylight time two hours ahead and ends it at
 * 01:00 daylight time on the last Sunday of October, which is Saturday
 * 23:00 UTC; the clocks then read Saturday 23:00 again. In 2024 that is
 * Saturday 26 October 23:00 UTC. */
static void test_fall_back_across_midnight(void **state)
{
    (void)state;
    /* A real case: Antarctica/Casey went from +11 back to +08 at 2010-03-04
     * 15:00 UTC, Friday 5 March 02:00 -> Thursday 4 March 23:00. Open on
     * Fridays 00:00-01:00: 13:00-14:00 UTC that day. */
    usher_engine *casey = new_engine();
    add_cal(casey, 1, "Antarctica/Casey");
    usher_open_hours friday = {5, 0, 60};
    hours(casey, 1, &friday, 1);
    EQ(between(casey, 1, utc(2010, 3, 4, 12, 0), utc(2010, 3, 4, 14, 30)), HOUR_MS);
    EQ(add_biz(casey, 1, utc(2010, 3, 4, 12, 0), HOUR_MS), utc(2010, 3, 4, 14, 0));
    /* Up to Thursday 23:30 (+08), after the Friday hour: */
    EQ(between(casey, 1, utc(2010, 3, 4, 12, 0), utc(2010, 3, 4, 15, 30)), HOUR_MS);
    end_engine(casey);

    static const char footer[] = "<+00>0<+02>-2,M3.5.0/1,M10.5.0/1";
    const int32_t off = 0;
    tzif_spec s = {.version = '2', .typecnt = 1, .offsets = &off, .footer = footer};
    static byte_buf o;
    build_tzif(&s, &o);
    usher_engine *e = new_engine();
    OK(add_bytes(e, 1, o.b, o.n));
    const int64_t change = (int64_t)(utc(2024, 10, 26, 23, 0) / 1000);
    assert_int_equal(us_tz_offset(zone_of(e, 1), change - 1), 7200);
    assert_int_equal(us_tz_offset(zone_of(e, 1), change), 0);
    /* Sundays 00:00-00:20: Sunday 00:00 (+02) is Saturday 22:00 UTC. */
    usher_open_hours h = {0, 0, 20};
    hours(e, 1, &h, 1);
    const uint64_t a = utc(2024, 10, 26, 21, 0);
    EQ(next_open(e, 1, a), utc(2024, 10, 26, 22, 0));
    EQ(add_biz(e, 1, a, 20 * MIN_MS), utc(2024, 10, 26, 22, 20));
    EQ(between(e, 1, a, utc(2024, 10, 26, 22, 30)), 20 * MIN_MS);
    EQ(between(e, 1, utc(2024, 10, 26, 22, 10), utc(2024, 10, 27, 0, 30)), 10 * MIN_MS);
    /* In the repeated Saturday hour the Sunday interval is over. */
    EQ(next_open(e, 1, utc(2024, 10, 26, 23, 30)), utc(2024, 11, 3, 0, 0));
    /* Up to an instant inside the repeated hour (local Saturday 23:30,
     * the second time): the 20 minutes of Sunday already passed count. */
    EQ(between(e, 1, a, utc(2024, 10, 26, 23, 30)), 20 * MIN_MS);
    EQ(between(e, 1, utc(2024, 10, 26, 22, 10), utc(2024, 10, 26, 23, 59)), 10 * MIN_MS);

    /* Random schedules on that zone against the reference. */
    uint64_t rng = 4242;
    zone_bytes = o.b;
    zone_bytes_size = o.n;
    for (int c = 0; c < (UNDER_ASAN ? 3 : 10); c++) {
        reference r;
        int64_t year = 1971 + (int64_t)test_rand_below(&rng, 229);
        int64_t day0 = civil_days(year, 10, 5 + (unsigned)test_rand_below(&rng, 15));
        random_calendar(e, 2, footer, &rng, &r, day0, 40, 4);
        for (int i = 0; i < 100; i++)
            random_span(e, 2, &r, &rng);
        ref_free(&r);
    }
    zone_bytes = NULL;
    end_engine(e);
}

/* The next two run in a child process: a sanitizer abort there (the
 * sanitizer build stops at the first error) fails only that test. In the
 * child a failed check is printed and counted; no cmocka assertions. */
static int child_failures;

#define CHILD_EQ(actual, expected) child_eq(__LINE__, #actual, (actual), (expected))
static void child_eq(int line, const char *what, uint64_t actual, uint64_t expected)
{
    if (actual == expected)
        return;
    fprintf(stderr, "tests/test_calendar.c:%d: %s = %s, expected %s\n", line, what,
            show(actual), show(expected));
    child_failures++;
}

static uint64_t child_add(const usher_engine *e, uint32_t id, uint64_t from, uint64_t biz)
{
    uint64_t due = 12345;
    CHILD_EQ((uint64_t)usher_calendar_add_business(e, id, from, biz, &due), USHER_OK);
    return due;
}

static uint64_t child_between(const usher_engine *e, uint32_t id, uint64_t a, uint64_t b)
{
    uint64_t v = 12345;
    CHILD_EQ((uint64_t)usher_calendar_business_between(e, id, a, b, &v), USHER_OK);
    return v;
}

static uint64_t child_next_open(const usher_engine *e, uint32_t id, uint64_t at)
{
    uint64_t v = 12345;
    CHILD_EQ((uint64_t)usher_calendar_next_open(e, id, at, &v), USHER_OK);
    return v;
}

static void in_child(void (*body)(void))
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_failures = 0;
        body();
        _exit(child_failures ? 1 : 0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("killed by signal %d", WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        fail_msg("failed checks or a sanitizer report above (exit status %d)",
                 WEXITSTATUS(status));
}

/* Amounts of business time whose end is far beyond the year 9999 must
 * give USHER_TIME_NEVER (the week-skipping path must not overflow). */
static void huge_business_body(void)
{
    usher_config cfg;
    usher_config_init(&cfg);
    usher_engine *e = NULL;
    CHILD_EQ((uint64_t)usher_engine_new(&cfg, &e), USHER_OK);
    CHILD_EQ(child_add(e, 0, 0, TMAX + 1), NEVER);
    CHILD_EQ(child_add(e, 0, 0, UINT64_C(1) << 62), NEVER);
    CHILD_EQ((uint64_t)usher_calendar_add(e, 1, "Europe/Berlin"), USHER_OK);
    usher_open_hours week[5];
    for (uint32_t i = 0; i < 5; i++)
        week[i] = (usher_open_hours){i + 1, 540, 1020};
    CHILD_EQ((uint64_t)usher_calendar_set_hours(e, 1, week, 5), USHER_OK);
    CHILD_EQ(child_add(e, 1, 0, UINT64_MAX), NEVER); /* bounded by yearly transitions */
    /* The largest amounts on calendar 0 (no transitions, no holidays:
     * nothing bounds the weeks skipped at once). */
    CHILD_EQ(child_add(e, 0, utc(2024, 1, 1, 0, 0), UINT64_MAX - 1), NEVER);
    CHILD_EQ(child_add(e, 0, 0, UINT64_MAX), NEVER);
    /* Kolkata (no daylight-saving time), one minute a week: 10^15 ms are
     * 1.7e10 weeks. */
    CHILD_EQ((uint64_t)usher_calendar_add(e, 2, "Asia/Kolkata"), USHER_OK);
    usher_open_hours minute = {1, 540, 541};
    CHILD_EQ((uint64_t)usher_calendar_set_hours(e, 2, &minute, 1), USHER_OK);
    CHILD_EQ(child_add(e, 2, 0, UINT64_C(1000000000000000)), NEVER);
    end_engine(e);
}

static void test_huge_business(void **state)
{
    (void)state;
    in_child(huge_business_body);
}

/* A date holds at most USHER_MAX_CLOSED_PER_DAY separate closed stretches:
 * 64 one-minute holidays on one day of an always-open calendar work (64
 * open odd minutes before 02:08, then the rest of the day), the 65th is
 * USHER_ELIMIT, and one that merges with an existing stretch still fits. */
static void many_holidays_body(void)
{
    usher_config cfg;
    usher_config_init(&cfg);
    usher_engine *e = NULL;
    CHILD_EQ((uint64_t)usher_engine_new(&cfg, &e), USHER_OK);
    CHILD_EQ((uint64_t)usher_calendar_add(e, 1, "Etc/UTC"), USHER_OK);
    for (uint32_t k = 0; k < USHER_MAX_CLOSED_PER_DAY; k++) /* the even minutes 0 .. 126 */
        CHILD_EQ((uint64_t)usher_calendar_add_holiday(e, 1, 2024, 1, 10, 2 * k, 2 * k + 1),
                 USHER_OK);
    CHILD_EQ((uint64_t)usher_calendar_add_holiday(e, 1, 2024, 1, 10, 300, 301),
             (uint64_t)USHER_ELIMIT);
    CHILD_EQ((uint64_t)usher_calendar_add_holiday(e, 1, 2024, 1, 10, 1, 2), USHER_OK); /* merges */
    const uint64_t day = utc(2024, 1, 10, 0, 0);
    CHILD_EQ(child_between(e, 1, day, day + DAY_MS), (1440 - 64 - 1) * MIN_MS);
    CHILD_EQ(child_next_open(e, 1, day), day + 3 * MIN_MS);
    /* 62 open odd minutes 3 .. 125, then from 127 on: 63 minutes end at 02:08. */
    CHILD_EQ(child_add(e, 1, day, 63 * MIN_MS), day + 128 * MIN_MS);
    end_engine(e);
}

static void test_many_holidays_one_day(void **state)
{
    (void)state;
    in_child(many_holidays_body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_offsets_match_libc, teardown),
        cmocka_unit_test_teardown(test_dst_berlin, teardown),
        cmocka_unit_test_teardown(test_dst_new_york, teardown),
        cmocka_unit_test_teardown(test_holidays, teardown),
        cmocka_unit_test_teardown(test_overnight, teardown),
        cmocka_unit_test_teardown(test_next_open, teardown),
        cmocka_unit_test_teardown(test_random_against_reference, teardown),
        cmocka_unit_test_teardown(test_long_spans_against_reference, teardown),
        cmocka_unit_test_teardown(test_tzif_real_files, teardown),
        cmocka_unit_test_teardown(test_tzif_truncated, teardown),
        cmocka_unit_test_teardown(test_tzif_hand_built, teardown),
        cmocka_unit_test_teardown(test_tzif_footers, teardown),
        cmocka_unit_test_teardown(test_tzif_fuzz, teardown),
        cmocka_unit_test_teardown(test_api_errors, teardown),
        cmocka_unit_test_teardown(test_allocation_failure_sweep, teardown),
        /* Suspected library bugs: */
        cmocka_unit_test_teardown(test_next_open_beyond_time_max, teardown),
        cmocka_unit_test_teardown(test_fall_back_across_midnight, teardown),
        cmocka_unit_test_teardown(test_huge_business, teardown),
        cmocka_unit_test_teardown(test_many_holidays_one_day, teardown),
    };
    const char *only = getenv("TEST_CALENDAR_FILTER"); /* e.g. "test_tzif*" */
    if (only)
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
