/* stdlib_frames.h: is a frame the language's runtime or standard library
 * (an allocator, a container's growth path), or the program's own code?
 * The advice names the first frame of the program's own: the function that
 * asked for the memory, not `operator new` or `alloc::raw_vec::...`.
 *
 * Judged by namespace, from the frame's demangled name and the scheme it was
 * mangled in (symbolize.h), never by listing functions:
 * - C and C++: names starting with `__` (`__libc_malloc`, `__gnu_cxx::`),
 *   `operator new`, and the namespace `std` (libstdc++'s `std::__1::`
 *   included), after the return type; frames in libc and libstdc++.
 * - Rust: the crates `core`, `alloc`, `std` and `hashbrown` (std's map), and
 *   crates named `__...` (`__rustc::__rust_alloc`, the allocator shim).  An
 *   impl (`<T as Trait>::f`, `<T>::f`) is the program's when its type or its
 *   trait is (the orphan rule: only their crates can write it); an inherent
 *   method of a primitive type (`<[u64]>::to_vec`) is the standard library's. */
#ifndef RETAIN_STDLIB_FRAMES_H
#define RETAIN_STDLIB_FRAMES_H

#include "symbolize.h"

int frame_is_stdlib(const struct frame *f);

/* The same judgement on a name alone (mangling is an enum mangling). */
int function_is_stdlib(const char *function, int mangling);

#endif
