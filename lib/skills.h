/* Skill names interned to small ids. */
#ifndef USHER_SKILLS_H
#define USHER_SKILLS_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"

typedef char us_skill_name[USHER_SKILL_NAME_MAX + 1];

typedef struct us_skills {
    const us_alloc *alloc;
    us_skill_name *names; /* by id */
    size_t count, capacity;
    /* Open addressing over names: entries are id + 1, 0 is empty. The
     * table size is a power of two at least twice the count. */
    uint32_t *table;
    uint32_t mask;
    uint64_t seed;
} us_skills;

void us_skills_init(us_skills *s, const us_alloc *alloc, uint64_t seed);
void us_skills_free(us_skills *s);

/* Checks a name: USHER_OK, or USHER_EINVAL if NULL, empty or too long. */
usher_status us_skill_name_check(const char *name, size_t *len);

bool us_skills_find(const us_skills *s, const char *name, size_t len, uint32_t *id);

/* Adds a name known to be absent and valid: USHER_ENOMEM/ELIMIT change nothing. */
usher_status us_skills_add(us_skills *s, const char *name, size_t len, uint32_t *id);

#endif
