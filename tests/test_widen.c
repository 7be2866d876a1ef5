/* Widening ("bullseye") steps, tested from include/usher.h alone: when each
 * step fires, what each action does to a waiting or assigned ticket (a
 * lowered level, a dropped preference, an overflow group, a raised
 * priority, a move to an overflow queue), how transfers and endings
 * restart or stop the steps, the validation of usher_queue_set_widening(),
 * and allocation failure while a step's bucket is prepared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "usher.h"

#define OK(call) assert_int_equal((call), USHER_OK)

#define EV_STATE USHER_EVENT_AGENT_STATE
#define EV_ASSIGNED USHER_EVENT_TICKET_ASSIGNED
#define EV_REQUEUED USHER_EVENT_TICKET_REQUEUED
#define EV_TRANSFERRED USHER_EVENT_TICKET_TRANSFERRED
#define EV_ABANDONED USHER_EVENT_TICKET_ABANDONED
#define EV_COMPLETED USHER_EVENT_TICKET_COMPLETED
#define EV_WIDENED USHER_EVENT_TICKET_WIDENED

#define LOWER USHER_WIDEN_LOWER_LEVEL
#define DROP USHER_WIDEN_DROP_PREFERRED
#define GROUP USHER_WIDEN_OVERFLOW_GROUP
#define RAISE USHER_WIDEN_RAISE_PRIORITY
#define MOVE USHER_WIDEN_MOVE_QUEUE

#define STEP(after, action, skill, value) {(after), (action), (skill), (value), 0}

/* Skills every engine of this suite has, interned in this order. */
enum { SK_EN, SK_FR, SK_DE, SK_BACKUP, SK_BACKUP2, SK_COUNT };
static const char *const skill_names[SK_COUNT] = {"en", "fr", "de", "backup", "backup2"};

/* ---- event recording ------------------------------------------------------------- */

#define MAX_SEEN 128

typedef struct recorder {
    usher_event seen[MAX_SEEN];
    int count;
} recorder;

static void record_event(void *user, const usher_event *event)
{
    recorder *r = user;
    assert_true(r->count < MAX_SEEN);
    r->seen[r->count++] = *event;
}

static void clear(recorder *r) { r->count = 0; }

static int count_type(const recorder *r, int32_t type)
{
    int n = 0;
    for (int i = 0; i < r->count; i++)
        n += r->seen[i].type == type;
    return n;
}

/* The index of the only event of `type`; fails unless there is exactly one. */
static int only(const recorder *r, int32_t type)
{
    int found = -1;
    for (int i = 0; i < r->count; i++) {
        if (r->seen[i].type == type) {
            assert_int_equal(found, -1);
            found = i;
        }
    }
    assert_int_not_equal(found, -1);
    return found;
}

static void check_event(const usher_event *ev, int32_t type, uint64_t time_ms, uint64_t ticket_id,
                        uint64_t agent_id, int64_t value, int32_t reason)
{
    assert_int_equal(ev->struct_size, sizeof(usher_event));
    assert_int_equal(ev->type, type);
    assert_int_equal(ev->time_ms, time_ms);
    assert_int_equal(ev->ticket_id, ticket_id);
    assert_int_equal(ev->agent_id, agent_id);
    assert_int_equal(ev->value, value);
    assert_int_equal(ev->reason, reason);
    assert_int_equal(ev->timer_id, 0);
    assert_int_equal(ev->offer_token, 0);
}

static void check_widened(const recorder *r, int i, uint64_t time_ms, uint64_t ticket,
                          int64_t index, int32_t action)
{
    assert_true(i < r->count);
    check_event(&r->seen[i], EV_WIDENED, time_ms, ticket, 0, index, action);
}

/* A direct assignment on channel 0: value is the wait since creation. */
static void check_assigned(const recorder *r, int i, uint64_t time_ms, uint64_t ticket,
                           uint64_t agent, int64_t waited)
{
    assert_true(i < r->count);
    check_event(&r->seen[i], EV_ASSIGNED, time_ms, ticket, agent, waited, 0);
}

static void check_seq(const recorder *r)
{
    for (int i = 1; i < r->count; i++)
        assert_int_equal(r->seen[i].seq, r->seen[i - 1].seq + 1);
}

/* ---- setup ----------------------------------------------------------------------- */

/* Engines a test has not freed yet: a failed assertion leaves the test
 * early, and the teardown frees them so that the sanitizer build reports
 * only real leaks. */
#define MAX_TRACKED 4
static usher_engine *tracked[MAX_TRACKED];

static void track(usher_engine *e)
{
    for (int i = 0; i < MAX_TRACKED; i++) {
        if (!tracked[i]) {
            tracked[i] = e;
            return;
        }
    }
    fail_msg("too many engines");
}

static void free_engine(usher_engine *e)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (tracked[i] == e)
            tracked[i] = NULL;
    usher_engine_free(e);
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < MAX_TRACKED; i++) {
        usher_engine_free(tracked[i]);
        tracked[i] = NULL;
    }
    return 0;
}

/* An engine at start_ms with the suite's skills and channel 0 (cost 1, no
 * wrap-up); ta may be NULL for the C library's allocator. */
static usher_engine *new_engine(recorder *r, uint64_t start_ms, test_allocator *ta)
{
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.start_ms = start_ms;
    if (ta)
        cfg.allocator = &ta->allocator;
    usher_engine *e = NULL;
    OK(usher_engine_new(&cfg, &e));
    track(e);
    memset(r, 0, sizeof *r);
    OK(usher_set_event_handler(e, record_event, r));
    for (uint32_t s = 0; s < SK_COUNT; s++) {
        uint32_t id = 99;
        OK(usher_skill_intern(e, skill_names[s], &id));
        assert_int_equal(id, s);
    }
    usher_channel_def ch;
    usher_channel_def_init(&ch);
    OK(usher_channel_add(e, 0, &ch));
    return e;
}

static void add_queue(usher_engine *e, uint32_t queue, uint32_t strategy, uint32_t ageing_rate)
{
    usher_queue_def def;
    usher_queue_def_init(&def);
    def.strategy = strategy;
    def.ageing_rate = ageing_rate;
    OK(usher_queue_add(e, queue, &def));
}

static void add_plain_queue(usher_engine *e, uint32_t queue)
{
    add_queue(e, queue, USHER_STRATEGY_LONGEST_IDLE, 1000);
}

/* An agent of capacity 1 with up to two skills (skill UINT32_MAX: none). */
static void add_agent(usher_engine *e, uint64_t id, uint32_t s1, uint32_t l1, uint32_t s2,
                      uint32_t l2, bool login)
{
    usher_skill_level skills[2] = {{s1, l1}, {s2, l2}};
    size_t n = s1 == UINT32_MAX ? 0 : s2 == UINT32_MAX ? 1 : 2;
    OK(usher_agent_add(e, id, 1));
    OK(usher_agent_set_skills(e, id, skills, n));
    if (login)
        OK(usher_agent_set_state(e, id, USHER_AGENT_AVAILABLE, 0));
}

#define NO_SKILL UINT32_MAX

static void login(usher_engine *e, uint64_t id)
{
    OK(usher_agent_set_state(e, id, USHER_AGENT_AVAILABLE, 0));
}

static void logout(usher_engine *e, uint64_t id)
{
    OK(usher_agent_set_state(e, id, USHER_AGENT_OFFLINE, 0));
}

static usher_status submit_full(usher_engine *e, uint64_t id, uint32_t queue,
                                const usher_skill_level *req, uint32_t nreq,
                                const usher_skill_level *pref, uint32_t npref, uint32_t priority,
                                uint64_t created_ms)
{
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = queue;
    spec.channel = 0;
    spec.priority = priority;
    spec.required = req;
    spec.required_count = nreq;
    spec.preferred = pref;
    spec.preferred_count = npref;
    spec.created_ms = created_ms;
    return usher_ticket_submit(e, id, &spec);
}

/* A ticket created now requiring one skill at a level. */
static void submit(usher_engine *e, uint64_t id, uint32_t queue, uint32_t skill, uint32_t level)
{
    usher_skill_level req = {skill, level};
    OK(submit_full(e, id, queue, &req, 1, NULL, 0, 0, USHER_CREATED_NOW));
}

