/*
 * residentprog: two drained tables, one whose pages stay resident and one
 * whose pages the program gave back with madvise(MADV_DONTNEED).
 * test_server_heaps.py checks each finding's resident_bytes.
 *
 * Two 8 MiB tables of 1048576 pointer slots, 60% of the slots pointing at
 * 32-byte nodes, held full for 1.5 s; then both drained (nodes freed, slots
 * cleared).  Right after, the second table's whole pages go back to the
 * kernel with madvise(MADV_DONTNEED) (its contents read as zeros, i.e. the
 * same empty table).  Both tables stay allocated for 2 more seconds, until
 * exit.  stdout: "kept 0xADDR" and "dropped 0xADDR", then "madvise 0"
 * (madvise's return value).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void **make_table(size_t slots, unsigned *seed)
{
    void **t = calloc(slots, sizeof *t);
    for (size_t k = 0; k < slots; k++)
        if (rand_r(seed) % 10 < 6)
            t[k] = malloc(32);
    return t;
}

static void drain(void **t, size_t slots)
{
    for (size_t k = 0; k < slots; k++) {
        free(t[k]);
        t[k] = NULL;
    }
}

int main(void)
{
    const size_t slots = 1048576;
    unsigned seed = 9;
    void **kept = make_table(slots, &seed);
    void **dropped = make_table(slots, &seed);
    printf("kept %p\ndropped %p\n", (void *)kept, (void *)dropped);
    sleep_ms(1500);
    drain(kept, slots);
    drain(dropped, slots);
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)dropped + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
    uintptr_t hi = ((uintptr_t)dropped + slots * sizeof *dropped) & ~(uintptr_t)(page - 1);
    printf("madvise %d\n", madvise((void *)lo, hi - lo, MADV_DONTNEED));
    fflush(stdout);
    sleep_ms(2000);
    free(kept);
    free(dropped);
    return 0;
}
