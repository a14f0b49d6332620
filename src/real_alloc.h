/* real_alloc.h: the allocator libretain forwards to (whatever malloc the
 * process would have used without the preload), and a small static arena
 * that serves allocations made while dlsym() is looking that allocator up. */
#ifndef RETAIN_REAL_ALLOC_H
#define RETAIN_REAL_ALLOC_H

#include <stddef.h>

struct real_alloc {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
    void (*exit_now)(int);   /* _exit */
    void (*Exit_now)(int);   /* _Exit */
};

extern struct real_alloc real;

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
