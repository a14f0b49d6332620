/* referents.c: the registered referents of watched tables, exactly, and
 * which of them were freed since.
 *
 * The bit filter (referents.h) keeps free() cheap: only a free whose
 * address hits a set bit takes the lock.  Behind it, an exact set of the
 * addresses the sampler registered, each with a "freed" bit: a free of an
 * address that merely shares a filter bit changes nothing, so what the set
 * holds is bounded by what was registered, not by how much the program
 * frees (a set of freed addresses fed by filter hits filled up after ~32,000
 * frees once a runtime's GC freed a million strings, and went silently
 * wrong).  Registration stops at REGISTER_MAX addresses, and the report says
 * so (referents_stats: "saturated"): pointers registered later are taken as
 * live, so a saturated set can miss a drop, never invent one. */
#include "referents.h"
#include "cold.h"
#include "arena.h"

#include <pthread.h>

#define SET_SLOTS (1u << 17)
#define REGISTER_MAX (SET_SLOTS / 2)
/* Registration also stops at 1/16 of the filter's bits: at most one free in
 * 16 of an unrelated block takes the slow path. */
#define FILTER_BUDGET ((1u << REFERENT_FILTER_BITS) / 16)
#define FREED_BIT 1u            /* addresses are 8-aligned (WORD_POINTER) */
#define TOMB 2u                 /* a slot whose address was forgotten */

int referents_armed;
COLD_BSS uint64_t referent_filter[(1u << REFERENT_FILTER_BITS) / 64];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    uintptr_t *set;             /* open addressing: 0 empty, address | FREED_BIT */
    uint32_t nregistered, filter_bits_set;
    uint64_t refused;           /* registrations refused once full */
} st;
uint32_t referents_nfreed;

/* Not the filter's hash: its bits would pick the same slots for every
 * address of one filter bit. */
static inline uint32_t slot_of(uintptr_t p) { return (uint32_t)hash_mix((uint64_t)p) & (SET_SLOTS - 1); }

/* The slot holding p, or (insert) the empty one where it would go. */
static uintptr_t *find(uintptr_t p, int insert)
{
    uint32_t i = slot_of(p);
    for (uint32_t n = 0; n < SET_SLOTS; n++, i = (i + 1) & (SET_SLOTS - 1)) {
        uintptr_t v = st.set[i];
        if (v == 0)
            return insert ? &st.set[i] : NULL;
        if ((v & ~(uintptr_t)FREED_BIT) == p)
            return &st.set[i];
    }
    return NULL;
}

void referents_freed(uintptr_t p)
{
    pthread_mutex_lock(&lock);
    uintptr_t *s = st.set ? find(p, 0) : NULL;
    if (s && !(*s & FREED_BIT)) {
        *s |= FREED_BIT;
        __atomic_store_n(&referents_nfreed, referents_nfreed + 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&lock);
}

void referents_reused_slow(uintptr_t p)
{
    pthread_mutex_lock(&lock);
    uintptr_t *s = st.set ? find(p, 0) : NULL;
    if (s && (*s & FREED_BIT)) {
        *s &= ~(uintptr_t)FREED_BIT;
        __atomic_store_n(&referents_nfreed, referents_nfreed - 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&lock);
}

int referents_register_locked(uintptr_t v)
{
    if (v & 7)
        return 1;
    if (!st.set) {
        st.set = arena_alloc(SET_SLOTS * sizeof *st.set);
        if (!st.set)
            return 0;
    }
    uintptr_t *s = find(v, 1);
    if (s && *s)
        return 1;               /* known (and, if freed, still freed) */
    uint32_t b = referent_bit(v);
    uint64_t mask = 1ull << (b & 63);
    int new_bit = !(referent_filter[b >> 6] & mask);
    if (!s || st.nregistered >= REGISTER_MAX || (new_bit && st.filter_bits_set >= FILTER_BUDGET)) {
        st.refused++;
        return 0;
    }
    *s = v;
    st.nregistered++;
    if (new_bit) {
        __atomic_fetch_or(&referent_filter[b >> 6], mask, __ATOMIC_RELAXED);
        st.filter_bits_set++;
    }
    if (!referents_armed)
        __atomic_store_n(&referents_armed, 1, __ATOMIC_RELEASE);
    return 1;
}

int referents_is_freed(uintptr_t v)
{
    if (!st.set || !referents_nfreed)
        return 0;
    uintptr_t *s = find(v, 0);
    return s && (*s & FREED_BIT);
}

void referents_stats(struct referents_stats *out)
{
    pthread_mutex_lock(&lock);
    out->registered = st.nregistered;
    out->freed = referents_nfreed;
    out->refused = st.refused;
    out->capacity = REGISTER_MAX;
    out->bytes = st.set ? SET_SLOTS * sizeof *st.set : 0;
    pthread_mutex_unlock(&lock);
}

void referents_lock(void) { pthread_mutex_lock(&lock); }
void referents_unlock(void) { pthread_mutex_unlock(&lock); }
void referents_after_fork_child(void) { pthread_mutex_init(&lock, NULL); }
