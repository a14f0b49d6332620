/* test_probes: every probe on synthetic blocks laid out as real containers
 * lay out their arrays, through the same steps as a sampler measurement
 * (read plan, copy, classification, probes_plan/probes_measure), no preload.
 *
 * Blocks are real buffers of this process, so the copy and the SwissTable
 * search read real memory, but their "pointers" are numbers in a fake heap
 * range that the test's own mapped_ranges declares readable: nothing here
 * depends on this process's /proc/self/maps, and no pointer is followed.
 *
 * For each layout: the occupancy each probe reads against the truth the
 * test built, whether it calls the reading a table, and after deletes
 * whether the probe that should explain the drop does.  Tolerances are
 * sampling error: a plan reads 32..256 chunks of 128 bytes. */
#include "block_read.h"
#include "classify.h"
#include "mapped_ranges.h"
#include "probe.h"
#include "probe_liveness.h"
#include "probes.h"
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_HEAP_LO 0x100000000000ull  /* the pointers of every layout */
#define FAKE_HEAP_HI 0x200000000000ull
#define MIB (1u << 20)

static struct mapped_ranges ranges;
static struct block_copy copy;
static struct classified cls;

/* A watched block as the sampler sees it. */
struct subject {
    uint64_t *mem;
    uint64_t size;
    uint64_t words;
    struct block_read_plan plan;
    struct slot_layout layout;
    struct probe_track track[PROBES_MAX];
    struct probe_result r[PROBES_MAX];
    uint32_t measured;
    uint64_t stated_used, stated_capacity;
};

static struct subject *subject_new(uint64_t size)
{
    struct subject *s = calloc(1, sizeof *s);
    s->mem = aligned_alloc(4096, (size + 4095) & ~(uint64_t)4095);
    memset(s->mem, 0, size);
    s->size = size;
    s->words = size / 8;
    s->layout.stride = 1;
    block_read_plan_init(&s->plan, (uintptr_t)s->mem, size);
    return s;
}

static void subject_free(struct subject *s)
{
    free(s->mem);
    free(s);
}

/* One measurement, as retention.c takes it. */
static void measure(struct subject *s)
{
    struct block_facts b = { .addr = (uintptr_t)s->mem, .size = s->size, .measured = s->measured,
                             .stated = s->stated_capacity != 0, .stated_used = s->stated_used,
                             .stated_capacity = s->stated_capacity };
    probes_plan(&b, s->track, &s->plan);
    int rc = block_copy_take(&copy, &s->plan, (uintptr_t)s->mem);
    CHECK(rc == 0, "copy of the test's own buffer failed");
    classify(&copy, &ranges, &s->layout, &cls);
    probes_measure(&cls, &b, s->track, s->r);
    s->measured++;
}

static int probe_index(const char *name)
{
    for (int p = 0; p < probe_count; p++)
        if (!strcmp(probe_table[p]->name, name))
            return p;
    CHECK(0, "no probe named %s", name);
    return 0;
}

static float occ(const struct subject *s, const char *name)
{
    int p = probe_index(name);
    return s->r[p].valid ? s->r[p].occ : -1;
}

static int table_like_now(const struct subject *s, const char *name)
{
    int p = probe_index(name);
    return s->r[p].valid && probe_table[p]->table_like(&cls, &s->r[p]);
}

static int table_like_at_peak(const struct subject *s, const char *name)
{
    return s->track[probe_index(name)].peak_table_like;
}

/* The probe retention would name for the block now ("none" if none). */
static const char *explained_by(const struct subject *s)
{
    int p = probes_explaining(s->track);
    return p < 0 ? "none" : probe_table[p]->name;
}

#define EXPLAINED_BY(s, want) \
    CHECK(!strcmp(explained_by(s), want), "the drop is explained by %s, not %s", explained_by(s), want)

#define NEAR(x, truth, tol, what) \
    CHECK(fabs((double)(x) - (double)(truth)) <= (tol), "%s: read %.3f, truth %.3f", what, (double)(x), \
          (double)(truth))

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double uniform01(void) { return (double)(unit_rand(&rng) >> 11) / 9007199254740992.0; }
static uint64_t fake_ptr(void) { return FAKE_HEAP_LO + ((unit_rand(&rng) % (1ull << 40)) & ~15ull); }
/* A hash value: any 64 bits but all-ones. */
static uint64_t hash_value(void)
{
    uint64_t h = unit_rand(&rng);
    return h == ~0ull ? 1 : h;
}

