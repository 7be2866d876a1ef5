/* Snapshots and restore (lib/snapshot.c, lib/restore*.c, docs/SNAPSHOT.md).
 *
 * The centre is a deterministic continuation test: a seeded random scenario
 * of SCENARIO_OPS calls (agents and their presence, skills, capacity, load
 * caps, cool-downs and idle timeouts; channels; queues of every strategy,
 * offer mode, widening steps, repeat contacts and sticky agents, deadline
 * order; tickets submitted, changed, transferred, cancelled, completed;
 * offers accepted and rejected, also from inside event callbacks; host
 * reservations and host timers; SLA policies, rules and clocks over
 * business-hours calendars with real time zones; the scoring hook; matches
 * left pending as after an allocation failure; clock jumps) runs twice:
 * straight through, and with the engine snapshotted, freed and restored
 * into a fresh engine (with another hash seed) at several points. Every
 * event (all its fields) and every call's status and outputs go into a
 * running hash per operation; the two runs must agree operation for
 * operation, and their final snapshots byte for byte. Along the way every
 * few hundred operations snapshot -> restore -> snapshot must give the
 * same bytes.
 *
 * Then the input checks: every truncation of a snapshot, every single-bit
 * flip, wrong magic, version, flags, length and checksum, content changed
 * under a valid checksum (accepted only if it is a valid state, which then
 * snapshots back to the same bytes), inconsistent states (work and tickets
 * that disagree, capacity exceeded, ...), and allocation failures at every
 * point of a restore and of a streamed snapshot, none leaking.
 *
 * USHER_SNAPSHOT_SEED=<n> runs one scenario seed; USHER_SNAPSHOT_OPS=<n>
 * sets its length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <xxhash.h>

#include "engine.h"
#include "snapshot.h"
#include "testutil.h"

/* 10^5 operations in all, also under the sanitizers (about 10 s there). */
#define SCENARIO_OPS 100000
#define SCENARIO_SEEDS 2 /* SCENARIO_OPS operations in all, split between them */
#define RESTORE_EVERY 700 /* operations between restores */
#define ROUND_TRIP_EVERY 250

#define OK(x) assert_int_equal((x), USHER_OK)
#define ST(x, want) assert_int_equal((x), (want))

/* ---- buffers ------------------------------------------------------------------ */

typedef struct bytes {
    uint8_t *data;
    size_t size, capacity;
} bytes;

static void bytes_free(bytes *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static usher_status bytes_append(void *user, const void *data, size_t size)
{
    bytes *b = user;
    if (b->size + size > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->size + size)
            capacity *= 2;
        b->data = realloc(b->data, capacity);
        assert_non_null(b->data);
        b->capacity = capacity;
    }
    memcpy(b->data + b->size, data, size);
    b->size += size;
    return USHER_OK;
}

/* A snapshot through usher_snapshot(): the size query, then the buffer. */
static bytes snapshot_of(const usher_engine *e)
{
    bytes b = {0};
    size_t size = 0;
    ST(usher_snapshot(e, NULL, 0, &size), USHER_ELIMIT);
    assert_true(size > 0);
    b.data = malloc(size);
    assert_non_null(b.data);
    b.capacity = size;
    size_t written = 0;
    OK(usher_snapshot(e, b.data, size, &written));
    assert_int_equal(written, size);
    b.size = size;
    return b;
}

/* The same through usher_snapshot_write(). */
static bytes streamed_snapshot_of(usher_engine *e)
{
    bytes b = {0};
    OK(usher_snapshot_write(e, bytes_append, &b));
    return b;
}

static void assert_same_bytes(const bytes *a, const bytes *b)
{
    assert_int_equal(a->size, b->size);
    if (memcmp(a->data, b->data, a->size) != 0) {
        size_t i = 0;
        while (a->data[i] == b->data[i])
            i++;
        fail_msg("snapshots differ first at byte %zu of %zu", i, a->size);
    }
}

/* Rewrites the checksum after the content was changed on purpose. */
static void reseal(bytes *b)
{
    uint64_t sum = XXH3_64bits(b->data, b->size - 8);
    for (int i = 0; i < 8; i++)
        b->data[b->size - 8 + i] = (uint8_t)(sum >> (8 * i));
}

static usher_engine *restored(const bytes *b, uint64_t seed)
{
    usher_config config;
    usher_config_init(&config);
    config.seed = seed;
    usher_engine *e = NULL;
    OK(usher_restore(&config, b->data, b->size, &e));
    return e;
}

/* ---- the scenario ------------------------------------------------------------------ */

#define NAG 24     /* agent ids 1 .. NAG */
#define NSK 6      /* skills */
#define NTK 160    /* routed ticket ids 1 .. NTK */
#define NHOSTT 16  /* host reservations: ids 5001 .. */
#define NTIMER 8   /* host timers */
#define NCUST 12   /* customers */
#define NPOL 6     /* SLA policy ids 1 .. NPOL */
#define HOST_TICKET(i) (5001 + (uint64_t)(i))

typedef struct world {
    usher_engine *e;
    test_allocator ta;
    uint64_t rng, now, seed;
    long op, ops;
    uint64_t trace;     /* running hash of everything observed */
    uint64_t *hashes;   /* the trace after each operation */
    uint64_t tokens[NTK + 1]; /* the last offer token seen per ticket */
    uint64_t offered[16];     /* the tickets of the last offers seen, a ring */
    unsigned offered_next;
    uint64_t assigned[16], busy[16]; /* the last assignments seen: tickets, agents */
    unsigned assigned_next;
    uint32_t skills[NSK];
    uint8_t zone_berlin[8192], zone_york[8192];
    size_t berlin_size, york_size;
    int hook_on;
    uint32_t hook_candidates;
    int in_callback;
    long trace_from; /* USHER_SNAPSHOT_TRACE: print what is observed from this operation on */
    const char *name;
    long events, restores, round_trips;
} world;

static uint64_t rnd(world *w, uint64_t n) { return test_rand_below(&w->rng, n); }
static int chance(world *w, unsigned percent) { return rnd(w, 100) < percent; }

static void note(world *w, const void *data, size_t size)
{
    w->trace = XXH3_64bits_withSeed(data, size, w->trace);
}

static void note_u64(world *w, uint64_t v) { note(w, &v, sizeof v); }

static void note_status(world *w, int op, usher_status st)
{
    if (w->trace_from >= 0 && w->op >= w->trace_from)
        fprintf(stderr, "%s op %ld: call %d -> %s\n", w->name, w->op, op, usher_status_name(st));
    note_u64(w, (uint64_t)op << 32 | (uint32_t)st);
}

static void answer_offer(world *w, uint64_t ticket, int accept);

static void on_event(void *user, const usher_event *ev)
{
    world *w = user;
    if (w->trace_from >= 0 && w->op >= w->trace_from)
        fprintf(stderr,
                "%s op %ld: event %llu type %d time %llu ticket %llu agent %llu timer %llu "
                "token %llu value %lld reason %d detail %u due %llu\n",
                w->name, w->op, (unsigned long long)ev->seq, ev->type,
                (unsigned long long)ev->time_ms, (unsigned long long)ev->ticket_id,
                (unsigned long long)ev->agent_id, (unsigned long long)ev->timer_id,
                (unsigned long long)ev->offer_token, (long long)ev->value, ev->reason, ev->detail,
                (unsigned long long)ev->due_ms);
    note(w, ev, sizeof *ev);
    w->events++;
    if (ev->type == USHER_EVENT_TICKET_ASSIGNED) {
        w->busy[w->assigned_next % 16] = ev->agent_id;
        w->assigned[w->assigned_next++ % 16] = ev->ticket_id;
    }
    if (ev->type == USHER_EVENT_TICKET_OFFERED && ev->ticket_id >= 1 && ev->ticket_id <= NTK) {
        w->tokens[ev->ticket_id] = ev->offer_token;
        w->offered[w->offered_next++ % 16] = ev->ticket_id;
        /* Sometimes answered at once, from inside the callback. */
        if (!w->in_callback && chance(w, 15)) {
            w->in_callback = 1;
            answer_offer(w, ev->ticket_id, chance(w, 60));
            w->in_callback = 0;
        }
    }
}

static int64_t score_hook(void *user, uint64_t ticket, uint64_t agent, int64_t score)
{
    (void)user;
    /* Deterministic, and it reorders: favours some agents per ticket. */
    return score / 2 + (int64_t)((ticket * 31 + agent * 17) % 7) * 1000;
}

static void attach(world *w)
{
    OK(usher_set_event_handler(w->e, on_event, w));
    OK(usher_set_score_hook(w->e, w->hook_on ? score_hook : NULL, NULL, w->hook_candidates));
}

