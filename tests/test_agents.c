/* The agent-capacity model, tested from include/usher.h alone: skills,
 * channels, agents, presence states, capacity reservations and releases,
 * wrap-ups, exclusive channels, load caps, cool-downs, idle timeouts,
 * counters, iteration, output structures, NULL arguments, allocation
 * failure and re-entrant callbacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "usher.h"

#define MAX_SEEN 256

#define OFF USHER_AGENT_OFFLINE
#define AVAIL USHER_AGENT_AVAILABLE
#define AWAY USHER_AGENT_AWAY

#define EV_STATE USHER_EVENT_AGENT_STATE
#define EV_RETURNED USHER_EVENT_WORK_RETURNED
#define EV_WRAPUP USHER_EVENT_WRAPUP_ENDED
#define EV_CAP USHER_EVENT_LOAD_CAP_REACHED
#define EV_CLEARED USHER_EVENT_LOAD_CAP_CLEARED

#define OK(call) assert_int_equal((call), USHER_OK)

/* What the test callback saw. */
typedef struct recorder {
    usher_engine *engine;
    usher_event seen[MAX_SEEN];
    int count;
    int in_callback;
    int nested_violation; /* set if the callback was entered while inside it */
    void (*react)(struct recorder *, const usher_event *);
    void *ctx;
} recorder;

static void record_event(void *user, const usher_event *event)
{
    recorder *r = user;
    if (r->in_callback)
        r->nested_violation = 1;
    r->in_callback = 1;
    assert_true(r->count < MAX_SEEN);
    r->seen[r->count++] = *event;
    if (r->react)
        r->react(r, event);
    r->in_callback = 0;
}

static usher_engine *new_engine(recorder *r, uint64_t start_ms)
{
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.start_ms = start_ms;
    usher_engine *e = NULL;
    OK(usher_engine_new(&cfg, &e));
    assert_non_null(e);
    if (r) {
        memset(r, 0, sizeof *r);
        r->engine = e;
        OK(usher_set_event_handler(e, record_event, r));
    }
    return e;
}

static void add_channel(usher_engine *e, uint32_t channel, uint32_t flags, uint32_t cost,
                        uint32_t max_per_agent, uint64_t wrapup_ms)
{
    usher_channel_def def;
    usher_channel_def_init(&def);
    def.flags = flags;
    def.cost = cost;
    def.max_per_agent = max_per_agent;
    def.wrapup_ms = wrapup_ms;
    OK(usher_channel_add(e, channel, &def));
}

static usher_agent_info agent_info(const usher_engine *e, uint64_t agent_id)
{
    usher_agent_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    OK(usher_agent_get(e, agent_id, &info));
    return info;
}

static usher_agent_channel_info chan_info(const usher_engine *e, uint64_t agent_id,
                                          uint32_t channel)
{
    usher_agent_channel_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    OK(usher_agent_get_channel(e, agent_id, channel, &info));
    return info;
}

static void add_agent(usher_engine *e, uint64_t agent_id, uint32_t capacity)
{
    OK(usher_agent_add(e, agent_id, capacity));
}

static void login(usher_engine *e, uint64_t agent_id)
{
    OK(usher_agent_set_state(e, agent_id, AVAIL, 0));
}

static void check_event(const usher_event *ev, int32_t type, uint64_t time_ms, uint64_t agent_id,
                        uint64_t ticket_id, int64_t value, int32_t reason)
{
    assert_int_equal(ev->struct_size, sizeof(usher_event));
    assert_int_equal(ev->type, type);
    assert_int_equal(ev->time_ms, time_ms);
    assert_int_equal(ev->agent_id, agent_id);
    assert_int_equal(ev->ticket_id, ticket_id);
    assert_int_equal(ev->value, value);
    assert_int_equal(ev->reason, reason);
    assert_int_equal(ev->timer_id, 0);
    assert_int_equal(ev->offer_token, 0);
    assert_int_equal(ev->detail, 0);
    assert_int_equal(ev->due_ms, 0);
}

static void check_seq(const recorder *r)
{
    for (int i = 1; i < r->count; i++)
        assert_int_equal(r->seen[i].seq, r->seen[i - 1].seq + 1);
}

static uint64_t holder_of(const usher_engine *e, uint64_t ticket, uint32_t *channel)
{
    uint64_t agent = 0;
    uint32_t ch = 0;
    OK(usher_capacity_holder(e, ticket, &agent, &ch));
    if (channel)
        *channel = ch;
    return agent;
}

static void assert_no_holder(const usher_engine *e, uint64_t ticket)
{
    uint64_t agent = 77;
    uint32_t ch = 77;
    assert_int_equal(usher_capacity_holder(e, ticket, &agent, &ch), USHER_ENOTFOUND);
    assert_int_equal(agent, 77);
    assert_int_equal(ch, 77);
}

/* ======================================================================
 * Skills
 * ====================================================================== */

static void test_skill_intern_and_find(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    uint32_t id = 99, count = 99;
    char name63[64], name64[65];
    memset(name63, 'k', 63);
    name63[63] = '\0';
    memset(name64, 'k', 64);
    name64[64] = '\0';

    OK(usher_skill_count(e, &count));
    assert_int_equal(count, 0);
    assert_int_equal(usher_skill_find(e, "billing", &id), USHER_ENOTFOUND);
    assert_int_equal(id, 99);

    OK(usher_skill_intern(e, "billing", &id));
    assert_int_equal(id, 0);
    OK(usher_skill_intern(e, "Billing", &id)); /* case matters */
    assert_int_equal(id, 1);
    OK(usher_skill_intern(e, "billing", &id)); /* the same id twice */
    assert_int_equal(id, 0);
    OK(usher_skill_intern(e, "tech", &id));
    assert_int_equal(id, 2);
    OK(usher_skill_intern(e, "Billing", &id));
    assert_int_equal(id, 1);

    /* Rejected names create nothing and use no id. */
    id = 99;
    assert_int_equal(usher_skill_intern(e, "", &id), USHER_EINVAL);
    assert_int_equal(usher_skill_intern(e, name64, &id), USHER_EINVAL);
    assert_int_equal(usher_skill_intern(e, NULL, &id), USHER_EINVAL);
    assert_int_equal(usher_skill_intern(e, "unused", NULL), USHER_EINVAL);
    assert_int_equal(usher_skill_intern(NULL, "unused", &id), USHER_EINVAL);
    assert_int_equal(id, 99);
    assert_int_equal(usher_skill_find(e, "unused", &id), USHER_ENOTFOUND);

    OK(usher_skill_intern(e, name63, &id)); /* exactly USHER_SKILL_NAME_MAX bytes */
    assert_int_equal(id, 3);
    OK(usher_skill_intern(e, "caf\xc3\xa9", &id)); /* bytes, not characters */
    assert_int_equal(id, 4);
    OK(usher_skill_count(e, &count));
    assert_int_equal(count, 5);

    OK(usher_skill_find(e, "Billing", &id));
    assert_int_equal(id, 1);
    OK(usher_skill_find(e, "tech", &id));
    assert_int_equal(id, 2);
    OK(usher_skill_find(e, name63, &id));
    assert_int_equal(id, 3);
    OK(usher_skill_find(e, "caf\xc3\xa9", &id));
    assert_int_equal(id, 4);
    id = 99;
    assert_int_equal(usher_skill_find(e, "tec", &id), USHER_ENOTFOUND);
    assert_int_equal(usher_skill_find(e, "techs", &id), USHER_ENOTFOUND);
    assert_int_equal(usher_skill_find(e, "BILLING", &id), USHER_ENOTFOUND);
    assert_int_equal(usher_skill_find(e, "", &id), USHER_ENOTFOUND);
    assert_int_equal(usher_skill_find(e, name64, &id), USHER_ENOTFOUND);
    assert_int_equal(id, 99);
    assert_int_equal(usher_skill_find(e, NULL, &id), USHER_EINVAL);
    assert_int_equal(usher_skill_find(e, "tech", NULL), USHER_EINVAL);
    assert_int_equal(usher_skill_find(NULL, "tech", &id), USHER_EINVAL);
    assert_int_equal(usher_skill_count(e, NULL), USHER_EINVAL);
    assert_int_equal(usher_skill_count(NULL, &count), USHER_EINVAL);
    OK(usher_skill_count(e, &count));
    assert_int_equal(count, 5);
    usher_engine_free(e);
}

static void test_skill_name(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    uint32_t id = 0;
    char buf[80], pattern[80];
    char name63[64];
    memset(name63, 'z', 63);
    name63[63] = '\0';
    memset(pattern, '#', sizeof pattern);

    OK(usher_skill_intern(e, "network", &id));
    OK(usher_skill_intern(e, name63, &id));
    assert_int_equal(id, 1);

    memcpy(buf, pattern, sizeof buf);
    OK(usher_skill_name(e, 0, buf, sizeof buf));
    assert_string_equal(buf, "network");
    assert_int_equal(buf[8], '#'); /* nothing written past the NUL */

    memcpy(buf, pattern, sizeof buf);
    OK(usher_skill_name(e, 0, buf, 8)); /* exactly strlen + 1 */
    assert_string_equal(buf, "network");

    memcpy(buf, pattern, sizeof buf);
    assert_int_equal(usher_skill_name(e, 0, buf, 7), USHER_EINVAL); /* too small: untouched */
    assert_memory_equal(buf, pattern, sizeof buf);
    assert_int_equal(usher_skill_name(e, 0, buf, 1), USHER_EINVAL);
    assert_int_equal(usher_skill_name(e, 0, buf, 0), USHER_EINVAL);
    assert_memory_equal(buf, pattern, sizeof buf);

    OK(usher_skill_name(e, 1, buf, USHER_SKILL_NAME_MAX + 1)); /* always enough */
    assert_string_equal(buf, name63);
    memcpy(buf, pattern, sizeof buf);
    assert_int_equal(usher_skill_name(e, 1, buf, USHER_SKILL_NAME_MAX), USHER_EINVAL);
    assert_memory_equal(buf, pattern, sizeof buf);

    assert_int_equal(usher_skill_name(e, 2, buf, sizeof buf), USHER_ENOTFOUND);
    assert_int_equal(usher_skill_name(e, UINT32_MAX, buf, sizeof buf), USHER_ENOTFOUND);
    assert_memory_equal(buf, pattern, sizeof buf);
    assert_int_equal(usher_skill_name(e, 0, NULL, sizeof buf), USHER_EINVAL);
    assert_int_equal(usher_skill_name(NULL, 0, buf, sizeof buf), USHER_EINVAL);
    assert_memory_equal(buf, pattern, sizeof buf);
    usher_engine_free(e);
}

static void test_skill_limit(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    char name[32];
    uint32_t id = 0, count = 0;
    for (uint32_t i = 0; i < USHER_MAX_SKILLS; i++) {
        snprintf(name, sizeof name, "skill-%u", (unsigned)i);
        OK(usher_skill_intern(e, name, &id));
        assert_int_equal(id, i);
    }
    id = 12345678;
    assert_int_equal(usher_skill_intern(e, "one-too-many", &id), USHER_ELIMIT);
    assert_int_equal(id, 12345678);
    assert_int_equal(usher_skill_find(e, "one-too-many", &id), USHER_ENOTFOUND);
    OK(usher_skill_count(e, &count));
    assert_int_equal(count, USHER_MAX_SKILLS);
    OK(usher_skill_find(e, "skill-65534", &id));
    assert_int_equal(id, 65534);
    OK(usher_skill_name(e, 40000, name, sizeof name));
    assert_string_equal(name, "skill-40000");
    usher_engine_free(e);
}

/* ======================================================================
 * Channels
 * ====================================================================== */

static void test_channel_def_init(void **state)
{
    (void)state;
    usher_channel_def def;
    memset(&def, 0xab, sizeof def);
    usher_channel_def_init(&def);
    assert_int_equal(def.struct_size, sizeof def);
    assert_int_equal(def.flags, 0);
    assert_int_equal(def.cost, 1);
    assert_int_equal(def.max_per_agent, 0);
    assert_int_equal(def.wrapup_ms, 0);
    usher_channel_def_init(NULL); /* does nothing */
}

static void assert_def_equal(const usher_channel_def *a, const usher_channel_def *b)
{
    assert_int_equal(a->flags, b->flags);
    assert_int_equal(a->cost, b->cost);
    assert_int_equal(a->max_per_agent, b->max_per_agent);
    assert_int_equal(a->wrapup_ms, b->wrapup_ms);
}

static usher_channel_def channel_get(const usher_engine *e, uint32_t channel)
{
    usher_channel_def def;
    memset(&def, 0, sizeof def);
    def.struct_size = sizeof def;
    OK(usher_channel_get(e, channel, &def));
    return def;
}

static void test_channel_add_get_remove(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    usher_channel_def def, out, big;
    memset(&out, 0x5a, sizeof out);
    out.struct_size = sizeof out;
    assert_int_equal(usher_channel_get(e, 0, &out), USHER_ENOTFOUND);
    assert_int_equal(out.cost, 0x5a5a5a5a); /* untouched */

    usher_channel_def_init(&def);
    OK(usher_channel_add(e, 0, &def));
    out = channel_get(e, 0);
    assert_def_equal(&out, &def);

    usher_channel_def_init(&big);
    big.flags = USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_INTERRUPTS |
                USHER_CHANNEL_WRAPUP_BLOCKS_AGENT;
    big.cost = USHER_MAX_CAPACITY;
    big.max_per_agent = USHER_MAX_CHANNEL_LIMIT;
    big.wrapup_ms = USHER_MAX_WRAPUP_MS;
    OK(usher_channel_add(e, USHER_MAX_CHANNELS - 1, &big));
    big.cost = 1; /* the definition was copied */
    out = channel_get(e, USHER_MAX_CHANNELS - 1);
    assert_int_equal(out.cost, USHER_MAX_CAPACITY);
    assert_int_equal(out.max_per_agent, USHER_MAX_CHANNEL_LIMIT);
    assert_int_equal(out.wrapup_ms, USHER_MAX_WRAPUP_MS);
    assert_int_equal(out.flags, USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_INTERRUPTS |
                                    USHER_CHANNEL_WRAPUP_BLOCKS_AGENT);

    /* Already defined: EEXIST, the old definition stays. */
    def.cost = 7;
    assert_int_equal(usher_channel_add(e, 0, &def), USHER_EEXIST);
    out = channel_get(e, 0);
    assert_int_equal(out.cost, 1);

    OK(usher_channel_remove(e, 0));
    assert_int_equal(usher_channel_get(e, 0, &out), USHER_ENOTFOUND);
    assert_int_equal(usher_channel_remove(e, 0), USHER_ENOTFOUND);
    assert_int_equal(usher_channel_remove(e, 3), USHER_ENOTFOUND);
    assert_int_equal(usher_channel_remove(e, USHER_MAX_CHANNELS), USHER_EINVAL);
    assert_int_equal(usher_channel_remove(e, UINT32_MAX), USHER_EINVAL);
    assert_int_equal(usher_channel_get(e, USHER_MAX_CHANNELS, &out), USHER_EINVAL);

    /* Defined again, with another definition. */
    OK(usher_channel_add(e, 0, &def));
    out = channel_get(e, 0);
    assert_int_equal(out.cost, 7);
    assert_int_equal(r.count, 0); /* channels raise no events */
    usher_engine_free(e);
}

