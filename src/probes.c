/* probes.c: every probe, one row each.  Adding a probe: a file
 * probe_<name>.c defining `const struct probe_ops probe_<name>`, and one
 * X(<name>) row here (docs/design.md, "How to add a probe").  On a tie the
 * earlier row explains the block: the tag probe, which reads a structure,
 * before the marker probe, whose vote may have elected a common value. */
#include "probes.h"

#include <string.h>

#define PROBE_ROWS \
    X(pointer)     \
    X(nonzero)     \
    X(tag)         \
    X(marker)      \
    X(ctrl)        \
    X(liveness)    \
    X(annotation)

#define X(name) extern const struct probe_ops probe_##name;
PROBE_ROWS
#undef X

const struct probe_ops *const probe_table[] = {
#define X(name) &probe_##name,
    PROBE_ROWS
#undef X
};

const int probe_count = (int)(sizeof probe_table / sizeof probe_table[0]);

void probes_plan(const struct block_facts *b, struct probe_track *tracks, struct block_read_plan *plan)
{
    for (int p = 0; p < probe_count; p++)
        if (probe_table[p]->plan)
            probe_table[p]->plan(b, &tracks[p].memo, plan);
}

void probes_measure(const struct classified *c, const struct block_facts *b, struct probe_track *tracks,
                    struct probe_result *results)
{
    for (int p = 0; p < probe_count; p++) {
        memset(&results[p], 0, sizeof results[p]);
        probe_table[p]->measure(c, b, &tracks[p].memo, &results[p]);
        probe_track_update(&tracks[p], probe_table[p], c, &results[p]);
    }
}

int probes_explaining(const struct probe_track *tracks)
{
    for (int p = 0; p < probe_count; p++)
        if (probe_table[p]->exact && tracks[p].valid && tracks[p].peak_table_like)
            return p;
    int best = -1;
    float best_ratio = 2;
    for (int p = 0; p < probe_count; p++) {
        const struct probe_track *t = &tracks[p];
        if (!t->valid || !t->peak_table_like)
            continue;
        float ratio = t->now / t->peak;
        if (ratio < best_ratio - 0.01f) {
            best_ratio = ratio;
            best = p;
        }
    }
    return best;
}

_Static_assert(sizeof probe_table / sizeof probe_table[0] <= PROBES_MAX,
               "more probes than PROBES_MAX: raise it in probes.h");
