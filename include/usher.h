/*
 * usher — ticket routing and SLA tracking for helpdesk and contact-center
 * software.
 *
 * This header is the manual. Every public function is declared here with
 * what it does, every status it returns, who owns memory, and whether it
 * may be called from inside the engine's event callback.
 *
 * General rules that every function follows unless its comment says more:
 *
 *  - Functions that can fail return a usher_status: USHER_OK (0) or a
 *    negative code. A failed call changes nothing: not the engine, not the
 *    output parameters. USHER_ENOMEM included.
 *  - Ids are opaque 64-bit integers chosen by the host. usher stores ids
 *    and numbers only, never personal data.
 *  - Times are milliseconds on the host's clock (any epoch), from 0 to
 *    USHER_TIME_MAX. usher never reads a clock: the host brings time with
 *    usher_advance().
 *  - One engine is not thread-safe; different engines share nothing and may
 *    be used from different threads at once.
 *  - Events are delivered to the host's callback when the outermost usher
 *    call is about to return, never in the middle of a state change. A
 *    callback may call any function of the engine that delivered the event
 *    ("callback: yes" below) unless noted.
 */
#ifndef USHER_H
#define USHER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Export, version
 * ------------------------------------------------------------------------ */

#if defined(_WIN32) && defined(USHER_BUILDING_LIBRARY)
#define USHER_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define USHER_API __attribute__((visibility("default")))
#else
#define USHER_API
#endif

#define USHER_VERSION_MAJOR 0
#define USHER_VERSION_MINOR 1
#define USHER_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH, e.g. 100 for 0.1.0. */
#define USHER_VERSION_NUMBER \
    (USHER_VERSION_MAJOR * 10000 + USHER_VERSION_MINOR * 100 + USHER_VERSION_PATCH)
#define USHER_VERSION_STRING "0.1.0"

/*
 * The version of the library actually linked, as "MAJOR.MINOR.PATCH".
 * Static string, never NULL. Callback: yes.
 */
USHER_API const char *usher_version(void);

/*
 * The version of the library actually linked, as USHER_VERSION_NUMBER
 * computes it. Compare with USHER_VERSION_NUMBER to detect a header and
 * library mismatch. Callback: yes.
 */
USHER_API uint32_t usher_version_number(void);

/* ------------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------------ */

/* Every fallible function returns one of these. Values are fixed forever. */
typedef int32_t usher_status;

enum usher_status_code {
    USHER_OK = 0,
    /* An allocation failed. The engine is exactly as before the call. */
    USHER_ENOMEM = -1,
    /* A NULL pointer, a value out of its documented range, a malformed
     * option structure. */
    USHER_EINVAL = -2,
    /* The id (ticket, agent, timer, ...) is not known to the engine. */
    USHER_ENOTFOUND = -3,
    /* An object with that id already exists. */
    USHER_EEXIST = -4,
    /* The object is not in a state that allows the operation. */
    USHER_ESTATE = -5,
    /* A structural limit would be exceeded (e.g. more than USHER_MAX_OBJECTS
     * objects of one kind). */
    USHER_ELIMIT = -6,
    /* Input data (a snapshot, a time-zone file) is corrupt, truncated or of
     * an unsupported version. */
    USHER_ECORRUPT = -7,
    /* The engine was freed from inside its own event callback: it is closing,
     * and every further call on it until the outermost call returns fails
     * with this code. */
    USHER_ECLOSED = -8,
    /* The offer token is not the ticket's current offer's: stale (the
     * offer was answered, expired or withdrawn) or another offer's. */
    USHER_ETOKEN = -9,
    /* usher_check() found that an internal invariant does not hold: a bug
     * in usher, or memory of the engine overwritten by its host. */
    USHER_EINTERNAL = -10
};

/*
 * A one-line English description of a status, e.g. "out of memory".
 * Unknown values give "unknown status". Static string, never NULL.
 * Callback: yes.
 */
USHER_API const char *usher_strerror(usher_status status);

/*
 * The stable symbolic name of a status, e.g. "USHER_ENOMEM", for logs and
 * bindings. Unknown values give "USHER_E_UNKNOWN". Static string, never
 * NULL. Callback: yes.
 */
USHER_API const char *usher_status_name(usher_status status);

/* ------------------------------------------------------------------------
 * Time
 * ------------------------------------------------------------------------ */

/* The largest time the engine accepts: INT64_MAX, so that hosts whose
 * languages lack unsigned 64-bit integers (Java, JavaScript's BigInt64)
 * can hold every time. */
#define USHER_TIME_MAX ((uint64_t)INT64_MAX)

/* "No deadline": what usher_next_deadline() reports when nothing is
 * scheduled. Larger than every valid time. */
#define USHER_TIME_NEVER UINT64_MAX

/* The most objects of one kind (timers, tickets, agents) an engine holds. */
#define USHER_MAX_OBJECTS 0x7fffffffu

/* ------------------------------------------------------------------------
 * Allocator and configuration
 * ------------------------------------------------------------------------ */

/*
 * A host-supplied allocator. Every allocation the engine makes goes through
 * it, with `user` as the first argument. The three functions follow the
 * contracts of malloc, realloc and free: realloc_fn is never called with a
 * NULL pointer or a zero size, free_fn is never called with NULL, and a
 * failing malloc_fn or realloc_fn returns NULL (the engine then reports
 * USHER_ENOMEM and stays as it was). The layout of this structure is fixed
 * forever.
 */
typedef struct usher_allocator {
    void *(*malloc_fn)(void *user, size_t size);
    void *(*realloc_fn)(void *user, void *ptr, size_t size);
    void (*free_fn)(void *user, void *ptr);
    void *user;
} usher_allocator;

/*
 * Options for usher_engine_new(). Initialise it with usher_config_init(),
 * then set the fields you need. The structure may grow at its end in later
 * versions: struct_size tells the library which version the host compiled
 * against, and a newer library treats the missing fields as zero.
 */
typedef struct usher_config {
    /* sizeof(usher_config) as the host compiled it; set by
     * usher_config_init(). */
    uint32_t struct_size;
    /* Must be zero (reserved for flags). */
    uint32_t reserved;
    /* Seeds everything random in the engine, the hash of host ids included:
     * the same seed and the same calls give the same events. A host that
     * receives ids from untrusted parties should use a secret random seed. */
    uint64_t seed;
    /* The engine's clock at creation, 0 to USHER_TIME_MAX. */
    uint64_t start_ms;
    /* NULL: the C library's malloc, realloc and free. Otherwise copied by
     * usher_engine_new(); the functions must stay callable until the engine
     * is freed. */
    const usher_allocator *allocator;
} usher_config;

/*
 * Fills *config with the defaults: struct_size set, seed 0, start_ms 0, the
 * C library's allocator. Does nothing if config is NULL. Callback: yes.
 */
USHER_API void usher_config_init(usher_config *config);

/* ------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------ */

/* What an event reports. Values are fixed forever; new ones are added. */
enum usher_event_type {
    /* A host timer (usher_timer_set) reached its due time.
     * timer_id: the timer's id; time_ms: its due time. */
    USHER_EVENT_TIMER = 1,
    /* An agent's presence state changed, by a host call or by the engine
     * (idle timeout). agent_id; value: the new enum usher_agent_state;
     * reason: the away reason (USHER_AWAY_IDLE when the engine set the
     * agent away for idleness), 0 unless away. */
    USHER_EVENT_AGENT_STATE = 2,
    /* A ticket an agent holds through usher_capacity_reserve() is handed
     * back to the host because the agent logged out or was removed (the
     * router's own tickets are requeued instead:
     * USHER_EVENT_TICKET_REQUEUED). ticket_id, agent_id; value: the channel;
     * reason: an enum usher_return_reason value. After a logout the
     * capacity stays reserved until the host releases the ticket; after a
     * removal it is already released. */
    USHER_EVENT_WORK_RETURNED = 3,
    /* A wrap-up ended: the capacity it held is free again. agent_id;
     * ticket_id: the ticket whose release started it; value: the channel;
     * time_ms: when it ended. */
    USHER_EVENT_WRAPUP_ENDED = 4,
    /* An agent reached a load cap and takes no new work until value (a
     * time in ms). agent_id; reason: an enum usher_load_cap value. */
    USHER_EVENT_LOAD_CAP_REACHED = 5,
    /* A load cap cleared: the agent may take work again as far as that cap
     * is concerned. agent_id; reason: an enum usher_load_cap value. */
    USHER_EVENT_LOAD_CAP_CLEARED = 6,
    /* A ticket was assigned: its capacity is reserved at the agent.
     * ticket_id, agent_id; value: ms from the ticket's creation to now;
     * reason: the channel. */
    USHER_EVENT_TICKET_ASSIGNED = 7,
    /* An assigned ticket went back to waiting, in its old place, because
     * its agent logged out or was removed (capacity released, no wrap-up).
     * ticket_id, agent_id: the agent it left; reason: an enum
     * usher_return_reason value. */
    USHER_EVENT_TICKET_REQUEUED = 8,
    /* A ticket moved to another queue (usher_ticket_transfer). ticket_id;
     * agent_id: the agent it left, 0 if it was waiting; value: the new
     * queue id. */
    USHER_EVENT_TICKET_TRANSFERRED = 9,
    /* A waiting ticket was cancelled (usher_ticket_cancel). ticket_id;
     * value: ms it waited since its creation. */
    USHER_EVENT_TICKET_ABANDONED = 10,
    /* A ticket was completed. ticket_id; agent_id: its agent, 0 if it was
     * waiting; value: ms from its assignment, 0 if it was waiting. */
    USHER_EVENT_TICKET_COMPLETED = 11,
    /* A ticket of an offer-mode queue is offered to an agent, whose
     * capacity is held for it until the host answers
     * (usher_offer_accept / usher_offer_reject) or the offer expires.
     * ticket_id, agent_id, offer_token; value: when the offer expires. */
    USHER_EVENT_TICKET_OFFERED = 12,
    /* The agent rejected the offer: the ticket waits again in its place,
     * and is not offered to that agent for the queue's
     * reject_cooldown_ms. ticket_id, agent_id, offer_token. */
    USHER_EVENT_OFFER_REJECTED = 13,
    /* The offer expired unanswered: as a rejection, and the agent's count
     * of consecutive missed offers grows (value: the new count); at the
     * queue's max_missed_offers the agent is set away with reason
     * USHER_AWAY_NO_ANSWER (an USHER_EVENT_AGENT_STATE follows).
     * ticket_id, agent_id, offer_token. */
    USHER_EVENT_OFFER_EXPIRED = 14,
    /* A widening step of the ticket's queue fired. ticket_id; value: the
     * step's index in the queue's list; reason: its enum
     * usher_widen_action. */
    USHER_EVENT_TICKET_WIDENED = 15,
    /* A repeat contact was escalated at submission (see
     * usher_queue_def.repeat_threshold). ticket_id; value: how many of the
     * customer's tickets fell in the window, this one included; reason:
     * the enum usher_repeat_flag bits applied. Precedes the ticket's
     * assignment or offer, if any. */
    USHER_EVENT_TICKET_ESCALATED = 16,
    /* An SLA target reached a warning threshold. ticket_id; reason: the
     * enum usher_sla_target; detail: the threshold in per mille of the
     * target; due_ms: when it was reached (time_ms is when delivered);
     * value: ms of the target left then. */
    USHER_EVENT_SLA_WARNING = 17,
    /* An SLA target was breached. ticket_id; reason: the target; due_ms:
     * the exact breach time; value: ms overdue when delivered (0 unless
     * held or past due). */
    USHER_EVENT_SLA_BREACHED = 18,
    /* An SLA target was met in time. ticket_id; reason: the target;
     * value: ms of the target that were left. */
    USHER_EVENT_SLA_MET = 19
};

/*
 * One event. The engine passes a pointer that is valid only during the
 * callback; copy what you keep. Fields that do not apply to an event's type
 * are zero. The structure may grow at its end: struct_size is
 * sizeof(usher_event) as the library was compiled.
 */
