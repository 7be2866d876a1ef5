/* Host timers: the host's own deadlines on the engine's clock. */
#include "engine.h"

USHER_API usher_status usher_timer_set(usher_engine *e, uint64_t timer_id, uint64_t due_ms)
{
    if (!e || due_ms > USHER_TIME_MAX)
        return USHER_EINVAL;
    if (e->closing)
        return USHER_ECLOSED;
    if (e->scoring)
        return USHER_ESTATE;
    uint32_t timer;
    if (us_idmap_find(&e->host_timers, timer_id, &timer)) {
        us_wheel_reschedule(&e->wheel, timer, due_ms);
        return us_finish(e, USHER_OK);
    }
    usher_status st = us_idmap_reserve(&e->host_timers, 1);
    if (st == USHER_OK)
        st = us_wheel_reserve(&e->wheel, 1);
    if (st != USHER_OK)
        return us_finish(e, st);
    /* Both have room: neither call below can fail. */
    (void)us_wheel_schedule(&e->wheel, due_ms, US_TIMER_HOST, timer_id, &timer);
    (void)us_idmap_insert(&e->host_timers, timer_id, timer);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_timer_cancel(usher_engine *e, uint64_t timer_id)
{
    if (!e)
        return USHER_EINVAL;
    if (e->closing)
        return USHER_ECLOSED;
    if (e->scoring)
        return USHER_ESTATE;
    uint32_t timer;
    if (!us_idmap_erase(&e->host_timers, timer_id, &timer))
        return us_finish(e, USHER_ENOTFOUND);
    us_wheel_cancel(&e->wheel, timer);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_timer_due(const usher_engine *e, uint64_t timer_id, uint64_t *due_ms)
{
    if (!e || !due_ms)
        return USHER_EINVAL;
    if (e->closing)
        return USHER_ECLOSED;
    if (e->scoring)
        return USHER_ESTATE;
    uint32_t timer;
    if (!us_idmap_find(&e->host_timers, timer_id, &timer))
        return USHER_ENOTFOUND;
    *due_ms = us_wheel_deadline(&e->wheel, timer);
    return USHER_OK;
}

void us_expire_host_timer(usher_engine *e, uint32_t timer)
{
    uint64_t timer_id = us_wheel_data(&e->wheel, timer);
    usher_event event = {0};
    event.type = USHER_EVENT_TIMER;
    event.time_ms = us_wheel_deadline(&e->wheel, timer);
    event.timer_id = timer_id;
    (void)us_idmap_erase(&e->host_timers, timer_id, NULL);
    us_wheel_cancel(&e->wheel, timer);
    us_events_push(e, &event);
}