/* ---- libstdc++ std::unordered_map: _M_buckets, one node pointer or NULL
 * per bucket. */
static void case_unordered_map(void)
{
    UNIT_CASE("unordered_map buckets (pointers and NULLs)");
    struct subject *s = subject_new(16 * MIB);
    uint64_t used = 0;
    for (uint64_t i = 0; i < s->words; i++)
        if (uniform01() < 0.63) {       /* 1 - e^-1: load factor 1 */
            s->mem[i] = fake_ptr();
            used++;
        }
    measure(s);
    double truth = (double)used / (double)s->words;
    NEAR(occ(s, "pointer"), truth, 0.03, "pointer at peak");
    NEAR(occ(s, "liveness"), truth, 0.03, "liveness at peak");
    CHECK(s->layout.stride == 1, "bucket array read with stride %d", s->layout.stride);
    CHECK(table_like_now(s, "pointer"), "a bucket array full of pointers is not table-like");

    /* Erase 99% of the elements: their buckets go back to NULL. */
    used = 0;
    for (uint64_t i = 0; i < s->words; i++)
        if (s->mem[i] && uniform01() < 0.99)
            s->mem[i] = 0;
        else if (s->mem[i])
            used++;
    measure(s);
    NEAR(occ(s, "pointer"), (double)used / (double)s->words, 0.02, "pointer after erase");
    CHECK(table_like_at_peak(s, "pointer"), "pointer probe's peak not table-like");
    EXPLAINED_BY(s, "pointer");
    subject_free(s);
}

/* ---- uthash: UT_hash_bucket {hh_head pointer; unsigned count,
 * expand_mult}: stride 2, a pointer and a count. */
static void case_uthash(void)
{
    UNIT_CASE("uthash buckets (pointer + count, stride 2)");
    struct subject *s = subject_new(16 * MIB);
    uint64_t nb = s->words / 2, used = 0;
    for (uint64_t b = 0; b < nb; b++)
        if (uniform01() < 0.75) {
            s->mem[2 * b] = fake_ptr();
            s->mem[2 * b + 1] = 1 + unit_rand(&rng) % 3;     /* count; expand_mult 0 */
            used++;
        }
    measure(s);
    CHECK(s->layout.stride == 2 && s->layout.offset == 0, "uthash buckets read as stride %d offset %d",
          s->layout.stride, s->layout.offset);
    NEAR(occ(s, "pointer"), (double)used / (double)nb, 0.03, "pointer per bucket");
    NEAR(occ(s, "nonzero"), (double)used / (double)nb, 0.03, "nonzero per bucket");
    CHECK(table_like_now(s, "pointer"), "uthash buckets not table-like");
    subject_free(s);
}

/* ---- CPython dict keys object: a header, an index array (int32, -1 for an
 * empty index), then entries {hash, key*, value*} filled in insertion
 * order; a deleted entry keeps its hash, its key and value become NULL. */
static void case_cpython_dict(void)
{
    UNIT_CASE("CPython dict (index array + hash/key/value entries)");
    const uint64_t slots = 1u << 20;                /* dk_size */
    const uint64_t usable = slots * 2 / 3;
    uint64_t index_bytes = slots * 4, entries_off = (32 + index_bytes) / 8;
    struct subject *s = subject_new(32 + index_bytes + usable * 24);
    uint64_t nentries = usable * 95 / 100;
    int32_t *index = (int32_t *)((char *)s->mem + 32);
    for (uint64_t i = 0; i < slots; i++)
        index[i] = -1;
    for (uint64_t e = 0; e < nentries; e++) {
        uint64_t *ent = s->mem + entries_off + 3 * e;
        ent[0] = hash_value();
        ent[1] = fake_ptr();
        ent[2] = fake_ptr();
        index[unit_rand(&rng) % slots] = (int32_t)e;
    }
    measure(s);
    CHECK(s->layout.stride == 3, "entries read with stride %d", s->layout.stride);
    /* The pointer probe counts entry slots only: the index chunks hold no
     * pointer and are left out. */
    NEAR(occ(s, "pointer"), (double)nentries / (double)usable, 0.05, "pointer over the entries");
    CHECK(table_like_now(s, "pointer"), "dict entries not table-like");

    uint64_t live = 0;
    for (uint64_t e = 0; e < nentries; e++) {
        uint64_t *ent = s->mem + entries_off + 3 * e;
        if (uniform01() < 0.98)
            ent[1] = ent[2] = 0;        /* del d[k]: the hash stays */
        else
            live++;
    }
    measure(s);
    NEAR(occ(s, "pointer"), (double)live / (double)usable, 0.03, "pointer after del");
    EXPLAINED_BY(s, "pointer");
    subject_free(s);
}