typedef struct usher_event {
    uint32_t struct_size;
    /* An enum usher_event_type value. */
    int32_t type;
    /* 1 for the engine's first event, then +1 for each event: a host can
     * check that it saw every event once and in order. */
    uint64_t seq;
    /* When the event happened. For a deadline it is the deadline itself,
     * also when the host's clock jumped past it. */
    uint64_t time_ms;
    uint64_t ticket_id;
    uint64_t agent_id;
    uint64_t timer_id;
    /* The offer token of an offer event. */
    uint64_t offer_token;
    /* A number whose meaning depends on the type. */
    int64_t value;
    /* A reason or state code whose meaning depends on the type. */
    int32_t reason;
    /* A second code whose meaning depends on the type. */
    uint32_t detail;
    /* The deadline an event is about, when it may be delivered later than
     * it (SLA events held to open hours, or past-due after a clock jump). */
    uint64_t due_ms;
} usher_event;

/*
 * The host's event callback. `user` is the pointer given to
 * usher_set_event_handler(). The callback may call back into the engine
 * (see the "Callback:" line of each function); events those calls raise are
 * delivered after the current one, by the same delivery loop, in order.
 */
typedef void (*usher_event_fn)(void *user, const usher_event *event);

/* ------------------------------------------------------------------------
 * Engine lifecycle
 * ------------------------------------------------------------------------ */

/* An engine: one independent routing and SLA instance. Opaque. */
typedef struct usher_engine usher_engine;

/*
 * Creates an engine and stores it in *out. `config` may be NULL for the
 * defaults; otherwise it must come from usher_config_init() (possibly of an
 * older or newer library version). The engine copies what it needs: the
 * host may free `config` afterwards.
 *
 * Returns USHER_OK; USHER_EINVAL if out is NULL, config->struct_size is too
 * small for the first version of the structure, a field is out of range, an
 * allocator lacks one of its functions, or a field this library does not
 * know is nonzero; USHER_ENOMEM if an allocation failed (nothing leaks).
 * On failure *out is left unchanged. Callback: yes (creates another engine).
 */
USHER_API usher_status usher_engine_new(const usher_config *config, usher_engine **out);

/*
 * Frees the engine and everything it holds, through its allocator.
 * usher_engine_free(NULL) does nothing. Pending events that were not
 * delivered yet are dropped.
 *
 * Callback: yes, but deferred: when called from inside the engine's own
 * event callback, delivery stops after that callback returns, every further
 * call on the engine fails with USHER_ECLOSED, and the engine is freed when
 * the outermost call returns. The host must not use the pointer after the
 * outermost call has returned.
 */
USHER_API void usher_engine_free(usher_engine *engine);

/*
 * Sets the function that receives the engine's events, and its user
 * pointer. fn may be NULL to stop receiving events (they are then dropped).
 * Takes effect for the next event delivered, also when called from inside
 * a callback.
 *
 * Returns USHER_OK; USHER_EINVAL if engine is NULL; USHER_ECLOSED (see
 * usher_engine_free). Callback: yes.
 */
USHER_API usher_status usher_set_event_handler(usher_engine *engine, usher_event_fn fn,
                                               void *user);

/* ------------------------------------------------------------------------
 * Invariant check
 * ------------------------------------------------------------------------ */

/*
 * Recomputes the engine's internal bookkeeping by brute force from its
 * primary records and compares, for tests and debug builds. It verifies:
 *  - one owner per ticket: a live ticket waits in its bucket(s) of
 *    waiting tickets, or is offered or assigned to exactly one agent whose
 *    capacity record names it, never both;
 *  - capacity: each agent's units used, per-channel counts of work and
 *    wrap-ups, exclusive work and blocking wrap-ups equal what its
 *    capacity records hold; each channel's use equals the sum over
 *    agents; no agent is over its capacity or a channel limit;
 *  - timers: every live deadline in the timer wheel belongs to a live
 *    object (host timer, wrap-up, load cap, cool-down, idle timeout,
 *    offer, rejection cool-down, widening step, preferred-agent wait,
 *    customer record, SLA clock), and every object that must have one
 *    has it, at the right time where that time can be recomputed; the
 *    wheel's own lists, bitmaps and free list are consistent;
 *  - the eligibility index (who is eligible for which requirement set, in
 *    which order) and the buckets of waiting tickets (their heap order,
 *    counts and links) equal a brute-force recomputation, and no waiting
 *    ticket has an eligible agent that may take it (unless matching was
 *    stopped by USHER_ENOMEM and resumes at the next call);
 *  - the id maps hold exactly the live objects of each kind;
 *  - the counters that can be derived: tickets waiting (in all, per
 *    requirement set and per bucket), live tickets per queue, offers
 *    outstanding per agent, live tickets per customer record, and each
 *    ticket's earliest SLA deadline where it is counted in calendar time
 *    (business-time deadlines are computed when a clock changes and are
 *    compared with their timers, not recomputed).
 *
 * It holds after every call, failed ones (USHER_ENOMEM included) too.
 *
 * Costs time linear in the engine's size (agents times requirement sets,
 * tickets, timers, map slots) while it has at most 256 queues, 256
 * buckets (queue and requirement-set pairs) and 256 customer records,
 * plus one more pass over the tickets per further 256 of the most
 * numerous of those: cheap for tests and debug builds, too slow to call
 * after every operation of a large production engine. Allocates nothing
 * and changes nothing.
 *
 * Returns USHER_OK when every invariant holds; USHER_EINTERNAL when one
 * does not; USHER_EINVAL if engine is NULL; USHER_ESTATE from inside the
 * scoring hook (the engine is mid-decision there); USHER_ECLOSED.
 * Callback: yes (between events the engine is consistent).
 */
USHER_API usher_status usher_check(const usher_engine *engine);

/* ------------------------------------------------------------------------
 * Clock
 * ------------------------------------------------------------------------ */

/*
 * Moves the engine's clock to now_ms and fires every deadline at or before
 * it: in deadline order, ties in the order they were scheduled, each with
 * its own due time in its event, also across a jump of any size (a host
 * asleep for a year fires every missed deadline once, in order).
 *
 * Time never goes backwards: a now_ms earlier than the engine's clock is
 * treated as the current time (deadlines already due still fire). A
 * deadline scheduled at or before the current time is due at once: it
 * fires at the next usher_advance(), ordered as if due at the time it was
 * scheduled, and its event still carries its own due time.
 *
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or now_ms is above
 * USHER_TIME_MAX; USHER_ENOMEM if an event could not be queued: the clock
 * then stops at the deadline that could not be processed, every deadline
 * before it has fired and its events are delivered, and calling again
 * resumes where it stopped (no deadline is lost or fired twice);
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_advance(usher_engine *engine, uint64_t now_ms);

/*
 * Stores the engine's current time in *now_ms.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_now(const usher_engine *engine, uint64_t *now_ms);

/*
 * Stores in *deadline_ms the earliest pending deadline of the engine, or
 * USHER_TIME_NEVER if none is pending: the host should call usher_advance()
 * when its clock reaches that time. A deadline already due gives the
 * engine's current time.
 *
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_next_deadline(usher_engine *engine, uint64_t *deadline_ms);

/* ------------------------------------------------------------------------
 * Host timers
 *
 * The host may keep its own deadlines on the engine's clock (a follow-up
 * reminder, an end of shift): they fire in order with the engine's own
 * deadlines and produce USHER_EVENT_TIMER events.
 * ------------------------------------------------------------------------ */

/*
 * Schedules the host timer timer_id to fire at due_ms, or moves it there if
 * it is already scheduled (it then counts as scheduled now for the order of
 * ties). A due_ms at or before the current time fires at the next
 * usher_advance(). When it fires the timer is removed and a
 * USHER_EVENT_TIMER event carries timer_id and due_ms.
 *
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or due_ms is above
 * USHER_TIME_MAX; USHER_ELIMIT if USHER_MAX_OBJECTS timers are scheduled;
 * USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_timer_set(usher_engine *engine, uint64_t timer_id, uint64_t due_ms);

/*
 * Cancels the host timer timer_id: it will not fire.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL; USHER_ENOTFOUND if no
 * timer with that id is scheduled (never set, cancelled or already fired);
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_timer_cancel(usher_engine *engine, uint64_t timer_id);

/*
 * Stores in *due_ms the due time of the scheduled host timer timer_id.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL; USHER_ENOTFOUND if no
 * such timer is scheduled; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_timer_due(const usher_engine *engine, uint64_t timer_id,
                                       uint64_t *due_ms);

/* ------------------------------------------------------------------------
 * Output structures
 *
 * Functions that fill a structure (usher_agent_get, ...) read its
 * struct_size first: the host sets it to sizeof the structure it compiled
 * against (the *_init functions do). The library fills that many bytes at
 * most, so a host built against an older, smaller version keeps working.
 * A struct_size smaller than the first version of the structure is
 * USHER_EINVAL.
 * ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------
 * Skills
 *
 * A skill is a name interned to a small id (0, 1, 2, ... in the order of
 * first interning). Names are compared byte for byte (case matters). Skills
 * are never removed; they cost a few dozen bytes each.
 * ------------------------------------------------------------------------ */

/* The longest skill name in bytes, not counting the terminating NUL. */
#define USHER_SKILL_NAME_MAX 63
/* The most skills an engine holds; skill ids are below this. */
#define USHER_MAX_SKILLS 65535u
/* Proficiency levels run from USHER_LEVEL_MIN to USHER_LEVEL_MAX. */
#define USHER_LEVEL_MIN 1
#define USHER_LEVEL_MAX 10

/*
 * Stores in *skill_id the id of the skill called `name`, creating it if it
 * does not exist yet. name: a NUL-terminated string of 1 to
 * USHER_SKILL_NAME_MAX bytes, copied by the engine.
 *
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL or the name is empty
 * or too long; USHER_ELIMIT if USHER_MAX_SKILLS skills exist; USHER_ENOMEM;
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_skill_intern(usher_engine *engine, const char *name,
                                          uint32_t *skill_id);

/*
 * Stores in *skill_id the id of the existing skill called `name`.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL; USHER_ENOTFOUND if
 * no skill has that name (an empty or too long name included);
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_skill_find(const usher_engine *engine, const char *name,
                                        uint32_t *skill_id);

/*
 * Copies the name of skill skill_id, NUL-terminated, into buf of `size`
 * bytes (USHER_SKILL_NAME_MAX + 1 is always enough).
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL or buf is too small
 * (buf is then untouched); USHER_ENOTFOUND if no skill has that id;
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_skill_name(const usher_engine *engine, uint32_t skill_id, char *buf,
                                        size_t size);

/*
 * Stores the number of skills in *count; their ids are 0 .. *count - 1.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_skill_count(const usher_engine *engine, uint32_t *count);

/* ------------------------------------------------------------------------
 * Channels
 *
 * A channel is a kind of work (voice, chat, e-mail, ...) with its own cost
 * in capacity units, an optional per-agent concurrency limit and a wrap-up
 * time. The host numbers its channels 0 .. USHER_MAX_CHANNELS - 1.
 * ------------------------------------------------------------------------ */

#define USHER_MAX_CHANNELS 16u
/* The largest capacity of an agent and the largest cost of a channel. */
#define USHER_MAX_CAPACITY 10000u
/* The largest per-agent limit of a channel. */
#define USHER_MAX_CHANNEL_LIMIT 10000u
/* The longest wrap-up: one day. */
#define USHER_MAX_WRAPUP_MS 86400000u

enum usher_channel_flag {
    /* Work on this channel takes the whole agent: an agent with such work
     * gets nothing else, and an agent with any work (or wrap-up) does not
     * get this channel's work. A phone call. */
    USHER_CHANNEL_EXCLUSIVE = 1,
    /* With USHER_CHANNEL_EXCLUSIVE only: the channel's work may be given to
     * an agent who holds other work (the call interrupts the chats); the
     * agent's capacity must still allow its cost. */
    USHER_CHANNEL_INTERRUPTS = 2,
    /* The wrap-up of this channel's work blocks the whole agent (no new
     * work on any channel), not only the capacity of the ticket. */
    USHER_CHANNEL_WRAPUP_BLOCKS_AGENT = 4
};

