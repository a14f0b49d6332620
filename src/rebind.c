#include "rebind.h"
#include "cold.h"
#include "hooks.h"
#include "internal_alloc.h"
#include "real_alloc.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <malloc.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#define R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define R_GLOB_DAT R_X86_64_GLOB_DAT
#elif defined(__aarch64__)
#define R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define R_GLOB_DAT R_AARCH64_GLOB_DAT
#endif

/* The heap family of hooks.h: name and libretain's definition. */
struct heap_fn {
    const char *name;
    void *ours;
    void *next;                 /* what the wrapper forwards to */
};
#define HEAP_heap(name) { #name, (void *)name, NULL },
#define HEAP_proc(name)
#define HEAP_FN(name, ret, params, how, family) HEAP_##family(name)
static struct heap_fn heap_fns[] = { RETAIN_HOOKS(HEAP_FN) };
#define NHEAP (sizeof heap_fns / sizeof heap_fns[0])

/* The objects loaded at start-up, by load address.  They cannot be
 * unloaded, so no later object reuses one of these addresses. */
#define MAX_INITIAL 1024
COLD_BSS static uintptr_t initial[MAX_INITIAL];
static int ninitial;
static unsigned long long seen_adds;
static int enabled;

static int is_initial(uintptr_t base)
{
    for (int i = 0; i < ninitial; i++)
        if (initial[i] == base)
            return 1;
    return 0;
}

static int load_count(struct dl_phdr_info *info, size_t size, void *arg)
{
    *(unsigned long long *)arg = info->dlpi_adds;
    return 1;
}

static int remember_initial(struct dl_phdr_info *info, size_t size, void *arg)
{
    if (ninitial < MAX_INITIAL)
        initial[ninitial++] = info->dlpi_addr;
    return 0;
}

void rebind_init(void)
{
#ifdef R_JUMP_SLOT
    /* Only while the wrappers are what the process's lookups find. */
    void *global = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info a, b;
    if (!global || !dladdr(global, &a) || !dladdr((void *)rebind_init, &b) || a.dli_fbase != b.dli_fbase)
        return;
    for (size_t i = 0; i < NHEAP; i++)
        heap_fns[i].next = dlsym(RTLD_NEXT, heap_fns[i].name);
    dl_iterate_phdr(load_count, &seen_adds);
    dl_iterate_phdr(remember_initial, NULL);
    enabled = 1;
#endif
}

#ifdef R_JUMP_SLOT
/* A dynamic-section address: glibc relocates these in place, other loaders
 * may not. */
static uintptr_t dyn_addr(uintptr_t base, ElfW(Addr) v)
{
    return v < base ? base + v : v;
}

static void write_slot(void **slot, void *value, uintptr_t relro_lo, uintptr_t relro_hi)
{
    if (__atomic_load_n(slot, __ATOMIC_RELAXED) == value)
        return;
    uintptr_t s = (uintptr_t)slot;
    if (s >= relro_lo && s < relro_hi) {
        long page = sysconf(_SC_PAGESIZE);
        void *p = (void *)(s & ~(uintptr_t)(page - 1));
        if (mprotect(p, (size_t)page, PROT_READ | PROT_WRITE) != 0)
            return;
        __atomic_store_n(slot, value, __ATOMIC_RELAXED);
        mprotect(p, (size_t)page, PROT_READ);
    } else {
        __atomic_store_n(slot, value, __ATOMIC_RELAXED);
    }
}

/* What the loader's list says of an object loaded after start-up, copied
 * out of dl_iterate_phdr's callback: nothing that takes the loader's locks
 * (dlopen, dlsym) may run inside it.  The callback holds the loader's
 * list lock, and a program thread inside dlopen holds the loader's load
 * lock and waits for the list lock: dlopen in the callback deadlocked. */
#define MAX_LOADED 256
struct loaded {
    uintptr_t base;
    const ElfW(Dyn) *dyn;
    uintptr_t relro_lo, relro_hi;
    char name[512];
};
struct loaded_list {
    struct loaded obj[MAX_LOADED];
    int n;
};

