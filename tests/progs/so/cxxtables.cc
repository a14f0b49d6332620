// A C++ library with a C entry point, for tests/progs/dlcxx.c: loaded with
// dlopen(RTLD_LOCAL) into a C program, so its libstdc++ stays in the
// library's own scope and the program has no __cxa_demangle to find.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tables {

class Registry {
public:
    // 16 MiB of slots, filled; kept until release().
    __attribute__((noinline)) std::size_t grow(std::size_t slots)
    {
        slots_.assign(slots, 0);
        for (std::size_t i = 0; i < slots; i++)
            slots_[i] = (std::uint64_t)i * 2654435761u | 1;
        return slots_.size();
    }
    void release() { std::vector<std::uint64_t>().swap(slots_); }

private:
    std::vector<std::uint64_t> slots_;
};

}  // namespace tables

static tables::Registry registry;

extern "C" std::size_t cxxtables_fill(std::size_t slots) { return registry.grow(slots); }
extern "C" void cxxtables_release(void) { registry.release(); }
