/*
 * A 16 MiB table allocated first thing in main (tests/test_runtimes.py,
 * issue 11's clock underflow): 2^20 slots of {key, value pointer} (16
 * bytes; the values are records in a separate array), filled, held 1.2 s,
 * drained to 1% (a deleted slot is zeroed), held 3 s, exit (the table is
 * still allocated).  Its birth is in the first milliseconds of the process,
 * when a coarse clock can be behind the profiler's start.  Prints
 * `TRUTH bytes=<table size> peak=<full slots> now=<at the end> live=1`,
 * after a line `PEAK` at the peak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SLOTS (1u << 20)

struct slot { uint64_t key; uint64_t *value; };

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

int main(void)
{
    struct slot *t = calloc(SLOTS, sizeof *t);         /* first thing */
    uint64_t *values = malloc(SLOTS * sizeof *values);
    if (!t || !values)
        return 1;
    size_t used = 0;
    for (uint64_t i = 0; i < SLOTS; i++) {
        values[i] = i;
        t[i].key = (i * 0x9E3779B97F4A7C15ull) | 1;
        t[i].value = &values[i];
        used++;
    }
    printf("PEAK\n");
    fflush(stdout);
    sleep_ms(1200);
    for (uint64_t i = 0; i < SLOTS; i++)
        if (i % 100) {
            t[i].key = 0;
            t[i].value = NULL;
            used--;
        }
    printf("TRUTH bytes=%zu peak=1.0000 now=%.4f live=1\n", (size_t)SLOTS * sizeof *t,
           (double)used / SLOTS);
    fflush(stdout);
    sleep_ms(3000);
    uint64_t sum = 0;
    for (uint64_t i = 0; i < SLOTS; i++)
        sum += t[i].value ? *t[i].value : 0;
    printf("result %llu\n", (unsigned long long)sum);
    return 0;
}
