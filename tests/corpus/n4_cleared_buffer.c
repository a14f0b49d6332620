/*
 * n4_cleared_buffer (NEGATIVE): a large byte buffer, filled then cleared and
 * kept for reuse.
 *
 * An image editor's 2048 x 2048 RGBA canvas (16 MiB, one malloc): painted
 * with a gradient (every pixel non-zero, alpha 255), used for 1.2 s, then
 * "cleared" with memset(0) and kept for the next image, 1.5 s, exit.
 * Every word goes from non-zero to zero, but the block is raw bytes, never
 * a table of slots: not a bucket array (DESIGN 2), nothing to flag.
 */
#include "corpus.h"

#define W 2048
#define H 2048

NOINLINE uint8_t *canvas_new(void)
{
    return corpus_xmalloc((size_t)W * H * 4);
}

NOINLINE void canvas_paint(uint8_t *px)
{
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++) {
            uint8_t *p = px + (y * W + x) * 4;
            p[0] = (uint8_t)(x * 255 / (W - 1));
            p[1] = (uint8_t)(y * 255 / (H - 1));
            p[2] = (uint8_t)((x ^ y) & 0xff);
            p[3] = 255;
        }
}

static uint64_t canvas_checksum(const uint8_t *px)
{
    uint64_t s = 0;
    for (size_t i = 0; i < (size_t)W * H * 4; i += 64)
        s = s * 31 + px[i] + px[i + 1];
    return s;
}

int main(void)
{
    corpus_start();
    uint8_t *px = canvas_new();
    canvas_paint(px);
    corpus_phase("painted", "bytes=%zu checksum=%llx", (size_t)W * H * 4,
                 (unsigned long long)canvas_checksum(px));
    corpus_sleep(HOLD_PEAK_S);
    memset(px, 0, (size_t)W * H * 4);          /* clear the canvas, keep it */
    corpus_phase("cleared", "checksum=%llx", (unsigned long long)canvas_checksum(px));
    corpus_sleep(HOLD_DRAINED_S);
    corpus_phase("exit", "canvas still allocated");
    return 0;
}