static usher_ticket_info ticket(const usher_engine *e, uint64_t id)
{
    usher_ticket_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    OK(usher_ticket_get(e, id, &info));
    return info;
}

static usher_queue_stats stats(const usher_engine *e, uint32_t queue)
{
    usher_queue_stats s;
    memset(&s, 0, sizeof s);
    s.struct_size = sizeof s;
    OK(usher_queue_get_stats(e, queue, &s));
    return s;
}

static usher_agent_info agent(const usher_engine *e, uint64_t id)
{
    usher_agent_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    OK(usher_agent_get(e, id, &info));
    return info;
}

static uint64_t next_deadline(usher_engine *e)
{
    uint64_t due = 0;
    OK(usher_next_deadline(e, &due));
    return due;
}

static void advance(usher_engine *e, recorder *r, uint64_t now_ms)
{
    clear(r);
    OK(usher_advance(e, now_ms));
    check_seq(r);
}

/* ======================================================================
 * 1. When steps fire
 * ====================================================================== */

static void test_steps_fire_once_at_due_time(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 1000, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {
        STEP(100, LOWER, SK_FR, 3), /* not required: changes nothing */
        STEP(100, RAISE, 0, 1),     /* the same due time: fires after it */
        STEP(300, RAISE, 0, 2),
    };
    OK(usher_queue_set_widening(e, 1, steps, 3));
    clear(&r);
    submit(e, 7, 1, SK_EN, 5);
    assert_int_equal(r.count, 0);
    assert_int_equal(next_deadline(e), 1100);

    advance(e, &r, 1099);
    assert_int_equal(r.count, 0);
    assert_int_equal(ticket(e, 7).priority, 0);

    advance(e, &r, 1100);
    assert_int_equal(r.count, 2);
    check_widened(&r, 0, 1100, 7, 0, LOWER);
    check_widened(&r, 1, 1100, 7, 1, RAISE);
    assert_int_equal(ticket(e, 7).priority, 1);
    assert_int_equal(next_deadline(e), 1300);

    advance(e, &r, 1100); /* the same time again: nothing fires twice */
    assert_int_equal(r.count, 0);
    advance(e, &r, 1299);
    assert_int_equal(r.count, 0);

    advance(e, &r, 50000); /* a jump: the event carries the step's due time */
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 1300, 7, 2, RAISE);
    assert_int_equal(ticket(e, 7).priority, 3);
    assert_int_equal(next_deadline(e), USHER_TIME_NEVER);

    advance(e, &r, 500000);
    assert_int_equal(r.count, 0);
    usher_ticket_info info = ticket(e, 7);
    assert_int_equal(info.state, USHER_TICKET_WAITING);
    assert_int_equal(info.queue, 1);
    assert_int_equal(info.required_count, 1);
    assert_int_equal(info.priority, 3);
    free_engine(e);
}

static void test_step_due_time_saturates(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {STEP(USHER_TIME_MAX, RAISE, 0, 1)};
    OK(usher_queue_set_widening(e, 1, steps, 1));
    advance(e, &r, 5);
    submit(e, 1, 1, SK_EN, 5); /* created at 5: due at 5 + USHER_TIME_MAX, capped */
    assert_int_equal(next_deadline(e), USHER_TIME_MAX);
    advance(e, &r, USHER_TIME_MAX - 1);
    assert_int_equal(r.count, 0);
    advance(e, &r, USHER_TIME_MAX);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, USHER_TIME_MAX, 1, 0, RAISE);
    assert_int_equal(ticket(e, 1).priority, 1);
    free_engine(e);
}

static void test_steps_already_due_at_submit(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 10000, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {
        STEP(500, RAISE, 0, 1),   /* due at 1500: already past */
        STEP(2000, RAISE, 0, 2),  /* due at 3000: already past */
        STEP(9500, RAISE, 0, 4),  /* due at 10500 */
        STEP(20000, RAISE, 0, 8), /* due at 21000 */
    };
    OK(usher_queue_set_widening(e, 1, steps, 4));
    usher_skill_level req = {SK_EN, 5};
    clear(&r);
    OK(submit_full(e, 3, 1, &req, 1, NULL, 0, 0, 1000));
    assert_int_equal(r.count, 0); /* not during the submit */
    assert_int_equal(ticket(e, 3).priority, 0);
    assert_int_equal(next_deadline(e), 10000);

    advance(e, &r, 10000); /* the next advance, the clock unchanged */
    assert_int_equal(r.count, 2);
    check_widened(&r, 0, 10000, 3, 0, RAISE);
    check_widened(&r, 1, 10000, 3, 1, RAISE);
    assert_int_equal(ticket(e, 3).priority, 3);

    advance(e, &r, 10499);
    assert_int_equal(r.count, 0);
    advance(e, &r, 10500);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 10500, 3, 2, RAISE);
    advance(e, &r, 21000);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 21000, 3, 3, RAISE);
    assert_int_equal(ticket(e, 3).priority, 15);
    advance(e, &r, 99999);
    assert_int_equal(r.count, 0);
    free_engine(e);
}

/* ======================================================================
 * 2. LOWER_LEVEL
 * ====================================================================== */

static void test_lower_level_assigns_in_same_advance(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {STEP(1000, LOWER, SK_EN, 5)};
    OK(usher_queue_set_widening(e, 1, steps, 1));
    add_agent(e, 100, SK_EN, 5, NO_SKILL, 0, true);
    add_agent(e, 101, SK_FR, 10, NO_SKILL, 0, true);
    clear(&r);
    submit(e, 1, 1, SK_EN, 8);
    assert_int_equal(r.count, 0);
    assert_int_equal(ticket(e, 1).state, USHER_TICKET_WAITING);

    advance(e, &r, 999);
    assert_int_equal(r.count, 0);
    assert_int_equal(ticket(e, 1).state, USHER_TICKET_WAITING);

    advance(e, &r, 1000);
    assert_int_equal(r.count, 2);
    check_widened(&r, 0, 1000, 1, 0, LOWER);
    check_assigned(&r, 1, 1000, 1, 100, 1000);
    usher_ticket_info info = ticket(e, 1);
    assert_int_equal(info.state, USHER_TICKET_ASSIGNED);
    assert_int_equal(info.agent_id, 100);
    assert_int_equal(info.assigned_ms, 1000);
    assert_int_equal(info.required_count, 1);
    usher_queue_stats s = stats(e, 1);
    assert_int_equal(s.waiting, 0);
    assert_int_equal(s.entered, 1);
    assert_int_equal(s.answered, 1);
    assert_int_equal(s.answer_wait_ms, 1000);
    assert_int_equal(agent(e, 100).work_count, 1);
    assert_int_equal(agent(e, 101).work_count, 0);
    free_engine(e);
}

static void test_lower_level_not_applicable_changes_nothing(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {
        STEP(100, LOWER, SK_FR, 3), /* fr is not required: not added */
        STEP(200, LOWER, SK_EN, 5), /* en:3 is already lower: not raised */
    };
    OK(usher_queue_set_widening(e, 1, steps, 2));
    submit(e, 1, 1, SK_EN, 3);

    advance(e, &r, 100);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 100, 1, 0, LOWER);
    advance(e, &r, 200);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 200, 1, 1, LOWER);
    usher_ticket_info info = ticket(e, 1);
    assert_int_equal(info.state, USHER_TICKET_WAITING);
    assert_int_equal(info.required_count, 1);
    assert_int_equal(stats(e, 1).waiting, 1);

    /* An agent with en:4 and no fr meets the unchanged requirement. */
    clear(&r);
    add_agent(e, 100, SK_EN, 4, NO_SKILL, 0, true);
    check_assigned(&r, only(&r, EV_ASSIGNED), 200, 1, 100, 200);
    assert_int_equal(ticket(e, 1).agent_id, 100);
    free_engine(e);
}

/* ======================================================================
 * 3. DROP_PREFERRED
 * ====================================================================== */

