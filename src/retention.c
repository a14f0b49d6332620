/* retention.c: watched large blocks, their occupancy over time, findings.
 *
 * Program threads only add and end watches (a lock, a few stores).  All
 * reading of block memory happens on the sampler thread, which holds a
 * block's watch lock only while copying its chunks (a few KiB): a free of
 * that block waits at most that long.  A record ends with its block; the
 * records a pass holds (in_pass) end when the pass is done, so a record
 * the sampler is looking at never disappears under it. */
#include "retention.h"
#include "arena.h"
#include "block_table.h"
#include "clock.h"
#include "config.h"
#include "block_read.h"
#include "classify.h"
#include "mapped_ranges.h"
#include "medium.h"
#include "mapping_table.h"
#include "mem_read.h"
#include "probes.h"
#include "site_table.h"
#include "internal_alloc.h"
#include "mutex.h"
#include "spinlock.h"
#include "thread_state.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HISTORY_MAX 32
#define NOT_RETAINED UINT32_MAX
#define PAST_FINDINGS_MAX 256
/* The sampler's share of one core (DESIGN §2: "under a CPU budget"). */
#define CPU_BUDGET 0.02
/* Large blocks from one site that replace each other within this window form
 * a growth series. */
#define GROWTH_WINDOW_MS 2000
#define SLICE_NS 1000000
/* A block at rest is measured less and less often: its gap doubles up to
 * this many intervals (fewer for one that looked like a table: schedule). */
#define BACKOFF_MAX_INTERVALS 32
/* A reading that moved by less than this is "unchanged". */
#define CHANGE_EPSILON 0.02f
/* First looks of medium watches a pass takes beyond its budget (pass). */
#define FIRST_LOOKS_PAST_BUDGET 4

struct history_point {
    uint32_t ms;                /* since the block's birth */
    float occ[PROBES_MAX];      /* -1: no reading */
};

/* What only the sampler reads and writes about a watched block: made at its
 * first measurement, so that a large block that dies young costs a small
 * record and two lock round-trips, not a read plan and a history. */
struct watch_detail {
    struct block_read_plan plan;
    struct slot_layout layout;
    int measured;
    struct probe_track track[PROBES_MAX];       /* by probe_table index */
    int best;                   /* probe that explains the drop, -1 none */
    uint32_t retained_since;    /* ms since profiler start, or NOT_RETAINED */
    uint32_t settled_since;     /* while retained: since when it stopped falling */
    float low_occ;              /* while retained: the lowest reading so far */
    uint32_t gap_ms;            /* until the next measurement */
    uint32_t last_ms, longest_gap_ms;
    uint64_t resident_bytes;    /* of the block, while it is retained */
    int nhist;
    uint32_t hist_step_ms;
    struct history_point hist[HISTORY_MAX];
};

/* A watched block, from its malloc to its free (or the end of the pass that
 * was reading it when it was freed): records are bounded by the blocks
 * alive, whatever the sampler is doing. */
struct watch {
    uintptr_t addr;
    uint64_t size;
    struct site *site;
    uint32_t birth_ms;
    struct spinlock lock;       /* held while the sampler copies the block */
    int ended;                  /* 1: freed, 2: realloc'd; set under lock */
    int unreadable;             /* its memory vanished without a free: not measured */
    int mapped;                 /* an anonymous mapping of its own (mmap), not a heap block */
    int discarded;              /* an allocator's arena after all: ends without a finding */
    uintptr_t origin;           /* a mapping's mmap call site */
    uint32_t end_ms;
    uint32_t successor_ms;      /* a larger block from its site made while it lived, 0 if none */
    uint64_t ann_used, ann_capacity;
    int annotated;
    int in_pass;                /* a pass holds it (registry_lock) */
    int retire_at_pass_end;     /* ended while a pass held it (registry_lock) */
    uint32_t next_due_ms;       /* sampler */
    struct watch_detail *d;     /* sampler; NULL until first measured */
    struct watch *prev, *next;  /* the registry */
    struct medium_site *medium; /* a medium block watched for its site, else NULL */
    struct watch *mprev, *mnext;        /* the site's medium watches (registry_lock) */
};

/* What a pass needs besides the registry: owned by the thread that makes
 * passes (the sampler), passed explicitly, checked in debug builds. */
struct measure_scratch {
    struct mapped_ranges ranges;
    struct block_copy copy;
    struct classified classified;
    uint64_t budget_next_ns;    /* no pass before this (CPU budget) */
#ifdef RETAIN_DEBUG
    pthread_t owner;
#endif
};

static struct rmutex registry_lock = RMUTEX_INIT(LOCK_RANK_RETENTION);
static struct watch *watched;           /* live, and ended while in a pass */
static void *spare_watches, *spare_details;     /* recycled records */
static struct finding *past;            /* findings of blocks already freed */
static int npast;
static struct sampler_stats stats;
/* Medium watches alive, all sites (registry_lock): at most MEDIUM_WATCHES_MAX,
 * so that a program with thousands of medium sites holds at most about
 * 4 MiB of watch details for them. */
#define MEDIUM_WATCHES_MAX 1024
static int medium_watching;
static void (*wake_sampler)(void);     /* set at init: a pass is worth doing soon */
/* No wake before this (clock_now_ns): until then a pass is under way, or
 * the budget forbids one (pass() would return at once), or another
 * allocation has just woken the sampler.  A program that allocates large
 * blocks from a growing site thousands of times a second posted the
 * sampler's semaphore for each (a futex wake and two context switches per
 * block, 6% of bench/bigblocks.c's time) and nearly every one was wasted. */
