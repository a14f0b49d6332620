#include "thread_state.h"
#include "clock.h"
#include "hash.h"
#include "log.h"
#include "mutex.h"

#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

__thread int retain_guard;
__thread struct thread_state *thread_state_self;

static struct rmutex pool_lock = RMUTEX_INIT(LOCK_RANK_THREADS);
static struct thread_state *pool;          /* all records ever made */
static pthread_key_t exit_key;
static int key_ready;

static int64_t live_gauge;
static int64_t live_peak;

/* Records come in mmap'd slabs: the real allocator is not used so that a
 * thread's first malloc never recurses into itself. */
static struct thread_state *slab_next, *slab_end;

static void (*thread_ended)(void);     /* set at init (sampler_thread_ended) */

void thread_state_on_exit(void (*ended)(void)) { thread_ended = ended; }

static void on_thread_exit(void *arg)
{
    struct thread_state *ts = arg;
    live_gauge_flush(ts);
    if (thread_ended)
        thread_ended();
    /* Later TLS destructors of this thread may still allocate: they get a
     * fresh record, so that this one can pass to a new thread safely. */
    thread_state_self = NULL;
    __atomic_store_n(&ts->in_use, 0, __ATOMIC_RELEASE);
}

void thread_state_init(void)
{
    if (pthread_key_create(&exit_key, on_thread_exit) == 0)
        key_ready = 1;
}

static struct thread_state *record_take(void)
{
    struct thread_state *ts;
    for (ts = pool; ts; ts = ts->next)
        if (!ts->in_use) {
            ts->in_use = 1;
            return ts;
        }
    if (slab_next == slab_end) {
        size_t bytes = 64 * 1024;
        void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        slab_next = m;
        slab_end = slab_next + bytes / sizeof *slab_next;
    }
    ts = slab_next++;
    memset(ts, 0, sizeof *ts);
    ts->in_use = 1;
    ts->next = pool;
    __atomic_store_n(&pool, ts, __ATOMIC_RELEASE);
    return ts;
}

struct thread_state *thread_state_create(void)
{
    rmutex_lock(&pool_lock);
    struct thread_state *ts = record_take();
    rmutex_unlock(&pool_lock);
    if (!ts)
        return NULL;
    /* Seed differs per thread and per process (fork). */
    /* A seed of its own for every thread: a new thread often gets the stack
     * (so the TLS address) and the record of one that just ended, and equal
     * seeds would sample the same allocations in every thread. */
    static uint64_t threads_seeded;
    uint64_t n = __atomic_add_fetch(&threads_seeded, 1, __ATOMIC_RELAXED);
    ts->rng = hash_mix(n ^ hash_fib_folded((uint64_t)(uintptr_t)ts) ^ clock_coarse_ns() ^
                       ((uint64_t)getpid() << 32));
    ts->rng |= 1;
    ts->sample_left = 0;
    ts->sample_primed = 0;
    thread_state_self = ts;
    if (key_ready)
        pthread_setspecific(exit_key, ts);
    return ts;
}

/* Frees are summed before allocations, with acquire loads: a block freed
 * on one thread was allocated (and counted) before, perhaps on another, so
 * a report taken while threads run never shows more frees than
 * allocations (summed the other way round it could, by the ones between). */
void thread_state_totals(struct thread_counters *out)
{
    memset(out, 0, sizeof *out);
    struct thread_state *first = __atomic_load_n(&pool, __ATOMIC_ACQUIRE);
    for (struct thread_state *ts = first; ts; ts = ts->next) {
        out->frees += __atomic_load_n(&ts->c.frees, __ATOMIC_ACQUIRE);
        out->bytes_freed += __atomic_load_n(&ts->c.bytes_freed, __ATOMIC_ACQUIRE);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (struct thread_state *ts = __atomic_load_n(&pool, __ATOMIC_ACQUIRE); ts; ts = ts->next) {
        out->allocations += __atomic_load_n(&ts->c.allocations, __ATOMIC_ACQUIRE);
        out->bytes_allocated += __atomic_load_n(&ts->c.bytes_allocated, __ATOMIC_ACQUIRE);
    }
}

void thread_state_lock(void) { rmutex_lock(&pool_lock); }
void thread_state_unlock(void) { rmutex_unlock(&pool_lock); }

void thread_state_after_fork_child(void)
{
    rmutex_reset(&pool_lock);
    for (struct thread_state *ts = pool; ts; ts = ts->next)
        if (ts != thread_state_self) {
            live_gauge_flush(ts);
            ts->in_use = 0;
        }
}

void live_gauge_flush(struct thread_state *ts)
{
    int64_t d = ts->unflushed;
    if (!d)
        return;
    ts->unflushed = 0;
    int64_t now = __atomic_add_fetch(&live_gauge, d, __ATOMIC_RELAXED);
    int64_t peak = __atomic_load_n(&live_peak, __ATOMIC_RELAXED);
    while (now > peak &&
           !__atomic_compare_exchange_n(&live_peak, &peak, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

void live_gauge_read(uint64_t *live, uint64_t *peak)
{
    int64_t l = __atomic_load_n(&live_gauge, __ATOMIC_RELAXED);
    int64_t p = __atomic_load_n(&live_peak, __ATOMIC_RELAXED);
    *live = l > 0 ? (uint64_t)l : 0;
    *peak = p > 0 ? (uint64_t)p : 0;
}
