/*
 * TZif parsing and time-zone arithmetic (see tz.h). The parser reads
 * through a bounds-checked cursor: every read checks the remaining length
 * first, so corrupt or truncated input is refused, never over-read.
 */
#include "tz.h"

#include <string.h>

#define HOUR 3600
#define DAY 86400

/* ---- civil calendar (days since 1970-01-01, proleptic Gregorian) ----------- */

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

int64_t us_days_from_civil(int64_t year, unsigned month, unsigned day)
{
    year -= month <= 2;
    int64_t era = floor_div(year, 400);
    int64_t yoe = year - era * 400;
    int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void us_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
    days += 719468;
    int64_t era = floor_div(days, 146097);
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

unsigned us_weekday(int64_t days) { return (unsigned)(days - floor_div(days + 4, 7) * 7 + 4); }

static bool leap_year(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* ---- POSIX TZ rules (the TZif footer) -------------------------------------------- */

static const unsigned month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/* The day (since 1970) a rule date falls on in `year`. */
static int64_t rule_day(const us_tz_date *d, int64_t year)
{
    int64_t jan1 = us_days_from_civil(year, 1, 1);
    if (d->kind == 'J') /* 1..365, February 29 never counted */
        return jan1 + d->day - 1 + (leap_year(year) && d->day > 59);
    if (d->kind == 'N')
        return jan1 + d->day;
    int64_t first = us_days_from_civil(year, d->month, 1);
    unsigned length = month_days[d->month - 1] + (d->month == 2 && leap_year(year));
    int64_t day = first + (d->weekday + 7 - us_weekday(first)) % 7 + 7 * (d->week - 1);
    while (day >= first + length) /* week 5: the last such weekday */
        day -= 7;
    return day;
}

static int64_t rule_instant(const us_tz_date *d, int64_t year, int32_t offset_before)
{
    return rule_day(d, year) * DAY + d->time - offset_before;
}

typedef struct rule_event {
    int64_t at;
    int32_t offset; /* in effect from `at` */
} rule_event;

/* The rule's transitions in years y-1 .. y+2, in time order. */
static int rule_events(const us_tz_rule *r, int64_t y, rule_event out[8])
{
    int n = 0;
    for (int64_t year = y - 1; year <= y + 2; year++) {
        out[n++] = (rule_event){rule_instant(&r->start, year, r->std_offset), r->dst_offset};
        out[n++] = (rule_event){rule_instant(&r->end, year, r->dst_offset), r->std_offset};
    }
    for (int i = 1; i < n; i++) /* insertion sort of eight */
        for (int j = i; j > 0 && out[j].at < out[j - 1].at; j--) {
            rule_event swap = out[j];
            out[j] = out[j - 1];
            out[j - 1] = swap;
        }
    return n;
}

static int64_t year_of(int64_t t)
{
    int64_t y;
    unsigned m, d;
    us_civil_from_days(floor_div(t, DAY), &y, &m, &d);
    return y;
}

static int32_t rule_offset(const us_tz_rule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_offset;
    rule_event ev[8];
    int n = rule_events(r, year_of(t + r->std_offset), ev);
    int32_t offset = ev[0].offset == r->dst_offset ? r->std_offset : r->dst_offset;
    for (int i = 0; i < n && ev[i].at <= t; i++)
        offset = ev[i].offset;
    return offset;
}

/* ---- lookups ------------------------------------------------------------------------ */

/* The index of the last explicit transition at or before t, or -1. */
static int64_t last_at_or_before(const us_tz *tz, int64_t t)
{
    int64_t lo = 0, hi = (int64_t)tz->count; /* answer in [lo - 1, hi) */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (tz->times[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

int32_t us_tz_offset(const us_tz *tz, int64_t t)
{
    int64_t i = last_at_or_before(tz, t);
    bool after_all = i == (int64_t)tz->count - 1 && (tz->count == 0 || t > tz->times[i]);
    if (after_all && tz->has_rule)
        return rule_offset(&tz->rule, t);
    return i < 0 ? tz->initial : tz->offsets[i];
}

/* The transitions in (a, b], at most `max`, in order. */
static int transitions_in(const us_tz *tz, int64_t a, int64_t b, int64_t *out, int max)
{
    int n = 0;
    for (int64_t i = last_at_or_before(tz, a) + 1; i < tz->count && tz->times[i] <= b && n < max; i++)
        out[n++] = tz->times[i];
    int64_t after = tz->count ? tz->times[tz->count - 1] : INT64_MIN;
    if (!tz->has_rule || !tz->rule.has_dst || b <= after) /* the explicit ones cover (a, b] */
        return n;
    rule_event ev[8];
    int events = rule_events(&tz->rule, year_of(a), ev);
    for (int i = 0; i < events && n < max; i++)
        if (ev[i].at > a && ev[i].at <= b && ev[i].at > after)
            out[n++] = ev[i].at;
    return n;
}

int64_t us_tz_first_at_or_after(const us_tz *tz, int64_t local_ms)
{
    /* Offsets stay within a day of UTC, so the answer is within 27 hours
     * of local_ms read as UTC: walk the segments between transitions. */
    int64_t local = floor_div(local_ms, 1000);
    int64_t bounds[10];
    int64_t start = local - 27 * HOUR;
    int n = transitions_in(tz, start, local + 27 * HOUR, bounds, 10);
    for (int i = 0; i <= n; i++) {
        int64_t from = i == 0 ? start : bounds[i - 1];
        int64_t offset_ms = (int64_t)us_tz_offset(tz, from) * 1000;
        bool last = i == n;
        if (last || bounds[i] * 1000 + offset_ms > local_ms) {
            int64_t t = local_ms - offset_ms;
            return i > 0 && t < from * 1000 ? from * 1000 : t;
        }
    }
    return local_ms; /* not reached: the last segment is open-ended */
}

int64_t us_tz_next_transition(const us_tz *tz, int64_t t)
{
    int64_t i = last_at_or_before(tz, t) + 1;
    if (i < (int64_t)tz->count)
        return tz->times[i];
    if (!tz->has_rule || !tz->rule.has_dst)
        return INT64_MAX;
    rule_event ev[8];
    int n = rule_events(&tz->rule, year_of(t), ev);
    for (int k = 0; k < n; k++)
        if (ev[k].at > t)
            return ev[k].at;
    return INT64_MAX; /* not reached: the next year has two */
}

void us_tz_fixed(us_tz *tz, int32_t offset)
{
    memset(tz, 0, sizeof *tz);
    tz->initial = offset;
}

void us_tz_free(const us_alloc *alloc, us_tz *tz)
{
    us_free(alloc, tz->times);
    us_free(alloc, tz->offsets);
    memset(tz, 0, sizeof *tz);
}
