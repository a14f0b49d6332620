/* interpose_mmap.c: large anonymous mappings as blocks.
 *
 * A runtime with its own allocator may take a large array straight from
 * the kernel: PHP's Zend allocator maps every block of 2 MiB and up with
 * mmap, so a PHP array's 40 MiB bucket array never reaches malloc.  Such a
 * mapping, made through the C library's mmap (or mmap64) and private,
 * anonymous, readable and writable, of at least RETAIN_MIN_SIZE, is tracked
 * as a block with the caller's stack: watched, measured and reported like a
 * large malloc block, its finding's source "mmap".  munmap, mremap and
 * MAP_FIXED change it as they change the mapping: a block whose range is
 * cut ends, the parts left (of RETAIN_MIN_SIZE and up) are new blocks of the
 * same site, as a realloc'd block would be.
 *
 * Not tracked:
 * - mappings made while the guard is set: libretain's own, libunwind's and
 *   libdw's, and the real allocator's under the malloc wrappers (jemalloc,
 *   tcmalloc, mimalloc map their chunks from inside malloc);
 * - mappings whose caller lies in an object that defines malloc itself: an
 *   allocator's chunks mapped outside a malloc call (through its own entry
 *   points, jemalloc's mallocx, mimalloc's mi_malloc, which Rust's
 *   allocator crates call), whatever its name; the C library maps its own
 *   through an internal mmap that no preload sees;
 * - a runtime allocator's arenas: a call site that keeps many mappings of
 *   one size (track_new);
 * - shared, file-backed, read-only or PROT_NONE (reserved) mappings, and
 *   stacks (MAP_STACK, MAP_GROWSDOWN).
 *
 * The hooks never keep a lock while calling anything: the table's spinlock
 * covers its own array.  A block leaves the table and its watch ends before
 * the range is unmapped (so a copy the sampler holds finishes first), and a
 * mapping is read only through process_vm_readv (retention_watch_mapped):
 * one unmapped behind the hooks' back (a raw system call) fails the read. */
#include "block_table.h"
#include "clock.h"
#include "config.h"
#include "container.h"
#include "dynsym.h"
#include "guard.h"
#include "interp.h"
#include "mapping_table.h"
#include "profiler.h"
#include "real_alloc.h"
#include "retention.h"
#include "sampler.h"
#include "site_table.h"
#include "thread_state.h"
#include "unwind.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define PAGE 4096u

/* ---- before the real functions are known -------------------------------- */

/* While dlsym looks the real functions up on this thread (real_alloc.c),
 * a mapping goes to the kernel directly. */
static long raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
#ifdef __x86_64__
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
#else
    (void)n, (void)a, (void)b, (void)c, (void)d, (void)e, (void)f;
    errno = ENOSYS;
    return -1;
#endif
}

static int ensure_real(void)
{
    return __builtin_expect(real.mmap != NULL, 1) || real_alloc_resolve();
}

/* ---- which mappings are blocks ------------------------------------------ */

