/*
 * n13_reserved_sparse (NEGATIVE): a table reserved for a peak that never
 * comes.
 *
 * A std::unordered_map<int64_t, int64_t> is reserve()d for 600,000 entries
 * up front (one 608,903-bucket array = 4.9 MB), but only 3,000 entries ever
 * arrive, a few at a time, over 2.7 s.  The array is large, old and sparse,
 * yet it never was full: over-reservation is waste of another kind, not a
 * retained bucket array (DESIGN 1 needs a high peak and a fall from it):
 * nothing to flag.
 */
#include "corpus.h"
#include <unordered_map>

typedef std::unordered_map<int64_t, int64_t> Map;

NOINLINE void prepare(Map &m)
{
    m.reserve(600000);
}

NOINLINE void record(Map &m, int64_t i)
{
    m[(int64_t)(corpus_mix((uint64_t)i) >> 1)] = i;
}

int main()
{
    corpus_start();
    Map m;
    prepare(m);
    corpus_phase("reserved", "buckets=%zu bytes=%zu", m.bucket_count(),
                 m.bucket_count() * sizeof(void *));
    double end = corpus_now() + HOLD_PEAK_S + HOLD_DRAINED_S;
    int64_t n = 0;
    while (corpus_now() < end) {
        for (int k = 0; k < 12 && n < 3000; k++)
            record(m, n++);
        corpus_sleep(0.010);
    }
    corpus_phase("exit", "buckets=%zu size=%zu occupancy=%.4f", m.bucket_count(), m.size(),
                 (double)m.size() / (double)m.bucket_count());
    return 0;
}
