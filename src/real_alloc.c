/* real_alloc.c: finding the next allocator with dlsym(RTLD_NEXT).
 *
 * dlsym itself may call calloc/malloc (for its error buffer), which lands
 * back in our wrappers before `real` is filled in.  Those few allocations
 * come from a static arena and are never returned to the real allocator. */
#include "real_alloc.h"
#include "cold.h"
#include "big_internal.h"
#include "internal_alloc.h"


#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

struct real_alloc real;
int real_is_glibc;
int real_mapped_checked;

static __thread int resolving;
static int resolved;           /* 0 no, 1 done */

COLD_BSS _Alignas(64) unsigned char bootstrap_arena[64 * 1024];
static size_t arena_used;      /* bump pointer; guarded by being single-threaded early */

/* Every bootstrap block is preceded by a 16-byte header with its size, so
 * that realloc can copy it out. */
void *bootstrap_alloc(size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    size_t used = __atomic_load_n(&arena_used, __ATOMIC_RELAXED);
    for (;;) {
        size_t start = (used + 16 + align - 1) & ~(align - 1);
        size_t end = start + size;
        if (end > sizeof bootstrap_arena || end < start)
            return NULL;
        if (__atomic_compare_exchange_n(&arena_used, &used, end, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            memcpy(bootstrap_arena + start - 16, &size, sizeof size);
            return bootstrap_arena + start;
        }
    }
}


size_t bootstrap_size(const void *p)
{
    size_t size;
    memcpy(&size, (const unsigned char *)p - 16, sizeof size);
    return size;
}

static void exit_by_syscall(int status)
{
    /* Not syscall(): libretain exports a wrapper of that. */
    for (;;) {
#ifdef __x86_64__
        __asm__ volatile("syscall" : : "a"(SYS_exit_group), "D"(status) : "rcx", "r11", "memory");
#else
        __builtin_trap();
#endif
    }
}

int real_alloc_resolve(void)
{
    if (__atomic_load_n(&resolved, __ATOMIC_ACQUIRE))
        return 1;
    if (resolving)
        return 0;
    resolving = 1;
    struct real_alloc r;
#define RESOLVE_next(name, ret, params) r.name = (ret (*) params)dlsym(RTLD_NEXT, #name);
#define RESOLVE_own(name, ret, params)
#define RESOLVE(name, ret, params, how, family) RESOLVE_##how(name, ret, params)
    RETAIN_HOOKS(RESOLVE)
    if (!r._exit)
        r._exit = exit_by_syscall;
    if (!r._Exit)
        r._Exit = r._exit;
    /* Another thread may have raced us here; both computed the same values. */
    real = r;
    resolving = 0;
    __atomic_store_n(&resolved, 1, __ATOMIC_RELEASE);
    return 1;
}

struct object_of {
    uintptr_t pc;
    int in_libc;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct object_of *o = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && o->pc >= lo && o->pc < lo + ph->p_memsz) {
            o->in_libc = info->dlpi_name && strstr(info->dlpi_name, "/libc.so.6") != NULL;
            return 1;
        }
    }
    return 0;
}

void real_alloc_identify(void)
{
    /* The object holding real.malloc, by its segments: dladdr would also
     * look for the nearest symbol, a walk over libc's 3000 (~25 us at
     * every start). */
    struct object_of o = { (uintptr_t)real.malloc, 0 };
    if (real.malloc && real.malloc_usable_size && dl_iterate_phdr(find_object, &o) && o.in_libc) {
        /* Check the header arithmetic against the real function once. */
        void *p = real.malloc(100);
        int agrees = p && real.malloc_usable_size(p) == glibc_usable_size(p);
        real.free(p);
        real_is_glibc = agrees;
    }
}

/* The first mapped chunk: its size from the real function, and the header
 * arithmetic for mapped chunks checked against it.  Should they disagree
 * (an allocator in libc's place that only looks like glibc's), every later
 * size comes from the real function. */
size_t real_usable_size_first_mapped(void *p)
{
    size_t want = real.malloc_usable_size(p);
    if (want != glibc_usable_size(p))
        __atomic_store_n(&real_is_glibc, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&real_mapped_checked, 1, __ATOMIC_RELEASE);
    return want;
}

/* ---- libretain's own allocations (internal_alloc.h) ---------------------- */

void *internal_malloc(size_t n)
{
    if (!real_alloc_resolve())
        return bootstrap_alloc(n, 16);
    void *p = big_internal_wanted(n) ? big_internal_alloc(n) : NULL;
    return p ? p : real.malloc(n);
}

void *internal_calloc(size_t n, size_t m)
{
    size_t total;
    if (__builtin_mul_overflow(n, m, &total))
        return NULL;
    if (!real_alloc_resolve())
        return bootstrap_alloc(total, 16);
    void *p = big_internal_wanted(total) ? big_internal_alloc(total) : NULL;   /* zeroed */
    return p ? p : real.calloc(n, m);
}

/* p's contents moved to a new block of n bytes, then p freed. */
static void *moved(void *p, size_t old, size_t n)
{
    void *q = internal_malloc(n);
    if (q) {
        memcpy(q, p, old < n ? old : n);
        internal_free(p);
    }
    return q;
}

void *internal_realloc(void *p, size_t n)
{
    if (p && bootstrap_owns(p)) {
        void *q = internal_malloc(n);
        if (q) {
            size_t old = bootstrap_size(p);
            memcpy(q, p, old < n ? old : n);
        }
        return q;
    }
    size_t old;
    if (big_internal_owns(p, &old)) {
        if (n == 0) {
            big_internal_free(p);
            return NULL;
        }
        return moved(p, old, n);
    }
    if (!real_alloc_resolve())
        return p ? NULL : bootstrap_alloc(n, 16);
    if (p && big_internal_wanted(n))
        return moved(p, real_usable_size(p), n);
    return real.realloc(p, n);
}

void internal_free(void *p)
{
    if (p && !bootstrap_owns(p) && !big_internal_free(p))
        real.free(p);
}