static void test_channel_bad_fields(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    usher_channel_def def, out;
    for (int variant = 0; variant < 11; variant++) {
        usher_channel_def_init(&def);
        switch (variant) {
        case 0: def.struct_size = 0; break;
        case 1: def.struct_size = sizeof def - 1; break;
        case 2: def.cost = 0; break;
        case 3: def.cost = USHER_MAX_CAPACITY + 1; break;
        case 4: def.max_per_agent = USHER_MAX_CHANNEL_LIMIT + 1; break;
        case 5: def.wrapup_ms = (uint64_t)USHER_MAX_WRAPUP_MS + 1; break;
        case 6: def.flags = USHER_CHANNEL_INTERRUPTS; break;
        case 7: def.flags = USHER_CHANNEL_INTERRUPTS | USHER_CHANNEL_WRAPUP_BLOCKS_AGENT; break;
        case 8: def.flags = 8; break;
        case 9: def.flags = USHER_CHANNEL_EXCLUSIVE | 0x80000000u; break;
        case 10: def.max_per_agent = UINT32_MAX; break;
        default: break;
        }
        assert_int_equal(usher_channel_add(e, 3, &def), USHER_EINVAL);
        out.struct_size = sizeof out;
        assert_int_equal(usher_channel_get(e, 3, &out), USHER_ENOTFOUND); /* nothing changed */
    }
    usher_channel_def_init(&def);
    assert_int_equal(usher_channel_add(e, USHER_MAX_CHANNELS, &def), USHER_EINVAL);
    assert_int_equal(usher_channel_add(e, UINT32_MAX, &def), USHER_EINVAL);
    assert_int_equal(usher_channel_add(e, 3, NULL), USHER_EINVAL);
    assert_int_equal(usher_channel_add(NULL, 3, &def), USHER_EINVAL);
    assert_int_equal(usher_channel_get(e, 3, &out), USHER_ENOTFOUND);

    /* A good definition is accepted afterwards: the failures left no trace. */
    OK(usher_channel_add(e, 3, &def));

    /* Reading with a too small struct_size: EINVAL, output untouched. */
    memset(&out, 0x33, sizeof out);
    out.struct_size = sizeof out - 1;
    assert_int_equal(usher_channel_get(e, 3, &out), USHER_EINVAL);
    assert_int_equal(out.cost, 0x33333333);
    out.struct_size = 0;
    assert_int_equal(usher_channel_get(e, 3, &out), USHER_EINVAL);
    assert_int_equal(usher_channel_get(e, 3, NULL), USHER_EINVAL);
    assert_int_equal(usher_channel_get(NULL, 3, &out), USHER_EINVAL);
    assert_int_equal(out.cost, 0x33333333);
    usher_engine_free(e);
}

static void test_channel_remove_in_use(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 1000);
    add_channel(e, 1, 0, 1, 4, 0);
    add_agent(e, 1, 5);
    login(e, 1);

    OK(usher_capacity_reserve(e, 1, 100, 0));
    assert_int_equal(usher_channel_remove(e, 0), USHER_ESTATE); /* work on it */
    (void)channel_get(e, 0);
    OK(usher_capacity_release(e, 100, 0));
    assert_int_equal(usher_channel_remove(e, 0), USHER_ESTATE); /* its wrap-up */
    (void)channel_get(e, 0);
    OK(usher_advance(e, 1000));
    OK(usher_channel_remove(e, 0));

    /* An agent's own limit does not keep a channel in use, and is forgotten
     * with it. */
    OK(usher_agent_set_channel_limit(e, 1, 1, 2));
    assert_int_equal(chan_info(e, 1, 1).limit, 2);
    assert_int_equal(usher_agent_set_capacity(e, 1, 1), USHER_EINVAL); /* below own limit */
    OK(usher_channel_remove(e, 1));
    usher_agent_channel_info ci;
    ci.struct_size = sizeof ci;
    assert_int_equal(usher_agent_get_channel(e, 1, 1, &ci), USHER_ENOTFOUND);
    add_channel(e, 1, 0, 1, 3, 0);
    assert_int_equal(chan_info(e, 1, 1).limit, 3); /* the channel's, not the old 2 */
    OK(usher_agent_set_capacity(e, 1, 1));         /* no own limit any more */
    usher_engine_free(e);
}

/* ======================================================================
 * Agents
 * ====================================================================== */

static void test_agent_add_remove(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 500);
    usher_agent_info info;
    info.struct_size = sizeof info;
    assert_int_equal(usher_agent_get(e, 1, &info), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_add(e, 1, 0), USHER_EINVAL);
    assert_int_equal(usher_agent_add(e, 1, USHER_MAX_CAPACITY + 1), USHER_EINVAL);
    assert_int_equal(usher_agent_add(e, 1, UINT32_MAX), USHER_EINVAL);
    assert_int_equal(usher_agent_get(e, 1, &info), USHER_ENOTFOUND);

    add_agent(e, 1, USHER_MAX_CAPACITY);
    info = agent_info(e, 1);
    assert_int_equal(info.state, OFF);
    assert_int_equal(info.away_reason, 0);
    assert_int_equal(info.flags, 0);
    assert_int_equal(info.capacity, USHER_MAX_CAPACITY);
    assert_int_equal(info.capacity_used, 0);
    assert_int_equal(info.work_count, 0);
    assert_int_equal(info.wrapup_count, 0);
    assert_int_equal(info.skill_count, 0);
    assert_int_equal(info.load_cap_max, 0);
    assert_int_equal(info.load_cap_window_ms, 0);
    assert_int_equal(info.cooldown_ms, 0);
    assert_int_equal(info.idle_timeout_ms, 0);
    assert_int_equal(info.capped_until_ms, 0);
    assert_int_equal(info.assignments_today, 0);
    assert_int_equal(info.handled_ms, 0);
    assert_int_equal(info.busy_ms, 0);
    assert_int_equal(info.logged_in_ms, 0);

    assert_int_equal(usher_agent_add(e, 1, 5), USHER_EEXIST);
    assert_int_equal(agent_info(e, 1).capacity, USHER_MAX_CAPACITY);

    add_agent(e, 0, 1); /* ids are opaque: 0 and UINT64_MAX are ids too */
    add_agent(e, UINT64_MAX, 1);
    assert_int_equal(agent_info(e, 0).capacity, 1);
    assert_int_equal(agent_info(e, UINT64_MAX).capacity, 1);

    OK(usher_agent_remove(e, 1));
    assert_int_equal(usher_agent_get(e, 1, &info), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_remove(e, 1), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_remove(e, 2), USHER_ENOTFOUND);
    add_agent(e, 1, 3); /* a new agent under the old id */
    info = agent_info(e, 1);
    assert_int_equal(info.capacity, 3);
    assert_int_equal(info.state, OFF);
    assert_int_equal(agent_info(e, 0).capacity, 1);
    OK(usher_agent_remove(e, UINT64_MAX));
    OK(usher_agent_remove(e, 0));
    assert_int_equal(r.count, 0); /* no work, no events */
    usher_engine_free(e);
}

static void test_agent_capacity_bounds(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    add_channel(e, 0, 0, 2, 0, 0);
    add_agent(e, 1, 5);
    assert_int_equal(usher_agent_set_capacity(e, 1, 0), USHER_EINVAL);
    assert_int_equal(usher_agent_set_capacity(e, 1, USHER_MAX_CAPACITY + 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_capacity(e, 9, 4), USHER_ENOTFOUND);
    assert_int_equal(agent_info(e, 1).capacity, 5);
    OK(usher_agent_set_capacity(e, 1, USHER_MAX_CAPACITY));
    assert_int_equal(agent_info(e, 1).capacity, USHER_MAX_CAPACITY);
    OK(usher_agent_set_capacity(e, 1, 5));

    /* While holding work: not below what the work uses. */
    login(e, 1);
    OK(usher_capacity_reserve(e, 1, 10, 0));
    OK(usher_capacity_reserve(e, 1, 11, 0));
    assert_int_equal(agent_info(e, 1).capacity_used, 4);
    assert_int_equal(usher_agent_set_capacity(e, 1, 3), USHER_ESTATE);
    assert_int_equal(agent_info(e, 1).capacity, 5);
    OK(usher_agent_set_capacity(e, 1, 4)); /* exactly what is used */
    usher_agent_info info = agent_info(e, 1);
    assert_int_equal(info.capacity, 4);
    assert_int_equal(info.capacity_used, 4);
    assert_int_equal(usher_capacity_reserve(e, 1, 12, 0), USHER_ELIMIT);
    OK(usher_agent_set_capacity(e, 1, 6));
    OK(usher_capacity_reserve(e, 1, 12, 0));
    assert_int_equal(agent_info(e, 1).capacity_used, 6);

    /* Not below one of the agent's own channel limits. */
    add_agent(e, 2, 6);
    OK(usher_agent_set_channel_limit(e, 2, 0, 3));
    assert_int_equal(usher_agent_set_capacity(e, 2, 2), USHER_EINVAL);
    assert_int_equal(agent_info(e, 2).capacity, 6);
    OK(usher_agent_set_capacity(e, 2, 3));
    OK(usher_agent_set_channel_limit(e, 2, 0, USHER_LIMIT_DEFAULT));
    OK(usher_agent_set_capacity(e, 2, 1));
    usher_engine_free(e);
}

static void test_agent_channel_limits(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    add_channel(e, 0, 0, 1, 0, 0);    /* no limit but capacity */
    add_channel(e, 1, 0, 1, 2, 1000); /* 2 per agent, wrap-up 1 s */
    add_agent(e, 1, 4);

    usher_agent_channel_info ci = chan_info(e, 1, 0);
    assert_int_equal(ci.limit, UINT32_MAX);
    assert_int_equal(ci.active, 0);
    assert_int_equal(ci.wrapping, 0);
    assert_int_equal(ci.free, 4);
    assert_int_equal(ci.eligible, 0); /* offline */
    ci = chan_info(e, 1, 1);
    assert_int_equal(ci.limit, 2);
    assert_int_equal(ci.free, 2);

    OK(usher_agent_set_channel_limit(e, 1, 1, 3));
    assert_int_equal(chan_info(e, 1, 1).limit, 3);
    assert_int_equal(chan_info(e, 1, 1).free, 3);
    OK(usher_agent_set_channel_limit(e, 1, 0, 0)); /* never this channel */
    ci = chan_info(e, 1, 0);
    assert_int_equal(ci.limit, 0);
    assert_int_equal(ci.free, 0);
    login(e, 1);
    assert_int_equal(chan_info(e, 1, 0).eligible, 0);
    assert_int_equal(usher_capacity_reserve(e, 1, 50, 0), USHER_ELIMIT);
    OK(usher_agent_set_channel_limit(e, 1, 0, USHER_LIMIT_DEFAULT));
    ci = chan_info(e, 1, 0);
    assert_int_equal(ci.limit, UINT32_MAX);
    assert_int_equal(ci.free, 4);
    assert_int_equal(ci.eligible, 1);

    /* Out of range or unknown. */
    assert_int_equal(usher_agent_set_channel_limit(e, 1, 1, 5), USHER_EINVAL); /* > capacity */
    assert_int_equal(usher_agent_set_channel_limit(e, 1, 1, USHER_MAX_CHANNEL_LIMIT + 1),
                     USHER_EINVAL);
    assert_int_equal(chan_info(e, 1, 1).limit, 3);
    OK(usher_agent_set_channel_limit(e, 1, 1, 4)); /* == capacity */
    assert_int_equal(chan_info(e, 1, 1).limit, 4);
    OK(usher_agent_set_channel_limit(e, 1, 1, 3));
    assert_int_equal(usher_agent_set_channel_limit(e, 1, USHER_MAX_CHANNELS, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_channel_limit(e, 1, 7, 1), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_set_channel_limit(e, 2, 1, 1), USHER_ENOTFOUND);
    assert_int_equal(chan_info(e, 1, 1).limit, 3);

    /* Limits count wrap-ups; not below what is held. */
    OK(usher_capacity_reserve(e, 1, 10, 1));
    OK(usher_capacity_reserve(e, 1, 11, 1));
    assert_int_equal(usher_agent_set_channel_limit(e, 1, 1, 1), USHER_ESTATE);
    assert_int_equal(chan_info(e, 1, 1).limit, 3);
    OK(usher_agent_set_channel_limit(e, 1, 1, 2));
    ci = chan_info(e, 1, 1);
    assert_int_equal(ci.active, 2);
    assert_int_equal(ci.free, 0);
    assert_int_equal(ci.eligible, 0);
    assert_int_equal(usher_capacity_reserve(e, 1, 12, 1), USHER_ELIMIT);
    OK(usher_capacity_release(e, 10, 0)); /* wrap-up keeps its place */
    ci = chan_info(e, 1, 1);
    assert_int_equal(ci.active, 1);
    assert_int_equal(ci.wrapping, 1);
    assert_int_equal(ci.free, 0);
    assert_int_equal(usher_capacity_reserve(e, 1, 12, 1), USHER_ELIMIT);
    assert_int_equal(usher_agent_set_channel_limit(e, 1, 1, 1), USHER_ESTATE);
    assert_int_equal(agent_info(e, 1).assignments_today, 2); /* failures do not count */
    OK(usher_advance(e, 1000));
    ci = chan_info(e, 1, 1);
    assert_int_equal(ci.wrapping, 0);
    assert_int_equal(ci.free, 1);
    assert_int_equal(ci.eligible, 1);
    OK(usher_capacity_reserve(e, 1, 12, 1));
    usher_engine_free(e);
}

static void expect_skills(const usher_engine *e, uint64_t agent, const usher_skill_level *want,
                          size_t n)
{
    usher_skill_level out[16];
    size_t count = 999;
    memset(out, 0, sizeof out);
    OK(usher_agent_get_skills(e, agent, out, 16, &count));
    assert_int_equal(count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].skill, want[i].skill);
        assert_int_equal(out[i].level, want[i].level);
    }
    assert_int_equal(agent_info(e, agent).skill_count, n);
}

