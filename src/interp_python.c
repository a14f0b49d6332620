/* interp_python.c: CPython's stack, read from inside malloc (interp.h).
 *
 * At start-up: _PyRuntime, PyCode_Type, PyUnicode_Type and PyBytes_Type
 * from the dynamic symbol table (libpython or a static python executable),
 * the version from Py_Version (3.11+) or Py_GetVersion's string (3.8-3.10,
 * a static buffer filled by snprintf; called once, here, never in malloc).
 *
 * On the allocation path, for one thread:
 *   tstate  = pthread_getspecific(_PyRuntime.autoTSSkey)   (no allocation, no lock)
 *   checked: tstate->thread_id == pthread_self(), and this thread holds the GIL
 *   frames  = tstate->frame / cframe->current_frame / current_frame, then
 *             f_back / previous, at most INTERP_MAX_FRAMES
 *   per frame: code object (type checked against PyCode_Type), instruction offset
 * Every read of the interpreter's memory goes through process_vm_readv; the
 * only direct loads are of _PyRuntime itself, inside its symbol's size. */
#include "interp.h"
#include "cold.h"
#include "interp_python_versions.h"
#include "interp_records.h"
#include "arena.h"
#include "hash.h"
#include "mutex.h"
#include "symbolize.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define NAME_MAX_BYTES 256              /* file names and qualnames, UTF-8 */
#define LINETABLE_MAX (256u << 10)      /* longer tables are not copied: line unknown */
#define CODE_BUCKETS 4096
#define CODE_PIECE_MAX 96               /* bytes of a code object read per frame, after its type */
#define FRAME_WINDOW 4096               /* newest bytes of the frame stack read at once (3.11+) */

/* One code object, copied the first time a stack shows it. */
struct py_code {
    struct py_code *next;       /* bucket chain */
    uintptr_t addr;
    uint64_t check;             /* its header's identity: filename, name, table, first line */
    const char *filename, *qualname;
    int firstlineno;
    uint32_t ltab_len;
    const uint8_t *ltab;
};

static struct {
    const struct py_layout *L;
    const char *runtime;        /* _PyRuntime */
    size_t runtime_size;
    uintptr_t code_type, unicode_type, bytes_type;
    int stopped;
    pid_t pid;                  /* for process_vm_readv on ourselves */
    int frame_hi, ts_hi;        /* bytes read of a frame, of a thread state */
    int code_lo, code_len;      /* code object bytes read (after its type): [code_lo, +code_len) */
} py;

static struct interp_info info;
static char note_buf[200];
COLD_BSS static struct py_code *code_buckets[CODE_BUCKETS];
static struct rmutex code_lock = RMUTEX_INIT(LOCK_RANK_SITES);

/* ---- checked reads ------------------------------------------------------ */

/* process_vm_readv on ourselves, never a memcpy fallback: where the call is
 * refused (a sandbox) the read fails.  errno is the caller's to restore. */
static int rd_vec(struct iovec *local, struct iovec *remote, int n)
{
    size_t want = 0;
    for (int i = 0; i < n; i++)
        want += local[i].iov_len;
    return process_vm_readv(py.pid, local, (unsigned long)n, remote, (unsigned long)n, 0) ==
                   (ssize_t)want ? 0 : -1;
}

static int rd(uintptr_t from, void *to, size_t n)
{
    if (from < 4096)
        return -1;
    struct iovec l = { to, n }, r = { (void *)from, n };
    return rd_vec(&l, &r, 1);
}

int interp_read_raw(uintptr_t from, void *to, size_t n) { return rd(from, to, n); }
long interp_read_vec(struct iovec *local, struct iovec *remote, int n)
{
    return (long)process_vm_readv(py.pid, local, (unsigned long)n, remote, (unsigned long)n, 0);
}
void interp_records_lock(void) { rmutex_lock(&code_lock); }
void interp_records_unlock(void) { rmutex_unlock(&code_lock); }

/* ---- start-up ------------------------------------------------------------ */

