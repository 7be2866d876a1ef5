/* Restoring eligibility signatures, agents with their work, and the
 * index's heaps and idle lists (see restore.h). */
#include "restore.h"

/* ---- signatures ------------------------------------------------------------------------ */

static usher_status alloc_zeroed(const us_alloc *alloc, void **items, size_t *capacity,
                                 size_t count, size_t size)
{
    usher_status st = us_grow_array(alloc, items, capacity, count ? count : 1, size);
    if (st == USHER_OK)
        memset(*items, 0, *capacity * size);
    return st;
}

static usher_status read_sig(us_restore *x, us_reader *r, uint32_t s)
{
    us_skill_entry reqs[USHER_MAX_TICKET_SKILLS], prefs[USHER_MAX_TICKET_SKILLS];
    us_sig_key key = {.channel = us_get_u8(r), .strategy = us_get_u8(r)};
    key.req_count = us_get_u8(r);
    key.pref_count = us_get_u8(r);
    if (key.channel >= USHER_MAX_CHANNELS || !x->e->channels[key.channel].defined ||
        key.strategy > USHER_STRATEGY_RANDOM || key.req_count > USHER_MAX_TICKET_SKILLS ||
        key.pref_count > USHER_MAX_TICKET_SKILLS ||
        (key.pref_count > 0 && key.strategy != USHER_STRATEGY_BEST_SKILL))
        return USHER_ECORRUPT; /* preferences are part of best-skill signatures only */
    if (!us_restore_skill_entries(x, r, reqs, key.req_count, USHER_LEVEL_MAX) ||
        !us_restore_skill_entries(x, r, prefs, key.pref_count, USHER_MAX_PREFERENCE_WEIGHT))
        return USHER_ECORRUPT;
    key.reqs = reqs;
    key.prefs = prefs;
    return us_index_restore_sig(x->e, s, &key);
}

usher_status us_restore_sigs(us_restore *x, us_reader *r)
{
    us_index *ix = &x->e->index;
    usher_status st = us_restore_slots(x, r, &x->sigs, 4);
    if (st != USHER_OK)
        return st;
    void *sigs = NULL;
    st = alloc_zeroed(&x->e->alloc, &sigs, &ix->capacity, x->sigs.slots, sizeof *ix->sigs);
    if (st != USHER_OK)
        return st;
    ix->sigs = sigs;
    ix->slots = x->sigs.slots;
    ix->free_head = US_NONE;
    for (uint32_t i = x->sigs.free_count; i-- > 0;) { /* linked from the tail */
        ix->sigs[x->sigs.free_list[i]].next = ix->free_head;
        ix->free_head = x->sigs.free_list[i];
    }
    for (uint32_t s = 0; st == USHER_OK && s < x->sigs.slots; s++)
        if (us_restore_live(&x->sigs, s))
            st = read_sig(x, r, s);
    return st;
}

/* ---- agents --------------------------------------------------------------------------------- */

static usher_status alloc_agents(us_restore *x)
{
    us_agents *m = &x->e->agents;
    void *items = NULL, *works = NULL;
    usher_status st =
        alloc_zeroed(&x->e->alloc, &items, &m->capacity, x->agents.slots, sizeof *m->items);
    if (st != USHER_OK)
        return st;
    m->items = items;
    st = alloc_zeroed(&x->e->alloc, &works, &m->work_capacity, x->works.slots, sizeof *m->works);
    if (st != USHER_OK)
        return st;
    m->works = works;
    m->slots = x->agents.slots;
    m->live = x->agents.slots - x->agents.free_count;
    m->free_head = US_NONE;
    for (uint32_t i = x->agents.free_count; i-- > 0;) {
        m->items[x->agents.free_list[i]].next_free = m->free_head;
        m->free_head = x->agents.free_list[i];
    }
    m->work_slots = x->works.slots;
    m->work_free_count = x->works.free_count;
    m->work_free = US_NONE;
    for (uint32_t i = x->works.free_count; i-- > 0;) {
        m->works[x->works.free_list[i]].next = m->work_free;
        m->work_free = x->works.free_list[i];
    }
    return USHER_OK;
}

