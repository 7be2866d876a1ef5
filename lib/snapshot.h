/*
 * The snapshot format (docs/SNAPSHOT.md): what snapshot.c writes and the
 * restore_*.c files read. A header, sections in a fixed order, each a tag,
 * a length and its fields, then an XXH3-64 checksum of everything before
 * it.
 */
#ifndef USHER_SNAPSHOT_H
#define USHER_SNAPSHOT_H

#include <stdint.h>

#include "engine.h"
#include "serial.h"

#define US_SNAP_MAGIC "USHERSNP"
#define US_SNAP_MAGIC_SIZE 8
#define US_SNAP_VERSION 2u
/* magic, version, flags, length of the sections */
#define US_SNAP_HEADER_SIZE 24u
#define US_SNAP_CHECKSUM_SIZE 8u
/* A section's tag and length. */
#define US_SNAP_SECTION_HEADER 12u

/* Section tags: four ASCII letters, read as a little-endian u32. */
#define US_SNAP_TAG(a, b, c, d)                                                                    \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

enum us_snap_section {
    US_SNAP_ENGINE,    /* "ENGN": clock, counters, random state */
    US_SNAP_SKILLS,    /* "SKIL" */
    US_SNAP_CHANNELS,  /* "CHAN" */
    US_SNAP_CALENDARS, /* "CALS": with their zones */
    US_SNAP_POLICIES,  /* "SLAP": SLA policies, rules, channel counts */
    US_SNAP_SIGS,      /* "SIGS": eligibility signatures */
    US_SNAP_QUEUES,    /* "QUES": queues and their buckets */
    US_SNAP_AGENTS,    /* "AGNT": agents and their work */
    US_SNAP_TICKETS,   /* "TICK": tickets, exclusions, preferred agents, marks */
    US_SNAP_CUSTOMERS, /* "CUST" */
    US_SNAP_SLAS,      /* "SLAR": SLA records and clocks */
    US_SNAP_INDEX,     /* "INDX": heaps and idle lists of the signatures */
    US_SNAP_TIMERS,    /* "TIMR": every timer, in the wheel's order */
    US_SNAP_SECTIONS
};

extern const uint32_t us_snap_tags[US_SNAP_SECTIONS];

#endif
