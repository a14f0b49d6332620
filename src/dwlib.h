/* dwlib.h: elfutils' libdw and libelf, loaded when a report first needs to
 * symbolize a stack rather than at start-up.
 *
 * Linked in, libdw.so.1 and libelf.so.1 bring libz, liblzma, libbz2 and
 * libzstd: the dynamic loader mapped and relocated six objects in every
 * profiled process, about 0.35 ms of a short process's start and exit
 * (README, "Exit cost"), for nothing in one that never writes a stack.
 * Here they are opened with dlopen (RTLD_LOCAL, never closed) on first use,
 * and every function libretain calls is looked up once into `dwlib`.  The
 * modules that use them (symbolize.c, modules.c) include this header after
 * the elfutils headers: it turns each call into a call through the table,
 * so their code reads as plain libdw calls.
 *
 * When the load fails (libdw missing, a sandbox), dwlib_load says so and
 * reports still get written: frames keep module and offset, without names
 * or file:line, and the report carries dwlib_error() as a note. */
#ifndef RETAIN_DWLIB_H
#define RETAIN_DWLIB_H

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <elfutils/libdwelf.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>

/* Every libdw and libelf function libretain calls. */
#define DWLIB_FUNCTIONS(F)                                                   \
    F(dwarf_attr) F(dwarf_attr_integrate) F(dwarf_child) F(dwarf_cu_getdwarf) \
    F(dwarf_diename) F(dwarf_dieoffset) F(dwarf_filesrc) F(dwarf_formstring)  \
    F(dwarf_formudata) F(dwarf_getsrcfiles) F(dwarf_offdie) F(dwarf_ranges)   \
    F(dwarf_siblingof) F(dwarf_tag)                                           \
    F(dwelf_elf_gnu_build_id)                                                 \
    F(dwfl_addrmodule) F(dwfl_begin) F(dwfl_build_id_find_debuginfo)          \
    F(dwfl_end) F(dwfl_lineinfo) F(dwfl_linux_proc_find_elf)                  \
    F(dwfl_module_addrdie) F(dwfl_module_addrinfo) F(dwfl_module_build_id)    \
    F(dwfl_module_getelf) F(dwfl_module_getsrc) F(dwfl_module_getsym_info)     \
    F(dwfl_module_getsymtab) F(dwfl_module_info)           \
    F(dwfl_report_begin) F(dwfl_report_begin_add) F(dwfl_report_elf)          \
    F(dwfl_report_end)                                                        \
    F(elf_begin) F(elf_end) F(elf_getshdrstrndx) F(elf_nextscn) F(elf_strptr) \
    F(gelf_getshdr)

#define DWLIB_FIELD(name) __typeof__(name) *name;
struct dwlib {
    DWLIB_FUNCTIONS(DWLIB_FIELD)
};
#undef DWLIB_FIELD

/* Filled by a successful dwlib_load; never changes after. */
extern struct dwlib dwlib;

/* Loads libdw (and, through it, libelf) once; 1 when every function is
 * there.  Thread-safe; the first call pays for the dlopen, later ones read
 * a flag.  Not from a malloc hook: dlopen allocates and runs constructors. */
int dwlib_load(void);
/* 1 after a successful dwlib_load (no load attempted). */
int dwlib_loaded(void);
/* 1 if pc lies in an object the load brought in (not one the program had
 * loaded already): no stack of the program's can point there, but one
 * captured before may point where a library the program has dlclose'd
 * since used to be, and the loader may have reused that range. */
int dwlib_owns(uintptr_t pc);
/* Why the load failed (dlerror's text, or the missing function), NULL when
 * it did not fail or was not tried. */
const char *dwlib_error(void);
/* Start-up: reads RETAIN_TEST_LIBDW, the file dlopen is given instead of
 * libdw.so.1.  Only the tests set it (a path that does not exist stands for
 * a machine or sandbox where the load fails); see README "Environment". */
void dwlib_init(void);

/* In the modules that call libdw: each call goes through the table.  (A
 * function-like use of a name that is also the macro is not re-expanded.) */
#ifndef DWLIB_NO_CALL_MACROS
#define DWLIB_CALL(name) (*dwlib.name)
#define dwarf_attr DWLIB_CALL(dwarf_attr)
#define dwarf_attr_integrate DWLIB_CALL(dwarf_attr_integrate)
#define dwarf_child DWLIB_CALL(dwarf_child)
#define dwarf_cu_getdwarf DWLIB_CALL(dwarf_cu_getdwarf)
#define dwarf_diename DWLIB_CALL(dwarf_diename)
#define dwarf_dieoffset DWLIB_CALL(dwarf_dieoffset)
#define dwarf_filesrc DWLIB_CALL(dwarf_filesrc)
#define dwarf_formstring DWLIB_CALL(dwarf_formstring)
#define dwarf_formudata DWLIB_CALL(dwarf_formudata)
#define dwarf_getsrcfiles DWLIB_CALL(dwarf_getsrcfiles)
#define dwarf_offdie DWLIB_CALL(dwarf_offdie)
#define dwarf_ranges DWLIB_CALL(dwarf_ranges)
#define dwarf_siblingof DWLIB_CALL(dwarf_siblingof)
#define dwarf_tag DWLIB_CALL(dwarf_tag)
#define dwelf_elf_gnu_build_id DWLIB_CALL(dwelf_elf_gnu_build_id)
#define dwfl_addrmodule DWLIB_CALL(dwfl_addrmodule)
#define dwfl_begin DWLIB_CALL(dwfl_begin)
#define dwfl_build_id_find_debuginfo DWLIB_CALL(dwfl_build_id_find_debuginfo)
#define dwfl_end DWLIB_CALL(dwfl_end)
#define dwfl_lineinfo DWLIB_CALL(dwfl_lineinfo)
#define dwfl_linux_proc_find_elf DWLIB_CALL(dwfl_linux_proc_find_elf)
#define dwfl_module_addrdie DWLIB_CALL(dwfl_module_addrdie)
#define dwfl_module_addrinfo DWLIB_CALL(dwfl_module_addrinfo)
#define dwfl_module_build_id DWLIB_CALL(dwfl_module_build_id)
#define dwfl_module_getelf DWLIB_CALL(dwfl_module_getelf)
#define dwfl_module_getsrc DWLIB_CALL(dwfl_module_getsrc)
#define dwfl_module_getsym_info DWLIB_CALL(dwfl_module_getsym_info)
#define dwfl_module_getsymtab DWLIB_CALL(dwfl_module_getsymtab)
#define dwfl_module_info DWLIB_CALL(dwfl_module_info)
#define dwfl_report_begin DWLIB_CALL(dwfl_report_begin)
#define dwfl_report_begin_add DWLIB_CALL(dwfl_report_begin_add)
#define dwfl_report_elf DWLIB_CALL(dwfl_report_elf)
#define dwfl_report_end DWLIB_CALL(dwfl_report_end)
#define elf_begin DWLIB_CALL(elf_begin)
#define elf_end DWLIB_CALL(elf_end)
#define elf_getshdrstrndx DWLIB_CALL(elf_getshdrstrndx)
#define elf_nextscn DWLIB_CALL(elf_nextscn)
#define elf_strptr DWLIB_CALL(elf_strptr)
#define gelf_getshdr DWLIB_CALL(gelf_getshdr)
#endif

#endif