static void set_note(const char *fmt, const char *a, const char *b)
{
    snprintf(note_buf, sizeof note_buf, fmt, a, b);
    info.note = note_buf;
}

static void *symbol(const char *name, size_t *size)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    if (p && size) {
        Dl_info di;
        const ElfW(Sym) *sym = NULL;
        *size = dladdr1(p, &di, (void **)&sym, RTLD_DL_SYMENT) && sym ? sym->st_size : 0;
    }
    return p;
}

/* "3.10.13 (main, ...)" -> 3, 10 */
static int parse_version(const char *s, int *major, int *minor)
{
    return s && sscanf(s, "%d.%d", major, minor) == 2;
}

void interp_init(void)
{
    py.pid = getpid();
    size_t rt_size = 0;
    void *rt = symbol("_PyRuntime", &rt_size);
    if (!rt) {
        if (!php_init(&info, note_buf, sizeof note_buf))
            ruby_init(&info, note_buf, sizeof note_buf);
        return;                 /* not a Python process */
    }
    info.language = "python";
    int major = 0, minor = 0;
    const uint32_t *hex = symbol("Py_Version", NULL);
    if (hex) {
        major = (int)(*hex >> 24);
        minor = (int)((*hex >> 16) & 0xff);
        snprintf(info.version, sizeof info.version, "%d.%d.%d", major, minor,
                 (int)((*hex >> 8) & 0xff));
    } else {
        const char *(*get_version)(void) = (const char *(*)(void))symbol("Py_GetVersion", NULL);
        const char *s = get_version ? get_version() : NULL;
        if (!parse_version(s, &major, &minor)) {
            set_note("python: _PyRuntime found but no version (%s%s); no Python frames",
                     get_version ? "Py_GetVersion unreadable" : "no Py_Version or Py_GetVersion", "");
            return;
        }
        snprintf(info.version, sizeof info.version, "%.*s", (int)strcspn(s, " "), s);
    }
    const struct py_layout *L = NULL;
    for (size_t i = 0; i < sizeof py_layouts / sizeof py_layouts[0]; i++)
        if (py_layouts[i].major == major && py_layouts[i].minor == minor)
            L = &py_layouts[i];
    if (!L) {
        set_note("python %s: a version libretain does not know (it reads 3.8 to 3.13); "
                 "no Python frames%s", info.version, "");
        return;
    }
    py.code_type = (uintptr_t)symbol("PyCode_Type", NULL);
    py.unicode_type = (uintptr_t)symbol("PyUnicode_Type", NULL);
    py.bytes_type = (uintptr_t)symbol("PyBytes_Type", NULL);
    int need = L->rt_autotss + 8;
    if (L->rt_tstate_current > need)
        need = L->rt_tstate_current + 8;
    if (!py.code_type || !py.unicode_type || !py.bytes_type) {
        set_note("python %s: PyCode_Type, PyUnicode_Type or PyBytes_Type is not exported; "
                 "no Python frames%s", info.version, "");
        return;
    }
    if (rt_size < (size_t)need) {
        set_note("python %s: _PyRuntime is smaller than this version's layout; "
                 "no Python frames%s", info.version, "");
        return;
    }
    /* 3.13 describes itself: its _Py_DebugOffsets start with a cookie. */
    if (L->minor == 13 && memcmp(rt, "xdebugpy", 8) != 0) {
        set_note("python %s: _PyRuntime does not start with 3.13's debug cookie; "
                 "no Python frames%s", info.version, "");
        return;
    }
    /* Frames are read from their start up to the last field used. */
    int hi = L->fr_back > L->fr_code ? L->fr_back : L->fr_code;
    if (L->fr_instr > hi)
        hi = L->fr_instr;
    if (L->fr_owner > hi)
        hi = L->fr_owner;
    py.frame_hi = hi + 8;
    hi = L->ts_thread_id > L->ts_frame ? L->ts_thread_id : L->ts_frame;
    if (L->ts_interp > hi)
        hi = L->ts_interp;
    if (L->ts_status > hi)
        hi = L->ts_status;
    if (L->ts_datastack_top > hi)
        hi = L->ts_datastack_top;
    if (L->ts_datastack_chunk > hi)
        hi = L->ts_datastack_chunk;
    py.ts_hi = hi + 8;
    /* A code object is read in two pieces: its type, and the fields from
     * co_firstlineno to co_linetable (file, name, qualname lie between). */
    py.code_lo = L->co_firstlineno;
    py.code_len = L->co_linetable + 8 - L->co_firstlineno;
    int fields_inside = L->co_filename > py.code_lo && L->co_name > py.code_lo &&
                        (L->co_qualname < 0 || L->co_qualname > py.code_lo);
    if (py.frame_hi > 128 || py.ts_hi > 320 || py.code_len > CODE_PIECE_MAX || !fields_inside) {
        set_note("python %s: layout larger than libretain's read buffers; no Python frames%s",
                 info.version, "");
        return;
    }
    py.runtime = rt;
    py.runtime_size = rt_size;
    info.frames = 1;
    __atomic_store_n(&py.L, L, __ATOMIC_RELEASE);
}