/* Agents 100 (en:10) and 101 (en:1, fr:5) are free under BEST_SKILL; the
 * ticket requires en:1 and de:1 (nobody has de) and prefers fr with weight
 * 10. Optionally its DROP_PREFERRED fr step fires; then de is dropped and
 * the ticket goes to the agent the strategy ranks first. */
static uint64_t drop_preferred_scenario(bool fire)
{
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_queue(e, 1, USHER_STRATEGY_BEST_SKILL, 1000);
    const usher_widen_step steps[] = {STEP(1000, DROP, SK_FR, 0)};
    OK(usher_queue_set_widening(e, 1, steps, 1));
    add_agent(e, 100, SK_EN, 10, NO_SKILL, 0, true);
    add_agent(e, 101, SK_EN, 1, SK_FR, 5, true);
    usher_skill_level req[] = {{SK_EN, 1}, {SK_DE, 1}};
    usher_skill_level pref[] = {{SK_FR, 10}};
    OK(submit_full(e, 9, 1, req, 2, pref, 1, 0, USHER_CREATED_NOW));
    assert_int_equal(ticket(e, 9).preferred_count, 1);

    advance(e, &r, fire ? 1000 : 999);
    if (fire) {
        assert_int_equal(r.count, 1);
        check_widened(&r, 0, 1000, 9, 0, DROP);
    } else {
        assert_int_equal(r.count, 0);
    }
    usher_ticket_info info = ticket(e, 9);
    assert_int_equal(info.state, USHER_TICKET_WAITING);
    assert_int_equal(info.preferred_count, fire ? 0 : 1);
    assert_int_equal(info.required_count, 2);

    clear(&r);
    OK(usher_ticket_drop_requirement(e, 9, SK_DE));
    int i = only(&r, EV_ASSIGNED);
    uint64_t taker = r.seen[i].agent_id;
    assert_int_equal(ticket(e, 9).agent_id, taker);
    free_engine(e);
    return taker;
}

static void test_drop_preferred_changes_choice(void **state)
{
    (void)state;
    /* Scores: 101 = 1 + 10 * 5 = 51 against 100's 10; without the
     * preference 101 scores 1 against 10. */
    assert_int_equal(drop_preferred_scenario(false), 101);
    assert_int_equal(drop_preferred_scenario(true), 100);
}

static void test_drop_preferred_not_preferred_changes_nothing(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_queue(e, 1, USHER_STRATEGY_BEST_SKILL, 1000);
    const usher_widen_step steps[] = {
        STEP(100, DROP, SK_BACKUP, 0), /* neither preferred nor required */
        STEP(200, DROP, SK_DE, 0),     /* required, not preferred: stays required */
    };
    OK(usher_queue_set_widening(e, 1, steps, 2));
    add_agent(e, 100, SK_EN, 10, NO_SKILL, 0, true);
    add_agent(e, 101, SK_EN, 1, SK_FR, 5, true);
    usher_skill_level req[] = {{SK_EN, 1}, {SK_DE, 1}};
    usher_skill_level pref[] = {{SK_FR, 10}};
    OK(submit_full(e, 9, 1, req, 2, pref, 1, 0, USHER_CREATED_NOW));
    advance(e, &r, 200);
    assert_int_equal(r.count, 2); /* nobody has de: still waiting */
    check_widened(&r, 0, 100, 9, 0, DROP);
    check_widened(&r, 1, 200, 9, 1, DROP);
    usher_ticket_info info = ticket(e, 9);
    assert_int_equal(info.state, USHER_TICKET_WAITING);
    assert_int_equal(info.preferred_count, 1);
    assert_int_equal(info.required_count, 2);

    /* The preference still decides: 101 (fr) beats 100 (en:10). */
    clear(&r);
    OK(usher_ticket_drop_requirement(e, 9, SK_DE));
    check_assigned(&r, only(&r, EV_ASSIGNED), 200, 9, 101, 200);
    free_engine(e);
}

/* ======================================================================
 * 4. OVERFLOW_GROUP
 * ====================================================================== */

static void test_overflow_group_free_agent_takes_ticket(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {STEP(1000, GROUP, SK_BACKUP, 0)};
    OK(usher_queue_set_widening(e, 1, steps, 1));
    add_agent(e, 100, SK_EN, 9, NO_SKILL, 0, false); /* a main agent, offline */
    add_agent(e, 200, SK_BACKUP, 3, NO_SKILL, 0, true); /* the group, free */
    submit(e, 1, 1, SK_EN, 5);

    advance(e, &r, 999);
    assert_int_equal(r.count, 0);
    assert_int_equal(ticket(e, 1).state, USHER_TICKET_WAITING);

    advance(e, &r, 1000);
    assert_int_equal(count_type(&r, EV_WIDENED), 1);
    check_widened(&r, 0, 1000, 1, 0, GROUP);
    assert_int_equal(r.count, 2);
    check_assigned(&r, 1, 1000, 1, 200, 1000);
    usher_ticket_info info = ticket(e, 1);
    assert_int_equal(info.state, USHER_TICKET_ASSIGNED);
    assert_int_equal(info.agent_id, 200);
    assert_int_equal(stats(e, 1).answered, 1);
    assert_int_equal(agent(e, 200).capacity_used, 1);
    free_engine(e);
}

static void test_overflow_group_agent_arriving_later_takes_ticket(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {STEP(1000, GROUP, SK_BACKUP, 0)};
    OK(usher_queue_set_widening(e, 1, steps, 1));
    add_agent(e, 200, SK_BACKUP, 1, NO_SKILL, 0, false); /* level 1 is enough */
    submit(e, 1, 1, SK_EN, 5);
    advance(e, &r, 1000);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 1000, 1, 0, GROUP);
    advance(e, &r, 1500);
    assert_int_equal(r.count, 0);

    clear(&r);
    login(e, 200);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.seen[0].type, EV_STATE);
    check_assigned(&r, 1, 1500, 1, 200, 1500);
    assert_int_equal(ticket(e, 1).agent_id, 200);
    free_engine(e);
}

static void test_overflow_not_before_step(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {STEP(1000, GROUP, SK_BACKUP, 0)};
    OK(usher_queue_set_widening(e, 1, steps, 1));
    add_agent(e, 200, SK_BACKUP, 10, NO_SKILL, 0, true);
    submit(e, 1, 1, SK_EN, 5);
    advance(e, &r, 999);
    clear(&r);
    logout(e, 200);
    login(e, 200); /* re-enters the index: still not eligible */
    assert_int_equal(count_type(&r, EV_ASSIGNED), 0);
    assert_int_equal(ticket(e, 1).state, USHER_TICKET_WAITING);
    assert_int_equal(agent(e, 200).work_count, 0);
    free_engine(e);
}

static void test_overflow_main_agent_precedence_at_submit(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 10000, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {STEP(0, GROUP, SK_BACKUP, 0)};
    OK(usher_queue_set_widening(e, 1, steps, 1));
    add_agent(e, 200, SK_BACKUP, 10, NO_SKILL, 0, true); /* idle longest */
    add_agent(e, 100, SK_EN, 5, NO_SKILL, 0, true);
    usher_skill_level req = {SK_EN, 5};
    clear(&r);
    OK(submit_full(e, 1, 1, &req, 1, NULL, 0, 0, 2000)); /* its step is due */
    assert_int_equal(r.count, 1);
    check_assigned(&r, 0, 10000, 1, 100, 8000);
    advance(e, &r, 10000);
    assert_int_equal(r.count, 1); /* the step still fires, nothing moves */
    check_widened(&r, 0, 10000, 1, 0, GROUP);
    assert_int_equal(ticket(e, 1).agent_id, 100);
    assert_int_equal(agent(e, 200).work_count, 0);
    free_engine(e);
}

