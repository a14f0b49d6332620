/* modules.c: the ELF objects of the process (dl_iterate_phdr), their
 * build-ids, and the ones dlclose unloaded, so that sites inside them still
 * resolve and reports can be symbolized again offline. */
#include "modules.h"
#include "cold.h"
#include "mutex.h"
#include "dwlib.h"
#include "internal_alloc.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void build_id_of(struct dl_phdr_info *info, char *hex);

/* Objects unloaded by dlclose, so that sites inside them still resolve. */
static struct rmutex unloaded_lock = RMUTEX_INIT(LOCK_RANK_MODULES);
COLD_BSS static struct module_info unloaded[MODULES_UNLOADED_MAX];
static int nunloaded;


/* A build-id as lower-case hex; out holds 2n + 1 bytes. */
void modules_build_id_hex(const unsigned char *id, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15];
    }
    out[2 * n] = 0;
}

/* The main program has no name in dl_iterate_phdr. */
static void object_path(struct dl_phdr_info *info, char *out, size_t cap)
{
    const char *name = info->dlpi_name;
    if (!name || !*name) {
        /* The executable's path, read once: it does not change while this
         * image runs (an exec starts a new one), and every report and
         * symbolized frame asks. */
        static char exe[sizeof ((struct module_info *)0)->path];
        static int exe_known;
        if (!__atomic_load_n(&exe_known, __ATOMIC_ACQUIRE)) {
            ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
            exe[k > 0 ? k : 0] = 0;
            if (k > 0)
                __atomic_store_n(&exe_known, 1, __ATOMIC_RELEASE);
        }
        snprintf(out, cap, "%s", exe);
    } else {
        snprintf(out, cap, "%s", name);
    }
}

struct object_at {
    uintptr_t pc;
    int found;
    struct module_info *m;
};

static int object_at_pc(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct object_at *o = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type != PT_LOAD || o->pc < lo || o->pc >= lo + ph->p_memsz)
            continue;
        o->found = 1;
        o->m->base = info->dlpi_addr;
        o->m->unloaded = 0;
        object_path(info, o->m->path, sizeof o->m->path);
        build_id_of(info, o->m->build_id);
        return 1;
    }
    return 0;
}

int modules_object_at(uintptr_t pc, struct module_info *out)
{
    struct object_at o = { pc, 0, out };
    dl_iterate_phdr(object_at_pc, &o);
    return o.found;
}

/* Is the file at path still the object that was loaded?  A server whose
 * package was upgraded while it ran has new files under the old names; their
 * symbols would name the wrong functions.  Unnamed is better: frames keep
 * module and offset, and the report's build-ids find the right files. */
int modules_file_is_object(const char *path, const char *build_id)
{
    if (!build_id[0])
        return 1;
    if (!dwlib_load())
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int same = 0;
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    const void *id;
    ssize_t n = e ? dwelf_elf_gnu_build_id(e, &id) : -1;
    if (n > 0 && n <= 32) {
        char hex[65];
        modules_build_id_hex(id, (size_t)n, hex);
        same = !strcmp(hex, build_id);
    }
    if (e)
        elf_end(e);
    close(fd);
    return same;
}


/* The section table and its names, read with pread: a few KB of a file
 * whose DWARF may run to hundreds of MB, and no library loaded. */
int modules_file_sections(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int found = -1;
    Elf64_Ehdr eh;
    Elf64_Shdr *sh = NULL;
    char *names = NULL;
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) || !eh.e_shoff)
        goto out;
    size_t count = eh.e_shnum;
    size_t strndx = eh.e_shstrndx;
    Elf64_Shdr first;
    if (count == 0 || strndx == SHN_XINDEX) {
        /* extended numbering: the counts are in section 0 */
        if (pread(fd, &first, sizeof first, (off_t)eh.e_shoff) != (ssize_t)sizeof first)
            goto out;
        if (count == 0)
            count = first.sh_size;
        if (strndx == SHN_XINDEX)
            strndx = first.sh_link;
    }
    if (count == 0 || count > 65536 || strndx >= count)
        goto out;
    sh = internal_malloc(count * sizeof *sh);
    if (!sh || pread(fd, sh, count * sizeof *sh, (off_t)eh.e_shoff) != (ssize_t)(count * sizeof *sh))
        goto out;
    Elf64_Shdr *str = &sh[strndx];
    if (str->sh_size == 0 || str->sh_size > (1u << 20))
        goto out;
    names = internal_malloc(str->sh_size + 1);
    if (!names || pread(fd, names, str->sh_size, (off_t)str->sh_offset) != (ssize_t)str->sh_size)
        goto out;
    names[str->sh_size] = 0;
    found = 0;
    for (size_t i = 0; i < count; i++) {
        if (sh[i].sh_name >= str->sh_size)
            continue;
        const char *name = names + sh[i].sh_name;
        if (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info"))
            found |= MODULE_DWARF;
        else if (!strcmp(name, ".symtab") || !strcmp(name, ".gnu_debugdata"))
            found |= MODULE_SYMTAB;
    }
out:
    internal_free(names);
    internal_free(sh);
    close(fd);
    return found;
}

