/* strbuf.h: a growable text buffer for building reports. */
#ifndef RETAIN_STRBUF_H
#define RETAIN_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *data;
    size_t len, cap;
    int failed;                 /* an allocation failed: contents are incomplete */
};

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_put(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal, quotes included; NULL becomes null. */
void sb_json_str(struct strbuf *sb, const char *s);
/* Human size: "12.3 MiB". */
void sb_bytes(struct strbuf *sb, double bytes);

/* The whole of a (small, /proc) file, NUL-terminated, from malloc; at most
 * max bytes.  NULL if it cannot be opened. */
char *read_small_file(const char *path, size_t max, size_t *len);

#endif
