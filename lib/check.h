/*
 * The invariant checker (usher_check): recomputes the engine's bookkeeping
 * by brute force from its primary records and compares. check.c holds the
 * driver, the timer wheel, the id maps, agents and their capacity, SLA
 * records and calendars; checkroute.c the router (queues, buckets,
 * tickets, offers, matching). Nothing here allocates or changes the
 * engine.
 */
#ifndef USHER_CHECK_H
#define USHER_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

typedef struct us_checker {
    const usher_engine *e;
    const char *failed;   /* the first invariant found broken, or NULL */
    uint64_t timers;      /* wheel timers owned by the objects seen so far */
} us_checker;

/* Notes the broken invariant `what` (the first one found is kept) and
 * returns false. */
bool us_check_fail(us_checker *c, const char *what);

#define US_REQUIRE(c, cond, what)                                                                  \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return us_check_fail((c), (what));                                                     \
    } while (0)

/* A live wheel timer with the owner's tag and data; counted as owned. */
bool us_check_timer(us_checker *c, uint32_t timer, uint32_t tag, uint64_t data);

/* Whether a pool slot holds a live record, judged from outside the pool
 * (its id map, its owner's list). */
typedef bool (*us_check_live_fn)(const usher_engine *e, uint32_t slot);
/* The pool's live count is the number of slots `live` accepts, and its
 * free list holds exactly the others. */
bool us_check_pool(us_checker *c, const us_pool *p, us_check_live_fn live, const char *what);

/* True if the slot holds a live record: its map names it (slots outside
 * the pool are not live). Snapshots write only live records. */
bool us_check_ticket_live(const usher_engine *e, uint32_t slot);
bool us_check_queue_live(const usher_engine *e, uint32_t slot);
bool us_check_customer_live(const usher_engine *e, uint32_t slot);
bool us_check_sla_live(const usher_engine *e, uint32_t slot);

/* The router's half (checkroute.c); needs agents and SLA records checked. */
bool us_check_router(us_checker *c);

/* NULL when every invariant holds, else a description of the first one
 * found broken (tests name the invariant they broke). */
const char *us_check(const usher_engine *e);

#endif
