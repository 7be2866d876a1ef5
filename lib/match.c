/*
 * Matching waiting tickets with eligible agents (see router.h).
 *
 * Two lists say where a match may have become possible: agents that
 * entered the heap of a signature with waiting tickets (the index tells us)
 * and tickets that started waiting (a requeue, a transfer, a changed
 * requirement, a rejected or expired offer) or whose exclusion of an agent
 * ended. us_route() empties both; each step either assigns a
 * ticket or drops an entry, so it ends.
 */
#include "engine.h"

/* ---- the two lists: intrusive, so marking never allocates ------------------------ */

static us_link *agent_dirty_link(void *e, uint32_t slot)
{
    return &us_agent_at(e, slot)->dirty_link;
}

static us_link *ticket_dirty_link(void *e, uint32_t slot)
{
    return &us_ticket_at(e, slot)->dirty_link;
}

static us_link *ticket_pref_link(void *e, uint32_t slot)
{
    return &us_ticket_at(e, slot)->pref_link;
}

void us_route_mark_agent(usher_engine *e, uint32_t slot)
{
    if (!us_agent_at(e, slot)->dirty)
        us_list_push(&e->router.dirty_agents, slot, agent_dirty_link, e);
    us_agent_at(e, slot)->dirty = true;
}

void us_route_unmark_agent(usher_engine *e, uint32_t slot)
{
    if (us_agent_at(e, slot)->dirty)
        us_list_remove(&e->router.dirty_agents, slot, agent_dirty_link, e);
    us_agent_at(e, slot)->dirty = false;
}

void us_route_mark_ticket(usher_engine *e, uint32_t slot)
{
    if (!us_ticket_at(e, slot)->dirty)
        us_list_push(&e->router.dirty_tickets, slot, ticket_dirty_link, e);
    us_ticket_at(e, slot)->dirty = true;
}

void us_route_unmark_ticket(usher_engine *e, uint32_t slot)
{
    if (us_ticket_at(e, slot)->dirty)
        us_list_remove(&e->router.dirty_tickets, slot, ticket_dirty_link, e);
    us_ticket_at(e, slot)->dirty = false;
}

/* ---- preferred agents ------------------------------------------------------------- */

void us_prefer_agent(usher_engine *e, uint32_t ticket, uint64_t agent_id, uint64_t until)
{
    uint32_t slot;
    if (us_agent_find(e, agent_id, &slot) != USHER_OK ||
        us_agent_at(e, slot)->state != USHER_AGENT_AVAILABLE || until <= us_now(e))
        return; /* offline, away or unknown: skipped at once */
    us_ticket *t = us_ticket_at(e, ticket);
    t->pref_agent = slot;
    us_list_push(&us_agent_at(e, slot)->preferred_by, ticket, ticket_pref_link, e);
    (void)us_wheel_schedule(&e->wheel, until, US_TIMER_PREFERENCE, ticket, &t->pref_timer);
}

void us_prefer_end(usher_engine *e, uint32_t ticket)
{
    us_ticket *t = us_ticket_at(e, ticket);
    if (t->pref_agent == US_NONE)
        return;
    us_wheel_cancel(&e->wheel, t->pref_timer);
    us_list_remove(&us_agent_at(e, t->pref_agent)->preferred_by, ticket, ticket_pref_link, e);
    t->pref_agent = t->pref_timer = US_NONE;
    if (t->state == USHER_TICKET_WAITING)
        us_route_mark_ticket(e, ticket); /* anyone eligible may take it now */
}

void us_prefer_agent_left(usher_engine *e, uint32_t agent)
{
    while (us_agent_at(e, agent)->preferred_by != US_NONE)
        us_prefer_end(e, us_agent_at(e, agent)->preferred_by);
}

void us_expire_preference(usher_engine *e, uint32_t timer)
{
    us_prefer_end(e, (uint32_t)us_wheel_data(&e->wheel, timer));
}

bool us_ticket_barred(const usher_engine *e, const us_ticket *t, uint32_t agent)
{
    if (t->pref_agent != US_NONE && t->pref_agent != agent)
        return true;
    return t->exclusions != US_NONE && us_ticket_excludes(e, t, agent);
}

/* ---- assignment ------------------------------------------------------------------ */

usher_status us_route_reserve_assignment(usher_engine *e)
{
    usher_status st = us_events_reserve(e, US_EVENTS_PER_MATCH);
    if (st == USHER_OK)
        st = us_wheel_reserve(&e->wheel, US_TIMERS_PER_MATCH);
    return st == USHER_OK ? us_capacity_prepare(e, 1) : st;
}

static void count_answer(usher_engine *e, us_ticket *t, us_queue *q)
{
    if (t->answered)
        return;
    t->answered = true;
    uint64_t wait = us_now(e) > t->created ? us_now(e) - t->created : 0;
    q->stats.answered++;
    q->stats.answer_wait_ms += wait;
    if (wait <= q->def.service_level_ms)
        q->stats.answered_in_sl++;
    us_queue_count_answer(e, q, wait <= q->def.service_level_ms);
}

