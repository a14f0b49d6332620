/*
 * deepbind: a library loaded with dlopen(RTLD_NOW | RTLD_DEEPBIND) frees
 * large blocks that the program allocated (2 MiB, so a profiler watches
 * them), ROUNDS times; their addresses are reused by the next allocations.
 * The library also allocates and frees large blocks of its own.  The program
 * really holds only HOLD blocks of 2 MiB at the end, which it prints:
 *   "holds N blocks B bytes", then the fds open at exit (fdlist.h).
 * A profiler whose wrappers the library bypasses must not count the freed
 * blocks as live for ever, nor keep watching them.
 *
 * usage: deepbind LIBRARY [ROUNDS]   (default 1500)
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdlist.h"

#define BLOCK (2u << 20)
#define HOLD 4

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: deepbind LIBRARY [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 1500;
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_DEEPBIND);
    if (!lib) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    void (*deep_free)(void *) = (void (*)(void *))dlsym(lib, "deep_free");
    unsigned long (*deep_churn)(int, size_t) = (unsigned long (*)(int, size_t))dlsym(lib, "deep_churn");
    if (!deep_free || !deep_churn) {
        printf("dlsym: %s\n", dlerror());
        return 1;
    }
    void *held[HOLD];
    for (int i = 0; i < HOLD; i++) {
        held[i] = malloc(BLOCK);
        memset(held[i], 1, BLOCK);
    }
    unsigned long sum = 0;
    for (int r = 0; r < rounds; r++) {
        unsigned char *p = malloc(BLOCK);
        memset(p, r, 8192);
        sum += p[r % 8192];
        deep_free(p);
        if (r % 100 == 0) {
            sum += deep_churn(10, BLOCK);
            usleep(2000);       /* let a sampler pass see the blocks */
        }
    }
    printf("checksum %lu\n", sum);
    printf("holds %d blocks %lu bytes\n", HOLD, (unsigned long)HOLD * BLOCK);
    fflush(stdout);
    fdlist_print(1, "open at exit:");
    /* still held at exit: what a report may count as live */
    return 0;
}