static void read_zone(const char *name, uint8_t *buf, size_t room, size_t *size)
{
    char path[256];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    *size = fread(buf, 1, room, f);
    fclose(f);
    assert_true(*size > 0 && *size < room);
}

/* ---- setup: channels, skills, calendars, SLA policies, queues --------------------------- */

static void add_channels(world *w)
{
    usher_channel_def d;
    usher_channel_def_init(&d); /* voice: one at a time, a wrap-up that blocks */
    d.flags = USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_WRAPUP_BLOCKS_AGENT;
    d.max_per_agent = 1;
    d.wrapup_ms = 8000;
    OK(usher_channel_add(w->e, 0, &d));
    usher_channel_def_init(&d); /* chat */
    d.max_per_agent = 3;
    d.wrapup_ms = 2500;
    OK(usher_channel_add(w->e, 1, &d));
    usher_channel_def_init(&d); /* e-mail */
    d.max_per_agent = 5;
    d.wrapup_ms = 1500;
    OK(usher_channel_add(w->e, 2, &d));
}

static void add_calendars(world *w)
{
    OK(usher_calendar_add_tzif(w->e, 1, w->zone_berlin, w->berlin_size));
    OK(usher_calendar_add_tzif(w->e, 2, w->zone_york, w->york_size));
    usher_open_hours week[5];
    for (uint32_t d = 0; d < 5; d++)
        week[d] = (usher_open_hours){d + 1, 8 * 60, 18 * 60};
    OK(usher_calendar_set_hours(w->e, 1, week, 5));
    usher_open_hours nights[2] = {{1, 20 * 60, 30 * 60}, {6, 22 * 60, 26 * 60}};
    OK(usher_calendar_set_hours(w->e, 2, nights, 2));
    OK(usher_calendar_add_holiday(w->e, 1, 1970, 1, 6, 0, 1440));
    OK(usher_calendar_add_holiday(w->e, 1, 1970, 1, 8, 600, 720));
}

static void add_policy(world *w, uint32_t id)
{
    usher_sla_policy_def d;
    usher_sla_policy_def_init(&d);
    d.target_mask = 0xf;
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        d.target_ms[t] = 20000 + 15000 * (uint64_t)((id + t) % 5);
    d.warning_count = 1 + id % 3;
    for (uint32_t k = 0; k < d.warning_count; k++)
        d.warning_permille[k] = 300 + 200 * k;
    d.pause_mask = id % 2 ? 0x9 : 0x4;
    if (id % 3 == 1) {
        d.calendar = 1 + id % 2;
        d.business_mask = 0x9;
        d.flags = id % 2 ? USHER_SLA_HOLD_EVENTS : 0;
    }
    OK(usher_sla_policy_add(w->e, id, &d));
}

static void set_rules(world *w, int variant)
{
    usher_sla_rule rules[3] = {
        {0, USHER_SLA_ANY, USHER_SLA_ANY, 0, 1000, 1 + (uint32_t)variant % NPOL},
        {USHER_SLA_ANY, 30, USHER_SLA_ANY, 0, 1000, 2 + (uint32_t)variant % 3},
        {USHER_SLA_ANY, USHER_SLA_ANY, 2, 100, 900, 4},
    };
    note_status(w, 90, usher_sla_set_rules(w->e, rules, (size_t)variant % 4, 1 + variant % 2));
}

static const usher_widen_step q10_steps[] = {
    {30000, USHER_WIDEN_LOWER_LEVEL, 0, 1, 0},
    {60000, USHER_WIDEN_OVERFLOW_GROUP, 5, 0, 0},
    {90000, USHER_WIDEN_RAISE_PRIORITY, 0, 100, 0},
    {120000, USHER_WIDEN_MOVE_QUEUE, 0, 40, 0},
};

static void add_queue(world *w, uint32_t id, uint32_t strategy)
{
    usher_queue_def d;
    usher_queue_def_init(&d);
    d.strategy = strategy;
    d.tier_weight[2] = 50;
    d.tier_weight[3] = 200;
    switch (id) {
    case 10:
        d.repeat_threshold = 3;
        d.repeat_window_ms = 3600000;
        d.repeat_flags = USHER_REPEAT_RAISE_TIER;
        d.repeat_tier = 3;
        d.sticky_ms = 30000;
        break;
    case 20:
        d.assign_mode = USHER_ASSIGN_OFFER;
        d.offer_timeout_ms = 15000;
        d.reject_cooldown_ms = 20000;
        d.max_missed_offers = 2;
        d.sl_window_ms = 60000;
        break;
    case 30:
        d.order = USHER_ORDER_SLA_DEADLINE;
        d.ageing_rate = 0;
        break;
    case 40:
        d.assign_mode = USHER_ASSIGN_OFFER;
        d.offer_timeout_ms = 9000;
        d.reject_cooldown_ms = 0;
        d.repeat_threshold = 2;
        d.repeat_window_ms = 600000;
        d.repeat_flags = USHER_REPEAT_MOVE_QUEUE;
        d.repeat_queue = 10;
        break;
    default:
        d.ageing_rate = 5000;
        break;
    }
    note_status(w, 91, usher_queue_add(w->e, id, &d));
}

static void setup(world *w)
{
    add_channels(w);
    static const char *names[NSK] = {"billing", "tech", "sales", "german", "vip", "backup"};
    for (int i = 0; i < NSK; i++)
        OK(usher_skill_intern(w->e, names[i], &w->skills[i]));
    add_calendars(w);
    for (uint32_t p = 1; p <= NPOL; p++)
        add_policy(w, p);
    set_rules(w, 1);
    static const uint32_t other[] = {USHER_STRATEGY_MOST_FREE, USHER_STRATEGY_BEST_SKILL,
                                     USHER_STRATEGY_FEWEST_ASSIGNMENTS, USHER_STRATEGY_RANDOM};
    add_queue(w, 40, USHER_STRATEGY_ROUND_ROBIN);
    add_queue(w, 10, USHER_STRATEGY_LONGEST_IDLE);
    add_queue(w, 20, other[w->seed % 4]);
    add_queue(w, 30, other[(w->seed + 2) % 4]);
    OK(usher_queue_set_widening(w->e, 10, q10_steps, 4));
    usher_widen_step drop = {20000, USHER_WIDEN_DROP_PREFERRED, 1, 0, 0};
    OK(usher_queue_set_widening(w->e, 20, &drop, 1));
}

/* ---- the operations ---------------------------------------------------------------------- */

static uint64_t any_agent(world *w) { return 1 + rnd(w, NAG + 1); /* NAG + 1: unknown */ }
static uint64_t any_ticket(world *w) { return 1 + rnd(w, NTK); }

static void answer_offer(world *w, uint64_t ticket, int accept)
{
    uint64_t token = w->tokens[ticket] + (chance(w, 5) ? 1 : 0); /* now and then a wrong one */
    usher_status st = accept ? usher_offer_accept(w->e, ticket, token)
                             : usher_offer_reject(w->e, ticket, token);
    note_status(w, accept ? 1 : 2, st);
}

static void op_agent_presence(world *w)
{
    uint64_t a = any_agent(w);
    switch (rnd(w, 8)) {
    case 0:
        note_status(w, 10, usher_agent_add(w->e, a, 1 + (uint32_t)rnd(w, 8)));
        if (a % 3 == 0) { /* a third of the agents work under a rolling-window cap */
            uint32_t max = 1 + (uint32_t)rnd(w, 3);
            note_status(w, 16, usher_agent_set_load_cap(w->e, a, max, 4000 + rnd(w, 20000)));
        }
        if (a % 5 == 1) { /* some take no work for now: their idle timeouts run */
            for (uint32_t c = 0; c < 3; c++)
                note_status(w, 17, usher_agent_set_channel_limit(w->e, a, c, 0));
            note_status(w, 18, usher_agent_set_idle_timeout(w->e, a, 5000 + rnd(w, 20000)));
        }
        break;
    case 1:
        if (chance(w, 30))
            note_status(w, 11, usher_agent_remove(w->e, a));
        break;
    case 2:
    case 3:
    case 4:
    case 5:
        note_status(w, 12, usher_agent_set_state(w->e, a, USHER_AGENT_AVAILABLE, 0));
        break;
    case 6:
        if (chance(w, 50))
            note_status(w, 13, usher_agent_set_state(w->e, a, USHER_AGENT_AWAY, (int32_t)rnd(w, 3)));
        else
            note_status(w, 14, usher_agent_set_state(w->e, a, USHER_AGENT_OFFLINE, 0));
        break;
    default:
        note_status(w, 15, usher_agent_activity(w->e, a));
        break;
    }
}

