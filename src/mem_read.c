/* mem_read.c: process_vm_readv with a memcpy fallback. */
#include "mem_read.h"
#include "cold.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
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

/* Sampler thread only, like vm_read_ok. */
static int absent_is_zero;

void mem_read_refresh_swap(void)
{
    /* A header line, then one line per swap area: anything after the
     * first newline is a swap area.  Read into the stack (no allocation
     * on the sampler's pass). */
    char buf[512];
    size_t len = 0;
    int fd = open("/proc/swaps", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t r;
        while (len < sizeof buf && ((r = read(fd, buf + len, sizeof buf - len)) > 0 ||
                                    (r < 0 && errno == EINTR)))
            if (r > 0)
                len += (size_t)r;
        close(fd);
    }
    const char *nl = len ? memchr(buf, '\n', len) : NULL;
    absent_is_zero = nl && (size_t)(nl + 1 - buf) == len;      /* cannot tell: read every page */
}

#define PAGE 4096ul
#define WINDOW_PAGES 4096ul             /* one mincore call: 16 MiB */
#define SPARSE_MAX 512

/* One mincore vector for both users below (sampler thread only). */
COLD_BSS static unsigned char vec[WINDOW_PAGES];

uint64_t mem_resident_bytes(uintptr_t addr, uint64_t size)
{
    uintptr_t lo = addr & ~(PAGE - 1), hi = (addr + size + PAGE - 1) & ~(PAGE - 1);
    uint64_t pages = 0;
    for (uintptr_t at = lo; at < hi;) {
        uint64_t n = (hi - at) / PAGE;
        if (n > WINDOW_PAGES)
            n = WINDOW_PAGES;
        if (mincore((void *)at, n * PAGE, vec) != 0)
            return 0;
        for (uint64_t i = 0; i < n; i++)
            pages += vec[i] & 1;
        at += n * PAGE;
    }
    uint64_t bytes = pages * PAGE;
    return bytes < size ? bytes : size;
}

int mem_read_vec_sparse(struct iovec *local, struct iovec *remote, int n)
{
    if (!absent_is_zero || n <= 0 || n > SPARSE_MAX)
        return mem_read_vec(local, remote, n);
    static uint8_t present[SPARSE_MAX];
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < n; i++) {
        uintptr_t a = (uintptr_t)remote[i].iov_base;
        present[i] = remote[i].iov_len == 0;
        if (remote[i].iov_len == 0)
            continue;
        if (a < lo)
            lo = a;
        if (a + remote[i].iov_len > hi)
            hi = a + remote[i].iov_len;
    }
    if (hi == 0)
        return 0;
    lo &= ~(PAGE - 1);
    hi = (hi + PAGE - 1) & ~(PAGE - 1);
    /* Window by window over the span, skipping windows no range touches
     * (a 1 GiB block's chunks lie 4 MiB apart). */
    for (uintptr_t w = lo; w < hi; w += WINDOW_PAGES * PAGE) {
        uintptr_t wend = hi - w > WINDOW_PAGES * PAGE ? w + WINDOW_PAGES * PAGE : hi;
        int any = 0;
        for (int i = 0; i < n && !any; i++) {
            uintptr_t a = (uintptr_t)remote[i].iov_base;
            any = !present[i] && a < wend && a + remote[i].iov_len > w;
        }
        if (!any)
            continue;
        if (mincore((void *)w, wend - w, vec) != 0)
            return mem_read_vec(local, remote, n);  /* unmapped: the read tells */
        for (int i = 0; i < n; i++) {
            uintptr_t a = (uintptr_t)remote[i].iov_base, e = a + remote[i].iov_len;
            if (present[i] || a >= wend || e <= w)
                continue;
            uintptr_t from = a > w ? a : w, to = e < wend ? e : wend;
            for (uintptr_t pg = from & ~(PAGE - 1); pg < to && !present[i]; pg += PAGE)
                present[i] = vec[(pg - w) / PAGE] & 1;
        }
    }
    /* Absent ranges are zeros; the rest is read in one call. */
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!present[i]) {
            memset(local[i].iov_base, 0, local[i].iov_len);
            continue;
        }
        local[k] = local[i];
        remote[k] = remote[i];
        k++;
    }
    return k ? mem_read_vec(local, remote, k) : 0;
}
