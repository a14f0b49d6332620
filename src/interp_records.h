/* interp_records.h: what the interpreter readers share (interp_python.c,
 * interp_php.c, interp_ruby.c): the lock over their records, checked reads, arena strings,
 * and each reader's entry points for the dispatch in interp_python.c. */
#ifndef RETAIN_INTERP_RECORDS_H
#define RETAIN_INTERP_RECORDS_H

#include "interp.h"

#include <stddef.h>
#include <stdint.h>

void interp_records_lock(void);
void interp_records_unlock(void);
/* process_vm_readv on ourselves; errno is the caller's to keep. */
int interp_read_raw(uintptr_t from, void *to, size_t n);
struct iovec;
/* A vectored process_vm_readv on ourselves: the bytes read, or -1. */
long interp_read_vec(struct iovec *local, struct iovec *remote, int n);
const char *interp_arena_str(const char *s);

/* Report frames, one per (words[0], words[1]) of a captured interpreter
 * frame, kept for the life of the process (a report-time cache: reports are
 * written one at a time).  A new one is filled by fill(words, arg, frame);
 * NULL when out of memory.  Takes the records lock. */
const struct frame *interp_frame_intern(const uintptr_t *words,
                                        void (*fill)(const uintptr_t *, const void *, struct frame *),
                                        const void *arg);

/* PHP (interp_php.c): 1 if the process runs PHP (info filled, note in
 * note[cap] when its frames cannot be read). */
int php_init(struct interp_info *info, char *note, size_t cap);
void php_stop(void);
int php_capture(uintptr_t *words, int max);
const struct frame *php_frame(const uintptr_t *words);

/* Ruby (interp_ruby.c): 1 if the process runs Ruby (libruby's symbols). */
int ruby_init(struct interp_info *info, char *note, size_t cap);
void ruby_stop(void);
int ruby_capture(uintptr_t *words, int max);
const struct frame *ruby_frame(const uintptr_t *words);

#endif
