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

#endif