typedef struct usher_channel_def {
    /* sizeof(usher_channel_def); set by usher_channel_def_init(). */
    uint32_t struct_size;
    /* enum usher_channel_flag bits. */
    uint32_t flags;
    /* Capacity units one ticket of this channel takes: 1 to
     * USHER_MAX_CAPACITY. */
    uint32_t cost;
    /* Default most tickets of this channel one agent holds at once
     * (wrap-ups included): 0 for no limit but capacity, else 1 to
     * USHER_MAX_CHANNEL_LIMIT. An agent may override it. */
    uint32_t max_per_agent;
    /* After-contact work after each ticket: 0 to USHER_MAX_WRAPUP_MS. */
    uint64_t wrapup_ms;
} usher_channel_def;

/* Fills *def with the defaults: cost 1, no flags, no limit, no wrap-up.
 * Does nothing if def is NULL. Callback: yes. */
USHER_API void usher_channel_def_init(usher_channel_def *def);

/*
 * Defines channel number `channel` (0 .. USHER_MAX_CHANNELS - 1). The
 * definition is copied.
 * Returns USHER_OK; USHER_EINVAL if engine or def is NULL, channel is out
 * of range, def->struct_size is too small, a field is out of range or
 * USHER_CHANNEL_INTERRUPTS is set without USHER_CHANNEL_EXCLUSIVE (or an
 * unknown flag is set); USHER_EEXIST if the channel is already defined;
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_channel_add(usher_engine *engine, uint32_t channel,
                                         const usher_channel_def *def);

/*
 * Removes a channel definition. Per-agent limits set for it are forgotten.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or channel is out of
 * range; USHER_ENOTFOUND if the channel is not defined; USHER_ESTATE if
 * the channel is in use (an agent holds work or wrap-up on it, or a live
 * ticket is of this channel); USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_channel_remove(usher_engine *engine, uint32_t channel);

/*
 * Copies the definition of a channel into *def (see "Output structures").
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL, channel is out of
 * range or def->struct_size is too small; USHER_ENOTFOUND if the channel is
 * not defined; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_channel_get(const usher_engine *engine, uint32_t channel,
                                         usher_channel_def *def);

/* ------------------------------------------------------------------------
 * Agents
 *
 * An agent is a 64-bit host id with a presence state, skills with a
 * proficiency, a total capacity in units, per-channel limits, and optional
 * load caps. An agent is *eligible* for a ticket of a channel when it is
 * available, not at a load cap or cooling down, not blocked by exclusive
 * work or a blocking wrap-up, and its capacity and the channel limit allow
 * one more ticket of that channel.
 *
 * Capacity follows the work, not the presence: going away or offline never
 * frees capacity; only the end of the work (usher_capacity_release) or of
 * its wrap-up does.
 * ------------------------------------------------------------------------ */

enum usher_agent_state {
    USHER_AGENT_OFFLINE = 0,
    USHER_AGENT_AVAILABLE = 1,
    /* Logged in, taking no new work; carries a reason code. */
    USHER_AGENT_AWAY = 2
};

/* Away reasons the engine sets itself. Host-defined reasons are >= 0. */
enum usher_away_reason {
    /* No activity reported for the agent's idle timeout. */
    USHER_AWAY_IDLE = -1,
    /* Missed the queue's max_missed_offers offers in a row. */
    USHER_AWAY_NO_ANSWER = -2
};

/* Why a ticket was handed back (USHER_EVENT_WORK_RETURNED's reason). */
enum usher_return_reason {
    USHER_RETURN_LOGOUT = 1,
    USHER_RETURN_REMOVED = 2
};

/* Which load cap (USHER_EVENT_LOAD_CAP_* reason). */
enum usher_load_cap {
    /* N assignments in the rolling window (usher_agent_set_load_cap). */
    USHER_CAP_WINDOW = 1,
    /* The cool-down after a heavy ticket (usher_agent_set_cooldown). */
    USHER_CAP_COOLDOWN = 2
};

/* A per-agent channel limit meaning "the channel's max_per_agent". */
#define USHER_LIMIT_DEFAULT UINT32_MAX

/*
 * Adds agent agent_id, offline, with no skills, `capacity` units (1 to
 * USHER_MAX_CAPACITY) and the channels' default limits.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or capacity is out of
 * range; USHER_EEXIST if the agent exists; USHER_ELIMIT if
 * USHER_MAX_OBJECTS agents exist; USHER_ENOMEM; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_agent_add(usher_engine *engine, uint64_t agent_id, uint32_t capacity);

/*
 * Removes an agent. The tickets it holds are released without wrap-up and
 * each is reported by a USHER_EVENT_WORK_RETURNED event (reason
 * USHER_RETURN_REMOVED); its wrap-ups and timers are cancelled without
 * events.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL; USHER_ENOTFOUND;
 * USHER_ENOMEM (the events could not be queued; nothing changed);
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_agent_remove(usher_engine *engine, uint64_t agent_id);

/*
 * Sets an agent's total capacity (1 to USHER_MAX_CAPACITY), also while it
 * holds work.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL, capacity is out of
 * range or below one of the agent's own channel limits; USHER_ENOTFOUND;
 * USHER_ESTATE if the agent's work in progress uses more than `capacity`;
 * USHER_ENOMEM (for the assignments more room makes possible: see
 * "Tickets"); USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_agent_set_capacity(usher_engine *engine, uint64_t agent_id,
                                                uint32_t capacity);

/*
 * Sets the most tickets of `channel` the agent holds at once (wrap-ups
 * included): 0 (never this channel) to the agent's capacity, or
 * USHER_LIMIT_DEFAULT for the channel's max_per_agent.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL, channel is out of range
 * or limit is above the agent's total capacity; USHER_ENOTFOUND if the
 * agent or the channel does not exist; USHER_ESTATE if the agent holds
 * more tickets of the channel than the new limit allows (for
 * USHER_LIMIT_DEFAULT: the channel's max_per_agent); USHER_ENOMEM (as for
 * usher_agent_set_capacity); USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_agent_set_channel_limit(usher_engine *engine, uint64_t agent_id,
                                                     uint32_t channel, uint32_t limit);

/* A skill with a proficiency level (or a minimum level, in requirements). */
typedef struct usher_skill_level {
    uint32_t skill;
    uint32_t level;
} usher_skill_level;

/*
 * Gives the agent skill `skill` at `level` (USHER_LEVEL_MIN to
 * USHER_LEVEL_MAX), or changes its level.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or level is out of
 * range; USHER_ENOTFOUND if the agent or the skill does not exist;
 * USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_agent_set_skill(usher_engine *engine, uint64_t agent_id,
                                             uint32_t skill, uint32_t level);

/*
 * Takes skill `skill` from the agent.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL; USHER_ENOTFOUND if the
 * agent does not exist or does not have the skill; USHER_ENOMEM;
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_agent_drop_skill(usher_engine *engine, uint64_t agent_id,
                                              uint32_t skill);

/*
 * Replaces all the agent's skills with `count` entries of `skills` (count
 * may be 0 to drop all; skills may then be NULL). The array is copied.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL, skills is NULL with a
 * nonzero count, a level is out of range or a skill appears twice;
 * USHER_ENOTFOUND if the agent or one of the skills does not exist;
 * USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_agent_set_skills(usher_engine *engine, uint64_t agent_id,
                                              const usher_skill_level *skills, size_t count);

/*
 * Copies up to `capacity` of the agent's skills, in increasing skill id,
 * into `out` and stores the agent's number of skills in *count (which may
 * be more than capacity: call again with a larger array). out may be NULL
 * when capacity is 0.
 * Returns USHER_OK; USHER_EINVAL if engine or count is NULL, or out is
 * NULL with a nonzero capacity; USHER_ENOTFOUND; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_agent_get_skills(const usher_engine *engine, uint64_t agent_id,
                                              usher_skill_level *out, size_t capacity,
                                              size_t *count);

/*
 * Moves an agent to `state`. Legal transitions: offline -> available or
 * away (log in), available -> away, away -> available, away -> away with
 * another reason, available or away -> offline (log out). `reason` is the
 * away reason (>= 0, host-defined) for USHER_AGENT_AWAY and must be 0
 * otherwise.
 *
 * Every successful call queues a USHER_EVENT_AGENT_STATE event. Logging
 * out then hands every ticket the agent holds back to the host, oldest
 * first, with a USHER_EVENT_WORK_RETURNED event each (reason
 * USHER_RETURN_LOGOUT); their capacity stays reserved until the host
 * releases them.
 *
 * Returns USHER_OK; USHER_EINVAL if engine is NULL, state is not an enum
 * usher_agent_state value or reason is invalid for it; USHER_ENOTFOUND;
 * USHER_ESTATE if the agent is already in that state (with that reason);
 * USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_agent_set_state(usher_engine *engine, uint64_t agent_id,
                                             int32_t state, int32_t reason);

/*
 * Caps the agent at max_assignments reservations in any rolling window of
 * window_ms (e.g. 12 per 3,600,000 ms). When a reservation fills the
 * window, USHER_EVENT_LOAD_CAP_REACHED (reason USHER_CAP_WINDOW) says until
 * when; the agent is not eligible until then, when
 * USHER_EVENT_LOAD_CAP_CLEARED follows. max_assignments 0 turns the cap
 * off (window_ms must then be 0). The engine keeps the times of the last
 * max_assignments reservations; changing the cap keeps the most recent
 * ones that fit, and takes effect at once: a cap it lifts queues
 * USHER_EVENT_LOAD_CAP_CLEARED, a cap it imposes or whose end it moves
 * queues USHER_EVENT_LOAD_CAP_REACHED with the new end.
 * Offers waiting for the agent's answer count toward the cap as well:
 * while the reservations in the window and the offers out reach
 * max_assignments, the agent is offered nothing more until an answer
 * (or an expiry) ends an offer or the oldest of those reservations leaves
 * the window, and is matched at that very time. This raises no load cap
 * event: those concern reservations filling the window alone.
 *
 * Returns USHER_OK; USHER_EINVAL if engine is NULL, max_assignments is
 * above 100000, window_ms is 0 with a cap or above USHER_TIME_MAX, or is
 * nonzero without one; USHER_ENOTFOUND; USHER_ENOMEM; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_agent_set_load_cap(usher_engine *engine, uint64_t agent_id,
                                                uint32_t max_assignments, uint64_t window_ms);

/*
 * Sets the agent's cool-down after a heavy ticket (released with
 * USHER_RELEASE_HEAVY): it is not eligible for cooldown_ms from that
 * release (0 turns cool-downs off; a cool-down in progress runs to its
 * end). Each heavy release queues USHER_EVENT_LOAD_CAP_REACHED (reason
 * USHER_CAP_COOLDOWN) with the end of the cool-down in force: a heavy
 * release during a cool-down extends it to the later end. Its end queues
 * USHER_EVENT_LOAD_CAP_CLEARED.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or cooldown_ms is above
 * USHER_TIME_MAX; USHER_ENOTFOUND; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_agent_set_cooldown(usher_engine *engine, uint64_t agent_id,
                                                uint64_t cooldown_ms);

/*
 * Sets the agent's idle timeout: an available agent holding no work and
 * no wrap-up, with no activity for idle_ms, is set away with reason
 * USHER_AWAY_IDLE (a USHER_EVENT_AGENT_STATE event). Activity is
 * usher_agent_activity(), becoming available, and the end of a ticket or
 * a wrap-up. 0 turns it off. The timeout counts from the last activity,
 * also when it is set or changed: an agent already inactive for longer is
 * set away at the next usher_advance(), with the time of this call.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or idle_ms is above
 * USHER_TIME_MAX; USHER_ENOTFOUND; USHER_ENOMEM; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_agent_set_idle_timeout(usher_engine *engine, uint64_t agent_id,
                                                    uint64_t idle_ms);

/*
 * Reports activity of the agent now (a click, a keystroke the host saw):
 * restarts its idle timeout.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL; USHER_ENOTFOUND;
 * USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_agent_activity(usher_engine *engine, uint64_t agent_id);

enum usher_agent_flag {
    /* At its rolling-window cap (usher_agent_set_load_cap). */
    USHER_AGENT_AT_LOAD_CAP = 1,
    /* Cooling down after a heavy ticket. */
    USHER_AGENT_COOLING_DOWN = 2,
    /* In a wrap-up that blocks the whole agent. */
    USHER_AGENT_WRAPUP_BLOCKED = 4,
    /* Holds work on an exclusive channel. */
    USHER_AGENT_EXCLUSIVE = 8
};

