/*
 * Writing snapshots (docs/SNAPSHOT.md). Every record is written with its
 * slot number preserved (as slot spaces: the slot count and the free list
 * in order, then the live records in slot order), every list in its order,
 * and every timer in the wheel's order, so that a restored engine makes the
 * same decisions and the same slot choices as this one. What is a pure
 * function of the rest (counters of work held, hash tables, ticket heaps,
 * eligibility masks) is not written: the restore recomputes it.
 */
#include "check.h"
#include "snapshot.h"

#include <stdint.h>

const uint32_t us_snap_tags[US_SNAP_SECTIONS] = {
    US_SNAP_TAG('E', 'N', 'G', 'N'), US_SNAP_TAG('S', 'K', 'I', 'L'),
    US_SNAP_TAG('C', 'H', 'A', 'N'), US_SNAP_TAG('C', 'A', 'L', 'S'),
    US_SNAP_TAG('S', 'L', 'A', 'P'), US_SNAP_TAG('S', 'I', 'G', 'S'),
    US_SNAP_TAG('Q', 'U', 'E', 'S'), US_SNAP_TAG('A', 'G', 'N', 'T'),
    US_SNAP_TAG('T', 'I', 'C', 'K'), US_SNAP_TAG('C', 'U', 'S', 'T'),
    US_SNAP_TAG('S', 'L', 'A', 'R'), US_SNAP_TAG('I', 'N', 'D', 'X'),
    US_SNAP_TAG('T', 'I', 'M', 'R'),
};

/* The staging buffer of usher_snapshot_write(), and so its largest piece. */
#define STREAM_CHUNK (64u * 1024u)

/* ---- slot spaces --------------------------------------------------------------------- */

/* The next free slot after `slot` in a slot space's free list. */
typedef uint32_t (*next_free_fn)(const usher_engine *e, uint32_t slot);

static void put_slot_space(us_writer *w, const usher_engine *e, size_t slots, uint32_t free_count,
                           uint32_t head, next_free_fn next)
{
    us_put_u32(w, (uint32_t)slots);
    us_put_u32(w, free_count);
    for (uint32_t s = head; s != US_NONE; s = next(e, s))
        us_put_u32(w, s);
}

static void put_pool(us_writer *w, const usher_engine *e, const us_pool *p, next_free_fn next)
{
    put_slot_space(w, e, p->slots, (uint32_t)(p->slots - p->live), p->free_head, next);
}

static void put_skill_entries(us_writer *w, const us_skill_entry *items, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        us_put_u16(w, items[i].skill);
        us_put_u8(w, items[i].level);
    }
}

/* ---- engine, skills, channels -------------------------------------------------------- */

static void write_engine(us_writer *w, const usher_engine *e)
{
    us_put_u64(w, us_now(e));
    us_put_u64(w, e->last_seq);
    us_put_u64(w, e->rng);
    us_put_u64(w, e->router.submit_seq);
    us_put_u64(w, e->router.assign_stamp);
    us_put_u64(w, e->router.offer_seq);
    us_put_u64(w, e->router.customer_keep_ms);
}

static void write_skills(us_writer *w, const usher_engine *e)
{
    us_put_u32(w, (uint32_t)e->skills.count);
    for (size_t i = 0; i < e->skills.count; i++) {
        size_t len = strlen(e->skills.names[i]);
        us_put_u8(w, (uint32_t)len);
        us_put_bytes(w, e->skills.names[i], len);
    }
}

static void write_channels(us_writer *w, const usher_engine *e)
{
    for (uint32_t c = 0; c < USHER_MAX_CHANNELS; c++) {
        const us_channel *ch = &e->channels[c];
        static const usher_channel_def none;
        const usher_channel_def *def = ch->defined ? &ch->def : &none; /* a removed one's is stale */
        us_put_u8(w, ch->defined);
        us_put_u32(w, def->flags);
        us_put_u32(w, def->cost);
        us_put_u32(w, def->max_per_agent);
        us_put_u64(w, def->wrapup_ms);
    }
}

/* ---- calendars and SLA policies ----------------------------------------------------------- */

static uint32_t next_free_calendar(const usher_engine *e, uint32_t slot)
{
    return us_pool_next_free(&e->calendars.pool, slot);
}

