/* interpose.c: the malloc family, as seen by the program.
 *
 * Every wrapper forwards to the real allocator and then records what
 * happened.  The path for an untracked block is: one thread-local lookup,
 * counter updates, the block's usable size and, on free, one load from the
 * block table's filter.  Stacks are captured only for blocks that are
 * tracked: every large block, and small ones picked by byte sampling (or all
 * of them in exact mode, RETAIN_SAMPLE=0).
 *
 * Recursion: while the profiler itself runs on a thread (retain_guard), any
 * allocation it causes (libunwind, libdw, stdio) passes straight through. */
#include "block_table.h"
#include "clock.h"
#include "config.h"
#include "container.h"
#include "fds.h"
#include "guard.h"
#include "interp.h"
#include "medium.h"
#include "profiler.h"
#include "real_alloc.h"
#include "big_internal.h"
#include "internal_alloc.h"
#include "probe_liveness.h"
#include "retention.h"
#include "sampler.h"
#include "alloc_sampling.h"
#include "site_table.h"
#include "symbolize.h"
#include "thread_state.h"
#include "unwind.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- entering and leaving the profiler ---------------------------------- */

/* Counting starts with the first call, before the constructor has run, so
 * that a block allocated early and freed later balances in the totals;
 * tracking (stacks, sites) waits until the profiler is ready. */
static inline struct thread_state *enter(void)
{
    if (unlikely(retain_guard))
        return NULL;
    retain_guard = 1;
    struct thread_state *ts = thread_state_get();
    if (unlikely(!ts))
        retain_guard = 0;
    return ts;
}

static inline void leave(void)
{
    retain_guard = 0;
}

static inline int ensure_real(void)
{
    return likely(real.malloc != NULL) || real_alloc_resolve();
}

/* One compare for |unflushed| > RETAIN_FLUSH_BYTES. */
static inline int unflushed_over(const struct thread_state *ts)
{
    return (uint64_t)(ts->unflushed + RETAIN_FLUSH_BYTES) > 2 * (uint64_t)RETAIN_FLUSH_BYTES;
}

/* ---- sampling ----------------------------------------------------------- */

/* Sampling (alloc_sampling.h) draws from this thread's generator. */
static int64_t next_gap(struct thread_state *ts)
{
    return alloc_sampling_next_gap(&ts->rng, retain_config.sample_bytes);
}

/* ---- recording ---------------------------------------------------------- */

/* A tracked block (already out of the block table) is gone: its site and
 * its watch learn of it. */
static inline __attribute__((always_inline)) void untrack(struct thread_state *ts,
                                                          const struct block *b, int reallocated)
{
    if (b->site)
        site_account_free(b->site, b->weight, b->size * b->weight);
    if (unlikely(medium_sized(b->size)))
        medium_note_free(b->site, b->addr, b->size);
    if (b->watch)
        retention_unwatch(b->watch, reallocated);
    if (b->size >= retain_config.min_size)
        live_gauge_flush(ts);
}

static void track(struct thread_state *ts, void *p, size_t n, uint32_t weight)
{
    uintptr_t ips[RETAIN_MAX_DEPTH];
    int depth = unwind_capture(ips, (int)retain_config.depth);
    /* The Python frames of this thread, if it runs Python: part of the site. */
    uintptr_t py[INTERP_MAX_FRAMES * INTERP_WORDS_PER_FRAME];
    int npy = interp_capture(py, INTERP_MAX_FRAMES);
    struct block b;
    b.addr = (uintptr_t)p;
    b.size = n;
    b.site = site_intern_with(ips, depth, py, npy * INTERP_WORDS_PER_FRAME);
    b.weight = weight;
    b.birth_ms = clock_since_start_ms(clock_coarse_ns());
    b.watch = n >= retain_config.min_size ? retention_watch(&b) : NULL;
    struct block stale;
    int rc = block_insert(&b, &stale);
    if (rc < 0) {
        if (b.watch)
            retention_unwatch(b.watch, 0);
        return;
    }
    if (rc > 0) {
        /* The address was handed out again, so the block tracked there was
         * freed behind the wrappers (a deep-bound library's free): end it
         * here, or its watch and bytes would stay forever.  Its usable size
         * is gone with it: the requested size stands in. */
        ts->c.frees++;
        ts->c.bytes_freed += stale.size;
        ts->unflushed -= (int64_t)stale.size;
        untrack(ts, &stale, 0);
    }
    if (b.site)
        site_account_alloc(b.site, weight, (uint64_t)n * weight);
    /* A sampled medium block: its site's counters and, if a slot is free,
     * a candidate for the sampler to watch once it has lived a while.  The
     * sampler is made only when a candidate has (medium_wake_due): a
     * process whose medium blocks all die young stays as it was. */
    if (unlikely(medium_sized(n)))
        medium_note_alloc(b.site, b.addr, n, b.birth_ms);
    if (unlikely(medium_wake_due(b.birth_ms)))
        sampler_ensure();
}

