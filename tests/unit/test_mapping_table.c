/* test_mapping_table: tracked mappings by range (mapping_table.c), against
 * a model: a page map of which entry (by its lo) holds each page. */
#include "mapping_table.h"
#include "dynsym.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define PAGES 512
#define PAGE 4096u
#define BASE ((uintptr_t)0x40000000)

static uintptr_t model[PAGES];  /* lo of the entry holding the page, 0 none */

static int model_free(size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (model[i])
            return 0;
    return 1;
}

static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

int main(void)
{
    UNIT_CASE("insert, find, cut at the head, the tail, the middle, across entries");
    struct mapping m = { .lo = BASE, .hi = BASE + 16 * PAGE };
    CHECK(mapping_insert(&m) == 0, "insert failed");
    m.lo = BASE + 32 * PAGE;
    m.hi = BASE + 40 * PAGE;
    CHECK(mapping_insert(&m) == 0, "insert failed");
    struct mapping got;
    CHECK(mapping_find(BASE + 15 * PAGE, &got) && got.lo == BASE, "find inside the first");
    CHECK(!mapping_find(BASE + 16 * PAGE, &got), "found past the first's end");
    CHECK(mapping_find(BASE + 32 * PAGE, &got) && got.hi == BASE + 40 * PAGE, "find the second");
    struct mapping out[4];
    CHECK(mapping_cut(BASE + 20 * PAGE, BASE + 30 * PAGE, out, 4) == 0, "cut in a hole took something");
    int n = mapping_cut(BASE + 8 * PAGE, BASE + 34 * PAGE, out, 4);
    CHECK(n == 2 && out[0].lo == BASE && out[1].lo == BASE + 32 * PAGE,
          "cut across both: %d taken", n);
    CHECK(mapping_table_empty(), "entries left after cutting them all");
    CHECK(mapping_cut(BASE, BASE + 64 * PAGE, out, 4) == 0, "cut of an empty table");

    UNIT_CASE("random inserts and cuts match a page model");
    unsigned seed = 42;
    int mismatches = 0;
    for (int step = 0; step < 20000; step++) {
        size_t a = rnd(&seed) % PAGES, len = 1 + rnd(&seed) % 32, b = a + len > PAGES ? PAGES : a + len;
        if (rnd(&seed) % 2) {
            if (!model_free(a, b))
                continue;
            struct mapping e = { .lo = BASE + a * PAGE, .hi = BASE + b * PAGE };
            if (mapping_insert(&e) != 0)
                mismatches++;
            for (size_t i = a; i < b; i++)
                model[i] = e.lo;
        } else {
            struct mapping cut[3];
            int k;
            do {
                k = mapping_cut(BASE + a * PAGE, BASE + b * PAGE, cut, 3);
                for (int j = 0; j < k; j++) {
                    size_t lo = (cut[j].lo - BASE) / PAGE, hi = (cut[j].hi - BASE) / PAGE;
                    if (lo >= b || hi <= a)
                        mismatches++;   /* did not overlap the range */
                    for (size_t i = lo; i < hi; i++) {
                        if (model[i] != cut[j].lo)
                            mismatches++;
                        model[i] = 0;
                    }
                }
            } while (k == 3);
            if (!model_free(a, b))
                mismatches++;   /* something overlapping stayed */
        }
        size_t probe = rnd(&seed) % PAGES;
        int found = mapping_find(BASE + probe * PAGE + 8, &got);
        if (found != (model[probe] != 0) || (found && got.lo != model[probe]))
            mismatches++;
    }
    CHECK(mismatches == 0, "%d mismatches against the model", mismatches);

    UNIT_CASE("dynsym: which loaded object defines malloc");
    CHECK(dynsym_object_at_defines((uintptr_t)malloc, "malloc"), "the C library does not define malloc");
    CHECK(!dynsym_object_at_defines((uintptr_t)main, "malloc"), "this test program defines malloc");
    CHECK(dynsym_object_at_defines((uintptr_t)strlen, "strlen"), "the C library does not define strlen");
    CHECK(!dynsym_object_at_defines((uintptr_t)strlen, "no_such_function_here"), "found a missing name");
    CHECK(!dynsym_object_at_defines(16, "malloc"), "an address no object holds");
    return unit_done();
}
