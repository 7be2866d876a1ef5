/*
 * libFuzzer target: TZif parsing. Arbitrary bytes become a calendar's zone;
 * when accepted, the calendar is exercised around a time taken from the
 * input, so the parsed rules are used, not only read.
 */
#include <string.h>

#include "usher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t time_from(const uint8_t *data, size_t size)
{
    uint64_t t = 0;
    memcpy(&t, data, size < sizeof t ? size : sizeof t);
    return t % USHER_TIME_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    usher_engine *e;
    if (usher_engine_new(NULL, &e) != USHER_OK)
        return 0;
    if (usher_calendar_add_tzif(e, 1, data, size) == USHER_OK) {
        usher_open_hours hours[] = {{1, 9 * 60, 17 * 60}, {5, 22 * 60, 30 * 60}};
        usher_calendar_set_hours(e, 1, hours, 2);
        usher_calendar_add_holiday(e, 1, 2026, 12, 25, 0, 1440);
        uint64_t at = time_from(data, size), out;
        usher_calendar_add_business(e, 1, at, 36000000, &out);
        usher_calendar_business_between(e, 1, at, at / 2 + USHER_TIME_MAX / 2, &out);
        usher_calendar_next_open(e, 1, at, &out);
    }
    usher_engine_free(e);
    return 0;
}
