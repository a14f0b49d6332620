/* swiss_ctrl.h: finding a SwissTable control-byte array in a block.
 *
 * A SwissTable (absl::flat_hash_map and kin) keeps one control byte per
 * slot: 0x00..0x7F full (7 bits of the hash), 0x80 empty, 0xFE deleted,
 * 0xFF the sentinel after the last slot, followed by a copy of the first
 * group (15 bytes) so that probing never wraps.  Today only the absl layout
 * is looked for: the array at the start of the block (after a header of 0,
 * 8 or 16 bytes), 2^k - 1 bytes long. */
#ifndef RETAIN_SWISS_CTRL_H
#define RETAIN_SWISS_CTRL_H

#include <stdint.h>

/* Reads the block (safely, see mem_read.h) and returns 1 with the region
 * [*off, *off + *len) when a control-byte array is found. */
int swiss_ctrl_find(uintptr_t addr, uint64_t size, uint64_t *off, uint64_t *len);

#endif
