/* test_alloc_sampling: src/alloc_sampling.c (which allocations get a stack) against
 * libm and against its own statistics.  The library computes ln and expm1
 * itself so that it does not pull libm into the host; this test links
 * alloc_sampling.o and libm side by side. */
#include "alloc_sampling.h"
#include "unit.h"

#include <math.h>

static double worst_log, worst_log_at, worst_expm1, worst_expm1_at;

static void compare_log(double x)
{
    double want = log(x), got = alloc_sampling_log(x);
    double err = want == 0 ? fabs(got) : fabs(got - want) / fabs(want);
    if (!(err <= worst_log)) {          /* NaN counts as worst */
        worst_log = err;
        worst_log_at = x;
    }
}

static void compare_expm1(double x)
{
    double want = expm1(x), got = alloc_sampling_expm1(x);
    double err = want == 0 ? fabs(got) : fabs(got - want) / fabs(want);
    if (!(err <= worst_expm1)) {
        worst_expm1 = err;
        worst_expm1_at = x;
    }
}

/* u uniform in (0, 1] */
static double uniform(uint64_t *rng) { return ((unit_rand(rng) >> 11) + 1) * (1.0 / 9007199254740992.0); }

static void case_against_libm(void)
{
    UNIT_CASE("ln and expm1 against libm");
    uint64_t rng = 88172645463325252ull;
    for (int i = 0; i < 1000000; i++) {
        double u = uniform(&rng);
        compare_log(u);
        compare_log(u * 1e-300);            /* subnormal and tiny */
        compare_log(u * 1e300);
        compare_expm1(-u * 1e-9);           /* the Taylor branch: tiny allocations */
        compare_expm1(-u);
        compare_expm1(-u * 50);
        compare_expm1(-u * 800);            /* past exp's underflow */
    }
    const double log_edges[] = {1.0, 4.9e-324, 2.2250738585072014e-308, 1.4142135623730951,
                                0.7071067811865476, 2.0, 0.5, 1.7976931348623157e308};
    for (unsigned i = 0; i < sizeof log_edges / sizeof *log_edges; i++)
        compare_log(log_edges[i]);
    const double expm1_edges[] = {0.0, -0.35, -0.3500000000000001, -744.9, -745.1,
                                  -708.4, -1e-300, -0.6931471805599453};
    for (unsigned i = 0; i < sizeof expm1_edges / sizeof *expm1_edges; i++)
        compare_expm1(expm1_edges[i]);
    CHECK(worst_log < 1e-12, "ln: worst relative error %.3g at %.17g", worst_log, worst_log_at);
    CHECK(worst_expm1 < 1e-12, "expm1: worst relative error %.3g at %.17g", worst_expm1,
          worst_expm1_at);
}

static void case_gaps(void)
{
    UNIT_CASE("gaps: exponential with the configured mean");
    const size_t mean = 512 * 1024;
    uint64_t rng = 88172645463325252ull;
    double sum = 0;
    int64_t smallest = INT64_MAX;
    const int draws = 2000000;
    int above_mean = 0;
    for (int i = 0; i < draws; i++) {
        int64_t g = alloc_sampling_next_gap(&rng, mean);
        sum += (double)g;
        smallest = g < smallest ? g : smallest;
        above_mean += g > (int64_t)mean;
    }
    double mean_err = fabs(sum / draws - (double)mean) / (double)mean;
    CHECK(mean_err < 0.005, "mean gap %.0f, want %zu (off by %.3f%%)", sum / draws, mean,
          mean_err * 100);
    CHECK(smallest >= 1, "a gap of %ld", (long)smallest);
    /* P(gap > mean) = 1/e for an exponential: 0.3679, sd 0.00034 here */
    double frac = (double)above_mean / draws;
    CHECK(fabs(frac - exp(-1)) < 0.003, "%.4f of gaps above the mean, want %.4f", frac, exp(-1));
    CHECK(alloc_sampling_next_gap(&rng, 1) >= 1, "mean 1 gives a gap below 1");
}

/* RETAIN_SAMPLE far above any heap (2.5e17 and up): a gap of -ln(u) times
 * the mean passes 2^63 for small u, and converting it to int64_t was
 * undefined (UBSan: float-cast-overflow; x86 gives INT64_MIN, which made the
 * next allocation a sample and then overflowed the per-thread countdown). */
static void case_huge_mean(void)
{
    UNIT_CASE("gaps for a mean near the top of size_t");
    const size_t means[] = {(size_t)25e16, (size_t)1e18, (size_t)9e18, SIZE_MAX};
    int bad = 0;
    int64_t worst = INT64_MAX;
    for (unsigned m = 0; m < sizeof means / sizeof *means; m++) {
        uint64_t rng = 0x5eed + m;
        for (int i = 0; i < 200000; i++) {
            int64_t g = alloc_sampling_next_gap(&rng, means[m]);
            /* the countdown subtracts request sizes from it and adds a gap
             * to a non-positive remainder: it must leave that headroom */
            if (g < 1 || g > (int64_t)1 << 62) {
                bad++;
                worst = g;
            }
        }
    }
    CHECK(bad == 0, "%d gaps out of [1, 2^62] (e.g. %ld)", bad, (long)worst);
}

static void case_weights(void)
{
    UNIT_CASE("weights: the inverse of the sampling probability");
    const size_t mean = 512 * 1024;
    const size_t sizes[] = {1, 16, 100, 4096, 65536, mean, 4 * mean, 64u << 20};
    for (unsigned i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        double p = -expm1(-(double)sizes[i] / (double)mean);
        uint32_t want = (uint32_t)(1.0 / p + 0.5), got = alloc_sampling_weight(sizes[i], mean);
        CHECK(got == want, "weight(%zu) %u, libm formula %u", sizes[i], got, want);
    }
    CHECK(alloc_sampling_weight(64u << 20, mean) == 1, "a block far above the mean weighs %u",
          alloc_sampling_weight(64u << 20, mean));
    CHECK(alloc_sampling_weight(1, (size_t)1 << 40) == 4000000000u, "weight capped at %u, want 4e9",
          alloc_sampling_weight(1, (size_t)1 << 40));
}

int main(void)
{
    case_against_libm();
    case_gaps();
    case_huge_mean();
    case_weights();
    return unit_done();
}
