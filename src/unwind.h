/* unwind.h: capturing the allocating thread's call stack. */
#ifndef RETAIN_UNWIND_H
#define RETAIN_UNWIND_H

#include <stdint.h>

/* Records our own code range so that libretain's frames can be dropped,
 * and sets libunwind up now, while the program has not started: its first
 * unwind opens a pipe (memory validation), which must not take descriptors
 * the program is about to use (see unwind_opening_pipe). */
void unwind_init(void);

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
