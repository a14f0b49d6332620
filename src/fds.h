/* fds.h: file descriptors libretain keeps open (base layer).
 *
 * A descriptor the profiler holds must not be one the program expects to
 * get: programs close 0-2 and reopen them, or count on open() returning the
 * lowest free number, or list their fds (CPython's pass_fds tests).  So a
 * descriptor kept for long is moved above the numbers programs use (just
 * under the soft RLIMIT_NOFILE, at most 1024 - 32: high, but inside any
 * select() set size and without growing the kernel's fd table past 1024
 * entries), close-on-exec. */
#ifndef RETAIN_FDS_H
#define RETAIN_FDS_H

/* Reads the limit once (start-up, fork child). */
void fds_init(void);
/* Moves fd high (the original is closed) and returns the new number; on
 * failure returns fd unchanged, still close-on-exec. */
int fd_move_high(int fd);

#endif
