/* Load caps: at most N reservations per rolling window, and a cool-down
 * after a heavy ticket. Both make an agent ineligible for a while. */
#include "engine.h"

#include <string.h>

/* The most reservations a rolling-window cap may count. */
#define MAX_WINDOW_ASSIGNMENTS 100000u

/* When the oldest counted reservation leaves the window. */
static uint64_t window_reopens(const us_agent *a)
{
    return us_time_add(a->cap_times[a->cap_head], a->cap_window);
}

uint32_t us_load_cap_room(const usher_engine *e, const us_agent *a)
{
    if (a->cap_max == 0)
        return UINT32_MAX;
    uint32_t in_window = 0;
    for (uint32_t i = 0; i < a->cap_count; i++)
        in_window += us_time_add(a->cap_times[(a->cap_head + i) % a->cap_max], a->cap_window) >
                     us_now(e);
    return a->cap_max - in_window;
}

static bool window_full(const usher_engine *e, const us_agent *a)
{
    return a->cap_max > 0 && a->cap_count == a->cap_max && window_reopens(a) > us_now(e);
}

/* Brings `capped` and its timer in line with the window; queues the event
 * of a change (room for one event and one timer reserved). */
static void update_window_cap(usher_engine *e, uint32_t slot)
{
    us_agent *a = us_agent_at(e, slot);
    bool full = window_full(e, a);
    if (full && !a->capped) {
        a->capped = true;
        (void)us_wheel_schedule(&e->wheel, window_reopens(a), US_TIMER_LOAD_CAP, slot,
                                &a->cap_timer);
        us_agent_event(e, USHER_EVENT_LOAD_CAP_REACHED, a, 0, (int64_t)window_reopens(a),
                       USHER_CAP_WINDOW);
    } else if (!full && a->capped) {
        us_wheel_cancel(&e->wheel, a->cap_timer);
        a->cap_timer = US_NONE;
        a->capped = false;
        us_agent_event(e, USHER_EVENT_LOAD_CAP_CLEARED, a, 0, 0, USHER_CAP_WINDOW);
    } else if (full && us_wheel_deadline(&e->wheel, a->cap_timer) != window_reopens(a)) {
        us_wheel_reschedule(&e->wheel, a->cap_timer, window_reopens(a));
        us_agent_event(e, USHER_EVENT_LOAD_CAP_REACHED, a, 0, (int64_t)window_reopens(a),
                       USHER_CAP_WINDOW); /* the host learns the new end */
    }
}

void us_load_cap_count(usher_engine *e, uint32_t slot)
{
    us_agent *a = us_agent_at(e, slot);
    if (a->cap_max == 0)
        return;
    if (a->cap_count == a->cap_max) { /* the oldest has left the window */
        a->cap_head = (a->cap_head + 1) % a->cap_max;
        a->cap_count--;
    }
    a->cap_times[(a->cap_head + a->cap_count) % a->cap_max] = us_now(e);
    a->cap_count++;
    update_window_cap(e, slot);
}

void us_load_cap_cool_down(usher_engine *e, uint32_t slot)
{
    us_agent *a = us_agent_at(e, slot);
    if (a->cooldown_ms == 0)
        return;
    uint64_t until = us_time_add(us_now(e), a->cooldown_ms);
    if (!a->cooling) {
        a->cooling = true;
        (void)us_wheel_schedule(&e->wheel, until, US_TIMER_COOLDOWN, slot, &a->cooldown_timer);
    } else if (until > us_wheel_deadline(&e->wheel, a->cooldown_timer)) {
        us_wheel_reschedule(&e->wheel, a->cooldown_timer, until);
    }
    until = us_wheel_deadline(&e->wheel, a->cooldown_timer);
    us_agent_event(e, USHER_EVENT_LOAD_CAP_REACHED, a, 0, (int64_t)until, USHER_CAP_COOLDOWN);
}

void us_expire_load_cap(usher_engine *e, uint32_t timer)
{
    uint32_t slot = (uint32_t)us_wheel_data(&e->wheel, timer);
    update_window_cap(e, slot); /* the window reopened: clears and cancels */
    us_agent_refresh(e, slot);
}

void us_expire_cooldown(usher_engine *e, uint32_t timer)
{
    uint32_t slot = (uint32_t)us_wheel_data(&e->wheel, timer);
    us_agent *a = us_agent_at(e, slot);
    us_wheel_cancel(&e->wheel, timer);
    a->cooldown_timer = US_NONE;
    a->cooling = false;
    us_agent_event(e, USHER_EVENT_LOAD_CAP_CLEARED, a, 0, 0, USHER_CAP_COOLDOWN);
    us_agent_refresh(e, slot);
}

/* A new ring of `max` times keeping the most recent ones that fit. */
static void move_window(us_agent *a, uint64_t *times, uint32_t max)
{
    uint32_t keep = a->cap_count < max ? a->cap_count : max;
    for (uint32_t i = 0; i < keep; i++)
        times[i] = a->cap_times[(a->cap_head + a->cap_count - keep + i) % a->cap_max];
    a->cap_times = times;
    a->cap_head = 0;
    a->cap_count = keep;
    a->cap_max = max;
}

USHER_API usher_status usher_agent_set_load_cap(usher_engine *e, uint64_t agent_id,
                                                uint32_t max_assignments, uint64_t window_ms)
{
    US_CHECK_ENGINE(e);
    bool on = max_assignments > 0;
    if (max_assignments > MAX_WINDOW_ASSIGNMENTS || window_ms > USHER_TIME_MAX ||
        on != (window_ms > 0))
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_agent_prepare(e, agent_id, 1, 1, &slot);
    if (st != USHER_OK)
        return us_finish(e, st);
    uint64_t *times = NULL;
    if (on && !(times = us_malloc(&e->alloc, max_assignments * sizeof *times)))
        return us_finish(e, USHER_ENOMEM);
    us_agent *a = us_agent_at(e, slot);
    uint64_t *old = a->cap_times;
    move_window(a, times, max_assignments);
    us_free(&e->alloc, old);
    a->cap_window = window_ms;
    update_window_cap(e, slot);
    us_agent_refresh(e, slot);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_agent_set_cooldown(usher_engine *e, uint64_t agent_id,
                                                uint64_t cooldown_ms)
{
    US_CHECK_ENGINE(e);
    if (cooldown_ms > USHER_TIME_MAX)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_agent_find(e, agent_id, &slot);
    if (st != USHER_OK)
        return st;
    us_agent_at(e, slot)->cooldown_ms = cooldown_ms;
    return us_finish(e, USHER_OK);
}
