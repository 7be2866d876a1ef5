/*
 * Baseline: SLA clocks as a plain tracker keeps them, one binary-heap
 * entry (heap.h) per running clock holding the instant of its next warning
 * or breach. Business time comes from the same engine's calendars through
 * the public calls usher_calendar_add_business and
 * usher_calendar_business_between, so both sides do the same calendar
 * arithmetic and differ in how they keep deadlines and records.
 *
 * It covers what the `sla` scenario exercises: a policy of three targets
 * (first response, periodic update, resolution) in business time with
 * three warnings, pausing all three; start, pause ("pending customer"),
 * resume, stop ("solved": resolution met unless breached), and advancing
 * the clock (warnings and breaches in deadline order).
 */
#ifndef USHER_BENCH_SLAHEAP_H
#define USHER_BENCH_SLAHEAP_H

#include "heap.h"
#include "usher.h"

#define SLAHEAP_TARGETS 3
#define SLAHEAP_WARNINGS 3

typedef struct slaheap_policy {
    uint32_t calendar;
    uint64_t target_ms[SLAHEAP_TARGETS];
    uint32_t warning_permille[SLAHEAP_WARNINGS];
} slaheap_policy;

typedef struct slaheap_clock {
    uint8_t running, breached;
    uint8_t next_event; /* warnings 0 .. 2, then 3: the breach */
    uint64_t elapsed;   /* business ms before run_since */
    uint64_t run_since;
} slaheap_clock;

typedef struct slaheap_ticket {
    uint32_t policy;
    uint8_t live, paused;
    slaheap_clock clock[SLAHEAP_TARGETS];
} slaheap_ticket;

typedef struct slaheap {
    const usher_engine *calendars;
    const slaheap_policy *policies;
    slaheap_ticket *tickets; /* by ticket index */
    uint64_t count;
    bheap heap; /* handle: ticket index * SLAHEAP_TARGETS + target */
    uint64_t now;
    uint64_t warnings, breaches, met;
} slaheap;

void slaheap_init(slaheap *s, const usher_engine *calendars, const slaheap_policy *policies,
                  uint64_t tickets, uint64_t now);
void slaheap_free(slaheap *s);
void slaheap_start(slaheap *s, uint64_t ticket, uint32_t policy);
void slaheap_pause(slaheap *s, uint64_t ticket);
void slaheap_resume(slaheap *s, uint64_t ticket);
void slaheap_stop(slaheap *s, uint64_t ticket);
/* Moves the clock to now, raising every warning and breach due. */
void slaheap_advance(slaheap *s, uint64_t now);
/* Bytes the tracker holds per ticket. */
double slaheap_bytes_per_ticket(const slaheap *s);

#endif
