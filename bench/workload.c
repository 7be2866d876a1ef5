/* The seeded contact-center model and the usher engine built from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

static void sort_skills(uint16_t *skill, uint8_t *level, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        uint16_t s = skill[i];
        uint8_t l = level[i];
        unsigned j = i;
        for (; j > 0 && skill[j - 1] > s; j--) {
            skill[j] = skill[j - 1];
            level[j] = level[j - 1];
        }
        skill[j] = s;
        level[j] = l;
    }
}

static bool same_set(const wl_set *a, const wl_set *b)
{
    if (a->channel != b->channel || a->nreq != b->nreq)
        return false;
    for (unsigned i = 0; i < a->nreq; i++)
        if (a->skill[i] != b->skill[i] || a->level[i] != b->level[i])
            return false;
    return true;
}

/* Open-addressing set of requirement sets, to keep them distinct. */
static uint64_t set_hash(const wl_set *s)
{
    uint64_t h = s->channel * UINT64_C(1000003) + s->nreq;
    for (unsigned i = 0; i < s->nreq; i++)
        h = h * UINT64_C(0x100000001b3) ^ ((uint64_t)s->skill[i] << 8 | s->level[i]);
    h ^= h >> 29;
    return h * UINT64_C(0xbf58476d1ce4e5b9);
}

workload *workload_new(const bench_opts *o)
{
    workload *w = xcalloc(1, sizeof *w);
    w->agents = o->agents;
    w->skills = o->skills;
    w->agent_skills = o->agent_skills < o->skills ? o->agent_skills : o->skills;
    w->sets = o->sets;
    w->agent = xcalloc(w->agents, sizeof *w->agent);
    w->set = xcalloc(w->sets, sizeof *w->set);
    uint64_t rng = o->seed ^ UINT64_C(0x5eed0f0a6e475);

    uint16_t *pool = xmalloc(w->skills * sizeof *pool);
    uint32_t voice_agents = 0;
    for (uint32_t a = 0; a < w->agents; a++) {
        wl_agent *ag = &w->agent[a];
        ag->voice = a % 4 == 0;
        voice_agents += ag->voice;
        for (uint32_t k = 0; k < w->skills; k++)
            pool[k] = (uint16_t)k;
        ag->nskills = (uint8_t)w->agent_skills;
        for (unsigned i = 0; i < ag->nskills; i++) { /* partial Fisher-Yates */
            uint32_t j = i + (uint32_t)rng_below(&rng, w->skills - i);
            uint16_t t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
            ag->skill[i] = pool[i];
            ag->level[i] = (uint8_t)(1 + rng_below(&rng, 10));
        }
        sort_skills(ag->skill, ag->level, ag->nskills);
    }
    free(pool);

    size_t table_size = 16;
    while (table_size < 2 * (size_t)w->sets)
        table_size *= 2;
    uint32_t *table = xcalloc(table_size, sizeof *table); /* set index + 1 */
    uint64_t attempts = 0, max_attempts = 1000 + 200 * (uint64_t)w->sets;
    for (uint32_t s = 0; s < w->sets;) {
        if (++attempts > max_attempts) {
            fprintf(stderr,
                    "usher-bench: %u skills (%u per agent) cannot make %u distinct requirement "
                    "sets\n",
                    w->skills, w->agent_skills, w->sets);
            free(table);
            workload_free(w);
            return NULL;
        }
        wl_set set = {0};
        set.channel = (uint8_t)(s % WL_CHANNELS);
        bool voice = set.channel == WL_VOICE;
        uint32_t group = voice ? voice_agents : w->agents - voice_agents;
        if (group == 0)
            group = w->agents; /* a tiny run: fewer than 2 agents */
        /* The k-th agent of the group. */
        uint32_t k = (uint32_t)rng_below(&rng, group), a = 0;
        if (group == w->agents)
            a = k;
        else if (voice)
            a = 4 * k;
        else
            a = k + k / 3 + 1;
        const wl_agent *ag = &w->agent[a];
        set.nreq = (uint8_t)(ag->nskills >= 2 ? 1 + rng_below(&rng, 2) : 1);
        unsigned first = (unsigned)rng_below(&rng, ag->nskills);
        unsigned second = (first + 1 + (unsigned)rng_below(&rng, ag->nskills - 1u + (ag->nskills == 1)))
                          % ag->nskills;
        unsigned pick[2] = {first, second};
        for (unsigned i = 0; i < set.nreq; i++) {
            unsigned cap = ag->level[pick[i]] < 5 ? ag->level[pick[i]] : 5;
            set.skill[i] = ag->skill[pick[i]];
            set.level[i] = (uint8_t)(1 + rng_below(&rng, cap));
        }
        sort_skills(set.skill, set.level, set.nreq);
        size_t h = set_hash(&set) & (table_size - 1);
        bool dup = false;
        while (table[h]) {
            if (same_set(&w->set[table[h] - 1], &set)) {
                dup = true;
                break;
            }
            h = (h + 1) & (table_size - 1);
        }
        if (dup)
            continue;
        table[h] = s + 1;
        w->set[s++] = set;
    }
    free(table);

    for (unsigned c = 0; c < WL_CHANNELS; c++)
        w->by_channel[c] = xmalloc(((size_t)w->sets / WL_CHANNELS + 1) * sizeof(uint32_t));
    for (uint32_t s = 0; s < w->sets; s++) {
        unsigned c = w->set[s].channel;
        w->by_channel[c][w->channel_sets[c]++] = s;
    }
    uint32_t sample = w->agents < 1000 ? w->agents : 1000;
    uint64_t members = 0;
    for (uint32_t a = 0; a < sample; a++)
        for (uint32_t s = 0; s < w->sets; s++)
            members += wl_qualifies(w, a, s);
    w->sets_per_agent = (double)members / sample;
    return w;
}

