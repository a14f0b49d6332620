/* big_internal.c: see big_internal.h.  A fixed table of slots, claimed and
 * cleared with atomics: allocations come from the sampler or a report while
 * program threads free concurrently, and none of them may take a lock here
 * (free is called from everywhere, signal handlers included). */
#include "big_internal.h"

#include <stdint.h>
#include <sys/mman.h>

#define SLOTS 256
#define HEADER 16               /* the mapping's size, keeping malloc's alignment */

int big_internal_live;
size_t big_internal_threshold = GLIBC_MMAP_THRESHOLD_MIN;
static uintptr_t slot[SLOTS];   /* the user pointer; 0 free */

static size_t page_round(size_t n)
{
    return (n + 4095) & ~(size_t)4095;
}

void *big_internal_alloc(size_t n)
{
    if (n > SIZE_MAX - HEADER - 4096)
        return NULL;
    size_t len = page_round(n + HEADER);
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    *(size_t *)m = len;
    uintptr_t p = (uintptr_t)(m + HEADER);
    for (int i = 0; i < SLOTS; i++) {
        uintptr_t none = 0;
        if (__atomic_load_n(&slot[i], __ATOMIC_RELAXED) == 0 &&
            __atomic_compare_exchange_n(&slot[i], &none, p, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            __atomic_add_fetch(&big_internal_live, 1, __ATOMIC_RELEASE);
            return (void *)p;
        }
    }
    munmap(m, len);
    return NULL;
}

static int find(uintptr_t p)
{
    for (int i = 0; i < SLOTS; i++)
        if (__atomic_load_n(&slot[i], __ATOMIC_ACQUIRE) == p)
            return i;
    return -1;
}

int big_internal_owns(const void *p, size_t *size)
{
    if (!p || !big_internal_any() || find((uintptr_t)p) < 0)
        return 0;
    if (size)
        *size = *(const size_t *)((const unsigned char *)p - HEADER) - HEADER;
    return 1;
}

int big_internal_free(void *p)
{
    if (!p || !big_internal_any())
        return 0;
    int i = find((uintptr_t)p);
    uintptr_t want = (uintptr_t)p;
    /* Only the owner of a pointer frees it, once: the exchange is for the
     * table's sake, not to settle a race on one pointer. */
    if (i < 0 || !__atomic_compare_exchange_n(&slot[i], &want, 0, 0, __ATOMIC_ACQ_REL,
                                              __ATOMIC_RELAXED))
        return 0;
    unsigned char *m = (unsigned char *)p - HEADER;
    size_t len = *(size_t *)m;
    __atomic_sub_fetch(&big_internal_live, 1, __ATOMIC_RELEASE);
    munmap(m, len);
    return 1;
}
