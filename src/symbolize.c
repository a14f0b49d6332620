#include "symbolize.h"
#include "symtab_index.h"

#include "config.h"
#include "demangle.h"
#include "dwlib.h"
#include "dynsym.h"
#include "modules.h"

#include <dwarf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/auxv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* uthash's default answer to a failed allocation is exit(-1): the host's
 * exit status would change.  Here an entry that cannot be added is kept
 * aside instead (the table stays valid), and symbolization goes on. */
#define HASH_NONFATAL_OOM 1
static int hash_add_failed;
#define uthash_nonfatal_oom(obj) (hash_add_failed = 1)
#include <uthash.h>

#define MAX_INLINE 16

struct cached {
    uintptr_t ip;
    uintptr_t offset;
    int n;
    struct frame frames[MAX_INLINE + 1];
    UT_hash_handle hh;
    struct cached *next_uncached;   /* could not be added to the cache */
};

struct cu_scopes;
struct symbolizer;
static void scopes_free(struct symbolizer *sym);

#define LIGHT_KNOWN_MAX 1024

struct symbolizer {
    Dwfl *dwfl;
    struct cached *cache;
    struct cached *uncached;        /* results kept outside the cache (out of memory) */
    struct cu_scopes *scopes;       /* per compile unit, built on first use */
    int unloaded_reported;          /* the dlclose'd objects are known to dwfl */
    /* Per module, asked once: DWARF, a full symbol table (module_known),
     * and that table sorted if it is large (symtab_function). */
    struct {
        Dwfl_Module *mod;
        int has, symtab;
        int index_built;
        struct symtab_index *index;
    } dwarf_known[64];
    /* object_is_light, per load address: a program may load hundreds of
     * objects (a Python process's extension modules), each asked once.
     * Allocated on first use: most reports of short processes have no
     * frame to name, and 16 KiB zeroed up front was four fresh pages. */
    struct light_known { uintptr_t base; int light; } *light_known;
    int nlight_known;
    int ndwarf_known;
    int dwfl_failed;                /* libdw not loaded: modules and offsets only */
};

static char *debuginfo_path = NULL;

/* Debug info from this machine only: the ELF file itself, then
 * /usr/lib/debug/.build-id.  dwfl_standard_find_debuginfo would also ask a
 * debuginfod server when DEBUGINFOD_URLS is set: network traffic, stalls and
 * a dozen libraries loaded into the profiled program.
 *
 * RETAIN_DEBUGINFO=auto reads a separate debug file for the program's own
 * executable only.  Shared libraries keep whatever their ELF file holds
 * (embedded DWARF, symbol tables), as on a machine without -dbg packages:
 * libc6-dbg alone means inflating 9 MB of compressed DWARF and half a MB of
 * symbol table, about 0.1 s and 15 MB in every profiled process, for
 * file:line in sources the user rarely has.  Their frames keep module and
 * offset, which tools/retain-symbolize resolves offline.  =full reads every
 * debug file; =names reads none. */
static int debug_file_allowed(Dwfl_Module *mod)
{
    if (retain_config.debuginfo == DEBUGINFO_FULL)
        return 1;
    Dwarf_Addr start, end;
    uintptr_t entry = (uintptr_t)getauxval(AT_ENTRY);
    return dwfl_module_info(mod, NULL, &start, &end, NULL, NULL, NULL, NULL) &&
           entry >= start && entry < end;
}

static int find_debuginfo_locally(Dwfl_Module *mod, void **userdata, const char *modname,
                                  Dwarf_Addr base, const char *file_name,
                                  const char *debuglink_file, GElf_Word debuglink_crc,
                                  char **debuginfo_file_name)
{
    if (!debug_file_allowed(mod))
        return -1;
    return dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                        debuglink_crc, debuginfo_file_name);
}

/* libdw is loaded at run time (dwlib.h): its function's address is not a
 * constant, this one is. */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                    char **file_name, Elf **elfp)
{
    return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
}

static const Dwfl_Callbacks callbacks = {
    .find_elf = find_elf,
    .find_debuginfo = find_debuginfo_locally,
    .debuginfo_path = &debuginfo_path,
};

