/*
 * test_stdlib_frames: which frames are the language's runtime and standard
 * library (src/stdlib_frames.c), on demangled names taken from real reports
 * (tests/progs/rust/rust_names.rs legacy and v0, a HashMap program,
 * tests/corpus C++ programs), and how the text report shortens Rust names
 * (short_function_name in src/symbolize.c).
 *
 * - Rust: core, alloc, std, hashbrown and __-crates by the path's root; an
 *   impl by its type or its trait (`<T as Trait>`), inherent methods of
 *   primitives as the standard library's;
 * - negatives a careless rule would flag: the program's own module named
 *   `alloc`, crates whose names start like a std crate (`core_tables`,
 *   `std_cache`), std:: in generic arguments, the program's trait on a std
 *   type, the program's type under a std trait; the same names judged as
 *   C++ (a C++ namespace `core` is the program's);
 * - C++: std and __ roots after the return type, operator new; the
 *   program's function with std:: arguments or a std:: return type is not.
 */
#include "demangle.h"
#include "stdlib_frames.h"
#include "symbolize.h"
#include "unit.h"

#include <string.h>

struct judged {
    const char *name;
    int mangling;
    int stdlib;
};

static const struct judged cases[] = {
    /* Rust standard library frames of real allocation stacks */
    { "alloc::alloc::alloc_zeroed", MANGLING_RUST, 1 },
    { "<alloc::alloc::Global>::alloc_impl_runtime", MANGLING_RUST, 1 },
    { "<alloc::alloc::Global as core::alloc::Allocator>::allocate_zeroed", MANGLING_RUST, 1 },
    { "<alloc::raw_vec::RawVecInner>::try_allocate_in", MANGLING_RUST, 1 },
    { "<alloc::raw_vec::RawVec<core::option::Option<alloc::boxed::Box<u64>>>>::with_capacity_zeroed_in",
      MANGLING_RUST, 1 },
    { "<core::option::Option<alloc::boxed::Box<u64>> as alloc::vec::spec_from_elem::SpecFromElem>"
      "::from_elem::<alloc::alloc::Global>", MANGLING_RUST, 1 },
    { "<T as alloc::vec::spec_from_elem::SpecFromElem>::from_elem", MANGLING_RUST, 1 },
    { "alloc::vec::from_elem::<u64>", MANGLING_RUST, 1 },
    { "<alloc::boxed::Box<u64>>::new", MANGLING_RUST, 1 },
    { "__rustc::__rust_alloc", MANGLING_RUST, 1 },
    { "__rust_alloc", MANGLING_NONE, 1 },
    { "<hashbrown::raw::RawTable<(u64, u64)>>::reserve_rehash::<hashbrown::map::make_hasher<u64, u64, "
      "std::hash::random::RandomState>::{closure#0}>", MANGLING_RUST, 1 },
    { "hashbrown::raw::RawTable<T,A>::reserve_rehash", MANGLING_RUST, 1 },
    { "<std::collections::hash::map::HashMap<u64, u64>>::insert", MANGLING_RUST, 1 },
    { "std::collections::hash::map::HashMap<K,V,S>::insert", MANGLING_RUST, 1 },
    { "<[u64]>::to_vec", MANGLING_RUST, 1 },
    { "<u64 as core::fmt::Display>::fmt", MANGLING_RUST, 1 },
    { "<&dyn core::ops::function::Fn<(), Output = i32> + core::marker::Sync as "
      "core::ops::function::FnOnce<()>>::call_once", MANGLING_RUST, 1 },
    { "<fn() as core::ops::function::FnOnce<()>>::call_once", MANGLING_RUST, 1 },
    { "std::rt::lang_start::<()>::{closure#0}", MANGLING_RUST, 1 },
    /* the program's own */
    { "core_tables::fill_table", MANGLING_RUST, 0 },
    { "core_tables::alloc::build_index", MANGLING_RUST, 0 },
    { "core_tables::main::{closure#0}", MANGLING_RUST, 0 },
    { "core_tables::make_rows::<alloc::string::String>", MANGLING_RUST, 0 },
    { "std_cache::Cache::grow", MANGLING_RUST, 0 },
    { "hashbrown_demo::build", MANGLING_RUST, 0 },
    { "<core_tables::Table<u32>>::with_len", MANGLING_RUST, 0 },
    { "<core_tables::Row as core::clone::Clone>::clone", MANGLING_RUST, 0 },
    { "<alloc::vec::Vec<u64> as core_tables::Fill>::fill", MANGLING_RUST, 0 },
    { "<u64 as core_tables::Hash>::hash", MANGLING_RUST, 0 },
    { "<(core_tables::Key, u64) as core::hash::Hash>::hash", MANGLING_RUST, 0 },
    { "core_tables::größe", MANGLING_RUST, 0 },
    { "main", MANGLING_NONE, 0 },

    /* C++: libstdc++'s allocation path (tests/corpus/p3_unordered_map) */
    { "operator new(unsigned long)", MANGLING_CXX, 1 },
    { "std::__new_allocator<std::__detail::_Hash_node_base*>::allocate(unsigned long, void const*)",
      MANGLING_CXX, 1 },
    { "std::_Hashtable<long, std::pair<long const, Session>, std::allocator<std::pair<long const, "
      "Session> > >::_M_rehash_aux(unsigned long, std::integral_constant<bool, true>)", MANGLING_CXX, 1 },
    { "void std::vector<int, std::allocator<int> >::_M_realloc_insert<int const&>(__gnu_cxx::"
      "__normal_iterator<int*, std::vector<int, std::allocator<int> > >, int const&)", MANGLING_CXX, 1 },
    { "void __gnu_cxx::new_allocator<int>::construct<int>(int*)", MANGLING_CXX, 1 },
    { "__gnu_cxx::__verbose_terminate_handler()", MANGLING_CXX, 1 },
    /* the program's own C++ */
    { "fill_sessions(std::unordered_map<long, Session, std::hash<long>, std::equal_to<long>, "
      "std::allocator<std::pair<long const, Session> > >&, long)", MANGLING_CXX, 0 },
    { "tables::Registry::grow(unsigned long)", MANGLING_CXX, 0 },
    { "std::vector<int, std::allocator<int> > make_table<int>(unsigned long)", MANGLING_CXX, 0 },
    { "Cache<std::string>::grow(unsigned long)", MANGLING_CXX, 0 },
    { "(anonymous namespace)::load_batch(int)", MANGLING_CXX, 0 },
    { "main::{lambda()#1}::operator()() const", MANGLING_CXX, 0 },
    { "core::Engine::load()", MANGLING_CXX, 0 },
    { "alloc::Pool::grow(unsigned long)", MANGLING_CXX, 0 },
    { "fill_table", MANGLING_NONE, 0 },
};

