/* log.h: the profiler's only channel to the user besides reports: stderr,
 * one line per message, written whole with one write(2), never through the
 * host's stdio.
 *
 * "stderr" means the file that was fd 2 when the program started: a
 * program that closes fd 2 and reuses the number for a data file must not
 * find libretain's lines in it, so a line is written only while fd 2 is
 * still that file (same device and inode). */
#ifndef RETAIN_LOG_H
#define RETAIN_LOG_H

/* Remembers what fd 2 is (start-up). */
void log_init(void);
/* Writes one line; returns 0 if written, -1 if fd 2 is no longer the
 * stderr of start-up (or the write failed). */
int log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
