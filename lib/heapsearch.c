/* Best-first search in a binary heap (see heapsearch.h). */
#include "heapsearch.h"

#define FRONTIER 64

static size_t scan_all(size_t size, us_heap_before_fn before, us_heap_skip_fn skip,
                       const void *ctx)
{
    size_t best = US_HEAP_NONE;
    for (size_t pos = 0; pos < size; pos++)
        if (!skip(ctx, pos) && (best == US_HEAP_NONE || before(ctx, pos, best)))
            best = pos;
    return best;
}

size_t us_heap_first_unless(size_t size, us_heap_before_fn before, us_heap_skip_fn skip,
                            const void *ctx)
{
    /* The frontier holds the positions whose parents were all skipped:
     * the next element in heap order is the best of them. */
    size_t frontier[FRONTIER];
    size_t count = size > 0;
    frontier[0] = 0;
    while (count > 0) {
        size_t best = 0;
        for (size_t i = 1; i < count; i++)
            if (before(ctx, frontier[i], frontier[best]))
                best = i;
        size_t pos = frontier[best];
        if (!skip(ctx, pos))
            return pos;
        frontier[best] = frontier[--count];
        for (size_t child = 2 * pos + 1; child <= 2 * pos + 2 && child < size; child++) {
            if (count == FRONTIER) /* too many passed over: look at everything */
                return scan_all(size, before, skip, ctx);
            frontier[count++] = child;
        }
    }
    return US_HEAP_NONE;
}
