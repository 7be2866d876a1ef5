/*
 * Scenario `routing`: the whole path of a ticket, end to end, with SLA
 * clocks on (see drive.h for the steps and workload.h for the model):
 * tickets per second over the timed steps, the latency of every call that
 * made an assignment, bytes per agent and per waiting ticket from the
 * counting allocator, peak RSS. Then the same steps again without SLA
 * clocks ("routing only"), and the linear-scan baseline over the same
 * model and steps (it has no SLA clocks): `speedup` is routing only over
 * the baseline, the same work on both sides.
 */
#include <stdio.h>

#include "drive.h"

int bench_routing(const bench_opts *o)
{
    workload *w = workload_new(o);
    if (!w)
        return 2;
    drive_figures u, n, b;
    drive_usher(o, w, true, o->tickets, &u);
    drive_usher(o, w, false, o->tickets, &n);
    drive_linear(o, w, o->baseline_tickets < o->tickets ? o->baseline_tickets : o->tickets, &b);

    double p50 = hist_quantile_ns(u.decision, 0.50), p99 = hist_quantile_ns(u.decision, 0.99);
    double mx = hist_max_ns(u.decision);
    double bp50 = hist_quantile_ns(b.decision, 0.50), bp99 = hist_quantile_ns(b.decision, 0.99);
    double bmx = hist_max_ns(b.decision);
    double np50 = hist_quantile_ns(n.decision, 0.50), np99 = hist_quantile_ns(n.decision, 0.99);
    double speedup = n.steps_per_sec / b.steps_per_sec;

    report *r = report_new("routing", o->json);
    report_int(r, "agents", w->agents);
    report_int(r, "skills", w->skills);
    report_int(r, "agent_skills", w->agent_skills);
    report_int(r, "sets", w->sets);
    report_int(r, "backlog", o->backlog);
    report_int(r, "tickets", o->tickets);
    report_int(r, "seed", o->seed);
    report_num(r, "tickets_per_sec", u.steps_per_sec);
    report_num(r, "decision_ns_p50", p50);
    report_num(r, "decision_ns_p99", p99);
    report_num(r, "decision_ns_max", mx);
    report_num(r, "bytes_per_ticket", u.bytes_per_ticket);
    report_num(r, "bytes_per_agent", u.bytes_per_agent);
    report_int(r, "peak_rss_bytes", u.peak_rss);
    report_int(r, "decisions", u.decisions);
    report_int(r, "decisions_at_submit", u.at_submit);
    report_num(r, "filed_ns_p50", hist_quantile_ns(u.filed, 0.5));
    report_num(r, "filed_ns_p99", hist_quantile_ns(u.filed, 0.99));
    report_int(r, "waiting_at_end", u.waiting_end);
    report_int(r, "sla_warnings", u.sla_warnings);
    report_int(r, "sla_breaches", u.sla_breaches);
    report_num(r, "routing_only_tickets_per_sec", n.steps_per_sec);
    report_num(r, "routing_only_decision_ns_p50", np50);
    report_num(r, "routing_only_decision_ns_p99", np99);
    report_num(r, "routing_only_bytes_per_ticket", n.bytes_per_ticket);
    report_num(r, "sets_per_agent", w->sets_per_agent);
    report_str(r, "baseline", "linear_scan");
    report_int(r, "baseline_tickets", b.steps);
    report_num(r, "baseline_tickets_per_sec", b.steps_per_sec);
    report_num(r, "baseline_decision_ns_p50", bp50);
    report_num(r, "baseline_decision_ns_p99", bp99);
    report_num(r, "baseline_decision_ns_max", bmx);
    report_num(r, "speedup", speedup);
    report_num(r, "timing_overhead_ns", timing_overhead_ns());

    char a[32], bb[32], s[32], t[32], g[64];
    report_title(r,
                 "routing: %u agents, %u skills (%u each), %u requirement sets, %llu waiting, "
                 "%llu tickets, seed %llu\n"
                 "  baseline: linear-scan router (every agent looked at for every ticket, no SLA "
                 "clocks), %llu tickets, same process",
                 w->agents, w->skills, w->agent_skills, w->sets, (unsigned long long)o->backlog,
                 (unsigned long long)o->tickets, (unsigned long long)o->seed,
                 (unsigned long long)b.steps);
    snprintf(g, sizeof g, ">= 1,000,000: %s", fmt_target(t, u.steps_per_sec, 1e6, false));
    report_row(r, "tickets/s end to end, SLA clocks on", fmt_count(a, u.steps_per_sec), NULL, NULL, g);
    snprintf(g, sizeof g, "speedup >= 100x: %s", fmt_target(t, speedup, 100, false));
    report_row(r, "tickets/s, routing only", fmt_count(a, n.steps_per_sec),
               fmt_count(bb, b.steps_per_sec), fmt_ratio(s, speedup), g);
    report_row(r, "decision p50", fmt_ns(a, p50), fmt_ns(bb, bp50), fmt_ratio(s, bp50 / p50), NULL);
    snprintf(g, sizeof g, "<= 5 us: %s", fmt_target(t, p99, 5000, true));
    report_row(r, "decision p99", fmt_ns(a, p99), fmt_ns(bb, bp99), fmt_ratio(s, bp99 / p99), g);
    report_row(r, "decision p50 / p99, routing only", fmt_ns(a, np50), NULL, NULL, NULL);
    report_row(r, "", fmt_ns(a, np99), NULL, NULL, NULL);
    report_row(r, "decision max", fmt_ns(a, mx), fmt_ns(bb, bmx), NULL, NULL);
    report_row(r, "submit, filed (no agent) p99", fmt_ns(a, hist_quantile_ns(u.filed, 0.99)),
               fmt_ns(bb, hist_quantile_ns(b.filed, 0.99)), NULL, NULL);
    snprintf(g, sizeof g, "<= 256 B: %s", fmt_target(t, u.bytes_per_ticket, 256, true));
    report_row(r, "bytes per waiting ticket+SLA", fmt_bytes(a, u.bytes_per_ticket), NULL, NULL, g);
    report_row(r, "  without SLA clocks", fmt_bytes(a, n.bytes_per_ticket), NULL, NULL, NULL);
    snprintf(g, sizeof g, "<= 1 KiB: %s", fmt_target(t, u.bytes_per_agent, 1024, true));
    report_row(r, "bytes per agent", fmt_bytes(a, u.bytes_per_agent), NULL, NULL, g);
    report_row(r, "peak RSS", fmt_bytes(a, (double)u.peak_rss), NULL, NULL, NULL);
    report_note(r, "an agent has the skills of %.1f sets on average; warm-ups %.1f s (usher), %.1f s "
                   "(routing only), %.1f s (baseline)",
                w->sets_per_agent, u.warmup_s, n.warmup_s, b.warmup_s);
    report_note(r,
                "usher: %llu decisions (%llu at submit), %llu waiting at the end; "
                "SLA: %llu warnings, %llu breaches; %.2f s timed",
                (unsigned long long)u.decisions, (unsigned long long)u.at_submit,
                (unsigned long long)u.waiting_end, (unsigned long long)u.sla_warnings,
                (unsigned long long)u.sla_breaches, u.wall_s);
    report_note(r, "baseline: %llu decisions (%llu at submit), %llu waiting at the end; %.2f s timed",
                (unsigned long long)b.decisions, (unsigned long long)b.at_submit,
                (unsigned long long)b.waiting_end, b.wall_s);
    report_end(r);

    drive_free(&u);
    drive_free(&n);
    drive_free(&b);
    workload_free(w);
    return 0;
}
