/* api.c: the entry points of include/retain.h (exported beside the hooks,
 * see hooks.h RETAIN_API and exports.map).  They are no-ops until start-up
 * has finished, and after the profiler stopped for a sandbox. */
#include "guard.h"
#include "profiler.h"
#include "report.h"
#include "retention.h"
#include "sampler.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT void retain_annotate_occupancy_impl(const void *block, size_t used, size_t capacity)
{
    if (!__atomic_load_n(&profiler.ready, __ATOMIC_ACQUIRE))
        return;
    struct guard g = guard_enter();
    retention_annotate(block, used, capacity);
    guard_leave(g);
}

/* Written on the sampler thread, as every report is (sampler.h); the call
 * returns when the files are in place. */
EXPORT int retain_report_now_impl(void)
{
    if (!__atomic_load_n(&profiler.ready, __ATOMIC_ACQUIRE))
        return -1;
    struct guard g = guard_enter();
    int rc = sampler_report(REPORT_SIGNAL);
    if (rc == SAMPLER_UNAVAILABLE)
        rc = report_write(REPORT_SIGNAL, NULL);
    guard_leave(g);
    return rc;
}
