/* arena.h: memory for the profiler's long-lived records (sites, tables),
 * straight from mmap so that it never passes through the host's allocator
 * and survives fork unchanged. */
#ifndef RETAIN_ARENA_H
#define RETAIN_ARENA_H

#include <stddef.h>

/* Zeroed, 16-byte aligned, never freed.  NULL when the system is out of memory. */
void *arena_alloc(size_t size);
/* Large zeroed mappings that can be given back (block-table arrays). */
void *arena_map(size_t size);
void arena_unmap(void *p, size_t size);
/* Bytes the profiler holds in its own mappings. */
size_t arena_bytes(void);

/* Fork (lifecycle.h): the arena lock is a leaf, taken last. */
void arena_lock(void);
void arena_unlock(void);
void arena_after_fork_child(void);

#endif
