/* test_block_table: src/block_table.c on its own (with arena.o), no preload.
 *
 * The addresses inserted are never dereferenced, so any 16-byte-aligned
 * numbers do.  Tests that need collisions pick addresses by the table's own
 * hash (block_addr_hash, from the header): the shard is the hash's top 6
 * bits and the home slot its low bits, so addresses that agree on both
 * share a probe chain in every array size up to 2^HOME_BITS slots.  If the
 * table's layout changes, those tests still pass but collide less: keep
 * home_of() below in step with block_table.c.
 *
 * Every case leaves the table empty (count 0) for the next one. */
#include "block_table.h"
#include "unit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define HOME_BITS 12

static uint64_t shard_of(uintptr_t a) { return block_addr_hash(a) >> 58; }
static uint64_t home_of(uintptr_t a) { return block_addr_hash(a) & ((1u << HOME_BITS) - 1); }

static struct block make(uintptr_t addr, uint64_t size)
{
    struct block b = {0};
    b.addr = addr;
    b.size = size;
    b.weight = (uint32_t)(size * 7 + 1);
    b.birth_ms = (uint32_t)(addr >> 4);
    return b;
}

static int same(const struct block *a, const struct block *b)
{
    return a->addr == b->addr && a->size == b->size && a->weight == b->weight &&
           a->birth_ms == b->birth_ms && a->site == b->site && a->watch == b->watch;
}

/* n addresses from `start` up (16-byte steps) whose shard is `shard` and
 * whose low HOME_BITS hash bits are `home`. */
static size_t colliding(uintptr_t start, uint64_t shard, uint64_t home, uintptr_t *out, size_t n)
{
    size_t got = 0;
    for (uintptr_t a = start; got < n; a += 16)
        if (shard_of(a) == shard && home_of(a) == home)
            out[got++] = a;
    return got;
}

static void case_basic(void)
{
    UNIT_CASE("insert, find, remove");
    struct block b = make(0x7f0000001000, 4096), got;
    CHECK(!block_find(b.addr, &got), "empty table finds %#lx", (unsigned long)b.addr);
    CHECK(!block_maybe_tracked(b.addr), "filter says maybe before any insert");
    CHECK(block_insert(&b, NULL) == 0, "insert failed");
    CHECK(block_table_count() == 1, "count %zu after one insert", block_table_count());
    CHECK(block_maybe_tracked(b.addr), "filter says untracked after insert");
    CHECK(block_find(b.addr, &got) && same(&got, &b), "find after insert");
    CHECK(!block_find(b.addr + 16, &got), "neighbour address found");
    CHECK(!block_remove(b.addr + 16, &got), "neighbour address removed");
    memset(&got, 0, sizeof got);
    CHECK(block_remove(b.addr, &got) == 1 && same(&got, &b), "remove returns the entry");
    CHECK(!block_find(b.addr, &got), "found after remove");
    CHECK(!block_remove(b.addr, &got), "removed twice");
    CHECK(block_table_count() == 0, "count %zu after remove", block_table_count());
    CHECK(*block_filter_slot(b.addr) == 0, "filter counter %u after remove",
          *block_filter_slot(b.addr));
}

/* Many entries with one home slot: each removal from the middle of the
 * chain must shift the rest back so that every remaining one is found. */
static void case_colliding_chain(void)
{
    UNIT_CASE("colliding homes, removal from every position");
    enum { N = 40 };
    uintptr_t a[N];
    /* Home = last slot of every array size: the chain wraps past the end. */
    CHECK(colliding(0x100000, 5, (1u << HOME_BITS) - 1, a, N) == N, "no colliding addresses");
    for (int victim = 0; victim < N; victim++) {
        for (int i = 0; i < N; i++)
            block_insert(&(struct block){.addr = a[i], .size = (uint64_t)i + 1}, NULL);
        struct block got;
        int removed = block_remove(a[victim], &got) && got.size == (uint64_t)victim + 1;
        int lost = 0, first_lost = -1;
        for (int i = 0; i < N; i++) {
            int found = block_find(a[i], &got);
            int want = i != victim;
            if (found != want || (found && got.size != (uint64_t)i + 1)) {
                if (first_lost < 0)
                    first_lost = i;
                lost++;
            }
        }
        CHECK(removed && lost == 0, "after removing entry %d of a %d-long chain: removed %d, "
              "%d entries wrong (first: %d)", victim, N, removed, lost, first_lost);
        for (int i = 0; i < N; i++)
            block_remove(a[i], &got);
    }
    CHECK(block_table_count() == 0, "count %zu after emptying", block_table_count());
}