static void test_overflow_requeued_ticket_prefers_main_agent(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {STEP(1000, GROUP, SK_BACKUP, 0)};
    OK(usher_queue_set_widening(e, 1, steps, 1));
    add_agent(e, 300, SK_EN, 9, NO_SKILL, 0, true);
    submit(e, 1, 1, SK_EN, 5);
    assert_int_equal(ticket(e, 1).agent_id, 300);
    advance(e, &r, 1000);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 1000, 1, 0, GROUP);

    /* Both free, the group agent idle longer: the main agent gets it. */
    add_agent(e, 200, SK_BACKUP, 10, NO_SKILL, 0, true);
    advance(e, &r, 1100);
    add_agent(e, 100, SK_EN, 5, NO_SKILL, 0, true);
    advance(e, &r, 1200);
    clear(&r);
    logout(e, 300);
    assert_int_equal(r.count, 3);
    check_event(&r.seen[0], EV_STATE, 1200, 0, 300, USHER_AGENT_OFFLINE, 0);
    check_event(&r.seen[1], EV_REQUEUED, 1200, 1, 300, 0, USHER_RETURN_LOGOUT);
    check_assigned(&r, 2, 1200, 1, 100, 1200);
    assert_int_equal(agent(e, 200).work_count, 0);
    assert_int_equal(agent(e, 300).capacity_used, 0);
    assert_int_equal(agent(e, 100).capacity_used, 1);
    free_engine(e);
}

static void test_overflow_later_group_replaces_earlier(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {
        STEP(1000, GROUP, SK_BACKUP, 0),
        STEP(2000, GROUP, SK_BACKUP2, 0),
    };
    OK(usher_queue_set_widening(e, 1, steps, 2));
    add_agent(e, 201, SK_BACKUP, 5, NO_SKILL, 0, false);
    add_agent(e, 202, SK_BACKUP2, 5, NO_SKILL, 0, false);
    submit(e, 1, 1, SK_EN, 5);
    advance(e, &r, 2000);
    assert_int_equal(r.count, 2);
    check_widened(&r, 0, 1000, 1, 0, GROUP);
    check_widened(&r, 1, 2000, 1, 1, GROUP);

    clear(&r);
    login(e, 201); /* the replaced group */
    assert_int_equal(r.count, 1);
    assert_int_equal(ticket(e, 1).state, USHER_TICKET_WAITING);
    assert_int_equal(agent(e, 201).work_count, 0);

    clear(&r);
    login(e, 202);
    check_assigned(&r, only(&r, EV_ASSIGNED), 2000, 1, 202, 2000);
    assert_int_equal(ticket(e, 1).agent_id, 202);
    free_engine(e);
}

static void test_requeued_widened_ticket_assigned_once(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {STEP(1000, GROUP, SK_BACKUP, 0)};
    OK(usher_queue_set_widening(e, 1, steps, 1));
    add_agent(e, 300, SK_EN, 9, NO_SKILL, 0, false);
    add_agent(e, 100, SK_EN, 5, NO_SKILL, 0, false);
    add_agent(e, 101, SK_EN, 5, NO_SKILL, 0, false);
    add_agent(e, 200, SK_BACKUP, 5, NO_SKILL, 0, false);
    submit(e, 1, 1, SK_EN, 5);
    advance(e, &r, 1000);
    check_widened(&r, only(&r, EV_WIDENED), 1000, 1, 0, GROUP);
    advance(e, &r, 1500);
    clear(&r);
    login(e, 300);
    check_assigned(&r, only(&r, EV_ASSIGNED), 1500, 1, 300, 1500);
    advance(e, &r, 2000);
    clear(&r);
    logout(e, 300); /* back to waiting, in both places */
    assert_int_equal(r.count, 2);
    check_event(&r.seen[1], EV_REQUEUED, 2000, 1, 300, 0, USHER_RETURN_LOGOUT);
    assert_int_equal(ticket(e, 1).state, USHER_TICKET_WAITING);
    assert_int_equal(agent(e, 300).capacity_used, 0);

    clear(&r);
    login(e, 100);
    login(e, 200);
    login(e, 101);
    assert_int_equal(count_type(&r, EV_ASSIGNED), 1);
    check_assigned(&r, only(&r, EV_ASSIGNED), 2000, 1, 100, 2000);
    usher_ticket_info info = ticket(e, 1);
    assert_int_equal(info.state, USHER_TICKET_ASSIGNED);
    assert_int_equal(info.agent_id, 100);
    assert_int_equal(agent(e, 100).capacity_used, 1);
    assert_int_equal(agent(e, 200).capacity_used, 0);
    assert_int_equal(agent(e, 101).capacity_used, 0);
    usher_queue_stats s = stats(e, 1);
    assert_int_equal(s.answered, 1); /* the first assignment only */
    assert_int_equal(s.waiting, 0);

    clear(&r);
    OK(usher_ticket_complete(e, 1, 0));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_COMPLETED, 2000, 1, 100, 0, 0);
    assert_int_equal(agent(e, 100).capacity_used, 0);
    advance(e, &r, 9000);
    assert_int_equal(r.count, 0);
    free_engine(e);
}

static void test_requeued_widened_ticket_waits_in_group_too(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {STEP(1000, GROUP, SK_BACKUP, 0)};
    OK(usher_queue_set_widening(e, 1, steps, 1));
    add_agent(e, 300, SK_EN, 9, NO_SKILL, 0, false);
    add_agent(e, 200, SK_BACKUP, 5, NO_SKILL, 0, false);
    submit(e, 1, 1, SK_EN, 5);
    advance(e, &r, 1000);
    login(e, 300);
    assert_int_equal(ticket(e, 1).agent_id, 300);
    advance(e, &r, 2000);
    logout(e, 300);
    assert_int_equal(ticket(e, 1).state, USHER_TICKET_WAITING);
    clear(&r);
    login(e, 200); /* only the group can take it now */
    check_assigned(&r, only(&r, EV_ASSIGNED), 2000, 1, 200, 2000);
    assert_int_equal(agent(e, 200).capacity_used, 1);
    clear(&r);
    login(e, 300); /* a main agent, too late: nothing left in either place */
    assert_int_equal(r.count, 1);
    assert_int_equal(r.seen[0].type, EV_STATE);
    assert_int_equal(agent(e, 300).capacity_used, 0);
    usher_ticket_info info = ticket(e, 1);
    assert_int_equal(info.state, USHER_TICKET_ASSIGNED);
    assert_int_equal(info.agent_id, 200);
    free_engine(e);
}

static void test_group_bucket_shared_with_main_bucket(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    /* After both steps the ticket's own requirement (backup:1) is the
     * group's: both filings land in one bucket. */
    const usher_widen_step steps[] = {STEP(100, GROUP, SK_BACKUP, 0),
                                      STEP(200, LOWER, SK_BACKUP, 1)};
    OK(usher_queue_set_widening(e, 1, steps, 2));
    add_agent(e, 300, SK_BACKUP, 9, NO_SKILL, 0, false);
    add_agent(e, 200, SK_BACKUP, 1, NO_SKILL, 0, false);
    add_agent(e, 201, SK_BACKUP, 1, NO_SKILL, 0, false);
    submit(e, 1, 1, SK_BACKUP, 5);
    advance(e, &r, 200);
    assert_int_equal(count_type(&r, EV_WIDENED), 2);
    clear(&r);
    login(e, 300);
    login(e, 200);
    check_assigned(&r, only(&r, EV_ASSIGNED), 200, 1, 300, 200);
    clear(&r);
    logout(e, 300); /* requeued: the next agent takes it, once */
    login(e, 201);
    check_assigned(&r, only(&r, EV_ASSIGNED), 200, 1, 200, 200);
    assert_int_equal(agent(e, 201).capacity_used, 0);
    assert_int_equal(ticket(e, 1).agent_id, 200);
    OK(usher_ticket_complete(e, 1, 0));
    clear(&r);
    logout(e, 200);
    login(e, 200);
    assert_int_equal(count_type(&r, EV_ASSIGNED), 0);
    free_engine(e);
}

