/* incremental_rehash: a chained table that grows the way memcached's and
 * Redis's do: a new array twice the size is made, the entries move into it
 * a few buckets at a time while the program runs, then the old array is
 * freed.  The old array drains to zero while it lives, for seconds; no
 * entry was lost, and nothing is retained.
 *
 *   incremental_rehash [drain]   drain: afterwards the new table is
 *                                drained too (99% removed) and kept: that
 *                                one is a finding (the positive control)
 *
 * 262,144 buckets (2 MiB) of node pointers at 0.9 entries per bucket, held
 * 1 s; then 524,288 buckets (4 MiB), the old buckets moved 100 at a time
 * with a millisecond's pause (about 3 s); the old array freed; held 1.5 s
 * (drain: remove 99%, hold 2 s). */
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

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33, x *= 0xff51afd7ed558ccdull, x ^= x >> 33;
    return x;
}

__attribute__((noinline)) struct node **table_alloc(size_t nb)
{
    return calloc(nb, sizeof(struct node *));
}

int main(int argc, char **argv)
{
    int drain = argc > 1 && !strcmp(argv[1], "drain");
    size_t nb = 1u << 18, n = nb * 9 / 10, nb2 = nb * 2;
    struct node **old = NULL, **cur = NULL;
    /* Both arrays from one call site, as a table's growth path makes them. */
    for (int gen = 0; gen < 2; gen++) {
        old = cur;
        cur = table_alloc(nb << gen);
        if (gen == 0) {
            for (size_t i = 0; i < n; i++) {
                struct node *e = malloc(sizeof *e);
                e->key = i;
                e->value = i * 3;
                size_t b = mix(i) & (nb - 1);
                e->next = cur[b];
                cur[b] = e;
            }
            sleep_us(1000000);
        }
    }
    for (size_t b = 0; b < nb; b++) {
        while (old[b]) {
            struct node *e = old[b];
            old[b] = e->next;
            size_t b2 = mix(e->key) & (nb2 - 1);
            e->next = cur[b2];
            cur[b2] = e;
        }
        if (b % 100 == 99)
            sleep_us(1000);
    }
    free(old);
    sleep_us(1500000);
    size_t left = n;
    if (drain) {
        for (size_t b = 0; b < nb2; b++) {
            struct node **pp = &cur[b];
            while (*pp) {
                struct node *e = *pp;
                if (e->key % 100) {
                    *pp = e->next;
                    free(e);
                    left--;
                } else {
                    pp = &e->next;
                }
            }
        }
        sleep_us(2000000);
    }
    size_t used = 0;
    for (size_t b = 0; b < nb2; b++)
        used += cur[b] != NULL;
    printf("entries %zu, buckets used %zu of %zu\n", left, used, nb2);
    for (size_t b = 0; b < nb2; b++)
        while (cur[b]) {
            struct node *e = cur[b];
            cur[b] = e->next;
            free(e);
        }
    free(cur);
    return 0;
}
