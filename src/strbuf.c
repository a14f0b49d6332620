#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sb_init(struct strbuf *sb) { memset(sb, 0, sizeof *sb); }

void sb_free(struct strbuf *sb)
{
    free(sb->data);
    sb_init(sb);
}

static int reserve(struct strbuf *sb, size_t extra)
{
    if (sb->failed)
        return -1;
    if (sb->len + extra + 1 <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 4096;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    char *d = realloc(sb->data, cap);
    if (!d) {
        sb->failed = 1;
        return -1;
    }
    sb->data = d;
    sb->cap = cap;
    return 0;
}

void sb_put(struct strbuf *sb, const char *s, size_t n)
{
    if (reserve(sb, n) < 0)
        return;
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = 0;
}

void sb_puts(struct strbuf *sb, const char *s) { sb_put(sb, s, strlen(s)); }

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        sb_put(sb, small, (size_t)n);
        return;
    }
    if (reserve(sb, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

/* Length of the well-formed UTF-8 sequence at p (Unicode table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0 if p starts
 * an ill-formed one; then *bad is the length of its maximal subpart, the
 * bytes one U+FFFD replaces (as Python's "replace" and WHATWG decoders do). */
static size_t utf8_sequence(const unsigned char *p, size_t *bad)
{
    unsigned char b = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;     /* range of the second byte */
    if (b < 0x80)
        return 1;
    if (b >= 0xc2 && b <= 0xdf)
        len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
        len = 3;
        if (b == 0xe0)
            lo = 0xa0;
        else if (b == 0xed)
            hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4;
        if (b == 0xf0)
            lo = 0x90;
        else if (b == 0xf4)
            hi = 0x8f;
    } else {
        *bad = 1;
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        unsigned char c = p[i];             /* the NUL terminator fails here */
        if (c < (i == 1 ? lo : 0x80) || c > (i == 1 ? hi : 0xbf)) {
            *bad = i;
            return 0;
        }
    }
    return len;
}

void sb_json_str(struct strbuf *sb, const char *s)
{
    if (!s) {
        sb_puts(sb, "null");
        return;
    }
    sb_put(sb, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const unsigned char *run = p;
        size_t n, bad = 0;
        /* copy printable ASCII and well-formed sequences as they are */
        while (*p >= 0x20 && *p != '"' && *p != '\\' && (n = utf8_sequence(p, &bad)) > 0)
            p += n;
        if (p > run)
            sb_put(sb, (const char *)run, (size_t)(p - run));
        if (!*p)
            break;
        if (bad) {
            sb_puts(sb, "\xef\xbf\xbd");     /* U+FFFD REPLACEMENT CHARACTER */
            p += bad;
            continue;
        }
        switch (*p) {
        case '"': sb_puts(sb, "\\\""); break;
        case '\\': sb_puts(sb, "\\\\"); break;
        case '\n': sb_puts(sb, "\\n"); break;
        case '\t': sb_puts(sb, "\\t"); break;
        default: sb_printf(sb, "\\u%04x", *p); break;
        }
        p++;
    }
    sb_put(sb, "\"", 1);
}

void sb_bytes(struct strbuf *sb, double b)
{
    static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int u = 0;
    while (b >= 1024 && u < 4) {
        b /= 1024;
        u++;
    }
    if (u == 0)
        sb_printf(sb, "%.0f B", b);
    else
        sb_printf(sb, "%.*f %s", b < 10 ? 2 : b < 100 ? 1 : 0, b, unit[u]);
}

char *read_small_file(const char *path, size_t max, size_t *len)
{
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096;
    char *buf = malloc(cap + 1);
    while (buf) {
        ssize_t r = read(fd, buf + *len, cap - *len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        *len += (size_t)r;
        if (*len == cap) {
            if (cap >= max)
                break;
            char *bigger = realloc(buf, cap * 2 + 1);
            if (!bigger)
                break;
            buf = bigger;
            cap *= 2;
        }
    }
    close(fd);
    if (buf)
        buf[*len] = 0;
    return buf;
}
