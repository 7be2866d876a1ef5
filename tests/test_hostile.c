/* Hostile input: ids chosen to collide in the id maps, a flood of tickets
 * from one customer, priorities of INT32_MAX and INT32_MIN, a clock jump of
 * ten years over live timers, SLA clocks and offers, a callback that
 * removes the agent it was just offered a ticket to, and callbacks (and a
 * scoring hook) that free the engine. Each test asserts the documented
 * outcome and that usher_check() passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <xxhash.h>

#include "check.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define FLOOD 100000 /* tickets from one customer under ASan */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FLOOD 100000
#endif
#endif
#ifndef FLOOD
#define FLOOD 1000000
#endif

#define CHAT 1u
#define MINUTE UINT64_C(60000)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)
#define YEAR (365 * DAY + 6 * HOUR)
#define MAX_EVENTS 4096

typedef struct host {
    test_allocator ta;
    usher_engine *e;
    uint64_t now;
    usher_event ev[MAX_EVENTS];
    int n;
    /* What the callback does on each event, and its own state. */
    void (*react)(struct host *h, const usher_event *ev);
    uint64_t victim;
    int reacted;
} host;

static void assert_clean(const usher_engine *e)
{
    const char *broken = us_check(e);
    if (broken)
        fail_msg("usher_check: %s", broken);
    assert_int_equal(usher_check(e), USHER_OK);
}

#define OK(h, call)                                                                                \
    do {                                                                                           \
        assert_int_equal((call), USHER_OK);                                                        \
        assert_clean((h)->e);                                                                      \
    } while (0)

static void on_event(void *user, const usher_event *ev)
{
    host *h = user;
    if (h->n < MAX_EVENTS)
        h->ev[h->n] = *ev;
    h->n++;
    if (h->react)
        h->react(h, ev);
}

static void host_init(host *h, uint64_t seed, uint64_t start)
{
    memset(h, 0, sizeof *h);
    test_allocator_init(&h->ta, 0);
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.seed = seed;
    cfg.start_ms = start;
    cfg.allocator = &h->ta.allocator;
    h->now = start;
    assert_int_equal(usher_engine_new(&cfg, &h->e), USHER_OK);
    OK(h, usher_set_event_handler(h->e, on_event, h));
    usher_channel_def chat;
    usher_channel_def_init(&chat);
    chat.max_per_agent = 100;
    OK(h, usher_channel_add(h->e, CHAT, &chat));
}

static void host_free(host *h)
{
    usher_engine_free(h->e);
    assert_int_equal(h->ta.live, 0);
}

static void add_queue(host *h, uint32_t id, void (*adjust)(usher_queue_def *))
{
    usher_queue_def def;
    usher_queue_def_init(&def);
    if (adjust)
        adjust(&def);
    OK(h, usher_queue_add(h->e, id, &def));
}

static void add_agent(host *h, uint64_t id, uint32_t capacity)
{
    OK(h, usher_agent_add(h->e, id, capacity));
    OK(h, usher_agent_set_state(h->e, id, USHER_AGENT_AVAILABLE, 0));
}

static usher_status submit(host *h, uint64_t id, uint32_t queue, uint64_t customer,
                           uint32_t priority)
{
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = queue;
    spec.channel = CHAT;
    spec.customer_id = customer;
    spec.priority = priority;
    return usher_ticket_submit(h->e, id, &spec);
}

static int count_events(const host *h, int32_t type)
{
    int n = 0;
    for (int i = 0; i < h->n && i < MAX_EVENTS; i++)
        n += h->ev[i].type == type;
    return n;
}

static int32_t ticket_state(host *h, uint64_t id)
{
    usher_ticket_info info = {.struct_size = sizeof info};
    assert_int_equal(usher_ticket_get(h->e, id, &info), USHER_OK);
    return info.state;
}

/* ---- colliding ids ----------------------------------------------------------------- */

#define COLLIDING 1000
#define LOW_BITS 0xfffu /* the same home slot in every table of up to 4096 slots */

/* Ids whose hash under the map's seed agrees in the low 12 bits: what an
 * attacker who knew the seed would send. */
static void colliding_ids(uint64_t seed, uint64_t *ids, int n)
{
    uint64_t target = UINT64_MAX;
    int found = 0;
    for (uint64_t id = 1; found < n; id++) {
        uint64_t low = XXH3_64bits_withSeed(&id, sizeof id, seed) & LOW_BITS;
        if (target == UINT64_MAX)
            target = low;
        if (low == target)
            ids[found++] = id;
    }
}