static usher_status read_skills(us_restore *x, us_reader *r, us_agent *a)
{
    uint32_t count = us_get_count(r, USHER_MAX_SKILLS, 3);
    if (count > 0 && !(a->skills = us_malloc(&x->e->alloc, count * sizeof *a->skills)))
        return USHER_ENOMEM;
    a->skill_count = count;
    return us_restore_skill_entries(x, r, a->skills, count, USHER_LEVEL_MAX) ? USHER_OK
                                                                              : USHER_ECORRUPT;
}

/* Memberships: which signatures, in the agent's order (us_index_check()
 * later proves they are exactly the signatures its skills meet). */
static usher_status read_members(us_restore *x, us_reader *r, uint32_t slot)
{
    us_agent *a = us_agent_at(x->e, slot);
    uint32_t count = us_get_count(r, x->sigs.slots, 4);
    if (count > 0 && !(a->members = us_malloc(&x->e->alloc, count * sizeof *a->members)))
        return USHER_ENOMEM;
    a->member_capacity = count;
    for (uint32_t m = 0; m < count; m++) {
        uint32_t s = us_get_u32(r);
        if (!us_restore_live(&x->sigs, s))
            return USHER_ECORRUPT;
        us_index_restore_member(x->e, slot, m, s);
        a->member_count = m + 1;
    }
    return USHER_OK;
}

static usher_status read_load_caps(us_restore *x, us_reader *r, us_agent *a)
{
    a->cap_max = us_get_u32(r);
    a->cap_window = us_get_u64(r);
    a->cap_head = us_get_u32(r);
    a->cap_count = us_get_u32(r);
    bool on = a->cap_max > 0;
    if (a->cap_max > US_MAX_WINDOW_ASSIGNMENTS || on != (a->cap_window > 0) || a->cap_window > USHER_TIME_MAX ||
        a->cap_count > a->cap_max || (on ? a->cap_head >= a->cap_max : a->cap_head != 0) ||
        a->cap_count > r->left / 8)
        return USHER_ECORRUPT;
    if (on && !(a->cap_times = us_malloc(&x->e->alloc, a->cap_max * sizeof *a->cap_times)))
        return USHER_ENOMEM;
    uint64_t last = 0;
    for (uint32_t i = 0; i < a->cap_count; i++) {
        uint64_t t = a->cap_times[(a->cap_head + i) % a->cap_max] = us_get_u64(r);
        if (!us_restore_past(x, t) || t < last)
            return USHER_ECORRUPT; /* reservations are counted in time order */
        last = t;
    }
    a->capped = us_get_bool(r);
    a->cooldown_ms = us_get_u64(r);
    a->cooling = us_get_bool(r);
    return a->cooldown_ms <= USHER_TIME_MAX && (on || !a->capped) ? USHER_OK : USHER_ECORRUPT;
}

/* Adds a work record to the agent's counts (what capacity.c keeps). */
static void count_work(usher_engine *e, us_agent *a, const us_work *work)
{
    const usher_channel_def *def = &e->channels[work->channel].def;
    a->used += def->cost;
    e->channels[work->channel].in_use++;
    if (work->wrapping) {
        a->wrapping[work->channel]++;
        a->wrapping_total++;
        a->blocking_wrapups += (def->flags & USHER_CHANNEL_WRAPUP_BLOCKS_AGENT) != 0;
    } else {
        a->active[work->channel]++;
        a->active_total++;
        a->exclusive_active += (def->flags & USHER_CHANNEL_EXCLUSIVE) != 0;
    }
}

