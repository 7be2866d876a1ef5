/*
 * A host that drives usher from a stream of helpdesk events, one per line,
 * and prints what usher decides: who gets which ticket, offers and their
 * answers, SLA warnings, breaches and targets met, tickets closed.
 *
 *   helpdesk_host [FILE]      FILE, or standard input when FILE is absent or "-"
 *   helpdesk_host examples/data/helpdesk.txt
 *
 * The helpdesk itself is fixed in this program, as a host's configuration
 * would be:
 *
 *   channels  email: 1 capacity unit, at most 4 per agent, no wrap-up;
 *             chat: 1 unit, at most 2 per agent, 30 s wrap-up.
 *   agents    4 capacity units each.
 *   queues    support: e-mails ordered by SLA deadline, to the agent idle
 *               longest;
 *             billing: by priority (ageing 1 point per 10 s), to the best
 *               skill match;
 *             chat: offered to the agent with the most free capacity; an
 *               offer waits 30 s for "accept" or "decline".
 *   calendar  Europe/London, Monday to Friday 08:00-18:00.
 *   SLA       email: first response 1 h, next response 2 h, resolution 8 h
 *               of business hours, warning at 75 %;
 *             urgent email: 15 min, 1 h and 4 h of business hours, 75 %;
 *             chat: first response 2 min, resolution 30 min of calendar
 *               time, warning at 50 %.
 *             "pending" pauses the resolution clock.
 *
 * Input. One event per line; words are separated by spaces or tabs, '#'
 * starts a comment, blank lines are ignored. Each event starts with its
 * time in UTC as YYYY-MM-DDTHH:MM:SSZ (e.g. 2026-11-02T09:00:05Z); times
 * never go back.
 *
 *   TIME login AGENT [SKILL[:LEVEL]...]   the agent logs in; the skills (level
 *                                          1-10, default 5) replace its
 *                                          previous ones, if any are given
 *   TIME away AGENT REASON                break, lunch, meeting or training
 *   TIME back AGENT                       back from away
 *   TIME logout AGENT                     its tickets go back to their queues
 *   TIME ticket ID QUEUE CHANNEL PRIORITY [SKILL[:LEVEL]...]
 *                                          a new ticket: QUEUE support, billing
 *                                          or chat; CHANNEL email or chat;
 *                                          PRIORITY low, normal, high or urgent;
 *                                          the skills an agent needs, at LEVEL
 *                                          or above (default 1)
 *   TIME accept AGENT ID                  the agent accepts the ticket offered
 *   TIME decline AGENT ID                 the agent declines it
 *   TIME reply ID                         an agent replied to the customer
 *   TIME pending ID                       waiting for the customer
 *   TIME customer ID                      the customer wrote (ends "pending")
 *   TIME solved ID                        the ticket is solved and closed
 *   TIME abandon ID                       the customer gave up waiting
 *   TIME tick                             nothing happened; time passes
 *
 * AGENT is a name of 1 to 31 letters, digits, '.', '_' or '-'; usher never
 * sees it, only the number this host gives each agent. SKILL is a name of
 * the same characters, up to 63. ID is a ticket number from 1 to
 * 18446744073709551615.
 *
 * Output. One line per decision, prefixed with its time (UTC); a line
 * "== Monday 2 November 2026 ==" opens each day. At the end, each queue's
 * counters and each SLA policy's targets met and breached.
 *
 * A line that cannot be parsed, or that usher refuses (an unknown ticket, an
 * agent logged in twice), is reported on stderr as FILE:LINE: message and
 * skipped; the clock moves only for lines that parse.
 *
 * Exit status: 0; 1 if any line was bad; 2 for a usage error, an input that
 * cannot be read, or a helpdesk that cannot be set up (no tzdata).
 */
#define _POSIX_C_SOURCE 200809L /* isatty */

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "usher.h"

#define SEC_MS UINT64_C(1000)
#define MIN_MS UINT64_C(60000)
#define HOUR_MS UINT64_C(3600000)
#define DAY_MS UINT64_C(86400000)

#define LINE_MAX_BYTES 1024 /* a line's bytes, newline included */
#define MAX_WORDS 40
#define MAX_AGENTS 256
#define AGENT_NAME_MAX 31
#define AGENT_CAPACITY 4
#define AGENT_DEFAULT_LEVEL 5
#define CALENDAR 1

/* ------------------------------------------------------------------------
 * The helpdesk's names and numbers
 * ------------------------------------------------------------------------ */

typedef struct named {
    const char *name;
    uint32_t value;
} named;

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum { EMAIL = 0, CHAT = 1 };
enum { SUPPORT = 1, BILLING = 2, CHAT_QUEUE = 3 };
enum { POLICY_EMAIL = 1, POLICY_URGENT = 2, POLICY_CHAT = 3 };
#define URGENT 300u

static const named channels[] = {{"email", EMAIL}, {"chat", CHAT}};
static const named queues[] = {{"support", SUPPORT}, {"billing", BILLING}, {"chat", CHAT_QUEUE}};
static const named priorities[] = {{"low", 0}, {"normal", 100}, {"high", 200}, {"urgent", URGENT}};
static const named away_reasons[] = {{"break", 1}, {"lunch", 2}, {"meeting", 3}, {"training", 4}};
static const named policies[] = {
    {"email", POLICY_EMAIL}, {"urgent email", POLICY_URGENT}, {"chat", POLICY_CHAT}};
static const char *const target_names[] = {"first response", "next response", "periodic update",
                                           "resolution"};

static bool lookup(const named *table, size_t count, const char *word, uint32_t *value)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(table[i].name, word) == 0) {
            *value = table[i].value;
            return true;
        }
    return false;
}

static const char *name_of(const named *table, size_t count, int64_t value)
{
    for (size_t i = 0; i < count; i++)
        if (table[i].value == value)
            return table[i].name;
    return "?";
}