void interp_stop(void)
{
    __atomic_store_n(&py.stopped, 1, __ATOMIC_RELEASE);
    php_stop();
    ruby_stop();
    if (info.frames && !info.note) {
        info.note = "interpreter frames stopped when the program installed a seccomp filter";
        info.frames = 0;
    }
}

void interp_lock(void) { rmutex_lock(&code_lock); }
void interp_unlock(void) { rmutex_unlock(&code_lock); }
void interp_after_fork_child(void)
{
    rmutex_reset(&code_lock);
    py.pid = getpid();
}

const struct interp_info *interp_info(void) { return info.language ? &info : NULL; }

int interp_python_dict_layout(void)
{
    const struct py_layout *L = __atomic_load_n(&py.L, __ATOMIC_ACQUIRE);
    return L ? L->dk_log2 : -1;
}

int interp_read(uintptr_t from, void *to, size_t n)
{
    int saved_errno = errno;
    int rc = rd(from, to, n);
    errno = saved_errno;
    return rc;
}

/* ---- strings and code objects -------------------------------------------- */

static size_t put_utf8(char *out, size_t at, size_t cap, uint32_t c)
{
    char tmp[4];
    size_t n;
    if (c < 0x80) { tmp[0] = (char)c; n = 1; }
    else if (c < 0x800) { tmp[0] = (char)(0xC0 | c >> 6); tmp[1] = (char)(0x80 | (c & 63)); n = 2; }
    else if (c < 0x10000) {
        tmp[0] = (char)(0xE0 | c >> 12); tmp[1] = (char)(0x80 | ((c >> 6) & 63));
        tmp[2] = (char)(0x80 | (c & 63)); n = 3;
    } else {
        tmp[0] = (char)(0xF0 | c >> 18); tmp[1] = (char)(0x80 | ((c >> 12) & 63));
        tmp[2] = (char)(0x80 | ((c >> 6) & 63)); tmp[3] = (char)(0x80 | (c & 63)); n = 4;
    }
    if (at + n >= cap)
        return at;
    memcpy(out + at, tmp, n);
    return at + n;
}

/* A str object's text as UTF-8 into out (compact strings: every str a code
 * object holds).  Returns 0, or -1 if it is not a readable str. */
static int read_str(uintptr_t s, char *out, size_t cap)
{
    const struct py_layout *L = py.L;
    unsigned char h[40];
    if (rd(s, h, sizeof h) < 0 || interp_word_at(h, 8) != py.unicode_type)
        return -1;
    int64_t len = (int64_t)interp_word_at(h, 16);
    uint32_t state;
    memcpy(&state, h + 32, 4);
    unsigned kind = (state >> 2) & 7, compact = (state >> 5) & 1, ascii = (state >> 6) & 1;
    if (!compact || len < 0 || (kind != 1 && kind != 2 && kind != 4))
        return -1;
    size_t n = (size_t)len < cap - 1 ? (size_t)len : cap - 1;
    unsigned char raw[NAME_MAX_BYTES * 4];
    if (n * kind > sizeof raw)
        n = sizeof raw / kind;
    uintptr_t data = s + (uintptr_t)(ascii ? L->ascii_size : L->compact_size);
    if (rd(data, raw, n * kind) < 0)
        return -1;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = kind == 1 ? raw[i] : kind == 2 ? (uint32_t)(raw[2 * i] | raw[2 * i + 1] << 8)
                                                    : (uint32_t)(raw[4 * i] | raw[4 * i + 1] << 8 |
                                                                 raw[4 * i + 2] << 16 |
                                                                 (uint32_t)raw[4 * i + 3] << 24);
        at = put_utf8(out, at, cap, c);
    }
    out[at] = 0;
    return 0;
}

