/* probe_tag.c: slots whose type tag still says "in use".
 *
 * Runtimes that keep values tagged mark a deleted slot by its tag alone:
 * PHP sets the zval's type byte to IS_UNDEF (0) and keeps value, hash and
 * key; Lua 5.4 sets the value's tag to nil (0) and keeps the key.  No word
 * becomes zero or a marker, so no other probe sees the drop.
 *
 * The probe learns which bytes of a slot are tags while the table fills: a
 * byte at a 4-byte-aligned place in the slot (a tag is a small field of its
 * own; a double's exponent byte or an integer's high byte is not), almost
 * never zero in a slot holding data, and taking few values: at most 8, each
 * at least a quarter as common as the commonest, cover three in five of the
 * slots holding data (the rest of the block, a header or PHP's index area, is
 * other data: PHP's hash part is a fifth of its block and holds data in
 * every slot, so a full table's buckets are only ~79% of the data slots),
 * provided the slots with other values keep to chunks of their own (a
 * field with a merely common value has its other values everywhere).  Reading, a slot whose tag bytes hold learned
 * values is the table's: used if it holds data besides its tags, free if
 * not (Lua's empty nodes keep an "empty" tag); holding data with a tag byte
 * zero it is a tombstone; any other value is not the table's slot at all
 * and is left out.
 *
 * Learning happens only while the slots holding data grow, so the
 * tombstones of a drained table never teach it that zero is a tag value. */
#include "probe.h"

#include <string.h>

#define LEARN_MIN_SLOTS 256
#define TAG_VALUES 4
#define TAG_BYTES_MAX 4
#define SLOT_BYTES_MAX (CLASSIFY_MAX_STRIDE * 8)
#define TAG_PLACES (SLOT_BYTES_MAX / 4)

/* memo: the tag bytes (bit b: byte b of the slot; at most TAG_BYTES_MAX),
 * the layout they were learned with, the share of slots holding data then
 * (in 1/65536), and
 * for the i-th tag byte the values it took (bytes of u[4 + i], 0 unused). */
#define MASK_LO u[0]
#define MASK_HI u[1]
#define LEARNED_DATA u[2]
#define LEARNED_LAYOUT u[3]     /* stride | offset << 8 | 1 << 16 */
#define VALUES 4                /* u[4..7] */

static uint64_t tag_mask(const union probe_memo *m) { return (uint64_t)m->MASK_LO | (uint64_t)m->MASK_HI << 32; }

/* Is v one of the (up to TAG_VALUES, 0 unused) bytes of set? */
static int in_set(uint32_t set, uint8_t v)
{
    for (int k = 0; k < TAG_VALUES; k++, set >>= 8)
        if ((set & 0xFF) == v)
            return 1;
    return 0;
}

static uint32_t layout_key(const struct slot_layout *l)
{
    return (uint32_t)l->stride | (uint32_t)l->offset << 8 | 1u << 16;
}

