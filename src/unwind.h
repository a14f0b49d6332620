/* unwind.h: capturing the allocating thread's call stack. */
#ifndef RETAIN_UNWIND_H
#define RETAIN_UNWIND_H

#include <stdint.h>

/* Records our own code range so that libretain's frames can be dropped. */
void unwind_init(void);

/* Fills `ips` with up to `depth` return addresses of the caller of the
 * malloc-family function, outermost last, libretain's own frames removed.
 * Returns the number of frames. */
int unwind_capture(uintptr_t *ips, int depth);

#endif
