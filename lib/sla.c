/*
 * Per-ticket SLA clocks (see usher.h "SLA tracking"). A clock counts its
 * target's time (calendar or business) in `elapsed` up to `run_since`,
 * and while it runs, from there on. Its next event (a warning, then the
 * breach) is one wheel timer at the event's exact time, or at the next
 * open instant when the policy holds events to open hours; each firing
 * schedules the following one, so a jump of the clock past several fires
 * them in order, each with its own due_ms. An event that falls due while
 * the calendar is closed is kept, as it was then, in the clock's held
 * list until the next opening: restarts and policy changes do not touch
 * it.
 */
#include "engine.h"

#include <string.h>

static us_sla *record_at(const usher_engine *e, uint32_t slot)
{
    return (us_sla *)us_pool_at(&e->slas.records, slot);
}

static const usher_sla_policy_def *def_of(const usher_engine *e, const us_sla *r)
{
    return &us_sla_policy_at(e, r->policy)->def;
}

static bool has_target(const usher_sla_policy_def *def, uint32_t t) { return def->target_mask >> t & 1; }

/* ---- target time ----------------------------------------------------------------------- */

static const us_calendar *calendar_of(const usher_engine *e, const usher_sla_policy_def *def)
{
    return us_calendar_find(e, def->calendar);
}

/* Target time between instants a <= b. */
static uint64_t measure(const usher_engine *e, const usher_sla_policy_def *def, uint32_t t,
                        uint64_t a, uint64_t b)
{
    if (b <= a)
        return 0;
    if (def->business_mask >> t & 1) {
        uint64_t end = b < USHER_CALENDAR_TIME_MAX ? b : USHER_CALENDAR_TIME_MAX;
        return a < end ? us_calendar_between(calendar_of(e, def), a, end) : 0;
    }
    return b - a;
}

/* The instant when `amount` more target time has passed from `from`. */
static uint64_t project(const usher_engine *e, const usher_sla_policy_def *def, uint32_t t,
                        uint64_t from, uint64_t amount)
{
    if ((def->business_mask >> t & 1) && from <= USHER_CALENDAR_TIME_MAX)
        return us_calendar_add(calendar_of(e, def), from, amount);
    return us_time_add(from, amount);
}

/* The target time at which event k (a warning, or the breach) falls. */
static uint64_t threshold(const usher_sla_policy_def *def, uint32_t t, uint32_t k)
{
    if (k < def->warning_count)
        return def->target_ms[t] * def->warning_permille[k] / 1000;
    return def->target_ms[t];
}

static uint64_t elapsed_now(const usher_engine *e, const us_sla *r, uint32_t t)
{
    const us_sla_clock *c = &r->clocks[t];
    if (c->state != US_CLOCK_RUNNING)
        return c->elapsed;
    return c->elapsed + measure(e, def_of(e, r), t, c->run_since, us_now(e));
}

/* ---- counting ---------------------------------------------------------------------------- */

/* A target met (or breached) counts for the policy, the channel and the
 * queue the ticket's attributes name. */
static void count(usher_engine *e, const us_sla *r, uint32_t t, bool met)
{
    uint32_t queue;
    us_sla_policy *p = us_sla_policy_at(e, r->policy);
    (met ? p->met : p->breached)[t]++;
    if (r->channel < USHER_MAX_CHANNELS)
        (met ? e->slas.channel_met : e->slas.channel_breached)[r->channel][t]++;
    if (us_queue_find(e, r->queue, &queue) == USHER_OK) {
        usher_queue_stats *s = &us_queue_at(e, queue)->stats;
        (met ? s->sla_met : s->sla_breached)[t]++;
    }
}

/* A running clock's deadline: its next event's time when that is the
 * breach, else worked out (queries and deadline order only). */
static uint64_t clock_due(const usher_engine *e, const us_sla *r, uint32_t t)
{
    const us_sla_clock *c = &r->clocks[t];
    const usher_sla_policy_def *def = def_of(e, r);
    if (c->state != US_CLOCK_RUNNING)
        return USHER_TIME_NEVER;
    if (c->next_event == def->warning_count)
        return c->next_due;
    uint64_t target = def->target_ms[t];
    return project(e, def, t, c->run_since, target > c->elapsed ? target - c->elapsed : 0);
}

static uint64_t earliest(const usher_engine *e, const us_sla *r)
{
    uint64_t due = USHER_TIME_NEVER;
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++) {
        uint64_t d = clock_due(e, r, t);
        due = d < due ? d : due;
    }
    return due;
}

