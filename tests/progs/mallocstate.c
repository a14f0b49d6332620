/* mallocstate: what glibc's allocator state looks like to the program, for
 * tests/test_faults.py's malloc_state_unchanged: whether blocks of 160 KiB
 * to 16 MiB are mapped (the dynamic mmap threshold, which freeing a mapped
 * chunk raises) and whether the heap's top is trimmed after a 2 MiB free
 * (the trim threshold, raised with it).  The program itself never frees a
 * mapped chunk before the checks, so plain runs see glibc's defaults.
 * With the argument "report" it first asks for a report (retain_report_now). */
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kept where the compiler cannot see them unused (it may drop a malloc
 * whose result nothing reads) */
void *volatile kept[64];

int main(int argc, char **argv)
{
    /* "report": a report first (retain_report_now_impl, when preloaded): its own
     * allocations must leave the thresholds as they were too */
    if (argc > 1 && !strcmp(argv[1], "report")) {
        int (*report_now)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "retain_report_now_impl");
        for (int i = 0; i < 200; i++)
            kept[48 + i % 16] = malloc(100 + i);    /* sites with stacks to symbolize */
        if (report_now)
            report_now();
    }
    static const size_t sizes[] = { 160 << 10, 300 << 10, 1 << 20, 16 << 20 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t before = mallinfo2().hblks;
        kept[i] = malloc(sizes[i]);
        size_t after = mallinfo2().hblks;
        printf("%zu KiB mapped %s\n", sizes[i] >> 10, after > before ? "yes" : "no");
        /* not freed: freeing a mapped chunk is what moves the thresholds */
    }
    /* 64 KiB blocks from the heap, the last one freed: is the top trimmed? */
    for (int i = 8; i < 48; i++)
        kept[i] = malloc(64 << 10);
    size_t heap = mallinfo2().arena;
    for (int i = 47; i >= 16; i--)
        free(kept[i]);
    printf("heap trimmed after 2 MiB freed at its top: %s\n",
           mallinfo2().arena < heap ? "yes" : "no");
    return 0;
}
