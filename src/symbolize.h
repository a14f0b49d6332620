/* symbolize.h: return addresses to function, file:line and module, from
 * DWARF where it exists (elfutils' libdwfl) and symbol tables otherwise.
 * Inlined calls are expanded into frames of their own, innermost first, so a
 * stack shows the function that was written, not only the one that was left
 * after inlining.  C++ and Rust names are demangled (demangle.h), whether
 * or not the process has a C++ runtime loaded. */
#ifndef RETAIN_SYMBOLIZE_H
#define RETAIN_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct frame {
    uintptr_t address;
    const char *function;       /* NULL when unknown */
    const char *file;           /* NULL when no line info */
    int line;
    const char *module;         /* path of the ELF object */
    uintptr_t offset;           /* address - module load address, for offline tools */
    int inlined;                /* 1 for a frame that exists only in debug info */
    const char *language;       /* "python" for an interpreter frame (interp.h); NULL: native */
    int mangling;               /* enum mangling (demangle.h) its name was demangled from */
    int stdlib;                 /* an interpreter frame in the interpreter's own library */
};

struct symbolizer;

/* Cheap: libdw is loaded (dwlib.h) when the first address is symbolized. */
struct symbolizer *symbolizer_new(void);
/* Loads libdw now if it is not yet; 0 when it cannot be (frames then carry
 * module and offset only, and dwlib_error() says why). */
int symbolizer_available(struct symbolizer *sym);
/* Would a frame of this process need libdw?  Not when every loaded object
 * (but libretain) has no DWARF, no .symtab and no debug file to read:
 * their frames are named from the loaded .dynsym (a stripped server, Debian's
 * libraries).  Reads each object's section table until one needs it; 1 when
 * one cannot be read, or an object was unloaded (dlclose). */
int symbolizer_needs_libdw(void);
/* Why libdw could not be loaded; NULL if it was (or was not tried). */
const char *symbolizer_error(void);
void symbolizer_free(struct symbolizer *sym);
/* The logical frames of one return address (1 + inline depth), valid until
 * symbolizer_free.  Always at least one frame. */
int symbolize(struct symbolizer *sym, uintptr_t ip, const struct frame **frames);

/* A C++ name for people: template arguments and parameters elided
 * ("std::_Hashtable<…>::_M_rehash(…)"), the return type dropped.  Writes at
 * most cap bytes to out and returns out. */
char *short_function_name(const char *name, char *out, size_t cap);

#include "modules.h"

#endif
