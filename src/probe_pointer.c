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

const struct probe_ops probe_pointer = {
    .name = "pointer",
    .measure = measure,
    .table_like = probe_table_like_by_pointers,
    .confidence = probe_confidence_from_growth,
};
