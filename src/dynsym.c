/* dynsym.c: symbol lookup in a loaded object's own .dynsym, through its
 * DT_GNU_HASH (or DT_HASH) table, as the loader does for one object. */
#include "dynsym.h"

#include <elf.h>
#include <link.h>
#include <string.h>

struct lookup {
    uintptr_t pc;
    const char *name;
    int found;                  /* an object holds pc */
    int defines;
};

/* The object's dynamic tables, from its PT_DYNAMIC. */
struct dyn_tables {
    const ElfW(Sym) *symtab;
    const char *strtab;
    const uint32_t *gnu;
    const ElfW(Word) *sysv;
};

/* A dynamic-section address: glibc relocates these in place, other loaders
 * may not (as in rebind.c). */
static uintptr_t dyn_addr(uintptr_t base, ElfW(Addr) v)
{
    return v < base ? base + v : v;
}

static int defined_function(const ElfW(Sym) *s)
{
    unsigned type = ELF64_ST_TYPE(s->st_info);
    return s->st_shndx != SHN_UNDEF && s->st_value != 0 &&
           (type == STT_FUNC || type == STT_GNU_IFUNC);
}

static uint32_t gnu_hash(const char *s)
{
    uint32_t h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

static unsigned long sysv_hash(const char *s)
{
    unsigned long h = 0, g;
    for (; *s; s++) {
        h = (h << 4) + (unsigned char)*s;
        if ((g = h & 0xf0000000ul))
            h ^= g >> 24;
        h &= ~g;
    }
    return h;
}

static struct dyn_tables tables_of(uintptr_t base, const ElfW(Dyn) *dyn)
{
    struct dyn_tables t = { NULL, NULL, NULL, NULL };
    for (; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB: t.symtab = (const ElfW(Sym) *)dyn_addr(base, dyn->d_un.d_ptr); break;
        case DT_STRTAB: t.strtab = (const char *)dyn_addr(base, dyn->d_un.d_ptr); break;
        case DT_GNU_HASH: t.gnu = (const uint32_t *)dyn_addr(base, dyn->d_un.d_ptr); break;
        case DT_HASH: t.sysv = (const ElfW(Word) *)dyn_addr(base, dyn->d_un.d_ptr); break;
        }
    }
    return t;
}

/* How many entries .dynsym has: DT_HASH says (nchain); a GNU hash table
 * does not, and its last chain ends at the last symbol. */
static uint32_t symbol_count(const struct dyn_tables *t)
{
    if (t->sysv)
        return t->sysv[1];
    if (!t->gnu)
        return 0;
    uint32_t nbuckets = t->gnu[0], symoffset = t->gnu[1], bloom_words = t->gnu[2];
    const ElfW(Addr) *bloom = (const ElfW(Addr) *)(t->gnu + 4);
    const uint32_t *buckets = (const uint32_t *)(bloom + bloom_words);
    const uint32_t *chain = buckets + nbuckets;
    uint32_t last = 0;
    for (uint32_t b = 0; b < nbuckets; b++)
        if (buckets[b] > last)
            last = buckets[b];
    if (last < symoffset)
        return symoffset;       /* every bucket empty: only the unhashed symbols */
    while (!(chain[last - symoffset] & 1))
        last++;
    return last + 1;
}