static void test_agent_skills(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    uint32_t id;
    const char *names[] = {"a", "b", "c", "d"};
    for (uint32_t i = 0; i < 4; i++) {
        OK(usher_skill_intern(e, names[i], &id));
        assert_int_equal(id, i);
    }
    add_agent(e, 1, 1);
    expect_skills(e, 1, NULL, 0);

    OK(usher_agent_set_skill(e, 1, 2, 5));
    OK(usher_agent_set_skill(e, 1, 0, USHER_LEVEL_MAX));
    OK(usher_agent_set_skill(e, 1, 2, 7)); /* change a level */
    const usher_skill_level s1[] = {{0, 10}, {2, 7}};
    expect_skills(e, 1, s1, 2);

    assert_int_equal(usher_agent_set_skill(e, 1, 1, 0), USHER_EINVAL);
    assert_int_equal(usher_agent_set_skill(e, 1, 1, USHER_LEVEL_MAX + 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_skill(e, 1, 2, 0), USHER_EINVAL);
    assert_int_equal(usher_agent_set_skill(e, 1, 4, 3), USHER_ENOTFOUND); /* unknown skill */
    assert_int_equal(usher_agent_set_skill(e, 1, UINT32_MAX, 3), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_set_skill(e, 2, 1, 3), USHER_ENOTFOUND); /* unknown agent */
    assert_int_equal(usher_agent_set_skill(NULL, 1, 1, 3), USHER_EINVAL);
    expect_skills(e, 1, s1, 2);

    assert_int_equal(usher_agent_drop_skill(e, 1, 1), USHER_ENOTFOUND); /* not had */
    assert_int_equal(usher_agent_drop_skill(e, 1, 9), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_drop_skill(e, 2, 0), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_drop_skill(NULL, 1, 0), USHER_EINVAL);
    expect_skills(e, 1, s1, 2);
    OK(usher_agent_drop_skill(e, 1, 0));
    const usher_skill_level s2[] = {{2, 7}};
    expect_skills(e, 1, s2, 1);
    assert_int_equal(usher_agent_drop_skill(e, 1, 0), USHER_ENOTFOUND);

    /* Replace all: sorted by id whatever the order given; the array is
     * copied. */
    usher_skill_level in[3] = {{3, 1}, {1, 4}, {0, 2}};
    OK(usher_agent_set_skills(e, 1, in, 3));
    in[0].level = 9;
    const usher_skill_level s3[] = {{0, 2}, {1, 4}, {3, 1}};
    expect_skills(e, 1, s3, 3);

    const usher_skill_level dup[] = {{1, 2}, {2, 2}, {1, 3}};
    assert_int_equal(usher_agent_set_skills(e, 1, dup, 3), USHER_EINVAL);
    const usher_skill_level unknown[] = {{1, 2}, {77, 3}};
    assert_int_equal(usher_agent_set_skills(e, 1, unknown, 2), USHER_ENOTFOUND);
    const usher_skill_level bad_level[] = {{1, 2}, {2, 0}};
    assert_int_equal(usher_agent_set_skills(e, 1, bad_level, 2), USHER_EINVAL);
    const usher_skill_level bad_level2[] = {{2, USHER_LEVEL_MAX + 1}};
    assert_int_equal(usher_agent_set_skills(e, 1, bad_level2, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_skills(e, 1, NULL, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_skills(e, 2, s3, 3), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_set_skills(NULL, 1, s3, 3), USHER_EINVAL);
    expect_skills(e, 1, s3, 3); /* every failure changed nothing */

    /* get_skills with a small buffer: the first ones, and the full count. */
    usher_skill_level out[3];
    size_t count = 999;
    memset(out, 0xee, sizeof out);
    OK(usher_agent_get_skills(e, 1, out, 2, &count));
    assert_int_equal(count, 3);
    assert_int_equal(out[0].skill, 0);
    assert_int_equal(out[0].level, 2);
    assert_int_equal(out[1].skill, 1);
    assert_int_equal(out[1].level, 4);
    assert_int_equal(out[2].skill, 0xeeeeeeee); /* not written */
    count = 999;
    OK(usher_agent_get_skills(e, 1, NULL, 0, &count));
    assert_int_equal(count, 3);
    count = 999;
    assert_int_equal(usher_agent_get_skills(e, 1, NULL, 1, &count), USHER_EINVAL);
    assert_int_equal(usher_agent_get_skills(e, 1, out, 3, NULL), USHER_EINVAL);
    assert_int_equal(usher_agent_get_skills(NULL, 1, out, 3, &count), USHER_EINVAL);
    assert_int_equal(usher_agent_get_skills(e, 2, out, 3, &count), USHER_ENOTFOUND);
    assert_int_equal(count, 999);

    OK(usher_agent_set_skills(e, 1, NULL, 0)); /* drop all */
    expect_skills(e, 1, NULL, 0);
    usher_engine_free(e);
}

/* ======================================================================
 * Presence states
 * ====================================================================== */

typedef struct state_pair {
    int32_t state;
    int32_t reason;
} state_pair;

static void test_state_transitions(void **state)
{
    (void)state;
    const state_pair from[] = {{OFF, 0}, {AVAIL, 0}, {AWAY, 0}, {AWAY, 7}};
    const state_pair req[] = {{OFF, 0},       {AVAIL, 0},    {AWAY, 0},       {AWAY, 7},
                              {AWAY, INT32_MAX}, {AWAY, -1}, {AWAY, INT32_MIN}, {AVAIL, 1},
                              {AVAIL, -1},    {OFF, 2},      {OFF, -1},       {3, 0},
                              {-1, 0},        {INT32_MAX, 0}};
    for (size_t f = 0; f < sizeof from / sizeof from[0]; f++) {
        for (size_t q = 0; q < sizeof req / sizeof req[0]; q++) {
            recorder r;
            usher_engine *e = new_engine(&r, 1000);
            add_agent(e, 42, 1);
            if (from[f].state != OFF)
                OK(usher_agent_set_state(e, 42, from[f].state, from[f].reason));
            OK(usher_advance(e, 1500));
            r.count = 0;
            usher_agent_info before = agent_info(e, 42);
            assert_int_equal(before.state, from[f].state);
            assert_int_equal(before.away_reason, from[f].reason);

            int32_t s = req[q].state, reason = req[q].reason;
            usher_status expected;
            if (s != OFF && s != AVAIL && s != AWAY)
                expected = USHER_EINVAL;
            else if (s != AWAY && reason != 0)
                expected = USHER_EINVAL;
            else if (s == AWAY && reason < 0)
                expected = USHER_EINVAL; /* host reasons are >= 0 */
            else if (s == from[f].state && (s != AWAY || reason == from[f].reason))
                expected = USHER_ESTATE;
            else
                expected = USHER_OK;

            usher_status st = usher_agent_set_state(e, 42, s, reason);
            if (st != expected)
                fail_msg("from (%d,%d) to (%d,%d): got %d, expected %d", from[f].state,
                         from[f].reason, s, reason, st, expected);
            usher_agent_info after = agent_info(e, 42);
            if (expected == USHER_OK) {
                assert_int_equal(after.state, s);
                assert_int_equal(after.away_reason, s == AWAY ? reason : 0);
                assert_int_equal(r.count, 1);
                check_event(&r.seen[0], EV_STATE, 1500, 42, 0, s, s == AWAY ? reason : 0);
            } else {
                assert_memory_equal(&before, &after, sizeof before);
                assert_int_equal(r.count, 0);
            }
            if (s >= OFF && s <= AWAY && expected != USHER_EINVAL)
                assert_int_equal(usher_agent_set_state(e, 43, s, reason), USHER_ENOTFOUND);
            usher_engine_free(e);
        }
    }
}

static void test_state_events_and_seq(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_agent(e, 5, 1);
    OK(usher_agent_set_state(e, 5, AWAY, 3)); /* log in as away */
    OK(usher_advance(e, 10));
    login(e, 5);
    OK(usher_advance(e, 20));
    OK(usher_agent_set_state(e, 5, AWAY, 0));
    OK(usher_agent_set_state(e, 5, AWAY, 4));
    OK(usher_agent_set_state(e, 5, OFF, 0)); /* log out from away */
    assert_int_equal(r.count, 5);
    check_event(&r.seen[0], EV_STATE, 0, 5, 0, AWAY, 3);
    check_event(&r.seen[1], EV_STATE, 10, 5, 0, AVAIL, 0);
    check_event(&r.seen[2], EV_STATE, 20, 5, 0, AWAY, 0);
    check_event(&r.seen[3], EV_STATE, 20, 5, 0, AWAY, 4);
    check_event(&r.seen[4], EV_STATE, 20, 5, 0, OFF, 0);
    assert_int_equal(r.seen[0].seq, 1);
    check_seq(&r);
    usher_engine_free(e);
}

/* ======================================================================
 * Capacity
 * ====================================================================== */

static void test_reserve_release(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 1000);
    add_channel(e, 0, 0, 2, 0, 0);
    add_channel(e, 1, 0, 1, 0, 0);
    add_agent(e, 7, 5);
    add_agent(e, 9, 5);
    login(e, 9);
    r.count = 0;

    assert_int_equal(usher_capacity_reserve(e, 7, 1, 0), USHER_ESTATE); /* offline */
    OK(usher_agent_set_state(e, 7, AWAY, 0));
    assert_int_equal(usher_capacity_reserve(e, 7, 1, 0), USHER_ESTATE); /* away */
    login(e, 7);
    r.count = 0;
    assert_int_equal(usher_capacity_reserve(e, 7, 1, USHER_MAX_CHANNELS), USHER_EINVAL);
    assert_int_equal(usher_capacity_reserve(e, 7, 1, 5), USHER_ENOTFOUND); /* undefined */
    assert_int_equal(usher_capacity_reserve(e, 8, 1, 0), USHER_ENOTFOUND); /* no agent */
    usher_agent_info info = agent_info(e, 7);
    assert_int_equal(info.capacity_used, 0);
    assert_int_equal(info.assignments_today, 0);
    assert_no_holder(e, 1);

    OK(usher_capacity_reserve(e, 7, 1, 0));
    info = agent_info(e, 7);
    assert_int_equal(info.capacity_used, 2);
    assert_int_equal(info.work_count, 1);
    assert_int_equal(info.assignments_today, 1);
    uint32_t ch = 99;
    assert_int_equal(holder_of(e, 1, &ch), 7);
    assert_int_equal(ch, 0);
    OK(usher_capacity_holder(e, 1, NULL, NULL)); /* either output may be NULL */

    /* A ticket holds capacity at one agent at a time. */
    assert_int_equal(usher_capacity_reserve(e, 7, 1, 1), USHER_EEXIST);
    assert_int_equal(usher_capacity_reserve(e, 9, 1, 1), USHER_EEXIST);
    assert_int_equal(agent_info(e, 7).capacity_used, 2);
    assert_int_equal(agent_info(e, 9).capacity_used, 0);

    /* Cost against total capacity: 2 + 2 fits in 5, a third 2 does not. */
    OK(usher_capacity_reserve(e, 7, 2, 0));
    assert_int_equal(usher_capacity_reserve(e, 7, 3, 0), USHER_ELIMIT);
    assert_int_equal(chan_info(e, 7, 0).free, 0);
    assert_int_equal(chan_info(e, 7, 1).free, 1);
    OK(usher_capacity_reserve(e, 7, 3, 1));
    assert_int_equal(usher_capacity_reserve(e, 7, 4, 1), USHER_ELIMIT);
    info = agent_info(e, 7);
    assert_int_equal(info.capacity_used, 5);
    assert_int_equal(info.work_count, 3);
    assert_int_equal(info.assignments_today, 3);
    usher_agent_channel_info ci = chan_info(e, 7, 0);
    assert_int_equal(ci.limit, UINT32_MAX);
    assert_int_equal(ci.active, 2);
    assert_int_equal(ci.wrapping, 0);
    assert_int_equal(ci.free, 0);
    assert_int_equal(ci.eligible, 0);
    assert_no_holder(e, 4);

    /* Release: unknown flags refused, then exactly once. */
    assert_int_equal(usher_capacity_release(e, 1, 4), USHER_EINVAL);
    assert_int_equal(usher_capacity_release(e, 1, 0x80000000u), USHER_EINVAL);
    assert_int_equal(holder_of(e, 1, NULL), 7);
    OK(usher_capacity_release(e, 1, 0));
    assert_int_equal(agent_info(e, 7).capacity_used, 3);
    assert_no_holder(e, 1);
    assert_int_equal(usher_capacity_release(e, 1, 0), USHER_ENOTFOUND);
    assert_int_equal(usher_capacity_release(e, 99, 0), USHER_ENOTFOUND);
    assert_int_equal(agent_info(e, 7).capacity_used, 3);
    ci = chan_info(e, 7, 0);
    assert_int_equal(ci.active, 1);
    assert_int_equal(ci.free, 1);
    assert_int_equal(ci.eligible, 1);

    /* The ticket is free to go elsewhere now. */
    OK(usher_capacity_reserve(e, 9, 1, 1));
    assert_int_equal(holder_of(e, 1, &ch), 9);
    assert_int_equal(ch, 1);
    assert_int_equal(r.count, 0); /* no wrap-ups, no caps: no events */
    usher_engine_free(e);
}

/* Random reservations and releases on one agent never exceed capacity or a
 * limit, and the counts always add up. */
static void test_capacity_never_exceeded(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    add_channel(e, 0, 0, 1, 3, 0);
    add_channel(e, 1, 0, 2, 0, 0);
    add_channel(e, 2, 0, 3, 2, 0);
    add_agent(e, 1, 7);
    login(e, 1);
    const uint32_t cost[3] = {1, 2, 3}, limit[3] = {3, UINT32_MAX, 2};
    uint32_t held_ch[64];
    int held[64] = {0};
    uint64_t rng = 1234;
    for (int step = 0; step < 3000; step++) {
        uint32_t t = (uint32_t)test_rand_below(&rng, 64);
        if (held[t]) {
            OK(usher_capacity_release(e, t, 0));
            held[t] = 0;
        } else {
            uint32_t c = (uint32_t)test_rand_below(&rng, 3);
            uint32_t used = 0, active[3] = {0, 0, 0};
            for (int i = 0; i < 64; i++)
                if (held[i]) {
                    used += cost[held_ch[i]];
                    active[held_ch[i]]++;
                }
            int fits = used + cost[c] <= 7 && active[c] < limit[c];
            usher_status st = usher_capacity_reserve(e, 1, t, c);
            assert_int_equal(st, fits ? USHER_OK : USHER_ELIMIT);
            if (st == USHER_OK) {
                held[t] = 1;
                held_ch[t] = c;
            }
        }
        uint32_t used = 0, count = 0;
        for (uint32_t c = 0; c < 3; c++) {
            usher_agent_channel_info ci = chan_info(e, 1, c);
            assert_true(ci.active <= limit[c]);
            used += ci.active * cost[c];
            count += ci.active;
        }
        usher_agent_info info = agent_info(e, 1);
        assert_true(info.capacity_used <= info.capacity);
        assert_int_equal(info.capacity_used, used);
        assert_int_equal(info.work_count, count);
    }
    usher_engine_free(e);
}

static void test_wrapup(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 2, 0, 3000);
    add_channel(e, 1, 0, 1, 0, 0);
    add_agent(e, 1, 3);
    login(e, 1);
    r.count = 0;

    OK(usher_advance(e, 1000));
    OK(usher_capacity_reserve(e, 1, 10, 0));
    OK(usher_advance(e, 2000));
    OK(usher_capacity_release(e, 10, 0));
    assert_int_equal(r.count, 0);
    usher_agent_info info = agent_info(e, 1);
    assert_int_equal(info.capacity_used, 2); /* held by the wrap-up */
    assert_int_equal(info.work_count, 0);
    assert_int_equal(info.wrapup_count, 1);
    assert_int_equal(info.handled_ms, 1000);
    assert_no_holder(e, 10);
    assert_int_equal(usher_capacity_release(e, 10, 0), USHER_ENOTFOUND); /* exactly once */
    usher_agent_channel_info ci = chan_info(e, 1, 0);
    assert_int_equal(ci.active, 0);
    assert_int_equal(ci.wrapping, 1);
    assert_int_equal(ci.free, 0);
    assert_int_equal(chan_info(e, 1, 1).free, 1);
    uint64_t next = 0;
    OK(usher_next_deadline(e, &next));
    assert_int_equal(next, 5000);

    OK(usher_advance(e, 4999));
    assert_int_equal(r.count, 0);
    assert_int_equal(agent_info(e, 1).capacity_used, 2);
    OK(usher_advance(e, 5000)); /* at exactly release + wrapup_ms */
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_WRAPUP, 5000, 1, 10, 0, 0);
    info = agent_info(e, 1);
    assert_int_equal(info.capacity_used, 0);
    assert_int_equal(info.wrapup_count, 0);
    assert_int_equal(info.handled_ms, 4000); /* 1000 of work + 3000 of wrap-up */
    assert_int_equal(chan_info(e, 1, 0).free, 1);

    /* Across a jump the event carries its own end time. */
    OK(usher_capacity_reserve(e, 1, 11, 0));
    OK(usher_advance(e, 6000));
    OK(usher_capacity_release(e, 11, 0));
    OK(usher_advance(e, 1000000));
    assert_int_equal(r.count, 2);
    check_event(&r.seen[1], EV_WRAPUP, 9000, 1, 11, 0, 0);

    /* NO_WRAPUP frees at once, and nothing ends later. */
    OK(usher_capacity_reserve(e, 1, 12, 0));
    OK(usher_capacity_release(e, 12, USHER_RELEASE_NO_WRAPUP));
    info = agent_info(e, 1);
    assert_int_equal(info.capacity_used, 0);
    assert_int_equal(info.wrapup_count, 0);
    /* A channel without wrap-up frees at once too. */
    OK(usher_capacity_reserve(e, 1, 13, 1));
    OK(usher_capacity_release(e, 13, 0));
    assert_int_equal(agent_info(e, 1).capacity_used, 0);
    assert_int_equal(agent_info(e, 1).wrapup_count, 0);
    OK(usher_advance(e, 2000000));
    assert_int_equal(r.count, 2);

    /* Two wrap-ups end one by one, each freeing its own capacity. */
    OK(usher_agent_set_capacity(e, 1, 5));
    OK(usher_capacity_reserve(e, 1, 20, 0));
    OK(usher_capacity_reserve(e, 1, 21, 0));
    OK(usher_capacity_release(e, 21, 0));
    OK(usher_advance(e, 2000100));
    OK(usher_capacity_release(e, 20, 0));
    assert_int_equal(agent_info(e, 1).capacity_used, 4);
    OK(usher_advance(e, 2003050));
    assert_int_equal(r.count, 3);
    check_event(&r.seen[2], EV_WRAPUP, 2003000, 1, 21, 0, 0);
    assert_int_equal(agent_info(e, 1).capacity_used, 2);
    OK(usher_advance(e, 2003100));
    assert_int_equal(r.count, 4);
    check_event(&r.seen[3], EV_WRAPUP, 2003100, 1, 20, 0, 0);
    assert_int_equal(agent_info(e, 1).capacity_used, 0);
    check_seq(&r);
    usher_engine_free(e);
}

