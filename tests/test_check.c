/* usher_check: it passes on real engines in many states (agents with work,
 * wrap-ups, load caps and cool-downs, offers in flight and rejected,
 * preferred-agent waits, widening pending and done, customer records, SLA
 * clocks in calendar and business time, host timers and reservations,
 * matching stopped by a failed allocation), from inside an event callback
 * too; and it detects corruption: each detection test breaks one internal
 * record through lib/ and asserts that usher_check() fails and which
 * invariant us_check() names, so that deleting that check fails the test.
 * Each then repairs the record and the engine checks clean again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <xxhash.h>

#include "check.h"
#include "testutil.h"

enum { VOICE = 0, CHAT = 1, MAIL = 2 };
enum { Q_DIRECT = 1, Q_OFFER = 2, Q_STICKY = 3, Q_SLA = 4 };
enum { BILLING, TECH, GERMAN, VIP, SKILLS };
enum { A1 = 101, A2, A3, A4, A5, A6, A7 };
enum { POLICY_CALENDAR = 1, POLICY_BUSINESS = 2, BUSINESS_HOURS = 7 };

/* 2023-11-14 22:13:20 UTC, a Tuesday. */
#define T0 UINT64_C(1700000000000)
#define SECOND UINT64_C(1000)
#define MINUTE (60 * SECOND)
#define HOUR (60 * MINUTE)

typedef struct world {
    test_allocator ta;
    usher_engine *e;
    uint32_t skill[SKILLS];
    uint64_t now;
    long events, checks_in_callbacks, hook_calls;
    uint64_t offered_ticket, offered_token; /* the last offer made */
} world;

/* ---- checking -------------------------------------------------------------------- */

static void assert_clean(const usher_engine *e)
{
    const char *broken = us_check(e);
    if (broken)
        fail_msg("usher_check: %s", broken);
    assert_int_equal(usher_check(e), USHER_OK);
}

/* The engine fails the check, naming this invariant. */
static void assert_broken(const usher_engine *e, const char *invariant)
{
    assert_int_equal(usher_check(e), USHER_EINTERNAL);
    const char *broken = us_check(e);
    assert_non_null(broken);
    assert_string_equal(broken, invariant);
}

#define OK(w, call)                                                                                \
    do {                                                                                           \
        assert_int_equal((call), USHER_OK);                                                        \
        assert_clean((w)->e);                                                                      \
    } while (0)

static void on_event(void *user, const usher_event *ev)
{
    world *w = user;
    w->events++;
    /* Between events the engine is consistent. */
    assert_int_equal(usher_check(w->e), USHER_OK);
    w->checks_in_callbacks++;
    if (ev->type == USHER_EVENT_TICKET_OFFERED) {
        w->offered_ticket = ev->ticket_id;
        w->offered_token = ev->offer_token;
    }
}

static void advance(world *w, uint64_t ms)
{
    w->now += ms;
    OK(w, usher_advance(w->e, w->now));
}

/* ---- the world --------------------------------------------------------------------- */

static void add_channel(world *w, uint32_t channel, uint32_t flags, uint32_t max, uint64_t wrapup)
{
    usher_channel_def def;
    usher_channel_def_init(&def);
    def.flags = flags;
    def.max_per_agent = max;
    def.wrapup_ms = wrapup;
    OK(w, usher_channel_add(w->e, channel, &def));
}

static void add_queue(world *w, uint32_t id, const usher_queue_def *def)
{
    OK(w, usher_queue_add(w->e, id, def));
}

static void setup_queues(world *w)
{
    usher_queue_def def;
    usher_queue_def_init(&def);
    add_queue(w, Q_DIRECT, &def);
    const usher_widen_step steps[] = {
        {.after_ms = MINUTE, .action = USHER_WIDEN_LOWER_LEVEL, .skill = w->skill[TECH], .value = 5},
        {.after_ms = 2 * MINUTE, .action = USHER_WIDEN_OVERFLOW_GROUP, .skill = w->skill[GERMAN]},
        {.after_ms = 10 * MINUTE, .action = USHER_WIDEN_RAISE_PRIORITY, .value = 50},
    };
    OK(w, usher_queue_set_widening(w->e, Q_DIRECT, steps, 3));

    usher_queue_def_init(&def);
    def.strategy = USHER_STRATEGY_MOST_FREE;
    def.assign_mode = USHER_ASSIGN_OFFER;
    def.offer_timeout_ms = 30 * SECOND;
    def.reject_cooldown_ms = 5 * MINUTE;
    add_queue(w, Q_OFFER, &def);

    usher_queue_def_init(&def);
    def.strategy = USHER_STRATEGY_ROUND_ROBIN;
    def.sticky_ms = HOUR;
    def.repeat_threshold = 2;
    def.repeat_window_ms = 24 * HOUR;
    def.repeat_flags = USHER_REPEAT_RAISE_TIER;
    def.repeat_tier = 2;
    add_queue(w, Q_STICKY, &def);

    usher_queue_def_init(&def);
    def.strategy = USHER_STRATEGY_BEST_SKILL;
    def.order = USHER_ORDER_SLA_DEADLINE;
    add_queue(w, Q_SLA, &def);
}

/* Policy 1 counts calendar time; policy 2 (tickets of tier 1) business
 * hours of a weekday 9-17 calendar, holding its events to open hours. */
static void setup_slas(world *w)
{
    usher_sla_policy_def def;
    usher_sla_policy_def_init(&def);
    def.target_mask = 1u << USHER_SLA_FIRST_RESPONSE | 1u << USHER_SLA_RESOLUTION;
    def.target_ms[USHER_SLA_FIRST_RESPONSE] = HOUR;
    def.target_ms[USHER_SLA_RESOLUTION] = 8 * HOUR;
    def.warning_count = 2;
    def.warning_permille[0] = 500;
    def.warning_permille[1] = 800;
    OK(w, usher_sla_policy_add(w->e, POLICY_CALENDAR, &def));

    OK(w, usher_calendar_add(w->e, BUSINESS_HOURS, "UTC"));
    usher_open_hours hours[5];
    for (uint32_t d = 0; d < 5; d++)
        hours[d] = (usher_open_hours){.weekday = d + 1, .open_minute = 540, .close_minute = 1020};
    OK(w, usher_calendar_set_hours(w->e, BUSINESS_HOURS, hours, 5));
    def.business_mask = def.target_mask;
    def.calendar = BUSINESS_HOURS;
    def.flags = USHER_SLA_HOLD_EVENTS;
    OK(w, usher_sla_policy_add(w->e, POLICY_BUSINESS, &def));

    usher_sla_rule rule = {USHER_SLA_ANY, USHER_SLA_ANY, 1, 0, USHER_MAX_PRIORITY, POLICY_BUSINESS};
    OK(w, usher_sla_set_rules(w->e, &rule, 1, POLICY_CALENDAR));
}