struct symbolizer *symbolizer_new(void)
{
    /* libdw is loaded, and the Dwfl begun, when the first frame needs
     * them (dwfl_of): a report without stacks never loads it. */
    return calloc(1, sizeof(struct symbolizer));
}

/* The Dwfl, begun on first use; NULL when libdw could not be loaded. */
static Dwfl *dwfl_of(struct symbolizer *sym)
{
    if (sym->dwfl || sym->dwfl_failed)
        return sym->dwfl;
    if (dwlib_load()) {
        /* Modules are reported to libdwfl one at a time, when a frame needs
         * one (module_of): opening every object mapped into the process, as
         * dwfl_linux_proc_report does, cost about 0.8 MB per report even for
         * objects no stack touches. */
        sym->dwfl = dwfl_begin(&callbacks);
        if (sym->dwfl) {
            dwfl_report_begin(sym->dwfl);
            dwfl_report_end(sym->dwfl, NULL, NULL);
        }
    }
    sym->dwfl_failed = !sym->dwfl;
    return sym->dwfl;
}

int symbolizer_available(struct symbolizer *sym)
{
    return sym && dwfl_of(sym) != NULL;
}

const char *symbolizer_error(void)
{
    return dwlib_error();
}

static void cached_free(struct cached *c)
{
    for (int i = 0; i < c->n; i++) {
        free((char *)c->frames[i].function);
        free((char *)c->frames[i].file);
        free((char *)c->frames[i].module);
    }
    free(c);
}

void symbolizer_free(struct symbolizer *sym)
{
    if (!sym)
        return;
    struct cached *c, *tmp;
    HASH_ITER(hh, sym->cache, c, tmp) {
        HASH_DEL(sym->cache, c);
        cached_free(c);
    }
    for (c = sym->uncached; c; c = tmp) {
        tmp = c->next_uncached;
        cached_free(c);
    }
    scopes_free(sym);
    if (sym->dwfl)
        dwfl_end(sym->dwfl);
    for (int i = 0; i < sym->ndwarf_known; i++)
        symtab_index_free(sym->dwarf_known[i].index);
    free(sym->light_known);
    free(sym);
}

/* A frame's function name: demangled (C++, Rust) where it is mangled, and
 * the scheme it was mangled in noted on the frame. */
static char *name_dup(const char *name, struct frame *f)
{
    enum mangling kind = MANGLING_NONE;
    char *d = name ? demangle(name, &kind) : NULL;
    f->mangling = (int)kind;
    return d ? d : name ? strdup(name) : NULL;
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *name = NULL;
    if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
        dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
        name = dwarf_formstring(&attr);
    if (!name)
        name = dwarf_diename(die);
    if (!name && dwarf_attr_integrate(die, DW_AT_name, &attr))
        name = dwarf_formstring(&attr);
    return name;
}

static const char *file_of(Dwarf_Die *cu, Dwarf_Word idx)
{
    Dwarf_Files *files;
    size_t nfiles;
    if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || idx >= nfiles)
        return NULL;
    return dwarf_filesrc(files, idx, NULL, NULL);
}

/* ---- function scopes of a compile unit -------------------------------- */

/* dwarf_getscopes walks a whole compile unit for each address, and a C++
 * unit full of template instances is large: a report with a hundred frames
 * spent most of its time there.  Instead each unit is walked once, its
 * functions and inlined calls recorded with their address ranges and
 * nesting depth, and every address is answered from that list. */
struct scope_range {
    Dwarf_Addr lo, hi;
    Dwarf_Off die;
    int depth;
};

struct cu_key {
    Dwarf *dwarf;
    Dwarf_Off cu;
};

struct cu_scopes {
    struct cu_key key;
    struct scope_range *r;
    size_t n, cap;
    UT_hash_handle hh;
};

static void scopes_free(struct symbolizer *sym)
{
    struct cu_scopes *x, *xt;
    HASH_ITER(hh, sym->scopes, x, xt) {
        HASH_DEL(sym->scopes, x);
        free(x->r);
        free(x);
    }
}

