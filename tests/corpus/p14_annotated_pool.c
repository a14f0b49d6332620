/*
 * p14_annotated_pool (POSITIVE, probe "annotation"): an object pool that
 * states its own occupancy through include/retain.h.
 *
 * Records of 64 bytes live in one array addressed by index (handles, not
 * pointers); the array doubles by pool_grow() (new block, copy, free the
 * old) and never shrinks.  Releasing a record only pushes its index on a
 * free stack kept in a separate small block: the record's bytes stay as they
 * were, so nothing in the array shows which records are free.  The pool
 * therefore calls retain_annotate_occupancy(array, used, capacity) after
 * every growth and every bulk acquire/release, as a container library would.
 *
 * Timeline: acquire 100,000 records (the array grows to 131,072 records =
 * 8 MiB), hold 1.2 s, release all but every 128th (782 kept), hold 1.5 s,
 * exit with the pool alive.
 *
 * Truth: occupancy = records in use / 131,072 (exactly what is annotated).
 */
#include "corpus.h"
#include <retain.h>

struct record {
    uint64_t id;
    uint64_t owner;
    double weights[6];
};

struct pool {
    struct record *recs;
    uint32_t *free_stack;     /* indices of released records (small block) */
    size_t cap, top, nfree, used;
};

static void pool_annotate(const struct pool *p)
{
    retain_annotate_occupancy(p->recs, p->used, p->cap);
}

NOINLINE void pool_grow(struct pool *p)
{
    size_t cap = p->cap ? p->cap * 2 : 256;
    struct record *r = corpus_xmalloc(cap * sizeof *r);
    if (p->top)
        memcpy(r, p->recs, p->top * sizeof *r);
    free(p->recs);
    p->recs = r;
    p->cap = cap;
    pool_annotate(p);
}

NOINLINE uint32_t pool_acquire(struct pool *p)
{
    uint32_t i;
    if (p->nfree)
        i = p->free_stack[--p->nfree];
    else {
        if (p->top == p->cap)
            pool_grow(p);
        i = (uint32_t)p->top++;
    }
    p->used++;
    return i;
}

NOINLINE void pool_release(struct pool *p, uint32_t i)
{
    p->free_stack[p->nfree++] = i;     /* the record's bytes are left as they are */
    p->used--;
}

#define N_RECORDS 100000
#define KEEP_EVERY 128

int main(void)
{
    corpus_start();
    struct pool p = {NULL, corpus_xmalloc(N_RECORDS * sizeof(uint32_t)), 0, 0, 0, 0};
    for (uint64_t k = 0; k < N_RECORDS; k++) {
        uint32_t i = pool_acquire(&p);
        p.recs[i].id = k + 1;
        p.recs[i].owner = corpus_mix(k) | 1;
        for (int w = 0; w < 6; w++)
            p.recs[i].weights[w] = 0.5 + (double)w + (double)k;
    }
    pool_annotate(&p);
    double peak = (double)p.used / (double)p.cap;
    corpus_phase("peak", "records=%zu bytes=%zu used=%zu occupancy=%.4f", p.cap,
                 p.cap * sizeof(struct record), p.used, peak);
    corpus_sleep(HOLD_PEAK_S);

    for (uint32_t i = 0; i < N_RECORDS; i++)
        if (i % KEEP_EVERY != 0)
            pool_release(&p, i);
    pool_annotate(&p);
    double occ = (double)p.used / (double)p.cap;
    corpus_phase("drained", "records=%zu used=%zu occupancy=%.4f", p.cap, p.used, occ);
    corpus_truth(p.cap * sizeof(struct record), peak, occ);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "pool still allocated");
    return 0;
}
