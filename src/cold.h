/*
 * cold.h: where libretain's large zero-initialised arrays live.
 *
 * A short process touches a few dozen of libretain's small variables; the
 * big arrays (bucket heads, filters, the unloaded-modules list) are touched
 * sparsely or not at all.  Left in .bss they sit between the small ones and
 * spread them over ~20 pages, each a page fault (2-5 us on the virtual
 * machines we measure on) in every process.  In .lbss, which the x86-64
 * linker places after .bss, the small variables share a few pages.
 */
#ifndef RETAIN_COLD_H
#define RETAIN_COLD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define COLD_BSS __attribute__((section(".lbss")))
#else
#define COLD_BSS
#endif

#endif
