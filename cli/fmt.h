/* fmt.h: small text helpers every output shares (sizes, frame names,
 * escaping, opening an output file). */
#ifndef RETAIN_CLI_FMT_H
#define RETAIN_CLI_FMT_H
#include <stdint.h>
#include <stdio.h>
#include "report_model.h"

/* "5.42 MiB" into buf (at least 32 bytes). */
const char *fmt_bytes(double bytes, char *buf);
/* "1.5 s" / "300 ms" into buf (at least 32 bytes). */
const char *fmt_ms(double ms, char *buf);
/* The frame's function, or "module+0xoffset" when it has none. */
const char *frame_name(const struct frame *f, char *buf, size_t cap);
/* The function with template and argument lists elided: "std::map<…>::insert(…)". */
const char *frame_short_name(const struct frame *f, char *buf, size_t cap);
/* "file:line", or the module's base name, or "" */
const char *frame_where(const struct frame *f, char *buf, size_t cap);
/* The last path component. */
const char *base_name(const char *path);
/* The first frame of a stack that is the program's own code rather than an
 * allocator wrapper or the standard library: where to look first.  The
 * first interpreter frame (a Python, Ruby or PHP line) when there is one. */
const struct frame *stack_blame_frame(const struct stack *s);
/* The first `chars` characters of s (UTF-8, never cut inside one) into
 * out, ending in ".." when s is longer. */
void utf8_prefix(char *out, size_t cap, const char *s, size_t chars);
/* Writes s with &, <, >, " and ' escaped. */
void html_escape(FILE *fp, const char *s);
/* Writes s as the body of a JSON string (without the quotes). */
void json_escape(FILE *fp, const char *s);
/* stdout for NULL or "-", else the file, truncated, with permission bits
 * `perm` (a report holds a program's arguments and addresses: an export of
 * it is as private as the report).  NULL with one line on stderr if it
 * cannot be opened. */
FILE *out_open(const char *path, unsigned perm);
/* Closes (flushes) fp unless it is stdout; -1 with a line on stderr on a write error. */
int out_close(FILE *fp, const char *path);
#endif
