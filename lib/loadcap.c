/*
 * Load caps: at most N reservations per rolling window, and a cool-down
 * after a heavy ticket. Both make an agent ineligible for a while.
 *
 * Offers out count toward the rolling-window cap until answered, so an
 * agent whose reservations in the window and offers out fill the cap
 * becomes eligible again when the oldest of those reservations leaves the
 * window. One wheel timer per agent (cap_timer) is due at that time
 * whenever time alone can change the agent's eligibility: while capped
 * (the reservations fill the window: the LOAD_CAP_* events concern that
 * state only), and while offers out fill the rest. us_agent_refresh()
 * keeps it in line after every change (us_load_cap_sync_timer).
 */
#include "engine.h"

#include <string.h>

/* When the oldest counted reservation leaves the window. */
static uint64_t window_reopens(const us_agent *a)
{
    return us_time_add(a->cap_times[a->cap_head], a->cap_window);
}

/* The i-th counted reservation, oldest first. */
static uint64_t ring_time(const us_agent *a, uint32_t i)
{
    return a->cap_times[(a->cap_head + i) % a->cap_max];
}

uint64_t us_load_cap_clock(const usher_engine *e, const us_agent *a)
{
    if (a->cap_timer == US_NONE || us_wheel_deadline(&e->wheel, a->cap_timer) > us_now(e))
        return us_now(e);
    return us_wheel_deadline(&e->wheel, a->cap_timer) - 1; /* it fires later at this time */
}

/* How many counted reservations have left the window: the oldest ones,
 * since the ring's times never decrease (a binary search). */
static uint32_t left_window(const usher_engine *e, const us_agent *a)
{
    uint64_t now = us_load_cap_clock(e, a);
    uint32_t lo = 0, hi = a->cap_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (us_time_add(ring_time(a, mid), a->cap_window) > now)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

uint32_t us_load_cap_room(const usher_engine *e, const us_agent *a)
{
    if (a->cap_max == 0)
        return UINT32_MAX;
    return a->cap_max - (a->cap_count - left_window(e, a));
}

uint64_t us_load_cap_due(const usher_engine *e, const us_agent *a)
{
    if (a->capped)
        return window_reopens(a);
    if (a->cap_max == 0)
        return USHER_TIME_NEVER;
    uint32_t gone = left_window(e, a), in_window = a->cap_count - gone;
    if (in_window == 0 || a->offers_out < a->cap_max - in_window)
        return USHER_TIME_NEVER; /* offers out leave room, or time frees none */
    return us_time_add(ring_time(a, gone), a->cap_window);
}

void us_load_cap_sync_timer(usher_engine *e, uint32_t slot)
{
    us_agent *a = us_agent_at(e, slot);
    uint64_t due = us_load_cap_due(e, a);
    if (due == USHER_TIME_NEVER) {
        if (a->cap_timer != US_NONE)
            us_wheel_cancel(&e->wheel, a->cap_timer);
        a->cap_timer = US_NONE;
    } else if (a->cap_timer == US_NONE) {
        (void)us_wheel_schedule(&e->wheel, due, US_TIMER_LOAD_CAP, slot, &a->cap_timer);
    } else if (us_wheel_deadline(&e->wheel, a->cap_timer) != due) {
        us_wheel_reschedule(&e->wheel, a->cap_timer, due);
    }
}

static bool window_full(const usher_engine *e, const us_agent *a)
{
    return a->cap_max > 0 && us_load_cap_room(e, a) == 0;
}

/* When the cap in force ends, 0 if the agent is not capped. */
static uint64_t cap_end(const us_agent *a) { return a->capped ? window_reopens(a) : 0; }

/* Brings `capped` in line with the window after a change and queues the
 * event of a change of the cap or of its end (`was_end`: cap_end() before
 * the change; room for one event reserved). The timer follows at the
 * us_agent_refresh() every caller makes next. */
static void update_window_cap(usher_engine *e, uint32_t slot, uint64_t was_end)
{
    us_agent *a = us_agent_at(e, slot);
    bool full = window_full(e, a);
    if (full && (!a->capped || window_reopens(a) != was_end)) {
        a->capped = true; /* reached, or its end moved: the host learns the end */
        us_agent_event(e, USHER_EVENT_LOAD_CAP_REACHED, a, 0, (int64_t)window_reopens(a),
                       USHER_CAP_WINDOW);
    } else if (!full && a->capped) {
        a->capped = false;
        us_agent_event(e, USHER_EVENT_LOAD_CAP_CLEARED, a, 0, 0, USHER_CAP_WINDOW);
    }
}

void us_load_cap_count(usher_engine *e, uint32_t slot)
{
    us_agent *a = us_agent_at(e, slot);
    if (a->cap_max == 0)
        return;
    uint64_t was_end = cap_end(a);
    if (a->cap_count == a->cap_max) { /* the oldest has left the window */
        a->cap_head = (a->cap_head + 1) % a->cap_max;
        a->cap_count--;
    }
    a->cap_times[(a->cap_head + a->cap_count) % a->cap_max] = us_now(e);
    a->cap_count++;
    update_window_cap(e, slot, was_end);
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
    us_agent *a = us_agent_at(e, slot);
    uint64_t was_end = cap_end(a);
    /* Gone first, so that the window is seen at the current time; the
     * refresh schedules the next change again in the node it freed. */
    us_wheel_cancel(&e->wheel, timer);
    a->cap_timer = US_NONE;
    update_window_cap(e, slot, was_end); /* a cap whose end came clears */
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
    if (max_assignments > US_MAX_WINDOW_ASSIGNMENTS || window_ms > USHER_TIME_MAX ||
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
    uint64_t *old = a->cap_times, was_end = cap_end(a);
    move_window(a, times, max_assignments);
    us_free(&e->alloc, old);
    a->cap_window = window_ms;
    update_window_cap(e, slot, was_end);
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
