/*
 * n11_annotated_busy (NEGATIVE): a table whose contents look drained but
 * whose owner says, through include/retain.h, that every slot is in use.
 *
 * A quota service keeps one int64 usage counter per registered account,
 * indexed by account number: 1,048,576 accounts, an 8 MiB array, all slots
 * in use for the whole run (annotated used = capacity).  Counters fill up
 * (every word non-zero), and 1.2 s later the billing period rolls over:
 * every counter is reset to zero, and only ~1% of accounts use anything in
 * the next 1.5 s.  Read as memory, the array went from full to 1% non-zero
 * words and stayed there; but zero is a valid counter and no account left.
 * The annotation overrides the content (retain.h: "libretain trusts the
 * annotation over its own reading"): nothing to flag.
 */
#include "corpus.h"
#include <retain.h>

#define ACCOUNTS (1u << 20)

NOINLINE int64_t *quota_table_create(void)
{
    int64_t *t = corpus_xcalloc(ACCOUNTS, sizeof *t);
    retain_annotate_occupancy(t, ACCOUNTS, ACCOUNTS);   /* every account is registered */
    return t;
}

NOINLINE void charge(int64_t *t, uint32_t account, int64_t bytes)
{
    t[account] += bytes;
}

int main(void)
{
    corpus_start();
    int64_t *usage = quota_table_create();
    for (uint32_t a = 0; a < ACCOUNTS; a++)
        charge(usage, a, (int64_t)(corpus_mix(a) % 100000) + 1);
    retain_annotate_occupancy(usage, ACCOUNTS, ACCOUNTS);
    corpus_phase("period1", "accounts=%u bytes=%zu", ACCOUNTS, ACCOUNTS * sizeof(int64_t));
    corpus_sleep(HOLD_PEAK_S);

    memset(usage, 0, ACCOUNTS * sizeof *usage);          /* new billing period */
    retain_annotate_occupancy(usage, ACCOUNTS, ACCOUNTS);
    size_t nz = 0;
    for (uint32_t a = 0; a < ACCOUNTS; a += 97)
        charge(usage, a, 4096);
    for (uint32_t a = 0; a < ACCOUNTS; a++)
        nz += usage[a] != 0;
    corpus_phase("period2", "nonzero_counters=%zu of %u", nz, ACCOUNTS);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "table still allocated");
    return 0;
}
