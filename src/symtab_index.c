#include "symtab_index.h"

#include <stdlib.h>

struct entry {
    Dwarf_Addr lo, hi;          /* [lo, hi): the symbol's bytes */
    const char *name;           /* libelf's string table: lives with the Dwfl */
    int rank;                   /* binding: global 3, weak 2, local 1 */
};

struct symtab_index {
    size_t n;
    struct entry *e;            /* by lo, then rank (best first) */
    Dwarf_Addr *max_hi;         /* max_hi[i]: highest hi of e[0..i] */
};

static int rank_of(unsigned char info)
{
    switch (GELF_ST_BIND(info)) {
    case STB_GLOBAL:
    case STB_GNU_UNIQUE:
        return 3;
    case STB_WEAK:
        return 2;
    default:
        return 1;
    }
}

static int by_start(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return y->rank - x->rank;
}

struct symtab_index *symtab_index_build(Dwfl_Module *mod, int min_symbols)
{
    int total = dwfl_module_getsymtab(mod);
    if (total <= 0 || total < min_symbols)
        return NULL;
    struct symtab_index *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->e = malloc((size_t)total * sizeof *x->e);
    if (!x->e) {
        free(x);
        return NULL;
    }
    for (int i = 1; i < total; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
        int type = GELF_ST_TYPE(sym.st_info);
        if (!name || !*name || sym.st_size == 0 || shndx == SHN_UNDEF || type == STT_SECTION ||
            type == STT_FILE || type == STT_TLS)
            continue;
        x->e[x->n++] = (struct entry){ addr, addr + sym.st_size, name, rank_of(sym.st_info) };
    }
    qsort(x->e, x->n, sizeof *x->e, by_start);
    x->max_hi = malloc((x->n ? x->n : 1) * sizeof *x->max_hi);
    if (!x->max_hi) {
        symtab_index_free(x);
        return NULL;
    }
    for (size_t i = 0; i < x->n; i++)
        x->max_hi[i] = i && x->max_hi[i - 1] > x->e[i].hi ? x->max_hi[i - 1] : x->e[i].hi;
    return x;
}

const char *symtab_index_lookup(const struct symtab_index *x, Dwarf_Addr pc, GElf_Off *offset)
{
    /* The last entry starting at or before pc. */
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->e[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Back from there while some earlier symbol may still reach pc: the
     * first that holds it has the highest start; at the same start the
     * best-ranked comes first (by_start). */
    for (size_t i = lo; i-- > 0 && x->max_hi[i] > pc;) {
        if (pc < x->e[i].hi) {
            size_t best = i;
            while (best > 0 && x->e[best - 1].lo == x->e[i].lo)
                best--;
            /* at this start, the best-ranked symbol that holds pc */
            for (size_t j = best; j <= i; j++)
                if (pc < x->e[j].hi) {
                    best = j;
                    break;
                }
            *offset = pc - x->e[best].lo;
            return x->e[best].name;
        }
    }
    return NULL;
}

size_t symtab_index_count(const struct symtab_index *x) { return x ? x->n : 0; }

void symtab_index_free(struct symtab_index *x)
{
    if (!x)
        return;
    free(x->e);
    free(x->max_hi);
    free(x);
}