static void test_ids_chosen_to_collide(void **state)
{
    (void)state;
    static uint64_t ids[COLLIDING];
    host h;
    host_init(&h, 7, 1000);
    add_queue(&h, 1, NULL);
    add_agent(&h, 1, 10);
    colliding_ids(h.e->router.ticket_by_id.seed, ids, COLLIDING);
    uint64_t probes = h.e->router.ticket_by_id.probes;
    for (int i = 0; i < COLLIDING; i++)
        assert_int_equal(submit(&h, ids[i], 1, 0, (uint32_t)i % 7), USHER_OK);
    assert_clean(h.e);
    /* They did collide: inserting costs hundreds of probes each... */
    uint64_t per_insert = (h.e->router.ticket_by_id.probes - probes) / COLLIDING;
    print_message("colliding ids: %llu probes per insert\n", (unsigned long long)per_insert);
    assert_true(per_insert > 100);
    /* ...but everything still works: every ticket is found, the agent
     * takes them in order as it completes them, and the map empties. */
    int assigned = 0;
    for (int i = 0; i < COLLIDING; i++)
        assigned += ticket_state(&h, ids[i]) == USHER_TICKET_ASSIGNED;
    assert_int_equal(assigned, 10);
    uint64_t rng = 3;
    for (int done = 0; done < COLLIDING; done++) {
        int i;
        do /* a random live one */
            i = (int)test_rand_below(&rng, COLLIDING);
        while (usher_ticket_complete(h.e, ids[i], 0) != USHER_OK);
        if (done % 97 == 0)
            assert_clean(h.e);
    }
    assert_clean(h.e);
    assert_int_equal(us_idmap_count(&h.e->router.ticket_by_id), 0);
    assert_true(h.n < MAX_EVENTS);
    assert_int_equal(count_events(&h, USHER_EVENT_TICKET_COMPLETED), COLLIDING);
    host_free(&h);

    /* The same ids under another seed spread out (a submit looks the id
     * up a few times). */
    host_init(&h, 8, 1000);
    add_queue(&h, 1, NULL);
    probes = h.e->router.ticket_by_id.probes;
    for (int i = 0; i < COLLIDING; i++)
        assert_int_equal(submit(&h, ids[i], 1, 0, 0), USHER_OK);
    uint64_t spread = (h.e->router.ticket_by_id.probes - probes) / COLLIDING;
    print_message("the same ids under another seed: %llu probes per insert\n",
                  (unsigned long long)spread);
    assert_true(spread < 20);
    assert_clean(h.e);
    host_free(&h);
}

static void test_agent_ids_chosen_to_collide(void **state)
{
    (void)state;
    enum { AGENTS = 400 };
    static uint64_t ids[AGENTS];
    host h;
    host_init(&h, 11, 1000);
    add_queue(&h, 1, NULL);
    colliding_ids(h.e->agents.by_id.seed, ids, AGENTS);
    for (int i = 0; i < AGENTS; i++)
        add_agent(&h, ids[i], 1);
    /* Tickets go to the longest idle: the first added, in order. */
    for (uint64_t t = 1; t <= AGENTS / 2; t++)
        assert_int_equal(submit(&h, t, 1, 0, 0), USHER_OK);
    usher_ticket_info info = {.struct_size = sizeof info};
    OK(&h, usher_ticket_get(h.e, AGENTS / 2, &info));
    assert_int_equal(info.agent_id, ids[AGENTS / 2 - 1]);
    uint64_t rng = 5;
    for (int left = AGENTS; left > 0; left--) {
        int i;
        do /* a random agent still there */
            i = (int)test_rand_below(&rng, AGENTS);
        while (usher_agent_remove(h.e, ids[i]) != USHER_OK);
        if (left % 37 == 0)
            assert_clean(h.e);
    }
    assert_clean(h.e);
    assert_int_equal(h.e->agents.live, 0);
    assert_int_equal(h.e->router.waiting, AGENTS / 2); /* handed back, waiting */
    host_free(&h);
}

/* ---- one customer, many tickets -------------------------------------------------------- */

static void sticky_repeat(usher_queue_def *def)
{
    def->sticky_ms = HOUR;
    def->repeat_threshold = 3;
    def->repeat_window_ms = DAY;
    def->repeat_flags = USHER_REPEAT_RAISE_TIER;
    def->repeat_tier = 3;
}