static const char *target_name(int32_t target)
{
    return target >= 0 && (uint32_t)target < USHER_SLA_TARGETS ? target_names[target] : "?";
}

/* ------------------------------------------------------------------------
 * The host's state
 * ------------------------------------------------------------------------ */

typedef struct host {
    usher_engine *engine;
    const char *input_name;
    unsigned long line;       /* the number of the line being handled */
    unsigned long bad_lines;
    bool clock_started;       /* a line has set the clock */
    uint64_t now_ms;          /* the time of the last line that parsed */
    int64_t shown_day;        /* the day of the last "==" header, -1 for none */
    /* Agent number i + 1 is called agents[i]: usher sees the numbers only. */
    char agents[MAX_AGENTS][AGENT_NAME_MAX + 1];
    uint32_t agent_count;
} host;

/* Reports the current line as bad on stderr; returns false. */
static bool bad(host *h, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s:%lu: ", h->input_name, h->line);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    return false;
}

/* True for USHER_OK; otherwise reports the line with what usher said. */
static bool accepted(host *h, usher_status status, const char *what, const char *object)
{
    if (status == USHER_OK)
        return true;
    return bad(h, "%s %s: %s (%s)", what, object, usher_strerror(status),
               usher_status_name(status));
}

static const char *agent_name(const host *h, uint64_t agent_id)
{
    return agent_id >= 1 && agent_id <= h->agent_count ? h->agents[agent_id - 1] : "?";
}

/* ------------------------------------------------------------------------
 * Time: UTC civil dates <-> ms since 1970
 * ------------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (years from 1970).
 * Counted in 400-year eras of 146097 days, with the year starting in March
 * so that the leap day is the last day of its year. */