void us_route_confirm(usher_engine *e, uint32_t ticket, uint32_t agent)
{
    us_ticket *t = us_ticket_at(e, ticket);
    const us_bucket *b = us_bucket_at(e, t->buckets[US_FILED_MAIN]);
    t->state = USHER_TICKET_ASSIGNED;
    t->offer_token = 0;
    t->assigned_at = us_now(e);
    count_answer(e, t, us_queue_at(e, b->queue));
    if (t->remembered)
        us_customer_served(e, t->customer, us_agent_at(e, agent)->id);
    usher_event event = {0};
    event.type = USHER_EVENT_TICKET_ASSIGNED;
    event.time_ms = us_now(e);
    event.ticket_id = t->id;
    event.agent_id = us_agent_at(e, agent)->id;
    event.value = (int64_t)(t->assigned_at > t->created ? t->assigned_at - t->created : 0);
    event.reason = (int32_t)e->index.sigs[b->sig].channel;
    us_events_push(e, &event);
}

void us_route_assign(usher_engine *e, uint32_t ticket, uint32_t agent)
{
    us_ticket *t = us_ticket_at(e, ticket);
    const us_bucket *b = us_bucket_at(e, t->buckets[US_FILED_MAIN]);
    if (t->state == USHER_TICKET_WAITING)
        us_bucket_remove(e, ticket);
    t->state = 0; /* neither waiting nor handed out, for the moment */
    us_prefer_end(e, ticket);
    us_route_unmark_ticket(e, ticket);
    /* Set before the reservation re-sorts the agent in the index. */
    us_agent_at(e, agent)->last_assigned = ++e->router.assign_stamp;
    if (us_queue_at(e, b->queue)->def.assign_mode == USHER_ASSIGN_OFFER) {
        us_offer_make(e, ticket, agent);
        return;
    }
    uint32_t channel = e->index.sigs[b->sig].channel;
    t->work = us_capacity_take(e, agent, t->id, channel, true);
    e->agents.works[t->work].routed = ticket;
    us_route_confirm(e, ticket, agent);
}

void us_route_unassign(usher_engine *e, uint32_t ticket)
{
    us_ticket *t = us_ticket_at(e, ticket);
    if (t->state == USHER_TICKET_OFFERED)
        us_agent_at(e, e->agents.works[t->work].agent)->offers_out--;
    if (t->offer_timer != US_NONE)
        us_wheel_cancel(&e->wheel, t->offer_timer);
    t->offer_timer = US_NONE;
    t->offer_token = 0;
    t->assigned_at = 0;
    us_capacity_end(e, t->work, USHER_RELEASE_NO_WRAPUP);
    t->work = US_NONE;
    us_bucket_push(e, ticket);
}

void us_route_requeue(usher_engine *e, uint32_t w, int32_t reason)
{
    uint32_t ticket = e->agents.works[w].routed;
    uint64_t agent_id = us_agent_at(e, e->agents.works[w].agent)->id;
    us_route_unassign(e, ticket);
    us_route_mark_ticket(e, ticket);
    usher_event event = {0};
    event.type = USHER_EVENT_TICKET_REQUEUED;
    event.time_ms = us_now(e);
    event.ticket_id = us_ticket_at(e, ticket)->id;
    event.agent_id = agent_id;
    event.reason = reason;
    us_events_push(e, &event);
}

static bool excluded_agent(const usher_engine *e, const void *ctx, uint32_t agent)
{
    return us_ticket_excludes(e, ctx, agent);
}

/* True if the agent is a member of the signature and eligible for its
 * channel now. */
static bool eligible_in(const usher_engine *e, uint32_t agent, uint32_t sig)
{
    const us_agent *a = us_agent_at(e, agent);
    if (!((a->ready_mask >> e->index.sigs[sig].channel) & 1u))
        return false;
    for (size_t m = 0; m < a->member_count; m++)
        if (a->members[m].sig == sig)
            return true;
    return false;
}

/* The agent a ticket that waits for it can go to: itself if eligible. */
static uint32_t pick_preferred(const usher_engine *e, const us_ticket *t, int64_t *score)
{
    if (t->exclusions != US_NONE && us_ticket_excludes(e, t, t->pref_agent))
        return US_NONE;
    for (uint32_t k = 0; k < US_FILINGS; k++) {
        if (t->buckets[k] == US_NONE)
            continue;
        uint32_t sig = us_bucket_at(e, t->buckets[k])->sig;
        if (eligible_in(e, t->pref_agent, sig)) {
            *score = us_index_score(e, sig, t->pref_agent);
            return t->pref_agent;
        }
    }
    return US_NONE;
}

