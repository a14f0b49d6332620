/* swiss_ctrl.h: finding a SwissTable control-byte array in a block.
 *
 * A SwissTable keeps one control byte per slot: 0x00..0x7F full (7 bits of
 * the hash), the rest a few fixed values for empty and deleted, and a copy
 * of the first group of 16 bytes after the last slot so that probing never
 * wraps.  Where the array sits, and the values, differ by implementation:
 *   absl (C++):       at the start (after a 0/8/16-byte header), 2^k - 1
 *                     slots, empty 0x80, deleted 0xFE, a 0xFF sentinel, then
 *                     15 cloned bytes;
 *   hashbrown (Rust): at the END of the allocation, after the buckets,
 *                     2^k slots, empty 0xFF, deleted 0x80, then the 16
 *                     cloned bytes, no sentinel;
 *   a separate array: either layout filling a block of its own.
 * A candidate is verified by its structure, never by its position alone:
 * the cloned group, every spot-checked byte a control byte, free slots
 * present (a SwissTable is at most 7/8 full), full bytes of varied hash
 * bits (a zeroed or text region is not control bytes), and for the end
 * layout buckets of a whole number of bytes before it. */
#ifndef RETAIN_SWISS_CTRL_H
#define RETAIN_SWISS_CTRL_H

#include <stdint.h>

enum swiss_layout { SWISS_NONE, SWISS_ABSL, SWISS_HASHBROWN };

struct swiss_ctrl {
    enum swiss_layout layout;
    uint64_t off, len;          /* the slots' control bytes: [off, off + len) */
};

/* Reads the block (safely, see mem_read.h) and returns 1 with *out filled
 * when a control-byte array is found. */
int swiss_ctrl_find(uintptr_t addr, uint64_t size, struct swiss_ctrl *out);

/* "absl" / "hashbrown" (the container's name in the report). */
const char *swiss_layout_name(enum swiss_layout l);

#endif
