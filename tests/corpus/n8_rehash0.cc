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
#include "corpus.h"         /* Session, SessionMap, session_id(), make_session() */
#include <unordered_map>

#define N_SESSIONS 500000
#define KEEP_EVERY 128

NOINLINE void fill_sessions(SessionMap &m)
{
    for (int64_t i = 0; i < N_SESSIONS; i++)
        m.emplace(session_id(i), make_session(i));
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