/* The rest of note_alloc, out of line: the profiler is not ready or wants
 * its sampler started, the block is large or sampled (a small one's bytes
 * are already counted down in sample_left), or the thread's live-byte
 * delta is due to be flushed.  Inlined whole, the wrappers spent 4% of a
 * C++ program's time (bench/stl.cc) in note_alloc's call and register
 * saves, for the few compares most allocations need. */
static __attribute__((noinline)) void note_alloc_slow(struct thread_state *ts, void *p, size_t n)
{
    if (unlikely(!__atomic_load_n(&profiler.ready, __ATOMIC_RELAXED)))
        return;
    if (unlikely(__atomic_load_n(&sampler_wanted, __ATOMIC_RELAXED)))
        sampler_ensure();

    if (n >= retain_config.min_size) {
        sampler_ensure();               /* a block to watch: the sampler's work */
        track(ts, p, n, 1);
        live_gauge_flush(ts);
        return;
    }
    if (retain_config.sample_bytes == 0) {
        track(ts, p, n, 1);
    } else if (ts->sample_left <= 0) {
        /* A new thread starts at a random point of the sampling process,
         * not at a sample: otherwise every thread's first allocation would
         * be sampled, and many short threads would be counted thousands of
         * times over. */
        int enters = !ts->sample_primed;
        ts->sample_primed = 1;
        if (enters)
            ts->sample_left += next_gap(ts);
        if (ts->sample_left <= 0) {
            ts->sample_left = next_gap(ts);
            track(ts, p, n, alloc_sampling_weight(n, retain_config.sample_bytes));
        }
    }
    if (unflushed_over(ts))
        live_gauge_flush(ts);
}

/* Every allocation: counters, liveness, and the countdown to the next
 * sampled small block (exact mode: sample_left stays at or below zero, so
 * every block goes to note_alloc_slow; large blocks do not count down). */
static inline __attribute__((always_inline)) void note_alloc(struct thread_state *ts, void *p,
                                                             size_t n)
{
    size_t usable = real_usable_size(p);
    ts->c.allocations++;
    ts->c.bytes_allocated += usable;
    ts->unflushed += (int64_t)usable;
    liveness_on_alloc(p);
    if (likely(n < retain_config.min_size)) {
        ts->sample_left -= (int64_t)n;
        if (likely(ts->sample_left > 0) && !unflushed_over(ts) &&
            likely(__atomic_load_n(&profiler.ready, __ATOMIC_RELAXED)) &&
            likely(!__atomic_load_n(&sampler_wanted, __ATOMIC_RELAXED)))
            return;
    }
    note_alloc_slow(ts, p, n);
}

/* A block gone from the program (free, or realloc that moved or shrank
 * it): counters, liveness, and, if it was tracked (b, already removed from
 * the block table), its site and watch. */
static inline __attribute__((always_inline)) void note_gone(struct thread_state *ts, void *p,
                                                            size_t usable, const struct block *b,
                                                            int reallocated)
{
    ts->c.frees++;
    ts->c.bytes_freed += usable;
    ts->unflushed -= (int64_t)usable;
    liveness_on_free(p);
    if (b)
        untrack(ts, b, reallocated);
}

/* Called before the block goes back to the allocator: once freed, its
 * address may be handed to another thread and tracked again. */
static void note_free(struct thread_state *ts, void *p)
{
    size_t usable = real_usable_size(p);
    if (real_is_glibc)
        big_internal_note_free(((const size_t *)p)[-1]);
    struct block b;
    int tracked = block_remove((uintptr_t)p, &b);
    /* A watched block's last moment with its header intact (not in
     * realloc: the old block may be gone by the time it is noted). */
    if (tracked && b.watch)
        container_note_freed(b.addr, b.size, b.site);
    note_gone(ts, p, usable, tracked ? &b : NULL, 0);
    if (unflushed_over(ts)) {
        live_gauge_flush(ts);
        /* a forked child that only frees (drains what it inherited) */
        if (unlikely(__atomic_load_n(&sampler_wanted, __ATOMIC_RELAXED)))
            sampler_ensure();
    }
}

/* A block from the bootstrap arena moves to q (real memory). */
static void *leave_bootstrap(void *q, void *p, size_t n)
{
    if (q && p) {
        size_t old = bootstrap_size(p);
        memcpy(q, p, old < n ? old : n);
    }
    return q;
}

/* ---- the wrappers ------------------------------------------------------- */