/* An agent's state and counters (usher_agent_get). */
typedef struct usher_agent_info {
    /* Set by the host: sizeof(usher_agent_info); see "Output structures". */
    uint32_t struct_size;
    /* enum usher_agent_state, and the away reason (0 unless away). */
    int32_t state;
    int32_t away_reason;
    /* enum usher_agent_flag bits. */
    uint32_t flags;
    /* Total capacity, and units held by work and wrap-ups. */
    uint32_t capacity;
    uint32_t capacity_used;
    /* Tickets held, and wrap-ups running. */
    uint32_t work_count;
    uint32_t wrapup_count;
    uint32_t skill_count;
    /* Load cap settings (0 when off). */
    uint32_t load_cap_max;
    uint64_t load_cap_window_ms;
    uint64_t cooldown_ms;
    uint64_t idle_timeout_ms;
    /* When the load cap or cool-down in force ends, 0 if none. */
    uint64_t capped_until_ms;
    /* Reservations since the agent was added or since the last
     * usher_agents_new_day(). */
    uint64_t assignments_today;
    /* Time from reservation to release of every ticket released so far,
     * plus the wrap-ups that ended. */
    uint64_t handled_ms;
    /* Time logged in (not offline), and the part of it during which the
     * agent held work or was in wrap-up: occupancy is busy_ms divided by
     * logged_in_ms. Both counted up to the engine's current time. */
    uint64_t busy_ms;
    uint64_t logged_in_ms;
    /* Offers that expired unanswered since the agent last accepted or
     * rejected one. */
    uint64_t missed_offers;
} usher_agent_info;

/*
 * Fills *info (see "Output structures") with agent agent_id's state.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL or info->struct_size
 * is too small; USHER_ENOTFOUND; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_agent_get(const usher_engine *engine, uint64_t agent_id,
                                       usher_agent_info *info);

/* An agent's use of one channel (usher_agent_get_channel). */
typedef struct usher_agent_channel_info {
    /* Set by the host: sizeof(usher_agent_channel_info). */
    uint32_t struct_size;
    /* The limit in force: the agent's own or the channel's; UINT32_MAX
     * when only capacity limits the channel. */
    uint32_t limit;
    /* Tickets held, and wrap-ups running, on this channel. */
    uint32_t active;
    uint32_t wrapping;
    /* How many more tickets of this channel capacity, limits, exclusive
     * work and blocking wrap-ups allow now (state and load caps aside). */
    uint32_t free;
    /* 1 if usher_capacity_reserve() on this channel would succeed now. */
    uint32_t eligible;
} usher_agent_channel_info;

/*
 * Fills *info with the agent's use of `channel`.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL, channel is out of
 * range or info->struct_size is too small; USHER_ENOTFOUND if the agent
 * or the channel does not exist; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_agent_get_channel(const usher_engine *engine, uint64_t agent_id,
                                               uint32_t channel, usher_agent_channel_info *info);

/*
 * Iterates over the agents: set *cursor to 0, then each call stores the
 * next agent's id in *agent_id and advances *cursor, until it returns
 * USHER_ENOTFOUND. Every agent that exists throughout the iteration is
 * seen exactly once; adding or removing agents meanwhile is allowed (those
 * may or may not be seen). The order is unspecified but deterministic.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL; USHER_ENOTFOUND at
 * the end; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_agent_next(const usher_engine *engine, uint64_t *cursor,
                                        uint64_t *agent_id);

/*
 * Starts a new day for the counters: sets every agent's assignments_today
 * to 0. usher never reads a calendar for this; the host calls it at the
 * start of its working day.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_agents_new_day(usher_engine *engine);

/* ------------------------------------------------------------------------
 * Capacity
 *
 * A ticket holds capacity at one agent at a time. Reservation checks
 * eligibility (see "Agents") and never lets an agent exceed its capacity
 * or a channel limit.
 * ------------------------------------------------------------------------ */

enum usher_release_flag {
    /* The ticket was heavy: start the agent's cool-down. */
    USHER_RELEASE_HEAVY = 1,
    /* No wrap-up (the ticket was transferred, or the host ends it without
     * after-contact work). */
    USHER_RELEASE_NO_WRAPUP = 2
};

/*
 * Reserves the capacity of one ticket of `channel` at the agent for
 * ticket ticket_id, counts an assignment (load cap, assignments_today).
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or channel is out of
 * range; USHER_ENOTFOUND if the agent or the channel does not exist;
 * USHER_EEXIST if the ticket already holds capacity or is a live ticket of
 * the router; USHER_ESTATE if the
 * agent is not available, is at a load cap or cooling down, or exclusive
 * work or a blocking wrap-up stands in the way; USHER_ELIMIT if the
 * agent's free capacity or channel limit does not allow the ticket;
 * USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_capacity_reserve(usher_engine *engine, uint64_t agent_id,
                                              uint64_t ticket_id, uint32_t channel);

/*
 * Ends ticket ticket_id's work: its capacity is freed, or held by the
 * channel's wrap-up (unless USHER_RELEASE_NO_WRAPUP) until
 * USHER_EVENT_WRAPUP_ENDED. flags: enum usher_release_flag bits.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or flags has unknown
 * bits; USHER_ENOTFOUND if the ticket holds no capacity; USHER_ESTATE if
 * the ticket is the router's (usher_ticket_submit): end it with
 * usher_ticket_complete(); USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_capacity_release(usher_engine *engine, uint64_t ticket_id,
                                              uint32_t flags);

/*
 * Stores the agent and channel where ticket ticket_id holds capacity.
 * Either output pointer may be NULL.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL; USHER_ENOTFOUND if the
 * ticket holds no capacity; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_capacity_holder(const usher_engine *engine, uint64_t ticket_id,
                                             uint64_t *agent_id, uint32_t *channel);


/* ------------------------------------------------------------------------
 * Queues
 *
 * A queue is a host-chosen 32-bit id with a routing policy: how its
 * waiting tickets are ordered and how an agent is chosen for a ticket.
 *
 * Ticket order. A waiting ticket's effective priority at time t, in
 * milli-points, is
 *
 *     E(t) = 1000 * (priority + tier_weight[tier])
 *          + ageing_rate * (t - created_ms) / 1000
 *
 * with ageing_rate in milli-points per second waited, compared exactly
 * (no rounding, no overflow, whatever the ages). The ticket with the
 * highest E is routed first; among equal E, the one submitted first
 * (FIFO). An agent who serves several queues takes the ticket with the
 * highest E across all of them, so one queue cannot starve another.
 *
 * Starvation bound. With ageing_rate > 0, a ticket A ranks ahead of every
 * ticket B of its queue whose priority + tier weight is higher by at most
 * d points and that was created more than 1000 * d / ageing_rate seconds
 * after A. So once A has waited that long, no ticket arriving from then on
 * with at most d more points overtakes it: A waits at most for the
 * tickets already ahead of it. (With the default 1000, one point per
 * second: after ten minutes a priority-0 ticket is overtaken by no new
 * ticket of priority 600 or less.) With ageing_rate 0 the order is strict
 * priority, FIFO within a priority, and low priorities can starve.
 * ------------------------------------------------------------------------ */

/* The highest ticket priority, and the highest tier weight. */
#define USHER_MAX_PRIORITY 1000u
/* Customer tiers are 0 .. USHER_MAX_TIERS - 1. */
#define USHER_MAX_TIERS 8u
/* The highest ageing rate: 1000 points per second. */
#define USHER_MAX_AGEING_RATE 1000000u

/* How a queue chooses among the eligible agents for a ticket. */
enum usher_strategy {
    /* The agent idle longest: since it last took a ticket, ended one or a
     * wrap-up, or became available (an agent who holds work but has room
     * counts from when it took its latest ticket). Ties (idle since the
     * same ms): the one that became idle first. */
    USHER_STRATEGY_LONGEST_IDLE = 0,
    /* The agent with the most free capacity units; ties: longest idle. */
    USHER_STRATEGY_MOST_FREE = 1,
    /* The best skill match: the sum of the agent's levels in the required
     * skills plus, for each preferred skill, its weight times the agent's
     * level in it (0 if it lacks it). Ties: longest idle. Preferred skills
     * count only under this strategy. */
    USHER_STRATEGY_BEST_SKILL = 2,
    /* The fewest assignments today (usher_agent_info.assignments_today);
     * ties: longest idle. */
    USHER_STRATEGY_FEWEST_ASSIGNMENTS = 3,
    /* Round robin: the agent whose last assignment is the oldest; agents
     * never assigned come first, by agent id. */
    USHER_STRATEGY_ROUND_ROBIN = 4,
    /* Uniformly at random among the eligible agents, from the engine's
     * seed (usher_config.seed): the same seed and calls give the same
     * choices. */
    USHER_STRATEGY_RANDOM = 5
};

/* How a queue hands a ticket to the agent chosen for it. */
enum usher_assign_mode {
    /* Assigned at once (USHER_EVENT_TICKET_ASSIGNED). */
    USHER_ASSIGN_DIRECT = 0,
    /* Offered (USHER_EVENT_TICKET_OFFERED); assigned when accepted. One
     * ticket has at most one offer at a time. */
    USHER_ASSIGN_OFFER = 1
};

/* A queue's policy (usher_queue_add). */
typedef struct usher_queue_def {
    /* sizeof(usher_queue_def) as the host compiled it; set by
     * usher_queue_def_init(). */
    uint32_t struct_size;
    /* An enum usher_strategy value. Default LONGEST_IDLE. */
    uint32_t strategy;
    /* Milli-points of effective priority per second waited, 0 ..
     * USHER_MAX_AGEING_RATE. Default 1000. */
    uint32_t ageing_rate;
    /* Points added to the priority of a ticket of each tier, 0 ..
     * USHER_MAX_PRIORITY. Default 0 for every tier. */
    uint32_t tier_weight[USHER_MAX_TIERS];
    uint32_t reserved;
    /* A ticket answered (assigned) within this many ms of its creation
     * counts toward the queue's service level. Default 20000. */
    uint64_t service_level_ms;
    /* An enum usher_assign_mode value. Default DIRECT. */
    uint32_t assign_mode;
    /* OFFER mode: after this many consecutive offers expired unanswered an
     * agent is set away (USHER_AWAY_NO_ANSWER); 0: never. Default 3. */
    uint32_t max_missed_offers;
    /* OFFER mode: how long an offer waits for an answer (1 ms .. 1 day,
     * default 20000), and how long an agent who rejected or missed a
     * ticket is not offered it again (0 .. 1 day, default 60000). */
    uint64_t offer_timeout_ms;
    uint64_t reject_cooldown_ms;
    /* Repeat contacts: when a ticket submitted to this queue is its
     * customer's repeat_threshold-th or later within repeat_window_ms
     * (counting the customer's tickets in every queue), it is escalated
     * (USHER_EVENT_TICKET_ESCALATED) as repeat_flags say: its tier raised
     * to at least repeat_tier, and/or submitted to queue repeat_queue
     * instead (if that queue exists then). repeat_threshold 0 (default)
     * turns this off, else 2 .. USHER_MAX_REPEAT_THRESHOLD. */
    uint32_t repeat_threshold;
    uint32_t repeat_flags; /* enum usher_repeat_flag bits */
    uint64_t repeat_window_ms; /* 1 ms .. 90 days when on */
    uint32_t repeat_tier;
    uint32_t repeat_queue;
    /* A returning customer's new ticket (customer_id known, no preferred
     * agent given) prefers the agent who was last assigned one of the
     * customer's tickets in a queue with sticky_ms set, and waits up to
     * sticky_ms for them (see usher_ticket_spec.preferred_agent_id).
     * 0 (default): off; at most 1 day. */
    uint64_t sticky_ms;
    /* An enum usher_ticket_order value. Default PRIORITY. */
    uint32_t order;
    uint32_t reserved2;
    /* The rolling window of the service level in usher_queue_stats: 1 min
     * .. 7 days, a multiple of 60 ms (default 1 h). */
    uint64_t sl_window_ms;
} usher_queue_def;

