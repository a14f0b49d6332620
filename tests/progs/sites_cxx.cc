// sites_cxx: exact per-site counts through operator new, with C++ names that
// the report must demangle (demo::Pool::fill(int), demo::make_strings(...)).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#define NOINLINE __attribute__((noinline, noclone))

namespace demo {

struct Node {
    long key;
    long value;
    Node *next;
    char pad[24];
};
static_assert(sizeof(Node) == 48, "Node is 48 bytes");

struct Pool {
    Node *nodes[64];
    int count = 0;
    NOINLINE void fill(int n);
    NOINLINE void drop(int n);
};

// n x new Node (48 bytes each).
void Pool::fill(int n)
{
    for (int i = 0; i < n; i++) {
        Node *x = new Node;
        std::memset(x, 0, sizeof *x);
        x->key = i;
        nodes[count++] = x;
    }
}

void Pool::drop(int n)
{
    for (int i = 0; i < n; i++)
        delete nodes[--count];
}

// 30 x new char[333] (array new of a trivial type: exactly 333 bytes asked
// for); 10 released with delete[].
static char *arrays[30];
NOINLINE void make_arrays(unsigned long len)
{
    for (int i = 0; i < 30; i++) {
        arrays[i] = new char[len];
        std::memset(arrays[i], 'a', len);
    }
    for (int i = 0; i < 10; i++) {
        delete[] arrays[i];
        arrays[i] = nullptr;
    }
}

} // namespace demo

static demo::Pool *pool;

int main()
{
    pool = new demo::Pool;   // from main: not counted for fill()
    pool->fill(64);
    pool->drop(16);
    demo::make_arrays(333);

    std::vector<std::string> words;
    for (int i = 0; i < 100; i++)
        words.push_back("word number " + std::to_string(i) + " is long enough to live on the heap");
    size_t total = 0;
    for (auto &w : words)
        total += w.size();

    std::printf("EXPECT demo::Pool::fill(int) 64 16 %d\n", 48 * 48);
    std::printf("EXPECT demo::make_arrays(unsigned long) 30 10 %d\n", 20 * 333);
    std::printf("pool holds %d nodes, strings total %zu chars\n", pool->count, total);
    return 0;
}
