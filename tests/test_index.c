/* The eligibility index (lib/index.c) against brute force: random agents,
 * skills, states, capacity and signatures; after every step the index must
 * equal a recomputation, and its best agent must be the longest idle
 * eligible agent that meets the signature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define STEPS 4000
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STEPS 4000
#endif
#endif
#ifndef STEPS
#define STEPS 30000
#endif

#define AGENTS 40
#define SKILLS 6
#define SIGS 24
#define TICKETS 200

/* A longest-idle signature of (channel, reqs). */
static usher_status acquire(usher_engine *e, uint32_t channel, const us_skill_entry *reqs,
                            uint32_t count, uint32_t *sig)
{
    us_sig_key key = {.channel = channel, .reqs = reqs, .req_count = count};
    return us_index_acquire(e, &key, sig);
}

typedef struct world {
    usher_engine *e;
    uint64_t rng;
    uint32_t sig[SIGS];
    int sig_live[SIGS];
    uint64_t next_ticket;
} world;

/* The slot of the eligible agent meeting the signature with the least
 * (idle_since, id), found by looking at every agent. */
static uint32_t brute_best(const usher_engine *e, uint32_t s)
{
    const us_sig *sig = &e->index.sigs[s];
    uint32_t best = US_NONE;
    for (uint32_t slot = 0; slot < e->agents.slots; slot++) {
        const us_agent *a = us_agent_at(e, slot);
        if (!a->live || !us_skills_meet(a->skills, a->skill_count, sig->reqs, sig->req_count))
            continue;
        if (!us_agent_open_for_work(e, a) || us_agent_room(e, a, sig->channel) == 0)
            continue;
        const us_agent *b = best == US_NONE ? NULL : us_agent_at(e, best);
        if (!b || a->idle_since < b->idle_since ||
            (a->idle_since == b->idle_since && a->id < b->id))
            best = slot;
    }
    return best;
}

/* The index's pick equals brute force, up to the order among agents idle
 * since the same ms (the index keeps the order they became idle in). */
static bool brute_eligible(const usher_engine *e, uint32_t s, uint32_t slot)
{
    const us_sig *sig = &e->index.sigs[s];
    const us_agent *a = us_agent_at(e, slot);
    return a->live && us_skills_meet(a->skills, a->skill_count, sig->reqs, sig->req_count) &&
           us_agent_open_for_work(e, a) && us_agent_room(e, a, sig->channel) > 0;
}

static void check_world(world *w)
{
    assert_true(us_index_check(w->e));
    for (int i = 0; i < SIGS; i++) {
        if (!w->sig_live[i])
            continue;
        uint32_t got = us_index_pick(w->e, w->sig[i]), want = brute_best(w->e, w->sig[i]);
        if (got == want)
            continue;
        assert_true(got != US_NONE && want != US_NONE);
        assert_int_equal(us_agent_at(w->e, got)->idle_since, us_agent_at(w->e, want)->idle_since);
        assert_true(brute_eligible(w->e, w->sig[i], got));
    }
}

static void random_sig(world *w, int i)
{
    us_skill_entry reqs[3];
    uint32_t n = (uint32_t)test_rand_below(&w->rng, 4), count = 0;
    for (uint32_t skill = 0; skill < SKILLS && count < n; skill++)
        if (test_rand_below(&w->rng, 2))
            reqs[count++] = (us_skill_entry){.skill = (uint16_t)skill,
                                             .level = (uint8_t)(1 + test_rand_below(&w->rng, 10))};
    uint32_t channel = (uint32_t)test_rand_below(&w->rng, 3);
    assert_int_equal(acquire(w->e, channel, reqs, count, &w->sig[i]), USHER_OK);
    w->sig_live[i] = 1;
}

