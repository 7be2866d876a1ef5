/* Tickets: submit, change, transfer, end, query. */
#include "engine.h"

#include <string.h>


USHER_API void usher_ticket_spec_init(usher_ticket_spec *spec)
{
    if (!spec)
        return;
    memset(spec, 0, sizeof *spec);
    spec->struct_size = sizeof *spec;
    spec->created_ms = USHER_CREATED_NOW;
}

/* A ticket's skills, sorted by skill id. */
typedef struct skill_list {
    us_skill_entry items[USHER_MAX_TICKET_SKILLS];
    uint32_t count;
} skill_list;

static void sort_by_skill(skill_list *list)
{
    for (uint32_t i = 1; i < list->count; i++) {
        us_skill_entry item = list->items[i];
        uint32_t j = i;
        for (; j > 0 && list->items[j - 1].skill > item.skill; j--)
            list->items[j] = list->items[j - 1];
        list->items[j] = item;
    }
}

static bool has_skill(const skill_list *list, uint32_t skill)
{
    for (uint32_t i = 0; i < list->count; i++)
        if (list->items[i].skill == skill)
            return true;
    return false;
}

/* Reads a host list of skills with levels (or weights) 1..max_level:
 * USHER_EINVAL for a bad count, level or repeat, USHER_ENOTFOUND for an
 * unknown skill. */
static usher_status read_skills(const usher_engine *e, const usher_skill_level *in, uint32_t count,
                                uint32_t max_level, skill_list *out)
{
    if (count > USHER_MAX_TICKET_SKILLS || (count > 0 && !in))
        return USHER_EINVAL;
    for (uint32_t i = 0; i < count; i++)
        if (in[i].level < 1 || in[i].level > max_level)
            return USHER_EINVAL;
    for (uint32_t i = 0; i < count; i++)
        if (in[i].skill >= e->skills.count)
            return USHER_ENOTFOUND;
    out->count = count;
    for (uint32_t i = 0; i < count; i++)
        out->items[i] = (us_skill_entry){.skill = (uint16_t)in[i].skill,
                                         .level = (uint8_t)in[i].level};
    sort_by_skill(out);
    for (uint32_t i = 1; i < count; i++)
        if (out->items[i].skill == out->items[i - 1].skill)
            return USHER_EINVAL;
    return USHER_OK;
}

usher_status us_ticket_find(const usher_engine *e, uint64_t ticket_id, uint32_t *slot)
{
    return us_idmap_find(&e->router.ticket_by_id, ticket_id, slot) ? USHER_OK : USHER_ENOTFOUND;
}

static const us_sig *sig_of(const usher_engine *e, const us_ticket *t)
{
    return &e->index.sigs[us_bucket_at(e, t->buckets[US_FILED_MAIN])->sig];
}

/* The signature key of a ticket in a queue: preferences only count under
 * the best-skill strategy, so other queues share signatures more. */
static us_sig_key key_for(const us_queue *q, uint32_t channel, const us_skill_entry *reqs,
                          uint32_t req_count, const us_skill_entry *prefs, uint32_t pref_count)
{
    bool with_prefs = q->def.strategy == USHER_STRATEGY_BEST_SKILL;
    return (us_sig_key){.channel = channel,
                        .strategy = q->def.strategy,
                        .reqs = reqs,
                        .req_count = req_count,
                        .prefs = with_prefs ? prefs : NULL,
                        .pref_count = with_prefs ? pref_count : 0};
}

static void ticket_event(usher_engine *e, int32_t type, const us_ticket *t, uint64_t agent_id,
                         int64_t value, int32_t reason)
{
    usher_event event = {0};
    event.type = type;
    event.time_ms = us_now(e);
    event.ticket_id = t->id;
    event.agent_id = agent_id;
    event.value = value;
    event.reason = reason;
    us_events_push(e, &event);
}

/* ---- submit -------------------------------------------------------------------------- */

typedef struct submission {
    uint32_t asked_queue; /* the queue the host named */
    uint32_t queue;       /* where it goes: another one if escalated */
    uint32_t channel, tier;
    uint64_t created;
    skill_list reqs, prefs;
    bool remember;      /* some queue keeps customer records */
    uint32_t repeats;   /* the customer's tickets in the repeat window */
    uint32_t escalated; /* enum usher_repeat_flag bits applied */
    uint64_t preferred_agent, preferred_until;
} submission;

