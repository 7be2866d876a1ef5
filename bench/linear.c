/* Baseline: the linear-scan router (see linear.h). */
#include <stdlib.h>

#include "linear.h"

static const uint8_t channel_limit[WL_CHANNELS] = {1, 3, 5};

static uint8_t room_of(const lin_agent *a)
{
    uint8_t room = 0;
    if (a->used >= WL_CAPACITY || a->active[WL_VOICE] > 0) /* full, or on a call */
        return 0;
    for (unsigned c = 0; c < WL_CHANNELS; c++) {
        if (a->active[c] >= a->limit[c])
            continue;
        if (c == WL_VOICE && a->used > 0) /* a call needs an agent with no work */
            continue;
        room |= (uint8_t)(1u << c);
    }
    return room;
}

static void update_room(linear_router *r, lin_agent *a)
{
    uint8_t room = room_of(a);
    for (unsigned c = 0; c < WL_CHANNELS; c++) {
        unsigned had = a->room >> c & 1u, has = room >> c & 1u;
        r->with_room[c] += has - had;
    }
    a->room = room;
}

void linear_init(linear_router *r, const workload *w, uint64_t max_id, assigned_set *assigned,
                 uint64_t now)
{
    r->w = w;
    r->agent = xcalloc(w->agents, sizeof *r->agent);
    for (unsigned c = 0; c < WL_CHANNELS; c++)
        r->with_room[c] = 0;
    for (uint32_t i = 0; i < w->agents; i++) {
        lin_agent *a = &r->agent[i];
        for (unsigned c = 0; c < WL_CHANNELS; c++)
            a->limit[c] = wl_works(w, i, c) ? channel_limit[c] : 0;
        a->idle_since = now; /* logged in now */
        update_room(r, a);
    }
    r->waiting = xcalloc(w->sets, sizeof *r->waiting);
    for (uint32_t s = 0; s < w->sets; s++)
        heap_init(&r->waiting[s], 64, 0);
    r->waiting_count = 0;
    r->ticket_set = xcalloc((size_t)max_id + 1, sizeof *r->ticket_set);
    r->ticket_agent = xcalloc((size_t)max_id + 1, sizeof *r->ticket_agent);
    r->max_id = max_id;
    r->now = now;
    r->assigned = assigned;
    r->assignments = 0;
    r->setup = false;
    r->set_agents = xcalloc(w->sets, sizeof *r->set_agents);
    r->set_agent_count = xcalloc(w->sets, sizeof *r->set_agent_count);
    uint32_t *scratch = xmalloc((size_t)w->agents * sizeof *scratch);
    for (uint32_t s = 0; s < w->sets; s++) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < w->agents; i++)
            if (wl_qualifies(w, i, s))
                scratch[n++] = i;
        r->set_agents[s] = xmalloc((size_t)n * sizeof(uint32_t));
        for (uint32_t k = 0; k < n; k++)
            r->set_agents[s][k] = scratch[k];
        r->set_agent_count[s] = n;
    }
    free(scratch);
}

void linear_free(linear_router *r)
{
    for (uint32_t s = 0; s < r->w->sets; s++)
        heap_free(&r->waiting[s]);
    free(r->waiting);
    free(r->agent);
    free(r->ticket_set);
    free(r->ticket_agent);
    for (uint32_t s = 0; s < r->w->sets; s++)
        free(r->set_agents[s]);
    free(r->set_agents);
    free(r->set_agent_count);
}

/* True if agent i ranks before agent j for channel c's queue strategy. */
static bool ranks_before(const linear_router *r, unsigned c, uint32_t i, uint32_t j)
{
    const lin_agent *a = &r->agent[i], *b = &r->agent[j];
    if (c == WL_CHAT && a->used != b->used) /* most free capacity */
        return a->used < b->used;
    if (c == WL_EMAIL && a->assignments != b->assignments) /* fewest assignments */
        return a->assignments < b->assignments;
    if (a->idle_since != b->idle_since) /* longest idle */
        return a->idle_since < b->idle_since;
    return i < j;
}