static void test_one_customer_floods(void **state)
{
    (void)state;
    host h;
    host_init(&h, 1, 1000);
    add_queue(&h, 1, sticky_repeat);
    add_agent(&h, 9, 10);
    /* The first ticket goes to agent 9; the next nine stick to it; the
     * rest wait for it (sticky) and are escalated as repeat contacts. */
    for (uint64_t id = 1; id <= FLOOD; id++)
        if (submit(&h, id, 1, 42, 0) != USHER_OK)
            fail_msg("ticket %llu refused", (unsigned long long)id);
    assert_clean(h.e);
    assert_int_equal(h.e->router.customers.live, 1);
    assert_int_equal(h.e->router.waiting, FLOOD - 10);
    uint32_t slot = us_customer_find(h.e, 42);
    assert_int_equal(((us_customer *)us_pool_at(&h.e->router.customers, slot))->live_tickets,
                     FLOOD);
    assert_int_equal(ticket_state(&h, 10), USHER_TICKET_ASSIGNED);
    usher_ticket_info info = {.struct_size = sizeof info};
    assert_int_equal(usher_ticket_get(h.e, FLOOD, &info), USHER_OK);
    assert_int_equal(info.tier, 3);
    assert_int_equal(info.preferred_agent_id, 9);
    /* Completing one lets the agent take the oldest waiting for it. (The
     * check costs a pass over every ticket: once at the peak is enough.) */
    assert_int_equal(usher_ticket_complete(h.e, 1, 0), USHER_OK);
    assert_int_equal(ticket_state(&h, 11), USHER_TICKET_ASSIGNED);
    /* The agent logs out: every wait for it ends at once, its tickets
     * go back; then the customer gives up on all of them. */
    assert_int_equal(usher_agent_set_state(h.e, 9, USHER_AGENT_OFFLINE, 0), USHER_OK);
    assert_int_equal(h.e->router.waiting, FLOOD - 1);
    assert_int_equal(h.e->slas.records.live + us_wheel_count(&h.e->wheel), 1); /* the record's */
    for (uint64_t id = 2; id <= FLOOD; id++)
        if (usher_ticket_cancel(h.e, id) != USHER_OK)
            fail_msg("ticket %llu not cancelled", (unsigned long long)id);
    assert_clean(h.e);
    h.now += 2 * DAY; /* the record is forgotten once no rule needs it */
    OK(&h, usher_advance(h.e, h.now));
    assert_int_equal(h.e->router.customers.live, 0);
    assert_int_equal(us_wheel_count(&h.e->wheel), 0);
    host_free(&h);
}

/* ---- extreme priorities ------------------------------------------------------------------ */

static void max_ageing(usher_queue_def *def)
{
    def->ageing_rate = USHER_MAX_AGEING_RATE;
    for (uint32_t t = 0; t < USHER_MAX_TIERS; t++)
        def->tier_weight[t] = USHER_MAX_PRIORITY;
}

