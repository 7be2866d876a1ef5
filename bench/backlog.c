/*
 * Scenario `backlog`: the cost of picking the next ticket when a million
 * wait. The warm-up of drive.h leaves --backlog tickets (default 10^6)
 * waiting over the requirement sets; then agents free up one at a time
 * (--tickets steps, default 10^5): each step completes a random assigned
 * ticket (timed: the freed agent picks the next waiting ticket, a
 * decision) and submits a new one of the same channel (timed apart), so
 * the backlog stays where it is. No SLA clocks here: the pick alone.
 * Beside it, the linear-scan baseline with the same backlog.
 */
#include <stdio.h>

#include "drive.h"

int bench_backlog(const bench_opts *o)
{
    workload *w = workload_new(o);
    if (!w)
        return 2;
    drive_figures u, b;
    drive_usher(o, w, false, o->tickets, &u);
    drive_linear(o, w, o->baseline_tickets < o->tickets ? o->baseline_tickets : o->tickets, &b);

    double p50 = hist_quantile_ns(u.decision, 0.50), p99 = hist_quantile_ns(u.decision, 0.99);
    double mx = hist_max_ns(u.decision);
    double bp50 = hist_quantile_ns(b.decision, 0.50), bp99 = hist_quantile_ns(b.decision, 0.99);
    double bmx = hist_max_ns(b.decision);
    double fp50 = hist_quantile_ns(u.filed, 0.50), fp99 = hist_quantile_ns(u.filed, 0.99);
    double speedup = bp50 / p50;

    report *r = report_new("backlog", o->json);
    report_int(r, "agents", w->agents);
    report_int(r, "skills", w->skills);
    report_int(r, "agent_skills", w->agent_skills);
    report_int(r, "sets", w->sets);
    report_int(r, "backlog", o->backlog);
    report_int(r, "tickets", o->tickets);
    report_int(r, "seed", o->seed);
    report_num(r, "decision_ns_p50", p50);
    report_num(r, "decision_ns_p99", p99);
    report_num(r, "decision_ns_max", mx);
    report_int(r, "decisions", u.decisions);
    report_num(r, "filed_ns_p50", fp50);
    report_num(r, "filed_ns_p99", fp99);
    report_num(r, "bytes_per_ticket", u.bytes_per_ticket);
    report_int(r, "waiting_at_end", u.waiting_end);
    report_int(r, "peak_rss_bytes", u.peak_rss);
    report_str(r, "baseline", "linear_scan");
    report_int(r, "baseline_tickets", b.steps);
    report_num(r, "baseline_decision_ns_p50", bp50);
    report_num(r, "baseline_decision_ns_p99", bp99);
    report_num(r, "baseline_decision_ns_max", bmx);
    report_num(r, "speedup", speedup);
    report_num(r, "timing_overhead_ns", timing_overhead_ns());

    char a[32], bb[32], s[32], t[32], g[64];
    report_title(r,
                 "backlog: %llu waiting over %u requirement sets, %u agents freeing capacity one "
                 "at a time, %llu decisions, seed %llu\n"
                 "  baseline: linear-scan router, %llu decisions, same process; speedup = "
                 "baseline p50 / usher p50",
                 (unsigned long long)o->backlog, w->sets, w->agents,
                 (unsigned long long)o->tickets, (unsigned long long)o->seed,
                 (unsigned long long)b.steps);
    report_row(r, "decision p50", fmt_ns(a, p50), fmt_ns(bb, bp50), fmt_ratio(s, speedup), NULL);
    snprintf(g, sizeof g, "<= 5 us: %s", fmt_target(t, p99, 5000, true));
    report_row(r, "decision p99", fmt_ns(a, p99), fmt_ns(bb, bp99), fmt_ratio(s, bp99 / p99), g);
    report_row(r, "decision max", fmt_ns(a, mx), fmt_ns(bb, bmx), NULL, NULL);
    report_row(r, "submit, filed p50", fmt_ns(a, fp50), fmt_ns(bb, hist_quantile_ns(b.filed, 0.5)),
               NULL, NULL);
    report_row(r, "submit, filed p99", fmt_ns(a, fp99), fmt_ns(bb, hist_quantile_ns(b.filed, 0.99)),
               NULL, NULL);
    report_row(r, "bytes per waiting ticket", fmt_bytes(a, u.bytes_per_ticket), NULL, NULL,
               "(no SLA clocks here)");
    report_row(r, "peak RSS", fmt_bytes(a, (double)u.peak_rss), NULL, NULL, NULL);
    report_note(r,
                "usher: %llu decisions, %llu completes found nothing to take, %llu waiting at the "
                "end; warm-up %.1f s",
                (unsigned long long)u.decisions, (unsigned long long)u.idle->count,
                (unsigned long long)u.waiting_end, u.warmup_s);
    report_note(r, "baseline: %llu decisions, %llu waiting at the end; warm-up %.1f s",
                (unsigned long long)b.decisions, (unsigned long long)b.waiting_end, b.warmup_s);
    report_end(r);

    drive_free(&u);
    drive_free(&b);
    workload_free(w);
    return 0;
}