static void scope_add(struct cu_scopes *x, Dwarf_Addr lo, Dwarf_Addr hi, Dwarf_Off die, int depth)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 256;
        struct scope_range *r = realloc(x->r, cap * sizeof *r);
        if (!r)
            return;
        x->r = r;
        x->cap = cap;
    }
    x->r[x->n++] = (struct scope_range){ lo, hi, die, depth };
}

static void scope_walk(struct cu_scopes *x, Dwarf_Die *parent, int depth)
{
    Dwarf_Die child;
    if (depth > 64 || dwarf_child(parent, &child) != 0)
        return;
    do {
        int tag = dwarf_tag(&child);
        if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
            Dwarf_Addr base, lo, hi;
            ptrdiff_t off = 0;
            while ((off = dwarf_ranges(&child, off, &base, &lo, &hi)) > 0)
                scope_add(x, lo, hi, dwarf_dieoffset(&child), depth);
            scope_walk(x, &child, depth + 1);
        } else if (tag == DW_TAG_lexical_block || tag == DW_TAG_namespace ||
                   tag == DW_TAG_try_block || tag == DW_TAG_catch_block) {
            /* Code-bearing scopes can nest here; types and variables cannot. */
            scope_walk(x, &child, depth + 1);
        }
    } while (dwarf_siblingof(&child, &child) == 0);
}

static struct cu_scopes *cu_scopes_of(struct symbolizer *sym, Dwarf_Die *cu)
{
    struct cu_key key;
    memset(&key, 0, sizeof key);
    key.dwarf = dwarf_cu_getdwarf(cu->cu);
    key.cu = dwarf_dieoffset(cu);
    struct cu_scopes *x;
    HASH_FIND(hh, sym->scopes, &key, sizeof key, x);
    if (x)
        return x;
    x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->key = key;
    scope_walk(x, cu, 0);
    hash_add_failed = 0;
    HASH_ADD(hh, sym->scopes, key, sizeof key, x);
    if (hash_add_failed) {
        free(x->r);
        free(x);
        return NULL;
    }
    return x;
}

static int by_depth_desc(const void *a, const void *b)
{
    const struct scope_range *x = a, *y = b;
    return y->depth - x->depth;
}

/* Frames for pc: the innermost inlined function first, at the line the
 * address maps to; then each caller at the call site recorded on the
 * inlined scope (as eu-addr2line -i does), ending at the real function. */
static int expand_inlines(struct symbolizer *sym, Dwfl_Module *mod, Dwarf_Addr pc,
                          const char *file, int line, struct cached *c, const char *module)
{
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = dwfl_module_addrdie(mod, pc, &bias);
    if (!cu)
        return 0;
    struct cu_scopes *x = cu_scopes_of(sym, cu);
    if (!x)
        return 0;
    Dwarf_Addr rel = pc - bias;
    struct scope_range hits[MAX_INLINE + 1];
    int nhits = 0;
    for (size_t i = 0; i < x->n && nhits < MAX_INLINE + 1; i++)
        if (rel >= x->r[i].lo && rel < x->r[i].hi)
            hits[nhits++] = x->r[i];
    qsort(hits, (size_t)nhits, sizeof hits[0], by_depth_desc);

    Dwarf *dw = dwarf_cu_getdwarf(cu->cu);
    int out = 0;
    const char *cur_file = file;
    int cur_line = line;
    for (int i = 0; i < nhits && out < MAX_INLINE + 1; i++) {
        Dwarf_Die die;
        if (!dwarf_offdie(dw, hits[i].die, &die))
            break;
        int tag = dwarf_tag(&die);
        struct frame *f = &c->frames[out++];
        f->function = name_dup(die_name(&die), f);
        f->file = cur_file ? strdup(cur_file) : NULL;
        f->line = cur_line;
        f->module = strdup(module);
        f->inlined = tag == DW_TAG_inlined_subroutine;
        if (tag == DW_TAG_subprogram)
            break;
        Dwarf_Attribute attr;
        Dwarf_Word w;
        cur_file = NULL;
        cur_line = 0;
        if (dwarf_formudata(dwarf_attr(&die, DW_AT_call_file, &attr), &w) == 0)
            cur_file = file_of(cu, w);
        if (dwarf_formudata(dwarf_attr(&die, DW_AT_call_line, &attr), &w) == 0)
            cur_line = (int)w;
    }
    /* The outermost frame is the physical one; only those above it are inlined. */
    if (out > 0)
        c->frames[out - 1].inlined = 0;
    return out;
}

