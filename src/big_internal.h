/* big_internal.h: libretain's own large allocations (and those of the
 * libraries it calls while the recursion guard is held: libdw's), mapped
 * directly rather than asked of the program's allocator.
 *
 * Why: glibc raises its dynamic mmap threshold, and its trim threshold with
 * it, whenever a mapped chunk is freed.  A report's 600 KB module array,
 * freed after every report, left a server's later 160-300 KiB blocks in its
 * heap instead of mapped (tests/progs/mallocstate.c).  Small allocations
 * stay with the real allocator: they never come from a mapping there.
 *
 * Lookups cost one load while none is live: the free wrapper asks
 * big_internal_any() before anything else. */
#ifndef RETAIN_BIG_INTERNAL_H
#define RETAIN_BIG_INTERNAL_H

#include <stddef.h>

/* Below glibc's smallest default mmap threshold (128 KiB), a request is
 * served from the heap, whose state a free does not move. */
#define BIG_INTERNAL_MIN (120u * 1024)

extern int big_internal_live;   /* how many are mapped now (atomic) */

static inline int big_internal_any(void)
{
    return __builtin_expect(__atomic_load_n(&big_internal_live, __ATOMIC_RELAXED) != 0, 0);
}

/* n bytes (zeroed), 16-byte aligned; NULL when no mapping or no slot is
 * left (the caller then asks the real allocator). */
void *big_internal_alloc(size_t n);
/* Is p one of ours?  Then *size is its usable size. */
int big_internal_owns(const void *p, size_t *size);
/* Unmaps p if it is one of ours; returns whether it was. */
int big_internal_free(void *p);

#endif