uint64_t us_sla_earliest_due(const usher_engine *e, uint64_t ticket)
{
    uint32_t slot;
    if (!us_idmap_find(&e->slas.by_ticket, ticket, &slot))
        return USHER_TIME_NEVER;
    return earliest(e, record_at(e, slot));
}

/* Tells the router the ticket's deadline may have moved (worked out only
 * when a routed ticket has its id). */
static void notify(usher_engine *e, uint32_t slot)
{
    uint32_t routed;
    const us_sla *r = record_at(e, slot);
    if (us_ticket_find(e, r->ticket, &routed) == USHER_OK)
        us_route_sla_changed(e, r->ticket, earliest(e, r));
}

/* ---- events ------------------------------------------------------------------------------ */


static uint32_t timer_data(uint32_t slot, uint32_t t) { return slot * USHER_SLA_TARGETS + t; }

static bool holds_events(const usher_sla_policy_def *def)
{
    return def->flags & USHER_SLA_HOLD_EVENTS;
}

/* When the policy's calendar next opens at or after `at` (`at` itself
 * when it does not hold events, or never opens). */
static uint64_t release_time(const usher_engine *e, const usher_sla_policy_def *def, uint64_t at)
{
    if (!holds_events(def) || at > USHER_CALENDAR_TIME_MAX)
        return at;
    uint64_t open = us_calendar_next_open(calendar_of(e, def), at);
    return open == USHER_TIME_NEVER ? at : open;
}

/* Works out the exact time of the clock's next event while it runs
 * (USHER_TIME_NEVER otherwise): after every change of its state, stretch
 * or next event, so that reading it costs no calendar arithmetic. */
static void compute_next_due(const usher_engine *e, us_sla *r, uint32_t t)
{
    us_sla_clock *c = &r->clocks[t];
    const usher_sla_policy_def *def = def_of(e, r);
    c->next_due = USHER_TIME_NEVER;
    if (c->state != US_CLOCK_RUNNING || c->next_event > def->warning_count)
        return;
    uint64_t at = threshold(def, t, c->next_event);
    c->next_due = project(e, def, t, c->run_since, at > c->elapsed ? at - c->elapsed : 0);
}

static uint64_t next_event_due(const us_sla *r, uint32_t t) { return r->clocks[t].next_due; }

/* Points the clock's timer at its next event or at the release of its held
 * events, whichever comes first, or drops it (a wheel node reserved when
 * the clock has no timer). */
static void arm(usher_engine *e, uint32_t slot, uint32_t t)
{
    us_sla *r = record_at(e, slot);
    us_sla_clock *c = &r->clocks[t];
    compute_next_due(e, r, t);
    uint64_t at = next_event_due(r, t);
    if (c->held_count > 0) {
        uint64_t release = release_time(e, def_of(e, r), us_now(e));
        at = release < at ? release : at;
    }
    if (at == USHER_TIME_NEVER) {
        if (c->timer != US_NONE)
            us_wheel_cancel(&e->wheel, c->timer);
        c->timer = US_NONE;
        return;
    }
    at = at < USHER_TIME_MAX ? at : USHER_TIME_MAX;
    if (c->timer == US_NONE)
        (void)us_wheel_schedule(&e->wheel, at, US_TIMER_SLA, timer_data(slot, t), &c->timer);
    else
        us_wheel_reschedule(&e->wheel, c->timer, at);
}

static void sla_event(usher_engine *e, int32_t type, const us_sla *r, uint32_t t, int64_t value,
                      uint32_t detail, uint64_t due)
{
    usher_event event = {0};
    event.type = type;
    event.time_ms = us_now(e);
    event.ticket_id = r->ticket;
    event.reason = (int32_t)t;
    event.value = value;
    event.detail = detail;
    event.due_ms = due;
    us_events_push(e, &event);
}

/* Raises an event of the clock as it was when it fell due: a warning, with
 * its policy's threshold and the target left then, or the breach. */
static void deliver(usher_engine *e, const us_sla *r, uint32_t t, const us_sla_held *h)
{
    const usher_sla_policy_def *def = &us_sla_policy_at(e, h->policy)->def;
    uint32_t k = h->event;
    if (k < def->warning_count)
        sla_event(e, USHER_EVENT_SLA_WARNING, r, t,
                  (int64_t)(def->target_ms[t] - threshold(def, t, k)), def->warning_permille[k],
                  h->due);
    else
        sla_event(e, USHER_EVENT_SLA_BREACHED, r, t, (int64_t)(us_now(e) - h->due), 0, h->due);
}

