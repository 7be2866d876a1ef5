/* The engine's calendars and the calendar API (arithmetic in calendar.c). */
#include "engine.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define ZONE_DIR "/usr/share/zoneinfo/"
/* Real TZif files are a few kilobytes; anything this big is not one. */
#define MAX_TZIF_SIZE (1u << 20)

/* Calendar 0: open all the time, in UTC. */
static const us_calendar always = {.always_open = true};

void us_calendars_init(us_calendars *cs, const us_alloc *alloc, uint64_t seed)
{
    us_pool_init(&cs->pool, sizeof(us_calendar), offsetof(us_calendar, next_free));
    us_idmap_init(&cs->by_id, alloc, seed ^ 7);
}

static us_calendar *calendar_at(const usher_engine *e, uint32_t slot)
{
    return (us_calendar *)us_pool_at(&e->calendars.pool, slot);
}

static void free_calendar(usher_engine *e, us_calendar *c)
{
    us_tz_free(&e->alloc, &c->tz);
    us_free(&e->alloc, c->holidays);
    c->holidays = NULL;
}

void us_calendars_free(usher_engine *e)
{
    for (uint32_t slot = 0; slot < e->calendars.pool.slots; slot++)
        if (calendar_at(e, slot)->id != 0) /* live, or freed with nothing left to free */
            free_calendar(e, calendar_at(e, slot));
    us_pool_free(&e->calendars.pool, &e->alloc);
    us_idmap_free(&e->calendars.by_id);
}

const us_calendar *us_calendar_find(const usher_engine *e, uint32_t id)
{
    uint32_t slot;
    if (id == USHER_CALENDAR_24_7)
        return &always;
    return us_idmap_find(&e->calendars.by_id, id, &slot) ? calendar_at(e, slot) : NULL;
}

/* A live calendar the host may change (not 0). */
static usher_status find_mutable(usher_engine *e, uint32_t id, us_calendar **out)
{
    uint32_t slot;
    if (id == USHER_CALENDAR_24_7)
        return USHER_EINVAL;
    if (!us_idmap_find(&e->calendars.by_id, id, &slot))
        return USHER_ENOTFOUND;
    *out = calendar_at(e, slot);
    return USHER_OK;
}

/* ---- creation ----------------------------------------------------------------------- */

static usher_status add_with_zone(usher_engine *e, uint32_t id, const void *tzif, size_t size)
{
    uint32_t slot;
    if (us_idmap_find(&e->calendars.by_id, id, &slot))
        return USHER_EEXIST;
    us_tz tz;
    usher_status st = us_tz_parse(&e->alloc, tzif, size, &tz);
    if (st != USHER_OK)
        return st;
    st = us_pool_reserve(&e->calendars.pool, &e->alloc);
    if (st == USHER_OK)
        st = us_idmap_reserve(&e->calendars.by_id, 1);
    if (st != USHER_OK) {
        us_tz_free(&e->alloc, &tz);
        return st;
    }
    slot = us_pool_take(&e->calendars.pool);
    us_calendar *c = calendar_at(e, slot);
    memset(c, 0, sizeof *c);
    c->id = id;
    c->tz = tz;
    c->always_open = true;
    (void)us_idmap_insert(&e->calendars.by_id, id, slot);
    return USHER_OK;
}

USHER_API usher_status usher_calendar_add_tzif(usher_engine *e, uint32_t calendar_id,
                                               const void *tzif, size_t size)
{
    US_CHECK_ENGINE(e);
    if (calendar_id == USHER_CALENDAR_24_7 || (!tzif && size > 0))
        return USHER_EINVAL;
    return us_finish(e, add_with_zone(e, calendar_id, tzif, size));
}

static bool zone_name_ok(const char *zone)
{
    size_t len = strlen(zone);
    if (len == 0 || len > USHER_ZONE_NAME_MAX || zone[0] == '/')
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = zone[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || strchr("/_+-.", ch);
        if (!ok)
            return false;
        bool part_start = i == 0 || zone[i - 1] == '/';
        if (part_start && ch == '.' && zone[i + 1] == '.' && (zone[i + 2] == '/' || !zone[i + 2]))
            return false;
    }
    return true;
}

/* Reads a zone file into a buffer from the engine's allocator. */
static usher_status read_zone(usher_engine *e, const char *zone, uint8_t **data, size_t *size)
{
    char path[sizeof ZONE_DIR + USHER_ZONE_NAME_MAX];
    snprintf(path, sizeof path, "%s%s", ZONE_DIR, zone);
    FILE *f = fopen(path, "rb");
    if (!f)
        return USHER_ENOTFOUND;
    *data = us_malloc(&e->alloc, MAX_TZIF_SIZE + 1);
    usher_status st = *data ? USHER_OK : USHER_ENOMEM;
    if (st == USHER_OK) {
        *size = fread(*data, 1, MAX_TZIF_SIZE + 1, f);
        if (ferror(f))
            st = USHER_ENOTFOUND;
        else if (*size > MAX_TZIF_SIZE)
            st = USHER_ECORRUPT;
    }
    fclose(f);
    if (st != USHER_OK) {
        us_free(&e->alloc, *data);
        *data = NULL;
    }
    return st;
}

