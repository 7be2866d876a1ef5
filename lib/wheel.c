/*
 * Hierarchical timing wheel. See wheel.h for the model.
 *
 * Placement invariant: a timer at level L, slot s has a deadline d with
 * d > now, d and now equal in every digit above L, and s = digit L of d,
 * which is greater than digit L of now. Hence every level-L timer is due
 * before every level-(L+1) timer, the earliest timer is in the lowest
 * non-empty level's lowest occupied slot, and at the moment a slot is
 * cascaded all lower levels are empty, which keeps each slot list in
 * schedule order.
 */
#include "wheel.h"

#include <string.h>

#define WHERE_DUE (US_WHEEL_LEVELS * US_WHEEL_SLOTS)
#define WHERE_FREE (WHERE_DUE + 1)
#define NIL US_TIMER_NONE

static us_timer_list *list_of(us_wheel *w, uint32_t where)
{
    return where == WHERE_DUE ? &w->due : &w->slots[where / US_WHEEL_SLOTS][where % US_WHEEL_SLOTS];
}

static void list_append(us_wheel *w, uint32_t where, uint32_t id)
{
    us_timer_list *list = list_of(w, where);
    us_timer_node *n = &w->nodes[id];
    n->where = where;
    n->next = NIL;
    n->prev = list->tail;
    if (list->tail == NIL)
        list->head = id;
    else
        w->nodes[list->tail].next = id;
    list->tail = id;
    if (where != WHERE_DUE)
        w->occupied[where / US_WHEEL_SLOTS] |= UINT64_C(1) << (where % US_WHEEL_SLOTS);
}

static void list_unlink(us_wheel *w, uint32_t id)
{
    us_timer_node *n = &w->nodes[id];
    us_timer_list *list = list_of(w, n->where);
    if (n->prev == NIL)
        list->head = n->next;
    else
        w->nodes[n->prev].next = n->next;
    if (n->next == NIL)
        list->tail = n->prev;
    else
        w->nodes[n->next].prev = n->prev;
    if (list->head == NIL && n->where != WHERE_DUE)
        w->occupied[n->where / US_WHEEL_SLOTS] &= ~(UINT64_C(1) << (n->where % US_WHEEL_SLOTS));
}

/* Puts a timer where the placement invariant wants it. */
static void place(us_wheel *w, uint32_t id)
{
    uint64_t d = w->nodes[id].deadline;
    if (d <= w->now) {
        list_append(w, WHERE_DUE, id);
        return;
    }
    unsigned top_bit = 63u - (unsigned)__builtin_clzll(d ^ w->now);
    unsigned level = top_bit / US_WHEEL_BITS;
    unsigned slot = (unsigned)(d >> (level * US_WHEEL_BITS)) & (US_WHEEL_SLOTS - 1);
    list_append(w, level * US_WHEEL_SLOTS + slot, id);
}

void us_wheel_init(us_wheel *w, const us_alloc *alloc, uint64_t now)
{
    memset(w, 0, sizeof *w);
    w->alloc = alloc;
    w->now = now;
    w->free_head = NIL;
    w->due.head = w->due.tail = NIL;
    for (unsigned l = 0; l < US_WHEEL_LEVELS; l++)
        for (unsigned s = 0; s < US_WHEEL_SLOTS; s++)
            w->slots[l][s].head = w->slots[l][s].tail = NIL;
}

void us_wheel_free(us_wheel *w)
{
    us_free(w->alloc, w->nodes);
    us_wheel_init(w, w->alloc, w->now); /* empty and usable again */
}

usher_status us_wheel_reserve(us_wheel *w, uint32_t extra)
{
    uint64_t wanted = (uint64_t)w->used + extra;
    if (wanted > USHER_MAX_OBJECTS)
        return USHER_ELIMIT;
    if (wanted <= w->capacity)
        return USHER_OK;
    size_t capacity = w->capacity;
    void *nodes = w->nodes;
    usher_status st = us_grow_array(w->alloc, &nodes, &capacity, (size_t)wanted, sizeof(us_timer_node));
    if (st != USHER_OK)
        return st;
    if (capacity > USHER_MAX_OBJECTS)
        capacity = USHER_MAX_OBJECTS;
    w->nodes = nodes;
    /* Thread the new nodes onto the free list, lowest index first. */
    for (uint32_t i = (uint32_t)capacity; i-- > w->capacity;) {
        w->nodes[i].where = WHERE_FREE;
        w->nodes[i].next = w->free_head;
        w->free_head = i;
    }
    w->capacity = (uint32_t)capacity;
    return USHER_OK;
}

