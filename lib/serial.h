/*
 * Little-endian, fixed-width encoding for snapshots (docs/SNAPSHOT.md).
 *
 * A writer measures (counts bytes only), fills a host buffer known to be
 * large enough, or streams through the host's write callback from a
 * staging buffer, hashing what it sends. Its first failure is kept and
 * later writes do nothing, so section writers need no error handling.
 *
 * A reader takes bytes from a bounded range; reading past its end marks it
 * bad (sticky) and yields zeros, so parsers check `bad` once per section
 * and never read out of bounds.
 */
#ifndef USHER_SERIAL_H
#define USHER_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The streaming state lives on the stack: no allocation outside the host's
 * allocator. */
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "usher.h"

enum us_write_mode { US_WRITE_MEASURE, US_WRITE_BUFFER, US_WRITE_STREAM };

typedef struct us_writer {
    enum us_write_mode mode;
    usher_status status; /* the first failure: nothing is written after it */
    uint64_t total;      /* bytes written (measured) so far */
    uint8_t *buf;        /* BUFFER: the host's buffer; STREAM: the staging buffer */
    size_t room, used;
    usher_write_fn fn; /* STREAM */
    void *user;
    XXH3_state_t *hash; /* STREAM: every byte handed to fn so far */
} us_writer;

/* A writer that only counts. */
void us_writer_measure(us_writer *w);
/* A writer into buf[0, room). */
void us_writer_buffer(us_writer *w, void *buf, size_t room);
/* A writer through fn, staged in staging[0, room), hashed into *hash. */
void us_writer_stream(us_writer *w, uint8_t *staging, size_t room, usher_write_fn fn, void *user,
                      XXH3_state_t *hash);
/* STREAM: hands the staged bytes to the callback. */
void us_writer_flush(us_writer *w);

void us_put_slow(us_writer *w, const void *data, size_t n);

static inline void us_put_bytes(us_writer *w, const void *data, size_t n)
{
    if (w->mode == US_WRITE_MEASURE) {
        w->total += n;
        return;
    }
    if (n == 0)
        return;
    if (n <= w->room - w->used) {
        memcpy(w->buf + w->used, data, n);
        w->used += n;
        w->total += n;
        return;
    }
    us_put_slow(w, data, n);
}

static inline void us_put_u8(us_writer *w, uint32_t v)
{
    uint8_t b = (uint8_t)v;
    us_put_bytes(w, &b, 1);
}

static inline void us_put_u16(us_writer *w, uint32_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    us_put_bytes(w, b, 2);
}

static inline void us_put_u32(us_writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    us_put_bytes(w, b, 4);
}

static inline void us_put_u64(us_writer *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    us_put_bytes(w, b, 8);
}

/* Signed values as their two's complement bits. */
static inline void us_put_i32(us_writer *w, int32_t v) { us_put_u32(w, (uint32_t)v); }
static inline void us_put_i64(us_writer *w, int64_t v) { us_put_u64(w, (uint64_t)v); }

typedef struct us_reader {
    const uint8_t *p;
    size_t left;
    bool bad; /* read past the end (or marked bad by a parser) */
} us_reader;

static inline void us_reader_init(us_reader *r, const void *data, size_t size)
{
    r->p = data;
    r->left = size;
    r->bad = false;
}

/* Takes n bytes, or marks the reader bad and returns NULL. */
static inline const uint8_t *us_get_bytes(us_reader *r, size_t n)
{
    if (n > r->left) {
        r->bad = true;
        r->left = 0;
        return NULL;
    }
    const uint8_t *at = r->p;
    r->p += n;
    r->left -= n;
    return at;
}

static inline uint64_t us_get_le(us_reader *r, unsigned n)
{
    const uint8_t *b = us_get_bytes(r, n);
    uint64_t v = 0;
    for (unsigned i = 0; b && i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static inline uint8_t us_get_u8(us_reader *r) { return (uint8_t)us_get_le(r, 1); }
static inline uint16_t us_get_u16(us_reader *r) { return (uint16_t)us_get_le(r, 2); }
static inline uint32_t us_get_u32(us_reader *r) { return (uint32_t)us_get_le(r, 4); }
static inline uint64_t us_get_u64(us_reader *r) { return us_get_le(r, 8); }
static inline int32_t us_get_i32(us_reader *r) { return (int32_t)us_get_u32(r); }
static inline int64_t us_get_i64(us_reader *r) { return (int64_t)us_get_u64(r); }

/* A boolean byte: 0 or 1, anything else marks the reader bad. */
bool us_get_bool(us_reader *r);

/*
 * A u32 count of items each at least min_size bytes long: bad (and 0) if
 * it is above max or if that many items cannot fit in what is left. So a
 * corrupt count never makes the parser allocate more than the input
 * justifies.
 */
uint32_t us_get_count(us_reader *r, uint32_t max, size_t min_size);

#endif
