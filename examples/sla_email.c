/*
 * An e-mail queue with business-hours SLA targets across a weekend and
 * holidays: the clocks count only the hours the help desk is open
 * (Mon-Fri 09:00-17:00 in Berlin, closed on Christmas Eve afternoon,
 * Christmas, Boxing Day and New Year's Day), warnings are held until the
 * desk opens, and a "pending customer" period pauses the resolution clock.
 *
 *   build/examples/sla_email
 */
#define _POSIX_C_SOURCE 200809L /* localtime_r, setenv, tzset */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <usher.h>

#define HOUR_MS (3600 * 1000ULL)
#define CALENDAR 1
#define POLICY 1
#define QUEUE 1
#define EMAIL 0
#define TICKET 1001

static const char *target_names[] = {"first response", "next response", "periodic update",
                                     "resolution"};

/* Local Berlin time of an instant, e.g. "Mon 28 Dec 09:00". */
static const char *local(uint64_t ms, char *buf, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, size, "%a %d %b %H:%M", &tm);
    return buf;
}

static void on_event(void *user, const usher_event *ev)
{
    (void)user;
    char when[32], due[32];
    const char *target = ev->reason >= 0 && ev->reason < 4 ? target_names[ev->reason] : "?";
    switch (ev->type) {
    case USHER_EVENT_SLA_WARNING:
        printf("  %s  warning: %s at %u%% (reached %s)\n", local(ev->time_ms, when, sizeof when),
               target, ev->detail / 10, local(ev->due_ms, due, sizeof due));
        break;
    case USHER_EVENT_SLA_BREACHED:
        printf("  %s  BREACHED: %s (due %s)\n", local(ev->time_ms, when, sizeof when), target,
               local(ev->due_ms, due, sizeof due));
        break;
    case USHER_EVENT_SLA_MET:
        printf("  %s  met: %s with %.1f business hours to spare\n",
               local(ev->time_ms, when, sizeof when), target, (double)ev->value / HOUR_MS);
        break;
    case USHER_EVENT_TICKET_ASSIGNED:
        printf("  %s  ticket %llu assigned to agent %llu\n", local(ev->time_ms, when, sizeof when),
               (unsigned long long)ev->ticket_id, (unsigned long long)ev->agent_id);
        break;
    default:
        break;
    }
}

static void check(usher_status st, const char *what)
{
    if (st != USHER_OK) {
        fprintf(stderr, "sla_email: %s: %s\n", what, usher_strerror(st));
        exit(1);
    }
}

/* 2026-12-DD (or 2027-01-DD when day < 20) at HH:MM Berlin (UTC+1). */
static uint64_t berlin(int day, int hour, int minute)
{
    uint64_t dec1 = 1796083200000ULL; /* 2026-12-01 00:00 UTC */
    uint64_t date = day >= 20 ? dec1 + (uint64_t)(day - 1) * 24 * HOUR_MS
                              : dec1 + (uint64_t)(31 + day - 1) * 24 * HOUR_MS;
    return date + (uint64_t)(hour - 1) * HOUR_MS + (uint64_t)minute * 60000;
}

static void setup_calendar(usher_engine *e)
{
    check(usher_calendar_add(e, CALENDAR, "Europe/Berlin"), "calendar");
    usher_open_hours week[5];
    for (uint32_t d = 0; d < 5; d++)
        week[d] = (usher_open_hours){.weekday = d + 1, .open_minute = 9 * 60, .close_minute = 17 * 60};
    check(usher_calendar_set_hours(e, CALENDAR, week, 5), "hours");
    check(usher_calendar_add_holiday(e, CALENDAR, 2026, 12, 24, 12 * 60, 1440), "Christmas Eve");
    check(usher_calendar_add_holiday(e, CALENDAR, 2026, 12, 25, 0, 1440), "Christmas");
    check(usher_calendar_add_holiday(e, CALENDAR, 2026, 12, 26, 0, 1440), "Boxing Day");
    check(usher_calendar_add_holiday(e, CALENDAR, 2027, 1, 1, 0, 1440), "New Year");
}

static void setup_policy(usher_engine *e)
{
    usher_sla_policy_def p;
    usher_sla_policy_def_init(&p);
    p.flags = USHER_SLA_HOLD_EVENTS;
    p.target_mask = 1u << USHER_SLA_FIRST_RESPONSE | 1u << USHER_SLA_RESOLUTION;
    p.business_mask = p.target_mask;
    p.pause_mask = 1u << USHER_SLA_RESOLUTION;
    p.target_ms[USHER_SLA_FIRST_RESPONSE] = 8 * HOUR_MS;
    p.target_ms[USHER_SLA_RESOLUTION] = 24 * HOUR_MS;
    p.calendar = CALENDAR;
    p.warning_count = 2;
    p.warning_permille[0] = 500;
    p.warning_permille[1] = 900;
    check(usher_sla_policy_add(e, POLICY, &p), "policy");
    check(usher_sla_set_rules(e, NULL, 0, POLICY), "rules");
}

