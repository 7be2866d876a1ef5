/*
 * usher_restore(): the header, the checksum and the sections' framing; the
 * engine's clock and counters, skills and channels; the order in which the
 * other files' sections are read and finished (see restore.h).
 */
#include "check.h"
#include "restore.h"

/* ---- slot spaces ---------------------------------------------------------------------- */

usher_status us_restore_slots(us_restore *x, us_reader *r, us_slot_space *s, size_t min_record)
{
    const us_alloc *alloc = &x->e->alloc;
    uint32_t slots = us_get_count(r, USHER_MAX_OBJECTS, 0);
    uint32_t free_count = us_get_count(r, slots, sizeof(uint32_t));
    uint64_t live = (uint64_t)slots - free_count;
    if (r->bad || (min_record > 0 && live > (r->left - (uint64_t)free_count * 4) / min_record))
        return USHER_ECORRUPT;
    s->mark = us_malloc(alloc, slots ? slots : 1);
    s->free_list = us_malloc(alloc, (free_count ? free_count : 1) * sizeof *s->free_list);
    if (!s->mark || !s->free_list)
        return USHER_ENOMEM;
    s->slots = slots;
    s->free_count = free_count;
    memset(s->mark, SLOT_LIVE, slots);
    for (uint32_t i = 0; i < free_count; i++) {
        uint32_t slot = us_get_u32(r);
        if (slot >= slots || s->mark[slot] == SLOT_FREE)
            return USHER_ECORRUPT; /* outside the space, or free twice */
        s->mark[slot] = SLOT_FREE;
        s->free_list[i] = slot;
    }
    return r->bad ? USHER_ECORRUPT : USHER_OK;
}

bool us_restore_claim(us_slot_space *s, uint32_t slot)
{
    if (slot >= s->slots || s->mark[slot] != SLOT_LIVE)
        return false;
    s->mark[slot] = SLOT_CLAIMED;
    return true;
}

void us_restore_free_slots(us_restore *x, us_slot_space *s)
{
    us_free(&x->e->alloc, s->mark);
    us_free(&x->e->alloc, s->free_list);
    memset(s, 0, sizeof *s);
}

bool us_restore_skill_entries(const us_restore *x, us_reader *r, us_skill_entry *out,
                              uint32_t count, uint32_t max_level)
{
    for (uint32_t i = 0; i < count; i++) {
        uint32_t skill = us_get_u16(r), level = us_get_u8(r);
        if (skill >= x->e->skills.count || level < 1 || level > max_level ||
            (i > 0 && skill <= out[i - 1].skill))
            return false;
        out[i] = (us_skill_entry){.skill = (uint16_t)skill, .level = (uint8_t)level};
    }
    return !r->bad;
}

/* ---- engine, skills, channels ---------------------------------------------------------- */

static usher_status read_engine(us_restore *x, us_reader *r)
{
    usher_engine *e = x->e;
    x->now = us_get_u64(r);
    e->last_seq = us_get_u64(r);
    e->rng = us_get_u64(r);
    e->router.submit_seq = us_get_u64(r);
    e->router.assign_stamp = us_get_u64(r);
    e->router.offer_seq = us_get_u64(r);
    e->router.customer_keep_ms = us_get_u64(r);
    if (x->now > USHER_TIME_MAX || e->router.customer_keep_ms > 90 * US_DAY_MS)
        return USHER_ECORRUPT;
    us_wheel_init(&e->wheel, &e->alloc, x->now); /* still empty */
    return USHER_OK;
}

static usher_status read_skills(us_restore *x, us_reader *r)
{
    us_skills *s = &x->e->skills;
    uint32_t count = us_get_count(r, USHER_MAX_SKILLS, 2);
    for (uint32_t i = 0; i < count; i++) {
        size_t len = us_get_u8(r);
        const uint8_t *name = us_get_bytes(r, len);
        uint32_t id;
        if (!name || len == 0 || len > USHER_SKILL_NAME_MAX || memchr(name, '\0', len) ||
            us_skills_find(s, (const char *)name, len, &id))
            return USHER_ECORRUPT; /* empty, too long, or a name given twice */
        usher_status st = us_skills_add(s, (const char *)name, len, &id);
        if (st != USHER_OK)
            return st;
    }
    return USHER_OK;
}

static usher_status read_channels(us_restore *x, us_reader *r)
{
    for (uint32_t c = 0; c < USHER_MAX_CHANNELS; c++) {
        us_channel *ch = &x->e->channels[c];
        ch->defined = us_get_bool(r);
        ch->def.struct_size = sizeof ch->def;
        ch->def.flags = us_get_u32(r);
        ch->def.cost = us_get_u32(r);
        ch->def.max_per_agent = us_get_u32(r);
        ch->def.wrapup_ms = us_get_u64(r);
        bool unused = !ch->def.flags && !ch->def.cost && !ch->def.max_per_agent &&
                      !ch->def.wrapup_ms;
        if (ch->defined ? !us_channel_def_valid(&ch->def) : !unused)
            return USHER_ECORRUPT;
        if (!ch->defined)
            memset(&ch->def, 0, sizeof ch->def);
    }
    return USHER_OK;
}

