/* probes.h: the table of probes (probes.c), in order of preference: when
 * two probes fell equally far, the earlier one explains the block. */
#ifndef RETAIN_PROBES_H
#define RETAIN_PROBES_H

#include "probe.h"

#define PROBES_MAX 8            /* room in per-block records; probes.c checks */

extern const struct probe_ops *const probe_table[];
extern const int probe_count;

/* One measurement of a block with every probe; tracks[i] and results[i]
 * belong to probe_table[i].  First, before the block is copied: */
void probes_plan(const struct block_facts *b, struct probe_track *tracks, struct block_read_plan *plan);
/* Then, on the classified copy: each probe's reading, recorded in its track. */
void probes_measure(const struct classified *c, const struct block_facts *b, struct probe_track *tracks,
                    struct probe_result *results);
/* The probe that explains a block's readings: an exact one whose peak was
 * table-like, else the one that fell furthest (now / peak) among those whose
 * peak was, the earlier on a tie.  -1 if no probe saw a table. */
int probes_explaining(const struct probe_track *tracks);

#endif
