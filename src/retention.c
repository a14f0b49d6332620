/* retention.c: watched large blocks, their occupancy over time, findings.
 *
 * Program threads only add and end watches (a lock, a few stores).  All
 * reading of block memory happens on the sampler thread, which holds a
 * block's watch lock only while copying its chunks (a few KiB): a free of
 * that block waits at most that long.  Watch records are recycled by the
 * sampler alone, so a record it is looking at never disappears under it. */
#include "retention.h"
#include "arena.h"
#include "block_table.h"
#include "clock.h"
#include "config.h"
#include "block_read.h"
#include "classify.h"
#include "mapped_ranges.h"
#include "mem_read.h"
#include "probes.h"
#include "site_table.h"
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

struct history_point {
    uint32_t ms;                /* since the block's birth */
    float occ[PROBES_MAX];      /* -1: no reading */
};

struct watch {
    uintptr_t addr;
    uint64_t size;
    struct site *site;
    uint32_t birth_ms;
    struct spinlock lock;       /* held while the sampler copies the block */
    int ended;                  /* 1: freed, 2: realloc'd; set under lock */
    int unreadable;             /* its memory vanished without a free: not measured */
    uint32_t end_ms;
    struct block_read_plan plan;
    struct slot_layout layout;
    uint64_t ann_used, ann_capacity;
    int annotated;
    int measured;
    uint32_t next_due_ms;
    struct probe_track track[PROBES_MAX];       /* by probe_table index */
    int best;                   /* probe that explains the drop, -1 none */
    uint32_t retained_since;    /* ms since profiler start, or NOT_RETAINED */
    int nhist;
    uint32_t hist_step_ms;
    struct history_point hist[HISTORY_MAX];
    struct watch *next;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct watch *watched;           /* live and ended-but-not-collected */
static struct watch *spare;             /* recycled records */
static struct finding *past;            /* findings of blocks already freed */
static int npast;
static struct sampler_stats stats;
static void (*wake_sampler)(void);     /* set at init: a pass is worth doing soon */
/* Sampler thread (or exit) only. */
static struct mapped_ranges ranges;
static struct block_copy copy_buf;
static struct classified classified_buf;

void retention_init(void (*wake)(void)) { wake_sampler = wake; }

static uint32_t now_ms(void) { return clock_since_start_ms(clock_now_ns()); }

/* ---- program threads ---------------------------------------------------- */

struct watch *retention_watch(const struct block *b)
{
    pthread_mutex_lock(&registry_lock);
    struct watch *w = spare;
    if (w)
        spare = w->next;
    pthread_mutex_unlock(&registry_lock);
    if (!w)
        w = arena_alloc(sizeof *w);
    if (!w)
        return NULL;
    memset(w, 0, sizeof *w);
    w->addr = b->addr;
    w->size = b->size;
    w->site = b->site;
    w->birth_ms = b->birth_ms;
    w->best = -1;
    w->retained_since = NOT_RETAINED;
    w->hist_step_ms = retain_config.interval_ms;
    w->layout.stride = 1;
    block_read_plan_init(&w->plan, b->addr, b->size);

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
    pthread_mutex_lock(&registry_lock);
    w->next = watched;
    watched = w;
    stats.watched_blocks++;
    stats.watched_bytes += b->size;
    pthread_mutex_unlock(&registry_lock);
    /* A growing table is worth a look now: it may drain before the next
     * periodic pass. */
    if ((growth || (s && s->replaced_by_larger)) && wake_sampler)
        wake_sampler();
    return w;
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
        if (!reallocated && last && (int32_t)(t - last) >= 0 && t - last <= GROWTH_WINDOW_MS &&
            __atomic_load_n(&s->last_large_size, __ATOMIC_RELAXED) > w->size)
            __atomic_add_fetch(&s->replaced_by_larger, 1, __ATOMIC_RELAXED);
        if (reallocated) {
            __atomic_store_n(&s->last_shed_size, w->size, __ATOMIC_RELAXED);
            __atomic_store_n(&s->last_shed_ms, t ? t : 1, __ATOMIC_RELAXED);
        }
    }
    pthread_mutex_lock(&registry_lock);
    stats.watched_blocks--;
    stats.watched_bytes -= w->size;
    pthread_mutex_unlock(&registry_lock);
}

void retention_annotate(const void *block, size_t used, size_t capacity)
{
    struct block b;
    if (!block || !capacity || !block_find((uintptr_t)block, &b) || !b.watch)
        return;
    struct watch *w = b.watch;
    __atomic_store_n(&w->ann_used, used > capacity ? capacity : used, __ATOMIC_RELAXED);
    __atomic_store_n(&w->ann_capacity, capacity, __ATOMIC_RELAXED);
    __atomic_store_n(&w->annotated, 1, __ATOMIC_RELEASE);
}