static uintptr_t page_up(size_t n)
{
    return ((uintptr_t)n + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
}

static int wanted(int prot, int flags, size_t len)
{
    return (flags & MAP_ANONYMOUS) && (flags & MAP_TYPE) == MAP_PRIVATE &&
           (prot & (PROT_READ | PROT_WRITE)) == (PROT_READ | PROT_WRITE) &&
           !(flags & (MAP_STACK | MAP_GROWSDOWN)) && len >= retain_config.min_size;
}

/* The hooks do work only where the profiler is running, outside its own
 * code, on a thread with a record, and for a caller that is not an
 * allocator.  An allocator's code (its object defines malloc) may hold its
 * own locks here, outside any malloc call (jemalloc's mallocx maps its
 * extents under its extent mutex): tracking would allocate (the table, the
 * stack's site) and wait on that lock forever, besides taking its chunks
 * for the program's blocks.  So it is looked up before anything else, and
 * only when there is work: a mapping that qualifies, or tracked ones. */
static struct thread_state *enter(uintptr_t caller, struct guard *g)
{
    if (guard_held() || !__atomic_load_n(&profiler.ready, __ATOMIC_ACQUIRE) ||
        unwind_pc_is_ours(caller) || dynsym_object_at_defines(caller, "malloc"))
        return NULL;
    *g = guard_enter();
    struct thread_state *ts = thread_state_get();
    if (!ts)
        guard_leave(*g);
    return ts;
}

/* ---- tracking ----------------------------------------------------------- */

/* [lo, hi) is a block from now on, mapped at origin: of site, or of the
 * caller's stack when site is NULL. */
static void track(struct thread_state *ts, uintptr_t lo, uintptr_t hi, struct site *site,
                  uintptr_t origin)
{
    struct block b = { .addr = lo, .size = hi - lo, .weight = 1 };
    if (site) {
        b.site = site;
    } else {
        uintptr_t ips[RETAIN_MAX_DEPTH];
        int depth = unwind_capture(ips, (int)retain_config.depth);
        uintptr_t words[INTERP_MAX_FRAMES * INTERP_WORDS_PER_FRAME];
        int nframes = interp_capture(words, INTERP_MAX_FRAMES);
        b.site = site_intern_with(ips, depth, words, nframes * INTERP_WORDS_PER_FRAME);
    }
    b.birth_ms = clock_since_start_ms(clock_coarse_ns());
    sampler_ensure();
    b.watch = retention_watch_mapped(&b, origin);
    struct mapping m = { .lo = lo, .hi = hi, .site = b.site, .watch = b.watch, .birth_ms = b.birth_ms,
                         .origin = origin };
    if (mapping_insert(&m) < 0) {
        if (b.watch)
            retention_unwatch(b.watch, 0);
        return;
    }
    if (b.site)
        site_account_alloc(b.site, 1, b.size);
    ts->c.allocations++;
    ts->c.bytes_allocated += b.size;
    ts->unflushed += (int64_t)b.size;
    live_gauge_flush(ts);
}

/* A tracked mapping is gone (unmapped, replaced, or changed in size:
 * reallocated).  Called while its memory is still mapped. */
static void untrack(struct thread_state *ts, const struct mapping *m, int reallocated, int mapped)
{
    uint64_t size = m->hi - m->lo;
    if (!reallocated && mapped == 1)
        container_note_freed(m->lo, size, m->site);
    if (m->watch && mapped == 2)
        retention_discard(m->watch);
    else if (m->watch)
        retention_unwatch(m->watch, reallocated);
    if (m->site)
        site_account_free(m->site, 1, size);
    ts->c.frees++;
    ts->c.bytes_freed += size;
    ts->unflushed -= (int64_t)size;
    live_gauge_flush(ts);
}

static void track_new(struct thread_state *ts, uintptr_t lo, uintptr_t hi, struct site *site,
                      uintptr_t origin);

/* What a cut took, so that a call that fails can give it back. */
#define CUT_BATCH 16
struct cut {
    struct mapping taken[CUT_BATCH];    /* the parts inside the range, first ones */
    int ntaken;
    int any;                            /* some tracked mapping overlapped */
};

/* Every tracked mapping overlapping [lo, hi) ends: the range is about to be
 * unmapped, replaced or moved (still mapped while this runs, unless
 * mapped is 0: the kernel handed the range out again, so whatever was
 * tracked there went behind the hooks' back; 2 in untrack: an arena's,
 * dropped without a finding).  Parts outside the range
 * stay blocks of the same site.  A mapping cut whole by munmap is freed;
 * one cut in part, or moved (mremap), is reallocated. */
static void cut(struct thread_state *ts, uintptr_t lo, uintptr_t hi, int moving, int mapped,
                struct cut *c)
{
    c->ntaken = 0;
    c->any = 0;
    if (mapping_table_empty())
        return;
    struct mapping batch[CUT_BATCH];
    int n;
    do {
        n = mapping_cut(lo, hi, batch, CUT_BATCH);
        for (int i = 0; i < n; i++) {
            const struct mapping *m = &batch[i];
            int whole = m->lo >= lo && m->hi <= hi;
            c->any = 1;
            untrack(ts, m, moving || !whole, mapped);
            /* a part may be an arena's: Zend's chunks are trimmed to their
             * alignment out of a larger mapping */
            if (m->lo < lo && lo - m->lo >= retain_config.min_size)
                track_new(ts, m->lo, lo, m->site, m->origin);
            if (m->hi > hi && m->hi - hi >= retain_config.min_size)
                track_new(ts, hi, m->hi, m->site, m->origin);
            if (c->ntaken < CUT_BATCH) {
                struct mapping *t = &c->taken[c->ntaken++];
                *t = *m;
                t->lo = m->lo > lo ? m->lo : lo;
                t->hi = m->hi < hi ? m->hi : hi;
            }
        }
    } while (n == CUT_BATCH);
}

/* The call that was to change the range failed: the parts taken are
 * mapped as before, and blocks again (their history starts over). */
static void give_back(struct thread_state *ts, const struct cut *c)
{
    for (int i = 0; i < c->ntaken; i++)
        if (c->taken[i].hi - c->taken[i].lo >= retain_config.min_size)
            track_new(ts, c->taken[i].lo, c->taken[i].hi, c->taken[i].site, c->taken[i].origin);
}

/* ---- arenas of allocators that do not define malloc --------------------- */

/* A runtime's own allocator (CPython's pymalloc, PHP's Zend allocator)
 * maps its arenas through libc like any program, from code that neither
 * runs inside malloc nor defines it, and an arena whose small objects are
 * freed can read as a drained table.  What gives an arena away is how it
 * is mapped: one call site keeps many mappings of one size at once (pymalloc
 * 1 MiB arenas, Zend 2 MiB chunks), where a program's tables from one site
 * grow in size or come one at a time.  From the ARENA_MAPPINGS-th live
 * mapping of one size from one call site, that (site, size) is an arena:
 * its mappings are dropped (no finding, now or from ones already gone) and
 * no more are tracked.  Other sizes from the same call site (Zend's huge
 * blocks beside its chunks) stay blocks. */
#define ARENA_MAPPINGS 4

static void drop_arena(struct thread_state *ts, uintptr_t origin, uint64_t size)
{
    mapping_arena_add(origin, size);
    struct mapping batch[CUT_BATCH];
    int n;
    do {
        n = mapping_cut_like(origin, size, batch, CUT_BATCH);
        for (int i = 0; i < n; i++)
            untrack(ts, &batch[i], 0, 2);
    } while (n == CUT_BATCH);
    retention_forget_mapped(origin, size);
}

/* A mapping that qualifies (new, or a part left by a cut: of site): a
 * block, unless it is an arena's. */
static void track_new(struct thread_state *ts, uintptr_t lo, uintptr_t hi, struct site *site,
                      uintptr_t origin)
{
    uint64_t size = hi - lo;
    if (mapping_arena_known(origin, size))
        return;
    if (mapping_count_like(origin, size) + 1 >= ARENA_MAPPINGS) {
        drop_arena(ts, origin, size);
        return;
    }
    track(ts, lo, hi, site, origin);
}

/* ---- the wrappers ------------------------------------------------------- */

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);