static void mark_breached(usher_engine *e, us_sla *r, uint32_t t)
{
    if (r->clocks[t].breached)
        return;
    r->clocks[t].breached = true;
    count(e, r, t, false);
}

/* Keeps the event until the calendar opens, in time order (ties in the
 * order they fell due). With the list full, the earliest of them and the
 * new one is raised now instead. */
static void hold(usher_engine *e, us_sla *r, uint32_t t, us_sla_held h)
{
    us_sla_clock *c = &r->clocks[t];
    if (c->held_count == US_SLA_HELD_MAX) {
        if (h.due < c->held[0].due) {
            deliver(e, r, t, &h);
            return;
        }
        deliver(e, r, t, &c->held[0]);
        memmove(&c->held[0], &c->held[1], (US_SLA_HELD_MAX - 1) * sizeof c->held[0]);
        c->held_count--;
    }
    uint32_t i = c->held_count;
    for (; i > 0 && c->held[i - 1].due > h.due; i--)
        c->held[i] = c->held[i - 1];
    c->held[i] = h;
    c->held_count++;
}

/* The clock's next event fell due at `due` (<= now): raised now, or held
 * while the calendar is closed (or while earlier events are held, which
 * go first). */
static void fall_due(usher_engine *e, us_sla *r, uint32_t t, uint64_t due)
{
    us_sla_clock *c = &r->clocks[t];
    const usher_sla_policy_def *def = def_of(e, r);
    us_sla_held event = {due, r->policy, c->next_event++};
    compute_next_due(e, r, t);
    if (event.event == def->warning_count)
        mark_breached(e, r, t);
    if (c->held_count > 0 || release_time(e, def, due) > us_now(e))
        hold(e, r, t, event);
    else
        deliver(e, r, t, &event);
}

/* Raises the held events if the calendar is open now. */
static void release_held(usher_engine *e, us_sla *r, uint32_t t)
{
    us_sla_clock *c = &r->clocks[t];
    if (c->held_count == 0 || release_time(e, def_of(e, r), us_now(e)) > us_now(e))
        return;
    for (uint32_t i = 0; i < c->held_count; i++)
        deliver(e, r, t, &c->held[i]);
    c->held_count = 0;
}

bool us_sla_held_valid(const usher_engine *e, const us_sla_clock *c, uint32_t t)
{
    if (c->held_count > US_SLA_HELD_MAX)
        return false;
    for (uint32_t i = 0; i < c->held_count; i++) {
        const us_sla_held *h = &c->held[i];
        if (!us_sla_policy_live(e, h->policy))
            return false;
        const usher_sla_policy_def *def = &us_sla_policy_at(e, h->policy)->def;
        if (!has_target(def, t) || h->event > def->warning_count || h->due > us_now(e) ||
            (i > 0 && h->due < c->held[i - 1].due))
            return false;
    }
    return true;
}

/* Every event of the ticket's clocks that fell due by now and was not yet
 * raised, in time order across the clocks (a ticket started in the past,
 * or completed before its timer fired). */
static void catch_up(usher_engine *e, uint32_t slot)
{
    us_sla *r = record_at(e, slot);
    for (;;) {
        uint32_t first = USHER_SLA_TARGETS;
        uint64_t first_due = USHER_TIME_NEVER;
        for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++) {
            uint64_t due = next_event_due(r, t);
            if (due <= us_now(e) && due < first_due) {
                first = t;
                first_due = due;
            }
        }
        if (first == USHER_SLA_TARGETS)
            return;
        fall_due(e, r, first, first_due);
    }
}

void us_expire_sla(usher_engine *e, uint32_t timer)
{
    uint32_t data = (uint32_t)us_wheel_data(&e->wheel, timer);
    uint32_t slot = data / USHER_SLA_TARGETS, t = data % USHER_SLA_TARGETS;
    us_sla *r = record_at(e, slot);
    release_held(e, r, t);
    uint64_t due = next_event_due(r, t);
    if (due <= us_now(e))
        fall_due(e, r, t, due);
    arm(e, slot, t);
}

/* ---- clock changes ---------------------------------------------------------------------- */

