/* SLA policies, the rules that choose them, and their statistics. */
#include "engine.h"

#include <stddef.h>
#include <string.h>

#define ALL_TARGETS ((1u << USHER_SLA_TARGETS) - 1)

void us_slas_init(us_slas *s, const us_alloc *alloc, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    us_pool_init(&s->policies, sizeof(us_sla_policy), offsetof(us_sla_policy, next_free));
    us_pool_init(&s->records, sizeof(us_sla), offsetof(us_sla, next_free));
    us_idmap_init(&s->policy_by_id, alloc, seed ^ 8);
    us_idmap_init(&s->by_ticket, alloc, seed ^ 9);
    s->default_policy = US_NONE;
}

void us_slas_free(usher_engine *e)
{
    us_slas *s = &e->slas;
    us_pool_free(&s->policies, &e->alloc);
    us_pool_free(&s->records, &e->alloc);
    us_idmap_free(&s->policy_by_id);
    us_idmap_free(&s->by_ticket);
    us_free(&e->alloc, s->rules);
}

static us_sla_policy *policy_at(const usher_engine *e, uint32_t slot)
{
    return (us_sla_policy *)us_pool_at(&e->slas.policies, slot);
}

bool us_sla_policy_live(const usher_engine *e, uint32_t slot)
{
    if (slot >= e->slas.policies.slots)
        return false;
    const us_sla_policy *p = policy_at(e, slot);
    uint32_t found;
    return p->def.struct_size != 0 && us_idmap_find(&e->slas.policy_by_id, p->id, &found) &&
           found == slot;
}

bool us_sla_uses_calendar(const usher_engine *e, uint32_t calendar_id)
{
    for (uint32_t slot = 0; slot < e->slas.policies.slots; slot++)
        if (policy_at(e, slot)->def.struct_size && policy_at(e, slot)->def.calendar == calendar_id)
            return true;
    return false;
}

USHER_API void usher_sla_policy_def_init(usher_sla_policy_def *def)
{
    if (!def)
        return;
    memset(def, 0, sizeof *def);
    def->struct_size = sizeof *def;
    def->calendar = USHER_CALENDAR_24_7;
}

bool us_sla_policy_def_valid(const usher_sla_policy_def *def)
{
    if (def->struct_size < sizeof *def || def->target_mask == 0 ||
        (def->target_mask | def->business_mask | def->pause_mask) & ~ALL_TARGETS ||
        def->flags & ~(uint32_t)USHER_SLA_HOLD_EVENTS ||
        def->warning_count > USHER_MAX_SLA_WARNINGS)
        return false;
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        if ((def->target_mask >> t & 1) &&
            (def->target_ms[t] == 0 || def->target_ms[t] > USHER_MAX_SLA_TARGET_MS))
            return false;
    for (uint32_t k = 0; k < def->warning_count; k++)
        if (def->warning_permille[k] < 1 || def->warning_permille[k] > 999 ||
            (k > 0 && def->warning_permille[k] <= def->warning_permille[k - 1]))
            return false;
    return true;
}

USHER_API usher_status usher_sla_policy_add(usher_engine *e, uint32_t policy_id,
                                            const usher_sla_policy_def *def)
{
    US_CHECK_ENGINE(e);
    if (!def || !us_sla_policy_def_valid(def))
        return USHER_EINVAL;
    uint32_t slot;
    if (us_idmap_find(&e->slas.policy_by_id, policy_id, &slot))
        return USHER_EEXIST;
    if (!us_calendar_find(e, def->calendar))
        return USHER_ENOTFOUND;
    usher_status st = us_pool_reserve(&e->slas.policies, &e->alloc);
    if (st == USHER_OK)
        st = us_idmap_reserve(&e->slas.policy_by_id, 1);
    if (st != USHER_OK)
        return us_finish(e, st);
    slot = us_pool_take(&e->slas.policies);
    us_sla_policy *p = policy_at(e, slot);
    memset(p, 0, sizeof *p);
    p->id = policy_id;
    p->def = *def;
    p->def.struct_size = sizeof p->def;
    (void)us_idmap_insert(&e->slas.policy_by_id, policy_id, slot);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_sla_set_rules(usher_engine *e, const usher_sla_rule *rules,
                                           size_t count, uint32_t default_policy)
{
    US_CHECK_ENGINE(e);
    if ((!rules && count > 0) || count > USHER_MAX_SLA_RULES)
        return USHER_EINVAL;
    uint32_t slot, fallback = US_NONE;
    for (size_t i = 0; i < count; i++)
        if (rules[i].min_priority > rules[i].max_priority)
            return USHER_EINVAL;
    for (size_t i = 0; i < count; i++)
        if (!us_idmap_find(&e->slas.policy_by_id, rules[i].policy, &slot))
            return USHER_ENOTFOUND;
    if (default_policy != USHER_SLA_NO_POLICY &&
        !us_idmap_find(&e->slas.policy_by_id, default_policy, &fallback))
        return USHER_ENOTFOUND;
    usher_sla_rule *copy = us_malloc(&e->alloc, (count ? count : 1) * sizeof *copy);
    if (!copy)
        return us_finish(e, USHER_ENOMEM);
    if (count)
        memcpy(copy, rules, count * sizeof *copy);
    us_free(&e->alloc, e->slas.rules);
    e->slas.rules = copy;
    e->slas.rule_count = (uint32_t)count;
    e->slas.default_policy = fallback;
    return us_finish(e, USHER_OK);
}

static bool field_matches(uint32_t rule, uint32_t value)
{
    return rule == USHER_SLA_ANY || rule == value;
}

uint32_t us_sla_choose(const usher_engine *e, uint32_t channel, uint32_t queue, uint32_t tier,
                       uint32_t priority)
{
    for (uint32_t i = 0; i < e->slas.rule_count; i++) {
        const usher_sla_rule *r = &e->slas.rules[i];
        uint32_t slot;
        if (field_matches(r->channel, channel) && field_matches(r->queue, queue) &&
            field_matches(r->tier, tier) && priority >= r->min_priority &&
            priority <= r->max_priority && us_idmap_find(&e->slas.policy_by_id, r->policy, &slot))
            return slot;
    }
    return e->slas.default_policy;
}

static usher_status copy_stats(usher_sla_stats *stats, const uint64_t *met,
                               const uint64_t *breached)
{
    usher_sla_stats out = {0};
    out.struct_size = sizeof out;
    memcpy(out.met, met, sizeof out.met);
    memcpy(out.breached, breached, sizeof out.breached);
    return us_copy_out(stats, &out, sizeof out, sizeof out);
}

USHER_API usher_status usher_sla_channel_stats(const usher_engine *e, uint32_t channel,
                                               usher_sla_stats *stats)
{
    US_CHECK_ENGINE(e);
    if (!stats || channel >= USHER_MAX_CHANNELS)
        return USHER_EINVAL;
    return copy_stats(stats, e->slas.channel_met[channel], e->slas.channel_breached[channel]);
}

USHER_API usher_status usher_sla_policy_stats(const usher_engine *e, uint32_t policy_id,
                                              usher_sla_stats *stats)
{
    US_CHECK_ENGINE(e);
    if (!stats)
        return USHER_EINVAL;
    uint32_t slot;
    if (!us_idmap_find(&e->slas.policy_by_id, policy_id, &slot))
        return USHER_ENOTFOUND;
    const us_sla_policy *p = policy_at(e, slot);
    return copy_stats(stats, p->met, p->breached);
}
