/* probe.c: rules shared by several probes. */
#include "probe.h"

void probe_track_update(struct probe_track *t, const struct probe_ops *ops, const struct classified *c,
                        const struct probe_result *r)
{
    t->valid = r->valid;
    if (!r->valid)
        return;
    t->now = r->occ;
    if (r->occ > t->peak) {
        t->peak = r->occ;
        t->peak_table_like = (uint8_t)ops->table_like(c, r);
    }
}

enum probe_confidence probe_confidence_from_growth(const struct probe_track *t, int site_grows)
{
    return site_grows ? CONFIDENCE_HIGH : CONFIDENCE_MEDIUM;
}

/* The structure's own bookkeeping (control bytes, the program's statement)
 * says how full it is: nothing is guessed from the words. */
enum probe_confidence probe_confidence_high(const struct probe_track *t, int site_grows)
{
    return CONFIDENCE_HIGH;
}

int probe_table_like_by_pointers(const struct classified *c, const struct probe_result *r)
{
    return c->pointer_evidence;
}

int probe_partly_used(float occ) { return occ >= 0.05f && occ <= 0.97f; }
