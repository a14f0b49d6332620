/* diff_model.h: what changed between two reports: call sites matched by
 * their stacks, findings by stack (and address when both reports are of
 * the same process). */
#ifndef RETAIN_CLI_DIFF_MODEL_H
#define RETAIN_CLI_DIFF_MODEL_H
#include "report_model.h"

enum change { CHANGE_NEW, CHANGE_GONE, CHANGE_GREW, CHANGE_SHRANK, CHANGE_SAME };

struct finding_change {
    enum change change;
    const struct finding *old, *new;    /* NULL on the side it is absent */
};

struct site_change {
    const struct site *old, *new;       /* old NULL: a new site */
    int64_t delta;                      /* live bytes, new - old */
};

struct diff {
    struct finding_change *findings;
    size_t nfindings;
    struct site_change *sites;          /* live bytes grew, largest growth first */
    size_t nsites;
};

void diff_compute(const struct report *old, const struct report *new, struct diff *d);
void diff_free(struct diff *d);
const char *change_name(enum change c);
#endif