static void put_tz_date(us_writer *w, const us_tz_date *d)
{
    us_put_u8(w, d->kind);
    us_put_u8(w, d->month);
    us_put_u8(w, d->week);
    us_put_u8(w, d->weekday);
    us_put_u16(w, d->day);
    us_put_i32(w, d->time);
}

static void put_zone(us_writer *w, const us_tz *tz)
{
    us_put_i32(w, tz->initial);
    us_put_u32(w, tz->count);
    for (uint32_t i = 0; i < tz->count; i++) {
        us_put_i64(w, tz->times[i]);
        us_put_i32(w, tz->offsets[i]);
    }
    us_put_u8(w, tz->has_rule);
    us_put_i32(w, tz->rule.std_offset);
    us_put_i32(w, tz->rule.dst_offset);
    us_put_u8(w, tz->rule.has_dst);
    put_tz_date(w, &tz->rule.start);
    put_tz_date(w, &tz->rule.end);
}

static void write_calendars(us_writer *w, const usher_engine *e)
{
    const us_pool *p = &e->calendars.pool;
    put_pool(w, e, p, next_free_calendar);
    for (uint32_t slot = 0; slot < p->slots; slot++) {
        const us_calendar *c = us_pool_at(p, slot);
        if (c->id == 0)
            continue; /* free */
        us_put_u32(w, c->id);
        put_zone(w, &c->tz);
        us_put_u8(w, c->always_open);
        us_put_u32(w, c->week_count);
        for (uint32_t i = 0; i < c->week_count; i++) {
            us_put_u16(w, c->week[i].from);
            us_put_u16(w, c->week[i].to);
        }
        us_put_u32(w, c->holiday_count);
        for (uint32_t i = 0; i < c->holiday_count; i++) {
            us_put_i64(w, c->holidays[i].day);
            us_put_u16(w, c->holidays[i].from);
            us_put_u16(w, c->holidays[i].to);
        }
    }
}

static uint32_t next_free_policy(const usher_engine *e, uint32_t slot)
{
    return us_pool_next_free(&e->slas.policies, slot);
}

static bool policy_live(const us_sla_policy *p) { return p->def.struct_size != 0; }

static void put_counts(us_writer *w, const uint64_t *met, const uint64_t *breached)
{
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        us_put_u64(w, met[t]);
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        us_put_u64(w, breached[t]);
}

static void put_policy(us_writer *w, const us_sla_policy *p)
{
    const usher_sla_policy_def *d = &p->def;
    us_put_u32(w, p->id);
    us_put_u32(w, d->flags);
    us_put_u32(w, d->target_mask);
    us_put_u32(w, d->business_mask);
    us_put_u32(w, d->pause_mask);
    us_put_u32(w, d->calendar);
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        us_put_u64(w, d->target_ms[t]);
    us_put_u32(w, d->warning_count);
    for (uint32_t k = 0; k < USHER_MAX_SLA_WARNINGS; k++)
        us_put_u32(w, d->warning_permille[k]);
    put_counts(w, p->met, p->breached);
}

static void write_policies(us_writer *w, const usher_engine *e)
{
    const us_slas *s = &e->slas;
    put_pool(w, e, &s->policies, next_free_policy);
    for (uint32_t slot = 0; slot < s->policies.slots; slot++)
        if (policy_live(us_sla_policy_at(e, slot)))
            put_policy(w, us_sla_policy_at(e, slot));
    us_put_u32(w, s->rule_count);
    for (uint32_t i = 0; i < s->rule_count; i++) {
        const usher_sla_rule *r = &s->rules[i];
        us_put_u32(w, r->channel);
        us_put_u32(w, r->queue);
        us_put_u32(w, r->tier);
        us_put_u32(w, r->min_priority);
        us_put_u32(w, r->max_priority);
        us_put_u32(w, r->policy);
    }
    us_put_u32(w, s->default_policy);
    for (uint32_t c = 0; c < USHER_MAX_CHANNELS; c++)
        put_counts(w, s->channel_met[c], s->channel_breached[c]);
}

/* ---- signatures, queues, buckets ----------------------------------------------------------- */

static uint32_t next_free_sig(const usher_engine *e, uint32_t slot)
{
    return e->index.sigs[slot].next;
}

