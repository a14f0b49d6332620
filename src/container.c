/* container.c: CPython's dict keys and set tables, PHP arrays' data and Ruby
 * Hashes' st_table entries, recognised by layout.
 *
 * dict keys (PyDictKeysObject, one malloc: header, index array, entries):
 *   3.8-3.10: {refcnt, dk_size, dk_lookup, usable, nentries}, 40 bytes;
 *             bytes = 40 + size * index_width + (2 * size / 3) * 24
 *   3.11+:    {refcnt, u8 log2_size, u8 log2_index_bytes, u8 kind, u32 version,
 *             usable, nentries}, 32 bytes;
 *             bytes = 32 + 2^log2_index_bytes + (2 * size / 3) * (kind ? 16 : 24)
 *   The block's requested size must be exactly that: an arbitrary buffer
 *   almost never is.
 * set table (PySetObject.table, setentry {key, hash} * 2^k, no header):
 *   requested size exactly 16 * 2^k; every sampled entry empty (0, 0), the
 *   one dummy key with hash -1, or a pointer key; hashes not pointers.
 * PHP 8 array data (HashTable.arData of a hash, not packed, array): the
 *   block starts with the hash part, 2 * 2^k uint32 slots, each
 *   HT_INVALID_IDX (all ones) or a bucket's index (below 2^k: 64-bit
 *   builds store indices, not byte offsets), then 2^k Buckets {zval {value, u1 type, u2 next}, h,
 *   key}; requested size exactly 40 * 2^k.
 * Ruby st_table entries (st_table.entries of a Hash past 8 pairs, st.c:
 *   {st_hash_t hash, VALUE key, VALUE record} * 2^k, no header): requested
 *   size exactly 24 * 2^k; every sampled entry a deleted one (hash all ones),
 *   never written (all zero), or a live one whose key and record are VALUEs
 *   and whose hash is Ruby's (any_hash keeps 62 mixed bits: at or above 2^48
 *   but for one in 2^14), at most an eighth of the samples otherwise (memory
 *   past entries_bound is not initialised); three quarters of the live
 *   hashes at or above 2^48 (an Array's VALUEs, taken three at a time, are
 *   pointers and small immediates, below it). */
#include "container.h"
#include "cold.h"
#include "interp.h"
#include "mem_read.h"

#include <stdio.h>
#include <string.h>

#define FREED_MAX 256
#define SET_SAMPLES 64

typedef int (*reader)(uintptr_t from, void *to, size_t n);

static int read_direct(uintptr_t from, void *to, size_t n)
{
    memcpy(to, (const void *)from, n);
    return 0;
}

static int index_width_log2(uint64_t size)
{
    return size <= 0xff ? 0 : size <= 0xffff ? 1 : size <= 0xffffffffull ? 2 : 3;
}

static int dict_keys(uintptr_t addr, uint64_t size, int layout, reader rd, int *log2)
{
    unsigned char h[40];
    if (size < sizeof h || rd(addr, h, sizeof h) < 0)
        return 0;
    int64_t refcnt, usable, nentries;
    memcpy(&refcnt, h, 8);
    if (refcnt < 0 || refcnt > (1ll << 40))
        return 0;
    uint64_t slots, bytes;
    int lg;
    if (layout == 1) {
        lg = h[8];
        int lg_index = h[9], kind = h[10];
        if (lg < 3 || lg > 40 || kind > 2 || lg_index != lg + index_width_log2(1ull << lg))
            return 0;
        slots = 1ull << lg;
        memcpy(&usable, h + 16, 8);
        memcpy(&nentries, h + 24, 8);
        bytes = 32 + (1ull << lg_index) + (2 * slots / 3) * (kind ? 16 : 24);
    } else {
        int64_t dk_size;
        memcpy(&dk_size, h + 8, 8);
        if (dk_size < 8 || dk_size > (1ll << 40) || (dk_size & (dk_size - 1)))
            return 0;
        slots = (uint64_t)dk_size;
        lg = __builtin_ctzll(slots);
        memcpy(&usable, h + 24, 8);
        memcpy(&nentries, h + 32, 8);
        bytes = 40 + (slots << index_width_log2(slots)) + (2 * slots / 3) * 24;
    }
    if (usable < 0 || nentries < 0 || (uint64_t)usable > slots || (uint64_t)nentries > slots ||
        (uint64_t)(usable + nentries) > 2 * slots / 3 || bytes != size)
        return 0;
    *log2 = lg;
    return 1;
}

