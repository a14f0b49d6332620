/* interp_php.c: PHP's stack, read from inside malloc (interp.h).
 *
 * zend_get_executed_filename()/_lineno() dereference EG(current_execute_data)
 * and its chain unchecked; called from a thread other than PHP's (or while
 * the executor tears its frames down) they can fault, so the structures are
 * read here instead, every read but the one of executor_globals itself
 * checked (process_vm_readv).
 *
 * Found at start-up: executor_globals (exported by the php executable or
 * libphp), the version from that object's file name (php8.2, libphp8.2.so:
 * the executor's version is set only later, in zend_startup).  On the
 * allocation path, on PHP's thread only (NTS builds run PHP on the main
 * thread): EG(current_execute_data), then prev_execute_data, at most
 * INTERP_MAX_FRAMES user-code frames (func->type != ZEND_INTERNAL_FUNCTION);
 * per frame the function record (file, Class::name) and opline->lineno.
 *
 * Offsets (PHP 8.2, Debian 12's php8.2-cli): offsetof() printed against
 * /usr/include/php/20220829 (php-dev), the same way as
 * tools/python-offsets.c. */
#include "interp.h"
#include "cold.h"
#include "interp_records.h"
#include "arena.h"
#include "hash.h"
#include "mutex.h"
#include "symbolize.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct php_layout {
    int major, minor;
    int eg_current_execute_data;
    int ex_opline, ex_func, ex_call_info, ex_prev, ex_size;
    int fn_type, op_function_name, op_scope, op_filename, op_line_start, fn_size;
    int ce_name, zop_lineno, str_len, str_val;
    uint32_t call_top;
};

static const struct php_layout php_layouts[] = {
    { .major = 8, .minor = 2, .eg_current_execute_data = 488,
      .ex_opline = 0, .ex_func = 24, .ex_call_info = 40, .ex_prev = 48, .ex_size = 56,
      .fn_type = 0, .op_function_name = 8, .op_scope = 16, .op_filename = 152,
      .op_line_start = 160, .fn_size = 168,
      .ce_name = 8, .zop_lineno = 24, .str_len = 16, .str_val = 24, .call_top = 1u << 17 },
};

#define ZEND_INTERNAL_FUNCTION 1
#define NAME_MAX_BYTES 256

struct php_func {
    struct php_func *next;
    uintptr_t addr;
    uint64_t check;
    const char *filename, *function;
};

static struct {
    const struct php_layout *L;
    const char *eg;
    int stopped;
} php;

static __thread signed char php_thread = -1;    /* 1: PHP's (main) thread */
COLD_BSS static struct php_func *func_buckets[1024];

static int version_from_name(const char *path, int *major, int *minor)
{
    const char *b = path ? strrchr(path, '/') : NULL;
    b = b ? b + 1 : path;
    if (!b)
        return 0;
    if (!strncmp(b, "lib", 3))
        b += 3;
    return sscanf(b, "php%d.%d", major, minor) == 2;
}

int php_init(struct interp_info *info, char *note, size_t cap)
{
    void *eg = dlsym(RTLD_DEFAULT, "executor_globals");
    if (!eg)
        return 0;
    Dl_info di;
    const ElfW(Sym) *sym = NULL;
    size_t size = dladdr1(eg, &di, (void **)&sym, RTLD_DL_SYMENT) && sym ? sym->st_size : 0;
    info->language = "php";
    int major, minor;
    /* The executable is named as it was invoked ("php"): its real file says
     * the version (/usr/bin/php8.2). */
    char exe[4096];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[k > 0 ? k : 0] = 0;
    if (!version_from_name(di.dli_fname, &major, &minor) && !version_from_name(exe, &major, &minor)) {
        snprintf(note, cap, "php: executor_globals found, but no version in the name of %s; "
                 "no PHP frames", di.dli_fname ? di.dli_fname : "its object");
        info->note = note;
        return 1;
    }
    snprintf(info->version, sizeof info->version, "%d.%d", major, minor);
    for (size_t i = 0; i < sizeof php_layouts / sizeof php_layouts[0]; i++)
        if (php_layouts[i].major == major && php_layouts[i].minor == minor)
            php.L = &php_layouts[i];
    if (!php.L) {
        snprintf(note, cap, "php %d.%d: a version libretain does not know (it reads 8.2); "
                 "no PHP frames", major, minor);
        info->note = note;
        return 1;
    }
    if (size < (size_t)php.L->eg_current_execute_data + 8) {
        php.L = NULL;
        snprintf(note, cap, "php %d.%d: executor_globals is smaller than this version's layout; "
                 "no PHP frames", major, minor);
        info->note = note;
        return 1;
    }
    php.eg = eg;
    info->frames = 1;
    return 1;
}

void php_stop(void) { __atomic_store_n(&php.stopped, 1, __ATOMIC_RELEASE); }

static int read_zstr(uintptr_t s, char *out, size_t cap)
{
    const struct php_layout *L = php.L;
    uint64_t len;
    if (interp_read_raw(s + (uintptr_t)L->str_len, &len, sizeof len) < 0)
        return -1;
    size_t n = len < cap - 1 ? (size_t)len : cap - 1;
    if (interp_read_raw(s + (uintptr_t)L->str_val, out, n) < 0)
        return -1;
    out[n] = 0;
    return 0;
}

