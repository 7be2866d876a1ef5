/*
 * An operation-script interpreter: turns bytes into a sequence of usher API
 * calls with arbitrary (but colliding: small id spaces) ids, times and
 * values, and runs usher_check() after every one. Any status a call returns
 * is acceptable; a failed check, a crash, a leak or undefined behaviour is
 * a bug. An allocator that fails on request lets the script put allocation
 * failures anywhere.
 *
 * Script: a sequence of operations, each one opcode byte followed by the
 * bytes its arguments read; reading past the end gives zeros.
 */
#include "ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AGENTS 8
#define TICKETS 32
#define QUEUES 4
#define CHANNELS 4
#define SKILLS 6
#define CALENDARS 3
#define POLICIES 3
#define TIMERS 6

typedef struct script {
    const uint8_t *at;
    size_t left;
} script;

typedef struct run {
    script s;
    usher_engine *e;
    usher_allocator allocator;
    long fail_in; /* the fail_in-th allocation from now fails; 0: none */
    uint64_t now;
    uint64_t tokens[TICKETS + 1]; /* the last offer token seen per ticket */
    int reenter;                  /* callbacks call back into the engine */
    int offers;                   /* an OFFER-mode queue was defined */
} run;

static uint8_t u8(script *s)
{
    if (s->left == 0)
        return 0;
    s->left--;
    return *s->at++;
}

/* Reads are sequenced, in the order clang used: C leaves the order of a
 * call's arguments (and of the operands of most operators, and of an
 * initializer list's values) unspecified, gcc and clang differ on
 * arguments, and an input must mean the same to every compiler (make fuzz
 * builds with clang, make check replays with the default compiler). */
static uint32_t u16(script *s)
{
    uint32_t low = u8(s);
    return low | (uint32_t)u8(s) << 8;
}

static uint32_t u32(script *s)
{
    uint32_t low = u16(s);
    return low | u16(s) << 16;
}

static uint64_t u64(script *s)
{
    uint64_t low = u32(s);
    return low | (uint64_t)u32(s) << 32;
}

/* Ids: mostly in the small live range, sometimes just outside it. */
static uint64_t agent_id(run *r) { return u8(&r->s) % (AGENTS + 1); }
static uint64_t ticket_id(run *r) { return u8(&r->s) % (TICKETS + 1); }
static uint32_t queue_id(run *r) { return u8(&r->s) % (QUEUES + 1); }
static uint32_t channel_id(run *r) { return u8(&r->s) % (CHANNELS + 1); }
static uint32_t skill_id(run *r) { return u8(&r->s) % (SKILLS + 1); }
static uint32_t level(run *r) { return u8(&r->s) % 12; }

/* ------------------------------------------------------------------------
 * Allocator with injected failures
 * ------------------------------------------------------------------------ */

static int allocation_fails(run *r)
{
    if (r->fail_in == 0)
        return 0;
    return --r->fail_in == 0;
}

static void *fz_malloc(void *user, size_t size)
{
    return allocation_fails(user) ? NULL : malloc(size);
}

static void *fz_realloc(void *user, void *ptr, size_t size)
{
    return allocation_fails(user) ? NULL : realloc(ptr, size);
}

static void fz_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

/* ------------------------------------------------------------------------
 * Callbacks
 * ------------------------------------------------------------------------ */

static void on_event(void *user, const usher_event *ev)
{
    run *r = user;
    if (ev->type == USHER_EVENT_TICKET_OFFERED && ev->ticket_id <= TICKETS)
        r->tokens[ev->ticket_id] = ev->offer_token;
    if (!r->reenter)
        return;
    /* Re-entrant calls from inside delivery, as hosts make them. */
    if (ev->type == USHER_EVENT_TICKET_OFFERED && (ev->seq & 1))
        usher_offer_accept(r->e, ev->ticket_id, ev->offer_token);
    else if (ev->type == USHER_EVENT_TICKET_ASSIGNED && (ev->seq % 3) == 0)
        usher_ticket_complete(r->e, ev->ticket_id, (uint32_t)(ev->seq & 3));
    else if (ev->type == USHER_EVENT_TICKET_ASSIGNED && (ev->seq % 7) == 0)
        usher_agent_remove(r->e, ev->agent_id);
}