static void *mapped(mmap_fn fn, void *addr, size_t len, int prot, int flags, int fd, off_t off,
                    uintptr_t caller)
{
    struct guard g;
    struct thread_state *ts;
    int fixed = (flags & MAP_FIXED) != 0;
    if (!fixed && !wanted(prot, flags, len)) {
        /* Not a block: only a stale entry where the kernel put it
         * matters (one lookup; the work only if there is one). */
        void *p = fn(addr, len, prot, flags, fd, off);
        uintptr_t lo = (uintptr_t)p;
        if (p != MAP_FAILED && mapping_overlaps(lo, lo + page_up(len)) && (ts = enter(caller, &g))) {
            struct cut stale;
            cut(ts, lo, lo + page_up(len), 0, 0, &stale);
            guard_leave(g);
        }
        return p;
    }
    if ((fixed && !wanted(prot, flags, len) &&
         !mapping_overlaps((uintptr_t)addr, (uintptr_t)addr + page_up(len))) ||
        !(ts = enter(caller, &g)))
        return fn(addr, len, prot, flags, fd, off);
    struct cut c = { .ntaken = 0 };
    int fixed_range = fixed && len && !((uintptr_t)addr & (PAGE - 1));
    if (fixed_range)
        cut(ts, (uintptr_t)addr, (uintptr_t)addr + page_up(len), 0, 1, &c);
    void *p = fn(addr, len, prot, flags, fd, off);
    if (p == MAP_FAILED) {
        int e = errno;
        give_back(ts, &c);
        guard_leave(g);
        errno = e;
        return p;
    }
    uintptr_t lo = (uintptr_t)p, hi = lo + page_up(len);
    if (!fixed_range)
        cut(ts, lo, hi, 0, 0, &c);      /* stale entries: unmapped behind the hooks */
    if (wanted(prot, flags, len))
        track_new(ts, lo, hi, NULL, caller);
    guard_leave(g);
    return p;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (__builtin_expect(!ensure_real(), 0))
        return (void *)raw_syscall(SYS_mmap, (long)addr, (long)len, prot, flags, fd, (long)off);
    return mapped(real.mmap, addr, len, prot, flags, fd, off,
                  (uintptr_t)__builtin_return_address(0));
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (__builtin_expect(!ensure_real(), 0))
        return (void *)raw_syscall(SYS_mmap, (long)addr, (long)len, prot, flags, fd, (long)off);
    return mapped(real.mmap64 ? real.mmap64 : real.mmap, addr, len, prot, flags, fd, off,
                  (uintptr_t)__builtin_return_address(0));
}

