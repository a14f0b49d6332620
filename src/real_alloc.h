/* real_alloc.h: the functions libretain forwards to (whatever malloc, _exit,
 * dlopen... the process would have used without the preload), and a small static arena
 * that serves allocations made while dlsym() is looking that allocator up. */
#ifndef RETAIN_REAL_ALLOC_H
#define RETAIN_REAL_ALLOC_H

#include <stddef.h>
#include "hooks.h"

/* One pointer per forwarded hook of hooks.h, named after it. */
#define REAL_FIELD_next(name, ret, params) ret (*name) params;
#define REAL_FIELD_own(name, ret, params)
#define REAL_FIELD(name, ret, params, how, family) REAL_FIELD_##how(name, ret, params)
struct real_alloc {
    RETAIN_HOOKS(REAL_FIELD)
};

extern struct real_alloc real;

/* Set once at start-up when the next allocator is glibc's own malloc: its
 * chunk header then gives a block's usable size without a call.  A heap
 * chunk's header is checked against malloc_usable_size then; a mapped
 * chunk's (two words) on the first one the program allocates or frees
 * (real_usable_size_first_mapped): a start-up probe for it mapped and
 * unmapped 32 MiB, ~20 us in every process. */
extern int real_is_glibc;
extern int real_mapped_checked;
void real_alloc_identify(void);
size_t real_usable_size_first_mapped(void *p);

/* glibc's musable(): chunk size less the header; an mmapped chunk (bit 1)
 * carries a two-word header. */
static inline size_t glibc_usable_size(const void *p)
{
    size_t head = ((const size_t *)p)[-1];
    return (head & ~(size_t)7) - ((head & 2) ? 2 * sizeof(size_t) : sizeof(size_t));
}

static inline size_t real_usable_size(void *p)
{
    if (__builtin_expect(real_is_glibc, 1)) {
        if (__builtin_expect((((const size_t *)p)[-1] & 2) &&
                                 !__atomic_load_n(&real_mapped_checked, __ATOMIC_RELAXED), 0))
            return real_usable_size_first_mapped(p);
        return glibc_usable_size(p);
    }
    return real.malloc_usable_size(p);
}

/* Resolves `real` once; safe to call from any wrapper, recursion included.
 * Returns 0 while the lookup is still under way on this thread (the caller
 * must then use the bootstrap arena). */
int real_alloc_resolve(void);

void *bootstrap_alloc(size_t size, size_t align);
extern unsigned char bootstrap_arena[64 * 1024];
static inline int bootstrap_owns(const void *p)
{
    return (const unsigned char *)p >= bootstrap_arena &&
           (const unsigned char *)p < bootstrap_arena + sizeof bootstrap_arena;
}
size_t bootstrap_size(const void *p);

#endif