static void random_step(world *w)
{
    usher_engine *e = w->e;
    uint64_t agent = 1 + test_rand_below(&w->rng, AGENTS);
    switch (test_rand_below(&w->rng, 11)) {
    case 0:
        (void)usher_agent_add(e, agent, (uint32_t)(1 + test_rand_below(&w->rng, 5)));
        break;
    case 1:
        if (test_rand_below(&w->rng, 4) == 0)
            (void)usher_agent_remove(e, agent);
        break;
    case 2:
        (void)usher_agent_set_skill(e, agent, (uint32_t)test_rand_below(&w->rng, SKILLS),
                                    (uint32_t)(1 + test_rand_below(&w->rng, 10)));
        break;
    case 3:
        (void)usher_agent_drop_skill(e, agent, (uint32_t)test_rand_below(&w->rng, SKILLS));
        break;
    case 4:
        (void)usher_agent_set_state(e, agent, (int32_t)test_rand_below(&w->rng, 3), 0);
        break;
    case 5:
    case 6: {
        uint64_t ticket = 1 + test_rand_below(&w->rng, TICKETS);
        (void)usher_capacity_reserve(e, agent, ticket, (uint32_t)test_rand_below(&w->rng, 3));
        break;
    }
    case 7:
        (void)usher_capacity_release(e, 1 + test_rand_below(&w->rng, TICKETS),
                                     (uint32_t)test_rand_below(&w->rng, 4));
        break;
    case 8: {
        uint64_t now;
        assert_int_equal(usher_now(e, &now), USHER_OK);
        assert_int_equal(usher_advance(e, now + test_rand_below(&w->rng, 400)), USHER_OK);
        break;
    }
    case 9: {
        int i = (int)test_rand_below(&w->rng, SIGS);
        if (w->sig_live[i]) {
            us_index_release(e, w->sig[i]);
            w->sig_live[i] = 0;
        } else {
            random_sig(w, i);
        }
        break;
    }
    default:
        (void)usher_agent_set_capacity(e, agent, (uint32_t)(1 + test_rand_below(&w->rng, 5)));
        break;
    }
}

static void define_channels(usher_engine *e)
{
    usher_channel_def voice, chat, mail;
    usher_channel_def_init(&voice);
    voice.flags = USHER_CHANNEL_EXCLUSIVE;
    voice.wrapup_ms = 300;
    usher_channel_def_init(&chat);
    chat.max_per_agent = 3;
    chat.wrapup_ms = 50;
    chat.flags = USHER_CHANNEL_WRAPUP_BLOCKS_AGENT;
    usher_channel_def_init(&mail);
    mail.cost = 2;
    assert_int_equal(usher_channel_add(e, 0, &voice), USHER_OK);
    assert_int_equal(usher_channel_add(e, 1, &chat), USHER_OK);
    assert_int_equal(usher_channel_add(e, 2, &mail), USHER_OK);
}

static void test_index_matches_brute_force(void **state)
{
    (void)state;
    world w;
    memset(&w, 0, sizeof w);
    w.rng = 20261124;
    assert_int_equal(usher_engine_new(NULL, &w.e), USHER_OK);
    define_channels(w.e);
    for (int s = 0; s < SKILLS; s++) {
        char name[8] = {'s', (char)('a' + s), 0};
        uint32_t id;
        assert_int_equal(usher_skill_intern(w.e, name, &id), USHER_OK);
    }
    for (int step = 0; step < STEPS; step++) {
        random_step(&w);
        check_world(&w);
    }
    for (int i = 0; i < SIGS; i++)
        if (w.sig_live[i])
            us_index_release(w.e, w.sig[i]);
    assert_true(us_index_check(w.e));
    usher_engine_free(w.e);
}

/* Equal signatures are shared; a released one disappears only with its
 * last reference. */
static void test_signatures_are_interned(void **state)
{
    (void)state;
    usher_engine *e;
    assert_int_equal(usher_engine_new(NULL, &e), USHER_OK);
    define_channels(e);
    us_skill_entry reqs[] = {{.skill = 0, .level = 3}};
    uint32_t a, b, c;
    assert_int_equal(acquire(e, 1, reqs, 1, &a), USHER_OK);
    assert_int_equal(acquire(e, 1, reqs, 1, &b), USHER_OK);
    assert_int_equal(acquire(e, 2, reqs, 1, &c), USHER_OK);
    assert_int_equal(a, b);
    assert_int_not_equal(a, c);
    assert_true(us_index_uses_channel(e, 1));
    assert_int_equal(usher_channel_remove(e, 1), USHER_ESTATE);
    us_index_release(e, a);
    assert_true(us_index_uses_channel(e, 1));
    us_index_release(e, b);
    assert_false(us_index_uses_channel(e, 1));
    assert_int_equal(usher_channel_remove(e, 1), USHER_OK);
    us_index_release(e, c);
    usher_engine_free(e);
}

