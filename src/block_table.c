#include "block_table.h"
#include "arena.h"

#include <pthread.h>
#include <string.h>

#define NSHARDS 64
#define INITIAL_SLOTS 256

struct block_array {
    uint64_t mask;
    struct block slot[];
};

struct shard {
    pthread_mutex_t lock;
    uint32_t seq;               /* odd while a writer is changing `arr` */
    uint64_t count;
    struct block_array *arr;
    size_t bytes;               /* mapped by this shard, old arrays included */
    char pad[64];
};

static struct shard shards[NSHARDS];

uint16_t block_filter[1u << BLOCK_FILTER_BITS];

#define addr_hash block_addr_hash

static inline uint16_t *filter_slot(uint64_t h)
{
    return &block_filter[(uint32_t)(h >> 20) & ((1u << BLOCK_FILTER_BITS) - 1)];
}

/* Raised before the block is visible in the table; a counter that reached
 * the top stays there (it then only costs a table probe). */
static void filter_raise(uint64_t h)
{
    uint16_t *c = filter_slot(h);
    uint16_t v = __atomic_load_n(c, __ATOMIC_RELAXED);
    while (v != UINT16_MAX &&
           !__atomic_compare_exchange_n(c, &v, (uint16_t)(v + 1), 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        ;
}

static void filter_lower(uint64_t h)
{
    uint16_t *c = filter_slot(h);
    uint16_t v = __atomic_load_n(c, __ATOMIC_RELAXED);
    while (v != UINT16_MAX && v != 0 &&
           !__atomic_compare_exchange_n(c, &v, (uint16_t)(v - 1), 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

static inline struct shard *shard_of(uint64_t h) { return &shards[h >> 58]; }

static struct block_array *array_new(uint64_t nslots, size_t *bytes)
{
    size_t size = sizeof(struct block_array) + nslots * sizeof(struct block);
    size = (size + 4095) & ~(size_t)4095;
    struct block_array *a = arena_map(size);
    if (a) {
        a->mask = nslots - 1;
        *bytes += size;
    }
    return a;
}

void block_table_init(void)
{
    for (int i = 0; i < NSHARDS; i++)
        pthread_mutex_init(&shards[i].lock, NULL);
}

static inline void write_begin(struct shard *sh)
{
    __atomic_store_n(&sh->seq, sh->seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void write_end(struct shard *sh)
{
    __atomic_store_n(&sh->seq, sh->seq + 1, __ATOMIC_RELEASE);
}

/* Returns 1 when a new slot was used, 0 when an entry for the same address
 * was replaced (a stale one, left by a free the profiler could not see). */
static int place(struct block_array *a, const struct block *b)
{
    uint64_t i = addr_hash(b->addr) & a->mask;
    while (a->slot[i].addr && a->slot[i].addr != b->addr)
        i = (i + 1) & a->mask;
    int fresh = !a->slot[i].addr;
    a->slot[i] = *b;
    return fresh;
}

int block_insert(const struct block *b)
{
    struct shard *sh = shard_of(addr_hash(b->addr));
    pthread_mutex_lock(&sh->lock);
    struct block_array *a = sh->arr;
    if (!a || (sh->count + 1) * 2 > a->mask + 1) {
        uint64_t n = a ? (a->mask + 1) * 2 : INITIAL_SLOTS;
        struct block_array *bigger = array_new(n, &sh->bytes);
        if (!bigger) {
            pthread_mutex_unlock(&sh->lock);
            return -1;
        }
        if (a)
            for (uint64_t i = 0; i <= a->mask; i++)
                if (a->slot[i].addr)
                    place(bigger, &a->slot[i]);
        /* The old array stays mapped: a lock-free reader may be probing it.
         * Arrays double, so the old ones together are smaller than the new. */
        write_begin(sh);
        __atomic_store_n(&sh->arr, bigger, __ATOMIC_RELEASE);
        a = bigger;
    } else {
        write_begin(sh);
    }
    if (place(a, b)) {
        sh->count++;
        filter_raise(addr_hash(b->addr));
    }
    write_end(sh);
    pthread_mutex_unlock(&sh->lock);
    return 0;
}

/* Lock-free membership test: a consistent snapshot of the shard is one that
 * no writer touched between the two reads of seq. */
static int contains(struct shard *sh, uintptr_t addr, uint64_t h)
{
    for (;;) {
        uint32_t s1 = __atomic_load_n(&sh->seq, __ATOMIC_ACQUIRE);
        if (s1 & 1) {
            __builtin_ia32_pause();
            continue;
        }
        struct block_array *a = __atomic_load_n(&sh->arr, __ATOMIC_ACQUIRE);
        int found = 0;
        if (a) {
            for (uint64_t i = h & a->mask;; i = (i + 1) & a->mask) {
                uintptr_t k = __atomic_load_n(&a->slot[i].addr, __ATOMIC_RELAXED);
                if (!k)
                    break;
                if (k == addr) {
                    found = 1;
                    break;
                }
            }
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&sh->seq, __ATOMIC_RELAXED) == s1)
            return found;
    }
}

int block_remove(uintptr_t addr, struct block *out)
{
    uint64_t h = addr_hash(addr);
    struct shard *sh = shard_of(h);
    if (!block_maybe_tracked(addr) || !contains(sh, addr, h))
        return 0;
    pthread_mutex_lock(&sh->lock);
    struct block_array *a = sh->arr;
    uint64_t i = h & a->mask;
    while (a->slot[i].addr && a->slot[i].addr != addr)
        i = (i + 1) & a->mask;
    if (!a->slot[i].addr) {
        pthread_mutex_unlock(&sh->lock);
        return 0;
    }
    *out = a->slot[i];
    write_begin(sh);
    /* Backward-shift deletion keeps probe chains intact without tombstones. */
    uint64_t hole = i;
    for (uint64_t j = (i + 1) & a->mask; a->slot[j].addr; j = (j + 1) & a->mask) {
        uint64_t home = addr_hash(a->slot[j].addr) & a->mask;
        /* Move j into the hole unless its home lies cyclically in (hole, j]. */
        if (((j - home) & a->mask) >= ((j - hole) & a->mask)) {
            a->slot[hole] = a->slot[j];
            hole = j;
        }
    }
    memset(&a->slot[hole], 0, sizeof a->slot[hole]);
    sh->count--;
    write_end(sh);
    filter_lower(h);
    pthread_mutex_unlock(&sh->lock);
    return 1;
}

int block_find(uintptr_t addr, struct block *out)
{
    uint64_t h = addr_hash(addr);
    struct shard *sh = shard_of(h);
    pthread_mutex_lock(&sh->lock);
    struct block_array *a = sh->arr;
    int found = 0;
    if (a) {
        uint64_t i = h & a->mask;
        while (a->slot[i].addr && a->slot[i].addr != addr)
            i = (i + 1) & a->mask;
        if (a->slot[i].addr) {
            *out = a->slot[i];
            found = 1;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    return found;
}

void block_table_foreach(void (*fn)(const struct block *, void *), void *arg)
{
    for (int s = 0; s < NSHARDS; s++) {
        struct shard *sh = &shards[s];
        pthread_mutex_lock(&sh->lock);
        struct block_array *a = sh->arr;
        if (a)
            for (uint64_t i = 0; i <= a->mask; i++)
                if (a->slot[i].addr)
                    fn(&a->slot[i], arg);
        pthread_mutex_unlock(&sh->lock);
    }
}

size_t block_table_count(void)
{
    size_t n = 0;
    for (int s = 0; s < NSHARDS; s++)
        n += __atomic_load_n(&shards[s].count, __ATOMIC_RELAXED);
    return n;
}

size_t block_table_bytes(void)
{
    size_t n = 0;
    for (int s = 0; s < NSHARDS; s++)
        n += __atomic_load_n(&shards[s].bytes, __ATOMIC_RELAXED);
    return n;
}

void block_table_lock_all(void)
{
    for (int s = 0; s < NSHARDS; s++)
        pthread_mutex_lock(&shards[s].lock);
}

void block_table_unlock_all(void)
{
    for (int s = 0; s < NSHARDS; s++)
        pthread_mutex_unlock(&shards[s].lock);
}

void block_table_after_fork_child(void)
{
    for (int s = 0; s < NSHARDS; s++)
        pthread_mutex_init(&shards[s].lock, NULL);
}
