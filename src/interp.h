/* interp.h: interpreter frames for tracked blocks (CPython 3.8-3.13, PHP 8.2,
 * Ruby 3.1).
 *
 * When a tracked block is allocated on a thread that runs Python code and
 * holds the GIL, the Python stack is read straight from the interpreter's
 * own structures (found from the exported _PyRuntime, laid out per version
 * by interp_python_versions.h), every read checked by process_vm_readv, so
 * a bad pointer is a failed read, never a fault.  Nothing on that path
 * allocates from the host's heap, takes a lock the host could hold, or runs
 * Python code.
 *
 * A Python frame is kept in a site's key as two words: the code object's
 * record (struct py_code, copied once per code object: file, qualname,
 * line table) with bit 0 set on the outermost frame of one evaluator call,
 * and the byte offset of the instruction.  Lines are decoded from the copied
 * table when a report is written.  A PHP frame (interp_php.c): its
 * function's record with bit 1 set, and the line.  A Ruby frame
 * (interp_ruby.c): its iseq's record with bit 2 set, and the pc's offset in
 * the iseq (VALUEs); Ruby is read on the thread that holds the GVL only. */
#ifndef RETAIN_INTERP_H
#define RETAIN_INTERP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct frame;

#define INTERP_MAX_FRAMES 32            /* Python frames kept per allocation */
#define INTERP_WORDS_PER_FRAME 2
#define INTERP_ENTRY_BIT ((uintptr_t)1) /* in word 0: last frame of its evaluator call */
#define INTERP_PHP_BIT ((uintptr_t)2)   /* in word 0: a PHP frame (else CPython) */
#define INTERP_RUBY_BIT ((uintptr_t)4)  /* in word 0: a Ruby frame */
#define INTERP_TAG_BITS ((uintptr_t)15) /* records are 16-byte aligned (arena) */

/* Start-up (lifecycle row "interp"): finds the interpreter, if any. */
void interp_init(void);
void interp_lock(void);
void interp_unlock(void);
void interp_after_fork_child(void);

/* A seccomp filter is going in: no more reads of ours on this path. */
void interp_stop(void);

/* Allocation path: writes this thread's interpreter frames, innermost first, as
 * INTERP_WORDS_PER_FRAME words each, at most max frames.  Returns the number
 * of frames; 0 when the thread runs no Python code or does not hold the GIL. */
int interp_capture(uintptr_t *words, int max);

/* Report: the frame for two words of a site's key, valid for the life of the
 * process; *entry_end = 1 when it is the outermost frame of its evaluator
 * call (the next frame belongs to the next _PyEval_EvalFrameDefault). */
const struct frame *interp_frame(const uintptr_t *words, int *entry_end);
/* Is this native function the evaluator (where interpreter frames interleave):
 * _PyEval_EvalFrameDefault, execute_ex, rb_vm_exec? */
int interp_is_evaluator(const char *function);

/* The CPython dict keys header this process uses: 1 (3.11+), 0 (3.8-3.10),
 * -1: no CPython of a known version (container.h). */
int interp_python_dict_layout(void);
/* A checked read of our own memory (process_vm_readv, errno kept):
 * 0, or -1 where it is not mapped or reads are refused. */
int interp_read(uintptr_t from, void *to, size_t n);

/* What the report says about the interpreter: NULL when the process runs
 * none.  language "python", version "3.11.2", frames 1 if frames are read,
 * note: why not (one line), or NULL. */
struct interp_info {
    const char *language;
    char version[32];
    int frames;
    const char *note;
};
const struct interp_info *interp_info(void);

/* Fields of a structure copied out of the interpreter (a checked read):
 * unaligned loads from the copy, for the readers. */
static inline uintptr_t interp_word_at(const unsigned char *b, int off)
{
    uintptr_t v;
    memcpy(&v, b + off, sizeof v);
    return v;
}

static inline uint32_t interp_u32_at(const unsigned char *b, int off)
{
    uint32_t v;
    memcpy(&v, b + off, sizeof v);
    return v;
}

#endif
