/*
 * Widening steps (usher_queue_set_widening): each ticket carries one wheel
 * timer for its queue's next step. A step that needs another bucket has
 * it prepared (found or created, heap room reserved) before the timer
 * fires, so that applying the step cannot fail.
 */
#include "engine.h"

#include <string.h>

static const us_queue *queue_of(const usher_engine *e, const us_ticket *t)
{
    return us_queue_at(e, us_queue_slot_of(e, t));
}

static const us_sig *main_sig(const usher_engine *e, const us_ticket *t)
{
    return &e->index.sigs[us_bucket_at(e, t->buckets[US_FILED_MAIN])->sig];
}

/* ---- the timer ------------------------------------------------------------------ */

static void schedule_next(usher_engine *e, uint32_t slot)
{
    us_ticket *t = us_ticket_at(e, slot);
    const us_queue *q = queue_of(e, t);
    if (t->widen_next >= q->step_count)
        return;
    uint64_t due = us_time_add(t->created, q->steps[t->widen_next].after_ms);
    due = due > us_now(e) ? due : us_now(e);
    (void)us_wheel_schedule(&e->wheel, due, US_TIMER_WIDEN, slot, &t->widen_timer);
}

void us_widen_stop(usher_engine *e, uint32_t slot)
{
    us_ticket *t = us_ticket_at(e, slot);
    if (t->widen_timer != US_NONE)
        us_wheel_cancel(&e->wheel, t->widen_timer);
    t->widen_timer = US_NONE;
}

void us_widen_start(usher_engine *e, uint32_t slot)
{
    us_widen_stop(e, slot);
    us_ticket_at(e, slot)->widen_next = 0;
    schedule_next(e, slot);
}

/* ---- what a step does to a ticket -------------------------------------------------- */

/* A step's effect on one ticket: the bucket it moves to or adds, if any. */
typedef struct plan {
    bool refile;   /* the main filing moves: to (queue, reqs) */
    bool overflow; /* an overflow filing under key */
    uint32_t queue;
    us_skill_entry reqs[USHER_MAX_TICKET_SKILLS];
    uint32_t req_count;
    us_skill_entry prefs[USHER_MAX_TICKET_SKILLS]; /* the ticket's, after the step */
    uint32_t pref_count;
    us_skill_entry group; /* OVERFLOW_GROUP's one requirement */
} plan;

static void copy_skills(plan *p, const us_ticket *t, const us_sig *sig)
{
    p->req_count = sig->req_count;
    memcpy(p->reqs, sig->reqs, sig->req_count * sizeof *p->reqs);
    p->pref_count = t->pref_count;
    if (t->pref_count)
        memcpy(p->prefs, t->prefs, t->pref_count * sizeof *p->prefs);
}

static bool lower_level(plan *p, uint32_t skill, uint32_t level)
{
    for (uint32_t i = 0; i < p->req_count; i++) {
        if (p->reqs[i].skill == skill && p->reqs[i].level > level) {
            p->reqs[i].level = (uint8_t)level;
            return true;
        }
    }
    return false;
}

static bool drop_preference(plan *p, uint32_t skill)
{
    for (uint32_t i = 0; i < p->pref_count; i++) {
        if (p->prefs[i].skill == skill) {
            memmove(&p->prefs[i], &p->prefs[i + 1], (p->pref_count - i - 1) * sizeof *p->prefs);
            p->pref_count--;
            return true;
        }
    }
    return false;
}

/* Works out what the step does to the ticket. */
static void make_plan(const usher_engine *e, uint32_t slot, const usher_widen_step *step, plan *p)
{
    const us_ticket *t = us_ticket_at(e, slot);
    memset(p, 0, offsetof(plan, reqs));
    p->queue = us_queue_slot_of(e, t);
    copy_skills(p, t, main_sig(e, t));
    switch (step->action) {
    case USHER_WIDEN_LOWER_LEVEL:
        p->refile = lower_level(p, step->skill, step->value);
        break;
    case USHER_WIDEN_DROP_PREFERRED:
        p->refile = drop_preference(p, step->skill);
        break;
    case USHER_WIDEN_OVERFLOW_GROUP:
        p->overflow = true;
        p->group = (us_skill_entry){.skill = (uint16_t)step->skill, .level = 1};
        break;
    case USHER_WIDEN_MOVE_QUEUE:
        p->refile = t->state == USHER_TICKET_WAITING &&
                    us_queue_find(e, step->value, &p->queue) == USHER_OK &&
                    p->queue != us_queue_slot_of(e, t);
        break;
    default: /* RAISE_PRIORITY needs no bucket */
        break;
    }
}

