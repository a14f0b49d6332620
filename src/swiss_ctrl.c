/* swiss_ctrl.c: the control-byte array, recognised by its cloned group and
 * the classes of its bytes, at the start or at the end of the block. */
#include "swiss_ctrl.h"
#include "hash.h"
#include "mem_read.h"

#include <string.h>
#include <sys/uio.h>

enum { KMIN = 4, KMAX = 40, GROUP = 16, CHECKS = 256 };

/* A candidate: len control bytes at off, then the group that closes them. */
struct candidate {
    enum swiss_layout layout;
    uint64_t off, len;
};

/* Is the byte a control byte of this layout, and is it a free slot? */
static int ctrl_class(enum swiss_layout l, uint8_t c, int *free_slot)
{
    *free_slot = c >= 0x80;
    if (c < 0x80)
        return 1;
    if (l == SWISS_ABSL)
        return c == 0x80 || c == 0xFE;
    return c == 0xFF || c == 0x80;
}

/* The bytes of the region are control bytes: spot checks spread by a hash
 * over the region.  Free slots must be there (at most 7/8 of a SwissTable
 * is full, so about 32 of 256 checks at least; 8 required), and full bytes,
 * when there are many, must carry varied hash bits. */
static int spot_checks_pass(uintptr_t addr, const struct candidate *c)
{
    struct iovec local[CHECKS], remote[CHECKS];
    uint8_t b[CHECKS];
    for (int j = 0; j < CHECKS; j++) {
        local[j] = (struct iovec){ &b[j], 1 };
        remote[j] = (struct iovec){ (void *)(addr + c->off + hash_mix((uint64_t)j) % c->len), 1 };
    }
    if (mem_read_vec_sparse(local, remote, CHECKS) < 0)
        return 0;
    int nfree = 0, nfull = 0;
    uint64_t seen[2] = { 0, 0 };
    for (int j = 0; j < CHECKS; j++) {
        int free_slot;
        if (!ctrl_class(c->layout, b[j], &free_slot))
            return 0;
        if (free_slot) {
            nfree++;
        } else {
            nfull++;
            seen[b[j] >> 6] |= 1ull << (b[j] & 63);
        }
    }
    int distinct = __builtin_popcountll(seen[0]) + __builtin_popcountll(seen[1]);
    return nfree >= 8 && (nfull < 64 || distinct >= 16);
}

/* The group after the last slot: absl's sentinel and 15 cloned bytes, or
 * hashbrown's 16 cloned bytes. */
static int closing_group_matches(const struct candidate *c, const uint8_t *head, const uint8_t *tail)
{
    if (c->layout == SWISS_ABSL)
        return tail[0] == 0xFF && memcmp(head, tail + 1, GROUP - 1) == 0;
    return memcmp(head, tail, GROUP) == 0;
}

/* The first group, already read, can be a control group: control bytes
 * of the layout, and not 16 full slots of one and the same 7-bit hash (the
 * zero words at the end of any partly used array, which match their own
 * "clone" too).  Checked before the spot checks, which cost a page lookup
 * each in the kernel: behind a Python dict's zeroed entries, a dozen such
 * candidates made every look at the block cost 1.7 ms. */
static int group_plausible(enum swiss_layout l, const uint8_t *g)
{
    int same = 1;
    for (int i = 0; i < GROUP; i++) {
        int free_slot;
        if (!ctrl_class(l, g[i], &free_slot))
            return 0;
        same &= g[i] == g[0];
    }
    return !same || g[0] >= 0x80;
}

/* Verifies candidates in two batches of reads: their first groups (absl's
 * three header offsets are shared by every size), then, for those whose
 * first group is plausible, their closing groups; spot checks for those
 * that still match.  A block with no control bytes mostly stops after the
 * first batch. */
static int verify(uintptr_t addr, const struct candidate *cand, int n, struct swiss_ctrl *out)
{
    struct iovec local[KMAX * 4], remote[KMAX * 4];
    uint8_t head[KMAX * 4][GROUP], tail[KMAX * 4][GROUP];
    uint64_t head_off[KMAX * 4];
    int at[KMAX * 4], keep[KMAX * 4], nh = 0, nk = 0;
    if (n <= 0)
        return 0;
    for (int i = 0; i < n; i++) {
        int j = 0;
        while (j < nh && head_off[j] != cand[i].off)
            j++;
        if (j == nh) {
            head_off[nh] = cand[i].off;
            local[nh] = (struct iovec){ head[nh], GROUP };
            remote[nh] = (struct iovec){ (void *)(addr + cand[i].off), GROUP };
            nh++;
        }
        at[i] = j;
    }
    if (mem_read_vec_sparse(local, remote, nh) < 0)
        return 0;
    for (int i = 0; i < n; i++) {
        if (!group_plausible(cand[i].layout, head[at[i]]))
            continue;
        local[nk] = (struct iovec){ tail[nk], GROUP };
        remote[nk] = (struct iovec){ (void *)(addr + cand[i].off + cand[i].len), GROUP };
        keep[nk++] = i;
    }
    if (nk == 0 || mem_read_vec_sparse(local, remote, nk) < 0)
        return 0;
    for (int m = 0; m < nk; m++) {
        const struct candidate *c = &cand[keep[m]];
        if (!closing_group_matches(c, head[at[keep[m]]], tail[m]) || !spot_checks_pass(addr, c))
            continue;
        out->layout = c->layout;
        out->off = c->off;
        out->len = c->len;
        return 1;
    }
    return 0;
}

int swiss_ctrl_find(uintptr_t addr, uint64_t size, struct swiss_ctrl *out)
{
    static const uint64_t headers[] = { 0, 8, 16 };
    struct candidate cand[KMAX * 4];
    int n = 0, kmax = KMIN;
    while (kmax + 1 < KMAX && (1ull << (kmax + 1)) + GROUP <= size)
        kmax++;
    /* Largest first: inside a hashbrown array of 2^k bytes, the last 2^j
     * bytes of it are a smaller candidate whose clone matches as well. */
    for (int k = kmax; k >= KMIN; k--) {
        uint64_t slots = 1ull << k;
        if (slots + GROUP > size)
            continue;
        /* absl: 2^k - 1 slots after a header, sentinel and clone after them. */
        for (unsigned h = 0; h < sizeof headers / sizeof headers[0]; h++)
            if (headers[h] + slots + GROUP - 1 <= size)
                cand[n++] = (struct candidate){ SWISS_ABSL, headers[h], slots - 1 };
        /* hashbrown: buckets of a whole number of bytes each, then 2^k
         * control bytes and the clone, ending the block. */
        uint64_t ctrl_off = size - slots - GROUP;
        if (ctrl_off % slots == 0)
            cand[n++] = (struct candidate){ SWISS_HASHBROWN, ctrl_off, slots };
    }
    return verify(addr, cand, n, out);
}

const char *swiss_layout_name(enum swiss_layout l)
{
    return l == SWISS_ABSL ? "absl" : l == SWISS_HASHBROWN ? "hashbrown" : "";
}