/* Random inserts and removes against a plain array as the model, over a
 * pool that mixes a few long collision chains (two of them wrapping) with
 * scattered addresses.  Every so often, every pool address is looked up. */
static void case_reference_model(void)
{
    UNIT_CASE("random operations against a reference model");
    enum { CHAINS = 4, PER_CHAIN = 48, SCATTERED = 600, POOL = CHAINS * PER_CHAIN + SCATTERED };
    static uintptr_t pool[POOL];
    static uint64_t model[POOL];        /* size + 1 when present, 0 when absent */
    const uint64_t homes[CHAINS] = {(1u << HOME_BITS) - 1, (1u << HOME_BITS) - 2, 0, 77};
    size_t n = 0;
    for (int c = 0; c < CHAINS; c++)
        n += colliding(0x200000 + (uintptr_t)c * 0x10000000, (uint64_t)c * 17 % 64, homes[c],
                       pool + n, PER_CHAIN);
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    while (n < POOL)
        pool[n++] = (uintptr_t)(unit_rand(&rng) & 0x7ffffffffff0ull) | 0x10;

    unsigned long ops = 0, mismatches = 0, sweeps = 0;
    char first[200] = "";
    size_t live = 0;
    for (int step = 0; step < 200000; step++) {
        size_t i = unit_rand(&rng) % POOL;
        struct block got;
        int bad = 0;
        if (model[i] && unit_rand(&rng) % 2) {
            bad = !block_remove(pool[i], &got) || got.size != model[i] - 1;
            model[i] = 0;
            live--;
        } else if (!model[i]) {
            uint64_t size = unit_rand(&rng) % 100000;
            bad = block_insert(&(struct block){.addr = pool[i], .size = size}, NULL) != 0;
            model[i] = size + 1;
            live++;
        } else {
            bad = !block_find(pool[i], &got) || got.size != model[i] - 1;
        }
        ops++;
        if (bad && !mismatches++)
            snprintf(first, sizeof first, "step %d, address %#lx", step, (unsigned long)pool[i]);
        if (step % 1000 == 0 || step == 199999) {
            sweeps++;
            for (size_t k = 0; k < POOL; k++) {
                int found = block_find(pool[k], &got);
                if (found != !!model[k] || (found && got.size != model[k] - 1)) {
                    if (!mismatches++)
                        snprintf(first, sizeof first, "sweep at step %d, address %#lx: found %d, "
                                 "model %d", step, (unsigned long)pool[k], found, !!model[k]);
                }
            }
            if (block_table_count() != live && !mismatches++)
                snprintf(first, sizeof first, "step %d: count %zu, model %zu", step,
                         block_table_count(), live);
        }
    }
    CHECK(mismatches == 0, "%lu mismatches over %lu operations and %lu sweeps; first: %s",
          mismatches, ops, sweeps, first);
    for (size_t k = 0; k < POOL; k++)
        if (model[k])
            block_remove(pool[k], &(struct block){0});
    CHECK(block_table_count() == 0, "count %zu after emptying", block_table_count());
    unsigned long nonzero = 0;
    for (size_t k = 0; k < POOL; k++)
        nonzero += *block_filter_slot(pool[k]) != 0;
    CHECK(nonzero == 0, "%lu filter counters still raised after every block was removed", nonzero);
}

/* The filter counts blocks per 16-byte granule modulo 1 MiB: addresses
 * 1 MiB apart share a counter. */