static usher_status read_spec(const usher_engine *e, const usher_ticket_spec *spec,
                              submission *out)
{
    if (spec->struct_size < sizeof *spec || spec->priority > USHER_MAX_PRIORITY ||
        spec->tier >= USHER_MAX_TIERS || spec->channel >= USHER_MAX_CHANNELS)
        return USHER_EINVAL;
    out->created = spec->created_ms == USHER_CREATED_NOW ? us_now(e) : spec->created_ms;
    if (out->created > us_now(e))
        return USHER_EINVAL;
    usher_status st =
        read_skills(e, spec->required, spec->required_count, USHER_LEVEL_MAX, &out->reqs);
    if (st == USHER_OK)
        st = read_skills(e, spec->preferred, spec->preferred_count, USHER_MAX_PREFERENCE_WEIGHT,
                         &out->prefs);
    if (st != USHER_OK)
        return st;
    for (uint32_t i = 0; i < out->prefs.count; i++)
        if (has_skill(&out->reqs, out->prefs.items[i].skill))
            return USHER_EINVAL;
    if (spec->preferred_wait_ms > US_DAY_MS)
        return USHER_EINVAL;
    if (us_queue_find(e, spec->queue, &out->asked_queue) != USHER_OK ||
        !e->channels[spec->channel].defined)
        return USHER_ENOTFOUND;
    out->queue = out->asked_queue;
    out->channel = spec->channel;
    out->tier = spec->tier;
    out->preferred_agent = spec->preferred_agent_id;
    out->preferred_until = us_time_add(us_now(e), spec->preferred_wait_ms);
    return USHER_OK;
}

/* Repeat contacts and sticky agents: what the customer's history changes
 * (see usher_queue_def.repeat_threshold and sticky_ms). */
static void apply_history(const usher_engine *e, uint64_t customer_id, submission *sub)
{
    const usher_queue_def *def = &us_queue_at(e, sub->asked_queue)->def;
    sub->remember = customer_id != 0 && e->router.customer_keep_ms > 0;
    if (!sub->remember)
        return;
    uint32_t record = us_customer_find(e, customer_id);
    sub->repeats = us_customer_recent(e, record, def->repeat_window_ms);
    if (def->repeat_threshold > 0 && sub->repeats >= def->repeat_threshold) {
        uint32_t target;
        if ((def->repeat_flags & USHER_REPEAT_RAISE_TIER) && sub->tier < def->repeat_tier) {
            sub->tier = def->repeat_tier;
            sub->escalated |= USHER_REPEAT_RAISE_TIER;
        }
        if ((def->repeat_flags & USHER_REPEAT_MOVE_QUEUE) &&
            us_queue_find(e, def->repeat_queue, &target) == USHER_OK) {
            sub->queue = target;
            sub->escalated |= USHER_REPEAT_MOVE_QUEUE;
        }
    }
    uint64_t last_agent = us_customer_last_agent(e, record);
    if (sub->preferred_agent == 0 && def->sticky_ms > 0 && last_agent != 0) {
        sub->preferred_agent = last_agent;
        sub->preferred_until = us_time_add(us_now(e), def->sticky_ms);
    }
}

/* Reserves everything a submit needs; on failure undoes its own steps. */
static usher_status prepare_submit(usher_engine *e, const submission *sub, uint32_t *bucket,
                                   us_skill_entry **prefs)
{
    us_sig_key key = key_for(us_queue_at(e, sub->queue), sub->channel, sub->reqs.items,
                             sub->reqs.count, sub->prefs.items, sub->prefs.count);
    bool created;
    usher_status st = us_bucket_prepare(e, sub->queue, &key, bucket, &created);
    if (st != USHER_OK)
        return st;
    *prefs = NULL;
    if (sub->prefs.count > 0) {
        *prefs = us_malloc(&e->alloc, sub->prefs.count * sizeof **prefs);
        if (!*prefs)
            st = USHER_ENOMEM;
    }
    if (st == USHER_OK)
        st = us_pool_reserve(&e->router.tickets, &e->alloc);
    if (st == USHER_OK)
        st = us_idmap_reserve(&e->router.ticket_by_id, 1);
    if (st == USHER_OK)
        st = us_route_reserve_assignment(e);
    if (st == USHER_OK && sub->remember)
        st = us_customer_prepare(e);
    /* Events: the escalation, the assignment or offer, a load cap reached;
     * timers: the assignment's four, the preference, the customer record. */
    if (st == USHER_OK)
        st = us_reserve(e, 3, 6);
    if (st != USHER_OK) {
        us_free(&e->alloc, *prefs);
        if (created)
            us_bucket_abandon(e, *bucket);
    }
    return st;
}