/* Every whole slot of the copy, as bytes, with the chunk group it is in. */
#define FOR_EACH_SLOT(c, st, bytes, group, ...)                                                    \
    for (int ch_ = 0; ch_ < (c)->copy->nchunks; ch_++) {                                           \
        int group = ch_ * CLASSIFY_GROUPS / (c)->copy->nchunks;                                     \
        (void)group;                                                                               \
        CLASSIFIED_FOR_EACH_SLOT(c, ch_, w_) {                                                     \
            const uint8_t *bytes = (const uint8_t *)&(c)->copy->words[ch_][w_];                    \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    }

/* Any non-zero byte outside the bytes of ignore. */
static int has_data(const uint8_t *b, int nbytes, uint64_t ignore)
{
    for (int i = 0; i < nbytes; i++)
        if (b[i] && !(ignore >> i & 1))
            return 1;
    return 0;
}

/* The scratch of one learning pass: per 4-byte-aligned place, how often
 * each byte value occurs in slots holding data. */
struct tag_census {
    uint32_t data, slots;
    /* per place: slots holding data besides that byte (a slot whose only
     * data is the byte, Lua's empty node with its "empty" tag, says
     * nothing about whether the byte is a tag) */
    uint32_t besides[TAG_PLACES];
    uint32_t count[TAG_PLACES][256];
};

/* Which values, at most TAG_VALUES and each at least a quarter as common as
 * the commonest, cover the most of place q; how much. */
static uint32_t top_values(const uint32_t *count, uint32_t *set)
{
    uint8_t taken[256] = { 0 };
    uint32_t covered = 0, top = 0;
    for (int k = 0; k < TAG_VALUES; k++) {
        int best = -1;
        for (int v = 1; v < 256; v++)
            if (!taken[v] && count[v] && (best < 0 || count[v] > count[best]))
                best = v;
        /* Values much rarer than the commonest are other data sharing the
         * place (PHP's index area before its buckets), not a tag. */
        if (best < 0 || count[best] * 4 < top)
            break;
        if (!top)
            top = count[best];
        taken[best] = 1;
        covered += count[best];
        *set |= (uint32_t)best << (8 * k);
    }
    return covered;
}

/* Do the data slots whose byte i is outside the set keep apart from those
 * inside it, in chunks of their own (PHP's hash part before its buckets, a
 * header), rather than mixed among them?  A tag's other values are another
 * region; a field that merely has a common value (a chain link that is
 * mostly "none") has its other values everywhere.  At most one data slot in
 * 20 may be an outsider in a chunk of insiders. */
static int set_is_apart(const struct classified *c, int st, int i, uint32_t set, uint32_t data)
{
    int nbytes = st * 8;
    uint32_t mixed = 0;
    for (int ch = 0; ch < c->copy->nchunks; ch++) {
        uint32_t in = 0, out = 0;
        CLASSIFIED_FOR_EACH_SLOT(c, ch, w) {
            const uint8_t *b = (const uint8_t *)&c->copy->words[ch][w];
            if (!has_data(b, nbytes, 1ull << i) || b[i] == 0)
                continue;
            if (in_set(set, b[i]))
                in++;
            else
                out++;
        }
        if (in && out)
            mixed += out;
    }
    return (uint64_t)mixed * 20 <= data;
}

/* Learns the tag bytes from this copy if more slots hold data than when
 * they were last learned. */
static void learn(const struct classified *c, union probe_memo *memo, struct tag_census *t)
{
    int st = classified_stride(c), nbytes = st * 8;
    memset(t, 0, sizeof *t);
    FOR_EACH_SLOT(c, st, b, g, {
        t->slots++;
        if (!has_data(b, nbytes, 0))
            continue;
        t->data++;
        for (int i = 0; i < nbytes; i += 4)
            if (has_data(b, nbytes, 1ull << i)) {
                t->besides[i / 4]++;
                t->count[i / 4][b[i]]++;
            }
    })
    /* Only more data teaches, as a share of the slots (so that a first
     * look cut in single words compares with the records that follow): not
     * a layout that changed for one reading, since a drained table's
     * tombstones hold as much data as its entries did and would teach that
     * the tag is not one; the layout's old tags are read again when it
     * comes back. */
    uint32_t share = t->slots ? (uint32_t)((uint64_t)t->data * 65536 / t->slots) : 0;
    if (t->data < LEARN_MIN_SLOTS || share <= memo->LEARNED_DATA + memo->LEARNED_DATA / 64)
        return;
    uint64_t mask = 0;
    uint32_t values[TAG_BYTES_MAX] = { 0 };
    int ntags = 0;
    for (int i = 0; i < nbytes && ntags < TAG_BYTES_MAX; i += 4) {
        uint32_t set = 0, covered = top_values(t->count[i / 4], &set);
        uint32_t data = t->besides[i / 4];
        if (!data || !set_is_apart(c, st, i, set, data))
            continue;
        /* Almost never zero: at most one data slot in 256 and one more (a
         * random byte is zero in one of 256, but it fails the few-values
         * test; other data sharing the place, PHP's hash part, brings its
         * own zeros, and a copy of 256 chunks holds only ~800 slots), and a
         * few values for three slots in five. */
        if (t->count[i / 4][0] * 256 <= data + 256 && covered * 5 >= data * 3) {
            mask |= 1ull << i;
            values[ntags++] = set;
        }
    }
    memo->MASK_LO = (uint32_t)mask;
    memo->MASK_HI = (uint32_t)(mask >> 32);
    for (int i = 0; i < TAG_BYTES_MAX; i++)
        memo->u[VALUES + i] = values[i];
    memo->LEARNED_DATA = share;
    memo->LEARNED_LAYOUT = layout_key(&c->layout);
}

static void measure(const struct classified *c, const struct block_facts *b, union probe_memo *memo,
                    struct probe_result *out)
{
    if (!c->nslots)
        return;
    struct tag_census census;
    learn(c, memo, &census);
    uint64_t mask = tag_mask(memo);
    if (!mask || memo->LEARNED_LAYOUT != layout_key(&c->layout))
        return;
    int st = classified_stride(c), nbytes = st * 8;
    uint32_t used[CLASSIFY_GROUPS] = { 0 }, slots[CLASSIFY_GROUPS] = { 0 }, tomb = 0, nused = 0, n = 0;
    FOR_EACH_SLOT(c, st, bt, g, {
        int zero = 0, foreign = 0;
        for (int i = 0, k = 0; i < nbytes; i += 4)
            if (mask >> i & 1) {
                zero |= bt[i] == 0;
                foreign |= bt[i] != 0 && !in_set(memo->u[VALUES + k], bt[i]);
                k++;
            }
        /* No data but its tags: a free slot, whatever its tag says (Lua's
         * empty node).  Data with a tag the table's slots never had: not
         * one of its slots (PHP's hash part). */
        int data = has_data(bt, nbytes, mask);
        if (data && foreign)
            continue;
        slots[g]++;
        n++;
        if (!data)
            continue;
        if (zero) {
            tomb++;
        } else {
            used[g]++;
            nused++;
        }
    })
    if (n < LEARN_MIN_SLOTS)
        return;
    out->occ = (float)nused / (float)n;
    out->valid = 1;
    float mean = out->occ;
    int even = 1;
    for (int g = 0; g < CLASSIFY_GROUPS && even; g++)
        if (slots[g]) {
            float f = (float)used[g] / (float)slots[g];
            even = f >= 0.5f * mean && f <= 1.5f * mean + 0.02f;
        }
    out->uniform = (uint8_t)even;
    out->proves_table = (uint8_t)probe_tombstones_prove_table(tomb, nused);
}

static int table_like(const struct classified *c, const struct probe_result *r)
{
    return r->proves_table || (probe_partly_used(r->occ) && r->uniform);
}

const struct probe_ops probe_tag = {
    .name = "tag",
    .measure = measure,
    .table_like = table_like,
    .confidence = probe_confidence_from_growth,
};
