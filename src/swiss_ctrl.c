/* swiss_ctrl.c: the control-byte array, recognised by its sentinel, its
 * cloned first group and the classes of its bytes. */
#include "swiss_ctrl.h"
#include "hash.h"
#include "mem_read.h"

#include <string.h>
#include <sys/uio.h>

int swiss_ctrl_find(uintptr_t addr, uint64_t size, uint64_t *off, uint64_t *len)
{
    static const uint64_t headers[] = { 0, 8, 16 };
    enum { KMIN = 4, KMAX = 40, CHECKS = 256 };
    struct iovec local[CHECKS], remote[CHECKS];
    for (unsigned h = 0; h < sizeof headers / sizeof headers[0]; h++) {
        uint64_t start = headers[h];
        uint8_t head[15];
        if (start + 15 > size || mem_read(addr + start, head, sizeof head) < 0)
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
        if (nk == 0 || mem_read_vec(local, remote, nk) < 0)
            return 0;
        for (int i = 0; i < nk; i++) {
            uint64_t cap = (1ull << (KMIN + i)) - 1;
            if (tails[i][0] != 0xFF || memcmp(head, tails[i] + 1, 15) != 0)
                continue;
            /* Spot checks: every byte a control byte (full, empty, deleted). */
            uint8_t c[CHECKS];
            for (int j = 0; j < CHECKS; j++) {
                local[j] = (struct iovec){ &c[j], 1 };
                remote[j] = (struct iovec){ (void *)(addr + start + hash_mix((uint64_t)j) % cap), 1 };
            }
            if (mem_read_vec(local, remote, CHECKS) < 0)
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
