/*
 * The TZif reader (RFC 8536): header, version 1 or 64-bit data block,
 * footer with a POSIX TZ string. Every read goes through a cursor that
 * checks the remaining length; anything malformed is USHER_ECORRUPT.
 */
#include "tz.h"

#include <string.h>

#define HOUR 3600
/* Offsets beyond a day and a bit are not real zones. */
#define MAX_OFFSET (26 * HOUR)

typedef struct cursor {
    const uint8_t *p;
    size_t left;
} cursor;

static bool take(cursor *c, size_t n, const uint8_t **out)
{
    if (c->left < n)
        return false;
    *out = c->p;
    c->p += n;
    c->left -= n;
    return true;
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int64_t be64(const uint8_t *b) { return (int64_t)((uint64_t)be32(b) << 32 | be32(b + 4)); }

typedef struct header {
    uint8_t version; /* 0, '2', '3' or '4' */
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} header;

static bool read_header(cursor *c, header *h)
{
    const uint8_t *b;
    if (!take(c, 44, &b) || memcmp(b, "TZif", 4) != 0)
        return false;
    h->version = b[4];
    if (h->version != 0 && (h->version < '2' || h->version > '4'))
        return false;
    h->isutcnt = be32(b + 20);
    h->isstdcnt = be32(b + 24);
    h->leapcnt = be32(b + 28);
    h->timecnt = be32(b + 32);
    h->typecnt = be32(b + 36);
    h->charcnt = be32(b + 40);
    return h->typecnt >= 1 && h->typecnt <= 256 && h->charcnt >= 1 &&
           (h->isutcnt == 0 || h->isutcnt == h->typecnt) &&
           (h->isstdcnt == 0 || h->isstdcnt == h->typecnt);
}

static uint64_t body_size(const header *h, unsigned time_size)
{
    return (uint64_t)h->timecnt * (time_size + 1) + (uint64_t)h->typecnt * 6 + h->charcnt +
           (uint64_t)h->leapcnt * (time_size + 4) + h->isstdcnt + h->isutcnt;
}

/* Reads a data block (time_size 4 or 8) into tz (arrays allocated). */
static usher_status read_body(const us_alloc *alloc, cursor *c, const header *h,
                              unsigned time_size, us_tz *tz)
{
    const uint8_t *times, *indices, *types;
    if (h->leapcnt != 0) /* leap-second ("right/") zones are not supported */
        return USHER_ECORRUPT;
    if (body_size(h, time_size) > c->left || !take(c, (size_t)h->timecnt * time_size, &times) ||
        !take(c, h->timecnt, &indices) || !take(c, (size_t)h->typecnt * 6, &types))
        return USHER_ECORRUPT;
    c->p += (size_t)h->charcnt + h->isstdcnt + h->isutcnt; /* within body_size */
    c->left -= (size_t)h->charcnt + h->isstdcnt + h->isutcnt;
    for (uint32_t i = 0; i < h->typecnt; i++) {
        int32_t offset = (int32_t)be32(types + 6 * i);
        if (offset < -MAX_OFFSET || offset > MAX_OFFSET || types[6 * i + 4] > 1 ||
            types[6 * i + 5] >= h->charcnt)
            return USHER_ECORRUPT;
    }
    size_t n = h->timecnt ? h->timecnt : 1;
    tz->times = us_malloc(alloc, n * sizeof *tz->times);
    tz->offsets = us_malloc(alloc, n * sizeof *tz->offsets);
    if (!tz->times || !tz->offsets)
        return USHER_ENOMEM;
    for (uint32_t i = 0; i < h->timecnt; i++) {
        const uint8_t *t = times + (size_t)i * time_size;
        tz->times[i] = time_size == 8 ? be64(t) : (int32_t)be32(t);
        if ((i > 0 && tz->times[i] <= tz->times[i - 1]) || indices[i] >= h->typecnt)
            return USHER_ECORRUPT;
        tz->offsets[i] = (int32_t)be32(types + 6 * indices[i]);
    }
    tz->count = h->timecnt;
    tz->initial = (int32_t)be32(types);
    return USHER_OK;
}

/* ---- the POSIX TZ string -------------------------------------------------------------- */

typedef struct text {
    const char *p, *end;
} text;

static bool at(const text *s, char ch) { return s->p < s->end && *s->p == ch; }
static bool digit(const text *s) { return s->p < s->end && *s->p >= '0' && *s->p <= '9'; }
static bool alpha(char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'); }

static bool parse_name(text *s)
{
    const char *start = s->p;
    if (at(s, '<')) {
        for (s->p++; s->p < s->end && *s->p != '>'; s->p++)
            if (!alpha(*s->p) && !(*s->p >= '0' && *s->p <= '9') && *s->p != '+' &&
                *s->p != '-')
                return false;
        if (!at(s, '>'))
            return false;
        s->p++;
        return s->p - start >= 5; /* <...> with at least three characters */
    }
    while (s->p < s->end && alpha(*s->p))
        s->p++;
    return s->p - start >= 3;
}

static bool parse_number(text *s, long max, long *out)
{
    if (!digit(s))
        return false;
    long value = 0;
    while (digit(s)) {
        value = value * 10 + (*s->p++ - '0');
        if (value > max)
            return false;
    }
    *out = value;
    return true;
}

/* [+-]hh[:mm[:ss]] in seconds, hours up to max_hours. */
static bool parse_time(text *s, long max_hours, int32_t *out)
{
    int sign = 1;
    if (at(s, '+') || at(s, '-'))
        sign = *s->p++ == '-' ? -1 : 1;
    long h, m = 0, sec = 0;
    if (!parse_number(s, max_hours, &h))
        return false;
    if (at(s, ':')) {
        s->p++;
        if (!parse_number(s, 59, &m))
            return false;
        if (at(s, ':')) {
            s->p++;
            if (!parse_number(s, 59, &sec))
                return false;
        }
    }
    *out = (int32_t)(sign * (h * HOUR + m * 60 + sec));
    return true;
}

static bool parse_date(text *s, us_tz_date *d)
{
    long a, b, c;
    memset(d, 0, sizeof *d);
    if (at(s, 'J')) {
        s->p++;
        if (!parse_number(s, 365, &a) || a < 1)
            return false;
        d->kind = 'J';
        d->day = (uint16_t)a;
    } else if (at(s, 'M')) {
        s->p++;
        if (!parse_number(s, 12, &a) || a < 1 || !at(s, '.'))
            return false;
        s->p++;
        if (!parse_number(s, 5, &b) || b < 1 || !at(s, '.'))
            return false;
        s->p++;
        if (!parse_number(s, 6, &c))
            return false;
        d->kind = 'M';
        d->month = (uint8_t)a;
        d->week = (uint8_t)b;
        d->weekday = (uint8_t)c;
    } else {
        if (!parse_number(s, 365, &a))
            return false;
        d->kind = 'N';
        d->day = (uint16_t)a;
    }
    d->time = 2 * HOUR;
    if (at(s, '/')) {
        s->p++;
        return parse_time(s, 167, &d->time);
    }
    return true;
}

/* The footer's rule; an empty footer means no rule. */
static bool parse_rule(const char *str, size_t len, us_tz *tz)
{
    text s = {str, str + len};
    if (len == 0)
        return true;
    us_tz_rule *r = &tz->rule;
    int32_t std;
    if (!parse_name(&s) || !parse_time(&s, 24, &std))
        return false;
    r->std_offset = -std; /* POSIX counts west of Greenwich */
    tz->has_rule = true;
    if (s.p == s.end)
        return true;
    if (!parse_name(&s))
        return false;
    r->has_dst = true;
    r->dst_offset = r->std_offset + HOUR;
    if (!at(&s, ',') && s.p < s.end) {
        int32_t dst;
        if (!parse_time(&s, 24, &dst))
            return false;
        r->dst_offset = -dst;
    }
    if (s.p == s.end) { /* no rule given: the usual United States one */
        r->start = (us_tz_date){'M', 3, 2, 0, 0, 2 * HOUR};
        r->end = (us_tz_date){'M', 11, 1, 0, 0, 2 * HOUR};
        return true;
    }
    if (!at(&s, ','))
        return false;
    s.p++;
    if (!parse_date(&s, &r->start) || !at(&s, ','))
        return false;
    s.p++;
    return parse_date(&s, &r->end) && s.p == s.end;
}

static bool read_footer(cursor *c, us_tz *tz)
{
    const uint8_t *b;
    if (!take(c, 1, &b) || b[0] != '\n')
        return false;
    const uint8_t *nl = memchr(c->p, '\n', c->left);
    if (!nl)
        return false;
    size_t len = (size_t)(nl - c->p);
    const uint8_t *str = c->p;
    c->p += len + 1;
    c->left -= len + 1;
    return memchr(str, '\0', len) == NULL && parse_rule((const char *)str, len, tz);
}

usher_status us_tz_parse(const us_alloc *alloc, const uint8_t *buf, size_t len, us_tz *out)
{
    cursor c = {buf, buf ? len : 0};
    header h;
    us_tz tz;
    memset(&tz, 0, sizeof tz);
    if (!read_header(&c, &h))
        return USHER_ECORRUPT;
    unsigned time_size = 4;
    if (h.version >= '2') { /* skip the 32-bit block: the 64-bit one follows */
        const uint8_t *skip;
        uint64_t size = body_size(&h, 4);
        if (size > c.left || !take(&c, (size_t)size, &skip) || !read_header(&c, &h))
            return USHER_ECORRUPT;
        time_size = 8;
    }
    usher_status st = read_body(alloc, &c, &h, time_size, &tz);
    if (st == USHER_OK && time_size == 8 && !read_footer(&c, &tz))
        st = USHER_ECORRUPT;
    if (st != USHER_OK) {
        us_tz_free(alloc, &tz);
        return st;
    }
    *out = tz;
    return USHER_OK;
}

/* ---- zones from elsewhere (snapshots) ------------------------------------------------- */

/* The most a POSIX TZ offset (hh[:mm[:ss]], hours up to 24) and a rule
 * time (hours up to 167) can be. */
#define MAX_RULE_OFFSET (24 * HOUR + 59 * 60 + 59)
#define MAX_RULE_TIME (167 * HOUR + 59 * 60 + 59)

static bool date_valid(const us_tz_date *d)
{
    if (d->time < -MAX_RULE_TIME || d->time > MAX_RULE_TIME)
        return false;
    switch (d->kind) {
    case 'J':
        return d->day >= 1 && d->day <= 365 && !d->month && !d->week && !d->weekday;
    case 'N':
        return d->day <= 365 && !d->month && !d->week && !d->weekday;
    case 'M':
        return d->month >= 1 && d->month <= 12 && d->week >= 1 && d->week <= 5 &&
               d->weekday <= 6 && !d->day;
    default:
        return false;
    }
}

static bool date_unset(const us_tz_date *d)
{
    return !d->kind && !d->month && !d->week && !d->weekday && !d->day && !d->time;
}

static bool rule_valid(const us_tz *tz)
{
    const us_tz_rule *r = &tz->rule;
    if (!tz->has_rule && (r->has_dst || r->std_offset))
        return false;
    if (r->std_offset < -MAX_RULE_OFFSET || r->std_offset > MAX_RULE_OFFSET)
        return false;
    if (!r->has_dst)
        return !r->dst_offset && date_unset(&r->start) && date_unset(&r->end);
    return r->dst_offset >= -MAX_RULE_OFFSET && r->dst_offset <= MAX_RULE_OFFSET &&
           date_valid(&r->start) && date_valid(&r->end);
}

bool us_tz_valid(const us_tz *tz)
{
    if (tz->initial < -MAX_OFFSET || tz->initial > MAX_OFFSET)
        return false;
    for (uint32_t i = 0; i < tz->count; i++)
        if ((i > 0 && tz->times[i] <= tz->times[i - 1]) || tz->offsets[i] < -MAX_OFFSET ||
            tz->offsets[i] > MAX_OFFSET)
            return false;
    return rule_valid(tz);
}
