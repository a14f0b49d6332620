/*
 * n8_rehash0 (NEGATIVE): the fix for p3, applied: after erasing most
 * entries, the program calls rehash(0), which makes libstdc++ move the
 * survivors into a bucket array sized for them and free the big one.
 *
 * Timeline: 500,000 sessions (712,697 buckets = 5.7 MB), hold 1.2 s, erase
 * all but every 128th, rehash(0) (the array shrinks to a few thousand
 * buckets, tens of KiB), hold 1.5 s, exit.  The big array was sparse only
 * between the erase loop and rehash(0): nothing to flag.
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
#define KEEP_EVERY 128

NOINLINE void fill_sessions(SessionMap &m)
{
    for (int64_t i = 0; i < N_SESSIONS; i++) {
        Session s = {i, 1000 + i, 2000 + i, (uint64_t)i * 7, (uint64_t)i * 11, 1, 3};
        m.emplace(session_id(i), s);
    }
}

NOINLINE void expire_and_compact(SessionMap &m)
{
    for (int64_t i = 0; i < N_SESSIONS; i++)
        if (i % KEEP_EVERY != 0)
            m.erase(session_id(i));
    m.rehash(0);
}

int main()
{
    corpus_start();
    SessionMap m;
    fill_sessions(m);
    corpus_phase("peak", "buckets=%zu bytes=%zu size=%zu", m.bucket_count(),
                 m.bucket_count() * sizeof(void *), m.size());
    corpus_sleep(HOLD_PEAK_S);
    expire_and_compact(m);
    corpus_phase("compacted", "buckets=%zu bytes=%zu size=%zu", m.bucket_count(),
                 m.bucket_count() * sizeof(void *), m.size());
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "small map destroyed on return");
    return 0;
}