/* With a scoring hook: the candidate the hook scores highest. */
static uint32_t pick_scored(usher_engine *e, const us_ticket *t, uint32_t sig, int64_t *score)
{
    uint32_t agents[USHER_MAX_SCORE_CANDIDATES];
    int64_t scores[USHER_MAX_SCORE_CANDIDATES];
    size_t n = us_index_candidates(e, sig, t->exclusions != US_NONE ? excluded_agent : NULL, t,
                                   agents, scores, e->score_candidates);
    uint32_t best = US_NONE;
    e->scoring = true;
    for (size_t i = 0; i < n; i++) {
        int64_t s = e->score_fn(e->score_user, t->id, us_agent_at(e, agents[i])->id, scores[i]);
        if (best == US_NONE || s > *score) {
            best = agents[i];
            *score = s;
        }
    }
    e->scoring = false;
    return best;
}

/* The strategy's (or the hook's) choice among one filing's eligible agents. */
static uint32_t pick_in(usher_engine *e, const us_ticket *t, uint32_t k, int64_t *score)
{
    uint32_t sig = us_bucket_at(e, t->buckets[k])->sig;
    if (e->score_fn)
        return pick_scored(e, t, sig, score);
    uint32_t agent = t->exclusions == US_NONE ? us_index_pick(e, sig)
                                              : us_index_pick_unless(e, sig, excluded_agent, t);
    if (agent != US_NONE)
        *score = us_index_score(e, sig, agent);
    return agent;
}

uint32_t us_route_pick(usher_engine *e, uint32_t ticket, int64_t *score)
{
    const us_ticket *t = us_ticket_at(e, ticket);
    int64_t ignored;
    score = score ? score : &ignored;
    if (t->pref_agent != US_NONE)
        return pick_preferred(e, t, score);
    uint32_t agent = pick_in(e, t, US_FILED_MAIN, score); /* main agents before the group */
    if (agent == US_NONE && t->buckets[US_FILED_OVERFLOW] != US_NONE)
        agent = pick_in(e, t, US_FILED_OVERFLOW, score);
    return agent;
}

USHER_API usher_status usher_set_score_hook(usher_engine *e, usher_score_fn fn, void *user,
                                            uint32_t candidates)
{
    US_CHECK_ENGINE(e);
    if (fn && (candidates < 1 || candidates > USHER_MAX_SCORE_CANDIDATES))
        return USHER_EINVAL;
    e->score_fn = fn;
    e->score_user = fn ? user : NULL;
    e->score_candidates = fn ? candidates : 0;
    return USHER_OK;
}

/* ---- matching ---------------------------------------------------------------------- */

/* The waiting ticket the agent should take: the first to route among the
 * tops of the buckets of the signatures it is eligible for. */
static uint32_t best_ticket_for(const usher_engine *e, uint32_t slot)
{
    const us_agent *a = us_agent_at(e, slot);
    uint32_t best = US_NONE;
    for (size_t m = 0; m < a->member_count; m++) {
        const us_membership *mb = &a->members[m];
        const us_sig *sig = &e->index.sigs[mb->sig];
        if (!((a->ready_mask >> sig->channel) & 1u) || sig->waiting == 0)
            continue;
        for (uint32_t b = sig->buckets; b != US_NONE; b = us_bucket_at(e, b)->sig_next) {
            uint32_t top = us_bucket_top_for(e, b, slot);
            if (top != US_NONE && (best == US_NONE || us_ticket_before(e, top, best)))
                best = top;
        }
    }
    return best;
}

/* One match through agent `slot`: its best ticket goes to the agent that
 * ticket's strategy picks (the same one unless several are free). Returns
 * false when nothing was assigned: no ticket, or no memory (*stalled). */
static bool match_agent(usher_engine *e, uint32_t slot, bool *stalled)
{
    uint32_t ticket = best_ticket_for(e, slot);
    if (ticket == US_NONE)
        return false;
    if (us_route_reserve_assignment(e) != USHER_OK) {
        *stalled = true;
        return false;
    }
    uint32_t taker = us_route_pick(e, ticket, NULL);
    us_route_assign(e, ticket, taker);
    if (taker != slot)
        us_route_mark_agent(e, taker);
    return true;
}

/* A ticket that started waiting: the agent its strategy picks takes its
 * own best ticket, until this one is taken or nobody is eligible. */
static void match_ticket(usher_engine *e, uint32_t ticket, bool *stalled)
{
    for (;;) {
        us_ticket *t = us_ticket_at(e, ticket);
        if (t->state != USHER_TICKET_WAITING)
            return;
        /* A look at who could take it: the random draw is match_agent's. */
        uint64_t rng = e->rng;
        uint32_t agent = us_route_pick(e, ticket, NULL);
        e->rng = rng;
        if (agent == US_NONE || !match_agent(e, agent, stalled))
            return;
    }
}

void us_route(usher_engine *e)
{
    us_router *r = &e->router;
    bool stalled = false;
    while (!stalled) {
        if (r->dirty_tickets != US_NONE) {
            uint32_t ticket = r->dirty_tickets;
            match_ticket(e, ticket, &stalled);
            if (!stalled)
                us_route_unmark_ticket(e, ticket);
        } else if (r->dirty_agents != US_NONE) {
            uint32_t agent = r->dirty_agents;
            if (!match_agent(e, agent, &stalled) && !stalled)
                us_route_unmark_agent(e, agent);
        } else {
            return;
        }
    }
}