static void op_agent_settings(world *w)
{
    uint64_t a = any_agent(w);
    switch (rnd(w, 10)) {
    case 0: {
        usher_skill_level s[3];
        size_t n = rnd(w, 4);
        for (size_t i = 0; i < n; i++) {
            s[i].skill = w->skills[(i * 2 + rnd(w, 2)) % NSK];
            s[i].level = 1 + (uint32_t)rnd(w, 10);
        }
        note_status(w, 20, usher_agent_set_skills(w->e, a, s, n));
        break;
    }
    case 1:
    case 2: {
        uint32_t skill = w->skills[rnd(w, NSK)];
        note_status(w, 21, usher_agent_set_skill(w->e, a, skill, 1 + (uint32_t)rnd(w, 10)));
        break;
    }
    case 3:
        note_status(w, 22, usher_agent_drop_skill(w->e, a, w->skills[rnd(w, NSK)]));
        break;
    case 4:
        note_status(w, 23, usher_agent_set_capacity(w->e, a, 1 + (uint32_t)rnd(w, 8)));
        break;
    case 5: {
        uint32_t channel = (uint32_t)rnd(w, 3);
        uint32_t limit = chance(w, 30) ? USHER_LIMIT_DEFAULT : (uint32_t)rnd(w, 4);
        note_status(w, 24, usher_agent_set_channel_limit(w->e, a, channel, limit));
        break;
    }
    case 6: {
        uint32_t max = (uint32_t)rnd(w, 4);
        note_status(w, 25, usher_agent_set_load_cap(w->e, a, max, max ? 5000 + rnd(w, 60000) : 0));
        break;
    }
    case 7:
        note_status(w, 26, usher_agent_set_cooldown(w->e, a, rnd(w, 3) * 4000));
        break;
    case 8:
        note_status(w, 27, usher_agent_set_idle_timeout(w->e, a, rnd(w, 3) * 15000));
        break;
    default:
        note_status(w, 27, usher_agent_set_idle_timeout(w->e, a, rnd(w, 3) * 15000));
        break;
    }
}

static void op_submit(world *w)
{
    usher_ticket_spec s;
    usher_ticket_spec_init(&s);
    static const uint32_t queues[] = {10, 20, 30, 40, 50};
    s.queue = queues[rnd(w, 5)];
    s.channel = (uint32_t)rnd(w, 3);
    s.priority = chance(w, 70) ? 0 : (uint32_t)rnd(w, 1001);
    s.tier = (uint32_t)rnd(w, 4);
    usher_skill_level req[2], pref[2];
    s.required_count = (uint32_t)rnd(w, 3);
    uint32_t first = (uint32_t)rnd(w, 3);
    for (uint32_t i = 0; i < s.required_count; i++)
        req[i] = (usher_skill_level){w->skills[first + i], 1 + 2 * (uint32_t)rnd(w, 3)};
    s.required = req;
    if (chance(w, 40)) {
        s.preferred_count = 1;
        pref[0].skill = w->skills[3 + rnd(w, 2)];
        pref[0].level = 1 + 49 * (uint32_t)rnd(w, 3);
        s.preferred = pref;
    }
    s.customer_id = chance(w, 60) ? 1 + rnd(w, NCUST) : 0;
    if (chance(w, 20))
        s.created_ms = w->now - rnd(w, w->now < 90000 ? w->now + 1 : 90000);
    if (chance(w, 20)) { /* mostly a busy agent: the ticket waits for them */
        s.preferred_agent_id = chance(w, 70) ? w->busy[rnd(w, 16)] : any_agent(w);
        s.preferred_wait_ms = rnd(w, 40000);
    }
    uint64_t id = any_ticket(w);
    note_status(w, 30, usher_ticket_submit(w->e, id, &s));
    if (chance(w, 50)) {
        usher_sla_spec sla;
        usher_sla_spec_init(&sla);
        sla.channel = s.channel;
        sla.queue = s.queue;
        sla.tier = s.tier;
        sla.priority = s.priority;
        note_status(w, 31, usher_sla_start(w->e, id, &sla));
    }
}

static void op_ticket_change(world *w)
{
    uint64_t t = chance(w, 40) ? w->assigned[rnd(w, 16)] : any_ticket(w);
    switch (rnd(w, 12)) {
    case 0:
        note_status(w, 40, usher_ticket_set_priority(w->e, t, (uint32_t)rnd(w, 1001)));
        break;
    case 1:
        note_status(w, 41, usher_ticket_set_tier(w->e, t, (uint32_t)rnd(w, 4)));
        break;
    case 2: {
        uint32_t skill = w->skills[rnd(w, 3)];
        note_status(w, 42, usher_ticket_require(w->e, t, skill, 1 + 2 * (uint32_t)rnd(w, 3)));
        break;
    }
    case 3:
        note_status(w, 43, usher_ticket_drop_requirement(w->e, t, w->skills[rnd(w, 3)]));
        break;
    case 4:
        note_status(w, 44, usher_ticket_transfer(w->e, t, 10 + 10 * (uint32_t)rnd(w, 5)));
        break;
    case 5:
    case 6:
    case 7:
        note_status(w, 45, usher_ticket_cancel(w->e, t));
        break;
    default:
        note_status(w, 46, usher_ticket_complete(w->e, t, chance(w, 20) ? USHER_RELEASE_NO_WRAPUP
                                                                        : (uint32_t)rnd(w, 2)));
        break;
    }
}

static void op_host_work(world *w)
{
    uint64_t t = HOST_TICKET(rnd(w, NHOSTT));
    switch (rnd(w, 3)) {
    case 0: {
        uint64_t agent = any_agent(w);
        note_status(w, 50, usher_capacity_reserve(w->e, agent, t, (uint32_t)rnd(w, 3)));
        break;
    }
    case 1:
        note_status(w, 51, usher_capacity_release(w->e, t, (uint32_t)rnd(w, 4)));
        break;
    default: {
        uint64_t agent = 0;
        uint32_t channel = 0;
        note_status(w, 52, usher_capacity_holder(w->e, t, &agent, &channel));
        note_u64(w, agent << 8 | channel);
        break;
    }
    }
}

static void op_sla(world *w)
{
    uint64_t t = chance(w, 80) ? any_ticket(w) : 900 + rnd(w, 10);
    switch (rnd(w, 8)) {
    case 0: {
        usher_sla_spec s;
        usher_sla_spec_init(&s);
        s.channel = (uint32_t)rnd(w, 3);
        s.queue = 10 * (1 + (uint32_t)rnd(w, 4));
        s.tier = (uint32_t)rnd(w, 4);
        s.priority = (uint32_t)rnd(w, 1001);
        if (chance(w, 30))
            s.created_ms = w->now - rnd(w, w->now + 1);
        note_status(w, 60, chance(w, 50) ? usher_sla_start(w->e, t, &s)
                                         : usher_sla_update(w->e, t, &s));
        break;
    }
    case 1:
        note_status(w, 61, usher_sla_forget(w->e, t));
        break;
    case 2:
        set_rules(w, (int)rnd(w, 8));
        break;
    default:
        note_status(w, 62, usher_sla_report(w->e, t, 1 + (uint32_t)rnd(w, 6)));
        break;
    }
}

static void op_configuration(world *w)
{
    switch (rnd(w, 9)) {
    case 0: { /* a fifth queue comes and goes, with steps set while empty */
        if (chance(w, 50)) {
            add_queue(w, 50, (uint32_t)rnd(w, 6));
            usher_widen_step step = {rnd(w, 50000), USHER_WIDEN_MOVE_QUEUE, 0, 30, 0};
            note_status(w, 92, usher_queue_set_widening(w->e, 50, &step, 1));
        } else {
            note_status(w, 93, usher_queue_remove(w->e, 50));
        }
        break;
    }
    case 1: {
        usher_channel_def d;
        usher_channel_def_init(&d); /* video: exclusive, interrupts, costs 2 */
        d.flags = USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_INTERRUPTS;
        d.cost = 2;
        note_status(w, 94, chance(w, 50) ? usher_channel_add(w->e, 3, &d)
                                         : usher_channel_remove(w->e, 3));
        break;
    }
    case 2: {
        uint32_t calendar = 1 + (uint32_t)rnd(w, 2), day = 1 + (uint32_t)rnd(w, 28);
        uint32_t from = (uint32_t)rnd(w, 700), to = 720 + (uint32_t)rnd(w, 720);
        note_status(w, 95, usher_calendar_add_holiday(w->e, calendar, 1970, 1, day, from, to));
        break;
    }
    case 3:
        note_status(w, 96, chance(w, 50) ? usher_calendar_add(w->e, 3, "Asia/Kolkata")
                                         : usher_calendar_remove(w->e, 3));
        break;
    case 4:
        if (chance(w, 20))
            note_status(w, 97, usher_queue_reset_stats(w->e, 10 * (1 + (uint32_t)rnd(w, 4))));
        break;
    case 5:
        note_status(w, 98, usher_agents_new_day(w->e));
        break;
    case 6:
        w->hook_on = !w->hook_on;
        w->hook_candidates = 1 + (uint32_t)rnd(w, 5);
        OK(usher_set_score_hook(w->e, w->hook_on ? score_hook : NULL, NULL, w->hook_candidates));
        break;
    default: {
        uint64_t id = 1 + rnd(w, NTIMER);
        if (chance(w, 70))
            note_status(w, 99, usher_timer_set(w->e, id, w->now + rnd(w, 100000)));
        else
            note_status(w, 100, usher_timer_cancel(w->e, id));
        break;
    }
    }
}

