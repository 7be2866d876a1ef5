/* Engine lifecycle, clock, event queue and delivery. */
#include "engine.h"

#include <string.h>

USHER_API void usher_config_init(usher_config *config)
{
    if (!config)
        return;
    memset(config, 0, sizeof *config);
    config->struct_size = sizeof *config;
}

/* True if no byte of the host's config beyond what this library knows is set:
 * a nonzero one would ask for a feature this library does not have. */
static bool unknown_tail_is_zero(const usher_config *config)
{
    const unsigned char *bytes = (const unsigned char *)config;
    for (size_t i = sizeof(usher_config); i < config->struct_size; i++)
        if (bytes[i])
            return false;
    return true;
}

/* Copies the host's config (of any version) into *out, or USHER_EINVAL. */
static usher_status read_config(const usher_config *config, usher_config *out)
{
    usher_config_init(out);
    if (!config)
        return USHER_OK;
    if (config->struct_size < sizeof(usher_config) || !unknown_tail_is_zero(config))
        return USHER_EINVAL;
    memcpy(out, config, sizeof *out);
    if (out->reserved != 0 || out->start_ms > USHER_TIME_MAX)
        return USHER_EINVAL;
    const usher_allocator *a = out->allocator;
    if (a && (!a->malloc_fn || !a->realloc_fn || !a->free_fn))
        return USHER_EINVAL;
    return USHER_OK;
}

usher_status us_engine_create(const usher_config *config, usher_engine **out)
{
    usher_config cfg;
    usher_status st = read_config(config, &cfg);
    if (st != USHER_OK)
        return st;
    const us_alloc *alloc = cfg.allocator ? cfg.allocator : &us_alloc_default;
    usher_engine *e = us_malloc(alloc, sizeof *e);
    if (!e)
        return USHER_ENOMEM;
    memset(e, 0, sizeof *e);
    e->alloc = *alloc;
    e->seed = cfg.seed;
    us_wheel_init(&e->wheel, &e->alloc, cfg.start_ms);
    /* The id hash gets its own derivation of the seed, so that the seed of
     * other random choices is not exposed through the table layout. */
    uint64_t hash_seed = cfg.seed ^ UINT64_C(0x9e3779b97f4a7c15);
    us_idmap_init(&e->host_timers, &e->alloc, hash_seed);
    us_skills_init(&e->skills, &e->alloc, hash_seed);
    us_agents_init(&e->agents, &e->alloc, hash_seed);
    us_index_init(&e->index, &e->alloc, hash_seed);
    us_router_init(&e->router, &e->alloc, hash_seed);
    us_calendars_init(&e->calendars, &e->alloc, hash_seed);
    us_slas_init(&e->slas, &e->alloc, hash_seed);
    e->rng = cfg.seed;
    *out = e;
    return USHER_OK;
}

USHER_API usher_status usher_engine_new(const usher_config *config, usher_engine **out)
{
    if (!out)
        return USHER_EINVAL;
    return us_engine_create(config, out);
}

void us_engine_destroy(usher_engine *e)
{
    us_router_free(e);
    us_slas_free(e);
    us_calendars_free(e);
    us_index_free(&e->index, &e->alloc);
    us_agents_free(&e->agents, &e->alloc);
    us_skills_free(&e->skills);
    us_idmap_free(&e->host_timers);
    us_wheel_free(&e->wheel);
    us_free(&e->alloc, e->pending);
    us_alloc alloc = e->alloc;
    us_free(&alloc, e);
}

USHER_API void usher_engine_free(usher_engine *e)
{
    if (!e)
        return;
    if (e->delivering || e->scoring) {
        e->closing = true; /* the outermost call destroys it */
        return;
    }
    us_engine_destroy(e);
}

USHER_API usher_status usher_set_event_handler(usher_engine *e, usher_event_fn fn, void *user)
{
    if (!e)
        return USHER_EINVAL;
    if (e->closing)
        return USHER_ECLOSED;
    if (e->scoring)
        return USHER_ESTATE;
    e->on_event = fn;
    e->on_event_user = user;
    return USHER_OK;
}

usher_status us_events_reserve(usher_engine *e, size_t extra)
{
    if (e->pending_head > 0 && e->pending_head + e->pending_count + extra > e->pending_capacity) {
        memmove(e->pending, e->pending + e->pending_head, e->pending_count * sizeof *e->pending);
        e->pending_head = 0;
    }
    void *items = e->pending;
    usher_status st = us_grow_array(&e->alloc, &items, &e->pending_capacity,
                                    e->pending_head + e->pending_count + extra, sizeof *e->pending);
    e->pending = items;
    return st;
}

/* Matches every call reserves for (while tickets wait): those a ticket's
 * requeue or changed requirements make possible. */
#define MATCHES_RESERVED 16u

usher_status us_reserve_for(usher_engine *e, size_t events, uint32_t timers, uint32_t room)
{
    uint64_t wanted = room > MATCHES_RESERVED ? room : MATCHES_RESERVED;
    uint64_t waiting = e->router.waiting;
    uint32_t matches = (uint32_t)(waiting < wanted ? waiting : wanted);
    usher_status st = us_events_reserve(e, events + (size_t)US_EVENTS_PER_MATCH * matches);
    if (st == USHER_OK)
        st = us_wheel_reserve(&e->wheel, timers + US_TIMERS_PER_MATCH * matches);
    if (st == USHER_OK && matches > 0)
        st = us_capacity_prepare(e, matches);
    return st;
}

usher_status us_reserve(usher_engine *e, size_t events, uint32_t timers)
{
    return us_reserve_for(e, events, timers, 0);
}