static int64_t days_from_civil(int64_t year, uint32_t month, uint32_t day)
{
    int64_t y = month <= 2 ? year - 1 : year;
    int64_t era = y / 400;
    int64_t year_of_era = y - era * 400;
    int64_t march_month = month > 2 ? month - 3 : month + 9;
    int64_t day_of_year = (153 * march_month + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

typedef struct civil {
    int64_t year;
    uint32_t month, day, weekday; /* weekday: 0 = Sunday */
} civil;

/* The inverse of days_from_civil, for days >= 0. */
static civil civil_from_days(int64_t days)
{
    int64_t z = days + 719468;
    int64_t era = z / 146097;
    int64_t day_of_era = z - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t march_month = (5 * day_of_year + 2) / 153;
    civil c;
    c.day = (uint32_t)(day_of_year - (153 * march_month + 2) / 5 + 1);
    c.month = (uint32_t)(march_month < 10 ? march_month + 3 : march_month - 9);
    c.year = year_of_era + era * 400 + (c.month <= 2);
    c.weekday = (uint32_t)((days + 4) % 7); /* 1970-01-01 was a Thursday */
    return c;
}

static bool leap_year(int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static uint32_t days_in_month(int64_t year, uint32_t month)
{
    static const uint32_t days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && leap_year(year) ? 29 : days[month - 1];
}

/* The number in text[0 .. width - 1], which must be decimal digits. */
static bool fixed_digits(const char *text, int width, uint32_t *value)
{
    uint32_t v = 0;
    for (int i = 0; i < width; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(text[i] - '0');
    }
    *value = v;
    return true;
}

/* Parses YYYY-MM-DDTHH:MM:SSZ (years 1970 to 9999) into ms since 1970. */
static bool parse_time(const char *text, uint64_t *ms)
{
    uint32_t year, month, day, hour, minute, second;
    if (strlen(text) != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
        text[13] != ':' || text[16] != ':' || text[19] != 'Z')
        return false;
    if (!fixed_digits(text, 4, &year) || !fixed_digits(text + 5, 2, &month) ||
        !fixed_digits(text + 8, 2, &day) || !fixed_digits(text + 11, 2, &hour) ||
        !fixed_digits(text + 14, 2, &minute) || !fixed_digits(text + 17, 2, &second))
        return false;
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour > 23 || minute > 59 || second > 59)
        return false;
    uint64_t days = (uint64_t)days_from_civil(year, month, day);
    *ms = days * DAY_MS + hour * HOUR_MS + minute * MIN_MS + second * SEC_MS;
    return true;
}

/* "09:05:30" */
static const char *clock_text(uint64_t ms, char *buf, size_t size)
{
    uint64_t s = ms % DAY_MS / SEC_MS;
    snprintf(buf, size, "%02u:%02u:%02u", (unsigned)(s / 3600), (unsigned)(s / 60 % 60),
             (unsigned)(s % 60));
    return buf;
}

static const char *const weekdays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                       "Thursday", "Friday", "Saturday"};
static const char *const months[] = {"January", "February", "March",     "April",
                                     "May",     "June",     "July",      "August",
                                     "September", "October", "November", "December"};

/* "2026-11-02T09:05:30Z", as the input writes it. */
static const char *iso_text(uint64_t ms, char *buf, size_t size)
{
    civil c = civil_from_days((int64_t)(ms / DAY_MS));
    char clock[16];
    snprintf(buf, size, "%04" PRId64 "-%02u-%02uT%sZ", c.year, c.month, c.day,
             clock_text(ms, clock, sizeof clock));
    return buf;
}

/* A time the host prints after "due" or "until": "09:05:30" on the current
 * line's day, "Tue 3 Nov 09:05:30" on another. */
static const char *when_text(const host *h, uint64_t ms, char *buf, size_t size)
{
    char clock[16];
    clock_text(ms, clock, sizeof clock);
    if (ms / DAY_MS == h->now_ms / DAY_MS) {
        snprintf(buf, size, "%s", clock);
    } else {
        civil c = civil_from_days((int64_t)(ms / DAY_MS));
        snprintf(buf, size, "%.3s %u %.3s %s", weekdays[c.weekday], c.day, months[c.month - 1],
                 clock);
    }
    return buf;
}

/* A duration: "12 s", "4 min 05 s", "2 h 07 min". */
static const char *span_text(uint64_t ms, char *buf, size_t size)
{
    uint64_t s = ms / SEC_MS;
    if (s < 60)
        snprintf(buf, size, "%" PRIu64 " s", s);
    else if (s < 3600)
        snprintf(buf, size, "%" PRIu64 " min %02" PRIu64 " s", s / 60, s % 60);
    else
        snprintf(buf, size, "%" PRIu64 " h %02" PRIu64 " min", s / 3600, s / 60 % 60);
    return buf;
}

/* Prints one line of output at time `ms`, after a day header when the day
 * changes. */
static void say(host *h, uint64_t ms, const char *format, ...)
{
    int64_t day = (int64_t)(ms / DAY_MS);
    if (day != h->shown_day) {
        civil c = civil_from_days(day);
        printf("== %s %u %s %" PRId64 " ==\n", weekdays[c.weekday], c.day, months[c.month - 1],
               c.year);
        h->shown_day = day;
    }
    char clock[16];
    printf("%s  ", clock_text(ms, clock, sizeof clock));
    va_list args;
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    putchar('\n');
}

/* ------------------------------------------------------------------------
 * Events: what usher decided
 * ------------------------------------------------------------------------ */

static void say_agent_state(host *h, const usher_event *ev)
{
    const char *agent = agent_name(h, ev->agent_id);
    if (ev->value == USHER_AGENT_AVAILABLE)
        say(h, ev->time_ms, "%s is available", agent);
    else if (ev->value == USHER_AGENT_OFFLINE)
        say(h, ev->time_ms, "%s logged out", agent);
    else if (ev->reason == USHER_AWAY_NO_ANSWER)
        say(h, ev->time_ms, "%s is set away: missed offers in a row", agent);
    else
        say(h, ev->time_ms, "%s is away (%s)", agent,
            name_of(away_reasons, COUNT(away_reasons), ev->reason));
}

static void say_sla(host *h, const usher_event *ev)
{
    char span[32], due[40];
    const char *target = target_name(ev->reason);
    if (ev->type == USHER_EVENT_SLA_WARNING)
        say(h, ev->time_ms, "ticket %" PRIu64 ": %s at %u%%, %s left", ev->ticket_id, target,
            ev->detail / 10, span_text((uint64_t)ev->value, span, sizeof span));
    else if (ev->type == USHER_EVENT_SLA_BREACHED)
        say(h, ev->time_ms, "ticket %" PRIu64 ": %s BREACHED (due %s)", ev->ticket_id, target,
            when_text(h, ev->due_ms, due, sizeof due));
    else
        say(h, ev->time_ms, "ticket %" PRIu64 ": %s met, %s to spare", ev->ticket_id, target,
            span_text((uint64_t)ev->value, span, sizeof span));
}

static void say_ticket(host *h, const usher_event *ev)
{
    char span[32], until[40];
    const char *agent = agent_name(h, ev->agent_id);
    uint64_t id = ev->ticket_id;
    switch (ev->type) {
    case USHER_EVENT_TICKET_ASSIGNED:
        say(h, ev->time_ms, "ticket %" PRIu64 " -> %s (%s, waited %s)", id, agent,
            name_of(channels, COUNT(channels), ev->reason),
            span_text((uint64_t)ev->value, span, sizeof span));
        break;
    case USHER_EVENT_TICKET_OFFERED:
        say(h, ev->time_ms, "ticket %" PRIu64 " offered to %s (answer by %s)", id, agent,
            when_text(h, (uint64_t)ev->value, until, sizeof until));
        break;
    case USHER_EVENT_OFFER_REJECTED:
        say(h, ev->time_ms, "%s declined ticket %" PRIu64, agent, id);
        break;
    case USHER_EVENT_OFFER_EXPIRED:
        say(h, ev->time_ms, "%s did not answer the offer of ticket %" PRIu64 " (%" PRId64
            " missed in a row)", agent, id, ev->value);
        break;
    case USHER_EVENT_TICKET_REQUEUED:
        say(h, ev->time_ms, "ticket %" PRIu64 " is back in its queue: %s left", id, agent);
        break;
    case USHER_EVENT_TICKET_ABANDONED:
        say(h, ev->time_ms, "ticket %" PRIu64 " abandoned after waiting %s", id,
            span_text((uint64_t)ev->value, span, sizeof span));
        break;
    default: /* USHER_EVENT_TICKET_COMPLETED */
        if (ev->agent_id == 0)
            say(h, ev->time_ms, "ticket %" PRIu64 " closed before an agent took it", id);
        else
            say(h, ev->time_ms, "ticket %" PRIu64 " closed by %s, %s after assignment", id, agent,
                span_text((uint64_t)ev->value, span, sizeof span));
        break;
    }
}

static void on_event(void *user, const usher_event *ev)
{
    host *h = user;
    switch (ev->type) {
    case USHER_EVENT_AGENT_STATE:
        say_agent_state(h, ev);
        break;
    case USHER_EVENT_TICKET_ASSIGNED:
    case USHER_EVENT_TICKET_OFFERED:
    case USHER_EVENT_OFFER_REJECTED:
    case USHER_EVENT_OFFER_EXPIRED:
    case USHER_EVENT_TICKET_REQUEUED:
    case USHER_EVENT_TICKET_ABANDONED:
    case USHER_EVENT_TICKET_COMPLETED:
        say_ticket(h, ev);
        break;
    case USHER_EVENT_SLA_WARNING:
    case USHER_EVENT_SLA_BREACHED:
    case USHER_EVENT_SLA_MET:
        say_sla(h, ev);
        break;
    case USHER_EVENT_WRAPUP_ENDED:
        say(h, ev->time_ms, "%s finished the wrap-up of ticket %" PRIu64,
            agent_name(h, ev->agent_id), ev->ticket_id);
        break;
    default: /* kinds this helpdesk's setup does not produce (widening, load caps, ...) */
        say(h, ev->time_ms, "event %" PRId32 " (ticket %" PRIu64 ", agent %s)", ev->type,
            ev->ticket_id, agent_name(h, ev->agent_id));
        break;
    }
}

/* ------------------------------------------------------------------------
 * Setting up the helpdesk
 * ------------------------------------------------------------------------ */

static usher_status add_channel(usher_engine *e, uint32_t channel, uint32_t max_per_agent,
                                uint64_t wrapup_ms)
{
    usher_channel_def def;
    usher_channel_def_init(&def);
    def.max_per_agent = max_per_agent;
    def.wrapup_ms = wrapup_ms;
    return usher_channel_add(e, channel, &def);
}

static usher_status add_queues(usher_engine *e)
{
    usher_queue_def support, billing, chat;
    usher_queue_def_init(&support);
    support.order = USHER_ORDER_SLA_DEADLINE;
    support.service_level_ms = HOUR_MS;
    usher_queue_def_init(&billing);
    billing.strategy = USHER_STRATEGY_BEST_SKILL;
    billing.ageing_rate = 100;
    billing.service_level_ms = HOUR_MS;
    usher_queue_def_init(&chat);
    chat.strategy = USHER_STRATEGY_MOST_FREE;
    chat.assign_mode = USHER_ASSIGN_OFFER;
    chat.offer_timeout_ms = 30 * SEC_MS;
    chat.service_level_ms = MIN_MS;
    usher_status st = usher_queue_add(e, SUPPORT, &support);
    if (st == USHER_OK)
        st = usher_queue_add(e, BILLING, &billing);
    if (st == USHER_OK)
        st = usher_queue_add(e, CHAT_QUEUE, &chat);
    return st;
}

static usher_status add_calendar(usher_engine *e)
{
    usher_open_hours week[5];
    for (uint32_t d = 0; d < 5; d++)
        week[d] = (usher_open_hours){.weekday = d + 1, .open_minute = 8 * 60,
                                     .close_minute = 18 * 60};
    usher_status st = usher_calendar_add(e, CALENDAR, "Europe/London");
    if (st == USHER_OK)
        st = usher_calendar_set_hours(e, CALENDAR, week, COUNT(week));
    return st;
}

/* A policy with first response, resolution and, if next_ms is not 0, next
 * response; in business hours if `business`. */
static usher_status add_policy(usher_engine *e, uint32_t id, uint64_t first_ms, uint64_t next_ms,
                               uint64_t resolution_ms, bool business, uint32_t warn_permille)
{
    usher_sla_policy_def def;
    usher_sla_policy_def_init(&def);
    def.target_mask = 1u << USHER_SLA_FIRST_RESPONSE | 1u << USHER_SLA_RESOLUTION;
    if (next_ms != 0)
        def.target_mask |= 1u << USHER_SLA_NEXT_RESPONSE;
    def.target_ms[USHER_SLA_FIRST_RESPONSE] = first_ms;
    def.target_ms[USHER_SLA_NEXT_RESPONSE] = next_ms;
    def.target_ms[USHER_SLA_RESOLUTION] = resolution_ms;
    def.business_mask = business ? def.target_mask : 0;
    def.pause_mask = 1u << USHER_SLA_RESOLUTION;
    def.calendar = business ? CALENDAR : USHER_CALENDAR_24_7;
    def.warning_count = 1;
    def.warning_permille[0] = warn_permille;
    return usher_sla_policy_add(e, id, &def);
}

static usher_status add_sla(usher_engine *e)
{
    /* First match wins: urgent e-mails, other e-mails, chats. */
    static const usher_sla_rule rules[] = {
        {EMAIL, USHER_SLA_ANY, USHER_SLA_ANY, URGENT, USHER_MAX_PRIORITY, POLICY_URGENT},
        {EMAIL, USHER_SLA_ANY, USHER_SLA_ANY, 0, USHER_MAX_PRIORITY, POLICY_EMAIL},
        {CHAT, USHER_SLA_ANY, USHER_SLA_ANY, 0, USHER_MAX_PRIORITY, POLICY_CHAT},
    };
    usher_status st = add_policy(e, POLICY_EMAIL, HOUR_MS, 2 * HOUR_MS, 8 * HOUR_MS, true, 750);
    if (st == USHER_OK)
        st = add_policy(e, POLICY_URGENT, 15 * MIN_MS, HOUR_MS, 4 * HOUR_MS, true, 750);
    if (st == USHER_OK)
        st = add_policy(e, POLICY_CHAT, 2 * MIN_MS, 0, 30 * MIN_MS, false, 500);
    if (st == USHER_OK)
        st = usher_sla_set_rules(e, rules, COUNT(rules), USHER_SLA_NO_POLICY);
    return st;
}

static usher_status set_up(usher_engine *e)
{
    usher_status st = add_channel(e, EMAIL, 4, 0);
    if (st == USHER_OK)
        st = add_channel(e, CHAT, 2, 30 * SEC_MS);
    if (st == USHER_OK)
        st = add_queues(e);
    if (st == USHER_OK)
        st = add_calendar(e);
    if (st == USHER_OK)
        st = add_sla(e);
    return st;
}

/* ------------------------------------------------------------------------
 * Parsing a line's words
 * ------------------------------------------------------------------------ */

/* What a line asks for, parsed before anything changes. */
typedef struct request {
    uint64_t time_ms;
    const char *agent;       /* the agent's name as written */
    uint64_t agent_id;       /* 0 for an agent not seen before (login only) */
    uint64_t ticket;
    const char *ticket_text; /* the ticket number as written, for messages */
    uint32_t queue, channel, priority, reason;
    uint32_t skill_count;
    usher_skill_level skills[USHER_MAX_TICKET_SKILLS];
} request;

/* The words that follow the event's name. */
enum shape {
    SHAPE_NONE,          /* tick */
    SHAPE_AGENT,         /* back, logout */
    SHAPE_AGENT_REASON,  /* away */
    SHAPE_AGENT_SKILLS,  /* login */
    SHAPE_AGENT_TICKET,  /* accept, decline */
    SHAPE_TICKET,        /* reply, pending, customer, solved, abandon */
    SHAPE_TICKET_NEW     /* ticket */
};

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

static bool valid_name(const char *text, size_t max)
{
    size_t n = strlen(text);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!name_char(text[i]))
            return false;
    return true;
}

