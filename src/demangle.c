#include "demangle.h"

#include "strbuf.h"

#include <libiberty/demangle.h>
#include <string.h>

/* Parameters shown, hashes and disambiguators not (no DMGL_VERBOSE):
 * `prog::fill_table`, not `prog::fill_table::h0123456789abcdef`. */
#define OPTIONS (DMGL_PARAMS | DMGL_ANSI)

enum mangling demangle_scheme(const char *name)
{
    if (!name || name[0] != '_')
        return MANGLING_NONE;
    if (name[1] == 'R' && name[2] >= 'A' && name[2] <= 'Z')
        return MANGLING_RUST;
    if (name[1] == 'Z')
        return MANGLING_CXX;        /* or legacy Rust, which is C++-shaped */
    return MANGLING_NONE;
}

static void put(const char *s, size_t n, void *sb)
{
    sb_put(sb, s, n);
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Legacy Rust escapes a non-ASCII character of an identifier as `$u<hex>$`
 * (`gr$uf6$$udf$e`); libiberty decodes only those below 0x80 and leaves the
 * rest as they are.  Decoded here to UTF-8 in place (the encoding is never
 * longer than the escape), as rustc-demangle does: `größe`. */
static size_t decode_unicode_escapes(char *s, size_t len)
{
    size_t r = 0, w = 0;
    while (r < len) {
        unsigned long cp = 0;
        size_t j = r + 2;
        if (s[r] == '$' && r + 1 < len && s[r + 1] == 'u') {
            while (j < len && j - r < 9 && hex_digit(s[j]) >= 0)
                cp = cp * 16 + (unsigned long)hex_digit(s[j++]);
        }
        if (j > r + 2 && j < len && s[j] == '$' && cp >= 0x80 && cp <= 0x10FFFF &&
            !(cp >= 0xD800 && cp <= 0xDFFF)) {
            if (cp < 0x800) {
                s[w++] = (char)(0xC0 | (cp >> 6));
            } else if (cp < 0x10000) {
                s[w++] = (char)(0xE0 | (cp >> 12));
                s[w++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            } else {
                s[w++] = (char)(0xF0 | (cp >> 18));
                s[w++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                s[w++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            }
            s[w++] = (char)(0x80 | (cp & 0x3F));
            r = j + 1;
            continue;
        }
        s[w++] = s[r++];
    }
    return w;
}

char *demangle(const char *name, enum mangling *kind)
{
    if (kind)
        *kind = MANGLING_NONE;
    enum mangling scheme = demangle_scheme(name);
    if (scheme == MANGLING_NONE || strnlen(name, DEMANGLE_MAX_MANGLED + 1) > DEMANGLE_MAX_MANGLED)
        return NULL;
    struct strbuf sb;
    sb_init(&sb);
    enum mangling got = MANGLING_NONE;
    /* Rust first: a legacy Rust name is also a valid C++ one
     * (`core::ptr::drop_in_place$LT$...$GT$::h0123...`); the Rust demangler
     * accepts it only with its hash and escapes in place. */
    if (rust_demangle_callback(name, OPTIONS, put, &sb) && !sb.failed && sb.len) {
        got = MANGLING_RUST;
        if (scheme == MANGLING_CXX)
            sb.len = decode_unicode_escapes(sb.data, sb.len);
    } else if (scheme == MANGLING_CXX) {
        sb.len = 0;             /* a partial Rust attempt */
        sb.failed = 0;
        if (cplus_demangle_v3_callback(name, OPTIONS, put, &sb) && !sb.failed && sb.len)
            got = MANGLING_CXX;
    }
    char *out = NULL;
    if (got != MANGLING_NONE)
        out = strndup(sb.data, sb.len);
    sb_free(&sb);
    if (out && kind)
        *kind = got;
    return out;
}