/* ---- CPython set: setentry {key*, hash}; a discarded entry gets the
 * shared dummy key and hash -1 (all ones). */
static void case_cpython_set(void)
{
    UNIT_CASE("CPython set (dummy marker)");
    struct subject *s = subject_new(16 * MIB);
    uint64_t n = s->words / 2, used = 0;
    const uint64_t dummy = fake_ptr();
    for (uint64_t i = 0; i < n; i++)
        if (uniform01() < 0.5) {
            s->mem[2 * i] = fake_ptr();
            s->mem[2 * i + 1] = hash_value();
            used++;
        }
    measure(s);
    NEAR(occ(s, "marker"), (double)used / (double)n, 0.04, "marker at peak");
    CHECK(table_like_now(s, "marker"), "set table not table-like for the marker probe");

    uint64_t live = 0;
    for (uint64_t i = 0; i < n; i++)
        if (s->mem[2 * i] && uniform01() < 0.99) {
            s->mem[2 * i] = dummy;
            s->mem[2 * i + 1] = ~0ull;
        } else if (s->mem[2 * i]) {
            live++;
        }
    measure(s);
    CHECK(cls.marker == dummy, "the dummy key was not elected the marker (got %#llx)",
          (unsigned long long)cls.marker);
    NEAR(occ(s, "marker"), (double)live / (double)n, 0.03, "marker after discards");
    /* The dummy is a pointer too: the pointer probe cannot see the drop,
     * the marker probe must. */
    CHECK(occ(s, "pointer") > 0.4f, "pointer probe read %.3f: it should still see the dummies",
          (double)occ(s, "pointer"));
    CHECK(table_like_at_peak(s, "marker"), "marker probe's peak not table-like");
    EXPLAINED_BY(s, "marker");
    subject_free(s);
}

/* ---- absl::flat_hash_map: control bytes (capacity 2^k - 1, the 0xFF
 * sentinel, a clone of the first 15) at the start, then the slots. */
static void case_swisstable(void)
{
    UNIT_CASE("absl SwissTable (control bytes)");
    const uint64_t cap = (1u << 16) - 1;
    const uint64_t ctrl_bytes = (cap + 1 + 15 + 7) & ~7ull;
    struct subject *s = subject_new(ctrl_bytes + cap * 16 + 16);
    uint8_t *ctrl = (uint8_t *)s->mem;
    uint64_t *slots = s->mem + ctrl_bytes / 8;
    uint64_t full = 0;
    for (uint64_t i = 0; i < cap; i++) {
        if (uniform01() < 0.8) {
            ctrl[i] = (uint8_t)(unit_rand(&rng) & 0x7F);
            slots[2 * i] = unit_rand(&rng) | 1;
            slots[2 * i + 1] = unit_rand(&rng) | 1;
            full++;
        } else {
            ctrl[i] = 0x80;
        }
    }
    ctrl[cap] = 0xFF;
    memcpy(ctrl + cap + 1, ctrl, 15);
    measure(s);
    CHECK(s->r[probe_index("ctrl")].valid, "control bytes not found");
    NEAR(occ(s, "ctrl"), (double)full / (double)cap, 0.04, "ctrl at peak");
    CHECK(table_like_now(s, "ctrl"), "SwissTable not table-like");

    /* erase(): 0xFE (deleted), the slot keeps its stale bytes. */
    uint64_t live = 0;
    for (uint64_t i = 0; i < cap; i++)
        if (ctrl[i] < 0x80 && uniform01() < 0.99)
            ctrl[i] = 0xFE;
        else if (ctrl[i] < 0x80)
            live++;
    memcpy(ctrl + cap + 1, ctrl, 15);
    measure(s);
    NEAR(occ(s, "ctrl"), (double)live / (double)cap, 0.02, "ctrl after erase");
    CHECK(occ(s, "nonzero") > 0.7f, "stale slots should still read full to the nonzero probe (%.3f)",
          (double)occ(s, "nonzero"));
    int p = probe_index("ctrl");
    CHECK(probe_table[p]->confidence(&s->track[p], 0) == CONFIDENCE_HIGH, "ctrl findings not high confidence");
    EXPLAINED_BY(s, "ctrl");
    subject_free(s);

    /* A sentinel and a cloned group are not enough: bytes that are not
     * control bytes (0x81..0xFD) rule the region out. */
    struct subject *t = subject_new(ctrl_bytes + cap * 16 + 16);
    uint8_t *fake = (uint8_t *)t->mem;
    for (uint64_t i = 0; i < cap; i++)
        fake[i] = (uint8_t)(unit_rand(&rng) % 256);
    fake[cap] = 0xFF;
    memcpy(fake + cap + 1, fake, 15);
    measure(t);
    CHECK(!t->r[probe_index("ctrl")].valid, "control bytes found in random bytes with a sentinel");
    subject_free(t);
}

