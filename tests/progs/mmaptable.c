/*
 * mmaptable: tables and buffers that live in mappings of their own, made
 * with mmap/mremap/munmap through the C library (as PHP's allocator maps
 * its huge blocks), for tests/test_mmap.py.
 *
 * usage: mmaptable MODE [HOLD_MS]
 *   table    a 64 MiB anonymous private table of pointers, 60% full, then
 *            drained to 0.6% and kept HOLD_MS: a retained mapping
 *   buffer   a 64 MiB anonymous private byte buffer, filled with bytes and
 *            kept: not a table
 *   file     the table of `table` in a private mapping of a file: not tracked
 *   shared   the table of `table` in a shared anonymous mapping: not tracked
 *   reshape  a tracked table cut at its head and tail by munmap, split by a
 *            munmap in its middle, grown and moved by mremap, shrunk by
 *            mremap, partly replaced by MAP_FIXED; what is left (32 MiB) is
 *            filled, drained and kept HOLD_MS: one finding of 32 MiB
 *   churn    two threads map, fill, cut, remap and unmap tables as fast as
 *            they can for HOLD_MS while the sampler reads them
 *   heap     no mmap of its own: big malloc blocks (1-8 MiB, filled with
 *            pointers) churned for HOLD_MS, then a 64 MiB malloc'd table
 *            filled and drained; under an allocator that maps its chunks
 *            with mmap (jemalloc, tcmalloc, mimalloc) one finding, the
 *            malloc block's, none for the chunks that hold it
 *   fork     a 64 MiB table filled, then fork(): the child unmaps its last
 *            32 MiB, drains the rest and keeps it HOLD_MS (its report: one
 *            finding of 32 MiB); the parent keeps its table full and waits
 *   several  three 16 MiB tables mapped by one call (map_table) and a fourth
 *            by another, all kept at once, filled and drained: four
 *            findings (below the arena rule's four of one size at one call)
 *   grow     a table that grows by doubling, 8 to 64 MiB, each a new
 *            mapping from one call, the old one unmapped: one finding
 *   native   the same through the allocator's own entry point (jemalloc's
 *            mallocx, tcmalloc's tc_malloc, mimalloc's mi_malloc: what
 *            Rust's allocator crates call), which no wrapper sees: the
 *            allocator maps its chunks outside any malloc call, and they
 *            are still not the program's tables: no finding
 * stdout: one line per step, the same with and without the preload;
 * "MAPPED <size>" lines give the sizes the mappings end with.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MiB ((size_t)1 << 20)

static long hold_ms = 1500;

static void sleep_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
}

static void *must(void *p, const char *what)
{
    if (p == MAP_FAILED) {
        perror(what);
        exit(1);
    }
    return p;
}

/* Slots hold pointers to the table's own slots (any mapped address would
 * do), a hashed 60% of them. */
__attribute__((noinline)) static void fill_table(void **t, size_t bytes)
{
    size_t n = bytes / sizeof *t;
    for (size_t i = 0; i < n; i++)
        t[i] = (i * 2654435761u) % 10 < 6 ? (void *)&t[(i * 7) % n] : NULL;
}

__attribute__((noinline)) static size_t drain_table(void **t, size_t bytes)
{
    size_t n = bytes / sizeof *t, left = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] && i % 100)
            t[i] = NULL;
        left += t[i] != NULL;
    }
    return left;
}

__attribute__((noinline)) static void **map_table(size_t bytes)
{
    return must(mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                "mmap");
}

static void table(int flags, int fd)
{
    size_t bytes = 64 * MiB;
    void **t = must(mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, fd, 0), "mmap");
    fill_table(t, bytes);
    printf("filled\n");
    fflush(stdout);
    sleep_ms(hold_ms / 2);
    printf("left %zu\n", drain_table(t, bytes));
    fflush(stdout);
    sleep_ms(hold_ms);
    printf("MAPPED %zu\n", bytes);
}

