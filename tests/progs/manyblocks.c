/*
 * manyblocks: hundreds of large blocks that are not tables, and one that is,
 * filled and drained inside 2 s.  test_server_heaps.py: the table is found,
 * none of the others is.
 *
 *     manyblocks [BUFFERS] [RECORD_ARRAYS]      (default 150 100)
 *
 * 1. BUFFERS byte buffers of 1..1.5 MiB (text-like bytes, no pointers) and
 *    RECORD_ARRAYS arrays of 1..1.5 MiB of full records (ids, counts,
 *    prices, names: every record in use, none of them pointers); all stay
 *    allocated, unchanged, until exit.
 * 2. 300 ms later: a 2 MiB table of 262144 pointer slots, 70% of them
 *    pointing at 32-byte nodes, held full for 600 ms, then drained (nodes
 *    freed, slots cleared) 900 ms after it was made; the table itself stays
 *    allocated for 1.5 s more, then everything is freed and main returns.
 * stdout: "table 0xADDR", then "others N" (the count of non-table blocks).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct record {
    uint32_t id, qty;
    double price;
    char name[16];
};

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int main(int argc, char **argv)
{
    int nbuf = argc > 1 ? atoi(argv[1]) : 150;
    int nrec = argc > 2 ? atoi(argv[2]) : 100;
    unsigned seed = 42;
    void **others = malloc(sizeof *others * (size_t)(nbuf + nrec));
    int n = 0;
    for (int i = 0; i < nbuf; i++) {
        size_t sz = ((size_t)1 << 20) + (size_t)(rand_r(&seed) % 128) * 4096 + 24;
        unsigned char *b = malloc(sz);
        for (size_t k = 0; k < sz; k++)
            b[k] = (unsigned char)(' ' + (k * 31 + (size_t)i) % 95);
        others[n++] = b;
    }
    for (int i = 0; i < nrec; i++) {
        size_t count = (((size_t)1 << 20) + (size_t)(rand_r(&seed) % 128) * 4096) / sizeof(struct record) + 1;
        struct record *r = malloc(count * sizeof *r);
        for (size_t k = 0; k < count; k++) {
            r[k].id = (uint32_t)(k + 1);
            r[k].qty = (uint32_t)(1 + (k * 7) % 1000);
            r[k].price = 0.5 + (double)(k % 977);
            snprintf(r[k].name, sizeof r[k].name, "item-%zu", k);
        }
        others[n++] = r;
    }
    sleep_ms(300);

    const size_t slots = 262144;
    void **table = calloc(slots, sizeof *table);
    printf("table %p\nothers %d\n", (void *)table, n);
    fflush(stdout);
    for (size_t k = 0; k < slots; k++)
        if (rand_r(&seed) % 10 < 7)
            table[k] = malloc(32);
    sleep_ms(600);
    for (size_t k = 0; k < slots; k++) {
        free(table[k]);
        table[k] = NULL;
    }
    sleep_ms(1500);
    free(table);
    for (int i = 0; i < n; i++)
        free(others[i]);
    free(others);
    return 0;
}