static void add_agent(world *w, uint64_t id, uint32_t capacity, int32_t state,
                      const usher_skill_level *skills, size_t count)
{
    OK(w, usher_agent_add(w->e, id, capacity));
    OK(w, usher_agent_set_skills(w->e, id, skills, count));
    if (state != USHER_AGENT_OFFLINE)
        OK(w, usher_agent_set_state(w->e, id, state, state == USHER_AGENT_AWAY ? 3 : 0));
}

static void setup_agents(world *w)
{
    const uint32_t *s = w->skill;
    add_agent(w, A1, 4, USHER_AGENT_AVAILABLE,
              (usher_skill_level[]){{s[BILLING], 8}, {s[TECH], 4}}, 2);
    OK(w, usher_agent_set_load_cap(w->e, A1, 2, HOUR));
    add_agent(w, A2, 4, USHER_AGENT_AVAILABLE,
              (usher_skill_level[]){{s[BILLING], 6}, {s[GERMAN], 3}}, 2);
    OK(w, usher_agent_set_cooldown(w->e, A2, 2 * MINUTE));
    OK(w, usher_agent_set_idle_timeout(w->e, A2, 30 * MINUTE));
    add_agent(w, A3, 2, USHER_AGENT_AVAILABLE, (usher_skill_level[]){{s[TECH], 9}}, 1);
    add_agent(w, A4, 5, USHER_AGENT_AWAY, (usher_skill_level[]){{s[GERMAN], 8}, {s[BILLING], 2}},
              2);
    add_agent(w, A5, 6, USHER_AGENT_AVAILABLE,
              (usher_skill_level[]){{s[VIP], 5}, {s[BILLING], 3}}, 2);
    add_agent(w, A6, 3, USHER_AGENT_OFFLINE, (usher_skill_level[]){{s[BILLING], 7}}, 1);
    add_agent(w, A7, 3, USHER_AGENT_AVAILABLE,
              (usher_skill_level[]){{s[BILLING], 5}, {s[TECH], 5}}, 2);
}

static void submit(world *w, uint64_t id, uint32_t queue, uint32_t channel, uint32_t skill,
                   uint32_t level, void (*adjust)(usher_ticket_spec *))
{
    usher_skill_level req = {w->skill[skill], level};
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = queue;
    spec.channel = channel;
    spec.required = &req;
    spec.required_count = 1;
    if (adjust)
        adjust(&spec);
    OK(w, usher_ticket_submit(w->e, id, &spec));
}

static void track(world *w, uint64_t id, uint32_t queue, uint32_t channel, uint32_t tier)
{
    usher_sla_spec spec;
    usher_sla_spec_init(&spec);
    spec.queue = queue;
    spec.channel = channel;
    spec.tier = tier;
    OK(w, usher_sla_start(w->e, id, &spec));
}

static void customer_555(usher_ticket_spec *spec) { spec->customer_id = 555; }
static void tier_1(usher_ticket_spec *spec) { spec->tier = 1; }
static void wants_a5(usher_ticket_spec *spec)
{
    spec->preferred_agent_id = A5;
    spec->preferred_wait_ms = 10 * MINUTE;
}

static void setup_work(world *w)
{
    /* Host reservations: A5 holds mail; A1 reaches its load cap; A2
     * releases a heavy ticket and cools down. */
    OK(w, usher_capacity_reserve(w->e, A5, 9001, MAIL));
    OK(w, usher_capacity_reserve(w->e, A1, 9003, MAIL));
    OK(w, usher_capacity_reserve(w->e, A1, 9004, MAIL));
    OK(w, usher_capacity_reserve(w->e, A2, 9002, MAIL));
    OK(w, usher_capacity_release(w->e, 9002, USHER_RELEASE_HEAVY));
    OK(w, usher_timer_set(w->e, 77, w->now + 45 * MINUTE));
    OK(w, usher_timer_set(w->e, 78, w->now + 3 * HOUR));

    for (uint64_t id = 1; id <= 3; id++)
        track(w, id, Q_DIRECT, CHAT, 0);
    submit(w, 1, Q_DIRECT, CHAT, BILLING, 5, NULL);
    submit(w, 2, Q_DIRECT, CHAT, TECH, 8, NULL);  /* A3 */
    submit(w, 3, Q_DIRECT, MAIL, VIP, 9, NULL);   /* nobody: widening pending */
    submit(w, 4, Q_DIRECT, VOICE, BILLING, 1, wants_a5); /* A5 is busy: waits for it */
    submit(w, 5, Q_OFFER, CHAT, BILLING, 3, NULL);
    OK(w, usher_offer_reject(w->e, w->offered_ticket, w->offered_token)); /* re-offered */
    submit(w, 6, Q_OFFER, MAIL, TECH, 4, NULL);
    submit(w, 7, Q_STICKY, MAIL, BILLING, 1, customer_555);
    advance(w, 5 * SECOND);
    OK(w, usher_ticket_complete(w->e, 7, 0)); /* customer 555 remembers its agent */
    submit(w, 8, Q_STICKY, MAIL, BILLING, 1, customer_555);
    OK(w, usher_ticket_complete(w->e, 1, 0)); /* a chat wrap-up starts */
    track(w, 10, Q_SLA, MAIL, 0);
    track(w, 11, Q_SLA, MAIL, 0);
    track(w, 12, Q_SLA, MAIL, 1);
    submit(w, 11, Q_SLA, MAIL, GERMAN, 9, NULL); /* nobody: they wait by deadline */
    submit(w, 10, Q_SLA, MAIL, GERMAN, 9, NULL);
    submit(w, 12, Q_SLA, MAIL, GERMAN, 9, tier_1);
    OK(w, usher_sla_report(w->e, 11, USHER_SLA_AGENT_REPLY));
    advance(w, 2 * SECOND);
}

