#include "stdlib_frames.h"

#include "demangle.h"

#include <string.h>

static const char *const rust_std_crates[] = { "core", "alloc", "std", "hashbrown" };

static int contains(const char *s, const char *needle)
{
    return s && strstr(s, needle) != NULL;
}

static int ident_char(unsigned char c)
{
    return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c >= 0x80;
}

static int rust_std_crate(const char *s, size_t n)
{
    if (n >= 2 && s[0] == '_' && s[1] == '_')
        return 1;
    for (size_t i = 0; i < sizeof rust_std_crates / sizeof rust_std_crates[0]; i++)
        if (strlen(rust_std_crates[i]) == n && !strncmp(s, rust_std_crates[i], n))
            return 1;
    return 0;
}

/* A Rust type or path at *pp: 1 if it belongs to a standard crate or is a
 * primitive (u64, str, [T], fn(), a tuple of those), 0 if to another crate.
 * *pp is left after its first identifier. */
static int rust_type_is_std(const char **pp)
{
    const char *p = *pp;
    static const char *const prefixes[] = { "&", "mut ", "*const ", "*mut ", "dyn ", "impl ", "[", "(" };
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
            if (!strncmp(p, prefixes[i], strlen(prefixes[i]))) {
                p += strlen(prefixes[i]);
                again = 1;
            }
    }
    const char *id = p;
    while (ident_char((unsigned char)*p))
        p++;
    *pp = p;
    if (p[0] == ':' && p[1] == ':')
        return rust_std_crate(id, (size_t)(p - id));
    return 1;       /* no crate path: a primitive type */
}

/* The ` as ` of a qualified path `<T as Trait>` whose '<' is at q, or NULL
 * for an inherent one `<T>`. */
static const char *qualified_as(const char *q)
{
    int depth = 0;
    for (const char *p = q; *p; p++) {
        if (*p == '<' || *p == '(' || *p == '[')
            depth++;
        else if (*p == '>' || *p == ')' || *p == ']') {
            if (--depth == 0)
                return NULL;
        } else if (depth == 1 && !strncmp(p, " as ", 4))
            return p + 4;
    }
    return NULL;
}

static int rust_is_std(const char *fn)
{
    if (fn[0] != '<') {
        const char *p = fn;
        return p[0] && rust_type_is_std(&p) && p[0] == ':';
    }
    const char *p = fn + 1;
    int type_std = rust_type_is_std(&p);
    const char *trait = qualified_as(fn);
    if (!trait)
        return type_std;
    return type_std && rust_type_is_std(&trait);
}

static int cxx_is_std(const char *fn)
{
    if (!strncmp(fn, "operator new", 12) || !strncmp(fn, "operator delete", 15))
        return 1;
    char shortened[512];
    const char *s = short_function_name(fn, shortened, sizeof shortened);
    size_t root = strcspn(s, ":<(");
    if (s[root] != ':')
        return 0;       /* a function outside any namespace */
    /* std, and the implementation's own reserved names (__gnu_cxx, __cxxabiv1) */
    return (root == 3 && !strncmp(s, "std", 3)) || !strncmp(s, "__", 2);
}

int function_is_stdlib(const char *fn, int mangling)
{
    if (!fn)
        return 0;
    if (!strncmp(fn, "__", 2))
        return 1;
    if (mangling == MANGLING_RUST)
        return rust_is_std(fn);
    return cxx_is_std(fn);
}

int frame_is_stdlib(const struct frame *f)
{
    if (f->language)
        return f->stdlib;       /* the interpreter reader's judgement (interp.h) */
    if (contains(f->module, "libc.so") || contains(f->module, "libstdc++"))
        return 1;
    return function_is_stdlib(f->function, f->mangling);
}
