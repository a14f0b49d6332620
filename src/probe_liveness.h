/* probe_liveness.h: the liveness probe's hooks on the allocation path.
 *
 * The probe (probe_liveness.c, with referents.c) registers the pointers it
 * reads in watched tables; the wrappers tell it when one of those blocks is
 * freed or handed out again.  Until a pointer table is watched both hooks
 * cost one predictable branch. */
#ifndef RETAIN_PROBE_LIVENESS_H
#define RETAIN_PROBE_LIVENESS_H

#include "referents.h"

/* free, and realloc that moved the block: before the memory goes back. */
static inline void liveness_on_free(const void *p)
{
    if (__builtin_expect(referents_armed, 0) && referent_maybe((uintptr_t)p))
        referents_freed((uintptr_t)p);
}

/* Every block handed out: an address freed earlier and reused is live again. */
static inline void liveness_on_alloc(const void *p)
{
    if (__builtin_expect(referents_armed, 0) && referent_maybe((uintptr_t)p))
        referents_reused((uintptr_t)p);
}

#endif
