/* Restoring calendars with their zones, SLA policies and rules, and the
 * tickets' SLA records (see restore.h). */
#include "restore.h"

/* ---- calendars ------------------------------------------------------------------------ */

static void read_date(us_reader *r, us_tz_date *d)
{
    d->kind = us_get_u8(r);
    d->month = us_get_u8(r);
    d->week = us_get_u8(r);
    d->weekday = us_get_u8(r);
    d->day = us_get_u16(r);
    d->time = us_get_i32(r);
}

/* A zone in parsed form, into *tz (owned by its calendar from the first
 * allocation on). */
static usher_status read_zone(us_restore *x, us_reader *r, us_tz *tz)
{
    tz->initial = us_get_i32(r);
    uint32_t count = us_get_count(r, UINT32_MAX, 12);
    size_t n = count ? count : 1;
    tz->times = us_malloc(&x->e->alloc, n * sizeof *tz->times);
    tz->offsets = us_malloc(&x->e->alloc, n * sizeof *tz->offsets);
    if (!tz->times || !tz->offsets)
        return USHER_ENOMEM;
    tz->count = count;
    for (uint32_t i = 0; i < count; i++) {
        tz->times[i] = us_get_i64(r);
        tz->offsets[i] = us_get_i32(r);
    }
    tz->has_rule = us_get_bool(r);
    tz->rule.std_offset = us_get_i32(r);
    tz->rule.dst_offset = us_get_i32(r);
    tz->rule.has_dst = us_get_bool(r);
    read_date(r, &tz->rule.start);
    read_date(r, &tz->rule.end);
    return !r->bad && us_tz_valid(tz) ? USHER_OK : USHER_ECORRUPT;
}

static usher_status read_hours(us_reader *r, us_calendar *c, us_week_interval *week)
{
    c->always_open = us_get_bool(r);
    c->week_count = us_get_count(r, 2 * USHER_MAX_OPEN_INTERVALS, 4);
    for (uint32_t i = 0; i < c->week_count; i++) {
        week[i].from = us_get_u16(r);
        week[i].to = us_get_u16(r);
    }
    memcpy(c->week, week, c->week_count * sizeof *week);
    return r->bad ? USHER_ECORRUPT : USHER_OK;
}

static usher_status read_holidays(us_restore *x, us_reader *r, us_calendar *c)
{
    uint32_t count = us_get_count(r, USHER_MAX_HOLIDAYS, 12);
    if (count > 0) {
        c->holidays = us_malloc(&x->e->alloc, count * sizeof *c->holidays);
        if (!c->holidays)
            return USHER_ENOMEM;
    }
    c->holiday_count = c->holiday_capacity = count;
    for (uint32_t i = 0; i < count; i++) {
        c->holidays[i].day = us_get_i64(r);
        c->holidays[i].from = us_get_u16(r);
        c->holidays[i].to = us_get_u16(r);
    }
    return r->bad ? USHER_ECORRUPT : USHER_OK;
}

static usher_status read_calendar(us_restore *x, us_reader *r, uint32_t slot)
{
    usher_engine *e = x->e;
    us_calendar *c = us_pool_at(&e->calendars.pool, slot);
    uint32_t id = us_get_u32(r), found;
    if (id == USHER_CALENDAR_24_7 || us_idmap_find(&e->calendars.by_id, id, &found))
        return USHER_ECORRUPT;
    usher_status st = us_idmap_reserve(&e->calendars.by_id, 1);
    if (st != USHER_OK)
        return st;
    (void)us_idmap_insert(&e->calendars.by_id, id, slot);
    c->id = id; /* from here on the engine frees what the calendar holds */
    us_week_interval week[2 * USHER_MAX_OPEN_INTERVALS];
    st = read_zone(x, r, &c->tz);
    if (st == USHER_OK)
        st = read_hours(r, c, week);
    if (st == USHER_OK)
        st = read_holidays(x, r, c);
    if (st == USHER_OK && !us_calendar_valid(c))
        st = USHER_ECORRUPT;
    if (st == USHER_OK && !c->always_open)
        us_calendar_set_week(c, week, c->week_count); /* and its open time per week */
    return st;
}