static int64_t on_score(void *user, uint64_t ticket, uint64_t agent, int64_t score)
{
    run *r = user;
    /* Refused from inside a decision (USHER_ESTATE): must change nothing. */
    usher_ticket_cancel(r->e, ticket);
    return score + (int64_t)((ticket * 31 + agent * 17) % 7) - 3;
}

/* ------------------------------------------------------------------------
 * Operations
 * ------------------------------------------------------------------------ */

/*
 * Clock jumps of any size, except where the work they imply is unbounded:
 * an offer that nobody answers is made again after each timeout (with no
 * missed-offer limit, for ever), so once offers exist a jump is at most
 * OFFER_JUMP_MS, which with timeouts of a second or more bounds one advance
 * to ~10^5 offers. test_hostile covers ten-year jumps with offers out.
 */
#define OFFER_JUMP_MS (UINT64_C(1) << 27)
#define MIN_OFFER_TIMEOUT_MS 1000

static void op_advance(run *r)
{
    uint8_t how = u8(&r->s);
    uint64_t step = how < 200 ? u16(&r->s) : how < 250 ? u32(&r->s) : u64(&r->s);
    if (r->offers && step > OFFER_JUMP_MS)
        step %= OFFER_JUMP_MS;
    if (usher_advance(r->e, r->now + step) == USHER_OK)
        r->now += step;
}

static void op_fail_allocation(run *r) { r->fail_in = u8(&r->s) % 64; }

static void op_reenter(run *r) { r->reenter = u8(&r->s) & 1; }

static void op_host_timer(run *r)
{
    uint64_t id = u8(&r->s) % (TIMERS + 1);
    if (u8(&r->s) & 1)
        usher_timer_cancel(r->e, id);
    else
        usher_timer_set(r->e, id, r->now + u32(&r->s) % 600000);
}

static void op_skill(run *r)
{
    char name[8];
    snprintf(name, sizeof name, "s%u", (unsigned)(u8(&r->s) % (SKILLS + 2)));
    uint32_t id;
    usher_skill_intern(r->e, name, &id);
}

static void op_channel(run *r)
{
    uint32_t channel = channel_id(r);
    if (u8(&r->s) % 4 == 0) {
        usher_channel_remove(r->e, channel);
        return;
    }
    usher_channel_def def;
    usher_channel_def_init(&def);
    def.flags = u8(&r->s) % 8;
    def.cost = u8(&r->s) % 4;
    def.max_per_agent = u8(&r->s) % 4;
    def.wrapup_ms = u16(&r->s);
    usher_channel_add(r->e, channel, &def);
}

static void op_agent(run *r)
{
    uint64_t agent = agent_id(r);
    switch (u8(&r->s) % 12) {
    case 0: usher_agent_add(r->e, agent, u8(&r->s) % 5); break;
    case 1: usher_agent_remove(r->e, agent); break;
    case 2: {
        int32_t state = (int32_t)(u8(&r->s) % 4);
        usher_agent_set_state(r->e, agent, state, u8(&r->s) % 3);
        break;
    }
    case 3: usher_agent_set_capacity(r->e, agent, u8(&r->s) % 5); break;
    case 4: {
        uint32_t channel = channel_id(r);
        usher_agent_set_channel_limit(r->e, agent, channel, u8(&r->s) % 4);
        break;
    }
    case 5: {
        uint32_t skill = skill_id(r);
        usher_agent_set_skill(r->e, agent, skill, level(r));
        break;
    }
    case 6: usher_agent_drop_skill(r->e, agent, skill_id(r)); break;
    case 7: {
        uint32_t max = u8(&r->s) % 4;
        usher_agent_set_load_cap(r->e, agent, max, u32(&r->s) % 100000);
        break;
    }
    case 8: usher_agent_set_cooldown(r->e, agent, u16(&r->s)); break;
    case 9: usher_agent_set_idle_timeout(r->e, agent, u32(&r->s) % 200000); break;
    case 10: usher_agent_activity(r->e, agent); break;
    default: {
        usher_skill_level skills[3];
        size_t count = u8(&r->s) % 4;
        for (size_t i = 0; i < count; i++) {
            uint32_t skill = skill_id(r);
            skills[i] = (usher_skill_level){.skill = skill, .level = level(r)};
        }
        usher_agent_set_skills(r->e, agent, count ? skills : NULL, count);
    }
    }
}

