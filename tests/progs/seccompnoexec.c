/*
 * seccompnoexec: a sandbox that forbids new executable mappings.  At the
 * start of main it installs a seccomp filter (raw BPF through prctl) that
 * fails mmap and mprotect with EPERM when they ask for PROT_EXEC and allows
 * every other call: the process goes on, but no shared object can be loaded
 * any more (the dynamic loader maps code PROT_EXEC).  Then alloc_sandboxed
 * keeps 40 blocks of 300 bytes to the end, and the program prints
 * "dlopen after the filter: refused" (or "loaded") for libm, the RANGE of
 * alloc_sandboxed's lines and exits 0.
 *
 * usage: seccompnoexec
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "seccompnoexec: add this architecture's AUDIT_ARCH"
#endif

static int install_filter(void)
{
    struct sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 0, 3),
        /* args[2] (prot), low word */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog fprog = { (unsigned short)(sizeof prog / sizeof prog[0]), prog };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog);
}

static void *kept[40];

enum { SANDBOXED_FIRST = __LINE__ };
__attribute__((noinline, noclone)) void alloc_sandboxed(void)
{
    for (int i = 0; i < 40; i++) {
        kept[i] = malloc(300);
        memset(kept[i], i, 300);
    }
}
enum { SANDBOXED_LAST = __LINE__ };

int main(void)
{
    if (install_filter() != 0) {
        printf("cannot install the seccomp filter: %s\n", strerror(errno));
        return 1;
    }
    alloc_sandboxed();
    /* A library the process has not loaded yet. */
    void *h = dlopen("libexpat.so.1", RTLD_NOW | RTLD_LOCAL);
    printf("dlopen after the filter: %s\n", h ? "loaded" : "refused");
    printf("RANGE alloc_sandboxed %d %d\n", SANDBOXED_FIRST, SANDBOXED_LAST);
    return 0;
}
