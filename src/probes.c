/* probes.c: every probe, one row each.  Adding a probe: a file
 * probe_<name>.c defining `const struct probe_ops probe_<name>`, and one
 * X(<name>) row here (docs/design.md, "How to add a probe"). */
#include "probes.h"

#define PROBE_ROWS \
    X(pointer)     \
    X(nonzero)     \
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

_Static_assert(sizeof probe_table / sizeof probe_table[0] <= PROBES_MAX,
               "more probes than PROBES_MAX: raise it in probes.h");
