/* teardown: a chained table torn down the way an interpreter does it at
 * exit (perl_destruct, a GC's final sweep): its entries freed one by one,
 * slowly on a busy machine, then its bucket array freed at once.
 *
 *   teardown          the drain takes about 3 s and the array is freed
 *                     as soon as the last entry is gone: nothing retained
 *   teardown settle   the same, but the drained array is kept 1.5 s before
 *                     it is freed: retained for that long (a finding,
 *                     "live": false): the positive control
 *
 * 524,288 buckets (4 MiB) at 0.9 entries per bucket, held 1.2 s; then the
 * program lives 1 s more after the array is freed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct node {
    struct node *next;
    uint64_t key, value;
};

static void sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };
    nanosleep(&ts, NULL);
}

__attribute__((noinline)) struct node **table_new(size_t nb)
{
    return calloc(nb, sizeof(struct node *));
}

int main(int argc, char **argv)
{
    int settle = argc > 1 && !strcmp(argv[1], "settle");
    size_t nb = 1u << 19, n = nb * 9 / 10;
    struct node **t = table_new(nb);
    for (size_t i = 0; i < n; i++) {
        struct node *e = malloc(sizeof *e);
        e->key = i * 0x9E3779B97F4A7C15ull;
        e->value = i;
        size_t b = (e->key >> 40) & (nb - 1);
        e->next = t[b];
        t[b] = e;
    }
    sleep_us(1200000);
    /* Bucket by bucket, a pause every 1,000 buckets: about 3 s. */
    for (size_t b = 0; b < nb; b++) {
        while (t[b]) {
            struct node *e = t[b];
            t[b] = e->next;
            free(e);
        }
        if (b % 1000 == 999)
            sleep_us(5600);
    }
    if (settle)
        sleep_us(1500000);
    free(t);
    sleep_us(1000000);
    printf("done\n");
    return 0;
}