static void rebind_relocs(uintptr_t base, void *handle, const ElfW(Rela) *rel, size_t n,
                          const ElfW(Sym) *symtab, const char *strtab, uintptr_t relro_lo,
                          uintptr_t relro_hi, void **local)
{
    for (size_t i = 0; i < n; i++) {
        unsigned type = (unsigned)ELF64_R_TYPE(rel[i].r_info);
        if (type != R_JUMP_SLOT && type != R_GLOB_DAT)
            continue;
        const char *name = strtab + symtab[ELF64_R_SYM(rel[i].r_info)].st_name;
        for (size_t f = 0; f < NHEAP; f++) {
            if (strcmp(name, heap_fns[f].name) != 0)
                continue;
            if (!local[f])
                local[f] = dlsym(handle, name);
            /* Bound, through the object's own scope, to what the wrapper
             * forwards to: the wrapper takes its place. */
            if (local[f] && local[f] == heap_fns[f].next)
                write_slot((void **)(base + rel[i].r_offset), heap_fns[f].ours, relro_lo, relro_hi);
            break;
        }
    }
}

/* Outside dl_iterate_phdr: the object is pinned by a handle of its own,
 * and checked to be the one copied (same load address and dynamic section). */
static void rebind_object(const struct loaded *o)
{
    void *handle = dlopen(o->name, RTLD_NOLOAD | RTLD_LAZY);
    if (!handle)
        return;                 /* unloaded since */
    struct link_map *lm = NULL;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm || lm->l_addr != o->base ||
        lm->l_ld != o->dyn) {
        real.dlclose(handle);
        return;
    }
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const ElfW(Rela) *jmprel = NULL, *rela = NULL;
    size_t jmprel_bytes = 0, rela_bytes = 0;
    int pltrel_is_rela = 1;
    for (const ElfW(Dyn) *dyn = o->dyn; dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t b = o->base;
        switch (dyn->d_tag) {
        case DT_SYMTAB: symtab = (const ElfW(Sym) *)dyn_addr(b, dyn->d_un.d_ptr); break;
        case DT_STRTAB: strtab = (const char *)dyn_addr(b, dyn->d_un.d_ptr); break;
        case DT_JMPREL: jmprel = (const ElfW(Rela) *)dyn_addr(b, dyn->d_un.d_ptr); break;
        case DT_PLTRELSZ: jmprel_bytes = dyn->d_un.d_val; break;
        case DT_RELA: rela = (const ElfW(Rela) *)dyn_addr(b, dyn->d_un.d_ptr); break;
        case DT_RELASZ: rela_bytes = dyn->d_un.d_val; break;
        case DT_PLTREL: pltrel_is_rela = dyn->d_un.d_val == DT_RELA; break;
        }
    }
    if (symtab && strtab && pltrel_is_rela) {
        void *local[NHEAP] = { 0 };
        if (jmprel)
            rebind_relocs(o->base, handle, jmprel, jmprel_bytes / sizeof *jmprel, symtab, strtab,
                          o->relro_lo, o->relro_hi, local);
        if (rela)
            rebind_relocs(o->base, handle, rela, rela_bytes / sizeof *rela, symtab, strtab,
                          o->relro_lo, o->relro_hi, local);
    }
    real.dlclose(handle);      /* not the wrapper: this object is not going away */
}

static int list_loaded(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct loaded_list *l = arg;
    if (is_initial(info->dlpi_addr) || !info->dlpi_name || !info->dlpi_name[0] || l->n == MAX_LOADED)
        return 0;
    struct loaded *o = &l->obj[l->n];
    memset(o, 0, sizeof *o);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_DYNAMIC)
            o->dyn = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
        else if (ph->p_type == PT_GNU_RELRO) {
            o->relro_lo = info->dlpi_addr + ph->p_vaddr;
            o->relro_hi = o->relro_lo + ph->p_memsz;
        }
    }
    if (!o->dyn || strlen(info->dlpi_name) >= sizeof o->name)
        return 0;
    o->base = info->dlpi_addr;
    strcpy(o->name, info->dlpi_name);
    l->n++;
    return 0;
}
#endif

int rebind_check(void)
{
#ifdef R_JUMP_SLOT
    if (!enabled)
        return 0;
    unsigned long long adds = 0;
    dl_iterate_phdr(load_count, &adds);
    if (adds == seen_adds)
        return 0;
    seen_adds = adds;
    /* Every object loaded since start-up, again: an object unloaded and
     * loaded anew has fresh slots, and a slot already bound is not written. */
    struct loaded_list *l = internal_malloc(sizeof *l);
    if (!l)
        return 1;
    l->n = 0;
    dl_iterate_phdr(list_loaded, l);
    for (int i = 0; i < l->n; i++)
        rebind_object(&l->obj[i]);
    internal_free(l);
    return 1;
#else
    return 0;
#endif
}
