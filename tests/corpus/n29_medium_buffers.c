/*
 * n29_medium_buffers (NEGATIVE, medium blocks): many medium byte buffers
 * from one call site, filled with data, then mostly consumed (zeroed).
 *
 * 1,500 receive buffers of 128 KiB (below RETAIN_MIN_SIZE: medium blocks,
 * judged only per call site) filled with non-zero bytes, held 1.2 s, then
 * nine tenths of each zeroed as if consumed, held 1.5 s, exit with the
 * buffers allocated.  Raw bytes, never slots of a table: a careless site
 * rule that took "non-zero words fell to 10%" for a drained table would
 * report ~190 MiB here.  No finding.
 */
#include "corpus.h"

#define BUFS 1500
#define BUF_BYTES (128 * 1024)

NOINLINE static unsigned char *recv_buffer(int i)
{
    unsigned char *b = corpus_xmalloc(BUF_BYTES);
    for (size_t k = 0; k < BUF_BYTES; k++)
        b[k] = (unsigned char)((k * 31 + (size_t)i + 1) | 1);   /* data, never zero */
    return b;
}

int main(void)
{
    static unsigned char *bufs[BUFS];
    corpus_start();
    for (int i = 0; i < BUFS; i++)
        bufs[i] = recv_buffer(i);
    corpus_phase("peak", "buffers=%d bytes=%d", BUFS, BUF_BYTES);
    corpus_sleep(HOLD_PEAK_S);
    for (int i = 0; i < BUFS; i++)
        memset(bufs[i], 0, BUF_BYTES - BUF_BYTES / 10);   /* consumed */
    corpus_phase("drained", "nine tenths of each buffer zeroed");
    corpus_sleep(HOLD_DRAINED_S);
    unsigned long sum = 0;
    for (int i = 0; i < BUFS; i++)
        sum += bufs[i][BUF_BYTES - 1];
    printf("result %lu\n", sum);
    return 0;
}
