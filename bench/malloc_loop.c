/*
 * malloc_loop: the per-call cost of the wrappers, in isolation.  64 live
 * slots; each iteration frees one slot and mallocs 16..271 bytes into it.
 * Prints nanoseconds per malloc+free.  For repeatable numbers, count
 * instructions instead of time, e.g.:
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null out/bin/malloc_loop 400000
 *   LD_PRELOAD=../libretain.so valgrind --tool=callgrind ... out/bin/malloc_loop 400000
 * and take the difference between two iteration counts (the fixed start-up
 * and report costs cancel out).
 *
 * usage: malloc_loop [ITERATIONS]   (default 10,000,000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000;
    void *keep[64] = { 0 };
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
        int k = i & 63;
        free(keep[k]);
        keep[k] = malloc(16 + (i * 7 & 255));
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
    printf("%.1f ns per malloc+free\n", ns);
    for (int k = 0; k < 64; k++)
        free(keep[k]);
    return 0;
}
