/*
 * test_demangle: src/demangle.c on real symbols, without the preload.
 *
 * The names were taken from real binaries: tests/progs/rust/rust_names.rs
 * built as crate core_tables by rustc 1.95 (rustup) with legacy and v0
 * mangling (its symbol table and DWARF linkage names), a HashMap program
 * built by Debian's rustc 1.63 (legacy std, hashbrown) and by rustc 1.95
 * (v0 std, the __rustc allocator shim), a program with the functions
 * 表格 and größe_ändern built by Debian's rustc (legacy and v0), libstdc++ and
 * tests/corpus/p3_unordered_map.  The expected v0 results agree with LLVM's
 * independent demangler (llvm-cxxfilt-14); the legacy ones with
 * rustc-demangle's rules (hash dropped, `$u..$` escapes decoded).
 *
 * - Rust legacy and v0: paths, generics, closures, trait impls, punycode
 *   and `$u..$` identifiers, `.llvm.` suffixes; no hash or disambiguator;
 * - C++: every dynamic symbol of libstdc++.so.6 comes out byte for byte as
 *   libstdc++'s own __cxa_demangle gives it (loaded here with dlopen);
 * - not mangled, malformed, truncated and over-long names give NULL, and a
 *   legacy Rust name is never reported as C++ (hash kept) nor a C++ name
 *   as Rust.
 */
#include "demangle.h"
#include "unit.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct want {
    const char *mangled;
    enum mangling kind;
    const char *demangled;
};