/* How a queue orders its waiting tickets. */
enum usher_ticket_order {
    /* By effective priority, FIFO among equals (see above). */
    USHER_ORDER_PRIORITY = 0,
    /* By the earliest running deadline of the ticket's SLA clocks (a ticket
     * of the same id tracked by usher_sla_start), FIFO among equals;
     * tickets without a running deadline come after, FIFO. Between a
     * ticket of such a queue and one of a PRIORITY queue (an agent serving
     * both), effective priority decides. */
    USHER_ORDER_SLA_DEADLINE = 1
};

/* The most tickets a repeat-contact rule counts. */
#define USHER_MAX_REPEAT_THRESHOLD 16u

enum usher_repeat_flag {
    USHER_REPEAT_RAISE_TIER = 1,
    USHER_REPEAT_MOVE_QUEUE = 2
};

/* Fills *def with the defaults above. */
USHER_API void usher_queue_def_init(usher_queue_def *def);

/*
 * Defines queue queue_id with policy *def (copied).
 * Returns USHER_OK; USHER_EINVAL if engine or def is NULL, def->struct_size
 * is too small, or a field is out of range; USHER_EEXIST if the queue
 * exists; USHER_ELIMIT; USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_queue_add(usher_engine *engine, uint32_t queue_id,
                                       const usher_queue_def *def);

/*
 * Removes queue queue_id, which must hold no live ticket.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL; USHER_ENOTFOUND;
 * USHER_ESTATE if tickets of the queue are waiting or assigned;
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_queue_remove(usher_engine *engine, uint32_t queue_id);

/*
 * Widening ("bullseye"): a queue's ordered steps, each applied once to
 * each of its tickets when the ticket has waited after_ms since its
 * creation (USHER_EVENT_TICKET_WIDENED). Steps already due when a ticket
 * enters the queue fire at the next usher_advance(). A ticket that moves
 * to another queue starts that queue's steps; a step that does not apply
 * to a ticket (a skill it does not require or prefer, a level already
 * lower) changes nothing but still counts as fired.
 */
#define USHER_MAX_WIDEN_STEPS 16u

enum usher_widen_action {
    /* Lower the minimum level of required skill `skill` to `value`
     * (1 .. 10). */
    USHER_WIDEN_LOWER_LEVEL = 1,
    /* Drop preferred skill `skill`. */
    USHER_WIDEN_DROP_PREFERRED = 2,
    /* Let the overflow group `skill` take the ticket too: agents with that
     * skill (any level) become eligible for it whatever its other
     * requirements (same channel; the main agents keep precedence). Give
     * the group's skill to the cross-trained backup agents. */
    USHER_WIDEN_OVERFLOW_GROUP = 3,
    /* Raise the priority by `value` points (capped at USHER_MAX_PRIORITY). */
    USHER_WIDEN_RAISE_PRIORITY = 4,
    /* Move a waiting ticket to queue `value` (an overflow queue; skipped
     * if that queue no longer exists or the ticket is not waiting). */
    USHER_WIDEN_MOVE_QUEUE = 5
};

typedef struct usher_widen_step {
    /* When the step fires: ms waited since the ticket's creation. Steps
     * are given in non-decreasing order of after_ms. */
    uint64_t after_ms;
    /* An enum usher_widen_action value. */
    uint32_t action;
    /* The skill or group of LOWER_LEVEL, DROP_PREFERRED, OVERFLOW_GROUP. */
    uint32_t skill;
    /* The level, points or queue id (see the actions); 0 otherwise. */
    uint32_t value;
    uint32_t reserved;
} usher_widen_step;

/*
 * Sets queue queue_id's widening steps (copied; count 0 removes them).
 * Allowed only while the queue holds no live ticket.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL, steps is NULL with a
 * nonzero count, count > USHER_MAX_WIDEN_STEPS, steps are out of order,
 * an action, level or after_ms (beyond USHER_TIME_MAX) is out of range,
 * reserved is nonzero, or a step moves to the queue itself;
 * USHER_ENOTFOUND if the queue, a skill or a target queue does not exist;
 * USHER_ESTATE if tickets of the queue are live; USHER_ENOMEM;
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_queue_set_widening(usher_engine *engine, uint32_t queue_id,
                                                const usher_widen_step *steps, size_t count);

/* A queue's counters (usher_queue_get_stats). Counters run from the
 * queue's creation or its last usher_queue_reset_stats(). */
typedef struct usher_queue_stats {
    /* Set by the host: sizeof(usher_queue_stats). */
    uint32_t struct_size;
    uint32_t reserved;
    /* Tickets waiting now, and the age of the oldest (ms since created),
     * 0 when none waits. */
    uint64_t waiting;
    uint64_t longest_wait_ms;
    /* Tickets that entered the queue (submitted or transferred in). */
    uint64_t entered;
    /* Tickets assigned to an agent for the first time from this queue,
     * and how many of those within service_level_ms of their creation. */
    uint64_t answered;
    uint64_t answered_in_sl;
    /* The sum of the waits (creation to first assignment) of the answered
     * tickets: the average speed of answer is answer_wait_ms / answered. */
    uint64_t answer_wait_ms;
    /* Tickets cancelled while waiting or offered (customer abandoned). */
    uint64_t abandoned;
    /* Tickets completed. */
    uint64_t completed;
    /* Offers made, rejected, and expired unanswered. */
    uint64_t offered;
    uint64_t offers_rejected;
    uint64_t offers_expired;
    /* The answered and answered_in_sl counts of the last sl_window_ms
     * (in whole 1/60ths of it): the rolling service level. */
    uint64_t window_answered;
    uint64_t window_answered_in_sl;
    /* SLA targets (index: enum usher_sla_target) met and breached by
     * tickets whose SLA attributes name this queue ("SLA tracking"). */
    uint64_t sla_met[4];
    uint64_t sla_breached[4];
} usher_queue_stats;

/*
 * Fills *stats (see "Output structures") with queue queue_id's counters.
 * Costs O(tickets waiting in the queue) for longest_wait_ms.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL or
 * stats->struct_size is too small; USHER_ENOTFOUND; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_queue_get_stats(const usher_engine *engine, uint32_t queue_id,
                                             usher_queue_stats *stats);

/*
 * Sets queue queue_id's counters to 0 (waiting and longest_wait_ms are
 * not counters and stay true).
 * Returns USHER_OK; USHER_EINVAL if engine is NULL; USHER_ENOTFOUND;
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_queue_reset_stats(usher_engine *engine, uint32_t queue_id);

/* ------------------------------------------------------------------------
 * Tickets
 *
 * A ticket is a 64-bit host id that waits in a queue until an agent who is
 * eligible (see "Agents") and meets every required skill at its minimum
 * level is chosen for it by the queue's strategy; it is then assigned:
 * its capacity is reserved at that agent (USHER_EVENT_TICKET_ASSIGNED).
 *
 * Matching runs inside the call that makes it possible (a submit, an
 * agent becoming available or freeing capacity, a wrap-up ending, a skill
 * or capacity change), so that after every call no waiting ticket could be
 * taken by an eligible agent. When several agents become free in one call
 * (or by timers due in the same ms), each takes the ticket of highest
 * effective priority it can, and a ticket goes to the agent its queue's
 * strategy ranks first among them.
 *
 * Memory for those matches is reserved before a call changes anything
 * (hence USHER_ENOMEM from calls such as usher_agent_set_capacity): for as
 * many matches as the capacity units of the agent the call frees or opens,
 * and 16 for tickets it puts back to waiting. Matches beyond that (many
 * tickets requeued at once) take memory as they are made; if that fails,
 * the call still succeeds and the next call, usher_advance() included,
 * makes them.
 *
 * A ticket lives until usher_ticket_complete() or usher_ticket_cancel():
 * it ends exactly once, and its id may then be used again. Ticket ids and
 * the tickets of usher_capacity_reserve() share one space.
 * ------------------------------------------------------------------------ */

/* Skills a ticket may require, and prefer. */
#define USHER_MAX_TICKET_SKILLS 32u
/* The highest weight of a preferred skill. */
#define USHER_MAX_PREFERENCE_WEIGHT 100u
/* usher_ticket_spec.created_ms: "now". */
#define USHER_CREATED_NOW UINT64_MAX

/* What a ticket is (usher_ticket_submit). */
typedef struct usher_ticket_spec {
    /* sizeof(usher_ticket_spec) as the host compiled it; set by
     * usher_ticket_spec_init(). */
    uint32_t struct_size;
    /* The queue and the channel (both must exist). */
    uint32_t queue;
    uint32_t channel;
    /* 0 .. USHER_MAX_PRIORITY (default 0), and 0 .. USHER_MAX_TIERS - 1
     * (default 0). */
    uint32_t priority;
    uint32_t tier;
    /* Required skills with their minimum levels (1 .. 10): an agent must
     * have each at that level or above. Distinct skills, at most
     * USHER_MAX_TICKET_SKILLS; NULL when the count is 0. Copied. */
    uint32_t required_count;
    const usher_skill_level *required;
    /* Preferred skills: `level` is the weight, 1 ..
     * USHER_MAX_PREFERENCE_WEIGHT (see USHER_STRATEGY_BEST_SKILL).
     * Distinct, not also required, at most USHER_MAX_TICKET_SKILLS. */
    uint32_t preferred_count;
    /* Explicit padding (the next field is 8-byte aligned): set to 0. */
    uint32_t reserved;
    const usher_skill_level *preferred;
    /* The host's opaque customer id, 0 for none. */
    uint64_t customer_id;
    /* When the customer's request was created: at most the engine's
     * clock, or USHER_CREATED_NOW (the default). The wait counts from it. */
    uint64_t created_ms;
    /* An agent to prefer (0: none) and how long to wait for them (0 ..
     * 1 day). An agent who is offline, away or unknown is skipped at
     * once; one who is available but cannot take the ticket now is
     * waited for up to preferred_wait_ms (the ticket waits in its queue
     * but only that agent may take it), then anyone eligible may. If the
     * agent goes away or offline meanwhile, the wait ends at once. */
    uint64_t preferred_agent_id;
    uint64_t preferred_wait_ms;
} usher_ticket_spec;

/* Fills *spec with the defaults above (queue 0, channel 0, no skills). */
USHER_API void usher_ticket_spec_init(usher_ticket_spec *spec);

/*
 * Submits ticket ticket_id: it is assigned at once if an agent can take
 * it, and waits otherwise. The skills must exist.
 * Returns USHER_OK; USHER_EINVAL if engine or spec is NULL,
 * spec->struct_size is too small, or a field is out of range (priority,
 * tier, a level or weight, a count, a repeated skill, created_ms later
 * than the clock); USHER_ENOTFOUND if the queue, the channel or a skill
 * does not exist; USHER_EEXIST if the ticket id is live (or holds
 * capacity); USHER_ELIMIT; USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_ticket_submit(usher_engine *engine, uint64_t ticket_id,
                                           const usher_ticket_spec *spec);

/*
 * Sets a live ticket's priority (0 .. USHER_MAX_PRIORITY) or tier (0 ..
 * USHER_MAX_TIERS - 1); a waiting ticket moves to its new place. If the
 * ticket's id is also tracked for SLA, its policy is chosen again (see
 * "SLA tracking").
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or the value is out of
 * range; USHER_ENOTFOUND; USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_ticket_set_priority(usher_engine *engine, uint64_t ticket_id,
                                                 uint32_t priority);
/* The same for the tier (see usher_ticket_set_priority). */
USHER_API usher_status usher_ticket_set_tier(usher_engine *engine, uint64_t ticket_id,
                                             uint32_t tier);

/*
 * Adds a required skill to a live ticket, or changes its minimum level;
 * drops one. A waiting ticket is matched again at once; an assigned ticket
 * keeps its agent (the change applies if it is requeued).
 * Returns USHER_OK; USHER_EINVAL if engine is NULL, level is out of range
 * or the ticket would require more than USHER_MAX_TICKET_SKILLS;
 * USHER_ENOTFOUND if the ticket or skill does not exist, or (drop) the
 * ticket does not require the skill; USHER_ESTATE if the skill is one of
 * the ticket's preferred skills (require); USHER_ENOMEM; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_ticket_require(usher_engine *engine, uint64_t ticket_id,
                                            uint32_t skill_id, uint32_t level);
/* Drops a required skill (see usher_ticket_require for the returns). */
USHER_API usher_status usher_ticket_drop_requirement(usher_engine *engine, uint64_t ticket_id,
                                                     uint32_t skill_id);

