#include "referents.h"
#include "arena.h"

#include <pthread.h>

#define FREED_SLOTS (1u << 16)
/* Registration stops at 1/16 of the filter's bits (65,536 referents): at
 * most one free in 16 of an unrelated block takes the slow path. */
#define FILTER_BUDGET ((1u << REFERENT_FILTER_BITS) / 16)

int referents_armed;
uint64_t referent_filter[(1u << REFERENT_FILTER_BITS) / 64];
static uint32_t filter_bits_set;

static pthread_mutex_t freed_lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t *freed;                /* open addressing; 0 empty, 1 deleted */
uint32_t referents_nfreed;
#define nfreed referents_nfreed

/* Not the filter's hash: its bits would pick the same slots for every
 * address of one filter bit. */
static inline uint32_t slot_of(uintptr_t p)
{
    return (uint32_t)hash_mix((uint64_t)p) & (FREED_SLOTS - 1);
}

static uintptr_t *find(uintptr_t p, int for_insert)
{
    uint32_t i = slot_of(p);
    uintptr_t *tomb = NULL;
    for (uint32_t n = 0; n < FREED_SLOTS; n++, i = (i + 1) & (FREED_SLOTS - 1)) {
        if (freed[i] == p)
            return &freed[i];
        if (freed[i] == 1 && !tomb)
            tomb = &freed[i];
        if (freed[i] == 0)
            return for_insert ? (tomb ? tomb : &freed[i]) : NULL;
    }
    return for_insert ? tomb : NULL;
}

void referents_freed(uintptr_t p)
{
    pthread_mutex_lock(&freed_lock);
    if (freed && nfreed < FREED_SLOTS / 2) {
        uintptr_t *s = find(p, 1);
        if (s && *s != p) {
            *s = p;
            __atomic_store_n(&nfreed, nfreed + 1, __ATOMIC_RELAXED);
        }
    }
    pthread_mutex_unlock(&freed_lock);
}

void referents_reused_slow(uintptr_t p)
{
    pthread_mutex_lock(&freed_lock);
    if (freed && nfreed) {
        uintptr_t *s = find(p, 0);
        if (s) {
            *s = 1;
            __atomic_store_n(&nfreed, nfreed - 1, __ATOMIC_RELAXED);
        }
    }
    pthread_mutex_unlock(&freed_lock);
}

int referents_register(uintptr_t v)
{
    if (!freed) {
        freed = arena_alloc(FREED_SLOTS * sizeof *freed);
        if (!freed)
            return 0;
    }
    uint32_t b = referent_bit(v);
    uint64_t mask = 1ull << (b & 63);
    if (referent_filter[b >> 6] & mask)
        return 1;
    if (filter_bits_set >= FILTER_BUDGET)
        return 0;
    __atomic_fetch_or(&referent_filter[b >> 6], mask, __ATOMIC_RELAXED);
    filter_bits_set++;
    if (!referents_armed)
        __atomic_store_n(&referents_armed, 1, __ATOMIC_RELEASE);
    return 1;
}

int referents_is_freed(uintptr_t v)
{
    return freed && nfreed && find(v, 0) != NULL;
}

void referents_lock(void) { pthread_mutex_lock(&freed_lock); }
void referents_unlock(void) { pthread_mutex_unlock(&freed_lock); }
void referents_after_fork_child(void) { pthread_mutex_init(&freed_lock, NULL); }