static uint64_t find_agent(const host *h, const char *name)
{
    for (uint32_t i = 0; i < h->agent_count; i++)
        if (strcmp(h->agents[i], name) == 0)
            return i + 1;
    return 0;
}

static bool parse_agent(host *h, const char *word, bool may_be_new, request *req)
{
    if (!valid_name(word, AGENT_NAME_MAX))
        return bad(h, "bad agent name '%s': 1 to %d of A-Z a-z 0-9 . _ -", word, AGENT_NAME_MAX);
    req->agent = word;
    req->agent_id = find_agent(h, word);
    if (req->agent_id == 0 && !may_be_new)
        return bad(h, "unknown agent '%s': not logged in yet", word);
    if (req->agent_id == 0 && h->agent_count == MAX_AGENTS)
        return bad(h, "too many agents: this host keeps %d", MAX_AGENTS);
    return true;
}

static bool parse_ticket_id(host *h, const char *word, request *req)
{
    uint64_t v = 0;
    for (const char *p = word; *p; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return bad(h, "bad ticket number '%s'", word);
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v == 0)
        return bad(h, "bad ticket number '%s'", word);
    req->ticket = v;
    req->ticket_text = word;
    return true;
}

/* SKILL[:LEVEL] words, LEVEL 1-10 or default_level. Skills are interned at
 * once: a name costs a few bytes and changes no routing. */