static Dwfl_Module *module_of(struct symbolizer *sym, Dwarf_Addr pc)
{
    if (!dwfl_of(sym))
        return NULL;
    Dwfl_Module *mod = dwfl_addrmodule(sym->dwfl, pc);
    if (mod)
        return mod;
    struct module_info o;
    if (!dwlib_owns((uintptr_t)pc) && modules_object_at((uintptr_t)pc, &o)) {
        if (!o.path[0] || !modules_file_is_object(o.path, o.build_id))
            return NULL;
        dwfl_report_begin_add(sym->dwfl);
        dwfl_report_elf(sym->dwfl, o.path, o.path, -1, o.base, false);
        dwfl_report_end(sym->dwfl, NULL, NULL);
    } else if (!sym->unloaded_reported) {
        /* Not in any loaded object: an object dlclose'd since.  Reported
         * last, so that one whose range another object now occupies is
         * refused by libdwfl (overlap) rather than named after it. */
        sym->unloaded_reported = 1;
        struct module_info *gone = malloc(MODULES_UNLOADED_MAX * sizeof *gone);
        int n = gone ? modules_unloaded(gone, MODULES_UNLOADED_MAX) : 0;
        dwfl_report_begin_add(sym->dwfl);
        for (int i = 0; i < n; i++)
            dwfl_report_elf(sym->dwfl, gone[i].path, gone[i].path, -1, gone[i].base, false);
        dwfl_report_end(sym->dwfl, NULL, NULL);
        free(gone);
    }
    return dwfl_addrmodule(sym->dwfl, pc);
}

static int has_section(Elf *e, const char *want)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(e, &shstrndx) != 0)
        return 0;
    for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
        GElf_Shdr sh;
        const char *name;
        if (gelf_getshdr(scn, &sh) && (name = elf_strptr(e, shstrndx, sh.sh_name)) &&
            !strcmp(name, want))
            return 1;
    }
    return 0;
}

/* What a module's own file may tell beyond its loaded image: DWARF (in the
 * file, or in a build-id debug file that find_debuginfo_locally may read),
 * and a full symbol table (.symtab, or MiniDebugInfo's .gnu_debugdata).
 * Asking libdw directly costs about 0.3 MB of resident memory per module
 * even when the answer is no (a stripped server, libc without libc6-dbg),
 * so the questions are answered from the section table and one access(),
 * once per module. */
static int module_known(struct symbolizer *sym, Dwfl_Module *mod, int *symtab)
{
    for (int i = 0; i < sym->ndwarf_known; i++)
        if (sym->dwarf_known[i].mod == mod) {
            *symtab = sym->dwarf_known[i].symtab;
            return sym->dwarf_known[i].has;
        }
    GElf_Addr bias;
    Elf *e = dwfl_module_getelf(mod, &bias);
    int has = e && (has_section(e, ".debug_info") || has_section(e, ".zdebug_info"));
    *symtab = !e || has_section(e, ".symtab") || has_section(e, ".gnu_debugdata");
    const unsigned char *id;
    GElf_Addr vaddr;
    int n;
    if (!has && debug_file_allowed(mod) && (n = dwfl_module_build_id(mod, &id, &vaddr)) > 1 &&
        n <= 32) {
        char hex[65], file[128];
        modules_build_id_hex(id, (size_t)n, hex);
        snprintf(file, sizeof file, "/usr/lib/debug/.build-id/%.2s/%s.debug", hex, hex + 2);
        has = access(file, R_OK) == 0;
    }
    if (has)
        *symtab = 1;            /* a debug file has the full .symtab too */
    if (sym->ndwarf_known < (int)(sizeof sym->dwarf_known / sizeof sym->dwarf_known[0])) {
        sym->dwarf_known[sym->ndwarf_known].mod = mod;
        sym->dwarf_known[sym->ndwarf_known].symtab = *symtab;
        sym->dwarf_known[sym->ndwarf_known].index_built = 0;
        sym->dwarf_known[sym->ndwarf_known].index = NULL;
        sym->dwarf_known[sym->ndwarf_known++].has = has;
    }
    return has;
}

