#include "seccomp_filter.h"

#include <linux/audit.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

unsigned seccomp_native_arch(void)
{
#if defined(__x86_64__)
    return AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
    return AUDIT_ARCH_AARCH64;
#else
    return 0;
#endif
}

/* A 32-bit load from seccomp_data, as the kernel's checker allows them:
 * aligned, inside the struct. */
static int load_word(const struct seccomp_data *d, uint32_t off, uint32_t *out)
{
    if (off % 4 || off + 4 > sizeof *d)
        return -1;
    memcpy(out, (const char *)d + off, 4);
    return 0;
}

unsigned seccomp_filter_run(const struct sock_fprog *prog, const struct seccomp_data *d)
{
    enum { KILL = SECCOMP_RET_KILL_PROCESS };
    if (!prog || !prog->filter || prog->len == 0 || prog->len > BPF_MAXINSNS)
        return KILL;
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
    for (unsigned pc = 0; pc < prog->len; pc++) {
        const struct sock_filter *f = &prog->filter[pc];
        uint32_t k = f->k;
        switch (BPF_CLASS(f->code)) {
        case BPF_LD:
        case BPF_LDX: {
            uint32_t v;
            switch (BPF_MODE(f->code)) {
            case BPF_ABS:
                if (BPF_SIZE(f->code) != BPF_W || load_word(d, k, &v) < 0)
                    return KILL;
                break;
            case BPF_IMM: v = k; break;
            case BPF_MEM:
                if (k >= BPF_MEMWORDS)
                    return KILL;
                v = mem[k];
                break;
            case BPF_LEN: v = sizeof *d; break;
            default: return KILL;
            }
            if (BPF_CLASS(f->code) == BPF_LD)
                a = v;
            else
                x = v;
            break;
        }
        case BPF_ST:
        case BPF_STX:
            if (k >= BPF_MEMWORDS)
                return KILL;
            mem[k] = BPF_CLASS(f->code) == BPF_ST ? a : x;
            break;
        case BPF_ALU: {
            uint32_t v = BPF_SRC(f->code) == BPF_X ? x : k;
            switch (BPF_OP(f->code)) {
            case BPF_ADD: a += v; break;
            case BPF_SUB: a -= v; break;
            case BPF_MUL: a *= v; break;
            case BPF_DIV: if (!v) return KILL; a /= v; break;
            case BPF_MOD: if (!v) return KILL; a %= v; break;
            case BPF_AND: a &= v; break;
            case BPF_OR: a |= v; break;
            case BPF_XOR: a ^= v; break;
            case BPF_LSH: a = v < 32 ? a << v : 0; break;
            case BPF_RSH: a = v < 32 ? a >> v : 0; break;
            case BPF_NEG: a = -a; break;
            default: return KILL;
            }
            break;
        }
        case BPF_JMP: {
            if (BPF_OP(f->code) == BPF_JA) {
                pc += k;
                break;
            }
            uint32_t v = BPF_SRC(f->code) == BPF_X ? x : k;
            int taken;
            switch (BPF_OP(f->code)) {
            case BPF_JEQ: taken = a == v; break;
            case BPF_JGT: taken = a > v; break;
            case BPF_JGE: taken = a >= v; break;
            case BPF_JSET: taken = (a & v) != 0; break;
            default: return KILL;
            }
            pc += taken ? f->jt : f->jf;
            break;
        }
        case BPF_RET:
            return BPF_RVAL(f->code) == BPF_A ? a : k;
        case BPF_MISC:
            if (BPF_MISCOP(f->code) == BPF_TAX)
                x = a;
            else
                a = x;
            break;
        default:
            return KILL;
        }
    }
    return KILL;                        /* fell off the end: the kernel rejects such programs */
}

int seccomp_action_fatal(unsigned ret)
{
    unsigned action = ret & SECCOMP_RET_ACTION_FULL;
    return action != SECCOMP_RET_ALLOW && action != SECCOMP_RET_LOG && action != SECCOMP_RET_ERRNO;
}
