/* fmt.c: text helpers shared by the outputs. */
#include "fmt.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>

const char *fmt_bytes(double b, char *buf)
{
    static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int u = 0;
    double v = b < 0 ? -b : b;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (b < 0)
        v = -v;
    if (u == 0)
        snprintf(buf, 32, "%.0f B", v);
    else
        snprintf(buf, 32, "%.*f %s", v < 10 ? 2 : v < 100 ? 1 : 0, v, units[u]);
    return buf;
}

const char *fmt_ms(double ms, char *buf)
{
    if (ms < 1000)
        snprintf(buf, 32, "%.0f ms", ms);
    else if (ms < 120000)
        snprintf(buf, 32, "%.1f s", ms / 1000);
    else
        snprintf(buf, 32, "%.1f min", ms / 60000);
    return buf;
}

const char *base_name(const char *path)
{
    if (!path)
        return "";
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

const char *frame_name(const struct frame *f, char *buf, size_t cap)
{
    if (f->function)
        return f->function;
    if (f->module)
        snprintf(buf, cap, "%s+0x%llx", base_name(f->module), (unsigned long long)f->offset);
    else
        snprintf(buf, cap, "0x%llx", (unsigned long long)f->address);
    return buf;
}

/* Keeps the outermost level of <...> and (...) as "<…>" and "(…)". */
const char *frame_short_name(const struct frame *f, char *buf, size_t cap)
{
    char tmp[512];
    const char *name = frame_name(f, tmp, sizeof tmp);
    if (f->language) {          /* a script's function: short already */
        snprintf(buf, cap, "%s", name);
        return buf;
    }
    size_t n = 0;
    int angle = 0, paren = 0;
    /* "operator<<" and "operator()" are names, not lists */
    for (const char *p = name; *p && n + 8 < cap; p++) {
        if (!strncmp(p, "operator", 8) && angle == 0 && paren == 0) {
            const char *q = p + 8;
            size_t op = strspn(q, "<>=()[]!+-*/%&|^~,");
            if (!strncmp(q, "()", 2))
                op = 2;
            size_t len = 8 + (op > 3 ? 3 : op);
            if (n + len + 4 >= cap)
                break;
            memcpy(buf + n, p, len);
            n += len;
            p += len - 1;
            continue;
        }
        char c = *p;
        /* a template list follows a name; "<module>", "<lambda>" are names */
        if (c == '<' && paren == 0 && (angle > 0 || (n > 0 && (isalnum((unsigned char)buf[n - 1]) ||
                                                             buf[n - 1] == '_' || buf[n - 1] == '>')))) {
            if (angle++ == 0) {
                memcpy(buf + n, "<\xe2\x80\xa6>", 5);
                n += 5;
            }
            continue;
        }
        if (c == '>' && paren == 0 && angle > 0) {
            angle--;
            continue;
        }
        if (c == '(' && angle == 0) {
            if (paren++ == 0) {
                /* "(anonymous namespace)" stays as it is */
                if (!strncmp(p, "(anonymous namespace)", 21)) {
                    paren = 0;
                    if (n + 22 >= cap)
                        break;
                    memcpy(buf + n, p, 21);
                    n += 21;
                    p += 20;
                    continue;
                }
                if (p[1] == ')') {
                    memcpy(buf + n, "()", 2);
                    n += 2;
                } else {
                    memcpy(buf + n, "(\xe2\x80\xa6)", 5);
                    n += 5;
                }
            }
            continue;
        }
        if (c == ')' && angle == 0 && paren > 0) {
            paren--;
            continue;
        }
        if (angle == 0 && paren == 0)
            buf[n++] = c;
    }
    buf[n] = 0;
    return buf;
}

const char *frame_where(const struct frame *f, char *buf, size_t cap)
{
    if (f->file && f->line > 0)
        snprintf(buf, cap, "%s:%ld", f->file, f->line);
    else if (f->file)
        snprintf(buf, cap, "%s", f->file);
    else
        snprintf(buf, cap, "%s", f->module ? base_name(f->module) : "");
    return buf;
}

static int is_runtime(const struct frame *f)
{
    static const char *const prefixes[] = { "operator new", "operator delete", "std::", "__gnu_cxx::",
        "malloc", "calloc", "realloc", "__libc_", "_dl_", "PyMem_", "PyObject_Malloc",
        "_PyObject_", "ruby_xmalloc", "objspace_", "emalloc", "_emalloc", NULL };
    /* the library's judgement, by namespace (src/stdlib_frames.h): Rust's
     * core::, alloc::, hashbrown:: frames among them */
    if (!f->function || f->stdlib)
        return 1;
    for (int i = 0; prefixes[i]; i++)
        if (!strncmp(f->function, prefixes[i], strlen(prefixes[i])))
            return 1;
    if (f->file && (!strncmp(f->file, "/usr/include/", 13) || strstr(f->file, "/bits/")))
        return 1;
    return 0;
}

const struct frame *stack_blame_frame(const struct stack *s)
{
    /* an interpreter's frame is the script's own code unless the report
     * marks it the interpreter's library ("stdlib"): the first such wins,
     * else the first interpreter frame */
    for (size_t i = 0; i < s->n; i++)
        if (s->frames[i].language && !s->frames[i].stdlib)
            return &s->frames[i];
    for (size_t i = 0; i < s->n; i++)
        if (s->frames[i].language)
            return &s->frames[i];
    for (size_t i = 0; i < s->n; i++)
        if (!is_runtime(&s->frames[i]))
            return &s->frames[i];
    return s->n ? &s->frames[0] : NULL;
}

void utf8_prefix(char *out, size_t cap, const char *s, size_t chars)
{
    size_t n = 0, count = 0, len = strlen(s);
    size_t total = 0;
    for (const char *p = s; *p; p++)
        total += ((unsigned char)*p & 0xc0) != 0x80;
    size_t keep = total > chars ? (chars > 2 ? chars - 2 : 0) : chars;
    while (n < len && n + 4 < cap) {
        size_t step = 1;
        while (n + step < len && ((unsigned char)s[n + step] & 0xc0) == 0x80)
            step++;
        if (count == keep || n + step + 3 >= cap)
            break;
        n += step;
        count++;
    }
    memcpy(out, s, n);
    if (total > chars && n + 3 <= cap) {
        memcpy(out + n, "..", 2);
        n += 2;
    }
    out[n] = 0;
}

void html_escape(FILE *fp, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&#39;", fp); break;
        default: fputc(*s, fp);
        }
    }
}

void json_escape(FILE *fp, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c < 0x20)
            fprintf(fp, "\\u%04x", c);
        else
            fputc(c, fp);
    }
}

FILE *out_open(const char *path, unsigned perm)
{
    if (!path || !strcmp(path, "-"))
        return stdout;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, perm);
    struct stat st;
    /* an existing file of ours keeps no wider bits than the report's */
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid())
        fchmod(fd, perm);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!fp) {
        fprintf(stderr, "retain: cannot write %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    return fp;
}

int out_close(FILE *fp, const char *path)
{
    int bad = fflush(fp) != 0 || ferror(fp);
    if (fp != stdout && fclose(fp) != 0)
        bad = 1;
    if (bad)
        fprintf(stderr, "retain: error writing %s: %s\n", path && strcmp(path, "-") ? path : "standard output",
                strerror(errno));
    return bad ? -1 : 0;
}
