/*
 * The first element of a binary heap, in heap order, that a predicate does
 * not skip: what the router needs when a few tickets must not go to an
 * agent (offer exclusions, preferred agents).
 */
#ifndef USHER_HEAPSEARCH_H
#define USHER_HEAPSEARCH_H

#include <stdbool.h>
#include <stddef.h>

/* True when the element at heap position x comes before the one at y. */
typedef bool (*us_heap_before_fn)(const void *ctx, size_t x, size_t y);
/* True when the element at position pos must be passed over. */
typedef bool (*us_heap_skip_fn)(const void *ctx, size_t pos);

#define US_HEAP_NONE ((size_t)-1)

/*
 * Best-first walk from the root: each skipped element brings its two
 * children into view, so with k skipped elements it looks at 2k + 1 at
 * most. Past a fixed frontier it falls back to a scan of the whole heap.
 * Returns the position, or US_HEAP_NONE when every element is skipped.
 */
size_t us_heap_first_unless(size_t size, us_heap_before_fn before, us_heap_skip_fn skip,
                            const void *ctx);


#endif
