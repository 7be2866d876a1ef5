/*
 * The routing driver shared by `routing` and `backlog`: a warm-up that
 * fills every agent and leaves a backlog waiting, then timed steps, for
 * usher and for the linear-scan baseline over the same model.
 *
 * Warm-up: one ticket per simulated ms (a random set, see workload.h)
 * until `backlog` tickets wait. A timed step advances the clock by
 * WL_STEP_MS (usher_advance: SLA warnings and breaches fire there), then
 *
 *   - finishes a random assigned ticket: with SLA clocks, usher_sla_report
 *     AGENT_REPLY and SOLVED; usher_ticket_complete (timed alone: its
 *     agent's freed capacity takes the next waiting ticket, a decision);
 *     with SLA clocks, usher_sla_forget;
 *   - submits a new ticket of the same channel (so each channel's load
 *     stays where the warm-up put it): usher_ticket_submit (timed alone: a
 *     decision if an agent takes it at once, else "filed"); with SLA
 *     clocks, usher_sla_start under a policy of three targets (first
 *     response 15 min, periodic update 1 h, resolution 4 h, calendar
 *     time) with warnings at 50, 75 and 90 %.
 *
 * The baseline does the same steps without SLA clocks (it has none; that
 * favours it).
 */
#ifndef USHER_BENCH_DRIVE_H
#define USHER_BENCH_DRIVE_H

#include "workload.h"

typedef struct drive_figures {
    uint64_t steps, decisions, at_submit, waiting_end;
    double wall_s, steps_per_sec, warmup_s;
    hist *decision; /* calls that made an assignment */
    hist *filed;    /* submits that found no agent */
    hist *idle;     /* completes whose agent found no ticket */
    /* usher only */
    double bytes_per_agent, bytes_per_ticket;
    uint64_t sla_warnings, sla_breaches, peak_rss;
} drive_figures;

void drive_usher(const bench_opts *o, const workload *w, bool with_sla, uint64_t steps,
                 drive_figures *out);
void drive_linear(const bench_opts *o, const workload *w, uint64_t steps, drive_figures *out);
void drive_free(drive_figures *f);

#endif