const char *interp_arena_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = arena_alloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* The code object's record: found by address and header identity, or
 * copied now (once per code object; under code_lock). */
static struct py_code *code_record(uintptr_t addr, const unsigned char *hdr)
{
    const struct py_layout *L = py.L;
    /* hdr: the type word, then the code object's bytes [code_lo, code_lo + code_len) */
    int base = py.code_lo - 8;
    uintptr_t filename = interp_word_at(hdr, L->co_filename - base);
    uintptr_t name = interp_word_at(hdr, (L->co_qualname >= 0 ? L->co_qualname : L->co_name) - base);
    uintptr_t ltab = interp_word_at(hdr, L->co_linetable - base);
    int first = (int)interp_u32_at(hdr, L->co_firstlineno - base);
    uint64_t check = hash_combine(hash_combine(hash_combine(filename, name), ltab), (uint64_t)first);
    uint64_t b = hash_fib(addr ^ check, 12);
    for (struct py_code *c = __atomic_load_n(&code_buckets[b], __ATOMIC_ACQUIRE); c; c = c->next)
        if (c->addr == addr && c->check == check)
            return c;

    rmutex_lock(&code_lock);
    struct py_code *c;
    for (c = code_buckets[b]; c; c = c->next)
        if (c->addr == addr && c->check == check)
            break;
    if (!c) {
        char fname[NAME_MAX_BYTES], qname[NAME_MAX_BYTES];
        if (read_str(filename, fname, sizeof fname) < 0 || read_str(name, qname, sizeof qname) < 0)
            goto out;
        unsigned char bh[24];
        uint8_t *table = NULL;
        uint32_t tlen = 0;
        if (rd(ltab, bh, sizeof bh) == 0 && interp_word_at(bh, 8) == py.bytes_type) {
            int64_t len = (int64_t)interp_word_at(bh, 16);
            if (len >= 0 && (uint64_t)len <= LINETABLE_MAX) {
                table = arena_alloc(len ? (size_t)len : 1);
                if (table && rd(ltab + (uintptr_t)L->bytes_data, table, (size_t)len) == 0)
                    tlen = (uint32_t)len;
                else
                    table = NULL;       /* arena memory is not given back: rare */
            }
        }
        c = arena_alloc(sizeof *c);
        if (!c)
            goto out;
        c->addr = addr;
        c->check = check;
        c->filename = interp_arena_str(fname);
        c->qualname = interp_arena_str(qname);
        c->firstlineno = first;
        c->ltab = table;
        c->ltab_len = tlen;
        c->next = code_buckets[b];
        __atomic_store_n(&code_buckets[b], c, __ATOMIC_RELEASE);
    }
out:
    rmutex_unlock(&code_lock);
    return c;
}

/* ---- the allocation path -------------------------------------------------- */

