/* mem_read.c: process_vm_readv with a memcpy fallback. */
#include "mem_read.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Sampler thread only (and the exit path once the sampler stopped). */
static int vm_read_ok = 1;

int mem_read_vec(struct iovec *local, struct iovec *remote, int n)
{
    if (vm_read_ok) {
        size_t want = 0;
        for (int i = 0; i < n; i++)
            want += local[i].iov_len;
        ssize_t got = process_vm_readv(getpid(), local, (unsigned long)n, remote, (unsigned long)n, 0);
        if (got == (ssize_t)want)
            return 0;
        if (got >= 0 || errno == EFAULT)
            return -1;
        vm_read_ok = 0;             /* ENOSYS, EPERM: not allowed here */
    }
    for (int i = 0; i < n; i++)
        memcpy(local[i].iov_base, remote[i].iov_base, local[i].iov_len);
    return 0;
}

int mem_read(uintptr_t from, void *to, size_t n)
{
    struct iovec local = { to, n }, remote = { (void *)from, n };
    return mem_read_vec(&local, &remote, 1);
}

int mem_reads_safely(void) { return vm_read_ok; }