static void file_ticket(usher_engine *e, uint32_t slot, uint32_t bucket)
{
    us_ticket *t = us_ticket_at(e, slot);
    us_bucket *b = us_bucket_at(e, bucket);
    us_queue *q = us_queue_at(e, b->queue);
    t->buckets[US_FILED_MAIN] = bucket;
    b->tickets++;
    q->live_tickets++;
}

/* A ticket entered a queue (submitted or moved there). */
static void count_entered(usher_engine *e, uint32_t slot)
{
    us_queue_at(e, us_queue_slot_of(e, us_ticket_at(e, slot)))->stats.entered++;
}

/* Takes a ticket that is not waiting out of its buckets' counts. */
static void unfile_ticket(usher_engine *e, uint32_t slot)
{
    us_ticket *t = us_ticket_at(e, slot);
    us_bucket *b = us_bucket_at(e, t->buckets[US_FILED_MAIN]);
    b->tickets--;
    us_queue_at(e, b->queue)->live_tickets--;
    if (t->buckets[US_FILED_OVERFLOW] != US_NONE)
        us_bucket_at(e, t->buckets[US_FILED_OVERFLOW])->tickets--;
    t->buckets[US_FILED_OVERFLOW] = US_NONE;
}

USHER_API usher_status usher_ticket_submit(usher_engine *e, uint64_t ticket_id,
                                           const usher_ticket_spec *spec)
{
    US_CHECK_ENGINE(e);
    if (!spec)
        return USHER_EINVAL;
    submission sub = {0};
    usher_status st = read_spec(e, spec, &sub);
    if (st != USHER_OK)
        return st;
    apply_history(e, spec->customer_id, &sub);
    uint32_t held;
    if (us_idmap_find(&e->router.ticket_by_id, ticket_id, &held) ||
        us_idmap_find(&e->agents.by_ticket, ticket_id, &held))
        return USHER_EEXIST;
    uint32_t bucket;
    us_skill_entry *prefs;
    st = prepare_submit(e, &sub, &bucket, &prefs);
    if (st != USHER_OK)
        return us_finish(e, st);

    uint32_t slot = us_pool_take(&e->router.tickets);
    us_ticket *t = us_ticket_at(e, slot);
    memset(t, 0, sizeof *t);
    t->id = ticket_id;
    t->customer = spec->customer_id;
    t->created = sub.created;
    t->seq = ++e->router.submit_seq;
    t->priority = (uint16_t)spec->priority;
    t->tier = (uint8_t)sub.tier;
    t->heap_pos[US_FILED_MAIN] = t->heap_pos[US_FILED_OVERFLOW] = US_NONE;
    t->buckets[US_FILED_OVERFLOW] = US_NONE;
    t->work = t->exclusions = t->offer_timer = t->widen_timer = US_NONE;
    t->pref_agent = t->pref_timer = US_NONE;
    t->sla_due = us_sla_earliest_due(e, ticket_id);
    t->prefs = prefs;
    t->pref_count = (uint8_t)sub.prefs.count;
    if (prefs)
        memcpy(prefs, sub.prefs.items, sub.prefs.count * sizeof *prefs);
    file_ticket(e, slot, bucket);
    count_entered(e, slot);
    (void)us_idmap_insert(&e->router.ticket_by_id, ticket_id, slot);
    if (sub.remember)
        us_customer_note(e, spec->customer_id);
    t->remembered = sub.remember;
    if (sub.escalated)
        ticket_event(e, USHER_EVENT_TICKET_ESCALATED, t, 0, sub.repeats, (int32_t)sub.escalated);
    us_widen_start(e, slot);
    if (sub.preferred_agent != 0)
        us_prefer_agent(e, slot, sub.preferred_agent, sub.preferred_until);
    uint32_t agent = us_route_pick(e, slot, NULL);
    if (agent != US_NONE)
        us_route_assign(e, slot, agent);
    else
        us_bucket_push(e, slot);
    return us_finish(e, USHER_OK);
}

/* ---- changes ------------------------------------------------------------------------- */