/* This thread's PyThreadState if it holds the GIL, else 0. */
static uintptr_t current_tstate(const struct py_layout *L, unsigned char *ts, size_t tslen)
{
    int inited;
    unsigned key;
    memcpy(&inited, py.runtime + L->rt_autotss, sizeof inited);
    memcpy(&key, py.runtime + L->rt_autotss + sizeof(int), sizeof key);
    if (inited != 1 || key >= PTHREAD_KEYS_MAX)
        return 0;
    uintptr_t t = (uintptr_t)pthread_getspecific((pthread_key_t)key);
    if (!t || rd(t, ts, tslen) < 0)
        return 0;
    if (interp_word_at(ts, L->ts_thread_id) != (uintptr_t)pthread_self())
        return 0;
    switch (L->gil) {
    case PY_GIL_RUNTIME_CURRENT: {
        uintptr_t cur = __atomic_load_n((const uintptr_t *)(py.runtime + L->rt_tstate_current),
                                        __ATOMIC_RELAXED);
        return cur == t ? t : 0;
    }
    case PY_GIL_STRUCT: {
        uintptr_t gil;
        unsigned char g[16];
        uintptr_t interp = interp_word_at(ts, L->ts_interp);
        if (rd(interp + (uintptr_t)L->is_ceval_gil, &gil, sizeof gil) < 0 ||
            rd(gil + (uintptr_t)L->gil_last_holder, g, sizeof g) < 0)
            return 0;
        return interp_word_at(g, 0) == t && (int)interp_u32_at(g, L->gil_locked - L->gil_last_holder) == 1 ? t : 0;
    }
    case PY_GIL_STATUS_BIT:
        return ((int)interp_u32_at(ts, L->ts_status) >> L->ts_status_holds_gil_bit) & 1 ? t : 0;
    }
    return 0;
}

/* Out of line: its buffers (about 9 KiB of stack) are taken only by a
 * process that runs a known CPython, never by every tracked allocation. */
static __attribute__((noinline)) int capture(const struct py_layout *L, uintptr_t *words, int max)
{
    int saved_errno = errno;
    if (max > INTERP_MAX_FRAMES)
        max = INTERP_MAX_FRAMES;
    unsigned char ts[320];
    int n = 0;
    uintptr_t t = current_tstate(L, ts, (size_t)py.ts_hi);
    if (!t)
        goto done;
    uintptr_t f = interp_word_at(ts, L->ts_frame);
    if (L->frames == PY_FRAME_CFRAME && rd(f + (uintptr_t)L->cf_current_frame, &f, sizeof f) < 0)
        goto done;

    /* 3.11+: the newest frames lie just below datastack_top in the thread's
     * current stack chunk: one read of that window instead of one per
     * frame (frames elsewhere, in generators or older chunks, are read one
     * by one). */
    unsigned char window[FRAME_WINDOW];
    uintptr_t wlo = 0, whi = 0;
    if (L->ts_datastack_top >= 0) {
        uintptr_t chunk = interp_word_at(ts, L->ts_datastack_chunk), top = interp_word_at(ts, L->ts_datastack_top);
        uintptr_t data = chunk + PY_STACK_CHUNK_DATA;
        if (chunk >= 4096 && top > data && top - data < ((uintptr_t)1 << 30)) {
            wlo = top - data > sizeof window ? top - sizeof window : data;
            if (rd(wlo, window, (size_t)(top - wlo)) == 0)
                whi = top;
            else
                wlo = 0;
        }
    }

    /* The chain, innermost first: code object, instruction offset, entry flag. */
    uintptr_t code[INTERP_MAX_FRAMES];
    intptr_t off[INTERP_MAX_FRAMES];
    uintptr_t instr[INTERP_MAX_FRAMES];
    int entry[INTERP_MAX_FRAMES];
    int steps = 0;
    while (f && n < max && steps++ < 2 * INTERP_MAX_FRAMES) {
        unsigned char fr[128];
        const unsigned char *b = fr;
        if (f >= wlo && f + (uintptr_t)py.frame_hi <= whi)
            b = window + (f - wlo);
        else if (rd(f, fr, (size_t)py.frame_hi) < 0)
            break;
        uintptr_t back = interp_word_at(b, L->fr_back);
        uintptr_t co = interp_word_at(b, L->fr_code);
        if (L->frames != PY_FRAME_OBJECTS && b[L->fr_owner] == PY_FRAME_OWNED_BY_CSTACK) {
            if (n)
                entry[n - 1] = 1;
            f = back;
            continue;
        }
        if (co) {
            code[n] = co;
            if (L->frames == PY_FRAME_OBJECTS) {
                off[n] = (intptr_t)(int)interp_u32_at(b, L->fr_instr) * L->lasti_unit;
                instr[n] = 0;
                entry[n] = 1;
            } else {
                instr[n] = interp_word_at(b, L->fr_instr);
                off[n] = 0;
                entry[n] = L->fr_is_entry >= 0 && b[L->fr_is_entry];
            }
            n++;
        }
        f = back;
    }
    if (n)
        entry[n - 1] = 1;

    /* Their code objects, in one read: two pieces each (type; fields). */
    size_t plen = (size_t)py.code_len, hlen = 8 + plen;
    unsigned char hdr[INTERP_MAX_FRAMES][8 + CODE_PIECE_MAX];
    struct iovec lv[2 * INTERP_MAX_FRAMES], rv[2 * INTERP_MAX_FRAMES];
    for (int i = 0; i < n; i++) {
        lv[2 * i] = (struct iovec){ hdr[i], 8 };
        rv[2 * i] = (struct iovec){ (void *)(code[i] + (uintptr_t)L->co_type), 8 };
        lv[2 * i + 1] = (struct iovec){ hdr[i] + 8, plen };
        rv[2 * i + 1] = (struct iovec){ (void *)(code[i] + (uintptr_t)py.code_lo), plen };
    }
    ssize_t got = n ? process_vm_readv(py.pid, lv, (unsigned long)(2 * n), rv,
                                       (unsigned long)(2 * n), 0) : 0;
    int whole = got > 0 ? (int)((size_t)got / hlen) : 0;
    int k = 0;
    for (int i = 0; i < whole && i < n; i++) {
        if (interp_word_at(hdr[i], 0) != py.code_type)
            continue;           /* not a code object: a shim, or a stale pointer */
        if (L->frames != PY_FRAME_OBJECTS)
            off[i] = (intptr_t)(instr[i] - (code[i] + (uintptr_t)L->co_code_adaptive));
        struct py_code *c = code_record(code[i], hdr[i]);
        if (!c)
            continue;
        words[2 * k] = (uintptr_t)c | (entry[i] ? INTERP_ENTRY_BIT : 0);
        words[2 * k + 1] = (uintptr_t)off[i];
        k++;
    }
    n = k;
done:
    errno = saved_errno;
    return n;
}