/* The function's record: its file and name, copied once (under the records lock). */
static struct php_func *func_record(uintptr_t addr, const unsigned char *fn)
{
    const struct php_layout *L = php.L;
    uintptr_t filename, name, scope;
    memcpy(&filename, fn + L->op_filename, 8);
    memcpy(&name, fn + L->op_function_name, 8);
    memcpy(&scope, fn + L->op_scope, 8);
    uint64_t check = hash_combine(hash_combine(filename, name), scope);
    uint64_t b = hash_fib(addr ^ check, 10);
    for (struct php_func *f = __atomic_load_n(&func_buckets[b], __ATOMIC_ACQUIRE); f; f = f->next)
        if (f->addr == addr && f->check == check)
            return f;
    interp_records_lock();
    struct php_func *f;
    for (f = func_buckets[b]; f; f = f->next)
        if (f->addr == addr && f->check == check)
            break;
    if (!f) {
        char file[NAME_MAX_BYTES], fname[NAME_MAX_BYTES], cname[NAME_MAX_BYTES], full[2 * NAME_MAX_BYTES + 2];
        uintptr_t cls_name = 0;
        if (!filename || read_zstr(filename, file, sizeof file) < 0)
            goto out;
        if (!name)
            snprintf(fname, sizeof fname, "{main}");
        else if (read_zstr(name, fname, sizeof fname) < 0)
            goto out;
        if (scope && interp_read_raw(scope + (uintptr_t)L->ce_name, &cls_name, 8) == 0 && cls_name &&
            read_zstr(cls_name, cname, sizeof cname) == 0)
            snprintf(full, sizeof full, "%s::%s", cname, fname);
        else
            snprintf(full, sizeof full, "%s", fname);
        f = arena_alloc(sizeof *f);
        if (!f)
            goto out;
        f->addr = addr;
        f->check = check;
        f->filename = interp_arena_str(file);
        f->function = interp_arena_str(full);
        f->next = func_buckets[b];
        __atomic_store_n(&func_buckets[b], f, __ATOMIC_RELEASE);
    }
out:
    interp_records_unlock();
    return f;
}

int php_capture(uintptr_t *words, int max)
{
    const struct php_layout *L = __atomic_load_n(&php.L, __ATOMIC_ACQUIRE);
    if (!L || !php.eg || __atomic_load_n(&php.stopped, __ATOMIC_RELAXED) || max <= 0)
        return 0;
    if (php_thread < 0)
        php_thread = syscall(SYS_gettid) == getpid();
    if (!php_thread)
        return 0;
    int saved_errno = errno;
    if (max > INTERP_MAX_FRAMES)
        max = INTERP_MAX_FRAMES;
    uintptr_t ex = __atomic_load_n((const uintptr_t *)(php.eg + L->eg_current_execute_data),
                                   __ATOMIC_RELAXED);
    int n = 0;
    for (int steps = 0; ex && n < max && steps < 2 * INTERP_MAX_FRAMES; steps++) {
        unsigned char e[64], fn[192];
        if (interp_read_raw(ex, e, (size_t)L->ex_size) < 0)
            break;
        uintptr_t opline, func, prev;
        uint32_t call_info;
        memcpy(&opline, e + L->ex_opline, 8);
        memcpy(&func, e + L->ex_func, 8);
        memcpy(&call_info, e + L->ex_call_info, 4);
        memcpy(&prev, e + L->ex_prev, 8);
        if (func && interp_read_raw(func, fn, (size_t)L->fn_size) == 0 &&
            fn[L->fn_type] != ZEND_INTERNAL_FUNCTION) {
            uint32_t line = 0;
            if (!opline || interp_read_raw(opline + (uintptr_t)L->zop_lineno, &line, 4) < 0)
                memcpy(&line, fn + L->op_line_start, 4);
            struct php_func *rec = func_record(func, fn);
            if (rec) {
                words[2 * n] = (uintptr_t)rec | INTERP_PHP_BIT |
                               ((call_info & L->call_top) ? INTERP_ENTRY_BIT : 0);
                words[2 * n + 1] = line;
                n++;
            }
        }
        ex = prev;
    }
    if (n)
        words[2 * (n - 1)] |= INTERP_ENTRY_BIT;
    errno = saved_errno;
    return n;
}

static void php_frame_fill(const uintptr_t *words, const void *arg, struct frame *f)
{
    const struct php_func *fn = arg;
    f->function = fn->function;
    f->file = fn->filename;
    f->line = (int)words[1];
    f->language = "php";
}

/* Report frames, one per (function, line). */
const struct frame *php_frame(const uintptr_t *words)
{
    const struct php_func *fn = (const struct php_func *)(words[0] & ~INTERP_TAG_BITS);
    const struct frame *f = interp_frame_intern(words, php_frame_fill, fn);
    static struct frame unknown = { .language = "php" };
    return f ? f : &unknown;
}