static int defines(uintptr_t base, const ElfW(Dyn) *dyn, const char *name)
{
    struct dyn_tables t = tables_of(base, dyn);
    const ElfW(Sym) *symtab = t.symtab;
    const char *strtab = t.strtab;
    const uint32_t *gnu = t.gnu;
    const ElfW(Word) *sysv = t.sysv;
    if (!symtab || !strtab)
        return 0;
    if (gnu) {
        uint32_t nbuckets = gnu[0], symoffset = gnu[1], bloom_words = gnu[2];
        if (!nbuckets)
            return 0;
        const ElfW(Addr) *bloom = (const ElfW(Addr) *)(gnu + 4);
        const uint32_t *buckets = (const uint32_t *)(bloom + bloom_words);
        const uint32_t *chain = buckets + nbuckets;
        uint32_t h = gnu_hash(name);
        uint32_t i = buckets[h % nbuckets];
        if (i == 0 || i < symoffset)
            return 0;           /* an empty bucket */
        for (;; i++) {
            uint32_t ch = chain[i - symoffset];
            if ((ch | 1) == (h | 1) && !strcmp(strtab + symtab[i].st_name, name) &&
                defined_function(&symtab[i]))
                return 1;
            if (ch & 1)
                break;
        }
        return 0;
    }
    if (sysv) {
        ElfW(Word) nbucket = sysv[0];
        if (!nbucket)
            return 0;
        const ElfW(Word) *bucket = sysv + 2, *chain = bucket + nbucket;
        for (ElfW(Word) i = bucket[sysv_hash(name) % nbucket]; i != STN_UNDEF; i = chain[i])
            if (!strcmp(strtab + symtab[i].st_name, name) && defined_function(&symtab[i]))
                return 1;
    }
    return 0;
}

/* Does the object hold pc in one of its segments?  Then *dyn is its
 * dynamic section (NULL if it has none). */
static int holds_pc(const struct dl_phdr_info *info, uintptr_t pc, const ElfW(Dyn) **dyn)
{
    int holds = 0;
    *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_DYNAMIC)
            *dyn = (const ElfW(Dyn) *)lo;
        else if (ph->p_type == PT_LOAD && pc >= lo && pc < lo + ph->p_memsz)
            holds = 1;
    }
    return holds;
}

static int object_at(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct lookup *l = arg;
    const ElfW(Dyn) *dyn;
    if (!holds_pc(info, l->pc, &dyn))
        return 0;
    l->found = 1;
    l->defines = dyn && defines(info->dlpi_addr, dyn, l->name);
    return 1;
}

/* Which binding wins among symbols that hold the same pc (aliases). */
static int binding_rank(const ElfW(Sym) *s)
{
    switch (ELF64_ST_BIND(s->st_info)) {
    case STB_GLOBAL: return 3;
    case STB_GNU_UNIQUE: return 2;
    case STB_WEAK: return 1;
    default: return 0;
    }
}

struct function_lookup {
    uintptr_t pc;
    char *out;
    size_t cap;
    uintptr_t offset;
    int found;
};

static int function_in(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct function_lookup *l = arg;
    const ElfW(Dyn) *dyn;
    if (!holds_pc(info, l->pc, &dyn))
        return 0;
    if (!dyn)
        return 1;
    struct dyn_tables t = tables_of(info->dlpi_addr, dyn);
    if (!t.symtab || !t.strtab)
        return 1;
    uint32_t n = symbol_count(&t);
    uintptr_t off = l->pc - info->dlpi_addr;
    const ElfW(Sym) *best = NULL;
    for (uint32_t i = 1; i < n; i++) {
        const ElfW(Sym) *s = &t.symtab[i];
        if (!defined_function(s) || s->st_shndx == SHN_ABS || off < s->st_value ||
            off - s->st_value >= s->st_size)
            continue;
        if (!best || binding_rank(s) > binding_rank(best))
            best = s;
    }
    if (best) {
        const char *name = t.strtab + best->st_name;
        size_t len = strnlen(name, l->cap - 1);
        memcpy(l->out, name, len);
        l->out[len] = 0;
        l->offset = off - best->st_value;
        l->found = len > 0;
    }
    return 1;
}

int dynsym_function_at(uintptr_t pc, char *out, size_t cap, uintptr_t *offset)
{
    if (!out || cap < 2)
        return 0;
    struct function_lookup l = { pc, out, cap, 0, 0 };
    dl_iterate_phdr(function_in, &l);
    if (l.found && offset)
        *offset = l.offset;
    return l.found;
}

int dynsym_object_at_defines(uintptr_t pc, const char *name)
{
    struct lookup l = { pc, name, 0, 0 };
    dl_iterate_phdr(object_at, &l);
    return l.defines;
}
