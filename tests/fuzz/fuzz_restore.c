/*
 * libFuzzer target: usher_restore on arbitrary bytes, as they come and
 * with the header's length and the trailing checksum made to fit (so that
 * mutations reach the sections instead of stopping at the checksum).
 * Whatever a restore accepts must pass usher_check, snapshot back to exactly
 * the same bytes, and keep working: the clock moves on and the engine is
 * checked again.
 */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "usher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER 24   /* magic, version, flags, length of the sections */
#define CHECKSUM 8

static void must(int ok)
{
    if (!ok)
        abort();
}

static void put_le64(uint8_t *at, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        at[i] = (uint8_t)(v >> (8 * i));
}

static void restore_and_use(const uint8_t *data, size_t size)
{
    usher_engine *e = NULL;
    if (usher_restore(NULL, data, size, &e) != USHER_OK)
        return;
    must(usher_check(e) == USHER_OK);
    size_t again = 0;
    must(usher_snapshot(e, NULL, 0, &again) == USHER_ELIMIT && again == size);
    uint8_t *copy = malloc(size);
    must(copy != NULL);
    must(usher_snapshot(e, copy, size, &again) == USHER_OK && again == size);
    must(memcmp(copy, data, size) == 0);
    free(copy);
    uint64_t now = 0, next = 0;
    must(usher_now(e, &now) == USHER_OK && usher_next_deadline(e, &next) == USHER_OK);
    uint64_t later = next <= USHER_TIME_MAX && next - now < 86400000 ? next : now + 60000;
    if (later <= USHER_TIME_MAX)
        usher_advance(e, later);
    must(usher_check(e) == USHER_OK);
    usher_engine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    restore_and_use(data, size);
    if (size < HEADER + CHECKSUM)
        return 0;
    uint8_t *fitted = malloc(size);
    must(fitted != NULL);
    memcpy(fitted, data, size);
    put_le64(fitted + 16, size - HEADER - CHECKSUM);
    put_le64(fitted + size - CHECKSUM, XXH3_64bits(fitted, size - CHECKSUM));
    restore_and_use(fitted, size);
    free(fitted);
    return 0;
}