static int set_table(uintptr_t addr, uint64_t size, reader rd, int *log2)
{
    if (size < 16 * 8 || (size & (size - 1)))
        return 0;
    uint64_t slots = size / 16, step = slots / SET_SAMPLES ? slots / SET_SAMPLES : 1;
    uintptr_t dummy = 0;
    int used = 0, pointer_hashes = 0;
    for (uint64_t i = 0; i < slots && i / step < SET_SAMPLES; i += step) {
        uint64_t e[2];
        if (rd(addr + i * 16, e, sizeof e) < 0)
            return 0;
        if (e[0] == 0) {
            if (e[1] != 0)
                return 0;
            continue;
        }
        if ((e[0] & 7) || e[0] < 4096 || e[0] >= (1ull << 47))
            return 0;
        if (e[1] == UINT64_MAX) {       /* deleted: the one dummy object */
            if (dummy && dummy != e[0])
                return 0;
            dummy = e[0];
        } else if (!(e[1] & 7) && e[1] >= 4096 && e[1] < (1ull << 47)) {
            pointer_hashes++;
        }
        used++;
    }
    if (used < 2 || pointer_hashes * 2 > used)
        return 0;
    *log2 = __builtin_ctzll(slots);
    return 1;
}

static int php_array(uintptr_t addr, uint64_t size, reader rd, int *log2)
{
    if (size % 40 || size / 40 < 8 || ((size / 40) & (size / 40 - 1)))
        return 0;
    uint64_t slots = size / 40, hash_words = 2 * slots;
    uint64_t step = hash_words / SET_SAMPLES ? hash_words / SET_SAMPLES : 1;
    /* Twice as many hash slots as buckets: at least half are empty
     * (HT_INVALID_IDX), full or drained; a zeroed block has none. */
    int invalid = 0;
    for (uint64_t i = 0; i < hash_words && i / step < SET_SAMPLES; i += step) {
        uint32_t v;
        if (rd(addr + i * 4, &v, sizeof v) < 0)
            return 0;
        if (v == UINT32_MAX)
            invalid++;
        else if (v >= slots)
            return 0;
    }
    uintptr_t buckets = addr + hash_words * 4;
    step = slots / SET_SAMPLES ? slots / SET_SAMPLES : 1;
    for (uint64_t i = 0; i < slots && i / step < SET_SAMPLES; i += step) {
        unsigned char b[16];
        uint32_t next;
        if (rd(buckets + i * 32, b, sizeof b) < 0)
            return 0;
        memcpy(&next, b + 12, 4);
        if (b[8] > 20 || (next != UINT32_MAX && next >= slots))
            return 0;
    }
    if (invalid < SET_SAMPLES / 4)
        return 0;
    *log2 = __builtin_ctzll(slots);
    return 1;
}

static int php_process(void)
{
    const struct interp_info *in = interp_info();
    return in && in->frames && !strcmp(in->language, "php");
}

static int ruby_process(void)
{
    const struct interp_info *in = interp_info();
    return in && in->frames && !strcmp(in->language, "ruby");
}

/* A Ruby VALUE: Fixnum, flonum, static Symbol, false/nil/true/undef, or an
 * aligned heap pointer. */
static int ruby_value(uint64_t v)
{
    if ((v & 1) || (v & 3) == 2 || (v & 0xff) == 0x0c)
        return 1;
    if (v == 0 || v == 0x08 || v == 0x14 || v == 0x34)
        return 1;
    return !(v & 7) && v >= 4096 && v < (1ull << 47);
}

static int ruby_st_entries(uintptr_t addr, uint64_t size, reader rd, int *log2)
{
    if (size % 24 || size / 24 < 16 || ((size / 24) & (size / 24 - 1)))
        return 0;
    uint64_t slots = size / 24, step = slots / SET_SAMPLES ? slots / SET_SAMPLES : 1;
    int samples = 0, bad = 0, live = 0, deleted = 0, mixed = 0;
    for (uint64_t i = 0; i < slots && i / step < SET_SAMPLES; i += step) {
        uint64_t e[3];
        if (rd(addr + i * 24, e, sizeof e) < 0)
            return 0;
        samples++;
        if (!e[0] && !e[1] && !e[2])
            continue;
        if (!ruby_value(e[1]) || !ruby_value(e[2])) {
            bad++;
        } else if (e[0] == UINT64_MAX) {
            deleted++;
        } else {
            live++;
            mixed += e[0] >= (1ull << 48);
        }
    }
    if (bad * 8 > samples || live + deleted < 2 || mixed * 4 < live * 3)
        return 0;
    *log2 = __builtin_ctzll(slots);
    return 1;
}

/* PHP 8.2+ packed array data (a list: integer keys 0..n-1): the minimal
 * hash part, two uint32 HT_INVALID_IDX, then 2^k zvals {value, u1 type
 * info, u2}; requested size exactly 8 + 16 * 2^k; sampled type bytes are
 * zval types (IS_UNDEF 0 .. IS_REFERENCE 10, and PHP's internal ones up to
 * 20). */