static void op_host_work(run *r)
{
    if (u8(&r->s) & 1) {
        uint64_t agent = agent_id(r), ticket = 100 + ticket_id(r);
        usher_capacity_reserve(r->e, agent, ticket, channel_id(r));
    } else {
        uint64_t ticket = 100 + ticket_id(r);
        usher_capacity_release(r->e, ticket, u8(&r->s) % 4);
    }
}

static void op_queue(run *r)
{
    uint32_t queue = queue_id(r);
    uint8_t what = u8(&r->s) % 8;
    if (what == 0) {
        usher_queue_remove(r->e, queue);
    } else if (what == 1) {
        usher_queue_reset_stats(r->e, queue);
    } else if (what == 2) {
        usher_widen_step steps[3];
        size_t count = u8(&r->s) % 4;
        uint64_t after = 0;
        for (size_t i = 0; i < count; i++) {
            after += u16(&r->s);
            uint32_t action = u8(&r->s) % 7, skill = skill_id(r);
            steps[i] = (usher_widen_step){.after_ms = after, .action = action, .skill = skill,
                                          .value = u8(&r->s) % 12};
        }
        usher_queue_set_widening(r->e, queue, count ? steps : NULL, count);
    } else {
        usher_queue_def def;
        usher_queue_def_init(&def);
        def.strategy = u8(&r->s) % 7;
        def.assign_mode = u8(&r->s) % 3;
        r->offers |= def.assign_mode == USHER_ASSIGN_OFFER;
        def.order = u8(&r->s) % 3;
        def.ageing_rate = u16(&r->s) * 16;
        uint32_t weight = u16(&r->s) % 1200; /* read first, as both compilers did */
        def.tier_weight[u8(&r->s) % USHER_MAX_TIERS] = weight;
        def.offer_timeout_ms = MIN_OFFER_TIMEOUT_MS + u16(&r->s);
        def.reject_cooldown_ms = u16(&r->s);
        def.max_missed_offers = u8(&r->s) % 4;
        if (u8(&r->s) % 4 == 0) {
            def.repeat_threshold = 2 + u8(&r->s) % 3;
            def.repeat_flags = u8(&r->s) % 4;
            def.repeat_window_ms = 1 + u32(&r->s) % 1000000;
            def.repeat_tier = u8(&r->s) % USHER_MAX_TIERS;
            def.repeat_queue = queue_id(r);
        }
        def.sticky_ms = u8(&r->s) % 2 ? u16(&r->s) : 0;
        usher_queue_add(r->e, queue, &def);
    }
}

static void op_submit(run *r)
{
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    usher_skill_level required[2], preferred[2];
    spec.queue = queue_id(r);
    spec.channel = channel_id(r);
    spec.priority = u16(&r->s) % 1100;
    spec.tier = u8(&r->s) % 9;
    spec.required_count = u8(&r->s) % 3;
    for (uint32_t i = 0; i < spec.required_count; i++) {
        uint32_t skill = skill_id(r);
        required[i] = (usher_skill_level){.skill = skill, .level = level(r)};
    }
    spec.required = spec.required_count ? required : NULL;
    spec.preferred_count = u8(&r->s) % 3;
    for (uint32_t i = 0; i < spec.preferred_count; i++) {
        uint32_t skill = skill_id(r);
        preferred[i] = (usher_skill_level){.skill = skill, .level = u8(&r->s) % 110};
    }
    spec.preferred = spec.preferred_count ? preferred : NULL;
    spec.customer_id = u8(&r->s) % 4;
    uint32_t back = u16(&r->s);
    spec.created_ms = back > r->now ? USHER_CREATED_NOW : r->now - back;
    spec.preferred_agent_id = u8(&r->s) % 3 ? 0 : agent_id(r);
    spec.preferred_wait_ms = u16(&r->s);
    usher_ticket_submit(r->e, ticket_id(r), &spec);
}

