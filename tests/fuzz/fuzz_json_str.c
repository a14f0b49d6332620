/*
 * fuzz_json_str: libFuzzer target over sb_json_str (src/strbuf.c), the
 * escaping every string in a JSON report goes through.
 *
 * The input (up to its first NUL, as C strings end) is escaped; the output
 * must be one JSON string literal: quotes around, only JSON's escapes, no
 * raw control character, well-formed UTF-8; and decoding it must give back
 * the input with each ill-formed UTF-8 sequence replaced by U+FFFD, one per
 * maximal subpart (Unicode's recommended practice, what Python's
 * bytes.decode("utf-8", "replace") does).  The decoder and the reference
 * replacement below are written independently of strbuf.c: code points by
 * their bit patterns, not by the byte-range table.
 */
#include "strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)

static size_t put_utf8(uint8_t *out, uint32_t cp)
{
    if (cp < 0x80) { out[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) { out[0] = 0xc0 | cp >> 6; out[1] = 0x80 | (cp & 0x3f); return 2; }
    if (cp < 0x10000) {
        out[0] = 0xe0 | cp >> 12; out[1] = 0x80 | (cp >> 6 & 0x3f); out[2] = 0x80 | (cp & 0x3f);
        return 3;
    }
    out[0] = 0xf0 | cp >> 18; out[1] = 0x80 | (cp >> 12 & 0x3f);
    out[2] = 0x80 | (cp >> 6 & 0x3f); out[3] = 0x80 | (cp & 0x3f);
    return 4;
}

/* Decodes one code point at s[0..n); returns its length, or 0 with *sub the
 * length of the maximal subpart: the longest prefix that some well-formed
 * sequence starts with (at least 1). */
static size_t decode(const uint8_t *s, size_t n, uint32_t *cp, size_t *sub)
{
    uint8_t b = s[0];
    size_t len;
    uint32_t v, min;
    if (b < 0x80) { *cp = b; return 1; }
    else if ((b & 0xe0) == 0xc0) { len = 2; v = b & 0x1f; min = 0x80; }
    else if ((b & 0xf0) == 0xe0) { len = 3; v = b & 0x0f; min = 0x800; }
    else if ((b & 0xf8) == 0xf0) { len = 4; v = b & 0x07; min = 0x10000; }
    else { *sub = 1; return 0; }
    for (size_t k = 1; k < len; k++) {
        if (k >= n || (s[k] & 0xc0) != 0x80) { *sub = k; return 0; }
        v = v << 6 | (s[k] & 0x3f);
        /* The bits still to come can add anything from 0 to 2^(6*left)-1:
         * stop as soon as no completion is in range. */
        size_t left = len - 1 - k;
        uint32_t lo = v << (6 * left), hi = lo | ((1u << (6 * left)) - 1);
        int possible = hi >= min && lo <= 0x10ffff && !(lo >= 0xd800 && hi <= 0xdfff);
        if (!possible) { *sub = k; return 0; }
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        /* only reachable for 2-byte overlongs (C0, C1): the lead alone */
        *sub = 1;
        return 0;
    }
    *cp = v;
    return len;
}

/* The input with ill-formed sequences replaced. */
static size_t reference(const uint8_t *s, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t sub = 0, len = decode(s + i, n - i, &cp, &sub);
        if (len) {
            memcpy(out + o, s + i, len);
            o += len;
            i += len;
        } else {
            o += put_utf8(out + o, 0xfffd);
            i += sub;
        }
    }
    return o;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A strict JSON string literal decoder (RFC 8259) into UTF-8. */
static size_t json_decode(const uint8_t *s, size_t n, uint8_t *out)
{
    CHECK(n >= 2 && s[0] == '"' && s[n - 1] == '"');
    size_t o = 0;
    for (size_t i = 1; i < n - 1;) {
        uint8_t c = s[i];
        CHECK(c >= 0x20 && c != '"');
        if (c != '\\') {
            uint32_t cp;
            size_t sub, len = decode(s + i, n - 1 - i, &cp, &sub);
            CHECK(len > 0);                 /* the output is well-formed UTF-8 */
            memcpy(out + o, s + i, len);
            o += len;
            i += len;
            continue;
        }
        CHECK(i + 1 < n - 1);
        uint8_t e = s[i + 1];
        static const char escapes[] = "\"\\/bfnrtu";
        const char *simple = strchr(escapes, e);
        CHECK(e && simple);
        if (e != 'u') {
            static const char map[] = "\"\\/\b\f\n\r\t";
            out[o++] = (uint8_t)map[simple - escapes];
            i += 2;
            continue;
        }
        CHECK(i + 6 <= n - 1);
        uint32_t cp = 0;
        for (int k = 2; k < 6; k++) {
            int h = hexval(s[i + k]);
            CHECK(h >= 0);
            cp = cp << 4 | (uint32_t)h;
        }
        CHECK(cp < 0xd800 || cp > 0xdfff);   /* sb_json_str never writes surrogate escapes */
        o += put_utf8(out + o, cp);
        i += 6;
    }
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = 0;
    size_t n = strlen(s);
    struct strbuf sb;
    sb_init(&sb);
    sb_json_str(&sb, s);
    CHECK(!sb.failed && sb.data && sb.len == strlen(sb.data));
    uint8_t *got = malloc(3 * n + 8), *want = malloc(3 * n + 8);
    size_t ng = json_decode((const uint8_t *)sb.data, sb.len, got);
    size_t nw = reference((const uint8_t *)s, n, want);
    CHECK(ng == nw && !memcmp(got, want, ng));
    free(got);
    free(want);
    sb_free(&sb);
    free(s);
    return 0;
}
