/*
 * n3_short_lived (NEGATIVE): many large tables that each live milliseconds.
 *
 * A batch job builds a scratch index per request: a pointer array of 2 to
 * 8 MiB, filled to 80% with pointers to records, then emptied (99% of the
 * slots cleared to NULL, as a table drained by its users) and freed, all
 * within ~15 ms.  It does that ~150 times over 2.7 s.  Each block fills and
 * drains, but none is ever old: nothing to flag (RETAIN_MIN_AGE).
 */
#include "corpus.h"

struct record {
    uint64_t id;
    uint64_t payload[3];
};

static struct record records[65536];      /* pointed-to data (in .bss) */

NOINLINE void **build_index(size_t nslots)
{
    void **slots = corpus_xcalloc(nslots, sizeof(void *));
    for (size_t i = 0; i < nslots; i++)
        if (corpus_mix(i) % 5 != 0)                /* 80% of slots */
            slots[i] = &records[corpus_mix(i + 1) & 65535];
    return slots;
}

NOINLINE void drain_index(void **slots, size_t nslots)
{
    for (size_t i = 0; i < nslots; i++)
        if (i % 100 != 0)
            slots[i] = NULL;
}

int main(void)
{
    corpus_start();
    static const size_t mib[] = {2, 3, 4, 6, 8};
    for (size_t i = 0; i < 65536; i++)
        records[i].id = i + 1;
    double end = corpus_now() + 2.7;
    unsigned n = 0;
    size_t total = 0;
    while (corpus_now() < end) {
        size_t nslots = mib[n % 5] * 1048576 / sizeof(void *);
        void **idx = build_index(nslots);
        corpus_sleep(0.005);
        drain_index(idx, nslots);
        corpus_sleep(0.005);
        free(idx);
        total += nslots * sizeof(void *);
        n++;
    }
    corpus_phase("exit", "blocks=%u total_mib=%zu", n, total >> 20);
    return 0;
}
