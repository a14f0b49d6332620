/* hooks.h: the one list of functions libretain exports in place of the C
 * library's (heaptrack's HOOK(), memray's MEMRAY_HOOKED_FUNCTIONS).
 *
 * HOOK(name, return type, parameters, how, family):
 *   how     next  forwarded: the wrapper calls the next definition
 *                 (real.name, looked up with dlsym(RTLD_NEXT));
 *           own   implemented here on top of the others (needs no lookup);
 *   family  heap  the malloc family: libraries that bypass the wrappers
 *                 (RTLD_DEEPBIND) are bound back to them (rebind.c);
 *           proc  the rest.
 * The list generates `struct real_alloc` and its lookup; the build checks
 * it against exports.map (tools/check-exports.sh), so the four places that
 * once named these functions cannot drift. */
#ifndef RETAIN_HOOKS_H
#define RETAIN_HOOKS_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#define RETAIN_HOOKS(HOOK)                                              \
    /* the malloc family (DESIGN §6) */                                 \
    HOOK(malloc, void *, (size_t), next, heap)                                \
    HOOK(calloc, void *, (size_t, size_t), next, heap)                        \
    HOOK(realloc, void *, (void *, size_t), next, heap)                       \
    HOOK(reallocarray, void *, (void *, size_t, size_t), own, heap)           \
    HOOK(free, void, (void *), next, heap)                                    \
    HOOK(posix_memalign, int, (void **, size_t, size_t), next, heap)          \
    HOOK(aligned_alloc, void *, (size_t, size_t), next, heap)                 \
    HOOK(memalign, void *, (size_t, size_t), next, heap)                      \
    HOOK(valloc, void *, (size_t), next, heap)                                \
    HOOK(pvalloc, void *, (size_t), next, heap)                               \
    HOOK(malloc_usable_size, size_t, (void *), next, heap)                    \
    /* ways out that skip destructors: the final report still runs */   \
    HOOK(_exit, void, (int), next, proc)                                      \
    HOOK(_Exit, void, (int), next, proc)                                      \
    /* the dynamic loader: deep-bound loads, and sites of unloaded modules */ \
    HOOK(dlopen, void *, (const char *, int), next, proc)                     \
    HOOK(dlclose, int, (void *), next, proc)                                  \
    /* libunwind's validation pipe is placed out of the program's way */ \
    HOOK(pipe2, int, (int *, int), next, proc)                                \
    /* a seccomp filter being installed: stop making system calls */    \
    HOOK(prctl, int, (int, ...), next, proc) \
    HOOK(syscall, long, (long, ...), next, proc) \
    /* large anonymous private mappings are blocks too (interpose_mmap.c) */ \
    HOOK(mmap, void *, (void *, size_t, int, int, int, off_t), next, proc)    \
    HOOK(mmap64, void *, (void *, size_t, int, int, int, off_t), next, proc)  \
    HOOK(munmap, int, (void *, size_t), next, proc)                           \
    HOOK(mremap, void *, (void *, size_t, size_t, int, ...), next, proc)   \
    /* the report signal's handler, invisible (interpose_signal.c) */    \
    HOOK(sigaction, int, (int, const struct sigaction *, struct sigaction *), next, proc) \
    HOOK(__sigaction, int, (int, const struct sigaction *, struct sigaction *), next, proc) \
    HOOK(signal, sighandler_t, (int, sighandler_t), next, proc)             \
    HOOK(bsd_signal, sighandler_t, (int, sighandler_t), next, proc)         \
    HOOK(ssignal, sighandler_t, (int, sighandler_t), next, proc)            \
    HOOK(sysv_signal, sighandler_t, (int, sighandler_t), next, proc)        \
    HOOK(__sysv_signal, sighandler_t, (int, sighandler_t), next, proc)

/* The public API of include/retain.h (weak references resolve to these). */
#define RETAIN_API(API)                                                 \
    API(retain_annotate_occupancy_impl)                                 \
    API(retain_report_now_impl)

#endif
