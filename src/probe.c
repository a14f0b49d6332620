#include "probe.h"
#include "referents.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const probe_names[NPROBES] = { "pointer", "nonzero", "marker", "ctrl", "liveness",
                                            "annotation" };

/* ---- mapped ranges ------------------------------------------------------ */

static uintptr_t parse_hex(const char **p)
{
    uintptr_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        if (c >= '0' && c <= '9') v = v * 16 + (uintptr_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v = v * 16 + (uintptr_t)(c - 'a' + 10);
        else return v;
    }
}

void ranges_refresh(struct mapped_ranges *m)
{
    size_t len;
    char *buf = read_small_file("/proc/self/maps", (size_t)64 << 20, &len);
    if (!buf)
        return;
    m->n = 0;
    for (const char *p = buf; *p;) {
        uintptr_t lo = parse_hex(&p);
        if (*p == '-')
            p++;
        uintptr_t hi = parse_hex(&p);
        int readable = p[0] == ' ' && p[1] == 'r';
        if (readable && hi > lo) {
            if (m->n == m->cap) {
                int cap2 = m->cap ? m->cap * 2 : 512;
                void *r = realloc(m->range, (size_t)cap2 * sizeof *m->range);
                if (!r)
                    break;
                m->range = r;
                m->cap = cap2;
            }
            /* /proc lists mappings in address order; merge neighbours. */
            if (m->n && m->range[m->n - 1][1] == lo)
                m->range[m->n - 1][1] = hi;
            else {
                m->range[m->n][0] = lo;
                m->range[m->n][1] = hi;
                m->n++;
            }
        }
        while (*p && *p != '\n')
            p++;
        if (*p)
            p++;
    }
    free(buf);
}

int ranges_contains(const struct mapped_ranges *m, uintptr_t v, int *hint)
{
    if (v < 4096 || m->n == 0)
        return 0;
    int h = *hint;
    if (h < m->n && v >= m->range[h][0] && v < m->range[h][1])
        return 1;
    int lo = 0, hi = m->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (v < m->range[mid][0])
            hi = mid - 1;
        else if (v >= m->range[mid][1])
            lo = mid + 1;
        else {
            *hint = mid;
            return 1;
        }
    }
    return 0;
}

/* ---- sampling ----------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* One chunk per stratum, at a pseudo-random place inside it: even coverage
 * of the block, no aliasing with a table's own period. */
void sample_plan_make(struct sample_plan *p, uintptr_t addr, uint64_t size)
{
    /* Many small chunks: the error of a measurement falls with the number of
     * independent slots seen, not with the bytes read. */
    uint64_t want = size / 65536;                     /* one per 64 KiB ... */
    if (want < 32)
        want = 32;                                    /* ... at least 4 KiB ... */
    if (want > PROBE_MAX_CHUNKS)
        want = PROBE_MAX_CHUNKS;                      /* ... at most 32 KiB */
    uint64_t stratum = size / want;
    if (stratum < PROBE_CHUNK_BYTES) {
        want = size / PROBE_CHUNK_BYTES;
        stratum = PROBE_CHUNK_BYTES;
    }
    p->nchunks = (int)want;
    for (uint64_t i = 0; i < want; i++) {
        uint64_t room = stratum - PROBE_CHUNK_BYTES;
        uint64_t off = i * stratum + (room ? mix(addr + i) % (room + 1) : 0);
        p->chunk_off[i] = off & ~(uint64_t)7;
    }
    p->nctrl = 0;
}

void sample_plan_ctrl(struct sample_plan *p, uintptr_t addr, uint64_t off, uint64_t len)
{
    int n = PROBE_CTRL_CHUNKS;
    uint64_t stratum = len / (uint64_t)n;
    if (stratum < PROBE_CHUNK_BYTES) {
        n = (int)(len / PROBE_CHUNK_BYTES);
        stratum = PROBE_CHUNK_BYTES;
    }
    if (n == 0) {
        p->nctrl = 1;
        p->ctrl_off[0] = off;
        p->ctrl_len[0] = len;
        return;
    }
    for (int i = 0; i < n; i++) {
        uint64_t room = stratum - PROBE_CHUNK_BYTES;
        p->ctrl_off[i] = off + (uint64_t)i * stratum + (room ? mix(addr ^ (uint64_t)i) % (room + 1) : 0);
        p->ctrl_len[i] = PROBE_CHUNK_BYTES;
    }
    p->nctrl = n;
}

/* Reading the program's memory.  The watch lock guarantees the block is not
 * freed through the wrappers while it is read; process_vm_readv adds a guard
 * against the rest (a block released behind the profiler's back, say by a
 * signal handler that interrupted libretain): an unmapped page is an EFAULT,
 * not a crash of the host.  Where a sandbox forbids the call, memcpy. */
static int vm_read_ok = 1;

