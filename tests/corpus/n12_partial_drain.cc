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
#include "corpus.h"         /* Session, SessionMap, session_id(), make_session() */
#include <unordered_map>

#define N_SESSIONS 500000

NOINLINE void fill_sessions(SessionMap &m)
{
    for (int64_t i = 0; i < N_SESSIONS; i++)
        m.emplace(session_id(i), make_session(i));
}

NOINLINE void expire_some(SessionMap &m)
{
    for (int64_t i = 0; i < N_SESSIONS; i++)
        if (i % 5 < 2)                  /* 40% expire */
            m.erase(session_id(i));
}

int main()
{
    corpus_start();
    SessionMap m;
    fill_sessions(m);
    double peak = corpus_bucket_occupancy(m);
    corpus_phase("peak", "buckets=%zu bytes=%zu size=%zu occupancy=%.4f", m.bucket_count(),
                 m.bucket_count() * sizeof(void *), m.size(), peak);
    corpus_sleep(HOLD_PEAK_S);
    expire_some(m);
    double occ = corpus_bucket_occupancy(m);
    corpus_phase("ebbed", "buckets=%zu size=%zu occupancy=%.4f ratio_to_peak=%.3f",
                 m.bucket_count(), m.size(), occ, occ / peak);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "map destroyed on return");
    return 0;
}