static void world_init(world *w)
{
    memset(w, 0, sizeof *w);
    test_allocator_init(&w->ta, 0);
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.seed = 42;
    cfg.start_ms = T0;
    cfg.allocator = &w->ta.allocator;
    w->now = T0;
    assert_int_equal(usher_engine_new(&cfg, &w->e), USHER_OK);
    assert_clean(w->e);
    OK(w, usher_set_event_handler(w->e, on_event, w));
    add_channel(w, VOICE, USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_WRAPUP_BLOCKS_AGENT, 1,
                30 * SECOND);
    add_channel(w, CHAT, 0, 3, 10 * SECOND);
    add_channel(w, MAIL, 0, 5, 0);
    const char *names[SKILLS] = {"billing", "tech", "german", "vip"};
    for (int i = 0; i < SKILLS; i++)
        OK(w, usher_skill_intern(w->e, names[i], &w->skill[i]));
    setup_queues(w);
    setup_slas(w);
    setup_agents(w);
    setup_work(w);
}

static void world_free(world *w)
{
    usher_engine_free(w->e);
    assert_int_equal(w->ta.live, 0);
}

/* ---- finding records -------------------------------------------------------------- */

static us_ticket *ticket_of(world *w, uint64_t id)
{
    uint32_t slot;
    assert_int_equal(us_ticket_find(w->e, id, &slot), USHER_OK);
    return us_ticket_at(w->e, slot);
}

static uint32_t ticket_slot(world *w, uint64_t id)
{
    uint32_t slot;
    assert_int_equal(us_ticket_find(w->e, id, &slot), USHER_OK);
    return slot;
}

static us_agent *agent_of(world *w, uint64_t id)
{
    uint32_t slot;
    assert_int_equal(us_agent_find(w->e, id, &slot), USHER_OK);
    return us_agent_at(w->e, slot);
}

/* A capacity record in wrap-up (free records may keep the flag). */
static uint32_t wrapping_record(world *w)
{
    for (uint32_t slot = 0; slot < w->e->agents.slots; slot++) {
        const us_agent *a = us_agent_at(w->e, slot);
        for (uint32_t x = a->live ? a->work_head : US_NONE; x != US_NONE;
             x = w->e->agents.works[x].next)
            if (w->e->agents.works[x].wrapping)
                return x;
    }
    fail_msg("no wrap-up");
    return US_NONE;
}

/* The world has every kind of record the checker looks at. */
static void assert_world_complete(world *w)
{
    usher_engine *e = w->e;
    assert_int_equal(ticket_of(w, 2)->state, USHER_TICKET_ASSIGNED);
    assert_int_equal(ticket_of(w, 3)->state, USHER_TICKET_WAITING);
    assert_int_not_equal(ticket_of(w, 3)->widen_timer, US_NONE);
    assert_int_equal(ticket_of(w, 4)->state, USHER_TICKET_WAITING);
    assert_int_equal(us_agent_at(e, ticket_of(w, 4)->pref_agent)->id, A5);
    assert_int_equal(ticket_of(w, 5)->state, USHER_TICKET_OFFERED);
    assert_int_not_equal(ticket_of(w, 5)->exclusions, US_NONE);
    assert_int_equal(ticket_of(w, 6)->state, USHER_TICKET_OFFERED);
    assert_true(ticket_of(w, 8)->remembered);
    assert_int_equal(ticket_of(w, 12)->state, USHER_TICKET_WAITING);
    assert_true(agent_of(w, A1)->capped);
    assert_true(agent_of(w, A2)->cooling);
    assert_int_not_equal(agent_of(w, A2)->idle_timer, US_NONE);
    assert_int_equal(e->router.customers.live, 1);
    assert_int_equal(e->slas.records.live, 6);
    assert_int_equal(us_idmap_count(&e->host_timers), 2);
    (void)wrapping_record(w);
}

/* ---- passing -------------------------------------------------------------------------- */

static void test_check_rejects_bad_calls(void **state)
{
    (void)state;
    assert_int_equal(usher_check(NULL), USHER_EINVAL);
    assert_string_equal(usher_status_name(USHER_EINTERNAL), "USHER_EINTERNAL");
    usher_engine *e;
    assert_int_equal(usher_engine_new(NULL, &e), USHER_OK);
    assert_int_equal(usher_check(e), USHER_OK);
    usher_engine_free(e);
}

static void test_check_passes_through_a_day(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    assert_world_complete(&w);
    /* Offers expire, wrap-ups and cool-downs end, widening steps fire,
     * SLA warnings and breaches come, host timers fire, the idle agent
     * is set away, customer records are forgotten. */
    for (int i = 0; i < 40; i++)
        advance(&w, 7 * MINUTE + (uint64_t)i * 1000);
    for (uint64_t id = 1; id <= 12; id++) {
        uint32_t slot;
        if (us_ticket_find(w.e, id, &slot) != USHER_OK)
            continue;
        if (us_ticket_at(w.e, slot)->state == USHER_TICKET_ASSIGNED)
            OK(&w, usher_ticket_complete(w.e, id, USHER_RELEASE_HEAVY));
        else
            OK(&w, usher_ticket_cancel(w.e, id));
    }
    OK(&w, usher_agent_remove(w.e, A1));
    OK(&w, usher_agent_set_state(w.e, A5, USHER_AGENT_OFFLINE, 0));
    OK(&w, usher_capacity_release(w.e, 9001, 0));
    advance(&w, 2 * 24 * HOUR);
    assert_true(w.checks_in_callbacks > 50);
    assert_int_equal(w.checks_in_callbacks, w.events);
    world_free(&w);
}

