/* block_table.h: the heap blocks libretain tracks one by one: every large
 * block (>= RETAIN_MIN_SIZE), and the sampled (or, in exact mode, all) small
 * ones.  Keyed by address: 64 shards, each an open-addressing array under a
 * spinlock.
 *
 * free() asks "is this block tracked?" for every block; a counting filter
 * answers "no" for almost all untracked blocks without touching a shard. */
#ifndef RETAIN_BLOCK_TABLE_H
#define RETAIN_BLOCK_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct site;
struct watch;

struct block {
    uintptr_t addr;             /* 0 marks an empty slot */
    uint64_t size;              /* bytes requested */
    struct site *site;
    uint32_t weight;            /* allocations this sample stands for (1 when exact) */
    uint32_t birth_ms;          /* since profiler start */
    struct watch *watch;        /* retention watch of a large block, or NULL */
};

/* A counting filter in front of the table: one counter per hash bucket of
 * addresses, raised on insert and lowered on remove.  A zero counter proves a
 * block untracked without touching the table, which is the common case of
 * free() when small blocks are sampled. */
#define BLOCK_FILTER_BITS 16
extern uint16_t block_filter[1u << BLOCK_FILTER_BITS];

static inline uint64_t block_addr_hash(uintptr_t a)
{
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

/* h = block_addr_hash(address) */
static inline int block_maybe_tracked(uint64_t h)
{
    uint32_t i = (uint32_t)(h >> 20) & ((1u << BLOCK_FILTER_BITS) - 1);
    return __atomic_load_n(&block_filter[i], __ATOMIC_RELAXED) != 0;
}

void block_table_init(void);
/* Removes the block at addr; returns 1 and a copy in *out if it was tracked.
 * The filter answers for almost every untracked block, inline, without a
 * call; the shard is locked only on a hit. */
int block_remove_hit(uintptr_t addr, uint64_t h, struct block *out);
static inline int block_remove(uintptr_t addr, struct block *out)
{
    uint64_t h = block_addr_hash(addr);
    return block_maybe_tracked(h) && block_remove_hit(addr, h, out);
}

/* Returns 0, or -1 when the table cannot grow (the block is then untracked). */
int block_insert(const struct block *b);
/* Copies the entry for addr into *out; returns 1 if the block is tracked. */
int block_find(uintptr_t addr, struct block *out);
size_t block_table_count(void);

void block_table_lock_all(void);
void block_table_unlock_all(void);
void block_table_after_fork_child(void);

#endif