/* ---- Rust's HashMap (hashbrown): 2^k buckets first, then 2^k control
 * bytes (empty 0xFF, deleted 0x80) and a clone of the first 16, ending the
 * allocation; no sentinel. */
static void case_hashbrown(void)
{
    UNIT_CASE("hashbrown (control bytes at the end)");
    const uint64_t buckets = 1u << 17, slot = 16;
    struct subject *s = subject_new(buckets * slot + buckets + 16);
    uint64_t *slots = s->mem;
    uint8_t *ctrl = (uint8_t *)s->mem + buckets * slot;
    memset(ctrl, 0xFF, buckets + 16);
    measure(s);                 /* a new, empty table: found, 0 full */
    CHECK(s->r[probe_index("ctrl")].valid, "control bytes of an empty hashbrown table not found");
    uint64_t full = 0;
    for (uint64_t i = 0; i < buckets; i++)
        if (uniform01() < 0.85) {
            ctrl[i] = (uint8_t)(unit_rand(&rng) & 0x7F);
            slots[2 * i] = unit_rand(&rng) | 1;
            slots[2 * i + 1] = unit_rand(&rng) | 1;
            full++;
        }
    memcpy(ctrl + buckets, ctrl, 16);
    measure(s);
    NEAR(occ(s, "ctrl"), (double)full / (double)buckets, 0.04, "ctrl at peak");
    CHECK(table_like_now(s, "ctrl"), "hashbrown table not table-like");
    uint64_t live = 0;
    for (uint64_t i = 0; i < buckets; i++)
        if (ctrl[i] < 0x80 && uniform01() < 0.99)
            ctrl[i] = 0x80;
        else if (ctrl[i] < 0x80)
            live++;
    memcpy(ctrl + buckets, ctrl, 16);
    measure(s);
    NEAR(occ(s, "ctrl"), (double)live / (double)buckets, 0.02, "ctrl after remove");
    EXPLAINED_BY(s, "ctrl");
    subject_free(s);

    /* First seen while its control bytes were still being set to empty
     * (the front still zero): only the tail verifies; once all are set, the
     * whole array replaces it. */
    struct subject *y = subject_new(buckets * slot + buckets + 16);
    uint8_t *yc = (uint8_t *)y->mem + buckets * slot;
    memset(yc + buckets - 4096, 0xFF, 4096 + 16);
    measure(y);
    int pc = probe_index("ctrl");
    CHECK(y->r[pc].valid && y->track[pc].memo.u[2] < 18, "the initialised tail was not found first (log2 %u)",
          y->track[pc].memo.u[2]);
    memset(yc, 0xFF, buckets + 16);
    measure(y);
    CHECK(y->track[pc].memo.u[2] == 18, "the whole control array did not replace its tail (log2 %u)",
          y->track[pc].memo.u[2]);
    subject_free(y);

    /* Regions a careless search would take for control bytes at the end:
     * zeros (all "full" with hash 0, clone matching), ASCII text (every byte
     * below 0x80), and text whose last group repeats its first. */
    const char *what[] = { "zeros", "text", "text with a cloned group" };
    for (int v = 0; v < 3; v++) {
        struct subject *t = subject_new(buckets * slot + buckets + 16);
        uint8_t *end = (uint8_t *)t->mem + buckets * slot;
        if (v > 0)
            for (uint64_t i = 0; i < buckets + 16; i++)
                end[i] = (uint8_t)('a' + unit_rand(&rng) % 26);
        if (v == 2)
            memcpy(end + buckets, end, 16);
        measure(t);
        CHECK(!t->r[probe_index("ctrl")].valid, "control bytes found in %s at the end of a block", what[v]);
        subject_free(t);
    }
}