static usher_status read_work(us_restore *x, us_reader *r, uint32_t slot)
{
    usher_engine *e = x->e;
    us_agent *a = us_agent_at(e, slot);
    uint32_t w = us_get_u32(r), found;
    if (!us_restore_claim(&x->works, w))
        return USHER_ECORRUPT; /* no such work, or another agent's */
    us_work *work = &e->agents.works[w];
    work->ticket = us_get_u64(r);
    work->started = us_get_u64(r);
    uint32_t channel = us_get_u8(r);
    work->wrapping = us_get_bool(r);
    if (r->bad || channel >= USHER_MAX_CHANNELS || !e->channels[channel].defined ||
        !us_restore_past(x, work->started) ||
        (!work->wrapping && us_idmap_find(&e->agents.by_ticket, work->ticket, &found)))
        return USHER_ECORRUPT; /* a ticket held twice */
    work->channel = (uint8_t)channel;
    work->agent = slot;
    work->timer = work->routed = US_NONE;
    work->next = US_NONE;
    work->prev = a->work_tail;
    if (a->work_tail != US_NONE)
        e->agents.works[a->work_tail].next = w;
    else
        a->work_head = w;
    a->work_tail = w;
    count_work(e, a, work);
    if (work->wrapping)
        return USHER_OK;
    usher_status st = us_idmap_reserve(&e->agents.by_ticket, 1);
    if (st == USHER_OK)
        (void)us_idmap_insert(&e->agents.by_ticket, work->ticket, w);
    return st;
}

/* Capacity is never exceeded: not in units, not by a channel's limit. */
static bool within_capacity(const usher_engine *e, const us_agent *a)
{
    if (a->used > a->capacity)
        return false;
    for (uint32_t c = 0; c < USHER_MAX_CHANNELS; c++)
        if ((uint32_t)a->active[c] + a->wrapping[c] > us_agent_limit(e, a, c))
            return false;
    return true;
}

static bool limits_valid(const usher_engine *e, const us_agent *a)
{
    for (uint32_t c = 0; c < USHER_MAX_CHANNELS; c++)
        if (a->limit[c] != US_LIMIT_DEFAULT &&
            (a->limit[c] > a->capacity || !e->channels[c].defined))
            return false;
    return true;
}

static bool state_valid(const us_agent *a)
{
    switch (a->state) {
    case USHER_AGENT_AWAY:
        return a->away_reason >= USHER_AWAY_NO_ANSWER;
    case USHER_AGENT_OFFLINE:
    case USHER_AGENT_AVAILABLE:
        return a->away_reason == 0;
    default:
        return false;
    }
}

static usher_status read_identity(us_restore *x, us_reader *r, uint32_t slot)
{
    usher_engine *e = x->e;
    us_agent *a = us_agent_at(e, slot);
    uint32_t found;
    a->id = us_get_u64(r);
    a->state = us_get_u8(r);
    a->away_reason = us_get_i32(r);
    a->capacity = us_get_u16(r);
    for (uint32_t c = 0; c < USHER_MAX_CHANNELS; c++)
        a->limit[c] = us_get_u16(r);
    if (r->bad || !state_valid(a) || a->capacity < 1 || a->capacity > USHER_MAX_CAPACITY ||
        !limits_valid(e, a) || us_idmap_find(&e->agents.by_id, a->id, &found))
        return USHER_ECORRUPT;
    usher_status st = us_idmap_reserve(&e->agents.by_id, 1);
    if (st == USHER_OK)
        (void)us_idmap_insert(&e->agents.by_id, a->id, slot);
    return st;
}

static usher_status read_counters(us_restore *x, us_reader *r, us_agent *a)
{
    a->idle_timeout = us_get_u64(r);
    a->last_activity = us_get_u64(r);
    a->assignments_today = us_get_u64(r);
    a->last_assigned = us_get_u64(r);
    a->missed_offers = us_get_u64(r);
    a->handled_ms = us_get_u64(r);
    a->busy_ms = us_get_u64(r);
    a->logged_in_ms = us_get_u64(r);
    a->counted_until = us_get_u64(r);
    bool ok = a->idle_timeout <= USHER_TIME_MAX && us_restore_past(x, a->last_activity) &&
              a->last_assigned <= x->e->router.assign_stamp &&
              us_restore_past(x, a->counted_until);
    return ok ? USHER_OK : USHER_ECORRUPT;
}

