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
    USHER_ECLOSED = -8
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
    USHER_EVENT_TIMER = 1
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
    uint32_t reserved;
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

#ifdef __cplusplus
}
#endif

#endif /* USHER_H */
