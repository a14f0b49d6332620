/*
 * p1_chained_cache (POSITIVE): a hand-written chained hash table in C, the
 * kind of "user cache" many C programs carry.
 *
 * The bucket array is an array of node pointers; nodes are malloc'd one by
 * one.  The table doubles when the load passes 3/4 (allocate the new array,
 * rehash, free the old one: a growth series from cache_resize), and it never
 * shrinks.  Deleting a node frees it and, when its chain empties, leaves the
 * bucket pointer NULL.
 *
 * Timeline: insert 380,000 entries (the array grows to 524,288 buckets =
 * 4 MiB), hold 1.2 s, delete all but every 128th entry (0.8% kept), hold
 * 1.5 s, exit without freeing the cache (it lives as long as the process).
 *
 * Truth: occupancy = fraction of non-empty buckets, counted below.
 */
#include "corpus.h"

struct node {
    uint64_t key;
    struct node *next;
    uint64_t value;
    uint64_t stamp;
};

struct cache {
    struct node **buckets;
    size_t nbuckets;          /* power of two */
    size_t count;
};

static inline size_t cache_slot(const struct cache *c, uint64_t key)
{
    return (size_t)(corpus_mix(key) & (c->nbuckets - 1));
}

NOINLINE struct cache *cache_create(size_t nbuckets)
{
    struct cache *c = corpus_xmalloc(sizeof *c);
    c->buckets = corpus_xcalloc(nbuckets, sizeof *c->buckets);
    c->nbuckets = nbuckets;
    c->count = 0;
    return c;
}

/* Grow: new array, move every node, free the old array. */
NOINLINE void cache_resize(struct cache *c, size_t nbuckets)
{
    struct node **old = c->buckets;
    size_t oldn = c->nbuckets;
    c->buckets = corpus_xcalloc(nbuckets, sizeof *c->buckets);
    c->nbuckets = nbuckets;
    for (size_t i = 0; i < oldn; i++) {
        struct node *n = old[i];
        while (n) {
            struct node *next = n->next;
            size_t s = cache_slot(c, n->key);
            n->next = c->buckets[s];
            c->buckets[s] = n;
            n = next;
        }
    }
    free(old);
}

NOINLINE void cache_insert(struct cache *c, uint64_t key, uint64_t value)
{
    if ((c->count + 1) * 4 > c->nbuckets * 3)
        cache_resize(c, c->nbuckets * 2);
    size_t s = cache_slot(c, key);
    for (struct node *n = c->buckets[s]; n; n = n->next)
        if (n->key == key) {
            n->value = value;
            return;
        }
    struct node *n = corpus_xmalloc(sizeof *n);
    n->key = key;
    n->value = value;
    n->stamp = key ^ 0x5a5a5a5a5a5a5a5aULL;
    n->next = c->buckets[s];
    c->buckets[s] = n;
    c->count++;
}

NOINLINE int cache_delete(struct cache *c, uint64_t key)
{
    struct node **pp = &c->buckets[cache_slot(c, key)];
    for (struct node *n = *pp; n; pp = &n->next, n = n->next)
        if (n->key == key) {
            *pp = n->next;
            free(n);
            c->count--;
            return 1;
        }
    return 0;
}

static size_t cache_nonempty(const struct cache *c)
{
    size_t k = 0;
    for (size_t i = 0; i < c->nbuckets; i++)
        k += c->buckets[i] != NULL;
    return k;
}

#define N_ENTRIES 380000
#define KEEP_EVERY 128

int main(void)
{
    corpus_start();
    struct cache *c = cache_create(1024);
    for (uint64_t i = 0; i < N_ENTRIES; i++)
        cache_insert(c, i, i * 3);
    size_t peak_ne = cache_nonempty(c);
    double peak = (double)peak_ne / (double)c->nbuckets;
    corpus_phase("peak", "buckets=%zu bytes=%zu entries=%zu nonempty=%zu occupancy=%.4f",
                 c->nbuckets, c->nbuckets * sizeof(void *), c->count, peak_ne, peak);
    corpus_sleep(HOLD_PEAK_S);

    for (uint64_t i = 0; i < N_ENTRIES; i++)
        if (i % KEEP_EVERY != 0)
            cache_delete(c, i);
    size_t ne = cache_nonempty(c);
    double occ = (double)ne / (double)c->nbuckets;
    corpus_phase("drained", "buckets=%zu entries=%zu nonempty=%zu occupancy=%.4f",
                 c->nbuckets, c->count, ne, occ);
    corpus_truth(c->nbuckets * sizeof(void *), peak, occ);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "cache still allocated");
    return 0;
}