/* ---- measuring ---------------------------------------------------------- */

static void history_add(struct watch *w, uint32_t t)
{
    uint32_t age = t - w->birth_ms;
    if (w->nhist && age - w->hist[w->nhist - 1].ms < w->hist_step_ms)
        return;
    if (w->nhist == HISTORY_MAX) {
        /* Keep every other point and halve the resolution: the history
         * spans the block's whole life in constant space. */
        for (int i = 0; i < HISTORY_MAX / 2; i++)
            w->hist[i] = w->hist[2 * i + 1];
        w->nhist = HISTORY_MAX / 2;
        w->hist_step_ms *= 2;
    }
    struct history_point *h = &w->hist[w->nhist++];
    h->ms = age;
    for (int p = 0; p < probe_count; p++)
        h->occ[p] = w->track[p].valid ? w->track[p].now : -1;
}

/* The block's probe (probes_explaining): a probe may explain a drop only if,
 * at its peak, it saw a table. */
static void evaluate(struct watch *w, uint32_t t)
{
    int best = probes_explaining(w->track);
    w->best = best;
    int retained = best >= 0 && t - w->birth_ms >= retain_config.min_age_ms &&
                   w->track[best].now <= retain_config.drop * w->track[best].peak;
    if (!retained)
        w->retained_since = NOT_RETAINED;
    else if (w->retained_since == NOT_RETAINED)
        w->retained_since = t;
    history_add(w, t);
}

static uint64_t measure(struct watch *w)
{
    /* With safe reads the block is read without holding it, and the reading
     * is thrown away if the block was freed meanwhile (free marks the watch
     * ended before the memory goes back to the allocator; only this thread
     * recycles watch records).  Otherwise free waits for the copy. */
    int hold = !mem_reads_safely();
    if (hold)
        spin_lock(&w->lock);
    if (__atomic_load_n(&w->ended, __ATOMIC_ACQUIRE) || w->unreadable) {
        if (hold)
            spin_unlock(&w->lock);
        return 0;
    }
    uint64_t t0 = clock_now_ns();
    struct block_facts facts = { .addr = w->addr, .size = w->size, .measured = (uint32_t)w->measured };
    probes_plan(&facts, w->track, &w->plan);
    int unreadable = block_copy_take(&copy_buf, &w->plan, w->addr) < 0;
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

    struct probe_result r[PROBES_MAX];
    classify(&copy_buf, &ranges, &w->layout, &classified_buf);
    probes_measure(&classified_buf, &facts, w->track, r);
    w->measured++;
    evaluate(w, now_ms());
    return block_copy_bytes(&copy_buf);
}

/* ---- findings ----------------------------------------------------------- */

static uint32_t hold_ms(void)
{
    uint32_t h = retain_config.min_age_ms / 2;
    return h > 500 ? 500 : h;
}

