/*
 * churnfork: large-block churn under the sampler, with a fork, and reports
 * taken while it churns.  test_server_heaps.py checks the profiler's own
 * accounting (sampler.watch_records, totals.profiler_bytes) against the
 * large blocks alive.
 *
 *     churnfork SECONDS
 *
 * Main holds 8 long-lived 1 MiB blocks (bytes, filled) for the whole run.
 * Two threads churn blocks of 1..4 MiB: each block sits in one of 8 short
 * slots (freed 8 allocations later) or, one in 32, in one of 4 long slots
 * (freed after 1..4 ms), so at most 2 x 12 + 8 = 32 large blocks are alive
 * at any moment.  Main, while the threads churn:
 *   at 1 s: retain_report_now() (report A);
 *   at SECONDS/2: fork(); the child writes how long after fork() it first
 *     ran, then exits (its own exit report);
 *   at SECONDS - 1 s: retain_report_now() (report B, a second before exit; both have the
 *     reason "signal" and the same file: the test polls it and keeps both);
 * then stops the threads and exits.
 * stdout: "max_live 32", "blocks N" (churned in all), "child_fork_ms X"
 * (from the child), "parent_fork_ms Y", "report_a rc" / "report_b rc".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "retain.h"

#define SHORT_SLOTS 8
#define LONG_SLOTS 4
#define THREADS 2
#define KEPT 8

static volatile int stop;
static long churned[THREADS];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_until(double t)
{
    while (now_ms() < t) {
        struct timespec ts = { 0, 2000000 };
        nanosleep(&ts, NULL);
    }
}

static char *take(unsigned *seed)
{
    size_t n = ((size_t)1 << 20) + (size_t)(rand_r(seed) % 769) * 4096;
    char *p = malloc(n);
    if (!p)
        abort();
    memset(p, (int)(n >> 12), 4096);
    for (size_t at = 65536; at < n; at += 65536)
        p[at] = (char)(at >> 16);
    return p;
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    unsigned seed = 777u + (unsigned)id;
    char *sh[SHORT_SLOTS] = { 0 }, *lg[LONG_SLOTS] = { 0 };
    double due[LONG_SLOTS] = { 0 };
    long done = 0;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        char *p = take(&seed);
        done++;
        if (rand_r(&seed) % 32 == 0) {
            int k = rand_r(&seed) % LONG_SLOTS;
            free(lg[k]);
            lg[k] = p;
            due[k] = now_ms() + 1 + rand_r(&seed) % 4;
        } else {
            int k = (int)(done % SHORT_SLOTS);
            free(sh[k]);
            sh[k] = p;
        }
        if (done % 16 == 0) {
            double t = now_ms();
            for (int k = 0; k < LONG_SLOTS; k++)
                if (lg[k] && t >= due[k]) {
                    free(lg[k]);
                    lg[k] = NULL;
                }
        }
    }
    for (int k = 0; k < SHORT_SLOTS; k++)
        free(sh[k]);
    for (int k = 0; k < LONG_SLOTS; k++)
        free(lg[k]);
    churned[id] = done;
    return NULL;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 4;
    double t0 = now_ms();
    char *kept[KEPT];
    for (int i = 0; i < KEPT; i++) {
        kept[i] = malloc((size_t)1 << 20);
        memset(kept[i], 'a' + i, (size_t)1 << 20);
    }
    printf("max_live %d\n", THREADS * (SHORT_SLOTS + LONG_SLOTS) + KEPT);
    fflush(stdout);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);

    sleep_until(t0 + 1000);
    printf("report_a %d\n", retain_report_now());
    fflush(stdout);

    sleep_until(t0 + secs * 500);
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    double f0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        double f1 = now_ms();
        char line[64];
        int len = snprintf(line, sizeof line, "child_fork_ms %.3f\n", f1 - f0);
        if (write(1, line, (size_t)len) != len)
            _exit(1);
        exit(0);
    }
    double f2 = now_ms();
    int st = 0;
    waitpid(pid, &st, 0);
    printf("parent_fork_ms %.3f\nchild_status %d\n", f2 - f0, st);
    fflush(stdout);

    sleep_until(t0 + secs * 1000 - 1000);
    printf("report_b %d\n", retain_report_now());
    fflush(stdout);
    sleep_until(t0 + secs * 1000);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    long total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        total += churned[i];
    }
    for (int i = 0; i < KEPT; i++)
        free(kept[i]);
    printf("blocks %ld\n", total);
    return 0;
}
