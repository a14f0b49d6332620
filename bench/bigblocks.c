/*
 * bigblocks: large-block churn, the way a server's per-request buffers or a
 * compressor's windows use memory.  THREADS threads (default 3) each allocate
 * blocks of 1..4 MiB (4 KiB multiples), write into them (the first 4 KiB
 * whole, then one byte every 64 KiB: a request's header and a sparse tail),
 * and free them soon after: each block sits in one of 8 short slots, freed 8
 * allocations later (microseconds), except one in 32 which goes to one of 4
 * long slots and is freed once 1..4 ms have passed.  Every block is above
 * libretain's default RETAIN_MIN_SIZE, so every one is a watch candidate.
 *
 *     bigblocks count N [THREADS]     N blocks in all, then exit; prints nothing
 *     bigblocks seconds S [THREADS]   for S seconds; prints "blocks_per_s=R"
 *     bigblocks fork N [THREADS]      N blocks in all, then (threads joined,
 *                                     16 large blocks still live) 21 fork()s:
 *                                     prints "fork_child_us=C fork_parent_us=P"
 *                                     (medians: fork() called -> child running,
 *                                     fork() called -> fork() returned in the
 *                                     parent), then "blocks=N"
 *
 * Deterministic per thread (rand_r with a fixed seed); no output depends on
 * timing except the numbers above.
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

#define SHORT_SLOTS 8
#define LONG_SLOTS 4
#define FORKS 21

static long per_thread;           /* count / fork modes */
static double stop_at_ns;         /* seconds mode */
static volatile int stop;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static char *take(unsigned *seed)
{
    size_t n = ((size_t)1 << 20) + (size_t)(rand_r(seed) % 769) * 4096;   /* 1..4 MiB */
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
    unsigned seed = 12345u + 977u * (unsigned)(uintptr_t)arg;
    char *shortslot[SHORT_SLOTS] = { 0 };
    char *longslot[LONG_SLOTS] = { 0 };
    double due[LONG_SLOTS] = { 0 };
    long done = 0;
    for (;;) {
        if (per_thread ? done >= per_thread : (done % 64 == 0 && now_ns() >= stop_at_ns))
            break;
        char *p = take(&seed);
        done++;
        if (rand_r(&seed) % 32 == 0) {
            int k = rand_r(&seed) % LONG_SLOTS;
            free(longslot[k]);
            longslot[k] = p;
            due[k] = now_ns() + 1e6 * (1 + rand_r(&seed) % 4);
        } else {
            int k = (int)(done % SHORT_SLOTS);
            free(shortslot[k]);
            shortslot[k] = p;
        }
        if (done % 16 == 0) {
            double t = now_ns();
            for (int k = 0; k < LONG_SLOTS; k++)
                if (longslot[k] && t >= due[k]) {
                    free(longslot[k]);
                    longslot[k] = NULL;
                }
        }
    }
    for (int k = 0; k < SHORT_SLOTS; k++)
        free(shortslot[k]);
    for (int k = 0; k < LONG_SLOTS; k++)
        free(longslot[k]);
    return (void *)(intptr_t)done;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void forks(void)
{
    double child[FORKS], parent[FORKS];
    for (int i = 0; i < FORKS; i++) {
        int fds[2];
        if (pipe(fds) != 0)
            abort();
        double t0 = now_ns();
        pid_t pid = fork();
        if (pid == 0) {
            double t1 = now_ns();
            ssize_t w = write(fds[1], &t1, sizeof t1);
            _exit(w == sizeof t1 ? 0 : 1);
        }
        double t2 = now_ns();
        if (pid < 0)
            abort();
        double t1 = 0;
        if (read(fds[0], &t1, sizeof t1) != sizeof t1)
            abort();
        int st;
        waitpid(pid, &st, 0);
        close(fds[0]);
        close(fds[1]);
        child[i] = (t1 - t0) / 1e3;
        parent[i] = (t2 - t0) / 1e3;
    }
    qsort(child, FORKS, sizeof child[0], cmp);
    qsort(parent, FORKS, sizeof parent[0], cmp);
    printf("fork_child_us=%.1f fork_parent_us=%.1f\n", child[FORKS / 2], parent[FORKS / 2]);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bigblocks count|seconds|fork N [THREADS]\n");
        return 2;
    }
    const char *mode = argv[1];
    double n = atof(argv[2]);
    int threads = argc > 3 ? atoi(argv[3]) : 3;
    if (threads < 1 || threads > 64)
        threads = 3;
    if (!strcmp(mode, "seconds"))
        stop_at_ns = now_ns() + n * 1e9;
    else
        per_thread = (long)(n / threads + 0.5);
    double t0 = now_ns();
    pthread_t t[64];
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
    long total = 0;
    for (int i = 0; i < threads; i++) {
        void *r;
        pthread_join(t[i], &r);
        total += (long)(intptr_t)r;
    }
    double secs = (now_ns() - t0) / 1e9;
    if (!strcmp(mode, "seconds")) {
        printf("blocks_per_s=%.0f\n", total / secs);
    } else if (!strcmp(mode, "fork")) {
        unsigned seed = 7;
        char *live[16];
        for (int i = 0; i < 16; i++)
            live[i] = take(&seed);
        forks();
        for (int i = 0; i < 16; i++)
            free(live[i]);
        printf("blocks=%ld\n", total);
    }
    return 0;
}