/* Longest idle first: the agent freed earliest leads; a release moves an
 * agent to the back. */
static void test_longest_idle_order(void **state)
{
    (void)state;
    usher_engine *e;
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.start_ms = 1000;
    assert_int_equal(usher_engine_new(&cfg, &e), USHER_OK);
    define_channels(e);
    uint32_t sig;
    assert_int_equal(acquire(e, 2, NULL, 0, &sig), USHER_OK);
    assert_int_equal(us_index_pick(e, sig), US_NONE);
    for (uint64_t id = 1; id <= 3; id++) {
        assert_int_equal(usher_agent_add(e, id, 4), USHER_OK);
        assert_int_equal(usher_advance(e, 1000 + id * 10), USHER_OK);
        assert_int_equal(usher_agent_set_state(e, id, USHER_AGENT_AVAILABLE, 0), USHER_OK);
    }
    uint32_t slot;
    assert_int_equal(us_agent_find(e, 1, &slot), USHER_OK);
    assert_int_equal(us_index_pick(e, sig), slot);
    assert_int_equal(usher_capacity_reserve(e, 1, 77, 2), USHER_OK);
    assert_int_equal(usher_advance(e, 2000), USHER_OK);
    assert_int_equal(usher_capacity_release(e, 77, 0), USHER_OK); /* agent 1 idle since 2000 */
    assert_int_equal(us_agent_find(e, 2, &slot), USHER_OK);
    assert_int_equal(us_index_pick(e, sig), slot);
    assert_int_equal(usher_agent_set_state(e, 2, USHER_AGENT_AWAY, 5), USHER_OK);
    assert_int_equal(us_agent_find(e, 3, &slot), USHER_OK);
    assert_int_equal(us_index_pick(e, sig), slot);
    assert_true(us_index_check(e));
    us_index_release(e, sig);
    usher_engine_free(e);
}

/* Creating a signature or changing skills under memory pressure fails
 * cleanly and leaves the index consistent. */
static void test_index_out_of_memory(void **state)
{
    (void)state;
    for (long fail_at = 1;; fail_at++) {
        test_allocator ta;
        test_allocator_init(&ta, 0);
        usher_config cfg;
        usher_config_init(&cfg);
        cfg.allocator = &ta.allocator;
        usher_engine *e;
        assert_int_equal(usher_engine_new(&cfg, &e), USHER_OK);
        define_channels(e);
        uint32_t skill, sig0, sig1;
        assert_int_equal(usher_skill_intern(e, "billing", &skill), USHER_OK);
        assert_int_equal(acquire(e, 1, NULL, 0, &sig0), USHER_OK);
        for (uint64_t id = 1; id <= 20; id++) {
            assert_int_equal(usher_agent_add(e, id, 3), USHER_OK);
            assert_int_equal(usher_agent_set_state(e, id, USHER_AGENT_AVAILABLE, 0), USHER_OK);
        }
        ta.calls = 0;
        ta.fail_at = fail_at;
        us_skill_entry req = {.skill = (uint16_t)skill, .level = 2};
        usher_status st = acquire(e, 1, &req, 1, &sig1);
        for (uint64_t id = 1; st == USHER_OK && id <= 20; id++)
            st = usher_agent_set_skill(e, id, skill, 5);
        assert_true(st == USHER_OK || st == USHER_ENOMEM);
        assert_true(us_index_check(e));
        int done = !ta.failed;
        usher_engine_free(e);
        assert_int_equal(ta.live, 0);
        if (done)
            break;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_matches_brute_force),
        cmocka_unit_test(test_signatures_are_interned),
        cmocka_unit_test(test_longest_idle_order),
        cmocka_unit_test(test_index_out_of_memory),
    };
    return cmocka_run_group_tests_name("index", tests, NULL, NULL);
}
