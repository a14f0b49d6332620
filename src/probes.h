/* probes.h: the table of probes (probes.c), in order of preference: when
 * two probes fell equally far, the earlier one explains the block. */
#ifndef RETAIN_PROBES_H
#define RETAIN_PROBES_H

#include "probe.h"

#define PROBES_MAX 8            /* room in per-block records; probes.c checks */

extern const struct probe_ops *const probe_table[];
extern const int probe_count;

#endif
