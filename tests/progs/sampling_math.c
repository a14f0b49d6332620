/* sampling_math: src/sampling.c against libm and against its own
 * statistics.  Built with the library's source, run without the preload.
 * Prints the worst relative errors; exits 1 when a bound is broken. */
#include "../../src/sampling.c"

#include <math.h>
#include <stdio.h>

static double worst_log, worst_expm1;

static void check_log(double x)
{
    double want = log(x), got = sampling_log(x);
    double err = fabs(got - want) / (fabs(want) > 1e-300 ? fabs(want) : 1);
    if (want == 0)
        err = fabs(got);
    if (err > worst_log)
        worst_log = err;
}

static void check_expm1(double x)
{
    double want = expm1(x), got = sampling_expm1(x);
    double err = want != 0 ? fabs(got - want) / fabs(want) : fabs(got);
    if (err > worst_expm1)
        worst_expm1 = err;
}

int main(void)
{
    uint64_t rng = 88172645463325252ull;
    for (int i = 0; i < 1000000; i++) {
        double u = ((rng_next(&rng) >> 11) + 1) * (1.0 / 9007199254740992.0);
        check_log(u);
        check_log(u * 1e-300);
        check_expm1(-u * 1e-9);
        check_expm1(-u);
        check_expm1(-u * 50);
        check_expm1(-u * 800);
    }
    check_log(1.0);
    check_log(4.9e-324);                   /* smallest subnormal */
    check_log(1.4142135623730951);
    check_expm1(0.0);

    /* Mean gap and a tiny allocation's weight. */
    const size_t mean = 512 * 1024;
    double sum = 0;
    const int draws = 2000000;
    for (int i = 0; i < draws; i++)
        sum += (double)sampling_next_gap(&rng, mean);
    double mean_err = fabs(sum / draws - (double)mean) / (double)mean;
    uint32_t w16 = sampling_weight(16, mean), wbig = sampling_weight(64u << 20, mean);
    uint32_t w16_libm = (uint32_t)(1.0 / -expm1(-16.0 / (double)mean) + 0.5);

    printf("log worst relative error %.3g\nexpm1 worst relative error %.3g\n"
           "mean gap %.0f (want %zu, off by %.3f%%)\nweight(16) %u (libm: %u)\nweight(64M) %u\n",
           worst_log, worst_expm1, sum / draws, mean, mean_err * 100, w16, w16_libm, wbig);
    int ok = worst_log < 1e-12 && worst_expm1 < 1e-12 && mean_err < 0.005 &&
             w16 == w16_libm && wbig == 1;
    puts(ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
