/* probe.h: measuring how full a block is by reading its memory (DESIGN §2).
 *
 * A measurement reads a fixed, stratified sample of the block (a few KiB of
 * 256-byte chunks spread evenly over it, the same offsets every time), so its
 * cost does not grow with the block.  From the sample each probe computes the
 * fraction of slots in use:
 *   pointer  slots holding a word that points into mapped memory
 *   nonzero  slots holding a non-zero word
 *   marker   slots with data and no marker word: a marker is all ones (a
 *            deleted entry's hash) or the one value repeated across the
 *            block (a shared "dummy" key)
 *   ctrl     SwissTable control bytes in 0x00..0x7F (full)
 *   liveness slots holding a pointer to a block not freed since it was seen
 *            (stale pointers left by vector::clear, node tables)
 * A slot is `stride` words starting at `offset`, inferred from where pointer
 * words fall (e.g. uthash buckets: a pointer and a count, stride 2). */
#ifndef RETAIN_PROBE_H
#define RETAIN_PROBE_H

#include <stddef.h>
#include <stdint.h>

enum probe_kind {
    PROBE_POINTER, PROBE_NONZERO, PROBE_MARKER, PROBE_CTRL, PROBE_LIVENESS, PROBE_ANNOTATION, NPROBES
};
extern const char *const probe_names[NPROBES];

#define PROBE_CHUNK_BYTES 128
#define PROBE_CHUNK_WORDS (PROBE_CHUNK_BYTES / 8)
#define PROBE_MAX_CHUNKS 256
#define PROBE_CTRL_CHUNKS 16

/* Readable mappings of the process, for "points into mapped memory". */
struct mapped_ranges {
    uintptr_t (*range)[2];
    int n, cap;
};
void ranges_refresh(struct mapped_ranges *m);
int ranges_contains(const struct mapped_ranges *m, uintptr_t v, int *hint);

/* Where a block's sample comes from; fixed per block. */
struct sample_plan {
    int nchunks;
    uint64_t chunk_off[PROBE_MAX_CHUNKS];        /* byte offsets, 8-aligned */
    int nctrl;
    uint64_t ctrl_off[PROBE_CTRL_CHUNKS];        /* inside the control-byte region */
    uint64_t ctrl_len[PROBE_CTRL_CHUNKS];
};
void sample_plan_make(struct sample_plan *p, uintptr_t addr, uint64_t size);
/* Adds chunks from the control-byte region [off, off+len) to the plan. */
void sample_plan_ctrl(struct sample_plan *p, uintptr_t addr, uint64_t off, uint64_t len);

struct sample {
    int nchunks;
    uint64_t first_word[PROBE_MAX_CHUNKS];       /* word index of each chunk in the block */
    uint64_t words[PROBE_MAX_CHUNKS][PROBE_CHUNK_WORDS];
    int nctrl_bytes;
    uint8_t ctrl[PROBE_CTRL_CHUNKS * PROBE_CHUNK_BYTES];
};
/* Copies the planned bytes out of the block (the caller holds the block).
 * Returns -1 if part of it is not mapped. */
int sample_take(struct sample *s, const struct sample_plan *p, uintptr_t addr);

/* 1 while reads go through process_vm_readv: an unmapped page is an error,
 * not a fault, so a block may be read without holding it. */
int probe_reads_safely(void);

/* Looks for a SwissTable control-byte array at the start of the block: a run
 * of 2^k - 1 control bytes, the 0xFF sentinel, then a copy of the first 15.
 * Returns 1 and the region when found. */
int probe_find_ctrl(uintptr_t addr, uint64_t size, uint64_t *off, uint64_t *len);

struct slot_layout {
    int stride, offset;         /* in words; stride 1 = every word is a slot */
    int from_pointers;          /* inferred from pointer words: kept once found */
};

struct measurement {
    float occ[NPROBES];
    uint8_t valid[NPROBES];
    uint8_t uniform[NPROBES];   /* used slots spread evenly across the block */
    uint32_t pointer_words;     /* in the sample */
    uint64_t marker;            /* the repeated value, 0 if none */
};

/* Measures the sample; refines *layout when the sample has enough pointers.
 * With register_referents, the pointers seen are registered for liveness. */
void probe_measure(const struct sample *s, const struct mapped_ranges *m,
                   struct slot_layout *layout, int register_referents, struct measurement *out);

#endif
