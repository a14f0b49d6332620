/*
 * n2_full_table (NEGATIVE): a uthash table that stays full until exit.
 *
 * A cache of 360,000 entries (262,144 buckets = 4 MiB, as in p2) that is
 * kept at its size: every 10 ms the 500 oldest entries are deleted and 500
 * new ones added (the bucket pointers and counts change, the occupancy does
 * not).  It runs 2.7 s (the time p2 spends at its peak and drained) and
 * exits with the table still allocated.  Large, long-lived and busy, but
 * never drained: nothing to flag.
 */
#include "corpus.h"
#include <uthash.h>

struct entry {
    int64_t key;
    int64_t hits;
    UT_hash_handle hh;
};

static struct entry *cache = NULL;

static int64_t key_of(int64_t i) { return (int64_t)(corpus_mix((uint64_t)i) >> 1); }

NOINLINE void cache_add(int64_t i)
{
    struct entry *e = corpus_xmalloc(sizeof *e);
    e->key = key_of(i);
    e->hits = 1;
    HASH_ADD(hh, cache, key, sizeof(int64_t), e);
}

NOINLINE void cache_evict(int64_t i)
{
    int64_t k = key_of(i);
    struct entry *e;
    HASH_FIND(hh, cache, &k, sizeof(int64_t), e);
    if (e) {
        HASH_DEL(cache, e);
        free(e);
    }
}

static double nonempty_fraction(void)
{
    UT_hash_table *t = cache->hh.tbl;
    size_t k = 0;
    for (unsigned i = 0; i < t->num_buckets; i++)
        k += t->buckets[i].hh_head != NULL;
    return (double)k / (double)t->num_buckets;
}

#define N_ENTRIES 360000
#define CHURN 500

int main(void)
{
    corpus_start();
    int64_t oldest = 0, next = 0;
    while (next < N_ENTRIES)
        cache_add(next++);
    corpus_phase("full", "buckets=%u bytes=%zu items=%u occupancy=%.4f",
                 cache->hh.tbl->num_buckets, cache->hh.tbl->num_buckets * sizeof(UT_hash_bucket),
                 HASH_COUNT(cache), nonempty_fraction());
    double end = corpus_now() + HOLD_PEAK_S + HOLD_DRAINED_S;
    for (int tick = 0; corpus_now() < end; tick++) {
        for (int i = 0; i < CHURN; i++) {
            cache_evict(oldest++);
            cache_add(next++);
        }
        if (tick % 100 == 99)
            corpus_phase("churn", "buckets=%u items=%u occupancy=%.4f",
                         cache->hh.tbl->num_buckets, HASH_COUNT(cache), nonempty_fraction());
        corpus_sleep(0.010);
    }
    corpus_phase("exit", "buckets=%u items=%u occupancy=%.4f", cache->hh.tbl->num_buckets,
                 HASH_COUNT(cache), nonempty_fraction());
    return 0;
}
