/* probe_annotation.c: the occupancy the program stated with
 * retain_annotate_occupancy() (include/retain.h).  It is the truth: when it
 * has seen the block in use, it explains the block whatever the others
 * read. */
#include "probe.h"

static void measure(const struct classified *c, const struct block_facts *b, union probe_memo *memo,
                    struct probe_result *out)
{
    if (!b->stated || !b->stated_capacity)
        return;
    out->occ = (float)((double)b->stated_used / (double)b->stated_capacity);
    out->valid = 1;
    out->uniform = 1;
}

static int table_like(const struct classified *c, const struct probe_result *r)
{
    return r->occ > 0;
}

const struct probe_ops probe_annotation = {
    .name = "annotation",
    .exact = 1,
    .measure = measure,
    .table_like = table_like,
    .confidence = probe_confidence_high,
};