static void cache_note(us_wheel *w, uint64_t deadline)
{
    uint64_t effective = deadline > w->now ? deadline : w->now;
    if (w->cache_valid && effective < w->next_cache)
        w->next_cache = effective;
}

usher_status us_wheel_schedule(us_wheel *w, uint64_t deadline, uint32_t tag, uint64_t data,
                               uint32_t *id)
{
    usher_status st = us_wheel_reserve(w, 1);
    if (st != USHER_OK)
        return st;
    uint32_t n = w->free_head;
    w->free_head = w->nodes[n].next;
    w->used++;
    w->nodes[n].deadline = deadline;
    w->nodes[n].tag = tag;
    w->nodes[n].data = data;
    place(w, n);
    cache_note(w, deadline);
    *id = n;
    return USHER_OK;
}

static void cache_forget(us_wheel *w, uint32_t id)
{
    uint64_t d = w->nodes[id].deadline;
    if (w->cache_valid && (d <= w->next_cache || w->nodes[id].where == WHERE_DUE))
        w->cache_valid = 0;
}

void us_wheel_cancel(us_wheel *w, uint32_t id)
{
    cache_forget(w, id);
    list_unlink(w, id);
    w->nodes[id].where = WHERE_FREE;
    w->nodes[id].next = w->free_head;
    w->free_head = id;
    w->used--;
}

void us_wheel_reschedule(us_wheel *w, uint32_t id, uint64_t deadline)
{
    cache_forget(w, id);
    list_unlink(w, id);
    w->nodes[id].deadline = deadline;
    place(w, id);
    cache_note(w, deadline);
}

static int lowest_level(const us_wheel *w)
{
    for (int l = 0; l < US_WHEEL_LEVELS; l++)
        if (w->occupied[l])
            return l;
    return -1;
}

/* Start time of slot s at level L within the clock's current level-(L+1) span. */
static uint64_t slot_start(const us_wheel *w, unsigned level, unsigned slot)
{
    unsigned span_bits = (level + 1) * US_WHEEL_BITS;
    uint64_t prefix = span_bits >= 64 ? 0 : w->now & ~((UINT64_C(1) << span_bits) - 1);
    return prefix | ((uint64_t)slot << (level * US_WHEEL_BITS));
}

/* Empties slot (L, s) into lower levels or the due list; clock is its start. */
static void cascade(us_wheel *w, unsigned level, unsigned slot)
{
    us_timer_list *list = &w->slots[level][slot];
    uint32_t id = list->head;
    list->head = list->tail = NIL;
    w->occupied[level] &= ~(UINT64_C(1) << slot);
    while (id != NIL) {
        uint32_t next = w->nodes[id].next;
        place(w, id);
        id = next;
    }
}

uint32_t us_wheel_next_due(us_wheel *w, uint64_t limit)
{
    if (limit < w->now)
        limit = w->now;
    for (;;) {
        if (w->due.head != NIL)
            return w->due.head;
        int level = lowest_level(w);
        if (level < 0)
            break;
        unsigned slot = (unsigned)__builtin_ctzll(w->occupied[level]);
        uint64_t start = slot_start(w, (unsigned)level, slot);
        if (start > limit)
            break;
        w->now = start;
        cascade(w, (unsigned)level, slot); /* a level-0 slot lands whole in due */
    }
    w->now = limit;
    return NIL;
}

/* Earliest deadline in one slot list. */
static uint64_t list_min_deadline(const us_wheel *w, const us_timer_list *list)
{
    uint64_t best = UINT64_MAX;
    for (uint32_t id = list->head; id != NIL; id = w->nodes[id].next)
        if (w->nodes[id].deadline < best)
            best = w->nodes[id].deadline;
    return best;
}