/* The scan: the best agent that may take a ticket of set s now, or -1. */
static int64_t best_agent(const linear_router *r, uint32_t s)
{
    const workload *w = r->w;
    unsigned c = w->set[s].channel;
    int64_t best = -1;
    if (r->setup) { /* the same choice among the agents that qualify */
        for (uint32_t k = 0; k < r->set_agent_count[s]; k++) {
            uint32_t i = r->set_agents[s][k];
            if ((r->agent[i].room >> c & 1u) && (best < 0 || ranks_before(r, c, i, (uint32_t)best)))
                best = i;
        }
        return best;
    }
    for (uint32_t i = 0; i < w->agents; i++) {
        if (!(r->agent[i].room >> c & 1u) || !wl_qualifies(w, i, s))
            continue;
        if (best < 0 || ranks_before(r, c, i, (uint32_t)best))
            best = i;
    }
    return best;
}

static void assign(linear_router *r, uint64_t id, uint32_t agent)
{
    lin_agent *a = &r->agent[agent];
    unsigned c = r->w->set[r->ticket_set[id]].channel;
    a->used++;
    a->active[c]++;
    a->assignments++;
    a->idle_since = r->now;
    update_room(r, a);
    r->ticket_agent[id] = agent + 1;
    r->assignments++;
    assigned_add(r->assigned, id);
}

/* Effective priority at any time t is 1000 * priority + (t - created) in
 * milli-points: the order is that of created - 1000 * priority. */
static uint64_t order_key(uint64_t created, uint32_t priority)
{
    return created + UINT64_C(1000000) - 1000u * (uint64_t)priority;
}

void linear_submit(linear_router *r, uint64_t id, uint32_t set, uint32_t priority)
{
    r->ticket_set[id] = set;
    r->ticket_agent[id] = 0;
    int64_t agent = -1;
    if (r->with_room[r->w->set[set].channel] > 0)
        agent = best_agent(r, set);
    if (agent >= 0) {
        assign(r, id, (uint32_t)agent);
        return;
    }
    heap_push(&r->waiting[set], order_key(r->now, priority), (uint32_t)id);
    r->waiting_count++;
}

/* Agent i freed capacity: it takes the best head among the sets it may
 * serve, which goes to the agent the scan ranks first; again while it has
 * room. */
static void agent_freed(linear_router *r, uint32_t i)
{
    const workload *w = r->w;
    for (;;) {
        const lin_agent *a = &r->agent[i];
        int64_t best_set = -1;
        const heap_entry *best = NULL;
        for (uint32_t s = 0; s < w->sets; s++) {
            const bheap *h = &r->waiting[s];
            if (h->size == 0 || !(a->room >> w->set[s].channel & 1u) || !wl_qualifies(w, i, s))
                continue;
            const heap_entry *top = heap_top(h);
            /* Across sets, the same order; equal keys: submitted first (ids grow). */
            if (!best || top->key < best->key || (top->key == best->key && top->handle < best->handle)) {
                best = top;
                best_set = s;
            }
        }
        if (!best)
            return;
        uint64_t id = best->handle;
        heap_pop(&r->waiting[best_set]);
        r->waiting_count--;
        int64_t agent = best_agent(r, (uint32_t)best_set);
        assign(r, id, (uint32_t)agent); /* i itself qualifies, so agent >= 0 */
    }
}

void linear_complete(linear_router *r, uint64_t id)
{
    uint32_t i = r->ticket_agent[id] - 1;
    lin_agent *a = &r->agent[i];
    unsigned c = r->w->set[r->ticket_set[id]].channel;
    a->used--;
    a->active[c]--;
    a->idle_since = r->now;
    update_room(r, a);
    r->ticket_agent[id] = 0;
    assigned_remove(r->assigned, id);
    agent_freed(r, i);
}