/*
 * Moves a live ticket to queue queue_id. An assigned ticket leaves its
 * agent first (capacity released without wrap-up). The ticket keeps its
 * creation time, so its wait goes on; it is matched at once in the new
 * queue. Queues USHER_EVENT_TICKET_TRANSFERRED (then perhaps an
 * assignment).
 * Returns USHER_OK; USHER_EINVAL if engine is NULL; USHER_ENOTFOUND if
 * the ticket or queue does not exist; USHER_ESTATE if the ticket is
 * already in that queue and waiting; USHER_ENOMEM; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_ticket_transfer(usher_engine *engine, uint64_t ticket_id,
                                             uint32_t queue_id);

/*
 * The customer abandoned a waiting ticket: it ends
 * (USHER_EVENT_TICKET_ABANDONED) and counts as abandoned in its queue.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL; USHER_ENOTFOUND;
 * USHER_ESTATE if the ticket is assigned (complete it instead);
 * USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_ticket_cancel(usher_engine *engine, uint64_t ticket_id);

/*
 * Ends a live ticket (USHER_EVENT_TICKET_COMPLETED). If it is assigned,
 * its capacity is released as by usher_capacity_release() with `flags`
 * (enum usher_release_flag bits): the agent's wrap-up starts. A waiting
 * ticket (solved without an agent) just ends.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or flags has unknown
 * bits; USHER_ENOTFOUND if the ticket is not live (completing twice
 * gives this); USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_ticket_complete(usher_engine *engine, uint64_t ticket_id,
                                             uint32_t flags);

enum usher_ticket_state {
    USHER_TICKET_WAITING = 1,
    USHER_TICKET_ASSIGNED = 2,
    /* Offered to an agent, awaiting the answer; for the rest of the API
     * it is waiting (it can be cancelled, completed, transferred: the
     * offer is withdrawn). */
    USHER_TICKET_OFFERED = 3
};

/* A live ticket (usher_ticket_get). */
typedef struct usher_ticket_info {
    /* Set by the host: sizeof(usher_ticket_info). */
    uint32_t struct_size;
    /* An enum usher_ticket_state value. */
    uint32_t state;
    uint32_t queue;
    uint32_t channel;
    uint32_t priority;
    uint32_t tier;
    uint32_t required_count;
    uint32_t preferred_count;
    uint64_t customer_id;
    uint64_t created_ms;
    /* The agent holding it or offered it (0 if waiting), and when it was
     * assigned (0 unless assigned). */
    uint64_t agent_id;
    uint64_t assigned_ms;
    /* The effective priority now, in milli-points (see "Queues"), rounded
     * down; INT64_MAX if larger. */
    int64_t effective_priority;
    /* While offered: the offer's token and expiry; 0 otherwise. */
    uint64_t offer_token;
    uint64_t offer_expires_ms;
    /* While the ticket waits for a preferred agent: the agent and until
     * when; 0 otherwise. */
    uint64_t preferred_agent_id;
    uint64_t preferred_until_ms;
} usher_ticket_info;

/*
 * Fills *info (see "Output structures") with a live ticket's state.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL or info->struct_size
 * is too small; USHER_ENOTFOUND; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_ticket_get(const usher_engine *engine, uint64_t ticket_id,
                                        usher_ticket_info *info);

/* ------------------------------------------------------------------------
 * Offers
 *
 * In a queue of mode USHER_ASSIGN_OFFER the chosen agent is offered the
 * ticket and its capacity is held until the host answers. An offer is a
 * lease: its token (from USHER_EVENT_TICKET_OFFERED) must come with the
 * answer, and an offer that expired, was answered or was withdrawn can
 * never be answered again. A rejected or expired ticket goes back to its
 * place (it keeps its age) and is not offered to that agent for the
 * queue's reject_cooldown_ms; after it, the agent may get it again (even
 * when it is the only eligible agent).
 * ------------------------------------------------------------------------ */

/*
 * Accepts an offer: the ticket is assigned to the agent it was offered to
 * (USHER_EVENT_TICKET_ASSIGNED; the assignment counts toward load caps and
 * assignments_today now), and the agent's missed_offers returns to 0.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL; USHER_ENOTFOUND if the
 * ticket is not live; USHER_ESTATE if it is not offered; USHER_ETOKEN if
 * token is not its current offer's; USHER_ENOMEM; USHER_ECLOSED.
 * Callback: yes (also from inside the offer's own event).
 */
USHER_API usher_status usher_offer_accept(usher_engine *engine, uint64_t ticket_id,
                                          uint64_t token);

/*
 * Rejects an offer (USHER_EVENT_OFFER_REJECTED): the agent's capacity is
 * freed, the ticket waits again in its place and is matched at once with
 * another agent if one can take it; the agent's missed_offers returns
 * to 0. Returns as usher_offer_accept(). Callback: yes.
 */
USHER_API usher_status usher_offer_reject(usher_engine *engine, uint64_t ticket_id,
                                          uint64_t token);

/* ------------------------------------------------------------------------
 * Business-hours calendars
 *
 * A calendar is a host-chosen 32-bit id with an IANA time zone, weekly
 * open hours in that zone's local time, and holidays (local dates, or parts
 * of them, when it is closed). A new calendar is open all week until its
 * hours are set; holidays close it whatever its hours. Local times follow
 * the zone's daylight-saving changes: an interval that opens at 08:00 opens
 * at 08:00 local time on both sides of a change; on the night a clock
 * jumps forward an interval across the jump is an hour shorter, and on the
 * night it falls back, an hour longer (an interval that ends inside the
 * repeated hour ends the first time the clock reaches its end).
 *
 * Calendar USHER_CALENDAR_24_7 (0) always exists: open all the time, UTC;
 * it cannot be changed or removed. Calendars handle instants up to
 * USHER_CALENDAR_TIME_MAX (the end of the year 9999 UTC).
 * ------------------------------------------------------------------------ */

#define USHER_CALENDAR_24_7 0u
#define USHER_CALENDAR_TIME_MAX UINT64_C(253402300799999)
/* The most open intervals in a week, holidays in a calendar, and separate
 * closed stretches on one date. */
#define USHER_MAX_OPEN_INTERVALS 64u
#define USHER_MAX_HOLIDAYS 4096u
#define USHER_MAX_CLOSED_PER_DAY 64u
/* The longest zone name usher_calendar_add() accepts. */
#define USHER_ZONE_NAME_MAX 255u

/* Weekly open hours: from open_minute after local midnight of `weekday` to
 * close_minute; a close_minute beyond 1440 runs past midnight into the
 * next day (an overnight shift). */
typedef struct usher_open_hours {
    /* 0 = Sunday .. 6 = Saturday. */
    uint32_t weekday;
    /* 0 .. 1439. */
    uint32_t open_minute;
    /* open_minute + 1 .. open_minute + 1440. */
    uint32_t close_minute;
} usher_open_hours;

/*
 * Creates calendar calendar_id (not 0) in time zone `zone`, an IANA name
 * such as "Europe/Berlin" read from the system's /usr/share/zoneinfo
 * (this reads a file, once; nothing else in usher does I/O), open all week.
 * Returns USHER_OK; USHER_EINVAL if engine or zone is NULL, calendar_id is
 * 0, or the name is empty, longer than USHER_ZONE_NAME_MAX, absolute, or
 * has a ".." part or a character outside A-Z a-z 0-9 / _ + - .;
 * USHER_EEXIST; USHER_ENOTFOUND if no such zone file can be read;
 * USHER_ECORRUPT if the file is not valid TZif data; USHER_ENOMEM;
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_calendar_add(usher_engine *engine, uint32_t calendar_id,
                                          const char *zone);

/*
 * As usher_calendar_add(), with the zone's TZif data (RFC 8536, versions 1
 * to 4, without leap seconds) supplied by the host; `tzif` is read during
 * the call only. USHER_ECORRUPT for data that is truncated, malformed or
 * unsupported: it is never read beyond `size` bytes.
 */
USHER_API usher_status usher_calendar_add_tzif(usher_engine *engine, uint32_t calendar_id,
                                               const void *tzif, size_t size);

/*
 * Removes a calendar.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or calendar_id is 0;
 * USHER_ENOTFOUND; USHER_ESTATE if an SLA policy uses it; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_calendar_remove(usher_engine *engine, uint32_t calendar_id);

/*
 * Replaces the calendar's weekly open hours (copied) with `count` (1 ..
 * USHER_MAX_OPEN_INTERVALS) intervals, which must not overlap (touching is
 * fine), overnight parts included.
 * Returns USHER_OK; USHER_EINVAL if engine or hours is NULL, calendar_id
 * is 0, count is out of range, an interval is out of range or intervals
 * overlap; USHER_ENOTFOUND; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_calendar_set_hours(usher_engine *engine, uint32_t calendar_id,
                                                const usher_open_hours *hours, size_t count);

/*
 * Closes the calendar on local date year-month-day from from_minute to
 * to_minute after local midnight (0 and 1440: the whole day), whatever
 * its hours. Holidays may overlap: they add up.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL, calendar_id is 0, the
 * date is not a valid date of years 1970 .. 9999, or the minutes are not
 * 0 <= from_minute < to_minute <= 1440; USHER_ENOTFOUND; USHER_ELIMIT
 * beyond USHER_MAX_HOLIDAYS, or beyond USHER_MAX_CLOSED_PER_DAY separate
 * stretches on that date; USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_calendar_add_holiday(usher_engine *engine, uint32_t calendar_id,
                                                  uint32_t year, uint32_t month, uint32_t day,
                                                  uint32_t from_minute, uint32_t to_minute);

/*
 * The instant at which `business_ms` of open time have passed from
 * from_ms on (from_ms itself when business_ms is 0), exact to the
 * millisecond; USHER_TIME_NEVER if that is after USHER_CALENDAR_TIME_MAX.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL or from_ms is after
 * USHER_CALENDAR_TIME_MAX; USHER_ENOTFOUND; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_calendar_add_business(const usher_engine *engine,
                                                   uint32_t calendar_id, uint64_t from_ms,
                                                   uint64_t business_ms, uint64_t *due_ms);

/*
 * The open time between from_ms and to_ms (to_ms >= from_ms), exact to the
 * millisecond.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL, to_ms < from_ms or
 * to_ms is after USHER_CALENDAR_TIME_MAX; USHER_ENOTFOUND; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_calendar_business_between(const usher_engine *engine,
                                                       uint32_t calendar_id, uint64_t from_ms,
                                                       uint64_t to_ms, uint64_t *business_ms);

/*
 * The first instant at or after at_ms when the calendar is open
 * (USHER_TIME_NEVER if none before USHER_CALENDAR_TIME_MAX).
 * Returns as usher_calendar_add_business().
 */
USHER_API usher_status usher_calendar_next_open(const usher_engine *engine, uint32_t calendar_id,
                                                uint64_t at_ms, uint64_t *open_ms);

/* ------------------------------------------------------------------------
 * SLA tracking
 *
 * A policy has up to four targets. Each runs as a clock per ticket, in
 * calendar time or in the business time of the policy's calendar:
 *
 *   FIRST_RESPONSE   from the ticket's creation to the first agent reply;
 *   NEXT_RESPONSE    from a customer message (when none is waiting for an
 *                    answer) to the next agent reply;
 *   PERIODIC_UPDATE  from the creation, then from each agent reply, to the
 *                    next agent reply: the agent must update every so often;
 *   RESOLUTION       from the creation to "solved" (a reopen resumes it).
 *
 * An agent reply satisfies FIRST_RESPONSE and NEXT_RESPONSE and restarts
 * PERIODIC_UPDATE; no target overrides another. "Pending customer" pauses
 * the targets in the policy's pause_mask until "resumed". "Solved" stops
 * every clock (RESOLUTION is met or late; the others stop). A policy's
 * warning thresholds (per mille of the target) raise USHER_EVENT_SLA_WARNING
 * and the deadline USHER_EVENT_SLA_BREACHED, once each per cycle, in order,
 * each carrying its exact time in due_ms, also when the host's clock jumps
 * past several; a target completed in time raises USHER_EVENT_SLA_MET. With
 * USHER_SLA_HOLD_EVENTS, events that fall due while the policy's calendar
 * is closed are held and raised together at its next opening, in order,
 * each as it fell due: due_ms exact, threshold and target left those of
 * the policy in force then. Held events stay held across a pause, a
 * restart of the target and a change of policy (then the new policy's
 * calendar opens them; one that does not hold events raises them at the
 * next usher_advance). A target holds at most USHER_MAX_SLA_WARNINGS + 1
 * events: should one more fall due in the same closed stretch (possible
 * only across restarts or policy changes), the earliest is raised then.
 *
 * A ticket's policy is chosen by the rules (usher_sla_set_rules: the first
 * rule matching its channel, queue, tier and priority wins, else the
 * default). When those change (usher_sla_update, or the routing calls that
 * change a ticket of the same id: usher_ticket_set_priority, _set_tier,
 * _transfer), the policy is chosen again and the targets recomputed,
 * keeping the time already elapsed (and so the time already paused).
 * ------------------------------------------------------------------------ */