static void test_extreme_priorities(void **state)
{
    (void)state;
    host h;
    host_init(&h, 1, USHER_TIME_MAX - 10 * DAY);
    add_queue(&h, 1, max_ageing);
    const uint32_t hostile[] = {(uint32_t)INT32_MAX, (uint32_t)INT32_MIN, UINT32_MAX,
                                USHER_MAX_PRIORITY + 1};
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
        assert_int_equal(submit(&h, 1, 1, 0, hostile[i]), USHER_EINVAL);
    usher_ticket_info info = {.struct_size = sizeof info};
    assert_int_equal(usher_ticket_get(h.e, 1, &info), USHER_ENOTFOUND);
    assert_int_equal(h.n, 0);
    assert_clean(h.e);

    /* The largest valid values: created at 0, aged ten days short of the
     * end of time at the highest rate, the effective priority (about
     * 9.2e21 milli-points) saturates in reports but orders exactly. */
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = 1;
    spec.channel = CHAT;
    spec.priority = USHER_MAX_PRIORITY;
    spec.tier = USHER_MAX_TIERS - 1;
    spec.created_ms = 1; /* the older one */
    OK(&h, usher_ticket_submit(h.e, 1, &spec));
    spec.created_ms = 2;
    OK(&h, usher_ticket_submit(h.e, 2, &spec));
    spec.priority = 0;
    spec.created_ms = 0;
    OK(&h, usher_ticket_submit(h.e, 3, &spec)); /* older still, 1000 points less */
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
        assert_int_equal(usher_ticket_set_priority(h.e, 2, hostile[i]), USHER_EINVAL);
    assert_int_equal(usher_ticket_get(h.e, 2, &info), USHER_OK);
    assert_int_equal(info.priority, USHER_MAX_PRIORITY);
    assert_int_equal(info.effective_priority, INT64_MAX);
    assert_clean(h.e);
    /* At this rate a point is a millisecond of waiting: ticket 3, 1000
     * points lower but older by 1 and 2 ms, is 999 and 998 points behind
     * tickets 1 and 2; ticket 1, older by 1 ms, is before ticket 2. */
    add_agent(&h, 5, 1);
    assert_int_equal(ticket_state(&h, 1), USHER_TICKET_ASSIGNED);
    OK(&h, usher_ticket_complete(h.e, 1, 0));
    assert_int_equal(ticket_state(&h, 2), USHER_TICKET_ASSIGNED);
    OK(&h, usher_ticket_complete(h.e, 2, 0));
    assert_int_equal(ticket_state(&h, 3), USHER_TICKET_ASSIGNED);

    /* SLA rules take any 32-bit priority: the split at INT32_MAX holds. */
    usher_sla_policy_def def;
    usher_sla_policy_def_init(&def);
    def.target_mask = 1u << USHER_SLA_RESOLUTION;
    def.target_ms[USHER_SLA_RESOLUTION] = HOUR;
    OK(&h, usher_sla_policy_add(h.e, 1, &def));
    def.target_ms[USHER_SLA_RESOLUTION] = 2 * HOUR;
    OK(&h, usher_sla_policy_add(h.e, 2, &def));
    const usher_sla_rule rules[] = {
        {USHER_SLA_ANY, USHER_SLA_ANY, USHER_SLA_ANY, 0, (uint32_t)INT32_MAX, 1},
        {USHER_SLA_ANY, USHER_SLA_ANY, USHER_SLA_ANY, (uint32_t)INT32_MIN, UINT32_MAX, 2},
    };
    OK(&h, usher_sla_set_rules(h.e, rules, 2, USHER_SLA_NO_POLICY));
    usher_sla_spec sla;
    usher_sla_spec_init(&sla);
    sla.priority = (uint32_t)INT32_MAX;
    OK(&h, usher_sla_start(h.e, 10, &sla));
    sla.priority = (uint32_t)INT32_MIN;
    OK(&h, usher_sla_start(h.e, 11, &sla));
    usher_sla_target_info t = {.struct_size = sizeof t};
    assert_int_equal(usher_sla_get(h.e, 10, USHER_SLA_RESOLUTION, &t), USHER_OK);
    assert_int_equal(t.policy, 1);
    assert_int_equal(usher_sla_get(h.e, 11, USHER_SLA_RESOLUTION, &t), USHER_OK);
    assert_int_equal(t.policy, 2);
    host_free(&h);
}

/* ---- a jump of ten years --------------------------------------------------------------- */

static void offers(usher_queue_def *def)
{
    def->assign_mode = USHER_ASSIGN_OFFER;
    def->offer_timeout_ms = 30000;
    def->reject_cooldown_ms = MINUTE;
}

static void widening(host *h, uint32_t queue)
{
    const usher_widen_step steps[] = {
        {.after_ms = MINUTE, .action = USHER_WIDEN_RAISE_PRIORITY, .value = 10},
        {.after_ms = 3 * YEAR, .action = USHER_WIDEN_RAISE_PRIORITY, .value = 10},
    };
    OK(h, usher_queue_set_widening(h->e, queue, steps, 2));
}