static void test_check_passes_after_failed_allocations(void **state)
{
    (void)state;
    /* Each allocation of a submit, a skill change that makes 41 matches
     * possible and a long advance fails in turn: whatever the call
     * returns, the engine stays consistent (matching that ran out of
     * memory keeps its marks for the next call, which finishes it). */
    long points = 0, stalled = 0;
    for (long k = 1;; k++) {
        world w;
        world_init(&w);
        /* An agent of large capacity, and tickets only it will be able to
         * take: matching them needs more memory than any call reserves. */
        OK(&w, usher_agent_add(w.e, 200, 100));
        OK(&w, usher_agent_set_channel_limit(w.e, 200, MAIL, 100));
        OK(&w, usher_agent_set_state(w.e, 200, USHER_AGENT_AVAILABLE, 0));
        for (uint64_t id = 60; id < 100; id++)
            submit(&w, id, Q_DIRECT, MAIL, VIP, 9, NULL);
        w.ta.fail_at = w.ta.calls + k;
        usher_skill_level req = {w.skill[BILLING], 1};
        usher_ticket_spec spec;
        usher_ticket_spec_init(&spec);
        spec.queue = Q_STICKY;
        spec.channel = CHAT;
        spec.required = &req;
        spec.required_count = 1;
        spec.customer_id = 999;
        usher_status st = usher_ticket_submit(w.e, 50, &spec);
        assert_true(st == USHER_OK || st == USHER_ENOMEM);
        assert_clean(w.e);
        st = usher_agent_set_skill(w.e, 200, w.skill[VIP], 10);
        assert_true(st == USHER_OK || st == USHER_ENOMEM);
        assert_clean(w.e);
        stalled += w.e->router.dirty_agents != US_NONE || w.e->router.dirty_tickets != US_NONE;
        st = usher_advance(w.e, w.now + 3 * HOUR);
        assert_true(st == USHER_OK || st == USHER_ENOMEM);
        assert_clean(w.e);
        stalled += w.e->router.dirty_agents != US_NONE || w.e->router.dirty_tickets != US_NONE;
        int failed = w.ta.failed;
        test_allocator_allow_all(&w.ta);
        assert_int_equal(usher_advance(w.e, w.now + 3 * HOUR), USHER_OK);
        assert_clean(w.e);
        assert_true(w.e->router.dirty_agents == US_NONE && w.e->router.dirty_tickets == US_NONE);
        world_free(&w);
        if (!failed)
            break;
        points++;
    }
    print_message("%ld failure points, matching stopped with marks left at %ld\n", points,
                  stalled);
    assert_true(points > 5 && stalled > 0);
}

static int64_t score_and_check(void *user, uint64_t ticket, uint64_t agent, int64_t score)
{
    (void)ticket;
    (void)agent;
    world *w = user;
    /* Mid-decision the engine is not consistent: the check is refused. */
    assert_int_equal(usher_check(w->e), USHER_ESTATE);
    w->hook_calls++;
    return score;
}

static void test_check_refused_inside_scoring_hook(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    OK(&w, usher_set_score_hook(w.e, score_and_check, &w, 4));
    submit(&w, 20, Q_DIRECT, MAIL, BILLING, 1, NULL);
    assert_true(w.hook_calls > 1);
    world_free(&w);
}

static void free_and_check(void *user, const usher_event *ev)
{
    world *w = user;
    (void)ev;
    usher_engine_free(w->e);
    assert_int_equal(usher_check(w->e), USHER_ECLOSED);
    w->checks_in_callbacks++;
}

static void test_check_closed_engine(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    OK(&w, usher_set_event_handler(w.e, free_and_check, &w));
    w.checks_in_callbacks = 0;
    assert_int_equal(usher_advance(w.e, w.now + HOUR), USHER_OK); /* freed on return */
    assert_int_equal(w.checks_in_callbacks, 1);
    assert_int_equal(w.ta.live, 0);
}

/* ---- detecting: capacity and one owner per ticket -------------------------------------- */