/* Matches left to the next call, as after an allocation failure in the
 * middle of routing: the marks are part of the state. */
static void op_pending_matches(world *w)
{
    usher_engine *e = w->e;
    uint32_t slot;
    if (us_agent_find(e, any_agent(w), &slot) == USHER_OK)
        us_route_mark_agent(e, slot);
    if (us_ticket_find(e, any_ticket(w), &slot) == USHER_OK &&
        us_ticket_at(e, slot)->state == USHER_TICKET_WAITING)
        us_route_mark_ticket(e, slot);
}

static void op_advance(world *w)
{
    uint64_t r = rnd(w, 100);
    uint64_t step = r < 80 ? rnd(w, 1500) : r < 99 ? rnd(w, 40000) : rnd(w, 3 * US_DAY_MS);
    w->now += step;
    note_status(w, 3, usher_advance(w->e, w->now));
}

/* ---- queries: every answer goes into the trace --------------------------------------------- */

static void query_agents(world *w)
{
    uint64_t cursor = 0, id;
    while (usher_agent_next(w->e, &cursor, &id) == USHER_OK) {
        usher_agent_info info = {.struct_size = sizeof info};
        OK(usher_agent_get(w->e, id, &info));
        note(w, &info, sizeof info);
        note_u64(w, id);
    }
    usher_agent_channel_info ch = {.struct_size = sizeof ch};
    uint64_t agent = any_agent(w);
    note_status(w, 80, usher_agent_get_channel(w->e, agent, (uint32_t)rnd(w, 3), &ch));
    note(w, &ch, sizeof ch);
}

static void query_tickets(world *w)
{
    uint64_t t = any_ticket(w), agent = 0;
    usher_ticket_info info = {.struct_size = sizeof info};
    note_status(w, 81, usher_ticket_get(w->e, t, &info));
    note(w, &info, sizeof info);
    usher_explanation x = {.struct_size = sizeof x};
    note_status(w, 82, usher_explain(w->e, t, any_agent(w), &x));
    note(w, &x, sizeof x);
    int64_t score = 0;
    note_status(w, 83, usher_ticket_candidate(w->e, t, &agent, &score));
    note_u64(w, agent ^ (uint64_t)score);
}

static void query_stats(world *w)
{
    for (uint32_t q = 10; q <= 50; q += 10) {
        usher_queue_stats s = {.struct_size = sizeof s};
        note_status(w, 84, usher_queue_get_stats(w->e, q, &s));
        note(w, &s, sizeof s);
    }
    usher_sla_target_info info = {.struct_size = sizeof info};
    uint64_t ticket = any_ticket(w);
    note_status(w, 85, usher_sla_get(w->e, ticket, (uint32_t)rnd(w, 4), &info));
    note(w, &info, sizeof info);
    usher_sla_stats s = {.struct_size = sizeof s};
    note_status(w, 86, usher_sla_policy_stats(w->e, 1 + (uint32_t)rnd(w, NPOL), &s));
    note(w, &s, sizeof s);
    note_status(w, 87, usher_sla_channel_stats(w->e, (uint32_t)rnd(w, 3), &s));
    note(w, &s, sizeof s);
    uint64_t deadline = 0, due = 0;
    OK(usher_next_deadline(w->e, &deadline));
    note_u64(w, deadline);
    note_status(w, 88, usher_timer_due(w->e, 1 + rnd(w, NTIMER), &due));
    note_u64(w, due);
    uint64_t open = 0;
    note_status(w, 89, usher_calendar_next_open(w->e, 1 + (uint32_t)rnd(w, 3), w->now, &open));
    note_u64(w, open);
}

static void one_op(world *w)
{
    uint64_t r = rnd(w, 100);
    if (r < 14)
        op_agent_presence(w);
    else if (r < 22)
        op_agent_settings(w);
    else if (r < 36)
        op_submit(w);
    else if (r < 56)
        op_ticket_change(w);
    else if (r < 63) {
        uint64_t ticket = chance(w, 90) ? w->offered[rnd(w, 16)] : any_ticket(w);
        answer_offer(w, ticket, chance(w, 70));
    }
    else if (r < 67)
        op_host_work(w);
    else if (r < 74)
        op_sla(w);
    else if (r < 77)
        op_configuration(w);
    else if (r < 78)
        op_pending_matches(w);
    else if (r < 92)
        op_advance(w);
    else if (r < 95)
        query_tickets(w);
    else if (r < 98)
        query_stats(w);
    else
        query_agents(w);
}

/* ---- the two runs ------------------------------------------------------------------------- */

static long env_long(const char *name, long fallback)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : fallback;
}

static usher_engine *new_engine(world *w)
{
    usher_config config;
    usher_config_init(&config);
    config.seed = w->seed;
    config.allocator = &w->ta.allocator;
    usher_engine *e = NULL;
    OK(usher_engine_new(&config, &e));
    return e;
}

static void world_init(world *w, uint64_t seed, long ops)
{
    memset(w, 0, sizeof *w);
    w->seed = seed;
    w->rng = seed * 0x9e3779b97f4a7c15u + 1;
    w->ops = ops;
    w->trace_from = env_long("USHER_SNAPSHOT_TRACE", -1);
    test_allocator_init(&w->ta, 0);
    read_zone("Europe/Berlin", w->zone_berlin, sizeof w->zone_berlin, &w->berlin_size);
    read_zone("America/New_York", w->zone_york, sizeof w->zone_york, &w->york_size);
    w->hashes = calloc((size_t)ops, sizeof *w->hashes);
    assert_non_null(w->hashes);
    w->e = new_engine(w);
    attach(w);
    setup(w);
}

/* Snapshot, free, restore with another hash seed (and the world's
 * allocator), check the round trip, and carry on with the new engine. */
static void switch_engine(world *w)
{
    bytes b = w->restores % 2 ? streamed_snapshot_of(w->e) : snapshot_of(w->e);
    usher_engine_free(w->e);
    w->e = NULL;
    usher_config config;
    usher_config_init(&config);
    config.seed = w->seed + 1000 + (uint64_t)w->restores;
    config.allocator = &w->ta.allocator;
    OK(usher_restore(&config, b.data, b.size, &w->e));
    bytes again = snapshot_of(w->e);
    assert_same_bytes(&b, &again);
    bytes_free(&again);
    bytes_free(&b);
    attach(w);
    w->restores++;
}

/* snapshot -> restore -> snapshot gives the same bytes (the engine goes on). */
static void check_round_trip(world *w)
{
    bytes a = snapshot_of(w->e);
    usher_engine *copy = restored(&a, w->op);
    bytes b = snapshot_of(copy);
    assert_same_bytes(&a, &b);
    usher_engine_free(copy);
    bytes_free(&a);
    bytes_free(&b);
    w->round_trips++;
}

static void run(world *w, int with_restores)
{
    long restore_every = RESTORE_EVERY;
    for (w->op = 0; w->op < w->ops; w->op++) {
        if (with_restores && w->op > 0 && w->op % restore_every == 0)
            switch_engine(w);
        if (with_restores && w->op % ROUND_TRIP_EVERY == ROUND_TRIP_EVERY - 1)
            check_round_trip(w);
        if (w->op % restore_every == restore_every - 1)
            op_pending_matches(w); /* so that each restore point has some */
        else
            one_op(w);
        w->hashes[w->op] = w->trace;
    }
}

static void compare_runs(const world *a, const world *b)
{
    for (long i = 0; i < a->ops; i++)
        if (a->hashes[i] != b->hashes[i])
            fail_msg("seed %llu: the runs part at operation %ld (the last restore was before "
                     "operation %ld)",
                     (unsigned long long)a->seed, i, i / RESTORE_EVERY * RESTORE_EVERY);
}

static void world_free(world *w)
{
    usher_engine_free(w->e);
    free(w->hashes);
    assert_int_equal(w->ta.live, 0);
}

