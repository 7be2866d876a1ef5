/* Memory stays bounded: after a million tickets (a hundred thousand under
 * ASan) are created and completed through every path that allocates
 * (queues in both assignment modes, offers accepted, rejected and
 * expired, widening, repeat contacts and sticky agents, SLA clocks with
 * warnings and breaches, wrap-ups, host reservations and timers), the
 * engine's live allocation, counted in bytes through the configured
 * allocator, returns to within a small constant of what it was after a
 * warm-up that reached the same concurrency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "usher.h"

#if defined(__SANITIZE_ADDRESS__)
#define TICKETS 100000
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TICKETS 100000
#endif
#endif
#ifndef TICKETS
#define TICKETS 1000000
#endif
#define WARMUP 50000
#define WINDOW 96   /* tickets live at once */
#define CUSTOMERS 500
#define AGENTS 24
/* What the engine may hold beyond the warm-up's high-water mark after a
 * million tickets: a few pages, whatever the count. */
#define SLACK 16384

#define CHAT 0u
#define MAIL 1u
#define SECOND UINT64_C(1000)
#define MINUTE (60 * SECOND)
#define HOUR (60 * MINUTE)

/* ---- an allocator that counts live bytes -------------------------------------------- */

typedef struct byte_counter {
    usher_allocator allocator; /* first: the callbacks get this address */
    long long live, peak;
} byte_counter;

/* Each block starts with its size, in a header that keeps the alignment. */
typedef union header {
    size_t size;
    max_align_t align;
} header;

static void note(byte_counter *bc, long long delta)
{
    bc->live += delta;
    if (bc->live > bc->peak)
        bc->peak = bc->live;
}

static void *count_malloc(void *user, size_t size)
{
    header *h = malloc(sizeof *h + size);
    if (!h)
        return NULL;
    h->size = size;
    note(user, (long long)size);
    return h + 1;
}

static void *count_realloc(void *user, void *ptr, size_t size)
{
    header *old = (header *)ptr - 1;
    size_t before = old->size;
    header *h = realloc(old, sizeof *h + size);
    if (!h)
        return NULL;
    h->size = size;
    note(user, (long long)size - (long long)before);
    return h + 1;
}

static void count_free(void *user, void *ptr)
{
    header *h = (header *)ptr - 1;
    note(user, -(long long)h->size);
    free(h);
}

/* ---- the workload ------------------------------------------------------------------------ */

typedef struct load {
    byte_counter bc;
    usher_engine *e;
    uint64_t now, rng, next_id;
    uint64_t live[WINDOW]; /* ticket ids in submission order, a ring */
    int head, count;
    long offers, rejects, completed;
} load;

static void on_event(void *user, const usher_event *ev)
{
    load *l = user;
    if (ev->type != USHER_EVENT_TICKET_OFFERED)
        return;
    l->offers++;
    /* Accept most offers, reject some, leave some to expire. */
    uint64_t r = test_rand_below(&l->rng, 10);
    if (r < 6)
        assert_int_equal(usher_offer_accept(l->e, ev->ticket_id, ev->offer_token), USHER_OK);
    else if (r < 8) {
        assert_int_equal(usher_offer_reject(l->e, ev->ticket_id, ev->offer_token), USHER_OK);
        l->rejects++;
    }
}

