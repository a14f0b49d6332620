/* medium.h: medium blocks (RETAIN_MEDIUM_SIZE up to RETAIN_MIN_SIZE), per
 * call site.
 *
 * Medium blocks are too many to watch one by one (1,500 per-user maps of
 * 328 KiB each) and too small to matter alone.  They ride on byte sampling:
 * a sampled medium block (interpose.c: it already has a stack, a site and a
 * block-table entry) adds its weight to its site's medium counters and may
 * take one of the site's few candidate slots.  The sampler (retention.c)
 * turns candidates that have lived long enough into watches, at most
 * MEDIUM_WATCHES_PER_SITE per site at a time, and estimates from their
 * readings what the whole site holds (medium_estimate).  A medium block
 * that dies young costs two atomic adds and a slot store, no watch. */
#ifndef RETAIN_MEDIUM_H
#define RETAIN_MEDIUM_H

#include <stdint.h>
#include "config.h"

struct site;
struct watch;
struct finding;

#define MEDIUM_CANDIDATES 8
#define MEDIUM_WATCHES_PER_SITE 16

/* One per site that has had a sampled medium block; never freed (sites are
 * not either). */
struct medium_site {
    struct site *site;
    struct medium_site *next;           /* every medium site, newest first */
    uintptr_t cand[MEDIUM_CANDIDATES];  /* sampled blocks not yet looked at; 0 = free slot */
    uint32_t cand_birth[MEDIUM_CANDIDATES];     /* their births (a hint: medium_wake_due) */
    /* Live sampled medium blocks of the site, scaled by their weights
     * (in 1/1024ths: medium.c): estimates of its live medium blocks and
     * bytes, and the Horvitz-Thompson variance of the bytes estimate, in
     * KiB^2.  Read them with the functions below. */
    int64_t live_blocks_fx;
    int64_t live_bytes_fx;
    int64_t var_kib2;
    /* The sampler's, under retention's registry lock. */
    struct watch *watches;              /* this site's medium watches */
    int nwatches;
    int kept_state;                     /* retention.c: the last site finding's state */
    struct finding *kept;
    uint32_t ended_retained;            /* watched blocks freed while retained */
    uint32_t ended_retained_at_keep;    /* ... when kept was last taken */
};

/* Is a block of n bytes medium?  One compare more than the large test. */
static inline int medium_sized(uint64_t n)
{
    return n >= retain_config.medium_size && n < retain_config.min_size &&
           retain_config.medium_size != 0;
}

/* What one sampled block of `size` bytes stands for, 1/p (alloc_sampling.h),
 * within 1e-3; 1 in exact mode (sample_bytes 0). */
double medium_weight(uint64_t size, uint64_t sample_bytes);

/* Allocation path, for a sampled (tracked) medium block of site s, born at
 * birth_ms (since profiler start, the block table's clock). */
void medium_note_alloc(struct site *s, uintptr_t addr, uint64_t size, uint32_t birth_ms);
/* Allocation path: that block is gone. */
void medium_note_free(struct site *s, uintptr_t addr, uint64_t size);

/* When a candidate placed since the last check will have lived one
 * RETAIN_INTERVAL (0: none pending).  Set on the allocation path. */
extern uint32_t medium_wake_ms;
int medium_candidate_aged(uint32_t now_ms);
/* Allocation path (every tracked block, now_ms its birth): is a candidate
 * old enough to need the sampler?  One load while none is pending; when
 * one is due, a look at the candidates (which also moves the time on). */
static inline int medium_wake_due(uint32_t now_ms)
{
    uint32_t due = __atomic_load_n(&medium_wake_ms, __ATOMIC_RELAXED);
    return __builtin_expect(due != 0, 0) && (int32_t)(now_ms - due) >= 0 &&
           medium_candidate_aged(now_ms);
}

/* The site's live medium blocks and bytes (estimates), and the variance
 * of the bytes estimate (bytes^2). */
double medium_live_blocks(const struct medium_site *m);
double medium_live_bytes(const struct medium_site *m);
double medium_live_bytes_var(const struct medium_site *m);

/* Every medium site, newest first (a stable snapshot of the list head). */
struct medium_site *medium_sites(void);

/* What one watched block of a site read: its capacity and what it retains
 * (0 unless it is retained as a block finding would be). */
struct medium_sample {
    uint64_t size;
    uint64_t retained;
};

struct medium_estimate {
    double retained;            /* estimated retained bytes of the site's live medium blocks */
    double error;               /* its standard error */
    double share;               /* retained bytes per byte of capacity among the samples */
};

/* The ratio estimator: the samples' retained share times the site's
 * capacity (capacity, estimated with variance capacity_var, over `blocks`
 * blocks).  The error combines the share's sampling error (with the finite
 * population correction) and the capacity's. */
struct medium_estimate medium_estimate(const struct medium_sample *s, int n, double blocks,
                                       double capacity, double capacity_var);

/* Square root without libm (Newton's method). */
double medium_sqrt(double x);

#endif