static void test_deterministic_continuation(void **state)
{
    (void)state;
    long ops = env_long("USHER_SNAPSHOT_OPS", SCENARIO_OPS / SCENARIO_SEEDS);
    long one = env_long("USHER_SNAPSHOT_SEED", -1);
    for (uint64_t seed = 1; seed <= SCENARIO_SEEDS; seed++) {
        uint64_t s = one >= 0 ? (uint64_t)one : seed + 40;
        world *straight = malloc(sizeof *straight), *restoring = malloc(sizeof *restoring);
        assert_non_null(straight);
        assert_non_null(restoring);
        world_init(straight, s, ops);
        world_init(restoring, s, ops);
        straight->name = "straight";
        restoring->name = "restored";
        run(straight, 0);
        run(restoring, 1);
        compare_runs(straight, restoring);
        bytes a = snapshot_of(straight->e), b = snapshot_of(restoring->e);
        assert_same_bytes(&a, &b);
        print_message("seed %llu: %ld operations, %ld events, %ld restores, %ld round trips, "
                      "final snapshot %zu bytes\n",
                      (unsigned long long)s, ops, straight->events, restoring->restores,
                      restoring->round_trips, a.size);
        assert_int_equal(straight->events, restoring->events);
        bytes_free(&a);
        bytes_free(&b);
        world_free(straight);
        world_free(restoring);
        free(straight);
        free(restoring);
        if (one >= 0)
            break;
    }
}

/* ---- a compact state with something in every section ------------------------------------ */

/* A zone no system file has (UTC+1:30, daylight time +2:30 from the last
 * Sunday of March to the last Sunday of October), so a restore that gives
 * the same business hours read the zone from the snapshot. */
typedef struct zone_buf {
    uint8_t b[512];
    size_t n;
} zone_buf;

static void zput(zone_buf *z, const void *p, size_t n)
{
    memcpy(z->b + z->n, p, n);
    z->n += n;
}

static void zput32(zone_buf *z, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    zput(z, b, 4);
}

static void zheader(zone_buf *z, uint32_t timecnt, uint32_t typecnt)
{
    static const uint8_t zeros[15] = {0};
    zput(z, "TZif2", 5);
    zput(z, zeros, 15);
    uint32_t counts[6] = {0, 0, 0, timecnt, typecnt, 8};
    for (int i = 0; i < 6; i++)
        zput32(z, counts[i]);
}

static void bespoke_zone(zone_buf *z)
{
    z->n = 0;
    zheader(z, 0, 1); /* the version 1 block: one type */
    zput32(z, 0);
    zput(z, "\0\0", 2);
    zput(z, "AAA\0BBB\0", 8);
    zheader(z, 2, 2);
    const int64_t times[2] = {7 * 86400, 200 * 86400};
    for (int i = 0; i < 2; i++) {
        zput32(z, (uint32_t)((uint64_t)times[i] >> 32));
        zput32(z, (uint32_t)times[i]);
    }
    zput(z, "\1\0", 2);
    zput32(z, 5400);
    zput(z, "\0\0", 2);
    zput32(z, 9000);
    zput(z, "\1\4", 2);
    zput(z, "AAA\0BBB\0", 8);
    const char *footer = "\n<+0130>-1:30<+0230>,M3.5.0,M10.5.0/3\n";
    zput(z, footer, strlen(footer));
}

static int compact_events;
static uint64_t compact_token;

static void count_event(void *user, const usher_event *ev)
{
    (void)user;
    compact_events++;
    if (ev->type == USHER_EVENT_TICKET_OFFERED)
        compact_token = ev->offer_token;
}

static void submit(usher_engine *e, uint64_t id, uint32_t queue, uint32_t channel,
                   uint32_t skill, uint64_t customer)
{
    usher_ticket_spec s;
    usher_ticket_spec_init(&s);
    s.queue = queue;
    s.channel = channel;
    usher_skill_level req = {skill, 2};
    s.required = skill != UINT32_MAX ? &req : NULL;
    s.required_count = skill != UINT32_MAX;
    s.customer_id = customer;
    OK(usher_ticket_submit(e, id, &s));
}

/* Agents of several kinds, tickets waiting, offered, assigned and waiting
 * for a preferred agent, an exclusion, a wrap-up, customers, a host
 * reservation and timer, SLA clocks in business time, a widened ticket and
 * pending matches. */
static void build_compact(usher_engine *e)
{
    usher_set_event_handler(e, count_event, NULL);
    usher_channel_def d;
    usher_channel_def_init(&d);
    d.wrapup_ms = 5000;
    OK(usher_channel_add(e, 0, &d));
    usher_channel_def_init(&d);
    d.flags = USHER_CHANNEL_EXCLUSIVE;
    OK(usher_channel_add(e, 2, &d));
    uint32_t billing, backup;
    OK(usher_skill_intern(e, "billing", &billing));
    OK(usher_skill_intern(e, "backup", &backup));
    zone_buf z;
    bespoke_zone(&z);
    OK(usher_calendar_add_tzif(e, 9, z.b, z.n));
    usher_open_hours hours = {1, 540, 1020};
    OK(usher_calendar_set_hours(e, 9, &hours, 1));
    OK(usher_calendar_add_holiday(e, 9, 1970, 1, 12, 0, 1440));
    usher_sla_policy_def p;
    usher_sla_policy_def_init(&p);
    p.target_mask = 0x9;
    p.target_ms[0] = 60000;
    p.target_ms[3] = 7200000;
    p.business_mask = 0x8;
    p.calendar = 9;
    p.warning_count = 2;
    p.warning_permille[0] = 500;
    p.warning_permille[1] = 900;
    OK(usher_sla_policy_add(e, 1, &p));
    usher_sla_rule rule = {0, USHER_SLA_ANY, USHER_SLA_ANY, 0, 1000, 1};
    OK(usher_sla_set_rules(e, &rule, 1, 1));
    usher_queue_def q;
    usher_queue_def_init(&q);
    q.sticky_ms = 60000;
    OK(usher_queue_add(e, 1, &q));
    usher_widen_step step = {1000, USHER_WIDEN_OVERFLOW_GROUP, backup, 0, 0};
    OK(usher_queue_set_widening(e, 1, &step, 1));
    q.assign_mode = USHER_ASSIGN_OFFER;
    q.strategy = USHER_STRATEGY_RANDOM;
    OK(usher_queue_add(e, 2, &q));
    for (uint64_t a = 1; a <= 3; a++) {
        OK(usher_agent_add(e, a, 2));
        OK(usher_agent_set_skill(e, a, a == 3 ? backup : billing, 3));
    }
    OK(usher_agent_set_load_cap(e, 1, 3, 600000));
    OK(usher_agent_set_idle_timeout(e, 3, 900000));
    OK(usher_agent_set_cooldown(e, 2, 30000));
    OK(usher_advance(e, 1000));
    for (uint64_t a = 1; a <= 3; a++)
        OK(usher_agent_set_state(e, a, USHER_AGENT_AVAILABLE, 0));
    submit(e, 10, 1, 0, billing, 7); /* assigned to 1 or 2 */
    submit(e, 11, 2, 0, billing, 0); /* offered */
    OK(usher_offer_reject(e, 11, compact_token)); /* an exclusion; offered again */
    submit(e, 12, 1, 0, billing, 8);
    submit(e, 13, 1, 0, billing, 9); /* waits */
    OK(usher_ticket_complete(e, 10, USHER_RELEASE_HEAVY)); /* a wrap-up, a cool-down */
    submit(e, 14, 1, 2, UINT32_MAX, 7); /* a returning customer */
    OK(usher_capacity_reserve(e, 3, 500, 0));
    OK(usher_timer_set(e, 77, 50000));
    usher_sla_spec sla;
    usher_sla_spec_init(&sla);
    for (uint64_t t = 10; t <= 14; t++)
        OK(usher_sla_start(e, t, &sla));
    OK(usher_sla_report(e, 12, USHER_SLA_PENDING_CUSTOMER));
    OK(usher_advance(e, 2500)); /* the overflow group widens the waiting ones */
    uint32_t slot;
    OK(us_agent_find(e, 2, &slot));
    us_route_mark_agent(e, slot); /* a match left to the next call */
    usher_set_event_handler(e, NULL, NULL);
}

static bytes compact_snapshot(void)
{
    usher_engine *e;
    OK(usher_engine_new(NULL, &e));
    build_compact(e);
    bytes b = snapshot_of(e);
    usher_engine_free(e);
    return b;
}

/* Restores through a counting allocator: the status, and nothing leaked
 * when it failed. */
static usher_status restore_counted(const uint8_t *data, size_t size, long fail_at)
{
    test_allocator ta;
    test_allocator_init(&ta, fail_at);
    usher_config config;
    usher_config_init(&config);
    config.allocator = &ta.allocator;
    usher_engine *e = NULL;
    usher_status st = usher_restore(&config, data, size, &e);
    if (st == USHER_OK) {
        assert_non_null(e);
        usher_engine_free(e);
    } else {
        assert_null(e);
    }
    assert_int_equal(ta.live, 0);
    return st;
}

/* ---- round trips ----------------------------------------------------------------------- */

