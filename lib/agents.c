/* Agents: presence state, skills, capacity settings, queries. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

void us_agents_init(us_agents *m, const us_alloc *alloc, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    m->free_head = US_NONE;
    m->work_free = US_NONE;
    us_idmap_init(&m->by_id, alloc, seed);
    us_idmap_init(&m->by_ticket, alloc, seed ^ 1);
}

static void free_agent_arrays(const us_alloc *alloc, us_agent *a)
{
    us_free(alloc, a->skills);
    us_free(alloc, a->members);
    us_free(alloc, a->cap_times);
}

void us_agents_free(us_agents *m, const us_alloc *alloc)
{
    for (size_t slot = 0; slot < m->slots; slot++)
        if (m->items[slot].live)
            free_agent_arrays(alloc, &m->items[slot]);
    us_free(alloc, m->items);
    us_free(alloc, m->works);
    us_idmap_free(&m->by_id);
    us_idmap_free(&m->by_ticket);
}

usher_status us_agent_find(const usher_engine *e, uint64_t agent_id, uint32_t *slot)
{
    return us_idmap_find(&e->agents.by_id, agent_id, slot) ? USHER_OK : USHER_ENOTFOUND;
}

usher_status us_agent_prepare(usher_engine *e, uint64_t agent_id, size_t events, uint32_t timers,
                              uint32_t *slot)
{
    usher_status st = us_agent_find(e, agent_id, slot);
    return st == USHER_OK ? us_reserve_for(e, events, timers, us_agent_at(e, *slot)->capacity)
                          : st;
}

/* ---- shared helpers -------------------------------------------------------- */

static bool busy(const us_agent *a) { return a->active_total + a->wrapping_total > 0; }

void us_agent_count_time(const usher_engine *e, us_agent *a)
{
    uint64_t now = us_now(e);
    uint64_t elapsed = now - a->counted_until;
    if (a->state != USHER_AGENT_OFFLINE) {
        a->logged_in_ms += elapsed;
        if (busy(a))
            a->busy_ms += elapsed;
    }
    a->counted_until = now;
}

uint32_t us_agent_limit(const usher_engine *e, const us_agent *a, uint32_t channel)
{
    if (a->limit[channel] != US_LIMIT_DEFAULT)
        return a->limit[channel];
    uint32_t def = e->channels[channel].def.max_per_agent;
    return def == 0 ? UINT32_MAX : def;
}

uint32_t us_agent_room(const usher_engine *e, const us_agent *a, uint32_t channel)
{
    const us_channel *c = &e->channels[channel];
    if (!c->defined || a->exclusive_active > 0 || a->blocking_wrapups > 0)
        return 0;
    bool exclusive = c->def.flags & USHER_CHANNEL_EXCLUSIVE;
    if (exclusive && !(c->def.flags & USHER_CHANNEL_INTERRUPTS) && busy(a))
        return 0;
    uint32_t room = (a->capacity - a->used) / c->def.cost;
    uint32_t limit = us_agent_limit(e, a, channel);
    if (limit != UINT32_MAX) {
        uint32_t held = (uint32_t)a->active[channel] + a->wrapping[channel];
        uint32_t left = held < limit ? limit - held : 0;
        room = left < room ? left : room;
    }
    /* Once it holds an exclusive ticket the agent takes nothing else. */
    return exclusive && room > 1 ? 1 : room;
}

bool us_agent_open_for_work(const usher_engine *e, const us_agent *a)
{
    if (a->state != USHER_AGENT_AVAILABLE || a->capped || a->cooling)
        return false;
    /* Outstanding offers count toward the load cap until answered. */
    return a->offers_out == 0 || a->offers_out < us_load_cap_room(e, a);
}

uint32_t us_agent_ready_mask(const usher_engine *e, const us_agent *a)
{
    if (!us_agent_open_for_work(e, a))
        return 0;
    uint32_t mask = 0;
    for (uint32_t c = 0; c < USHER_MAX_CHANNELS; c++)
        if (us_agent_room(e, a, c) > 0)
            mask |= 1u << c;
    return mask;
}

