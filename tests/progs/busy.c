/*
 * busy: three threads allocate and free for a given time (default 3000 ms)
 * while main sleeps, then everything is joined.  Used for the signal and
 * periodic-report tests: reports are requested while threads are inside
 * malloc and free.
 *
 * usage: busy [milliseconds]
 * stdout (deterministic): "busy for N ms" and "done, 3 threads".
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, noclone))

static long duration_ms = 3000;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

NOINLINE void *busy_alloc(size_t n)
{
    void *p = malloc(n);
    if (p)
        memset(p, 0x11, n < 64 ? n : 64);
    return p;
}

static void *worker(void *arg)
{
    uint32_t s = 0x1234567u * (uint32_t)((intptr_t)arg + 1);
    void *slots[512] = { 0 };
    long start = now_ms();
    for (unsigned long it = 0;; it++) {
        if ((it & 1023) == 0 && now_ms() - start >= duration_ms)
            break;
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        int i = s % 512;
        if (slots[i]) {
            free(slots[i]);
            slots[i] = NULL;
        } else {
            slots[i] = busy_alloc(16 + (s >> 9) % 6000);
        }
    }
    for (int i = 0; i < 512; i++)
        free(slots[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        duration_ms = atol(argv[1]);
    printf("busy for %ld ms\n", duration_ms);
    fflush(stdout);
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) != 0)
            return 2;
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    printf("done, 3 threads\n");
    return 0;
}