static void write_sigs(us_writer *w, const usher_engine *e)
{
    const us_index *x = &e->index;
    uint32_t live = 0;
    for (size_t s = 0; s < x->slots; s++)
        live += x->sigs[s].refs > 0;
    put_slot_space(w, e, x->slots, (uint32_t)(x->slots - live), x->free_head, next_free_sig);
    for (size_t s = 0; s < x->slots; s++) {
        const us_sig *sig = &x->sigs[s];
        if (sig->refs == 0)
            continue;
        us_put_u8(w, sig->channel);
        us_put_u8(w, sig->strategy);
        us_put_u8(w, sig->req_count);
        us_put_u8(w, sig->pref_count);
        put_skill_entries(w, sig->reqs, sig->req_count);
        put_skill_entries(w, sig->prefs, sig->pref_count);
    }
}

static uint32_t next_free_queue(const usher_engine *e, uint32_t slot)
{
    return us_pool_next_free(&e->router.queues, slot);
}

static uint32_t next_free_bucket(const usher_engine *e, uint32_t slot)
{
    return us_pool_next_free(&e->router.buckets, slot);
}

static void put_queue_def(us_writer *w, const usher_queue_def *d)
{
    us_put_u32(w, d->strategy);
    us_put_u32(w, d->ageing_rate);
    for (uint32_t t = 0; t < USHER_MAX_TIERS; t++)
        us_put_u32(w, d->tier_weight[t]);
    us_put_u64(w, d->service_level_ms);
    us_put_u32(w, d->assign_mode);
    us_put_u32(w, d->max_missed_offers);
    us_put_u64(w, d->offer_timeout_ms);
    us_put_u64(w, d->reject_cooldown_ms);
    us_put_u32(w, d->repeat_threshold);
    us_put_u32(w, d->repeat_flags);
    us_put_u64(w, d->repeat_window_ms);
    us_put_u32(w, d->repeat_tier);
    us_put_u32(w, d->repeat_queue);
    us_put_u64(w, d->sticky_ms);
    us_put_u32(w, d->order);
    us_put_u64(w, d->sl_window_ms);
}

static void put_queue_stats(us_writer *w, const us_queue *q)
{
    const usher_queue_stats *s = &q->stats;
    const uint64_t counters[] = {s->entered,   s->answered,        s->answered_in_sl,
                                 s->answer_wait_ms, s->abandoned, s->completed,
                                 s->offered,   s->offers_rejected, s->offers_expired};
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++)
        us_put_u64(w, counters[i]);
    put_counts(w, s->sla_met, s->sla_breached);
    for (uint32_t i = 0; i < 60; i++)
        us_put_u64(w, q->ring_answered[i]);
    for (uint32_t i = 0; i < 60; i++)
        us_put_u64(w, q->ring_in_sl[i]);
    us_put_u64(w, q->ring_slot);
}

static void put_queue(us_writer *w, const usher_engine *e, const us_queue *q)
{
    us_put_u32(w, q->id);
    put_queue_def(w, &q->def);
    us_put_u32(w, q->step_count);
    for (uint32_t i = 0; i < q->step_count; i++) {
        us_put_u64(w, q->steps[i].after_ms);
        us_put_u32(w, q->steps[i].action);
        us_put_u32(w, q->steps[i].skill);
        us_put_u32(w, q->steps[i].value);
    }
    put_queue_stats(w, q);
    uint32_t n = 0;
    for (uint32_t b = q->buckets; b != US_NONE; b = us_bucket_at(e, b)->queue_next)
        n++;
    us_put_u32(w, n);
    for (uint32_t b = q->buckets; b != US_NONE; b = us_bucket_at(e, b)->queue_next) {
        us_put_u32(w, b);
        us_put_u32(w, us_bucket_at(e, b)->sig);
    }
}

/* Records without a live flag are live when their id map names their slot
 * (a free record keeps its last id, which is gone from the map or names
 * another slot). */