static void case_filter_counts(void)
{
    UNIT_CASE("filter counters rise and fall back to zero");
    const uintptr_t base = 0x5550000, step = (uintptr_t)1 << 20;
    uint16_t *c = block_filter_slot(base);
    CHECK(block_filter_slot(base + 3 * step) == c, "addresses 1 MiB apart do not share a counter");
    CHECK(*c == 0, "counter starts at %u", *c);
    for (int i = 0; i < 5; i++)
        block_insert(&(struct block){.addr = base + i * step, .size = 1}, NULL);
    CHECK(*c == 5, "counter %u after 5 inserts in one granule", *c);
    CHECK(!block_remove(base + 7 * step, &(struct block){0}), "untracked address in a raised "
          "granule removed");
    CHECK(*c == 5, "counter %u after removing an untracked address", *c);
    for (int i = 0; i < 5; i++)
        block_remove(base + i * step, &(struct block){0});
    CHECK(*c == 0, "counter %u after removing all 5", *c);
    CHECK(!block_maybe_tracked(base), "filter still says maybe after all were removed");
}

/* Re-inserting a tracked address: its free was never seen (a library bound
 * to the C library's free).  The new entry replaces the stale one, which is
 * handed back (return 1) so the caller can end its watch; the count and the
 * filter are not raised twice. */
static void case_address_reuse(void)
{
    UNIT_CASE("insert over an existing address hands back the stale entry");
    const uintptr_t a = 0x6660000;
    struct block old = make(a, 100), newer = make(a, 200), got, stale;
    newer.weight = 3;
    newer.watch = (struct watch *)0x1234;
    memset(&stale, 0xab, sizeof stale);
    struct block untouched = stale;
    CHECK(block_insert(&old, &stale) == 0, "first insert did not return 0");
    CHECK(!memcmp(&stale, &untouched, sizeof stale), "a fresh insert wrote *stale");
    CHECK(block_insert(&newer, &stale) == 1, "insert over a tracked address did not return 1");
    CHECK(same(&stale, &old), "stale entry handed back has size %lu, want the old 100",
          (unsigned long)stale.size);
    CHECK(block_table_count() == 1, "count %zu after two inserts at one address",
          block_table_count());
    CHECK(*block_filter_slot(a) == 1, "filter counter %u after two inserts at one address",
          *block_filter_slot(a));
    CHECK(block_find(a, &got) && same(&got, &newer), "find gives size %lu, want the newer 200",
          (unsigned long)got.size);
    CHECK(block_insert(&old, NULL) == 1, "a replacing insert with no *stale did not return 1");
    CHECK(block_find(a, &got) && same(&got, &old), "the replacing insert with no *stale "
          "did not replace");
    CHECK(block_remove(a, &got) && same(&got, &old), "remove gives the newest entry");
    CHECK(!block_find(a, &got), "a stale entry is still there after one remove");
    CHECK(block_table_count() == 0 && *block_filter_slot(a) == 0,
          "count %zu, filter %u after remove", block_table_count(), *block_filter_slot(a));
}

/* Enough blocks that every shard's array grows through the arena's small
 * arrays into mapped ones (and gives those back as it outgrows them). */
static void case_growth(void)
{
    UNIT_CASE("growth");
    enum { N = 150000 };
    uintptr_t *a = malloc(N * sizeof *a);
    uint64_t rng = 12345;
    for (int i = 0; i < N; i++)
        a[i] = 0x10000000000ull + (uintptr_t)i * 48 + ((unit_rand(&rng) % 2) << 4);
    int fails = 0;
    for (int i = 0; i < N; i++)
        fails += block_insert(&(struct block){.addr = a[i], .size = (uint64_t)i}, NULL) != 0;
    CHECK(fails == 0, "%d inserts failed", fails);
    CHECK(block_table_count() == N, "count %zu after %d inserts", block_table_count(), N);
    int lost = 0;
    struct block got;
    for (int i = 0; i < N; i++)
        lost += !block_find(a[i], &got) || got.size != (uint64_t)i;
    CHECK(lost == 0, "%d of %d blocks not found after growth", lost, N);
    int unremoved = 0;
    for (int i = 0; i < N; i += 2)
        unremoved += !block_remove(a[i], &got);
    lost = 0;
    for (int i = 1; i < N; i += 2)
        lost += !block_find(a[i], &got) || got.size != (uint64_t)i;
    CHECK(unremoved == 0 && lost == 0, "removing every other block: %d not removed, %d others "
          "lost", unremoved, lost);
    for (int i = 1; i < N; i += 2)
        block_remove(a[i], &got);
    CHECK(block_table_count() == 0, "count %zu after emptying", block_table_count());
    free(a);
}

