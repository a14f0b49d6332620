/*
 * edge: the malloc family's documented edge cases.  Prints one line per check
 * ("ok ..." or "FAIL ...") and exits 1 if any check failed.  Nothing printed
 * depends on addresses or on how the allocator rounds sizes, so the output
 * must be byte-identical with and without libretain.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The failed-realloc checks use the old pointer on purpose. */
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wuse-after-free"

static int failures;

static void check(int cond, const char *what)
{
    printf("%s %s\n", cond ? "ok" : "FAIL", what);
    if (!cond)
        failures++;
}

static int aligned(const void *p, size_t a)
{
    return ((uintptr_t)p & (a - 1)) == 0;
}

static int filled(const unsigned char *p, size_t n, unsigned char c)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

static int pattern_ok(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 31 + 7))
            return 0;
    return 1;
}

static void pattern(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 31 + 7);
}

/* Keep the compiler from reasoning about the huge sizes at compile time. */
static volatile size_t vhalf = SIZE_MAX / 2;
static volatile size_t vmax = SIZE_MAX;

static void test_malloc(void)
{
    char buf[128];
    void *p = malloc(0);
    check(p != NULL, "malloc(0) returns non-NULL");
    free(p);
    check(1, "malloc(0) result is freeable");

    free(NULL);
    check(1, "free(NULL) is a no-op");

    for (size_t s = 1; s <= (1u << 22); s = s * 3 + 1) {
        unsigned char *q = malloc(s);
        int ok = q != NULL && aligned(q, 16);
        if (q) {
            memset(q, 0xa5, s);
            ok = ok && filled(q, s, 0xa5);
        }
        snprintf(buf, sizeof buf, "malloc(%zu) usable and 16-aligned", s);
        check(ok, buf);
        free(q);
    }

    errno = 0;
    p = malloc(vmax);
    check(p == NULL && errno == ENOMEM, "malloc(SIZE_MAX) fails with ENOMEM");
    errno = 0;
    p = malloc(vmax - 64);
    check(p == NULL && errno == ENOMEM, "malloc(SIZE_MAX - 64) fails with ENOMEM");
    errno = 0;
    p = malloc(vhalf + 1);
    check(p == NULL && errno == ENOMEM, "malloc(SIZE_MAX/2 + 1) fails with ENOMEM");
}

static void test_calloc(void)
{
    errno = 0;
    void *p = calloc(vhalf, 4);
    check(p == NULL && errno == ENOMEM, "calloc(SIZE_MAX/2, 4) overflows: NULL, ENOMEM");
    errno = 0;
    p = calloc(4, vhalf);
    check(p == NULL && errno == ENOMEM, "calloc(4, SIZE_MAX/2) overflows: NULL, ENOMEM");
    errno = 0;
    p = calloc(1, vmax - 16);
    check(p == NULL && errno == ENOMEM, "calloc(1, SIZE_MAX - 16) fails with ENOMEM");

    p = calloc(0, 0);
    check(p != NULL, "calloc(0, 0) returns non-NULL");
    free(p);

    /* Dirty some memory first so that a reused chunk would show garbage. */
    for (size_t s = 8; s <= (1u << 21); s *= 4) {
        unsigned char *d = malloc(s);
        memset(d, 0xff, s);
        free(d);
        unsigned char *z = calloc(s / 8, 8);
        char buf[96];
        snprintf(buf, sizeof buf, "calloc(%zu, 8) is zeroed", s / 8);
        check(z != NULL && filled(z, s, 0), buf);
        free(z);
    }
}

static void test_realloc(void)
{
    errno = 0;
    unsigned char *p = realloc(NULL, 100);
    check(p != NULL, "realloc(NULL, 100) allocates");
    pattern(p, 100);
    check(pattern_ok(p, 100), "realloc(NULL, 100) block is writable");

    void *r = realloc(p, 0);
    check(r == NULL, "realloc(p, 0) frees and returns NULL");

    /* Growth through small, medium and mmap-sized blocks, then shrinking. */
    size_t sizes[] = { 1, 7, 24, 100, 1000, 4096, 5000, 70000, 140000, 300000,
                       1 << 20, 3 << 20, 200000, 4000, 33, 2 };
    size_t n = sizeof sizes / sizeof sizes[0];
    unsigned char *b = malloc(sizes[0]);
    pattern(b, sizes[0]);
    size_t cur = sizes[0];
    int ok = 1;
    for (size_t i = 1; i < n; i++) {
        unsigned char *nb = realloc(b, sizes[i]);
        if (!nb) {
            ok = 0;
            break;
        }
        size_t keep = cur < sizes[i] ? cur : sizes[i];
        if (!pattern_ok(nb, keep))
            ok = 0;
        pattern(nb, sizes[i]);
        b = nb;
        cur = sizes[i];
    }
    check(ok, "realloc preserves contents across growth and shrink");
    free(b);

    /* A failing realloc leaves the old block intact and sets ENOMEM. */
    unsigned char *q = malloc(64);
    pattern(q, 64);
    errno = 0;
    void *f = realloc(q, vmax - 8);
    check(f == NULL && errno == ENOMEM, "realloc(p, SIZE_MAX - 8) fails with ENOMEM");
    check(pattern_ok(q, 64), "failed realloc leaves the block intact");
    free(q);

    /* reallocarray. */
    errno = 0;
    long *a = reallocarray(NULL, 16, sizeof(long));
    check(a != NULL, "reallocarray(NULL, 16, 8) allocates");
    for (int i = 0; i < 16; i++)
        a[i] = i * 1000;
    errno = 0;
    void *o = reallocarray(a, vhalf, 4);
    check(o == NULL && errno == ENOMEM, "reallocarray(p, SIZE_MAX/2, 4) overflows: NULL, ENOMEM");
    int intact = 1;
    for (int i = 0; i < 16; i++)
        intact &= a[i] == i * 1000;
    check(intact, "overflowing reallocarray leaves the block intact");
    a = reallocarray(a, 4096, sizeof(long));
    intact = a != NULL;
    for (int i = 0; intact && i < 16; i++)
        intact &= a[i] == i * 1000;
    check(intact, "reallocarray growth preserves contents");
    free(a);
}

