/*
 * p7_server_signal (POSITIVE, report by signal): a server that never exits.
 *
 * Two worker threads churn small allocations forever (request buffers of
 * 16..512 bytes, freed at once, in short bursts).  A session thread owns the
 * session table: an open-addressing array of Session pointers with linear
 * probing and backward-shift deletion (a deleted slot becomes NULL, no
 * tombstones), doubled by session_table_grow() when the load passes 0.7 and
 * never shrunk.  The table fills to its peak, holds 1.2 s, most sessions
 * close, and from then on the server keeps serving a trickle: every 10 ms
 * one session opens and one closes, so the count stays at the drained level.
 *
 * Timeline: 360,000 sessions (524,288 slots = 4 MiB), hold 1.2 s, close all
 * but every 100th (3,600 kept), print "CORPUS phase=drained", then run until
 * killed.  The harness waits for that line, waits 1.5 s more, sends SIGUSR2
 * (libretain's RETAIN_SIGNAL default), waits for the report with
 * "reason": "signal", then kills us with SIGKILL.  A watchdog alarm(120)
 * ends an orphaned run.
 *
 * Truth: occupancy = non-NULL slots / 524,288.
 */
#include "corpus.h"
#include <pthread.h>
#include <unistd.h>

struct session {
    uint64_t id;
    uint64_t opened_ms;
    uint64_t bytes;
    uint32_t requests;
    uint32_t state;
};

struct session_table {
    struct session **slots;
    size_t cap;               /* power of two */
    size_t count;
};

static inline size_t home(const struct session_table *t, uint64_t id)
{
    return (size_t)(corpus_mix(id) & (t->cap - 1));
}

NOINLINE struct session_table *session_table_create(size_t cap)
{
    struct session_table *t = corpus_xmalloc(sizeof *t);
    t->slots = corpus_xcalloc(cap, sizeof *t->slots);
    t->cap = cap;
    t->count = 0;
    return t;
}

static void put(struct session_table *t, struct session *s)
{
    size_t i = home(t, s->id);
    while (t->slots[i])
        i = (i + 1) & (t->cap - 1);
    t->slots[i] = s;
}

NOINLINE void session_table_grow(struct session_table *t)
{
    struct session **old = t->slots;
    size_t oldcap = t->cap;
    t->cap *= 2;
    t->slots = corpus_xcalloc(t->cap, sizeof *t->slots);
    for (size_t i = 0; i < oldcap; i++)
        if (old[i])
            put(t, old[i]);
    free(old);
}

NOINLINE void open_session(struct session_table *t, uint64_t id, uint64_t now)
{
    if ((t->count + 1) * 10 > t->cap * 7)
        session_table_grow(t);
    struct session *s = corpus_xmalloc(sizeof *s);
    s->id = id;
    s->opened_ms = now;
    s->bytes = id * 3;
    s->requests = 1;
    s->state = 2;
    put(t, s);
    t->count++;
}

NOINLINE int close_session(struct session_table *t, uint64_t id)
{
    size_t mask = t->cap - 1, i = home(t, id);
    while (t->slots[i] && t->slots[i]->id != id)
        i = (i + 1) & mask;
    if (!t->slots[i])
        return 0;
    free(t->slots[i]);
    t->count--;
    /* backward-shift deletion: pull later members of the cluster back */
    for (size_t j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
        size_t k = home(t, t->slots[j]->id);
        int movable = (i <= j) ? (k <= i || k > j) : (k <= i && k > j);
        if (movable) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i] = NULL;
    return 1;
}

static size_t used_slots(const struct session_table *t)
{
    size_t k = 0;
    for (size_t i = 0; i < t->cap; i++)
        k += t->slots[i] != NULL;
    return k;
}

/* ---- worker threads: small-allocation churn, forever ---- */
static void *worker(void *arg)
{
    uint64_t r = (uint64_t)(uintptr_t)arg;
    void *bufs[64];
    for (;;) {
        for (int i = 0; i < 64; i++) {
            r = corpus_mix(r);
            bufs[i] = corpus_xmalloc(16 + (size_t)(r % 497));
            memset(bufs[i], (int)(r & 0xff), 16);
        }
        for (int i = 63; i >= 0; i--)
            free(bufs[i]);
        corpus_sleep(0.001);
    }
    return NULL;
}

#define N_SESSIONS 360000
#define KEEP_EVERY 100

static void *session_thread(void *arg)
{
    (void)arg;
    struct session_table *t = session_table_create(16);
    for (uint64_t id = 0; id < N_SESSIONS; id++)
        open_session(t, id, 1000 + id);
    double peak = (double)used_slots(t) / (double)t->cap;
    corpus_phase("peak", "slots=%zu bytes=%zu count=%zu occupancy=%.4f",
                 t->cap, t->cap * sizeof(void *), t->count, peak);
    corpus_sleep(HOLD_PEAK_S);

    for (uint64_t id = 0; id < N_SESSIONS; id++)
        if (id % KEEP_EVERY != 0)
            close_session(t, id);
    double occ = (double)used_slots(t) / (double)t->cap;
    corpus_truth(t->cap * sizeof(void *), peak, occ);
    corpus_phase("drained", "slots=%zu count=%zu occupancy=%.4f", t->cap, t->count, occ);

    /* Serve a trickle forever: one session in, one out, every 10 ms. */
    uint64_t next = N_SESSIONS, oldest = N_SESSIONS;
    for (unsigned long tick = 0;; tick++) {
        open_session(t, next++, 2000000 + tick);
        if (next - oldest > 50)
            close_session(t, oldest++);
        if (tick % 100 == 99)
            corpus_phase("serving", "count=%zu occupancy=%.4f", t->count,
                         (double)used_slots(t) / (double)t->cap);
        corpus_sleep(0.010);
    }
    return NULL;
}

int main(void)
{
    corpus_start();
    alarm(120);               /* watchdog: never outlive a lost harness */
    pthread_t w[2], s;
    for (uintptr_t i = 0; i < 2; i++)
        pthread_create(&w[i], NULL, worker, (void *)(i + 1));
    pthread_create(&s, NULL, session_thread, NULL);
    for (;;)
        pause();
}
