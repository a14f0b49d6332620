/*
 * p13_quick_drain (POSITIVE): a table that fills and drains within half a
 * second, then stays drained (DESIGN 2: "a program that fills and drains a
 * table within a second or so must still be caught").
 *
 * A std::unordered_map<std::string, int64_t> word-count index built for one
 * request burst: build_index() inserts 260,000 keys (bucket array grows to
 * 351,061 buckets = 2.8 MB), it is used for only 0.3 s, then prune_index()
 * erases all but every 128th key, and the process lives on 1.5 s with the
 * drained array.  The array is old enough at the report (about 1.9 s), but
 * its peak lasted only 0.3 s: the profiler must have looked at it then.
 *
 * Truth: occupancy = fraction of buckets with bucket_size(b) > 0.
 */
#include "corpus.h"
#include <string>
#include <unordered_map>

typedef std::unordered_map<std::string, int64_t> Index;

static std::string word(int i)
{
    char buf[32];
    snprintf(buf, sizeof buf, "w%x-%d", (unsigned)(corpus_mix((uint64_t)i) & 0xfffff), i);
    return std::string(buf);
}

NOINLINE void build_index(Index &ix, int n)
{
    for (int i = 0; i < n; i++)
        ix[word(i)] += i + 1;
}

NOINLINE void prune_index(Index &ix, int n, int keep_every)
{
    for (int i = 0; i < n; i++)
        if (i % keep_every != 0)
            ix.erase(word(i));
}

#define N_WORDS 260000
#define KEEP_EVERY 128
#define HOLD_BRIEF_PEAK_S 0.3

int main()
{
    corpus_start();
    Index ix;
    build_index(ix, N_WORDS);
    size_t nb = ix.bucket_count();
    double peak = corpus_bucket_occupancy(ix);
    corpus_phase("peak", "buckets=%zu bytes=%zu size=%zu occupancy=%.4f", nb, nb * sizeof(void *),
                 ix.size(), peak);
    corpus_sleep(HOLD_BRIEF_PEAK_S);

    prune_index(ix, N_WORDS, KEEP_EVERY);
    double occ = corpus_bucket_occupancy(ix);
    corpus_phase("drained", "buckets=%zu size=%zu occupancy=%.4f", ix.bucket_count(), ix.size(), occ);
    corpus_truth(ix.bucket_count() * sizeof(void *), peak, occ);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "index destroyed on return from main");
    return 0;
}