usher_status us_restore_calendars(us_restore *x, us_reader *r)
{
    us_pool *p = &x->e->calendars.pool;
    usher_status st = us_restore_slots(x, r, &x->calendars, 4 + 38 + 9);
    if (st == USHER_OK)
        st = us_pool_restore(p, &x->e->alloc, x->calendars.slots, x->calendars.free_list,
                             x->calendars.free_count);
    for (uint32_t slot = 0; st == USHER_OK && slot < x->calendars.slots; slot++)
        if (us_restore_live(&x->calendars, slot))
            st = read_calendar(x, r, slot);
    return st;
}

/* ---- SLA policies and rules ------------------------------------------------------------- */

static void read_counts(us_reader *r, uint64_t *met, uint64_t *breached)
{
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        met[t] = us_get_u64(r);
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        breached[t] = us_get_u64(r);
}

static usher_status read_policy(us_restore *x, us_reader *r, uint32_t slot)
{
    usher_engine *e = x->e;
    us_sla_policy *p = us_sla_policy_at(e, slot);
    usher_sla_policy_def *d = &p->def;
    uint32_t found;
    p->id = us_get_u32(r);
    d->struct_size = sizeof *d;
    d->flags = us_get_u32(r);
    d->target_mask = us_get_u32(r);
    d->business_mask = us_get_u32(r);
    d->pause_mask = us_get_u32(r);
    d->calendar = us_get_u32(r);
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        d->target_ms[t] = us_get_u64(r);
    d->warning_count = us_get_u32(r);
    for (uint32_t k = 0; k < USHER_MAX_SLA_WARNINGS; k++)
        d->warning_permille[k] = us_get_u32(r);
    read_counts(r, p->met, p->breached);
    if (r->bad || !us_sla_policy_def_valid(d) || !us_calendar_find(e, d->calendar) ||
        us_idmap_find(&e->slas.policy_by_id, p->id, &found))
        return USHER_ECORRUPT;
    usher_status st = us_idmap_reserve(&e->slas.policy_by_id, 1);
    if (st == USHER_OK)
        (void)us_idmap_insert(&e->slas.policy_by_id, p->id, slot);
    return st;
}

static usher_status read_rules(us_restore *x, us_reader *r)
{
    us_slas *s = &x->e->slas;
    uint32_t count = us_get_count(r, USHER_MAX_SLA_RULES, 24), found;
    if (count > 0 && !(s->rules = us_malloc(&x->e->alloc, count * sizeof *s->rules)))
        return USHER_ENOMEM;
    s->rule_count = count;
    for (uint32_t i = 0; i < count; i++) {
        usher_sla_rule *rule = &s->rules[i];
        rule->channel = us_get_u32(r);
        rule->queue = us_get_u32(r);
        rule->tier = us_get_u32(r);
        rule->min_priority = us_get_u32(r);
        rule->max_priority = us_get_u32(r);
        rule->policy = us_get_u32(r);
        if (rule->min_priority > rule->max_priority ||
            !us_idmap_find(&s->policy_by_id, rule->policy, &found))
            return USHER_ECORRUPT;
    }
    s->default_policy = us_get_u32(r);
    if (s->default_policy != US_NONE && !us_restore_live(&x->policies, s->default_policy))
        return USHER_ECORRUPT;
    for (uint32_t c = 0; c < USHER_MAX_CHANNELS; c++)
        read_counts(r, s->channel_met[c], s->channel_breached[c]);
    return USHER_OK;
}

