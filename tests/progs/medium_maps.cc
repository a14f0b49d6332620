// medium_maps: many medium blocks from one call site, as a service keeps a
// map per user.  1,500 std::unordered_maps, each with a bucket array of
// 42,043 buckets (328 KiB: what 20,754 to 42,043 entries grow it to), and
// what becomes of them by mode:
//   drained   every map filled, then cleared (the bucket arrays keep their
//             size: ~490 MiB held by empty maps)
//   full      every map filled and kept full
//   one       every map kept full but the first, cleared
//   buffers   short-lived 128 KiB buffers from one site (malloc, fill, free)
//   bytes     1,500 byte buffers of 128 KiB filled with data, then mostly
//             zeroed (consumed): not tables
// The maps are reserved rather than grown entry by entry, with 8,000 entries
// each: the same bucket arrays from the same allocator call
// (_M_allocate_buckets), at a fraction of the nodes' memory and time.
// A second argument "keep" leaves the maps allocated at exit (else they are
// destroyed at the end of main, before the exit report).
// Prints its own truth: TRUTH blocks=N block_bytes=B capacity=C retained=R.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <unordered_map>
#include <vector>

#define NOINLINE __attribute__((noinline, noclone))

static const int MAPS = 1500;
static const int ENTRIES = 8000;

typedef std::unordered_map<long, long> Map;

static void sleep_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&t, nullptr);
}

NOINLINE static Map *make_user_map(long user)
{
    Map *m = new Map;
    m->reserve(42000);
    for (long i = 0; i < ENTRIES; i++)
        (*m)[user * 1000003L + i * 7919L] = i;
    return m;
}

static int maps_mode(const char *mode, bool keep)
{
    std::vector<Map *> maps;
    maps.reserve(MAPS);
    for (int u = 0; u < MAPS; u++)
        maps.push_back(make_user_map(u));
    size_t bucket_bytes = maps[0]->bucket_count() * sizeof(void *);
    sleep_ms(600);                      // in use, full
    int drained = 0;
    if (!strcmp(mode, "drained")) {
        for (Map *m : maps)
            m->clear();
        drained = MAPS;
    } else if (!strcmp(mode, "one")) {
        maps[0]->clear();
        drained = 1;
    }
    sleep_ms(2500);                     // held: older than RETAIN_MIN_AGE, retained a while
    long entries = 0;
    for (Map *m : maps)
        entries += (long)m->size();
    printf("TRUTH blocks=%d block_bytes=%zu capacity=%zu retained=%zu entries=%ld\n", MAPS,
           bucket_bytes, bucket_bytes * MAPS, bucket_bytes * drained, entries);
    if (!keep)
        for (Map *m : maps)
            delete m;
    return 0;
}

NOINLINE static void churn_buffer(size_t n, int i)
{
    char *b = (char *)malloc(n);
    __asm__ volatile("" : : "r"(b) : "memory");     // the pair must not be optimised away
    memset(b, i & 0xff, n);
    __asm__ volatile("" : : "r"(b) : "memory");
    free(b);
}

NOINLINE static char *byte_buffer(size_t n, int i)
{
    char *b = (char *)malloc(n);
    for (size_t k = 0; k < n; k++)
        b[k] = (char)(k * 31 + i + 1) | 1;      // data, never zero
    return b;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "drained";
    if (!strcmp(mode, "buffers")) {
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        long n = 0;
        do {
            churn_buffer(128 * 1024, (int)n++);
            clock_gettime(CLOCK_MONOTONIC, &t);
        } while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 2500);
        printf("TRUTH buffers churned, retained=0\n");
        return 0;
    }
    if (!strcmp(mode, "bytes")) {
        const size_t n = 128 * 1024;
        std::vector<char *> bufs;
        for (int i = 0; i < MAPS; i++)
            bufs.push_back(byte_buffer(n, i));
        sleep_ms(600);
        for (char *b : bufs)
            memset(b, 0, n - n / 10);   // consumed: nine tenths zero
        sleep_ms(2500);
        printf("TRUTH blocks=%d block_bytes=%zu capacity=%zu retained=0\n", MAPS, n, n * MAPS);
        for (char *b : bufs)
            free(b);
        return 0;
    }
    return maps_mode(mode, argc > 2 && !strcmp(argv[2], "keep"));
}
