/* guard.h: the recursion guard (base layer).
 *
 * While libretain's own code runs on a thread, every allocation made there
 * (by libunwind, libdw, the C library) must pass straight to the real
 * allocator, untracked: tracking it would re-enter the profiler.  The guard
 * is a per-thread flag saved and restored around each such region, so that
 * regions nest and a region entered with the guard already set leaves it
 * set (heaptrack's RecursionGuard).  TLS is initial-exec (see Makefile), so
 * reading it never calls malloc. */
#ifndef RETAIN_GUARD_H
#define RETAIN_GUARD_H

extern __thread int retain_guard;

struct guard {
    int saved;
};

/* Sets the guard; returns what to restore. */
static inline struct guard guard_enter(void)
{
    struct guard g = { retain_guard };
    retain_guard = 1;
    return g;
}

static inline void guard_leave(struct guard g)
{
    retain_guard = g.saved;
}

/* 1 while this thread is inside libretain (or an allocation it forwarded). */
static inline int guard_held(void)
{
    return retain_guard != 0;
}

#endif