static void test_move_queue_drops_overflow_group(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    add_plain_queue(e, 2);
    const usher_widen_step steps[] = {STEP(1000, GROUP, SK_BACKUP, 0), STEP(2000, MOVE, 0, 2)};
    OK(usher_queue_set_widening(e, 1, steps, 2));
    add_agent(e, 200, SK_BACKUP, 5, NO_SKILL, 0, false);
    add_agent(e, 100, SK_EN, 5, NO_SKILL, 0, false);
    submit(e, 1, 1, SK_EN, 5);
    advance(e, &r, 2000);
    assert_int_equal(r.count, 2);
    check_widened(&r, 0, 1000, 1, 0, GROUP);
    check_widened(&r, 1, 2000, 1, 1, MOVE);
    assert_int_equal(ticket(e, 1).queue, 2);
    clear(&r);
    login(e, 200); /* queue 2 has no overflow group */
    assert_int_equal(count_type(&r, EV_ASSIGNED), 0);
    assert_int_equal(ticket(e, 1).state, USHER_TICKET_WAITING);
    login(e, 100);
    check_assigned(&r, only(&r, EV_ASSIGNED), 2000, 1, 100, 2000);
    free_engine(e);
}

static void test_transfer_drops_overflow_group(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    add_plain_queue(e, 2);
    const usher_widen_step steps[] = {STEP(1000, GROUP, SK_BACKUP, 0)};
    OK(usher_queue_set_widening(e, 1, steps, 1));
    add_agent(e, 200, SK_BACKUP, 5, NO_SKILL, 0, false);
    submit(e, 1, 1, SK_EN, 5);
    advance(e, &r, 1000);
    OK(usher_ticket_transfer(e, 1, 2));
    clear(&r);
    login(e, 200);
    assert_int_equal(r.count, 1);
    assert_int_equal(ticket(e, 1).state, USHER_TICKET_WAITING);
    assert_int_equal(stats(e, 1).waiting, 0);
    assert_int_equal(stats(e, 2).waiting, 1);
    /* Back in queue 1 the step fires again (due at once), and the group
     * agent, available, takes it. */
    OK(usher_ticket_transfer(e, 1, 1));
    advance(e, &r, 1000);
    assert_int_equal(r.count, 2);
    check_widened(&r, 0, 1000, 1, 0, GROUP);
    check_assigned(&r, 1, 1000, 1, 200, 1000);
    free_engine(e);
}

/* ======================================================================
 * Queue statistics with widened tickets
 * ====================================================================== */

static void test_widened_ticket_counts_once_in_stats(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {STEP(1000, GROUP, SK_BACKUP, 0)};
    OK(usher_queue_set_widening(e, 1, steps, 1));
    submit(e, 1, 1, SK_EN, 5);
    advance(e, &r, 1500);
    usher_queue_stats s = stats(e, 1);
    assert_int_equal(s.waiting, 1);
    assert_int_equal(s.longest_wait_ms, 1500);
    assert_int_equal(s.entered, 1);
    free_engine(e);
}

static void test_longest_wait_with_several_tickets(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 1000, NULL);
    add_plain_queue(e, 1);
    usher_skill_level req = {SK_EN, 5};
    OK(submit_full(e, 1, 1, &req, 1, NULL, 0, 0, 1000));
    OK(submit_full(e, 2, 1, &req, 1, NULL, 0, 0, 500)); /* the oldest */
    OK(submit_full(e, 3, 1, &req, 1, NULL, 0, 0, 1000));
    usher_queue_stats s = stats(e, 1);
    assert_int_equal(s.waiting, 3);
    assert_int_equal(s.longest_wait_ms, 500);
    free_engine(e);
}

/* ======================================================================
 * 5. RAISE_PRIORITY
 * ====================================================================== */

/* Ticket 1 (created now, 1000) and ticket 2 (created at 0) wait in a
 * queue without ageing; a step raises the priority by 5 after 500 ms, so
 * ticket 2's is due at once. Returns the ticket the first agent takes. */
static uint64_t raise_scenario(bool fire)
{
    recorder r;
    usher_engine *e = new_engine(&r, 1000, NULL);
    add_queue(e, 1, USHER_STRATEGY_LONGEST_IDLE, 0);
    const usher_widen_step steps[] = {STEP(500, RAISE, 0, 5)};
    OK(usher_queue_set_widening(e, 1, steps, 1));
    usher_skill_level req = {SK_EN, 1};
    OK(submit_full(e, 1, 1, &req, 1, NULL, 0, 0, USHER_CREATED_NOW));
    OK(submit_full(e, 2, 1, &req, 1, NULL, 0, 0, 0));
    if (fire) {
        advance(e, &r, 1000);
        assert_int_equal(r.count, 1);
        check_widened(&r, 0, 1000, 2, 0, RAISE);
        usher_ticket_info info = ticket(e, 2);
        assert_int_equal(info.priority, 5);
        assert_int_equal(info.effective_priority, 5000);
        assert_int_equal(ticket(e, 1).priority, 0);
    }
    clear(&r);
    add_agent(e, 100, SK_EN, 1, NO_SKILL, 0, true);
    uint64_t first = r.seen[only(&r, EV_ASSIGNED)].ticket_id;
    if (fire) { /* the other ticket's step still comes, while it waits */
        advance(e, &r, 1500);
        assert_int_equal(r.count, 1);
        check_widened(&r, 0, 1500, 1, 0, RAISE);
        assert_int_equal(ticket(e, 1).priority, 5);
        assert_int_equal(ticket(e, 1).state, USHER_TICKET_WAITING);
    }
    free_engine(e);
    return first;
}

static void test_raise_priority_reorders_waiting(void **state)
{
    (void)state;
    assert_int_equal(raise_scenario(false), 1); /* FIFO among equals */
    assert_int_equal(raise_scenario(true), 2);
}

static void test_raise_priority_across_queues(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_queue(e, 1, USHER_STRATEGY_LONGEST_IDLE, 0);
    add_queue(e, 2, USHER_STRATEGY_LONGEST_IDLE, 0);
    const usher_widen_step steps[] = {STEP(1000, RAISE, 0, 5)};
    OK(usher_queue_set_widening(e, 2, steps, 1));
    usher_skill_level req = {SK_EN, 1};
    OK(submit_full(e, 1, 1, &req, 1, NULL, 0, 3, USHER_CREATED_NOW));
    OK(submit_full(e, 2, 2, &req, 1, NULL, 0, 0, USHER_CREATED_NOW));
    advance(e, &r, 1000);
    check_widened(&r, only(&r, EV_WIDENED), 1000, 2, 0, RAISE);
    clear(&r);
    add_agent(e, 100, SK_EN, 1, NO_SKILL, 0, true);
    check_assigned(&r, only(&r, EV_ASSIGNED), 1000, 2, 100, 1000);
    assert_int_equal(ticket(e, 1).state, USHER_TICKET_WAITING);
    free_engine(e);
}

static void test_raise_priority_resifts_overflow_filing(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 1000, NULL);
    add_queue(e, 1, USHER_STRATEGY_LONGEST_IDLE, 0);
    const usher_widen_step steps[] = {STEP(100, GROUP, SK_BACKUP, 0), STEP(900, RAISE, 0, 5)};
    OK(usher_queue_set_widening(e, 1, steps, 2));
    usher_skill_level req = {SK_EN, 5};
    /* Ticket 1: priority 3, steps due at 700 (now) and 1500. Ticket 2:
     * priority 0, both steps due now: raised to 5 once both tickets wait
     * in the group's bucket. */
    OK(submit_full(e, 1, 1, &req, 1, NULL, 0, 3, 600));
    OK(submit_full(e, 2, 1, &req, 1, NULL, 0, 0, 0));
    advance(e, &r, 1000);
    assert_int_equal(r.count, 3);
    check_widened(&r, 0, 1000, 1, 0, GROUP);
    check_widened(&r, 1, 1000, 2, 0, GROUP);
    check_widened(&r, 2, 1000, 2, 1, RAISE);
    assert_int_equal(ticket(e, 2).priority, 5);

    clear(&r);
    add_agent(e, 200, SK_BACKUP, 1, NO_SKILL, 0, true);
    check_assigned(&r, only(&r, EV_ASSIGNED), 1000, 2, 200, 1000);
    clear(&r);
    add_agent(e, 100, SK_EN, 5, NO_SKILL, 0, true);
    check_assigned(&r, only(&r, EV_ASSIGNED), 1000, 1, 100, 400);
    free_engine(e);
}

