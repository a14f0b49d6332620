/* profiler.h: the composition root: process-wide state and the lifecycle
 * (start-up, fork, exit, sandbox).  Only the entry points (interpose.c,
 * api.c) include it; lower layers receive what they need at init. */
#ifndef RETAIN_PROFILER_H
#define RETAIN_PROFILER_H

#include <stdint.h>
#include <sys/types.h>

struct profiler {
    int ready;                  /* set once start-up finished: wrappers track */
    int finished;               /* final report: 0 not yet, 1 being written, 2 done */
    int sandboxed;              /* a seccomp filter: no more system calls of ours */
};

extern struct profiler profiler;

/* Writes the final report once (exit, _exit, quick_exit).  Skips a vfork
 * child, which shares its parent's memory. */
void profiler_finish(void);

/* A seccomp filter is about to be installed (prctl, seccomp(2)): prog is
 * its BPF program (NULL for strict mode), all_threads says whether it
 * applies to every thread (SECCOMP_FILTER_FLAG_TSYNC) or to the caller and
 * its future threads.  If the filter would kill or trap any call the
 * profiler makes, profiling stops here, cleanly (one line). */
void profiler_seccomp(const void *prog, int all_threads);

#endif
