/*
 * p6_gomap_inline (POSITIVE): an open-addressing table with large inline
 * values, modelled on Go's (pre-1.24) map runtime.
 *
 * Like a Go map, the backing array is one block of buckets, each holding 8
 * tophash bytes, then 8 keys, then 8 values stored inline (Go keeps values of
 * up to 128 bytes inline; here each value is exactly 128 bytes).  tophash
 * codes are Go's: 0 = empty (never used), 1 = emptyOne (deleted), >= 5 =
 * full.  Differences, for brevity: a full bucket probes into the next bucket
 * instead of chaining an overflow bucket, and growth evacuates everything at
 * once (Go does it incrementally, then frees the old array the same way).
 * Like Go, the table grows (2x) when the count passes 6.5 per bucket and
 * never shrinks; mapdelete clears the deleted key and value to zero and
 * marks the slot emptyOne.
 *
 * Timeline: insert 100,000 entries (the array grows to 16,384 buckets of
 * 1,096 bytes = 17.1 MiB, 131,072 slots), hold 1.2 s, delete all but every
 * 128th (0.8% kept), hold 1.5 s, exit(0) with the map still allocated.
 *
 * Truth: occupancy = full slots / 131,072 slots.
 */
#include "corpus.h"

#define SLOTS 8
#define EMPTY_REST 0
#define EMPTY_ONE 1
#define MIN_TOPHASH 5

struct value {                 /* 128 bytes, stored inline like Go does */
    uint64_t id;
    uint64_t created;
    uint64_t counters[10];
    char name[32];
};

struct bucket {
    uint8_t tophash[SLOTS];
    uint64_t keys[SLOTS];
    struct value values[SLOTS];
};

struct gomap {
    struct bucket *buckets;
    size_t nbuckets;          /* power of two */
    size_t count;
};

static inline uint8_t tophash_of(uint64_t h)
{
    uint8_t t = (uint8_t)(h >> 56);
    return t < MIN_TOPHASH ? (uint8_t)(t + MIN_TOPHASH) : t;
}

NOINLINE struct gomap *gomap_make(size_t nbuckets)
{
    struct gomap *m = corpus_xmalloc(sizeof *m);
    m->buckets = corpus_xcalloc(nbuckets, sizeof(struct bucket));
    m->nbuckets = nbuckets;
    m->count = 0;
    return m;
}

/* Place a key known to be absent; returns its value slot. */
static struct value *place(struct bucket *bs, size_t nb, uint64_t key, uint64_t h)
{
    size_t b = (size_t)(h & (nb - 1));
    for (;; b = (b + 1) & (nb - 1))
        for (int i = 0; i < SLOTS; i++)
            if (bs[b].tophash[i] < MIN_TOPHASH) {
                bs[b].tophash[i] = tophash_of(h);
                bs[b].keys[i] = key;
                return &bs[b].values[i];
            }
}

NOINLINE void gomap_grow(struct gomap *m)
{
    size_t nb = m->nbuckets * 2;
    struct bucket *nbs = corpus_xcalloc(nb, sizeof(struct bucket));
    for (size_t b = 0; b < m->nbuckets; b++)
        for (int i = 0; i < SLOTS; i++)
            if (m->buckets[b].tophash[i] >= MIN_TOPHASH) {
                uint64_t k = m->buckets[b].keys[i];
                *place(nbs, nb, k, corpus_mix(k)) = m->buckets[b].values[i];
            }
    free(m->buckets);
    m->buckets = nbs;
    m->nbuckets = nb;
}

/* Find a key's slot: probe until a never-used slot (tophash 0). */
static int find(struct gomap *m, uint64_t key, uint64_t h, size_t *pb, int *pi)
{
    uint8_t top = tophash_of(h);
    size_t b = (size_t)(h & (m->nbuckets - 1));
    for (size_t n = 0; n < m->nbuckets; n++, b = (b + 1) & (m->nbuckets - 1))
        for (int i = 0; i < SLOTS; i++) {
            if (m->buckets[b].tophash[i] == EMPTY_REST)
                return 0;
            if (m->buckets[b].tophash[i] == top && m->buckets[b].keys[i] == key) {
                *pb = b;
                *pi = i;
                return 1;
            }
        }
    return 0;
}

NOINLINE struct value *gomap_assign(struct gomap *m, uint64_t key)
{
    uint64_t h = corpus_mix(key);
    size_t b;
    int i;
    if (find(m, key, h, &b, &i))
        return &m->buckets[b].values[i];
    if ((m->count + 1) * 2 > m->nbuckets * 13)      /* load factor 6.5 */
        gomap_grow(m);
    m->count++;
    return place(m->buckets, m->nbuckets, key, h);
}

NOINLINE int gomap_delete(struct gomap *m, uint64_t key)
{
    size_t b;
    int i;
    if (!find(m, key, corpus_mix(key), &b, &i))
        return 0;
    memset(&m->buckets[b].keys[i], 0, sizeof(uint64_t));      /* as Go clears */
    memset(&m->buckets[b].values[i], 0, sizeof(struct value));
    m->buckets[b].tophash[i] = EMPTY_ONE;
    m->count--;
    return 1;
}

static size_t full_slots(const struct gomap *m)
{
    size_t k = 0;
    for (size_t b = 0; b < m->nbuckets; b++)
        for (int i = 0; i < SLOTS; i++)
            k += m->buckets[b].tophash[i] >= MIN_TOPHASH;
    return k;
}

#define N_ENTRIES 100000
#define KEEP_EVERY 128

int main(void)
{
    corpus_start();
    struct gomap *m = gomap_make(1);
    for (uint64_t i = 0; i < N_ENTRIES; i++) {
        uint64_t key = i + 1;
        struct value *v = gomap_assign(m, key);
        v->id = key;
        v->created = 1700000000000ULL + i;
        for (int w = 0; w < 10; w++)
            v->counters[w] = corpus_mix(key * 16 + (uint64_t)w) | 1;
        memset(v->name, 'a' + (int)(i % 26), sizeof v->name);
    }
    size_t slots = m->nbuckets * SLOTS;
    double peak = (double)full_slots(m) / (double)slots;
    corpus_phase("peak", "buckets=%zu bytes=%zu slots=%zu count=%zu occupancy=%.4f",
                 m->nbuckets, m->nbuckets * sizeof(struct bucket), slots, m->count, peak);
    corpus_sleep(HOLD_PEAK_S);

    for (uint64_t i = 0; i < N_ENTRIES; i++)
        if (i % KEEP_EVERY != 0)
            gomap_delete(m, i + 1);
    double occ = (double)full_slots(m) / (double)(m->nbuckets * SLOTS);
    corpus_phase("drained", "buckets=%zu count=%zu occupancy=%.4f", m->nbuckets, m->count, occ);
    corpus_truth(m->nbuckets * sizeof(struct bucket), peak, occ);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "map still allocated");
    exit(0);
}