int interp_capture(uintptr_t *words, int max)
{
    const struct py_layout *L = __atomic_load_n(&py.L, __ATOMIC_ACQUIRE);
    if (!L) {
        int n = php_capture(words, max);
        return n ? n : ruby_capture(words, max);
    }
    if (__atomic_load_n(&py.stopped, __ATOMIC_RELAXED) || max <= 0)
        return 0;
    return capture(L, words, max);
}

/* ---- report time: lines ----------------------------------------------------- */

/* 3.8-3.9 co_lnotab: (byte delta, signed line delta) pairs. */
static int line_lnotab(const struct py_code *c, intptr_t addr)
{
    int line = c->firstlineno;
    intptr_t a = 0;
    for (uint32_t i = 0; i + 1 < c->ltab_len; i += 2) {
        a += c->ltab[i];
        if (a > addr)
            break;
        line += (signed char)c->ltab[i + 1];
    }
    return line;
}

/* 3.10 co_linetable: (byte length, signed line delta) pairs; -128: no line. */
static int line_310(const struct py_code *c, intptr_t addr)
{
    int line = c->firstlineno;
    intptr_t start = 0;
    for (uint32_t i = 0; i + 1 < c->ltab_len; i += 2) {
        intptr_t end = start + c->ltab[i];
        int delta = (signed char)c->ltab[i + 1];
        int here = -1;
        if (delta != -128) {
            line += delta;
            here = line;
        }
        if (addr >= start && addr < end)
            return here;
        start = end;
    }
    return -1;
}

static uint32_t varint(const struct py_code *c, uint32_t *i)
{
    uint32_t v = 0;
    for (int shift = 0; *i < c->ltab_len && shift < 32; shift += 6) {
        uint8_t b = c->ltab[(*i)++];
        v |= (uint32_t)(b & 63) << shift;
        if (!(b & 64))
            break;
    }
    return v;
}

