/* unwind.h: capturing the allocating thread's call stack. */
#ifndef RETAIN_UNWIND_H
#define RETAIN_UNWIND_H

#include <stdint.h>

/* Records our own code range so that libretain's frames can be dropped.
 * libunwind itself is set up by the first unwind (the first sampled
 * allocation), not here: its set-up fills a 256 KiB per-thread trace cache
 * (about 70 page faults) and opens its validation pipe, which a process
 * that never unwinds does not need.  The pipe2 hook moves that pipe above
 * the numbers programs use whichever thread opens it (interpose.c), as it
 * does when libunwind reopens it later. */
void unwind_init(void);

/* fork's prepare handler, before any of libretain's locks are taken: sets
 * libunwind up on the forking thread if no capture has yet.  libunwind's
 * one-time set-up holds its own lock; a fork while another thread was
 * inside it left the child's copy locked, and the child's first unwind
 * hung (tests: fork_child_reports).  Done here, the fork waits for a set-up
 * under way and none can start in the middle of it. */
void unwind_prepare_fork(void);

/* 1 while this thread is inside libunwind: a pipe2() then is libunwind's
 * validation pipe, which the pipe2 hook moves out of the program's way. */
extern __thread int unwind_active;

/* Fills `ips` with up to `depth` return addresses of the caller of the
 * malloc-family function, outermost last, libretain's own frames removed.
 * Returns the number of frames. */
int unwind_capture(uintptr_t *ips, int depth);

/* 1 if pc lies in libretain's own code (known after unwind_init). */
int unwind_pc_is_ours(uintptr_t pc);

#endif