/* A new cycle running since `at` (events held from the last one stay). */
static void start_running(usher_engine *e, uint32_t slot, uint32_t t, uint64_t at)
{
    us_sla_clock *c = &record_at(e, slot)->clocks[t];
    c->state = US_CLOCK_RUNNING;
    c->breached = false;
    c->next_event = 0;
    c->elapsed = 0;
    c->run_since = at;
    arm(e, slot, t);
}

static void pause_clock(usher_engine *e, uint32_t slot, uint32_t t)
{
    us_sla_clock *c = &record_at(e, slot)->clocks[t];
    if (c->state != US_CLOCK_RUNNING)
        return;
    c->elapsed = elapsed_now(e, record_at(e, slot), t);
    c->state = US_CLOCK_PAUSED;
    arm(e, slot, t); /* held events stay held */
}

/* A new cycle from now, or from the creation at usher_sla_start (never
 * pending then); paused at once while pending if the policy says so. */
static void start(usher_engine *e, uint32_t slot, uint32_t t, uint64_t at)
{
    start_running(e, slot, t, at);
    if (record_at(e, slot)->pending && (def_of(e, record_at(e, slot))->pause_mask >> t & 1))
        pause_clock(e, slot, t);
}

static void resume_clock(usher_engine *e, uint32_t slot, uint32_t t)
{
    us_sla *r = record_at(e, slot);
    us_sla_clock *c = &r->clocks[t];
    if (c->state != US_CLOCK_PAUSED)
        return;
    c->state = US_CLOCK_RUNNING;
    c->run_since = us_now(e);
    arm(e, slot, t);
}

/* The target was satisfied now: met (event) unless it was breached
 * (callers catch up first, so a breach already due is known). */
static void complete(usher_engine *e, uint32_t slot, uint32_t t)
{
    us_sla *r = record_at(e, slot);
    us_sla_clock *c = &r->clocks[t];
    if (c->state != US_CLOCK_RUNNING && c->state != US_CLOCK_PAUSED)
        return;
    c->elapsed = elapsed_now(e, r, t);
    c->state = US_CLOCK_DONE;
    arm(e, slot, t);
    if (!c->breached) {
        count(e, r, t, true);
        sla_event(e, USHER_EVENT_SLA_MET, r, t, (int64_t)(def_of(e, r)->target_ms[t] - c->elapsed),
                  0, 0);
    }
}

static void stop(usher_engine *e, uint32_t slot, uint32_t t)
{
    us_sla_clock *c = &record_at(e, slot)->clocks[t];
    if (c->state != US_CLOCK_RUNNING && c->state != US_CLOCK_PAUSED)
        return;
    c->elapsed = elapsed_now(e, record_at(e, slot), t);
    c->state = US_CLOCK_STOPPED;
    arm(e, slot, t);
}

/* ---- tracking a ticket -------------------------------------------------------------------- */

static usher_status find_record(const usher_engine *e, uint64_t ticket, uint32_t *slot)
{
    return us_idmap_find(&e->slas.by_ticket, ticket, slot) ? USHER_OK : USHER_ENOTFOUND;
}

USHER_API void usher_sla_spec_init(usher_sla_spec *spec)
{
    if (!spec)
        return;
    memset(spec, 0, sizeof *spec);
    spec->struct_size = sizeof *spec;
    spec->created_ms = USHER_CREATED_NOW;
}

static bool spec_valid(const usher_engine *e, const usher_sla_spec *spec)
{
    return spec->struct_size >= sizeof *spec && spec->reserved == 0 &&
           (spec->created_ms == USHER_CREATED_NOW || spec->created_ms <= us_now(e));
}

