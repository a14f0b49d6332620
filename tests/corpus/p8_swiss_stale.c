/*
 * p8_swiss_stale (POSITIVE): a SwissTable-like flat map (modelled on
 * absl::flat_hash_map<int64_t, int64_t>) after erase of most keys.
 *
 * Layout of the single backing block, as in absl: capacity + 1 + 15 control
 * bytes (capacity = 2^k - 1; full = H2, the hash's low 7 bits, 0x00..0x7F;
 * empty = 0x80; deleted = 0xFE; sentinel = 0xFF at [capacity]; the first 15
 * bytes cloned after the sentinel), padded to 8, then capacity 16-byte slots
 * {key, value}.  Growth: when the size would pass 7/8 of capacity, a block
 * of capacity 2c+1 replaces the old one (freed).  Erase only rewrites the
 * control byte (0x80, or 0xFE when a probe may pass through the slot); the
 * slot keeps its stale key and value, as absl does for trivially
 * destructible types, and the table never shrinks on erase.  So nothing but
 * the control bytes tells a live slot from a dead one.  (Probing here is
 * linear over single slots rather than over 16-slot groups.)
 *
 * Timeline: insert 400,000 keys (capacity 524,287: a 8.9 MB block), hold
 * 1.2 s, erase all but every 128th (0.8% kept), hold 1.5 s, exit with the
 * map still allocated.
 *
 * Truth: occupancy = full control bytes / capacity.
 */
#include "corpus.h"

#define CTRL_EMPTY   0x80
#define CTRL_DELETED 0xFE
#define CTRL_SENTINEL 0xFF
#define CLONED 15

struct slot {
    int64_t key;
    int64_t value;
};

struct flatmap {
    uint8_t *ctrl;            /* start of the block */
    struct slot *slots;       /* inside the same block */
    size_t capacity;          /* 2^k - 1 */
    size_t size;
};

static size_t slot_offset(size_t cap) { return (cap + 1 + CLONED + 7) & ~(size_t)7; }

static void alloc_block(struct flatmap *m, size_t cap)
{
    size_t off = slot_offset(cap);
    uint8_t *b = corpus_xmalloc(off + cap * sizeof(struct slot));
    memset(b, CTRL_EMPTY, cap + 1 + CLONED);
    b[cap] = CTRL_SENTINEL;
    m->ctrl = b;
    m->slots = (struct slot *)(b + off);
    m->capacity = cap;
}

static inline void set_ctrl(struct flatmap *m, size_t i, uint8_t c)
{
    m->ctrl[i] = c;
    if (i < CLONED)
        m->ctrl[m->capacity + 1 + i] = c;     /* mirrored tail */
}

static size_t place(struct flatmap *m, uint64_t h)
{
    size_t i = (size_t)(h >> 7) & m->capacity;
    while (m->ctrl[i] < 0x80 || m->ctrl[i] == CTRL_SENTINEL)
        i = (i + 1) & m->capacity;
    set_ctrl(m, i, (uint8_t)(h & 0x7f));
    return i;
}

NOINLINE void flatmap_resize(struct flatmap *m, size_t newcap)
{
    struct flatmap old = *m;
    alloc_block(m, newcap);
    for (size_t i = 0; i < old.capacity; i++)
        if (old.ctrl[i] < 0x80) {
            size_t j = place(m, corpus_mix((uint64_t)old.slots[i].key));
            m->slots[j] = old.slots[i];
        }
    free(old.ctrl);
}

static int find(const struct flatmap *m, int64_t key, size_t *pos)
{
    uint64_t h = corpus_mix((uint64_t)key);
    size_t i = (size_t)(h >> 7) & m->capacity;
    for (size_t n = 0; n <= m->capacity; n++, i = (i + 1) & m->capacity) {
        uint8_t c = m->ctrl[i];
        if (c == CTRL_EMPTY)
            return 0;
        if (c == (h & 0x7f) && m->slots[i].key == key) {
            *pos = i;
            return 1;
        }
    }
    return 0;
}

NOINLINE void flatmap_insert(struct flatmap *m, int64_t key, int64_t value)
{
    size_t pos;
    if (find(m, key, &pos)) {
        m->slots[pos].value = value;
        return;
    }
    if ((m->size + 1) * 8 > m->capacity * 7)
        flatmap_resize(m, m->capacity * 2 + 1);
    pos = place(m, corpus_mix((uint64_t)key));
    m->slots[pos].key = key;
    m->slots[pos].value = value;
    m->size++;
}

NOINLINE int flatmap_erase(struct flatmap *m, int64_t key)
{
    size_t pos;
    if (!find(m, key, &pos))
        return 0;
    /* Empty only if no probe can pass through: the next slot is empty. */
    size_t next = (pos + 1) & m->capacity;
    set_ctrl(m, pos, m->ctrl[next] == CTRL_EMPTY ? CTRL_EMPTY : CTRL_DELETED);
    m->size--;               /* the slot keeps its stale key and value */
    return 1;
}

static size_t full_ctrl(const struct flatmap *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->capacity; i++)
        k += m->ctrl[i] < 0x80;
    return k;
}

#define N_KEYS 400000
#define KEEP_EVERY 128

static int64_t key_of(int64_t i) { return (int64_t)(corpus_mix((uint64_t)i + 77) >> 2); }

int main(void)
{
    corpus_start();
    struct flatmap m = {0};
    alloc_block(&m, 15);
    m.size = 0;
    for (int64_t i = 0; i < N_KEYS; i++)
        flatmap_insert(&m, key_of(i), i * 5 + 1);
    size_t bytes = slot_offset(m.capacity) + m.capacity * sizeof(struct slot);
    double peak = (double)full_ctrl(&m) / (double)m.capacity;
    corpus_phase("peak", "capacity=%zu bytes=%zu size=%zu occupancy=%.4f",
                 m.capacity, bytes, m.size, peak);
    corpus_sleep(HOLD_PEAK_S);

    size_t erased = 0, deleted_marks = 0;
    for (int64_t i = 0; i < N_KEYS; i++)
        if (i % KEEP_EVERY != 0)
            erased += flatmap_erase(&m, key_of(i));
    for (size_t i = 0; i < m.capacity; i++)
        deleted_marks += m.ctrl[i] == CTRL_DELETED;
    double occ = (double)full_ctrl(&m) / (double)m.capacity;
    size_t stale = 0;
    for (size_t i = 0; i < m.capacity; i++)
        stale += m.ctrl[i] >= 0x80 && m.slots[i].key != 0;
    corpus_phase("drained", "capacity=%zu size=%zu erased=%zu deleted_marks=%zu "
                 "stale_slots=%zu occupancy=%.4f",
                 m.capacity, m.size, erased, deleted_marks, stale, occ);
    corpus_truth(bytes, peak, occ);
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "map still allocated");
    return 0;
}
