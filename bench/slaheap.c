/* Baseline: SLA clocks in a binary heap (see slaheap.h). */
#include <stdlib.h>

#include "bench.h"
#include "slaheap.h"

void slaheap_init(slaheap *s, const usher_engine *calendars, const slaheap_policy *policies,
                  uint64_t tickets, uint64_t now)
{
    s->calendars = calendars;
    s->policies = policies;
    s->tickets = xcalloc(tickets, sizeof *s->tickets);
    s->count = tickets;
    heap_init(&s->heap, 1024, (uint32_t)(tickets * SLAHEAP_TARGETS));
    s->now = now;
    s->warnings = s->breaches = s->met = 0;
}

void slaheap_free(slaheap *s)
{
    free(s->tickets);
    heap_free(&s->heap);
}

/* The target time at which clock `target` raises its next event. */
static uint64_t threshold(const slaheap_policy *p, unsigned target, unsigned event)
{
    if (event < SLAHEAP_WARNINGS)
        return p->target_ms[target] * p->warning_permille[event] / 1000;
    return p->target_ms[target];
}

/* Files a running clock's next event in the heap (or re-keys it). */
static void arm(slaheap *s, uint64_t ticket, unsigned target, bool filed)
{
    slaheap_ticket *t = &s->tickets[ticket];
    const slaheap_policy *p = &s->policies[t->policy];
    slaheap_clock *c = &t->clock[target];
    uint32_t handle = (uint32_t)(ticket * SLAHEAP_TARGETS + target);
    if (c->next_event > SLAHEAP_WARNINGS) { /* breached: nothing more to raise */
        if (filed)
            heap_remove(&s->heap, handle);
        return;
    }
    uint64_t at = threshold(p, target, c->next_event);
    uint64_t due = c->run_since;
    if (at > c->elapsed)
        CHECK(usher_calendar_add_business(s->calendars, p->calendar, c->run_since, at - c->elapsed,
                                          &due));
    if (filed)
        heap_update(&s->heap, handle, due);
    else
        heap_push(&s->heap, due, handle);
}

void slaheap_start(slaheap *s, uint64_t ticket, uint32_t policy)
{
    slaheap_ticket *t = &s->tickets[ticket];
    t->policy = policy;
    t->live = 1;
    t->paused = 0;
    for (unsigned k = 0; k < SLAHEAP_TARGETS; k++) {
        t->clock[k] = (slaheap_clock){.running = 1, .run_since = s->now};
        arm(s, ticket, k, false);
    }
}

void slaheap_pause(slaheap *s, uint64_t ticket)
{
    slaheap_ticket *t = &s->tickets[ticket];
    const slaheap_policy *p = &s->policies[t->policy];
    t->paused = 1;
    for (unsigned k = 0; k < SLAHEAP_TARGETS; k++) {
        slaheap_clock *c = &t->clock[k];
        if (!c->running)
            continue;
        uint64_t used;
        CHECK(usher_calendar_business_between(s->calendars, p->calendar, c->run_since, s->now,
                                              &used));
        c->elapsed += used;
        c->running = 0;
        uint32_t handle = (uint32_t)(ticket * SLAHEAP_TARGETS + k);
        if (heap_contains(&s->heap, handle))
            heap_remove(&s->heap, handle);
    }
}

void slaheap_resume(slaheap *s, uint64_t ticket)
{
    slaheap_ticket *t = &s->tickets[ticket];
    const slaheap_policy *p = &s->policies[t->policy];
    t->paused = 0;
    for (unsigned k = 0; k < SLAHEAP_TARGETS; k++) {
        slaheap_clock *c = &t->clock[k];
        c->running = 1;
        c->run_since = s->now;
        /* Events whose threshold passed while it ran before fired then. */
        while (c->next_event <= SLAHEAP_WARNINGS && threshold(p, k, c->next_event) <= c->elapsed)
            c->next_event++;
        arm(s, ticket, k, false);
    }
}

/* Solved: every clock stops with its target time folded in (what a
 * report of the ticket, or the "met" event's time left, needs). */
void slaheap_stop(slaheap *s, uint64_t ticket)
{
    slaheap_ticket *t = &s->tickets[ticket];
    const slaheap_policy *p = &s->policies[t->policy];
    for (unsigned k = 0; k < SLAHEAP_TARGETS; k++) {
        slaheap_clock *c = &t->clock[k];
        uint32_t handle = (uint32_t)(ticket * SLAHEAP_TARGETS + k);
        if (heap_contains(&s->heap, handle))
            heap_remove(&s->heap, handle);
        if (c->running) {
            uint64_t used;
            CHECK(usher_calendar_business_between(s->calendars, p->calendar, c->run_since, s->now,
                                                  &used));
            c->elapsed += used;
            c->running = 0;
        }
        if (k == SLAHEAP_TARGETS - 1 && !c->breached) /* resolution, in time */
            s->met++;
    }
    t->live = 0;
}

void slaheap_advance(slaheap *s, uint64_t now)
{
    if (now > s->now)
        s->now = now;
    while (s->heap.size > 0 && heap_top(&s->heap)->key <= s->now) {
        uint32_t handle = heap_top(&s->heap)->handle;
        uint64_t ticket = handle / SLAHEAP_TARGETS;
        unsigned k = handle % SLAHEAP_TARGETS;
        slaheap_clock *c = &s->tickets[ticket].clock[k];
        if (c->next_event < SLAHEAP_WARNINGS) {
            s->warnings++;
        } else {
            s->breaches++;
            c->breached = 1;
        }
        c->next_event++;
        arm(s, ticket, k, true);
    }
}

double slaheap_bytes_per_ticket(const slaheap *s)
{
    double bytes = (double)s->count * sizeof(slaheap_ticket) +
                   (double)s->heap.capacity * sizeof(heap_entry) +
                   (double)s->count * SLAHEAP_TARGETS * sizeof(uint32_t);
    return bytes / (double)s->count;
}
