/* test_symtab_index: the sorted symbol index (symtab_index.h) against
 * libdwfl's own walk (dwfl_module_addrinfo) over the same table: wherever
 * libdwfl names a sized symbol that holds the address, the index names one
 * at the same start (an alias may differ in name only), and the index
 * never names an address libdwfl's sized symbols do not hold.  On this
 * test's own executable (its .symtab, the index forced on a small table)
 * and on a large one when the machine has it (/usr/bin/node: 110,000
 * symbols, for which the index was made). */
#define DWLIB_NO_CALL_MACROS
#include "symtab_index.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *debuginfo_path;

static int no_debug_file(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                         const char *file_name, const char *debuglink_file,
                         GElf_Word debuglink_crc, char **debuginfo_file_name)
{
    return -1;
}

static const Dwfl_Callbacks proc_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = no_debug_file,
    .debuginfo_path = &debuginfo_path,
};

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = no_debug_file,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

static void compare(Dwfl_Module *mod, const char *what, size_t stride, int max_addresses)
{
    struct symtab_index *x = symtab_index_build(mod, 0);
    if (!CHECK(x != NULL, "%s: no index built", what))
        return;
    Dwarf_Addr start, end;
    dwfl_module_info(mod, NULL, &start, &end, NULL, NULL, NULL, NULL);
    int compared = 0, named = 0, missed = 0, extra = 0, start_differs = 0, alias = 0;
    Dwarf_Addr first_bad = 0;
    for (Dwarf_Addr pc = start; pc < end && compared < max_addresses; pc += stride) {
        GElf_Off off, ours_off = 0;
        GElf_Sym sym;
        const char *dw = dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL);
        int dw_sized = dw && sym.st_size > 0 && off < sym.st_size;
        const char *ours = symtab_index_lookup(x, pc, &ours_off);
        compared++;
        if (dw_sized && ours) {
            named++;
            if (ours_off != off) {
                if (!start_differs++ && !first_bad)
                    first_bad = pc;
            } else if (strcmp(ours, dw) && alias++ < 3) {
                printf("  alias: libdwfl %s, index %s\n", dw, ours);
            }
        } else if (dw_sized) {
            if (!missed++ && !first_bad)
                first_bad = pc;
        } else if (ours) {
            if (!extra++ && !first_bad)
                first_bad = pc;
        }
    }
    printf("%s: %zu symbols indexed, %d addresses, %d named by both, %d aliases\n", what,
           symtab_index_count(x), compared, named, alias);
    CHECK(named > 50, "%s: only %d of %d addresses named", what, named, compared);
    CHECK(start_differs == 0 && missed == 0 && extra == 0,
          "%s: %d named at another start, %d named by libdwfl only, %d by the index only "
          "(first at %#lx)", what, start_differs, missed, extra, (unsigned long)first_bad);
    symtab_index_free(x);
}

int main(void)
{
    UNIT_CASE("symtab_index against libdwfl: this executable");
    if (!CHECK(dwlib_load(), "libdw could not be loaded: %s", dwlib_error()))
        return unit_done();
    Dwfl *dwfl = dwfl_begin(&proc_callbacks);
    CHECK(dwfl && dwfl_linux_proc_report(dwfl, getpid()) == 0 &&
              dwfl_report_end(dwfl, NULL, NULL) == 0, "libdwfl could not report this process");
    Dwfl_Module *self = dwfl ? dwfl_addrmodule(dwfl, (Dwarf_Addr)(uintptr_t)&compare) : NULL;
    if (CHECK(self != NULL, "no module for this executable"))
        compare(self, "test_symtab_index", 7, 200000);
    if (dwfl)
        dwfl_end(dwfl);

    UNIT_CASE("symtab_index against libdwfl: a large table (/usr/bin/node)");
    if (access("/usr/bin/node", R_OK) != 0) {
        printf("  /usr/bin/node not installed: skipped\n");
        return unit_done();
    }
    dwfl = dwfl_begin(&offline_callbacks);
    Dwfl_Module *node = dwfl ? dwfl_report_offline(dwfl, "node", "/usr/bin/node", -1) : NULL;
    if (dwfl)
        dwfl_report_end(dwfl, NULL, NULL);
    if (CHECK(node != NULL, "libdwfl could not read /usr/bin/node"))
        compare(node, "node", 16381, 1000);
    if (dwfl)
        dwfl_end(dwfl);
    return unit_done();
}