static bool parse_skills(host *h, char **words, int count, uint32_t default_level, request *req)
{
    if (count > (int)USHER_MAX_TICKET_SKILLS)
        return bad(h, "too many skills: at most %u", USHER_MAX_TICKET_SKILLS);
    req->skill_count = 0;
    for (int i = 0; i < count; i++) {
        char *colon = strchr(words[i], ':');
        uint32_t level = default_level;
        if (colon) {
            *colon = '\0';
            uint32_t digits = (uint32_t)strlen(colon + 1);
            if (digits < 1 || digits > 2 || !fixed_digits(colon + 1, (int)digits, &level) ||
                level < USHER_LEVEL_MIN || level > USHER_LEVEL_MAX)
                return bad(h, "bad level in '%s:%s': 1 to 10", words[i], colon + 1);
        }
        if (!valid_name(words[i], USHER_SKILL_NAME_MAX))
            return bad(h, "bad skill name '%s': 1 to %d of A-Z a-z 0-9 . _ -", words[i],
                       USHER_SKILL_NAME_MAX);
        uint32_t skill;
        usher_status st = usher_skill_intern(h->engine, words[i], &skill);
        if (st != USHER_OK)
            return accepted(h, st, "skill", words[i]);
        for (uint32_t j = 0; j < req->skill_count; j++)
            if (req->skills[j].skill == skill)
                return bad(h, "skill '%s' given twice", words[i]);
        req->skills[req->skill_count++] = (usher_skill_level){skill, level};
    }
    return true;
}

static bool parse_new_ticket(host *h, char **words, int count, request *req)
{
    if (!parse_ticket_id(h, words[0], req))
        return false;
    if (!lookup(queues, COUNT(queues), words[1], &req->queue))
        return bad(h, "unknown queue '%s': support, billing or chat", words[1]);
    if (!lookup(channels, COUNT(channels), words[2], &req->channel))
        return bad(h, "unknown channel '%s': email or chat", words[2]);
    if (!lookup(priorities, COUNT(priorities), words[3], &req->priority))
        return bad(h, "unknown priority '%s': low, normal, high or urgent", words[3]);
    return parse_skills(h, words + 4, count - 4, USHER_LEVEL_MIN, req);
}

static bool parse_words(host *h, enum shape shape, char **words, int count, request *req)
{
    switch (shape) {
    case SHAPE_NONE:
        return true;
    case SHAPE_AGENT:
        return parse_agent(h, words[0], false, req);
    case SHAPE_AGENT_REASON:
        if (!parse_agent(h, words[0], false, req))
            return false;
        if (!lookup(away_reasons, COUNT(away_reasons), words[1], &req->reason))
            return bad(h, "unknown reason '%s': break, lunch, meeting or training", words[1]);
        return true;
    case SHAPE_AGENT_SKILLS:
        return parse_agent(h, words[0], true, req) &&
               parse_skills(h, words + 1, count - 1, AGENT_DEFAULT_LEVEL, req);
    case SHAPE_AGENT_TICKET:
        return parse_agent(h, words[0], false, req) && parse_ticket_id(h, words[1], req);
    case SHAPE_TICKET:
        return parse_ticket_id(h, words[0], req);
    default: /* SHAPE_TICKET_NEW */
        return parse_new_ticket(h, words, count, req);
    }
}

/* ------------------------------------------------------------------------
 * Doing what a line says
 * ------------------------------------------------------------------------ */

static int32_t agent_state(const host *h, uint64_t agent_id)
{
    usher_agent_info info = {.struct_size = sizeof info};
    if (usher_agent_get(h->engine, agent_id, &info) != USHER_OK)
        return USHER_AGENT_OFFLINE;
    return info.state;
}

