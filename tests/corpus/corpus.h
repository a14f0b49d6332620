/*
 * corpus.h: small helpers shared by the libretain corpus programs.
 *
 * Every program prints, on stderr, lines the harness (run_corpus.py) reads:
 *   CORPUS phase=NAME t=SECONDS rss_kb=N ...      progress of the timeline
 *   CORPUS-TRUTH capacity_bytes=N peak_occupancy=F occupancy=F
 *                                                 the measured truth (positives)
 * The truth is computed by the program itself from its own data structure
 * (slot counts, bucket counts), never from libretain's output.  The harness
 * checks it against tests/corpus/expected.json so that the two cannot drift.
 *
 * The helpers allocate only small blocks (stdio), never anything near
 * RETAIN_MIN_SIZE, so they add no findings of their own.
 */
#ifndef CORPUS_H
#define CORPUS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Functions that would live in another translation unit (a library, a
 * container module) are marked NOINLINE so that -O2 keeps them as frames of
 * their own, as they are in real programs built from many files. */
#define NOINLINE __attribute__((noinline))

/* Timeline of every program (seconds). */
#define HOLD_PEAK_S    1.2   /* hold the table at its peak */
#define HOLD_DRAINED_S 1.5   /* hold the drained table before exiting */

static inline double corpus_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double corpus_t0;

static inline void corpus_sleep(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;   /* libretain's report signal may interrupt us: sleep on */
}

/* Resident set size in KiB, from /proc/self/status (0 if unreadable). */
static inline long corpus_rss_kb(void)
{
    char line[256];
    long kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

static inline void corpus_start(void)
{
    corpus_t0 = corpus_now();
    setvbuf(stderr, NULL, _IOLBF, 0);
}

/* One progress line: phase name, elapsed time, RSS, and free text. */
#define corpus_phase(name, ...)                                               \
    do {                                                                      \
        fprintf(stderr, "CORPUS phase=%s t=%.3f rss_kb=%ld ", (name),        \
                corpus_now() - corpus_t0, corpus_rss_kb());                   \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
    } while (0)

static inline void corpus_truth(size_t capacity_bytes, double peak_occupancy, double occupancy)
{
    fprintf(stderr, "CORPUS-TRUTH capacity_bytes=%zu peak_occupancy=%.4f occupancy=%.4f\n",
            capacity_bytes, peak_occupancy, occupancy);
}

/* splitmix64: a good, deterministic 64-bit mixer (keys, hashes, payloads). */
static inline uint64_t corpus_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static inline void *corpus_xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

static inline void *corpus_xcalloc(size_t n, size_t m)
{
    void *p = calloc(n, m);
    if (!p) {
        fprintf(stderr, "out of memory (%zu x %zu bytes)\n", n, m);
        exit(2);
    }
    return p;
}

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
/* ---- C++ only ---------------------------------------------------------- */
#include <unordered_map>

/* Truth of a libstdc++ unordered container (map or set): the fraction of
 * its buckets with a chain, bucket_size(b) > 0, which is exactly the
 * fraction of non-NULL words in its bucket array. */
template <class Container>
static inline double corpus_bucket_occupancy(const Container &c)
{
    size_t k = 0;
    for (size_t b = 0; b < c.bucket_count(); b++)
        k += c.bucket_size(b) > 0;
    return (double)k / (double)c.bucket_count();
}

/* The session table of the std::unordered_map programs (p3, n6, n8, n12):
 * 500,000 sessions keyed by a random-looking 63-bit id. */
struct Session {
    int64_t user_id;
    int64_t created_ms;
    int64_t last_seen_ms;
    uint64_t bytes_in;
    uint64_t bytes_out;
    uint32_t requests;
    uint32_t flags;
};

typedef std::unordered_map<int64_t, Session> SessionMap;

static inline int64_t session_id(int64_t i) { return (int64_t)(corpus_mix((uint64_t)i) >> 1); }

/* The record stored for session i. */
static inline Session make_session(int64_t i)
{
    Session s = {i, 1000 + i, 2000 + i, (uint64_t)i * 7, (uint64_t)i * 11, 1, 3};
    return s;
}
#endif /* __cplusplus */

#endif /* CORPUS_H */
