/* hash.h: the integer mixers every table of libretain uses (base layer).
 *
 * Two are enough: a multiplicative (Fibonacci) hash, whose top bits are
 * well mixed and cost one multiply (indexes of power-of-two tables), and
 * murmur3's 64-bit finaliser, for when every bit of the result must depend
 * on every bit of the input (pseudo-random sample offsets, a second index
 * that must not correlate with the first). */
#ifndef RETAIN_HASH_H
#define RETAIN_HASH_H

#include <stdint.h>

#define HASH_GOLDEN 0x9E3779B97F4A7C15ull

/* Top `bits` bits of x * 2^64/phi. */
static inline uint64_t hash_fib(uint64_t x, unsigned bits)
{
    return (x * HASH_GOLDEN) >> (64 - bits);
}

/* x * 2^64/phi with the high bits folded down, for tables that take low bits. */
static inline uint64_t hash_fib_folded(uint64_t x)
{
    uint64_t h = x * HASH_GOLDEN;
    return h ^ (h >> 29);
}

/* murmur3 fmix64: a bijection with full avalanche. */
static inline uint64_t hash_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* Folds v into a running hash h (stacks of return addresses). */
static inline uint64_t hash_combine(uint64_t h, uint64_t v)
{
    h ^= v;
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
}

#endif
