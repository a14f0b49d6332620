/* probe_marker.c: slots with data and no marker.
 *
 * Tables that mark a deleted entry instead of clearing it: an all-ones hash
 * (Ruby's st_table, CPython dict entries) or one shared "dummy" key
 * (CPython sets).  A marker anywhere in a slot makes the whole slot
 * deleted: the stale key and value beside it do not count as used. */
#include "probe.h"

static void measure(const struct classified *c, const struct block_facts *b, union probe_memo *memo,
                    struct probe_result *out)
{
    if (!c->nslots)
        return;
    struct slot_share s = classified_share(c, WORD_MEANINGFUL, WORD_MARKER);
    out->occ = s.share;
    out->uniform = s.uniform;
    out->valid = 1;
    /* Slots holding a marker and data beside it: deleted entries that keep
     * their key (a buffer filled with all-ones has no data beside them). */
    uint32_t tomb = 0;
    for (int g = 0; g < CLASSIFY_GROUPS; g++)
        for (int k = 0; k < WORD_KINDS; k++)
            if ((k & WORD_MARKER) && (k & WORD_MEANINGFUL))
                tomb += c->group_kinds[g][k];
    out->proves_table = (uint8_t)probe_tombstones_prove_table(tomb, (uint32_t)(s.share * (float)c->nslots));
}

/* As for the nonzero probe, but pointers in the slots are evidence enough:
 * an insertion-ordered entry array fills a prefix, and a byte buffer holds
 * no pointers. */
static int table_like(const struct classified *c, const struct probe_result *r)
{
    return r->proves_table || (probe_partly_used(r->occ) && (r->uniform || c->pointer_evidence));
}

const struct probe_ops probe_marker = {
    .name = "marker",
    .measure = measure,
    .table_like = table_like,
    .confidence = probe_confidence_from_growth,
};
