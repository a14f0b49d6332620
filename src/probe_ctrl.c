/* probe_ctrl.c: SwissTable control bytes in 0x00..0x7F (full), found at
 * the start (absl) or the end (hashbrown) of the block (swiss_ctrl.h).
 *
 * The control-byte array says exactly which slots are full, so a finding by
 * this probe is high confidence.  The array is looked for in the first
 * measurements, while the table fills (an empty SwissTable is all 0x80 and
 * still matches), and once found its bytes join the block's read plan. */
#include "probe.h"
#include "swiss_ctrl.h"

#include <stdio.h>

#define CTRL_SEARCHES 8

const struct probe_ops probe_ctrl;

/* memo->u[0]: searches made so far; u[1]: the layout found (swiss_ctrl.h);
 * u[2]: log2 of its slot count, rounded up. */
static void plan(const struct block_facts *b, union probe_memo *memo, struct block_read_plan *plan)
{
    if (memo->u[0] >= CTRL_SEARCHES)
        return;
    memo->u[0]++;
    /* Searched again after a find, as long as searches remain: a table
     * caught while its control bytes were still being initialised shows
     * only the tail of them (a smaller candidate); a larger one found later
     * replaces it. */
    struct swiss_ctrl sw;
    if (!swiss_ctrl_find(b->addr, b->size, &sw))
        return;
    uint32_t log2 = (uint32_t)(64 - __builtin_clzll(sw.len));
    if (block_read_plan_has_region(plan, &probe_ctrl)) {
        if (log2 <= memo->u[2])
            return;
        block_read_plan_drop_region(plan, &probe_ctrl);
    }
    block_read_plan_add_region(plan, &probe_ctrl, b->addr, sw.off, sw.len);
    memo->u[1] = sw.layout;
    memo->u[2] = log2;
}

static void measure(const struct classified *c, const struct block_facts *b, union probe_memo *memo,
                    struct probe_result *out)
{
    int len;
    const uint8_t *ctrl = block_copy_region(c->copy, &probe_ctrl, &len);
    if (len <= 0)
        return;
    uint32_t full = 0;
    for (int i = 0; i < len; i++)
        full += ctrl[i] < 0x80;
    out->occ = (float)full / (float)len;
    out->valid = 1;
    out->uniform = 1;
}

/* Found by its structure: any used slots make it a table. */
static int table_like(const struct classified *c, const struct probe_result *r)
{
    return r->occ >= 0.05f;
}

static void container(const union probe_memo *memo, char *out, size_t cap)
{
    if (memo->u[1] == SWISS_HASHBROWN)
        snprintf(out, cap, "hashbrown table (2^%u buckets)", memo->u[2] - 1);
    else if (memo->u[1] == SWISS_ABSL)
        snprintf(out, cap, "swisstable, absl layout (2^%u - 1 slots)", memo->u[2]);
    else if (cap)
        out[0] = 0;
}

const struct probe_ops probe_ctrl = {
    .container = container,
    .name = "ctrl",
    .plan = plan,
    .measure = measure,
    .table_like = table_like,
    .confidence = probe_confidence_high,
};
