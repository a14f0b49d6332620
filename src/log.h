/* log.h: the profiler's only channel to the user besides reports: stderr,
 * one line per message, written with write(2) so that it never touches the
 * host's stdio buffers. */
#ifndef RETAIN_LOG_H
#define RETAIN_LOG_H

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