/* ---- Ruby st_table entries {hash, key, record}, insertion ordered; a
 * deleted entry's hash becomes all ones, key and record stay.  String keys
 * and object values: pointers. */
static void case_ruby_st_table(void)
{
    UNIT_CASE("Ruby st_table (all-ones hash marker)");
    struct subject *s = subject_new(16 * MIB);
    uint64_t n = s->words / 3, filled = n * 9 / 10;
    for (uint64_t e = 0; e < filled; e++) {
        s->mem[3 * e] = hash_value();
        s->mem[3 * e + 1] = fake_ptr();
        s->mem[3 * e + 2] = fake_ptr();
    }
    measure(s);
    CHECK(s->layout.stride == 3, "entries read with stride %d", s->layout.stride);
    NEAR(occ(s, "marker"), (double)filled / (double)n, 0.04, "marker at peak");
    /* A filled prefix is not spread evenly: the pointers are the evidence. */
    CHECK(table_like_now(s, "marker"), "st_table entries not table-like for the marker probe");

    uint64_t live = 0;
    for (uint64_t e = 0; e < filled; e++)
        if (uniform01() < 0.99)
            s->mem[3 * e] = ~0ull;
        else
            live++;
    measure(s);
    NEAR(occ(s, "marker"), (double)live / (double)n, 0.03, "marker after deletes");
    NEAR(occ(s, "pointer"), (double)filled / (double)n, 0.04, "pointer after deletes (stale keys)");
    EXPLAINED_BY(s, "marker");
    subject_free(s);
}

/* ---- Ruby st_table entries with Integer keys and values: a hash and two
 * tagged integers (2n + 1), no pointer, no zero word; a deleted entry's
 * hash becomes all ones.  Only the classes of the words show the 3-word
 * entry. */
static void case_ruby_integer_keys(void)
{
    UNIT_CASE("Ruby st_table, Integer keys (stride from word classes)");
    struct subject *s = subject_new(16 * MIB);
    uint64_t n = s->words / 3, filled = n * 96 / 100;
    for (uint64_t e = 0; e < filled; e++) {
        s->mem[3 * e] = hash_value() | (1ull << 40);
        s->mem[3 * e + 1] = 2 * e + 1;
        s->mem[3 * e + 2] = 2 * (e * 7 % 1000003) + 1;
    }
    measure(s);
    CHECK(s->layout.stride == 3, "entries read with stride %d", s->layout.stride);
    NEAR(occ(s, "marker"), (double)filled / (double)n, 0.04, "marker at peak");
    uint64_t live = 0;
    for (uint64_t e = 0; e < filled; e++)
        if (uniform01() < 0.99)
            s->mem[3 * e] = ~0ull;
        else
            live++;
    measure(s);
    CHECK(s->layout.stride == 3, "drained entries read with stride %d", s->layout.stride);
    NEAR(occ(s, "marker"), (double)live / (double)n, 0.03, "marker after deletes");
    CHECK(table_like_at_peak(s, "marker"), "the drained entries are not a table to the marker probe");
    EXPLAINED_BY(s, "marker");
    subject_free(s);
}

/* ---- PHP 8.2 packed array: zvals {value, u1 type_info | u2}: an integer
 * and IS_LONG (4).  unset() writes IS_UNDEF (0) to the type and keeps the
 * value.  The block-wide marker vote elects the type word: the tag probe,
 * not the marker probe, must read it. */
