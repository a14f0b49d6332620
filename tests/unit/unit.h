/* unit.h: the checks of a C unit test (tests/unit/test_*.c).
 *
 *     CHECK(cond, "what went wrong: %d", x);   counts one check
 *     return unit_done();                      prints "N passed, N failed"
 *
 * A failed check prints its file, line, condition and message and the test
 * goes on, so one run shows every failure; unit_done() returns the exit
 * status (1 when any check failed).  Checks are counted, so a loop over a million random
 * operations should count its mismatches and CHECK once at the end (the
 * message naming the first mismatch), not CHECK every step.
 *
 * UNIT_CASE(name) prints a heading so that failures read in context. */
#ifndef RETAIN_UNIT_H
#define RETAIN_UNIT_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

static unsigned unit_passed, unit_failed;

__attribute__((format(printf, 5, 6)))
static inline int unit_check(int ok, const char *file, int line, const char *cond,
                             const char *fmt, ...)
{
    __atomic_add_fetch(ok ? &unit_passed : &unit_failed, 1, __ATOMIC_RELAXED);
    if (!ok) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stdout, "FAIL %s:%d: %s: ", file, line, cond);
        vfprintf(stdout, fmt, ap);
        fputc('\n', stdout);
        fflush(stdout);
        va_end(ap);
    }
    return ok;
}

#define CHECK(cond, ...) unit_check(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)

#define UNIT_CASE(name) (printf("-- %s\n", name), fflush(stdout))

static inline int unit_done(void)
{
    printf("%u passed, %u failed\n", unit_passed, unit_failed);
    fflush(stdout);
    return unit_failed ? 1 : 0;
}

/* xorshift64*: a reproducible stream for randomised tests (seed != 0). */
static inline uint64_t unit_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

#endif