/* Threads inserting and removing their own addresses, which share shards
 * (and filter counters). */
struct worker { int id; int errors; };

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    enum { M = 4000 };
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < M; i++) {
            uintptr_t a = 0x20000000000ull + ((uintptr_t)i * 8 + (uintptr_t)w->id) * 16;
            w->errors += block_insert(&(struct block){.addr = a, .size = (uint64_t)w->id}, NULL) != 0;
        }
        for (int i = 0; i < M; i++) {
            uintptr_t a = 0x20000000000ull + ((uintptr_t)i * 8 + (uintptr_t)w->id) * 16;
            struct block got;
            w->errors += !block_remove(a, &got) || got.size != (uint64_t)w->id;
        }
    }
    return NULL;
}

static void case_threads(void)
{
    UNIT_CASE("concurrent insert and remove");
    enum { T = 4 };
    pthread_t t[T];
    struct worker w[T];
    for (int i = 0; i < T; i++) {
        w[i] = (struct worker){.id = i};
        pthread_create(&t[i], NULL, worker_run, &w[i]);
    }
    int errors = 0;
    for (int i = 0; i < T; i++) {
        pthread_join(t[i], NULL);
        errors += w[i].errors;
    }
    CHECK(errors == 0, "%d operations went wrong across %d threads", errors, T);
    CHECK(block_table_count() == 0, "count %zu after every thread removed its blocks",
          block_table_count());
    int raised = 0;
    for (uintptr_t a = 0x20000000000ull; a < 0x20000000000ull + 4000 * 8 * 16; a += 16)
        raised += *block_filter_slot(a) != 0;
    CHECK(raised == 0, "%d filter counters raised after the threads finished", raised);
}

/* Last: it leaves one counter at the top for good, which is the contract (a
 * saturated counter no longer knows how many blocks it covers). */
static void case_filter_saturation(void)
{
    UNIT_CASE("saturated filter counter stays");
    const uintptr_t base = 0x7770000, step = (uintptr_t)1 << 20;
    const int n = UINT16_MAX + 10;
    uint16_t *c = block_filter_slot(base);
    for (int i = 0; i < n; i++)
        block_insert(&(struct block){.addr = base + (uintptr_t)i * step, .size = 1}, NULL);
    CHECK(*c == UINT16_MAX, "counter %u after %d inserts in one granule", *c, n);
    CHECK(block_table_count() == (size_t)n, "count %zu, want %d", block_table_count(), n);
    int lost = 0;
    for (int i = 0; i < n; i++)
        lost += !block_remove(base + (uintptr_t)i * step, &(struct block){0});
    CHECK(lost == 0, "%d blocks behind a saturated counter not removed", lost);
    CHECK(*c == UINT16_MAX, "saturated counter fell to %u", *c);
    CHECK(block_maybe_tracked(base), "saturated counter says untracked");
    CHECK(!block_remove(base, &(struct block){0}), "removed an untracked block behind a "
          "saturated counter");
    CHECK(block_table_count() == 0, "count %zu after emptying", block_table_count());
}

int main(void)
{
    block_table_init();
    case_basic();
    case_colliding_chain();
    case_reference_model();
    case_filter_counts();
    case_address_reuse();
    case_growth();
    case_threads();
    case_filter_saturation();
    return unit_done();
}