/* The agent a timer's expiry may free: its capacity bounds the matches. */
static uint32_t expiry_room(const usher_engine *e, uint32_t timer)
{
    uint64_t data = us_wheel_data(&e->wheel, timer);
    switch (us_wheel_tag(&e->wheel, timer)) {
    case US_TIMER_WRAPUP:
        return us_agent_at(e, e->agents.works[data].agent)->capacity;
    case US_TIMER_LOAD_CAP:
    case US_TIMER_COOLDOWN:
        return us_agent_at(e, (uint32_t)data)->capacity;
    default:
        return 0;
    }
}

usher_status us_copy_out(void *host, const void *ours, size_t size, size_t min_size)
{
    uint32_t room;
    memcpy(&room, host, sizeof room); /* every output struct starts with struct_size */
    if (room < min_size)
        return USHER_EINVAL;
    size_t n = room < size ? room : size;
    memcpy(host, ours, n);
    memcpy(host, &room, sizeof room); /* the host's struct_size stays its own */
    return USHER_OK;
}

void us_events_push(usher_engine *e, const usher_event *event)
{
    usher_event *slot = &e->pending[e->pending_head + e->pending_count++];
    *slot = *event;
    slot->struct_size = sizeof *slot;
    slot->seq = ++e->last_seq;
}

uint32_t us_random_below(usher_engine *e, size_t n)
{
    /* splitmix64: one add and a mix per draw; then Lemire's multiply-shift
     * maps 32 random bits to [0, n) with a bias below n / 2^32. */
    uint64_t z = (e->rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    z ^= z >> 31;
    return (uint32_t)(((z >> 32) * (uint64_t)n) >> 32);
}

usher_status us_finish(usher_engine *e, usher_status status)
{
    if (!e->closing)
        us_route(e); /* the matches this call made possible, before its events */
    if (e->delivering)
        return status; /* a nested call: the outer delivery loop takes its events */
    e->delivering = true;
    while (e->pending_count > 0 && !e->closing) {
        /* A copy: the callback may queue events and so move the queue. */
        usher_event event = e->pending[e->pending_head++];
        e->pending_count--;
        if (e->on_event)
            e->on_event(e->on_event_user, &event);
    }
    e->pending_head = 0;
    e->pending_count = 0;
    e->delivering = false;
    if (e->closing)
        us_engine_destroy(e);
    return status;
}

static void expire(usher_engine *e, uint32_t timer)
{
    switch ((enum us_timer_tag)us_wheel_tag(&e->wheel, timer)) {
    case US_TIMER_HOST:
        us_expire_host_timer(e, timer);
        break;
    case US_TIMER_WRAPUP:
        us_expire_wrapup(e, timer);
        break;
    case US_TIMER_LOAD_CAP:
        us_expire_load_cap(e, timer);
        break;
    case US_TIMER_COOLDOWN:
        us_expire_cooldown(e, timer);
        break;
    case US_TIMER_IDLE:
        us_expire_idle(e, timer);
        break;
    case US_TIMER_OFFER:
        us_expire_offer(e, timer);
        break;
    case US_TIMER_EXCLUSION:
        us_expire_exclusion(e, timer);
        break;
    case US_TIMER_WIDEN:
        us_expire_widen(e, timer);
        break;
    case US_TIMER_PREFERENCE:
        us_expire_preference(e, timer);
        break;
    case US_TIMER_CUSTOMER:
        us_expire_customer(e, timer);
        break;
    case US_TIMER_SLA:
        us_expire_sla(e, timer);
        break;
    }
}

/* Fires every timer due at or before now, in order. */
static usher_status run_due(usher_engine *e, uint64_t now)
{
    for (;;) {
        uint32_t timer = us_wheel_next_due(&e->wheel, now);
        if (timer == US_TIMER_NONE)
            return USHER_OK;
        usher_status st = us_reserve_for(e, US_MAX_EVENTS_PER_EXPIRY, US_MAX_TIMERS_PER_EXPIRY,
                                         expiry_room(e, timer));
        if (st == USHER_OK) /* an expired offer excludes its agent */
            st = us_pool_reserve(&e->router.exclusions, &e->alloc);
        if (st == USHER_OK && us_wheel_tag(&e->wheel, timer) == US_TIMER_WIDEN)
            st = us_widen_prepare(e, timer);
        if (st != USHER_OK)
            return st; /* the timer stays due; the next call resumes here */
        expire(e, timer);
        /* Matching runs once all timers of this ms fired (agents freed
         * together compete by strategy), before later ones fire. */
        if (us_wheel_next_deadline(&e->wheel) > us_now(e))
            us_route(e);
    }
}

USHER_API usher_status usher_advance(usher_engine *e, uint64_t now_ms)
{
    if (!e || now_ms > USHER_TIME_MAX)
        return USHER_EINVAL;
    if (e->closing)
        return USHER_ECLOSED;
    if (e->scoring)
        return USHER_ESTATE;
    return us_finish(e, run_due(e, now_ms));
}

USHER_API usher_status usher_now(const usher_engine *e, uint64_t *now_ms)
{
    if (!e || !now_ms)
        return USHER_EINVAL;
    if (e->closing)
        return USHER_ECLOSED;
    if (e->scoring)
        return USHER_ESTATE;
    *now_ms = us_wheel_now(&e->wheel);
    return USHER_OK;
}

USHER_API usher_status usher_next_deadline(usher_engine *e, uint64_t *deadline_ms)
{
    if (!e || !deadline_ms)
        return USHER_EINVAL;
    if (e->closing)
        return USHER_ECLOSED;
    if (e->scoring)
        return USHER_ESTATE;
    uint64_t next = us_wheel_next_deadline(&e->wheel);
    *deadline_ms = next == UINT64_MAX ? USHER_TIME_NEVER : next;
    return USHER_OK;
}
