/*
 * Explanations (usher_explain, usher_ticket_candidate): recomputes, for
 * one ticket and one agent, the checks the index and the router make
 * incrementally. Off the hot path: nothing here is kept up to date.
 */
#include "engine.h"

#include <string.h>

static const us_sig *main_sig(const usher_engine *e, const us_ticket *t)
{
    return &e->index.sigs[us_bucket_at(e, t->buckets[US_FILED_MAIN])->sig];
}

static uint32_t level_of(const us_agent *a, uint32_t skill)
{
    for (uint32_t i = 0; i < a->skill_count; i++)
        if (a->skills[i].skill == skill)
            return a->skills[i].level;
    return 0;
}

/* The first requirement the agent misses, or false. */
static bool first_missing(const us_agent *a, const us_skill_entry *reqs, uint32_t count,
                          usher_explanation *x)
{
    for (uint32_t r = 0; r < count; r++) {
        uint32_t level = level_of(a, reqs[r].skill);
        if (level < reqs[r].level) {
            x->skill = reqs[r].skill;
            x->required_level = reqs[r].level;
            x->agent_level = level;
            return true;
        }
    }
    return false;
}

/* True if the agent belongs to the ticket's current overflow group. */
static bool in_overflow_group(const usher_engine *e, const us_ticket *t, const us_agent *a)
{
    if (t->buckets[US_FILED_OVERFLOW] == US_NONE)
        return false;
    const us_sig *group = &e->index.sigs[us_bucket_at(e, t->buckets[US_FILED_OVERFLOW])->sig];
    return level_of(a, group->reqs[0].skill) > 0;
}

/* When the ticket's remaining widening steps first let the agent meet its
 * requirements, or 0 if they never do. */
static uint64_t widening_reaches(const usher_engine *e, const us_ticket *t, const us_agent *a)
{
    const us_queue *q = us_queue_at(e, us_queue_slot_of(e, t));
    const us_sig *sig = main_sig(e, t);
    us_skill_entry reqs[USHER_MAX_TICKET_SKILLS];
    memcpy(reqs, sig->reqs, sig->req_count * sizeof *reqs);
    usher_explanation scratch;
    for (uint32_t i = t->widen_next; i < q->step_count; i++) {
        const usher_widen_step *step = &q->steps[i];
        bool reaches = false;
        if (step->action == USHER_WIDEN_LOWER_LEVEL) {
            for (uint32_t r = 0; r < sig->req_count; r++)
                if (reqs[r].skill == step->skill && reqs[r].level > step->value)
                    reqs[r].level = (uint8_t)step->value;
            reaches = !first_missing(a, reqs, sig->req_count, &scratch);
        } else if (step->action == USHER_WIDEN_OVERFLOW_GROUP) {
            reaches = level_of(a, step->skill) > 0;
        }
        if (reaches) {
            uint64_t due = us_time_add(t->created, step->after_ms);
            return due > us_now(e) ? due : us_now(e);
        }
    }
    return 0;
}

static uint64_t exclusion_ends(const usher_engine *e, const us_ticket *t, uint64_t agent_id)
{
    for (uint32_t x = t->exclusions; x != US_NONE;) {
        const us_exclusion *ex = (const us_exclusion *)us_pool_at(&e->router.exclusions, x);
        if (ex->agent_id == agent_id)
            return us_wheel_deadline(&e->wheel, ex->timer);
        x = ex->next;
    }
    return 0;
}

static bool why(usher_explanation *x, int32_t reason, uint64_t until)
{
    x->why = reason;
    x->until_ms = until;
    return true;
}

