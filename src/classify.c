/* classify.c: word kinds, the marker vote, slot layout, slot kinds. */
#include "classify.h"

#include <string.h>

/* Does stride m, a multiple of st, split a residue of st into words that
 * are marked and words that never are?  Then m is the period and st only
 * its divisor. */
static int splits_residue(const uint32_t *count_m, int m, int st)
{
    for (int r = 0; r < st; r++) {
        uint32_t max = 0, min = UINT32_MAX;
        for (int q = r; q < m; q += st) {
            max = count_m[q] > max ? count_m[q] : max;
            min = count_m[q] < min ? count_m[q] : min;
        }
        if (max >= 32 && min * 20 <= max)
            return 1;
    }
    return 0;
}

/* The smallest stride at which marked words (pointers, or when there are too
 * few of those, non-zero words) fall in some positions of a slot and never in
 * another: a slot with a field of another kind (a count, a hash, a field
 * that is always zero).  The slot boundary is where slots are most often
 * all-empty or all-used: a wrong boundary splits slots, and groups come out
 * mixed.  Without this, an array of full records with a zero field would
 * read as a half-empty table. */
static void infer_layout(const struct block_copy *s, const uint8_t (*kind)[BLOCK_CHUNK_WORDS],
                         uint8_t bit, uint32_t nmarked, struct slot_layout *layout)
{
    if (nmarked < 64)
        return;
    uint32_t count[CLASSIFY_MAX_STRIDE + 1][CLASSIFY_MAX_STRIDE];
    memset(count, 0, sizeof count);
    for (int c = 0; c < s->nchunks; c++) {
        /* Residues advance with the word index: no division per word. */
        int res[CLASSIFY_MAX_STRIDE + 1];
        for (int st = 2; st <= CLASSIFY_MAX_STRIDE; st++)
            res[st] = (int)(s->first_word[c] % (uint64_t)st);
        for (int w = 0; w < BLOCK_CHUNK_WORDS; w++) {
            if (kind[c][w] & bit)
                for (int st = 2; st <= CLASSIFY_MAX_STRIDE; st++)
                    count[st][res[st]]++;
            for (int st = 2; st <= CLASSIFY_MAX_STRIDE; st++)
                if (++res[st] == st)
                    res[st] = 0;
        }
    }
    int stride = 1;
    for (int st = 2; st <= CLASSIFY_MAX_STRIDE && stride == 1; st++) {
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
    /* A multiple of it if that splits one of its residues into words with
     * pointers and words without: PHP's 4-word buckets {value, type, hash,
     * key pointer} have no pointer in words 0 and 2, so stride 2 already
     * has a residue without pointers. */
    for (int m = 2 * stride; stride > 1 && m <= CLASSIFY_MAX_STRIDE; m += stride)
        if (splits_residue(count[m], m, stride)) {
            stride = m;
            break;
        }
    int best_off = 0;
    if (stride > 1) {
        uint32_t best_mixed = UINT32_MAX, mixed_at[CLASSIFY_MAX_STRIDE];
        for (int off = 0; off < stride; off++) {
            uint32_t mixed = 0;
            for (int c = 0; c < s->nchunks; c++) {
                uint64_t first = s->first_word[c];
                int w = (int)(((uint64_t)off + (uint64_t)stride * 64 - first % (uint64_t)stride) %
                              (uint64_t)stride);
                for (; w + stride <= BLOCK_CHUNK_WORDS; w += stride) {
                    int zeros = 0;
                    for (int j = 0; j < stride; j++)
                        zeros += s->words[c][w + j] == 0;
                    mixed += zeros != 0 && zeros != stride;
                }
            }
            mixed_at[off] = mixed;
            if (mixed < best_mixed) {
                best_mixed = mixed;
                best_off = off;
            }
        }
        /* The same stride as before: keep its boundary unless another is
         * clearly better (slots cut at chunk edges make near ties, and a
         * boundary that moves would change what each probe calls a slot). */
        if (layout->stride == stride && layout->offset < stride &&
            mixed_at[layout->offset] <= best_mixed + best_mixed / 8 + 8)
            best_off = layout->offset;
    }
    layout->stride = stride;
    layout->offset = best_off;
}

/* Word kinds and the marker: one value in at least a tenth of the words
 * (a shared "dummy" key), found by a majority vote; all-ones words are
 * markers by themselves and do not vote. */
static void classify_words(const struct block_copy *s, const struct mapped_ranges *m,
                           struct classified *out)
{
    uint32_t nptr = 0, nonzero = 0, total = 0;
    uint64_t cand = 0;
    int64_t votes = 0;
    int hint = 0;
    for (int c = 0; c < s->nchunks; c++)
        for (int w = 0; w < BLOCK_CHUNK_WORDS; w++) {
            uint64_t v = s->words[c][w];
            uint8_t k = 0;
            if (v) {
                k |= WORD_NONZERO;
                nonzero++;
                if (!(v & 7) && mapped_ranges_contains(m, (uintptr_t)v, &hint)) {
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
            out->kind[c][w] = k;
            total++;
        }
    uint32_t cand_count = 0;
    for (int c = 0; c < s->nchunks; c++)
        for (int w = 0; w < BLOCK_CHUNK_WORDS; w++)
            cand_count += s->words[c][w] == cand && cand;
    uint64_t marker = cand_count * 10 >= total ? cand : 0;
    for (int c = 0; c < s->nchunks; c++)
        for (int w = 0; w < BLOCK_CHUNK_WORDS; w++) {
            uint64_t v = s->words[c][w];
            if (v && v != ~0ull && v != marker)
                out->kind[c][w] |= WORD_MEANINGFUL;
            else if (v)
                out->kind[c][w] |= WORD_MARKER;
        }
    out->words = total;
    out->pointer_words = nptr;
    out->nonzero_words = nonzero;
    out->marker = marker;
}

/* Cuts every chunk into whole slots of the layout. */
static void classify_slots(const struct block_copy *s, struct classified *out)
{
    int st = out->layout.stride > 0 ? out->layout.stride : 1;
    int off = out->layout.offset;
    uint32_t n = 0, ptr_slots = 0, ptr_used = 0;
    memset(out->group_kinds, 0, sizeof out->group_kinds);
    for (int c = 0; c < s->nchunks; c++) {
        uint32_t *kinds = out->group_kinds[c * CLASSIFY_GROUPS / s->nchunks];
        uint64_t first = s->first_word[c];
        int chunk_ptrs = 0, chunk_nonzero = 0;
        for (int j = 0; j < BLOCK_CHUNK_WORDS; j++) {
            chunk_ptrs += (out->kind[c][j] & WORD_POINTER) != 0;
            chunk_nonzero += (out->kind[c][j] & WORD_NONZERO) != 0;
        }
        int foreign = chunk_ptrs == 0 && chunk_nonzero * 2 >= BLOCK_CHUNK_WORDS;
        out->chunk_foreign[c] = (uint8_t)foreign;
        out->chunk_first_slot[c] = (uint16_t)n;
        int w = (int)(((uint64_t)off + (uint64_t)st * 64 - first % (uint64_t)st) % (uint64_t)st);
        out->chunk_first_word[c] = (uint8_t)w;
        for (; w + st <= BLOCK_CHUNK_WORDS; w += st) {
            uint8_t any = 0;
            for (int j = 0; j < st; j++)
                any |= out->kind[c][w + j];
            out->slot_kind[n++] = any;
            kinds[any]++;
            if (!foreign) {
                ptr_slots++;
                ptr_used += (any & WORD_POINTER) != 0;
            }
        }
    }
    out->chunk_first_slot[s->nchunks] = (uint16_t)n;
    out->nslots = n;
    out->pointer_share = ptr_slots ? (float)ptr_used / (float)ptr_slots : 0;
    out->pointer_evidence = out->pointer_share >= 0.05f && out->pointer_words >= 64;
}

/* Word classes for the periodicity of records that hold neither pointers
 * nor zero words (Ruby's st_table entries with Integer keys: a hash, two
 * tagged integers; PHP's zvals: a value and a type word): what a word is
 * shaped like, not its value. */
enum word_class { WC_ZERO, WC_ONES, WC_POINTER, WC_SMALL, WC_HIGH, WC_LARGE, WC_REPEATED, WC_N };

static int word_class(uint64_t v, uint8_t kind)
{
    if (v == 0)
        return WC_ZERO;
    if (v == ~0ull)
        return WC_ONES;
    if (kind & WORD_POINTER)
        return WC_POINTER;
    if (v >> 32 == 0)
        return WC_SMALL;
    return (uint32_t)v == 0 ? WC_HIGH : WC_LARGE;
}

/* How purely each residue of stride st holds one class: the mean over
 * residues of the largest class share, and the separation between them
 * (the largest difference in one class's share from residue to residue).
 * WC_REPEATED is "the residue's most common value": a type word that is the
 * same in every slot while the words beside it vary. */
struct periodicity {
    float purity, separation;
};

static struct periodicity periodicity_of(const struct block_copy *s, const uint8_t (*kind)[BLOCK_CHUNK_WORDS],
                                         int st)
{
    uint32_t cnt[CLASSIFY_MAX_STRIDE][WC_N], n[CLASSIFY_MAX_STRIDE];
    uint64_t cand[CLASSIFY_MAX_STRIDE];
    int64_t votes[CLASSIFY_MAX_STRIDE];
    memset(cnt, 0, sizeof cnt);
    memset(n, 0, sizeof n);
    memset(votes, 0, sizeof votes);
    memset(cand, 0, sizeof cand);
    for (int c = 0; c < s->nchunks; c++) {
        int r = (int)(s->first_word[c] % (uint64_t)st);
        for (int w = 0; w < BLOCK_CHUNK_WORDS; w++) {
            uint64_t v = s->words[c][w];
            cnt[r][word_class(v, kind[c][w])]++;
            n[r]++;
            if (v) {
                if (votes[r] == 0) {
                    cand[r] = v;
                    votes[r] = 1;
                } else {
                    votes[r] += v == cand[r] ? 1 : -1;
                }
            }
            if (++r == st)
                r = 0;
        }
    }
    for (int c = 0; c < s->nchunks; c++) {
        int r = (int)(s->first_word[c] % (uint64_t)st);
        for (int w = 0; w < BLOCK_CHUNK_WORDS; w++) {
            cnt[r][WC_REPEATED] += cand[r] && s->words[c][w] == cand[r];
            if (++r == st)
                r = 0;
        }
    }
    struct periodicity p = { 0, 0 };
    for (int r = 0; r < st; r++)
        if (n[r] < 32)
            return p;
    for (int k = 0; k < WC_N; k++) {
        float lo = 1, hi = 0;
        for (int r = 0; r < st; r++) {
            float share = (float)cnt[r][k] / (float)n[r];
            lo = share < lo ? share : lo;
            hi = share > hi ? share : hi;
        }
        if (hi - lo > p.separation)
            p.separation = hi - lo;
    }
    for (int r = 0; r < st; r++) {
        uint32_t best = 0;
        for (int k = 0; k < WC_N; k++)
            best = cnt[r][k] > best ? cnt[r][k] : best;
        p.purity += (float)best / (float)n[r] / (float)st;
    }
    return p;
}

/* The smallest stride whose residues hold clearly different classes (one
 * class at least 50 points more common in one residue than in another);
 * then a multiple of it if that cuts the residues purer (a 4-word record
 * whose words 0 and 2 are of one class and 1 and 3 of two others separates
 * at stride 2 already). */
static void infer_layout_by_classes(const struct block_copy *s, const uint8_t (*kind)[BLOCK_CHUNK_WORDS],
                                    struct slot_layout *layout)
{
    int stride = 1;
    struct periodicity best = { 0, 0 };
    for (int st = 2; st <= CLASSIFY_MAX_STRIDE && stride == 1; st++) {
        struct periodicity p = periodicity_of(s, kind, st);
        if (p.separation >= 0.5f) {
            stride = st;
            best = p;
        }
    }
    if (stride == 1)
        return;
    for (int m = 2 * stride; m <= CLASSIFY_MAX_STRIDE; m += stride) {
        struct periodicity p = periodicity_of(s, kind, m);
        if (p.purity >= best.purity + 0.1f) {
            stride = m;
            best = p;
        }
    }
    if (layout->stride != stride)
        layout->offset = 0;
    layout->stride = stride;
}

void classify(const struct block_copy *copy, const struct mapped_ranges *ranges,
              struct slot_layout *layout, struct classified *out)
{
    out->copy = copy;
    classify_words(copy, ranges, out);
    if (out->pointer_words >= 64) {
        infer_layout(copy, (const uint8_t (*)[BLOCK_CHUNK_WORDS])out->kind, WORD_POINTER,
                     out->pointer_words, layout);
        layout->from_pointers = 1;
    } else if (!layout->from_pointers) {
        infer_layout(copy, (const uint8_t (*)[BLOCK_CHUNK_WORDS])out->kind, WORD_NONZERO,
                     out->nonzero_words, layout);
        if (layout->stride <= 1 && out->nonzero_words >= 64)
            infer_layout_by_classes(copy, (const uint8_t (*)[BLOCK_CHUNK_WORDS])out->kind, layout);
    }
    out->layout = *layout;
    classify_slots(copy, out);
}

struct slot_share classified_share(const struct classified *c, uint8_t want, uint8_t veto)
{
    uint32_t used[CLASSIFY_GROUPS] = { 0 }, slots[CLASSIFY_GROUPS] = { 0 };
    for (int g = 0; g < CLASSIFY_GROUPS; g++)
        for (int k = 0; k < WORD_KINDS; k++) {
            slots[g] += c->group_kinds[g][k];
            if ((k & want) && !(k & veto))
                used[g] += c->group_kinds[g][k];
        }
    uint32_t u = 0, n = 0;
    for (int g = 0; g < CLASSIFY_GROUPS; g++) {
        u += used[g];
        n += slots[g];
    }
    struct slot_share r = { 0, 0 };
    if (n == 0)
        return r;
    double mean = (double)u / n;
    r.share = (float)mean;
    int even = 1;
    for (int g = 0; g < CLASSIFY_GROUPS && even; g++) {
        if (!slots[g])
            continue;
        double f = (double)used[g] / slots[g];
        even = f >= 0.5 * mean && f <= 1.5 * mean + 0.02;
    }
    r.uniform = (uint8_t)even;
    return r;
}
