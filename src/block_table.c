#include "block_table.h"
#include "arena.h"

#include <sched.h>
#include <string.h>

#define NSHARDS 64
#define INITIAL_SLOTS 256

struct block_array {
    uint64_t mask;
    struct block slot[];
};

struct shard {
    int lock;                   /* spinlock: every critical section is short */
    uint64_t count;
    struct block_array *arr;
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

static size_t array_bytes(uint64_t nslots)
{
    size_t size = sizeof(struct block_array) + nslots * sizeof(struct block);
    return (size + 4095) & ~(size_t)4095;
}

static struct block_array *array_new(uint64_t nslots)
{
    struct block_array *a = arena_map(array_bytes(nslots));
    if (a)
        a->mask = nslots - 1;
    return a;
}

void block_table_init(void) {}

static inline void shard_lock(struct shard *sh)
{
    for (unsigned spins = 0; __atomic_exchange_n(&sh->lock, 1, __ATOMIC_ACQUIRE); spins++) {
        while (__atomic_load_n(&sh->lock, __ATOMIC_RELAXED)) {
            __builtin_ia32_pause();
            if (++spins > 1000) {
                sched_yield();          /* the holder was preempted */
                spins = 0;
            }
        }
    }
}

static inline void shard_unlock(struct shard *sh) { __atomic_store_n(&sh->lock, 0, __ATOMIC_RELEASE); }

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
    shard_lock(sh);
    struct block_array *a = sh->arr;
    if (!a || (sh->count + 1) * 2 > a->mask + 1) {
        uint64_t n = a ? (a->mask + 1) * 2 : INITIAL_SLOTS;
        size_t old_bytes = a ? array_bytes(a->mask + 1) : 0;
        struct block_array *bigger = array_new(n);
        if (!bigger) {
            shard_unlock(sh);
            return -1;
        }
        if (a) {
            for (uint64_t i = 0; i <= a->mask; i++)
                if (a->slot[i].addr)
                    place(bigger, &a->slot[i]);
            arena_unmap(a, old_bytes);
        }
        sh->arr = bigger;
        a = bigger;
    }
    /* Raised before the block can be looked up; see block_maybe_tracked. */
    if (place(a, b)) {
        sh->count++;
        filter_raise(addr_hash(b->addr));
    }
    shard_unlock(sh);
    return 0;
}

/* The entry for addr in a locked shard, or NULL. */
static struct block *lookup(struct shard *sh, uintptr_t addr, uint64_t h)
{
    struct block_array *a = sh->arr;
    if (!a)
        return NULL;
    uint64_t i = h & a->mask;
    while (a->slot[i].addr && a->slot[i].addr != addr)
        i = (i + 1) & a->mask;
    return a->slot[i].addr ? &a->slot[i] : NULL;
}

int block_remove_hit(uintptr_t addr, uint64_t h, struct block *out)
{
    struct shard *sh = shard_of(h);
    shard_lock(sh);
    struct block *b = lookup(sh, addr, h);
    if (!b) {
        shard_unlock(sh);
        return 0;
    }
    *out = *b;
    struct block_array *a = sh->arr;
    uint64_t i = (uint64_t)(b - a->slot);
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
    filter_lower(h);
    shard_unlock(sh);
    return 1;
}

int block_find(uintptr_t addr, struct block *out)
{
    uint64_t h = addr_hash(addr);
    struct shard *sh = shard_of(h);
    shard_lock(sh);
    struct block *b = lookup(sh, addr, h);
    if (b)
        *out = *b;
    shard_unlock(sh);
    return b != NULL;
}

size_t block_table_count(void)
{
    size_t n = 0;
    for (int s = 0; s < NSHARDS; s++)
        n += __atomic_load_n(&shards[s].count, __ATOMIC_RELAXED);
    return n;
}

void block_table_lock_all(void)
{
    for (int s = 0; s < NSHARDS; s++)
        shard_lock(&shards[s]);
}

void block_table_unlock_all(void)
{
    for (int s = 0; s < NSHARDS; s++)
        shard_unlock(&shards[s]);
}

void block_table_after_fork_child(void)
{
    for (int s = 0; s < NSHARDS; s++)
        shards[s].lock = 0;
}
