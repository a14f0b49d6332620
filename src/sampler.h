/* sampler.h: libretain's background thread.
 *
 * It measures watched blocks (retention passes under the CPU budget) and
 * writes every report: on RETAIN_SIGNAL (the handler only wakes it), every
 * RETAIN_REPORT_INTERVAL, on retain_report_now(), and the final one at
 * exit.  Reports run here, on a stack reserved when the thread was made,
 * not on whichever thread asked: that thread may be in a signal handler
 * that interrupted malloc, or out of address space to grow its stack
 * (RLIMIT_AS), and every structure the sampler alone touches (watch
 * recycling, the mapped-ranges cache) stays single-threaded.
 *
 * The thread never keeps the process alive: when every other thread has
 * ended (main returned through pthread_exit, a fork child's only thread
 * returned), it ends the process as glibc would have, with exit(0).
 *
 * It is started when there is work for it, not at start-up: the first
 * watched block, periodic reports, the report signal or retain_report_now.
 * A process that never has such work stays single-threaded, as it is
 * without the profiler (glibc's malloc takes no locks in a single-threaded
 * process, and a program whose signal handler calls malloc fails the way it
 * would plain), and its exit report is written on the exiting thread. */
#ifndef RETAIN_SAMPLER_H
#define RETAIN_SAMPLER_H

#include "report.h"

#include <signal.h>

/* each_wake: housekeeping the composition root wants done on the thread at
 * every wake-up (outside any lock).  Sets things up; the thread itself is
 * made by sampler_ensure (at once when periodic reports are asked for). */
void sampler_start(int (*each_wake)(void));
/* each_wake is wanted soon and until it reports work (a dlopen is under
 * way: its objects are seen within a millisecond or two of the load). */
void sampler_soon(void);
/* Makes the thread if it is not running yet.  From the allocation path
 * (guard held, no lock of libretain's held) or any ordinary context. */
void sampler_ensure(void);
/* Set by the report signal's handler when there is no thread yet: the next
 * allocation makes it (sampler_ensure), and it writes the report. */
extern int sampler_wanted;
/* 1 on the sampler thread itself. */
int sampler_is_self(void);
/* The sampler thread's measuring scratch (retention.h); for the sampler
 * itself only. */
struct measure_scratch *sampler_scratch(void);
/* 1 while the thread runs and takes requests. */
int sampler_running(void);

/* Writes a report on the sampler thread and waits for it.  Returns the
 * report's result, or SAMPLER_UNAVAILABLE when there is no thread to run it
 * (the caller may then write it itself). */
#define SAMPLER_UNAVAILABLE (-100)
int sampler_report(enum report_reason reason);

/* The final report: written on the sampler thread, which then stops for
 * good.  Waits at most timeout_ms.  Returns 0 when written, -1 on timeout,
 * SAMPLER_UNAVAILABLE when there is no thread.  Async-signal-safe in the
 * sense that matters here: it only posts and waits on semaphores. */
int sampler_finish(unsigned timeout_ms);

/* The thread stops making system calls for good (a seccomp filter is about
 * to be installed); waits until it has parked.  No further reports. */
void sampler_park(void);

/* A program thread is ending (its TLS destructors run): the sampler looks
 * soon whether it is the last thread left. */
void sampler_thread_ended(void);
/* Ask for an occupancy pass soon (a new large block, a growth event). */
void sampler_poke(void);
void sampler_after_fork_child(void);

/* The report signal's disposition as the program sees it
 * (interpose_signal.c).  sampler_signal_view: 1 if sig is the report signal
 * and libretain's handler is installed, with the disposition the program
 * would see there in *view (at start-up, SIG_DFL).  Setting SIG_DFL only
 * changes that view (set_view): the handler stays.  Setting a handler or
 * SIG_IGN hands the signal to the program (release: reports on signal are
 * off).  Async-signal-safe, as sigaction is. */
int sampler_signal_view(int sig, struct sigaction *view);
void sampler_signal_set_view(const struct sigaction *view);
void sampler_signal_release(void);

#endif