static us_sig_key main_key(const usher_engine *e, const us_ticket *t, const plan *p)
{
    bool prefs = us_queue_at(e, p->queue)->def.strategy == USHER_STRATEGY_BEST_SKILL;
    return (us_sig_key){.channel = main_sig(e, t)->channel,
                        .strategy = us_queue_at(e, p->queue)->def.strategy,
                        .reqs = p->reqs,
                        .req_count = p->req_count,
                        .prefs = prefs ? p->prefs : NULL,
                        .pref_count = prefs ? p->pref_count : 0};
}

static us_sig_key group_key(const usher_engine *e, const us_ticket *t, const plan *p)
{
    return (us_sig_key){.channel = main_sig(e, t)->channel,
                        .strategy = queue_of(e, t)->def.strategy,
                        .reqs = &p->group,
                        .req_count = 1};
}

static const usher_widen_step *due_step(const usher_engine *e, uint32_t timer, uint32_t *slot)
{
    *slot = (uint32_t)us_wheel_data(&e->wheel, timer);
    const us_ticket *t = us_ticket_at(e, *slot);
    return &queue_of(e, t)->steps[t->widen_next];
}

usher_status us_widen_prepare(usher_engine *e, uint32_t timer)
{
    uint32_t slot, bucket;
    const usher_widen_step *step = due_step(e, timer, &slot);
    plan p;
    make_plan(e, slot, step, &p);
    const us_ticket *t = us_ticket_at(e, slot);
    bool created;
    if (p.refile) {
        us_sig_key key = main_key(e, t, &p);
        return us_bucket_prepare(e, p.queue, &key, &bucket, &created);
    }
    if (p.overflow) {
        us_sig_key key = group_key(e, t, &p);
        return us_bucket_prepare(e, p.queue, &key, &bucket, &created);
    }
    return USHER_OK;
}

/* Files the ticket with the overflow group too (its bucket prepared). */
static void add_overflow(usher_engine *e, uint32_t slot, const plan *p)
{
    us_ticket *t = us_ticket_at(e, slot);
    us_sig_key key = group_key(e, t, p);
    uint32_t bucket;
    bool created;
    (void)us_bucket_prepare(e, p->queue, &key, &bucket, &created);
    bool waiting = t->state == USHER_TICKET_WAITING;
    if (t->buckets[US_FILED_OVERFLOW] != US_NONE) { /* a later group replaces it */
        if (waiting)
            us_bucket_remove_filing(e, slot, US_FILED_OVERFLOW);
        us_bucket_at(e, t->buckets[US_FILED_OVERFLOW])->tickets--;
    }
    t->buckets[US_FILED_OVERFLOW] = bucket;
    us_bucket_at(e, bucket)->tickets++;
    if (waiting) {
        us_bucket_push_filing(e, slot, US_FILED_OVERFLOW);
        us_route_mark_ticket(e, slot);
    }
}

static void apply(usher_engine *e, uint32_t slot, const usher_widen_step *step, const plan *p)
{
    us_ticket *t = us_ticket_at(e, slot);
    if (step->action == USHER_WIDEN_RAISE_PRIORITY) {
        uint32_t raised = t->priority + step->value;
        t->priority = (uint16_t)(raised < USHER_MAX_PRIORITY ? raised : USHER_MAX_PRIORITY);
        if (t->state == USHER_TICKET_WAITING)
            us_bucket_resift(e, slot);
        return;
    }
    if (p->overflow) {
        add_overflow(e, slot, p);
        return;
    }
    if (!p->refile)
        return;
    if (step->action == USHER_WIDEN_DROP_PREFERRED) { /* the ticket's own list shrinks */
        t->pref_count = (uint8_t)p->pref_count;
        if (p->pref_count)
            memcpy(t->prefs, p->prefs, p->pref_count * sizeof *p->prefs);
    }
    (void)us_ticket_refile(e, slot, p->queue, p->reqs, p->req_count);
}