static void test_round_trip_compact(void **state)
{
    (void)state;
    usher_engine *e;
    OK(usher_engine_new(NULL, &e));
    bytes empty = snapshot_of(e);
    usher_engine *r = restored(&empty, 5);
    bytes again = snapshot_of(r);
    assert_same_bytes(&empty, &again);
    usher_engine_free(r);
    bytes_free(&again);
    build_compact(e);
    bytes full = snapshot_of(e), streamed = streamed_snapshot_of(e);
    assert_same_bytes(&full, &streamed);
    assert_true(full.size > empty.size);
    r = restored(&full, 6);
    again = snapshot_of(r);
    assert_same_bytes(&full, &again);
    /* The copy answers as the original does. */
    for (uint64_t t = 11; t <= 14; t++) { /* 10 was completed */
        usher_ticket_info a = {.struct_size = sizeof a}, b = {.struct_size = sizeof b};
        OK(usher_ticket_get(e, t, &a));
        OK(usher_ticket_get(r, t, &b));
        assert_memory_equal(&a, &b, sizeof a);
    }
    for (uint64_t from = 0; from < 400 * US_DAY_MS; from += 7 * US_DAY_MS + 3600001) {
        uint64_t x, y;
        OK(usher_calendar_add_business(e, 9, from, 30 * 3600000, &x));
        OK(usher_calendar_add_business(r, 9, from, 30 * 3600000, &y));
        assert_int_equal(x, y);
    }
    usher_engine_free(r);
    usher_engine_free(e);
    bytes_free(&empty);
    bytes_free(&again);
    bytes_free(&full);
    bytes_free(&streamed);
}

/* ---- corrupt input --------------------------------------------------------------------------- */

static void test_every_truncation(void **state)
{
    (void)state;
    bytes b = compact_snapshot();
    for (size_t n = 0; n < b.size; n++)
        ST(restore_counted(b.data, n, 0), USHER_ECORRUPT);
    ST(restore_counted(b.data, b.size, 0), USHER_OK);
    bytes_free(&b);
}

static void test_every_bit_flip(void **state)
{
    (void)state;
    bytes b = compact_snapshot();
    for (size_t i = 0; i < b.size; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b.data[i] ^= (uint8_t)(1u << bit);
            ST(restore_counted(b.data, b.size, 0), USHER_ECORRUPT);
            b.data[i] ^= (uint8_t)(1u << bit);
        }
    }
    bytes_free(&b);
}

static void put_le(uint8_t *at, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        at[i] = (uint8_t)(v >> (8 * i));
}

static void test_header_checked(void **state)
{
    (void)state;
    bytes b = compact_snapshot();
    bytes copy = {malloc(b.size + 16), b.size, b.size + 16};
    assert_non_null(copy.data);
    const struct {
        size_t at;
        uint64_t value;
        int n;
    } changes[] = {
        {0, 'X', 1},                 /* magic */
        {7, 'Q', 1},                 /* magic */
        {8, US_SNAP_VERSION + 1, 4}, /* a future version */
        {8, US_SNAP_VERSION - 1, 4}, /* the previous format */
        {8, 0, 4},                   /* no version */
        {12, 1, 4},                  /* flags */
        {16, 0, 8},                  /* the sections' length */
        {16, UINT64_MAX, 8},
    };
    for (size_t i = 0; i < sizeof changes / sizeof *changes; i++) {
        memcpy(copy.data, b.data, b.size);
        put_le(copy.data + changes[i].at, changes[i].value, changes[i].n);
        reseal(&copy); /* a valid checksum: the header itself is refused */
        ST(restore_counted(copy.data, copy.size, 0), USHER_ECORRUPT);
    }
    memcpy(copy.data, b.data, b.size); /* a wrong checksum */
    copy.data[b.size - 1] ^= 0x40;
    ST(restore_counted(copy.data, copy.size, 0), USHER_ECORRUPT);
    memcpy(copy.data, b.data, b.size); /* bytes after the checksum */
    copy.data[b.size] = 0;
    ST(restore_counted(copy.data, b.size + 1, 0), USHER_ECORRUPT);
    uint8_t zeros[64] = {0};
    ST(restore_counted(zeros, sizeof zeros, 0), USHER_ECORRUPT);
    ST(restore_counted(NULL, 0, 0), USHER_ECORRUPT);
    free(copy.data);
    bytes_free(&b);
}

/* Content changed under a valid checksum: refused, or accepted as the
 * valid state it then is, which snapshots back to the same bytes. */
static void check_mutation(bytes *m, long *accepted)
{
    reseal(m);
    test_allocator ta;
    test_allocator_init(&ta, 0);
    usher_config config;
    usher_config_init(&config);
    config.allocator = &ta.allocator;
    usher_engine *e = NULL;
    usher_status st = usher_restore(&config, m->data, m->size, &e);
    if (st == USHER_OK) {
        bytes again = snapshot_of(e);
        assert_same_bytes(m, &again);
        bytes_free(&again);
        usher_engine_free(e);
        (*accepted)++;
    } else {
        assert_int_equal(st, USHER_ECORRUPT);
    }
    assert_int_equal(ta.live, 0);
}

static void test_valid_checksum_over_changed_content(void **state)
{
    (void)state;
    bytes b = compact_snapshot();
    bytes m = {malloc(b.size), b.size, b.size};
    assert_non_null(m.data);
    static const uint8_t patterns[] = {0x01, 0x80, 0xff};
    long tried = 0, accepted = 0;
    for (size_t i = 24; i < b.size - 8; i++) {
        for (size_t k = 0; k < sizeof patterns; k++) {
            memcpy(m.data, b.data, b.size);
            m.data[i] ^= patterns[k];
            check_mutation(&m, &accepted);
            tried++;
        }
    }
    uint64_t rng = 99; /* nonsense: random bytes after a valid header */
    for (int round = 0; round < 200; round++) {
        memcpy(m.data, b.data, b.size);
        for (size_t i = 24; i < b.size - 8; i++)
            m.data[i] = (uint8_t)test_rand(&rng);
        reseal(&m);
        ST(restore_counted(m.data, m.size, 0), USHER_ECORRUPT);
    }
    print_message("%ld changes of a %zu-byte snapshot, %ld accepted as valid states\n", tried,
                  b.size, accepted);
    free(m.data);
    bytes_free(&b);
}

/* Internal state made inconsistent before the snapshot: the writer trusts
 * the engine, the restore must not. */
static void corrupt_and_restore(void (*corrupt)(usher_engine *e))
{
    usher_engine *e;
    OK(usher_engine_new(NULL, &e));
    build_compact(e);
    bytes good = snapshot_of(e);
    ST(restore_counted(good.data, good.size, 0), USHER_OK);
    corrupt(e);
    bytes bad = snapshot_of(e);
    ST(restore_counted(bad.data, bad.size, 0), USHER_ECORRUPT);
    usher_engine_free(e);
    bytes_free(&good);
    bytes_free(&bad);
}

static us_ticket *ticket(usher_engine *e, uint64_t id)
{
    uint32_t slot;
    OK(us_ticket_find(e, id, &slot));
    return us_ticket_at(e, slot);
}

static us_agent *agent(usher_engine *e, uint64_t id)
{
    uint32_t slot;
    OK(us_agent_find(e, id, &slot));
    return us_agent_at(e, slot);
}

static void ticket_names_wrong_work(usher_engine *e)
{
    us_ticket *t = ticket(e, 12); /* assigned: point it at the host reservation's work */
    uint32_t w;
    assert_true(us_idmap_find(&e->agents.by_ticket, 500, &w));
    t->work = w;
}

static void work_names_wrong_ticket(usher_engine *e)
{
    e->agents.works[ticket(e, 12)->work].ticket = 99;
}

/* An agent holding two units (ticket 12 and a wrap-up, or both) with a
 * capacity of one. */
static void capacity_exceeded(usher_engine *e)
{
    us_agent *a = agent(e, e->agents.works[ticket(e, 12)->work].agent == 0 ? 1 : 2);
    a = a->used >= 2 ? a : agent(e, 1);
    assert_true(a->used >= 2);
    a->capacity = 1;
}

static void over_channel_limit(usher_engine *e)
{
    us_agent *a = agent(e, 3);
    a->limit[0] = 0;
}

static void waiting_ticket_holds_work(usher_engine *e)
{
    us_ticket *t = ticket(e, 13);
    t->state = USHER_TICKET_WAITING;
    t->work = ticket(e, 12)->work;
}

static void offer_without_token(usher_engine *e) { ticket(e, 11)->offer_token = 0; }

static void duplicate_submission_number(usher_engine *e) { ticket(e, 13)->seq = ticket(e, 14)->seq; }

static void skill_out_of_range(usher_engine *e) { agent(e, 1)->skills[0].level = 11; }

static void member_missing(usher_engine *e) { agent(e, 1)->member_count = 0; }