static int svarint(const struct py_code *c, uint32_t *i)
{
    uint32_t v = varint(c, i);
    return v & 1 ? -(int)(v >> 1) : (int)(v >> 1);
}

/* 3.11+ location table (PEP 657): entries of 1..8 code units, the first
 * byte 1ccccnnn: code c says how the line moves, n+1 units long. */
static int line_locations(const struct py_code *c, intptr_t addr)
{
    int64_t line = c->firstlineno;     /* wide: a garbage table cannot overflow it */
    intptr_t unit = 0, target = addr / 2;
    uint32_t i = 0;
    while (i < c->ltab_len) {
        uint8_t first = c->ltab[i++];
        if (!(first & 0x80))
            return -1;          /* lost sync: not a table we know */
        int code = (first >> 3) & 15, len = (first & 7) + 1;
        int64_t here = line;
        if (code == 15) {
            here = -1;
        } else if (code == 14) {
            line += svarint(c, &i);
            here = line;
            varint(c, &i);
            varint(c, &i);
            varint(c, &i);
        } else if (code == 13) {
            line += svarint(c, &i);
            here = line;
        } else if (code >= 10) {
            line += code - 10;
            here = line;
            i += 2;
        } else {
            i += 1;
        }
        if (target >= unit && target < unit + len)
            return here >= 0 && here <= INT_MAX ? (int)here : -1;
        unit += len;
    }
    return -1;
}

static int code_line(const struct py_code *c, intptr_t addr)
{
    if (!c->ltab || addr < 0)
        return c->firstlineno;
    switch (py.L->lines) {
    case PY_LINES_LNOTAB: return line_lnotab(c, addr);
    case PY_LINES_310: return line_310(c, addr);
    case PY_LINES_LOCATIONS: return line_locations(c, addr);
    }
    return -1;
}

struct frame_rec {
    struct frame_rec *next;
    uintptr_t w0, w1;
    struct frame f;
};
COLD_BSS static struct frame_rec *frame_buckets[1024];

const struct frame *interp_frame_intern(const uintptr_t *words,
                                        void (*fill)(const uintptr_t *, const void *, struct frame *),
                                        const void *arg)
{
    uint64_t b = hash_fib(hash_combine(words[0], words[1]), 10);
    rmutex_lock(&code_lock);
    struct frame_rec *r;
    for (r = frame_buckets[b]; r; r = r->next)
        if (r->w0 == words[0] && r->w1 == words[1])
            break;
    if (!r && (r = arena_alloc(sizeof *r))) {
        r->w0 = words[0];
        r->w1 = words[1];
        fill(words, arg, &r->f);
        r->next = frame_buckets[b];
        frame_buckets[b] = r;
    }
    rmutex_unlock(&code_lock);
    return r ? &r->f : NULL;
}

static void python_frame_fill(const uintptr_t *words, const void *arg, struct frame *f)
{
    const struct py_code *c = arg;
    f->function = c->qualname;
    f->file = c->filename;
    f->line = code_line(c, (intptr_t)words[1]);
    f->offset = words[1];
    f->language = "python";
}

const struct frame *interp_frame(const uintptr_t *words, int *entry_end)
{
    *entry_end = (words[0] & INTERP_ENTRY_BIT) != 0;
    if (words[0] & INTERP_PHP_BIT)
        return php_frame(words);
    if (words[0] & INTERP_RUBY_BIT)
        return ruby_frame(words);
    const struct py_code *c = (const struct py_code *)(words[0] & ~INTERP_TAG_BITS);
    const struct frame *f = interp_frame_intern(words, python_frame_fill, c);
    static struct frame unknown = { .function = NULL, .language = "python" };
    return f ? f : &unknown;
}

int interp_is_evaluator(const char *function)
{
    return function && (!strcmp(function, "_PyEval_EvalFrameDefault") || !strcmp(function, "execute_ex") ||
                        !strcmp(function, "rb_vm_exec"));
}