struct shortened {
    const char *name, *want;
};

static const struct shortened shorts[] = {
    { "<alloc::vec::Vec<u64>>::with_capacity", "<alloc::vec::Vec<…>>::with_capacity" },
    { "<alloc::alloc::Global as core::alloc::Allocator>::allocate_zeroed",
      "<alloc::alloc::Global as core::alloc::Allocator>::allocate_zeroed" },
    { "<hashbrown::raw::RawTable<(u64, u64)>>::reserve_rehash::<hashbrown::map::make_hasher<u64>::{closure#0}>",
      "<hashbrown::raw::RawTable<…>>::reserve_rehash::<…>" },
    { "core_tables::make_rows::<u32>", "core_tables::make_rows::<…>" },
    { "core_tables::main::{closure#0}", "core_tables::main::{closure#0}" },
    /* C++ as before */
    { "std::_Hashtable<long, std::pair<long const, Session> >::_M_rehash(unsigned long)",
      "std::_Hashtable<…>::_M_rehash(…)" },
    { "void std::vector<int, std::allocator<int> >::_M_realloc_insert<int const&>(int const&)",
      "std::vector<…>::_M_realloc_insert<…>(…)" },
    { "std::vector<int, std::allocator<int> >::operator[](unsigned long)",
      "std::vector<…>::operator[](…)" },
};

int main(void)
{
    UNIT_CASE("standard library or the program's");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = function_is_stdlib(cases[i].name, cases[i].mangling);
        CHECK(got == cases[i].stdlib, "%s (mangling %d): %s, expected %s", cases[i].name,
              cases[i].mangling, got ? "standard library" : "program", cases[i].stdlib ? "standard library" : "program");
    }
    CHECK(!function_is_stdlib(NULL, MANGLING_NONE), "NULL name");

    UNIT_CASE("frames: module and name");
    struct frame libc = { .function = "malloc", .module = "/usr/lib/x86_64-linux-gnu/libc.so.6" };
    struct frame own = { .function = "core_tables::alloc::build_index", .module = "/tmp/core_tables",
                         .mangling = MANGLING_RUST };
    struct frame own_as_cxx = { .function = "core::Engine::load()", .module = "/tmp/engine",
                                .mangling = MANGLING_CXX };
    struct frame rust_core = { .function = "core::ptr::drop_in_place::<u64>", .module = "/tmp/engine",
                               .mangling = MANGLING_RUST };
    CHECK(frame_is_stdlib(&libc), "a libc frame");
    CHECK(!frame_is_stdlib(&own), "the program's Rust frame");
    CHECK(!frame_is_stdlib(&own_as_cxx), "a C++ namespace core is the program's");
    CHECK(frame_is_stdlib(&rust_core), "Rust's core is the standard library");

    UNIT_CASE("short names");
    for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++) {
        char out[256];
        short_function_name(shorts[i].name, out, sizeof out);
        CHECK(!strcmp(out, shorts[i].want), "%s:\n  got  %s\n  want %s", shorts[i].name, out, shorts[i].want);
    }
    return unit_done();
}