static void write_queues(us_writer *w, const usher_engine *e)
{
    const us_router *r = &e->router;
    put_pool(w, e, &r->queues, next_free_queue);
    put_pool(w, e, &r->buckets, next_free_bucket);
    for (uint32_t slot = 0; slot < r->queues.slots; slot++)
        if (us_check_queue_live(e, slot))
            put_queue(w, e, us_queue_at(e, slot));
    for (size_t s = 0; s < e->index.slots; s++) {
        const us_sig *sig = &e->index.sigs[s];
        if (sig->refs == 0)
            continue;
        uint32_t n = 0;
        for (uint32_t b = sig->buckets; b != US_NONE; b = us_bucket_at(e, b)->sig_next)
            n++;
        us_put_u32(w, n);
        for (uint32_t b = sig->buckets; b != US_NONE; b = us_bucket_at(e, b)->sig_next)
            us_put_u32(w, b);
    }
}

/* ---- agents and their work ------------------------------------------------------------------- */

static uint32_t next_free_agent(const usher_engine *e, uint32_t slot)
{
    return us_agent_at(e, slot)->next_free;
}

static uint32_t next_free_work(const usher_engine *e, uint32_t slot)
{
    return e->agents.works[slot].next;
}

static void put_load_caps(us_writer *w, const us_agent *a)
{
    us_put_u32(w, a->cap_max);
    us_put_u64(w, a->cap_window);
    us_put_u32(w, a->cap_head);
    us_put_u32(w, a->cap_count);
    for (uint32_t i = 0; i < a->cap_count; i++)
        us_put_u64(w, a->cap_times[(a->cap_head + i) % a->cap_max]);
    us_put_u8(w, a->capped);
    us_put_u64(w, a->cooldown_ms);
    us_put_u8(w, a->cooling);
}

static void put_works(us_writer *w, const usher_engine *e, const us_agent *a)
{
    us_put_u32(w, a->active_total + a->wrapping_total);
    for (uint32_t x = a->work_head; x != US_NONE; x = e->agents.works[x].next) {
        const us_work *work = &e->agents.works[x];
        us_put_u32(w, x);
        us_put_u64(w, work->ticket);
        us_put_u64(w, work->started);
        us_put_u8(w, work->channel);
        us_put_u8(w, work->wrapping);
    }
}

static void put_agent(us_writer *w, const usher_engine *e, const us_agent *a)
{
    us_put_u64(w, a->id);
    us_put_u8(w, (uint32_t)a->state);
    us_put_i32(w, a->away_reason);
    us_put_u16(w, a->capacity);
    for (uint32_t c = 0; c < USHER_MAX_CHANNELS; c++)
        us_put_u16(w, a->limit[c]);
    us_put_u32(w, a->skill_count);
    put_skill_entries(w, a->skills, a->skill_count);
    us_put_u64(w, a->idle_since);
    us_put_u16(w, a->ready_mask); /* what the state gives: the restore checks it */
    us_put_u32(w, (uint32_t)a->member_count);
    for (size_t m = 0; m < a->member_count; m++)
        us_put_u32(w, a->members[m].sig);
    put_load_caps(w, a);
    us_put_u64(w, a->idle_timeout);
    us_put_u64(w, a->last_activity);
    us_put_u64(w, a->assignments_today);
    us_put_u64(w, a->last_assigned);
    us_put_u64(w, a->missed_offers);
    us_put_u64(w, a->handled_ms);
    us_put_u64(w, a->busy_ms);
    us_put_u64(w, a->logged_in_ms);
    us_put_u64(w, a->counted_until);
    put_works(w, e, a);
}

static void write_agents(us_writer *w, const usher_engine *e)
{
    const us_agents *m = &e->agents;
    put_slot_space(w, e, m->slots, (uint32_t)(m->slots - m->live), m->free_head,
                   next_free_agent);
    put_slot_space(w, e, m->work_slots, m->work_free_count, m->work_free, next_free_work);
    for (uint32_t slot = 0; slot < m->slots; slot++)
        if (us_agent_at(e, slot)->live)
            put_agent(w, e, us_agent_at(e, slot));
}

/* ---- tickets, preferred agents, marks ---------------------------------------------------------- */

static uint32_t next_free_ticket(const usher_engine *e, uint32_t slot)
{
    return us_pool_next_free(&e->router.tickets, slot);
}

static uint32_t next_free_exclusion(const usher_engine *e, uint32_t slot)
{
    return us_pool_next_free(&e->router.exclusions, slot);
}

