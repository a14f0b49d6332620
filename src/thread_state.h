/* thread_state.h: per-thread counters and flags of the allocation path.
 *
 * The hot path touches only its own thread's record: no lock, no atomic
 * read-modify-write.  Records live in an mmap'd pool and are never freed:
 * when a thread ends, its record (counters included) passes to the next new
 * thread, so process totals are plain sums over the pool. */
#ifndef RETAIN_THREAD_STATE_H
#define RETAIN_THREAD_STATE_H

#include <stddef.h>
#include <stdint.h>
#include "guard.h"

struct thread_counters {
    uint64_t allocations;
    uint64_t frees;
    uint64_t bytes_allocated;   /* usable bytes, as the allocator counts them */
    uint64_t bytes_freed;
};

struct thread_state {
    struct thread_counters c;
    int64_t unflushed;          /* live-byte delta not yet added to the global gauge */
    int64_t sample_left;        /* bytes until the next sampled allocation */
    int sample_primed;          /* sample_left has been drawn for this thread */
    uint64_t rng;               /* xorshift state for sampling */
    int in_use;                 /* owned by a running thread */
    struct thread_state *next;  /* pool list, never unlinked */
};


/* This thread's record, created on first use; NULL if the pool is exhausted. */
extern __thread struct thread_state *thread_state_self;
struct thread_state *thread_state_create(void);
static inline struct thread_state *thread_state_get(void)
{
    struct thread_state *ts = thread_state_self;
    return __builtin_expect(ts != NULL, 1) ? ts : thread_state_create();
}

void thread_state_init(void);
/* Start-up: ended is called as each thread that used the allocator ends. */
void thread_state_on_exit(void (*ended)(void));
/* Sum of every record's counters, for reports. */
void thread_state_totals(struct thread_counters *out);
/* Fork: in the child only the forking thread survives. */
void thread_state_after_fork_child(void);
void thread_state_lock(void);
void thread_state_unlock(void);

/* Global live-bytes gauge (totals.live_bytes / peak_live_bytes).  Threads
 * flush into it every RETAIN_FLUSH_BYTES of change, or at once for a large
 * block, so its peak is exact to within that slack per thread. */
#define RETAIN_FLUSH_BYTES (256 * 1024)
void live_gauge_flush(struct thread_state *ts);
void live_gauge_read(uint64_t *live, uint64_t *peak);

#endif
