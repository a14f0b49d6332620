/* process.h: who this process is, as recorded at start-up and again in a
 * fork child (base layer: reports name it, paths resolve against it). */
#ifndef RETAIN_PROCESS_H
#define RETAIN_PROCESS_H

#include <stdint.h>
#include <sys/types.h>

struct process_info {
    pid_t pid;
    int forked;                 /* a fork child of a profiled process */
    uint64_t start_ns;          /* monotonic clock at start-up */
    char start_dir[4096];       /* cwd at start: relative report paths resolve here */
    /* LD_PRELOAD at start named this library (its path as loaded, or
     * "libretain"): then a parent profiled the same way says so in its
     * environment, cheaper to read than its maps (report.c). */
    int preloaded_by_env;
};

extern struct process_info process;

#endif