static const us_exclusion *exclusion_at(const usher_engine *e, uint32_t slot)
{
    return us_pool_at(&e->router.exclusions, slot);
}

static void put_ticket(us_writer *w, const usher_engine *e, const us_ticket *t)
{
    us_put_u64(w, t->id);
    us_put_u64(w, t->customer);
    us_put_u64(w, t->created);
    us_put_u64(w, t->seq);
    us_put_u64(w, t->assigned_at);
    us_put_u64(w, t->sla_due);
    us_put_u64(w, t->offer_token);
    us_put_u16(w, t->priority);
    us_put_u8(w, t->tier);
    us_put_u8(w, t->state);
    us_put_u8(w, t->answered);
    us_put_u8(w, t->remembered);
    us_put_u8(w, t->widen_next);
    us_put_u32(w, t->buckets[US_FILED_MAIN]);
    us_put_u32(w, t->buckets[US_FILED_OVERFLOW]);
    us_put_u32(w, t->work);
    us_put_u8(w, t->pref_count);
    put_skill_entries(w, t->prefs, t->pref_count);
    uint32_t n = 0;
    for (uint32_t x = t->exclusions; x != US_NONE; x = exclusion_at(e, x)->next)
        n++;
    us_put_u32(w, n);
    for (uint32_t x = t->exclusions; x != US_NONE; x = exclusion_at(e, x)->next) {
        us_put_u32(w, x);
        us_put_u64(w, exclusion_at(e, x)->agent_id);
    }
}

/* A list of slots threaded through records, head first. */
typedef uint32_t (*next_in_list_fn)(const usher_engine *e, uint32_t slot);

static void put_list(us_writer *w, const usher_engine *e, uint32_t head, next_in_list_fn next)
{
    uint32_t n = 0;
    for (uint32_t s = head; s != US_NONE; s = next(e, s))
        n++;
    us_put_u32(w, n);
    for (uint32_t s = head; s != US_NONE; s = next(e, s))
        us_put_u32(w, s);
}

static uint32_t next_preferring(const usher_engine *e, uint32_t ticket)
{
    return us_ticket_at(e, ticket)->pref_link.next;
}

static uint32_t next_dirty_agent(const usher_engine *e, uint32_t agent)
{
    return us_agent_at(e, agent)->dirty_link.next;
}

static uint32_t next_dirty_ticket(const usher_engine *e, uint32_t ticket)
{
    return us_ticket_at(e, ticket)->dirty_link.next;
}

static void write_preferences(us_writer *w, const usher_engine *e)
{
    uint32_t lists = 0;
    for (uint32_t slot = 0; slot < e->agents.slots; slot++)
        lists += us_agent_at(e, slot)->live && us_agent_at(e, slot)->preferred_by != US_NONE;
    us_put_u32(w, lists);
    for (uint32_t slot = 0; slot < e->agents.slots; slot++) {
        const us_agent *a = us_agent_at(e, slot);
        if (a->live && a->preferred_by != US_NONE) {
            us_put_u32(w, slot);
            put_list(w, e, a->preferred_by, next_preferring);
        }
    }
}

static void write_tickets(us_writer *w, const usher_engine *e)
{
    const us_router *r = &e->router;
    put_pool(w, e, &r->tickets, next_free_ticket);
    put_pool(w, e, &r->exclusions, next_free_exclusion);
    for (uint32_t slot = 0; slot < r->tickets.slots; slot++)
        if (us_check_ticket_live(e, slot))
            put_ticket(w, e, us_ticket_at(e, slot));
    write_preferences(w, e);
    put_list(w, e, r->dirty_agents, next_dirty_agent);
    put_list(w, e, r->dirty_tickets, next_dirty_ticket);
}

/* ---- customers and SLA records ------------------------------------------------------------------- */

static uint32_t next_free_customer(const usher_engine *e, uint32_t slot)
{
    return us_pool_next_free(&e->router.customers, slot);
}

static const us_customer *customer_at(const usher_engine *e, uint32_t slot)
{
    return us_pool_at(&e->router.customers, slot);
}

