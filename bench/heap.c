/* Baseline: the binary min-heap (see heap.h). */
#include <stdlib.h>

#include "bench.h"
#include "heap.h"

void heap_init(bheap *h, uint32_t capacity, uint32_t max_handles)
{
    h->capacity = capacity ? capacity : 16;
    h->items = xmalloc((size_t)h->capacity * sizeof *h->items);
    h->size = 0;
    h->pos = max_handles ? xcalloc(max_handles, sizeof *h->pos) : NULL;
    h->next_seq = 0;
}

void heap_free(bheap *h)
{
    free(h->items);
    free(h->pos);
    h->items = NULL;
    h->pos = NULL;
}

static inline int less(const heap_entry *a, const heap_entry *b)
{
    return a->key != b->key ? a->key < b->key : a->seq < b->seq;
}

static inline void put(bheap *h, uint32_t i, heap_entry e)
{
    h->items[i] = e;
    if (h->pos)
        h->pos[e.handle] = i + 1;
}

static void sift_up(bheap *h, uint32_t i, heap_entry e)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!less(&e, &h->items[parent]))
            break;
        put(h, i, h->items[parent]);
        i = parent;
    }
    put(h, i, e);
}

static void sift_down(bheap *h, uint32_t i, heap_entry e)
{
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= h->size)
            break;
        if (child + 1 < h->size && less(&h->items[child + 1], &h->items[child]))
            child++;
        if (!less(&h->items[child], &e))
            break;
        put(h, i, h->items[child]);
        i = child;
    }
    put(h, i, e);
}

void heap_push(bheap *h, uint64_t key, uint32_t handle)
{
    if (h->size == h->capacity) {
        h->capacity *= 2;
        heap_entry *grown = realloc(h->items, (size_t)h->capacity * sizeof *h->items);
        if (!grown)
            bench_fail("out of memory");
        h->items = grown;
    }
    heap_entry e = {key, h->next_seq++, handle};
    sift_up(h, h->size++, e);
}

/* Removes the entry at index i. */
static void remove_at(bheap *h, uint32_t i)
{
    if (h->pos)
        h->pos[h->items[i].handle] = 0;
    heap_entry last = h->items[--h->size];
    if (i == h->size)
        return;
    if (i > 0 && less(&last, &h->items[(i - 1) / 2]))
        sift_up(h, i, last);
    else
        sift_down(h, i, last);
}

void heap_pop(bheap *h) { remove_at(h, 0); }

void heap_remove(bheap *h, uint32_t handle) { remove_at(h, h->pos[handle] - 1); }

void heap_update(bheap *h, uint32_t handle, uint64_t key)
{
    uint32_t i = h->pos[handle] - 1;
    heap_entry e = {key, h->next_seq++, handle};
    /* A later seq can only move it down among equal keys. */
    if (i > 0 && less(&e, &h->items[(i - 1) / 2]))
        sift_up(h, i, e);
    else
        sift_down(h, i, e);
}