EXPORT void *malloc(size_t n)
{
    if (unlikely(!ensure_real()))
        return bootstrap_alloc(n, 16);
    struct thread_state *ts = enter();
    if (!ts)        /* libretain's own, or libdw's under the guard: internal_alloc.h */
        return retain_guard ? internal_malloc(n) : real.malloc(n);
    void *p = real.malloc(n);
    if (p)
        note_alloc(ts, p, n);
    leave();
    return p;
}

EXPORT void *calloc(size_t n, size_t m)
{
    if (unlikely(!ensure_real())) {
        size_t total;
        if (__builtin_mul_overflow(n, m, &total)) {
            errno = ENOMEM;
            return NULL;
        }
        return bootstrap_alloc(total, 16);   /* static memory is zeroed */
    }
    struct thread_state *ts = enter();
    if (!ts)
        return retain_guard ? internal_calloc(n, m) : real.calloc(n, m);
    void *p = real.calloc(n, m);
    if (p)
        note_alloc(ts, p, n * m);       /* cannot overflow: calloc succeeded */
    leave();
    return p;
}

EXPORT void free(void *p)
{
    /* p came from the real allocator, so it is resolved. */
    if (!p || unlikely(bootstrap_owns(p)))
        return;
    /* Before the guard test: one of libretain's own mappings may be freed
     * by whichever thread the library that asked for it runs on. */
    if (unlikely(big_internal_any()) && big_internal_free(p))
        return;
    struct thread_state *ts = enter();
    if (!ts) {
        real.free(p);
        return;
    }
    note_free(ts, p);
    real.free(p);
    leave();
}

static void *realloc_tracked(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    if (unlikely(bootstrap_owns(p)))
        return leave_bootstrap(malloc(n), p, n);
    if (unlikely(big_internal_any()) && big_internal_owns(p, NULL))
        return internal_realloc(p, n);
    struct thread_state *ts = enter();
    if (!ts)
        return retain_guard ? internal_realloc(p, n) : real.realloc(p, n);
    /* Untrack first: realloc may free p, and another thread may then get
     * the same address. */
    size_t old_usable = real_usable_size(p);
    struct block old;
    int was_tracked = block_remove((uintptr_t)p, &old);
    void *q = real.realloc(p, n);
    if (!q && n != 0) {
        /* Failed: p is untouched and still the program's. */
        if (was_tracked && block_insert(&old, NULL) < 0 && old.watch)
            retention_unwatch(old.watch, 0);
        leave();
        return NULL;
    }
    note_gone(ts, p, old_usable, was_tracked ? &old : NULL, 1);
    if (q)
        note_alloc(ts, q, n);
    else if (unflushed_over(ts))
        live_gauge_flush(ts);
    leave();
    return q;
}

EXPORT void *realloc(void *p, size_t n)
{
    if (unlikely(!ensure_real()))
        return leave_bootstrap(bootstrap_alloc(n, 16), p, n);
    return realloc_tracked(p, n);
}

EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
    size_t total;
    if (__builtin_mul_overflow(n, m, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, total);
}

/* The aligned variants share one path: forward, then record. */
static void *aligned_done(void *p, size_t n)
{
    if (!p)
        return NULL;
    struct thread_state *ts = enter();
    if (ts) {
        note_alloc(ts, p, n);
        leave();
    }
    return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (unlikely(!ensure_real())) {
        if (align < sizeof(void *) || (align & (align - 1)))
            return EINVAL;
        void *p = bootstrap_alloc(n, align);
        if (!p)
            return ENOMEM;
        *out = p;
        return 0;
    }
    void *p;
    int rc = real.posix_memalign(&p, align, n);
    if (rc == 0)
        *out = aligned_done(p, n);
    return rc;
}

EXPORT void *memalign(size_t align, size_t n)
{
    if (unlikely(!ensure_real()))
        return bootstrap_alloc(n, align);
    return aligned_done(real.memalign(align, n), n);
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
    if (unlikely(!ensure_real()))
        return bootstrap_alloc(n, align);
    void *p = real.aligned_alloc ? real.aligned_alloc(align, n) : real.memalign(align, n);
    return aligned_done(p, n);
}

EXPORT void *valloc(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (unlikely(!ensure_real()))
        return bootstrap_alloc(n, page);
    void *p = real.valloc ? real.valloc(n) : real.memalign(page, n);
    return aligned_done(p, n);
}

EXPORT void *pvalloc(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t rounded = (n + page - 1) & ~(page - 1);
    if (rounded < n) {
        errno = ENOMEM;
        return NULL;
    }
    if (rounded == 0)
        rounded = page;
    if (unlikely(!ensure_real()))
        return bootstrap_alloc(rounded, page);
    void *p = real.pvalloc ? real.pvalloc(n) : real.memalign(page, rounded);
    return aligned_done(p, rounded);
}

