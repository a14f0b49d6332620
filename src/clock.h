/* clock.h: monotonic time.  clock_gettime goes through the vDSO: no system
 * call on the allocation path. */
#ifndef RETAIN_CLOCK_H
#define RETAIN_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Birth times of blocks: a few milliseconds of resolution is plenty, and
 * the coarse clock costs a fraction of the precise one. */
static inline uint64_t clock_coarse_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The profiler's start, on the coarse clock (set once at start-up). */
extern uint64_t clock_start_ns;

/* Milliseconds from the start to now_ns.  Saturating: births come from the
 * coarse clock and may read a little behind the start (a block allocated
 * in the first milliseconds would otherwise be 49 days old). */
static inline uint32_t clock_since_start_ms(uint64_t now_ns)
{
    return now_ns > clock_start_ns ? (uint32_t)((now_ns - clock_start_ns) / 1000000u) : 0;
}

#endif
