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

NOINLINE void fill_sessions(SessionMap &m, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        Session s = {i, 1000 + i, 2000 + i, (uint64_t)i * 7, (uint64_t)i * 11, 1, 3};
        m.emplace(session_id(i), s);
    }
}

NOINLINE void expire_sessions(SessionMap &m, int64_t n, int64_t keep_every)
{
    for (int64_t i = 0; i < n; i++)
        if (i % keep_every != 0)
            m.erase(session_id(i));
}

static size_t nonempty_buckets(const SessionMap &m)
{
    size_t k = 0;
    for (size_t b = 0; b < m.bucket_count(); b++)
        k += m.bucket_size(b) > 0;
    return k;
}

#define N_SESSIONS 500000
#define KEEP_EVERY 128

int main()
{
    corpus_start();
    SessionMap sessions;
    fill_sessions(sessions, N_SESSIONS);
    size_t nb = sessions.bucket_count();
    double peak = (double)nonempty_buckets(sessions) / (double)nb;
    corpus_phase("peak", "buckets=%zu bytes=%zu size=%zu occupancy=%.4f",
                 nb, nb * sizeof(void *), sessions.size(), peak);
    corpus_sleep(HOLD_PEAK_S);

    expire_sessions(sessions, N_SESSIONS, KEEP_EVERY);
    double occ = (double)nonempty_buckets(sessions) / (double)sessions.bucket_count();
    corpus_phase("drained", "buckets=%zu size=%zu occupancy=%.4f",
                 sessions.bucket_count(), sessions.size(), occ);
    corpus_truth(sessions.bucket_count() * sizeof(void *), peak, occ);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "map destroyed on return from main");
    return 0;
}
