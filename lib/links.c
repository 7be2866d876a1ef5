/* Intrusive doubly linked lists by slot (see links.h). */
#include "links.h"

#include "agents.h"

void us_list_push(uint32_t *head, uint32_t slot, us_link_fn link, void *ctx)
{
    us_link *l = link(ctx, slot);
    l->prev = US_NONE;
    l->next = *head;
    if (*head != US_NONE)
        link(ctx, *head)->prev = slot;
    *head = slot;
}

void us_list_remove(uint32_t *head, uint32_t slot, us_link_fn link, void *ctx)
{
    us_link *l = link(ctx, slot);
    if (l->prev != US_NONE)
        link(ctx, l->prev)->next = l->next;
    else
        *head = l->next;
    if (l->next != US_NONE)
        link(ctx, l->next)->prev = l->prev;
}
