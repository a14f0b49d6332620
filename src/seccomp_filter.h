/* seccomp_filter.h: what a seccomp filter the program installs would do to
 * the system calls libretain itself makes.
 *
 * The filter is a classic-BPF program over struct seccomp_data; running it
 * here, before it is installed, on each call the profiler would make (with
 * the arguments it would pass) tells which of them the kernel would allow,
 * fail with an errno (the profiler has fallbacks for those), or answer by
 * killing or trapping the process (which it must then never make). */
#ifndef RETAIN_SECCOMP_FILTER_H
#define RETAIN_SECCOMP_FILTER_H

#include <linux/filter.h>
#include <linux/seccomp.h>

/* The filter's return value (action | data) for one call; a malformed
 * program reads as SECCOMP_RET_KILL_PROCESS. */
unsigned seccomp_filter_run(const struct sock_fprog *prog, const struct seccomp_data *call);

/* 1 if the action is neither to allow the call nor to fail it with an
 * errno: the process would be killed, trapped, traced or suspended. */
int seccomp_action_fatal(unsigned ret);

/* The architecture this library is built for, as seccomp names it. */
unsigned seccomp_native_arch(void);

#endif
