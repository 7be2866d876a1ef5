/* The smallest complete use of usher: an engine, a callback, the host's
 * clock, and two host timers that fire in order across one clock jump. */
#include <inttypes.h>
#include <stdio.h>

#include "usher.h"

static void on_event(void *user, const usher_event *event)
{
    (void)user;
    if (event->type == USHER_EVENT_TIMER)
        printf("event %" PRIu64 ": timer %" PRIu64 " due at %" PRIu64 " ms\n", event->seq,
               event->timer_id, event->time_ms);
}

static int fail(const char *what, usher_status status)
{
    fprintf(stderr, "hello: %s: %s (%s)\n", what, usher_strerror(status), usher_status_name(status));
    return 1;
}

int main(void)
{
    usher_engine *engine = NULL;
    usher_status status = usher_engine_new(NULL, &engine);
    if (status != USHER_OK)
        return fail("usher_engine_new", status);
    usher_set_event_handler(engine, on_event, NULL);

    printf("usher %s\n", usher_version());
    usher_timer_set(engine, 2, 90000); /* scheduled first, due last */
    usher_timer_set(engine, 1, 30000);
    uint64_t next = 0;
    usher_next_deadline(engine, &next);
    printf("next deadline: %" PRIu64 " ms\n", next);

    status = usher_advance(engine, 120000); /* the host slept two minutes */
    usher_engine_free(engine);
    return status == USHER_OK ? 0 : fail("usher_advance", status);
}