/* After release the ticket holds no capacity (a second release is
 * ENOTFOUND), so the same ticket may be reserved again while its wrap-up
 * still runs: the wrap-up keeps its own units. */
static void test_ticket_in_wrapup_holds_no_capacity(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 1000);
    add_agent(e, 1, 3);
    add_agent(e, 2, 3);
    login(e, 1);
    login(e, 2);
    r.count = 0;
    OK(usher_capacity_reserve(e, 1, 10, 0));
    OK(usher_capacity_release(e, 10, 0));
    assert_no_holder(e, 10);
    OK(usher_capacity_reserve(e, 2, 10, 0)); /* the customer wrote again */
    assert_int_equal(holder_of(e, 10, NULL), 2);
    assert_int_equal(agent_info(e, 1).capacity_used, 1);
    assert_int_equal(agent_info(e, 2).capacity_used, 1);
    OK(usher_advance(e, 1000));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_WRAPUP, 1000, 1, 10, 0, 0);
    assert_int_equal(agent_info(e, 1).capacity_used, 0);
    assert_int_equal(holder_of(e, 10, NULL), 2); /* the wrap-up end touched agent 1 only */
    OK(usher_capacity_release(e, 10, USHER_RELEASE_NO_WRAPUP));
    assert_int_equal(agent_info(e, 2).capacity_used, 0);

    /* Same agent: work and wrap-up of one ticket side by side. */
    OK(usher_capacity_reserve(e, 1, 11, 0));
    OK(usher_capacity_release(e, 11, 0));
    OK(usher_capacity_reserve(e, 1, 11, 0));
    usher_agent_info info = agent_info(e, 1);
    assert_int_equal(info.capacity_used, 2);
    assert_int_equal(info.work_count, 1);
    assert_int_equal(info.wrapup_count, 1);
    OK(usher_advance(e, 2000));
    assert_int_equal(r.count, 2);
    check_event(&r.seen[1], EV_WRAPUP, 2000, 1, 11, 0, 0);
    assert_int_equal(holder_of(e, 11, NULL), 1);
    assert_int_equal(agent_info(e, 1).capacity_used, 1);
    usher_engine_free(e);
}

static void test_wrapup_blocks_agent(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, USHER_CHANNEL_WRAPUP_BLOCKS_AGENT, 1, 0, 1000);
    add_channel(e, 1, 0, 1, 0, 0);
    add_agent(e, 1, 4);
    login(e, 1);
    r.count = 0;

    OK(usher_capacity_reserve(e, 1, 10, 0));
    OK(usher_capacity_reserve(e, 1, 20, 1)); /* the channel itself is not exclusive */
    OK(usher_capacity_reserve(e, 1, 11, 0));
    assert_int_equal(agent_info(e, 1).flags, 0);
    OK(usher_capacity_release(e, 10, 0));
    usher_agent_info info = agent_info(e, 1);
    assert_int_equal(info.flags, USHER_AGENT_WRAPUP_BLOCKED);
    assert_int_equal(info.capacity_used, 3);
    for (uint32_t c = 0; c < 2; c++) {
        usher_agent_channel_info ci = chan_info(e, 1, c);
        assert_int_equal(ci.free, 0);
        assert_int_equal(ci.eligible, 0);
    }
    assert_int_equal(usher_capacity_reserve(e, 1, 21, 1), USHER_ESTATE);
    assert_int_equal(usher_capacity_reserve(e, 1, 12, 0), USHER_ESTATE);
    OK(usher_capacity_release(e, 20, 0)); /* work in hand goes on */
    OK(usher_advance(e, 999));
    assert_int_equal(usher_capacity_reserve(e, 1, 21, 1), USHER_ESTATE);
    OK(usher_advance(e, 1000));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_WRAPUP, 1000, 1, 10, 0, 0);
    assert_int_equal(agent_info(e, 1).flags, 0);
    assert_int_equal(chan_info(e, 1, 1).free, 3);
    OK(usher_capacity_reserve(e, 1, 21, 1));

    /* NO_WRAPUP: no blocking at all. */
    OK(usher_capacity_release(e, 11, USHER_RELEASE_NO_WRAPUP));
    assert_int_equal(agent_info(e, 1).flags, 0);
    OK(usher_capacity_reserve(e, 1, 22, 1));
    usher_engine_free(e);
}

static void test_exclusive_channels(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    add_channel(e, 0, USHER_CHANNEL_EXCLUSIVE, 1, 0, 0);                            /* voice */
    add_channel(e, 1, 0, 1, 0, 0);                                                  /* chat */
    add_channel(e, 2, USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_INTERRUPTS, 2, 0, 0); /* call */
    add_channel(e, 3, 0, 1, 0, 500); /* chat with wrap-up */
    add_agent(e, 1, 4);
    login(e, 1);

    /* An exclusive channel takes the whole agent: one ticket at most. */
    assert_int_equal(chan_info(e, 1, 0).free, 1);
    assert_int_equal(chan_info(e, 1, 0).eligible, 1);
    OK(usher_capacity_reserve(e, 1, 10, 0));
    assert_int_equal(agent_info(e, 1).flags, USHER_AGENT_EXCLUSIVE);
    assert_int_equal(usher_capacity_reserve(e, 1, 20, 1), USHER_ESTATE);
    assert_int_equal(usher_capacity_reserve(e, 1, 11, 0), USHER_ESTATE);
    assert_int_equal(usher_capacity_reserve(e, 1, 30, 2), USHER_ESTATE);
    for (uint32_t c = 0; c < 4; c++) {
        usher_agent_channel_info ci = chan_info(e, 1, c);
        assert_int_equal(ci.free, 0);
        assert_int_equal(ci.eligible, 0);
    }
    assert_int_equal(agent_info(e, 1).capacity_used, 1);
    OK(usher_capacity_release(e, 10, 0));
    assert_int_equal(agent_info(e, 1).flags, 0);

    /* An agent with work does not get a (non-interrupting) exclusive one. */
    OK(usher_capacity_reserve(e, 1, 20, 1));
    OK(usher_capacity_reserve(e, 1, 21, 1));
    assert_int_equal(chan_info(e, 1, 0).free, 0);
    assert_int_equal(usher_capacity_reserve(e, 1, 11, 0), USHER_ESTATE);

    /* An interrupting one does, if capacity allows its cost. */
    assert_int_equal(chan_info(e, 1, 2).free, 1);
    OK(usher_capacity_reserve(e, 1, 30, 2)); /* 2 + 2 = 4 */
    usher_agent_info info = agent_info(e, 1);
    assert_int_equal(info.flags, USHER_AGENT_EXCLUSIVE);
    assert_int_equal(info.capacity_used, 4);
    OK(usher_agent_set_capacity(e, 1, 6));
    assert_int_equal(usher_capacity_reserve(e, 1, 22, 1), USHER_ESTATE); /* nothing else */
    assert_int_equal(usher_capacity_reserve(e, 1, 31, 2), USHER_ESTATE);
    assert_int_equal(chan_info(e, 1, 1).free, 0);
    OK(usher_capacity_release(e, 30, 0));
    OK(usher_capacity_reserve(e, 1, 22, 1));
    OK(usher_capacity_reserve(e, 1, 23, 1)); /* 4 chats: 2 units left */
    OK(usher_capacity_reserve(e, 1, 24, 1)); /* 5 chats: 1 unit left < cost 2 */
    assert_int_equal(chan_info(e, 1, 2).free, 0);
    assert_int_equal(usher_capacity_reserve(e, 1, 31, 2), USHER_ELIMIT);
    for (uint64_t t = 20; t <= 24; t++)
        OK(usher_capacity_release(e, t, 0));

    /* "Any work (or wrap-up)" keeps a non-interrupting exclusive channel
     * away. */
    OK(usher_capacity_reserve(e, 1, 40, 3));
    OK(usher_capacity_release(e, 40, 0));
    assert_int_equal(agent_info(e, 1).wrapup_count, 1);
    assert_int_equal(chan_info(e, 1, 0).free, 0);
    assert_int_equal(usher_capacity_reserve(e, 1, 11, 0), USHER_ESTATE);
    assert_int_equal(chan_info(e, 1, 1).free, 5); /* other channels are not blocked */
    OK(usher_advance(e, 500));
    assert_int_equal(chan_info(e, 1, 0).free, 1);
    OK(usher_capacity_reserve(e, 1, 11, 0));
    usher_engine_free(e);
}

/* Reading: INTERRUPTS lets the call through "any work (or wrap-up)"; only
 * a blocking wrap-up or exclusive work stop it. */
static void test_interrupts_during_wrapup(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    add_channel(e, 0, USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_INTERRUPTS, 1, 0, 0);
    add_channel(e, 1, 0, 1, 0, 500);
    add_channel(e, 2, USHER_CHANNEL_WRAPUP_BLOCKS_AGENT, 1, 0, 500);
    add_agent(e, 1, 4);
    login(e, 1);
    OK(usher_capacity_reserve(e, 1, 10, 1));
    OK(usher_capacity_release(e, 10, 0));
    assert_int_equal(chan_info(e, 1, 0).free, 1);
    OK(usher_capacity_reserve(e, 1, 11, 0));
    OK(usher_capacity_release(e, 11, 0));
    OK(usher_capacity_reserve(e, 1, 12, 2));
    OK(usher_capacity_release(e, 12, 0)); /* a blocking wrap-up */
    assert_int_equal(chan_info(e, 1, 0).free, 0);
    assert_int_equal(usher_capacity_reserve(e, 1, 13, 0), USHER_ESTATE);
    usher_engine_free(e);
}

/* Going away or offline never frees capacity; only the end of the work. */
static void test_capacity_follows_work(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_agent(e, 1, 3);
    login(e, 1);
    OK(usher_capacity_reserve(e, 1, 10, 0));
    OK(usher_capacity_reserve(e, 1, 11, 0));
    OK(usher_agent_set_state(e, 1, AWAY, 2));
    usher_agent_info info = agent_info(e, 1);
    assert_int_equal(info.capacity_used, 2);
    assert_int_equal(info.work_count, 2);
    usher_agent_channel_info ci = chan_info(e, 1, 0);
    assert_int_equal(ci.active, 2);
    assert_int_equal(ci.free, 1);     /* state aside */
    assert_int_equal(ci.eligible, 0); /* but not eligible */
    assert_int_equal(usher_capacity_reserve(e, 1, 12, 0), USHER_ESTATE);
    OK(usher_agent_set_state(e, 1, OFF, 0));
    info = agent_info(e, 1);
    assert_int_equal(info.capacity_used, 2);
    assert_int_equal(info.work_count, 2);
    login(e, 1);
    info = agent_info(e, 1);
    assert_int_equal(info.capacity_used, 2);
    assert_int_equal(chan_info(e, 1, 0).free, 1);
    OK(usher_capacity_reserve(e, 1, 12, 0));
    assert_int_equal(usher_capacity_reserve(e, 1, 13, 0), USHER_ELIMIT);
    OK(usher_capacity_release(e, 10, 0));
    assert_int_equal(agent_info(e, 1).capacity_used, 2);
    usher_engine_free(e);
}

static void test_logout_returns_work(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 1000);
    add_channel(e, 1, 0, 2, 0, 0);
    add_agent(e, 5, 4);
    add_agent(e, 6, 4);
    login(e, 5);
    login(e, 6);
    OK(usher_advance(e, 100));
    OK(usher_capacity_reserve(e, 5, 31, 1));
    OK(usher_advance(e, 200));
    OK(usher_capacity_reserve(e, 5, 12, 0));
    OK(usher_capacity_reserve(e, 5, 20, 0));
    OK(usher_capacity_release(e, 20, 0)); /* a wrap-up: not a ticket held */
    OK(usher_advance(e, 300));
    r.count = 0;

    OK(usher_agent_set_state(e, 5, OFF, 0));
    assert_int_equal(r.count, 3);
    check_event(&r.seen[0], EV_STATE, 300, 5, 0, OFF, 0);
    check_event(&r.seen[1], EV_RETURNED, 300, 5, 31, 1, USHER_RETURN_LOGOUT); /* oldest first */
    check_event(&r.seen[2], EV_RETURNED, 300, 5, 12, 0, USHER_RETURN_LOGOUT);
    check_seq(&r);

    usher_agent_info info = agent_info(e, 5);
    assert_int_equal(info.state, OFF);
    assert_int_equal(info.capacity_used, 4); /* still reserved */
    assert_int_equal(info.work_count, 2);
    assert_int_equal(info.wrapup_count, 1);
    uint32_t ch = 99;
    assert_int_equal(holder_of(e, 31, &ch), 5);
    assert_int_equal(ch, 1);
    assert_int_equal(holder_of(e, 12, &ch), 5);
    assert_int_equal(ch, 0);
    assert_int_equal(usher_capacity_reserve(e, 6, 31, 1), USHER_EEXIST);

    /* The wrap-up runs on while offline. */
    OK(usher_advance(e, 1200));
    assert_int_equal(r.count, 4);
    check_event(&r.seen[3], EV_WRAPUP, 1200, 5, 20, 0, 0);
    assert_int_equal(agent_info(e, 5).capacity_used, 3);

    /* Logged in again: the returned work still holds its capacity. */
    login(e, 5);
    assert_int_equal(chan_info(e, 5, 1).free, 0);
    assert_int_equal(usher_capacity_reserve(e, 5, 40, 1), USHER_ELIMIT);
    OK(usher_capacity_release(e, 31, 0));
    assert_int_equal(agent_info(e, 5).capacity_used, 1);
    OK(usher_capacity_release(e, 12, USHER_RELEASE_NO_WRAPUP));
    info = agent_info(e, 5);
    assert_int_equal(info.capacity_used, 0);
    assert_int_equal(info.work_count, 0);
    assert_no_holder(e, 31);
    OK(usher_capacity_reserve(e, 6, 31, 1)); /* the host gives it to someone else */

    /* Logging out without work: just the state event. */
    r.count = 0;
    OK(usher_agent_set_state(e, 5, OFF, 0));
    assert_int_equal(r.count, 1);
    usher_engine_free(e);
}