static const struct want cases[] = {
    /* Rust legacy (rustc's default mangling): the hash goes */
    { "_ZN11core_tables10fill_table17h1936167a6d5728a4E", MANGLING_RUST, "core_tables::fill_table" },
    { "_ZN11core_tables5alloc11build_index17h32ec49ccbb430f1dE", MANGLING_RUST,
      "core_tables::alloc::build_index" },
    { "_ZN11core_tables4main28_$u7b$$u7b$closure$u7d$$u7d$17h59d74f5d08071024E", MANGLING_RUST,
      "core_tables::main::{{closure}}" },
    { "_ZN11core_tables4main28_$u7b$$u7b$closure$u7d$$u7d$28_$u7b$$u7b$closure$u7d$$u7d$"
      "17h8b05870d655e73cbE", MANGLING_RUST, "core_tables::main::{{closure}}::{{closure}}" },
    /* fn größe: non-ASCII characters as $u<hex>$ escapes */
    { "_ZN11core_tables13gr$uf6$$udf$e17h35a51eef76f218f8E", MANGLING_RUST, "core_tables::größe" },
    /* Debian's rustc 1.63: fn 表格 (three-byte UTF-8), fn größe_ändern */
    { "_ZN3cjk15_$u8868$$u683c$17hf0583d8d1900ec5dE", MANGLING_RUST, "cjk::表格" },
    { "_ZN3cjk24gr$uf6$$udf$e_$ue4$ndern17h39fac4f37592b9acE", MANGLING_RUST, "cjk::größe_ändern" },
    /* generic code of std monomorphised in the program, and .llvm. suffixes */
    { "_ZN9hashbrown3raw21RawTable$LT$T$C$A$GT$14reserve_rehash17hcfb1b2d95e3de275E"
      ".llvm.8508007217412206439", MANGLING_RUST, "hashbrown::raw::RawTable<T,A>::reserve_rehash" },
    { "_ZN79_$LT$hashbrown..raw..RawTable$LT$T$C$A$GT$$u20$as$u20$core..ops..drop..Drop$GT$"
      "4drop17he8f2713050bc9c85E", MANGLING_RUST,
      "<hashbrown::raw::RawTable<T,A> as core::ops::drop::Drop>::drop" },
    { "_ZN4core3ptr74drop_in_place$LT$std..collections..hash..map..HashMap$LT$u64$C$u64$GT$$GT$"
      "17h190292acfb1b7b4bE", MANGLING_RUST,
      "core::ptr::drop_in_place<std::collections::hash::map::HashMap<u64,u64>>" },
    { "_ZN3std2io5impls74_$LT$impl$u20$std..io..Write$u20$for$u20$alloc..vec..Vec$LT$u8$C$A$GT$$GT$"
      "5write17h33e5cb9c6391556aE", MANGLING_RUST,
      "std::io::impls::<impl std::io::Write for alloc::vec::Vec<u8,A>>::write" },
    { "_ZN5alloc5alloc18handle_alloc_error17hcf5f6fd68c596c61E", MANGLING_RUST,
      "alloc::alloc::handle_alloc_error" },
    { "_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h57fb119b56da53daE"
      ".llvm.18154081348043473838", MANGLING_RUST, "std::rt::lang_start::{{closure}}" },

    /* Rust v0 (-C symbol-mangling-version=v0): crate disambiguators go */
    { "_RNvCsCMr1FIP0NE_11core_tables10fill_table", MANGLING_RUST, "core_tables::fill_table" },
    { "_RNvNtCsCMr1FIP0NE_11core_tables5alloc11build_index", MANGLING_RUST,
      "core_tables::alloc::build_index" },
    { "_RINvCsCMr1FIP0NE_11core_tables9make_rowsmEB2_", MANGLING_RUST, "core_tables::make_rows::<u32>" },
    { "_RNCNvCsCMr1FIP0NE_11core_tables4main0B3_", MANGLING_RUST, "core_tables::main::{closure#0}" },
    { "_RNCNCNvCsCMr1FIP0NE_11core_tables4main00B5_", MANGLING_RUST,
      "core_tables::main::{closure#0}::{closure#0}" },
    /* punycode */
    { "_RNvCsCMr1FIP0NE_11core_tablesu9gre_6ka8i", MANGLING_RUST, "core_tables::größe" },
    { "_RNvCslIMTobA2m2M_3cjku7_0xv092e", MANGLING_RUST, "cjk::表格" },
    { "_RNvCslIMTobA2m2M_3cjku17gre_ndern_h1a1d6m", MANGLING_RUST, "cjk::größe_ändern" },
    { "_RNvCsfLfy6EI15iL_7___rustc12___rust_alloc", MANGLING_RUST, "__rustc::__rust_alloc" },
    { "_RNvNtCslNYArtu3iFV_5alloc5alloc18handle_alloc_error", MANGLING_RUST,
      "alloc::alloc::handle_alloc_error" },
    { "_RNvMs2_NtCslNYArtu3iFV_5alloc7raw_vecNtB5_11RawVecInner10deallocateCsduwmD7cSIQq_5gimli",
      MANGLING_RUST, "<alloc::raw_vec::RawVecInner>::deallocate" },
    { "_RINvMs6_NtCsgvbsrvnw3yD_9hashbrown3rawINtB6_8RawTableTyyEE14reserve_rehashNCINvNtB8_3map"
      "11make_hasheryyNtNtNtCsjrHSEGnQ3l9_3std4hash6random11RandomStateE0ECsil90gpVOg6U_2hm"
      ".llvm.3263801951574259766", MANGLING_RUST,
      "<hashbrown::raw::RawTable<(u64, u64)>>::reserve_rehash::<hashbrown::map::make_hasher<u64, "
      "u64, std::hash::random::RandomState>::{closure#0}>" },
    { "_RNvXse_NtNtCslNYArtu3iFV_5alloc3vec9into_iterINtB5_8IntoIterNtNtNtCsjrHSEGnQ3l9_3std3ffi"
      "6os_str8OsStringENtNtNtCsgEmfK2I1SDS_4core3ops4drop4Drop4dropCsCMr1FIP0NE_11core_tables",
      MANGLING_RUST,
      "<alloc::vec::into_iter::IntoIter<std::ffi::os_str::OsString> as core::ops::drop::Drop>::drop" },
    { "_RNCINvNtCsjrHSEGnQ3l9_3std2rt10lang_startuE0CsCMr1FIP0NE_11core_tables"
      ".llvm.15876273258430887549", MANGLING_RUST, "std::rt::lang_start::<()>::{closure#0}" },

    /* C++ (tests/corpus/p3_unordered_map, libstdc++) */
    { "_Znwm", MANGLING_CXX, "operator new(unsigned long)" },
    { "_Z13fill_sessionsRSt13unordered_mapIl7SessionSt4hashIlESt8equal_toIlESaISt4pairIKlS0_EEEl",
      MANGLING_CXX,
      "fill_sessions(std::unordered_map<long, Session, std::hash<long>, std::equal_to<long>, "
      "std::allocator<std::pair<long const, Session> > >&, long)" },
    { "_ZN6tables8Registry4growEm", MANGLING_CXX, "tables::Registry::grow(unsigned long)" },
    { "_ZNSt6vectorImSaImEE14_M_fill_assignEmRKm", MANGLING_CXX,
      "std::vector<unsigned long, std::allocator<unsigned long> >::_M_fill_assign(unsigned long, "
      "unsigned long const&)" },
    /* a C++ name with a 16-digit segment that is not a Rust hash */
    { "_ZN5hello5worldE", MANGLING_CXX, "hello::world" },

    /* not mangled, or not understood: left to the caller */
    { "malloc", MANGLING_NONE, NULL },
    { "__rust_alloc", MANGLING_NONE, NULL },
    { "_start", MANGLING_NONE, NULL },
    { "", MANGLING_NONE, NULL },
    { "_ZN11core_tables10fill_tab", MANGLING_NONE, NULL },
    { "_RNvCsCMr1FIP0NE_11core_tables99fill", MANGLING_NONE, NULL },
    { "_Rx", MANGLING_NONE, NULL },
};

