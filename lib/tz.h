/*
 * Time zones from TZif data (RFC 8536, versions 1 to 4): the explicit
 * transitions, then the footer's POSIX TZ rule for every later year. All
 * times here are seconds (UTC instants) or milliseconds (instants, local
 * wall-clock times); offsets are seconds east of UTC.
 */
#ifndef USHER_TZ_H
#define USHER_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

/* A day in a POSIX TZ rule: Jn, n or Mm.w.d, and the local time of day. */
typedef struct us_tz_date {
    uint8_t kind; /* 'J', 'N' (zero-based day) or 'M' */
    uint8_t month, week, weekday;
    uint16_t day;
    int32_t time; /* seconds after local midnight, -167 h .. 167 h */
} us_tz_date;

typedef struct us_tz_rule {
    int32_t std_offset, dst_offset;
    bool has_dst;
    us_tz_date start, end; /* daylight saving time starts, ends */
} us_tz_rule;

typedef struct us_tz {
    int64_t *times;   /* explicit transitions, strictly ascending */
    int32_t *offsets; /* the offset from each transition on */
    uint32_t count;
    int32_t initial; /* the offset before the first transition */
    bool has_rule;   /* the footer's rule governs after the last transition */
    us_tz_rule rule;
} us_tz;

/* Parses TZif data. USHER_ECORRUPT for anything malformed, truncated or
 * unsupported (leap-second tables); USHER_ENOMEM. Reads only buf[0, len). */
usher_status us_tz_parse(const us_alloc *alloc, const uint8_t *buf, size_t len, us_tz *out);
void us_tz_free(const us_alloc *alloc, us_tz *tz);

/* True if a zone is one us_tz_parse() could have produced: ascending
 * transitions, offsets and rule fields in the parser's ranges, unused rule
 * fields zero (snapshots keep zones in this parsed form). */
bool us_tz_valid(const us_tz *tz);

/* A fixed offset (a 24/7 calendar's zone needs no data). */
void us_tz_fixed(us_tz *tz, int32_t offset);

/* The offset in effect at UTC second t. */
int32_t us_tz_offset(const us_tz *tz, int64_t t);

/* The first transition after UTC second t, INT64_MAX if none. */
int64_t us_tz_next_transition(const us_tz *tz, int64_t t);

/* The first UTC millisecond whose local wall-clock time is at or after
 * `local_ms` (a local time in a gap maps to the end of the gap; one that
 * occurs twice maps to its first occurrence). */
int64_t us_tz_first_at_or_after(const us_tz *tz, int64_t local_ms);

/* Civil calendar helpers: days since 1970-01-01 and back; 0 = Sunday. */
int64_t us_days_from_civil(int64_t year, unsigned month, unsigned day);
void us_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);
unsigned us_weekday(int64_t days);

#endif
