/* test_medium.c: the medium-site weights and estimator (medium.c). */
#include "alloc_sampling.h"
#include "medium.h"
#include "unit.h"

#include <math.h>

static void weights(void)
{
    UNIT_CASE("weight: 1/p within 1e-3 for every size");
    /* the table fills itself on first use */
    const uint64_t mean = 512 * 1024;
    double worst = 0;
    uint64_t worst_at = 0;
    for (uint64_t size = 4096; size < (64u << 20); size += size / 64 + 1) {
        double p = -alloc_sampling_expm1(-(double)size / (double)mean);
        double want = 1 / p, got = medium_weight(size, mean);
        double rel = fabs(got - want) / want;
        if (rel > worst) {
            worst = rel;
            worst_at = size;
        }
    }
    CHECK(worst < 1e-3, "weight off by %g of 1/p at %llu bytes", worst, (unsigned long long)worst_at);
    CHECK(medium_weight(336344, 0) == 1, "exact mode weighs %g", medium_weight(336344, 0));
    CHECK(medium_weight(336344, mean) > 2.1 && medium_weight(336344, mean) < 2.12,
          "a 328 KiB block at 512K weighs %g (1/p = 2.112, not the rounded 2)",
          medium_weight(336344, mean));
}

static void estimates(void)
{
    UNIT_CASE("estimate: all of 16 retained");
    struct medium_sample s[16];
    for (int i = 0; i < 16; i++)
        s[i] = (struct medium_sample){ 336344, 336344 };
    double cap = 1500.0 * 336344, var = 1e14;
    struct medium_estimate e = medium_estimate(s, 16, 1500, cap, var);
    CHECK(fabs(e.retained - cap) < 1, "retained %g, want %g", e.retained, cap);
    CHECK(fabs(e.error - sqrt(var)) < 1, "error %g: only the capacity's, want %g", e.error, sqrt(var));

    UNIT_CASE("estimate: one of 16 retained is not distinguishable from none");
    for (int i = 1; i < 16; i++)
        s[i].retained = 0;
    e = medium_estimate(s, 16, 1500, cap, var);
    CHECK(fabs(e.share - 1.0 / 16) < 1e-9, "share %g, want 1/16", e.share);
    CHECK(e.retained < 2 * e.error, "one in 16: %g +- %g would pass a two-error test",
          e.retained, e.error);

    UNIT_CASE("estimate: half retained, whole population watched");
    for (int i = 0; i < 16; i++)
        s[i].retained = i % 2 ? 336344 : 0;
    e = medium_estimate(s, 16, 16, 16.0 * 336344, 0);
    CHECK(fabs(e.retained - 8.0 * 336344) < 1 && e.error < 1,
          "every block watched: %g +- %g, want exactly %g", e.retained, e.error, 8.0 * 336344);
    e = medium_estimate(s, 16, 1600, 1600.0 * 336344, 0);
    double se = 1600.0 * 336344 * sqrt((1 - 16 / 1600.0) * (16 * 0.25 / 15) / 16);
    CHECK(fabs(e.error - se) < 1e-6 * se, "error %g, want %g", e.error, se);

    UNIT_CASE("estimate: nothing to go on");
    e = medium_estimate(s, 0, 0, 0, 0);
    CHECK(e.retained == 0 && e.error == 0, "no samples: %g +- %g", e.retained, e.error);

    UNIT_CASE("sqrt");
    double worst = 0;
    for (double x = 1e-12; x < 1e30; x *= 1.37) {
        double r = fabs(medium_sqrt(x) - sqrt(x)) / sqrt(x);
        if (r > worst)
            worst = r;
    }
    CHECK(worst < 1e-12, "medium_sqrt off by %g", worst);
    CHECK(medium_sqrt(0) == 0 && medium_sqrt(-1) == 0, "sqrt of 0 or less");
}

int main(void)
{
    weights();
    estimates();
    return unit_done();
}
