/*
 * Business-time arithmetic. Time is walked local day by local day: a day's
 * open segments come from the weekly intervals (its own and the previous
 * day's overnight part) minus its holidays, and each segment's ends are
 * turned into UTC instants through the zone. Whole weeks with neither a
 * holiday nor a zone transition anywhere near are skipped at once: each of
 * them holds exactly week_open_ms of open time.
 */
#include "calendar.h"

#include <string.h>

#define MINUTE_MS INT64_C(60000)
#define DAY_MIN 1440
#define DAY_MS (DAY_MIN * MINUTE_MS)
#define WEEK_MIN (7 * DAY_MIN)
#define MAX_SEGMENTS (2 * USHER_MAX_OPEN_INTERVALS + 2 + USHER_MAX_CLOSED_PER_DAY)

typedef struct segment {
    uint16_t from, to; /* minutes of the local day, to <= 1440 */
} segment;

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* ---- setting up ------------------------------------------------------------------------ */

static void sort_week(us_week_interval *w, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t j = i; j > 0 && w[j].from < w[j - 1].from; j--) {
            us_week_interval swap = w[j];
            w[j] = w[j - 1];
            w[j - 1] = swap;
        }
}

bool us_calendar_week_from(const usher_open_hours *hours, size_t count, us_week_interval *out,
                           uint32_t *out_count)
{
    uint32_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const usher_open_hours *h = &hours[i];
        if (h->weekday > 6 || h->open_minute >= DAY_MIN || h->close_minute <= h->open_minute ||
            h->close_minute > h->open_minute + DAY_MIN)
            return false;
        uint32_t from = h->weekday * DAY_MIN + h->open_minute;
        uint32_t to = h->weekday * DAY_MIN + h->close_minute;
        if (to > WEEK_MIN) { /* Saturday night into Sunday morning */
            out[n++] = (us_week_interval){0, (uint16_t)(to - WEEK_MIN)};
            to = WEEK_MIN;
        }
        out[n++] = (us_week_interval){(uint16_t)from, (uint16_t)to};
    }
    sort_week(out, n);
    for (uint32_t i = 1; i < n; i++)
        if (out[i].from < out[i - 1].to)
            return false;
    *out_count = n;
    return true;
}

void us_calendar_set_week(us_calendar *c, const us_week_interval *week, uint32_t count)
{
    memcpy(c->week, week, count * sizeof *week);
    c->week_count = count;
    c->always_open = false;
    c->week_open_ms = 0;
    for (uint32_t i = 0; i < count; i++)
        c->week_open_ms += (uint64_t)(week[i].to - week[i].from) * MINUTE_MS;
}

static bool week_valid(const us_calendar *c)
{
    if (c->always_open)
        return c->week_count == 0;
    if (c->week_count < 1 || c->week_count > 2 * USHER_MAX_OPEN_INTERVALS)
        return false;
    for (uint32_t i = 0; i < c->week_count; i++)
        if (c->week[i].from >= c->week[i].to || c->week[i].to > WEEK_MIN ||
            (i > 0 && c->week[i].from < c->week[i - 1].to))
            return false;
    return true;
}

static bool holidays_valid(const us_calendar *c)
{
    int64_t first_day = 0, last_day = us_days_from_civil(9999, 12, 31);
    uint32_t on_day = 0;
    if (c->holiday_count > USHER_MAX_HOLIDAYS)
        return false;
    for (uint32_t i = 0; i < c->holiday_count; i++) {
        const us_holiday *h = &c->holidays[i];
        if (h->day < first_day || h->day > last_day || h->from >= h->to || h->to > DAY_MIN)
            return false;
        bool same_day = i > 0 && h->day == c->holidays[i - 1].day;
        if (i > 0 && (h->day < c->holidays[i - 1].day ||
                      (same_day && h->from <= c->holidays[i - 1].to)))
            return false; /* out of order, or touching stretches left unmerged */
        on_day = same_day ? on_day + 1 : 1;
        if (on_day > USHER_MAX_CLOSED_PER_DAY)
            return false;
    }
    return true;
}

bool us_calendar_valid(const us_calendar *c) { return week_valid(c) && holidays_valid(c); }

