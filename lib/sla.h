/*
 * SLA tracking: policies, the rules that choose them, and per-ticket
 * clocks, one per target, each with at most one wheel timer: at its next
 * event's exact time, or at the calendar's next opening when events that
 * fell due in closed hours are held.
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

/* The most events a clock holds for open hours: one cycle's under one
 * policy. More can fall due in one closed stretch only across restarts or
 * policy changes; then the earliest held one is raised to make room. */
#define US_SLA_HELD_MAX (USHER_MAX_SLA_WARNINGS + 1)

/* An event that fell due while the calendar was closed, as it was then:
 * its exact time and which event it is under the policy then in force
 * (policies never change or go away, so its slot keeps naming it). */
typedef struct us_sla_held {
    uint64_t due;
    uint32_t policy; /* slot */
    uint8_t event;   /* a warning's index, or the policy's warning_count: the breach */
} us_sla_held;

typedef struct us_sla_clock {
    uint8_t state;
    bool breached;
    uint8_t next_event; /* under the current policy: the next warning, warning_count: the breach */
    uint8_t held_count; /* held[0 .. held_count), earliest first */
    uint32_t timer;     /* US_NONE when no event is scheduled */
    uint64_t elapsed;   /* target time counted before run_since */
    uint64_t run_since; /* when the current running stretch began */
    uint64_t next_due;  /* the next event's time while running, else USHER_TIME_NEVER */
    us_sla_held held[US_SLA_HELD_MAX];
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

/* The most events one call can raise for a ticket: every warning and
 * breach of every clock (caught up at once), and a "met" each. */
#define US_SLA_EVENTS (USHER_SLA_TARGETS * (USHER_MAX_SLA_WARNINGS + 2))

/* True if a policy definition is in range (usher_sla_policy_add's checks
 * but the calendar's existence). */
bool us_sla_policy_def_valid(const usher_sla_policy_def *def);

void us_slas_init(us_slas *s, const us_alloc *alloc, uint64_t seed);
void us_slas_free(usher_engine *e);

/* True if slot is a defined policy's (in the pool and named by its id). */
bool us_sla_policy_live(const usher_engine *e, uint32_t slot);

/* True if a policy uses the calendar. */
bool us_sla_uses_calendar(const usher_engine *e, uint32_t calendar_id);

/* The routing attributes of ticket `ticket` changed: if it is tracked,
 * its policy is chosen again (US_SLA_EVENTS events and USHER_SLA_TARGETS
 * wheel nodes reserved). */
void us_sla_ticket_changed(usher_engine *e, uint64_t ticket, uint32_t queue, uint32_t tier,
                           uint32_t priority);

void us_expire_sla(usher_engine *e, uint32_t timer);

/* True if a clock's held events are in range and order: at most
 * US_SLA_HELD_MAX, each a live policy's event for target t (which that
 * policy has), due by now, earliest first (usher_check and restore). */
bool us_sla_held_valid(const usher_engine *e, const us_sla_clock *c, uint32_t t);

/* The earliest running deadline of a tracked ticket, or USHER_TIME_NEVER. */
uint64_t us_sla_earliest_due(const usher_engine *e, uint64_t ticket);

#endif