USHER_API usher_status usher_sla_start(usher_engine *e, uint64_t ticket_id,
                                       const usher_sla_spec *spec)
{
    US_CHECK_ENGINE(e);
    if (!spec || !spec_valid(e, spec))
        return USHER_EINVAL;
    uint32_t slot;
    if (find_record(e, ticket_id, &slot) == USHER_OK)
        return USHER_EEXIST;
    uint32_t policy = us_sla_choose(e, spec->channel, spec->queue, spec->tier, spec->priority);
    if (policy == US_NONE)
        return USHER_ENOTFOUND;
    usher_status st = us_reserve(e, US_SLA_EVENTS, USHER_SLA_TARGETS);
    if (st == USHER_OK)
        st = us_pool_reserve(&e->slas.records, &e->alloc);
    if (st == USHER_OK)
        st = us_idmap_reserve(&e->slas.by_ticket, 1);
    if (st != USHER_OK)
        return us_finish(e, st);
    slot = us_pool_take(&e->slas.records);
    us_sla *r = record_at(e, slot);
    memset(r, 0, sizeof *r);
    r->ticket = ticket_id;
    r->policy = policy;
    r->created = spec->created_ms == USHER_CREATED_NOW ? us_now(e) : spec->created_ms;
    r->channel = spec->channel;
    r->queue = spec->queue;
    r->tier = spec->tier;
    r->priority = spec->priority;
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++) {
        r->clocks[t].timer = US_NONE;
        r->clocks[t].next_due = USHER_TIME_NEVER;
    }
    (void)us_idmap_insert(&e->slas.by_ticket, ticket_id, slot);
    static const uint32_t from_creation[] = {USHER_SLA_FIRST_RESPONSE, USHER_SLA_PERIODIC_UPDATE,
                                             USHER_SLA_RESOLUTION};
    for (size_t i = 0; i < sizeof from_creation / sizeof *from_creation; i++)
        if (has_target(def_of(e, r), from_creation[i]))
            start(e, slot, from_creation[i], r->created);
    catch_up(e, slot); /* what fell due since the creation, in time order */
    notify(e, slot);
    return us_finish(e, USHER_OK);
}

/* While pending, the new policy's pause_mask decides what is paused. */
static void repause(usher_engine *e, uint32_t slot)
{
    us_sla *r = record_at(e, slot);
    uint32_t mask = def_of(e, r)->pause_mask;
    for (uint32_t t = 0; r->pending && t < USHER_SLA_TARGETS; t++) {
        if (mask >> t & 1)
            pause_clock(e, slot, t);
        else
            resume_clock(e, slot, t);
    }
}

/* The first event of the new policy still ahead of a clock it keeps:
 * warnings already passed are not raised again, nor a breach twice. */
static uint8_t first_event_ahead(const usher_sla_policy_def *def, uint32_t t,
                                 const us_sla_clock *c)
{
    if (c->breached)
        return (uint8_t)(def->warning_count + 1);
    uint8_t k = 0;
    while (k < def->warning_count && threshold(def, t, k) <= c->elapsed)
        k++;
    return k;
}

/* A paused clock whose elapsed time reached its new target is breached
 * now, like a running one, not when it resumes. */
static void breach_paused_past_target(usher_engine *e, uint32_t slot)
{
    us_sla *r = record_at(e, slot);
    const usher_sla_policy_def *def = def_of(e, r);
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++) {
        us_sla_clock *c = &r->clocks[t];
        if (c->state != US_CLOCK_PAUSED || c->breached || c->elapsed < def->target_ms[t])
            continue;
        c->next_event = (uint8_t)def->warning_count;
        fall_due(e, r, t, us_now(e));
        arm(e, slot, t);
    }
}

/* Moves a tracked ticket to another policy, keeping elapsed time. Events
 * held stay as they fell due; a target the new policy lacks becomes
 * inactive but still raises what it holds. */
static void change_policy(usher_engine *e, uint32_t slot, uint32_t policy)
{
    us_sla *r = record_at(e, slot);
    catch_up(e, slot); /* what fell due under the old policy */
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++) /* fold running time into elapsed */
        if (r->clocks[t].state == US_CLOCK_RUNNING) {
            r->clocks[t].elapsed = elapsed_now(e, r, t);
            r->clocks[t].run_since = us_now(e);
        }
    const usher_sla_policy_def *old = def_of(e, r);
    r->policy = policy;
    const usher_sla_policy_def *def = def_of(e, r);
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++) {
        us_sla_clock *c = &r->clocks[t];
        if (!has_target(def, t)) {
            c->state = US_CLOCK_INACTIVE;
            c->next_event = 0;
        } else if (!has_target(old, t)) {
            bool starts = !r->solved && t != USHER_SLA_NEXT_RESPONSE &&
                          !(t == USHER_SLA_FIRST_RESPONSE && r->replied);
            if (starts) /* as if running since the creation; paused below */
                start_running(e, slot, t, r->created);
        } else {
            c->next_event = first_event_ahead(def, t, c);
        }
        arm(e, slot, t);
    }
    catch_up(e, slot); /* a new target's events since the creation; breaches due now */
    repause(e, slot);
    breach_paused_past_target(e, slot);
    catch_up(e, slot); /* a clock resumed past its new target */
}