static void report_due(usher_engine *e, uint32_t target)
{
    usher_sla_target_info info = {.struct_size = sizeof info};
    check(usher_sla_get(e, TICKET, target, &info), "sla_get");
    char due[32];
    printf("    %s due %s (%.1f business hours left)\n", target_names[target],
           info.due_ms == USHER_TIME_NEVER ? "-" : local(info.due_ms, due, sizeof due),
           (double)info.remaining_ms / HOUR_MS);
}

static void at(usher_engine *e, uint64_t t, const char *what)
{
    check(usher_advance(e, t), "advance");
    char when[32];
    printf("  %s  %s\n", local(t, when, sizeof when), what);
}

int main(void)
{
    setenv("TZ", "Europe/Berlin", 1); /* for printing local times only */
    tzset();
    usher_config cfg;
    usher_config_init(&cfg);
    cfg.start_ms = berlin(23, 8, 0);
    usher_engine *e;
    check(usher_engine_new(&cfg, &e), "engine");
    check(usher_set_event_handler(e, on_event, NULL), "handler");
    setup_calendar(e);
    setup_policy(e);

    usher_channel_def mail;
    usher_channel_def_init(&mail);
    mail.max_per_agent = 5;
    check(usher_channel_add(e, EMAIL, &mail), "channel");
    usher_queue_def q;
    usher_queue_def_init(&q);
    q.order = USHER_ORDER_SLA_DEADLINE;
    check(usher_queue_add(e, QUEUE, &q), "queue");
    check(usher_agent_add(e, 7, 5), "agent");

    printf("An e-mail arrives on Wednesday afternoon before Christmas:\n");
    at(e, berlin(23, 16, 0), "e-mail received; the desk closes at 17:00");
    usher_sla_spec sla;
    usher_sla_spec_init(&sla);
    sla.channel = EMAIL;
    sla.queue = QUEUE;
    check(usher_sla_start(e, TICKET, &sla), "sla_start");
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = QUEUE;
    spec.channel = EMAIL;
    check(usher_ticket_submit(e, TICKET, &spec), "submit");
    report_due(e, USHER_SLA_FIRST_RESPONSE);
    report_due(e, USHER_SLA_RESOLUTION);

    printf("Nobody logs in before the holidays; events wait for open hours:\n");
    check(usher_advance(e, berlin(28, 9, 30)), "advance");
    at(e, berlin(28, 9, 30), "the agent logs in after the holidays");
    check(usher_agent_set_state(e, 7, USHER_AGENT_AVAILABLE, 0), "login");
    at(e, berlin(28, 10, 0), "the agent replies, asks the customer for details");
    check(usher_sla_report(e, TICKET, USHER_SLA_AGENT_REPLY), "reply");
    check(usher_sla_report(e, TICKET, USHER_SLA_PENDING_CUSTOMER), "pending");
    report_due(e, USHER_SLA_RESOLUTION);
    at(e, berlin(30, 14, 0), "the customer answers; the resolution clock runs again");
    check(usher_sla_report(e, TICKET, USHER_SLA_RESUMED), "resumed");
    report_due(e, USHER_SLA_RESOLUTION);
    check(usher_advance(e, berlin(5, 12, 0)), "advance");
    at(e, berlin(5, 12, 0), "solved");
    check(usher_sla_report(e, TICKET, USHER_SLA_SOLVED), "solved");
    check(usher_ticket_complete(e, TICKET, 0), "complete");
    check(usher_sla_forget(e, TICKET), "forget");

    usher_sla_stats stats = {.struct_size = sizeof stats};
    check(usher_sla_policy_stats(e, POLICY, &stats), "stats");
    printf("Policy: first response met %llu, breached %llu; resolution met %llu, breached %llu\n",
           (unsigned long long)stats.met[USHER_SLA_FIRST_RESPONSE],
           (unsigned long long)stats.breached[USHER_SLA_FIRST_RESPONSE],
           (unsigned long long)stats.met[USHER_SLA_RESOLUTION],
           (unsigned long long)stats.breached[USHER_SLA_RESOLUTION]);
    usher_engine_free(e);
    return 0;
}
