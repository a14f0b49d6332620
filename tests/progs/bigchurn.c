/*
 * bigchurn: two threads allocate, fill, realloc and free large blocks (1-8 MiB,
 * all above RETAIN_MIN_SIZE, so every one is watched) as fast as they can
 * for a given time, while libretain's sampler reads watched blocks.  Blocks
 * are filled with pointers, so they look like tables.  A block freed or
 * realloc'd while the sampler reads it must not crash anything.
 *
 * usage: bigchurn MS [sandbox]
 * With "sandbox", a seccomp filter first makes process_vm_readv fail with
 * EPERM, as a sandboxed program would, which moves libretain to its other
 * way of reading blocks (memcpy under the block's watch lock).
 * stdout: "rounds ok" and the checksum of the last contents, deterministic.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long run_ms;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void fill(void **p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n / sizeof *p; i++)
        p[i] = (i + seed) % 3 ? (void *)&p[(i * 7 + seed) % (n / sizeof *p)] : NULL;
}

static void *worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    double end = now_ms() + run_ms;
    unsigned long rounds = 0, bad = 0;
    while (now_ms() < end) {
        size_t n = ((size_t)1 << 20) << (rand_r(&seed) % 4);       /* 1..8 MiB */
        void **p = malloc(n);
        if (!p)
            continue;
        fill(p, n, seed);
        size_t m = ((size_t)1 << 20) << (rand_r(&seed) % 4);
        void **q = realloc(p, m);                                   /* grow or shrink */
        if (q) {
            p = q;
            n = m;
        }
        fill(p, n, seed + 1);
        bad += p[1] != ((1 + seed + 1) % 3 ? (void *)&p[(7 + seed + 1) % (n / sizeof *p)] : NULL);
        free(p);
        rounds++;
    }
    return (void *)(uintptr_t)(rounds ? bad : 1);
}

static int forbid_process_vm_readv(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { sizeof f / sizeof f[0], f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    /* TSYNC: every thread of the process, libretain's sampler included. */
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
}

int main(int argc, char **argv)
{
    run_ms = argc > 1 ? atol(argv[1]) : 2000;
    if (argc > 2 && !strcmp(argv[2], "sandbox") && forbid_process_vm_readv() != 0) {
        perror("seccomp");
        return 2;
    }
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
    unsigned long bad = 0;
    for (int i = 0; i < 2; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (uintptr_t)r;
    }
    printf("%s\n", bad ? "contents damaged" : "rounds ok");
    return bad != 0;
}