static bool do_login(host *h, request *req)
{
    bool is_new = req->agent_id == 0;
    if (!is_new && agent_state(h, req->agent_id) != USHER_AGENT_OFFLINE)
        return bad(h, "%s is logged in already", req->agent);
    if (is_new) {
        uint64_t id = h->agent_count + 1;
        if (!accepted(h, usher_agent_add(h->engine, id, AGENT_CAPACITY), "login", req->agent))
            return false;
        snprintf(h->agents[h->agent_count++], AGENT_NAME_MAX + 1, "%s", req->agent);
        req->agent_id = id;
    }
    if (req->skill_count > 0 &&
        !accepted(h, usher_agent_set_skills(h->engine, req->agent_id, req->skills,
                                            req->skill_count),
                  "login", req->agent))
        return false;
    return accepted(h, usher_agent_set_state(h->engine, req->agent_id, USHER_AGENT_AVAILABLE, 0),
                    "login", req->agent);
}

static bool do_away(host *h, request *req)
{
    if (agent_state(h, req->agent_id) == USHER_AGENT_OFFLINE)
        return bad(h, "%s is not logged in", req->agent);
    return accepted(h,
                    usher_agent_set_state(h->engine, req->agent_id, USHER_AGENT_AWAY,
                                          (int32_t)req->reason),
                    "away", req->agent);
}

static bool do_back(host *h, request *req)
{
    if (agent_state(h, req->agent_id) != USHER_AGENT_AWAY)
        return bad(h, "%s is not away", req->agent);
    return accepted(h, usher_agent_set_state(h->engine, req->agent_id, USHER_AGENT_AVAILABLE, 0),
                    "back", req->agent);
}

static bool do_logout(host *h, request *req)
{
    if (agent_state(h, req->agent_id) == USHER_AGENT_OFFLINE)
        return bad(h, "%s is not logged in", req->agent);
    return accepted(h, usher_agent_set_state(h->engine, req->agent_id, USHER_AGENT_OFFLINE, 0),
                    "logout", req->agent);
}

/* Prints a new ticket's SLA deadlines. */
static void say_due(host *h, const request *req)
{
    char first[40], resolution[40];
    usher_sla_target_info f = {.struct_size = sizeof f}, r = {.struct_size = sizeof r};
    if (usher_sla_get(h->engine, req->ticket, USHER_SLA_FIRST_RESPONSE, &f) != USHER_OK ||
        usher_sla_get(h->engine, req->ticket, USHER_SLA_RESOLUTION, &r) != USHER_OK)
        return;
    say(h, h->now_ms, "ticket %" PRIu64 " new in %s (%s, %s): first response due %s, resolution %s",
        req->ticket, name_of(queues, COUNT(queues), req->queue),
        name_of(channels, COUNT(channels), req->channel),
        name_of(priorities, COUNT(priorities), req->priority),
        when_text(h, f.due_ms, first, sizeof first),
        when_text(h, r.due_ms, resolution, sizeof resolution));
}

/* The ticket is tracked for SLA first, so that its queue can order it by
 * deadline as soon as it is submitted. */
static bool do_ticket(host *h, request *req)
{
    usher_sla_spec sla;
    usher_sla_spec_init(&sla);
    sla.channel = req->channel;
    sla.queue = req->queue;
    sla.priority = req->priority;
    if (!accepted(h, usher_sla_start(h->engine, req->ticket, &sla), "ticket", req->ticket_text))
        return false;
    usher_ticket_spec spec;
    usher_ticket_spec_init(&spec);
    spec.queue = req->queue;
    spec.channel = req->channel;
    spec.priority = req->priority;
    spec.required = req->skills;
    spec.required_count = req->skill_count;
    say_due(h, req);
    usher_status st = usher_ticket_submit(h->engine, req->ticket, &spec);
    if (st != USHER_OK) {
        usher_sla_forget(h->engine, req->ticket);
        return accepted(h, st, "ticket", req->ticket_text);
    }
    usher_ticket_info info = {.struct_size = sizeof info};
    usher_queue_stats stats = {.struct_size = sizeof stats};
    if (usher_ticket_get(h->engine, req->ticket, &info) == USHER_OK &&
        info.state == USHER_TICKET_WAITING &&
        usher_queue_get_stats(h->engine, req->queue, &stats) == USHER_OK)
        say(h, h->now_ms, "ticket %" PRIu64 " waits: no agent can take it (%" PRIu64
            " waiting in %s)", req->ticket, stats.waiting,
            name_of(queues, COUNT(queues), req->queue));
    return true;
}

/* accept or decline: the offer's token is the lease the host must show. */
static bool answer_offer(host *h, request *req, bool accept)
{
    usher_ticket_info info = {.struct_size = sizeof info};
    const char *verb = accept ? "accept" : "decline";
    if (!accepted(h, usher_ticket_get(h->engine, req->ticket, &info), verb, req->ticket_text))
        return false;
    if (info.state != USHER_TICKET_OFFERED)
        return bad(h, "%s %s: the ticket is not on offer", verb, req->ticket_text);
    if (info.agent_id != req->agent_id)
        return bad(h, "%s %s: offered to %s, not to %s", verb, req->ticket_text,
                   agent_name(h, info.agent_id), req->agent);
    usher_status st = accept ? usher_offer_accept(h->engine, req->ticket, info.offer_token)
                             : usher_offer_reject(h->engine, req->ticket, info.offer_token);
    return accepted(h, st, verb, req->ticket_text);
}

static bool do_accept(host *h, request *req) { return answer_offer(h, req, true); }

static bool do_decline(host *h, request *req) { return answer_offer(h, req, false); }

static bool do_reply(host *h, request *req)
{
    return accepted(h, usher_sla_report(h->engine, req->ticket, USHER_SLA_AGENT_REPLY), "reply",
                    req->ticket_text);
}

