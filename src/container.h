/* container.h: what a watched block is, from its own header and layout
 * (CPython dict keys tables and set tables, PHP arrays' data, Ruby st_table
 * entries; DESIGN §4a
 * "container").
 *
 * A block is recognised when it is freed (in free(), before the memory goes
 * back: the header is intact, and that is the last time it can be read) and,
 * for a block still allocated, when a report is written (a checked read). */
#ifndef RETAIN_CONTAINER_H
#define RETAIN_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

struct site;

enum container_kind {
    CONTAINER_NONE, CONTAINER_PY_DICT_KEYS, CONTAINER_PY_SET_TABLE, CONTAINER_PHP_ARRAY,
    CONTAINER_PHP_PACKED, CONTAINER_RUBY_ST_ENTRIES
};

struct container {
    enum container_kind kind;
    int log2_slots;
};

/* Allocation path, free of a watched block (still the program's, readable):
 * remembers what it was.  Cheap: a header compare or 64 sampled words, only
 * in processes running a known Python, PHP or Ruby. */
void container_note_freed(uintptr_t addr, uint64_t size, const struct site *site);

/* Report: what the block of a finding was; live: still allocated (read now). */
struct container container_of(uintptr_t addr, uint64_t size, const struct site *site, int live);

/* "python dict keys (2^20 slots)" into out; "" when unknown. */
void container_name(struct container c, char *out, size_t cap);

#endif
