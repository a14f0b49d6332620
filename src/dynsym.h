/* dynsym.h: what a loaded ELF object defines, read from its own dynamic
 * symbol table in memory (no file, no allocation, no dlsym). */
#ifndef RETAIN_DYNSYM_H
#define RETAIN_DYNSYM_H

#include <stdint.h>

/* 1 if the loaded object whose segments hold pc defines the function name
 * itself (a defined FUNC or IFUNC in its .dynsym); 0 if it does not, or no
 * object holds pc.  One dl_iterate_phdr walk: the loader's list lock is held
 * briefly, nothing else. */
int dynsym_object_at_defines(uintptr_t pc, const char *name);

#endif
