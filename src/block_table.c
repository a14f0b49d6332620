#include "block_table.h"
#include "cold.h"
#include "arena.h"
#include "lifecycle.h"
#include "spinlock.h"

#include <string.h>

#define NSHARDS 64
/* Most shards hold a handful of blocks when small ones are sampled: small
 * arrays come from the shared arena (a page per shard up front would be 256
 * KiB of resident memory in every process); arrays of a page or more are
 * mapped on their own and unmapped when outgrown. */
#define INITIAL_SLOTS 8
#define PAGE 4096

struct block_array {
    uint64_t mask;
    struct block slot[];
};

/* A cache line each: threads freeing blocks of different shards must not
 * take each other's line (88-byte shards shared lines, and the lock's
 * exchange was 1.4% of a three-thread large-block churn). */
struct shard {
    struct spinlock lock;       /* every critical section is a probe or a short shift */
    uint64_t count;
    struct block_array *arr;
} __attribute__((aligned(64)));

static struct shard shards[NSHARDS];

COLD_BSS uint16_t block_filter[1u << BLOCK_FILTER_BITS];

/* Raised before the block is visible in the table; a counter that reached
 * the top stays there (it then only costs a table probe). */
static void filter_raise(uintptr_t addr)
{
    uint16_t *c = block_filter_slot(addr);
    uint16_t v = __atomic_load_n(c, __ATOMIC_RELAXED);
    while (v != UINT16_MAX &&
           !__atomic_compare_exchange_n(c, &v, (uint16_t)(v + 1), 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        ;
}

static void filter_lower(uintptr_t addr)
{
    uint16_t *c = block_filter_slot(addr);
    uint16_t v = __atomic_load_n(c, __ATOMIC_RELAXED);
    while (v != UINT16_MAX && v != 0 &&
           !__atomic_compare_exchange_n(c, &v, (uint16_t)(v - 1), 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

static inline struct shard *shard_of(uint64_t h) { return &shards[h >> 58]; }

static size_t array_bytes(uint64_t nslots)
{
    size_t size = sizeof(struct block_array) + nslots * sizeof(struct block);
    return size < PAGE ? size : (size + PAGE - 1) & ~(size_t)(PAGE - 1);
}

static uint64_t table_bytes;     /* atomic: what the arrays hold now */

static struct block_array *array_new(uint64_t nslots)
{
    size_t bytes = array_bytes(nslots);
    struct block_array *a = bytes < PAGE ? arena_alloc(bytes) : arena_map(bytes);
    if (a) {
        a->mask = nslots - 1;
        __atomic_add_fetch(&table_bytes, bytes, __ATOMIC_RELAXED);
    }
    return a;
}

uint64_t block_table_bytes(void) { return __atomic_load_n(&table_bytes, __ATOMIC_RELAXED); }

/* Arena memory is never returned: an outgrown small array stays, at most
 * a page's worth per shard. */
static void array_free(struct block_array *a)
{
    size_t bytes = array_bytes(a->mask + 1);
    if (bytes >= PAGE) {
        arena_unmap(a, bytes);
        __atomic_sub_fetch(&table_bytes, bytes, __ATOMIC_RELAXED);
    }
}

void block_table_init(void) {}

static inline void shard_lock(struct shard *sh)
{
    lock_rank_acquire(LOCK_RANK_BLOCKS);
    spin_lock(&sh->lock);
}

static inline void shard_unlock(struct shard *sh)
{
    spin_unlock(&sh->lock);
    lock_rank_release(LOCK_RANK_BLOCKS);
}

/* Returns 1 when a new slot was used, 0 when an entry for the same address
 * was replaced (copied to *old first, when old is given). */
static int place(struct block_array *a, const struct block *b, struct block *old)
{
    uint64_t i = block_addr_hash(b->addr) & a->mask;
    while (a->slot[i].addr && a->slot[i].addr != b->addr)
        i = (i + 1) & a->mask;
    int fresh = !a->slot[i].addr;
    if (!fresh && old)
        *old = a->slot[i];
    a->slot[i] = *b;
    return fresh;
}

int block_insert(const struct block *b, struct block *stale)
{
    struct shard *sh = shard_of(block_addr_hash(b->addr));
    shard_lock(sh);
    struct block_array *a = sh->arr;
    if (!a || (sh->count + 1) * 2 > a->mask + 1) {
        uint64_t n = a ? (a->mask + 1) * 2 : INITIAL_SLOTS;
        struct block_array *bigger = array_new(n);
        if (!bigger) {
            shard_unlock(sh);
            return -1;
        }
        if (a) {
            for (uint64_t i = 0; i <= a->mask; i++)
                if (a->slot[i].addr)
                    place(bigger, &a->slot[i], NULL);
            array_free(a);
        }
        sh->arr = bigger;
        a = bigger;
    }
    /* Raised before the block can be looked up; see block_maybe_tracked. */
    int replaced = !place(a, b, stale);
    if (!replaced) {
        sh->count++;
        filter_raise(b->addr);
    }
    shard_unlock(sh);
    return replaced;
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

int block_remove_hit(uintptr_t addr, struct block *out)
{
    uint64_t h = block_addr_hash(addr);
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
        uint64_t home = block_addr_hash(a->slot[j].addr) & a->mask;
        /* Move j into the hole unless its home lies cyclically in (hole, j]. */
        if (((j - home) & a->mask) >= ((j - hole) & a->mask)) {
            a->slot[hole] = a->slot[j];
            hole = j;
        }
    }
    memset(&a->slot[hole], 0, sizeof a->slot[hole]);
    sh->count--;
    filter_lower(addr);
    shard_unlock(sh);
    return 1;
}

int block_attach_watch(uintptr_t addr, const struct site *site, uint32_t birth_ms, struct watch *w)
{
    uint64_t h = block_addr_hash(addr);
    struct shard *sh = shard_of(h);
    shard_lock(sh);
    struct block *b = lookup(sh, addr, h);
    int ok = b && b->site == site && b->birth_ms == birth_ms && !b->watch;
    if (ok)
        b->watch = w;
    shard_unlock(sh);
    return ok;
}

int block_find(uintptr_t addr, struct block *out)
{
    uint64_t h = block_addr_hash(addr);
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
        spin_reset(&shards[s].lock);
    lock_rank_release(LOCK_RANK_BLOCKS);
}
