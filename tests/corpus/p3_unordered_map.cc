/*
 * p3_unordered_map (POSITIVE): std::unordered_map<int64_t, Session> after
 * erase() of most entries (libstdc++).
 *
 * libstdc++ keeps one bucket array of pointers (bucket_count() * 8 bytes),
 * reallocated to the next prime >= 2x when the load passes 1.0 (a growth
 * series from _M_rehash), and never shrinks on erase (only rehash(0) or
 * destruction give it back).  A bucket whose chain empties becomes NULL.
 *
 * Timeline: fill_sessions() inserts 500,000 sessions with random 64-bit ids
 * (bucket array grows to 712,697 buckets = 5.7 MB), hold 1.2 s,
 * expire_sessions() erases all but every 128th (0.8% kept), hold 1.5 s,
 * return from main (the map is destroyed, and the array freed, at exit).
 *
 * Truth: occupancy = fraction of buckets with bucket_size(b) > 0, which is
 * exactly the fraction of non-NULL words in the bucket array.
 */
#include "corpus.h"         /* Session, SessionMap, session_id(), make_session() */
#include <unordered_map>

NOINLINE void fill_sessions(SessionMap &m, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        m.emplace(session_id(i), make_session(i));
}

NOINLINE void expire_sessions(SessionMap &m, int64_t n, int64_t keep_every)
{
    for (int64_t i = 0; i < n; i++)
        if (i % keep_every != 0)
            m.erase(session_id(i));
}

#define N_SESSIONS 500000
#define KEEP_EVERY 128

int main()
{
    corpus_start();
    SessionMap sessions;
    fill_sessions(sessions, N_SESSIONS);
    size_t nb = sessions.bucket_count();
    double peak = corpus_bucket_occupancy(sessions);
    corpus_phase("peak", "buckets=%zu bytes=%zu size=%zu occupancy=%.4f",
                 nb, nb * sizeof(void *), sessions.size(), peak);
    corpus_sleep(HOLD_PEAK_S);

    expire_sessions(sessions, N_SESSIONS, KEEP_EVERY);
    double occ = corpus_bucket_occupancy(sessions);
    corpus_phase("drained", "buckets=%zu size=%zu occupancy=%.4f",
                 sessions.bucket_count(), sessions.size(), occ);
    corpus_truth(sessions.bucket_count() * sizeof(void *), peak, occ);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "map destroyed on return from main");
    return 0;
}