static void test_clock_jumps_ten_years(void **state)
{
    (void)state;
    host h;
    uint64_t start = UINT64_C(1700000000000);
    host_init(&h, 5, start);
    add_queue(&h, 1, offers);
    add_queue(&h, 2, sticky_repeat);
    widening(&h, 2);
    usher_sla_policy_def def;
    usher_sla_policy_def_init(&def);
    def.target_mask = 1u << USHER_SLA_FIRST_RESPONSE | 1u << USHER_SLA_RESOLUTION;
    def.target_ms[USHER_SLA_FIRST_RESPONSE] = HOUR;
    def.target_ms[USHER_SLA_RESOLUTION] = DAY;
    def.warning_count = 2;
    def.warning_permille[0] = 500;
    def.warning_permille[1] = 900;
    OK(&h, usher_sla_policy_add(h.e, 1, &def));
    OK(&h, usher_sla_set_rules(h.e, NULL, 0, 1));
    add_agent(&h, 1, 5);
    add_agent(&h, 2, 5);
    OK(&h, usher_agent_set_idle_timeout(h.e, 2, HOUR));
    OK(&h, usher_agent_set_load_cap(h.e, 1, 100, DAY));
    for (uint64_t id = 1; id <= 3; id++) {
        usher_sla_spec sla;
        usher_sla_spec_init(&sla);
        OK(&h, usher_sla_start(h.e, id, &sla));
        assert_int_equal(submit(&h, id, 1, 0, 0), USHER_OK); /* offered */
    }
    assert_int_equal(submit(&h, 4, 2, 77, 0), USHER_OK); /* assigned; it widens all the same */
    const uint64_t timers[] = {start + DAY, start + 5 * YEAR, start + 10 * YEAR - 1,
                               start + 11 * YEAR};
    for (uint64_t i = 0; i < 4; i++)
        OK(&h, usher_timer_set(h.e, 100 + i, timers[i]));
    assert_clean(h.e);

    h.n = 0;
    h.now = start + 10 * YEAR;
    OK(&h, usher_advance(h.e, h.now));
    assert_true(h.n < MAX_EVENTS);
    /* Every deadline fired once, in order, each with its own time. */
    for (int i = 1; i < h.n; i++)
        assert_true(h.ev[i].time_ms >= h.ev[i - 1].time_ms);
    int fired[4] = {0};
    for (int i = 0; i < h.n; i++)
        if (h.ev[i].type == USHER_EVENT_TIMER) {
            assert_true(h.ev[i].timer_id >= 100 && h.ev[i].timer_id < 103);
            assert_int_equal(h.ev[i].time_ms, timers[h.ev[i].timer_id - 100]);
            fired[h.ev[i].timer_id - 100]++;
        }
    assert_true(fired[0] == 1 && fired[1] == 1 && fired[2] == 1 && fired[3] == 0);
    uint64_t due;
    OK(&h, usher_timer_due(h.e, 103, &due));
    assert_int_equal(due, timers[3]);
    /* Each tracked ticket: two warnings and a breach per target, at their
     * exact times. */
    for (uint64_t id = 1; id <= 3; id++) {
        int warnings = 0, breaches = 0;
        for (int i = 0; i < h.n; i++) {
            if (h.ev[i].ticket_id != id)
                continue;
            warnings += h.ev[i].type == USHER_EVENT_SLA_WARNING;
            if (h.ev[i].type == USHER_EVENT_SLA_BREACHED) {
                breaches++;
                uint64_t target = h.ev[i].reason == USHER_SLA_RESOLUTION ? DAY : HOUR;
                assert_int_equal(h.ev[i].due_ms, start + target);
            }
        }
        assert_int_equal(warnings, 4);
        assert_int_equal(breaches, 2);
    }
    /* Offers expired until both agents were set away for not answering
     * (agent 2's idle timeout may have come first); the widening steps of
     * ticket 4 both fired. */
    assert_true(count_events(&h, USHER_EVENT_OFFER_EXPIRED) >= 3);
    for (uint64_t a = 1; a <= 2; a++) {
        usher_agent_info info = {.struct_size = sizeof info};
        OK(&h, usher_agent_get(h.e, a, &info));
        assert_int_equal(info.state, USHER_AGENT_AWAY);
    }
    int widened = 0;
    for (int i = 0; i < h.n; i++)
        widened += h.ev[i].type == USHER_EVENT_TICKET_WIDENED && h.ev[i].ticket_id == 4;
    assert_int_equal(widened, 2);
    /* Nothing due is left but the last host timer: the customer record
     * that ticket 4 still pins has no timer running (it would otherwise
     * wake once per window through the whole jump). */
    uint64_t next;
    OK(&h, usher_next_deadline(h.e, &next));
    assert_int_equal(next, timers[3]);
    host_free(&h);
}

/* ---- callbacks that pull the rug ----------------------------------------------------------- */

/* Removes the agent the first offer went to, from inside the callback. */
static void remove_offered_agent(host *h, const usher_event *ev)
{
    if (ev->type != USHER_EVENT_TICKET_OFFERED || h->reacted++)
        return;
    h->victim = ev->agent_id;
    assert_int_equal(usher_agent_remove(h->e, ev->agent_id), USHER_OK);
    assert_int_equal(usher_check(h->e), USHER_OK);
}

