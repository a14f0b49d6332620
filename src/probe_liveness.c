/* probe_liveness.c: slots holding a pointer to a block not freed since the
 * probe first saw it pointed to.
 *
 * A std::vector<T*> after clear(), or a node table whose deleted slots keep
 * stale pointers, looks as full as ever to every content probe; what changed
 * is that the blocks its words point to were freed.  The probe registers the
 * pointers it reads (referents.c) while the table is young or near its
 * pointer peak, and the wrappers report frees of registered blocks
 * (probe_liveness.h). */
#include "probe.h"
#include "referents.h"

/* memo: the block's pointer share, as the pointer probe reads it: */
#define PTR_PEAK f[0]
#define PTR_NOW f[1]
#define PTR_PEAK_TABLE u[2]
/* Registration continues while the block is young (first measurements) ... */
#define YOUNG_MEASUREMENTS 3

/* The share of non-foreign slots holding a live pointer. */
static float live_share(const struct classified *c, const uint16_t *live)
{
    int st = classified_stride(c);
    uint32_t slots = 0, used = 0;
    for (int ch = 0; ch < c->copy->nchunks; ch++) {
        if (c->chunk_foreign[ch])
            continue;
        int w = c->chunk_first_word[ch];
        uint32_t n = (uint32_t)(c->chunk_first_slot[ch + 1] - c->chunk_first_slot[ch]);
        uint16_t slot_mask = (uint16_t)((1u << st) - 1);
        for (uint32_t i = 0; i < n; i++, w += st) {
            slots++;
            used += (live[ch] >> w & slot_mask) != 0;
        }
    }
    return slots ? (float)used / (float)slots : 0;
}

static void measure(const struct classified *c, const struct block_facts *b, union probe_memo *memo,
                    struct probe_result *out)
{
    if (!c->nslots)
        return;
    const struct block_copy *s = c->copy;
    /* ... or while its pointers are near their peak: a table drained of its
     * entries stops adding referents, it does not forget them. */
    int registering = b->measured < YOUNG_MEASUREMENTS ||
                      (memo->PTR_PEAK_TABLE && memo->PTR_NOW >= 0.5f * memo->PTR_PEAK);

    /* A pointer word is live unless it points at a block registered earlier
     * and freed since.  One bit per word of a chunk. */
    uint16_t live[BLOCK_MAX_CHUNKS];
    int any_dead = 0;
    referents_lock();
    /* Nothing registered was freed: every pointer is live (the common case,
     * and no lookup per word). */
    int none_freed = __atomic_load_n(&referents_nfreed, __ATOMIC_RELAXED) == 0;
    for (int ch = 0; ch < s->nchunks; ch++) {
        uint16_t bits = 0;
        for (int w = 0; w < BLOCK_CHUNK_WORDS; w++)
            if (c->kind[ch][w] & WORD_POINTER) {
                if (none_freed || !referents_is_freed((uintptr_t)s->words[ch][w]))
                    bits |= (uint16_t)(1u << w);
                else
                    any_dead = 1;
            }
        live[ch] = bits;
    }
    for (int ch = 0; ch < s->nchunks && registering; ch++)
        for (int w = 0; w < BLOCK_CHUNK_WORDS && registering; w++)
            if (live[ch] >> w & 1)
                registering = referents_register_locked((uintptr_t)s->words[ch][w]);
    referents_unlock();

    /* Slots with a live pointer, among the slots the pointer probe counts:
     * with every pointer live, exactly the pointer share. */
    out->valid = 1;
    out->occ = c->pointer_share;
    if (any_dead)
        out->occ = live_share(c, live);

    if (c->pointer_share > memo->PTR_PEAK) {
        memo->PTR_PEAK = c->pointer_share;
        memo->PTR_PEAK_TABLE = (uint32_t)c->pointer_evidence;
    }
    memo->PTR_NOW = c->pointer_share;
}

const struct probe_ops probe_liveness = {
    .name = "liveness",
    .measure = measure,
    .table_like = probe_table_like_by_pointers,
    .confidence = probe_confidence_from_growth,
};