enum usher_sla_target {
    USHER_SLA_FIRST_RESPONSE = 0,
    USHER_SLA_NEXT_RESPONSE = 1,
    USHER_SLA_PERIODIC_UPDATE = 2,
    USHER_SLA_RESOLUTION = 3
};
#define USHER_SLA_TARGETS 4u
#define USHER_MAX_SLA_WARNINGS 4u
/* The longest target: a year. */
#define USHER_MAX_SLA_TARGET_MS UINT64_C(31536000000)

enum usher_sla_policy_flag {
    /* Deliver warnings and breaches only while the policy's calendar is
     * open: one due in closed hours is held to the next opening (its
     * due_ms stays exact). */
    USHER_SLA_HOLD_EVENTS = 1
};

typedef struct usher_sla_policy_def {
    /* sizeof(usher_sla_policy_def); set by usher_sla_policy_def_init(). */
    uint32_t struct_size;
    /* enum usher_sla_policy_flag bits. */
    uint32_t flags;
    /* Bit t set: the policy has target t (enum usher_sla_target), of
     * target_ms[t] (1 .. USHER_MAX_SLA_TARGET_MS). */
    uint32_t target_mask;
    /* Bit t set: target t counts business time of `calendar`; else
     * calendar time. */
    uint32_t business_mask;
    /* Bit t set: "pending customer" pauses target t. */
    uint32_t pause_mask;
    /* The calendar of business time and held events (default 24/7). */
    uint32_t calendar;
    uint64_t target_ms[USHER_SLA_TARGETS];
    /* Warning thresholds in per mille of each target, 1 .. 999, strictly
     * increasing; warning_count 0 .. USHER_MAX_SLA_WARNINGS. */
    uint32_t warning_count;
    uint32_t warning_permille[USHER_MAX_SLA_WARNINGS];
    /* Explicit padding to a multiple of 8 bytes: set to 0. */
    uint32_t reserved;
} usher_sla_policy_def;

/* Fills *def: no targets, no warnings, calendar 24/7, no flags. */
USHER_API void usher_sla_policy_def_init(usher_sla_policy_def *def);

/*
 * Defines SLA policy policy_id (copied).
 * Returns USHER_OK; USHER_EINVAL if engine or def is NULL, def->struct_size
 * is too small, no target is set, a target is 0 or too long, masks or
 * flags have unknown bits, or warnings are out of range or not increasing;
 * USHER_ENOTFOUND if the calendar does not exist; USHER_EEXIST;
 * USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_sla_policy_add(usher_engine *engine, uint32_t policy_id,
                                            const usher_sla_policy_def *def);

/* "Any" in a rule's channel, queue or tier. */
#define USHER_SLA_ANY UINT32_MAX
/* usher_sla_set_rules' default_policy: tickets no rule matches have no SLA. */
#define USHER_SLA_NO_POLICY UINT32_MAX
#define USHER_MAX_SLA_RULES 1024u

typedef struct usher_sla_rule {
    uint32_t channel; /* or USHER_SLA_ANY */
    uint32_t queue;   /* or USHER_SLA_ANY */
    uint32_t tier;    /* or USHER_SLA_ANY */
    uint32_t min_priority, max_priority;
    uint32_t policy;
} usher_sla_rule;

/*
 * Replaces the policy rules (copied; checked in order, first match wins)
 * and the default policy. Tickets already tracked keep their policy until
 * their attributes change.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL, rules is NULL with a
 * nonzero count, count > USHER_MAX_SLA_RULES or a rule's priorities are
 * inverted; USHER_ENOTFOUND if a policy does not exist; USHER_ENOMEM;
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_sla_set_rules(usher_engine *engine, const usher_sla_rule *rules,
                                           size_t count, uint32_t default_policy);

/* What the rules match a ticket on. */
typedef struct usher_sla_spec {
    /* sizeof(usher_sla_spec); set by usher_sla_spec_init(). */
    uint32_t struct_size;
    uint32_t channel, queue, tier, priority;
    uint32_t reserved;
    /* When the customer's request was created (<= the clock), or
     * USHER_CREATED_NOW (the default): the clocks start then. */
    uint64_t created_ms;
} usher_sla_spec;

/* Fills *spec: channel, queue, tier and priority 0, created_ms
 * USHER_CREATED_NOW. */
USHER_API void usher_sla_spec_init(usher_sla_spec *spec);

/*
 * Starts tracking ticket ticket_id (any 64-bit id; it need not be a routed
 * ticket): its policy is chosen and FIRST_RESPONSE, PERIODIC_UPDATE and
 * RESOLUTION start at created_ms. Events that fell due since created_ms
 * are raised by this call, in time order, each with its own due_ms.
 * Returns USHER_OK; USHER_EINVAL if engine or spec is NULL,
 * spec->struct_size is too small or created_ms is later than the clock;
 * USHER_EEXIST if the ticket is tracked; USHER_ENOTFOUND if no policy
 * applies; USHER_ENOMEM; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_sla_start(usher_engine *engine, uint64_t ticket_id,
                                       const usher_sla_spec *spec);

/*
 * The ticket's channel, queue, tier or priority changed: its policy is
 * chosen again (created_ms is ignored) and its targets recomputed keeping
 * the time already elapsed. A target the new policy lacks stops (events it
 * holds are still raised); one it adds starts as if it had run since the
 * creation; one whose elapsed time already exceeds its new length is
 * breached by this call (due_ms: now), also while paused.
 * While pending, the new policy's pause_mask says what is paused.
 * Returns as usher_sla_start(), USHER_ENOTFOUND also for an untracked
 * ticket.
 */
USHER_API usher_status usher_sla_update(usher_engine *engine, uint64_t ticket_id,
                                        const usher_sla_spec *spec);

/* What happened to a tracked ticket (usher_sla_report). */
enum usher_sla_report {
    USHER_SLA_AGENT_REPLY = 1,
    USHER_SLA_CUSTOMER_MESSAGE = 2,
    USHER_SLA_PENDING_CUSTOMER = 3,
    USHER_SLA_RESUMED = 4,
    USHER_SLA_SOLVED = 5,
    USHER_SLA_REOPENED = 6
};

/*
 * Reports what happened to ticket ticket_id now (see "SLA tracking").
 * Warnings and breaches that fell due before now and were not raised yet
 * (the host's clock has not been advanced to them) are raised first: a
 * reply after the deadline is late even before the breach event came.
 * PENDING_CUSTOMER while pending and RESUMED while not pending, SOLVED
 * while solved and anything but REOPENED after it are USHER_ESTATE.
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or `what` is unknown;
 * USHER_ENOTFOUND if the ticket is not tracked; USHER_ESTATE; USHER_ENOMEM;
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_sla_report(usher_engine *engine, uint64_t ticket_id, uint32_t what);

/*
 * Stops tracking the ticket (its clocks end without events).
 * Returns USHER_OK; USHER_EINVAL if engine is NULL; USHER_ENOTFOUND;
 * USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_sla_forget(usher_engine *engine, uint64_t ticket_id);

enum usher_sla_state {
    /* The policy has no such target, or it waits for its start (NEXT_RESPONSE
     * with no customer message unanswered). */
    USHER_SLA_INACTIVE = 0,
    USHER_SLA_RUNNING = 1,
    USHER_SLA_PAUSED = 2,
    USHER_SLA_MET = 3,
    /* The deadline passed (the target may still be running). */
    USHER_SLA_BREACHED = 4,
    /* Ended by "solved" before it was met. */
    USHER_SLA_STOPPED = 5
};

typedef struct usher_sla_target_info {
    /* Set by the host: sizeof(usher_sla_target_info). */
    uint32_t struct_size;
    /* An enum usher_sla_state value. */
    uint32_t state;
    uint32_t policy;
    uint32_t reserved;
    /* The deadline while running (USHER_TIME_NEVER otherwise). */
    uint64_t due_ms;
    /* Target time used and left, in the target's time (business or
     * calendar), as of now; left is negative once breached. */
    uint64_t elapsed_ms;
    int64_t remaining_ms;
} usher_sla_target_info;

/*
 * Fills *info with the ticket's target `target`.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL, target is out of
 * range or info->struct_size is too small; USHER_ENOTFOUND if the ticket
 * is not tracked; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_sla_get(const usher_engine *engine, uint64_t ticket_id,
                                     uint32_t target, usher_sla_target_info *info);

/* A policy's counts per target (usher_sla_policy_stats). */
typedef struct usher_sla_stats {
    /* Set by the host: sizeof(usher_sla_stats). */
    uint32_t struct_size;
    uint32_t reserved;
    uint64_t met[USHER_SLA_TARGETS];
    uint64_t breached[USHER_SLA_TARGETS];
} usher_sla_stats;

/*
 * Targets met and breached under policy policy_id since it was defined
 * (attainment: met / (met + breached)). A target counts once per cycle,
 * for the policy that governed it when it ended or breached.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL or
 * stats->struct_size is too small; USHER_ENOTFOUND; USHER_ECLOSED.
 * Callback: yes.
 */
USHER_API usher_status usher_sla_policy_stats(const usher_engine *engine, uint32_t policy_id,
                                              usher_sla_stats *stats);

/*
 * The same counts for the tickets whose SLA attributes name channel
 * `channel` (0 .. USHER_MAX_CHANNELS - 1), whatever their policy. Per
 * queue, see usher_queue_stats.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL, channel is out of
 * range or stats->struct_size is too small; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_sla_channel_stats(const usher_engine *engine, uint32_t channel,
                                               usher_sla_stats *stats);

/* ------------------------------------------------------------------------
 * Scoring hook
 *
 * The host may adjust the choice of agent, e.g. from its CRM. When a
 * ticket is to be handed to an agent, the first `candidates` eligible
 * agents in the queue's strategy order are scored: each starts with the
 * strategy's own score (LONGEST_IDLE and RANDOM: ms idle; MOST_FREE: free
 * capacity units; BEST_SKILL: the skill score; FEWEST_ASSIGNMENTS: minus
 * the assignments today; ROUND_ROBIN: minus the agent's last assignment
 * stamp) and the hook returns the score to use; the highest wins, ties
 * going to the strategy's order. Under RANDOM with a hook the candidates
 * come in longest-idle order and no random draw is made. Without a hook
 * none of this runs.
 * ------------------------------------------------------------------------ */

/* The most candidates a hook is shown per decision. */
#define USHER_MAX_SCORE_CANDIDATES 32u

/* Returns the adjusted score of handing ticket_id to agent_id. Called
 * inside the engine's decision: calls on the engine from the hook fail
 * with USHER_ESTATE, except usher_engine_free(), which takes effect when
 * the engine call under way returns (as from an event callback). */
typedef int64_t (*usher_score_fn)(void *user, uint64_t ticket_id, uint64_t agent_id,
                                  int64_t score);

/*
 * Registers the scoring hook (NULL removes it) and how many candidates it
 * sees per decision (1 .. USHER_MAX_SCORE_CANDIDATES).
 * Returns USHER_OK; USHER_EINVAL if engine is NULL or candidates is out of
 * range with a non-NULL fn; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_set_score_hook(usher_engine *engine, usher_score_fn fn, void *user,
                                            uint32_t candidates);

/* ------------------------------------------------------------------------
 * Explanations: why this agent, why not (off the hot path)
 * ------------------------------------------------------------------------ */

