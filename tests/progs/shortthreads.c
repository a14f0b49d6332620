/*
 * shortthreads: 200 short-lived threads (4 at a time), each making exactly one
 * small allocation, malloc(16), in thread_one_alloc() (kept).  Under byte
 * sampling an estimator must not count each thread's first allocation as
 * sampled: 200 x 16 bytes is far below one sampling gap of 64 KiB, so the
 * estimate for thread_one_alloc should be 0 or a few times 4096, never ~200 x
 * 4096.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noclone))
#define NTHREADS 200

static void *blocks[NTHREADS];

NOINLINE void *thread_one_alloc(void)
{
    void *p = malloc(16);
    memset(p, 7, 16);
    return p;
}

static void *worker(void *arg)
{
    long i = (long)arg;
    blocks[i] = thread_one_alloc();
    return NULL;
}

int main(void)
{
    int made = 0;
    for (long i = 0; i < NTHREADS; i += 4) {
        pthread_t t[4];
        for (long k = 0; k < 4; k++)
            if (pthread_create(&t[k], NULL, worker, (void *)(i + k)) != 0)
                return 2;
        for (int k = 0; k < 4; k++)
            pthread_join(t[k], NULL);
    }
    for (int i = 0; i < NTHREADS; i++)
        made += blocks[i] != NULL;
    printf("%d threads, %d allocations of 16 bytes\n", NTHREADS, made);
    return 0;
}
