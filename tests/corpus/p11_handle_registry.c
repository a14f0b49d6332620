/*
 * p11_handle_registry (POSITIVE): a handle table grown with realloc().
 *
 * A registry maps ever-increasing handle numbers to objects: slot h of one
 * array holds the object of handle h, NULL once it is closed.  The array
 * grows by realloc() to twice its size when a new handle does not fit (so
 * the block is resized rather than replaced: glibc may move it or mremap it
 * in place), and is never compacted or shrunk: closed handles leave NULL
 * slots behind (like fd tables, ECS entity arrays, object registries).
 *
 * Timeline: open 450,000 handles (the array reallocs up to 524,288 slots =
 * 4 MiB), hold 1.2 s, close all but every 100th (4,500 kept), hold 1.5 s,
 * exit with the registry still allocated.
 *
 * Truth: occupancy = non-NULL slots / 524,288.
 */
#include "corpus.h"

struct object {
    uint64_t handle;
    uint64_t kind;
    uint64_t refs;
};

struct registry {
    struct object **slots;
    size_t cap;
    size_t next;              /* next handle number */
};

NOINLINE void registry_grow(struct registry *r, size_t need)
{
    size_t cap = r->cap ? r->cap : 1024;
    while (cap < need)
        cap *= 2;
    struct object **s = realloc(r->slots, cap * sizeof *s);
    if (!s) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    memset(s + r->cap, 0, (cap - r->cap) * sizeof *s);
    r->slots = s;
    r->cap = cap;
}

NOINLINE uint64_t registry_open(struct registry *r, uint64_t kind)
{
    if (r->next >= r->cap)
        registry_grow(r, r->next + 1);
    struct object *o = corpus_xmalloc(sizeof *o);
    o->handle = r->next;
    o->kind = kind;
    o->refs = 1;
    r->slots[r->next] = o;
    return r->next++;
}

NOINLINE void registry_close(struct registry *r, uint64_t h)
{
    if (h < r->next && r->slots[h]) {
        free(r->slots[h]);
        r->slots[h] = NULL;
    }
}

static size_t used(const struct registry *r)
{
    size_t k = 0;
    for (size_t i = 0; i < r->cap; i++)
        k += r->slots[i] != NULL;
    return k;
}

#define N_HANDLES 450000
#define KEEP_EVERY 100

int main(void)
{
    corpus_start();
    struct registry r = {NULL, 0, 0};
    for (uint64_t i = 0; i < N_HANDLES; i++)
        registry_open(&r, i % 5 + 1);
    double peak = (double)used(&r) / (double)r.cap;
    corpus_phase("peak", "slots=%zu bytes=%zu handles=%zu array=%p occupancy=%.4f",
                 r.cap, r.cap * sizeof(void *), r.next, (void *)r.slots, peak);
    corpus_sleep(HOLD_PEAK_S);

    for (uint64_t h = 0; h < N_HANDLES; h++)
        if (h % KEEP_EVERY != 0)
            registry_close(&r, h);
    double occ = (double)used(&r) / (double)r.cap;
    corpus_phase("drained", "slots=%zu open=%zu array=%p occupancy=%.4f", r.cap, used(&r),
                 (void *)r.slots, occ);
    corpus_truth(r.cap * sizeof(void *), peak, occ);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "registry still allocated");
    return 0;
}
