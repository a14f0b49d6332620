/*
 * sites: exact per-call-site accounting.
 *
 * Each alloc_* function allocates a known number of blocks of known sizes,
 * frees a known subset, and keeps the rest alive until exit.  The harness runs
 * it with RETAIN_SAMPLE=0 and compares, per function, the sums over every site
 * whose stack names that function against the EXPECT lines printed here.
 *
 * Every alloc_* function also prints "RANGE name first last": the source lines
 * its body spans, so the harness can check the line numbers in the report.
 *
 * Output is deterministic (no addresses), so it is also compared plain vs
 * preloaded.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noclone))

/* Globals, so the compiler cannot drop a malloc/free pair as dead. */
static void *alpha_blocks[100];
static void *beta_blocks[250];
static void *gamma_buf;
static void *delta_blocks[64];
static int delta_count;
static void *eps_blocks[20];
static void *zeta_blocks[35];
static void *eta_buf;
static void *theta_blocks[10];

static void expect(const char *fn, long allocs, long frees, long live)
{
    printf("EXPECT %s %ld %ld %ld\n", fn, allocs, frees, live);
}

static void range(const char *fn, int first, int last)
{
    printf("RANGE %s %d %d\n", fn, first, last);
}

/* 100 mallocs of 100 bytes; 40 freed, 60 kept. */
enum { ALPHA_FIRST = __LINE__ };
NOINLINE void alloc_alpha(void)
{
    for (int i = 0; i < 100; i++) {
        alpha_blocks[i] = malloc(100);
        memset(alpha_blocks[i], i, 100);
    }
    for (int i = 0; i < 100; i += 5) {
        free(alpha_blocks[i]);
        free(alpha_blocks[i + 1]);
        alpha_blocks[i] = alpha_blocks[i + 1] = NULL;
    }
}
enum { ALPHA_LAST = __LINE__ };

/* 250 callocs of 3 x 16 bytes; 200 freed, 50 kept. */
enum { BETA_FIRST = __LINE__ };
NOINLINE void alloc_beta(void)
{
    for (int i = 0; i < 250; i++)
        beta_blocks[i] = calloc(3, 16);
    for (int i = 0; i < 250; i++)
        if (i % 5 != 0) {
            free(beta_blocks[i]);
            beta_blocks[i] = NULL;
        }
}
enum { BETA_LAST = __LINE__ };

/* One buffer grown by 37 reallocs (the first from NULL) to 37 * 64 bytes:
 * 37 allocations, 36 frees, 2368 bytes live. */
enum { GAMMA_FIRST = __LINE__ };
NOINLINE void alloc_gamma(void)
{
    void *buf = NULL;
    for (int i = 1; i <= 37; i++) {
        buf = realloc(buf, (size_t)i * 64);
        memset(buf, 'g', (size_t)i * 64);
    }
    gamma_buf = buf;
}
enum { GAMMA_LAST = __LINE__ };

/* n mallocs of 200 bytes, all kept.  Called from two different callers, so it
 * produces (at least) two sites. */
enum { DELTA_FIRST = __LINE__ };
NOINLINE void alloc_delta(int n)
{
    for (int i = 0; i < n; i++) {
        delta_blocks[delta_count] = malloc(200);
        memset(delta_blocks[delta_count], 'd', 200);
        delta_count++;
    }
}
enum { DELTA_LAST = __LINE__ };

NOINLINE void caller_one(void) { alloc_delta(10); asm volatile("" ::: "memory"); }
NOINLINE void caller_two(void) { alloc_delta(15); asm volatile("" ::: "memory"); }

/* 20 mallocs of 10 bytes; 5 released with realloc(p, 0), which frees. */
enum { EPS_FIRST = __LINE__ };
NOINLINE int alloc_eps(void)
{
    int nulls = 0;
    for (int i = 0; i < 20; i++)
        eps_blocks[i] = malloc(10);
    for (int i = 0; i < 20; i += 4) {
        void *r = realloc(eps_blocks[i], 0);
        if (r == NULL)
            nulls++;
        else
            free(r);     /* not glibc behaviour; would make counts differ */
        eps_blocks[i] = NULL;
    }
    return nulls;
}
enum { EPS_LAST = __LINE__ };

/* The aligned family: 10 posix_memalign(64, 256) all freed, 10
 * aligned_alloc(64, 192), 10 memalign(32, 96), 5 valloc(100) kept. */