static bool do_pending(host *h, request *req)
{
    usher_status st = usher_sla_report(h->engine, req->ticket, USHER_SLA_PENDING_CUSTOMER);
    if (st == USHER_ESTATE)
        return bad(h, "pending %s: the ticket is pending already", req->ticket_text);
    if (!accepted(h, st, "pending", req->ticket_text))
        return false;
    usher_sla_target_info r = {.struct_size = sizeof r};
    char left[32];
    if (usher_sla_get(h->engine, req->ticket, USHER_SLA_RESOLUTION, &r) == USHER_OK &&
        r.remaining_ms > 0)
        say(h, h->now_ms, "ticket %" PRIu64 " pending the customer: resolution paused, %s left",
            req->ticket, span_text((uint64_t)r.remaining_ms, left, sizeof left));
    return true;
}

/* The customer wrote: a pending ticket resumes (USHER_ESTATE: it was not
 * pending), and a next response is due if the policy has one. */
static bool do_customer(host *h, request *req)
{
    usher_status st = usher_sla_report(h->engine, req->ticket, USHER_SLA_RESUMED);
    if (st != USHER_OK && st != USHER_ESTATE)
        return accepted(h, st, "customer", req->ticket_text);
    if (!accepted(h, usher_sla_report(h->engine, req->ticket, USHER_SLA_CUSTOMER_MESSAGE),
                  "customer", req->ticket_text))
        return false;
    usher_sla_target_info next = {.struct_size = sizeof next};
    char due[40];
    if (usher_sla_get(h->engine, req->ticket, USHER_SLA_NEXT_RESPONSE, &next) == USHER_OK &&
        next.state == USHER_SLA_RUNNING)
        say(h, h->now_ms, "ticket %" PRIu64 ": the customer wrote, next response due %s",
            req->ticket, when_text(h, next.due_ms, due, sizeof due));
    return true;
}

static bool do_solved(host *h, request *req)
{
    if (!accepted(h, usher_sla_report(h->engine, req->ticket, USHER_SLA_SOLVED), "solved",
                  req->ticket_text) ||
        !accepted(h, usher_ticket_complete(h->engine, req->ticket, 0), "solved",
                  req->ticket_text))
        return false;
    return accepted(h, usher_sla_forget(h->engine, req->ticket), "solved", req->ticket_text);
}

static bool do_abandon(host *h, request *req)
{
    usher_status st = usher_ticket_cancel(h->engine, req->ticket);
    if (st == USHER_ESTATE)
        return bad(h, "abandon %s: an agent has the ticket; it ends with 'solved'",
                   req->ticket_text);
    if (!accepted(h, st, "abandon", req->ticket_text))
        return false;
    return accepted(h, usher_sla_forget(h->engine, req->ticket), "abandon", req->ticket_text);
}

static bool do_tick(host *h, request *req)
{
    (void)h;
    (void)req;
    return true;
}

typedef struct command {
    const char *name;
    enum shape shape;
    int min_words, max_words; /* after the event's name */
    const char *usage;
    bool (*run)(host *, request *);
} command;

