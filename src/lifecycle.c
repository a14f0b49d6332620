#include "lifecycle.h"

#ifdef RETAIN_DEBUG
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__thread unsigned lock_ranks_held;

void lock_rank_violation(enum lock_rank held, enum lock_rank taking)
{
    char line[128];
    int n = snprintf(line, sizeof line, "libretain: lock order violated: rank %d taken while holding %d\n",
                     (int)taking, (int)held);
    if (write(2, line, (size_t)n) < 0)
        abort();
    abort();
}
#endif
