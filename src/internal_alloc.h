/* internal_alloc.h: memory for libretain's own short-lived buffers (report
 * text, snapshots, scratch arrays), straight from the real allocator.
 *
 * Calling the exported malloc would be correct only while the recursion
 * guard is set; these never enter the wrappers, so the profiler's own
 * allocations are untracked by construction (musl's glue.h, Redis's
 * zlibc_free).  Third-party code the profiler calls (libunwind, libdw) still
 * uses malloc and relies on the guard. */
#ifndef RETAIN_INTERNAL_ALLOC_H
#define RETAIN_INTERNAL_ALLOC_H

#include <stddef.h>

void *internal_malloc(size_t n);
void *internal_calloc(size_t n, size_t m);
void *internal_realloc(void *p, size_t n);
void internal_free(void *p);

#endif
