/* mapping_table.c: tracked anonymous mappings, sorted by address. */
#include "mapping_table.h"
#include "internal_alloc.h"
#include "lifecycle.h"
#include "spinlock.h"

#include <string.h>

size_t mapping_count;
static struct mapping *entries;
static size_t capacity;
static struct spinlock lock = SPINLOCK_INIT;

static void table_lock(void)
{
    lock_rank_acquire(LOCK_RANK_MAPPINGS);
    spin_lock(&lock);
}

static void table_unlock(void)
{
    spin_unlock(&lock);
    lock_rank_release(LOCK_RANK_MAPPINGS);
}

/* First entry whose hi is above addr (the one holding addr, or the next). */
static size_t first_above(uintptr_t addr)
{
    size_t lo = 0, hi = mapping_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (entries[mid].hi <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int mapping_insert(const struct mapping *m)
{
    for (;;) {
        table_lock();
        if (mapping_count < capacity)
            break;
        /* Grow outside the lock: the allocator may be slow, and must not
         * run under a spinlock. */
        size_t want = capacity ? capacity * 2 : 64;
        table_unlock();
        struct mapping *bigger = internal_malloc(want * sizeof *bigger);
        if (!bigger)
            return -1;
        table_lock();
        struct mapping *old = NULL;
        if (want > capacity) {
            if (mapping_count)
                memcpy(bigger, entries, mapping_count * sizeof *entries);
            old = entries;
            entries = bigger;
            capacity = want;
        } else {
            old = bigger;       /* another thread grew it meanwhile */
        }
        table_unlock();
        internal_free(old);
    }
    size_t at = first_above(m->lo);
    memmove(&entries[at + 1], &entries[at], (mapping_count - at) * sizeof *entries);
    entries[at] = *m;
    __atomic_store_n(&mapping_count, mapping_count + 1, __ATOMIC_RELAXED);
    table_unlock();
    return 0;
}

int mapping_cut(uintptr_t lo, uintptr_t hi, struct mapping *out, int max)
{
    if (hi <= lo || max <= 0)
        return 0;
    table_lock();
    size_t at = first_above(lo), end = at;
    int n = 0;
    while (end < mapping_count && entries[end].lo < hi && n < max)
        out[n++] = entries[end++];
    if (n) {
        memmove(&entries[at], &entries[end], (mapping_count - end) * sizeof *entries);
        __atomic_store_n(&mapping_count, mapping_count - (size_t)n, __ATOMIC_RELAXED);
    }
    table_unlock();
    return n;
}

int mapping_overlaps(uintptr_t lo, uintptr_t hi)
{
    if (mapping_table_empty() || hi <= lo)
        return 0;
    table_lock();
    size_t at = first_above(lo);
    int overlaps = at < mapping_count && entries[at].lo < hi;
    table_unlock();
    return overlaps;
}

int mapping_find(uintptr_t addr, struct mapping *out)
{
    if (mapping_table_empty())
        return 0;
    table_lock();
    size_t at = first_above(addr);
    int found = at < mapping_count && entries[at].lo <= addr;
    if (found)
        *out = entries[at];
    table_unlock();
    return found;
}

int mapping_cut_like(uintptr_t origin, uint64_t size, struct mapping *out, int max)
{
    table_lock();
    int n = 0;
    size_t kept = 0;
    for (size_t i = 0; i < mapping_count; i++) {
        if (n < max && entries[i].origin == origin && entries[i].hi - entries[i].lo == size)
            out[n++] = entries[i];
        else
            entries[kept++] = entries[i];
    }
    __atomic_store_n(&mapping_count, kept, __ATOMIC_RELAXED);
    table_unlock();
    return n;
}

int mapping_count_like(uintptr_t origin, uint64_t size)
{
    if (mapping_table_empty())
        return 0;
    table_lock();
    int n = 0;
    for (size_t i = 0; i < mapping_count; i++)
        n += entries[i].origin == origin && entries[i].hi - entries[i].lo == size;
    table_unlock();
    return n;
}

static struct {
    uintptr_t origin;
    uint64_t size;
} arenas[MAPPING_ARENAS_MAX];
static int narenas;             /* published with release: entries below it are set */

void mapping_arena_add(uintptr_t origin, uint64_t size)
{
    table_lock();
    int n = narenas;
    if (n < MAPPING_ARENAS_MAX && !mapping_arena_known(origin, size)) {
        arenas[n].origin = origin;
        arenas[n].size = size;
        __atomic_store_n(&narenas, n + 1, __ATOMIC_RELEASE);
    }
    table_unlock();
}

int mapping_arena_known(uintptr_t origin, uint64_t size)
{
    int n = __atomic_load_n(&narenas, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (arenas[i].origin == origin && arenas[i].size == size)
            return 1;
    return 0;
}

void mapping_table_lock(void) { table_lock(); }
void mapping_table_unlock(void) { table_unlock(); }
/* The child keeps the table: private mappings are inherited with their
 * contents, and their watches with them (retention keeps its records). */
void mapping_table_after_fork_child(void)
{
    spin_reset(&lock);
    lock_rank_release(LOCK_RANK_MAPPINGS);
}
