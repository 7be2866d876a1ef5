/*
 * Business-hours calendars: a time zone, weekly open intervals in local
 * time, and holidays. calendar.c does the arithmetic (pure: no engine);
 * calendars.c keeps the engine's calendars and the public API.
 */
#ifndef USHER_CALENDAR_H
#define USHER_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#include "idmap.h"
#include "pool.h"
#include "tz.h"

/* A closed stretch of one local date, in minutes after its midnight. */
typedef struct us_holiday {
    int64_t day; /* days since 1970-01-01 */
    uint16_t from, to;
} us_holiday;

/* An open interval of the week, in minutes after Sunday 00:00 local. */
typedef struct us_week_interval {
    uint16_t from, to; /* to <= 7 * 1440: a Saturday-night shift is split in two */
} us_week_interval;

typedef struct us_calendar {
    uint32_t next_free;
    uint32_t id;
    us_tz tz;
    bool always_open; /* no hours set: open all week */
    us_week_interval week[2 * USHER_MAX_OPEN_INTERVALS];
    uint32_t week_count;
    uint64_t week_open_ms;
    us_holiday *holidays; /* sorted by (day, from), not overlapping */
    uint32_t holiday_count, holiday_capacity;
} us_calendar;

typedef struct us_calendars {
    us_pool pool;
    us_idmap by_id;
} us_calendars;

/* Sets the weekly hours (validated by the caller). */
void us_calendar_set_week(us_calendar *c, const us_week_interval *week, uint32_t count);

/* Checks weekly hours and turns them into sorted, non-overlapping week
 * intervals (at most 2 * count): false if out of range or overlapping. */
bool us_calendar_week_from(const usher_open_hours *hours, size_t count, us_week_interval *out,
                           uint32_t *out_count);

/* True if the calendar's hours and holidays are what the calendar API can
 * produce: hours empty while always open, else sorted week intervals that
 * do not overlap; holidays sorted, on dates of years 1970 .. 9999, stretches
 * of one date apart from each other, within the limits. Its zone is
 * checked by us_tz_valid(). */
bool us_calendar_valid(const us_calendar *c);

/* How many closed stretches `day` would have with [from, to) added. */
uint32_t us_calendar_stretches_with(const us_calendar *c, int64_t day, uint16_t from, uint16_t to);

/* Merges a closed stretch into the holidays (room for one more reserved:
 * holiday_count < holiday_capacity). */
void us_calendar_close(us_calendar *c, int64_t day, uint16_t from, uint16_t to);

/* The arithmetic; instants in ms, at most USHER_CALENDAR_TIME_MAX. */
uint64_t us_calendar_add(const us_calendar *c, uint64_t from, uint64_t business);
uint64_t us_calendar_between(const us_calendar *c, uint64_t from, uint64_t to);
uint64_t us_calendar_next_open(const us_calendar *c, uint64_t at);

#endif
