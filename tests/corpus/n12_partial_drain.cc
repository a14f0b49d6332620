/*
 * n12_partial_drain (NEGATIVE): a table that loses 40% of its entries and
 * keeps the rest: ordinary ebb and flow, not a retention.
 *
 * The same std::unordered_map<int64_t, Session> as p3 (500,000 sessions,
 * 712,697 buckets = 5.7 MB), held 1.2 s at the peak; then the night shift
 * ends and 40% of the sessions expire (300,000 stay: the non-empty buckets
 * go from 0.50 to 0.34, two thirds of the peak), held 1.5 s, exit.  The
 * array is still well used: a drop to 0.68 of the peak is far above any
 * sensible RETAIN_DROP, nothing to flag.
 */
#include "corpus.h"
#include <unordered_map>

struct Session {
    int64_t user_id;
    int64_t created_ms;
    int64_t last_seen_ms;
    uint64_t bytes_in;
    uint64_t bytes_out;
    uint32_t requests;
    uint32_t flags;
};

typedef std::unordered_map<int64_t, Session> SessionMap;

static int64_t session_id(int64_t i) { return (int64_t)(corpus_mix((uint64_t)i) >> 1); }

#define N_SESSIONS 500000

NOINLINE void fill_sessions(SessionMap &m)
{
    for (int64_t i = 0; i < N_SESSIONS; i++) {
        Session s = {i, 1000 + i, 2000 + i, (uint64_t)i * 7, (uint64_t)i * 11, 1, 3};
        m.emplace(session_id(i), s);
    }
}

NOINLINE void expire_some(SessionMap &m)
{
    for (int64_t i = 0; i < N_SESSIONS; i++)
        if (i % 5 < 2)                  /* 40% expire */
            m.erase(session_id(i));
}

static double nonempty(const SessionMap &m)
{
    size_t k = 0;
    for (size_t b = 0; b < m.bucket_count(); b++)
        k += m.bucket_size(b) > 0;
    return (double)k / (double)m.bucket_count();
}

int main()
{
    corpus_start();
    SessionMap m;
    fill_sessions(m);
    double peak = nonempty(m);
    corpus_phase("peak", "buckets=%zu bytes=%zu size=%zu occupancy=%.4f", m.bucket_count(),
                 m.bucket_count() * sizeof(void *), m.size(), peak);
    corpus_sleep(HOLD_PEAK_S);
    expire_some(m);
    double occ = nonempty(m);
    corpus_phase("ebbed", "buckets=%zu size=%zu occupancy=%.4f ratio_to_peak=%.3f",
                 m.bucket_count(), m.size(), occ, occ / peak);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "map destroyed on return");
    return 0;
}