static uint64_t wake_from_ns;
#define WAKE_COALESCE_NS 1000000ull

/* Wakes the sampler unless that cannot help now (wake_from_ns). */
static void wake_for_pass(void)
{
    uint64_t from = __atomic_load_n(&wake_from_ns, __ATOMIC_RELAXED);
    if (from == UINT64_MAX)
        return;                         /* a pass is under way */
    uint64_t now = clock_now_ns();
    if (now < from ||
        !__atomic_compare_exchange_n(&wake_from_ns, &from, now + WAKE_COALESCE_NS, 0,
                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return;
    wake_sampler();
}

const char *const measure_class_names[MEASURE_CLASSES] = { "first", "table", "changed", "at_rest" };

void retention_init(void (*wake)(void))
{
    wake_sampler = wake;
}

static uint32_t now_ms(void) { return clock_since_start_ms(clock_now_ns()); }

struct measure_scratch *retention_scratch_new(void)
{
    return arena_alloc(sizeof(struct measure_scratch));
}

struct measure_scratch *retention_scratch_fallback(void)
{
    static struct measure_scratch *fallback;
    if (!fallback)
        fallback = retention_scratch_new();
    retention_scratch_adopt(fallback);
    return fallback;
}

void retention_scratch_adopt(struct measure_scratch *s)
{
#ifdef RETAIN_DEBUG
    if (s)
        s->owner = pthread_self();
#else
    (void)s;
#endif
}

static void scratch_check(const struct measure_scratch *s)
{
#ifdef RETAIN_DEBUG
    if (!pthread_equal(s->owner, pthread_self()))
        lock_rank_violation(LOCK_RANK_RETENTION, LOCK_RANK_RETENTION);
#else
    (void)s;
#endif
}

/* ---- the registry ------------------------------------------------------- */

static void link_watch(struct watch *w)
{
    w->prev = NULL;
    w->next = watched;
    if (watched)
        watched->prev = w;
    watched = w;
}

static void unlink_watch(struct watch *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        watched = w->next;
    if (w->next)
        w->next->prev = w->prev;
}

/* Recycled records (watches, details): a free record's first word links
 * the list.  New ones come from the arena, zeroed either way. */
static void *record_take(void **spares, size_t size)
{
    rmutex_lock(&registry_lock);
    void *r = *spares;
    if (r)
        memcpy(spares, r, sizeof *spares);
    rmutex_unlock(&registry_lock);
    if (!r)
        r = arena_alloc(size);
    if (r)
        memset(r, 0, size);
    return r;
}

/* Caller holds registry_lock. */
static void record_put(void **spares, void *r)
{
    memcpy(r, spares, sizeof *spares);
    *spares = r;
}

static int as_finding(const struct watch *w, uint32_t t, struct finding *f);
static int block_reading(const struct watch *w, uint32_t t, struct finding *f);
static void keep_past(const struct finding *f);

/* The record of an ended block leaves the registry: its finding, if it
 * is one, is kept; record and detail are recycled.  Caller holds
 * registry_lock, and no pass holds w.  A medium block's reading is its
 * site's (site_finding): it leaves the site's sample. */
static void retire(struct watch *w, uint32_t t)
{
    struct finding f;
    if (w->d && !w->discarded && as_finding(w, t, &f))
        keep_past(&f);
    unlink_watch(w);
    if (w->medium) {
        if (w->d && block_reading(w, t, &f))
            w->medium->ended_retained++;
        if (w->mprev)
            w->mprev->mnext = w->mnext;
        else
            w->medium->watches = w->mnext;
        if (w->mnext)
            w->mnext->mprev = w->mprev;
        w->medium->nwatches--;
        medium_watching--;
    }
    if (w->d)
        record_put(&spare_details, w->d);
    record_put(&spare_watches, w);
}

/* ---- program threads ---------------------------------------------------- */

static struct watch *watch_new(const struct block *b, int mapped)
{
    struct watch *w = record_take(&spare_watches, sizeof *w);
    if (!w)
        return NULL;
    w->mapped = mapped;
    w->addr = b->addr;
    w->size = b->size;
    w->site = b->site;
    w->birth_ms = b->birth_ms;
    w->next_due_ms = 0;         /* a new block gets an early first look */
    w->successor_ms = 0;

    struct site *s = b->site;
    int growth = 0;
    if (s) {
        /* The same clock as retention_unwatch: birth_ms is coarse. */
        uint32_t t = now_ms();
        /* realloc growth: the old block was shed just now at this site. */
        uint32_t shed = __atomic_load_n(&s->last_shed_ms, __ATOMIC_RELAXED);
        if (shed && (int32_t)(t - shed) >= 0 && t - shed <= 5 &&
            __atomic_load_n(&s->last_shed_size, __ATOMIC_RELAXED) < b->size) {
            __atomic_add_fetch(&s->replaced_by_larger, 1, __ATOMIC_RELAXED);
            growth = 1;
        }
        __atomic_store_n(&s->last_large_ms, t ? t : 1, __ATOMIC_RELAXED);
        __atomic_store_n(&s->last_large_size, b->size, __ATOMIC_RELAXED);
    }
    rmutex_lock(&registry_lock);
    link_watch(w);
    stats.watched_blocks++;
    stats.watched_bytes += b->size;
    if (mapped) {
        stats.watched_mapped++;
        stats.watched_mapped_bytes += b->size;
    }
    rmutex_unlock(&registry_lock);
    /* A growing table is worth a look now: it may drain before the next
     * periodic pass. */
    if ((growth || (s && s->replaced_by_larger)) && wake_sampler)
        wake_for_pass();
    return w;
}

struct watch *retention_watch(const struct block *b) { return watch_new(b, 0); }
struct watch *retention_watch_mapped(const struct block *b, uintptr_t origin)
{
    struct watch *w = watch_new(b, 1);
    if (w)
        w->origin = origin;
    return w;
}

void retention_discard(struct watch *w)
{
    rmutex_lock(&registry_lock);
    w->discarded = 1;
    rmutex_unlock(&registry_lock);
    retention_unwatch(w, 0);
}

void retention_forget_mapped(uintptr_t origin, uint64_t size)
{
    rmutex_lock(&registry_lock);
    int kept = 0;
    for (int i = 0; i < npast; i++)
        if (!(past[i].origin == origin && past[i].capacity_bytes == size))
            past[kept++] = past[i];
    npast = kept;
    rmutex_unlock(&registry_lock);
}

void retention_unwatch(struct watch *w, int reallocated)
{
    uint32_t t = now_ms();
    spin_lock(&w->lock);
    w->ended = reallocated ? 2 : 1;
    w->end_ms = t;
    spin_unlock(&w->lock);

    struct site *s = w->site;
    if (s) {
        /* Freed while a larger block from the same site is new: the table
         * was rehashed into a bigger array. */
        uint32_t last = __atomic_load_n(&s->last_large_ms, __ATOMIC_RELAXED);
        int larger = __atomic_load_n(&s->last_large_size, __ATOMIC_RELAXED) > w->size;
        if (!reallocated && last && (int32_t)(t - last) >= 0 && t - last <= GROWTH_WINDOW_MS && larger)
            __atomic_add_fetch(&s->replaced_by_larger, 1, __ATOMIC_RELAXED);
        /* A larger block from the same site was made while this one lived:
         * if this one drained after that, its entries moved into it. */
        if (!reallocated && last && larger && (int32_t)(last - w->birth_ms) >= 0)
            w->successor_ms = last;
        if (reallocated) {
            __atomic_store_n(&s->last_shed_size, w->size, __ATOMIC_RELAXED);
            __atomic_store_n(&s->last_shed_ms, t ? t : 1, __ATOMIC_RELAXED);
        }
    }
    rmutex_lock(&registry_lock);
    stats.watched_blocks--;
    stats.watched_bytes -= w->size;
    if (w->mapped) {
        stats.watched_mapped--;
        stats.watched_mapped_bytes -= w->size;
    }
    /* Who retires the record is decided here, under the lock: this thread,
     * or the pass that holds it (ended alone does not say: it is set
     * before this lock is taken). */
    if (w->in_pass)
        w->retire_at_pass_end = 1;
    else
        retire(w, t);
    rmutex_unlock(&registry_lock);
}

void retention_annotate(const void *block, size_t used, size_t capacity)
{
    struct block b;
    struct mapping m;
    struct watch *w = NULL;
    if (!block || !capacity)
        return;
    if (block_find((uintptr_t)block, &b))
        w = b.watch;
    else if (mapping_find((uintptr_t)block, &m) && m.lo == (uintptr_t)block)
        w = m.watch;
    if (!w)
        return;
    __atomic_store_n(&w->ann_used, used > capacity ? capacity : used, __ATOMIC_RELAXED);
    __atomic_store_n(&w->ann_capacity, capacity, __ATOMIC_RELAXED);
    __atomic_store_n(&w->annotated, 1, __ATOMIC_RELEASE);
}

/* ---- measuring ---------------------------------------------------------- */

static void history_add(struct watch_detail *d, uint32_t age)
{
    if (d->nhist && age - d->hist[d->nhist - 1].ms < d->hist_step_ms)
        return;
    if (d->nhist == HISTORY_MAX) {
        /* Keep every other point and halve the resolution: the history
         * spans the block's whole life in constant space. */
        for (int i = 0; i < HISTORY_MAX / 2; i++)
            d->hist[i] = d->hist[2 * i + 1];
        d->nhist = HISTORY_MAX / 2;
        d->hist_step_ms *= 2;
    }
    struct history_point *h = &d->hist[d->nhist++];
    h->ms = age;
    for (int p = 0; p < probe_count; p++)
        h->occ[p] = d->track[p].valid ? d->track[p].now : -1;
}

/* The block's probe (probes_explaining): a probe may explain a drop only if,
 * at its peak, it saw a table. */
static void evaluate(struct watch *w, uint32_t t)
{
    struct watch_detail *d = w->d;
    int best = probes_explaining(d->track);
    d->best = best;
    int retained = best >= 0 && t - w->birth_ms >= retain_config.min_age_ms &&
                   d->track[best].now <= retain_config.drop * d->track[best].peak;
    if (!retained) {
        d->retained_since = NOT_RETAINED;
    } else {
        float now = d->track[best].now;
        if (d->retained_since == NOT_RETAINED) {
            d->retained_since = t;
            d->low_occ = now;
            d->settled_since = t;
        } else if (now < d->low_occ - (d->low_occ * 0.1f > 0.01f ? d->low_occ * 0.1f : 0.01f)) {
            d->low_occ = now;   /* still falling: not settled yet */
            d->settled_since = t;
        }
    }
    history_add(d, t - w->birth_ms);
}

static struct watch_detail *detail_new(const struct watch *w)
{
    struct watch_detail *d = record_take(&spare_details, sizeof *d);
    if (!d)
        return NULL;
    d->best = -1;
    d->retained_since = NOT_RETAINED;
    d->hist_step_ms = retain_config.interval_ms;
    d->gap_ms = retain_config.interval_ms;
    d->layout.stride = 1;
    block_read_plan_init(&d->plan, w->addr, w->size);
    return d;
}

/* Returns the bytes read; *changed says whether any reading moved. */
static uint64_t measure(struct measure_scratch *s, struct watch *w, int *changed)
{
    *changed = 0;
    if (__atomic_load_n(&w->ended, __ATOMIC_ACQUIRE) || w->unreadable)
        return 0;
    if (!w->d && !(w->d = detail_new(w)))
        return 0;
    struct watch_detail *d = w->d;
    /* With safe reads the block is read without holding it, and the reading
     * is thrown away if the block was freed meanwhile (free marks the watch
     * ended before the memory goes back to the allocator, and a record a
     * pass holds is not recycled before the pass ends).  Otherwise free
     * waits for the copy. */
    int hold = !mem_reads_safely();
    /* A mapping can be unmapped or protected where the hooks do not see it
     * (a raw system call, mprotect): only a read that fails instead of
     * faulting may touch it. */
    if (hold && w->mapped)
        return 0;
    if (hold)
        spin_lock(&w->lock);
    if (__atomic_load_n(&w->ended, __ATOMIC_ACQUIRE)) {
        if (hold)
            spin_unlock(&w->lock);
        return 0;
    }
    uint64_t t0 = clock_now_ns();
    struct block_facts facts = { .addr = w->addr, .size = w->size, .measured = (uint32_t)d->measured };
    probes_plan(&facts, d->track, &d->plan);
    int unreadable = block_copy_take(&s->copy, &d->plan, w->addr) < 0;
    facts.stated = __atomic_load_n(&w->annotated, __ATOMIC_ACQUIRE);
    facts.stated_used = w->ann_used;
    facts.stated_capacity = w->ann_capacity;
    uint64_t took = clock_now_ns() - t0;
    if (hold) {
        spin_unlock(&w->lock);
        if (took > stats.longest_hold_ns)
            stats.longest_hold_ns = took;
    }
    if (__atomic_load_n(&w->ended, __ATOMIC_ACQUIRE))
        return 0;                       /* freed while being read */
    if (unreadable) {
        /* Unmapped under us, yet never freed through the wrappers: stop
         * reading it; the record stays until its free reaches us, since the
         * block table still points at it. */
        w->unreadable = 1;
        return 0;
    }

    float before[PROBES_MAX];
    uint8_t valid_before[PROBES_MAX];
    for (int p = 0; p < probe_count; p++) {
        before[p] = d->track[p].now;
        valid_before[p] = d->track[p].valid;
    }
    struct probe_result r[PROBES_MAX];
    classify(&s->copy, &s->ranges, &d->layout, &s->classified);
    probes_measure(&s->classified, &facts, d->track, r);
    for (int p = 0; p < probe_count; p++) {
        float moved = d->track[p].now - before[p];
        if (d->track[p].valid != valid_before[p] ||
            (d->track[p].valid && (moved >= CHANGE_EPSILON || moved <= -CHANGE_EPSILON)))
            *changed = 1;
    }
    d->measured++;
    uint32_t t = now_ms();
    if (d->last_ms && t - d->last_ms > d->longest_gap_ms)
        d->longest_gap_ms = t - d->last_ms;
    d->last_ms = t;
    evaluate(w, t);
    /* Resident pages matter for a block held beyond need (DESIGN §4a). */
    if (d->retained_since != NOT_RETAINED)
        d->resident_bytes = mem_resident_bytes(w->addr, w->size);
    return block_copy_bytes(&s->copy);
}

/* The block's site replaced blocks by larger ones: a growth series. */
static int site_grows(const struct watch *w)
{
    return w->site && __atomic_load_n(&w->site->replaced_by_larger, __ATOMIC_RELAXED) > 0;
}

/* Some probe saw a table at its peak. */
static int looked_like_table(const struct watch_detail *d)
{
    for (int p = 0; p < probe_count; p++)
        if (d->track[p].peak_table_like)
            return 1;
    return 0;
}

/* The measurement schedule follows the evidence: a new block gets an early
 * first look; a block whose last reading moved, or whose site shows a growth
 * series, is measured every interval; a block at rest less and less often,
 * its gap doubling up to 8 intervals if it looked like a table at its peak
 * (a full table waiting to be drained), up to 32 if it never did (item
 * slabs, byte buffers, full arrays).  A server's hundreds of slab pages then
 * cost a fraction of the budget, and its hash table gets the rest. */
#define BACKOFF_MAX_TABLE_INTERVALS 8

static enum measure_class schedule(struct watch *w, int changed, uint32_t t)
{
    struct watch_detail *d = w->d;
    enum measure_class c;
    int table = looked_like_table(d);
    int growth = site_grows(w);
    if (d->measured == 1)
        c = MEASURE_FIRST;
    else if (changed)
        c = MEASURE_CHANGED;
    else if (growth)
        c = MEASURE_TABLE;
    else
        c = MEASURE_AT_REST;
    if (c == MEASURE_AT_REST) {
        uint32_t max = retain_config.interval_ms *
                       (table ? BACKOFF_MAX_TABLE_INTERVALS : BACKOFF_MAX_INTERVALS);
        d->gap_ms = d->gap_ms * 2 > max ? max : d->gap_ms * 2;
    } else {
        d->gap_ms = retain_config.interval_ms;
    }
    w->next_due_ms = t + d->gap_ms;
    return c;
}

/* Order of a pass: first the blocks whose site shows a growth series (the
 * strongest sign of a bucket array: DESIGN §2a), new ones included; then
 * blocks that changed or looked like a table; then first looks, newest
 * first (a table is filled after it is made: the newest block is the
 * likeliest to be filling now); then the other blocks at rest; the most
 * overdue first within each.  A server's hundreds of slab pages full of
 * linked items look like tables of pointers and change as items come and
 * go: behind them, the next hash table's first look waited for seconds
 * (memcached's was filled and drained before it was ever measured, in half
 * the runs); it is the one block of a site that replaced its blocks by
 * larger ones.  Blocks in motion stay ahead of first looks: a table being
 * drained among hundreds of new buffers must be seen draining. */
static int urgency_rank(const struct watch *w)
{
    if (site_grows(w))
        return 0;
    if (!w->d)
        return 2;
    if (w->d->gap_ms <= retain_config.interval_ms || looked_like_table(w->d))
        return 1;
    return 3;
}

static int by_urgency(const void *a, const void *b)
{
    const struct watch *x = *(const struct watch *const *)a, *y = *(const struct watch *const *)b;
    int rx = urgency_rank(x), ry = urgency_rank(y);
    if (rx != ry)
        return rx - ry;
    if (rx == 2)
        return x->birth_ms != y->birth_ms ? (x->birth_ms < y->birth_ms ? 1 : -1) : 0;
    if (x->next_due_ms == y->next_due_ms)
        return 0;
    return (int32_t)(x->next_due_ms - y->next_due_ms) < 0 ? -1 : 1;
}

static void promote_medium(void);
static void keep_site_findings(uint32_t t);

static void pass(struct measure_scratch *s, int everything)
{
    scratch_check(s);
    /* A poke (a growing table) wakes the sampler early, but never earlier
     * than the budget allows. */
    if (!everything && clock_now_ns() < s->budget_next_ns)
        return;
    if (!__atomic_load_n(&watched, __ATOMIC_ACQUIRE) && !medium_sites())
        return;                 /* nothing to measure: not even the CPU clocks */
    /* A wake now would find this pass or its rest (wake_for_pass). */
    __atomic_store_n(&wake_from_ns, UINT64_MAX, __ATOMIC_RELAXED);
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    promote_medium();           /* within the pass's CPU time, so within the budget */
    uint32_t t = now_ms();

    rmutex_lock(&registry_lock);
    int n = 0;
    for (struct watch *w = watched; w; w = w->next)
        n++;
    struct watch **todo = n ? internal_malloc((size_t)n * sizeof *todo) : NULL;
    int k = 0;
    if (todo)
        for (struct watch *w = watched; w && k < n; w = w->next)
            if (!w->ended && (everything || (int32_t)(t - w->next_due_ms) >= 0)) {
                w->in_pass = 1;
                todo[k++] = w;
            }
    rmutex_unlock(&registry_lock);

    uint64_t scanned = 0, by_class[MEASURE_CLASSES] = { 0 };
    if (k) {
        mapped_ranges_refresh(&s->ranges);
        mem_read_refresh_swap();
        /* A pass does what the budget allows in one interval, urgent blocks
         * first; what is left stays due for the next pass.  So passes come
         * every interval, and a changing table among hundreds of blocks at
         * rest is measured each time (one long pass and a long rest after
         * it missed a table that filled and drained in between). */
        if (!everything && k > 1)
            qsort(todo, (size_t)k, sizeof *todo, by_urgency);
        uint64_t allowed = (uint64_t)((double)retain_config.interval_ms * 1e6 * CPU_BUDGET);
        uint64_t worked = 0, slice_start = clock_now_ns();
        /* Past the budget, still up to FIRST_LOOKS_PAST_BUDGET first looks
         * of medium watches: a medium block is watched only once it has
         * lived an interval, and nothing (no growth event) wakes the
         * sampler for it; behind many changing or new large blocks (an
         * interpreter's arenas while it allocates) its first look came
         * after its table had drained, and it never showed its peak.  Their
         * cost counts in this pass's CPU time, so the rest after it is
         * longer: the budget holds. */
        int first_looks = 0;
        for (int i = 0; i < k; i++) {
            int over = !everything && i > 0 && worked >= allowed;
            if (over && (todo[i]->d || !todo[i]->medium || first_looks >= FIRST_LOOKS_PAST_BUDGET))
                continue;
            first_looks += over;
            int changed;
            uint64_t t0 = clock_now_ns();
            uint64_t bytes = measure(s, todo[i], &changed);
            worked += clock_now_ns() - t0;
            scanned += bytes;
            if (bytes)
                by_class[schedule(todo[i], changed, t)]++;
            /* Work in slices of about a millisecond with a pause between,
             * so that on a busy machine the sampler never holds a core
             * long enough to delay the program's threads by a time slice. */
            if (!everything && clock_now_ns() - slice_start > SLICE_NS) {
                struct timespec pause = { 0, SLICE_NS };
                nanosleep(&pause, NULL);
                slice_start = clock_now_ns();
            }
        }
    }

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    uint64_t cpu = (uint64_t)(c1.tv_sec - c0.tv_sec) * 1000000000ull + (uint64_t)c1.tv_nsec -
                   (uint64_t)c0.tv_nsec;
    rmutex_lock(&registry_lock);
    uint32_t t_end = now_ms();
    for (int i = 0; i < k; i++) {
        todo[i]->in_pass = 0;
        if (todo[i]->retire_at_pass_end)
            retire(todo[i], t_end);     /* freed while this pass held it */
    }
    keep_site_findings(t_end);
    stats.passes++;
    stats.bytes_scanned += scanned;
    stats.cpu_ns += cpu;
    for (int c = 0; c < MEASURE_CLASSES; c++)
        stats.measurements[c] += by_class[c];
    rmutex_unlock(&registry_lock);
    internal_free(todo);
    /* Stay within the budget: after a pass that cost c, rest c/budget. */
    s->budget_next_ns = clock_now_ns() + (uint64_t)((double)cpu / CPU_BUDGET);
    __atomic_store_n(&wake_from_ns, s->budget_next_ns, __ATOMIC_RELAXED);
}

void retention_sample_pass(struct measure_scratch *s) { pass(s, 0); }

uint64_t retention_next_wait_ms(const struct measure_scratch *s)
{
    uint64_t now = clock_now_ns();
    uint64_t left = s && s->budget_next_ns > now ? (s->budget_next_ns - now) / 1000000u + 1 : 0;
    return left > retain_config.interval_ms ? left : retain_config.interval_ms;
}

/* ---- findings ----------------------------------------------------------- */

static uint32_t hold_ms(void)
{
    uint32_t h = retain_config.min_age_ms / 2;
    return h > 500 ? 500 : h;
}

/* Fills f from w if w's reading is retained at time t (its end time if it
 * ended), as a block finding would be. */
static int block_reading(const struct watch *w, uint32_t t, struct finding *f)
{
    const struct watch_detail *d = w->d;
    if (!d || d->best < 0 || d->retained_since == NOT_RETAINED)
        return 0;
    uint32_t until = w->ended ? w->end_ms : t;
    if (until < d->retained_since || until - d->retained_since < hold_ms())
        return 0;
    /* Freed while still draining, or soon after it stopped: a teardown
     * (an interpreter freeing a hash's entries one by one at exit, then its
     * array), not a retained array, however long the drain took. */
    if (w->ended && w->end_ms - d->settled_since < hold_ms())
        return 0;
    /* Freed after draining into a larger successor from its own site: an
     * incremental rehash (memcached's and Redis's tables migrate bucket by
     * bucket, then free the old array), not a retained array. */
    if (w->ended == 1 && w->successor_ms && (int32_t)(d->retained_since - w->successor_ms) >= 0)
        return 0;
    int p = d->best;
    memset(f, 0, sizeof *f);
    f->address = w->addr;
    f->capacity_bytes = w->size;
    f->age_ms = until - w->birth_ms;
    const struct probe_track *tr = &d->track[p];
    f->peak_occupancy = tr->peak;
    f->occupancy = tr->now;
    if (f->occupancy > f->peak_occupancy)
        f->occupancy = f->peak_occupancy;
    f->retained_bytes = (uint64_t)((double)w->size * (1.0 - f->occupancy / f->peak_occupancy));
    f->probe = probe_table[p]->name;
    f->source = w->mapped ? "mmap" : "malloc";
    f->origin = w->origin;
    f->advice_hint = probe_table[p]->advice_hint;
    if (probe_table[p]->container)
        probe_table[p]->container(&tr->memo, f->container, sizeof f->container);
    int growth = site_grows(w);
    f->confidence = probe_table[p]->confidence(tr, growth) == CONFIDENCE_HIGH ? "high" : "medium";
    f->live = !w->ended;
    f->retained_ms = until - d->retained_since;
    f->site = w->site;
    f->resident_bytes = d->resident_bytes;
    f->longest_gap_ms = d->longest_gap_ms;
    for (int i = 0; i < d->nhist && f->nhistory < FINDING_HISTORY_MAX; i++) {
        if (d->hist[i].occ[p] < 0)
            continue;
        f->history_ms[f->nhistory] = d->hist[i].ms;
        f->history_occ[f->nhistory] = d->hist[i].occ[p];
        f->nhistory++;
    }
    return 1;
}

/* A block finding: a large block retained (medium ones speak for their site). */
static int as_finding(const struct watch *w, uint32_t t, struct finding *f)
{
    return !w->medium && block_reading(w, t, f);
}

static void keep_past(const struct finding *f)
{
    if (!past) {
        past = arena_alloc(PAST_FINDINGS_MAX * sizeof *past);
        if (!past)
            return;
    }
    if (npast < PAST_FINDINGS_MAX) {
        past[npast++] = *f;
        return;
    }
    int smallest = 0;
    for (int i = 1; i < npast; i++)
        if (past[i].retained_bytes < past[smallest].retained_bytes)
            smallest = i;
    if (past[smallest].retained_bytes < f->retained_bytes)
        past[smallest] = *f;
}

static int by_retained(const void *a, const void *b)
{
    const struct finding *x = a, *y = b;
    if (x->retained_bytes != y->retained_bytes)
        return x->retained_bytes < y->retained_bytes ? 1 : -1;
    return x->address > y->address ? 1 : -1;
}

/* ---- medium blocks, per site (medium.h) ------------------------------- */

/* The states of a site's last finding (medium_site.kept). */
enum { KEPT_NONE, KEPT_LIVE, KEPT_PAST };
/* A site finding needs this many retained blocks among those watched, and
 * an estimate more than two standard errors above zero. */
#define MEDIUM_MIN_RETAINED 3

/* Candidates that have lived one interval become watches, up to
 * MEDIUM_WATCHES_PER_SITE per site; a slot whose block is gone (or is no
 * longer the sampled block of this site) is emptied for the next one.
 * Sampler thread only: it alone adds medium watches. */
static void promote_medium(void)
{
    uint32_t now = clock_since_start_ms(clock_coarse_ns());     /* the clock of births */
    for (struct medium_site *m = medium_sites(); m; m = m->next) {
        for (int i = 0; i < MEDIUM_CANDIDATES; i++) {
            if (__atomic_load_n(&m->nwatches, __ATOMIC_RELAXED) >= MEDIUM_WATCHES_PER_SITE ||
                __atomic_load_n(&medium_watching, __ATOMIC_RELAXED) >= MEDIUM_WATCHES_MAX)
                break;
            uintptr_t a = __atomic_load_n(&m->cand[i], __ATOMIC_ACQUIRE);
            if (!a)
                continue;
            struct block b;
            int alive = block_find(a, &b) && b.site == m->site && !b.watch && medium_sized(b.size);
            if (alive && (int32_t)(now - b.birth_ms) < (int32_t)retain_config.interval_ms)
                continue;               /* not old enough yet: it may die young */
            if (!__atomic_compare_exchange_n(&m->cand[i], &a, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED) ||
                !alive)
                continue;
            struct watch *w = record_take(&spare_watches, sizeof *w);
            if (!w)
                return;
            w->addr = a;
            w->size = b.size;
            w->site = b.site;
            w->birth_ms = b.birth_ms;
            w->medium = m;
            w->next_due_ms = 0;
            rmutex_lock(&registry_lock);
            link_watch(w);
            w->mnext = m->watches;
            if (m->watches)
                m->watches->mprev = w;
            m->watches = w;
            m->nwatches++;
            medium_watching++;
            stats.medium_watches_made++;
            stats.watched_blocks++;
            stats.watched_bytes += b.size;
            rmutex_unlock(&registry_lock);
            /* From here its free ends the watch; if it was freed meanwhile,
             * the record goes back at once. */
            if (!block_attach_watch(a, b.site, b.birth_ms, w)) {
                rmutex_lock(&registry_lock);
                stats.medium_watches_made--;
                stats.watched_blocks--;
                stats.watched_bytes -= b.size;
                retire(w, now_ms());
                rmutex_unlock(&registry_lock);
            }
        }
    }
}

/* The site's finding at time t from its watched medium blocks, if it is
 * one: the samples' retained share times the site's live medium capacity
 * (medium_estimate), the retained sample that holds most as the example.
 * Caller holds registry_lock. */
static int site_finding(struct medium_site *m, uint32_t t, struct finding *f)
{
    struct medium_sample smp[MEDIUM_WATCHES_PER_SITE];
    struct finding one, ex;
    struct finding_example examples[FINDING_EXAMPLES_MAX];
    int n = 0, nret = 0, nex = 0, have_ex = 0;
    uint64_t resident = 0, sizes = 0;
    uint32_t gap = 0;
    for (struct watch *w = m->watches; w && n < MEDIUM_WATCHES_PER_SITE; w = w->mnext) {
        const struct watch_detail *d = w->d;
        if (w->ended || w->unreadable || !d || !d->measured)
            continue;
        uint64_t ret = 0;
        int retained = block_reading(w, t, &one);
        if (retained) {
            ret = one.retained_bytes;
            nret++;
            resident += d->resident_bytes;
            if (!have_ex || ret > ex.retained_bytes) {
                ex = one;
                have_ex = 1;
            }
        }
        if (d->longest_gap_ms > gap)
            gap = d->longest_gap_ms;
        sizes += w->size;
        smp[n].size = w->size;
        smp[n].retained = ret;
        n++;
        if (d->best >= 0 && nex < FINDING_EXAMPLES_MAX) {
            const struct probe_track *tr = &d->track[d->best];
            examples[nex++] = (struct finding_example){ w->addr, w->size, tr->peak,
                                                        tr->now < tr->peak ? tr->now : tr->peak,
                                                        retained };
        }
    }
    if (nret < MEDIUM_MIN_RETAINED || !have_ex)
        return 0;
    double blocks = medium_live_blocks(m), capacity = medium_live_bytes(m);
    double var = medium_live_bytes_var(m);
    if (blocks < n)
        blocks = n;
    if (capacity < (double)sizes)
        capacity = (double)sizes;
    struct medium_estimate e = medium_estimate(smp, n, blocks, capacity, var);
    if (!(e.retained > 2 * e.error))
        return 0;
    *f = ex;
    f->kind = FINDING_SITE;
    f->blocks = (uint64_t)(blocks + 0.5);
    f->capacity_bytes = (uint64_t)(capacity + 0.5);
    f->example_bytes = ex.capacity_bytes;
    f->retained_bytes = (uint64_t)(e.retained + 0.5);
    f->retained_bytes_error = (uint64_t)(e.error + 0.5);
    f->sampled_blocks = n;
    f->sampled_retained = nret;
    f->resident_bytes = sizes ? (uint64_t)(capacity * (double)resident / (double)sizes) : 0;
    f->longest_gap_ms = gap;
    f->nexamples = nex;
    memcpy(f->examples, examples, (size_t)nex * sizeof examples[0]);
    return 1;
}

/* Has the site's live medium capacity fallen by an eighth or more since
 * its kept finding?  Then its blocks are being freed, watched or not (the
 * estimate counts every sampled block): a pass in the middle of an
 * interpreter's teardown saw 225 of 400 drained dicts and, no watched one
 * freed yet, made that the finding. */
static int capacity_fell(const struct medium_site *m)
{
    return m->kept && medium_live_bytes(m) * 8 < (double)m->kept->capacity_bytes * 7;
}

/* Are the site's blocks being freed since its kept finding: watched ones
 * that were retained, or its capacity falling? */
static int site_freeing(const struct medium_site *m)
{
    return m->ended_retained != m->ended_retained_at_keep || capacity_fell(m);
}

/* After each pass: a site that is a finding keeps it (kept); one that stops
 * being one because its retained blocks were freed (at least half of the
 * watched ones that were retained, freed while still retained: maps
 * destroyed at the end of main) keeps it as a past finding, live: false;
 * one whose blocks refilled drops it.  While retained blocks are being
 * freed (watched ones, or the site's capacity falling), a smaller estimate
 * does not replace the kept one: blocks watched in their place mid-teardown
 * would dilute it, and the blocks already freed would be missing from it.
 * Caller holds registry_lock. */
static void keep_site_findings(uint32_t t)
{
    for (struct medium_site *m = medium_sites(); m; m = m->next) {
        struct finding f;
        uint32_t freed = m->ended_retained - m->ended_retained_at_keep;
        if (site_finding(m, t, &f)) {
            if (!m->kept)
                m->kept = arena_alloc(sizeof *m->kept);
            if (m->kept && (m->kept_state != KEPT_LIVE || !site_freeing(m) ||
                            f.retained_bytes >= m->kept->retained_bytes)) {
                *m->kept = f;
                m->kept_state = KEPT_LIVE;
                m->ended_retained_at_keep = m->ended_retained;
            }
        } else if (m->kept_state == KEPT_LIVE) {
            if (2 * (int)freed >= m->kept->sampled_retained) {
                m->kept->live = 0;
                m->kept_state = KEPT_PAST;
            } else {
                m->kept_state = KEPT_NONE;
            }
        }
    }
}

/* The site's finding for a report: the current one, unless the site's
 * retained blocks are being freed and the estimate before the frees was
 * larger (it is then told with live: false), or the kept past finding.
 * Caller holds registry_lock. */
static int site_report(struct medium_site *m, uint32_t t, struct finding *f)
{
    int now = site_finding(m, t, f);
    int freeing = m->kept_state == KEPT_LIVE && site_freeing(m);
    if ((m->kept_state == KEPT_PAST || freeing) &&
        (!now || f->retained_bytes < m->kept->retained_bytes)) {
        *f = *m->kept;
        f->live = 0;
        return 1;
    }
    return now;
}

int retention_findings(struct finding **out, struct measure_scratch *final_pass)
{
    if (final_pass)
        pass(final_pass, 1);    /* a last look at every live block */
    uint32_t t = now_ms();
    rmutex_lock(&registry_lock);
    int n = npast;
    for (struct watch *w = watched; w; w = w->next)
        n++;
    for (struct medium_site *m = medium_sites(); m; m = m->next)
        n++;
    struct finding *f = internal_malloc((size_t)(n ? n : 1) * sizeof *f);
    int k = 0;
    if (f) {
        for (int i = 0; i < npast; i++)
            f[k++] = past[i];
        for (struct watch *w = watched; w; w = w->next)
            if (k < n && !w->discarded && as_finding(w, t, &f[k]))
                k++;
        for (struct medium_site *m = medium_sites(); m && k < n; m = m->next)
            if (site_report(m, t, &f[k]))
                k++;
    }
    rmutex_unlock(&registry_lock);
    if (f && k > 1)             /* glibc's qsort asks sysinfo() about memory first */
        qsort(f, (size_t)k, sizeof *f, by_retained);
    *out = f;
    return k;
}

void retention_stats(struct sampler_stats *out)
{
    rmutex_lock(&registry_lock);
    *out = stats;
    out->watch_records = 0;
    out->medium_watches = 0;
    out->medium_sites = 0;
    for (struct watch *w = watched; w; w = w->next) {
        out->watch_records++;
        out->medium_watches += w->medium != NULL;
    }
    for (struct medium_site *m = medium_sites(); m; m = m->next)
        out->medium_sites++;
    rmutex_unlock(&registry_lock);
}

void retention_lock(void) { rmutex_lock(&registry_lock); }
void retention_unlock(void) { rmutex_unlock(&registry_lock); }
void retention_after_fork_child(void)
{
    rmutex_reset(&registry_lock);
    /* A pass under way in the parent is not the child's. */
    __atomic_store_n(&wake_from_ns, 0, __ATOMIC_RELAXED);
    /* The sampler may have been copying a block at the fork, and held the
     * records of its pass: it is gone.  Only live blocks have records, so
     * this costs what is alive, not what has ever lived. */
    for (struct watch *w = watched; w;) {
        struct watch *next = w->next;
        spin_reset(&w->lock);
        w->in_pass = 0;
        /* An unwatch that had marked the record ended was waiting for this
         * lock in a thread the child does not have: finish it here. */
        if (w->ended && !w->retire_at_pass_end) {
            stats.watched_blocks--;
            stats.watched_bytes -= w->size;
            if (w->mapped) {
                stats.watched_mapped--;
                stats.watched_mapped_bytes -= w->size;
            }
        }
        if (w->ended)
            retire(w, w->end_ms);
        w = next;
    }
}
