/* test_big_internal: libretain's own large allocations (big_internal.c):
 * ownership, sizes, zeroing, the slot table filling up, and threads
 * allocating and freeing at once while others look pointers up. */
#include "big_internal.h"
#include "unit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PER_THREAD 2000

static void *churn(void *arg)
{
    long bad = 0;
    for (int i = 0; i < PER_THREAD; i++) {
        size_t n = BIG_INTERNAL_MIN + (size_t)(i % 7) * 4096;
        unsigned char *p = big_internal_alloc(n);
        if (!p)
            continue;           /* the table may be full for a moment */
        size_t got = 0;
        if (!big_internal_owns(p, &got) || got < n || p[n - 1] != 0)
            bad++;
        memset(p, 0xab, n);
        if (!big_internal_free(p))
            bad++;
    }
    return (void *)bad;
}

int main(void)
{
    UNIT_CASE("one allocation");
    size_t n = 300 * 1024;
    unsigned char *p = big_internal_alloc(n);
    CHECK(p != NULL && ((uintptr_t)p & 15) == 0, "no 16-aligned block: %p", (void *)p);
    size_t got = 0;
    CHECK(big_internal_owns(p, &got) && got >= n, "owns: usable %zu for %zu", got, n);
    CHECK(p[0] == 0 && p[n - 1] == 0, "not zeroed");
    int x;
    void *heap = malloc(64);
    CHECK(!big_internal_owns(&x, NULL) && !big_internal_owns(heap, NULL) &&
              !big_internal_owns(p + 16, NULL), "owns a pointer it did not hand out");
    CHECK(!big_internal_free(heap), "freed a heap block");
    free(heap);
    CHECK(big_internal_free(p), "did not free its own");
    CHECK(!big_internal_owns(p, NULL) && !big_internal_any(), "still owned after free");
    CHECK(!big_internal_free(p), "freed twice");

    UNIT_CASE("the table fills, then gives slots back");
    void *all[300];
    int made = 0;
    while (made < 300 && (all[made] = big_internal_alloc(BIG_INTERNAL_MIN)) != NULL)
        made++;
    CHECK(made >= 64 && made < 300, "%d slots before the table refused", made);
    for (int i = 0; i < made; i++)
        big_internal_free(all[i]);
    CHECK(!big_internal_any(), "%d still live", big_internal_live);
    void *again = big_internal_alloc(BIG_INTERNAL_MIN);
    CHECK(again != NULL, "no slot after all were freed");
    big_internal_free(again);

    UNIT_CASE("four threads at once");
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, churn, NULL);
    long bad = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (long)r;
    }
    CHECK(bad == 0, "%ld bad allocations or frees", bad);
    CHECK(!big_internal_any(), "%d still live after every thread freed its own", big_internal_live);
    return unit_done();
}