static void op_ticket(run *r)
{
    uint64_t ticket = ticket_id(r);
    switch (u8(&r->s) % 9) {
    case 0: usher_ticket_set_priority(r->e, ticket, u16(&r->s) % 1100); break;
    case 1: usher_ticket_set_tier(r->e, ticket, u8(&r->s) % 9); break;
    case 2: {
        uint32_t skill = skill_id(r);
        usher_ticket_require(r->e, ticket, skill, level(r));
        break;
    }
    case 3: usher_ticket_drop_requirement(r->e, ticket, skill_id(r)); break;
    case 4: usher_ticket_transfer(r->e, ticket, queue_id(r)); break;
    case 5: usher_ticket_cancel(r->e, ticket); break;
    case 6: usher_ticket_complete(r->e, ticket, u8(&r->s) % 4); break;
    case 7: usher_offer_accept(r->e, ticket, r->tokens[ticket] + (u8(&r->s) % 8 == 0)); break;
    default: usher_offer_reject(r->e, ticket, r->tokens[ticket]); break;
    }
}

static void op_calendar(run *r)
{
    uint32_t calendar = 1 + u8(&r->s) % CALENDARS;
    switch (u8(&r->s) % 5) {
    case 0: usher_calendar_add(r->e, calendar, u8(&r->s) & 1 ? "UTC" : "Europe/Berlin"); break;
    case 1: usher_calendar_remove(r->e, calendar); break;
    case 2: {
        usher_open_hours hours[3];
        size_t count = u8(&r->s) % 4;
        for (size_t i = 0; i < count; i++) {
            uint32_t open = u16(&r->s) % 1500;
            uint32_t day = u8(&r->s) % 8;
            hours[i] = (usher_open_hours){day, open, open + u16(&r->s) % 1500};
        }
        usher_calendar_set_hours(r->e, calendar, count ? hours : NULL, count);
        break;
    }
    case 3: {
        uint32_t year = 1970 + u8(&r->s);
        uint32_t month = 1 + u8(&r->s) % 13, day = 1 + u8(&r->s) % 32;
        uint32_t from = u16(&r->s) % 1500;
        usher_calendar_add_holiday(r->e, calendar, year, month, day, from, u16(&r->s) % 1500);
        break;
    }
    default: {
        uint64_t out;
        usher_calendar_add_business(r->e, calendar, r->now, u32(&r->s), &out);
        usher_calendar_business_between(r->e, calendar, r->now, r->now + u32(&r->s), &out);
        usher_calendar_next_open(r->e, calendar, r->now, &out);
    }
    }
}

static void op_sla_policy(run *r)
{
    uint32_t policy = u8(&r->s) % (POLICIES + 1);
    if (u8(&r->s) % 3 == 0) {
        usher_sla_rule rules[2];
        size_t count = u8(&r->s) % 3;
        for (size_t i = 0; i < count; i++) {
            uint32_t low = u16(&r->s) % 1100;
            uint32_t channel = u8(&r->s) & 1 ? USHER_SLA_ANY : channel_id(r);
            uint32_t high = low + u16(&r->s) % 1100;
            rules[i] = (usher_sla_rule){.channel = channel, .queue = USHER_SLA_ANY,
                                        .tier = USHER_SLA_ANY, .min_priority = low,
                                        .max_priority = high,
                                        .policy = u8(&r->s) % (POLICIES + 1)};
        }
        usher_sla_set_rules(r->e, count ? rules : NULL, count, policy);
        return;
    }
    usher_sla_policy_def def;
    usher_sla_policy_def_init(&def);
    def.flags = u8(&r->s) % 3;
    def.target_mask = u8(&r->s) % 17;
    def.business_mask = u8(&r->s) % 16;
    def.pause_mask = u8(&r->s) % 16;
    def.calendar = u8(&r->s) % (CALENDARS + 1);
    for (uint32_t t = 0; t < USHER_SLA_TARGETS; t++)
        def.target_ms[t] = u32(&r->s) % 10000000;
    def.warning_count = u8(&r->s) % 3;
    for (uint32_t w = 0; w < def.warning_count; w++)
        def.warning_permille[w] = (w + 1) * 300 + u8(&r->s) % 100;
    usher_sla_policy_add(r->e, policy, &def);
}

