/*
 * churn: multi-threaded allocation churn.
 *
 *     churn [OPS_PER_THREAD]     (default 1100000; 2 threads)
 *
 * Each of 2 threads repeatedly
 *   - descends a chain of recursive helpers of random depth 1..20 (so the
 *     profiler has stacks of varied depth to capture), then
 *   - allocates from one of 8 leaf call sites: mostly 16 B .. 4 KiB (skewed
 *     towards small), about 1 in 256 a large block of 64 KiB .. 1 MiB,
 *     touches the block, and
 *   - stores it either in its own private table (freed later by the same
 *     thread) or in a table shared by both threads, where it displaces (and
 *     frees) a block that either thread may have allocated.
 * Sizes are multiples of 8 (see pick_size).  Now and then it also realloc()s
 * or calloc()s.  The live set stays around a
 * few MB.  Deterministic: fixed seeds per thread.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 2
#define PRIVATE_SLOTS 2048
#define SHARED_SLOTS 4096

static void *shared_slots[SHARED_SLOTS];
static long ops_per_thread = 1100000;

struct rng { uint64_t s; };

static inline uint64_t next(struct rng *r)
{
    /* xorshift64* */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}

static size_t pick_size(struct rng *r)
{
    uint64_t x = next(r);
    size_t n;
    if ((x & 255) == 0)                       /* ~0.4%: 64 KiB .. 1 MiB */
        n = (64u << 10) + (size_t)((x >> 8) % (960u << 10));
    else
        switch ((x >> 8) & 7) {               /* skewed towards small */
        case 0: case 1: case 2: n = 16 + ((x >> 16) % 48);     break; /* 16..63 */
        case 3: case 4:         n = 64 + ((x >> 16) % 192);    break; /* 64..255 */
        case 5: case 6:         n = 256 + ((x >> 16) % 768);   break; /* 256..1023 */
        default:                n = 1024 + ((x >> 16) % 3073); break; /* 1..4 KiB */
        }
    /* 8-byte granularity, as struct and buffer sizes usually are.  (With
     * byte-granular sizes, Debian 12's heaptrack_interpret 1.4.0 degenerates:
     * its (size, trace) hash set grows to ~19 GB and dies of bad_alloc, and
     * there would be no heaptrack column to compare with.) */
    return (n + 7) & ~(size_t)7;
}

static inline void touch(char *p, size_t n)
{
    /* write the head and one byte per page, like a program initialising it */
    memset(p, 0x5a, n < 64 ? n : 64);
    for (size_t i = 4096; i < n; i += 4096)
        p[i] = 1;
}

/* Eight distinct allocation sites. */
#define LEAF(k)                                                              \
    __attribute__((noinline)) static void *leaf##k(struct rng *r, size_t n) \
    {                                                                        \
        void *p;                                                             \
        uint64_t x = next(r);                                                \
        if ((x & 31) == 0)                                                   \
            p = calloc(1, n);                                                \
        else                                                                 \
            p = malloc(n);                                                   \
        if (p && (x & 63) == 1) {                                            \
            size_t m = (n + (n >> 1) + 8) & ~(size_t)7;                     \
            void *q = realloc(p, m);                                         \
            if (q) { p = q; n = m; }                                         \
        }                                                                    \
        if (p)                                                               \
            touch(p, n);                                                     \
        __asm__ volatile("" ::: "memory");                                   \
        return p;                                                            \
    }
LEAF(0) LEAF(1) LEAF(2) LEAF(3) LEAF(4) LEAF(5) LEAF(6) LEAF(7)

typedef void *(*leaf_fn)(struct rng *, size_t);
static leaf_fn leaves[8] = { leaf0, leaf1, leaf2, leaf3, leaf4, leaf5, leaf6, leaf7 };

static void *descend_b(struct rng *r, int depth, size_t n, int site);

/* Two mutually recursive helpers; the volatile use of the result after the
 * call keeps the compiler from turning the recursion into a loop. */
__attribute__((noinline)) static void *descend_a(struct rng *r, int depth, size_t n, int site)
{
    void *p = depth <= 1 ? leaves[site](r, n) : descend_b(r, depth - 1, n, site);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}

__attribute__((noinline)) static void *descend_b(struct rng *r, int depth, size_t n, int site)
{
    void *p = depth <= 1 ? leaves[site](r, n) : descend_a(r, depth - 1, n, site);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}

static void *worker(void *arg)
{
    long id = (long)arg;
    struct rng r = { 0x9E3779B97F4A7C15ULL * (uint64_t)(id + 1) };
    void **mine = calloc(PRIVATE_SLOTS, sizeof *mine);
    if (!mine)
        abort();

    for (long i = 0; i < ops_per_thread; i++) {
        uint64_t x = next(&r);
        int depth = 1 + (int)(x % 20);
        int site = (int)((x >> 8) & 7);
        size_t n = pick_size(&r);
        void *p = descend_a(&r, depth, n, site);
        if (!p)
            abort();
        if ((x >> 16) & 1) {
            /* shared table: displaces a block either thread allocated */
            size_t slot = (x >> 20) % SHARED_SLOTS;
            void *old = __atomic_exchange_n(&shared_slots[slot], p, __ATOMIC_ACQ_REL);
            free(old);
        } else {
            size_t slot = (x >> 20) % PRIVATE_SLOTS;
            free(mine[slot]);
            mine[slot] = p;
        }
    }
    for (int i = 0; i < PRIVATE_SLOTS; i++)
        free(mine[i]);
    free(mine);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        ops_per_thread = atol(argv[1]);
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
            abort();
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < SHARED_SLOTS; i++)
        free(shared_slots[i]);
    return 0;
}