static void case_php_packed(void)
{
    UNIT_CASE("PHP packed array of zvals (type tag to IS_UNDEF)");
    struct subject *s = subject_new(16 * MIB);
    uint64_t n = s->words / 2;
    for (uint64_t i = 0; i < n; i++) {
        s->mem[2 * i] = i * 3 + 1;
        s->mem[2 * i + 1] = 4;
    }
    measure(s);
    CHECK(s->layout.stride == 2, "zvals read with stride %d", s->layout.stride);
    NEAR(occ(s, "tag"), 1.0, 0.01, "tag at peak");
    uint64_t live = 0;
    for (uint64_t i = 0; i < n; i++)
        if (uniform01() < 0.99)
            s->mem[2 * i + 1] = 0;
        else
            live++;
    measure(s);
    NEAR(occ(s, "tag"), (double)live / (double)n, 0.02, "tag after unset");
    CHECK(occ(s, "nonzero") > 0.95f, "stale values should keep the nonzero probe full (%.3f)",
          (double)occ(s, "nonzero"));
    EXPLAINED_BY(s, "tag");
    subject_free(s);
}

/* ---- PHP hash (not packed) with integer keys: Buckets {value, type |
 * next << 32, h, key = NULL}; unset() zeroes the type byte only. */
static void case_php_buckets(void)
{
    UNIT_CASE("PHP hash buckets, integer keys (type byte to IS_UNDEF)");
    struct subject *s = subject_new(16 * MIB);
    uint64_t n = s->words / 4, filled = n * 3 / 4;
    for (uint64_t i = 0; i < filled; i++) {
        uint64_t next = uniform01() < 0.6 ? 0xFFFFFFFFull : unit_rand(&rng) % n;
        s->mem[4 * i] = unit_rand(&rng) % 1000000 + 1;
        s->mem[4 * i + 1] = 4 | next << 32;
        s->mem[4 * i + 2] = i * 2654435761u % 4000000 + 1;
    }
    measure(s);
    CHECK(s->layout.stride == 4, "buckets read with stride %d", s->layout.stride);
    NEAR(occ(s, "tag"), (double)filled / (double)n, 0.04, "tag at peak");
    uint64_t live = 0;
    for (uint64_t i = 0; i < filled; i++)
        if (uniform01() < 0.99)
            s->mem[4 * i + 1] &= ~0xFFull;
        else
            live++;
    measure(s);
    NEAR(occ(s, "tag"), (double)live / (double)n, 0.02, "tag after unset");
    EXPLAINED_BY(s, "tag");
    subject_free(s);
}

/* ---- Lua 5.4 node array: {value, tt_ | key_tt << 8 | next << 32, key};
 * Lua fills its nodes (98% at the peak); t[k] = nil sets tt_ to 0 and keeps
 * key_tt and the key; empty nodes hold only the empty tag 0x10. */
static void case_lua_nodes(void)
{
    /* 99% full, not 98%: the block is read in sampled chunks placed by its
     * address, and a 98% array's estimate fell to the 0.97 bound of "partly
     * used" in about one run in fifty (a few hundred slots read). */
    UNIT_CASE("Lua 5.4 nodes, 99% full, nil'd (tombstones prove a table)");
    struct subject *s = subject_new(24 * MIB);
    uint64_t n = s->words / 3, used = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (uniform01() < 0.99) {
            s->mem[3 * i] = unit_rand(&rng) % 100000000 + 1;
            s->mem[3 * i + 1] = 0x0303 | (uniform01() < 0.5 ? 0 : (unit_rand(&rng) % 64) << 32);
            s->mem[3 * i + 2] = unit_rand(&rng) % (1ull << 40) + 1;
            used++;
        } else {
            s->mem[3 * i + 1] = 0x10;
        }
    }
    measure(s);
    CHECK(s->layout.stride == 3, "nodes read with stride %d", s->layout.stride);
    NEAR(occ(s, "tag"), (double)used / (double)n, 0.03, "tag at peak");
    CHECK(!table_like_now(s, "tag"), "a 99%%-full array with no tombstones yet is a table to the tag probe");
    uint64_t live = 0;
    for (uint64_t i = 0; i < n; i++)
        if ((s->mem[3 * i + 1] & 0xFF) == 0x03 && uniform01() < 0.99)
            s->mem[3 * i + 1] &= ~0xFFull;
        else if ((s->mem[3 * i + 1] & 0xFF) == 0x03)
            live++;
    measure(s);
    NEAR(occ(s, "tag"), (double)live / (double)n, 0.02, "tag after nil");
    CHECK(table_like_at_peak(s, "tag"), "tombstones did not prove the nodes a table");
    EXPLAINED_BY(s, "tag");
    subject_free(s);
}

