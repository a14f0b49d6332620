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
#include "hash.h"

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

/* A counting filter in front of the table: one counter per 16-byte granule
 * of address space, modulo 1 MiB, raised on insert and lowered on remove.  A
 * zero counter proves a block untracked without touching the table, which is
 * the common case of free() when small blocks are sampled.  The index is the
 * address itself, not a hash: blocks freed together usually sit together, so
 * their counters share cache lines, and the filter's working set follows the
 * heap's (an eighth of it) instead of a random line per free. */
#define BLOCK_FILTER_BITS 16
extern uint16_t block_filter[1u << BLOCK_FILTER_BITS];

static inline uint16_t *block_filter_slot(uintptr_t a)
{
    return &block_filter[(a >> 4) & ((1u << BLOCK_FILTER_BITS) - 1)];
}

static inline uint64_t block_addr_hash(uintptr_t a)
{
    return hash_fib_folded((uint64_t)a);
}

static inline int block_maybe_tracked(uintptr_t a)
{
    return __atomic_load_n(block_filter_slot(a), __ATOMIC_RELAXED) != 0;
}

void block_table_init(void);
/* Removes the block at addr; returns 1 and a copy in *out if it was tracked.
 * The filter answers for almost every untracked block, inline, without a
 * call; the shard is locked only on a hit. */
int block_remove_hit(uintptr_t addr, struct block *out);
static inline int block_remove(uintptr_t addr, struct block *out)
{
    return block_maybe_tracked(addr) && block_remove_hit(addr, out);
}

/* Returns 0, or -1 when the table cannot grow (the block is then untracked).
 * An entry already there for the same address belongs to a block that was
 * freed where the wrappers could not see it (a library bound to the C
 * library's free, RTLD_DEEPBIND): it is replaced, copied to *stale, and 1 is
 * returned, so that the caller can end what that block still holds. */
int block_insert(const struct block *b, struct block *stale);
/* Gives the tracked block at addr a watch, if the entry there is still the
 * block the caller saw (same site and birth) and has none: returns 1.  Its
 * free then ends the watch. */
int block_attach_watch(uintptr_t addr, const struct site *site, uint32_t birth_ms, struct watch *w);
/* Copies the entry for addr into *out; returns 1 if the block is tracked. */
int block_find(uintptr_t addr, struct block *out);
size_t block_table_count(void);
/* Bytes the table's arrays hold now (its share of arena_bytes()). */
uint64_t block_table_bytes(void);

void block_table_lock_all(void);
void block_table_unlock_all(void);
void block_table_after_fork_child(void);

#endif
