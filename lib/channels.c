/* Channels: the host's kinds of work, their cost, limit and wrap-up. */
#include "engine.h"

#include <string.h>

#define KNOWN_CHANNEL_FLAGS \
    (USHER_CHANNEL_EXCLUSIVE | USHER_CHANNEL_INTERRUPTS | USHER_CHANNEL_WRAPUP_BLOCKS_AGENT)

USHER_API void usher_channel_def_init(usher_channel_def *def)
{
    if (!def)
        return;
    memset(def, 0, sizeof *def);
    def->struct_size = sizeof *def;
    def->cost = 1;
}

bool us_channel_def_valid(const usher_channel_def *d)
{
    if (d->struct_size < sizeof *d || (d->flags & ~(uint32_t)KNOWN_CHANNEL_FLAGS))
        return false;
    if ((d->flags & USHER_CHANNEL_INTERRUPTS) && !(d->flags & USHER_CHANNEL_EXCLUSIVE))
        return false;
    return d->cost >= 1 && d->cost <= USHER_MAX_CAPACITY &&
           d->max_per_agent <= USHER_MAX_CHANNEL_LIMIT && d->wrapup_ms <= USHER_MAX_WRAPUP_MS;
}

/* Every agent's eligibility depends on which channels exist. */
static void refresh_all_agents(usher_engine *e)
{
    for (uint32_t slot = 0; slot < e->agents.slots; slot++)
        if (us_agent_at(e, slot)->live)
            us_agent_refresh_ready(e, slot);
}

USHER_API usher_status usher_channel_add(usher_engine *e, uint32_t channel,
                                         const usher_channel_def *def)
{
    US_CHECK_ENGINE(e);
    if (!def || channel >= USHER_MAX_CHANNELS || !us_channel_def_valid(def))
        return USHER_EINVAL;
    us_channel *c = &e->channels[channel];
    if (c->defined)
        return USHER_EEXIST;
    memcpy(&c->def, def, sizeof c->def);
    c->def.struct_size = sizeof c->def;
    c->defined = true;
    c->in_use = 0;
    refresh_all_agents(e);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_channel_remove(usher_engine *e, uint32_t channel)
{
    US_CHECK_ENGINE(e);
    if (channel >= USHER_MAX_CHANNELS)
        return USHER_EINVAL;
    us_channel *c = &e->channels[channel];
    if (!c->defined)
        return USHER_ENOTFOUND;
    if (c->in_use > 0)
        return USHER_ESTATE;
    us_bucket_drop_unused(e, channel); /* kept only to be reused */
    if (us_index_uses_channel(e, channel))
        return USHER_ESTATE;
    c->defined = false;
    for (uint32_t slot = 0; slot < e->agents.slots; slot++)
        us_agent_at(e, slot)->limit[channel] = US_LIMIT_DEFAULT;
    refresh_all_agents(e);
    return us_finish(e, USHER_OK);
}

USHER_API usher_status usher_channel_get(const usher_engine *e, uint32_t channel,
                                         usher_channel_def *def)
{
    US_CHECK_ENGINE(e);
    if (!def || channel >= USHER_MAX_CHANNELS)
        return USHER_EINVAL;
    const us_channel *c = &e->channels[channel];
    if (def->struct_size < sizeof(usher_channel_def))
        return USHER_EINVAL;
    if (!c->defined)
        return USHER_ENOTFOUND;
    return us_copy_out(def, &c->def, sizeof c->def, sizeof c->def);
}
