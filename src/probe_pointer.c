/* probe_pointer.c: slots holding a word that points into mapped memory.
 *
 * Node-based tables (std::unordered_map buckets, chained caches, uthash)
 * keep a pointer per used bucket and NULL in a free one.  Chunks without a
 * pointer but full of other data (an index array, a header) are left out. */
#include "probe.h"

static void measure(const struct classified *c, const struct block_facts *b, union probe_memo *memo,
                    struct probe_result *out)
{
    if (!c->nslots)
        return;
    out->occ = c->pointer_share;
    out->valid = 1;
}

/* Pointers in enough slots are what makes a table of pointers. */
static int table_like(const struct classified *c, const struct probe_result *r)
{
    return c->pointer_evidence;
}

const struct probe_ops probe_pointer = {
    .name = "pointer",
    .measure = measure,
    .table_like = table_like,
    .confidence = probe_confidence_from_growth,
};
