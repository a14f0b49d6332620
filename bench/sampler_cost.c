/*
 * sampler_cost: what a profiler's background work costs a mostly idle
 * process that holds a lot of memory.
 *
 *     sampler_cost [SECONDS] [BLOCKS] [BLOCK_MIB]     (default 5 64 16)
 *
 * 1. Allocates BLOCKS blocks of BLOCK_MIB MiB (default 64 x 16 MiB = 1 GiB)
 *    and fills them with pointer-like data: every 8-byte word holds an
 *    address inside one of the blocks or a small integer, so a scanner that
 *    looks for references finds plenty of candidates.
 * 2. For SECONDS seconds one thread does bursts of 64 small malloc+free pairs
 *    (16..526 bytes) with a 1 ms sleep between bursts, timing each pair with
 *    clock_gettime(CLOCK_MONOTONIC); the main thread sleeps.  The process is
 *    therefore mostly idle: any CPU time beyond the plain run, and any long
 *    malloc+free pair, is the profiler's doing.
 * 3. Prints one line:
 *      sampler_cost: samples=N max_ns=X p999_ns=Y p99_ns=Z median_ns=M
 *                    fill_s=F idle_s=S
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double idle_seconds = 5.0;
static int nblocks = 64;
static size_t block_bytes = (size_t)16 << 20;
static uint64_t **blocks;

static uint32_t *lat;          /* latencies in ns, preallocated */
static size_t nlat, cap_lat;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void *mutator(void *arg)
{
    (void)arg;
    uint64_t s = 0x2545F4914F6CDD1DULL;
    uint64_t end = now_ns() + (uint64_t)(idle_seconds * 1e9);
    struct timespec pause = { 0, 1000000 };
    while (now_ns() < end) {
        for (int i = 0; i < 64 && nlat < cap_lat; i++) {
            s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
            size_t n = 16 + (size_t)((s * 2685821657736338717ULL) >> 56) * 2;  /* 16..526 */
            uint64_t t0 = now_ns();
            char *p = malloc(n);
            if (p)
                p[0] = 1;
            __asm__ volatile("" : : "r"(p) : "memory");
            free(p);
            uint64_t dt = now_ns() - t0;
            lat[nlat++] = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
        }
        nanosleep(&pause, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        idle_seconds = atof(argv[1]);
    if (argc > 2)
        nblocks = atoi(argv[2]);
    if (argc > 3)
        block_bytes = (size_t)atol(argv[3]) << 20;

    /* the latency buffer is allocated (and touched) before the big blocks */
    cap_lat = (size_t)(idle_seconds * 1000.0 * 64 * 1.2) + 1024;
    lat = calloc(cap_lat, sizeof *lat);
    blocks = calloc((size_t)nblocks, sizeof *blocks);
    if (!lat || !blocks)
        return 1;

    uint64_t t0 = now_ns();
    for (int b = 0; b < nblocks; b++) {
        blocks[b] = malloc(block_bytes);
        if (!blocks[b]) {
            fprintf(stderr, "sampler_cost: out of memory\n");
            return 1;
        }
    }
    size_t words = block_bytes / sizeof(uint64_t);
    uint64_t s = 88172645463325252ULL;
    for (int b = 0; b < nblocks; b++) {
        uint64_t *w = blocks[b];
        for (size_t i = 0; i < words; i++) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            if (s & 3)  /* 3 in 4 words: an address inside some block */
                w[i] = (uint64_t)(uintptr_t)blocks[(s >> 8) % (uint64_t)nblocks] +
                       (((s >> 24) % block_bytes) & ~(uint64_t)7);
            else        /* else a small integer */
                w[i] = (s >> 40) & 0xffff;
        }
    }
    uint64_t t1 = now_ns();

    pthread_t t;
    if (pthread_create(&t, NULL, mutator, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    uint64_t t2 = now_ns();

    qsort(lat, nlat, sizeof *lat, cmp_u32);
    uint32_t mx = nlat ? lat[nlat - 1] : 0;
    uint32_t p999 = nlat ? lat[(size_t)((nlat - 1) * 0.999)] : 0;
    uint32_t p99 = nlat ? lat[(size_t)((nlat - 1) * 0.99)] : 0;
    uint32_t med = nlat ? lat[(nlat - 1) / 2] : 0;
    printf("sampler_cost: samples=%zu max_ns=%u p999_ns=%u p99_ns=%u median_ns=%u fill_s=%.3f idle_s=%.3f\n",
           nlat, mx, p999, p99, med, (t1 - t0) / 1e9, (t2 - t1) / 1e9);

    for (int b = 0; b < nblocks; b++)
        free(blocks[b]);
    free(blocks);
    free(lat);
    return 0;
}
