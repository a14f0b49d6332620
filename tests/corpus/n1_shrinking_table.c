/*
 * n1_shrinking_table (NEGATIVE): a chained hash table that shrinks as it
 * empties (like GLib's GHashTable, DESIGN 2a's negative control).
 *
 * Same table as p1 (pointer buckets, malloc'd nodes, doubling at load 3/4),
 * but delete rehashes into an array half the size whenever the load falls
 * below 1/8.  Draining it walks down a series of ever smaller arrays, each
 * old one freed at once; the final array is 128 KiB.
 *
 * Timeline: insert 380,000 entries (524,288 buckets = 4 MiB), hold 1.2 s,
 * delete all but every 128th (the table shrinks 5 times, to 16,384 buckets
 * = 128 KiB), hold 1.5 s, exit.  Nothing large is ever left sparse: nothing
 * to flag.
 */
#include "corpus.h"

struct node {
    uint64_t key;
    struct node *next;
    uint64_t value;
    uint64_t stamp;
};

struct table {
    struct node **buckets;
    size_t nbuckets;
    size_t count;
    unsigned shrinks;
};

static inline size_t slot_of(const struct table *t, uint64_t key)
{
    return (size_t)(corpus_mix(key) & (t->nbuckets - 1));
}

NOINLINE void table_rehash(struct table *t, size_t nbuckets)
{
    struct node **old = t->buckets;
    size_t oldn = t->nbuckets;
    t->buckets = corpus_xcalloc(nbuckets, sizeof *t->buckets);
    t->nbuckets = nbuckets;
    for (size_t i = 0; i < oldn; i++)
        for (struct node *n = old[i], *next; n; n = next) {
            next = n->next;
            size_t s = slot_of(t, n->key);
            n->next = t->buckets[s];
            t->buckets[s] = n;
        }
    free(old);
}

NOINLINE void table_insert(struct table *t, uint64_t key, uint64_t value)
{
    if ((t->count + 1) * 4 > t->nbuckets * 3)
        table_rehash(t, t->nbuckets * 2);
    struct node *n = corpus_xmalloc(sizeof *n);
    n->key = key;
    n->value = value;
    n->stamp = ~key;
    size_t s = slot_of(t, key);
    n->next = t->buckets[s];
    t->buckets[s] = n;
    t->count++;
}

NOINLINE void table_delete(struct table *t, uint64_t key)
{
    struct node **pp = &t->buckets[slot_of(t, key)];
    for (struct node *n = *pp; n; pp = &n->next, n = n->next)
        if (n->key == key) {
            *pp = n->next;
            free(n);
            t->count--;
            break;
        }
    if (t->nbuckets > 1024 && t->count * 8 < t->nbuckets) {
        table_rehash(t, t->nbuckets / 2);       /* shrink as it empties */
        t->shrinks++;
    }
}

#define N_ENTRIES 380000
#define KEEP_EVERY 128

int main(void)
{
    corpus_start();
    struct table t = {corpus_xcalloc(1024, sizeof(struct node *)), 1024, 0, 0};
    for (uint64_t i = 0; i < N_ENTRIES; i++)
        table_insert(&t, i, i);
    corpus_phase("peak", "buckets=%zu bytes=%zu entries=%zu", t.nbuckets,
                 t.nbuckets * sizeof(void *), t.count);
    corpus_sleep(HOLD_PEAK_S);

    for (uint64_t i = 0; i < N_ENTRIES; i++)
        if (i % KEEP_EVERY != 0)
            table_delete(&t, i);
    corpus_phase("drained", "buckets=%zu bytes=%zu entries=%zu shrinks=%u", t.nbuckets,
                 t.nbuckets * sizeof(void *), t.count, t.shrinks);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "small table still allocated");
    return 0;
}