usher_status us_restore_policies(us_restore *x, us_reader *r)
{
    us_pool *p = &x->e->slas.policies;
    usher_status st = us_restore_slots(x, r, &x->policies, 4 + 48 + 4 + 16 + 64);
    if (st == USHER_OK)
        st = us_pool_restore(p, &x->e->alloc, x->policies.slots, x->policies.free_list,
                             x->policies.free_count);
    for (uint32_t slot = 0; st == USHER_OK && slot < x->policies.slots; slot++)
        if (us_restore_live(&x->policies, slot))
            st = read_policy(x, r, slot);
    return st == USHER_OK ? read_rules(x, r) : st;
}

/* ---- SLA records ---------------------------------------------------------------------------- */

/* A clock as sla.c leaves it between calls; the checks keep every index
 * sla.c derives from it within its arrays. Policies are restored first,
 * so held events can be checked against theirs. */
static bool read_clock(const us_restore *x, us_reader *r, const usher_sla_policy_def *def,
                       uint32_t t, us_sla_clock *c)
{
    c->state = us_get_u8(r);
    c->breached = us_get_bool(r);
    c->next_event = us_get_u8(r);
    c->held_count = us_get_u8(r);
    c->elapsed = us_get_u64(r);
    c->run_since = us_get_u64(r);
    c->next_due = us_get_u64(r);
    c->timer = US_NONE;
    if (c->state > US_CLOCK_STOPPED || c->next_event > def->warning_count + 1 ||
        c->held_count > US_SLA_HELD_MAX || !us_restore_past(x, c->run_since))
        return false;
    for (uint32_t i = 0; i < c->held_count; i++) {
        c->held[i].due = us_get_u64(r);
        c->held[i].policy = us_get_u32(r);
        c->held[i].event = us_get_u8(r);
    }
    if (r->bad || !us_sla_held_valid(x->e, c, t))
        return false;
    if (!(def->target_mask >> t & 1) && c->state != US_CLOCK_INACTIVE)
        return false; /* only the policy's targets run */
    /* An event is scheduled only while running, and only up to the breach. */
    return c->next_due == USHER_TIME_NEVER ||
           (c->state == US_CLOCK_RUNNING && c->next_event <= def->warning_count);
}

static usher_status read_sla(us_restore *x, us_reader *r, uint32_t slot)
{
    usher_engine *e = x->e;
    us_sla *s = us_pool_at(&e->slas.records, slot);
    uint32_t found;
    s->ticket = us_get_u64(r);
    s->policy = us_get_u32(r);
    s->created = us_get_u64(r);
    s->channel = us_get_u32(r);
    s->queue = us_get_u32(r);
    s->tier = us_get_u32(r);
    s->priority = us_get_u32(r);
    s->pending = us_get_bool(r);
    s->solved = us_get_bool(r);
    s->replied = us_get_bool(r);
    if (!us_restore_live(&x->policies, s->policy) || !us_restore_past(x, s->created) ||
        us_idmap_find(&e->slas.by_ticket, s->ticket, &found))
        return USHER_ECORRUPT;
    const usher_sla_policy_def *def = &us_sla_policy_at(e, s->policy)->def;
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        if (!read_clock(x, r, def, t, &s->clocks[t]))
            return USHER_ECORRUPT;
    usher_status st = us_idmap_reserve(&e->slas.by_ticket, 1);
    if (st == USHER_OK)
        (void)us_idmap_insert(&e->slas.by_ticket, s->ticket, slot);
    return st;
}

usher_status us_restore_slas(us_restore *x, us_reader *r)
{
    us_pool *p = &x->e->slas.records;
    usher_status st = us_restore_slots(x, r, &x->slas, 8 + 4 + 8 + 16 + 3 + 4 * 28);
    if (st == USHER_OK)
        st = us_pool_restore(p, &x->e->alloc, x->slas.slots, x->slas.free_list,
                             x->slas.free_count);
    for (uint32_t slot = 0; st == USHER_OK && slot < x->slas.slots; slot++)
        if (us_restore_live(&x->slas, slot))
            st = read_sla(x, r, slot);
    return st;
}
