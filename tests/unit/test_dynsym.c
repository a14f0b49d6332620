/* test_dynsym: function names from a loaded object's own .dynsym
 * (dynsym_function_at), against libdwfl reading the same object's file, the
 * way the report named these frames before (symbolize.c now asks the
 * loaded image when the file has no .symtab and no DWARF). */
#include "dynsym.h"
#include "unit.h"

#include <dlfcn.h>
#include <elfutils/libdwfl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *debuginfo_path;

/* The objects' own files only, as the report reads shared libraries by
 * default (RETAIN_DEBUGINFO=auto): a libc6-dbg on the machine would give
 * libdwfl libc's full .symtab, which .dynsym is not. */
static int no_debug_file(Dwfl_Module *mod, void **userdata, const char *modname,
                         Dwarf_Addr base, const char *file_name, const char *debuglink_file,
                         GElf_Word debuglink_crc, char **debuginfo_file_name)
{
    return -1;
}

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = no_debug_file,
    .debuginfo_path = &debuginfo_path,
};

struct text {
    uintptr_t lo, hi;
};

/* The executable segment of the object that holds pc. */
static int text_at(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct text *t = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && t->lo >= lo &&
            t->lo < lo + ph->p_memsz) {
            t->lo = lo;
            t->hi = lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

/* Every 61st byte of the text holding `inside`: where libdwfl names a sized
 * function symbol that holds the address, dynsym_function_at must give a
 * symbol at the same start (an alias may differ in name only); where it
 * names none, so must dynsym_function_at; and where dynsym_function_at
 * names none, libdwfl must not name one either (no sizeless or other
 * symbol), since symbolize.c then does not ask it. */
static void compare_object(Dwfl *dwfl, const char *what, uintptr_t inside)
{
    struct text t = { inside, 0 };
    if (!CHECK(dl_iterate_phdr(text_at, &t) && t.hi > t.lo, "no text segment for %s", what))
        return;
    int compared = 0, named = 0, start_differs = 0, missed = 0, extra = 0, alias = 0, other = 0,
        other_seen = 0;
    uintptr_t first_bad = 0;
    for (uintptr_t pc = t.lo; pc < t.hi; pc += 61) {
        Dwfl_Module *mod = dwfl_addrmodule(dwfl, pc);
        GElf_Off off;
        GElf_Sym sym;
        const char *dw = mod ? dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL) : NULL;
        int dw_func = dw && sym.st_size > 0 &&
                      (GELF_ST_TYPE(sym.st_info) == STT_FUNC ||
                       GELF_ST_TYPE(sym.st_info) == STT_GNU_IFUNC) && off < sym.st_size;
        char name[512];
        uintptr_t ours_off = 0;
        int ours = dynsym_function_at(pc, name, sizeof name, &ours_off);
        compared++;
        if (dw_func && ours) {
            named++;
            if (ours_off != off) {
                start_differs++;
                if (!first_bad)
                    first_bad = pc;
            } else if (strcmp(name, dw)) {
                if (alias++ < 5)
                    printf("  alias: libdwfl %s (bind %d), .dynsym %s\n", dw,
                           GELF_ST_BIND(sym.st_info), name);
            }
        } else if (dw_func && !ours) {
            missed++;
            if (!first_bad)
                first_bad = pc;
        } else if (dw && !ours) {
            other++;            /* libdwfl's nearest sizeless or non-function symbol */
            if (other_seen++ < 3)
                printf("  libdwfl only: %s+%#lx (type %d, size %lu)\n", dw, (unsigned long)off,
                       GELF_ST_TYPE(sym.st_info), (unsigned long)sym.st_size);
        } else if (ours && !dw_func) {
            extra++;
            if (!first_bad)
                first_bad = pc;
        }
    }
    printf("%s: %d addresses, %d named by both, %d aliases named differently, %d by libdwfl "
           "from other symbols\n", what, compared, named, alias, other);
    CHECK(named > 100, "%s: only %d addresses named (of %d)", what, named, compared);
    /* symbolize.c does not ask libdwfl where the image names nothing */
    CHECK(other == 0, "%s: libdwfl named %d addresses .dynsym's functions do not hold", what,
          other);
    CHECK(start_differs == 0 && missed == 0 && extra == 0,
          "%s: %d with another start, %d named by libdwfl only, %d by .dynsym only (first at "
          "%#lx)", what, start_differs, missed, extra, (unsigned long)first_bad);
}

int main(void)
{
    UNIT_CASE("dynsym_function_at: exported functions");
    /* libc's own qsort: under ASan, `qsort` here is the sanitizer's. */
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    void *qsort_p = libc ? dlsym(libc, "qsort") : NULL;
    if (!CHECK(qsort_p != NULL, "libc's qsort not found"))
        return unit_done();
    uintptr_t qsort_at = (uintptr_t)qsort_p;
    char name[256];
    uintptr_t off = 99;
    CHECK(dynsym_function_at(qsort_at + 3, name, sizeof name, &off) &&
              !strcmp(name, "qsort") && off == 3,
          "qsort+3 read as %s+%lu", name, (unsigned long)off);
    CHECK(!dynsym_function_at(16, name, sizeof name, &off), "an address no object holds was named");
    char tiny[4];
    CHECK(dynsym_function_at(qsort_at, tiny, sizeof tiny, &off) && !strcmp(tiny, "qso"),
          "a name cut to its buffer: %s", tiny);

    UNIT_CASE("dynsym_function_at agrees with libdwfl on stripped objects");
    void *cxx = dlopen("libstdc++.so.6", RTLD_NOW);
    CHECK(cxx != NULL, "libstdc++ not loaded: %s", dlerror());
    Dwfl *dwfl = dwfl_begin(&callbacks);
    CHECK(dwfl && dwfl_linux_proc_report(dwfl, getpid()) == 0 &&
              dwfl_report_end(dwfl, NULL, NULL) == 0, "libdwfl could not report this process");
    if (dwfl) {
        compare_object(dwfl, "libc", qsort_at);
        void *sym = cxx ? dlsym(cxx, "_ZSt9terminatev") : NULL;
        if (CHECK(sym != NULL, "std::terminate not found"))
            compare_object(dwfl, "libstdc++", (uintptr_t)sym);
        dwfl_end(dwfl);
    }
    return unit_done();
}
