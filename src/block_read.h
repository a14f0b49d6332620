/* block_read.h: which bytes of a watched block a measurement reads, and the
 * copy of them that the classifier and the probes work on.
 *
 * A block's read plan is fixed when its watch starts: a stratified choice of
 * 128-byte chunks spread evenly over the block (one per 64 KiB, 32 to 256:
 * 4 to 32 KiB), the same offsets every time, so a measurement costs the same
 * however large the block is.  A probe may add one byte region of its own
 * (the ctrl probe: chunks of the control-byte array), which the copy carries
 * beside the chunks. */
#ifndef RETAIN_BLOCK_READ_H
#define RETAIN_BLOCK_READ_H

#include <stddef.h>
#include <stdint.h>

#define BLOCK_CHUNK_BYTES 128
#define BLOCK_CHUNK_WORDS (BLOCK_CHUNK_BYTES / 8)
#define BLOCK_MAX_CHUNKS 256
#define BLOCK_MAX_PIECES 16             /* pieces of probe-owned regions */

struct block_read_plan {
    int nchunks;
    uint64_t chunk_off[BLOCK_MAX_CHUNKS];       /* byte offsets, 8-aligned */
    int npieces;
    const void *piece_owner[BLOCK_MAX_PIECES];  /* the probe that asked */
    uint64_t piece_off[BLOCK_MAX_PIECES];
    uint64_t piece_len[BLOCK_MAX_PIECES];
};

void block_read_plan_init(struct block_read_plan *p, uintptr_t addr, uint64_t size);
/* Adds a stratified choice of chunks of [off, off+len) for owner (up to
 * BLOCK_MAX_PIECES chunks, or the whole region if it is shorter than one
 * chunk).  One region per owner; an owner's second call is ignored. */
void block_read_plan_add_region(struct block_read_plan *p, const void *owner, uintptr_t addr,
                                uint64_t off, uint64_t len);
int block_read_plan_has_region(const struct block_read_plan *p, const void *owner);
/* Forgets owner's region (to add a better one). */
void block_read_plan_drop_region(struct block_read_plan *p, const void *owner);

struct block_copy {
    int nchunks;
    uint64_t first_word[BLOCK_MAX_CHUNKS];      /* word index of each chunk in the block */
    uint64_t words[BLOCK_MAX_CHUNKS][BLOCK_CHUNK_WORDS];
    int npieces;
    const void *piece_owner[BLOCK_MAX_PIECES];
    int piece_start[BLOCK_MAX_PIECES];          /* into bytes[] */
    int nbytes;
    uint8_t bytes[BLOCK_MAX_PIECES * BLOCK_CHUNK_BYTES];
};

/* Copies the planned bytes out of the block at addr.  Returns -1 if part of
 * it is not mapped (see mem_read.h for when the caller must hold the block). */
int block_copy_take(struct block_copy *c, const struct block_read_plan *p, uintptr_t addr);
/* The bytes copied for owner's region; NULL and *len = 0 if it has none. */
const uint8_t *block_copy_region(const struct block_copy *c, const void *owner, int *len);
/* Bytes read by the copy (for the sampler's bytes_scanned). */
uint64_t block_copy_bytes(const struct block_copy *c);

#endif