/* ---- Negatives a careless tag or tombstone rule would flag: a full table
 * of {key, counter} whose counters are reset to zero (keys kept: every
 * entry still there); a full array of {id, double} whose values are zeroed
 * (the exponent byte looks like a tag, but it is no field of its own); a
 * full int64 array reset with fill(-1). */
static void case_tag_negatives(void)
{
    UNIT_CASE("counters reset, doubles zeroed, fill(-1): not tables");
    struct subject *s = subject_new(16 * MIB);
    uint64_t n = s->words / 2;
    for (uint64_t i = 0; i < n; i++) {
        s->mem[2 * i] = hash_value() | (1ull << 63);
        s->mem[2 * i + 1] = unit_rand(&rng) % 5000 + 1;
    }
    measure(s);
    for (uint64_t i = 0; i < n; i++)
        s->mem[2 * i + 1] = 0;
    measure(s);
    EXPLAINED_BY(s, "none");
    subject_free(s);

    struct subject *d = subject_new(16 * MIB);
    for (uint64_t i = 0; i < n; i++) {
        double v = 1.0 + (double)(unit_rand(&rng) % 1000000) / 1000.0;
        d->mem[2 * i] = i + 1;
        memcpy(&d->mem[2 * i + 1], &v, 8);
    }
    measure(d);
    for (uint64_t i = 0; i < n; i++)
        d->mem[2 * i + 1] = 0;
    measure(d);
    EXPLAINED_BY(d, "none");
    subject_free(d);

    struct subject *f = subject_new(16 * MIB);
    for (uint64_t i = 0; i < f->words; i++)
        f->mem[i] = i * 2654435761u + 1;
    measure(f);
    memset(f->mem, 0xFF, f->size);
    measure(f);
    EXPLAINED_BY(f, "none");
    subject_free(f);
}

/* ---- A byte buffer filled from the front, then cleared; and one filled
 * whole.  Neither is a table. */
static void case_byte_buffer(void)
{
    UNIT_CASE("byte buffer filled and cleared (not table-like)");
    struct subject *s = subject_new(16 * MIB);
    char *bytes = (char *)s->mem;
    uint64_t filled = s->size * 6 / 10;
    for (uint64_t i = 0; i < filled; i++)
        bytes[i] = (char)('a' + unit_rand(&rng) % 26);
    measure(s);
    for (int p = 0; p < probe_count; p++)
        CHECK(!table_like_now(s, probe_table[p]->name), "a 60%%-filled text buffer is table-like to %s",
              probe_table[p]->name);
    memset(bytes, 0, s->size);
    measure(s);
    for (int p = 0; p < probe_count; p++)
        CHECK(!s->track[p].peak_table_like, "probe %s would explain a cleared buffer", probe_table[p]->name);
    EXPLAINED_BY(s, "none");

    for (uint64_t i = 0; i < s->size; i++)
        bytes[i] = (char)(1 + unit_rand(&rng) % 255);
    struct subject *full = subject_new(16 * MIB);
    memcpy(full->mem, s->mem, s->size);
    measure(full);
    NEAR(occ(full, "nonzero"), 1.0, 0.001, "full buffer");
    CHECK(!table_like_now(full, "nonzero") && !table_like_now(full, "marker"),
          "a full byte buffer is table-like");
    subject_free(full);
    subject_free(s);
}

/* ---- An array of records {id, value, 0, 0}, every record in use: full,
 * not a half-empty table. */
static void case_full_records(void)
{
    UNIT_CASE("full array of records with zero fields (not half-empty)");
    struct subject *s = subject_new(16 * MIB);
    uint64_t n = s->words / 4;
    for (uint64_t i = 0; i < n; i++) {
        s->mem[4 * i] = i + 1;
        s->mem[4 * i + 1] = unit_rand(&rng) | 1;
    }
    measure(s);
    CHECK(s->layout.stride == 4, "records read with stride %d", s->layout.stride);
    NEAR(occ(s, "nonzero"), 1.0, 0.01, "nonzero per record");
    CHECK(!table_like_now(s, "nonzero"), "a full record array is table-like (read %.3f)",
          (double)occ(s, "nonzero"));
    subject_free(s);
}

