/* dynsym.h: what a loaded ELF object defines, read from its own dynamic
 * symbol table in memory (no file, no allocation, no dlsym). */
#ifndef RETAIN_DYNSYM_H
#define RETAIN_DYNSYM_H

#include <stddef.h>
#include <stdint.h>

/* 1 if the loaded object whose segments hold pc defines the function name
 * itself (a defined FUNC or IFUNC in its .dynsym); 0 if it does not, or no
 * object holds pc.  One dl_iterate_phdr walk: the loader's list lock is held
 * briefly, nothing else. */
int dynsym_object_at_defines(uintptr_t pc, const char *name);

/* The name of the function that holds pc, from the dynamic symbol table of
 * the loaded object whose segments hold pc: a defined FUNC or IFUNC symbol
 * with pc in [value, value + size), a global one before a weak one before a
 * local one.  Copied into out (cut to cap - 1 bytes); *offset is pc's
 * offset into the function.  0 if no such symbol (a static function, which
 * .dynsym does not list) or no object holds pc.  The same dl_iterate_phdr
 * walk as above: the object cannot be unloaded while it is read. */
int dynsym_function_at(uintptr_t pc, char *out, size_t cap, uintptr_t *offset);

#endif