/* The function's name from the loaded image's own .dynsym, for a module
 * whose file has no more to say (no DWARF, no .symtab: Debian's libc,
 * libstdc++, most of /usr/lib).  libdwfl would read the same table from the
 * file and sort it: about 0.6 MB of file pages and arrays per report for a
 * program that calls into libstdc++, where the loader has touched most of
 * this table already.  NULL when the image has no symbol for pc (*image
 * set: libdwfl would find none either), or is not the module libdwfl knows
 * (an object unloaded since, whose range another now holds: ask libdwfl). */
static const char *image_function(Dwfl_Module *mod, Dwarf_Addr pc, char *buf, size_t cap,
                                  int *image)
{
    struct module_info o;
    uintptr_t off;
    GElf_Addr bias;
    if (!dwfl_module_getelf(mod, &bias) || !modules_object_at((uintptr_t)pc, &o) ||
        o.base != (uintptr_t)bias)
        return NULL;
    *image = 1;                 /* the loaded image is the module: its answer stands */
    return dynsym_function_at((uintptr_t)pc, buf, cap, &off) ? buf : NULL;
}


/* A separate debug file find_debuginfo_locally would read for the object
 * loaded at base (the executable's only, unless RETAIN_DEBUGINFO=full). */
static int debug_file_exists(const struct module_info *o)
{
    if (!o->build_id[0] || strlen(o->build_id) < 4)
        return 0;
    if (retain_config.debuginfo != DEBUGINFO_FULL) {
        struct module_info exe;
        if (!modules_object_at((uintptr_t)getauxval(AT_ENTRY), &exe) || exe.base != o->base)
            return 0;
    }
    char file[160];
    snprintf(file, sizeof file, "/usr/lib/debug/.build-id/%.2s/%s.debug", o->build_id,
             o->build_id + 2);
    return access(file, R_OK) == 0;
}

/* Are the object's frames named without libdw: nothing in its file but
 * what its loaded image has (.dynsym), and no debug file? */
static int light_object(const struct module_info *o)
{
    return o->path[0] == '/' && modules_file_sections(o->path) == 0 && !debug_file_exists(o);
}

/* Below this many symbols libdwfl's walk over the table costs less than
 * sorting it. */
#define SYMTAB_INDEX_MIN 4096

/* The sized symbol holding pc in a large module's table, by the sorted
 * index, built on the module's first such question; NULL for a small table,
 * no such symbol, or a module module_known had no room to record (libdwfl
 * is asked then). */
static const char *symtab_function(struct symbolizer *sym, Dwfl_Module *mod, Dwarf_Addr pc,
                                   GElf_Off *off)
{
    for (int i = 0; i < sym->ndwarf_known; i++) {
        if (sym->dwarf_known[i].mod != mod)
            continue;
        if (!sym->dwarf_known[i].index_built) {
            sym->dwarf_known[i].index_built = 1;
            sym->dwarf_known[i].index = symtab_index_build(mod, SYMTAB_INDEX_MIN);
        }
        return sym->dwarf_known[i].index ? symtab_index_lookup(sym->dwarf_known[i].index, pc, off)
                                         : NULL;
    }
    return NULL;
}

static int object_is_light(struct symbolizer *sym, const struct module_info *o)
{
    for (int i = 0; i < sym->nlight_known; i++)
        if (sym->light_known[i].base == o->base)
            return sym->light_known[i].light;
    int light = light_object(o);
    if (!sym->light_known)
        sym->light_known = calloc(LIGHT_KNOWN_MAX, sizeof *sym->light_known);
    if (sym->light_known && sym->nlight_known < LIGHT_KNOWN_MAX) {
        sym->light_known[sym->nlight_known].base = o->base;
        sym->light_known[sym->nlight_known++].light = light;
    }
    return light;
}

