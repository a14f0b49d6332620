/* referents.h: liveness of what watched tables point to (DESIGN §2a).
 *
 * A std::vector<T*> after clear(), or a table whose deleted slots keep stale
 * pointers, looks as full as ever to every content probe; what changed is
 * that the blocks its words point to were freed.  The sampler registers the
 * pointer values it reads in watched blocks in an exact set behind a bit
 * filter; free() tests one bit, and on a hit marks the address freed if it
 * was registered; malloc() makes an address handed out again live.  Until some pointer table is
 * watched, the filter is unarmed and costs one predictable branch. */
#ifndef RETAIN_REFERENTS_H
#define RETAIN_REFERENTS_H

#include "hash.h"

#include <stdint.h>

#define REFERENT_FILTER_BITS 20

extern int referents_armed;
extern uint64_t referent_filter[(1u << REFERENT_FILTER_BITS) / 64];

static inline uint32_t referent_bit(uintptr_t p)
{
    return (uint32_t)hash_fib((uint64_t)p, REFERENT_FILTER_BITS);
}

static inline int referent_maybe(uintptr_t p)
{
    uint32_t b = referent_bit(p);
    return (__atomic_load_n(&referent_filter[b >> 6], __ATOMIC_RELAXED) >> (b & 63)) & 1;
}

/* Allocation path: slow halves, called only on a filter hit. */
void referents_freed(uintptr_t p);
void referents_reused_slow(uintptr_t p);
extern uint32_t referents_nfreed;
static inline void referents_reused(uintptr_t p)
{
    if (__atomic_load_n(&referents_nfreed, __ATOMIC_RELAXED))
        referents_reused_slow(p);
}

/* Sampler, between referents_lock and referents_unlock: remember that a
 * watched block points at v.  Returns 0 once registration is full. */
int referents_register_locked(uintptr_t v);
/* Sampler: was v registered and freed since (and not handed out again)?
 * Call between referents_lock and referents_unlock. */
int referents_is_freed(uintptr_t v);

/* For the report: what is registered, freed, and how many registrations
 * were refused because the set was full (then the probe can miss drops). */
struct referents_stats {
    uint64_t registered, freed, refused, capacity;
    uint64_t bytes;             /* the set's memory: made at the first registration */
};
void referents_stats(struct referents_stats *out);
void referents_lock(void);
void referents_unlock(void);
void referents_after_fork_child(void);

#endif