static void write_customers(us_writer *w, const usher_engine *e)
{
    const us_pool *p = &e->router.customers;
    put_pool(w, e, p, next_free_customer);
    for (uint32_t slot = 0; slot < p->slots; slot++) {
        if (!us_check_customer_live(e, slot))
            continue;
        const us_customer *c = customer_at(e, slot);
        us_put_u64(w, c->id);
        us_put_u64(w, c->last_agent_id);
        us_put_u64(w, c->keep_until);
        us_put_u8(w, c->head);
        us_put_u8(w, c->count);
        for (uint32_t i = 0; i < c->count; i++)
            us_put_u64(w, c->times[(c->head + i) % USHER_MAX_REPEAT_THRESHOLD]);
    }
}

static uint32_t next_free_sla(const usher_engine *e, uint32_t slot)
{
    return us_pool_next_free(&e->slas.records, slot);
}

static const us_sla *sla_at(const usher_engine *e, uint32_t slot)
{
    return us_pool_at(&e->slas.records, slot);
}

static void put_clock(us_writer *w, const us_sla_clock *c)
{
    us_put_u8(w, c->state);
    us_put_u8(w, c->breached);
    us_put_u8(w, c->next_event);
    us_put_u8(w, c->held_count);
    us_put_u64(w, c->elapsed);
    us_put_u64(w, c->run_since);
    us_put_u64(w, c->next_due);
    for (uint32_t i = 0; i < c->held_count; i++) {
        us_put_u64(w, c->held[i].due);
        us_put_u32(w, c->held[i].policy);
        us_put_u8(w, c->held[i].event);
    }
}

static void write_slas(us_writer *w, const usher_engine *e)
{
    const us_pool *p = &e->slas.records;
    put_pool(w, e, p, next_free_sla);
    for (uint32_t slot = 0; slot < p->slots; slot++) {
        if (!us_check_sla_live(e, slot))
            continue;
        const us_sla *r = sla_at(e, slot);
        us_put_u64(w, r->ticket);
        us_put_u32(w, r->policy);
        us_put_u64(w, r->created);
        us_put_u32(w, r->channel);
        us_put_u32(w, r->queue);
        us_put_u32(w, r->tier);
        us_put_u32(w, r->priority);
        us_put_u8(w, r->pending);
        us_put_u8(w, r->solved);
        us_put_u8(w, r->replied);
        for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
            put_clock(w, &r->clocks[t]);
    }
}

/* ---- the index: heaps and idle lists -------------------------------------------------------------- */

static void write_index(us_writer *w, const usher_engine *e)
{
    for (size_t s = 0; s < e->index.slots; s++) {
        const us_sig *sig = &e->index.sigs[s];
        if (sig->refs == 0)
            continue;
        if (sig->strategy == USHER_STRATEGY_LONGEST_IDLE) {
            us_put_u32(w, (uint32_t)sig->listed);
            for (us_mref r = sig->head; r.agent != US_NONE;
                 r = us_agent_at(e, r.agent)->members[r.member].next) {
                us_put_u32(w, r.agent);
                us_put_u32(w, r.member);
            }
            continue;
        }
        us_put_u32(w, (uint32_t)sig->heap_size);
        for (size_t pos = 0; pos < sig->heap_size; pos++) {
            us_put_u32(w, sig->heap[pos].agent);
            us_put_u32(w, sig->heap[pos].member);
            if (sig->strategy == USHER_STRATEGY_RANDOM) /* the others' keys are current */
                us_put_u64(w, sig->heap[pos].key);
        }
    }
}

/* ---- timers ------------------------------------------------------------------------------------- */

static void put_timer(void *ctx, uint32_t id)
{
    us_writer *w = ((void **)ctx)[0];
    const us_wheel *wheel = ((void **)ctx)[1];
    us_put_u8(w, us_wheel_tag(wheel, id));
    us_put_u64(w, us_wheel_data(wheel, id));
    us_put_u64(w, us_wheel_deadline(wheel, id));
}

static void write_timers(us_writer *w, const usher_engine *e)
{
    void *ctx[2] = {w, (void *)&e->wheel};
    us_put_u32(w, us_wheel_count(&e->wheel));
    us_wheel_walk(&e->wheel, put_timer, ctx);
}

/* ---- the whole ------------------------------------------------------------------------------------ */