EXPORT int munmap(void *addr, size_t len)
{
    if (__builtin_expect(!ensure_real(), 0))
        return (int)raw_syscall(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0);
    struct guard g;
    struct thread_state *ts;
    /* An unaligned or empty range fails without changing anything. */
    if (!len || ((uintptr_t)addr & (PAGE - 1)) ||
        !mapping_overlaps((uintptr_t)addr, (uintptr_t)addr + page_up(len)) ||
        !(ts = enter((uintptr_t)__builtin_return_address(0), &g)))
        return real.munmap(addr, len);
    struct cut c;
    cut(ts, (uintptr_t)addr, (uintptr_t)addr + page_up(len), 0, 1, &c);
    int rc = real.munmap(addr, len);
    if (rc != 0) {
        int e = errno;
        give_back(ts, &c);
        errno = e;
    }
    guard_leave(g);
    return rc;
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
    void *want = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        want = va_arg(ap, void *);
        va_end(ap);
    }
    if (__builtin_expect(!ensure_real(), 0))
        return (void *)raw_syscall(SYS_mremap, (long)old, (long)old_len, (long)new_len, flags,
                                   (long)want, 0);
    struct guard g;
    struct thread_state *ts;
    /* old_len 0 duplicates a shared mapping: never one of ours. */
    int target = (flags & MREMAP_FIXED) && !((uintptr_t)want & (PAGE - 1));
    if (!old_len || ((uintptr_t)old & (PAGE - 1)) ||
        (!mapping_overlaps((uintptr_t)old, (uintptr_t)old + page_up(old_len)) &&
         !(target && mapping_overlaps((uintptr_t)want, (uintptr_t)want + page_up(new_len)))) ||
        !(ts = enter((uintptr_t)__builtin_return_address(0), &g)))
        return real.mremap(old, old_len, new_len, flags, want);
    /* The old range's contents move (or stay, grown or shrunk in place):
     * the block ends as a realloc'd one, and the mapping it becomes is a
     * new block of this call's stack.  A MREMAP_FIXED target replaces
     * whatever was tracked there. */
    struct cut c, tcut = { .ntaken = 0 };
    uintptr_t o = (uintptr_t)old;
    cut(ts, o, o + page_up(old_len), 1, 1, &c);
    if (target)
        cut(ts, (uintptr_t)want, (uintptr_t)want + page_up(new_len), 0, 1, &tcut);
    void *p = real.mremap(old, old_len, new_len, flags, want);
    if (p == MAP_FAILED) {
        int e = errno;
        give_back(ts, &c);
        give_back(ts, &tcut);
        guard_leave(g);
        errno = e;
        return p;
    }
    uintptr_t lo = (uintptr_t)p, hi = lo + page_up(new_len);
    struct cut stale;
    if (!(flags & MREMAP_FIXED))
        cut(ts, lo, hi, 0, 0, &stale);
    if (c.any && new_len >= retain_config.min_size)
        track_new(ts, lo, hi, NULL, (uintptr_t)__builtin_return_address(0));
    guard_leave(g);
    return p;
}
