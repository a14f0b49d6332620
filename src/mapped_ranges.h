/* mapped_ranges.h: the process's readable mappings, for "this word points
 * into mapped memory" (the classifier's pointer test).
 *
 * Refreshed from /proc/self/maps once per sampler pass; a test builds one by
 * hand with mapped_ranges_add, so the classifier never depends on the maps
 * of whatever process runs it. */
#ifndef RETAIN_MAPPED_RANGES_H
#define RETAIN_MAPPED_RANGES_H

#include <stdint.h>

struct mapped_ranges {
    uintptr_t (*range)[2];      /* [lo, hi), ascending, neighbours merged */
    int n, cap;
};

/* Replaces the ranges with the readable mappings of /proc/self/maps; keeps
 * the old ones if the file cannot be read. */
void mapped_ranges_refresh(struct mapped_ranges *m);
/* Appends [lo, hi), which must lie above every range already there.
 * Returns -1 when out of memory. */
int mapped_ranges_add(struct mapped_ranges *m, uintptr_t lo, uintptr_t hi);
void mapped_ranges_free(struct mapped_ranges *m);
/* 1 if v lies in a range.  *hint is a range index remembered between calls
 * (start at 0): neighbouring words usually point into the same mapping. */
int mapped_ranges_contains(const struct mapped_ranges *m, uintptr_t v, int *hint);

#endif
