/* proc_report.h: where a process under libretain writes its reports, worked
 * out the way the library does (src/report.c output_prefix), and whether a
 * process has the library mapped. */
#ifndef RETAIN_CLI_PROC_REPORT_H
#define RETAIN_CLI_PROC_REPORT_H
#include <stddef.h>

/* RETAIN_OUTPUT's value `fmt` expanded for `pid`: relative to start_dir,
 * %p the pid, and ".PID" appended when there is no %p and suffix_pid. */
void report_prefix(const char *fmt, const char *start_dir, long pid, int suffix_pid, char *out,
                   size_t cap);
/* 1 if /proc/PID/maps names libretain, 0 if not, -1 (errno) if unreadable. */
int maps_libretain(long pid);
/* The parent pid of pid from /proc/PID/status, or -1. */
long parent_pid(long pid);
/* The libretain.so to preload: --lib, $RETAIN_LIB, beside this program
 * (the build tree), ../lib beside it (an install), the configured LIBDIR. */
const char *find_library(const char *given);
#endif