static int php_packed(uintptr_t addr, uint64_t size, reader rd, int *log2)
{
    uint64_t slots = (size - 8) / 16;
    if (size < 8 + 16 * 8 || (size - 8) % 16 || (slots & (slots - 1)))
        return 0;
    uint32_t head[2];
    if (rd(addr, head, sizeof head) < 0 || head[0] != UINT32_MAX || head[1] != UINT32_MAX)
        return 0;
    uint64_t step = slots / SET_SAMPLES ? slots / SET_SAMPLES : 1;
    int typed = 0;
    for (uint64_t i = 0; i < slots && i / step < SET_SAMPLES; i += step) {
        unsigned char z[16];
        if (rd(addr + 8 + i * 16, z, sizeof z) < 0)
            return 0;
        if (z[8] > 20)
            return 0;
        typed += z[8] != 0;
    }
    if (typed < 1)
        return 0;
    *log2 = __builtin_ctzll(slots);
    return 1;
}

static struct container recognise(uintptr_t addr, uint64_t size, reader rd)
{
    struct container c = { CONTAINER_NONE, 0 };
    int layout = interp_python_dict_layout();
    if (layout < 0) {
        if (php_process() && php_array(addr, size, rd, &c.log2_slots))
            c.kind = CONTAINER_PHP_ARRAY;
        else if (php_process() && php_packed(addr, size, rd, &c.log2_slots))
            c.kind = CONTAINER_PHP_PACKED;
        else if (ruby_process() && ruby_st_entries(addr, size, rd, &c.log2_slots))
            c.kind = CONTAINER_RUBY_ST_ENTRIES;
        return c;
    }
    if (dict_keys(addr, size, layout, rd, &c.log2_slots))
        c.kind = CONTAINER_PY_DICT_KEYS;
    else if (set_table(addr, size, rd, &c.log2_slots))
        c.kind = CONTAINER_PY_SET_TABLE;
    return c;
}

/* Blocks recognised as they were freed: a ring, newest wins.  Entries are
 * written by any thread without a lock: a torn entry only loses a label,
 * and readers match address, size and site. */
static struct freed {
    uintptr_t addr;
    uint64_t size;
    const struct site *site;
    struct container c;
} freed[FREED_MAX] COLD_BSS;
static unsigned freed_next;

void container_note_freed(uintptr_t addr, uint64_t size, const struct site *site)
{
    if (interp_python_dict_layout() < 0 && !php_process() && !ruby_process())
        return;
    struct container c = recognise(addr, size, read_direct);
    if (c.kind == CONTAINER_NONE)
        return;
    unsigned i = __atomic_fetch_add(&freed_next, 1, __ATOMIC_RELAXED) % FREED_MAX;
    __atomic_store_n(&freed[i].addr, 0, __ATOMIC_RELAXED);
    freed[i].size = size;
    freed[i].site = site;
    freed[i].c = c;
    __atomic_store_n(&freed[i].addr, addr, __ATOMIC_RELEASE);
}

static int read_checked(uintptr_t from, void *to, size_t n)
{
    return interp_read(from, to, n);
}

struct container container_of(uintptr_t addr, uint64_t size, const struct site *site, int live)
{
    struct container none = { CONTAINER_NONE, 0 };
    if (interp_python_dict_layout() < 0 && !php_process() && !ruby_process())
        return none;
    if (live)
        return recognise(addr, size, read_checked);
    unsigned last = __atomic_load_n(&freed_next, __ATOMIC_ACQUIRE);
    for (unsigned k = 0; k < FREED_MAX && k < last; k++) {
        const struct freed *f = &freed[(last - 1 - k) % FREED_MAX];
        if (__atomic_load_n(&f->addr, __ATOMIC_ACQUIRE) == addr && f->size == size && f->site == site)
            return f->c;
    }
    return none;
}

void container_name(struct container c, char *out, size_t cap)
{
    switch (c.kind) {
    case CONTAINER_PY_DICT_KEYS:
        snprintf(out, cap, "python dict keys (2^%d slots)", c.log2_slots);
        break;
    case CONTAINER_PY_SET_TABLE:
        snprintf(out, cap, "python set table (2^%d slots)", c.log2_slots);
        break;
    case CONTAINER_PHP_ARRAY:
        snprintf(out, cap, "php array data (2^%d slots)", c.log2_slots);
        break;
    case CONTAINER_PHP_PACKED:
        snprintf(out, cap, "php packed array (2^%d slots)", c.log2_slots);
        break;
    case CONTAINER_RUBY_ST_ENTRIES:
        snprintf(out, cap, "ruby st_table entries (2^%d slots)", c.log2_slots);
        break;
    default:
        if (cap)
            out[0] = 0;
    }
}
