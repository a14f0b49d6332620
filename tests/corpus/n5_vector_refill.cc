/*
 * n5_vector_refill (NEGATIVE): vectors that are clear()ed and refilled, over
 * and over, so their capacity stays in use.
 *
 * A frame loop keeps two work lists: std::vector<Item*> (260,000 pointers
 * to items allocated for the frame, capacity 262,144 = 2 MiB) and
 * std::vector<Record> (120,000 32-byte structs, capacity 131,072 = 4 MiB).
 * Each frame fills both, processes them, frees the items and clear()s both
 * vectors (capacity kept, stale pointers left behind until the next fill).
 * Frames take ~20 ms and run for 2.7 s; the program exits with both vectors
 * full.  The vectors are empty for a few milliseconds at a time, never for
 * long: nothing to flag.
 */
#include "corpus.h"
#include <vector>

struct Item {
    uint64_t id;
    uint64_t state;
};

struct Record {
    uint64_t key;
    uint64_t a, b, c;
};

#define N_ITEMS 260000
#define N_RECORDS 120000

NOINLINE void fill_frame(std::vector<Item *> &items, std::vector<Record> &recs, uint64_t frame)
{
    for (uint64_t i = 0; i < N_ITEMS; i++)
        items.push_back(new Item{frame * N_ITEMS + i, 1});
    for (uint64_t i = 0; i < N_RECORDS; i++)
        recs.push_back(Record{i + 1, frame, i * 3 + 1, i * 5 + 1});
}

NOINLINE uint64_t process_frame(std::vector<Item *> &items, std::vector<Record> &recs)
{
    uint64_t s = 0;
    for (Item *it : items)
        s += it->id ^ it->state;
    for (const Record &r : recs)
        s += r.a + r.b;
    return s;
}

NOINLINE void end_frame(std::vector<Item *> &items, std::vector<Record> &recs)
{
    for (Item *it : items)
        delete it;
    items.clear();
    recs.clear();
}

int main()
{
    corpus_start();
    std::vector<Item *> items;
    std::vector<Record> recs;
    double end = corpus_now() + HOLD_PEAK_S + HOLD_DRAINED_S;
    uint64_t frame = 0, sum = 0;
    fill_frame(items, recs, frame);
    while (corpus_now() < end) {
        sum += process_frame(items, recs);
        corpus_sleep(0.010);
        end_frame(items, recs);
        fill_frame(items, recs, ++frame);
    }
    corpus_phase("exit", "frames=%llu items_capacity=%zu records_capacity=%zu sum=%llx",
                 (unsigned long long)frame + 1, items.capacity(), recs.capacity(),
                 (unsigned long long)sum);
    return 0;
}