static int generation_of(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    *(uint64_t *)arg = ((uint64_t)(info->dlpi_adds & 0x7fffffff) << 32) |
                       ((uint64_t)(info->dlpi_subs & 0x7fffffff) << 1);
    return 1;
}

/* The last answer, for the loader's load and unload counts it was given
 * at (bit 0: the answer; 0: none yet): the exit path and the report both
 * ask, and a process with a hundred objects should read their section
 * tables once. */
static uint64_t needs_libdw_memo;
static int symbolizer_scan_needs_libdw(void);

int symbolizer_needs_libdw(void)
{
    uint64_t gen = 0;
    dl_iterate_phdr(generation_of, &gen);
    gen |= 1ull << 63;          /* never 0 */
    uint64_t memo = __atomic_load_n(&needs_libdw_memo, __ATOMIC_ACQUIRE);
    if (memo && (memo & ~1ull) == gen)
        return (int)(memo & 1);
    int needs = symbolizer_scan_needs_libdw();
    __atomic_store_n(&needs_libdw_memo, gen | (uint64_t)needs, __ATOMIC_RELEASE);
    return needs;
}

static int symbolizer_scan_needs_libdw(void)
{
    int max = modules_count() + 16;
    struct module_info *all = malloc((size_t)max * sizeof *all);
    if (!all)
        return 1;
    int n = modules_collect(all, max), needs = n >= max;
    struct module_info self;
    uintptr_t own = modules_object_at((uintptr_t)&symbolizer_needs_libdw, &self) ? self.base : 0;
    for (int i = 0; i < n && !needs; i++) {
        if (all[i].unloaded)
            needs = 1;          /* named by libdwfl from the file, if at all */
        else if (all[i].base != own && all[i].path[0] == '/' && !dwlib_owns(all[i].base))
            needs = !light_object(&all[i]);
    }
    free(all);
    return needs;
}

/* A frame in a light object: module, offset from its load address (what
 * addr2line and tools/retain-symbolize take), the .dynsym name. */
static void resolve_light(struct cached *c, const struct module_info *o, Dwarf_Addr pc)
{
    struct frame *f = &c->frames[0];
    c->n = 1;
    c->offset = (uintptr_t)(c->ip - o->base);
    f->module = strdup(o->path);
    f->file = NULL;
    f->line = 0;
    f->inlined = 0;
    f->function = NULL;
    f->mangling = MANGLING_NONE;
    char buf[1024];
    uintptr_t off;
    if (dynsym_function_at((uintptr_t)pc, buf, sizeof buf, &off))
        f->function = name_dup(buf, f);
}

static void resolve(struct symbolizer *sym, struct cached *c)
{
    /* A return address points after the call: look up the call itself. */
    Dwarf_Addr pc = c->ip ? c->ip - 1 : 0;
    struct module_info lo;
    if (!dwlib_owns((uintptr_t)pc) && modules_object_at((uintptr_t)pc, &lo) &&
        object_is_light(sym, &lo)) {
        resolve_light(c, &lo, pc);
        return;
    }
    Dwfl_Module *mod = module_of(sym, pc);
    const char *module = "?";
    Dwarf_Addr mod_start = 0;
    if (mod) {
        const char *mname = dwfl_module_info(mod, NULL, &mod_start, NULL, NULL, NULL, NULL, NULL);
        if (mname)
            module = mname;
    }
    c->offset = mod ? (uintptr_t)(c->ip - mod_start) : 0;
    struct module_info o;
    if (!mod && !sym->dwfl && !dwlib_owns((uintptr_t)pc) && modules_object_at((uintptr_t)pc, &o) &&
        o.path[0]) {
        /* No libdw: the object and offset still let tools/retain-symbolize
         * name the frame offline. */
        module = o.path;
        c->offset = (uintptr_t)(c->ip - o.base);
    }
    const char *file = NULL;
    int line = 0;
    int symtab = 1;
    if (mod && module_known(sym, mod, &symtab)) {
        Dwfl_Line *l = dwfl_module_getsrc(mod, pc);
        if (l) {
            file = dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL);
        }
        c->n = expand_inlines(sym, mod, pc, file, line, c, module);
        if (c->n > 0)
            return;
    }
    struct frame *f = &c->frames[0];
    c->n = 1;
    f->module = strdup(module);
    f->file = file ? strdup(file) : NULL;
    f->line = line;
    f->inlined = 0;
    f->function = NULL;
    f->mangling = MANGLING_NONE;
    if (mod) {
        char buf[1024];
        /* With no .symtab, libdwfl has only the same .dynsym: where the
         * image has no name for pc, neither has it (test_dynsym), unless
         * the image is not the module's file. */
        int image = 0;
        const char *name = symtab ? NULL : image_function(mod, pc, buf, sizeof buf, &image);
        if (!name && !image) {
            GElf_Off off;
            GElf_Sym s;
            name = symtab_function(sym, mod, pc, &off);
            if (!name)
                name = dwfl_module_addrinfo(mod, pc, &off, &s, NULL, NULL, NULL);
        }
        f->function = name_dup(name, f);
    }
    /* No dladdr fallback: it only knows exported symbols, gives the nearest
     * preceding one (a wrong name for a static function), and asks the
     * current map, where an unloaded library's range may now hold another.
     * Unnamed frames keep their module and offset instead. */
}