static int read_memory(struct iovec *local, struct iovec *remote, int n)
{
    if (vm_read_ok) {
        size_t want = 0;
        for (int i = 0; i < n; i++)
            want += local[i].iov_len;
        ssize_t got = process_vm_readv(getpid(), local, (unsigned long)n, remote, (unsigned long)n, 0);
        if (got == (ssize_t)want)
            return 0;
        if (got >= 0 || errno == EFAULT)
            return -1;
        vm_read_ok = 0;             /* ENOSYS, EPERM: not allowed here */
    }
    for (int i = 0; i < n; i++)
        memcpy(local[i].iov_base, remote[i].iov_base, local[i].iov_len);
    return 0;
}

int sample_take(struct sample *s, const struct sample_plan *p, uintptr_t addr)
{
    struct iovec local[PROBE_MAX_CHUNKS + PROBE_CTRL_CHUNKS], remote[PROBE_MAX_CHUNKS + PROBE_CTRL_CHUNKS];
    int n = 0;
    s->nchunks = p->nchunks;
    for (int i = 0; i < p->nchunks; i++) {
        s->first_word[i] = p->chunk_off[i] / 8;
        local[n] = (struct iovec){ s->words[i], PROBE_CHUNK_BYTES };
        remote[n++] = (struct iovec){ (void *)(addr + p->chunk_off[i]), PROBE_CHUNK_BYTES };
    }
    s->nctrl_bytes = 0;
    for (int i = 0; i < p->nctrl; i++) {
        local[n] = (struct iovec){ s->ctrl + s->nctrl_bytes, p->ctrl_len[i] };
        remote[n++] = (struct iovec){ (void *)(addr + p->ctrl_off[i]), p->ctrl_len[i] };
        s->nctrl_bytes += (int)p->ctrl_len[i];
    }
    /* Racy by design: the program may be writing; a torn word only
     * miscounts one slot of one sample. */
    return read_memory(local, remote, n);
}

int probe_reads_safely(void) { return vm_read_ok; }

static int read_bytes(uintptr_t from, void *to, size_t n)
{
    struct iovec local = { to, n }, remote = { (void *)from, n };
    return read_memory(&local, &remote, 1);
}

int probe_find_ctrl(uintptr_t addr, uint64_t size, uint64_t *off, uint64_t *len)
{
    static const uint64_t headers[] = { 0, 8, 16 };
    enum { KMIN = 4, KMAX = 40, CHECKS = 256 };
    struct iovec local[CHECKS], remote[CHECKS];
    for (unsigned h = 0; h < sizeof headers / sizeof headers[0]; h++) {
        uint64_t start = headers[h];
        uint8_t head[15];
        if (start + 15 > size || read_bytes(addr + start, head, sizeof head) < 0)
            return 0;
        /* Every candidate sentinel position in one read. */
        uint8_t tails[KMAX][16];
        int nk = 0;
        for (int k = KMIN; k < KMAX; k++) {
            uint64_t cap = (1ull << k) - 1;
            /* Control bytes plus slots of >= 1 byte each: the block must be
             * larger than twice the control region. */
            if (start + cap + 16 > size || start + 2 * cap > size)
                break;
            local[nk] = (struct iovec){ tails[nk], 16 };
            remote[nk] = (struct iovec){ (void *)(addr + start + cap), 16 };
            nk++;
        }
        if (nk == 0 || read_memory(local, remote, nk) < 0)
            return 0;
        for (int i = 0; i < nk; i++) {
            uint64_t cap = (1ull << (KMIN + i)) - 1;
            if (tails[i][0] != 0xFF || memcmp(head, tails[i] + 1, 15) != 0)
                continue;
            uint8_t c[CHECKS];
            for (int j = 0; j < CHECKS; j++) {
                local[j] = (struct iovec){ &c[j], 1 };
                remote[j] = (struct iovec){ (void *)(addr + start + mix((uint64_t)j) % cap), 1 };
            }
            if (read_memory(local, remote, CHECKS) < 0)
                return 0;
            int ok = 1;
            for (int j = 0; j < CHECKS && ok; j++)
                ok = c[j] < 0x80 || c[j] == 0x80 || c[j] == 0xFE;
            if (ok) {
                *off = start;
                *len = cap;
                return 1;
            }
        }
    }
    return 0;
}

/* ---- measuring ---------------------------------------------------------- */

#define MAX_STRIDE 8

/* The smallest stride at which marked words (pointers, or when there are too
 * few of those, non-zero words) fall in some positions of a slot and never in
 * another: a slot with a field of another kind (a count, a hash, a field
 * that is always zero).  The slot boundary is where slots are most often
 * all-empty or all-used: a wrong boundary splits slots, and groups come out
 * mixed.  Without this, an array of full records with a zero field would
 * read as a half-empty table. */
