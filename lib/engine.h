/* The engine object and the services its modules share: event queueing,
 * delivery at the end of the outermost call, and the timer tags. */
#ifndef USHER_ENGINE_H
#define USHER_ENGINE_H

#include <stdbool.h>

#include "agents.h"
#include "alloc.h"
#include "calendar.h"
#include "idmap.h"
#include "index.h"
#include "router.h"
#include "sla.h"
#include "skills.h"
#include "usher.h"
#include "wheel.h"

/* What a wheel timer belongs to; the wheel carries it as the timer's tag. */
enum us_timer_tag {
    US_TIMER_HOST = 1,     /* data: the host timer id */
    US_TIMER_WRAPUP = 2,   /* data: the work slot */
    US_TIMER_LOAD_CAP = 3, /* data: the agent slot */
    US_TIMER_COOLDOWN = 4, /* data: the agent slot */
    US_TIMER_IDLE = 5,     /* data: the agent slot */
    US_TIMER_OFFER = 6,    /* data: the ticket slot */
    US_TIMER_EXCLUSION = 7, /* data: the exclusion slot */
    US_TIMER_WIDEN = 8,     /* data: the ticket slot */
    US_TIMER_PREFERENCE = 9, /* data: the ticket slot */
    US_TIMER_CUSTOMER = 10,  /* data: the customer slot */
    US_TIMER_SLA = 11        /* data: SLA record slot * USHER_SLA_TARGETS + target */
};

/* The deadline of a timer parked until its owner reschedules it: a time
 * the clock never reaches (it stops at USHER_TIME_MAX). Customer records
 * park theirs while the customer has live tickets. */
#define US_TIMER_PARKED UINT64_MAX

/* The most events one timer expiry can queue, and the most timers it can
 * schedule (both reserved before it runs). */
#define US_MAX_EVENTS_PER_EXPIRY (8 + US_SLA_EVENTS)
#define US_MAX_TIMERS_PER_EXPIRY (2 + USHER_SLA_TARGETS)

struct usher_engine {
    us_alloc alloc;
    uint64_t seed;
    us_wheel wheel; /* every deadline of the engine; its clock is the engine's */

    /* Events waiting for delivery: pending[head .. head + count). */
    usher_event *pending;
    size_t pending_capacity;
    size_t pending_head;
    size_t pending_count;
    uint64_t last_seq;

    usher_event_fn on_event;
    void *on_event_user;
    bool delivering; /* inside the delivery loop: calls are nested */
    bool closing;    /* freed from a callback: destroyed when delivery ends */

    us_idmap host_timers; /* host timer id -> wheel timer */

    us_skills skills;
    us_channel channels[USHER_MAX_CHANNELS];
    us_agents agents;
    us_index index;
    us_router router;
    us_calendars calendars;
    us_slas slas;
    uint64_t rng; /* the state of the engine's random generator */

    usher_score_fn score_fn; /* the host's scoring hook, or NULL */
    void *score_user;
    uint32_t score_candidates;
    /* Inside the scoring hook, or a snapshot's write callback: calls on
     * the engine are refused. */
    bool scoring;
};

/* Creates an engine from a host config (usher_engine_new without the
 * NULL check), and frees one with everything it holds: also a partly
 * restored one, whose records are either complete or zeroed. */
usher_status us_engine_create(const usher_config *config, usher_engine **out);
void us_engine_destroy(usher_engine *e);

static inline us_agent *us_agent_at(const usher_engine *e, uint32_t slot)
{
    return &e->agents.items[slot];
}

static inline us_queue *us_queue_at(const usher_engine *e, uint32_t slot)
{
    return (us_queue *)us_pool_at(&e->router.queues, slot);
}

static inline us_bucket *us_bucket_at(const usher_engine *e, uint32_t slot)
{
    return (us_bucket *)us_pool_at(&e->router.buckets, slot);
}

static inline us_ticket *us_ticket_at(const usher_engine *e, uint32_t slot)
{
    return (us_ticket *)us_pool_at(&e->router.tickets, slot);
}

/* The slot of the queue a ticket is in. */
static inline uint32_t us_queue_slot_of(const usher_engine *e, const us_ticket *t)
{
    return us_bucket_at(e, t->buckets[US_FILED_MAIN])->queue;
}

/* A pseudo-random number in [0, n), n > 0, from the engine's seeded
 * generator. */
uint32_t us_random_below(usher_engine *e, size_t n);

#define US_DAY_MS UINT64_C(86400000)

static inline uint64_t us_now(const usher_engine *e) { return us_wheel_now(&e->wheel); }

/* The common prologue of API functions: USHER_EINVAL / USHER_ECLOSED, and
 * USHER_ESTATE from inside the scoring hook. */
#define US_CHECK_ENGINE(e)                                                                         \
    do {                                                                                           \
        if (!(e))                                                                                  \
            return USHER_EINVAL;                                                                   \
        if ((e)->closing)                                                                          \
            return USHER_ECLOSED;                                                                  \
        if ((e)->scoring)                                                                          \
            return USHER_ESTATE;                                                                   \
    } while (0)

/* One assignment or offer: its event and a load cap reached; the offer's
 * timer, the load cap's, the idle timer and a new ticket's widening. */
#define US_EVENTS_PER_MATCH 2
#define US_TIMERS_PER_MATCH 4

/* Reserves room for `events` events and `timers` wheel timers, plus what
 * the matches the call may make possible need (while tickets wait): so a
 * call that succeeds has also made its matches. */
usher_status us_reserve(usher_engine *e, size_t events, uint32_t timers);
/* The same for a call that frees or opens an agent of `room` capacity
 * units: it reserves for up to that many matches. */
usher_status us_reserve_for(usher_engine *e, size_t events, uint32_t timers, uint32_t room);

/* Copies an output structure of the library's size `size` into the host's
 * structure whose struct_size says how much room it has (at least
 * `min_size`, the first version's size). USHER_EINVAL if too small. */
usher_status us_copy_out(void *host, const void *ours, size_t size, size_t min_size);

/* Makes room for `extra` more events, so queueing them cannot fail. */
usher_status us_events_reserve(usher_engine *e, size_t extra);

/* Queues an event (room must be reserved). Fills struct_size and seq. */
void us_events_push(usher_engine *e, const usher_event *event);

/*
 * Every mutating API function returns through this: when it is the
 * outermost call, delivers the queued events (those that callbacks raise
 * included) and frees the engine if a callback asked to. Returns status.
 */
usher_status us_finish(usher_engine *e, usher_status status);

void us_calendars_init(us_calendars *cs, const us_alloc *alloc, uint64_t seed);
void us_calendars_free(usher_engine *e);
static inline us_sla_policy *us_sla_policy_at(const usher_engine *e, uint32_t slot)
{
    return (us_sla_policy *)us_pool_at(&e->slas.policies, slot);
}

/* The policy slot the rules give a ticket, or US_NONE. */
uint32_t us_sla_choose(const usher_engine *e, uint32_t channel, uint32_t queue, uint32_t tier,
                       uint32_t priority);

/* A calendar by id (0: the built-in 24/7 one), or NULL. */
const us_calendar *us_calendar_find(const usher_engine *e, uint32_t id);

/* Processes one expired wheel timer by its tag (room for events reserved). */
void us_expire_host_timer(usher_engine *e, uint32_t timer);
void us_expire_offer(usher_engine *e, uint32_t timer);
void us_expire_exclusion(usher_engine *e, uint32_t timer);
void us_expire_widen(usher_engine *e, uint32_t timer);

#endif
