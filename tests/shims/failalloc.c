/*
 * failalloc.so: "the real allocator" as libretain sees it (preloaded after
 * libretain.so, so libretain's dlsym(RTLD_NEXT) finds it).  It forwards to
 * glibc until the libraries' destructors run, then makes every allocation
 * fail: the exit report must fail cleanly and say which file it could not
 * write.  Linked against libretain.so (DT_NEEDED), so that libretain is
 * initialised first and finalised last: this destructor runs before the
 * exit report.  Built by test_report_no_memory.
 */
#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static volatile int failing;

__attribute__((destructor)) static void arm(void) { failing = 1; }

void *malloc(size_t n)
{
    if (failing) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
    if (failing) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
    if (failing) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, n);
}

void free(void *p) { __libc_free(p); }
