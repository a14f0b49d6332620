/* block_read.c: read plans and copies of watched blocks. */
#include "block_read.h"
#include "hash.h"
#include "mem_read.h"

#include <sys/uio.h>

/* One chunk per stratum, at a pseudo-random place inside it: even coverage
 * of the block, no aliasing with a table's own period. */
void block_read_plan_init(struct block_read_plan *p, uintptr_t addr, uint64_t size)
{
    /* Many small chunks: the error of a measurement falls with the number of
     * independent slots seen, not with the bytes read. */
    uint64_t want = size / 65536;                     /* one per 64 KiB ... */
    if (want < 32)
        want = 32;                                    /* ... at least 4 KiB ... */
    if (want > BLOCK_MAX_CHUNKS)
        want = BLOCK_MAX_CHUNKS;                      /* ... at most 32 KiB */
    uint64_t stratum = size / want;
    if (stratum < BLOCK_CHUNK_BYTES) {
        want = size / BLOCK_CHUNK_BYTES;
        stratum = BLOCK_CHUNK_BYTES;
    }
    p->nchunks = (int)want;
    for (uint64_t i = 0; i < want; i++) {
        uint64_t room = stratum - BLOCK_CHUNK_BYTES;
        uint64_t off = i * stratum + (room ? hash_mix(addr + i) % (room + 1) : 0);
        p->chunk_off[i] = off & ~(uint64_t)7;
    }
    p->npieces = 0;
}

int block_read_plan_has_region(const struct block_read_plan *p, const void *owner)
{
    for (int i = 0; i < p->npieces; i++)
        if (p->piece_owner[i] == owner)
            return 1;
    return 0;
}

void block_read_plan_drop_region(struct block_read_plan *p, const void *owner)
{
    int k = 0;
    for (int i = 0; i < p->npieces; i++)
        if (p->piece_owner[i] != owner) {
            p->piece_owner[k] = p->piece_owner[i];
            p->piece_off[k] = p->piece_off[i];
            p->piece_len[k] = p->piece_len[i];
            k++;
        }
    p->npieces = k;
}

void block_read_plan_add_region(struct block_read_plan *p, const void *owner, uintptr_t addr,
                                uint64_t off, uint64_t len)
{
    if (block_read_plan_has_region(p, owner))
        return;
    int room_pieces = BLOCK_MAX_PIECES - p->npieces;
    if (room_pieces <= 0 || len == 0)
        return;
    int n = room_pieces;
    uint64_t stratum = len / (uint64_t)n;
    if (stratum < BLOCK_CHUNK_BYTES) {
        n = (int)(len / BLOCK_CHUNK_BYTES);
        stratum = BLOCK_CHUNK_BYTES;
    }
    if (n == 0) {
        p->piece_owner[p->npieces] = owner;
        p->piece_off[p->npieces] = off;
        p->piece_len[p->npieces] = len;
        p->npieces++;
        return;
    }
    for (int i = 0; i < n; i++) {
        uint64_t room = stratum - BLOCK_CHUNK_BYTES;
        int k = p->npieces++;
        p->piece_owner[k] = owner;
        p->piece_off[k] = off + (uint64_t)i * stratum +
                          (room ? hash_mix(addr ^ (uint64_t)i) % (room + 1) : 0);
        p->piece_len[k] = BLOCK_CHUNK_BYTES;
    }
}

int block_copy_take(struct block_copy *c, const struct block_read_plan *p, uintptr_t addr)
{
    struct iovec local[BLOCK_MAX_CHUNKS + BLOCK_MAX_PIECES], remote[BLOCK_MAX_CHUNKS + BLOCK_MAX_PIECES];
    int n = 0;
    c->nchunks = p->nchunks;
    for (int i = 0; i < p->nchunks; i++) {
        c->first_word[i] = p->chunk_off[i] / 8;
        local[n] = (struct iovec){ c->words[i], BLOCK_CHUNK_BYTES };
        remote[n++] = (struct iovec){ (void *)(addr + p->chunk_off[i]), BLOCK_CHUNK_BYTES };
    }
    c->nbytes = 0;
    c->npieces = p->npieces;
    for (int i = 0; i < p->npieces; i++) {
        c->piece_owner[i] = p->piece_owner[i];
        c->piece_start[i] = c->nbytes;
        local[n] = (struct iovec){ c->bytes + c->nbytes, p->piece_len[i] };
        remote[n++] = (struct iovec){ (void *)(addr + p->piece_off[i]), p->piece_len[i] };
        c->nbytes += (int)p->piece_len[i];
    }
    /* Racy by design: the program may be writing; a torn word only
     * miscounts one slot of one measurement.  Pages the program never
     * wrote are not touched (mem_read.h). */
    return mem_read_vec_sparse(local, remote, n);
}

const uint8_t *block_copy_region(const struct block_copy *c, const void *owner, int *len)
{
    int first = -1, end = 0;
    for (int i = 0; i < c->npieces; i++)
        if (c->piece_owner[i] == owner) {
            if (first < 0)
                first = c->piece_start[i];
            end = i + 1 < c->npieces ? c->piece_start[i + 1] : c->nbytes;
        }
    *len = first < 0 ? 0 : end - first;
    return first < 0 ? NULL : c->bytes + first;
}

uint64_t block_copy_bytes(const struct block_copy *c)
{
    return (uint64_t)c->nchunks * BLOCK_CHUNK_BYTES + (uint64_t)c->nbytes;
}
