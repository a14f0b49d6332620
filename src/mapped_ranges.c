/* mapped_ranges.c: /proc/self/maps parsed into sorted readable ranges. */
#include "mapped_ranges.h"
#include "internal_alloc.h"
#include "strbuf.h"

#include <stdlib.h>

static uintptr_t parse_hex(const char **p)
{
    uintptr_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        if (c >= '0' && c <= '9') v = v * 16 + (uintptr_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v = v * 16 + (uintptr_t)(c - 'a' + 10);
        else return v;
    }
}

int mapped_ranges_add(struct mapped_ranges *m, uintptr_t lo, uintptr_t hi)
{
    if (hi <= lo)
        return 0;
    /* /proc lists mappings in address order; merge neighbours. */
    if (m->n && m->range[m->n - 1][1] == lo) {
        m->range[m->n - 1][1] = hi;
        return 0;
    }
    if (m->n == m->cap) {
        int cap2 = m->cap ? m->cap * 2 : 512;
        void *r = internal_realloc(m->range, (size_t)cap2 * sizeof *m->range);
        if (!r)
            return -1;
        m->range = r;
        m->cap = cap2;
    }
    m->range[m->n][0] = lo;
    m->range[m->n][1] = hi;
    m->n++;
    return 0;
}

void mapped_ranges_refresh(struct mapped_ranges *m)
{
    size_t len;
    char *buf = read_small_file("/proc/self/maps", (size_t)64 << 20, &len);
    if (!buf)
        return;
    m->n = 0;
    for (const char *p = buf; *p;) {
        uintptr_t lo = parse_hex(&p);
        if (*p == '-')
            p++;
        uintptr_t hi = parse_hex(&p);
        int readable = p[0] == ' ' && p[1] == 'r';
        if (readable && mapped_ranges_add(m, lo, hi) < 0)
            break;
        while (*p && *p != '\n')
            p++;
        if (*p)
            p++;
    }
    free(buf);
}

void mapped_ranges_free(struct mapped_ranges *m)
{
    internal_free(m->range);
    m->range = NULL;
    m->n = m->cap = 0;
}

int mapped_ranges_contains(const struct mapped_ranges *m, uintptr_t v, int *hint)
{
    if (v < 4096 || m->n == 0)
        return 0;
    int h = *hint;
    if (h < m->n && v >= m->range[h][0] && v < m->range[h][1])
        return 1;
    int lo = 0, hi = m->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (v < m->range[mid][0])
            hi = mid - 1;
        else if (v >= m->range[mid][1])
            lo = mid + 1;
        else {
            *hint = mid;
            return 1;
        }
    }
    return 0;
}