static void infer_layout(const struct sample *s, const uint8_t (*kind)[PROBE_CHUNK_WORDS],
                         uint8_t bit, uint32_t nmarked, struct slot_layout *layout)
{
    if (nmarked < 64)
        return;
    uint32_t count[MAX_STRIDE + 1][MAX_STRIDE];
    memset(count, 0, sizeof count);
    for (int c = 0; c < s->nchunks; c++) {
        /* Residues advance with the word index: no division per word. */
        int res[MAX_STRIDE + 1];
        for (int st = 2; st <= MAX_STRIDE; st++)
            res[st] = (int)(s->first_word[c] % (uint64_t)st);
        for (int w = 0; w < PROBE_CHUNK_WORDS; w++) {
            if (kind[c][w] & bit)
                for (int st = 2; st <= MAX_STRIDE; st++)
                    count[st][res[st]]++;
            for (int st = 2; st <= MAX_STRIDE; st++)
                if (++res[st] == st)
                    res[st] = 0;
        }
    }
    int stride = 1;
    for (int st = 2; st <= MAX_STRIDE && stride == 1; st++) {
        uint32_t max = 0, min = UINT32_MAX;
        for (int r = 0; r < st; r++) {
            if (count[st][r] > max)
                max = count[st][r];
            if (count[st][r] < min)
                min = count[st][r];
        }
        if (max >= 32 && min * 20 <= max)
            stride = st;
    }
    int best_off = 0;
    if (stride > 1) {
        uint32_t best_mixed = UINT32_MAX;
        for (int off = 0; off < stride; off++) {
            uint32_t mixed = 0;
            for (int c = 0; c < s->nchunks; c++) {
                uint64_t first = s->first_word[c];
                int w = (int)(((uint64_t)off + (uint64_t)stride * 64 - first % (uint64_t)stride) %
                              (uint64_t)stride);
                for (; w + stride <= PROBE_CHUNK_WORDS; w += stride) {
                    int zeros = 0;
                    for (int j = 0; j < stride; j++)
                        zeros += s->words[c][w + j] == 0;
                    mixed += zeros != 0 && zeros != stride;
                }
            }
            if (mixed < best_mixed) {
                best_mixed = mixed;
                best_off = off;
            }
        }
    }
    layout->stride = stride;
    layout->offset = best_off;
}

enum { WORD_NONZERO = 1, WORD_POINTER = 2, WORD_MEANINGFUL = 4, WORD_LIVE_POINTER = 8, WORD_MARKER = 16 };

void probe_measure(const struct sample *s, const struct mapped_ranges *m,
                   struct slot_layout *layout, int register_referents, struct measurement *out)
{
    static uint8_t kind[PROBE_MAX_CHUNKS][PROBE_CHUNK_WORDS];
    memset(out, 0, sizeof *out);

    /* Pass 1: classify words; vote for a repeated marker value (all-ones
     * words are markers by themselves and do not vote). */
    uint32_t nptr = 0, total = 0;
    uint64_t cand = 0;
    int64_t votes = 0;
    int hint = 0;
    for (int c = 0; c < s->nchunks; c++)
        for (int w = 0; w < PROBE_CHUNK_WORDS; w++) {
            uint64_t v = s->words[c][w];
            uint8_t k = 0;
            if (v) {
                k |= WORD_NONZERO;
                if (!(v & 7) && ranges_contains(m, (uintptr_t)v, &hint)) {
                    k |= WORD_POINTER;
                    nptr++;
                }
                if (v != ~0ull) {
                    if (votes == 0) {
                        cand = v;
                        votes = 1;
                    } else {
                        votes += v == cand ? 1 : -1;
                    }
                }
            }
            kind[c][w] = k;
            total++;
        }
    out->pointer_words = nptr;
    uint32_t cand_count = 0;
    for (int c = 0; c < s->nchunks; c++)
        for (int w = 0; w < PROBE_CHUNK_WORDS; w++)
            cand_count += s->words[c][w] == cand && cand;
    /* A marker is one value in at least a tenth of the words. */
    uint64_t marker = cand_count * 10 >= total ? cand : 0;
    out->marker = marker;
    for (int c = 0; c < s->nchunks; c++)
        for (int w = 0; w < PROBE_CHUNK_WORDS; w++) {
            uint64_t v = s->words[c][w];
            if (v && v != ~0ull && v != marker)
                kind[c][w] |= WORD_MEANINGFUL;
            else if (v)
                kind[c][w] |= WORD_MARKER;
        }