USHER_API usher_status usher_calendar_add(usher_engine *e, uint32_t calendar_id, const char *zone)
{
    US_CHECK_ENGINE(e);
    if (!zone || calendar_id == USHER_CALENDAR_24_7 || !zone_name_ok(zone))
        return USHER_EINVAL;
    uint32_t slot;
    if (us_idmap_find(&e->calendars.by_id, calendar_id, &slot))
        return USHER_EEXIST;
    uint8_t *data;
    size_t size;
    usher_status st = read_zone(e, zone, &data, &size);
    if (st != USHER_OK)
        return us_finish(e, st);
    st = add_with_zone(e, calendar_id, data, size);
    us_free(&e->alloc, data);
    return us_finish(e, st);
}

USHER_API usher_status usher_calendar_remove(usher_engine *e, uint32_t calendar_id)
{
    US_CHECK_ENGINE(e);
    us_calendar *c;
    usher_status st = find_mutable(e, calendar_id, &c);
    if (st != USHER_OK)
        return st;
    if (us_sla_uses_calendar(e, calendar_id))
        return USHER_ESTATE;
    uint32_t slot;
    (void)us_idmap_erase(&e->calendars.by_id, calendar_id, &slot);
    free_calendar(e, c);
    c->id = 0;
    us_pool_put(&e->calendars.pool, slot);
    return us_finish(e, USHER_OK);
}

/* ---- hours and holidays ---------------------------------------------------------------- */

USHER_API usher_status usher_calendar_set_hours(usher_engine *e, uint32_t calendar_id,
                                                const usher_open_hours *hours, size_t count)
{
    US_CHECK_ENGINE(e);
    if (!hours || count < 1 || count > USHER_MAX_OPEN_INTERVALS)
        return USHER_EINVAL;
    us_calendar *c;
    usher_status st = find_mutable(e, calendar_id, &c);
    if (st != USHER_OK)
        return st;
    us_week_interval week[2 * USHER_MAX_OPEN_INTERVALS];
    uint32_t n;
    if (!us_calendar_week_from(hours, count, week, &n))
        return USHER_EINVAL;
    us_calendar_set_week(c, week, n);
    return us_finish(e, USHER_OK);
}

static bool valid_date(uint32_t year, uint32_t month, uint32_t day)
{
    static const uint8_t days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > days[month - 1])
        return false;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month != 2 || day <= 28 || leap;
}

USHER_API usher_status usher_calendar_add_holiday(usher_engine *e, uint32_t calendar_id,
                                                  uint32_t year, uint32_t month, uint32_t day,
                                                  uint32_t from_minute, uint32_t to_minute)
{
    US_CHECK_ENGINE(e);
    if (!valid_date(year, month, day) || from_minute >= to_minute || to_minute > 1440)
        return USHER_EINVAL;
    us_calendar *c;
    usher_status st = find_mutable(e, calendar_id, &c);
    if (st != USHER_OK)
        return st;
    int64_t date = us_days_from_civil(year, month, day);
    if (c->holiday_count >= USHER_MAX_HOLIDAYS ||
        us_calendar_stretches_with(c, date, (uint16_t)from_minute, (uint16_t)to_minute) >
            USHER_MAX_CLOSED_PER_DAY)
        return USHER_ELIMIT;
    size_t capacity = c->holiday_capacity;
    void *holidays = c->holidays;
    st = us_grow_array(&e->alloc, &holidays, &capacity, c->holiday_count + 1,
                       sizeof *c->holidays);
    if (st != USHER_OK)
        return us_finish(e, st);
    c->holidays = holidays;
    c->holiday_capacity = (uint32_t)capacity;
    us_calendar_close(c, date, (uint16_t)from_minute, (uint16_t)to_minute);
    return us_finish(e, USHER_OK);
}

/* ---- arithmetic ------------------------------------------------------------------------- */

static usher_status find_calendar(const usher_engine *e, uint32_t id, const us_calendar **out)
{
    *out = us_calendar_find(e, id);
    return *out ? USHER_OK : USHER_ENOTFOUND;
}

USHER_API usher_status usher_calendar_add_business(const usher_engine *e, uint32_t calendar_id,
                                                   uint64_t from_ms, uint64_t business_ms,
                                                   uint64_t *due_ms)
{
    US_CHECK_ENGINE(e);
    if (!due_ms || from_ms > USHER_CALENDAR_TIME_MAX)
        return USHER_EINVAL;
    const us_calendar *c;
    usher_status st = find_calendar(e, calendar_id, &c);
    if (st == USHER_OK)
        *due_ms = us_calendar_add(c, from_ms, business_ms);
    return st;
}

USHER_API usher_status usher_calendar_business_between(const usher_engine *e,
                                                       uint32_t calendar_id, uint64_t from_ms,
                                                       uint64_t to_ms, uint64_t *business_ms)
{
    US_CHECK_ENGINE(e);
    if (!business_ms || to_ms < from_ms || to_ms > USHER_CALENDAR_TIME_MAX)
        return USHER_EINVAL;
    const us_calendar *c;
    usher_status st = find_calendar(e, calendar_id, &c);
    if (st == USHER_OK)
        *business_ms = us_calendar_between(c, from_ms, to_ms);
    return st;
}

USHER_API usher_status usher_calendar_next_open(const usher_engine *e, uint32_t calendar_id,
                                                uint64_t at_ms, uint64_t *open_ms)
{
    US_CHECK_ENGINE(e);
    if (!open_ms || at_ms > USHER_CALENDAR_TIME_MAX)
        return USHER_EINVAL;
    const us_calendar *c;
    usher_status st = find_calendar(e, calendar_id, &c);
    if (st == USHER_OK)
        *open_ms = us_calendar_next_open(c, at_ms);
    return st;
}