static void test_remove_returns_work(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 1000);
    add_channel(e, 1, 0, 2, 0, 0);
    add_agent(e, 5, 4);
    add_agent(e, 6, 4);
    login(e, 5);
    login(e, 6);
    OK(usher_agent_set_load_cap(e, 5, 10, 100000));
    OK(usher_agent_set_cooldown(e, 5, 100000));
    OK(usher_agent_set_idle_timeout(e, 5, 100000));
    OK(usher_capacity_reserve(e, 5, 31, 1));
    OK(usher_capacity_reserve(e, 5, 12, 0));
    OK(usher_capacity_reserve(e, 5, 20, 0));
    OK(usher_capacity_release(e, 20, USHER_RELEASE_HEAVY)); /* wrap-up and cool-down */
    OK(usher_advance(e, 50));
    r.count = 0;

    OK(usher_agent_remove(e, 5));
    assert_int_equal(r.count, 2); /* no state event, nothing for the wrap-up */
    int seen31 = 0, seen12 = 0;
    for (int i = 0; i < 2; i++) {
        const usher_event *ev = &r.seen[i];
        if (ev->ticket_id == 31) {
            seen31++;
            check_event(ev, EV_RETURNED, 50, 5, 31, 1, USHER_RETURN_REMOVED);
        } else {
            seen12++;
            check_event(ev, EV_RETURNED, 50, 5, 12, 0, USHER_RETURN_REMOVED);
        }
    }
    assert_int_equal(seen31, 1);
    assert_int_equal(seen12, 1);
    usher_agent_info info;
    info.struct_size = sizeof info;
    assert_int_equal(usher_agent_get(e, 5, &info), USHER_ENOTFOUND);
    assert_no_holder(e, 31); /* released already */
    assert_no_holder(e, 12);
    assert_int_equal(usher_capacity_release(e, 31, 0), USHER_ENOTFOUND);
    OK(usher_capacity_reserve(e, 6, 31, 1));

    /* Its wrap-up, cool-down and idle timer are gone without events. */
    OK(usher_advance(e, 10000000));
    assert_int_equal(r.count, 2);
    OK(usher_channel_remove(e, 0)); /* no wrap-up left on it */
    usher_engine_free(e);
}

/* ======================================================================
 * Load caps and cool-downs
 * ====================================================================== */

static void reserve_release(usher_engine *e, uint64_t agent, uint64_t ticket, uint32_t channel)
{
    OK(usher_capacity_reserve(e, agent, ticket, channel));
    OK(usher_capacity_release(e, ticket, USHER_RELEASE_NO_WRAPUP));
}

static void test_load_cap_window(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_agent(e, 1, 10);
    login(e, 1);
    OK(usher_agent_set_load_cap(e, 1, 3, 10000));
    usher_agent_info info = agent_info(e, 1);
    assert_int_equal(info.load_cap_max, 3);
    assert_int_equal(info.load_cap_window_ms, 10000);
    r.count = 0;

    OK(usher_advance(e, 1000));
    reserve_release(e, 1, 1, 0);
    OK(usher_advance(e, 2000));
    reserve_release(e, 1, 2, 0);
    assert_int_equal(r.count, 0);
    OK(usher_advance(e, 3000));
    OK(usher_capacity_reserve(e, 1, 3, 0)); /* the third fills the window */
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_CAP, 3000, 1, 0, 11000, USHER_CAP_WINDOW);
    info = agent_info(e, 1);
    assert_int_equal(info.flags, USHER_AGENT_AT_LOAD_CAP);
    assert_int_equal(info.capped_until_ms, 11000);
    assert_int_equal(info.assignments_today, 3);
    usher_agent_channel_info ci = chan_info(e, 1, 0);
    assert_int_equal(ci.eligible, 0);
    assert_int_equal(ci.free, 9); /* load caps aside */
    assert_int_equal(usher_capacity_reserve(e, 1, 4, 0), USHER_ESTATE);
    OK(usher_capacity_release(e, 3, USHER_RELEASE_NO_WRAPUP)); /* releasing does not lift it */
    assert_int_equal(usher_capacity_reserve(e, 1, 4, 0), USHER_ESTATE);
    assert_int_equal(agent_info(e, 1).assignments_today, 3);

    OK(usher_advance(e, 10999));
    assert_int_equal(r.count, 1);
    assert_int_equal(usher_capacity_reserve(e, 1, 4, 0), USHER_ESTATE);
    OK(usher_advance(e, 11000));
    assert_int_equal(r.count, 2);
    check_event(&r.seen[1], EV_CLEARED, 11000, 1, 0, 0, USHER_CAP_WINDOW);
    info = agent_info(e, 1);
    assert_int_equal(info.flags, 0);
    assert_int_equal(info.capped_until_ms, 0);
    assert_int_equal(chan_info(e, 1, 0).eligible, 1);

    /* Rolling: the last three are 2000, 3000, 11000. */
    reserve_release(e, 1, 4, 0);
    assert_int_equal(r.count, 3);
    check_event(&r.seen[2], EV_CAP, 11000, 1, 0, 12000, USHER_CAP_WINDOW);
    OK(usher_advance(e, 12000));
    check_event(&r.seen[3], EV_CLEARED, 12000, 1, 0, 0, USHER_CAP_WINDOW);
    reserve_release(e, 1, 5, 0); /* 3000, 11000, 12000 */
    check_event(&r.seen[4], EV_CAP, 12000, 1, 0, 13000, USHER_CAP_WINDOW);
    OK(usher_advance(e, 30000)); /* cleared at 13000 */
    assert_int_equal(r.count, 6);
    check_event(&r.seen[5], EV_CLEARED, 13000, 1, 0, 0, USHER_CAP_WINDOW);
    reserve_release(e, 1, 6, 0); /* 11000, 12000, 30000: window not full */
    assert_int_equal(r.count, 6);
    assert_int_equal(agent_info(e, 1).assignments_today, 6);
    check_seq(&r);

    /* A cap of one per window: every reservation caps. */
    OK(usher_agent_set_load_cap(e, 1, 1, 500));
    OK(usher_advance(e, 40000));
    r.count = 0;
    reserve_release(e, 1, 7, 0);
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_CAP, 40000, 1, 0, 40500, USHER_CAP_WINDOW);
    OK(usher_advance(e, 40500));
    assert_int_equal(r.count, 2);
    check_event(&r.seen[1], EV_CLEARED, 40500, 1, 0, 0, USHER_CAP_WINDOW);

    /* A capped agent that goes offline stays capped; the cap clears on
     * time and the agent is eligible once back. */
    reserve_release(e, 1, 8, 0);
    OK(usher_agent_set_state(e, 1, OFF, 0));
    OK(usher_advance(e, 41000));
    assert_int_equal(r.count, 5);
    check_event(&r.seen[4], EV_CLEARED, 41000, 1, 0, 0, USHER_CAP_WINDOW);
    login(e, 1);
    assert_int_equal(chan_info(e, 1, 0).eligible, 1);
    usher_engine_free(e);
}

static void test_load_cap_settings(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_agent(e, 1, 10);
    login(e, 1);
    assert_int_equal(usher_agent_set_load_cap(e, 1, 100001, 1000), USHER_EINVAL);
    assert_int_equal(usher_agent_set_load_cap(e, 1, 3, 0), USHER_EINVAL);
    assert_int_equal(usher_agent_set_load_cap(e, 1, 0, 5), USHER_EINVAL);
    assert_int_equal(usher_agent_set_load_cap(e, 1, 3, USHER_TIME_MAX + 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_load_cap(e, 2, 3, 1000), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_set_load_cap(NULL, 1, 3, 1000), USHER_EINVAL);
    usher_agent_info info = agent_info(e, 1);
    assert_int_equal(info.load_cap_max, 0);
    assert_int_equal(info.load_cap_window_ms, 0);
    OK(usher_agent_set_load_cap(e, 1, 100000, USHER_TIME_MAX));
    info = agent_info(e, 1);
    assert_int_equal(info.load_cap_max, 100000);
    assert_int_equal(info.load_cap_window_ms, USHER_TIME_MAX);
    OK(usher_agent_set_load_cap(e, 1, 0, 0));
    info = agent_info(e, 1);
    assert_int_equal(info.load_cap_max, 0);
    assert_int_equal(info.load_cap_window_ms, 0);

    /* Changing the cap keeps the most recent reservations that fit. */
    OK(usher_agent_set_load_cap(e, 1, 5, 10000));
    for (uint64_t t = 1; t <= 4; t++) {
        OK(usher_advance(e, t * 1000));
        reserve_release(e, 1, t, 0);
    }
    OK(usher_advance(e, 5000));
    assert_int_equal(r.count, 1); /* the login */
    OK(usher_agent_set_load_cap(e, 1, 2, 1500)); /* keeps 3000, 4000: not capped */
    assert_int_equal(r.count, 1);
    assert_int_equal(chan_info(e, 1, 0).eligible, 1);
    reserve_release(e, 1, 5, 0); /* 4000, 5000 */
    assert_int_equal(r.count, 2);
    check_event(&r.seen[1], EV_CAP, 5000, 1, 0, 5500, USHER_CAP_WINDOW);
    OK(usher_advance(e, 5500));
    assert_int_equal(r.count, 3);
    check_event(&r.seen[2], EV_CLEARED, 5500, 1, 0, 0, USHER_CAP_WINDOW);

    /* Off: no cap however many. */
    OK(usher_agent_set_load_cap(e, 1, 0, 0));
    for (uint64_t t = 10; t < 30; t++)
        reserve_release(e, 1, t, 0);
    assert_int_equal(r.count, 3);
    assert_int_equal(agent_info(e, 1).assignments_today, 25);
    usher_engine_free(e);
}

static void test_cooldown(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_channel(e, 1, 0, 1, 0, 1000);
    add_agent(e, 1, 10);
    login(e, 1);
    assert_int_equal(usher_agent_set_cooldown(e, 1, USHER_TIME_MAX + 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_cooldown(e, 2, 5000), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_set_cooldown(NULL, 1, 5000), USHER_EINVAL);
    assert_int_equal(agent_info(e, 1).cooldown_ms, 0);
    OK(usher_agent_set_cooldown(e, 1, 5000));
    assert_int_equal(agent_info(e, 1).cooldown_ms, 5000);
    r.count = 0;

    OK(usher_capacity_reserve(e, 1, 1, 0));
    OK(usher_advance(e, 2000));
    OK(usher_capacity_release(e, 1, 0)); /* not heavy: no cool-down */
    assert_int_equal(r.count, 0);
    OK(usher_capacity_reserve(e, 1, 2, 0));
    OK(usher_capacity_reserve(e, 1, 3, 0));
    OK(usher_advance(e, 3000));
    OK(usher_capacity_release(e, 2, USHER_RELEASE_HEAVY | USHER_RELEASE_NO_WRAPUP));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_CAP, 3000, 1, 0, 8000, USHER_CAP_COOLDOWN);
    usher_agent_info info = agent_info(e, 1);
    assert_int_equal(info.flags, USHER_AGENT_COOLING_DOWN);
    assert_int_equal(info.capped_until_ms, 8000);
    usher_agent_channel_info ci = chan_info(e, 1, 0);
    assert_int_equal(ci.eligible, 0);
    assert_int_equal(ci.free, 9);
    assert_int_equal(usher_capacity_reserve(e, 1, 4, 0), USHER_ESTATE);
    OK(usher_capacity_release(e, 3, 0)); /* work in hand is not affected */

    /* Turning cool-downs off lets the one in progress run to its end. */
    OK(usher_agent_set_cooldown(e, 1, 0));
    assert_int_equal(agent_info(e, 1).cooldown_ms, 0);
    OK(usher_advance(e, 7999));
    assert_int_equal(usher_capacity_reserve(e, 1, 4, 0), USHER_ESTATE);
    assert_int_equal(agent_info(e, 1).capped_until_ms, 8000);
    OK(usher_advance(e, 8000));
    assert_int_equal(r.count, 2);
    check_event(&r.seen[1], EV_CLEARED, 8000, 1, 0, 0, USHER_CAP_COOLDOWN);
    info = agent_info(e, 1);
    assert_int_equal(info.flags, 0);
    assert_int_equal(info.capped_until_ms, 0);
    OK(usher_capacity_reserve(e, 1, 4, 0));
    OK(usher_capacity_release(e, 4, USHER_RELEASE_HEAVY)); /* off: nothing */
    assert_int_equal(r.count, 2);
    assert_int_equal(agent_info(e, 1).flags, 0);

    /* The cool-down starts at the release, also with a wrap-up. */
    OK(usher_agent_set_cooldown(e, 1, 2000));
    OK(usher_capacity_reserve(e, 1, 5, 1));
    OK(usher_advance(e, 9000));
    OK(usher_capacity_release(e, 5, USHER_RELEASE_HEAVY));
    assert_int_equal(r.count, 3);
    check_event(&r.seen[2], EV_CAP, 9000, 1, 0, 11000, USHER_CAP_COOLDOWN);
    OK(usher_advance(e, 20000));
    assert_int_equal(r.count, 5);
    check_event(&r.seen[3], EV_WRAPUP, 10000, 1, 5, 1, 0);
    check_event(&r.seen[4], EV_CLEARED, 11000, 1, 0, 0, USHER_CAP_COOLDOWN);
    check_seq(&r);
    usher_engine_free(e);
}

/* ======================================================================
 * Idle timeout
 * ====================================================================== */

static void test_idle_timeout(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_channel(e, 1, 0, 1, 0, 500);
    add_agent(e, 1, 4);
    assert_int_equal(usher_agent_set_idle_timeout(e, 1, USHER_TIME_MAX + 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_idle_timeout(e, 2, 1000), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_set_idle_timeout(NULL, 1, 1000), USHER_EINVAL);
    assert_int_equal(usher_agent_activity(e, 2), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_activity(NULL, 1), USHER_EINVAL);
    OK(usher_agent_set_idle_timeout(e, 1, 1000));
    assert_int_equal(agent_info(e, 1).idle_timeout_ms, 1000);

    /* Offline: never idle. */
    OK(usher_advance(e, 2000));
    assert_int_equal(r.count, 0);
    login(e, 1); /* becoming available is activity */
    r.count = 0;
    OK(usher_advance(e, 2999));
    assert_int_equal(r.count, 0);
    OK(usher_advance(e, 3000));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_STATE, 3000, 1, 0, AWAY, USHER_AWAY_IDLE);
    usher_agent_info info = agent_info(e, 1);
    assert_int_equal(info.state, AWAY);
    assert_int_equal(info.away_reason, USHER_AWAY_IDLE);
    OK(usher_advance(e, 10000)); /* away: once is all */
    assert_int_equal(r.count, 1);

    /* Activity postpones it. */
    login(e, 1); /* at 10000 */
    OK(usher_advance(e, 10600));
    OK(usher_agent_activity(e, 1));
    OK(usher_advance(e, 11599));
    assert_int_equal(r.count, 2);
    OK(usher_advance(e, 11600));
    assert_int_equal(r.count, 3);
    check_event(&r.seen[2], EV_STATE, 11600, 1, 0, AWAY, USHER_AWAY_IDLE);

    /* No idle while holding work; the end of the ticket is activity. */
    login(e, 1); /* at 11600 */
    OK(usher_advance(e, 11700));
    OK(usher_capacity_reserve(e, 1, 10, 0));
    OK(usher_advance(e, 50000));
    assert_int_equal(r.count, 4);
    assert_int_equal(agent_info(e, 1).state, AVAIL);
    OK(usher_capacity_release(e, 10, 0));
    OK(usher_advance(e, 50999));
    assert_int_equal(r.count, 4);
    OK(usher_advance(e, 51000));
    assert_int_equal(r.count, 5);
    check_event(&r.seen[4], EV_STATE, 51000, 1, 0, AWAY, USHER_AWAY_IDLE);

    /* Nor during a wrap-up; its end is activity. */
    login(e, 1); /* at 51000 */
    OK(usher_capacity_reserve(e, 1, 11, 1));
    OK(usher_advance(e, 51100));
    OK(usher_capacity_release(e, 11, 0)); /* wrap-up until 51600 */
    OK(usher_advance(e, 60000));
    assert_int_equal(r.count, 8);
    check_event(&r.seen[6], EV_WRAPUP, 51600, 1, 11, 1, 0);
    check_event(&r.seen[7], EV_STATE, 52600, 1, 0, AWAY, USHER_AWAY_IDLE);

    /* Away by the host: no idle either. Off: never. */
    login(e, 1); /* at 60000 */
    OK(usher_agent_set_state(e, 1, AWAY, 5));
    OK(usher_advance(e, 70000));
    assert_int_equal(r.count, 10);
    login(e, 1); /* at 70000 */
    OK(usher_agent_set_idle_timeout(e, 1, 0));
    assert_int_equal(agent_info(e, 1).idle_timeout_ms, 0);
    OK(usher_advance(e, 1000000));
    assert_int_equal(r.count, 11);
    assert_int_equal(agent_info(e, 1).state, AVAIL);
    check_seq(&r);
    usher_engine_free(e);
}

/* ======================================================================
 * Counters
 * ====================================================================== */

static void test_counters_timeline(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 1000);
    add_channel(e, 0, 0, 1, 0, 500);
    add_channel(e, 1, 0, 1, 0, 0);
    add_agent(e, 1, 4);
    OK(usher_advance(e, 2000));
    login(e, 1);
    OK(usher_advance(e, 3000));
    OK(usher_capacity_reserve(e, 1, 1, 0));
    OK(usher_advance(e, 4000));
    OK(usher_agent_set_state(e, 1, AWAY, 5)); /* away with work: still busy */
    OK(usher_advance(e, 5000));
    OK(usher_capacity_release(e, 1, 0)); /* wrap-up until 5500 */
    OK(usher_advance(e, 5200));
    usher_agent_info info = agent_info(e, 1);
    assert_int_equal(info.logged_in_ms, 3200);
    assert_int_equal(info.busy_ms, 2200);
    assert_int_equal(info.handled_ms, 2000); /* the wrap-up has not ended */
    assert_int_equal(info.assignments_today, 1);
    OK(usher_advance(e, 6000));
    login(e, 1);
    OK(usher_advance(e, 7000));
    OK(usher_capacity_reserve(e, 1, 2, 1));
    OK(usher_advance(e, 8000));
    OK(usher_agent_set_state(e, 1, OFF, 0)); /* holds work while offline: not counted */
    OK(usher_advance(e, 9000));
    OK(usher_capacity_release(e, 2, 0));
    OK(usher_advance(e, 10000));
    login(e, 1);
    OK(usher_advance(e, 12000));
    info = agent_info(e, 1);
    assert_int_equal(info.logged_in_ms, 6000 + 2000); /* 2000..8000, 10000..12000 */
    assert_int_equal(info.busy_ms, 2500 + 1000);      /* 3000..5500, 7000..8000 */
    assert_int_equal(info.handled_ms, 2500 + 2000);   /* 2000 + 500 wrap-up, 2000 */
    assert_int_equal(info.assignments_today, 2);

    add_agent(e, 2, 1);
    login(e, 2);
    OK(usher_capacity_reserve(e, 2, 3, 1));
    assert_int_equal(agent_info(e, 2).assignments_today, 1);
    OK(usher_agents_new_day(e));
    assert_int_equal(agent_info(e, 1).assignments_today, 0);
    assert_int_equal(agent_info(e, 2).assignments_today, 0);
    assert_int_equal(agent_info(e, 1).handled_ms, 4500); /* other counters stay */
    assert_int_equal(agent_info(e, 1).logged_in_ms, 8000);
    OK(usher_capacity_reserve(e, 1, 4, 1));
    assert_int_equal(agent_info(e, 1).assignments_today, 1);
    assert_int_equal(usher_agents_new_day(NULL), USHER_EINVAL);

    /* Removal and re-adding starts from zero. */
    OK(usher_agent_remove(e, 2));
    add_agent(e, 2, 1);
    info = agent_info(e, 2);
    assert_int_equal(info.logged_in_ms, 0);
    assert_int_equal(info.assignments_today, 0);
    usher_engine_free(e);
}