static void test_raise_priority_capped(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {
        STEP(100, RAISE, 0, USHER_MAX_PRIORITY),
        STEP(200, RAISE, 0, USHER_MAX_PRIORITY),
    };
    OK(usher_queue_set_widening(e, 1, steps, 2));
    usher_skill_level req = {SK_EN, 1};
    OK(submit_full(e, 1, 1, &req, 1, NULL, 0, 999, USHER_CREATED_NOW));
    advance(e, &r, 100);
    check_widened(&r, only(&r, EV_WIDENED), 100, 1, 0, RAISE);
    assert_int_equal(ticket(e, 1).priority, USHER_MAX_PRIORITY);
    advance(e, &r, 200);
    check_widened(&r, only(&r, EV_WIDENED), 200, 1, 1, RAISE);
    usher_ticket_info info = ticket(e, 1);
    assert_int_equal(info.priority, USHER_MAX_PRIORITY);
    /* 1000 points, plus one point per second of the default ageing. */
    assert_int_equal(info.effective_priority, 1000 * 1000 + 200);
    /* The capped priority is a valid one: setting it again is accepted. */
    OK(usher_ticket_set_priority(e, 1, info.priority));
    free_engine(e);
}

/* ======================================================================
 * 6. MOVE_QUEUE
 * ====================================================================== */

static void test_move_queue_moves_waiting_ticket(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    add_plain_queue(e, 2);
    const usher_widen_step overflow_steps[] = {
        STEP(500, RAISE, 0, 3),  /* already due when the ticket arrives */
        STEP(3000, RAISE, 0, 4),
    };
    OK(usher_queue_set_widening(e, 2, overflow_steps, 2));
    const usher_widen_step steps[] = {
        STEP(1000, MOVE, 0, 2),
        STEP(5000, RAISE, 0, 100), /* queue 1's: never for this ticket */
    };
    OK(usher_queue_set_widening(e, 1, steps, 2));
    submit(e, 1, 1, SK_EN, 5);

    advance(e, &r, 999);
    assert_int_equal(r.count, 0);
    advance(e, &r, 1000);
    recorder first = r;
    advance(e, &r, 1000); /* "at the next usher_advance()" at the latest */
    for (int i = 0; i < r.count; i++)
        first.seen[first.count++] = r.seen[i];
    assert_int_equal(first.count, 2);
    check_widened(&first, 0, 1000, 1, 0, MOVE);
    check_widened(&first, 1, 1000, 1, 0, RAISE);

    usher_ticket_info info = ticket(e, 1);
    assert_int_equal(info.queue, 2);
    assert_int_equal(info.state, USHER_TICKET_WAITING);
    assert_int_equal(info.priority, 3);
    assert_int_equal(info.created_ms, 0);
    usher_queue_stats s1 = stats(e, 1), s2 = stats(e, 2);
    assert_int_equal(s1.waiting, 0);
    assert_int_equal(s1.entered, 1);
    assert_int_equal(s2.waiting, 1);
    assert_int_equal(s2.entered, 1);
    assert_int_equal(s2.longest_wait_ms, 1000);

    advance(e, &r, 2999);
    assert_int_equal(r.count, 0);
    advance(e, &r, 3000);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 3000, 1, 1, RAISE);
    assert_int_equal(ticket(e, 1).priority, 7);
    advance(e, &r, 10000);
    assert_int_equal(r.count, 0);
    assert_int_equal(next_deadline(e), USHER_TIME_NEVER);
    assert_int_equal(ticket(e, 1).priority, 7);

    assert_int_equal(usher_queue_remove(e, 2), USHER_ESTATE);
    OK(usher_queue_remove(e, 1)); /* it holds no live ticket any more */
    clear(&r);
    add_agent(e, 100, SK_EN, 5, NO_SKILL, 0, true);
    check_assigned(&r, only(&r, EV_ASSIGNED), 10000, 1, 100, 10000);
    assert_int_equal(stats(e, 2).answered, 1);
    free_engine(e);
}

static void test_move_queue_skipped_for_assigned_ticket(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    add_plain_queue(e, 2);
    const usher_widen_step steps[] = {STEP(1000, MOVE, 0, 2), STEP(2000, RAISE, 0, 1)};
    OK(usher_queue_set_widening(e, 1, steps, 2));
    add_agent(e, 100, SK_EN, 5, NO_SKILL, 0, true);
    submit(e, 1, 1, SK_EN, 5);
    assert_int_equal(ticket(e, 1).agent_id, 100);

    advance(e, &r, 1000);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 1000, 1, 0, MOVE);
    usher_ticket_info info = ticket(e, 1);
    assert_int_equal(info.queue, 1);
    assert_int_equal(info.state, USHER_TICKET_ASSIGNED);
    assert_int_equal(info.agent_id, 100);
    assert_int_equal(stats(e, 2).entered, 0);
    assert_int_equal(usher_queue_remove(e, 1), USHER_ESTATE);

    advance(e, &r, 2000); /* queue 1's steps go on */
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 2000, 1, 1, RAISE);
    assert_int_equal(ticket(e, 1).priority, 1);
    clear(&r);
    OK(usher_ticket_complete(e, 1, 0));
    assert_int_equal(stats(e, 1).completed, 1);
    assert_int_equal(stats(e, 2).completed, 0);
    free_engine(e);
}

static void test_move_queue_target_removed(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    add_plain_queue(e, 3);
    const usher_widen_step steps[] = {STEP(1000, MOVE, 0, 3), STEP(2000, RAISE, 0, 2)};
    OK(usher_queue_set_widening(e, 1, steps, 2));
    OK(usher_queue_remove(e, 3));
    submit(e, 1, 1, SK_EN, 5);

    advance(e, &r, 1000);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 1000, 1, 0, MOVE);
    usher_ticket_info info = ticket(e, 1);
    assert_int_equal(info.queue, 1);
    assert_int_equal(info.state, USHER_TICKET_WAITING);
    assert_int_equal(stats(e, 1).waiting, 1);
    advance(e, &r, 2000);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 2000, 1, 1, RAISE);

    /* The target is looked up when the step fires: a queue 3 added again
     * takes the next ticket. */
    submit(e, 2, 1, SK_EN, 5);
    add_queue(e, 3, USHER_STRATEGY_MOST_FREE, 1000);
    advance(e, &r, 3000);
    check_widened(&r, only(&r, EV_WIDENED), 3000, 2, 0, MOVE);
    assert_int_equal(ticket(e, 2).queue, 3);
    assert_int_equal(ticket(e, 1).queue, 1);
    clear(&r);
    add_agent(e, 100, SK_EN, 5, NO_SKILL, 0, true);
    assert_int_equal(count_type(&r, EV_ASSIGNED), 1);
    free_engine(e);
}

/* ======================================================================
 * 7. Transfers and endings
 * ====================================================================== */

static void test_transfer_restarts_widening(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    add_plain_queue(e, 2);
    const usher_widen_step steps1[] = {STEP(1000, RAISE, 0, 1), STEP(5000, RAISE, 0, 1)};
    const usher_widen_step steps2[] = {STEP(2000, RAISE, 0, 10)};
    OK(usher_queue_set_widening(e, 1, steps1, 2));
    OK(usher_queue_set_widening(e, 2, steps2, 1));
    submit(e, 1, 1, SK_EN, 5);
    advance(e, &r, 1000);
    check_widened(&r, only(&r, EV_WIDENED), 1000, 1, 0, RAISE);
    advance(e, &r, 1500);

    clear(&r);
    OK(usher_ticket_transfer(e, 1, 2));
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_TRANSFERRED, 1500, 1, 0, 2, 0);
    assert_int_equal(next_deadline(e), 2000);
    advance(e, &r, 1999);
    assert_int_equal(r.count, 0);
    advance(e, &r, 2000);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 2000, 1, 0, RAISE); /* queue 2's first step */
    assert_int_equal(ticket(e, 1).priority, 11);
    advance(e, &r, 6000); /* queue 1's second step is not this ticket's now */
    assert_int_equal(r.count, 0);
    assert_int_equal(ticket(e, 1).priority, 11);

    /* Back to queue 1: both of its steps are due, from the start. */
    clear(&r);
    OK(usher_ticket_transfer(e, 1, 1));
    advance(e, &r, 6000);
    assert_int_equal(r.count, 2);
    check_widened(&r, 0, 6000, 1, 0, RAISE);
    check_widened(&r, 1, 6000, 1, 1, RAISE);
    assert_int_equal(ticket(e, 1).priority, 13);
    advance(e, &r, 60000);
    assert_int_equal(r.count, 0);
    free_engine(e);
}