int symbolize(struct symbolizer *sym, uintptr_t ip, const struct frame **frames)
{
    struct cached *c;
    HASH_FIND(hh, sym->cache, &ip, sizeof ip, c);
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c) {
            static struct frame unknown;
            unknown.address = ip;
            unknown.module = "?";
            *frames = &unknown;
            return 1;
        }
        c->ip = ip;
        resolve(sym, c);
        for (int i = 0; i < c->n; i++) {
            c->frames[i].address = ip;
            c->frames[i].offset = c->offset;
        }
        hash_add_failed = 0;
        HASH_ADD(hh, sym->cache, ip, sizeof ip, c);
        if (hash_add_failed) {
            c->next_uncached = sym->uncached;
            sym->uncached = c;
        }
    }
    *frames = c->frames;
    return c->n;
}

char *short_function_name(const char *name, char *out, size_t cap)
{
    size_t n = 0;
    int angle = 0, paren = 0;
    /* Rust's qualified paths, `<alloc::vec::Vec<u64>>::with_capacity` and
     * `<T as Trait>::f`: a '<' that starts the name (or another such path)
     * is kept with its '>', its contents shortened like the rest. */
    int qualified = 0;
    if (!cap)
        return out;
    for (const char *p = name; *p && n + 4 < cap; p++) {
        char c = *p;
        if (c == '<' && angle == 0 && paren == 0 && (p == name || (p[-1] == '<' && qualified))) {
            qualified++;
            out[n++] = c;
            continue;
        }
        if (c == '>' && angle == 0 && paren == 0 && qualified) {
            qualified--;
            out[n++] = c;
            continue;
        }
        if (c == '<' && strncmp(p, "<<", 2) && !(p > name && !strncmp(p - 8 > name ? p - 8 : name, "operator", 8))) {
            if (angle++ == 0 && paren == 0) {
                memcpy(out + n, "<\xe2\x80\xa6", 4);       /* "<…" */
                n += 4;
            }
            continue;
        }
        if (c == '>' && angle > 0) {
            if (--angle == 0 && paren == 0)
                out[n++] = '>';
            continue;
        }
        if (angle)
            continue;
        if (c == '(') {
            if (paren++ == 0) {
                if (n + 6 >= cap)
                    break;
                memcpy(out + n, "(\xe2\x80\xa6)", 5);       /* "(…)" */
                n += 5;
            }
            continue;
        }
        if (c == ')' && paren > 0) {
            paren--;
            continue;
        }
        if (paren)
            continue;
        /* A space outside brackets ends a return type: start over.  Not in
         * a qualified path (`<T as Trait>`), which has no return type. */
        if (c == ' ' && !qualified && strncmp(p + 1, "const", 5) && strncmp(p + 1, "[", 1) && n &&
            out[n - 1] != ',' && !(n >= 8 && !strncmp(out + n - 8, "operator", 8))) {
            n = 0;
            continue;
        }
        out[n++] = c;
    }
    out[n] = 0;
    return out;
}
