/* stale_after_gc: a pointer array whose pointees were freed after the
 * program freed a million other small blocks (a runtime's GC freeing
 * strings), the shape that filled the liveness probe's freed set before.
 *
 *   stale_after_gc [keep]   keep: the pointees are not freed (negative)
 *
 * An array of 500,000 pointers (4 MiB) to 48-byte nodes is filled, and for
 * 1.5 s a few nodes at a time are replaced by new ones (a live index: the
 * sampler registers the new addresses it reads, tens of thousands); then 3
 * million other 32-byte blocks are allocated and all freed; then all nodes but the first
 * 1,000 are freed, their pointers left in the array (as a vector's erase
 * leaves them), held 2 s.  Prints the truth on one line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NODES 500000
#define OTHERS 3000000
#define KEEP 1000

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

__attribute__((noinline)) void **make_index(size_t n)
{
    void **a = malloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++) {
        a[i] = malloc(48);
        memset(a[i], (int)(i & 0x7F) | 1, 48);
    }
    return a;
}

int main(int argc, char **argv)
{
    int keep_all = argc > 1 && !strcmp(argv[1], "keep");
    void **index = make_index(NODES);
    uint64_t x = 88172645463325252ull;
    for (int round = 0; round < 150; round++) {
        for (int k = 0; k < 5000; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t i = KEEP + x % (NODES - KEEP);
            free(index[i]);
            index[i] = malloc(48);
            memset(index[i], 1, 48);
        }
        sleep_ms(10);
    }
    void **others = malloc(OTHERS * sizeof *others);
    for (size_t i = 0; i < OTHERS; i++)
        others[i] = malloc(32);
    for (size_t i = 0; i < OTHERS; i++)
        free(others[i]);
    free(others);
    if (!keep_all)
        for (size_t i = KEEP; i < NODES; i++)
            free(index[i]);
    sleep_ms(2000);
    printf("TRUTH capacity=%zu peak=1.0 occupancy=%.4f\n", NODES * sizeof(void *),
           keep_all ? 1.0 : (double)KEEP / NODES);
    if (keep_all)
        for (size_t i = KEEP; i < NODES; i++)
            free(index[i]);
    for (size_t i = 0; i < KEEP; i++)
        free(index[i]);
    free(index);
    return 0;
}
