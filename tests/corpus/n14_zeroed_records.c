/*
 * n14_zeroed_records (NEGATIVE): an array of fixed-size records, every one
 * in use, with a field that is always zero; later the whole array is reset
 * to zero and kept for the next batch.
 *
 * A metrics collector's 8 MiB sample buffer: 262,144 records of
 * {uint64 timestamp, uint64 reserved (always 0), double value, uint64 flags
 * (always 0)}.  Half of the words are zero at the peak, at the same place in
 * every record, so the block looks half full to a word-by-word reading,
 * spread evenly.  Then the buffer is memset to zero between batches.  Every
 * record was in use: this is a cleared buffer, not a table that lost its
 * entries, and nothing may be flagged.
 */
#include "corpus.h"

struct sample {
    uint64_t timestamp;
    uint64_t reserved;          /* always 0 */
    double value;
    uint64_t flags;             /* always 0 */
};

#define N (8u << 20) / sizeof(struct sample)

NOINLINE struct sample *samples_new(void)
{
    return corpus_xmalloc(N * sizeof(struct sample));
}

NOINLINE void samples_record(struct sample *s)
{
    for (size_t i = 0; i < N; i++) {
        s[i].timestamp = 1700000000000ull + i;
        s[i].reserved = 0;
        s[i].value = 1.0 + (double)(corpus_mix(i) % 1000) / 7.0;
        s[i].flags = 0;
    }
}

/* Read back after the reset, so the compiler cannot drop the memset as a
 * dead store. */
NOINLINE uint64_t samples_checksum(const struct sample *s)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < N; i += 97)
        sum = sum * 31 + s[i].timestamp + s[i].flags;
    return sum;
}

int main(void)
{
    corpus_start();
    struct sample *s = samples_new();
    samples_record(s);
    corpus_phase("recorded", "records=%zu bytes=%zu", (size_t)N, N * sizeof(struct sample));
    corpus_sleep(HOLD_PEAK_S);
    memset(s, 0, N * sizeof(struct sample));    /* reset between batches, keep the buffer */
    corpus_phase("reset", "buffer kept, checksum=%llx", (unsigned long long)samples_checksum(s));
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "buffer still allocated");
    return 0;
}
