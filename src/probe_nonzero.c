/* probe_nonzero.c: slots holding any non-zero word.
 *
 * Open-addressing tables of values stored inline (khash, Go-style buckets,
 * flat arrays of records) zero a slot when it is freed.  Any data counts, so
 * a reading is a table only if the used slots spread evenly, as hashing
 * spreads them: a byte buffer filled from the front, or in regions, is not. */
#include "probe.h"

static void measure(const struct classified *c, const struct block_facts *b, union probe_memo *memo,
                    struct probe_result *out)
{
    if (!c->nslots)
        return;
    struct slot_share s = classified_share(c, WORD_NONZERO, 0);
    out->occ = s.share;
    out->uniform = s.uniform;
    out->valid = 1;
}

static int table_like(const struct classified *c, const struct probe_result *r)
{
    return probe_partly_used(r->occ) && r->uniform;
}

const struct probe_ops probe_nonzero = {
    .name = "nonzero",
    .advice_hint = "Its slots hold large values inline: storing pointers to the values instead "
                   "keeps the array small when it must stay big.",
    .measure = measure,
    .table_like = table_like,
    .confidence = probe_confidence_from_growth,
};
