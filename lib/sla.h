/*
 * SLA tracking: policies, the rules that choose them, and per-ticket
 * clocks, one per target, each with at most one wheel timer (its next
 * warning or its breach).
 */
#ifndef USHER_SLA_H
#define USHER_SLA_H

#include <stdbool.h>
#include <stdint.h>

#include "idmap.h"
#include "pool.h"
#include "usher.h"

typedef struct us_sla_policy {
    uint32_t next_free;
    uint32_t id;
    usher_sla_policy_def def;
    uint64_t met[USHER_SLA_TARGETS], breached[USHER_SLA_TARGETS];
} us_sla_policy;

/* A clock's own states; the public state adds "breached" on top. */
enum us_clock_state {
    US_CLOCK_INACTIVE = 0,
    US_CLOCK_RUNNING = 1,
    US_CLOCK_PAUSED = 2,
    US_CLOCK_DONE = 3,   /* completed (met, or late if breached) */
    US_CLOCK_STOPPED = 4 /* ended by "solved" before completion */
};

typedef struct us_sla_clock {
    uint8_t state;
    bool breached;
    uint8_t next_event; /* the next warning; warning_count: the breach */
    uint32_t timer;     /* US_NONE when no event is scheduled */
    uint64_t elapsed;   /* target time counted before run_since */
    uint64_t run_since; /* when the current running stretch began */
    uint64_t due;       /* the breach instant, while running */
    uint64_t event_due; /* the exact time of the scheduled event */
} us_sla_clock;

typedef struct us_sla {
    uint32_t next_free;
    uint32_t policy; /* slot */
    uint64_t ticket;
    uint64_t created;
    uint32_t channel, queue, tier, priority;
    bool pending, solved, replied;
    us_sla_clock clocks[USHER_SLA_TARGETS];
} us_sla;

typedef struct us_slas {
    us_pool policies, records;
    us_idmap policy_by_id, by_ticket;
    usher_sla_rule *rules;
    uint32_t rule_count;
    uint32_t default_policy; /* slot, or US_NONE */
    uint64_t channel_met[USHER_MAX_CHANNELS][USHER_SLA_TARGETS];
    uint64_t channel_breached[USHER_MAX_CHANNELS][USHER_SLA_TARGETS];
} us_slas;

void us_slas_init(us_slas *s, const us_alloc *alloc, uint64_t seed);
void us_slas_free(usher_engine *e);

/* True if a policy uses the calendar. */
bool us_sla_uses_calendar(const usher_engine *e, uint32_t calendar_id);

/* The routing attributes of ticket `ticket` changed: if it is tracked,
 * its policy is chosen again (USHER_SLA_TARGETS wheel nodes reserved). */
void us_sla_ticket_changed(usher_engine *e, uint64_t ticket, uint32_t queue, uint32_t tier,
                           uint32_t priority);

void us_expire_sla(usher_engine *e, uint32_t timer);

/* The earliest running deadline of a tracked ticket, or USHER_TIME_NEVER. */
uint64_t us_sla_earliest_due(const usher_engine *e, uint64_t ticket);

#endif