/* ---- framing ------------------------------------------------------------------------------ */

typedef usher_status (*section_fn)(us_restore *x, us_reader *r);

static const section_fn sections[US_SNAP_SECTIONS] = {
    read_engine,         read_skills,        read_channels,        us_restore_calendars,
    us_restore_policies, us_restore_sigs,    us_restore_queues,    us_restore_agents,
    us_restore_tickets,  us_restore_customers, us_restore_slas,    us_restore_index,
    us_restore_timers,
};

/* Reads one section: its tag must be the expected one, and its reader must
 * use exactly its bytes. */
static usher_status read_section(us_restore *x, us_reader *body, int i)
{
    uint32_t tag = us_get_u32(body);
    uint64_t length = us_get_u64(body);
    if (body->bad || tag != us_snap_tags[i] || length > body->left)
        return USHER_ECORRUPT;
    us_reader section;
    us_reader_init(&section, us_get_bytes(body, (size_t)length), (size_t)length);
    usher_status st = sections[i](x, &section);
    if (st == USHER_OK && (section.bad || section.left != 0))
        st = USHER_ECORRUPT;
    return st;
}

/* The header and checksum: USHER_OK with *body the sections. */
static usher_status check_frame(const uint8_t *data, size_t size, us_reader *body)
{
    us_reader r;
    us_reader_init(&r, data, size);
    if (size < US_SNAP_HEADER_SIZE + US_SNAP_CHECKSUM_SIZE)
        return USHER_ECORRUPT;
    const uint8_t *magic = us_get_bytes(&r, US_SNAP_MAGIC_SIZE);
    uint32_t version = us_get_u32(&r), flags = us_get_u32(&r);
    uint64_t length = us_get_u64(&r);
    if (memcmp(magic, US_SNAP_MAGIC, US_SNAP_MAGIC_SIZE) != 0 || version != US_SNAP_VERSION ||
        flags != 0 || length != size - US_SNAP_HEADER_SIZE - US_SNAP_CHECKSUM_SIZE)
        return USHER_ECORRUPT;
    us_reader sum;
    us_reader_init(&sum, data + size - US_SNAP_CHECKSUM_SIZE, US_SNAP_CHECKSUM_SIZE);
    if (us_get_u64(&sum) != XXH3_64bits(data, size - US_SNAP_CHECKSUM_SIZE))
        return USHER_ECORRUPT;
    us_reader_init(body, data + US_SNAP_HEADER_SIZE, (size_t)length);
    return USHER_OK;
}

static usher_status finish(us_restore *x)
{
    usher_status st = us_restore_tickets_finish(x);
    if (st == USHER_OK)
        st = us_restore_agents_finish(x);
    if (st == USHER_OK)
        st = us_restore_timers_finish(x);
    return st;
}

static usher_status restore_into(us_restore *x, const void *data, size_t size)
{
    us_reader body;
    usher_status st = check_frame(data, size, &body);
    for (int i = 0; st == USHER_OK && i < US_SNAP_SECTIONS; i++)
        st = read_section(x, &body, i);
    if (st == USHER_OK && body.left != 0)
        st = USHER_ECORRUPT; /* bytes after the last section */
    return st == USHER_OK ? finish(x) : st;
}

static void free_scratch(us_restore *x)
{
    us_slot_space *spaces[] = {&x->calendars, &x->policies, &x->sigs,    &x->queues,
                               &x->buckets,   &x->agents,   &x->works,   &x->tickets,
                               &x->exclusions, &x->customers, &x->slas};
    for (size_t i = 0; i < sizeof spaces / sizeof *spaces; i++)
        us_restore_free_slots(x, spaces[i]);
    us_free(&x->e->alloc, x->seqs);
    x->seqs = NULL;
}

USHER_API usher_status usher_restore(const usher_config *config, const void *data, size_t size,
                                     usher_engine **out)
{
    if (!out || (!data && size > 0))
        return USHER_EINVAL;
    usher_engine *e;
    usher_status st = us_engine_create(config, &e);
    if (st != USHER_OK)
        return st;
    us_restore x;
    memset(&x, 0, sizeof x);
    x.e = e;
    st = restore_into(&x, data, size);
    free_scratch(&x);
    /* Last, every invariant usher_check knows: what the sections' own
     * checks let through (a cached deadline that is not its clocks', say)
     * is refused too. */
    if (st == USHER_OK && us_check(e) != NULL)
        st = USHER_ECORRUPT;
    if (st != USHER_OK) {
        us_engine_destroy(e);
        return st;
    }
    *out = e;
    return USHER_OK;
}
