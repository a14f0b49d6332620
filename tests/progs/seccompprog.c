/*
 * seccompprog: runs under a seccomp allow-list installed at the start of
 * main (raw BPF through prctl, no libseccomp).  The list holds what this
 * program and an ordinary glibc program need: memory (brk, mmap, munmap,
 * mremap, mprotect, madvise), threads (clone, clone3, futex, set_robust_list,
 * rseq, rt_sigprocmask), stdio (write, fstat, newfstatat, lseek, ioctl,
 * close), time and exit.  Anything else kills the process with SIGSYS
 * (SECCOMP_RET_KILL_PROCESS).  Then it allocates small and 2 MiB blocks on
 * two threads, prints a checksum and exits 0.
 *
 * usage: seccompprog
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "seccompprog: add this architecture's AUDIT_ARCH"
#endif

static const int allowed[] = {
    SYS_read, SYS_write, SYS_close, SYS_lseek, SYS_ioctl, SYS_fstat,
#ifdef SYS_newfstatat
    SYS_newfstatat,
#endif
#ifdef SYS_statx
    SYS_statx,
#endif
    SYS_brk, SYS_mmap, SYS_munmap, SYS_mremap, SYS_mprotect, SYS_madvise,
    SYS_futex, SYS_clone,
#ifdef SYS_clone3
    SYS_clone3,
#endif
    SYS_set_robust_list,
#ifdef SYS_rseq
    SYS_rseq,
#endif
    SYS_rt_sigprocmask, SYS_rt_sigaction, SYS_rt_sigreturn, SYS_sigaltstack,
    SYS_getpid, SYS_gettid, SYS_tgkill, SYS_getrandom, SYS_sched_yield,
    SYS_clock_gettime, SYS_clock_nanosleep, SYS_nanosleep, SYS_prlimit64,
    SYS_exit, SYS_exit_group,
};

#define N_ALLOWED (sizeof allowed / sizeof allowed[0])

static int install_filter(void)
{
    struct sock_filter prog[4 + 2 * N_ALLOWED + 1];
    size_t n = 0;
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (size_t i = 0; i < N_ALLOWED; i++) {
        prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)allowed[i], 0, 1);
        prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    struct sock_fprog fprog = { (unsigned short)n, prog };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog);
}

static void *work(void *arg)
{
    unsigned long sum = (unsigned long)arg;
    for (int round = 0; round < 200; round++) {
        void *small[64];
        for (int i = 0; i < 64; i++) {
            small[i] = malloc(16 + (size_t)i * 24);
            memset(small[i], i, 16);
        }
        unsigned char *big = malloc(2u << 20);
        memset(big, round, 2u << 20);
        sum += big[round * 1000];
        free(big);
        for (int i = 0; i < 64; i++) {
            sum += ((unsigned char *)small[i])[0];
            free(small[i]);
        }
        if (round % 50 == 0)
            usleep(20 * 1000);   /* let a profiler's sampler run meanwhile */
    }
    return (void *)sum;
}

int main(void)
{
    if (install_filter() != 0) {
        printf("cannot install the seccomp filter: %s\n", strerror(errno));
        return 1;
    }
    printf("filter installed\n");
    pthread_t t;
    void *r1 = NULL, *r2;
    if (pthread_create(&t, NULL, work, (void *)1) != 0)
        return 1;
    r2 = work((void *)2);
    pthread_join(t, &r1);
    printf("checksum %lu\n", (unsigned long)r1 + (unsigned long)r2);
    return 0;
}
