/* dwlib.c: libdw and libelf opened on first use (dwlib.h). */
#define DWLIB_NO_CALL_MACROS
#include "dwlib.h"
#include "internal_alloc.h"
#include "real_alloc.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dwlib dwlib;

static const char default_file[] = "libdw.so.1";
static char file[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;                      /* read with acquire after the once */
static char error[320];

/* The objects the load brought into the process (libdw, libelf and their
 * compression libraries): their address ranges, which may be where a
 * library the program dlclose'd used to be. */
#define OWN_MAX 16
static struct { uintptr_t lo, hi; } own[OWN_MAX];
static int nown;

struct bases {
    uintptr_t *v;
    size_t n, cap;
    int after;                  /* 0: collecting; 1: recording the new ones */
    int failed;                 /* out of memory while collecting: record none */
};

static int object_range(struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi)
{
    *lo = UINTPTR_MAX;
    *hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
        if (a < *lo)
            *lo = a;
        if (b > *hi)
            *hi = b;
    }
    return *lo < *hi;
}

static int each_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct bases *b = arg;
    uintptr_t lo, hi;
    if (!object_range(info, &lo, &hi))
        return 0;
    if (!b->after) {
        if (b->n == b->cap) {
            size_t cap = b->cap ? 2 * b->cap : 64;
            uintptr_t *v = internal_realloc(b->v, cap * sizeof *v);
            if (!v) {
                b->failed = 1;
                return 1;
            }
            b->v = v;
            b->cap = cap;
        }
        b->v[b->n++] = lo;
        return 0;
    }
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i] == lo)
            return 0;
    if (nown < OWN_MAX) {
        own[nown].lo = lo;
        own[nown].hi = hi;
        nown++;
    }
    return 0;
}

void dwlib_init(void)
{
    /* Read at start-up: the program may change its environment later, from
     * a thread other than the one that loads. */
    const char *f = secure_getenv("RETAIN_TEST_LIBDW");
    snprintf(file, sizeof file, "%s", f && *f ? f : default_file);
}

static void load_once(void)
{
    const char *name = file[0] ? file : default_file;
    /* The C library's dlopen, not the wrapper (interpose.c): nothing here
     * is deep-bound, and the caller glibc sees is libretain either way.
     * RTLD_LOCAL: the program's own lookups never find these objects. */
    void *(*open_fn)(const char *, int) = real.dlopen ? real.dlopen : dlopen;
    struct bases before = { NULL, 0, 0, 0, 0 };
    dl_iterate_phdr(each_object, &before);
    void *h = open_fn(name, RTLD_NOW | RTLD_LOCAL);
    if (h && before.v && !before.failed) {
        before.after = 1;
        dl_iterate_phdr(each_object, &before);
    }
    internal_free(before.v);
    if (!h) {
        const char *why = dlerror();
        snprintf(error, sizeof error, "%s", why ? why : name);
        return;
    }
    struct dwlib d;
#define DWLIB_LOOKUP(fn)                                                  \
    if (!(d.fn = (__typeof__(fn) *)dlsym(h, #fn))) {                      \
        snprintf(error, sizeof error, "%s: no %s", name, #fn);            \
        return;                                                           \
    }
    DWLIB_FUNCTIONS(DWLIB_LOOKUP)
#undef DWLIB_LOOKUP
    dwlib = d;
    __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
}

int dwlib_load(void)
{
    if (__atomic_load_n(&loaded, __ATOMIC_ACQUIRE))
        return 1;
    pthread_once(&once, load_once);
    return __atomic_load_n(&loaded, __ATOMIC_ACQUIRE);
}

int dwlib_loaded(void)
{
    return __atomic_load_n(&loaded, __ATOMIC_ACQUIRE);
}

int dwlib_owns(uintptr_t pc)
{
    if (!dwlib_loaded())
        return 0;
    for (int i = 0; i < nown; i++)
        if (pc >= own[i].lo && pc < own[i].hi)
            return 1;
    return 0;
}

const char *dwlib_error(void)
{
    return error[0] ? error : NULL;
}
