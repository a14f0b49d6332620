/*
 * exitthreads: the process exits while other threads are still inside malloc
 * and free (they are never joined).  The exit-time report must neither hang
 * nor crash nor change the exit status.
 *
 * usage: exitthreads MILLISECONDS main|thread
 *   main:   main calls exit(5) after the delay
 *   thread: one of the allocating threads calls exit(6) after the delay
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NTHREADS 4

static long delay_ms;
static int from_thread;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    uint32_t s = 2463534242u + (uint32_t)id * 977u;
    void *slots[128] = { 0 };
    long start = now_ms();
    for (unsigned long it = 0;; it++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        int i = s % 128;
        if (slots[i]) {
            if (s & 0x200)
                slots[i] = realloc(slots[i], 1 + (s >> 10) % 9000);
            else {
                free(slots[i]);
                slots[i] = NULL;
            }
        } else {
            slots[i] = (s & 0x400) ? calloc(1, 1 + (s >> 11) % 3000) : malloc(1 + (s >> 11) % 3000);
        }
        if (from_thread && id == 0 && (it & 255) == 0 && now_ms() - start >= delay_ms) {
            printf("thread %d calls exit(6)\n", id);
            exit(6);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    delay_ms = atol(argv[1]);
    from_thread = strcmp(argv[2], "thread") == 0;
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    if (from_thread) {
        pthread_join(th[0], NULL); /* never returns: thread 0 exits the process */
        return 3;
    }
    struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
    printf("main calls exit(5)\n");
    exit(5);
}