static const command commands[] = {
    {"login", SHAPE_AGENT_SKILLS, 1, MAX_WORDS, "AGENT [SKILL[:LEVEL]...]", do_login},
    {"away", SHAPE_AGENT_REASON, 2, 2, "AGENT REASON", do_away},
    {"back", SHAPE_AGENT, 1, 1, "AGENT", do_back},
    {"logout", SHAPE_AGENT, 1, 1, "AGENT", do_logout},
    {"ticket", SHAPE_TICKET_NEW, 4, MAX_WORDS, "ID QUEUE CHANNEL PRIORITY [SKILL[:LEVEL]...]",
     do_ticket},
    {"accept", SHAPE_AGENT_TICKET, 2, 2, "AGENT ID", do_accept},
    {"decline", SHAPE_AGENT_TICKET, 2, 2, "AGENT ID", do_decline},
    {"reply", SHAPE_TICKET, 1, 1, "ID", do_reply},
    {"pending", SHAPE_TICKET, 1, 1, "ID", do_pending},
    {"customer", SHAPE_TICKET, 1, 1, "ID", do_customer},
    {"solved", SHAPE_TICKET, 1, 1, "ID", do_solved},
    {"abandon", SHAPE_TICKET, 1, 1, "ID", do_abandon},
    {"tick", SHAPE_NONE, 0, 0, "", do_tick},
};

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < COUNT(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* ------------------------------------------------------------------------
 * Lines
 * ------------------------------------------------------------------------ */

/* Splits `text` in place at spaces and tabs, up to a '#'. Returns the
 * number of words, or -1 if there are more than `max`. */
static int split_words(char *text, char **words, int max)
{
    char *hash = strchr(text, '#');
    if (hash)
        *hash = '\0';
    int count = 0;
    char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return count;
        if (count == max)
            return -1;
        words[count++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
    }
}

/* Handles one line (newline removed); false if it was bad. */
static bool handle_line(host *h, char *text)
{
    char *words[MAX_WORDS + 2];
    int count = split_words(text, words, MAX_WORDS + 2);
    if (count < 0)
        return bad(h, "too many words: at most %d", MAX_WORDS + 2);
    if (count == 0)
        return true;
    request req = {0};
    if (!parse_time(words[0], &req.time_ms))
        return bad(h, "bad time '%s': not a valid YYYY-MM-DDTHH:MM:SSZ", words[0]);
    if (count < 2)
        return bad(h, "a time but no event");
    const command *cmd = find_command(words[1]);
    if (!cmd)
        return bad(h, "unknown event '%s'", words[1]);
    int args = count - 2;
    if (args < cmd->min_words || args > cmd->max_words)
        return bad(h, "usage: TIME %s %s", cmd->name, cmd->usage);
    if (h->clock_started && req.time_ms < h->now_ms) {
        char previous[32];
        return bad(h, "time goes back: %s is before the previous line's %s", words[0],
                   iso_text(h->now_ms, previous, sizeof previous));
    }
    if (!parse_words(h, cmd->shape, words + 2, args, &req))
        return false;
    h->clock_started = true;
    h->now_ms = req.time_ms;
    if (!accepted(h, usher_advance(h->engine, req.time_ms), "advance to", words[0]))
        return false;
    return cmd->run(h, &req);
}

enum read_result { READ_LINE, READ_END, READ_TOO_LONG, READ_CONTROL, READ_ERROR };

/* Reads one line into buf (LINE_MAX_BYTES), without its newline or a
 * trailing carriage return. A line that is too long or holds a NUL or
 * another control character is read to its end and reported. */
static enum read_result read_line(FILE *in, char *buf)
{
    size_t n = 0;
    bool too_long = false, control = false;
    int c;
    while ((c = getc(in)) != EOF && c != '\n') {
        if (n + 1 >= LINE_MAX_BYTES) {
            too_long = true;
            continue;
        }
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
            control = true;
        buf[n++] = (char)c;
    }
    if (ferror(in))
        return READ_ERROR;
    if (c == EOF && n == 0 && !too_long)
        return READ_END;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    if (too_long)
        return READ_TOO_LONG;
    return control || memchr(buf, '\r', n) ? READ_CONTROL : READ_LINE;
}

/* Reads every line of `in`. Returns false on a read error. */
static bool run(host *h, FILE *in)
{
    char buf[LINE_MAX_BYTES];
    for (;;) {
        enum read_result r = read_line(in, buf);
        if (r == READ_END)
            return true;
        if (r == READ_ERROR)
            return false;
        h->line++;
        bool ok = r == READ_LINE ? handle_line(h, buf)
                  : r == READ_TOO_LONG
                      ? bad(h, "line longer than %d bytes", LINE_MAX_BYTES - 1)
                      : bad(h, "control character in line");
        if (!ok)
            h->bad_lines++;
    }
}

/* ------------------------------------------------------------------------
 * The summary
 * ------------------------------------------------------------------------ */

static void print_queues(const host *h)
{
    printf("%-8s %8s %8s %9s %12s %9s %7s\n", "queue", "entered", "answered", "within SL",
           "avg wait", "abandoned", "waiting");
    for (size_t i = 0; i < COUNT(queues); i++) {
        usher_queue_stats s = {.struct_size = sizeof s};
        if (usher_queue_get_stats(h->engine, queues[i].value, &s) != USHER_OK)
            continue;
        char wait[32] = "-";
        if (s.answered > 0)
            span_text(s.answer_wait_ms / s.answered, wait, sizeof wait);
        printf("%-8s %8" PRIu64 " %8" PRIu64 " %9" PRIu64 " %12s %9" PRIu64 " %7" PRIu64 "\n",
               queues[i].name, s.entered, s.answered, s.answered_in_sl, wait, s.abandoned,
               s.waiting);
    }
}

static void print_policies(const host *h)
{
    static const uint32_t shown[] = {USHER_SLA_FIRST_RESPONSE, USHER_SLA_NEXT_RESPONSE,
                                     USHER_SLA_RESOLUTION};
    printf("%-13s", "SLA policy");
    for (size_t t = 0; t < COUNT(shown); t++)
        printf(" %18s", target_names[shown[t]]);
    printf("\n%-13s", "");
    for (size_t t = 0; t < COUNT(shown); t++)
        printf(" %8s %9s", "met", "breached");
    putchar('\n');
    for (size_t i = 0; i < COUNT(policies); i++) {
        usher_sla_stats s = {.struct_size = sizeof s};
        if (usher_sla_policy_stats(h->engine, policies[i].value, &s) != USHER_OK)
            continue;
        printf("%-13s", policies[i].name);
        for (size_t t = 0; t < COUNT(shown); t++)
            printf(" %8" PRIu64 " %9" PRIu64, s.met[shown[t]], s.breached[shown[t]]);
        putchar('\n');
    }
}

static void print_summary(const host *h)
{
    printf("== %lu lines, %lu bad ==\n", h->line, h->bad_lines);
    print_queues(h);
    print_policies(h);
}

/* ------------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------------ */

static int usage(FILE *to)
{
    fprintf(to, "usage: helpdesk_host [FILE]\n"
                "Reads helpdesk events (FILE, or standard input when FILE is absent or '-'),\n"
                "drives usher and prints its decisions. The line format is described at the\n"
                "top of examples/helpdesk_host.c.\n");
    return to == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    if (argc > 2)
        return usage(stderr);
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return usage(stdout);
    bool from_stdin = argc < 2 || strcmp(argv[1], "-") == 0;
    static host h; /* zero: a few kB of names */
    h.input_name = from_stdin ? "<stdin>" : argv[1];
    h.shown_day = -1;
    FILE *in = from_stdin ? stdin : fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 2;
    }
    if (from_stdin && isatty(STDIN_FILENO))
        fprintf(stderr, "helpdesk_host: reading events from the terminal; end with Ctrl-D\n");

    int status = 2;
    usher_status st = usher_engine_new(NULL, &h.engine);
    if (st == USHER_OK)
        st = usher_set_event_handler(h.engine, on_event, &h);
    if (st == USHER_OK)
        st = set_up(h.engine);
    if (st != USHER_OK) {
        fprintf(stderr, "helpdesk_host: setting up the helpdesk: %s (%s)\n", usher_strerror(st),
                usher_status_name(st));
    } else if (!run(&h, in)) {
        perror(h.input_name);
    } else {
        print_summary(&h);
        status = h.bad_lines > 0 ? 1 : 0;
    }
    usher_engine_free(h.engine);
    if (!from_stdin)
        fclose(in);
    return status;
}
