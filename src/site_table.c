#include "site_table.h"
#include "arena.h"
#include "hash.h"
#include "mutex.h"

#include <pthread.h>
#include <string.h>

struct site_index {
    uint64_t mask;
    struct site *slots[];
};

static struct site_index *index_now;
static uint32_t nsites;
static struct site *all_sites;
static struct rmutex insert_lock = RMUTEX_INIT(LOCK_RANK_SITES);

static uint64_t stack_hash(const uintptr_t *ips, int n, const uintptr_t *words, int nwords)
{
    uint64_t h = 0x243F6A8885A308D3ull ^ (uint64_t)n;
    for (int i = 0; i < n; i++)
        h = hash_combine(h, ips[i]);
    for (int i = 0; i < nwords; i++)
        h = hash_combine(h, words[i]);
    return h;
}

static struct site_index *index_new(uint64_t cap)
{
    struct site_index *x = arena_alloc(sizeof *x + cap * sizeof(struct site *));
    if (x)
        x->mask = cap - 1;
    return x;
}

void site_table_init(void)
{
    index_now = index_new(1 << 10);     /* grows; most programs have few sites */
}

static struct site *find(struct site_index *x, uint64_t h, const uintptr_t *ips, int n,
                         const uintptr_t *words, int nwords)
{
    for (uint64_t i = h & x->mask;; i = (i + 1) & x->mask) {
        struct site *s = __atomic_load_n(&x->slots[i], __ATOMIC_ACQUIRE);
        if (!s)
            return NULL;
        if (s->hash == h && s->nframes == (uint32_t)n && s->nwords == (uint32_t)nwords &&
            !memcmp(s->ips, ips, n * sizeof *ips) &&
            (!nwords || !memcmp(s->ips + n, words, nwords * sizeof *words)))
            return s;
    }
}

static void place(struct site_index *x, struct site *s)
{
    uint64_t i = s->hash & x->mask;
    while (x->slots[i])
        i = (i + 1) & x->mask;
    __atomic_store_n(&x->slots[i], s, __ATOMIC_RELEASE);
}

struct site *site_intern(const uintptr_t *ips, int n)
{
    return site_intern_with(ips, n, NULL, 0);
}

struct site *site_intern_with(const uintptr_t *ips, int n, const uintptr_t *words, int nwords)
{
    uint64_t h = stack_hash(ips, n, words, nwords);
    struct site_index *x = __atomic_load_n(&index_now, __ATOMIC_ACQUIRE);
    if (!x)
        return NULL;
    struct site *s = find(x, h, ips, n, words, nwords);
    if (s)
        return s;

    rmutex_lock(&insert_lock);
    x = index_now;
    s = find(x, h, ips, n, words, nwords);
    if (!s && (nsites + 1) * 2 > x->mask + 1) {
        /* Grow.  The old index stays mapped: a reader may still be probing it,
         * and every site it holds is still in it, so a stale read is only a
         * miss that retries under the lock. */
        struct site_index *bigger = index_new((x->mask + 1) * 2);
        if (bigger) {
            for (struct site *t = all_sites; t; t = t->next_all)
                place(bigger, t);
            __atomic_store_n(&index_now, bigger, __ATOMIC_RELEASE);
            x = bigger;
        }
    }
    if (!s && (nsites + 1) * 4 < (x->mask + 1) * 3) {
        s = arena_alloc(sizeof *s + (n + nwords) * sizeof *ips);
        if (s) {
            s->id = ++nsites;
            s->nframes = (uint32_t)n;
            s->nwords = (uint32_t)nwords;
            s->hash = h;
            memcpy(s->ips, ips, n * sizeof *ips);
            if (nwords)
                memcpy(s->ips + n, words, nwords * sizeof *words);
            s->next_all = all_sites;
            __atomic_store_n(&all_sites, s, __ATOMIC_RELEASE);
            place(x, s);
        }
    }
    rmutex_unlock(&insert_lock);
    return s;
}

struct site *site_list(void) { return __atomic_load_n(&all_sites, __ATOMIC_ACQUIRE); }
uint32_t site_count(void) { return __atomic_load_n(&nsites, __ATOMIC_RELAXED); }

void site_account_alloc(struct site *s, uint64_t count, uint64_t bytes)
{
    __atomic_add_fetch(&s->allocations, count, __ATOMIC_RELAXED);
    int64_t live = __atomic_add_fetch(&s->live_bytes, (int64_t)bytes, __ATOMIC_RELAXED);
    int64_t peak = __atomic_load_n(&s->peak_live_bytes, __ATOMIC_RELAXED);
    while (live > peak && !__atomic_compare_exchange_n(&s->peak_live_bytes, &peak, live, 1,
                                                       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

void site_account_free(struct site *s, uint64_t count, uint64_t bytes)
{
    __atomic_add_fetch(&s->frees, count, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&s->live_bytes, (int64_t)bytes, __ATOMIC_RELAXED);
}

void site_table_lock(void) { rmutex_lock(&insert_lock); }
void site_table_unlock(void) { rmutex_unlock(&insert_lock); }
void site_table_after_fork_child(void) { rmutex_reset(&insert_lock); }
