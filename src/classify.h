/* classify.h: the pass over a block's copy that every probe shares.
 *
 * Each word gets a kind (zero, pointer into mapped memory, a marker, other
 * data); one value repeated across the block is elected the marker; the
 * slot layout (how many words make one entry) is inferred; every whole slot
 * inside each chunk gets the union of its words' kinds.  Probes then count
 * slots: they never look at the raw words again except for what is theirs
 * alone (the liveness probe's referent lookups). */
#ifndef RETAIN_CLASSIFY_H
#define RETAIN_CLASSIFY_H

#include "block_read.h"
#include "mapped_ranges.h"

#include <stdint.h>

enum word_kind {
    WORD_NONZERO = 1,
    WORD_POINTER = 2,           /* 8-aligned, into a readable mapping */
    WORD_MEANINGFUL = 4,        /* non-zero, not all-ones, not the marker */
    WORD_MARKER = 8,            /* all-ones (a deleted entry's hash) or the marker */
    WORD_KINDS = 16             /* distinct unions of the bits above */
};

#define CLASSIFY_GROUPS 8       /* chunk groups for judging how evenly slots spread */
#define CLASSIFY_MAX_SLOTS (BLOCK_MAX_CHUNKS * BLOCK_CHUNK_WORDS)
#define CLASSIFY_MAX_STRIDE 8

/* A slot is `stride` words starting at word `offset` (mod stride) of the
 * block; kept per block between measurements. */
struct slot_layout {
    int stride, offset;         /* in words; stride 1 = every word is a slot */
    int from_pointers;          /* inferred from pointer words: kept once found */
};

struct classified {
    const struct block_copy *copy;
    struct slot_layout layout;  /* the one the slots below were cut with */
    uint32_t words, pointer_words, nonzero_words;
    uint64_t marker;            /* the repeated value, 0 if none */
    uint8_t kind[BLOCK_MAX_CHUNKS][BLOCK_CHUNK_WORDS];

    /* Slots of chunk c are slot_kind[chunk_first_slot[c] .. chunk_first_slot[c+1]),
     * the first starting at word chunk_first_word[c] of the chunk. */
    uint32_t nslots;
    uint16_t chunk_first_slot[BLOCK_MAX_CHUNKS + 1];
    uint8_t chunk_first_word[BLOCK_MAX_CHUNKS];
    /* No pointer but mostly other data (a CPython dict's index array, a
     * header): not part of a pointer table's slots. */
    uint8_t chunk_foreign[BLOCK_MAX_CHUNKS];
    uint8_t slot_kind[CLASSIFY_MAX_SLOTS];      /* union of its words' kinds */
    /* How many slots of each kind in each group of chunks: what
     * classified_share counts, without another pass over the slots. */
    uint32_t group_kinds[CLASSIFY_GROUPS][WORD_KINDS];

    /* Evidence several probes use: the share of (non-foreign) slots that
     * hold a pointer, and whether pointers are plentiful enough to show the
     * block is a table of them (>= 5% of slots, >= 64 words). */
    float pointer_share;
    int pointer_evidence;
};

/* Classifies copy.  *layout is the block's layout so far: refined when the
 * copy shows one (pointers first, else non-zero words). */
void classify(const struct block_copy *copy, const struct mapped_ranges *ranges,
              struct slot_layout *layout, struct classified *out);

/* The share of slots whose kind has a bit of `want` and none of `veto`, and
 * whether those slots spread evenly over the chunk groups, as hashing
 * spreads them (a filled prefix or region of a buffer does not). */
struct slot_share {
    float share;
    uint8_t uniform;
};
struct slot_share classified_share(const struct classified *c, uint8_t want, uint8_t veto);

/* The stride the slots were cut with (1 when no layout was inferred). */
static inline int classified_stride(const struct classified *c)
{
    return c->layout.stride > 0 ? c->layout.stride : 1;
}

/* Every whole slot of chunk ch of the copy: w, its first word in the chunk. */
#define CLASSIFIED_FOR_EACH_SLOT(c, ch, w)                                                        \
    for (int w = (c)->chunk_first_word[ch], st_##w = classified_stride(c); w + st_##w <= BLOCK_CHUNK_WORDS; \
         w += st_##w)

#endif
