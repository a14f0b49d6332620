/*
 * n6_drain_and_destroy (NEGATIVE): a table drained and destroyed at once.
 *
 * The same std::unordered_map<int64_t, Session> as p3 (500,000 sessions,
 * 712,697 buckets = 5.7 MB), held 1.2 s at its peak; then every session is
 * erased one by one and the map is destroyed right away (it goes out of
 * scope), which frees the bucket array within milliseconds of draining.
 * The program then works 1.5 s more on other things and exits.  The block
 * was sparse only for an instant before it was freed: nothing to flag.
 */
#include "corpus.h"         /* Session, SessionMap, session_id(), make_session() */
#include <unordered_map>

#define N_SESSIONS 500000

NOINLINE void run_batch()
{
    SessionMap m;
    for (int64_t i = 0; i < N_SESSIONS; i++)
        m.emplace(session_id(i), make_session(i));
    corpus_phase("peak", "buckets=%zu bytes=%zu size=%zu", m.bucket_count(),
                 m.bucket_count() * sizeof(void *), m.size());
    corpus_sleep(HOLD_PEAK_S);
    for (int64_t i = 0; i < N_SESSIONS; i++)
        m.erase(session_id(i));
    corpus_phase("drained", "size=%zu; destroying the map now", m.size());
}   /* ~SessionMap frees the bucket array here */

int main()
{
    corpus_start();
    run_batch();
    corpus_phase("destroyed", "map gone");
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "done");
    return 0;
}