    /* Liveness: a pointer word is live unless it points at a block that was
     * registered earlier and freed since. */
    int registering = register_referents;
    referents_lock();
    for (int c = 0; c < s->nchunks; c++)
        for (int w = 0; w < PROBE_CHUNK_WORDS; w++)
            if (kind[c][w] & WORD_POINTER) {
                uintptr_t v = (uintptr_t)s->words[c][w];
                if (!referents_is_freed(v))
                    kind[c][w] |= WORD_LIVE_POINTER;
            }
    referents_unlock();
    for (int c = 0; c < s->nchunks && registering; c++)
        for (int w = 0; w < PROBE_CHUNK_WORDS && registering; w++)
            if (kind[c][w] & WORD_LIVE_POINTER)
                registering = referents_register((uintptr_t)s->words[c][w]);

    if (nptr >= 64) {
        infer_layout(s, (const uint8_t (*)[PROBE_CHUNK_WORDS])kind, WORD_POINTER, nptr, layout);
        layout->from_pointers = 1;
    } else if (!layout->from_pointers) {
        uint32_t nonzero = 0;
        for (int c = 0; c < s->nchunks; c++)
            for (int w = 0; w < PROBE_CHUNK_WORDS; w++)
                nonzero += (kind[c][w] & WORD_NONZERO) != 0;
        infer_layout(s, (const uint8_t (*)[PROBE_CHUNK_WORDS])kind, WORD_NONZERO, nonzero, layout);
    }
    int st = layout->stride > 0 ? layout->stride : 1;
    int off = layout->offset;

    /* Pass 2: slots (whole ones inside each chunk) with any word of a kind,
     * counted in 8 groups of chunks to judge how evenly they spread. */
    enum { GROUPS = 8 };
    uint32_t used[3][GROUPS], slots[GROUPS];
    memset(used, 0, sizeof used);
    memset(slots, 0, sizeof slots);
    static const uint8_t bit[3] = { WORD_POINTER, WORD_NONZERO, WORD_MEANINGFUL };
    uint32_t ptr_slots = 0, ptr_used = 0, live_used = 0;
    for (int c = 0; c < s->nchunks; c++) {
        int g = c * GROUPS / s->nchunks;
        uint64_t first = s->first_word[c];
        /* A chunk with no pointer but mostly other data is not part of a
         * pointer table's slots (a CPython dict's index array, a header):
         * the pointer probe leaves it out. */
        int chunk_ptrs = 0, chunk_nonzero = 0;
        for (int j = 0; j < PROBE_CHUNK_WORDS; j++) {
            chunk_ptrs += (kind[c][j] & WORD_POINTER) != 0;
            chunk_nonzero += (kind[c][j] & WORD_NONZERO) != 0;
        }
        int foreign = chunk_ptrs == 0 && chunk_nonzero * 2 >= PROBE_CHUNK_WORDS;
        /* First slot start inside the chunk. */
        int w = (int)(((uint64_t)off + (uint64_t)st * 64 - first % (uint64_t)st) % (uint64_t)st);
        for (; w + st <= PROBE_CHUNK_WORDS; w += st) {
            uint8_t any = 0;
            for (int j = 0; j < st; j++)
                any |= kind[c][w + j];
            slots[g]++;
            /* A marker anywhere in a slot marks the whole slot deleted: the
             * stale key and value beside it do not make it used. */
            if (any & WORD_MARKER)
                any &= (uint8_t)~WORD_MEANINGFUL;
            for (int p = 0; p < 3; p++)
                used[p][g] += (any & bit[p]) != 0;
            if (!foreign) {
                ptr_slots++;
                ptr_used += (any & WORD_POINTER) != 0;
                live_used += (any & WORD_LIVE_POINTER) != 0;
            }
        }
    }
    uint32_t nslots = 0;
    for (int g = 0; g < GROUPS; g++)
        nslots += slots[g];
    if (nslots == 0)
        return;
    for (int p = 0; p < 3; p++) {
        uint32_t u = 0;
        for (int g = 0; g < GROUPS; g++)
            u += used[p][g];
        double mean = (double)u / nslots;
        out->occ[p] = (float)mean;
        out->valid[p] = 1;
        int even = 1;
        for (int g = 0; g < GROUPS && even; g++) {
            if (!slots[g])
                continue;
            double f = (double)used[p][g] / slots[g];
            even = f >= 0.5 * mean && f <= 1.5 * mean + 0.02;
        }
        out->uniform[p] = (uint8_t)even;
    }
    out->occ[PROBE_POINTER] = ptr_slots ? (float)ptr_used / (float)ptr_slots : 0;
    out->occ[PROBE_LIVENESS] = ptr_slots ? (float)live_used / (float)ptr_slots : 0;
    out->valid[PROBE_LIVENESS] = 1;

    if (s->nctrl_bytes > 0) {
        uint32_t full = 0;
        for (int i = 0; i < s->nctrl_bytes; i++)
            full += s->ctrl[i] < 0x80;
        out->occ[PROBE_CTRL] = (float)full / (float)s->nctrl_bytes;
        out->valid[PROBE_CTRL] = 1;
        out->uniform[PROBE_CTRL] = 1;
    }
}