void us_expire_widen(usher_engine *e, uint32_t timer)
{
    uint32_t slot;
    const usher_widen_step *step = due_step(e, timer, &slot);
    usher_widen_step fired = *step;
    us_ticket *t = us_ticket_at(e, slot);
    uint32_t index = t->widen_next++;
    us_wheel_cancel(&e->wheel, timer);
    t->widen_timer = US_NONE;
    plan p;
    make_plan(e, slot, &fired, &p);
    apply(e, slot, &fired, &p);
    t = us_ticket_at(e, slot);
    if (fired.action == USHER_WIDEN_RAISE_PRIORITY || fired.action == USHER_WIDEN_MOVE_QUEUE)
        us_sla_ticket_changed(e, t->id, us_queue_at(e, us_queue_slot_of(e, t))->id, t->tier,
                              t->priority);
    usher_event event = {0};
    event.type = USHER_EVENT_TICKET_WIDENED;
    event.time_ms = us_now(e);
    event.ticket_id = t->id;
    event.value = index;
    event.reason = (int32_t)fired.action;
    us_events_push(e, &event);
    if (t->widen_timer == US_NONE) /* not restarted by a move to another queue */
        schedule_next(e, slot);
}

/* ---- the queue's steps ----------------------------------------------------------------- */

/* A step's own ranges: USHER_EINVAL, or USHER_OK (skills and the target
 * queue are checked by the callers). */
static usher_status step_in_range(uint32_t queue_id, const usher_widen_step *step,
                                  uint64_t earliest)
{
    if (step->after_ms < earliest || step->after_ms > USHER_TIME_MAX || step->reserved != 0)
        return USHER_EINVAL;
    switch (step->action) {
    case USHER_WIDEN_LOWER_LEVEL:
        return step->value >= USHER_LEVEL_MIN && step->value <= USHER_LEVEL_MAX ? USHER_OK
                                                                                : USHER_EINVAL;
    case USHER_WIDEN_DROP_PREFERRED:
    case USHER_WIDEN_OVERFLOW_GROUP:
        return USHER_OK;
    case USHER_WIDEN_RAISE_PRIORITY:
        return step->value <= USHER_MAX_PRIORITY ? USHER_OK : USHER_EINVAL;
    case USHER_WIDEN_MOVE_QUEUE:
        return step->value == queue_id ? USHER_EINVAL : USHER_OK;
    default:
        return USHER_EINVAL;
    }
}

static bool names_skill(const usher_widen_step *step)
{
    return step->action != USHER_WIDEN_RAISE_PRIORITY && step->action != USHER_WIDEN_MOVE_QUEUE;
}

static usher_status check_step(const usher_engine *e, uint32_t queue_id,
                               const usher_widen_step *step, uint64_t earliest)
{
    usher_status st = step_in_range(queue_id, step, earliest);
    if (st != USHER_OK)
        return st;
    if (names_skill(step) && step->skill >= e->skills.count)
        return USHER_ENOTFOUND;
    uint32_t target;
    return step->action == USHER_WIDEN_MOVE_QUEUE ? us_queue_find(e, step->value, &target)
                                                  : USHER_OK;
}

bool us_widen_step_valid(const usher_widen_step *step, uint64_t earliest, uint32_t queue_id,
                         uint32_t skill_count)
{
    return step_in_range(queue_id, step, earliest) == USHER_OK &&
           (!names_skill(step) || step->skill < skill_count);
}

USHER_API usher_status usher_queue_set_widening(usher_engine *e, uint32_t queue_id,
                                                const usher_widen_step *steps, size_t count)
{
    US_CHECK_ENGINE(e);
    if ((!steps && count > 0) || count > USHER_MAX_WIDEN_STEPS)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_queue_find(e, queue_id, &slot);
    for (size_t i = 0; st == USHER_OK && i < count; i++)
        st = check_step(e, queue_id, &steps[i], i > 0 ? steps[i - 1].after_ms : 0);
    if (st != USHER_OK)
        return st;
    us_queue *q = us_queue_at(e, slot);
    if (q->live_tickets > 0)
        return USHER_ESTATE;
    if (count)
        memcpy(q->steps, steps, count * sizeof *steps);
    q->step_count = (uint32_t)count;
    return us_finish(e, USHER_OK);
}