/* ---- std::vector<T*> after clear() of the pointees: every slot keeps its
 * pointer, the blocks behind them were freed. */
static void case_stale_vector(void)
{
    UNIT_CASE("vector of pointers whose pointees were freed (liveness)");
    struct subject *s = subject_new(2 * MIB);
    for (uint64_t i = 0; i < s->words; i++)
        s->mem[i] = fake_ptr();
    measure(s);                 /* registers what the table points to */
    NEAR(occ(s, "liveness"), 1.0, 0.001, "liveness before the frees");
    uint64_t freed = 0;
    for (uint64_t i = 0; i < s->words; i++)
        if (uniform01() < 0.97) {
            liveness_on_free((void *)(uintptr_t)s->mem[i]);
            freed++;
        }
    measure(s);
    NEAR(occ(s, "pointer"), 1.0, 0.001, "pointer after the frees");
    /* Some pointers were never registered (the filter's budget) or share a
     * filter bit: liveness may read a little high, never low. */
    double truth = 1.0 - (double)freed / (double)s->words;
    CHECK(occ(s, "liveness") >= truth - 0.02 && occ(s, "liveness") <= truth + 0.15,
          "liveness after the frees read %.3f, truth %.3f", (double)occ(s, "liveness"), truth);
    CHECK(table_like_at_peak(s, "liveness"), "liveness peak not table-like");
    EXPLAINED_BY(s, "liveness");

    /* An address handed out again is live again. */
    for (uint64_t i = 0; i < s->words; i++)
        liveness_on_alloc((void *)(uintptr_t)s->mem[i]);
    measure(s);
    NEAR(occ(s, "liveness"), 1.0, 0.001, "liveness after the addresses were reused");
    subject_free(s);
}

/* ---- retain_annotate_occupancy: the program's statement is exact. */
static void case_annotation(void)
{
    UNIT_CASE("annotation (exact)");
    struct subject *s = subject_new(MIB);
    measure(s);
    CHECK(!s->r[probe_index("annotation")].valid, "annotation read without a statement");
    s->stated_used = 750;
    s->stated_capacity = 1000;
    measure(s);
    NEAR(occ(s, "annotation"), 0.75, 1e-6, "stated occupancy");
    int p = probe_index("annotation");
    CHECK(probe_table[p]->exact, "annotation not exact");
    CHECK(table_like_at_peak(s, "annotation"), "a stated occupancy is not table-like");

    /* A pointer table that drained while the program says it is still 75%
     * used: the statement wins. */
    for (uint64_t i = 0; i < s->words; i++)
        s->mem[i] = uniform01() < 0.6 ? fake_ptr() : 0;
    measure(s);
    memset(s->mem, 0, s->size);
    measure(s);
    CHECK(table_like_at_peak(s, "pointer") && occ(s, "pointer") == 0, "pointer probe did not see the drain");
    EXPLAINED_BY(s, "annotation");
    subject_free(s);
}

/* ---- The table itself: names are the report's strings. */
static void case_table(void)
{
    UNIT_CASE("probe table");
    static const char *const names[] = { "pointer", "nonzero", "tag", "marker", "ctrl", "liveness", "annotation" };
    CHECK(probe_count == 7, "%d probes", probe_count);
    for (int p = 0; p < probe_count && p < 7; p++) {
        CHECK(!strcmp(probe_table[p]->name, names[p]), "probe %d is %s, not %s", p, probe_table[p]->name,
              names[p]);
        CHECK(probe_table[p]->measure && probe_table[p]->table_like && probe_table[p]->confidence,
              "probe %s lacks a function", probe_table[p]->name);
    }
}

int main(void)
{
    CHECK(mapped_ranges_add(&ranges, FAKE_HEAP_LO, FAKE_HEAP_HI) == 0, "ranges");
    case_table();
    case_unordered_map();
    case_uthash();
    case_cpython_dict();
    case_cpython_set();
    case_swisstable();
    case_hashbrown();
    case_ruby_st_table();
    case_ruby_integer_keys();
    case_php_packed();
    case_php_buckets();
    case_lua_nodes();
    case_tag_negatives();
    case_byte_buffer();
    case_full_records();
    case_stale_vector();
    case_annotation();
    mapped_ranges_free(&ranges);
    return unit_done();
}