static void op_sla_ticket(run *r)
{
    uint64_t ticket = ticket_id(r);
    uint8_t what = u8(&r->s) % 4;
    if (what == 0) {
        usher_sla_report(r->e, ticket, u8(&r->s) % 8);
    } else if (what == 1) {
        usher_sla_forget(r->e, ticket);
    } else {
        usher_sla_spec spec;
        usher_sla_spec_init(&spec);
        spec.channel = channel_id(r);
        spec.queue = queue_id(r);
        spec.tier = u8(&r->s) % 9;
        spec.priority = u16(&r->s) % 1100;
        uint32_t back = u16(&r->s);
        spec.created_ms = back > r->now ? USHER_CREATED_NOW : r->now - back;
        if (what == 2)
            usher_sla_start(r->e, ticket, &spec);
        else
            usher_sla_update(r->e, ticket, &spec);
    }
}

static void op_score_hook(run *r)
{
    if (u8(&r->s) & 1)
        usher_set_score_hook(r->e, on_score, r, 1 + u8(&r->s) % 40);
    else
        usher_set_score_hook(r->e, NULL, NULL, 0);
}

/* Read-only calls: they must change nothing (usher_check still passes). */
static void op_query(run *r)
{
    uint64_t ticket = ticket_id(r), agent = agent_id(r), out64, cursor = 0;
    uint32_t out32;
    int64_t score;
    usher_ticket_info ti = {.struct_size = sizeof ti};
    usher_agent_info ai = {.struct_size = sizeof ai};
    usher_agent_channel_info ci = {.struct_size = sizeof ci};
    usher_queue_stats qs = {.struct_size = sizeof qs};
    usher_explanation x = {.struct_size = sizeof x};
    usher_sla_target_info si = {.struct_size = sizeof si};
    usher_sla_stats ss = {.struct_size = sizeof ss};
    usher_skill_level skills[4];
    size_t count;
    char name[8];
    usher_ticket_get(r->e, ticket, &ti);
    usher_agent_get(r->e, agent, &ai);
    usher_agent_get_channel(r->e, agent, channel_id(r), &ci);
    usher_agent_get_skills(r->e, agent, skills, u8(&r->s) % 5, &count);
    usher_queue_get_stats(r->e, queue_id(r), &qs);
    usher_explain(r->e, ticket, agent, &x);
    usher_ticket_candidate(r->e, ticket, &out64, &score);
    usher_sla_get(r->e, ticket, u8(&r->s) % 5, &si);
    usher_sla_policy_stats(r->e, u8(&r->s) % (POLICIES + 1), &ss);
    usher_sla_channel_stats(r->e, channel_id(r), &ss);
    usher_capacity_holder(r->e, 100 + ticket, &out64, &out32);
    uint32_t skill = skill_id(r);
    usher_skill_name(r->e, skill, name, u8(&r->s) % sizeof name);
    usher_next_deadline(r->e, &out64);
    while (usher_agent_next(r->e, &cursor, &out64) == USHER_OK)
        ;
}

static void op_new_day(run *r) { usher_agents_new_day(r->e); }

typedef void (*operation)(run *r);

static const operation operations[] = {
    op_advance,   op_advance,      op_fail_allocation, op_reenter,    op_host_timer,
    op_skill,     op_channel,      op_agent,           op_agent,      op_agent,
    op_host_work, op_queue,        op_submit,          op_submit,     op_ticket,
    op_ticket,    op_calendar,     op_sla_policy,      op_sla_ticket, op_score_hook,
    op_query,     op_new_day,
};

/* ------------------------------------------------------------------------
 * Running a script
 * ------------------------------------------------------------------------ */

static void check_or_die(run *r, size_t step)
{
    usher_status st = usher_check(r->e);
    if (st != USHER_OK) {
        fprintf(stderr, "ops: usher_check failed after operation %zu: %s\n", step,
                usher_status_name(st));
        abort();
    }
}

void fuzz_ops_run(const uint8_t *data, size_t size)
{
    run r = {.s = {data, size}};
    r.allocator = (usher_allocator){fz_malloc, fz_realloc, fz_free, &r};
    usher_config config;
    usher_config_init(&config);
    config.seed = u8(&r.s);
    config.allocator = &r.allocator;
    if (usher_engine_new(&config, &r.e) != USHER_OK)
        return;
    usher_set_event_handler(r.e, on_event, &r);
    for (size_t step = 0; r.s.left > 0; step++) {
        operations[u8(&r.s) % (sizeof operations / sizeof operations[0])](&r);
        check_or_die(&r, step);
    }
    r.fail_in = 0;
    usher_engine_free(r.e);
}
