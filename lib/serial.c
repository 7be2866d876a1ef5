/* The snapshot byte writer and reader (see serial.h). */
#include "serial.h"

void us_writer_measure(us_writer *w)
{
    memset(w, 0, sizeof *w);
    w->mode = US_WRITE_MEASURE;
}

void us_writer_buffer(us_writer *w, void *buf, size_t room)
{
    memset(w, 0, sizeof *w);
    w->mode = US_WRITE_BUFFER;
    w->buf = buf;
    w->room = room;
}

void us_writer_stream(us_writer *w, uint8_t *staging, size_t room, usher_write_fn fn, void *user,
                      XXH3_state_t *hash)
{
    memset(w, 0, sizeof *w);
    w->mode = US_WRITE_STREAM;
    w->buf = staging;
    w->room = room;
    w->fn = fn;
    w->user = user;
    w->hash = hash;
}

void us_writer_flush(us_writer *w)
{
    if (w->mode != US_WRITE_STREAM || w->used == 0 || w->status != USHER_OK)
        return;
    (void)XXH3_64bits_update(w->hash, w->buf, w->used);
    usher_status st = w->fn(w->user, w->buf, w->used);
    w->used = 0;
    if (st != USHER_OK) {
        w->status = st;
        w->room = 0; /* every later write takes the slow path and is dropped */
    }
}

void us_put_slow(us_writer *w, const void *data, size_t n)
{
    if (w->status != USHER_OK)
        return;
    if (w->mode == US_WRITE_BUFFER) { /* the buffer was measured: only a bug gets here */
        w->status = USHER_EINVAL;
        w->room = 0;
        return;
    }
    const uint8_t *bytes = data;
    while (n > 0 && w->status == USHER_OK) {
        size_t part = w->room - w->used < n ? w->room - w->used : n;
        memcpy(w->buf + w->used, bytes, part);
        w->used += part;
        w->total += part;
        bytes += part;
        n -= part;
        if (w->used == w->room)
            us_writer_flush(w);
    }
}

bool us_get_bool(us_reader *r)
{
    uint8_t b = us_get_u8(r);
    if (b > 1)
        r->bad = true;
    return b == 1;
}

uint32_t us_get_count(us_reader *r, uint32_t max, size_t min_size)
{
    uint32_t count = us_get_u32(r);
    if (count > max || (min_size > 0 && count > r->left / min_size)) {
        r->bad = true;
        return 0;
    }
    return count;
}