static void setup(load *l)
{
    memset(l, 0, sizeof *l);
    l->bc.allocator = (usher_allocator){count_malloc, count_realloc, count_free, &l->bc};
    l->rng = 99;
    l->now = UINT64_C(1700000000000);
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.seed = 3;
    cfg.start_ms = l->now;
    cfg.allocator = &l->bc.allocator;
    assert_int_equal(usher_engine_new(&cfg, &l->e), USHER_OK);
    usher_engine *e = l->e;
    assert_int_equal(usher_set_event_handler(e, on_event, l), USHER_OK);
    usher_channel_def def;
    usher_channel_def_init(&def);
    def.max_per_agent = 3;
    def.wrapup_ms = 5 * SECOND;
    assert_int_equal(usher_channel_add(e, CHAT, &def), USHER_OK);
    def.max_per_agent = 5;
    def.wrapup_ms = 0;
    assert_int_equal(usher_channel_add(e, MAIL, &def), USHER_OK);
    uint32_t skill[3];
    const char *names[3] = {"billing", "tech", "sales"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(usher_skill_intern(e, names[i], &skill[i]), USHER_OK);

    usher_queue_def q;
    usher_queue_def_init(&q);
    q.sticky_ms = 10 * MINUTE;
    q.repeat_threshold = 3;
    q.repeat_window_ms = HOUR;
    q.repeat_flags = USHER_REPEAT_RAISE_TIER;
    q.repeat_tier = 2;
    assert_int_equal(usher_queue_add(e, 1, &q), USHER_OK);
    const usher_widen_step steps[] = {
        {.after_ms = 20 * SECOND, .action = USHER_WIDEN_LOWER_LEVEL, .skill = skill[1], .value = 1},
        {.after_ms = MINUTE, .action = USHER_WIDEN_OVERFLOW_GROUP, .skill = skill[2]},
    };
    assert_int_equal(usher_queue_set_widening(e, 1, steps, 2), USHER_OK);
    usher_queue_def_init(&q);
    q.strategy = USHER_STRATEGY_MOST_FREE;
    q.assign_mode = USHER_ASSIGN_OFFER;
    q.offer_timeout_ms = 10 * SECOND;
    q.reject_cooldown_ms = 30 * SECOND;
    q.max_missed_offers = 0;
    assert_int_equal(usher_queue_add(e, 2, &q), USHER_OK);

    usher_sla_policy_def p;
    usher_sla_policy_def_init(&p);
    p.target_mask = 1u << USHER_SLA_FIRST_RESPONSE | 1u << USHER_SLA_RESOLUTION;
    p.target_ms[USHER_SLA_FIRST_RESPONSE] = 30 * SECOND;
    p.target_ms[USHER_SLA_RESOLUTION] = 2 * MINUTE;
    p.warning_count = 1;
    p.warning_permille[0] = 500;
    assert_int_equal(usher_sla_policy_add(e, 1, &p), USHER_OK);
    assert_int_equal(usher_sla_set_rules(e, NULL, 0, 1), USHER_OK);

    for (uint64_t a = 1; a <= AGENTS; a++) {
        assert_int_equal(usher_agent_add(e, a, 6), USHER_OK);
        usher_skill_level levels[2] = {{skill[a % 3], 5}, {skill[(a + 1) % 3], (uint32_t)(a % 9) + 1}};
        assert_int_equal(usher_agent_set_skills(e, a, levels, 2), USHER_OK);
        assert_int_equal(usher_agent_set_state(e, a, USHER_AGENT_AVAILABLE, 0), USHER_OK);
    }
}

static void submit_one(load *l)
{
    uint64_t id = ++l->next_id;
    uint64_t r = test_rand(&l->rng);
    usher_skill_level req = {(uint32_t)(r % 3), (r >> 8) % 2 ? 1u : 4u};
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = (r >> 16) % 3 == 0 ? 2 : 1;
    spec.channel = (r >> 20) % 2 ? CHAT : MAIL;
    spec.priority = (uint32_t)(r >> 24) % 100;
    spec.required = &req;
    spec.required_count = 1;
    spec.customer_id = (r >> 32) % CUSTOMERS + 1;
    assert_int_equal(usher_ticket_submit(l->e, id, &spec), USHER_OK);
    usher_sla_spec sla;
    usher_sla_spec_init(&sla);
    sla.queue = spec.queue;
    sla.channel = spec.channel;
    assert_int_equal(usher_sla_start(l->e, id, &sla), USHER_OK);
    l->live[(l->head + l->count++) % WINDOW] = id;
}

/* Ends the oldest live ticket: completed if it is with an agent (or
 * waiting, sometimes), else cancelled; its SLA record forgotten. */
static void end_oldest(load *l)
{
    uint64_t id = l->live[l->head];
    l->head = (l->head + 1) % WINDOW;
    l->count--;
    usher_ticket_info info = {.struct_size = sizeof info};
    assert_int_equal(usher_ticket_get(l->e, id, &info), USHER_OK);
    assert_int_equal(usher_sla_report(l->e, id, USHER_SLA_AGENT_REPLY), USHER_OK);
    if (info.state == USHER_TICKET_ASSIGNED || test_rand_below(&l->rng, 4) == 0)
        assert_int_equal(usher_ticket_complete(l->e, id, 0), USHER_OK);
    else if (info.state == USHER_TICKET_OFFERED)
        assert_int_equal(usher_ticket_complete(l->e, id, USHER_RELEASE_NO_WRAPUP), USHER_OK);
    else
        assert_int_equal(usher_ticket_cancel(l->e, id), USHER_OK);
    assert_int_equal(usher_sla_forget(l->e, id), USHER_OK);
    l->completed++;
}

/* A host reservation now and then, and a host timer. */
static void host_work(load *l, long i)
{
    uint64_t agent = (uint64_t)i % AGENTS + 1;
    uint64_t ticket = UINT64_C(1) << 62 | (uint64_t)i;
    if (usher_capacity_reserve(l->e, agent, ticket, MAIL) == USHER_OK)
        assert_int_equal(usher_capacity_release(l->e, ticket, USHER_RELEASE_HEAVY), USHER_OK);
    assert_int_equal(usher_timer_set(l->e, (uint64_t)i % 64, l->now + MINUTE), USHER_OK);
}

static void run(load *l, long tickets)
{
    for (long i = 0; i < tickets; i++) {
        if (l->count == WINDOW)
            end_oldest(l);
        submit_one(l);
        if (i % 50 == 0)
            host_work(l, i);
        l->now += test_rand_below(&l->rng, 400);
        assert_int_equal(usher_advance(l->e, l->now), USHER_OK);
    }
}

/* Ends every ticket and lets every deadline pass (customer records are
 * forgotten, wrap-ups and cool-downs end, host timers fire). */
static void drain(load *l)
{
    while (l->count > 0)
        end_oldest(l);
    l->now += 24 * HOUR;
    assert_int_equal(usher_advance(l->e, l->now), USHER_OK);
    uint64_t next;
    assert_int_equal(usher_next_deadline(l->e, &next), USHER_OK);
    assert_int_equal(next, USHER_TIME_NEVER);
    assert_int_equal(usher_check(l->e), USHER_OK);
}

static void test_memory_returns_after_a_million_tickets(void **state)
{
    (void)state;
    static load l;
    setup(&l);
    run(&l, WARMUP);
    drain(&l);
    long long before = l.bc.live, warm_peak = l.bc.peak;
    run(&l, TICKETS);
    drain(&l);
    long long after = l.bc.live;
    print_message("%ld tickets, %ld offers (%ld rejected): live bytes %lld after the warm-up "
                  "(peak %lld), %lld after (peak %lld)\n",
                  l.completed, l.offers, l.rejects, before, warm_peak, after, l.bc.peak);
    assert_true(l.offers > TICKETS / 10 && l.rejects > 0);
    assert_true(after <= before + SLACK);
    usher_engine_free(l.e);
    assert_int_equal(l.bc.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_returns_after_a_million_tickets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