void workload_free(workload *w)
{
    if (!w)
        return;
    for (unsigned c = 0; c < WL_CHANNELS; c++)
        free(w->by_channel[c]);
    free(w->agent);
    free(w->set);
    free(w);
}

bool wl_qualifies(const workload *w, uint32_t a, uint32_t s)
{
    const wl_agent *ag = &w->agent[a];
    const wl_set *set = &w->set[s];
    unsigned j = 0;
    for (unsigned i = 0; i < set->nreq; i++) {
        while (j < ag->nskills && ag->skill[j] < set->skill[i])
            j++;
        if (j == ag->nskills || ag->skill[j] != set->skill[i] || ag->level[j] < set->level[i])
            return false;
    }
    return true;
}

void wl_ticket(const workload *w, uint64_t *rng, uint32_t channel, uint32_t *set,
               uint32_t *priority)
{
    if (channel >= WL_CHANNELS || w->channel_sets[channel] == 0)
        *set = (uint32_t)rng_below(rng, w->sets);
    else
        *set = w->by_channel[channel][rng_below(rng, w->channel_sets[channel])];
    uint64_t r = rng_below(rng, 100);
    *priority = r < 80 ? 0 : 1 + (uint32_t)(r % 5);
}

/* ---- the usher engine ---------------------------------------------------------------- */

static const uint32_t queue_strategy[WL_CHANNELS] = {
    USHER_STRATEGY_LONGEST_IDLE, USHER_STRATEGY_MOST_FREE, USHER_STRATEGY_FEWEST_ASSIGNMENTS};