static void test_detects_capacity_used_bumped(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    agent_of(&w, A3)->used++;
    assert_broken(w.e, "an agent's capacity used differs from its capacity records");
    agent_of(&w, A3)->used--;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_channel_count_bumped(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    agent_of(&w, A5)->active[MAIL]++;
    assert_broken(w.e, "an agent's work per channel differs from its capacity records");
    agent_of(&w, A5)->active[MAIL]--;
    w.e->channels[CHAT].in_use++;
    assert_broken(w.e, "a channel's use differs from its agents' work");
    w.e->channels[CHAT].in_use--;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_agent_over_capacity(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_agent *a = agent_of(&w, A1); /* two mail tickets held */
    uint32_t capacity = a->capacity;
    a->capacity = a->used - 1;
    assert_broken(w.e, "an agent is over its capacity");
    a->capacity = capacity;
    uint32_t max = w.e->channels[MAIL].def.max_per_agent;
    w.e->channels[MAIL].def.max_per_agent = 1;
    assert_broken(w.e, "an agent is over a channel limit");
    w.e->channels[MAIL].def.max_per_agent = max;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_outstanding_offers_miscounted(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_agent *a = us_agent_at(w.e, w.e->agents.works[ticket_of(&w, 6)->work].agent);
    a->offers_out++;
    assert_broken(w.e, "an agent's outstanding offers differ from its offered tickets");
    a->offers_out--;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_ticket_with_two_owners(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    /* Ticket 6 claims the capacity record of ticket 2. */
    us_ticket *t = ticket_of(&w, 6);
    uint32_t own = t->work;
    t->work = ticket_of(&w, 2)->work;
    assert_broken(w.e, "a capacity record and its ticket disagree");
    t->work = own;
    /* An assigned ticket that also waits. */
    t = ticket_of(&w, 2);
    t->state = USHER_TICKET_WAITING;
    assert_broken(w.e, "a capacity record and its ticket disagree");
    t->state = USHER_TICKET_ASSIGNED;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_held_ticket_missing_from_map(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    uint32_t w9001;
    assert_true(us_idmap_erase(&w.e->agents.by_ticket, 9001, &w9001));
    assert_broken(w.e, "a held ticket is not in the map of held tickets");
    assert_int_equal(us_idmap_insert(&w.e->agents.by_ticket, 9001, w9001), USHER_OK);
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_lost_capacity_record(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    w.e->agents.work_free_count++;
    assert_broken(w.e, "capacity records are lost or in two places");
    w.e->agents.work_free_count--;
    assert_clean(w.e);
    world_free(&w);
}

/* ---- detecting: timers ----------------------------------------------------------------- */


static void test_detects_dropped_timer(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_work *work = &w.e->agents.works[wrapping_record(&w)];
    uint64_t due = us_wheel_deadline(&w.e->wheel, work->timer);
    us_wheel_cancel(&w.e->wheel, work->timer);
    assert_broken(w.e, "an object's timer is not live or belongs to another object");
    assert_int_equal(us_wheel_schedule(&w.e->wheel, due, US_TIMER_WRAPUP, wrapping_record(&w),
                                       &work->timer),
                     USHER_OK);
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_orphan_timer(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    uint32_t timer;
    assert_int_equal(us_wheel_schedule(&w.e->wheel, w.now + HOUR, US_TIMER_OFFER, 0, &timer),
                     USHER_OK);
    assert_broken(w.e, "the timer wheel holds timers no object owns");
    us_wheel_cancel(&w.e->wheel, timer);
    /* A host timer forgotten by its map but left in the wheel. */
    uint32_t host;
    assert_true(us_idmap_erase(&w.e->host_timers, 77, &host));
    assert_broken(w.e, "the timer wheel holds timers no object owns");
    assert_int_equal(us_idmap_insert(&w.e->host_timers, 77, host), USHER_OK);
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_timers_at_wrong_times(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_wheel *wheel = &w.e->wheel;
    uint32_t idle = agent_of(&w, A2)->idle_timer;
    uint64_t due = us_wheel_deadline(wheel, idle);
    us_wheel_reschedule(wheel, idle, due + 1);
    assert_broken(w.e, "an agent's idle timeout falls due at the wrong time");
    us_wheel_reschedule(wheel, idle, due);
    uint32_t offer = ticket_of(&w, 6)->offer_timer;
    due = us_wheel_deadline(wheel, offer);
    us_wheel_reschedule(wheel, offer, due + 1);
    assert_broken(w.e, "an offer expires at the wrong time");
    us_wheel_reschedule(wheel, offer, due);
    uint32_t cap = agent_of(&w, A1)->cap_timer;
    due = us_wheel_deadline(wheel, cap);
    us_wheel_reschedule(wheel, cap, due - 1);
    assert_broken(w.e, "an agent's load cap lifts at the wrong time");
    us_wheel_reschedule(wheel, cap, due);
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_missing_widening_timer(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_ticket *t = ticket_of(&w, 3);
    uint32_t timer = t->widen_timer;
    t->widen_timer = US_NONE;
    assert_broken(w.e, "a ticket's widening timer is missing or left over");
    t->widen_timer = timer;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_flags_without_timers(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_agent *a = agent_of(&w, A3);
    a->cooling = true;
    assert_broken(w.e, "an agent's cool-down and its timer disagree");
    a->cooling = false;
    a->capped = true;
    assert_broken(w.e, "an agent's load cap and its timer disagree");
    a->capped = false;
    assert_clean(w.e);
    world_free(&w);
}

/* Agent 1, capped at 2 per minute, took ticket 1 at T0 and was offered
 * ticket 2 a second later: one reservation and one offer fill its cap, so
 * ticket 3 waits, and the cap's timer is due when the first reservation
 * leaves the window. */
static usher_engine *offers_fill_load_cap(test_allocator *ta)
{
    test_allocator_init(ta, 0);
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.start_ms = T0;
    cfg.allocator = &ta->allocator;
    usher_engine *e = NULL;
    assert_int_equal(usher_engine_new(&cfg, &e), USHER_OK);
    usher_channel_def ch;
    usher_channel_def_init(&ch);
    assert_int_equal(usher_channel_add(e, CHAT, &ch), USHER_OK);
    usher_queue_def q;
    usher_queue_def_init(&q);
    q.assign_mode = USHER_ASSIGN_OFFER;
    q.offer_timeout_ms = HOUR;
    assert_int_equal(usher_queue_add(e, Q_OFFER, &q), USHER_OK);
    assert_int_equal(usher_agent_add(e, 1, 5), USHER_OK);
    assert_int_equal(usher_agent_set_load_cap(e, 1, 2, MINUTE), USHER_OK);
    assert_int_equal(usher_agent_set_state(e, 1, USHER_AGENT_AVAILABLE, 0), USHER_OK);
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = Q_OFFER;
    spec.channel = CHAT;
    assert_int_equal(usher_ticket_submit(e, 1, &spec), USHER_OK);
    usher_ticket_info info = {.struct_size = sizeof info};
    assert_int_equal(usher_ticket_get(e, 1, &info), USHER_OK);
    assert_int_equal(usher_offer_accept(e, 1, info.offer_token), USHER_OK);
    assert_int_equal(usher_advance(e, T0 + SECOND), USHER_OK);
    assert_int_equal(usher_ticket_submit(e, 2, &spec), USHER_OK);
    assert_int_equal(usher_ticket_submit(e, 3, &spec), USHER_OK);
    assert_int_equal(usher_ticket_get(e, 3, &info), USHER_OK);
    assert_int_equal(info.state, USHER_TICKET_WAITING);
    assert_clean(e);
    return e;
}

static void test_detects_load_cap_timer_errors(void **state)
{
    (void)state;
    test_allocator ta;
    usher_engine *e = offers_fill_load_cap(&ta);
    uint32_t slot;
    assert_int_equal(us_agent_find(e, 1, &slot), USHER_OK);
    us_agent *a = us_agent_at(e, slot);
    assert_false(a->capped);
    uint32_t timer = a->cap_timer;
    assert_int_equal(us_wheel_deadline(&e->wheel, timer), T0 + MINUTE);
    a->cap_timer = US_NONE;
    assert_broken(e, "an agent's load cap and its timer disagree");
    a->cap_timer = timer;
    us_wheel_reschedule(&e->wheel, timer, T0 + MINUTE + 1);
    assert_broken(e, "an agent's load cap lifts at the wrong time");
    us_wheel_reschedule(&e->wheel, timer, T0 + MINUTE);
    a->capped = true;
    assert_broken(e, "an agent's load cap and its timer disagree");
    a->capped = false;
    a->ready_mask = 1u << CHAT; /* as if the window had reopened already */
    assert_broken(e, "the eligibility index differs from a recomputation");
    a->ready_mask = 0;
    a->cap_times[a->cap_head] = T0 + 2 * SECOND;
    assert_broken(e, "an agent's rolling-window times are out of order or in the future");
    a->cap_times[a->cap_head] = T0;
    assert_clean(e);
    usher_engine_free(e);
    assert_int_equal(ta.live, 0);
}

static us_sla *sla_of(world *w, uint64_t ticket)
{
    uint32_t slot;
    assert_true(us_idmap_find(&w->e->slas.by_ticket, ticket, &slot));
    return us_pool_at(&w->e->slas.records, slot);
}

static void test_detects_sla_clock_errors(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_sla_clock *k = &sla_of(&w, 10)->clocks[USHER_SLA_RESOLUTION];
    assert_int_equal(k->state, US_CLOCK_RUNNING);
    k->elapsed += 1;
    assert_broken(w.e, "an SLA clock's next event is at the wrong time");
    k->elapsed -= 1;
    uint64_t due = us_wheel_deadline(&w.e->wheel, k->timer);
    us_wheel_reschedule(&w.e->wheel, k->timer, due + 1);
    assert_broken(w.e, "an SLA clock's timer is at the wrong time");
    us_wheel_reschedule(&w.e->wheel, k->timer, due);
    /* The first response of ticket 11 was met: its clock is done. */
    k = &sla_of(&w, 11)->clocks[USHER_SLA_FIRST_RESPONSE];
    assert_int_equal(k->state, US_CLOCK_DONE);
    k->next_due = w.now + HOUR;
    assert_broken(w.e, "an SLA clock that does not run has a next event");
    k->next_due = USHER_TIME_NEVER;
    assert_clean(w.e);
    world_free(&w);
}

/* Held events: each a live policy's event of a target it has, due by now,
 * earliest first, at most five; a clock holding any has its timer. */
static void test_detects_sla_held_event_errors(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_sla *r = sla_of(&w, 10);
    us_sla_clock *k = &r->clocks[USHER_SLA_RESOLUTION];
    uint32_t warnings = us_sla_policy_at(w.e, r->policy)->def.warning_count;
    k->held[0] = (us_sla_held){w.now - HOUR, r->policy, 0};
    k->held[1] = (us_sla_held){w.now, r->policy, (uint8_t)warnings};
    k->held_count = 2;
    assert_clean(w.e);
    const char *broken = "an SLA clock's held events are out of range or order";
    k->held[1].due = w.now + 1; /* not due yet */
    assert_broken(w.e, broken);
    k->held[1].due = w.now - 2 * HOUR; /* before the one ahead of it */
    assert_broken(w.e, broken);
    k->held[1].due = w.now;
    k->held[1].event = (uint8_t)(warnings + 1); /* past the breach */
    assert_broken(w.e, broken);
    k->held[1].event = (uint8_t)warnings;
    k->held[1].policy = w.e->slas.policies.slots; /* no such policy */
    assert_broken(w.e, broken);
    k->held[1].policy = r->policy;
    k->held_count = US_SLA_HELD_MAX + 1;
    assert_broken(w.e, broken);
    k->held_count = 2;
    assert_clean(w.e);
    k->held_count = 0;
    /* A target its policy does not have. */
    k = &r->clocks[USHER_SLA_NEXT_RESPONSE];
    k->held[0] = (us_sla_held){w.now, r->policy, 0};
    k->held_count = 1;
    assert_broken(w.e, broken);
    k->held_count = 0;
    /* Ticket 11's first response is done: no timer, so nothing may be held. */
    k = &sla_of(&w, 11)->clocks[USHER_SLA_FIRST_RESPONSE];
    assert_int_equal(k->timer, US_NONE);
    k->held[0] = (us_sla_held){w.now, sla_of(&w, 11)->policy, 0};
    k->held_count = 1;
    assert_broken(w.e, "an SLA clock lacks its timer");
    k->held_count = 0;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_stale_sla_deadline_of_ticket(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_ticket *t = ticket_of(&w, 10);
    t->sla_due--;
    assert_broken(w.e, "a ticket's SLA deadline differs from its clocks'");
    t->sla_due++;
    assert_clean(w.e);
    world_free(&w);
}

/* ---- detecting: the eligibility index and the buckets ------------------------------------ */

static void test_detects_unlinked_index_membership(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_agent *a = agent_of(&w, A7);
    assert_true(a->member_count > 0);
    a->member_count--;
    assert_broken(w.e, "the eligibility index differs from a recomputation");
    a->member_count++;
    a->ready_mask ^= 1u << MAIL;
    assert_broken(w.e, "the eligibility index differs from a recomputation");
    a->ready_mask ^= 1u << MAIL;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_bucket_heap_out_of_order(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    /* Tickets 10 and 11 wait in one bucket of the deadline-ordered queue. */
    us_ticket *x = ticket_of(&w, 10), *y = ticket_of(&w, 11);
    assert_int_equal(x->buckets[US_FILED_MAIN], y->buckets[US_FILED_MAIN]);
    us_bucket *b = us_bucket_at(w.e, x->buckets[US_FILED_MAIN]);
    uint32_t px = x->heap_pos[US_FILED_MAIN], py = y->heap_pos[US_FILED_MAIN];
    uint32_t ex = b->heap[px], ey = b->heap[py];
    b->heap[px] = ey; /* swapped, places not told */
    b->heap[py] = ex;
    assert_broken(w.e, "a waiting ticket is not where its bucket holds it");
    x->heap_pos[US_FILED_MAIN] = py; /* places told: only the order is wrong */
    y->heap_pos[US_FILED_MAIN] = px;
    assert_broken(w.e, "a bucket's heap is out of order");
    b->heap[px] = ex;
    b->heap[py] = ey;
    x->heap_pos[US_FILED_MAIN] = px;
    y->heap_pos[US_FILED_MAIN] = py;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_bucket_and_queue_counts(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_ticket *t = ticket_of(&w, 3);
    us_bucket *b = us_bucket_at(w.e, t->buckets[US_FILED_MAIN]);
    b->tickets++;
    assert_broken(w.e, "a bucket's count of tickets differs from its tickets");
    b->tickets--;
    w.e->index.sigs[b->sig].waiting++;
    assert_broken(w.e, "a signature's count of waiting tickets differs from its buckets");
    w.e->index.sigs[b->sig].waiting--;
    w.e->router.waiting++;
    assert_broken(w.e, "the router's count of waiting tickets differs from its tickets");
    w.e->router.waiting--;
    us_queue *q = us_queue_at(w.e, b->queue);
    q->live_tickets--;
    assert_broken(w.e, "a queue's count of live tickets differs from its tickets");
    q->live_tickets++;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_free_ticket_in_heap(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    /* A freed ticket slot whose stale record claims a place at the end of
     * ticket 3's heap, with the bucket's counts raised to match: only the
     * number of waiting filings gives it away. */
    OK(&w, usher_ticket_cancel(w.e, 12));
    uint32_t f = w.e->router.tickets.free_head;
    assert_int_not_equal(f, US_NONE);
    us_ticket saved = *us_ticket_at(w.e, f);
    uint32_t bs = ticket_of(&w, 3)->buckets[US_FILED_MAIN];
    us_bucket *b = us_bucket_at(w.e, bs);
    us_ticket *stale = us_ticket_at(w.e, f);
    *stale = *ticket_of(&w, 3);
    stale->next_free = saved.next_free; /* still on the free list */
    stale->seq = UINT64_MAX; /* after ticket 3 in the heap's order */
    stale->heap_pos[US_FILED_MAIN] = (uint32_t)b->size;
    b->heap[b->size++] = f * 2;
    b->tickets++;
    w.e->index.sigs[b->sig].waiting++;
    assert_broken(w.e, "the buckets hold tickets that do not wait there");
    w.e->index.sigs[b->sig].waiting--;
    b->tickets--;
    b->size--;
    *us_ticket_at(w.e, f) = saved;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_missed_match(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    /* Ticket 5 was rejected by one agent and offered to the next. Take
     * the offer back by hand and drop the exclusion: now a waiting ticket
     * has an eligible agent, and nothing marks it for matching. */
    us_ticket *t = ticket_of(&w, 5);
    uint32_t slot = ticket_slot(&w, 5);
    us_route_unassign(w.e, slot);
    us_offer_forget(w.e, slot);
    us_route_unmark_ticket(w.e, slot);
    for (uint32_t a = 0; a < w.e->agents.slots; a++) /* agents freed by the unassignment */
        us_route_unmark_agent(w.e, a);
    assert_int_equal(t->exclusions, US_NONE);
    assert_broken(w.e, "a waiting ticket has an eligible agent who may take it");
    /* Marked, it is matched by the next call. */
    us_route_mark_ticket(w.e, slot);
    assert_clean(w.e);
    OK(&w, usher_advance(w.e, w.now));
    assert_int_equal(ticket_of(&w, 5)->state, USHER_TICKET_OFFERED);
    world_free(&w);
}

static void test_detects_broken_marks(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_ticket *t = ticket_of(&w, 3);
    t->dirty = true; /* flagged, but not in the list */
    assert_broken(w.e, "the list of tickets to match is broken");
    t->dirty = false;
    agent_of(&w, A4)->dirty = true;
    assert_broken(w.e, "the list of agents to match is broken");
    agent_of(&w, A4)->dirty = false;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_broken_preference(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_agent *a = agent_of(&w, A5);
    uint32_t head = a->preferred_by;
    assert_int_equal(head, ticket_slot(&w, 4));
    a->preferred_by = US_NONE;
    assert_broken(w.e, "a ticket is not in its preferred agent's list");
    a->preferred_by = head;
    us_ticket *t = ticket_of(&w, 4);
    uint32_t preferred = t->pref_agent;
    assert_int_equal(us_agent_find(w.e, A6, &t->pref_agent), USHER_OK); /* offline */
    assert_broken(w.e, "a ticket waits for an agent who is not available");
    t->pref_agent = preferred;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_customer_count(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_customer *c = us_pool_at(&w.e->router.customers, us_customer_find(w.e, 555));
    c->live_tickets++;
    assert_broken(w.e, "a customer record's count of live tickets differs from its tickets");
    c->live_tickets--;
    assert_clean(w.e);
    world_free(&w);
}

/* ---- detecting: id maps and pools ------------------------------------------------------ */

static void test_detects_id_map_errors(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    uint32_t slot;
    assert_true(us_idmap_erase(&w.e->agents.by_id, A2, &slot));
    assert_broken(w.e, "a live agent is not in the agent map");
    assert_int_equal(us_idmap_insert(&w.e->agents.by_id, A2, slot), USHER_OK);
    assert_clean(w.e);

    assert_int_equal(us_idmap_insert(&w.e->router.ticket_by_id, 4444, ticket_slot(&w, 2)),
                     USHER_OK);
    assert_broken(w.e, "a router map holds entries that are not live");
    assert_true(us_idmap_erase(&w.e->router.ticket_by_id, 4444, NULL));

    w.e->router.ticket_by_id.count++;
    assert_broken(w.e, "an id map's table is inconsistent");
    w.e->router.ticket_by_id.count--;

    assert_true(us_idmap_erase(&w.e->slas.by_ticket, 12, &slot));
    assert_broken(w.e, "SLA records and their map disagree");
    assert_int_equal(us_idmap_insert(&w.e->slas.by_ticket, 12, slot), USHER_OK);
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_wheel_structure(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    us_wheel *wheel = &w.e->wheel;
    int level = 0;
    while (wheel->occupied[level] == 0)
        level++;
    uint64_t bits = wheel->occupied[level];
    wheel->occupied[level] = 0;
    assert_broken(w.e, "the timer wheel's lists, bitmaps or free list are inconsistent");
    wheel->occupied[level] = bits;
    wheel->used++;
    assert_broken(w.e, "the timer wheel's lists, bitmaps or free list are inconsistent");
    wheel->used--;
    assert_clean(w.e);
    world_free(&w);
}

/* ---- detecting: the index's links, scores, hash chains and free slots ------------------- */

static us_sig *sig_of_bucket(world *w, uint64_t ticket)
{
    return &w->e->index.sigs[us_bucket_at(w->e, ticket_of(w, ticket)->buckets[US_FILED_MAIN])->sig];
}

static void test_detects_index_score_and_hash(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    /* A membership of a longest-idle signature: its score is 0 and no
     * heap key depends on it. */
    us_agent *a = agent_of(&w, A1);
    us_membership *mb = NULL;
    for (size_t m = 0; m < a->member_count && !mb; m++)
        if (w.e->index.sigs[a->members[m].sig].strategy == USHER_STRATEGY_LONGEST_IDLE)
            mb = &a->members[m];
    assert_non_null(mb);
    uint32_t score = mb->score;
    mb->score = score + 7;
    assert_false(us_index_check(w.e));
    assert_broken(w.e, "the eligibility index differs from a recomputation");
    mb->score = score;
    us_sig *sig = sig_of_bucket(&w, 3);
    sig->hash ^= 1; /* the hash map no longer finds it */
    assert_false(us_index_check(w.e));
    sig->hash ^= 1;
    assert_int_equal(sig->reqs[0].level, 9); /* vip 9: nobody meets it, at 10 neither */
    sig->reqs[0].level = 10;                 /* a key its hash does not name */
    assert_false(us_index_check(w.e));
    sig->reqs[0].level = 9;
    uint32_t free_head = w.e->index.free_head;
    w.e->index.free_head = us_bucket_at(w.e, ticket_of(&w, 3)->buckets[US_FILED_MAIN])->sig;
    assert_false(us_index_check(w.e));
    w.e->index.free_head = free_head;
    assert_clean(w.e);
    world_free(&w);
}

static void test_detects_orphan_heap_entry(void **state)
{
    (void)state;
    world w;
    world_init(&w);
    /* Ticket 6's most-free signature: a stale copy of its top entry past
     * the end, counted in. */
    us_sig *sig = sig_of_bucket(&w, 6);
    assert_int_equal(sig->strategy, USHER_STRATEGY_MOST_FREE);
    assert_true(sig->heap_size > 0 && sig->heap_size < sig->members &&
                sig->heap_size < sig->heap_capacity);
    sig->heap[sig->heap_size++] = sig->heap[0];
    assert_false(us_index_check(w.e));
    sig->heap_size--;
    assert_clean(w.e);
    world_free(&w);
}

/* ---- detecting: the wheel's and the id maps' own structure ------------------------------- */

static void test_wheel_self_check(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_wheel wheel;
    us_wheel_init(&wheel, &ta.allocator, 1000);
    uint32_t id[4];
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(us_wheel_schedule(&wheel, 1000 + 70 * i, 1, i, &id[i]), USHER_OK);
    assert_true(us_wheel_check(&wheel));
    assert_true(us_wheel_is_live(&wheel, id[1]) && !us_wheel_is_live(&wheel, wheel.capacity));
    /* A deadline changed in place: the node sits at the wrong level. */
    wheel.nodes[id[3]].deadline += 100000;
    assert_false(us_wheel_check(&wheel));
    wheel.nodes[id[3]].deadline -= 100000;
    /* A free node that claims a list. */
    uint32_t free_node = wheel.free_head;
    assert_int_not_equal(free_node, US_TIMER_NONE);
    uint32_t where = wheel.nodes[free_node].where;
    wheel.nodes[free_node].where = 0;
    assert_false(us_wheel_check(&wheel));
    wheel.nodes[free_node].where = where;
    /* A cached next deadline that is not the earliest. */
    assert_int_equal(us_wheel_next_deadline(&wheel), 1000);
    us_wheel_cancel(&wheel, id[0]);
    assert_int_equal(us_wheel_next_deadline(&wheel), 1070);
    wheel.next_cache = 1071;
    assert_false(us_wheel_check(&wheel));
    wheel.next_cache = 1070;
    /* A broken back link. */
    uint32_t prev = wheel.nodes[id[2]].prev;
    wheel.nodes[id[2]].prev = id[2];
    assert_false(us_wheel_check(&wheel));
    wheel.nodes[id[2]].prev = prev;
    assert_true(us_wheel_check(&wheel));
    us_wheel_free(&wheel);
    assert_int_equal(ta.live, 0);
}

static void test_idmap_self_check(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    us_idmap map;
    us_idmap_init(&map, &ta.allocator, 99);
    assert_true(us_idmap_check(&map));
    for (uint64_t k = 1; k <= 10; k++)
        assert_int_equal(us_idmap_insert(&map, k * 1000003, (uint32_t)k), USHER_OK);
    assert_true(us_idmap_check(&map));
    uint32_t cursor = 0, value, seen = 0;
    uint64_t key;
    while (us_idmap_next(&map, &cursor, &key, &value)) {
        assert_int_equal(key, value * UINT64_C(1000003));
        seen++;
    }
    assert_int_equal(seen, 10);
    /* An entry moved one slot on, across an empty one. */
    uint32_t i = 0;
    while (!map.slots[i].used || map.slots[(i + 1) & map.mask].used)
        i++;
    uint32_t next = (i + 1) & map.mask;
    map.slots[next] = map.slots[i];
    map.slots[i] = (us_idmap_slot){0};
    assert_false(us_idmap_check(&map));
    /* The same key twice, counted twice. */
    map.slots[i] = map.slots[next];
    map.count++;
    assert_false(us_idmap_check(&map));
    map.slots[next] = (us_idmap_slot){0};
    map.count--;
    assert_true(us_idmap_check(&map));
    map.count++;
    assert_false(us_idmap_check(&map));
    map.count--;
    /* Fuller than 3/4: 12 entries fill 16 slots to the limit, a 13th is
     * placed by hand where probing finds it. */
    for (uint64_t k = 11; k <= 12; k++)
        assert_int_equal(us_idmap_insert(&map, k * 1000003, (uint32_t)k), USHER_OK);
    assert_int_equal(map.mask, 15);
    assert_true(us_idmap_check(&map));
    uint64_t extra = 13 * UINT64_C(1000003);
    uint32_t at = (uint32_t)XXH3_64bits_withSeed(&extra, sizeof extra, map.seed) & map.mask;
    while (map.slots[at].used)
        at = (at + 1) & map.mask;
    map.slots[at] = (us_idmap_slot){extra, 13, 1};
    map.count++;
    assert_false(us_idmap_check(&map));
    map.slots[at].used = 0;
    map.count--;
    assert_true(us_idmap_check(&map));
    us_idmap_free(&map);
    assert_int_equal(ta.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_rejects_bad_calls),
        cmocka_unit_test(test_check_passes_through_a_day),
        cmocka_unit_test(test_check_passes_after_failed_allocations),
        cmocka_unit_test(test_check_refused_inside_scoring_hook),
        cmocka_unit_test(test_check_closed_engine),
        cmocka_unit_test(test_detects_capacity_used_bumped),
        cmocka_unit_test(test_detects_channel_count_bumped),
        cmocka_unit_test(test_detects_agent_over_capacity),
        cmocka_unit_test(test_detects_outstanding_offers_miscounted),
        cmocka_unit_test(test_detects_ticket_with_two_owners),
        cmocka_unit_test(test_detects_held_ticket_missing_from_map),
        cmocka_unit_test(test_detects_lost_capacity_record),
        cmocka_unit_test(test_detects_dropped_timer),
        cmocka_unit_test(test_detects_orphan_timer),
        cmocka_unit_test(test_detects_timers_at_wrong_times),
        cmocka_unit_test(test_detects_missing_widening_timer),
        cmocka_unit_test(test_detects_flags_without_timers),
        cmocka_unit_test(test_detects_load_cap_timer_errors),
        cmocka_unit_test(test_detects_sla_clock_errors),
        cmocka_unit_test(test_detects_sla_held_event_errors),
        cmocka_unit_test(test_detects_stale_sla_deadline_of_ticket),
        cmocka_unit_test(test_detects_unlinked_index_membership),
        cmocka_unit_test(test_detects_bucket_heap_out_of_order),
        cmocka_unit_test(test_detects_bucket_and_queue_counts),
        cmocka_unit_test(test_detects_free_ticket_in_heap),
        cmocka_unit_test(test_detects_missed_match),
        cmocka_unit_test(test_detects_broken_marks),
        cmocka_unit_test(test_detects_broken_preference),
        cmocka_unit_test(test_detects_customer_count),
        cmocka_unit_test(test_detects_id_map_errors),
        cmocka_unit_test(test_detects_wheel_structure),
        cmocka_unit_test(test_detects_index_score_and_hash),
        cmocka_unit_test(test_detects_orphan_heap_entry),
        cmocka_unit_test(test_wheel_self_check),
        cmocka_unit_test(test_idmap_self_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