/* ======================================================================
 * Queries: channels, iteration, output structures, NULL arguments
 * ====================================================================== */

static void test_agent_get_channel_errors(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_agent(e, 1, 2);
    usher_agent_channel_info ci;
    memset(&ci, 0x44, sizeof ci);
    ci.struct_size = sizeof ci;
    assert_int_equal(usher_agent_get_channel(e, 1, USHER_MAX_CHANNELS, &ci), USHER_EINVAL);
    assert_int_equal(usher_agent_get_channel(e, 1, 3, &ci), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_get_channel(e, 2, 0, &ci), USHER_ENOTFOUND);
    assert_int_equal(usher_agent_get_channel(e, 1, 0, NULL), USHER_EINVAL);
    assert_int_equal(usher_agent_get_channel(NULL, 1, 0, &ci), USHER_EINVAL);
    ci.struct_size = sizeof ci - 1;
    assert_int_equal(usher_agent_get_channel(e, 1, 0, &ci), USHER_EINVAL);
    ci.struct_size = 0;
    assert_int_equal(usher_agent_get_channel(e, 1, 0, &ci), USHER_EINVAL);
    assert_int_equal(ci.free, 0x44444444);
    assert_int_equal(ci.limit, 0x44444444);
    usher_engine_free(e);
}

static void test_agent_next(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    enum { N = 100 };
    uint64_t ids[N];
    for (int i = 0; i < N; i++) {
        ids[i] = (uint64_t)i * UINT64_C(0x9e3779b97f4a7c15) + 3;
        add_agent(e, ids[i], 1);
    }
    int seen[N];
    memset(seen, 0, sizeof seen);
    uint64_t cursor = 0, id = 0;
    int total = 0;
    usher_status st;
    while ((st = usher_agent_next(e, &cursor, &id)) == USHER_OK) {
        int found = 0;
        for (int i = 0; i < N; i++)
            if (ids[i] == id) {
                seen[i]++;
                found = 1;
            }
        assert_true(found);
        assert_true(++total <= N);
    }
    assert_int_equal(st, USHER_ENOTFOUND);
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(usher_agent_next(e, &cursor, &id), USHER_ENOTFOUND);

    /* Unspecified but deterministic: the same order twice. */
    uint64_t order[N];
    int n = 0;
    cursor = 0;
    while (usher_agent_next(e, &cursor, &id) == USHER_OK)
        order[n++] = id;
    assert_int_equal(n, N);
    cursor = 0;
    for (int i = 0; i < N; i++) {
        OK(usher_agent_next(e, &cursor, &id));
        assert_int_equal(id, order[i]);
    }

    /* Removing and adding while iterating: the agents that exist throughout
     * are seen exactly once, and nothing else but the added ones. */
    memset(seen, 0, sizeof seen);
    int removed[N];
    memset(removed, 0, sizeof removed);
    cursor = 0;
    int step = 0, added = 0;
    while ((st = usher_agent_next(e, &cursor, &id)) == USHER_OK) {
        int idx = -1;
        for (int i = 0; i < N; i++)
            if (ids[i] == id)
                idx = i;
        if (idx < 0) {
            assert_true(id >= 1000000 && id < 1000000 + (uint64_t)added);
        } else {
            assert_false(removed[idx]);
            seen[idx]++;
            if (idx % 2 == 0) { /* remove what was just seen */
                OK(usher_agent_remove(e, id));
                removed[idx] = 1;
            }
        }
        if (step % 3 == 0) {
            add_agent(e, 1000000 + (uint64_t)added, 1);
            added++;
        }
        if (step == 5) { /* some agents removed before they could be seen */
            for (int i = 91; i < N; i += 2)
                if (!seen[i]) {
                    OK(usher_agent_remove(e, ids[i]));
                    removed[i] = 1;
                }
        }
        step++;
        assert_true(step < 10 * N);
    }
    assert_int_equal(st, USHER_ENOTFOUND);
    for (int i = 0; i < N; i++)
        if (!removed[i] || i % 2 == 0) /* persistent, or removed after being seen */
            assert_int_equal(seen[i], 1);

    assert_int_equal(usher_agent_next(NULL, &cursor, &id), USHER_EINVAL);
    assert_int_equal(usher_agent_next(e, NULL, &id), USHER_EINVAL);
    assert_int_equal(usher_agent_next(e, &cursor, NULL), USHER_EINVAL);

    usher_engine *empty = new_engine(NULL, 0);
    cursor = 0;
    id = 42;
    assert_int_equal(usher_agent_next(empty, &cursor, &id), USHER_ENOTFOUND);
    assert_int_equal(id, 42);
    usher_engine_free(empty);
    usher_engine_free(e);
}

/* A host compiled against a newer, larger output structure. */
typedef struct bigger_agent_info {
    usher_agent_info base;
    uint64_t future;
} bigger_agent_info;

static void test_output_struct_size(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    add_channel(e, 0, 0, 1, 2, 0);
    add_agent(e, 1, 3);
    usher_agent_info info, pattern;
    memset(&pattern, 0x6b, sizeof pattern);
    const uint32_t small[] = {0, 1, 4, sizeof(usher_agent_info) - 1};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
        info = pattern;
        info.struct_size = small[i];
        assert_int_equal(usher_agent_get(e, 1, &info), USHER_EINVAL);
        pattern.struct_size = small[i];
        assert_memory_equal(&info, &pattern, sizeof info); /* untouched */
    }
    bigger_agent_info big;
    memset(&big, 0, sizeof big);
    big.base.struct_size = sizeof big;
    OK(usher_agent_get(e, 1, &big.base));
    assert_int_equal(big.base.capacity, 3);
    assert_int_equal(big.base.state, OFF);

    usher_channel_def def;
    memset(&def, 0, sizeof def);
    def.struct_size = sizeof def - 1;
    def.cost = 1;
    assert_int_equal(usher_channel_add(e, 1, &def), USHER_EINVAL);

    /* Events report the library's sizeof(usher_event). */
    recorder r;
    memset(&r, 0, sizeof r);
    OK(usher_set_event_handler(e, record_event, &r));
    login(e, 1);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.seen[0].struct_size, sizeof(usher_event));
    usher_engine_free(e);
}