/* Sets what ranks a ticket, priority or tier; a waiting ticket moves. */
static usher_status set_rank(usher_engine *e, uint64_t ticket_id, uint32_t value, bool tier)
{
    US_CHECK_ENGINE(e);
    if (value > (tier ? USHER_MAX_TIERS - 1 : USHER_MAX_PRIORITY))
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_ticket_find(e, ticket_id, &slot);
    if (st != USHER_OK)
        return st;
    st = us_reserve(e, US_SLA_EVENTS, USHER_SLA_TARGETS); /* its SLA policy may change */
    if (st != USHER_OK)
        return us_finish(e, st);
    us_ticket *t = us_ticket_at(e, slot);
    if (tier)
        t->tier = (uint8_t)value;
    else
        t->priority = (uint16_t)value;
    if (t->state == USHER_TICKET_WAITING)
        us_bucket_resift(e, slot);
    us_sla_ticket_changed(e, ticket_id, us_queue_at(e, us_queue_slot_of(e, t))->id, t->tier,
                          t->priority);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_ticket_set_priority(usher_engine *e, uint64_t ticket_id,
                                                 uint32_t priority)
{
    return set_rank(e, ticket_id, priority, false);
}

USHER_API usher_status usher_ticket_set_tier(usher_engine *e, uint64_t ticket_id, uint32_t tier)
{
    return set_rank(e, ticket_id, tier, true);
}

usher_status us_ticket_refile(usher_engine *e, uint32_t slot, uint32_t queue,
                              const us_skill_entry *reqs, uint32_t req_count)
{
    us_ticket *t = us_ticket_at(e, slot);
    us_sig_key key = key_for(us_queue_at(e, queue), sig_of(e, t)->channel, reqs, req_count,
                             t->prefs, t->pref_count);
    uint32_t bucket;
    bool created;
    usher_status st = us_bucket_prepare(e, queue, &key, &bucket, &created);
    if (st != USHER_OK)
        return st;
    t = us_ticket_at(e, slot);
    bool new_queue = us_queue_slot_of(e, t) != queue;
    if (!new_queue && bucket == t->buckets[US_FILED_MAIN])
        return USHER_OK;
    bool waiting = t->state == USHER_TICKET_WAITING;
    if (waiting)
        us_bucket_remove(e, slot);
    uint32_t overflow = t->buckets[US_FILED_OVERFLOW];
    unfile_ticket(e, slot);
    file_ticket(e, slot, bucket);
    if (!new_queue) {
        t->buckets[US_FILED_OVERFLOW] = overflow; /* still widened */
        if (overflow != US_NONE)
            us_bucket_at(e, overflow)->tickets++;
    } else {
        count_entered(e, slot);
        us_widen_start(e, slot); /* the new queue's steps */
    }
    if (waiting) {
        us_bucket_push(e, slot);
        us_route_mark_ticket(e, slot);
    }
    return USHER_OK;
}

/* A change of requirements: the ticket stays in its queue. */
static usher_status refile_in_place(usher_engine *e, uint32_t slot, const skill_list *reqs)
{
    usher_status st = us_reserve(e, 0, 0); /* for the match it may make possible */
    if (st != USHER_OK)
        return st;
    uint32_t queue = us_queue_slot_of(e, us_ticket_at(e, slot));
    return us_ticket_refile(e, slot, queue, reqs->items, reqs->count);
}

/* The ticket's requirements with skill set to level (0: dropped). */
static void edit_reqs(const us_sig *sig, uint32_t skill, uint32_t level, skill_list *out)
{
    out->count = 0;
    for (uint32_t i = 0; i < sig->req_count; i++)
        if (sig->reqs[i].skill != skill)
            out->items[out->count++] = sig->reqs[i];
    if (level > 0)
        out->items[out->count++] = (us_skill_entry){.skill = (uint16_t)skill,
                                                    .level = (uint8_t)level};
    sort_by_skill(out);
}

static bool prefers(const us_ticket *t, uint32_t skill)
{
    for (uint32_t i = 0; i < t->pref_count; i++)
        if (t->prefs[i].skill == skill)
            return true;
    return false;
}

static bool requires(const us_sig *sig, uint32_t skill)
{
    for (uint32_t i = 0; i < sig->req_count; i++)
        if (sig->reqs[i].skill == skill)
            return true;
    return false;
}

USHER_API usher_status usher_ticket_require(usher_engine *e, uint64_t ticket_id, uint32_t skill,
                                            uint32_t level)
{
    US_CHECK_ENGINE(e);
    if (level < USHER_LEVEL_MIN || level > USHER_LEVEL_MAX)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_ticket_find(e, ticket_id, &slot);
    if (st != USHER_OK)
        return st;
    if (skill >= e->skills.count)
        return USHER_ENOTFOUND;
    const us_ticket *t = us_ticket_at(e, slot);
    const us_sig *sig = sig_of(e, t);
    if (prefers(t, skill))
        return USHER_ESTATE;
    if (!requires(sig, skill) && sig->req_count >= USHER_MAX_TICKET_SKILLS)
        return USHER_EINVAL;
    skill_list reqs;
    edit_reqs(sig, skill, level, &reqs);
    return us_finish(e, refile_in_place(e, slot, &reqs));
}

USHER_API usher_status usher_ticket_drop_requirement(usher_engine *e, uint64_t ticket_id,
                                                     uint32_t skill)
{
    US_CHECK_ENGINE(e);
    uint32_t slot;
    usher_status st = us_ticket_find(e, ticket_id, &slot);
    if (st != USHER_OK)
        return st;
    const us_ticket *t = us_ticket_at(e, slot);
    const us_sig *sig = sig_of(e, t);
    if (!requires(sig, skill))
        return USHER_ENOTFOUND;
    skill_list reqs;
    edit_reqs(sig, skill, 0, &reqs);
    return us_finish(e, refile_in_place(e, slot, &reqs));
}


/* The capacity of the agent a ticket is offered or assigned to (0 if
 * none): ending its work frees room for that many matches at most. */
static uint32_t holder_capacity(const usher_engine *e, const us_ticket *t)
{
    return t->work == US_NONE ? 0 : us_agent_at(e, e->agents.works[t->work].agent)->capacity;
}

static uint64_t holder_id(const usher_engine *e, const us_ticket *t)
{
    if (t->work == US_NONE)
        return 0;
    return us_agent_at(e, e->agents.works[t->work].agent)->id;
}

USHER_API usher_status usher_ticket_transfer(usher_engine *e, uint64_t ticket_id,
                                             uint32_t queue_id)
{
    US_CHECK_ENGINE(e);
    uint32_t slot, queue;
    usher_status st = us_ticket_find(e, ticket_id, &slot);
    if (st == USHER_OK)
        st = us_queue_find(e, queue_id, &queue);
    if (st != USHER_OK)
        return st;
    us_ticket *t = us_ticket_at(e, slot);
    if (t->state != USHER_TICKET_ASSIGNED && us_queue_slot_of(e, t) == queue)
        return USHER_ESTATE; /* waiting or offered there already */
    /* Events: the transfer, and what ending the work may raise; timers:
     * those of ending the work and the new queue's widening. */
    st = us_reserve_for(e, 2 + US_SLA_EVENTS, US_RELEASE_TIMERS + 1 + USHER_SLA_TARGETS,
                        holder_capacity(e, t));
    if (st == USHER_OK) {
        const us_sig *sig = sig_of(e, t);
        skill_list reqs = {.count = sig->req_count};
        memcpy(reqs.items, sig->reqs, sig->req_count * sizeof *sig->reqs);
        bool same_queue = us_queue_slot_of(e, t) == queue; /* an assigned ticket put back */
        st = us_ticket_refile(e, slot, queue, reqs.items, reqs.count);
        if (st == USHER_OK && same_queue)
            count_entered(e, slot);
    }
    if (st != USHER_OK)
        return us_finish(e, st);
    t = us_ticket_at(e, slot);
    uint64_t agent_id = holder_id(e, t);
    us_prefer_end(e, slot); /* the new queue's agents, whoever they are */
    if (t->work != US_NONE) {
        us_route_unassign(e, slot);
        us_route_mark_ticket(e, slot);
    }
    ticket_event(e, USHER_EVENT_TICKET_TRANSFERRED, t, agent_id, queue_id, 0);
    us_sla_ticket_changed(e, ticket_id, queue_id, t->tier, t->priority);
    return us_finish(e, USHER_OK);
}

/* ---- endings --------------------------------------------------------------------------- */

static void free_ticket(usher_engine *e, uint32_t slot)
{
    us_ticket *t = us_ticket_at(e, slot);
    us_route_unmark_ticket(e, slot);
    us_offer_forget(e, slot);
    us_widen_stop(e, slot);
    us_prefer_end(e, slot);
    if (t->remembered)
        us_customer_ticket_ended(e, t->customer);
    unfile_ticket(e, slot);
    (void)us_idmap_erase(&e->router.ticket_by_id, t->id, NULL);
    us_free(&e->alloc, t->prefs);
    t->prefs = NULL;
    us_pool_put(&e->router.tickets, slot);
}

static uint64_t waited(const usher_engine *e, const us_ticket *t)
{
    return us_now(e) > t->created ? us_now(e) - t->created : 0;
}

USHER_API usher_status usher_ticket_cancel(usher_engine *e, uint64_t ticket_id)
{
    US_CHECK_ENGINE(e);
    uint32_t slot;
    usher_status st = us_ticket_find(e, ticket_id, &slot);
    if (st != USHER_OK)
        return st;
    if (us_ticket_at(e, slot)->state == USHER_TICKET_ASSIGNED)
        return USHER_ESTATE;
    st = us_reserve_for(e, 1, US_RELEASE_TIMERS, holder_capacity(e, us_ticket_at(e, slot)));
    if (st != USHER_OK)
        return us_finish(e, st);
    us_ticket *t = us_ticket_at(e, slot);
    if (t->state == USHER_TICKET_OFFERED)
        us_route_unassign(e, slot); /* the offer is withdrawn */
    us_bucket_remove(e, slot);
    us_queue_at(e, us_queue_slot_of(e, t))->stats.abandoned++;
    ticket_event(e, USHER_EVENT_TICKET_ABANDONED, t, 0, (int64_t)waited(e, t), 0);
    free_ticket(e, slot);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_ticket_complete(usher_engine *e, uint64_t ticket_id, uint32_t flags)
{
    US_CHECK_ENGINE(e);
    if (!us_release_flags_valid(flags))
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_ticket_find(e, ticket_id, &slot);
    if (st != USHER_OK)
        return st;
    st = us_reserve_for(e, 2, US_RELEASE_TIMERS, holder_capacity(e, us_ticket_at(e, slot)));
    if (st != USHER_OK)
        return us_finish(e, st);
    us_ticket *t = us_ticket_at(e, slot);
    if (t->state == USHER_TICKET_OFFERED)
        us_route_unassign(e, slot); /* the offer is withdrawn */
    uint64_t agent_id = holder_id(e, t);
    int64_t handled = t->work != US_NONE ? (int64_t)(us_now(e) - t->assigned_at) : 0;
    if (t->work != US_NONE)
        us_capacity_end(e, t->work, flags);
    else
        us_bucket_remove(e, slot);
    us_queue_at(e, us_queue_slot_of(e, t))->stats.completed++;
    ticket_event(e, USHER_EVENT_TICKET_COMPLETED, t, agent_id, handled, 0);
    free_ticket(e, slot);
    return us_finish(e, USHER_OK);
}

/* ---- query ------------------------------------------------------------------------------ */

USHER_API usher_status usher_ticket_get(const usher_engine *e, uint64_t ticket_id,
                                        usher_ticket_info *info)
{
    US_CHECK_ENGINE(e);
    if (!info)
        return USHER_EINVAL;
    uint32_t slot;
    usher_status st = us_ticket_find(e, ticket_id, &slot);
    if (st != USHER_OK)
        return st;
    const us_ticket *t = us_ticket_at(e, slot);
    const us_sig *sig = sig_of(e, t);
    usher_ticket_info out = {0};
    out.struct_size = sizeof out;
    out.state = t->state;
    out.queue = us_queue_at(e, us_queue_slot_of(e, t))->id;
    out.channel = sig->channel;
    out.priority = t->priority;
    out.tier = t->tier;
    out.required_count = sig->req_count;
    out.preferred_count = t->pref_count;
    out.customer_id = t->customer;
    out.created_ms = t->created;
    out.agent_id = holder_id(e, t);
    out.assigned_ms = t->assigned_at;
    out.effective_priority = us_ticket_urgency(e, t);
    if (t->state == USHER_TICKET_OFFERED) {
        out.offer_token = t->offer_token;
        out.offer_expires_ms = us_wheel_deadline(&e->wheel, t->offer_timer);
    }
    if (t->pref_agent != US_NONE) {
        out.preferred_agent_id = us_agent_at(e, t->pref_agent)->id;
        out.preferred_until_ms = us_wheel_deadline(&e->wheel, t->pref_timer);
    }
    return us_copy_out(info, &out, sizeof out, sizeof out);
}