static void buffer(void)
{
    size_t bytes = 64 * MiB;
    unsigned char *b = must(mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "mmap");
    uint32_t x = 12345;
    for (size_t i = 0; i < bytes; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (unsigned char)(x >> 24);
    }
    printf("filled\n");
    fflush(stdout);
    sleep_ms(hold_ms + hold_ms / 2);
    unsigned sum = 0;
    for (size_t i = 0; i < bytes; i += 4096)
        sum += b[i];
    printf("sum %u\nMAPPED %zu\n", sum, bytes);
}

static void file_table(void)
{
    char path[] = "/tmp/mmaptable.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, (off_t)(64 * MiB)) != 0) {
        perror("file");
        exit(1);
    }
    unlink(path);
    table(MAP_PRIVATE, fd);
    close(fd);
}

/* Every change a mapping can go through; the table left is 32 MiB. */
static void reshape(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *m = (char *)map_table(64 * MiB);
    fill_table((void **)m, 64 * MiB);
    sleep_ms(50);
    /* cut 8 MiB off the head and 8 MiB off the tail: 48 MiB */
    munmap(m, 8 * MiB);
    munmap(m + 56 * MiB, 8 * MiB);
    m += 8 * MiB;
    /* split: a hole of 4 MiB at 40 MiB: 40 MiB, then 4 MiB */
    munmap(m + 40 * MiB, 4 * MiB);
    munmap(m + 44 * MiB, 4 * MiB);              /* the 4 MiB piece goes */
    printf("cut\n");
    sleep_ms(50);
    /* grow to 96 MiB (and probably move) */
    char *g = must(mremap(m, 40 * MiB, 96 * MiB, MREMAP_MAYMOVE), "mremap grow");
    fill_table((void **)g, 96 * MiB);
    printf("grown\n");
    sleep_ms(50);
    /* shrink in place to 40 MiB */
    char *s = must(mremap(g, 96 * MiB, 40 * MiB, 0), "mremap shrink");
    if (s != g) {
        printf("moved on shrink\n");
        exit(1);
    }
    /* MAP_FIXED over its last 8 MiB, a file-less fresh mapping: 32 MiB left
     * of the table, and a new 8 MiB mapping after it */
    must(mmap(s + 32 * MiB, 8 * MiB, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), "mmap fixed");
    munmap(s + 32 * MiB, 8 * MiB);
    /* an unaligned munmap fails and changes nothing */
    if (munmap(s + page / 2, page) == 0) {
        printf("unaligned munmap worked\n");
        exit(1);
    }
    fill_table((void **)s, 32 * MiB);
    printf("reshaped\n");
    fflush(stdout);
    sleep_ms(hold_ms / 2);
    printf("left %zu\n", drain_table((void **)s, 32 * MiB));
    fflush(stdout);
    sleep_ms(hold_ms);
    printf("MAPPED %zu\n", 32 * MiB);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *churner(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    double end = now_ms() + hold_ms;
    unsigned long rounds = 0;
    while (now_ms() < end) {
        size_t n = (1 + rand_r(&seed) % 8) * MiB;
        char *m = (char *)map_table(n);
        fill_table((void **)m, n);
        switch (rand_r(&seed) % 4) {
        case 0:                                 /* cut the head */
            munmap(m, MiB);
            m += MiB;
            n -= MiB;
            break;
        case 1:                                 /* split */
            if (n >= 3 * MiB) {
                munmap(m + MiB, MiB);
                munmap(m, MiB);
                m += 2 * MiB;
                n -= 2 * MiB;
            }
            break;
        case 2: {                               /* grow, maybe moving */
            char *g = mremap(m, n, n + 2 * MiB, MREMAP_MAYMOVE);
            if (g != MAP_FAILED) {
                m = g;
                n += 2 * MiB;
                fill_table((void **)m, n);
            }
            break;
        }
        default:
            break;
        }
        if (n)
            munmap(m, n);
        rounds++;
    }
    (void)rounds;
    return NULL;
}

static void churn(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, churner, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("churned\n");
}

static void forked(void)
{
    void **t = map_table(64 * MiB);
    fill_table(t, 64 * MiB);
    sleep_ms(hold_ms / 2);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        munmap((char *)t + 32 * MiB, 32 * MiB);
        fill_table(t, 32 * MiB);
        sleep_ms(hold_ms / 2);
        size_t left = drain_table(t, 32 * MiB);
        sleep_ms(hold_ms);
        printf("child left %zu\n", left);
        exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("parent child status %d\n", status);
}

__attribute__((noinline)) static void **map_table_other(size_t bytes)
{
    return must(mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                "mmap");
}

static void several(void)
{
    void **t[4];
    for (int i = 0; i < 3; i++)
        t[i] = map_table(16 * MiB);
    t[3] = map_table_other(16 * MiB);
    for (int i = 0; i < 4; i++)
        fill_table(t[i], 16 * MiB);
    printf("filled\n");
    fflush(stdout);
    sleep_ms(hold_ms / 2);
    size_t left = 0;
    for (int i = 0; i < 4; i++)
        left += drain_table(t[i], 16 * MiB);
    printf("left %zu\n", left);
    fflush(stdout);
    sleep_ms(hold_ms);
}

static void grow(void)
{
    void **t = NULL;
    size_t bytes = 0;
    for (size_t n = 8 * MiB; n <= 64 * MiB; n *= 2) {
        void **bigger = map_table(n);
        if (t) {
            memcpy(bigger, t, bytes);
            munmap(t, bytes);
        }
        t = bigger;
        fill_table(t, n);
        bytes = n;
        sleep_ms(50);
    }
    printf("grown\n");
    fflush(stdout);
    sleep_ms(hold_ms / 2);
    printf("left %zu\n", drain_table(t, bytes));
    fflush(stdout);
    sleep_ms(hold_ms);
}

static void *(*alloc_fn)(size_t) = malloc;
static void *(*mallocx_fn)(size_t, int);

static void *alloc_mallocx(size_t n) { return mallocx_fn(n, 0); }

static void heap(void)
{
    double end = now_ms() + hold_ms;
    unsigned seed = 7;
    void *keep[4] = { 0 };
    while (now_ms() < end) {
        size_t n = (1 + rand_r(&seed) % 8) * MiB;
        void **p = alloc_fn(n);
        if (!p)
            continue;
        fill_table(p, n);
        int k = rand_r(&seed) % 4;
        free(keep[k]);
        keep[k] = p;
    }
    for (int k = 0; k < 4; k++)
        free(keep[k]);
    size_t bytes = 64 * MiB;
    void **t = alloc_fn(bytes);
    if (!t)
        exit(1);
    fill_table(t, bytes);
    printf("filled\n");
    fflush(stdout);
    sleep_ms(hold_ms / 2);
    printf("left %zu\n", drain_table(t, bytes));
    fflush(stdout);
    sleep_ms(hold_ms);
    free(t);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mmaptable table|buffer|file|shared|reshape|churn [HOLD_MS]\n");
        return 2;
    }
    if (argc > 2)
        hold_ms = atol(argv[2]);
    const char *mode = argv[1];
    if (!strcmp(mode, "table"))
        table(MAP_PRIVATE | MAP_ANONYMOUS, -1);
    else if (!strcmp(mode, "buffer"))
        buffer();
    else if (!strcmp(mode, "file"))
        file_table();
    else if (!strcmp(mode, "shared"))
        table(MAP_SHARED | MAP_ANONYMOUS, -1);
    else if (!strcmp(mode, "reshape"))
        reshape();
    else if (!strcmp(mode, "churn"))
        churn();
    else if (!strcmp(mode, "heap"))
        heap();
    else if (!strcmp(mode, "fork"))
        forked();
    else if (!strcmp(mode, "several"))
        several();
    else if (!strcmp(mode, "grow"))
        grow();
    else if (!strcmp(mode, "native")) {
        /* the allocator's own entry point, by its (documented) name */
        if ((mallocx_fn = (void *(*)(size_t, int))dlsym(RTLD_DEFAULT, "mallocx")))
            alloc_fn = alloc_mallocx;
        else if (!(alloc_fn = (void *(*)(size_t))dlsym(RTLD_DEFAULT, "tc_malloc")) &&
                 !(alloc_fn = (void *(*)(size_t))dlsym(RTLD_DEFAULT, "mi_malloc"))) {
            fprintf(stderr, "native: no mallocx, tc_malloc or mi_malloc in the process\n");
            return 2;
        }
        heap();
    }
    else
        return 2;
    return 0;
}
