/* Status names and messages, library version. */
#include "usher.h"

typedef struct status_text {
    usher_status status;
    const char *name;
    const char *message;
} status_text;

static const status_text status_texts[] = {
    {USHER_OK, "USHER_OK", "success"},
    {USHER_ENOMEM, "USHER_ENOMEM", "out of memory"},
    {USHER_EINVAL, "USHER_EINVAL", "invalid argument"},
    {USHER_ENOTFOUND, "USHER_ENOTFOUND", "no such object"},
    {USHER_EEXIST, "USHER_EEXIST", "object already exists"},
    {USHER_ESTATE, "USHER_ESTATE", "operation not allowed in the object's current state"},
    {USHER_ELIMIT, "USHER_ELIMIT", "limit exceeded"},
    {USHER_ECORRUPT, "USHER_ECORRUPT", "corrupt, truncated or unsupported input"},
    {USHER_ECLOSED, "USHER_ECLOSED", "engine is closing: it was freed inside its own callback"},
    {USHER_ETOKEN, "USHER_ETOKEN", "stale or foreign offer token"},
    {USHER_EINTERNAL, "USHER_EINTERNAL", "an internal invariant does not hold"},
};

static const status_text *find_status(usher_status status)
{
    for (size_t i = 0; i < sizeof status_texts / sizeof status_texts[0]; i++)
        if (status_texts[i].status == status)
            return &status_texts[i];
    return NULL;
}

USHER_API const char *usher_strerror(usher_status status)
{
    const status_text *t = find_status(status);
    return t ? t->message : "unknown status";
}

USHER_API const char *usher_status_name(usher_status status)
{
    const status_text *t = find_status(status);
    return t ? t->name : "USHER_E_UNKNOWN";
}

USHER_API const char *usher_version(void) { return USHER_VERSION_STRING; }

USHER_API uint32_t usher_version_number(void) { return USHER_VERSION_NUMBER; }
