/* sparseblock: which pages of a large, mostly unwritten block are mapped,
 * for tests/test_faults.py's sparse_block_pages_unmapped.  A 32 MiB block
 * (glibc maps it: no page mapped until written) gets a table of pointers in
 * its first 2 MiB; the program then waits while the sampler measures it
 * several times and prints how many of the other 7,680 pages mincore finds
 * mapped (plain: 0).  Reading a never-written page maps the kernel's zero
 * page there, and each such entry is copied by every fork() of the program. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (32ul << 20)
#define WRITTEN (2ul << 20)

int main(void)
{
    uintptr_t *b = malloc(BLOCK);
    if (!b)
        return 1;
    uintptr_t base = (uintptr_t)b & ~4095ul;
    size_t words = WRITTEN / sizeof *b;
    for (size_t i = 0; i < words; i += 2)
        b[i] = (uintptr_t)&b[i + 1];        /* pointer-like words: it looks like a table */
    struct timespec pause = { 1, 500000000 };
    nanosleep(&pause, NULL);                /* 15 intervals: a first look and several more */
    uintptr_t from = ((uintptr_t)b + WRITTEN + 4095) & ~4095ul;
    uintptr_t to = ((uintptr_t)b + BLOCK) & ~4095ul;
    size_t pages = (to - from) / 4096, mapped = 0;
    unsigned char *vec = calloc(pages, 1);
    if (!vec || mincore((void *)from, to - from, vec) != 0)
        return 2;
    for (size_t i = 0; i < pages; i++)
        mapped += vec[i] & 1;
    printf("unwritten pages %zu, mapped %zu (block at %#lx)\n", pages, mapped, (unsigned long)base);
    free(vec);
    free(b);
    return 0;
}
