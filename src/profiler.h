/* profiler.h: process-wide state and lifecycle: start-up, fork, exit. */
#ifndef RETAIN_PROFILER_H
#define RETAIN_PROFILER_H

#include <stdint.h>
#include <sys/types.h>

struct profiler {
    int ready;                  /* set once start-up finished: wrappers track */
    int finished;               /* final report written */
    int forked;                 /* this process is a fork child of a profiled one */
    pid_t pid;
    uint64_t start_ns;
    char start_dir[4096];       /* cwd at start: relative report paths resolve here */
};

extern struct profiler profiler;

static inline uint32_t profiler_now_ms(uint64_t now_ns)
{
    return (uint32_t)((now_ns - profiler.start_ns) / 1000000u);
}

/* Writes the final report once (exit, _exit).  Skips a vfork child, which
 * shares its parent's memory. */
void profiler_finish(void);

#endif
