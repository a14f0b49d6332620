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
    /* Slots holding an all-ones word and data beside it: deleted entries
     * that keep their key (Ruby's st_table, CPython's dict and set mark a
     * deleted hash -1).  Not the elected marker: a type word common to many
     * slots (Lua's 0x0303) gets elected too, and a full table would prove
     * itself drained.  A buffer filled with all-ones has no data beside. */
    uint32_t tomb = 0;
    int st = classified_stride(c);
    for (int ch = 0; ch < c->copy->nchunks; ch++)
        CLASSIFIED_FOR_EACH_SLOT(c, ch, w) {
            int ones = 0, data = 0;
            for (int j = 0; j < st; j++) {
                uint64_t v = c->copy->words[ch][w + j];
                ones |= v == ~0ull;
                data |= (c->kind[ch][w + j] & WORD_MEANINGFUL) != 0;
            }
            tomb += ones && data;
        }
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