enum { ZETA_FIRST = __LINE__ };
NOINLINE int alloc_zeta(void)
{
    int bad = 0;
    int k = 0;
    for (int i = 0; i < 10; i++) {
        void *p = NULL;
        if (posix_memalign(&p, 64, 256) != 0)
            bad++;
        zeta_blocks[k++] = p;
    }
    for (int i = 0; i < 10; i++)
        zeta_blocks[k++] = aligned_alloc(64, 192);
    for (int i = 0; i < 10; i++)
        zeta_blocks[k++] = memalign(32, 96);
    for (int i = 0; i < 5; i++)
        zeta_blocks[k++] = valloc(100);
    for (int i = 0; i < 10; i++) {
        free(zeta_blocks[i]);
        zeta_blocks[i] = NULL;
    }
    for (int i = 10; i < k; i++)
        if (!zeta_blocks[i])
            bad++;
    return bad;
}
enum { ZETA_LAST = __LINE__ };

/* reallocarray from NULL (10 x 8), then grown to 20 x 8: 2 allocations,
 * 1 free, 160 bytes live. */
enum { ETA_FIRST = __LINE__ };
NOINLINE void alloc_eta(void)
{
    long *a = reallocarray(NULL, 10, sizeof(long));
    for (int i = 0; i < 10; i++)
        a[i] = i;
    a = reallocarray(a, 20, sizeof(long));
    for (int i = 10; i < 20; i++)
        a[i] = i;
    eta_buf = a;
}
enum { ETA_LAST = __LINE__ };

/* Allocation, reallocation and free in three different functions: the
 * realloc frees the block of alloc_theta's site and makes a new one at
 * grow_theta's; drop_theta frees 3 of those (counted at grow_theta's site). */
enum { THETA_FIRST = __LINE__ };
NOINLINE void alloc_theta(void)
{
    for (int i = 0; i < 10; i++) {
        theta_blocks[i] = malloc(50);
        memset(theta_blocks[i], 't', 50);
    }
}
enum { THETA_LAST = __LINE__ };

enum { GROW_FIRST = __LINE__ };
NOINLINE void grow_theta(void)
{
    for (int i = 0; i < 10; i++) {
        theta_blocks[i] = realloc(theta_blocks[i], 500);
        memset(theta_blocks[i], 'T', 500);
    }
}
enum { GROW_LAST = __LINE__ };

NOINLINE void drop_theta(void)
{
    for (int i = 0; i < 3; i++) {
        free(theta_blocks[i]);
        theta_blocks[i] = NULL;
    }
}

int main(void)
{
    alloc_alpha();
    alloc_beta();
    alloc_gamma();
    caller_one();
    caller_two();
    int nulls = alloc_eps();
    int bad = alloc_zeta();
    alloc_eta();
    alloc_theta();
    grow_theta();
    drop_theta();

    range("alloc_alpha", ALPHA_FIRST, ALPHA_LAST);
    range("alloc_beta", BETA_FIRST, BETA_LAST);
    range("alloc_gamma", GAMMA_FIRST, GAMMA_LAST);
    range("alloc_delta", DELTA_FIRST, DELTA_LAST);
    range("alloc_eps", EPS_FIRST, EPS_LAST);
    range("alloc_zeta", ZETA_FIRST, ZETA_LAST);
    range("alloc_eta", ETA_FIRST, ETA_LAST);
    range("alloc_theta", THETA_FIRST, THETA_LAST);
    range("grow_theta", GROW_FIRST, GROW_LAST);

    expect("alloc_alpha", 100, 40, 60 * 100);
    expect("alloc_beta", 250, 200, 50 * 48);
    expect("alloc_gamma", 37, 36, 37 * 64);
    expect("alloc_delta", 25, 0, 25 * 200);
    expect("caller_one", 10, 0, 10 * 200);
    expect("caller_two", 15, 0, 15 * 200);
    expect("alloc_eps", 20, 5, 15 * 10);
    expect("alloc_zeta", 35, 10, 10 * 192 + 10 * 96 + 5 * 100);
    expect("alloc_eta", 2, 1, 20 * 8);
    expect("alloc_theta", 10, 10, 0);
    expect("grow_theta", 10, 3, 7 * 500);
    expect("drop_theta", 0, 0, 0);

    printf("realloc(p,0) returned NULL %d of 5 times\n", nulls);
    printf("aligned failures %d\n", bad);
    /* The kept blocks are deliberately never freed. */
    return bad != 0 || nulls != 5;
}
