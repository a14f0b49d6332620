/* mapping_table.h: the anonymous mappings libretain tracks as blocks (large
 * private anonymous mmaps made through the C library, interpose_mmap.c).
 *
 * Unlike heap blocks, mappings are unmapped by range: a munmap may cut the
 * head or the tail of one, split it, or cover several.  So the table is
 * kept sorted by address, its entries never overlap, and removal is by
 * range.  One spinlock; no allocation under it.  Few entries (only
 * mappings of RETAIN_MIN_SIZE and up), so a sorted array. */
#ifndef RETAIN_MAPPING_TABLE_H
#define RETAIN_MAPPING_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct site;
struct watch;

struct mapping {
    uintptr_t lo, hi;           /* [lo, hi), page-aligned */
    struct site *site;
    struct watch *watch;
    uint32_t birth_ms;          /* since profiler start */
    uintptr_t origin;           /* the mmap call's return address: the call site */
};

/* How many mappings are tracked: the hooks' fast path when 0. */
extern size_t mapping_count;
static inline int mapping_table_empty(void)
{
    return __atomic_load_n(&mapping_count, __ATOMIC_RELAXED) == 0;
}

/* Inserts m ([lo, hi) must overlap no entry: cut first).  Returns 0, or -1
 * when the table cannot grow (m is then untracked). */
int mapping_insert(const struct mapping *m);

/* Removes up to max entries overlapping [lo, hi), copied whole into out (the
 * caller re-inserts the parts outside the range it keeps).  Returns how many
 * were removed: call again while it returns max. */
int mapping_cut(uintptr_t lo, uintptr_t hi, struct mapping *out, int max);

/* Removes up to max entries of this origin and exactly this size (as
 * mapping_cut); returns how many. */
int mapping_cut_like(uintptr_t origin, uint64_t size, struct mapping *out, int max);
/* How many tracked entries have this origin and exactly this size. */
int mapping_count_like(uintptr_t origin, uint64_t size);

/* Call sites that map an allocator's arenas (interpose_mmap.c decides):
 * the pair (origin, size) is remembered for the process's life (fork
 * included); at most MAPPING_ARENAS_MAX of them. */
#define MAPPING_ARENAS_MAX 64
void mapping_arena_add(uintptr_t origin, uint64_t size);
int mapping_arena_known(uintptr_t origin, uint64_t size);

/* 1 if some tracked entry overlaps [lo, hi): the hooks' second fast path. */
int mapping_overlaps(uintptr_t lo, uintptr_t hi);

/* Copies the entry holding addr; returns 1 if there is one. */
int mapping_find(uintptr_t addr, struct mapping *out);

void mapping_table_lock(void);
void mapping_table_unlock(void);
void mapping_table_after_fork_child(void);

#endif