struct collect {
    struct module_info *out;
    int max, n;
};

static void build_id_of(struct dl_phdr_info *info, char *hex)
{
    hex[0] = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const unsigned char *name = p + sizeof *nh;
            const unsigned char *desc = name + ((nh->n_namesz + 3) & ~3u);
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4) &&
                desc + nh->n_descsz <= end && nh->n_descsz <= 32) {
                modules_build_id_hex(desc, nh->n_descsz, hex);
                return;
            }
            p = desc + ((nh->n_descsz + 3) & ~3u);
        }
    }
}

static int collect_one(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct collect *c = arg;
    if (c->n < c->max) {
        struct module_info *m = &c->out[c->n];
        object_path(info, m->path, sizeof m->path);
        if (!m->path[0])
            return 0;                   /* the vDSO without a name */
        m->base = info->dlpi_addr;
        build_id_of(info, m->build_id);
    }
    c->n++;
    return 0;
}

static int count_one(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)info;
    (void)size;
    (*(int *)arg)++;
    return 0;
}

int modules_count(void)
{
    int n = 0;
    dl_iterate_phdr(count_one, &n);
    rmutex_lock(&unloaded_lock);
    n += nunloaded;
    rmutex_unlock(&unloaded_lock);
    return n;
}

int modules_collect(struct module_info *out, int max)
{
    struct collect c = { out, max, 0 };
    dl_iterate_phdr(collect_one, &c);
    int n = c.n < max ? c.n : max;
    for (int i = 0; i < n; i++)
        out[i].unloaded = 0;
    rmutex_lock(&unloaded_lock);
    for (int i = 0; i < nunloaded && n < max; i++) {
        int still = 0;
        for (int j = 0; j < c.n && j < max && !still; j++)
            still = out[j].base == unloaded[i].base && !strcmp(out[j].path, unloaded[i].path);
        if (!still)
            out[n++] = unloaded[i];
    }
    rmutex_unlock(&unloaded_lock);
    return n;
}

struct find_base {
    uintptr_t base;
    struct module_info *m;
};

static int build_id_by_base(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct find_base *f = arg;
    if (info->dlpi_addr != f->base)
        return 0;
    build_id_of(info, f->m->build_id);
    return 1;
}

void modules_note_unload(void *handle)
{
    struct link_map *lm = NULL;
    if (!handle || dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !lm->l_name || !lm->l_name[0])
        return;
    rmutex_lock(&unloaded_lock);
    int known = 0;
    for (int i = 0; i < nunloaded && !known; i++)
        known = unloaded[i].base == lm->l_addr && !strcmp(unloaded[i].path, lm->l_name);
    if (!known && nunloaded < MODULES_UNLOADED_MAX) {
        struct module_info *m = &unloaded[nunloaded];
        memset(m, 0, sizeof *m);
        snprintf(m->path, sizeof m->path, "%s", lm->l_name);
        m->base = lm->l_addr;
        m->unloaded = 1;
        struct find_base f = { lm->l_addr, m };
        dl_iterate_phdr(build_id_by_base, &f);
        nunloaded++;
    }
    rmutex_unlock(&unloaded_lock);
}


int modules_unloaded(struct module_info *out, int max)
{
    rmutex_lock(&unloaded_lock);
    int n = nunloaded < max ? nunloaded : max;
    memcpy(out, unloaded, (size_t)n * sizeof *out);
    rmutex_unlock(&unloaded_lock);
    return n;
}

void modules_lock(void) { rmutex_lock(&unloaded_lock); }
void modules_unlock(void) { rmutex_unlock(&unloaded_lock); }
void modules_after_fork_child(void) { rmutex_reset(&unloaded_lock); }