static usher_status update(usher_engine *e, uint64_t ticket, uint32_t channel, uint32_t queue,
                           uint32_t tier, uint32_t priority)
{
    uint32_t slot;
    usher_status st = find_record(e, ticket, &slot);
    if (st != USHER_OK)
        return st;
    uint32_t policy = us_sla_choose(e, channel, queue, tier, priority);
    if (policy == US_NONE)
        return USHER_ENOTFOUND;
    us_sla *r = record_at(e, slot);
    r->channel = channel;
    r->queue = queue;
    r->tier = tier;
    r->priority = priority;
    if (policy != r->policy)
        change_policy(e, slot, policy);
    notify(e, slot);
    return USHER_OK;
}

USHER_API usher_status usher_sla_update(usher_engine *e, uint64_t ticket_id,
                                        const usher_sla_spec *spec)
{
    US_CHECK_ENGINE(e);
    if (!spec || spec->struct_size < sizeof *spec || spec->reserved != 0)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = find_record(e, ticket_id, &slot);
    if (st != USHER_OK)
        return st;
    if (us_sla_choose(e, spec->channel, spec->queue, spec->tier, spec->priority) == US_NONE)
        return USHER_ENOTFOUND;
    st = us_reserve(e, US_SLA_EVENTS, USHER_SLA_TARGETS);
    if (st == USHER_OK)
        st = update(e, ticket_id, spec->channel, spec->queue, spec->tier, spec->priority);
    return us_finish(e, st);
}

void us_sla_ticket_changed(usher_engine *e, uint64_t ticket, uint32_t queue, uint32_t tier,
                           uint32_t priority)
{
    uint32_t slot;
    if (find_record(e, ticket, &slot) != USHER_OK)
        return;
    /* With no policy for the new attributes the ticket keeps its own. */
    (void)update(e, ticket, record_at(e, slot)->channel, queue, tier, priority);
}

/* ---- what happened -------------------------------------------------------------------------- */

static void restart(usher_engine *e, uint32_t slot, uint32_t t)
{
    complete(e, slot, t);
    start(e, slot, t, us_now(e));
}

static void on_reply(usher_engine *e, uint32_t slot)
{
    us_sla *r = record_at(e, slot);
    r->replied = true;
    complete(e, slot, USHER_SLA_FIRST_RESPONSE);
    complete(e, slot, USHER_SLA_NEXT_RESPONSE);
    if (has_target(def_of(e, r), USHER_SLA_PERIODIC_UPDATE))
        restart(e, slot, USHER_SLA_PERIODIC_UPDATE);
}

static void on_message(usher_engine *e, uint32_t slot)
{
    us_sla *r = record_at(e, slot);
    uint8_t state = r->clocks[USHER_SLA_NEXT_RESPONSE].state;
    bool waiting = state == US_CLOCK_RUNNING || state == US_CLOCK_PAUSED;
    if (has_target(def_of(e, r), USHER_SLA_NEXT_RESPONSE) && !waiting)
        start(e, slot, USHER_SLA_NEXT_RESPONSE, us_now(e));
}

static void each_paused_target(usher_engine *e, uint32_t slot,
                               void (*fn)(usher_engine *, uint32_t, uint32_t))
{
    uint32_t mask = def_of(e, record_at(e, slot))->pause_mask;
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        if (mask >> t & 1)
            fn(e, slot, t);
}

static void on_solved(usher_engine *e, uint32_t slot)
{
    us_sla *r = record_at(e, slot);
    r->solved = true;
    r->pending = false;
    complete(e, slot, USHER_SLA_RESOLUTION);
    for (uint32_t t = 0; t < USHER_SLA_RESOLUTION; t++)
        stop(e, slot, t);
}

static void on_reopened(usher_engine *e, uint32_t slot)
{
    us_sla *r = record_at(e, slot);
    us_sla_clock *c = &r->clocks[USHER_SLA_RESOLUTION];
    r->solved = false;
    if (has_target(def_of(e, r), USHER_SLA_RESOLUTION)) { /* resumes where it stopped */
        c->state = US_CLOCK_PAUSED;
        resume_clock(e, slot, USHER_SLA_RESOLUTION);
    }
    if (has_target(def_of(e, r), USHER_SLA_PERIODIC_UPDATE))
        start(e, slot, USHER_SLA_PERIODIC_UPDATE, us_now(e));
    on_message(e, slot);
}

