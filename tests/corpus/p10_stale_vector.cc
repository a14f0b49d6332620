/*
 * p10_stale_vector (POSITIVE): a std::vector<Job*> that grew to its peak,
 * then dropped most of its (freed) jobs, keeping its capacity.
 *
 * vector grows by doubling through _M_realloc_insert (new block, copy, free
 * the old one: a growth series) and never gives capacity back on erase()
 * or clear() (only shrink_to_fit or swap do).  Erasing pointers writes
 * nothing: the dropped tail of the array keeps stale pointers to the freed
 * Job objects.  Content alone (non-zero, points into mapped memory) looks as
 * full as before; only the liveness of what the words point to shows the
 * drop (DESIGN 2a, "std::vector<T*> after clear()").
 *
 * Timeline: load_batch() pushes 500,000 new Job* (capacity 524,288 = 4 MiB),
 * hold 1.2 s, finish_jobs() deletes all jobs but the first 1,000 and erases
 * their pointers, hold 1.5 s, return (the vector is destroyed at exit).
 *
 * Truth: occupancy = size() / capacity(): 500,000 -> 1,000 of 524,288.
 */
#include "corpus.h"
#include <vector>

struct Job {
    uint64_t id;
    uint64_t deadline_ms;
    uint32_t priority;
    uint32_t attempts;
    char tag[24];
};

NOINLINE void load_batch(std::vector<Job *> &q, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        Job *j = new Job;
        j->id = i;
        j->deadline_ms = 5000 + i;
        j->priority = (uint32_t)(i % 7);
        j->attempts = 0;
        memset(j->tag, 'j', sizeof j->tag);
        q.push_back(j);
    }
}

NOINLINE void finish_jobs(std::vector<Job *> &q, size_t keep)
{
    for (size_t i = keep; i < q.size(); i++)
        delete q[i];
    q.erase(q.begin() + (long)keep, q.end());
}

#define N_JOBS 500000
#define KEEP 1000

int main()
{
    corpus_start();
    std::vector<Job *> queue;
    load_batch(queue, N_JOBS);
    double peak = (double)queue.size() / (double)queue.capacity();
    corpus_phase("peak", "capacity=%zu bytes=%zu size=%zu occupancy=%.4f",
                 queue.capacity(), queue.capacity() * sizeof(Job *), queue.size(), peak);
    corpus_sleep(HOLD_PEAK_S);

    Job **data = queue.data();
    finish_jobs(queue, KEEP);
    double occ = (double)queue.size() / (double)queue.capacity();
    size_t stale = 0;
    for (size_t i = KEEP; i < N_JOBS; i++)    /* the dropped tail still holds pointers */
        stale += data[i] != NULL;
    corpus_phase("drained", "capacity=%zu size=%zu stale_pointers=%zu occupancy=%.4f",
                 queue.capacity(), queue.size(), stale, occ);
    corpus_truth(queue.capacity() * sizeof(Job *), peak, occ);
    corpus_sleep(HOLD_DRAINED_S);
    for (Job *j : queue)
        delete j;
    corpus_phase("exit", "vector destroyed on return from main");
    return 0;
}