/* The agent's own state, capacity and work, for the ticket's channel. */
static bool agent_blocked(const usher_engine *e, const us_agent *a, uint32_t channel,
                          usher_explanation *x)
{
    const usher_channel_def *def = &e->channels[channel].def;
    bool lone = (def->flags & USHER_CHANNEL_EXCLUSIVE) && !(def->flags & USHER_CHANNEL_INTERRUPTS);
    if (a->state == USHER_AGENT_OFFLINE)
        return why(x, USHER_WHY_OFFLINE, 0);
    if (a->state == USHER_AGENT_AWAY)
        return why(x, USHER_WHY_AWAY, 0);
    if (a->capped)
        return why(x, USHER_WHY_LOAD_CAP, us_wheel_deadline(&e->wheel, a->cap_timer));
    if (a->cooling)
        return why(x, USHER_WHY_COOLING_DOWN, us_wheel_deadline(&e->wheel, a->cooldown_timer));
    if (!us_agent_open_for_work(e, a)) /* its outstanding offers fill its cap */
        return why(x, USHER_WHY_LOAD_CAP, 0);
    if (a->exclusive_active > 0 || (lone && a->active_total + a->wrapping_total > 0))
        return why(x, USHER_WHY_EXCLUSIVE_BUSY, 0);
    if (a->blocking_wrapups > 0)
        return why(x, USHER_WHY_WRAPUP, 0);
    if (us_agent_room(e, a, channel) == 0)
        return why(x, USHER_WHY_NO_CAPACITY, 0);
    return false;
}

static void explain(const usher_engine *e, const us_ticket *t, uint32_t slot,
                    usher_explanation *x)
{
    const us_agent *a = us_agent_at(e, slot);
    const us_sig *sig = main_sig(e, t);
    if (t->state != USHER_TICKET_WAITING) {
        x->why = USHER_WHY_TICKET_TAKEN;
        return;
    }
    if (agent_blocked(e, a, sig->channel, x))
        return;
    bool grouped = in_overflow_group(e, t, a);
    if (!grouped && first_missing(a, sig->reqs, sig->req_count, x)) {
        x->until_ms = widening_reaches(e, t, a);
        x->why = x->until_ms ? USHER_WHY_WIDENING_PENDING : USHER_WHY_MISSING_SKILL;
        return;
    }
    if ((x->until_ms = exclusion_ends(e, t, a->id)) != 0) {
        x->why = USHER_WHY_REJECT_COOLDOWN;
        return;
    }
    if (t->pref_agent != US_NONE && t->pref_agent != slot) {
        x->why = USHER_WHY_WAITING_FOR_PREFERRED;
        x->until_ms = us_wheel_deadline(&e->wheel, t->pref_timer);
        return;
    }
    x->why = USHER_WHY_ELIGIBLE;
    uint32_t filing = grouped && !us_skills_meet(a->skills, a->skill_count, sig->reqs,
                                                 sig->req_count)
                          ? US_FILED_OVERFLOW
                          : US_FILED_MAIN;
    x->score = us_index_score(e, us_bucket_at(e, t->buckets[filing])->sig, slot);
}

USHER_API usher_status usher_explain(const usher_engine *e, uint64_t ticket_id, uint64_t agent_id,
                                     usher_explanation *out)
{
    US_CHECK_ENGINE(e);
    if (!out)
        return USHER_EINVAL;
    uint32_t ticket, agent;
    usher_status st = us_ticket_find(e, ticket_id, &ticket);
    if (st == USHER_OK)
        st = us_agent_find(e, agent_id, &agent);
    if (st != USHER_OK)
        return st;
    usher_explanation x = {0};
    x.struct_size = sizeof x;
    explain(e, us_ticket_at(e, ticket), agent, &x);
    return us_copy_out(out, &x, sizeof x, sizeof x);
}

USHER_API usher_status usher_ticket_candidate(usher_engine *e, uint64_t ticket_id,
                                              uint64_t *agent_id, int64_t *score)
{
    US_CHECK_ENGINE(e);
    if (!agent_id || !score)
        return USHER_EINVAL;
    uint32_t ticket;
    usher_status st = us_ticket_find(e, ticket_id, &ticket);
    if (st != USHER_OK)
        return st;
    if (us_ticket_at(e, ticket)->state != USHER_TICKET_WAITING)
        return USHER_ESTATE;
    uint64_t rng = e->rng; /* a look at the next draw, not the draw */
    uint32_t agent = us_route_pick(e, ticket, score);
    e->rng = rng;
    st = agent == US_NONE ? USHER_ENOTFOUND : USHER_OK;
    if (st == USHER_OK)
        *agent_id = us_agent_at(e, agent)->id;
    /* The scoring hook may have freed the engine: it goes now (us_finish
     * neither routes nor delivers on a closing engine). */
    return e->closing ? us_finish(e, st) : st;
}
