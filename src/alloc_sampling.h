/* alloc_sampling.h: which small allocations get a stack, and what each stands for.
 *
 * Gaps between sampled bytes are exponential with mean RETAIN_SAMPLE, so an
 * allocation of n bytes is sampled with probability 1 - exp(-n/T) whatever
 * the pattern of sizes around it (tcmalloc's scheme); a sample of n bytes
 * then stands for 1 / that probability allocations. */
#ifndef RETAIN_ALLOC_SAMPLING_H
#define RETAIN_ALLOC_SAMPLING_H

#include <stddef.h>
#include <stdint.h>

/* Bytes until the next sample, drawn with mean `mean`; advances *rng
 * (xorshift64, never 0).  At least 1, at most 2^62. */
int64_t alloc_sampling_next_gap(uint64_t *rng, size_t mean);

/* Allocations one sampled allocation of n bytes stands for (>= 1). */
uint32_t alloc_sampling_weight(size_t n, size_t mean);

/* The two functions above need ln(x) and exp(x) - 1; they are computed here
 * to about 1e-12 relative error, so that the library does not pull libm
 * (half a MiB of resident pages) into programs that never use it. */
double alloc_sampling_log(double x);     /* x > 0 */
double alloc_sampling_expm1(double x);   /* x <= 0 */

#endif
