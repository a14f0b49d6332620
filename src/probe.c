/* probe.c: rules shared by several probes. */
#include "probe.h"

void probe_track_update(struct probe_track *t, const struct probe_ops *ops, const struct classified *c,
                        const struct probe_result *r)
{
    t->valid = r->valid;
    if (!r->valid)
        return;
    t->now = r->occ;
    if (r->proves_table)
        t->proven_table = 1;
    if (r->occ > t->peak) {
        t->peak = r->occ;
        t->peak_table_like = (uint8_t)ops->table_like(c, r);
    }
    /* A table 98% full at its peak (Lua fills its node array) is still a
     * table once its deleted slots show. */
    t->peak_table_like |= t->proven_table;
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

int probe_tombstones_prove_table(uint32_t tombstones, uint32_t used)
{
    return tombstones >= 64 && (uint64_t)tombstones * 4 >= (uint64_t)(tombstones + used);
}