/* Fills f from w if w is a finding at time t (its end time if it ended). */
static int as_finding(const struct watch *w, uint32_t t, struct finding *f)
{
    if (w->best < 0 || w->retained_since == NOT_RETAINED)
        return 0;
    uint32_t until = w->ended ? w->end_ms : t;
    if (until < w->retained_since || until - w->retained_since < hold_ms())
        return 0;
    int p = w->best;
    memset(f, 0, sizeof *f);
    f->address = w->addr;
    f->capacity_bytes = w->size;
    f->age_ms = until - w->birth_ms;
    const struct probe_track *tr = &w->track[p];
    f->peak_occupancy = tr->peak;
    f->occupancy = tr->now;
    if (f->occupancy > f->peak_occupancy)
        f->occupancy = f->peak_occupancy;
    f->retained_bytes = (uint64_t)((double)w->size * (1.0 - f->occupancy / f->peak_occupancy));
    f->probe = probe_table[p]->name;
    f->advice_hint = probe_table[p]->advice_hint;
    int growth = w->site && __atomic_load_n(&w->site->replaced_by_larger, __ATOMIC_RELAXED) > 0;
    f->confidence = probe_table[p]->confidence(tr, growth) == CONFIDENCE_HIGH ? "high" : "medium";
    f->live = !w->ended;
    f->retained_ms = until - w->retained_since;
    f->site = w->site;
    for (int i = 0; i < w->nhist && f->nhistory < FINDING_HISTORY_MAX; i++) {
        if (w->hist[i].occ[p] < 0)
            continue;
        f->history_ms[f->nhistory] = w->hist[i].ms;
        f->history_occ[f->nhistory] = w->hist[i].occ[p];
        f->nhistory++;
    }
    return 1;
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

/* Moves ended watches out of the list: a finding is kept, the record is
 * recycled.  Caller holds registry_lock. */
static void collect_ended(uint32_t t)
{
    struct watch **pp = &watched;
    while (*pp) {
        struct watch *w = *pp;
        if (!__atomic_load_n(&w->ended, __ATOMIC_ACQUIRE)) {
            pp = &w->next;
            continue;
        }
        struct finding f;
        if (as_finding(w, t, &f))
            keep_past(&f);
        *pp = w->next;
        w->next = spare;
        spare = w;
    }
}

/* Runs on the sampler thread, or on the exiting thread once the sampler has
 * stopped: never both at once. */
static uint64_t budget_next_ns;         /* no pass before this (CPU budget) */

static void pass(int everything)
{
    /* A poke (a growing table) wakes the sampler early, but never earlier
     * than the budget allows. */
    if (!everything && clock_now_ns() < budget_next_ns)
        return;
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    uint32_t t = now_ms();

    pthread_mutex_lock(&registry_lock);
    collect_ended(t);
    int n = 0;
    for (struct watch *w = watched; w; w = w->next)
        n++;
    struct watch **todo = n ? malloc((size_t)n * sizeof *todo) : NULL;
    int k = 0;
    if (todo)
        for (struct watch *w = watched; w && k < n; w = w->next)
            if (everything || (int32_t)(t - w->next_due_ms) >= 0)
                todo[k++] = w;
    pthread_mutex_unlock(&registry_lock);

    uint64_t scanned = 0;
    if (k) {
        mapped_ranges_refresh(&ranges);
        uint64_t slice_start = clock_now_ns();
        for (int i = 0; i < k; i++) {
            scanned += measure(todo[i]);
            todo[i]->next_due_ms = t + retain_config.interval_ms;
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
    free(todo);

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    uint64_t cpu = (uint64_t)(c1.tv_sec - c0.tv_sec) * 1000000000ull + (uint64_t)c1.tv_nsec -
                   (uint64_t)c0.tv_nsec;
    pthread_mutex_lock(&registry_lock);
    stats.passes++;
    stats.bytes_scanned += scanned;
    stats.cpu_ns += cpu;
    pthread_mutex_unlock(&registry_lock);
    /* Stay within the budget: after a pass that cost c, rest c/budget. */
    budget_next_ns = clock_now_ns() + (uint64_t)((double)cpu / CPU_BUDGET);
}

void retention_sample_pass(void) { pass(0); }

uint64_t retention_next_wait_ms(void)
{
    uint64_t now = clock_now_ns();
    uint64_t left = budget_next_ns > now ? (budget_next_ns - now) / 1000000u + 1 : 0;
    return left > retain_config.interval_ms ? left : retain_config.interval_ms;
}

static int by_retained(const void *a, const void *b)
{
    const struct finding *x = a, *y = b;
    if (x->retained_bytes != y->retained_bytes)
        return x->retained_bytes < y->retained_bytes ? 1 : -1;
    return x->address > y->address ? 1 : -1;
}

int retention_findings(struct finding **out, int final)
{
    if (final)
        pass(1);                /* a last look at every live block */
    uint32_t t = now_ms();
    pthread_mutex_lock(&registry_lock);
    collect_ended(t);
    int n = npast;
    for (struct watch *w = watched; w; w = w->next)
        n++;
    struct finding *f = malloc((size_t)(n ? n : 1) * sizeof *f);
    int k = 0;
    if (f) {
        for (int i = 0; i < npast; i++)
            f[k++] = past[i];
        for (struct watch *w = watched; w; w = w->next)
            if (k < n && as_finding(w, t, &f[k]))
                k++;
    }
    pthread_mutex_unlock(&registry_lock);
    if (f)
        qsort(f, (size_t)k, sizeof *f, by_retained);
    *out = f;
    return k;
}

void retention_stats(struct sampler_stats *out)
{
    pthread_mutex_lock(&registry_lock);
    *out = stats;
    pthread_mutex_unlock(&registry_lock);
}

void retention_lock(void) { pthread_mutex_lock(&registry_lock); }
void retention_unlock(void) { pthread_mutex_unlock(&registry_lock); }
void retention_after_fork_child(void)
{
    pthread_mutex_init(&registry_lock, NULL);
    /* The sampler may have been copying a block at the fork; it is gone. */
    for (struct watch *w = watched; w; w = w->next)
        spin_reset(&w->lock);
}
