/*
 * retain.h: the public interface of libretain, a heap-retention profiler.
 *
 * Programs never need this header: `LD_PRELOAD=libretain.so ./app` profiles
 * any program as it is.  A container library may include it to state the
 * occupancy of its backing arrays exactly, instead of letting libretain infer
 * it from the array's memory, and a program may ask for a report at a moment
 * of its choosing.
 *
 * Every call here costs one pointer test when libretain is not preloaded:
 * the functions are looked up once with dlsym(), so programs need no link-time
 * dependency on libretain and run unchanged without it.  Link with -ldl on
 * glibc older than 2.34.
 */
#ifndef RETAIN_H
#define RETAIN_H

#include <stddef.h>
#include <dlfcn.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RETAIN_VERSION_MAJOR 0
#define RETAIN_VERSION_MINOR 1

/* The symbols libretain.so exports (do not call them directly). */
typedef void (*retain_annotate_fn)(const void *block, size_t used, size_t capacity);
typedef int (*retain_report_fn)(void);

/* Looks up a libretain symbol once; NULL when libretain is not loaded.
 * RTLD_DEFAULT is ((void *)0) in glibc; spelled out so that this header needs
 * no _GNU_SOURCE. */
#define RETAIN__RESOLVE(type, name)                                          \
    static type fn_;                                                         \
    static int resolved_;                                                    \
    if (!__atomic_load_n(&resolved_, __ATOMIC_ACQUIRE)) {                    \
        fn_ = (type)dlsym((void *)0, name);                                  \
        __atomic_store_n(&resolved_, 1, __ATOMIC_RELEASE);                   \
    }

/*
 * retain_annotate_occupancy: `block` (a pointer returned by malloc and
 * friends) holds `capacity` slots of which `used` are occupied now.  Call it
 * whenever the count changes, or at least after bulk inserts and deletes.
 * Once a block is annotated, libretain trusts the annotation over its own
 * reading of the block's memory (probe "annotation" in reports).
 */
static inline void retain_annotate_occupancy(const void *block, size_t used, size_t capacity)
{
    RETAIN__RESOLVE(retain_annotate_fn, "retain_annotate_occupancy_impl")
    if (fn_)
        fn_(block, used, capacity);
}

/*
 * retain_report_now: write a report (reason "signal") now, from the calling
 * thread.  Returns 0 on success, -1 when libretain is not loaded or the
 * report could not be written.
 */
static inline int retain_report_now(void)
{
    RETAIN__RESOLVE(retain_report_fn, "retain_report_now_impl")
    return fn_ ? fn_() : -1;
}

#ifdef __cplusplus
}
#endif
#endif /* RETAIN_H */