static void unknown_away_reason(usher_engine *e)
{
    us_agent *a = agent(e, 1);
    a->state = USHER_AGENT_AWAY;
    a->away_reason = -9;
}

static void future_creation(usher_engine *e) { ticket(e, 13)->created = us_now(e) + 1; }

static void clock_without_policy_target(usher_engine *e)
{
    uint32_t slot;
    assert_true(us_idmap_find(&e->slas.by_ticket, 13, &slot));
    us_sla *r = us_pool_at(&e->slas.records, slot);
    r->clocks[USHER_SLA_NEXT_RESPONSE].state = 1; /* the policy has no such target */
}

static void test_inconsistent_state_refused(void **state)
{
    (void)state;
    void (*corruptions[])(usher_engine *) = {
        ticket_names_wrong_work, work_names_wrong_ticket, capacity_exceeded,
        over_channel_limit,      waiting_ticket_holds_work, offer_without_token,
        duplicate_submission_number, skill_out_of_range, member_missing,
        unknown_away_reason,     future_creation,          clock_without_policy_target,
    };
    for (size_t i = 0; i < sizeof corruptions / sizeof *corruptions; i++)
        corrupt_and_restore(corruptions[i]);
}

/* Agent 1, under a cap of 2 per 10 s, took a ticket at 0 and was offered
 * another at 5 s: its one remaining reservation is the offer's, so ticket
 * 102 waits. The cap's timer is due at 10 s, when the first reservation
 * leaves the window; a snapshot keeps it, and the restored engine assigns
 * 102 at 10 s exactly as the original does. The same holds for a snapshot
 * taken after an advance that stopped for memory at 10 s, the timer due
 * but not fired (the window is still seen as just before). A snapshot
 * whose timer is missing or at another time is refused. */

typedef struct event_log {
    usher_event seen[16];
    int count;
} event_log;

static void log_event(void *user, const usher_event *ev)
{
    event_log *log = user;
    assert_true(log->count < 16);
    log->seen[log->count++] = *ev;
}

static usher_engine *offers_fill_cap(test_allocator *ta)
{
    usher_config config;
    usher_config_init(&config);
    config.allocator = &ta->allocator;
    usher_engine *e;
    OK(usher_engine_new(&config, &e));
    usher_channel_def d;
    usher_channel_def_init(&d);
    OK(usher_channel_add(e, 0, &d));
    usher_queue_def q;
    usher_queue_def_init(&q);
    OK(usher_queue_add(e, 1, &q));
    q.assign_mode = USHER_ASSIGN_OFFER;
    q.offer_timeout_ms = 60000;
    OK(usher_queue_add(e, 2, &q));
    OK(usher_agent_add(e, 1, 5));
    OK(usher_agent_set_load_cap(e, 1, 2, 10000));
    OK(usher_agent_set_state(e, 1, USHER_AGENT_AVAILABLE, 0));
    submit(e, 100, 1, 0, UINT32_MAX, 0);
    OK(usher_advance(e, 5000));
    submit(e, 101, 2, 0, UINT32_MAX, 0);
    OK(usher_advance(e, 6000));
    submit(e, 102, 1, 0, UINT32_MAX, 0);
    OK(usher_check(e));
    return e;
}

/* Advances both engines to 11 s: the same events, 102 assigned at 10 s. */
static void continue_alike(usher_engine *e, usher_engine *r)
{
    event_log x = {0}, y = {0};
    OK(usher_set_event_handler(e, log_event, &x));
    OK(usher_set_event_handler(r, log_event, &y));
    OK(usher_advance(e, 11000));
    OK(usher_advance(r, 11000));
    OK(usher_check(e));
    OK(usher_check(r));
    assert_int_equal(x.count, 1);
    assert_int_equal(y.count, 1);
    const usher_event *a = &x.seen[0], *b = &y.seen[0];
    assert_int_equal(a->type, USHER_EVENT_TICKET_ASSIGNED);
    assert_int_equal(a->ticket_id, 102);
    assert_int_equal(a->time_ms, 10000);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->seq, b->seq);
    assert_int_equal(a->time_ms, b->time_ms);
    assert_int_equal(a->ticket_id, b->ticket_id);
    assert_int_equal(a->agent_id, b->agent_id);
    assert_int_equal(a->value, b->value);
    assert_int_equal(a->reason, b->reason);
}

static void test_load_cap_timer_restored(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    usher_engine *e = offers_fill_cap(&ta);
    us_agent *a = agent(e, 1);
    assert_int_equal(a->ready_mask, 0);
    assert_int_equal(us_wheel_deadline(&e->wheel, a->cap_timer), 10000);
    bytes b = snapshot_of(e);
    usher_engine *r = restored(&b, 1);
    bytes again = snapshot_of(r);
    assert_same_bytes(&b, &again);
    OK(usher_check(r));
    continue_alike(e, r);
    usher_engine_free(r);
    usher_engine_free(e);
    bytes_free(&b);
    bytes_free(&again);

    /* The advance stops for memory at 10 s (every point where it can). */
    int stopped = 0;
    for (long k = 1;; k++) {
        test_allocator_init(&ta, 0);
        e = offers_fill_cap(&ta);
        ta.fail_at = ta.calls + k;
        usher_status st = usher_advance(e, 11000);
        int reached = ta.failed;
        ta.fail_at = 0;
        if (!reached) {
            OK(st);
            usher_engine_free(e);
            break;
        }
        ST(st, USHER_ENOMEM);
        uint64_t now;
        OK(usher_now(e, &now));
        assert_int_equal(now, 10000);
        OK(usher_check(e));
        b = snapshot_of(e);
        r = restored(&b, 2);
        again = snapshot_of(r);
        assert_same_bytes(&b, &again);
        OK(usher_check(r));
        continue_alike(e, r);
        usher_engine_free(r);
        usher_engine_free(e);
        bytes_free(&b);
        bytes_free(&again);
        stopped++;
    }
    assert_true(stopped > 0);

    /* A missing timer, a timer at another time, a mask that disagrees. */
    for (int how = 0; how < 3; how++) {
        test_allocator_init(&ta, 0);
        e = offers_fill_cap(&ta);
        a = agent(e, 1);
        if (how == 0) {
            us_wheel_cancel(&e->wheel, a->cap_timer);
            a->cap_timer = US_NONE;
        } else if (how == 1) {
            us_wheel_reschedule(&e->wheel, a->cap_timer, 10001);
        } else {
            a->ready_mask = 1;
        }
        ST(usher_check(e), USHER_EINTERNAL);
        b = snapshot_of(e);
        ST(restore_counted(b.data, b.size, 0), USHER_ECORRUPT);
        bytes_free(&b);
        usher_engine_free(e);
    }
}

/* ---- memory -------------------------------------------------------------------------------- */

static void test_restore_allocation_failures(void **state)
{
    (void)state;
    bytes b = compact_snapshot();
    long k = 1;
    for (; restore_counted(b.data, b.size, k) == USHER_ENOMEM; k++)
        ;
    print_message("restore: %ld allocation failure points, each USHER_ENOMEM, nothing leaked\n",
                  k - 1);
    assert_true(k > 20);
    bytes_free(&b);
}

static void test_streamed_snapshot_allocation_failure(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    usher_config config;
    usher_config_init(&config);
    config.allocator = &ta.allocator;
    usher_engine *e;
    OK(usher_engine_new(&config, &e));
    build_compact(e);
    bytes want = snapshot_of(e);
    long points = 0;
    for (long k = 1;; k++) {
        long live = ta.live;
        ta.fail_at = ta.calls + k;
        ta.failed = 0;
        bytes got = {0};
        usher_status st = usher_snapshot_write(e, bytes_append, &got);
        assert_int_equal(ta.live, live);
        if (st == USHER_OK) {
            assert_same_bytes(&want, &got);
            bytes_free(&got);
            break;
        }
        assert_int_equal(st, USHER_ENOMEM);
        assert_int_equal(got.size, 0); /* nothing was written */
        points++;
    }
    ta.fail_at = 0;
    print_message("streamed snapshot: %ld allocation failure point(s)\n", points);
    assert_int_equal(points, 1);
    usher_engine_free(e);
    assert_int_equal(ta.live, 0);
    bytes_free(&want);
}

/* ---- the API's contracts --------------------------------------------------------------------- */