/* USHER_ESTATE for a report that does not fit the ticket's state. */
static bool report_fits(const us_sla *r, uint32_t what)
{
    if (what == USHER_SLA_REOPENED)
        return r->solved;
    if (r->solved)
        return false;
    if (what == USHER_SLA_PENDING_CUSTOMER)
        return !r->pending;
    if (what == USHER_SLA_RESUMED)
        return r->pending;
    return true;
}

USHER_API usher_status usher_sla_report(usher_engine *e, uint64_t ticket_id, uint32_t what)
{
    US_CHECK_ENGINE(e);
    if (what < USHER_SLA_AGENT_REPLY || what > USHER_SLA_REOPENED)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = find_record(e, ticket_id, &slot);
    if (st != USHER_OK)
        return st;
    if (!report_fits(record_at(e, slot), what))
        return USHER_ESTATE;
    st = us_reserve(e, US_SLA_EVENTS, USHER_SLA_TARGETS);
    if (st != USHER_OK)
        return us_finish(e, st);
    catch_up(e, slot); /* deadlines passed before this report count first */
    switch (what) {
    case USHER_SLA_AGENT_REPLY:
        on_reply(e, slot);
        break;
    case USHER_SLA_CUSTOMER_MESSAGE:
        on_message(e, slot);
        break;
    case USHER_SLA_PENDING_CUSTOMER:
        record_at(e, slot)->pending = true;
        each_paused_target(e, slot, pause_clock);
        break;
    case USHER_SLA_RESUMED:
        record_at(e, slot)->pending = false;
        each_paused_target(e, slot, resume_clock);
        break;
    case USHER_SLA_SOLVED:
        on_solved(e, slot);
        break;
    default:
        on_reopened(e, slot);
        break;
    }
    notify(e, slot);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_sla_forget(usher_engine *e, uint64_t ticket_id)
{
    US_CHECK_ENGINE(e);
    uint32_t slot;
    usher_status st = find_record(e, ticket_id, &slot);
    if (st != USHER_OK)
        return st;
    us_sla *r = record_at(e, slot);
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        if (r->clocks[t].timer != US_NONE)
            us_wheel_cancel(&e->wheel, r->clocks[t].timer);
    (void)us_idmap_erase(&e->slas.by_ticket, ticket_id, NULL);
    us_pool_put(&e->slas.records, slot);
    us_route_sla_changed(e, ticket_id, USHER_TIME_NEVER);
    return us_finish(e, USHER_OK);
}

/* ---- queries ------------------------------------------------------------------------------ */

static uint32_t public_state(const us_sla_clock *c, uint64_t elapsed, uint64_t target)
{
    bool late = c->state == US_CLOCK_RUNNING && elapsed >= target; /* not raised yet */
    if ((c->breached || late) && c->state != US_CLOCK_INACTIVE)
        return USHER_SLA_BREACHED;
    switch (c->state) {
    case US_CLOCK_RUNNING:
        return USHER_SLA_RUNNING;
    case US_CLOCK_PAUSED:
        return USHER_SLA_PAUSED;
    case US_CLOCK_DONE:
        return USHER_SLA_MET;
    case US_CLOCK_STOPPED:
        return USHER_SLA_STOPPED;
    default:
        return USHER_SLA_INACTIVE;
    }
}

USHER_API usher_status usher_sla_get(const usher_engine *e, uint64_t ticket_id, uint32_t target,
                                     usher_sla_target_info *info)
{
    US_CHECK_ENGINE(e);
    if (!info || target >= USHER_SLA_TARGETS)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = find_record(e, ticket_id, &slot);
    if (st != USHER_OK)
        return st;
    const us_sla *r = record_at(e, slot);
    const us_sla_clock *c = &r->clocks[target];
    usher_sla_target_info out = {0};
    out.struct_size = sizeof out;
    out.policy = us_sla_policy_at(e, r->policy)->id;
    out.due_ms = clock_due(e, r, target);
    if (c->state != US_CLOCK_INACTIVE) {
        out.elapsed_ms = elapsed_now(e, r, target);
        out.remaining_ms = (int64_t)def_of(e, r)->target_ms[target] - (int64_t)out.elapsed_ms;
    }
    out.state = public_state(c, out.elapsed_ms, def_of(e, r)->target_ms[target]);
    return us_copy_out(info, &out, sizeof out, sizeof out);
}