typedef void (*section_fn)(us_writer *w, const usher_engine *e);

static const section_fn sections[US_SNAP_SECTIONS] = {
    write_engine, write_skills, write_channels, write_calendars, write_policies,
    write_sigs,   write_queues, write_agents,   write_tickets,   write_customers,
    write_slas,   write_index,  write_timers,
};

/* Section lengths, measured before anything is written. */
typedef struct layout {
    uint64_t section[US_SNAP_SECTIONS];
    uint64_t body, total;
} layout;

static void measure(const usher_engine *e, layout *out)
{
    out->body = 0;
    for (int i = 0; i < US_SNAP_SECTIONS; i++) {
        us_writer m;
        us_writer_measure(&m);
        sections[i](&m, e);
        out->section[i] = m.total;
        out->body += US_SNAP_SECTION_HEADER + m.total;
    }
    out->total = US_SNAP_HEADER_SIZE + out->body + US_SNAP_CHECKSUM_SIZE;
}

/* Everything but the checksum. */
static void write_all(us_writer *w, const usher_engine *e, const layout *l)
{
    us_put_bytes(w, US_SNAP_MAGIC, US_SNAP_MAGIC_SIZE);
    us_put_u32(w, US_SNAP_VERSION);
    us_put_u32(w, 0); /* flags */
    us_put_u64(w, l->body);
    for (int i = 0; i < US_SNAP_SECTIONS; i++) {
        us_put_u32(w, us_snap_tags[i]);
        us_put_u64(w, l->section[i]);
        sections[i](w, e);
    }
}

/* USHER_ESTATE while a call is under way: from an event callback (its
 * events are not all delivered) or the scoring hook. */
static usher_status check_quiet(const usher_engine *e)
{
    if (e->closing)
        return USHER_ECLOSED;
    if (e->scoring || e->delivering || e->pending_count > 0)
        return USHER_ESTATE;
    return USHER_OK;
}

USHER_API usher_status usher_snapshot(const usher_engine *e, void *buf, size_t capacity,
                                      size_t *size)
{
    if (!e || !size || (!buf && capacity > 0))
        return USHER_EINVAL;
    usher_status st = check_quiet(e);
    if (st != USHER_OK)
        return st;
    layout l;
    measure(e, &l);
    if (l.total > capacity) {
        *size = l.total > SIZE_MAX ? SIZE_MAX : (size_t)l.total;
        return USHER_ELIMIT;
    }
    us_writer w;
    us_writer_buffer(&w, buf, (size_t)l.total);
    write_all(&w, e, &l);
    us_put_u64(&w, XXH3_64bits(buf, w.used));
    if (w.status != USHER_OK) /* not reached: the buffer was measured */
        return w.status;
    *size = w.used;
    return USHER_OK;
}

/* Streams the snapshot through fn (the engine is locked against calls). */
static usher_status stream(const usher_engine *e, uint8_t *staging, usher_write_fn fn,
                           void *user)
{
    layout l;
    measure(e, &l);
    XXH3_state_t hash;
    XXH3_INITSTATE(&hash);
    (void)XXH3_64bits_reset(&hash);
    us_writer w;
    us_writer_stream(&w, staging, STREAM_CHUNK, fn, user, &hash);
    write_all(&w, e, &l);
    us_writer_flush(&w); /* all bytes before the checksum are hashed */
    us_put_u64(&w, XXH3_64bits_digest(&hash));
    us_writer_flush(&w);
    return w.status;
}

USHER_API usher_status usher_snapshot_write(usher_engine *e, usher_write_fn fn, void *user)
{
    if (!e || !fn)
        return USHER_EINVAL;
    usher_status st = check_quiet(e);
    if (st != USHER_OK)
        return st;
    uint8_t *staging = us_malloc(&e->alloc, STREAM_CHUNK);
    if (!staging)
        return USHER_ENOMEM;
    e->scoring = true; /* calls from fn are refused, as from the scoring hook */
    st = stream(e, staging, fn, user);
    e->scoring = false;
    us_free(&e->alloc, staging);
    /* fn may have freed the engine: it goes now (us_finish neither routes
     * nor delivers on a closing engine). */
    return e->closing ? us_finish(e, st) : st;
}
