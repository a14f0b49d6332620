// stl: C++ standard-library container churn.
//
//     stl [ROUNDS]       (default 40)
//
// Each round fills and drains a std::map<int, std::string>, a
// std::unordered_map<std::string, std::vector<int>>, a vector of strings and
// a vector<std::vector<double>>, the way application code does: node
// allocations for every map insert, bucket arrays that rehash, vectors that
// grow by doubling, strings both inside and beyond the small-string buffer.
// A rolling window of past rounds' containers stays alive, so the live set is
// a few tens of MB that keeps being replaced.  Deterministic (fixed seed).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

struct Round {
    std::map<int, std::string> ordered;
    std::unordered_map<std::string, std::vector<int>> index;
    std::vector<std::string> lines;
};

static std::string make_string(std::mt19937_64 &rng, size_t len)
{
    std::string s;
    for (size_t i = 0; i < len; i++)
        s.push_back(static_cast<char>('a' + rng() % 26)); // grows by doubling
    return s;
}

__attribute__((noinline)) static std::unique_ptr<Round> run_round(std::mt19937_64 &rng, int r)
{
    std::unique_ptr<Round> out(new Round);
    static const size_t lens[] = {4, 12, 24, 40, 90, 300};

    // std::map: one node per insert, plus heap strings past 15 chars
    for (int i = 0; i < 6000; i++) {
        int key = static_cast<int>(rng() % 20000);
        out->ordered[key] = make_string(rng, lens[rng() % 6]);
    }
    for (auto it = out->ordered.begin(); it != out->ordered.end();) {
        if (it->first % 3 == 0)
            it = out->ordered.erase(it);
        else
            ++it;
    }

    // std::unordered_map with vector values: rehashes and vector growth
    for (int i = 0; i < 4000; i++) {
        std::string key = "key_" + std::to_string(rng() % 3000) + "_" + std::to_string(r);
        std::vector<int> &v = out->index[key];
        int n = 1 + static_cast<int>(rng() % 40);
        for (int j = 0; j < n; j++)
            v.push_back(j);
    }
    std::vector<std::string> dead;
    for (auto &kv : out->index)
        if (kv.second.size() < 10)
            dead.push_back(kv.first);
    for (auto &k : dead)
        out->index.erase(k);

    // vector<string>: push_back without reserve, then sort and trim
    for (int i = 0; i < 5000; i++)
        out->lines.push_back(make_string(rng, lens[rng() % 6]) + "|" + std::to_string(i));
    std::sort(out->lines.begin(), out->lines.end());
    out->lines.resize(out->lines.size() / 2);
    out->lines.shrink_to_fit();

    // short-lived temporaries: vector<vector<double>>
    std::vector<std::vector<double>> matrix;
    for (int i = 0; i < 300; i++) {
        matrix.emplace_back();
        for (int j = 0; j < 64 + static_cast<int>(rng() % 64); j++)
            matrix.back().push_back(j * 0.5);
    }
    double sum = 0;
    for (auto &row : matrix)
        sum += row.back();
    if (sum < 0)
        std::abort();
    return out;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? std::atoi(argv[1]) : 40;
    std::mt19937_64 rng(42);
    std::vector<std::unique_ptr<Round>> window(6);
    size_t check = 0;
    for (int r = 0; r < rounds; r++) {
        std::unique_ptr<Round> cur = run_round(rng, r);
        check += cur->ordered.size() + cur->index.size() + cur->lines.size();
        window[r % window.size()] = std::move(cur); // frees the oldest round
    }
    std::printf("stl: %d rounds, checksum %zu\n", rounds, check);
    return 0;
}