static void test_aligned(void)
{
    char buf[128];
    long page = sysconf(_SC_PAGESIZE);

    for (size_t al = sizeof(void *); al <= 65536; al *= 2) {
        void *p = (void *)1;
        int rc = posix_memalign(&p, al, 3 * al + 5);
        int ok = rc == 0 && p != NULL && aligned(p, al);
        if (ok) {
            memset(p, 0x5a, 3 * al + 5);
            ok = filled(p, 3 * al + 5, 0x5a) && malloc_usable_size(p) >= 3 * al + 5;
        }
        snprintf(buf, sizeof buf, "posix_memalign alignment %zu", al);
        check(ok, buf);
        free(p);
    }
    {
        void *p = NULL;
        int rc = posix_memalign(&p, sizeof(void *), 0);
        check(rc == 0, "posix_memalign(size 0) succeeds");
        free(p);
    }
    size_t bad[] = { 0, 3, 24, sizeof(void *) / 2, 48, 65537 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *p = (void *)0x1234;
        int rc = posix_memalign(&p, bad[i], 64);
        snprintf(buf, sizeof buf, "posix_memalign alignment %zu is EINVAL, pointer untouched", bad[i]);
        check(rc == EINVAL && p == (void *)0x1234, buf);
    }
    {
        void *p = (void *)0x1234;
        int rc = posix_memalign(&p, 64, vmax - 16);
        check(rc == ENOMEM, "posix_memalign(64, SIZE_MAX - 16) is ENOMEM");
    }

    for (size_t al = 1; al <= 65536; al *= 2) {
        void *p = aligned_alloc(al, 2 * al);
        int ok = p != NULL && aligned(p, al);
        if (ok) {
            memset(p, 1, 2 * al);
            ok = malloc_usable_size(p) >= 2 * al;
        }
        snprintf(buf, sizeof buf, "aligned_alloc alignment %zu", al);
        check(ok, buf);
        free(p);

        p = memalign(al, al + 3);
        ok = p != NULL && aligned(p, al);
        if (ok) {
            memset(p, 2, al + 3);
            ok = malloc_usable_size(p) >= al + 3;
        }
        snprintf(buf, sizeof buf, "memalign alignment %zu", al);
        check(ok, buf);
        /* realloc of an aligned block keeps the contents */
        if (p) {
            unsigned char *r = realloc(p, 10 * al + 100);
            check(r != NULL && filled(r, al + 3, 2), "realloc of a memalign block keeps contents");
            free(r);
        }
    }
    errno = 0;
    void *e = aligned_alloc(64, vmax - 16);
    check(e == NULL && errno == ENOMEM, "aligned_alloc(64, SIZE_MAX - 16) fails with ENOMEM");
    errno = 0;
    e = memalign(64, vmax - 16);
    check(e == NULL && errno == ENOMEM, "memalign(64, SIZE_MAX - 16) fails with ENOMEM");

    size_t vs[] = { 1, 100, 4095, 4096, 4097, 100000 };
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
        void *v = valloc(vs[i]);
        int ok = v != NULL && aligned(v, (size_t)page);
        if (ok) {
            memset(v, 3, vs[i]);
            ok = malloc_usable_size(v) >= vs[i];
        }
        snprintf(buf, sizeof buf, "valloc(%zu) page-aligned", vs[i]);
        check(ok, buf);
        free(v);

        void *pv = pvalloc(vs[i]);
        size_t rounded = (vs[i] + (size_t)page - 1) / (size_t)page * (size_t)page;
        ok = pv != NULL && aligned(pv, (size_t)page);
        if (ok) {
            memset(pv, 4, rounded);
            ok = malloc_usable_size(pv) >= rounded;
        }
        snprintf(buf, sizeof buf, "pvalloc(%zu) page-aligned, usable to the page end", vs[i]);
        check(ok, buf);
        free(pv);
    }
}

static void test_usable_size(void)
{
    int ok = 1;
    void *blocks[200];
    size_t s = 0;
    for (int i = 0; i < 200; i++) {
        s = s + 1 + (size_t)(i * i) % 977 + (i % 50 == 0 ? 300000 : 0);
        blocks[i] = malloc(s);
        if (!blocks[i] || malloc_usable_size(blocks[i]) < s)
            ok = 0;
        else
            memset(blocks[i], i, malloc_usable_size(blocks[i]));
    }
    for (int i = 0; i < 200; i++)
        free(blocks[i]);
    check(ok, "malloc_usable_size >= requested for 200 sizes (and all of it writable)");
    check(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) is 0");
    void *c = calloc(7, 9);
    check(c && malloc_usable_size(c) >= 63, "malloc_usable_size of a calloc block");
    free(c);
    void *r = realloc(NULL, 1000);
    r = realloc(r, 5000);
    check(r && malloc_usable_size(r) >= 5000, "malloc_usable_size of a realloc'd block");
    free(r);
}

int main(void)
{
    test_malloc();
    test_calloc();
    test_realloc();
    test_aligned();
    test_usable_size();
    printf("%d failures\n", failures);
    return failures != 0;
}
