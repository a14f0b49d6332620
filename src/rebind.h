/* rebind.h: libraries that call the C library's malloc family directly.
 *
 * A library loaded with dlopen(RTLD_DEEPBIND) resolves symbols in its own
 * dependencies first, so its malloc and free bind to the C library's and
 * bypass the wrappers: its blocks are never seen and their frees never
 * reach the block table.  Each object loaded after start-up is examined
 * once (dl_iterate_phdr's counter of loads says when there are new ones):
 * its GOT slots for the malloc family are pointed at the wrappers where the
 * object's own scope (dlsym on its handle) yields exactly the definition
 * the wrappers forward to.  An object bound to an allocator of its own is
 * left alone, and nothing is touched unless the process's global lookup of
 * malloc gives libretain's (libretain is the interposer). */
#ifndef RETAIN_REBIND_H
#define RETAIN_REBIND_H

/* Start-up: the objects loaded now are the program's own; never touched. */
void rebind_init(void);
/* Sampler thread: examine objects loaded since the last call; 1 if there
 * were any. */
int rebind_check(void);

#endif
