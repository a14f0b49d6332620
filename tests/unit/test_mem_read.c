/* Unit test for mem_read.c's sparse reads: ranges whose pages were never
 * written read as zeros and stay unmapped (on a machine without swap), the
 * rest is read as it is, across mincore's 16 MiB windows. */
#include "mem_read.h"
#include "unit.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096ul

static int mapped(const unsigned char *p)
{
    unsigned char v = 0;
    return mincore((void *)((uintptr_t)p & ~(PAGE - 1)), PAGE, &v) == 0 && (v & 1);
}

int main(void)
{
    FILE *f = fopen("/proc/swaps", "r");
    int lines = 0;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        lines++;
    if (f)
        fclose(f);
    int no_swap = f && lines == 1;

    const size_t len = 20ul << 20;      /* two mincore windows */
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap");
    if (m == MAP_FAILED)
        return unit_done();
    /* written: page 3, page 5's last bytes, and the page just past 16 MiB */
    memset(m + 3 * PAGE, 0xA5, PAGE);
    m[6 * PAGE - 1] = 0x5A;
    unsigned char *edge = m + (16ul << 20);
    memset(edge, 0x3C, PAGE);

    struct {
        size_t off, len;
        int want_mapped;        /* a page of it written */
    } r[] = {
        { 1 * PAGE + 8, 128, 0 },               /* never written */
        { 3 * PAGE + 100, 128, 1 },             /* written */
        { 6 * PAGE - 64, 128, 1 },              /* straddles written page 5 and unwritten 6 */
        { (16ul << 20) - 64, 128, 1 },          /* straddles the window edge, second page written */
        { (18ul << 20) + 40, 64, 0 },           /* in the second window, never written */
        { 9 * PAGE, 0, 0 },                     /* empty */
    };
    enum { N = sizeof r / sizeof r[0] };
    unsigned char out[N][128];
    struct iovec local[N], remote[N];

    for (int pass = 0; pass < 2; pass++) {
        /* twice: the second read must find the unwritten pages as the first left them */
        UNIT_CASE(pass ? "sparse reads, again" : "sparse reads");
        if (!pass)
            mem_read_refresh_swap();
        memset(out, 0xEE, sizeof out);
        for (int i = 0; i < N; i++) {
            local[i] = (struct iovec){ out[i], r[i].len };
            remote[i] = (struct iovec){ m + r[i].off, r[i].len };
        }
        CHECK(mem_read_vec_sparse(local, remote, N) == 0, "read failed");
        /* the mapping first: comparing with the memory reads it */
        if (no_swap)
            CHECK(!mapped(m + r[0].off) && !mapped(m + r[4].off),
                  "never-written pages mapped by the read (%d, %d)", mapped(m + r[0].off),
                  mapped(m + r[4].off));
        static const unsigned char zeros[128];
        int wrong = -1;
        for (int i = 0; i < N && wrong < 0; i++)
            if (memcmp(out[i], r[i].want_mapped ? m + r[i].off : zeros, r[i].len) != 0)
                wrong = i;
        CHECK(wrong < 0, "range %d read other bytes than the memory holds", wrong);
    }
    if (!no_swap)
        printf("-- swap is configured: absent pages were read (no mapping check)\n");

    UNIT_CASE("a range that is not mapped fails");
    munmap(m + 8 * PAGE, PAGE);
    unsigned char x[16];
    struct iovec l1 = { x, sizeof x }, r1 = { m + 8 * PAGE, sizeof x };
    CHECK(mem_read_vec_sparse(&l1, &r1, 1) < 0, "read of an unmapped page succeeded");
    munmap(m, len);
    return unit_done();
}