static void test_transfer_of_assigned_ticket_restarts_widening(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    add_plain_queue(e, 2);
    const usher_widen_step steps2[] = {STEP(3000, LOWER, SK_EN, 2)};
    OK(usher_queue_set_widening(e, 2, steps2, 1));
    add_agent(e, 100, SK_EN, 9, NO_SKILL, 0, true);
    add_agent(e, 101, SK_EN, 2, NO_SKILL, 0, true);
    submit(e, 1, 1, SK_EN, 5);
    assert_int_equal(ticket(e, 1).agent_id, 100);
    advance(e, &r, 1000);
    OK(usher_agent_set_state(e, 100, USHER_AGENT_AWAY, 0));
    clear(&r);
    OK(usher_ticket_transfer(e, 1, 2)); /* leaves 100; 101 lacks en:5 */
    assert_int_equal(r.count, 1);
    check_event(&r.seen[0], EV_TRANSFERRED, 1000, 1, 100, 2, 0);
    assert_int_equal(ticket(e, 1).state, USHER_TICKET_WAITING);
    advance(e, &r, 3000);
    assert_int_equal(r.count, 2);
    check_widened(&r, 0, 3000, 1, 0, LOWER);
    check_assigned(&r, 1, 3000, 1, 101, 3000);
    free_engine(e);
}

static void test_endings_stop_widening(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    const usher_widen_step steps[] = {STEP(1000, RAISE, 0, 1), STEP(2000, RAISE, 0, 1)};
    OK(usher_queue_set_widening(e, 1, steps, 2));
    add_agent(e, 100, SK_FR, 5, NO_SKILL, 0, true);
    submit(e, 1, 1, SK_EN, 5); /* waits, completed */
    submit(e, 2, 1, SK_EN, 5); /* waits, cancelled */
    submit(e, 3, 1, SK_FR, 5); /* assigned, completed */
    assert_int_equal(ticket(e, 3).agent_id, 100);
    advance(e, &r, 500);
    clear(&r);
    OK(usher_ticket_complete(e, 1, 0));
    OK(usher_ticket_cancel(e, 2));
    OK(usher_ticket_complete(e, 3, 0));
    assert_int_equal(r.count, 3);
    check_event(&r.seen[0], EV_COMPLETED, 500, 1, 0, 0, 0);
    check_event(&r.seen[1], EV_ABANDONED, 500, 2, 0, 500, 0);
    check_event(&r.seen[2], EV_COMPLETED, 500, 3, 100, 500, 0);
    assert_int_equal(next_deadline(e), USHER_TIME_NEVER);

    /* Id 1 again, submitted later: its own steps, from its own creation. */
    advance(e, &r, 600);
    submit(e, 1, 1, SK_EN, 5);
    advance(e, &r, 1599);
    assert_int_equal(r.count, 0);
    advance(e, &r, 1600);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 1600, 1, 0, RAISE);
    clear(&r);
    OK(usher_ticket_cancel(e, 1));
    advance(e, &r, 100000);
    assert_int_equal(r.count, 0); /* no WIDENED after the end */
    usher_ticket_info gone = {.struct_size = sizeof gone};
    assert_int_equal(usher_ticket_get(e, 1, &gone), USHER_ENOTFOUND);
    free_engine(e);
}

/* ======================================================================
 * 8. usher_queue_set_widening
 * ====================================================================== */

static void test_set_widening_errors(void **state)
{
    (void)state;
    recorder r;
    usher_engine *e = new_engine(&r, 0, NULL);
    add_plain_queue(e, 1);
    add_plain_queue(e, 2);
    const usher_widen_step good[] = {STEP(100, RAISE, 0, 1)};
    OK(usher_queue_set_widening(e, 1, good, 1));

    assert_int_equal(usher_queue_set_widening(NULL, 1, good, 1), USHER_EINVAL);
    assert_int_equal(usher_queue_set_widening(e, 9, good, 1), USHER_ENOTFOUND);
    assert_int_equal(usher_queue_set_widening(e, 1, NULL, 1), USHER_EINVAL);

    usher_widen_step many[USHER_MAX_WIDEN_STEPS + 1];
    for (uint32_t i = 0; i <= USHER_MAX_WIDEN_STEPS; i++)
        many[i] = (usher_widen_step)STEP(i * 10, RAISE, 0, 1);
    assert_int_equal(usher_queue_set_widening(e, 2, many, USHER_MAX_WIDEN_STEPS + 1),
                     USHER_EINVAL);
    OK(usher_queue_set_widening(e, 2, many, USHER_MAX_WIDEN_STEPS));

    struct {
        usher_widen_step steps[2];
        usher_status expected;
    } cases[] = {
        {{STEP(2000, RAISE, 0, 1), STEP(1000, RAISE, 0, 1)}, USHER_EINVAL}, /* order */
        {{STEP(0, RAISE, 0, 1), STEP(USHER_TIME_MAX + 1, RAISE, 0, 1)}, USHER_EINVAL},
        {{STEP(0, 0, 0, 1), STEP(1, RAISE, 0, 1)}, USHER_EINVAL},         /* action 0 */
        {{STEP(0, RAISE, 0, 1), STEP(1, 6, 0, 1)}, USHER_EINVAL},         /* action 6 */
        {{STEP(0, LOWER, SK_EN, 0), STEP(1, RAISE, 0, 1)}, USHER_EINVAL}, /* level 0 */
        {{STEP(0, RAISE, 0, 1), STEP(1, LOWER, SK_EN, 11)}, USHER_EINVAL},
        {{STEP(0, RAISE, 0, USHER_MAX_PRIORITY + 1), STEP(1, RAISE, 0, 1)}, USHER_EINVAL},
        {{STEP(0, LOWER, SK_COUNT, 5), STEP(1, RAISE, 0, 1)}, USHER_ENOTFOUND},
        {{STEP(0, RAISE, 0, 1), STEP(1, DROP, SK_COUNT, 0)}, USHER_ENOTFOUND},
        {{STEP(0, GROUP, SK_COUNT + 7, 0), STEP(1, RAISE, 0, 1)}, USHER_ENOTFOUND},
        {{STEP(0, RAISE, 0, 1), STEP(1, MOVE, 0, 99)}, USHER_ENOTFOUND},
        {{STEP(0, MOVE, 0, 1), STEP(1, RAISE, 0, 1)}, USHER_EINVAL}, /* itself */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        usher_status st = usher_queue_set_widening(e, 1, cases[i].steps, 2);
        if (st != cases[i].expected)
            fail_msg("case %zu: %s, expected %s", i, usher_status_name(st),
                     usher_status_name(cases[i].expected));
    }
    usher_widen_step reserved[] = {STEP(0, RAISE, 0, 1)};
    reserved[0].reserved = 1;
    assert_int_equal(usher_queue_set_widening(e, 1, reserved, 1), USHER_EINVAL);

    /* Accepted edges. */
    const usher_widen_step edges[] = {
        STEP(0, LOWER, SK_EN, USHER_LEVEL_MIN),
        STEP(0, LOWER, SK_EN, USHER_LEVEL_MAX), /* equal after_ms */
        STEP(5, RAISE, 0, USHER_MAX_PRIORITY),
        STEP(5, MOVE, 0, 1),
        STEP(USHER_TIME_MAX, DROP, SK_BACKUP2, 0),
    };
    OK(usher_queue_set_widening(e, 2, edges, 5));
    OK(usher_queue_set_widening(e, 2, NULL, 0));

    /* Every failure above left queue 1's steps as they were. */
    clear(&r);
    submit(e, 1, 1, SK_EN, 5);
    advance(e, &r, 100);
    assert_int_equal(r.count, 1);
    check_widened(&r, 0, 100, 1, 0, RAISE);
    assert_int_equal(ticket(e, 1).priority, 1);

    /* A live ticket forbids changes, even removing the steps. */
    assert_int_equal(usher_queue_set_widening(e, 1, good, 1), USHER_ESTATE);
    assert_int_equal(usher_queue_set_widening(e, 1, NULL, 0), USHER_ESTATE);
    /* A live ticket of another queue does not. */
    OK(usher_queue_set_widening(e, 2, good, 1));
    OK(usher_ticket_complete(e, 1, 0));

    /* Count 0 removes the steps. */
    OK(usher_queue_set_widening(e, 1, NULL, 0));
    submit(e, 2, 1, SK_EN, 5);
    assert_int_equal(next_deadline(e), USHER_TIME_NEVER);
    advance(e, &r, 100000);
    assert_int_equal(r.count, 0);
    assert_int_equal(ticket(e, 2).priority, 0);
    free_engine(e);
}

