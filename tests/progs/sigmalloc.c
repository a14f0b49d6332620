/*
 * sigmalloc: the program's own SIGALRM handler calls malloc and free, which
 * is not async-signal-safe, while the main thread loops in malloc/free.  An
 * interval timer fires every millisecond for MILLISECONDS.  Without a
 * profiler this usually finishes (exit 0) and may crash (glibc's heap checks
 * abort); it may also hang on glibc's arena lock.  The fault test compares
 * the outcome classes with and without the preload.
 *
 * usage: sigmalloc MILLISECONDS
 * Prints "done" and the fds open then (fdlist.h), and exits 0 when the time
 * is up.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fdlist.h"

static volatile sig_atomic_t handled;

static void on_alarm(int sig)
{
    (void)sig;
    void *p = malloc(1100 + handled % 3000);
    if (p)
        memset(p, 7, 24);
    free(p);
    handled++;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sigmalloc MILLISECONDS\n");
        return 2;
    }
    long run_ms = atol(argv[1]);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { { 0, 200 }, { 0, 200 } };
    setitimer(ITIMER_REAL, &it, NULL);
    void *slots[128] = { 0 };
    uint32_t s = 88172645u;
    long start = now_ms();
    for (unsigned long n = 0;; n++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        free(slots[s % 128]);
        slots[s % 128] = malloc(16 + (s >> 8) % 3000);
        if ((n & 1023) == 0 && now_ms() - start >= run_ms)
            break;
    }
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    printf("done\n");
    fflush(stdout);
    fdlist_print(1, "open at exit:");
    return 0;
}
