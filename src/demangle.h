/* demangle.h: mangled symbol names to the names people read, for C++
 * (Itanium ABI, `_Z...`) and Rust (legacy `_ZN...17h<hash>E`, shown without
 * the hash, and v0 `_R...`), without the host's C++ runtime.
 *
 * The demanglers are libiberty's (libiberty-dev, linked statically: the code
 * of libstdc++'s own __cxa_demangle, c++filt and gdb), called through their
 * callback entry points.  The C++ one allocates nothing; the Rust one only
 * for a punycode identifier; the result is one malloc'd string.  Report
 * time only (symbolize.c, on the sampler thread), never inside malloc. */
#ifndef RETAIN_DEMANGLE_H
#define RETAIN_DEMANGLE_H

#include <stddef.h>

enum mangling {
    MANGLING_NONE = 0,          /* not mangled (a C name), or not understood */
    MANGLING_CXX,
    MANGLING_RUST,
};

/* Names longer than this stay as they are.  libiberty's C++ demangler keeps
 * its parse on the stack and refuses names over 1024 characters itself (as
 * __cxa_demangle, the same code, does); the Rust one bounds its recursion,
 * and this bounds its work. */
#define DEMANGLE_MAX_MANGLED 4096

/* Which scheme name is mangled in, from its prefix alone (a hint: the name
 * may still not parse). */
enum mangling demangle_scheme(const char *name);

/* The readable form of name as a new string (free() it), or NULL when name
 * is not mangled, does not parse, is too long or memory ran out.  *kind
 * (if not NULL) says which scheme it was demangled from, MANGLING_NONE with
 * NULL. */
char *demangle(const char *name, enum mangling *kind);

#endif