/* ======================================================================
 * 9. Allocation failure while a step's bucket is prepared
 * ====================================================================== */

enum sweep_kind { SWEEP_LOWER, SWEEP_GROUP, SWEEP_MOVE };

/* Builds the scenario on a fresh engine and fails allocation number k of
 * the advance that fires the step (k beyond the advance's allocations:
 * nothing fails). Returns whether the failure point was reached and the
 * advance failed. */
static bool sweep_once(enum sweep_kind kind, long k, bool *reached)
{
    static test_allocator ta; /* outlives the test if an assertion fails */
    static recorder r;
    test_allocator_init(&ta, 0);
    usher_engine *e = new_engine(&r, 0, &ta);
    add_plain_queue(e, 1);
    add_queue(e, 2, USHER_STRATEGY_MOST_FREE, 500);
    usher_widen_step step = STEP(1000, LOWER, SK_EN, 4);
    if (kind == SWEEP_GROUP)
        step = (usher_widen_step)STEP(1000, GROUP, SK_BACKUP, 0);
    if (kind == SWEEP_MOVE)
        step = (usher_widen_step)STEP(1000, MOVE, 0, 2);
    OK(usher_queue_set_widening(e, 1, &step, 1));
    if (kind == SWEEP_LOWER)
        add_agent(e, 100, SK_EN, 4, NO_SKILL, 0, true);
    submit(e, 1, 1, SK_EN, 8);
    advance(e, &r, 999);

    clear(&r);
    ta.fail_at = ta.calls + k;
    usher_status st = usher_advance(e, 1000);
    *reached = ta.failed != 0;
    ta.fail_at = 0;
    bool failed = st != USHER_OK;
    if (failed) {
        assert_int_equal(st, USHER_ENOMEM);
        assert_true(*reached);
        assert_int_equal(r.count, 0); /* the step has not fired */
        usher_ticket_info info = ticket(e, 1);
        assert_int_equal(info.state, USHER_TICKET_WAITING);
        assert_int_equal(info.queue, 1);
        uint64_t now = 0;
        OK(usher_now(e, &now));
        assert_int_equal(now, 1000); /* stopped at the step's deadline */
        assert_int_equal(next_deadline(e), 1000);
        clear(&r);
        OK(usher_advance(e, 1000)); /* memory again: it fires now */
    }
    check_seq(&r);
    assert_int_equal(count_type(&r, EV_WIDENED), 1);
    check_widened(&r, 0, 1000, 1, 0, kind == SWEEP_LOWER ? LOWER : kind == SWEEP_GROUP ? GROUP
                                                                                         : MOVE);
    usher_ticket_info info = ticket(e, 1);
    if (kind == SWEEP_LOWER) {
        assert_int_equal(r.count, 2);
        check_assigned(&r, 1, 1000, 1, 100, 1000);
        assert_int_equal(info.agent_id, 100);
    } else {
        assert_int_equal(r.count, 1);
        assert_int_equal(info.state, USHER_TICKET_WAITING);
        assert_int_equal(info.queue, kind == SWEEP_MOVE ? 2 : 1);
    }
    advance(e, &r, 100000); /* and never again */
    assert_int_equal(count_type(&r, EV_WIDENED), 0);
    OK(usher_ticket_complete(e, 1, 0));
    free_engine(e);
    assert_int_equal(ta.live, 0);
    return failed;
}

static void sweep(enum sweep_kind kind)
{
    int failures = 0;
    long k;
    for (k = 1; k < 1000; k++) {
        bool reached;
        failures += sweep_once(kind, k, &reached);
        if (!reached)
            break; /* k is past the advance's last allocation */
    }
    assert_true(k < 1000);
    assert_true(failures > 0); /* the advance did allocate, and failed cleanly */
}

static void test_enomem_lower_level_bucket(void **state)
{
    (void)state;
    sweep(SWEEP_LOWER);
}

static void test_enomem_overflow_group_bucket(void **state)
{
    (void)state;
    sweep(SWEEP_GROUP);
}

static void test_enomem_move_queue_bucket(void **state)
{
    (void)state;
    sweep(SWEEP_MOVE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_steps_fire_once_at_due_time, teardown),
        cmocka_unit_test_teardown(test_steps_already_due_at_submit, teardown),
        cmocka_unit_test_teardown(test_step_due_time_saturates, teardown),
        cmocka_unit_test_teardown(test_lower_level_assigns_in_same_advance, teardown),
        cmocka_unit_test_teardown(test_lower_level_not_applicable_changes_nothing, teardown),
        cmocka_unit_test_teardown(test_drop_preferred_changes_choice, teardown),
        cmocka_unit_test_teardown(test_drop_preferred_not_preferred_changes_nothing, teardown),
        cmocka_unit_test_teardown(test_overflow_not_before_step, teardown),
        cmocka_unit_test_teardown(test_overflow_main_agent_precedence_at_submit, teardown),
        cmocka_unit_test_teardown(test_overflow_requeued_ticket_prefers_main_agent, teardown),
        cmocka_unit_test_teardown(test_requeued_widened_ticket_assigned_once, teardown),
        cmocka_unit_test_teardown(test_overflow_group_free_agent_takes_ticket, teardown),
        cmocka_unit_test_teardown(test_overflow_group_agent_arriving_later_takes_ticket, teardown),
        cmocka_unit_test_teardown(test_overflow_later_group_replaces_earlier, teardown),
        cmocka_unit_test_teardown(test_requeued_widened_ticket_waits_in_group_too, teardown),
        cmocka_unit_test_teardown(test_group_bucket_shared_with_main_bucket, teardown),
        cmocka_unit_test_teardown(test_move_queue_drops_overflow_group, teardown),
        cmocka_unit_test_teardown(test_transfer_drops_overflow_group, teardown),
        cmocka_unit_test_teardown(test_widened_ticket_counts_once_in_stats, teardown),
        cmocka_unit_test_teardown(test_longest_wait_with_several_tickets, teardown),
        cmocka_unit_test_teardown(test_raise_priority_reorders_waiting, teardown),
        cmocka_unit_test_teardown(test_raise_priority_across_queues, teardown),
        cmocka_unit_test_teardown(test_raise_priority_resifts_overflow_filing, teardown),
        cmocka_unit_test_teardown(test_raise_priority_capped, teardown),
        cmocka_unit_test_teardown(test_move_queue_moves_waiting_ticket, teardown),
        cmocka_unit_test_teardown(test_move_queue_skipped_for_assigned_ticket, teardown),
        cmocka_unit_test_teardown(test_move_queue_target_removed, teardown),
        cmocka_unit_test_teardown(test_transfer_restarts_widening, teardown),
        cmocka_unit_test_teardown(test_transfer_of_assigned_ticket_restarts_widening, teardown),
        cmocka_unit_test_teardown(test_endings_stop_widening, teardown),
        cmocka_unit_test_teardown(test_set_widening_errors, teardown),
        cmocka_unit_test_teardown(test_enomem_lower_level_bucket, teardown),
        cmocka_unit_test_teardown(test_enomem_overflow_group_bucket, teardown),
        cmocka_unit_test_teardown(test_enomem_move_queue_bucket, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
