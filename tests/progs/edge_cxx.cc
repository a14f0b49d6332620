// edge_cxx: the C++ allocation paths (new/delete, new[]/delete[], aligned and
// nothrow new, bad_alloc, standard containers).  Prints deterministic results;
// must behave identically with and without libretain.
#include <cstdint>
#include <cstdio>
#include <list>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

static int failures;

static void check(bool cond, const char *what)
{
    std::printf("%s %s\n", cond ? "ok" : "FAIL", what);
    if (!cond)
        failures++;
}

struct Tracked {
    static int alive;
    std::string name;
    explicit Tracked(int i) : name("tracked object number " + std::to_string(i)) { alive++; }
    ~Tracked() { alive--; }
};
int Tracked::alive;

struct alignas(256) Wide {
    char bytes[256];
};

static volatile size_t huge = SIZE_MAX / 4;

int main()
{
    // new / delete
    int *one = new int(42);
    check(*one == 42, "new int");
    delete one;

    // new[] / delete[] with destructors (array cookie)
    Tracked *arr = new Tracked[17]{Tracked(0), Tracked(1), Tracked(2), Tracked(3), Tracked(4),
                                   Tracked(5), Tracked(6), Tracked(7), Tracked(8), Tracked(9),
                                   Tracked(10), Tracked(11), Tracked(12), Tracked(13), Tracked(14),
                                   Tracked(15), Tracked(16)};
    check(Tracked::alive == 17, "new[] constructs 17");
    delete[] arr;
    check(Tracked::alive == 0, "delete[] destroys 17");

    // over-aligned new
    std::vector<Wide *> wides;
    bool aligned_ok = true;
    for (int i = 0; i < 50; i++) {
        Wide *w = new Wide;
        aligned_ok &= (reinterpret_cast<uintptr_t>(w) % 256) == 0;
        w->bytes[255] = (char)i;
        wides.push_back(w);
    }
    for (Wide *w : wides)
        delete w;
    check(aligned_ok, "alignas(256) new is 256-aligned");

    // nothrow new of an impossible size
    char *nt = new (std::nothrow) char[huge];
    check(nt == nullptr, "nothrow new of a huge size returns nullptr");

    // throwing new of an impossible size
    bool threw = false;
    try {
        char *t = new char[huge];
        t[0] = 1;
        delete[] t;
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    check(threw, "new of a huge size throws bad_alloc");

    // containers
    std::vector<int> v;
    for (int i = 0; i < 100000; i++)
        v.push_back(i * 3);
    long vsum = 0;
    for (int x : v)
        vsum += x;
    v.resize(10);
    v.shrink_to_fit();
    std::printf("vector sum %ld, capacity after shrink %zu\n", vsum, v.capacity());

    std::string s;
    for (int i = 0; i < 2000; i++)
        s += std::to_string(i % 10);
    std::printf("string length %zu, prefix %s\n", s.size(), s.substr(0, 12).c_str());

    std::map<std::string, int> m;
    for (int i = 0; i < 5000; i++)
        m["key-" + std::to_string(i * 7919 % 5000)] += i;
    long msum = 0;
    for (auto &kv : m)
        msum += kv.second;
    std::printf("map size %zu sum %ld first %s last %s\n", m.size(), msum, m.begin()->first.c_str(),
                m.rbegin()->first.c_str());
    for (int i = 0; i < 5000; i += 2)
        m.erase("key-" + std::to_string(i));
    std::printf("map size after erase %zu\n", m.size());

    std::unordered_map<int, std::string> um;
    for (int i = 0; i < 20000; i++)
        um[i] = std::to_string(i);
    for (int i = 0; i < 20000; i++)
        if (i % 3)
            um.erase(i);
    long usum = 0;
    for (auto &kv : um)
        usum += kv.first;
    std::printf("unordered_map size %zu sum %ld\n", um.size(), usum);

    std::list<std::unique_ptr<Tracked>> l;
    for (int i = 0; i < 300; i++)
        l.emplace_back(new Tracked(i));
    check(Tracked::alive == 300, "unique_ptr list holds 300");
    l.clear();
    check(Tracked::alive == 0, "list clear destroys all");

    auto sp = std::make_shared<std::vector<double>>(1000, 1.5);
    double dsum = 0;
    for (double d : *sp)
        dsum += d;
    std::printf("shared vector sum %.1f\n", dsum);

    std::printf("%d failures\n", failures);
    return failures != 0;
}
