/* medium.c: medium blocks per call site: counters and candidate slots on
 * the allocation path, the list of medium sites, the estimator. */
#include "medium.h"
#include "alloc_sampling.h"
#include "arena.h"
#include "site_table.h"

static struct medium_site *all_medium;

struct medium_site *medium_sites(void)
{
    return __atomic_load_n(&all_medium, __ATOMIC_ACQUIRE);
}

/* Once per site: arena memory (no lock held by the caller but the guard). */
static struct medium_site *medium_of(struct site *s)
{
    struct medium_site *m = __atomic_load_n(&s->medium, __ATOMIC_ACQUIRE);
    if (m)
        return m;
    struct medium_site *fresh = arena_alloc(sizeof *fresh);
    if (!fresh)
        return NULL;
    fresh->site = s;
    if (!__atomic_compare_exchange_n(&s->medium, &m, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return m;               /* another thread was first: this record stays unused */
    struct medium_site *head = __atomic_load_n(&all_medium, __ATOMIC_RELAXED);
    do
        fresh->next = head;
    while (!__atomic_compare_exchange_n(&all_medium, &head, fresh, 1, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
    return fresh;
}

/* Medium counters in 1/1024ths of a block: a sample's weight is 1/p, p the
 * chance that byte sampling picks a block of that size (alloc_sampling.h),
 * not the rounded integer weight the site table uses (a 328 KiB block at
 * the default 512 KiB is picked with p = 0.47: 2.11, rounded to 2, would
 * count the site's blocks 5% short).  Computed again from the size at free,
 * so that what is added is exactly what is taken away. */
#define WEIGHT_ONE 1024

/* 1/p = 1 / (1 - exp(-x)), x = size / RETAIN_SAMPLE, without exp on the
 * allocation path (alloc_sampling_expm1 is 15 divisions: it was a tenth of
 * a medium churn's time): below x = 1 its Laurent series, 1/x + 1/2 + x/12
 * - x^3/720 (next term x^5/30240); from 1 to 16 a table at steps of 1/16,
 * interpolated (error < 1e-3 of the weight); above, 1.  Both sides of a
 * block's life compute the same number from its size. */
#define WEIGHT_STEPS 16
#define WEIGHT_XMAX 16
static double inv_p[(WEIGHT_XMAX - 1) * WEIGHT_STEPS + 2];
static int inv_p_state;         /* 0 empty, 1 being filled, 2 ready */

/* One entry, computed by one function (not inlined) so that the table and
 * the fallback below give the same bits. */
__attribute__((noinline)) static double inv_p_at(size_t i)
{
    return 1.0 / -alloc_sampling_expm1(-(1.0 + (double)i / WEIGHT_STEPS));
}

/* The table is filled by the first weight that needs it, not at start-up
 * (242 expm1s, ~10 us of every process's start).  Pure arithmetic, so safe
 * on the allocation path.  Returns 0 while it is being filled (by another
 * thread, or by this one in a signal handler's malloc): the caller then
 * computes the two entries it needs with inv_p_at, the same numbers. */
static int inv_p_ready(void)
{
    int st = __atomic_load_n(&inv_p_state, __ATOMIC_ACQUIRE);
    if (__builtin_expect(st == 2, 1))
        return 1;
    if (st != 0 || !__atomic_compare_exchange_n(&inv_p_state, &st, 1, 0, __ATOMIC_ACQ_REL,
                                                __ATOMIC_ACQUIRE))
        return 0;
    for (size_t i = 0; i < sizeof inv_p / sizeof inv_p[0]; i++)
        inv_p[i] = inv_p_at(i);
    __atomic_store_n(&inv_p_state, 2, __ATOMIC_RELEASE);
    return 1;
}

double medium_weight(uint64_t size, uint64_t sample_bytes)
{
    if (sample_bytes == 0)
        return 1;
    double x = (double)size / (double)sample_bytes;
    if (x < 1)
        return x > 1e-9 ? 1 / x + 0.5 + x / 12 - x * x * x / 720 : 1e9;
    if (x >= WEIGHT_XMAX)
        return 1;
    double at = (x - 1) * WEIGHT_STEPS;
    int i = (int)at;
    double frac = at - i;
    double lo, hi;
    if (inv_p_ready()) {
        lo = inv_p[i];
        hi = inv_p[i + 1];
    } else {
        lo = inv_p_at((size_t)i);
        hi = inv_p_at((size_t)i + 1);
    }
    return lo + (hi - lo) * frac;
}

static int64_t weight_fixed(uint64_t size)
{
    double w = medium_weight(size, retain_config.sample_bytes);
    return (int64_t)(w * WEIGHT_ONE + 0.5);
}

/* The Horvitz-Thompson variance term of one sample, size^2 w (w - 1), in KiB^2. */
static int64_t var_term(uint64_t size, int64_t wf)
{
    double kib = (double)(size >> 10), w = (double)wf / WEIGHT_ONE;
    return (int64_t)(kib * kib * w * (w - 1) + 0.5);
}

static void account(struct medium_site *m, uint64_t size, int sign)
{
    int64_t wf = weight_fixed(size);
    __atomic_add_fetch(&m->live_blocks_fx, sign * wf, __ATOMIC_RELAXED);
    __atomic_add_fetch(&m->live_bytes_fx, sign * (int64_t)size * wf, __ATOMIC_RELAXED);
    __atomic_add_fetch(&m->var_kib2, sign * var_term(size, wf), __ATOMIC_RELAXED);
}

uint32_t medium_wake_ms;

/* The earliest time (birth + interval, never 0) a pending candidate needs
 * the sampler; the first to set it wins, a later check moves it on. */
static void wake_at(uint32_t due)
{
    uint32_t zero = 0;
    due |= 1;
    __atomic_compare_exchange_n(&medium_wake_ms, &zero, due, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

int medium_candidate_aged(uint32_t now)
{
    /* Whoever checks takes the time off: others go on with one load. */
    uint32_t due = __atomic_exchange_n(&medium_wake_ms, 0, __ATOMIC_RELAXED);
    if (!due)
        return 0;
    uint32_t interval = retain_config.interval_ms, next = 0;
    int aged = 0;
    for (struct medium_site *m = medium_sites(); m && !aged; m = m->next)
        for (int i = 0; i < MEDIUM_CANDIDATES; i++) {
            if (!__atomic_load_n(&m->cand[i], __ATOMIC_RELAXED))
                continue;
            uint32_t b = __atomic_load_n(&m->cand_birth[i], __ATOMIC_RELAXED);
            if ((int32_t)(now - b) >= (int32_t)interval) {
                aged = 1;
                break;
            }
            if (!next || (int32_t)(b + interval - next) < 0)
                next = b + interval;
        }
    if (!aged && next)
        wake_at(next);
    return aged;
}

void medium_note_alloc(struct site *s, uintptr_t addr, uint64_t size, uint32_t birth_ms)
{
    struct medium_site *m = s ? medium_of(s) : NULL;
    if (!m)
        return;
    account(m, size, 1);
    /* A free slot, if any: the sampler empties slots whose block is gone or
     * looked at, so that later blocks get their turn. */
    for (int i = 0; i < MEDIUM_CANDIDATES; i++) {
        uintptr_t zero = 0;
        if (!__atomic_load_n(&m->cand[i], __ATOMIC_RELAXED) &&
            __atomic_compare_exchange_n(&m->cand[i], &zero, addr, 0, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED)) {
            __atomic_store_n(&m->cand_birth[i], birth_ms, __ATOMIC_RELAXED);
            wake_at(birth_ms + retain_config.interval_ms);
            break;
        }
    }
}

void medium_note_free(struct site *s, uintptr_t addr, uint64_t size)
{
    struct medium_site *m = s ? __atomic_load_n(&s->medium, __ATOMIC_ACQUIRE) : NULL;
    if (!m)
        return;
    account(m, size, -1);
    for (int i = 0; i < MEDIUM_CANDIDATES; i++) {
        uintptr_t want = addr;
        if (__atomic_load_n(&m->cand[i], __ATOMIC_RELAXED) == addr)
            __atomic_compare_exchange_n(&m->cand[i], &want, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    }
}

double medium_live_blocks(const struct medium_site *m)
{
    return (double)__atomic_load_n(&m->live_blocks_fx, __ATOMIC_RELAXED) / WEIGHT_ONE;
}

double medium_live_bytes(const struct medium_site *m)
{
    return (double)__atomic_load_n(&m->live_bytes_fx, __ATOMIC_RELAXED) / WEIGHT_ONE;
}

double medium_live_bytes_var(const struct medium_site *m)
{
    return (double)__atomic_load_n(&m->var_kib2, __ATOMIC_RELAXED) * 1024.0 * 1024.0;
}

double medium_sqrt(double x)
{
    if (!(x > 0))
        return 0;
    double r = x >= 1 ? x : 1;
    for (int i = 0; i < 200; i++) {
        double next = 0.5 * (r + x / r);
        if (next >= r)
            break;
        r = next;
    }
    return r;
}

struct medium_estimate medium_estimate(const struct medium_sample *s, int n, double blocks,
                                       double capacity, double capacity_var)
{
    struct medium_estimate e = { 0, 0, 0 };
    if (n <= 0 || capacity <= 0)
        return e;
    double size = 0, retained = 0;
    for (int i = 0; i < n; i++) {
        size += (double)s[i].size;
        retained += (double)s[i].retained;
    }
    if (size <= 0)
        return e;
    double share = retained / size;
    e.share = share;
    e.retained = share * capacity;
    /* Var(share) ~ (1 - n/N) s^2 / (n mean_size^2), s^2 the residuals'
     * variance around the ratio. */
    double var_share = 0;
    if (n >= 2) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            double d = (double)s[i].retained - share * (double)s[i].size;
            ss += d * d;
        }
        double mean = size / n;
        double fpc = blocks > n ? 1 - n / blocks : 0;
        var_share = fpc * (ss / (n - 1)) / (n * mean * mean);
    } else {
        var_share = share * (1 - share) > 0 ? share * (1 - share) : 0.25;
    }
    double var = share * share * (capacity_var > 0 ? capacity_var : 0) +
                 capacity * capacity * var_share;
    e.error = medium_sqrt(var);
    return e;
}
