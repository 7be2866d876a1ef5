/* Skills: names interned to small ids, looked up through a seeded hash. */
#include "engine.h"

#include <string.h>
#include <xxhash.h>

void us_skills_init(us_skills *s, const us_alloc *alloc, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->alloc = alloc;
    s->seed = seed;
}

void us_skills_free(us_skills *s)
{
    us_free(s->alloc, s->names);
    us_free(s->alloc, s->table);
    memset(s, 0, sizeof *s);
}

usher_status us_skill_name_check(const char *name, size_t *len)
{
    if (!name)
        return USHER_EINVAL;
    size_t n = 0;
    while (n <= USHER_SKILL_NAME_MAX && name[n] != '\0')
        n++;
    if (n == 0 || n > USHER_SKILL_NAME_MAX)
        return USHER_EINVAL;
    *len = n;
    return USHER_OK;
}

static uint32_t name_slot(const us_skills *s, const char *name, size_t len)
{
    return (uint32_t)XXH3_64bits_withSeed(name, len, s->seed) & s->mask;
}

bool us_skills_find(const us_skills *s, const char *name, size_t len, uint32_t *id)
{
    if (!s->table)
        return false;
    for (uint32_t i = name_slot(s, name, len);; i = (i + 1) & s->mask) {
        uint32_t entry = s->table[i];
        if (entry == 0)
            return false;
        const char *candidate = s->names[entry - 1];
        if (strncmp(candidate, name, len) == 0 && candidate[len] == '\0') {
            *id = entry - 1;
            return true;
        }
    }
}

static void table_put(us_skills *s, uint32_t id)
{
    const char *name = s->names[id];
    uint32_t i = name_slot(s, name, strlen(name));
    while (s->table[i] != 0)
        i = (i + 1) & s->mask;
    s->table[i] = id + 1;
}

/* Keeps the table at most half full so that probe runs stay short. */
static usher_status table_make_room(us_skills *s, size_t count)
{
    size_t size = s->table ? (size_t)s->mask + 1 : 0;
    if (count * 2 <= size)
        return USHER_OK;
    size_t new_size = size ? size * 2 : 64;
    uint32_t *table = us_malloc(s->alloc, new_size * sizeof *table);
    if (!table)
        return USHER_ENOMEM;
    memset(table, 0, new_size * sizeof *table);
    us_free(s->alloc, s->table);
    s->table = table;
    s->mask = (uint32_t)new_size - 1;
    for (uint32_t id = 0; id < s->count; id++)
        table_put(s, id);
    return USHER_OK;
}

usher_status us_skills_add(us_skills *s, const char *name, size_t len, uint32_t *id)
{
    if (s->count >= USHER_MAX_SKILLS)
        return USHER_ELIMIT;
    void *names = s->names;
    usher_status st = us_grow_array(s->alloc, &names, &s->capacity, s->count + 1, sizeof *s->names);
    s->names = names;
    if (st == USHER_OK)
        st = table_make_room(s, s->count + 1);
    if (st != USHER_OK)
        return st;
    uint32_t new_id = (uint32_t)s->count++;
    memcpy(s->names[new_id], name, len);
    s->names[new_id][len] = '\0';
    table_put(s, new_id);
    *id = new_id;
    return USHER_OK;
}

/* ---- public API ---------------------------------------------------------- */

USHER_API usher_status usher_skill_intern(usher_engine *e, const char *name, uint32_t *skill_id)
{
    size_t len = 0;
    if (!e || !skill_id || us_skill_name_check(name, &len) != USHER_OK)
        return USHER_EINVAL;
    if (e->closing)
        return USHER_ECLOSED;
    if (e->scoring)
        return USHER_ESTATE;
    if (us_skills_find(&e->skills, name, len, skill_id))
        return us_finish(e, USHER_OK);
    return us_finish(e, us_skills_add(&e->skills, name, len, skill_id));
}

USHER_API usher_status usher_skill_find(const usher_engine *e, const char *name,
                                        uint32_t *skill_id)
{
    size_t len = 0;
    if (!e || !name || !skill_id)
        return USHER_EINVAL;
    if (e->closing)
        return USHER_ECLOSED;
    if (e->scoring)
        return USHER_ESTATE;
    if (us_skill_name_check(name, &len) != USHER_OK ||
        !us_skills_find(&e->skills, name, len, skill_id))
        return USHER_ENOTFOUND;
    return USHER_OK;
}

USHER_API usher_status usher_skill_name(const usher_engine *e, uint32_t skill_id, char *buf,
                                        size_t size)
{
    if (!e || !buf)
        return USHER_EINVAL;
    if (e->closing)
        return USHER_ECLOSED;
    if (e->scoring)
        return USHER_ESTATE;
    if (skill_id >= e->skills.count)
        return USHER_ENOTFOUND;
    const char *name = e->skills.names[skill_id];
    size_t len = strlen(name);
    if (size <= len)
        return USHER_EINVAL;
    memcpy(buf, name, len + 1);
    return USHER_OK;
}

USHER_API usher_status usher_skill_count(const usher_engine *e, uint32_t *count)
{
    if (!e || !count)
        return USHER_EINVAL;
    if (e->closing)
        return USHER_ECLOSED;
    if (e->scoring)
        return USHER_ESTATE;
    *count = (uint32_t)e->skills.count;
    return USHER_OK;
}