EXPORT size_t malloc_usable_size(void *p)
{
    if (!p)
        return 0;
    if (unlikely(bootstrap_owns(p)))
        return bootstrap_size(p);
    size_t big;
    if (unlikely(big_internal_any()) && big_internal_owns(p, &big))
        return big;
    if (unlikely(!ensure_real()))
        return 0;
    return real.malloc_usable_size(p);
}

/* _exit skips atexit handlers and destructors; a program that ends that way
 * still gets its report.  _exit is async-signal-safe, and so is this: the
 * report is written on the sampler thread (profiler_finish), which this
 * only signals and waits for, and skipped when this thread was interrupted
 * inside an allocation. */
EXPORT void _exit(int status)
{
    profiler_finish();
    ensure_real();
    real._exit(status);
    __builtin_unreachable();
}

EXPORT void _Exit(int status)
{
    profiler_finish();
    ensure_real();
    real._Exit(status);
    __builtin_unreachable();
}

/* A library loaded with RTLD_DEEPBIND binds malloc and free to the C
 * library's: the sampler thread, made now if need be, points its slots at
 * the wrappers at its next wake-up (rebind.c).  dlopen looks at its caller
 * (RUNPATH, $ORIGIN, namespace): the call below must stay a tail call, so
 * that the caller glibc sees is the program's, not libretain. */
__attribute__((optimize("optimize-sibling-calls")))
EXPORT void *dlopen(const char *file, int mode)
{
    if ((mode & RTLD_DEEPBIND) && __atomic_load_n(&profiler.ready, __ATOMIC_ACQUIRE)) {
        sampler_ensure();
        sampler_soon();
    }
    if (unlikely(!ensure_real() || !real.dlopen))
        return NULL;
    return real.dlopen(file, mode);
}

/* dlclose may unmap a library whose code allocated blocks: remember it
 * first, so that its call sites still resolve in later reports. */
EXPORT int dlclose(void *handle)
{
    if (!ensure_real() || !real.dlclose)
        return -1;
    if (__atomic_load_n(&profiler.ready, __ATOMIC_ACQUIRE)) {
        struct guard g = guard_enter();
        modules_note_unload(handle);
        guard_leave(g);
    }
    return real.dlclose(handle);
}

/* libunwind opens a pipe for memory validation on its first unwind (and
 * again whenever a read on it fails), and its unwinds need it.  pipe2
 * hands out the lowest free descriptors, which a program that closed 0-2 is
 * about to reuse: the pipe is moved high (fds.h) before libunwind sees it.
 * Other callers are forwarded untouched. */
EXPORT int pipe2(int fds[2], int flags)
{
    if (!ensure_real() || !real.pipe2) {
        errno = ENOSYS;
        return -1;
    }
    int rc = real.pipe2(fds, flags);
    if (rc == 0 && unwind_active) {
        fds[0] = fd_move_high(fds[0]);
        fds[1] = fd_move_high(fds[1]);
    }
    return rc;
}

/* A seccomp filter installed by the program may kill the process on any
 * system call the program itself does not make: the profiler stops its own
 * activity before the filter goes in (profiler_enter_sandbox). */
EXPORT int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long),
                  a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
    va_end(ap);
    if (!ensure_real() || !real.prctl) {
        errno = ENOSYS;
        return -1;
    }
    if (option == PR_SET_SECCOMP) {
        interp_stop();          /* its reads would be calls the filter may forbid */
        profiler_seccomp(a2 == SECCOMP_MODE_FILTER ? (const void *)a3 : NULL, 0);
    }
    return real.prctl(option, a2, a3, a4, a5);
}

EXPORT long syscall(long number, ...)
{
    va_list ap;
    va_start(ap, number);
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long),
         a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    if (!ensure_real() || !real.syscall) {
        errno = ENOSYS;
        return -1;
    }
    if ((number == SYS_seccomp && (a1 == SECCOMP_SET_MODE_FILTER || a1 == SECCOMP_SET_MODE_STRICT)) ||
        (number == SYS_prctl && a1 == PR_SET_SECCOMP))
        interp_stop();
    if (number == SYS_seccomp && (a1 == SECCOMP_SET_MODE_FILTER || a1 == SECCOMP_SET_MODE_STRICT))
        profiler_seccomp(a1 == SECCOMP_SET_MODE_FILTER ? (const void *)a3 : NULL,
                         (a2 & SECCOMP_FILTER_FLAG_TSYNC) != 0);
    else if (number == SYS_prctl && a1 == PR_SET_SECCOMP)
        profiler_seccomp(a2 == SECCOMP_MODE_FILTER ? (const void *)a3 : NULL, 0);
    return real.syscall(number, a1, a2, a3, a4, a5, a6);
}
