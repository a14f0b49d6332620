/* unwind.c: stacks with libunwind's unw_backtrace, which caches per-address
 * unwind info and walks a stack without locks or system calls once warm. */
#define UNW_LOCAL_ONLY
#include "unwind.h"
#include "config.h"

#include <libunwind.h>
#include <link.h>
#include <string.h>

static uintptr_t self_lo, self_hi;   /* libretain's executable segment */
__thread int unwind_active;
static int set_up;                      /* a capture has returned: libunwind is set up */

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    uintptr_t probe = (uintptr_t)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (probe >= lo && probe < hi) {
            self_lo = lo;
            self_hi = hi;
            return 1;
        }
    }
    return 0;
}

void unwind_init(void)
{
    dl_iterate_phdr(find_self, (void *)(uintptr_t)unwind_init);
}

void unwind_prepare_fork(void)
{
    if (__atomic_load_n(&set_up, __ATOMIC_ACQUIRE))
        return;
    uintptr_t ips[4];
    unwind_capture(ips, 4);
}

int unwind_capture(uintptr_t *ips, int depth)
{
    /* A few extra slots for our own frames (the wrapper and this function). */
    void *raw[RETAIN_MAX_DEPTH + 8];
    int want = depth + 8;
    unwind_active = 1;
    int n = unw_backtrace(raw, want);
    unwind_active = 0;
    if (__builtin_expect(!__atomic_load_n(&set_up, __ATOMIC_RELAXED), 0))
        __atomic_store_n(&set_up, 1, __ATOMIC_RELEASE);
    int skip = 0;
    while (skip < n && (uintptr_t)raw[skip] >= self_lo && (uintptr_t)raw[skip] < self_hi)
        skip++;
    int kept = n - skip;
    if (kept > depth)
        kept = depth;
    for (int i = 0; i < kept; i++)
        ips[i] = (uintptr_t)raw[skip + i];
    return kept;
}

int unwind_pc_is_ours(uintptr_t pc)
{
    return pc >= self_lo && pc < self_hi;
}
