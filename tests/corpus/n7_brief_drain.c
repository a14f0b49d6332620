/*
 * n7_brief_drain (NEGATIVE): a table drained only briefly, then refilled.
 *
 * An open-addressing table of record pointers (linear probing, NULL for a
 * free slot, backward-shift deletion; doubles at load 0.7).  A nightly
 * reload: 360,000 records (524,288 slots = 4 MiB) held 1.2 s, then all but
 * every 100th are unloaded, and 0.4 s later the new data set (same size)
 * is loaded into the same array.  It stays full for 1.5 s and the program
 * exits.  The array was sparse for 0.4 s only (a retained table must stay
 * drained >= 1 s) and is full when the report is written: nothing to flag.
 */
#include "corpus.h"

struct record {
    uint64_t id;
    uint64_t version;
    uint64_t data[2];
};

struct table {
    struct record **slots;
    size_t cap;
    size_t count;
};

static inline size_t home(const struct table *t, uint64_t id)
{
    return (size_t)(corpus_mix(id) & (t->cap - 1));
}

static void put(struct table *t, struct record *r)
{
    size_t i = home(t, r->id);
    while (t->slots[i])
        i = (i + 1) & (t->cap - 1);
    t->slots[i] = r;
}

NOINLINE void table_grow(struct table *t)
{
    struct record **old = t->slots;
    size_t oldcap = t->cap;
    t->cap = oldcap ? oldcap * 2 : 64;
    t->slots = corpus_xcalloc(t->cap, sizeof *t->slots);
    for (size_t i = 0; i < oldcap; i++)
        if (old[i])
            put(t, old[i]);
    free(old);
}

NOINLINE void load_record(struct table *t, uint64_t id, uint64_t version)
{
    if ((t->count + 1) * 10 > t->cap * 7)
        table_grow(t);
    struct record *r = corpus_xmalloc(sizeof *r);
    r->id = id;
    r->version = version;
    r->data[0] = id * 3 + 1;
    r->data[1] = version;
    put(t, r);
    t->count++;
}

NOINLINE void unload_record(struct table *t, uint64_t id)
{
    size_t mask = t->cap - 1, i = home(t, id);
    while (t->slots[i] && t->slots[i]->id != id)
        i = (i + 1) & mask;
    if (!t->slots[i])
        return;
    free(t->slots[i]);
    t->count--;
    for (size_t j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
        size_t k = home(t, t->slots[j]->id);
        if ((i <= j) ? (k <= i || k > j) : (k <= i && k > j)) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i] = NULL;
}

#define N_RECORDS 360000
#define KEEP_EVERY 100

int main(void)
{
    corpus_start();
    struct table t = {NULL, 0, 0};
    for (uint64_t id = 0; id < N_RECORDS; id++)
        load_record(&t, id, 1);
    corpus_phase("peak", "slots=%zu bytes=%zu count=%zu", t.cap, t.cap * sizeof(void *), t.count);
    corpus_sleep(HOLD_PEAK_S);

    for (uint64_t id = 0; id < N_RECORDS; id++)
        if (id % KEEP_EVERY != 0)
            unload_record(&t, id);
    corpus_phase("drained", "slots=%zu count=%zu", t.cap, t.count);
    corpus_sleep(0.4);

    for (uint64_t id = 0; id < N_RECORDS; id++)
        if (id % KEEP_EVERY != 0)
            load_record(&t, id, 2);
    corpus_phase("refilled", "slots=%zu count=%zu", t.cap, t.count);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "table full");
    return 0;
}
