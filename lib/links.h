/*
 * Doubly linked lists threaded through records that live in arrays and are
 * named by 32-bit slots (agents, tickets): linking never allocates, and a
 * record leaves its list in O(1).
 */
#ifndef USHER_LINKS_H
#define USHER_LINKS_H

#include <stdint.h>

typedef struct us_link {
    uint32_t prev, next;
} us_link;

/* The link of record `slot`, found through the caller's context. */
typedef us_link *(*us_link_fn)(void *ctx, uint32_t slot);

/* Puts record `slot` first in the list *head (US_NONE when empty). */
void us_list_push(uint32_t *head, uint32_t slot, us_link_fn link, void *ctx);

/* Takes record `slot` out of the list *head. */
void us_list_remove(uint32_t *head, uint32_t slot, us_link_fn link, void *ctx);

#endif
