/*
 * mainexit: main() ends with pthread_exit(NULL) while one worker thread goes
 * on allocating (small blocks and 2 MiB blocks) for MILLISECONDS, then
 * returns.  The process ends when its last thread ends, with status 0; a
 * profiler's own thread must not keep it alive after that.
 *
 * usage: mainexit MILLISECONDS
 *   prints "main exits" before main's pthread_exit and "worker done" as the
 *   worker's last act, followed by the fds open then (fdlist.h).  With a
 *   large MILLISECONDS the harness sends SIGTERM while the worker still
 *   runs: the default action must kill the process.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdlist.h"

static long run_ms;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void *worker(void *arg)
{
    (void)arg;
    void *small[64] = { 0 };
    void *big[4] = { 0 };
    long start = now_ms();
    for (unsigned i = 0; now_ms() - start < run_ms; i++) {
        free(small[i % 64]);
        small[i % 64] = malloc(16 + i % 2000);
        if (i % 512 == 0) {
            free(big[(i / 512) % 4]);
            big[(i / 512) % 4] = malloc(2u << 20);
            memset(big[(i / 512) % 4], 1, 4096);
        }
        if (i % 1024 == 0)
            usleep(1000);
    }
    for (int i = 0; i < 64; i++)
        free(small[i]);
    for (int i = 0; i < 4; i++)
        free(big[i]);
    printf("worker done\n");
    fflush(stdout);
    fdlist_print(1, "open at exit:");
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mainexit MILLISECONDS\n");
        return 2;
    }
    run_ms = atol(argv[1]);
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0) {
        perror("pthread_create");
        return 1;
    }
    printf("main exits\n");
    fflush(stdout);
    pthread_exit(NULL);
}