static void check_case(const struct want *w)
{
    enum mangling kind = (enum mangling)99;
    char *got = demangle(w->mangled, &kind);
    if (!w->demangled) {
        CHECK(!got && kind == MANGLING_NONE, "%s: expected NULL, got %s (kind %d)", w->mangled,
              got ? got : "NULL", kind);
    } else {
        CHECK(got && !strcmp(got, w->demangled) && kind == w->kind,
              "%s:\n  got  %s (kind %d)\n  want %s (kind %d)", w->mangled, got ? got : "NULL", kind,
              w->demangled, w->kind);
    }
    free(got);
}

/* Every C++ name in libstdc++'s dynamic symbol table, against the
 * __cxa_demangle of that same libstdc++. */
static void against_cxa_demangle(void)
{
    const char *path = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
    void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
    char *(*cxa)(const char *, char *, size_t *, int *) =
        h ? (char *(*)(const char *, char *, size_t *, int *))dlsym(h, "__cxa_demangle") : NULL;
    int fd = open(path, O_RDONLY);
    if (!CHECK(cxa && fd >= 0, "libstdc++ not loadable or not at %s", path))
        return;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    unsigned names = 0, same = 0;
    char first[512] = "";
    for (Elf_Scn *scn = NULL; e && (scn = elf_nextscn(e, scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
            GElf_Sym s;
            const char *name = gelf_getsym(d, (int)i, &s) ? elf_strptr(e, sh.sh_link, s.st_name) : NULL;
            if (!name || strncmp(name, "_Z", 2))
                continue;
            names++;
            int status = -1;
            char *want = cxa(name, NULL, NULL, &status);
            enum mangling kind;
            char *got = demangle(name, &kind);
            if ((status == 0 && got && !strcmp(got, want) && kind == MANGLING_CXX) ||
                (status != 0 && !got))
                same++;
            else if (!first[0])
                snprintf(first, sizeof first, "%s: __cxa_demangle %s, ours %s", name,
                         status == 0 ? want : "(fails)", got ? got : "NULL");
            free(want);
            free(got);
        }
    }
    CHECK(names > 1000, "only %u C++ names in %s", names, path);
    CHECK(same == names, "%u of %u names differ from __cxa_demangle, first: %s", names - same, names,
          first);
    printf("   %u of %u libstdc++ names as __cxa_demangle gives them\n", same, names);
    if (e)
        elf_end(e);
    close(fd);
    dlclose(h);
}

/* `_ZN` + components of a 1000-character identifier each + a legacy Rust
 * hash (or not) + `E`. */
static char *long_name(int components, int rust)
{
    char *s = malloc((size_t)components * 1004 + 32), *p = s;
    p += sprintf(p, "_ZN");
    for (int c = 0; c < components; c++) {
        p += sprintf(p, "1000");
        memset(p, 'a' + c, 1000);
        p += 1000;
    }
    strcpy(p, rust ? "17h0123456789abcdefE" : "E");
    return s;
}

static void too_long(void)
{
    /* A Rust name longer than DEMANGLE_MAX_MANGLED stays mangled; one under
     * it is demangled.  C++ names over 1024 characters stay mangled too:
     * libiberty's own guard for the parse it keeps on the stack, the same
     * in libstdc++'s __cxa_demangle. */
    char *over = long_name(5, 1), *under = long_name(3, 1), *cxx = long_name(2, 0);
    CHECK(strlen(over) > DEMANGLE_MAX_MANGLED && strlen(under) < DEMANGLE_MAX_MANGLED, "lengths");
    enum mangling kind;
    char *a = demangle(over, NULL), *b = demangle(under, &kind), *c = demangle(cxx, NULL);
    CHECK(!a, "a %zu-character name was demangled", strlen(over));
    CHECK(b && kind == MANGLING_RUST && strlen(b) == 3 * 1000 + 2 * 2 && !strncmp(b, "aaaa", 4) &&
          strstr(b, "a::bbbb") && !strstr(b, "::h0123"),
          "a %zu-character Rust name: %.40s", strlen(under), b ? b : "NULL");
    CHECK(!c, "a %zu-character C++ name was demangled", strlen(cxx));
    free(a);
    free(b);
    free(c);
    free(over);
    free(under);
    free(cxx);
}

int main(void)
{
    UNIT_CASE("real Rust and C++ symbols");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&cases[i]);
    CHECK(demangle_scheme("_RNvC1a1b") == MANGLING_RUST && demangle_scheme("_ZN1a1bE") == MANGLING_CXX &&
          demangle_scheme("main") == MANGLING_NONE && demangle_scheme(NULL) == MANGLING_NONE,
          "demangle_scheme");
    CHECK(!demangle(NULL, NULL), "NULL name");
    UNIT_CASE("libstdc++'s names against its __cxa_demangle");
    against_cxa_demangle();
    UNIT_CASE("length limit");
    too_long();
    return unit_done();
}