static void test_callback_removes_offered_agent(void **state)
{
    (void)state;
    host h;
    host_init(&h, 1, 1000);
    add_queue(&h, 1, offers);
    add_agent(&h, 1, 2);
    add_agent(&h, 2, 2);
    h.react = remove_offered_agent;
    h.n = 0;
    OK(&h, submit(&h, 50, 1, 0, 0));
    /* The offer, the ticket back in its place, then the offer to the
     * other agent, all in the one delivery. */
    assert_int_equal(h.n, 3);
    assert_int_equal(h.ev[0].type, USHER_EVENT_TICKET_OFFERED);
    assert_int_equal(h.ev[1].type, USHER_EVENT_TICKET_REQUEUED);
    assert_int_equal(h.ev[1].agent_id, h.victim);
    assert_int_equal(h.ev[1].reason, USHER_RETURN_REMOVED);
    assert_int_equal(h.ev[2].type, USHER_EVENT_TICKET_OFFERED);
    assert_int_not_equal(h.ev[2].agent_id, h.victim);
    usher_agent_info info = {.struct_size = sizeof info};
    assert_int_equal(usher_agent_get(h.e, h.victim, &info), USHER_ENOTFOUND);
    /* The first offer's token is stale; the second is the lease. */
    assert_int_equal(usher_offer_accept(h.e, 50, h.ev[0].offer_token), USHER_ETOKEN);
    OK(&h, usher_offer_accept(h.e, 50, h.ev[2].offer_token));
    OK(&h, usher_agent_get(h.e, h.ev[2].agent_id, &info));
    assert_int_equal(info.capacity_used, 1);
    host_free(&h);
}

/* Frees the engine from inside its callback: every call fails with
 * USHER_ECLOSED until the outermost call returns and frees it. */
static void free_engine(host *h, const usher_event *ev)
{
    (void)ev;
    h->reacted++;
    usher_engine_free(h->e);
    assert_int_equal(usher_check(h->e), USHER_ECLOSED);
    assert_int_equal(submit(h, 999, 1, 0, 0), USHER_ECLOSED);
    assert_int_equal(usher_advance(h->e, h->now + HOUR), USHER_ECLOSED);
    uint64_t now;
    assert_int_equal(usher_now(h->e, &now), USHER_ECLOSED);
}

static void test_callback_frees_engine(void **state)
{
    (void)state;
    host h;
    host_init(&h, 1, 1000);
    add_queue(&h, 1, NULL);
    add_agent(&h, 1, 5);
    h.react = free_engine;
    h.n = 0;
    /* Three host timers fall due; the first callback frees the engine. */
    OK(&h, usher_timer_set(h.e, 1, 2000));
    OK(&h, usher_timer_set(h.e, 2, 2000));
    OK(&h, usher_timer_set(h.e, 3, 2000));
    assert_int_equal(usher_advance(h.e, 5000), USHER_OK);
    assert_int_equal(h.reacted, 1); /* the events after it were dropped */
    assert_int_equal(h.ta.live, 0); /* freed on return, nothing leaked */
}

static int64_t free_from_hook(void *user, uint64_t ticket, uint64_t agent, int64_t score)
{
    (void)ticket;
    (void)agent;
    host *h = user;
    h->reacted++;
    usher_engine_free(h->e); /* takes effect when the call under way returns */
    assert_int_equal(usher_check(h->e), USHER_ECLOSED);
    return score;
}

static void test_scoring_hook_frees_engine(void **state)
{
    (void)state;
    host h;
    host_init(&h, 1, 1000);
    add_queue(&h, 1, NULL);
    add_agent(&h, 1, 5);
    OK(&h, usher_set_score_hook(h.e, free_from_hook, &h, 2));
    h.n = 0;
    assert_int_equal(submit(&h, 1, 1, 0, 0), USHER_OK);
    assert_int_equal(h.reacted, 1);
    assert_int_equal(h.n, 0); /* no event delivered by a closing engine */
    assert_int_equal(h.ta.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_chosen_to_collide),
        cmocka_unit_test(test_agent_ids_chosen_to_collide),
        cmocka_unit_test(test_one_customer_floods),
        cmocka_unit_test(test_extreme_priorities),
        cmocka_unit_test(test_clock_jumps_ten_years),
        cmocka_unit_test(test_callback_removes_offered_agent),
        cmocka_unit_test(test_callback_frees_engine),
        cmocka_unit_test(test_scoring_hook_frees_engine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