static void test_buffer_too_small(void **state)
{
    (void)state;
    usher_engine *e;
    OK(usher_engine_new(NULL, &e));
    build_compact(e);
    bytes b = snapshot_of(e);
    uint8_t *small = malloc(b.size);
    assert_non_null(small);
    memset(small, 0xab, b.size);
    size_t size = 1;
    ST(usher_snapshot(e, small, b.size - 1, &size), USHER_ELIMIT);
    assert_int_equal(size, b.size); /* what is needed */
    for (size_t i = 0; i < b.size; i++)
        assert_int_equal(small[i], 0xab); /* untouched */
    ST(usher_snapshot(e, small, b.size, &size), USHER_OK);
    assert_memory_equal(small, b.data, b.size);
    ST(usher_snapshot(NULL, small, b.size, &size), USHER_EINVAL);
    ST(usher_snapshot(e, small, b.size, NULL), USHER_EINVAL);
    ST(usher_snapshot(e, NULL, 10, &size), USHER_EINVAL);
    free(small);
    bytes_free(&b);
    usher_engine_free(e);
}

/* A sink that takes `budget` bytes, then fails with the host's own code. */
typedef struct sink {
    bytes got;
    size_t budget, largest;
    long calls;
    usher_engine *engine; /* to call back into */
    usher_status inner;   /* what such a call returned */
    int free_engine;
} sink;

static usher_status sink_write(void *user, const void *data, size_t size)
{
    sink *s = user;
    s->calls++;
    s->largest = size > s->largest ? size : s->largest;
    if (s->engine) {
        s->inner = usher_agent_add(s->engine, 999, 1);
        if (s->free_engine)
            usher_engine_free(s->engine);
    }
    if (s->got.size + size > s->budget)
        return -100;
    return bytes_append(&s->got, data, size);
}

static void add_many_agents(usher_engine *e, int n)
{
    for (int i = 0; i < n; i++)
        OK(usher_agent_add(e, 1000 + (uint64_t)i, 3));
}

static void test_write_callback(void **state)
{
    (void)state;
    usher_engine *e;
    OK(usher_engine_new(NULL, &e));
    build_compact(e);
    add_many_agents(e, 2000); /* a snapshot of several pieces */
    bytes want = snapshot_of(e);
    assert_true(want.size > 3 * 65536);
    sink all = {.budget = SIZE_MAX};
    OK(usher_snapshot_write(e, sink_write, &all));
    assert_same_bytes(&want, &all.got);
    assert_true(all.calls >= 3);
    assert_true(all.largest <= 65536);
    sink cut = {.budget = 100000};
    ST(usher_snapshot_write(e, sink_write, &cut), -100); /* the host's code, unchanged */
    assert_true(cut.got.size <= 100000);
    ST(restore_counted(cut.got.data, cut.got.size, 0), USHER_ECORRUPT);
    sink calls_back = {.budget = SIZE_MAX, .engine = e};
    OK(usher_snapshot_write(e, sink_write, &calls_back));
    ST(calls_back.inner, USHER_ESTATE); /* the engine is not changed under the writer */
    ST(usher_agent_get(e, 999, &(usher_agent_info){.struct_size = sizeof(usher_agent_info)}),
       USHER_ENOTFOUND);
    ST(usher_snapshot_write(NULL, sink_write, &all), USHER_EINVAL);
    ST(usher_snapshot_write(e, NULL, &all), USHER_EINVAL);
    bytes_free(&want);
    bytes_free(&all.got);
    bytes_free(&cut.got);
    bytes_free(&calls_back.got);
    /* Freed from inside the callback: the snapshot completes, then the engine goes. */
    test_allocator ta;
    test_allocator_init(&ta, 0);
    usher_config config;
    usher_config_init(&config);
    config.allocator = &ta.allocator;
    usher_engine *f;
    OK(usher_engine_new(&config, &f));
    build_compact(f);
    bytes f_want = snapshot_of(f);
    sink frees = {.budget = SIZE_MAX, .engine = f, .free_engine = 1};
    OK(usher_snapshot_write(f, sink_write, &frees));
    assert_same_bytes(&f_want, &frees.got);
    assert_int_equal(ta.live, 0);
    bytes_free(&f_want);
    bytes_free(&frees.got);
    usher_engine_free(e);
}

typedef struct inside {
    usher_engine *e;
    usher_status from_event, from_write, from_hook;
    int seen;
} inside;

static void snapshot_from_event(void *user, const usher_event *ev)
{
    inside *in = user;
    (void)ev;
    size_t size;
    in->from_event = usher_snapshot(in->e, NULL, 0, &size);
    in->from_write = usher_snapshot_write(in->e, bytes_append, NULL);
    in->seen++;
}

static inside *hook_inside;

static int64_t snapshot_from_hook(void *user, uint64_t ticket_id, uint64_t agent_id, int64_t score)
{
    (void)user;
    (void)ticket_id;
    (void)agent_id;
    size_t size;
    hook_inside->from_hook = usher_snapshot(hook_inside->e, NULL, 0, &size);
    return score;
}

static void test_refused_inside_callbacks(void **state)
{
    (void)state;
    inside in = {0};
    OK(usher_engine_new(NULL, &in.e));
    OK(usher_set_event_handler(in.e, snapshot_from_event, &in));
    hook_inside = &in;
    OK(usher_set_score_hook(in.e, snapshot_from_hook, NULL, 2));
    usher_channel_def d;
    usher_channel_def_init(&d);
    OK(usher_channel_add(in.e, 0, &d));
    usher_queue_def q;
    usher_queue_def_init(&q);
    OK(usher_queue_add(in.e, 1, &q));
    OK(usher_agent_add(in.e, 1, 1));
    OK(usher_agent_set_state(in.e, 1, USHER_AGENT_AVAILABLE, 0));
    submit(in.e, 5, 1, 0, UINT32_MAX, 0);
    assert_true(in.seen >= 2);
    ST(in.from_event, USHER_ESTATE);
    ST(in.from_write, USHER_ESTATE);
    ST(in.from_hook, USHER_ESTATE);
    size_t size; /* and once the call is over, allowed */
    ST(usher_snapshot(in.e, NULL, 0, &size), USHER_ELIMIT);
    usher_engine_free(in.e);
}

static void on_any(void *user, const usher_event *ev)
{
    (void)ev;
    (*(int *)user)++;
}

static void test_restore_arguments_and_settings(void **state)
{
    (void)state;
    bytes b = compact_snapshot();
    usher_engine *e = NULL;
    ST(usher_restore(NULL, b.data, b.size, NULL), USHER_EINVAL);
    ST(usher_restore(NULL, NULL, 10, &e), USHER_EINVAL);
    usher_config bad;
    usher_config_init(&bad);
    bad.reserved = 1;
    ST(usher_restore(&bad, b.data, b.size, &e), USHER_EINVAL);
    assert_null(e);
    /* The allocator is the config's; start_ms is ignored (the clock is the
     * snapshot's); no event handler until the host sets one. */
    test_allocator ta;
    test_allocator_init(&ta, 0);
    usher_config config;
    usher_config_init(&config);
    config.allocator = &ta.allocator;
    config.start_ms = 123456789;
    config.seed = 77;
    OK(usher_restore(&config, b.data, b.size, &e));
    assert_true(ta.live > 0);
    uint64_t now;
    OK(usher_now(e, &now));
    assert_int_equal(now, 2500);
    OK(usher_advance(e, 2600)); /* events are dropped: nobody listens */
    int seen = 0;
    OK(usher_set_event_handler(e, on_any, &seen));
    OK(usher_advance(e, 10 * US_DAY_MS));
    assert_true(seen > 0);
    usher_engine_free(e);
    assert_int_equal(ta.live, 0);
    bytes_free(&b);
}

/* The same history with different hash seeds: the snapshots are equal
 * (the layout of hash tables is not part of the state). */
static void test_hash_seed_not_in_state(void **state)
{
    (void)state;
    usher_config config;
    usher_config_init(&config);
    config.seed = 1;
    usher_engine *a, *b;
    OK(usher_engine_new(&config, &a));
    OK(usher_engine_new(&config, &b));
    bytes x = snapshot_of(a);
    usher_engine *r = restored(&x, 0xdeadbeef);
    build_compact(a);
    build_compact(r);
    bytes y = snapshot_of(a), z = snapshot_of(r);
    assert_same_bytes(&y, &z);
    usher_engine_free(a);
    usher_engine_free(b);
    usher_engine_free(r);
    bytes_free(&x);
    bytes_free(&y);
    bytes_free(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_compact),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_every_bit_flip),
        cmocka_unit_test(test_header_checked),
        cmocka_unit_test(test_valid_checksum_over_changed_content),
        cmocka_unit_test(test_inconsistent_state_refused),
        cmocka_unit_test(test_load_cap_timer_restored),
        cmocka_unit_test(test_restore_allocation_failures),
        cmocka_unit_test(test_streamed_snapshot_allocation_failure),
        cmocka_unit_test(test_buffer_too_small),
        cmocka_unit_test(test_write_callback),
        cmocka_unit_test(test_refused_inside_callbacks),
        cmocka_unit_test(test_restore_arguments_and_settings),
        cmocka_unit_test(test_hash_seed_not_in_state),
        cmocka_unit_test(test_deterministic_continuation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