static void test_null_pointers(void **state)
{
    (void)state;
    usher_engine *e = new_engine(NULL, 0);
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    size_t sz = 0;
    char buf[64];
    usher_channel_def def;
    usher_channel_def_init(&def);
    usher_skill_level sl = {0, 1};
    usher_agent_info info;
    info.struct_size = sizeof info;
    usher_agent_channel_info ci;
    ci.struct_size = sizeof ci;
    OK(usher_skill_intern(e, "x", &u32));
    OK(usher_channel_add(e, 0, &def));
    add_agent(e, 1, 2);

    assert_int_equal(usher_skill_intern(NULL, "x", &u32), USHER_EINVAL);
    assert_int_equal(usher_skill_intern(e, NULL, &u32), USHER_EINVAL);
    assert_int_equal(usher_skill_intern(e, "x", NULL), USHER_EINVAL);
    assert_int_equal(usher_skill_find(NULL, "x", &u32), USHER_EINVAL);
    assert_int_equal(usher_skill_find(e, NULL, &u32), USHER_EINVAL);
    assert_int_equal(usher_skill_find(e, "x", NULL), USHER_EINVAL);
    assert_int_equal(usher_skill_name(NULL, 0, buf, sizeof buf), USHER_EINVAL);
    assert_int_equal(usher_skill_name(e, 0, NULL, sizeof buf), USHER_EINVAL);
    assert_int_equal(usher_skill_count(NULL, &u32), USHER_EINVAL);
    assert_int_equal(usher_skill_count(e, NULL), USHER_EINVAL);

    assert_int_equal(usher_channel_add(NULL, 1, &def), USHER_EINVAL);
    assert_int_equal(usher_channel_add(e, 1, NULL), USHER_EINVAL);
    assert_int_equal(usher_channel_remove(NULL, 0), USHER_EINVAL);
    assert_int_equal(usher_channel_get(NULL, 0, &def), USHER_EINVAL);
    assert_int_equal(usher_channel_get(e, 0, NULL), USHER_EINVAL);

    assert_int_equal(usher_agent_add(NULL, 2, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_remove(NULL, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_capacity(NULL, 1, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_channel_limit(NULL, 1, 0, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_skill(NULL, 1, 0, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_drop_skill(NULL, 1, 0), USHER_EINVAL);
    assert_int_equal(usher_agent_set_skills(NULL, 1, &sl, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_skills(e, 1, NULL, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_get_skills(NULL, 1, &sl, 1, &sz), USHER_EINVAL);
    assert_int_equal(usher_agent_get_skills(e, 1, NULL, 1, &sz), USHER_EINVAL);
    assert_int_equal(usher_agent_get_skills(e, 1, &sl, 1, NULL), USHER_EINVAL);
    assert_int_equal(usher_agent_set_state(NULL, 1, AVAIL, 0), USHER_EINVAL);
    assert_int_equal(usher_agent_set_load_cap(NULL, 1, 1, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_cooldown(NULL, 1, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_set_idle_timeout(NULL, 1, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_activity(NULL, 1), USHER_EINVAL);
    assert_int_equal(usher_agent_get(NULL, 1, &info), USHER_EINVAL);
    assert_int_equal(usher_agent_get(e, 1, NULL), USHER_EINVAL);
    assert_int_equal(usher_agent_get_channel(NULL, 1, 0, &ci), USHER_EINVAL);
    assert_int_equal(usher_agent_get_channel(e, 1, 0, NULL), USHER_EINVAL);
    assert_int_equal(usher_agent_next(NULL, &u64, &u64), USHER_EINVAL);
    assert_int_equal(usher_agent_next(e, NULL, &u64), USHER_EINVAL);
    assert_int_equal(usher_agent_next(e, &u64, NULL), USHER_EINVAL);
    assert_int_equal(usher_agents_new_day(NULL), USHER_EINVAL);

    assert_int_equal(usher_capacity_reserve(NULL, 1, 1, 0), USHER_EINVAL);
    assert_int_equal(usher_capacity_release(NULL, 1, 0), USHER_EINVAL);
    assert_int_equal(usher_capacity_holder(NULL, 1, &u64, &u32), USHER_EINVAL);

    /* Nothing was done by any of them. */
    assert_int_equal(usher_skill_count(e, &u32), USHER_OK);
    assert_int_equal(u32, 1);
    info = agent_info(e, 1);
    assert_int_equal(info.state, OFF);
    assert_int_equal(info.capacity, 2);
    assert_int_equal(info.skill_count, 0);
    usher_engine_free(e);
}

/* ======================================================================
 * Allocation failure
 * ====================================================================== */

#define SW_AGENTS 26
#define SW_TICKETS 60
#define SW_CH 5
#define SW_SKILLS 6
#define SW_NAMES 24

/* The agents and tickets the sweep scenario uses (and a few it never
 * uses). */
static uint64_t sw_agent(int i) { return i < 6 ? (uint64_t)(i + 1) * 11 : (uint64_t)(70 + i - 6); }
static uint64_t sw_ticket(int i) { return i < 10 ? (uint64_t)(100 + i) : (uint64_t)(200 + i - 10); }

typedef struct snapshot {
    usher_agent_info agent[SW_AGENTS];
    usher_agent_channel_info chan[SW_AGENTS][SW_CH];
    usher_channel_def def[SW_CH];
    usher_skill_level skills[SW_AGENTS][SW_SKILLS];
    char skill_name[SW_NAMES][USHER_SKILL_NAME_MAX + 1];
    uint64_t holder_agent[SW_TICKETS];
    uint64_t now, next_deadline;
    size_t nskills[SW_AGENTS];
    usher_status agent_st[SW_AGENTS];
    usher_status chan_st[SW_AGENTS][SW_CH];
    usher_status def_st[SW_CH];
    usher_status holder_st[SW_TICKETS];
    uint32_t holder_ch[SW_TICKETS];
    uint32_t skill_count;
} snapshot;

static void take_snapshot(usher_engine *e, snapshot *s)
{
    memset(s, 0, sizeof *s);
    for (int a = 0; a < SW_AGENTS; a++) {
        s->agent[a].struct_size = sizeof s->agent[a];
        s->agent_st[a] = usher_agent_get(e, sw_agent(a), &s->agent[a]);
        for (uint32_t c = 0; c < SW_CH; c++) {
            s->chan[a][c].struct_size = sizeof s->chan[a][c];
            s->chan_st[a][c] = usher_agent_get_channel(e, sw_agent(a), c, &s->chan[a][c]);
        }
        usher_status st =
            usher_agent_get_skills(e, sw_agent(a), s->skills[a], SW_SKILLS, &s->nskills[a]);
        assert_true(st == USHER_OK || st == USHER_ENOTFOUND);
    }
    for (uint32_t c = 0; c < SW_CH; c++) {
        s->def[c].struct_size = sizeof s->def[c];
        s->def_st[c] = usher_channel_get(e, c, &s->def[c]);
    }
    for (int t = 0; t < SW_TICKETS; t++)
        s->holder_st[t] =
            usher_capacity_holder(e, sw_ticket(t), &s->holder_agent[t], &s->holder_ch[t]);
    OK(usher_skill_count(e, &s->skill_count));
    for (uint32_t i = 0; i < s->skill_count && i < SW_NAMES; i++)
        OK(usher_skill_name(e, i, s->skill_name[i], sizeof s->skill_name[i]));
    OK(usher_now(e, &s->now));
    OK(usher_next_deadline(e, &s->next_deadline));
}

typedef struct sweep {
    usher_engine *e;
    recorder *r;
    int step;
    int nomem;
    int advance_nomem;
} sweep;

/* After usher_advance failed with USHER_ENOMEM: the clock stopped at the
 * deadline that could not be processed, which is still pending (and so is
 * the next deadline, due now). */
static void check_stopped_clock(usher_engine *e, uint64_t target)
{
    uint64_t now = 0, next = 0;
    OK(usher_now(e, &now));
    OK(usher_next_deadline(e, &next));
    assert_true(now <= target);
    assert_int_equal(next, now);
}

/* One call of the scenario: if it fails with USHER_ENOMEM (allowed only
 * where the header lists it), the engine and the events must be exactly as
 * before; the call is then repeated (the allocator fails only once). */
#define SW(w, allow_nomem, expected, call)                                                  \
    do {                                                                                    \
        snapshot before_, after_;                                                           \
        take_snapshot((w)->e, &before_);                                                    \
        int events_ = (w)->r->count;                                                        \
        usher_status st_ = (call);                                                          \
        if (st_ == USHER_ENOMEM) {                                                          \
            if (!(allow_nomem))                                                             \
                fail_msg("step %d (%s): USHER_ENOMEM is not documented", (w)->step, #call); \
            take_snapshot((w)->e, &after_);                                                 \
            if (memcmp(&before_, &after_, sizeof before_) != 0)                             \
                fail_msg("step %d (%s): USHER_ENOMEM changed the engine", (w)->step,        \
                         #call);                                                            \
            if ((w)->r->count != events_)                                                   \
                fail_msg("step %d (%s): USHER_ENOMEM raised events", (w)->step, #call);     \
            (w)->nomem++;                                                                   \
            st_ = (call);                                                                   \
        }                                                                                   \
        if (st_ != (expected))                                                              \
            fail_msg("step %d (%s): status %d, expected %d", (w)->step, #call, st_,         \
                     (expected));                                                           \
        (w)->step++;                                                                        \
    } while (0)

/* usher_advance may stop part-way on USHER_ENOMEM and resumes when called
 * again: no deadline lost or fired twice (the final comparison with the
 * reference run checks it). */
#define SW_ADVANCE(w, t)                                                  \
    do {                                                                  \
        usher_status st_;                                                 \
        int tries_ = 0;                                                   \
        while ((st_ = usher_advance((w)->e, (t))) == USHER_ENOMEM) {      \
            (w)->nomem++;                                                 \
            (w)->advance_nomem++;                                         \
            check_stopped_clock((w)->e, (t));                             \
            assert_true(++tries_ < 10);                                   \
        }                                                                 \
        if (st_ != USHER_OK)                                              \
            fail_msg("step %d: advance to %d: %d", (w)->step, (int)(t), st_); \
        (w)->step++;                                                      \
    } while (0)

static usher_status sw_intern(sweep *w, const char *name, uint32_t expected_id)
{
    uint32_t id = 999;
    usher_status st = usher_skill_intern(w->e, name, &id);
    if (st == USHER_ENOMEM)
        assert_int_equal(id, 999); /* output untouched on failure */
    else if (st == USHER_OK)
        assert_int_equal(id, expected_id);
    return st;
}

static usher_status sw_channel(sweep *w, uint32_t ch, uint32_t flags, uint32_t cost,
                               uint32_t max_per_agent, uint64_t wrapup_ms)
{
    usher_channel_def def;
    usher_channel_def_init(&def);
    def.flags = flags;
    def.cost = cost;
    def.max_per_agent = max_per_agent;
    def.wrapup_ms = wrapup_ms;
    return usher_channel_add(w->e, ch, &def);
}

static void sweep_scenario(sweep *w)
{
    usher_engine *e = w->e;
    const uint64_t A = 11, B = 22, C = 33, D = 44, E = 55, F = 66;
    const usher_skill_level bskills[] = {{1, 3}, {2, 7}};
    SW(w, 1, USHER_OK, sw_intern(w, "billing", 0));
    SW(w, 1, USHER_OK, sw_intern(w, "tech", 1));
    SW(w, 1, USHER_OK, sw_intern(w, "billing", 0));
    SW(w, 1, USHER_OK, sw_intern(w, "voice-de", 2));
    SW(w, 0, USHER_OK, sw_channel(w, 0, 0, 1, 3, 500));
    SW(w, 0, USHER_OK,
       sw_channel(w, 1, USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_WRAPUP_BLOCKS_AGENT, 2, 0, 1000));
    SW(w, 0, USHER_OK, sw_channel(w, 2, 0, 1, 0, 0));
    SW(w, 0, USHER_OK,
       sw_channel(w, 3, USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_INTERRUPTS, 1, 0, 0));
    SW(w, 1, USHER_OK, usher_agent_add(e, A, 4));
    SW(w, 1, USHER_OK, usher_agent_add(e, B, 3));
    SW(w, 1, USHER_OK, usher_agent_add(e, C, 2));
    SW(w, 1, USHER_EEXIST, usher_agent_add(e, C, 2));
    SW(w, 1, USHER_OK, usher_agent_set_skill(e, A, 0, 5));
    SW(w, 1, USHER_OK, usher_agent_set_skill(e, A, 2, 1));
    SW(w, 1, USHER_OK, usher_agent_set_skills(e, B, bskills, 2));
    SW(w, 1, USHER_OK, usher_agent_drop_skill(e, B, 1));
    SW(w, 1, USHER_OK, usher_agent_set_channel_limit(e, A, 0, 2));
    SW(w, 1, USHER_OK, usher_agent_set_capacity(e, C, 3));
    SW(w, 1, USHER_OK, usher_agent_set_load_cap(e, A, 2, 5000));
    SW(w, 0, USHER_OK, usher_agent_set_cooldown(e, B, 2000));
    SW(w, 1, USHER_OK, usher_agent_set_idle_timeout(e, C, 3000));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, A, AVAIL, 0));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, B, AVAIL, 0));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, C, AWAY, 4));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, C, AVAIL, 0));
    SW(w, 1, USHER_OK, usher_capacity_reserve(e, A, 100, 0));
    SW(w, 1, USHER_OK, usher_capacity_reserve(e, A, 101, 2)); /* load cap reached */
    SW(w, 1, USHER_OK, usher_capacity_reserve(e, B, 102, 1));
    SW(w, 1, USHER_ESTATE, usher_capacity_reserve(e, B, 109, 0));
    SW(w, 1, USHER_OK, usher_agent_activity(e, C));
    SW_ADVANCE(w, 100);
    SW(w, 1, USHER_OK, usher_capacity_release(e, 100, 0));
    SW(w, 1, USHER_OK, usher_capacity_release(e, 102, USHER_RELEASE_HEAVY));
    SW(w, 1, USHER_OK, usher_capacity_reserve(e, C, 103, 3));
    SW_ADVANCE(w, 700);
    SW(w, 1, USHER_OK, usher_agent_set_state(e, C, OFF, 0)); /* returns 103 */
    SW(w, 1, USHER_OK, usher_capacity_release(e, 101, USHER_RELEASE_NO_WRAPUP));
    SW_ADVANCE(w, 6000);
    SW(w, 1, USHER_OK, usher_capacity_reserve(e, A, 104, 0));
    SW(w, 1, USHER_OK, usher_capacity_reserve(e, B, 105, 2));
    SW(w, 1, USHER_OK, usher_capacity_reserve(e, B, 106, 0));
    SW(w, 1, USHER_OK, usher_agent_set_capacity(e, B, 2));
    SW(w, 1, USHER_OK, usher_agent_remove(e, A)); /* returns 104 */
    SW(w, 0, USHER_OK, usher_agents_new_day(e));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, B, AWAY, 1));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, B, OFF, 0)); /* returns 105, 106 */
    SW(w, 1, USHER_OK, usher_capacity_release(e, 103, 0));
    SW(w, 1, USHER_OK, usher_capacity_release(e, 105, 0));
    SW(w, 1, USHER_OK, usher_capacity_release(e, 106, 0));
    SW_ADVANCE(w, 20000);
    SW(w, 1, USHER_OK, usher_agent_set_state(e, C, AVAIL, 0));
    SW_ADVANCE(w, 30000); /* C goes idle at 23000 */
    SW(w, 0, USHER_OK, usher_channel_remove(e, 2));
    SW(w, 1, USHER_OK, usher_agent_remove(e, B));
    SW(w, 1, USHER_OK, usher_agent_add(e, D, 10));
    SW(w, 1, USHER_OK, usher_agent_set_skill(e, D, 2, 3));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, D, AVAIL, 0));
    SW(w, 1, USHER_OK, usher_capacity_reserve(e, D, 107, 0));
    SW(w, 1, USHER_OK, usher_capacity_reserve(e, D, 108, 0));
    SW(w, 1, USHER_OK, usher_capacity_release(e, 107, 0));
    SW(w, 1, USHER_OK, usher_agent_set_channel_limit(e, D, 0, 2));
    SW_ADVANCE(w, 40000);

    /* Growth: many tickets at one agent, many events in one call. The
     * removal comes first, so that it is the call that needs a larger event
     * queue; the logout needs a larger one still. */
    SW(w, 0, USHER_OK, sw_channel(w, 4, 0, 1, 0, 0));
    SW(w, 1, USHER_OK, usher_agent_add(e, E, 40));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, E, AVAIL, 0));
    for (uint64_t t = 200; t < 230; t++)
        SW(w, 1, USHER_OK, usher_capacity_reserve(e, E, t, 4));
    SW(w, 1, USHER_OK, usher_agent_remove(e, E)); /* 30 events */
    SW(w, 1, USHER_OK, usher_agent_add(e, F, 60));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, F, AVAIL, 0));
    for (uint64_t t = 200; t < 250; t++)
        SW(w, 1, USHER_OK, usher_capacity_reserve(e, F, t, 4));
    SW(w, 1, USHER_OK, usher_agent_set_state(e, F, OFF, 0)); /* 51 events */
    SW(w, 1, USHER_OK, usher_agent_set_state(e, F, AVAIL, 0));
    for (uint64_t t = 200; t < 210; t++)
        SW(w, 1, USHER_OK, usher_capacity_release(e, t, 0));
    SW(w, 1, USHER_OK, usher_agent_remove(e, F)); /* 40 events */
    for (uint64_t i = 0; i < 20; i++) {
        char name[16];
        snprintf(name, sizeof name, "extra-%u", (unsigned)i);
        SW(w, 1, USHER_OK, sw_intern(w, name, 3 + (uint32_t)i));
        SW(w, 1, USHER_OK, usher_agent_add(e, 70 + i, 2));
        SW(w, 1, USHER_OK, usher_agent_set_skill(e, 70 + i, (uint32_t)i % 3, 1 + (uint32_t)i % 10));
        SW(w, 1, USHER_OK, usher_agent_set_state(e, 70 + i, AVAIL, 0));
        SW(w, 1, USHER_OK, usher_capacity_reserve(e, 70 + i, 210 + i, 4));
    }
    for (uint64_t i = 0; i < 20; i += 2)
        SW(w, 1, USHER_OK, usher_agent_remove(e, 70 + i));
    SW_ADVANCE(w, 50000);
}