uint64_t us_wheel_next_deadline(us_wheel *w)
{
    if (w->due.head != NIL)
        return w->now;
    if (!w->cache_valid) {
        int level = lowest_level(w);
        if (level < 0) {
            w->next_cache = UINT64_MAX;
        } else {
            unsigned slot = (unsigned)__builtin_ctzll(w->occupied[level]);
            w->next_cache = list_min_deadline(w, &w->slots[level][slot]);
        }
        w->cache_valid = 1;
    }
    return w->next_cache;
}

/* ---- the self-check (usher_check) ---------------------------------------------- */

bool us_wheel_is_live(const us_wheel *w, uint32_t id)
{
    return id < w->capacity && w->nodes[id].where != WHERE_FREE;
}

/* True when deadline d belongs at list `where` with the clock where it is. */
static bool placed_right(const us_wheel *w, uint32_t where, uint64_t d)
{
    if (where == WHERE_DUE)
        return d <= w->now;
    if (d <= w->now)
        return false;
    unsigned level = (63u - (unsigned)__builtin_clzll(d ^ w->now)) / US_WHEEL_BITS;
    unsigned slot = (unsigned)(d >> (level * US_WHEEL_BITS)) & (US_WHEEL_SLOTS - 1);
    return where == level * US_WHEEL_SLOTS + slot;
}

/* Walks one list: links both ways, every node placed right. Adds its
 * length to *count and lowers *min to its earliest deadline. */
static bool list_consistent(const us_wheel *w, uint32_t where, uint32_t *count, uint64_t *min)
{
    const us_timer_list *list =
        where == WHERE_DUE ? &w->due
                           : &w->slots[where / US_WHEEL_SLOTS][where % US_WHEEL_SLOTS];
    uint32_t prev = NIL;
    for (uint32_t id = list->head; id != NIL; id = w->nodes[id].next) {
        if (id >= w->capacity || ++*count > w->used)
            return false;
        const us_timer_node *n = &w->nodes[id];
        if (n->where != where || n->prev != prev || !placed_right(w, where, n->deadline))
            return false;
        *min = n->deadline < *min ? n->deadline : *min;
        prev = id;
    }
    if (list->tail != prev)
        return false;
    if (where == WHERE_DUE)
        return true;
    bool occupied = (w->occupied[where / US_WHEEL_SLOTS] >> (where % US_WHEEL_SLOTS)) & 1u;
    return occupied == (list->head != NIL);
}

bool us_wheel_check(const us_wheel *w)
{
    if (w->used > w->capacity)
        return false;
    uint32_t listed = 0;
    uint64_t min = UINT64_MAX, due_min = UINT64_MAX;
    for (uint32_t where = 0; where < WHERE_DUE; where++)
        if (!list_consistent(w, where, &listed, &min))
            return false;
    if (!list_consistent(w, WHERE_DUE, &listed, &due_min) || listed != w->used)
        return false;
    uint32_t free_count = 0;
    for (uint32_t id = w->free_head; id != NIL; id = w->nodes[id].next)
        if (id >= w->capacity || w->nodes[id].where != WHERE_FREE ||
            ++free_count > w->capacity - w->used)
            return false;
    if (free_count != w->capacity - w->used)
        return false;
    /* With nothing due, a valid cache holds the earliest deadline. */
    return !w->cache_valid || w->due.head != NIL || w->next_cache == min;
}

/* ---- walking the lists (snapshots) ---------------------------------------------- */

static void walk_list(const us_wheel *w, const us_timer_list *list, us_wheel_visit_fn visit,
                      void *ctx)
{
    for (uint32_t id = list->head; id != NIL; id = w->nodes[id].next)
        visit(ctx, id);
}

void us_wheel_walk(const us_wheel *w, us_wheel_visit_fn visit, void *ctx)
{
    walk_list(w, &w->due, visit, ctx);
    for (unsigned l = 0; l < US_WHEEL_LEVELS; l++)
        for (unsigned s = 0; s < US_WHEEL_SLOTS; s++)
            walk_list(w, &w->slots[l][s], visit, ctx);
}

uint32_t us_wheel_list_index(const us_wheel *w, uint32_t id)
{
    uint32_t where = w->nodes[id].where;
    return where == WHERE_DUE ? 0 : where + 1;
}
