/* test_site_table: src/site_table.c on its own (with arena.o), no preload.
 *
 * Threads intern the same set of stacks at once, each in its own order, so
 * that first interns race each other and the index grows (it starts at 1024
 * slots and grows past half full) while other threads are looking up in it.
 * Stacks come in families that are prefixes of one another (same frames,
 * different depth), which must still be distinct sites. */
#include "site_table.h"
#include "unit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { STACKS = 3000, MAXDEPTH = 16, THREADS = 4, ROUNDS = 3 };

static int depth_of(int k) { return 1 + k % MAXDEPTH; }

static void stack_of(int k, uintptr_t *ips)
{
    for (int i = 0; i < depth_of(k); i++)
        ips[i] = 0x400000 + (uintptr_t)(k / MAXDEPTH) * 0x1000 + (uintptr_t)i * 8;
}

struct worker {
    int id;
    struct site *got[STACKS];   /* what this thread was given for each stack */
    int nulls, changed;
};

static pthread_barrier_t start;

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    uint64_t rng = 0x1234567ull * (uint64_t)(w->id + 1);
    int order[STACKS];
    for (int k = 0; k < STACKS; k++)
        order[k] = k;
    pthread_barrier_wait(&start);
    for (int round = 0; round < ROUNDS; round++) {
        for (int k = STACKS - 1; k > 0; k--) {          /* a fresh shuffle each round */
            int j = (int)(unit_rand(&rng) % (uint64_t)(k + 1)), t = order[k];
            order[k] = order[j];
            order[j] = t;
        }
        for (int n = 0; n < STACKS; n++) {
            int k = order[n];
            uintptr_t ips[MAXDEPTH];
            stack_of(k, ips);
            struct site *s = site_intern(ips, depth_of(k));
            if (!s) {
                w->nulls++;
                continue;
            }
            if (w->got[k] && w->got[k] != s)
                w->changed++;
            w->got[k] = s;
            site_account_alloc(s, 1, (uint64_t)k + 1);
            if (round == ROUNDS - 1)
                site_account_free(s, 1, (uint64_t)k + 1);
        }
    }
    return NULL;
}

static struct worker workers[THREADS];

int main(void)
{
    site_table_init();
    UNIT_CASE("concurrent interning");
    pthread_barrier_init(&start, NULL, THREADS);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i].id = i;
        pthread_create(&t[i], NULL, worker_run, &workers[i]);
    }
    int nulls = 0, changed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        nulls += workers[i].nulls;
        changed += workers[i].changed;
    }
    CHECK(nulls == 0, "site_intern returned NULL %d times", nulls);
    CHECK(changed == 0, "a thread got a different site for the same stack %d times", changed);

    UNIT_CASE("one site per stack");
    int disagree = 0, wrong_stack = 0, first = -1;
    for (int k = 0; k < STACKS; k++) {
        struct site *s = workers[0].got[k];
        for (int i = 1; i < THREADS; i++)
            if (workers[i].got[k] != s) {
                disagree++;
                if (first < 0)
                    first = k;
            }
        uintptr_t ips[MAXDEPTH];
        stack_of(k, ips);
        if (s && (s->nframes != (uint32_t)depth_of(k) ||
                  memcmp(s->ips, ips, sizeof *ips * (size_t)depth_of(k))))
            wrong_stack++;
    }
    CHECK(disagree == 0, "threads were given different sites for one stack %d times (first: "
          "stack %d)", disagree, first);
    CHECK(wrong_stack == 0, "%d sites hold a stack other than the one interned", wrong_stack);
    CHECK(site_count() == STACKS, "site_count %u, want %d", site_count(), STACKS);

    UNIT_CASE("ids unique, list complete");
    static unsigned char seen_id[STACKS + 1];
    int listed = 0, bad_id = 0, dup_id = 0;
    for (struct site *s = site_list(); s; s = s->next_all) {
        listed++;
        if (s->id < 1 || s->id > STACKS)
            bad_id++;
        else if (seen_id[s->id]++)
            dup_id++;
    }
    CHECK(listed == STACKS, "site_list has %d sites, want %d", listed, STACKS);
    CHECK(bad_id == 0 && dup_id == 0, "ids: %d outside 1..%d, %d repeated", bad_id, STACKS, dup_id);
    int newest_first = 1;
    uint32_t prev = UINT32_MAX;
    for (struct site *s = site_list(); s; s = s->next_all) {
        newest_first &= s->id < prev;
        prev = s->id;
    }
    CHECK(newest_first, "site_list is not newest first");

    UNIT_CASE("counts");
    int bad_counts = 0;
    for (int k = 0; k < STACKS && workers[0].got[k]; k++) {
        struct site *s = workers[0].got[k];
        uint64_t n = THREADS * ROUNDS, bytes = (uint64_t)k + 1;
        if (s->allocations != n || s->frees != THREADS ||
            s->live_bytes != (int64_t)((n - THREADS) * bytes) ||
            s->peak_live_bytes < s->live_bytes || s->peak_live_bytes > (int64_t)(n * bytes)) {
            if (!bad_counts++)
                printf("  first wrong: stack %d: allocations %lu frees %lu live %ld peak %ld; want %lu, %d, "
                      "%lu, between live and %lu", k, (unsigned long)s->allocations,
                      (unsigned long)s->frees, (long)s->live_bytes, (long)s->peak_live_bytes,
                      (unsigned long)n, THREADS, (unsigned long)((n - THREADS) * bytes),
                      (unsigned long)(n * bytes));
        }
    }
    CHECK(bad_counts == 0, "%d sites with wrong counts", bad_counts);

    UNIT_CASE("lookups after the fact");
    int relookup = 0;
    for (int k = 0; k < STACKS; k++) {
        uintptr_t ips[MAXDEPTH];
        stack_of(k, ips);
        relookup += site_intern(ips, depth_of(k)) != workers[0].got[k];
    }
    CHECK(relookup == 0, "%d stacks interned again gave another site", relookup);
    CHECK(site_count() == STACKS, "site_count %u after looking up known stacks", site_count());

    UNIT_CASE("interpreter words are part of the key");
    {
        uintptr_t ips[MAXDEPTH], a[4] = { 0x1000, 0x20, 0x2000, 0x40 }, b[4] = { 0x1000, 0x22, 0x2000, 0x40 };
        stack_of(0, ips);
        struct site *native = site_intern(ips, depth_of(0));
        struct site *sa = site_intern_with(ips, depth_of(0), a, 4);
        struct site *sb = site_intern_with(ips, depth_of(0), b, 4);
        struct site *sa2 = site_intern_with(ips, depth_of(0), a, 4);
        struct site *short2 = site_intern_with(ips, depth_of(0), a, 2);
        CHECK(sa && sb && short2 && sa != native && sb != native && sa != sb && short2 != sa,
              "native %p, words a %p, words b %p, a's first frame %p: expected four sites",
              (void *)native, (void *)sa, (void *)sb, (void *)short2);
        CHECK(sa2 == sa, "the same words gave another site (%p, %p)", (void *)sa, (void *)sa2);
        CHECK(sa && sa->nframes == (uint32_t)depth_of(0) && sa->nwords == 4 &&
              sa->ips[sa->nframes + 1] == 0x20 && sa->ips[sa->nframes + 3] == 0x40,
              "the words are kept after the native frames");
        CHECK(site_count() == STACKS + 3, "site_count %u, expected %d", site_count(), STACKS + 3);
    }
    return unit_done();
}