static usher_status read_agent(us_restore *x, us_reader *r, uint32_t slot)
{
    us_agent *a = us_agent_at(x->e, slot);
    a->live = true; /* its arrays are NULL until allocated: the engine frees them */
    a->next_free = US_NONE;
    a->work_head = a->work_tail = US_NONE;
    a->cap_timer = a->cooldown_timer = a->idle_timer = US_NONE;
    a->preferred_by = US_NONE;
    a->dirty_link = (us_link){US_NONE, US_NONE};
    usher_status st = read_identity(x, r, slot);
    if (st == USHER_OK)
        st = read_skills(x, r, a);
    if (st == USHER_OK && !us_restore_past(x, a->idle_since = us_get_u64(r)))
        st = USHER_ECORRUPT;
    a->ready_mask = us_get_u16(r);
    if (st == USHER_OK)
        st = read_members(x, r, slot);
    if (st == USHER_OK)
        st = read_load_caps(x, r, a);
    if (st == USHER_OK)
        st = read_counters(x, r, a);
    uint32_t works = st == USHER_OK ? us_get_count(r, x->works.slots, 22) : 0;
    for (uint32_t i = 0; st == USHER_OK && i < works; i++)
        st = read_work(x, r, slot);
    if (st == USHER_OK && (r->bad || !within_capacity(x->e, a)))
        st = USHER_ECORRUPT;
    return st;
}

usher_status us_restore_agents(us_restore *x, us_reader *r)
{
    usher_status st = us_restore_slots(x, r, &x->agents, 170);
    if (st == USHER_OK)
        st = us_restore_slots(x, r, &x->works, 22);
    if (st == USHER_OK)
        st = alloc_agents(x);
    for (uint32_t slot = 0; st == USHER_OK && slot < x->agents.slots; slot++)
        if (us_restore_live(&x->agents, slot))
            st = read_agent(x, r, slot);
    uint32_t claimed = 0;
    for (uint32_t w = 0; st == USHER_OK && w < x->works.slots; w++)
        claimed += x->works.mark[w] == SLOT_CLAIMED;
    if (st == USHER_OK && claimed != x->works.slots - x->works.free_count)
        st = USHER_ECORRUPT; /* a live work record no agent holds */
    return st;
}

/* ---- the index ----------------------------------------------------------------------------------- */

static usher_status read_entry(us_restore *x, us_reader *r, uint32_t s, bool keyed)
{
    uint32_t agent = us_get_u32(r), m = us_get_u32(r);
    uint64_t key = keyed ? us_get_u64(r) : 0;
    if (r->bad || !us_restore_live(&x->agents, agent))
        return USHER_ECORRUPT;
    const us_agent *a = us_agent_at(x->e, agent);
    if (m >= a->member_count || a->members[m].sig != s || a->members[m].heap_pos != US_NONE)
        return USHER_ECORRUPT; /* not a membership of this signature, or filed twice */
    us_index_restore_file(x->e, agent, m, key);
    return USHER_OK;
}

usher_status us_restore_index(us_restore *x, us_reader *r)
{
    usher_engine *e = x->e;
    usher_status st = USHER_OK;
    for (uint32_t s = 0; st == USHER_OK && s < x->sigs.slots; s++) {
        if (!us_restore_live(&x->sigs, s))
            continue;
        st = us_index_restore_room(e, s);
        bool keyed = e->index.sigs[s].strategy == USHER_STRATEGY_RANDOM;
        uint32_t n = st == USHER_OK ? us_get_count(r, e->index.sigs[s].members, 8) : 0;
        for (uint32_t i = 0; st == USHER_OK && i < n; i++)
            st = read_entry(x, r, s, keyed);
    }
    return st;
}

/* An agent's eligibility as the snapshot has it: what its state gives. */
static bool ready_mask_valid(const usher_engine *e, const us_agent *a)
{
    return a->ready_mask == us_agent_ready_mask(e, a);
}

/* The agents' eligibility, then the whole index checked by brute force:
 * memberships are exactly the signatures each agent's skills meet, every
 * eligible membership is filed, heaps and lists are in order. */
usher_status us_restore_agents_finish(us_restore *x)
{
    usher_engine *e = x->e;
    for (uint32_t slot = 0; slot < e->agents.slots; slot++) {
        const us_agent *a = us_agent_at(e, slot);
        if (a->live && !ready_mask_valid(e, a))
            return USHER_ECORRUPT;
    }
    return us_index_check_filed(e) ? USHER_OK : USHER_ECORRUPT;
}