/* The index of the first holiday of `day` or later. */
static uint32_t first_holiday(const us_calendar *c, int64_t day)
{
    uint32_t lo = 0, hi = c->holiday_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->holidays[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint32_t us_calendar_stretches_with(const us_calendar *c, int64_t day, uint16_t from, uint16_t to)
{
    uint32_t n = 1;
    for (uint32_t i = first_holiday(c, day); i < c->holiday_count && c->holidays[i].day == day; i++)
        n += c->holidays[i].to < from || c->holidays[i].from > to; /* stays separate */
    return n;
}

void us_calendar_close(us_calendar *c, int64_t day, uint16_t from, uint16_t to)
{
    us_holiday *h = c->holidays;
    uint32_t n = c->holiday_count, i = first_holiday(c, day);
    while (i < n && h[i].day == day && h[i].to < from) /* wholly before: kept */
        i++;
    uint32_t j = i;
    for (; j < n && h[j].day == day && h[j].from <= to; j++) { /* overlapping or touching */
        from = h[j].from < from ? h[j].from : from;
        to = h[j].to > to ? h[j].to : to;
    }
    memmove(&h[i + 1], &h[j], (n - j) * sizeof *h); /* [i, j) becomes one stretch */
    h[i] = (us_holiday){day, from, to};
    c->holiday_count = n - (j - i) + 1;
}

/* ---- one local day ------------------------------------------------------------------------ */

/* The week's open minutes of local day `day` (before holidays), sorted. */
static uint32_t week_segments(const us_calendar *c, int64_t day, segment *out)
{
    if (c->always_open) {
        out[0] = (segment){0, DAY_MIN};
        return 1;
    }
    uint32_t start = us_weekday(day) * DAY_MIN, end = start + DAY_MIN, n = 0;
    for (uint32_t i = 0; i < c->week_count; i++) {
        uint32_t from = c->week[i].from > start ? c->week[i].from : start;
        uint32_t to = c->week[i].to < end ? c->week[i].to : end;
        if (from < to)
            out[n++] = (segment){(uint16_t)(from - start), (uint16_t)(to - start)};
    }
    return n;
}

/* Removes [from, to) from sorted segments; returns the new count. */
static uint32_t cut(segment *s, uint32_t n, uint16_t from, uint16_t to)
{
    segment kept[MAX_SEGMENTS];
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (s[i].to <= from || s[i].from >= to) {
            kept[k++] = s[i];
            continue;
        }
        if (s[i].from < from)
            kept[k++] = (segment){s[i].from, from};
        if (s[i].to > to)
            kept[k++] = (segment){to, s[i].to};
    }
    memcpy(s, kept, k * sizeof *s);
    return k;
}

/* The open segments of local day `day`. A cut splits one segment at most
 * once and holidays of one day do not overlap, so the count stays below
 * the week's segments plus the day's closed stretches (at most
 * USHER_MAX_CLOSED_PER_DAY). */
static uint32_t day_segments(const us_calendar *c, int64_t day, segment *out)
{
    uint32_t n = week_segments(c, day, out);
    for (uint32_t h = first_holiday(c, day); h < c->holiday_count && c->holidays[h].day == day;
         h++)
        n = cut(out, n, c->holidays[h].from, c->holidays[h].to);
    return n;
}

/* The first UTC instant of minute `minute` of local day `day`. */
static int64_t utc_of(const us_calendar *c, int64_t day, uint32_t minute)
{
    return us_tz_first_at_or_after(&c->tz, day * DAY_MS + minute * MINUTE_MS);
}

static int64_t local_day_of(const us_calendar *c, int64_t t)
{
    int64_t offset = us_tz_offset(&c->tz, floor_div(t, 1000));
    return floor_div(t + offset * 1000, DAY_MS);
}

/* ---- skipping regular weeks ----------------------------------------------------------------- */

/* How many whole weeks from local day `day` on hold no holiday and no zone
 * transition (with a day of margin on each side), at most `limit`. */
static int64_t regular_weeks(const us_calendar *c, int64_t day, int64_t limit)
{
    if (limit <= 0)
        return 0;
    int64_t last = day + 7 * limit; /* the first day after the stretch */
    uint32_t h = first_holiday(c, day);
    if (h < c->holiday_count && c->holidays[h].day < last)
        last = c->holidays[h].day;
    int64_t next = us_tz_next_transition(&c->tz, (day - 2) * (DAY_MS / 1000));
    if (next != INT64_MAX && floor_div(next, DAY_MS / 1000) - 2 < last)
        last = floor_div(next, DAY_MS / 1000) - 2;
    return last > day ? (last - day) / 7 : 0;
}

/* ---- the arithmetic --------------------------------------------------------------------------- */

/* The last local day the arithmetic needs to look at. */
#define LAST_DAY ((int64_t)(USHER_CALENDAR_TIME_MAX / DAY_MS) + 2)

uint64_t us_calendar_add(const us_calendar *c, uint64_t from, uint64_t business)
{
    if (business == 0)
        return from;
    uint64_t left = business, week = c->always_open ? 7 * DAY_MS : c->week_open_ms;
    int64_t start = (int64_t)from;
    for (int64_t day = local_day_of(c, start);; day++) {
        if (day > LAST_DAY)
            return USHER_TIME_NEVER;
        int64_t day_start = utc_of(c, day, 0);
        if (day_start > (int64_t)USHER_CALENDAR_TIME_MAX)
            return USHER_TIME_NEVER;
        if (day_start >= start && week > 0) {
            uint64_t whole = (left - 1) / week, room = (uint64_t)(LAST_DAY - day) / 7;
            int64_t weeks = regular_weeks(c, day, (int64_t)(whole < room ? whole : room));
            if (weeks > 0) {
                left -= (uint64_t)weeks * week;
                day += 7 * weeks - 1;
                start = utc_of(c, day + 1, 0);
                continue;
            }
        }
        segment seg[MAX_SEGMENTS];
        uint32_t n = day_segments(c, day, seg);
        for (uint32_t i = 0; i < n; i++) {
            int64_t lo = utc_of(c, day, seg[i].from), hi = utc_of(c, day, seg[i].to);
            lo = lo > start ? lo : start;
            if (hi <= lo)
                continue;
            if (left <= (uint64_t)(hi - lo))
                return (uint64_t)lo + left > USHER_CALENDAR_TIME_MAX ? USHER_TIME_NEVER
                                                                      : (uint64_t)lo + left;
            left -= (uint64_t)(hi - lo);
        }
    }
}

uint64_t us_calendar_between(const us_calendar *c, uint64_t from, uint64_t to)
{
    uint64_t sum = 0, week = c->always_open ? 7 * DAY_MS : c->week_open_ms;
    int64_t a = (int64_t)from, b = (int64_t)to;
    /* Not local_day_of(b): when clocks go back across midnight, b's local
     * day is earlier than days that began before b. */
    int64_t last_day = local_day_of(c, b) + 1;
    for (int64_t day = local_day_of(c, a); day <= last_day && utc_of(c, day, 0) < b; day++) {
        if (utc_of(c, day, 0) >= a) {
            int64_t weeks = regular_weeks(c, day, (last_day - day) / 7);
            if (weeks > 0 && utc_of(c, day + 7 * weeks, 0) <= b) {
                sum += (uint64_t)weeks * week;
                day += 7 * weeks - 1;
                continue;
            }
        }
        segment seg[MAX_SEGMENTS];
        uint32_t n = day_segments(c, day, seg);
        for (uint32_t i = 0; i < n; i++) {
            int64_t lo = utc_of(c, day, seg[i].from), hi = utc_of(c, day, seg[i].to);
            lo = lo > a ? lo : a;
            hi = hi < b ? hi : b;
            if (hi > lo)
                sum += (uint64_t)(hi - lo);
        }
    }
    return sum;
}

uint64_t us_calendar_next_open(const us_calendar *c, uint64_t at)
{
    int64_t t = (int64_t)at;
    for (int64_t day = local_day_of(c, t);; day++) {
        if (utc_of(c, day, 0) > (int64_t)USHER_CALENDAR_TIME_MAX)
            return USHER_TIME_NEVER;
        segment seg[MAX_SEGMENTS];
        uint32_t n = day_segments(c, day, seg);
        for (uint32_t i = 0; i < n; i++) {
            int64_t lo = utc_of(c, day, seg[i].from), hi = utc_of(c, day, seg[i].to);
            if (hi > t && hi > lo) {
                uint64_t open = (uint64_t)(lo > t ? lo : t);
                return open <= USHER_CALENDAR_TIME_MAX ? open : USHER_TIME_NEVER;
            }
        }
    }
}
