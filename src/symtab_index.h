/* symtab_index.h: the function that holds an address, from a module's
 * symbol table sorted once.
 *
 * libdwfl's dwfl_module_addrinfo walks the module's whole symbol table for
 * every address it is asked: node's 110,000 symbols made the exit report of
 * `node -e 0` take 0.3 s for its 612 frames.  For a large table the report
 * asks this index instead: the sized symbols (not section, file or TLS
 * symbols) by address, the one holding pc with the highest start, a global
 * one before a weak one before a local one at the same start, as libdwfl
 * answers for such symbols.  An address no sized symbol holds is left to
 * libdwfl (its nearest sizeless symbol). */
#ifndef RETAIN_SYMTAB_INDEX_H
#define RETAIN_SYMTAB_INDEX_H

#include "dwlib.h"

struct symtab_index;

/* The index of mod's symbol table (libdwfl's: .symtab, else .dynsym), or
 * NULL when it has fewer than min_symbols (libdwfl's walk is then cheap),
 * none, or memory ran out. */
struct symtab_index *symtab_index_build(Dwfl_Module *mod, int min_symbols);
/* The name of the sized symbol holding pc (absolute, as libdwfl's), and
 * pc's offset into it; NULL if none does. */
const char *symtab_index_lookup(const struct symtab_index *x, Dwarf_Addr pc, GElf_Off *offset);
size_t symtab_index_count(const struct symtab_index *x);
void symtab_index_free(struct symtab_index *x);

#endif
