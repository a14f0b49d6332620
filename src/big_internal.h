/* big_internal.h: libretain's own large allocations (and those of the
 * libraries it calls while the recursion guard is held: libdw's), mapped
 * directly rather than asked of the program's allocator.
 *
 * Why: glibc raises its dynamic mmap threshold, and its trim threshold with
 * it, whenever a mapped chunk is freed.  A report's 600 KB module array,
 * freed after every report, left a server's later 160-300 KiB blocks in its
 * heap instead of mapped (tests/progs/mallocstate.c).  What glibc would
 * serve from its heap stays with it (big_internal_wanted): that moves
 * nothing and reuses the heap's free space.
 *
 * Lookups cost one load while none is live: the free wrapper asks
 * big_internal_any() before anything else. */
#ifndef RETAIN_BIG_INTERNAL_H
#define RETAIN_BIG_INTERNAL_H

#include <stddef.h>

/* glibc's default mmap threshold and the largest it raises it to. */
#define GLIBC_MMAP_THRESHOLD_MIN (128u * 1024)
#define GLIBC_MMAP_THRESHOLD_MAX (4ul * 1024 * 1024 * sizeof(long))
/* Below 128 KiB nothing of ours is mapped: glibc serves it from a heap,
 * whose thresholds a free does not move. */
#define BIG_INTERNAL_MIN (120u * 1024)

extern int big_internal_live;   /* how many are mapped now (atomic) */

/* glibc's dynamic mmap threshold as the program's frees have set it: the
 * largest mapped chunk (up to 32 MiB) freed so far (glibc's own rule in
 * free()), at least the default.  Requests below it come from glibc's heap
 * and move nothing, and reuse the heap's free space: only requests glibc
 * would map are mapped here. */
extern size_t big_internal_threshold;

/* The free wrapper, for a glibc chunk the program frees: its header word. */
static inline void big_internal_note_free(size_t head)
{
    size_t chunk = head & ~(size_t)7;
    if ((head & 2) && chunk > __atomic_load_n(&big_internal_threshold, __ATOMIC_RELAXED) &&
        chunk <= GLIBC_MMAP_THRESHOLD_MAX)
        __atomic_store_n(&big_internal_threshold, chunk, __ATOMIC_RELAXED);
}

/* Would glibc map a request of n bytes (its chunk: n plus a header word,
 * rounded to 16)? */
static inline int big_internal_wanted(size_t n)
{
    return n >= BIG_INTERNAL_MIN &&
           ((n + sizeof(size_t) + 15) & ~(size_t)15) >=
               __atomic_load_n(&big_internal_threshold, __ATOMIC_RELAXED);
}

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
