/*
 * reportnow: THREADS program threads call retain_report_now() in a loop
 * while two other threads churn large blocks (1-4 MiB, some kept for a
 * while so that the sampler watches them) for MILLISECONDS.
 *
 * usage: reportnow MILLISECONDS [THREADS]   (default 3; 0: churn only)
 * stdout: "reporters done", "churners done" (the same with and without the
 * library), then the fds open at exit (fdlist.h); stderr:
 * "report_now ok N failed M" (all fail without it).
 */
#include <retain.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdlist.h"

static long run_ms;
static long ok, failed;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void *reporter(void *arg)
{
    (void)arg;
    long start = now_ms();
    while (now_ms() - start < run_ms) {
        if (retain_report_now() == 0)
            __atomic_add_fetch(&ok, 1, __ATOMIC_RELAXED);
        else
            __atomic_add_fetch(&failed, 1, __ATOMIC_RELAXED);
        usleep(5000);
    }
    return NULL;
}

static void *churner(void *arg)
{
    uint32_t s = 2463534242u + (uint32_t)(uintptr_t)arg * 7919u;
    void *slots[16] = { 0 };
    long start = now_ms();
    while (now_ms() - start < run_ms) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        unsigned i = s % 16;
        free(slots[i]);
        size_t size = (1u << 20) + (s >> 4) % (3u << 20);
        slots[i] = malloc(size);
        memset(slots[i], (int)i, 4096);
        void *tmp = malloc(32 + s % 500);
        free(tmp);
        if ((s & 7) == 0)
            usleep(1000);
    }
    for (int i = 0; i < 16; i++)
        free(slots[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: reportnow MILLISECONDS [THREADS]\n");
        return 2;
    }
    run_ms = atol(argv[1]);
    int nrep = argc > 2 ? atoi(argv[2]) : 3;
    if (nrep < 0 || nrep > 32)
        nrep = 3;
    pthread_t rep[32], churn[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&churn[i], NULL, churner, (void *)(uintptr_t)i);
    for (int i = 0; i < nrep; i++)
        pthread_create(&rep[i], NULL, reporter, NULL);
    for (int i = 0; i < nrep; i++)
        pthread_join(rep[i], NULL);
    printf("reporters done\n");
    for (int i = 0; i < 2; i++)
        pthread_join(churn[i], NULL);
    printf("churners done\n");
    fflush(stdout);
    fdlist_print(1, "open at exit:");
    fprintf(stderr, "report_now ok %ld failed %ld\n", ok, failed);
    return 0;
}
