/*
 * threads: 4 threads allocate blocks and pass them through a shared queue;
 * whichever thread pops a block frees it, so most blocks are freed by a thread
 * other than the one that allocated them.  At the end each thread keeps a known
 * number of blocks alive and the program exits without freeing them.
 *
 * Every allocation a worker makes happens in worker_alloc() (malloc, calloc, or
 * malloc followed by a growing realloc).  The program counts those allocation
 * events exactly and prints them:
 *     worker allocations N
 *     kept K blocks B bytes
 * With RETAIN_SAMPLE=0 the sites naming worker_alloc must sum to N allocations,
 * N - K frees and B live bytes.
 *
 * usage: threads [milliseconds]   (default 3000)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, noclone))
#define NTHREADS 4
#define QCAP 4096

struct hdr {
    uint32_t magic;
    uint32_t size;
};

static struct {
    pthread_mutex_t lock;
    void *items[QCAP];
    size_t head, len;
} queue = { PTHREAD_MUTEX_INITIALIZER, { 0 }, 0, 0 };

static long duration_ms = 3000;
static long alloc_events[NTHREADS];
static long corrupt[NTHREADS];
static void *kept[NTHREADS][200];
static int kept_count[NTHREADS];
static long kept_bytes[NTHREADS];

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* All worker allocations happen here; *events gets the number of allocation
 * events (a realloc of a block counts as one more allocation and one free). */
NOINLINE void *worker_alloc(size_t size, int how, long *events)
{
    unsigned char *p;
    if (how == 0) {
        p = malloc(size);
        *events += 1;
    } else if (how == 1) {
        p = calloc(1, size);
        *events += 1;
    } else {
        p = malloc(size / 2);
        p = realloc(p, size);
        *events += 2;
    }
    if (!p)
        abort();
    struct hdr h = { 0xC0FFEEu, (uint32_t)size };
    memcpy(p, &h, sizeof h);
    p[size - 1] = (unsigned char)size;
    return p;
}

NOINLINE int worker_free(void *ptr)
{
    unsigned char *p = ptr;
    struct hdr h;
    memcpy(&h, p, sizeof h);
    int bad = h.magic != 0xC0FFEEu || p[h.size - 1] != (unsigned char)h.size;
    free(p);
    return bad;
}

static void *worker(void *arg)
{
    int tid = (int)(intptr_t)arg;
    uint32_t rng = 0x9e3779b9u * (uint32_t)(tid + 1);
    long events = 0, bad = 0;
    long start = now_ms();
    for (unsigned long iter = 0;; iter++) {
        if ((iter & 255) == 0 && now_ms() - start >= duration_ms)
            break;
        uint32_t r = xorshift(&rng);
        size_t size = 16 + r % 2000;
        if (r % 211 == 0)
            size = 100000 + r % 300000; /* an mmap-sized block now and then */
        void *p = worker_alloc(size, (int)(iter % 5 == 4 ? 2 : iter % 2), &events);

        void *to_free = NULL, *victim = NULL;
        pthread_mutex_lock(&queue.lock);
        if (queue.len < QCAP) {
            queue.items[(queue.head + queue.len) % QCAP] = p;
            queue.len++;
        } else {
            to_free = p;
        }
        if (queue.len > 64 + (r >> 8) % 512) {
            victim = queue.items[queue.head];
            queue.head = (queue.head + 1) % QCAP;
            queue.len--;
        }
        pthread_mutex_unlock(&queue.lock);
        if (to_free)
            bad += worker_free(to_free);
        if (victim)
            bad += worker_free(victim);
    }

    /* The blocks this thread keeps until exit. */
    int keep = 100 + 25 * tid;
    for (int i = 0; i < keep; i++) {
        size_t size = 24 + (size_t)(i * 13 + tid * 7) % 500;
        kept[tid][i] = worker_alloc(size, i % 3, &events);
        kept_bytes[tid] += (long)size;
    }
    kept_count[tid] = keep;
    alloc_events[tid] = events;
    corrupt[tid] = bad;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        duration_ms = atol(argv[1]);
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) != 0)
            return 2;
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);

    long bad = 0;
    while (queue.len) {
        bad += worker_free(queue.items[queue.head]);
        queue.head = (queue.head + 1) % QCAP;
        queue.len--;
    }

    long events = 0, kb = 0;
    int kc = 0;
    for (int i = 0; i < NTHREADS; i++) {
        events += alloc_events[i];
        bad += corrupt[i];
        kc += kept_count[i];
        kb += kept_bytes[i];
    }
    printf("kept %d blocks %ld bytes\n", kc, kb);
    printf("corrupt blocks %ld\n", bad);
    printf("worker allocations %ld\n", events);
    return bad != 0;
}