usher_engine *wl_engine_new(const workload *w, const usher_allocator *alloc, uint64_t seed)
{
    usher_config config;
    usher_config_init(&config);
    config.seed = seed;
    config.start_ms = WL_EPOCH_MS;
    config.allocator = alloc;
    usher_engine *e;
    CHECK(usher_engine_new(&config, &e));

    static const uint32_t limit[WL_CHANNELS] = {1, 3, 5};
    for (uint32_t c = 0; c < WL_CHANNELS; c++) {
        usher_channel_def def;
        usher_channel_def_init(&def);
        def.flags = c == WL_VOICE ? USHER_CHANNEL_EXCLUSIVE : 0;
        def.cost = 1;
        def.max_per_agent = limit[c];
        CHECK(usher_channel_add(e, c, &def));
    }
    for (uint32_t k = 0; k < w->skills; k++) {
        char name[24];
        uint32_t id;
        snprintf(name, sizeof name, "skill-%u", k);
        CHECK(usher_skill_intern(e, name, &id));
        if (id != k)
            bench_fail("skill %u interned as %u", k, id);
    }
    for (uint32_t c = 0; c < WL_CHANNELS; c++) {
        usher_queue_def def;
        usher_queue_def_init(&def);
        def.strategy = queue_strategy[c];
        def.ageing_rate = 1000;
        CHECK(usher_queue_add(e, c + 1, &def));
    }
    /* Build every signature now: a set's first ticket would otherwise pay
     * for it (O(agents)) inside the timed run. */
    for (uint32_t s = 0; s < w->sets; s++) {
        uint64_t id = UINT64_MAX - s;
        CHECK(wl_engine_submit(w, e, id, s, 0));
        CHECK(usher_ticket_complete(e, id, 0));
    }
    return e;
}

void wl_engine_add_agents(const workload *w, usher_engine *e)
{
    for (uint32_t a = 0; a < w->agents; a++) {
        const wl_agent *ag = &w->agent[a];
        uint64_t id = (uint64_t)a + 1;
        CHECK(usher_agent_add(e, id, WL_CAPACITY));
        usher_skill_level skills[WL_MAX_AGENT_SKILLS];
        for (unsigned i = 0; i < ag->nskills; i++)
            skills[i] = (usher_skill_level){ag->skill[i], ag->level[i]};
        CHECK(usher_agent_set_skills(e, id, skills, ag->nskills));
        for (uint32_t c = 0; c < WL_CHANNELS; c++)
            if (!wl_works(w, a, c))
                CHECK(usher_agent_set_channel_limit(e, id, c, 0));
        CHECK(usher_agent_set_state(e, id, USHER_AGENT_AVAILABLE, 0));
    }
}

usher_status wl_engine_submit(const workload *w, usher_engine *e, uint64_t id, uint32_t set,
                              uint32_t priority)
{
    const wl_set *s = &w->set[set];
    usher_skill_level req[WL_MAX_REQS];
    for (unsigned i = 0; i < s->nreq; i++)
        req[i] = (usher_skill_level){s->skill[i], s->level[i]};
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = s->channel + 1u;
    spec.channel = s->channel;
    spec.priority = priority;
    spec.required_count = s->nreq;
    spec.required = req;
    return usher_ticket_submit(e, id, &spec);
}

/* ---- assigned tickets ---------------------------------------------------------------- */

void assigned_init(assigned_set *s, uint64_t max_id)
{
    s->max_id = max_id;
    s->ids = xmalloc((size_t)(max_id + 1) * sizeof *s->ids);
    s->pos = xcalloc((size_t)max_id + 1, sizeof *s->pos);
    s->count = 0;
}

void assigned_free(assigned_set *s)
{
    free(s->ids);
    free(s->pos);
}

void assigned_add(assigned_set *s, uint64_t id)
{
    if (id > s->max_id)
        return; /* the signature-building tickets */
    s->ids[s->count++] = id;
    s->pos[id] = (uint32_t)s->count;
}

void assigned_remove(assigned_set *s, uint64_t id)
{
    uint32_t p = s->pos[id];
    if (!p)
        bench_fail("ticket %llu is not assigned", (unsigned long long)id);
    uint64_t last = s->ids[--s->count];
    s->ids[p - 1] = last;
    s->pos[last] = p;
    s->pos[id] = 0;
}

uint64_t assigned_pick(const assigned_set *s, uint64_t *rng)
{
    return s->ids[rng_below(rng, s->count)];
}