void us_agent_refresh_ready(usher_engine *e, uint32_t slot)
{
    us_agent *a = us_agent_at(e, slot);
    uint32_t old = a->ready_mask;
    a->ready_mask = us_agent_ready_mask(e, a);
    if (a->ready_mask != old)
        us_index_ready_changed(e, slot, old);
    /* Free capacity, assignments and the round-robin stamp order agents
     * under some strategies, and most changes touch one of them. */
    us_index_key_changed(e, slot);
}

/* The idle timer runs while an available agent has nothing to do. */
static void refresh_idle_timer(usher_engine *e, us_agent *a, uint32_t slot)
{
    bool wanted = a->idle_timeout > 0 && a->state == USHER_AGENT_AVAILABLE && !busy(a);
    if (!wanted) {
        if (a->idle_timer != US_NONE)
            us_wheel_cancel(&e->wheel, a->idle_timer);
        a->idle_timer = US_NONE;
        return;
    }
    uint64_t due = us_time_add(a->last_activity, a->idle_timeout);
    if (a->idle_timer == US_NONE)
        (void)us_wheel_schedule(&e->wheel, due, US_TIMER_IDLE, slot, &a->idle_timer);
    else if (us_wheel_deadline(&e->wheel, a->idle_timer) != due)
        us_wheel_reschedule(&e->wheel, a->idle_timer, due);
}

void us_agent_refresh(usher_engine *e, uint32_t slot)
{
    us_agent_refresh_ready(e, slot);
    refresh_idle_timer(e, us_agent_at(e, slot), slot);
    /* At most one of the two needs a new node: a new idle timer means an
     * agent that holds nothing, hence has no offer out, so its cap timer
     * depends on `capped` alone, which a reservation (leaving the agent
     * busy) or usher_agent_set_load_cap (leaving the idle timer as it
     * was) sets, never both in one change with a new idle timer. */
    us_load_cap_sync_timer(e, slot);
}

void us_agent_set_idle_since(usher_engine *e, uint32_t slot, uint64_t t)
{
    us_agent *a = us_agent_at(e, slot);
    if (a->idle_since == t)
        return;
    a->idle_since = t;
    us_index_idle_changed(e, slot);
    us_index_key_changed(e, slot);
}

void us_agent_event(usher_engine *e, int32_t type, const us_agent *a, uint64_t ticket,
                    int64_t value, int32_t reason)
{
    usher_event event = {0};
    event.type = type;
    event.time_ms = us_now(e);
    event.agent_id = a->id;
    event.ticket_id = ticket;
    event.value = value;
    event.reason = reason;
    us_events_push(e, &event);
}

/* ---- add and remove ---------------------------------------------------------- */

/* Makes sure a free agent slot exists; returns it without taking it. */
static usher_status reserve_agent_slot(usher_engine *e, uint32_t *slot)
{
    us_agents *m = &e->agents;
    if (m->free_head != US_NONE) {
        *slot = m->free_head;
        return USHER_OK;
    }
    if (m->slots >= USHER_MAX_OBJECTS)
        return USHER_ELIMIT;
    void *items = m->items;
    usher_status st =
        us_grow_array(&e->alloc, &items, &m->capacity, m->slots + 1, sizeof *m->items);
    m->items = items;
    if (st != USHER_OK)
        return st;
    *slot = (uint32_t)m->slots;
    m->items[*slot].live = false;
    m->items[*slot].next_free = US_NONE;
    m->free_head = *slot;
    m->slots++;
    return USHER_OK;
}

