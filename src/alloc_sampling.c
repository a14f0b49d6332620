#include "alloc_sampling.h"

#include <string.h>

#define LN2 0.69314718055994530942

/* ln x = k ln 2 + ln m, with m in [sqrt(1/2), sqrt(2)); then
 * ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716, whose odd series
 * to s^15 is exact to well below 1e-12. */
double alloc_sampling_log(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int k = (int)((bits >> 52) & 0x7ff) - 1023;
    if (k == -1023) {                       /* subnormal: scale into range */
        x *= 18014398509481984.0;           /* 2^54 */
        memcpy(&bits, &x, sizeof bits);
        k = (int)((bits >> 52) & 0x7ff) - 1023 - 54;
    }
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m;
    memcpy(&m, &bits, sizeof m);            /* m in [1, 2) */
    if (m > 1.41421356237309504880) {
        m *= 0.5;
        k++;
    }
    double s = (m - 1) / (m + 1), s2 = s * s;
    double series = 1 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 +
                    s2 * (1.0 / 11 + s2 * (1.0 / 13 + s2 * (1.0 / 15)))))));
    return k * LN2 + 2 * s * series;
}

/* exp(x) - 1 for x <= 0.  Small |x| by its Taylor series (no cancellation:
 * the weight of a tiny allocation depends on it); otherwise
 * exp(x) = 2^k exp(r), |r| <= ln2 / 2. */
double alloc_sampling_expm1(double x)
{
    if (x < -745)
        return -1;
    double r = x;
    int k = 0;
    if (x < -0.35) {
        k = (int)(x / LN2 - 0.5);
        r = x - k * LN2;
    }
    double term = r, sum = r;               /* sum = exp(r) - 1 */
    for (int i = 2; i <= 16; i++) {
        term *= r / i;
        sum += term;
    }
    if (k == 0)
        return sum;
    /* 2^k by exponent bits; k >= -1075, so clamp the tiny end to zero */
    if (k < -1022)
        return -1;
    uint64_t bits = (uint64_t)(k + 1023) << 52;
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return (sum + 1) * scale - 1;
}

static uint64_t rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

int64_t alloc_sampling_next_gap(uint64_t *rng, size_t mean)
{
    /* u uniform in (0, 1] */
    double u = ((rng_next(rng) >> 11) + 1) * (1.0 / 9007199254740992.0);
    double g = -alloc_sampling_log(u) * (double)mean;
    /* Capped at 2^62 (no heap is that big): converting a double past 2^63
     * is undefined, and the caller's countdown needs headroom to subtract
     * request sizes from a gap and add one to a non-positive remainder. */
    if (g >= 4611686018427387904.0)
        return (int64_t)1 << 62;
    return g < 1 ? 1 : (int64_t)g;
}

uint32_t alloc_sampling_weight(size_t n, size_t mean)
{
    double p = -alloc_sampling_expm1(-(double)n / (double)mean);
    double w = p > 0 ? 1.0 / p : 4e9;
    return w >= 4e9 ? 4000000000u : (uint32_t)(w + 0.5);
}