/* Why an agent may or may not take a ticket now, in the order checked. */
enum usher_why {
    /* The agent could take the ticket now. */
    USHER_WHY_ELIGIBLE = 0,
    /* The ticket is already offered or assigned (agent_id in ticket_get). */
    USHER_WHY_TICKET_TAKEN = 1,
    /* The agent is offline, or away (reason in usher_agent_get). */
    USHER_WHY_OFFLINE = 2,
    USHER_WHY_AWAY = 3,
    /* At a load cap, or cooling down after a heavy ticket: until_ms. */
    USHER_WHY_LOAD_CAP = 4,
    USHER_WHY_COOLING_DOWN = 5,
    /* Busy on an exclusive channel, or the ticket's channel is exclusive
     * and the agent holds other work. */
    USHER_WHY_EXCLUSIVE_BUSY = 6,
    /* In a wrap-up that blocks the whole agent. */
    USHER_WHY_WRAPUP = 7,
    /* No free capacity or channel limit for the ticket's channel. */
    USHER_WHY_NO_CAPACITY = 8,
    /* Lacks a required skill or its level: skill, required_level,
     * agent_level (0: lacks it). */
    USHER_WHY_MISSING_SKILL = 9,
    /* As MISSING_SKILL, but a widening step of the ticket's queue will
     * make the agent eligible at until_ms (a lowered level or an overflow
     * group the agent belongs to). */
    USHER_WHY_WIDENING_PENDING = 10,
    /* Rejected or missed this ticket's offer: not offered it until
     * until_ms. */
    USHER_WHY_REJECT_COOLDOWN = 11,
    /* The ticket waits for its preferred agent (another) until until_ms. */
    USHER_WHY_WAITING_FOR_PREFERRED = 12
};

typedef struct usher_explanation {
    /* Set by the host: sizeof(usher_explanation). */
    uint32_t struct_size;
    /* An enum usher_why value. */
    int32_t why;
    uint32_t skill;
    uint32_t required_level;
    uint32_t agent_level;
    uint32_t reserved;
    uint64_t until_ms;
    /* ELIGIBLE: the agent's score for the ticket (see "Scoring hook"),
     * before any hook. */
    int64_t score;
} usher_explanation;

/*
 * Explains whether agent agent_id may take ticket ticket_id now (the first
 * reason found, in enum usher_why order). Costs O(the agent's skills +
 * the ticket's requirements and widening steps).
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL or
 * out->struct_size is too small; USHER_ENOTFOUND if the ticket or agent
 * does not exist; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_explain(const usher_engine *engine, uint64_t ticket_id,
                                     uint64_t agent_id, usher_explanation *out);

/*
 * The agent a waiting ticket would go to now, and its score (see "Scoring
 * hook"; with a hook registered it is called). Under RANDOM it tells the
 * next draw without making it.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL; USHER_ENOTFOUND if
 * the ticket does not exist or no agent could take it now; USHER_ESTATE
 * if it is offered or assigned; USHER_ECLOSED. Callback: yes.
 */
USHER_API usher_status usher_ticket_candidate(usher_engine *engine, uint64_t ticket_id,
                                              uint64_t *agent_id, int64_t *score);

/* ------------------------------------------------------------------------
 * Snapshots
 *
 * A snapshot is the complete state of an engine in a versioned,
 * checksummed binary format (docs/SNAPSHOT.md): agents and the capacity
 * they hold, queues and their statistics, waiting, offered and assigned
 * tickets with their ages, offers with their tokens and deadlines,
 * exclusions, customer records, SLA policies, rules and clocks, calendars
 * with their time zones (the zone data itself: a restore reads no zone
 * file), host timers, the clock, the event sequence number and the state
 * of the random generator. usher_restore() builds an engine that behaves
 * exactly as the original would for any later sequence of calls: the same
 * events with the same fields (seq included) in the same order, the same
 * routing decisions; a snapshot of it is byte for byte the one it was
 * restored from.
 *
 * Not in a snapshot: the event handler and the scoring hook (host
 * pointers: set them again on the restored engine), the allocator, and the
 * seed of the id hash (both from the restoring config).
 * ------------------------------------------------------------------------ */

/* The host's sink for usher_snapshot_write(): takes `size` bytes at `data`
 * (valid during the call only), the next piece of the snapshot. Returns
 * USHER_OK to go on; any other value (a negative usher_status of the
 * host's choosing) stops the snapshot, which returns that value. */
typedef usher_status (*usher_write_fn)(void *user, const void *data, size_t size);

/*
 * Writes a snapshot of the engine into buf, `capacity` bytes, and stores
 * its length in *size. With capacity 0, buf may be NULL: the call then
 * only tells the size. Costs O(the engine's state); allocates nothing;
 * changes nothing in the engine.
 * Returns USHER_OK; USHER_EINVAL if engine or size is NULL, or buf is NULL
 * with a nonzero capacity; USHER_ELIMIT if the snapshot is longer than
 * capacity: *size is then set to the length needed (the one output a
 * failure writes) and buf is untouched; USHER_ESTATE from inside the
 * engine's event callback (the call that raised the event is not complete
 * until its events are delivered) or its scoring hook; USHER_ECLOSED.
 * Callback: no (USHER_ESTATE).
 */
USHER_API usher_status usher_snapshot(const usher_engine *engine, void *buf, size_t capacity,
                                      size_t *size);

/*
 * Writes the same bytes as usher_snapshot() through fn, in order, in
 * pieces of at most 64 KiB: to a file, a socket or a database without
 * holding the whole snapshot in memory. The engine allocates one staging
 * buffer of 64 KiB, freed before the call returns. Calls on the engine
 * from inside fn fail with USHER_ESTATE, except usher_engine_free(), which
 * takes effect when this call returns (the snapshot is still completed).
 * Returns USHER_OK; USHER_EINVAL if engine or fn is NULL; USHER_ENOMEM
 * (fn was not called); the value fn returned, if not USHER_OK: writing
 * stopped there, and what fn received is an incomplete snapshot that
 * usher_restore() refuses; USHER_ESTATE and USHER_ECLOSED as
 * usher_snapshot(). The engine is not changed (it is not const only
 * because fn may free it). Callback: no (USHER_ESTATE).
 */
USHER_API usher_status usher_snapshot_write(usher_engine *engine, usher_write_fn fn, void *user);

/*
 * Builds a new engine from a snapshot (`size` bytes at data, read during
 * the call only) and stores it in *out. config (NULL for the defaults) is
 * read as by usher_engine_new(): the new engine uses its allocator and
 * hashes ids with its seed (a new secret seed is fine: the layout of hash
 * tables decides nothing); its start_ms is ignored, as the clock is the
 * snapshot's; the random generator continues from the snapshot's state.
 * The new engine has no event handler and no scoring hook: set them before
 * the next call that may raise events or make a decision. The whole
 * snapshot is checked before the engine is returned: not only its
 * checksum but every count, every reference and the invariants the engine
 * keeps (one owner per ticket, capacity held equals the work held, ...).
 * Returns USHER_OK; USHER_EINVAL if out is NULL, data is NULL with a
 * nonzero size, or config is invalid (as for usher_engine_new());
 * USHER_ECORRUPT if the data is not a complete snapshot of a version this
 * library reads: truncated, another magic, an unsupported format version,
 * a checksum that does not match, or contents out of range or
 * inconsistent (e.g. a ticket assigned to an agent that does not hold it);
 * USHER_ENOMEM. On failure *out is unchanged and nothing stays allocated.
 * Callback: yes (it creates another engine).
 */
USHER_API usher_status usher_restore(const usher_config *config, const void *data, size_t size,
                                     usher_engine **out);

/* ------------------------------------------------------------------------
 * Staffing
 *
 * Queueing-theory answers for planning, independent of any engine: how a
 * queue of identical agents performs for an arrival rate and a handle time,
 * and how many agents a service-level target needs. Contacts arrive as a
 * Poisson stream, handle times are exponential, one queue is served first
 * come first served by `agents` agents.
 *
 *  - patience_s == 0: nobody hangs up: the Erlang C model (M/M/c). Defined
 *    only while the traffic is below the number of agents.
 *  - patience_s > 0: callers hang up after an exponentially distributed
 *    patience of that mean: the Erlang A model (M/M/c+M), exact, defined
 *    for any traffic. Hung-up callers count against the service level.
 *
 * The functions read no clock, allocate nothing and touch no engine; any
 * thread may call them, also from an event callback. They are stable (no
 * overflow, no loss of precision to cancellation) up to
 * USHER_STAFFING_MAX_AGENTS agents and any traffic they accept; results
 * carry about 12 significant digits. docs/STAFFING.md has the formulas.
 * ------------------------------------------------------------------------ */

#define USHER_STAFFING_MAX_AGENTS 100000u

typedef struct usher_staffing_input {
    /* sizeof(usher_staffing_input); set by usher_staffing_input_init(). */
    uint32_t struct_size;
    /* Agents answering (1 .. USHER_STAFFING_MAX_AGENTS). Ignored by
     * usher_staffing_agents(), which finds it. */
    uint32_t agents;
    /* Contacts arriving per hour, > 0. */
    double arrivals_per_hour;
    /* Average handle time in seconds (talk plus wrap-up), > 0. */
    double handle_time_s;
    /* The service-level threshold: answered within this many seconds
     * (>= 0; 20 for "80/20"). */
    double answer_within_s;
    /* Average patience in seconds before a waiting caller hangs up; 0 for
     * callers who never hang up (Erlang C). >= 0. */
    double patience_s;
} usher_staffing_input;

/* Fills *in: struct_size set, everything else 0. Does nothing if in is
 * NULL. Callback: yes. */
USHER_API void usher_staffing_input_init(usher_staffing_input *in);

/* Long-run figures of one queue (see "Output structures"). Probabilities are
 * fractions of all arriving contacts unless said otherwise. */
typedef struct usher_staffing_result {
    uint32_t struct_size;
    /* The agents the figures are for. */
    uint32_t agents;
    /* Offered traffic in Erlangs: arrivals per second times handle time. */
    double traffic_erlangs;
    /* Probability that a contact finds every agent busy and waits. */
    double wait_probability;
    /* Probability that a contact is answered within answer_within_s
     * (contacts that hang up count as missed). */
    double service_level;
    /* The same among answered contacts only (what usher_queue_stats'
     * answered_in_sl / answered measures). Equals service_level under
     * Erlang C. */
    double answered_service_level;
    /* Average speed of answer: the mean wait of answered contacts, in
     * seconds (those answered at once count with 0). */
    double asa_s;
    /* Probability that a contact hangs up before being answered (0 under
     * Erlang C). */
    double abandon_probability;
    /* The fraction of agent time spent handling contacts: answered traffic
     * divided by agents. */
    double occupancy;
} usher_staffing_result;

/*
 * How `in->agents` agents perform: fills *out (see "Output structures").
 * Costs O(agents) plus, under Erlang A, a few thousand exponentials.
 * Returns USHER_OK; USHER_EINVAL if a pointer is NULL, a struct_size is too
 * small, a number is NaN or infinite, arrivals or handle time are not
 * positive, answer_within_s or patience_s is negative, agents is 0 or above
 * USHER_STAFFING_MAX_AGENTS, or patience_s is 0 and the traffic is not below
 * the agents (without abandonment the queue then grows for ever). On an
 * error *out is not written. Callback: yes.
 */
USHER_API usher_status usher_staffing_evaluate(const usher_staffing_input *in,
                                               usher_staffing_result *out);

/*
 * The smallest number of agents whose service_level is at least
 * target_service_level and whose occupancy is at most max_occupancy (1 for
 * no limit); fills *out with the figures for that number (out->agents).
 * in->agents is ignored. Costs O(answer * log(answer)).
 * Returns USHER_OK; USHER_EINVAL for the inputs usher_staffing_evaluate()
 * refuses (other than agents), or if target_service_level is not strictly
 * between 0 and 1, or max_occupancy is not in (0, 1] (both NaN included);
 * USHER_ELIMIT if more than USHER_STAFFING_MAX_AGENTS agents would be
 * needed. On an error *out is not written. Callback: yes.
 */
USHER_API usher_status usher_staffing_agents(const usher_staffing_input *in,
                                             double target_service_level, double max_occupancy,
                                             usher_staffing_result *out);

#ifdef __cplusplus
}
#endif

#endif /* USHER_H */