static int events_equal(const usher_event *a, const usher_event *b)
{
    return a->struct_size == b->struct_size && a->type == b->type && a->seq == b->seq &&
           a->time_ms == b->time_ms && a->ticket_id == b->ticket_id &&
           a->agent_id == b->agent_id && a->timer_id == b->timer_id &&
           a->offer_token == b->offer_token && a->value == b->value && a->reason == b->reason;
}

static void test_allocation_failure_sweep(void **state)
{
    (void)state;
    static recorder ref_events, r;
    static snapshot ref_final, final;
    int nomem_total = 0, advance_nomem_total = 0;
    long k;
    for (k = 0;; k++) {
        test_allocator ta;
        test_allocator_init(&ta, k);
        usher_config cfg;
        usher_config_init(&cfg);
        cfg.allocator = &ta.allocator;
        usher_engine *e = NULL;
        usher_status st = usher_engine_new(&cfg, &e);
        if (st == USHER_ENOMEM) {
            assert_int_equal(k == 0, 0);
            assert_null(e);
            assert_int_equal(ta.live, 0);
            continue;
        }
        OK(st);
        recorder *rec = k == 0 ? &ref_events : &r;
        memset(rec, 0, sizeof *rec);
        rec->engine = e;
        OK(usher_set_event_handler(e, record_event, rec));
        sweep w = {e, rec, 0, 0, 0};
        sweep_scenario(&w);
        assert_false(rec->nested_violation);
        if (k == 0) {
            take_snapshot(e, &ref_final);
            assert_true(ref_events.count > 10);
            check_seq(&ref_events);
        } else {
            take_snapshot(e, &final);
            if (memcmp(&final, &ref_final, sizeof final) != 0)
                fail_msg("fail_at %ld: final state differs from the reference run", k);
            if (r.count != ref_events.count)
                fail_msg("fail_at %ld: %d events, reference %d", k, r.count, ref_events.count);
            for (int i = 0; i < r.count; i++)
                if (!events_equal(&r.seen[i], &ref_events.seen[i]))
                    fail_msg("fail_at %ld: event %d differs from the reference run", k, i);
        }
        nomem_total += w.nomem;
        advance_nomem_total += w.advance_nomem;
        usher_engine_free(e);
        assert_int_equal(ta.live, 0);
        if (k > 0 && !ta.failed)
            break; /* the k-th allocation was never reached: every point covered */
        assert_true(k < 100000);
    }
    assert_true(nomem_total > 5);
    print_message("allocation points: %ld, USHER_ENOMEM returns: %d (%d from usher_advance)\n",
                  k - 1, nomem_total, advance_nomem_total);
}

/* ======================================================================
 * Events from inside a callback
 * ====================================================================== */

/* On each returned ticket: release it from inside the callback. The state
 * change that raised the event is complete when the event arrives. */
static void react_release_returned(recorder *r, const usher_event *ev)
{
    if (ev->type != EV_RETURNED)
        return;
    usher_agent_info info = agent_info(r->engine, ev->agent_id);
    assert_int_equal(info.state, OFF);
    int *released = r->ctx;
    assert_int_equal(info.work_count, 2 - *released);
    OK(usher_capacity_release(r->engine, ev->ticket_id, USHER_RELEASE_NO_WRAPUP));
    assert_int_equal(usher_capacity_release(r->engine, ev->ticket_id, 0), USHER_ENOTFOUND);
    (*released)++;
}

static void test_callback_releases_returned_work(void **state)
{
    (void)state;
    recorder r;
    int released = 0;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 1000);
    add_agent(e, 1, 3);
    login(e, 1);
    OK(usher_capacity_reserve(e, 1, 10, 0));
    OK(usher_capacity_reserve(e, 1, 11, 0));
    r.count = 0;
    r.react = react_release_returned;
    r.ctx = &released;
    OK(usher_agent_set_state(e, 1, OFF, 0));
    assert_false(r.nested_violation);
    assert_int_equal(released, 2);
    assert_int_equal(r.count, 3);
    check_event(&r.seen[0], EV_STATE, 0, 1, 0, OFF, 0);
    check_event(&r.seen[1], EV_RETURNED, 0, 1, 10, 0, USHER_RETURN_LOGOUT);
    check_event(&r.seen[2], EV_RETURNED, 0, 1, 11, 0, USHER_RETURN_LOGOUT);
    check_seq(&r);
    usher_agent_info info = agent_info(e, 1);
    assert_int_equal(info.capacity_used, 0);
    assert_int_equal(info.work_count, 0);
    assert_int_equal(info.wrapup_count, 0);
    usher_engine_free(e);
}

/* On the end of a wrap-up: take a new ticket, release it as heavy (a
 * cool-down event follows), then go away (a state event follows). */
static void react_after_wrapup(recorder *r, const usher_event *ev)
{
    if (ev->type != EV_WRAPUP)
        return;
    uint64_t now = 0;
    OK(usher_now(r->engine, &now));
    assert_int_equal(now, 5000);
    assert_int_equal(agent_info(r->engine, 1).capacity_used, 0); /* already freed */
    OK(usher_capacity_reserve(r->engine, 1, 20, 0));
    OK(usher_capacity_release(r->engine, 20, USHER_RELEASE_HEAVY | USHER_RELEASE_NO_WRAPUP));
    OK(usher_agent_set_state(r->engine, 1, AWAY, 9));
    assert_int_equal(r->count, 1); /* nothing delivered from inside */
}

static void test_callback_changes_state_reentrantly(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 1000);
    add_agent(e, 1, 1);
    login(e, 1);
    OK(usher_agent_set_cooldown(e, 1, 700));
    OK(usher_capacity_reserve(e, 1, 10, 0));
    OK(usher_capacity_release(e, 10, 0));
    r.count = 0;
    r.react = react_after_wrapup;
    OK(usher_advance(e, 5000)); /* the wrap-up ended at 1000 */
    r.react = NULL;
    assert_false(r.nested_violation);
    assert_int_equal(r.count, 3);
    check_event(&r.seen[0], EV_WRAPUP, 1000, 1, 10, 0, 0);
    check_event(&r.seen[1], EV_CAP, 5000, 1, 0, 5700, USHER_CAP_COOLDOWN);
    check_event(&r.seen[2], EV_STATE, 5000, 1, 0, AWAY, 9);
    check_seq(&r);
    usher_agent_info info = agent_info(e, 1);
    assert_int_equal(info.state, AWAY);
    assert_int_equal(info.capacity_used, 0);
    assert_int_equal(info.assignments_today, 2);
    OK(usher_advance(e, 6000));
    assert_int_equal(r.count, 4);
    check_event(&r.seen[3], EV_CLEARED, 5700, 1, 0, 0, USHER_CAP_COOLDOWN);
    usher_engine_free(e);
}

/* Reserving on LOAD_CAP_REACHED is refused; on CLEARED it succeeds (and
 * fills the window again). */
static void react_load_cap(recorder *r, const usher_event *ev)
{
    uint64_t *next_ticket = r->ctx;
    if (ev->type == EV_CAP) {
        assert_int_equal(usher_capacity_reserve(r->engine, 1, 999, 0), USHER_ESTATE);
    } else if (ev->type == EV_CLEARED && *next_ticket < 53) {
        OK(usher_capacity_reserve(r->engine, 1, *next_ticket, 0));
        OK(usher_capacity_release(r->engine, *next_ticket, 0));
        (*next_ticket)++;
    }
}

static void test_callback_reserves_on_cap_events(void **state)
{
    (void)state;
    recorder r;
    uint64_t next_ticket = 50;
    usher_engine *e = new_engine(&r, 0);
    add_channel(e, 0, 0, 1, 0, 0);
    add_agent(e, 1, 1);
    login(e, 1);
    OK(usher_agent_set_load_cap(e, 1, 1, 100));
    r.count = 0;
    r.ctx = &next_ticket;
    r.react = react_load_cap;
    OK(usher_capacity_reserve(e, 1, next_ticket, 0));
    OK(usher_capacity_release(e, next_ticket, 0));
    next_ticket++;
    /* Events are delivered when the outermost call returns, so each
     * reservation made on CLEARED happens at the advance's time. */
    for (uint64_t t = 100; t <= 300; t += 100)
        OK(usher_advance(e, t));
    OK(usher_advance(e, 1000));
    assert_false(r.nested_violation);
    /* reached(0) cleared(100) reached(100) cleared(200) reached(200)
     * cleared(300), and no new reservation after that */
    assert_int_equal(r.count, 6);
    for (int i = 0; i < 6; i++) {
        uint64_t t = (uint64_t)((i + 1) / 2) * 100;
        if (i % 2 == 0)
            check_event(&r.seen[i], EV_CAP, t, 1, 0, (int64_t)t + 100, USHER_CAP_WINDOW);
        else
            check_event(&r.seen[i], EV_CLEARED, t, 1, 0, 0, USHER_CAP_WINDOW);
    }
    check_seq(&r);
    assert_int_equal(agent_info(e, 1).assignments_today, 3);
    usher_engine_free(e);
}

/* The engine freed from inside its callback: every agent-model call fails
 * with USHER_ECLOSED until the outermost call returns, delivery stops, and
 * the engine is then gone. */
static void react_free_and_call(recorder *r, const usher_event *ev)
{
    (void)ev;
    usher_engine *e = r->engine;
    uint32_t u32 = 0;
    uint64_t u64 = 0, cursor = 0;
    size_t sz = 0;
    char buf[64];
    usher_channel_def def;
    usher_channel_def_init(&def);
    usher_skill_level sl = {0, 1};
    usher_agent_info info;
    info.struct_size = sizeof info;
    usher_agent_channel_info ci;
    ci.struct_size = sizeof ci;
    usher_engine_free(e);
    assert_int_equal(usher_skill_intern(e, "new", &u32), USHER_ECLOSED);
    assert_int_equal(usher_skill_find(e, "s", &u32), USHER_ECLOSED);
    assert_int_equal(usher_skill_name(e, 0, buf, sizeof buf), USHER_ECLOSED);
    assert_int_equal(usher_skill_count(e, &u32), USHER_ECLOSED);
    assert_int_equal(usher_channel_add(e, 1, &def), USHER_ECLOSED);
    assert_int_equal(usher_channel_remove(e, 2), USHER_ECLOSED);
    assert_int_equal(usher_channel_get(e, 0, &def), USHER_ECLOSED);
    assert_int_equal(usher_agent_add(e, 2, 1), USHER_ECLOSED);
    assert_int_equal(usher_agent_remove(e, 1), USHER_ECLOSED);
    assert_int_equal(usher_agent_set_capacity(e, 1, 5), USHER_ECLOSED);
    assert_int_equal(usher_agent_set_channel_limit(e, 1, 0, 1), USHER_ECLOSED);
    assert_int_equal(usher_agent_set_skill(e, 1, 0, 2), USHER_ECLOSED);
    assert_int_equal(usher_agent_drop_skill(e, 1, 0), USHER_ECLOSED);
    assert_int_equal(usher_agent_set_skills(e, 1, &sl, 1), USHER_ECLOSED);
    assert_int_equal(usher_agent_get_skills(e, 1, &sl, 1, &sz), USHER_ECLOSED);
    assert_int_equal(usher_agent_set_state(e, 1, AVAIL, 0), USHER_ECLOSED);
    assert_int_equal(usher_agent_set_load_cap(e, 1, 1, 1), USHER_ECLOSED);
    assert_int_equal(usher_agent_set_cooldown(e, 1, 1), USHER_ECLOSED);
    assert_int_equal(usher_agent_set_idle_timeout(e, 1, 1), USHER_ECLOSED);
    assert_int_equal(usher_agent_activity(e, 1), USHER_ECLOSED);
    assert_int_equal(usher_agent_get(e, 1, &info), USHER_ECLOSED);
    assert_int_equal(usher_agent_get_channel(e, 1, 0, &ci), USHER_ECLOSED);
    assert_int_equal(usher_agent_next(e, &cursor, &u64), USHER_ECLOSED);
    assert_int_equal(usher_agents_new_day(e), USHER_ECLOSED);
    assert_int_equal(usher_capacity_reserve(e, 1, 30, 0), USHER_ECLOSED);
    assert_int_equal(usher_capacity_release(e, 10, 0), USHER_ECLOSED);
    assert_int_equal(usher_capacity_holder(e, 10, &u64, &u32), USHER_ECLOSED);
}

static void test_free_inside_agent_callback(void **state)
{
    (void)state;
    test_allocator ta;
    test_allocator_init(&ta, 0);
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.allocator = &ta.allocator;
    usher_engine *e = NULL;
    OK(usher_engine_new(&cfg, &e));
    uint32_t skill;
    OK(usher_skill_intern(e, "s", &skill));
    add_channel(e, 0, 0, 1, 0, 0);
    add_channel(e, 2, 0, 1, 0, 0);
    add_agent(e, 1, 3);
    login(e, 1);
    OK(usher_capacity_reserve(e, 1, 10, 0));
    OK(usher_capacity_reserve(e, 1, 11, 0));
    recorder r;
    memset(&r, 0, sizeof r);
    r.engine = e;
    r.react = react_free_and_call;
    OK(usher_set_event_handler(e, record_event, &r));
    (void)usher_agent_set_state(e, 1, OFF, 0); /* three events queued */
    assert_int_equal(r.count, 1);              /* delivery stopped after the first */
    assert_int_equal(ta.live, 0);              /* and the engine is gone */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skill_intern_and_find),
        cmocka_unit_test(test_skill_name),
        cmocka_unit_test(test_skill_limit),
        cmocka_unit_test(test_channel_def_init),
        cmocka_unit_test(test_channel_add_get_remove),
        cmocka_unit_test(test_channel_bad_fields),
        cmocka_unit_test(test_channel_remove_in_use),
        cmocka_unit_test(test_agent_add_remove),
        cmocka_unit_test(test_agent_capacity_bounds),
        cmocka_unit_test(test_agent_channel_limits),
        cmocka_unit_test(test_agent_skills),
        cmocka_unit_test(test_state_transitions),
        cmocka_unit_test(test_state_events_and_seq),
        cmocka_unit_test(test_reserve_release),
        cmocka_unit_test(test_capacity_never_exceeded),
        cmocka_unit_test(test_wrapup),
        cmocka_unit_test(test_ticket_in_wrapup_holds_no_capacity),
        cmocka_unit_test(test_wrapup_blocks_agent),
        cmocka_unit_test(test_exclusive_channels),
        cmocka_unit_test(test_interrupts_during_wrapup),
        cmocka_unit_test(test_capacity_follows_work),
        cmocka_unit_test(test_logout_returns_work),
        cmocka_unit_test(test_remove_returns_work),
        cmocka_unit_test(test_load_cap_window),
        cmocka_unit_test(test_load_cap_settings),
        cmocka_unit_test(test_cooldown),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_counters_timeline),
        cmocka_unit_test(test_agent_get_channel_errors),
        cmocka_unit_test(test_agent_next),
        cmocka_unit_test(test_output_struct_size),
        cmocka_unit_test(test_null_pointers),
        cmocka_unit_test(test_allocation_failure_sweep),
        cmocka_unit_test(test_callback_releases_returned_work),
        cmocka_unit_test(test_callback_changes_state_reentrantly),
        cmocka_unit_test(test_callback_reserves_on_cap_events),
        cmocka_unit_test(test_free_inside_agent_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
