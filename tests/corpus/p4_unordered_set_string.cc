/*
 * p4_unordered_set_string (POSITIVE): std::unordered_set<std::string> after
 * erase() of most names (libstdc++).
 *
 * Same bucket array as unordered_map (bucket_count() * 8 bytes of pointers,
 * NULL for an empty bucket, never shrunk on erase).  Nodes hold the string
 * (short names fit the small-string buffer, no extra block) and its cached
 * hash code.
 *
 * Timeline: fill_names() inserts 300,000 names "h000000.example".. (bucket
 * array grows to 351,061 buckets = 2.8 MB), hold 1.2 s, forget_names()
 * erases all but every 150th (0.7% kept), hold 1.5 s, return from main.
 * The set is a static: exit() runs its destructor, which frees the array
 * before libretain writes its exit report (a finding with "live": false).
 *
 * Truth: occupancy = fraction of buckets with bucket_size(b) > 0.
 */
#include "corpus.h"
#include <string>
#include <unordered_set>

typedef std::unordered_set<std::string> NameSet;

static NameSet seen_names;

static std::string name_of(int i)
{
    char buf[32];
    snprintf(buf, sizeof buf, "h%06d.example", i);   /* 14 chars: SSO */
    return std::string(buf);
}

NOINLINE void fill_names(NameSet &s, int n)
{
    for (int i = 0; i < n; i++)
        s.insert(name_of(i));
}

NOINLINE void forget_names(NameSet &s, int n, int keep_every)
{
    for (int i = 0; i < n; i++)
        if (i % keep_every != 0)
            s.erase(name_of(i));
}

#define N_NAMES 300000
#define KEEP_EVERY 150

int main()
{
    corpus_start();
    fill_names(seen_names, N_NAMES);
    size_t nb = seen_names.bucket_count();
    double peak = corpus_bucket_occupancy(seen_names);
    corpus_phase("peak", "buckets=%zu bytes=%zu size=%zu occupancy=%.4f",
                 nb, nb * sizeof(void *), seen_names.size(), peak);
    corpus_sleep(HOLD_PEAK_S);

    forget_names(seen_names, N_NAMES, KEEP_EVERY);
    double occ = corpus_bucket_occupancy(seen_names);
    corpus_phase("drained", "buckets=%zu size=%zu occupancy=%.4f",
                 seen_names.bucket_count(), seen_names.size(), occ);
    corpus_truth(seen_names.bucket_count() * sizeof(void *), peak, occ);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "set destroyed by static destructors");
    return 0;
}