static void init_agent(usher_engine *e, us_agent *a, uint64_t agent_id, uint32_t capacity)
{
    memset(a, 0, sizeof *a);
    a->id = agent_id;
    a->live = true;
    a->state = USHER_AGENT_OFFLINE;
    a->capacity = capacity;
    for (uint32_t c = 0; c < USHER_MAX_CHANNELS; c++)
        a->limit[c] = US_LIMIT_DEFAULT;
    a->work_head = a->work_tail = US_NONE;
    a->cap_timer = a->cooldown_timer = a->idle_timer = US_NONE;
    a->preferred_by = US_NONE;
    a->idle_since = a->last_activity = a->counted_until = us_now(e);
    a->next_free = US_NONE;
}

USHER_API usher_status usher_agent_add(usher_engine *e, uint64_t agent_id, uint32_t capacity)
{
    US_CHECK_ENGINE(e);
    if (capacity < 1 || capacity > USHER_MAX_CAPACITY)
        return USHER_EINVAL;
    uint32_t slot;
    if (us_agent_find(e, agent_id, &slot) == USHER_OK)
        return USHER_EEXIST;
    usher_status st = reserve_agent_slot(e, &slot);
    if (st == USHER_OK)
        st = us_idmap_reserve(&e->agents.by_id, 1);
    if (st == USHER_OK) {
        /* The new agent has no skills: it meets only requirement-free
         * signatures, and needs a membership in each. */
        us_agent *a = us_agent_at(e, slot);
        a->members = NULL;
        a->member_count = a->member_capacity = 0;
        st = us_index_prepare(e, slot, NULL, 0);
        if (st != USHER_OK) {
            us_free(&e->alloc, a->members);
            a->members = NULL;
            a->member_capacity = 0;
        }
    }
    if (st != USHER_OK)
        return us_finish(e, st);
    us_agent *a = us_agent_at(e, slot);
    us_membership *members = a->members;
    size_t member_capacity = a->member_capacity;
    e->agents.free_head = a->next_free;
    init_agent(e, a, agent_id, capacity);
    a->members = members;
    a->member_capacity = member_capacity;
    (void)us_idmap_insert(&e->agents.by_id, agent_id, slot);
    e->agents.live++;
    us_index_rematch(e, slot);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_agent_remove(usher_engine *e, uint64_t agent_id)
{
    US_CHECK_ENGINE(e);
    uint32_t slot;
    usher_status st = us_agent_find(e, agent_id, &slot);
    /* A timer: requeueing refreshes the agent's idle timer before it goes. */
    if (st == USHER_OK)
        st = us_reserve(e, us_agent_at(e, slot)->active_total, 1);
    if (st != USHER_OK)
        return us_finish(e, st);
    us_prefer_agent_left(e, slot);
    us_capacity_drop_agent(e, slot);
    us_index_forget(e, slot);
    us_route_unmark_agent(e, slot);
    us_agent *a = us_agent_at(e, slot);
    free_agent_arrays(&e->alloc, a);
    (void)us_idmap_erase(&e->agents.by_id, agent_id, NULL);
    memset(a, 0, sizeof *a);
    a->live = false;
    a->next_free = e->agents.free_head;
    e->agents.free_head = slot;
    e->agents.live--;
    return us_finish(e, USHER_OK);
}

/* ---- capacity settings ----------------------------------------------------------- */

USHER_API usher_status usher_agent_set_capacity(usher_engine *e, uint64_t agent_id,
                                                uint32_t capacity)
{
    US_CHECK_ENGINE(e);
    if (capacity < 1 || capacity > USHER_MAX_CAPACITY)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_agent_find(e, agent_id, &slot);
    if (st != USHER_OK)
        return st;
    us_agent *a = us_agent_at(e, slot);
    for (uint32_t c = 0; c < USHER_MAX_CHANNELS; c++)
        if (a->limit[c] != US_LIMIT_DEFAULT && a->limit[c] > capacity)
            return USHER_EINVAL;
    if (a->used > capacity)
        return USHER_ESTATE;
    st = us_reserve_for(e, 0, 0, capacity); /* for the matches more capacity allows */
    if (st != USHER_OK)
        return us_finish(e, st);
    a = us_agent_at(e, slot);
    a->capacity = capacity;
    us_agent_refresh_ready(e, slot);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_agent_set_channel_limit(usher_engine *e, uint64_t agent_id,
                                                     uint32_t channel, uint32_t limit)
{
    US_CHECK_ENGINE(e);
    if (channel >= USHER_MAX_CHANNELS)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_agent_find(e, agent_id, &slot);
    if (st != USHER_OK)
        return st;
    if (!e->channels[channel].defined)
        return USHER_ENOTFOUND;
    us_agent *a = us_agent_at(e, slot);
    if (limit != USHER_LIMIT_DEFAULT && limit > a->capacity)
        return USHER_EINVAL;
    uint16_t old = a->limit[channel];
    a->limit[channel] = limit == USHER_LIMIT_DEFAULT ? US_LIMIT_DEFAULT : (uint16_t)limit;
    bool over = (uint32_t)a->active[channel] + a->wrapping[channel] > us_agent_limit(e, a, channel);
    a->limit[channel] = old;
    if (over)
        return USHER_ESTATE;
    st = us_reserve_for(e, 0, 0, a->capacity); /* for the matches a higher limit allows */
    if (st != USHER_OK)
        return us_finish(e, st);
    a = us_agent_at(e, slot);
    a->limit[channel] = limit == USHER_LIMIT_DEFAULT ? US_LIMIT_DEFAULT : (uint16_t)limit;
    us_agent_refresh_ready(e, slot);
    return us_finish(e, USHER_OK);
}

/* ---- skills -------------------------------------------------------------------- */

static int compare_entries(const void *x, const void *y)
{
    const us_skill_entry *a = x, *b = y;
    return (a->skill > b->skill) - (a->skill < b->skill);
}

/* Gives the agent a new skill array (ownership passes on success). */
static usher_status replace_skills(usher_engine *e, uint32_t slot, us_skill_entry *skills,
                                   uint32_t count)
{
    usher_status st = us_index_prepare(e, slot, skills, count);
    if (st != USHER_OK) {
        us_free(&e->alloc, skills);
        return st;
    }
    us_agent *a = us_agent_at(e, slot);
    us_free(&e->alloc, a->skills);
    a->skills = skills;
    a->skill_count = count;
    us_index_rematch(e, slot);
    return USHER_OK;
}

/* A copy of the agent's skills with room for one more (NULL if out of memory). */
static us_skill_entry *copy_skills(usher_engine *e, const us_agent *a)
{
    us_skill_entry *copy = us_malloc(&e->alloc, (a->skill_count + 1) * sizeof *copy);
    if (copy && a->skill_count)
        memcpy(copy, a->skills, a->skill_count * sizeof *copy);
    return copy;
}

static uint32_t skill_position(const us_agent *a, uint32_t skill)
{
    uint32_t i = 0;
    while (i < a->skill_count && a->skills[i].skill < skill)
        i++;
    return i;
}

USHER_API usher_status usher_agent_set_skill(usher_engine *e, uint64_t agent_id, uint32_t skill,
                                             uint32_t level)
{
    US_CHECK_ENGINE(e);
    if (level < USHER_LEVEL_MIN || level > USHER_LEVEL_MAX)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_agent_find(e, agent_id, &slot);
    if (st != USHER_OK)
        return st;
    if (skill >= e->skills.count)
        return USHER_ENOTFOUND;
    const us_agent *a = us_agent_at(e, slot);
    us_skill_entry *skills = copy_skills(e, a);
    if (!skills)
        return us_finish(e, USHER_ENOMEM);
    uint32_t i = skill_position(a, skill), count = a->skill_count;
    if (i == count || skills[i].skill != skill) {
        memmove(&skills[i + 1], &skills[i], (count - i) * sizeof *skills);
        count++;
    }
    skills[i] = (us_skill_entry){.skill = (uint16_t)skill, .level = (uint8_t)level};
    return us_finish(e, replace_skills(e, slot, skills, count));
}

USHER_API usher_status usher_agent_drop_skill(usher_engine *e, uint64_t agent_id, uint32_t skill)
{
    US_CHECK_ENGINE(e);
    uint32_t slot;
    usher_status st = us_agent_find(e, agent_id, &slot);
    if (st != USHER_OK)
        return st;
    const us_agent *a = us_agent_at(e, slot);
    uint32_t i = skill_position(a, skill);
    if (i == a->skill_count || a->skills[i].skill != skill)
        return USHER_ENOTFOUND;
    us_skill_entry *skills = copy_skills(e, a);
    if (!skills)
        return us_finish(e, USHER_ENOMEM);
    memmove(&skills[i], &skills[i + 1], (a->skill_count - i - 1) * sizeof *skills);
    return us_finish(e, replace_skills(e, slot, skills, a->skill_count - 1));
}

/* Checks a host skill list: USHER_EINVAL for a bad level, USHER_ENOTFOUND
 * for an unknown skill. Duplicates are found after sorting. */
static usher_status check_skill_list(const usher_engine *e, const usher_skill_level *list,
                                     size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (list[i].level < USHER_LEVEL_MIN || list[i].level > USHER_LEVEL_MAX)
            return USHER_EINVAL;
    for (size_t i = 0; i < count; i++)
        if (list[i].skill >= e->skills.count)
            return USHER_ENOTFOUND;
    return USHER_OK;
}

USHER_API usher_status usher_agent_set_skills(usher_engine *e, uint64_t agent_id,
                                              const usher_skill_level *list, size_t count)
{
    US_CHECK_ENGINE(e);
    if (!list && count > 0)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_agent_find(e, agent_id, &slot);
    if (st == USHER_OK && count > USHER_MAX_SKILLS)
        st = USHER_EINVAL; /* more entries than skills: a duplicate somewhere */
    if (st == USHER_OK)
        st = check_skill_list(e, list, count);
    if (st != USHER_OK)
        return st;
    us_skill_entry *skills = us_malloc(&e->alloc, (count ? count : 1) * sizeof *skills);
    if (!skills)
        return us_finish(e, USHER_ENOMEM);
    for (size_t i = 0; i < count; i++)
        skills[i] = (us_skill_entry){.skill = (uint16_t)list[i].skill,
                                     .level = (uint8_t)list[i].level};
    qsort(skills, count, sizeof *skills, compare_entries);
    for (size_t i = 1; i < count; i++) {
        if (skills[i].skill == skills[i - 1].skill) {
            us_free(&e->alloc, skills);
            return USHER_EINVAL;
        }
    }
    return us_finish(e, replace_skills(e, slot, skills, (uint32_t)count));
}

USHER_API usher_status usher_agent_get_skills(const usher_engine *e, uint64_t agent_id,
                                              usher_skill_level *out, size_t capacity,
                                              size_t *count)
{
    US_CHECK_ENGINE(e);
    if (!count || (!out && capacity > 0))
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_agent_find(e, agent_id, &slot);
    if (st != USHER_OK)
        return st;
    const us_agent *a = us_agent_at(e, slot);
    for (size_t i = 0; i < a->skill_count && i < capacity; i++)
        out[i] = (usher_skill_level){a->skills[i].skill, a->skills[i].level};
    *count = a->skill_count;
    return USHER_OK;
}

/* ---- presence -------------------------------------------------------------------- */

static bool valid_state_request(int32_t state, int32_t reason)
{
    switch (state) {
    case USHER_AGENT_OFFLINE:
    case USHER_AGENT_AVAILABLE:
        return reason == 0;
    case USHER_AGENT_AWAY:
        return reason >= 0;
    default:
        return false;
    }
}

/* Hands the agent's tickets back: the router's go back to their queues;
 * the host's are reported and keep their capacity until released. */
static void return_work_on_logout(usher_engine *e, const us_agent *a)
{
    for (uint32_t w = a->work_head, next; w != US_NONE; w = next) {
        const us_work *work = &e->agents.works[w];
        next = work->next;
        if (work->wrapping)
            continue;
        if (work->routed != US_NONE)
            us_route_requeue(e, w, USHER_RETURN_LOGOUT);
        else
            us_agent_event(e, USHER_EVENT_WORK_RETURNED, a, work->ticket, work->channel,
                           USHER_RETURN_LOGOUT);
    }
}

/* Applies a state change: counters, activity, events, index. */
void us_agent_change_state(usher_engine *e, uint32_t slot, int32_t state, int32_t reason)
{
    us_agent *a = us_agent_at(e, slot);
    us_agent_count_time(e, a);
    bool was_available = a->state == USHER_AGENT_AVAILABLE;
    a->state = state;
    a->away_reason = reason;
    us_agent_event(e, USHER_EVENT_AGENT_STATE, a, 0, state, reason);
    if (state != USHER_AGENT_AVAILABLE)
        us_prefer_agent_left(e, slot); /* tickets waiting for it stop waiting */
    if (state == USHER_AGENT_OFFLINE)
        return_work_on_logout(e, a);
    if (state == USHER_AGENT_AVAILABLE && !was_available) {
        a->last_activity = us_now(e);
        us_agent_set_idle_since(e, slot, us_now(e));
    }
    us_agent_refresh(e, slot);
}

USHER_API usher_status usher_agent_set_state(usher_engine *e, uint64_t agent_id, int32_t state,
                                             int32_t reason)
{
    US_CHECK_ENGINE(e);
    if (!valid_state_request(state, reason))
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_agent_find(e, agent_id, &slot);
    if (st != USHER_OK)
        return st;
    const us_agent *a = us_agent_at(e, slot);
    if (a->state == state && a->away_reason == reason)
        return USHER_ESTATE;
    size_t returned = state == USHER_AGENT_OFFLINE ? a->active_total : 0;
    st = us_reserve_for(e, returned + 1, 1, a->capacity);
    if (st != USHER_OK)
        return us_finish(e, st);
    us_agent_change_state(e, slot, state, reason);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_agent_activity(usher_engine *e, uint64_t agent_id)
{
    US_CHECK_ENGINE(e);
    uint32_t slot;
    usher_status st = us_agent_prepare(e, agent_id, 0, 1, &slot);
    if (st != USHER_OK)
        return us_finish(e, st);
    us_agent_at(e, slot)->last_activity = us_now(e);
    us_agent_refresh(e, slot);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_agent_set_idle_timeout(usher_engine *e, uint64_t agent_id,
                                                    uint64_t idle_ms)
{
    US_CHECK_ENGINE(e);
    if (idle_ms > USHER_TIME_MAX)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_agent_prepare(e, agent_id, 0, 1, &slot);
    if (st != USHER_OK)
        return us_finish(e, st);
    us_agent_at(e, slot)->idle_timeout = idle_ms;
    us_agent_refresh(e, slot);
    return us_finish(e, USHER_OK);
}

/* ---- queries -------------------------------------------------------------------- */

static uint64_t capped_until(const usher_engine *e, const us_agent *a)
{
    uint64_t until = 0;
    if (a->capped)
        until = us_wheel_deadline(&e->wheel, a->cap_timer);
    if (a->cooling && us_wheel_deadline(&e->wheel, a->cooldown_timer) > until)
        until = us_wheel_deadline(&e->wheel, a->cooldown_timer);
    return until;
}

static uint32_t agent_flags(const us_agent *a)
{
    return (a->capped ? USHER_AGENT_AT_LOAD_CAP : 0) | (a->cooling ? USHER_AGENT_COOLING_DOWN : 0) |
           (a->blocking_wrapups ? USHER_AGENT_WRAPUP_BLOCKED : 0) |
           (a->exclusive_active ? USHER_AGENT_EXCLUSIVE : 0);
}

USHER_API usher_status usher_agent_get(const usher_engine *e, uint64_t agent_id,
                                       usher_agent_info *info)
{
    US_CHECK_ENGINE(e);
    if (!info || info->struct_size < sizeof *info)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_agent_find(e, agent_id, &slot);
    if (st != USHER_OK)
        return st;
    us_agent a = *us_agent_at(e, slot);
    us_agent_count_time(e, &a); /* on a copy: a query changes nothing */
    usher_agent_info out = {
        .struct_size = sizeof out,
        .state = a.state,
        .away_reason = a.away_reason,
        .flags = agent_flags(&a),
        .capacity = a.capacity,
        .capacity_used = a.used,
        .work_count = a.active_total,
        .wrapup_count = a.wrapping_total,
        .skill_count = a.skill_count,
        .load_cap_max = a.cap_max,
        .load_cap_window_ms = a.cap_window,
        .cooldown_ms = a.cooldown_ms,
        .idle_timeout_ms = a.idle_timeout,
        .capped_until_ms = capped_until(e, &a),
        .assignments_today = a.assignments_today,
        .handled_ms = a.handled_ms,
        .busy_ms = a.busy_ms,
        .logged_in_ms = a.logged_in_ms,
        .missed_offers = a.missed_offers,
    };
    return us_copy_out(info, &out, sizeof out, sizeof out);
}

USHER_API usher_status usher_agent_get_channel(const usher_engine *e, uint64_t agent_id,
                                               uint32_t channel, usher_agent_channel_info *info)
{
    US_CHECK_ENGINE(e);
    if (!info || channel >= USHER_MAX_CHANNELS || info->struct_size < sizeof *info)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_agent_find(e, agent_id, &slot);
    if (st != USHER_OK)
        return st;
    if (!e->channels[channel].defined)
        return USHER_ENOTFOUND;
    const us_agent *a = us_agent_at(e, slot);
    usher_agent_channel_info out = {
        .struct_size = sizeof out,
        .limit = us_agent_limit(e, a, channel),
        .active = a->active[channel],
        .wrapping = a->wrapping[channel],
        .free = us_agent_room(e, a, channel),
        .eligible = (a->ready_mask >> channel) & 1u,
    };
    return us_copy_out(info, &out, sizeof out, sizeof out);
}

USHER_API usher_status usher_agent_next(const usher_engine *e, uint64_t *cursor,
                                        uint64_t *agent_id)
{
    US_CHECK_ENGINE(e);
    if (!cursor || !agent_id)
        return USHER_EINVAL;
    for (uint64_t slot = *cursor; slot < e->agents.slots; slot++) {
        const us_agent *a = us_agent_at(e, (uint32_t)slot);
        if (a->live) {
            *agent_id = a->id;
            *cursor = slot + 1;
            return USHER_OK;
        }
    }
    return USHER_ENOTFOUND;
}

USHER_API usher_status usher_agents_new_day(usher_engine *e)
{
    US_CHECK_ENGINE(e);
    for (uint32_t slot = 0; slot < e->agents.slots; slot++) {
        us_agent_at(e, slot)->assignments_today = 0;
        if (us_agent_at(e, slot)->live)
            us_index_key_changed(e, slot); /* the fewest-assignments order */
    }
    return us_finish(e, USHER_OK);
}

void us_expire_idle(usher_engine *e, uint32_t timer)
{
    uint32_t slot = (uint32_t)us_wheel_data(&e->wheel, timer);
    us_wheel_cancel(&e->wheel, timer);
    us_agent_at(e, slot)->idle_timer = US_NONE;
    us_agent_change_state(e, slot, USHER_AGENT_AWAY, USHER_AWAY_IDLE);
}
