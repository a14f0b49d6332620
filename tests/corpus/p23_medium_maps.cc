/*
 * p23_medium_maps (POSITIVE, a site finding): many medium tables from one
 * call site, all drained -- a map per user, as services keep them.
 *
 * 1,500 std::unordered_map<long, long>, each reserve()d for 42,000 entries
 * (a bucket array of 42,043 buckets: 328 KiB, below RETAIN_MIN_SIZE, so no
 * block of its own is ever judged) and given 8,000 entries; held 1.2 s;
 * every map clear()ed (libstdc++ keeps the bucket array: ~490 MiB held by
 * empty maps); held 1.5 s; exit with the maps still allocated (a service
 * that keeps its users' maps).  The finding wanted is one of "kind":
 * "site" at make_user_map, about 1,500 blocks totalling 1,500 x 328 KiB.
 *
 * Truth: blocks=1500, capacity_bytes = the sum of the bucket arrays,
 * peak_occupancy = the mean fraction of non-empty buckets at the peak
 * (bucket_size(b) > 0; every 10th map counted), occupancy = the same after
 * clear() (0: every bucket NULL).
 */
#include "corpus.h"
#include <vector>

static const int MAPS = 1500;
static const long ENTRIES = 8000;

typedef std::unordered_map<long, long> Map;

NOINLINE static Map *make_user_map(long user)
{
    Map *m = new Map;
    m->reserve(42000);
    for (long i = 0; i < ENTRIES; i++)
        (*m)[user * 1000003L + i * 7919L] = i;
    return m;
}

static double mean_occupancy(const std::vector<Map *> &maps)
{
    double sum = 0;
    int n = 0;
    for (size_t u = 0; u < maps.size(); u += 10, n++)
        sum += corpus_bucket_occupancy(*maps[u]);
    return sum / n;
}

int main(void)
{
    corpus_start();
    std::vector<Map *> maps;
    maps.reserve(MAPS);
    for (int u = 0; u < MAPS; u++)
        maps.push_back(make_user_map(u));
    size_t capacity = 0;
    for (Map *m : maps)
        capacity += m->bucket_count() * sizeof(void *);
    double peak = mean_occupancy(maps);
    corpus_phase("peak", "maps=%d bucket_bytes=%zu capacity=%zu occupancy=%.4f", MAPS,
                 maps[0]->bucket_count() * sizeof(void *), capacity, peak);
    corpus_sleep(HOLD_PEAK_S);
    for (Map *m : maps)
        m->clear();
    double occ = mean_occupancy(maps);
    fprintf(stderr, "CORPUS-TRUTH capacity_bytes=%zu peak_occupancy=%.4f occupancy=%.4f blocks=%d\n",
            capacity, peak, occ, MAPS);
    corpus_phase("drained", "every map cleared");
    corpus_sleep(HOLD_DRAINED_S);
    return 0;                           /* the maps stay allocated */
}
