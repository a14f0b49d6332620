/* interp_ruby.c: Ruby's stack, read from inside malloc (interp.h).
 *
 * rb_sourcefile()/rb_sourceline() are not safe here: they start from
 * GET_EC(), the thread-local ruby_current_ec, which is NULL on a thread Ruby
 * did not create (a C library's thread calling malloc would fault) and
 * dangling while the VM tears down; and they walk the frames unchecked.  So
 * the VM's structures are read directly, every read but the load of
 * ruby_current_vm_ptr itself checked (process_vm_readv).
 *
 * Found at start-up: ruby_current_vm_ptr and ruby_version (libruby's
 * dynamic symbols).  ruby_current_ec is exported too, but as a TLS symbol:
 * its address on another thread is the thread pointer plus an offset that is
 * fixed only for libraries loaded with the program; the path below needs no
 * TLS at all.  On the allocation path:
 *   vm      = ruby_current_vm_ptr                       (0 until ruby_setup)
 *   ractor  = vm->ractor.main_ractor
 *   th      = ractor->threads.gvl.owner    the thread holding the GVL, if any
 *   ec      = ractor->threads.running_ec   (its fiber's context)
 *   checked: ec->thread_ptr == th, th->thread_id == pthread_self()
 *   frames  = ec->cfp up to the stack's end (vm_stack + vm_stack_size), read
 *             at once (at most RB_FRAME_WINDOW bytes); a frame is Ruby code
 *             when ep[0] has no VM_FRAME_FLAG_CFRAME, its magic is known, pc
 *             and iseq are set and the iseq is an imemo_iseq.
 *   per frame: the iseq's record (file, label, line index, copied once), and
 *             pc - iseq_encoded (in VALUEs).
 * A piece that cannot be read (a stale pointer) loses its frame only: the
 * vectored reads go on past it.
 * The first capture also checks the layout against the live VM once
 * (vm->ractor.main_thread == main_ractor->threads.main, whose ractor and vm
 * point back, and whose ec points to it): a mismatch turns the frames off
 * with a note.  Only the main ractor is read (other ractors' threads: no
 * Ruby frames).
 *
 * Lines (report time): pos = pc offset - 1 (pc points past the current
 * instruction, as in Ruby's calc_pos), the entry is the last of
 * insns_info.positions at or below pos (rank in the succinct bit-vector
 * that Ruby keeps instead, VM_INSN_INFO_TABLE_IMPL 2), its line_no.
 *
 * Offsets (Ruby 3.1, Debian 12's ruby3.1): offsetof() printed by
 * tools/ruby-offsets.c against Debian's rb_mjit_min_header-3.1.2.h, the
 * VM's own structures as that build laid them out (ruby3.1-dev). */
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
#include <pthread.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

struct rb_layout {
    int major, minor;
    int vm_main_ractor, vm_main_thread;
    int ractor_gvl_owner, ractor_running_ec, ractor_main;
    int th_ractor, th_vm, th_ec, th_thread_id;
    int ec_vm_stack, ec_vm_stack_size, ec_cfp, ec_thread_ptr;
    int cfp_size, cfp_pc, cfp_iseq, cfp_ep;
    int iseq_body;
    int body_iseq_size, body_iseq_encoded, body_pathobj, body_label, body_first_lineno;
    int body_insns_body, body_insns_positions, body_insns_size, body_succ_table, body_hi;
    int insn_entry_size, insn_line_no;
    int str_heap_len, str_heap_ptr, str_embed;
    int ary_embed, ary_heap_len, ary_heap_ptr;
    uint64_t str_noembed, str_embed_mask;
    int str_embed_shift;
    uint64_t ary_embed_flag, ary_embed_mask;
    int ary_embed_shift;
};

static const struct rb_layout rb_layouts[] = {
    /* ruby 3.1.2 (tools/ruby-offsets.c) */
    { .major = 3, .minor = 1,
      .vm_main_ractor = 32, .vm_main_thread = 40,
      .ractor_gvl_owner = 336, .ractor_running_ec = 520, .ractor_main = 528,
      .th_ractor = 24, .th_vm = 32, .th_ec = 40, .th_thread_id = 80,
      .ec_vm_stack = 0, .ec_vm_stack_size = 8, .ec_cfp = 16, .ec_thread_ptr = 48,
      .cfp_size = 64, .cfp_pc = 0, .cfp_iseq = 16, .cfp_ep = 32,
      .iseq_body = 16,
      .body_iseq_size = 4, .body_iseq_encoded = 8, .body_pathobj = 64, .body_label = 80,
      .body_first_lineno = 88, .body_insns_body = 120, .body_insns_positions = 128,
      .body_insns_size = 136, .body_succ_table = 144, .body_hi = 152,
      .insn_entry_size = 12, .insn_line_no = 0,
      .str_heap_len = 16, .str_heap_ptr = 24, .str_embed = 16,
      .ary_embed = 16, .ary_heap_len = 16, .ary_heap_ptr = 32,
      .str_noembed = 0x2000, .str_embed_mask = 0x7c000, .str_embed_shift = 14,
      .ary_embed_flag = 0x2000, .ary_embed_mask = 0x18000, .ary_embed_shift = 15 },
};

/* Not in a layout: unchanged since Ruby 2.x (vm_core.h, internal/imemo.h, iseq.c). */
#define RB_T_MASK 0x1f
#define RB_T_STRING 0x05
#define RB_T_ARRAY 0x07
#define RB_T_IMEMO 0x1a
#define RB_IMEMO_ISEQ 7
#define RB_FL_USHIFT 12
#define RB_FRAME_MAGIC_MASK 0x7fff0001u
#define RB_FRAME_FLAG_FINISH 0x0020u
#define RB_FRAME_FLAG_CFRAME 0x0080u
#define RB_SUCC_IMMEDIATE 54            /* IMMEDIATE_TABLE_SIZE */
#define RB_SUCC_BLOCK 80                /* struct succ_dict_block */

#define RB_FRAME_WINDOW 4096            /* newest control frames read at once */
#define RB_BODY_MAX 160                 /* bytes of an iseq body read per frame */
#define NAME_MAX_BYTES 256
#define TABLE_MAX (256u << 10)          /* larger line tables are not copied: first line */
#define ISEQ_BUCKETS 4096

/* One iseq, copied the first time a stack shows it. */
struct rb_iseq_rec {
    struct rb_iseq_rec *next;
    uintptr_t addr;
    uint64_t check;                     /* body, encoded, pathobj, label, line table pointers */
    const char *filename, *label;
    int first_lineno;
    uint32_t entries;                   /* insns_info.size */
    uint32_t iseq_size;
    const unsigned char *lines;         /* entries * insn_entry_size bytes, or NULL */
    const uint32_t *positions;          /* entries positions, or NULL: then succ */
    const unsigned char *succ;          /* the succinct index, succ_len bytes */
    uint32_t succ_len;
};

static struct {
    const struct rb_layout *L;
    uintptr_t *vm_ptr;                  /* &ruby_current_vm_ptr */
    const char *object;                 /* the file it is in (libruby, or a static ruby) */
    int checked;                        /* 1: live layout checked, -1: failed */
    uintptr_t cached_vm, cached_ractor; /* vm->ractor.main_ractor of that vm */
    int stopped;
} rb;

static struct interp_info *rb_info;
static char *rb_note;
static size_t rb_note_cap;
COLD_BSS static struct rb_iseq_rec *iseq_buckets[ISEQ_BUCKETS];

static int rd(uintptr_t from, void *to, size_t n) { return interp_read_raw(from, to, n); }

static int rd_word(uintptr_t from, uintptr_t *to) { return rd(from, to, sizeof *to); }

/* A vectored read that goes on past a piece it cannot read (process_vm_readv
 * stops at the first): ok[i] = 1 for each piece read whole.  One call when
 * every piece reads. */
static void rd_pieces(struct iovec *l, struct iovec *r, int n, unsigned char *ok)
{
    int i = 0;
    while (i < n) {
        long got = interp_read_vec(l + i, r + i, n - i);
        if (got < 0)
            got = 0;
        while (i < n && (size_t)got >= l[i].iov_len) {
            got -= (long)l[i].iov_len;
            ok[i++] = 1;
        }
        if (i < n)
            ok[i++] = 0;        /* the piece it stopped at */
    }
}

/* ---- start-up ------------------------------------------------------------ */

int ruby_init(struct interp_info *info, char *note, size_t cap)
{
    void *vm = dlsym(RTLD_DEFAULT, "ruby_current_vm_ptr");
    const char *version = dlsym(RTLD_DEFAULT, "ruby_version");
    if (!vm && !version)
        return 0;
    info->language = "ruby";
    rb_info = info;
    rb_note = note;
    rb_note_cap = cap;
    int major = 0, minor = 0;
    if (!version || sscanf(version, "%d.%d", &major, &minor) != 2) {
        snprintf(note, cap, "ruby: ruby_current_vm_ptr found, but no ruby_version; no Ruby frames");
        info->note = note;
        return 1;
    }
    snprintf(info->version, sizeof info->version, "%.*s", (int)strcspn(version, " "), version);
    const struct rb_layout *L = NULL;
    for (size_t i = 0; i < sizeof rb_layouts / sizeof rb_layouts[0]; i++)
        if (rb_layouts[i].major == major && rb_layouts[i].minor == minor)
            L = &rb_layouts[i];
    if (!L) {
        snprintf(note, cap, "ruby %s: a version libretain does not know (it reads 3.1); "
                 "no Ruby frames", info->version);
        info->note = note;
        return 1;
    }
    Dl_info di;
    const ElfW(Sym) *sym = NULL;
    size_t size = vm && dladdr1(vm, &di, (void **)&sym, RTLD_DL_SYMENT) && sym ? sym->st_size : 0;
    if (!vm || size < sizeof(uintptr_t)) {
        snprintf(note, cap, "ruby %s: ruby_current_vm_ptr is not exported as a pointer; "
                 "no Ruby frames", info->version);
        info->note = note;
        return 1;
    }
    if (L->body_hi > RB_BODY_MAX || L->ec_thread_ptr + 8 > 64 || L->cfp_size < 8 * 5) {
        snprintf(note, cap, "ruby %s: layout larger than libretain's read buffers; "
                 "no Ruby frames", info->version);
        info->note = note;
        return 1;
    }
    rb.vm_ptr = vm;
    rb.object = di.dli_fname;
    info->frames = 1;
    __atomic_store_n(&rb.L, L, __ATOMIC_RELEASE);
    return 1;
}

void ruby_stop(void) { __atomic_store_n(&rb.stopped, 1, __ATOMIC_RELEASE); }

/* Once, on the first capture that sees a VM: the layout against the live
 * structures.  Under the records lock; the note is written before frames
 * are turned off. */
static int check_layout(const struct rb_layout *L, uintptr_t vm)
{
    interp_records_lock();
    if (rb.checked) {
        interp_records_unlock();
        return rb.checked;
    }
    uintptr_t ractor = 0, main_th = 0, r_main = 0, th_ractor = 0, th_vm = 0, ec = 0, ec_th = 0;
    uintptr_t stack = 0, stack_size = 0, cfp = 0;
    /* Init_BareVM publishes ruby_current_vm_ptr before it links the main
     * ractor, thread and context (and mallocs in between): a pointer still
     * 0, or a read that fails, is a VM being set up, looked at again next
     * time; only pointers that are all set and disagree fail the check. */
    int ok = rd_word(vm + (uintptr_t)L->vm_main_ractor, &ractor) == 0 && ractor &&
             rd_word(vm + (uintptr_t)L->vm_main_thread, &main_th) == 0 && main_th &&
             rd_word(ractor + (uintptr_t)L->ractor_main, &r_main) == 0 && r_main &&
             rd_word(main_th + (uintptr_t)L->th_ractor, &th_ractor) == 0 && th_ractor &&
             rd_word(main_th + (uintptr_t)L->th_vm, &th_vm) == 0 && th_vm &&
             rd_word(main_th + (uintptr_t)L->th_ec, &ec) == 0 && ec &&
             rd_word(ec + (uintptr_t)L->ec_thread_ptr, &ec_th) == 0 && ec_th &&
             rd_word(ec + (uintptr_t)L->ec_vm_stack, &stack) == 0 && stack &&
             rd_word(ec + (uintptr_t)L->ec_vm_stack_size, &stack_size) == 0 && stack_size &&
             rd_word(ec + (uintptr_t)L->ec_cfp, &cfp) == 0 && cfp;
    if (!ok) {
        interp_records_unlock();
        return 0;
    }
    uintptr_t end = stack + stack_size * sizeof(uintptr_t);
    int good = r_main == main_th && th_ractor == ractor && th_vm == vm && ec_th == main_th &&
               stack_size > 0 && stack_size < ((uintptr_t)1 << 32) && cfp > stack && cfp <= end &&
               (end - cfp) % (uintptr_t)L->cfp_size == 0;
    if (!good) {
        snprintf(rb_note, rb_note_cap, "ruby %s: the VM's structures do not match libretain's "
                 "3.1 layout (a build configured otherwise?); no Ruby frames", rb_info->version);
        rb_info->note = rb_note;
        rb_info->frames = 0;
    }
    __atomic_store_n(&rb.checked, good ? 1 : -1, __ATOMIC_RELEASE);
    interp_records_unlock();
    return good ? 1 : -1;
}

/* ---- strings and iseqs ------------------------------------------------------ */

/* A T_STRING's bytes into out (NUL-terminated, cut at cap - 1): 0 or -1. */
static int read_rstring(uintptr_t s, char *out, size_t cap)
{
    const struct rb_layout *L = rb.L;
    unsigned char h[32];
    if (rd(s, h, sizeof h) < 0)
        return -1;
    uint64_t flags = interp_word_at(h, 0);
    if ((flags & RB_T_MASK) != RB_T_STRING)
        return -1;
    size_t n;
    uintptr_t from;
    if (flags & L->str_noembed) {
        int64_t len = (int64_t)interp_word_at(h, L->str_heap_len);
        if (len < 0)
            return -1;
        n = (size_t)len;
        from = interp_word_at(h, L->str_heap_ptr);
    } else {
        n = (size_t)((flags & L->str_embed_mask) >> L->str_embed_shift);
        from = s + (uintptr_t)L->str_embed;
    }
    if (n > cap - 1)
        n = cap - 1;
    if (n && rd(from, out, n) < 0)
        return -1;
    out[n] = 0;
    return 0;
}

/* location.pathobj: the path, or [path, realpath]. */
static int read_path(uintptr_t obj, char *out, size_t cap)
{
    const struct rb_layout *L = rb.L;
    uint64_t flags;
    if (rd(obj, &flags, sizeof flags) < 0)
        return -1;
    if ((flags & RB_T_MASK) == RB_T_ARRAY) {
        uintptr_t first;
        if (flags & L->ary_embed_flag) {
            if (!((flags & L->ary_embed_mask) >> L->ary_embed_shift) ||
                rd_word(obj + (uintptr_t)L->ary_embed, &first) < 0)
                return -1;
        } else {
            int64_t len;
            uintptr_t ptr;
            if (rd(obj + (uintptr_t)L->ary_heap_len, &len, sizeof len) < 0 || len < 1 ||
                rd_word(obj + (uintptr_t)L->ary_heap_ptr, &ptr) < 0 || rd_word(ptr, &first) < 0)
                return -1;
        }
        obj = first;
    }
    return read_rstring(obj, out, cap);
}

/* Size in bytes of Ruby's succinct index for an iseq of max_pos VALUEs
 * (succ_index_table_create). */
static uint64_t succ_bytes(uint64_t max_pos)
{
    if (max_pos < RB_SUCC_IMMEDIATE)
        return (max_pos + 8) / 9 * 8;
    return RB_SUCC_IMMEDIATE / 9 * 8 + (max_pos - RB_SUCC_IMMEDIATE + 511) / 512 * RB_SUCC_BLOCK;
}

/* Copies n bytes at from into the arena: NULL if unreadable or too large. */
static void *copy_table(uintptr_t from, uint64_t n)
{
    if (!from || !n || n > TABLE_MAX)
        return NULL;
    void *p = arena_alloc((size_t)n);
    if (p && rd(from, p, (size_t)n) < 0)
        return NULL;            /* arena memory is not given back: rare */
    return p;
}

static uint64_t body_check(const struct rb_layout *L, const unsigned char *body)
{
    uint64_t h = hash_combine(interp_word_at(body, L->body_iseq_encoded), interp_word_at(body, L->body_pathobj));
    h = hash_combine(h, interp_word_at(body, L->body_label));
    h = hash_combine(h, interp_word_at(body, L->body_insns_body));
    return hash_combine(h, interp_word_at(body, L->body_first_lineno));
}

/* The iseq's record: found by address and body identity, or copied now
 * (once per iseq; under the records lock). */
static struct rb_iseq_rec *iseq_record(uintptr_t iseq, uintptr_t bodyp, const unsigned char *body)
{
    const struct rb_layout *L = rb.L;
    uint64_t check = hash_combine(body_check(L, body), bodyp);
    uint64_t b = hash_fib(iseq ^ check, 12);
    for (struct rb_iseq_rec *r = __atomic_load_n(&iseq_buckets[b], __ATOMIC_ACQUIRE); r; r = r->next)
        if (r->addr == iseq && r->check == check)
            return r;
    interp_records_lock();
    struct rb_iseq_rec *r;
    for (r = iseq_buckets[b]; r; r = r->next)
        if (r->addr == iseq && r->check == check)
            break;
    if (!r) {
        char file[NAME_MAX_BYTES], label[NAME_MAX_BYTES];
        if (read_path(interp_word_at(body, L->body_pathobj), file, sizeof file) < 0 ||
            read_rstring(interp_word_at(body, L->body_label), label, sizeof label) < 0)
            goto out;
        r = arena_alloc(sizeof *r);
        if (!r)
            goto out;
        memset(r, 0, sizeof *r);
        r->addr = iseq;
        r->check = check;
        r->filename = interp_arena_str(file);
        r->label = interp_arena_str(label);
        uintptr_t first = interp_word_at(body, L->body_first_lineno);
        r->first_lineno = (first & 1) ? (int)((intptr_t)first >> 1) : 0;
        uint32_t entries = interp_u32_at(body, L->body_insns_size);
        r->iseq_size = interp_u32_at(body, L->body_iseq_size);
        r->lines = copy_table(interp_word_at(body, L->body_insns_body),
                              (uint64_t)entries * (uint64_t)L->insn_entry_size);
        if (r->lines) {
            r->entries = entries;
            uintptr_t pos = interp_word_at(body, L->body_insns_positions);
            uintptr_t succ = interp_word_at(body, L->body_succ_table);
            if (pos)
                r->positions = copy_table(pos, (uint64_t)entries * 4);
            else if (succ && entries > 1 &&
                     (r->succ = copy_table(succ, succ_bytes(r->iseq_size))))
                r->succ_len = (uint32_t)succ_bytes(r->iseq_size);
            if (entries > 1 && !r->positions && !r->succ)
                r->entries = 0;         /* no index: the first line */
        }
        r->next = iseq_buckets[b];
        __atomic_store_n(&iseq_buckets[b], r, __ATOMIC_RELEASE);
    }
out:
    interp_records_unlock();
    return r;
}

/* ---- the allocation path ------------------------------------------------------ */

static int known_magic(uint32_t flags)
{
    switch (flags & RB_FRAME_MAGIC_MASK) {
    case 0x11110001: /* METHOD */
    case 0x22220001: /* BLOCK */
    case 0x33330001: /* CLASS */
    case 0x44440001: /* TOP */
    case 0x77770001: /* EVAL */
    case 0x78880001: /* RESCUE */
        return 1;
    }
    return 0;
}

/* The thread's execution context if it holds the GVL, else 0; its stack
 * bounds and current frame into e. */
static uintptr_t gvl_ec(const struct rb_layout *L, uintptr_t vm, unsigned char *e)
{
    /* The main ractor of this VM, read once per VM. */
    uintptr_t ractor = 0;
    if (__atomic_load_n(&rb.cached_vm, __ATOMIC_ACQUIRE) == vm)
        ractor = __atomic_load_n(&rb.cached_ractor, __ATOMIC_RELAXED);
    if (!ractor) {
        if (rd_word(vm + (uintptr_t)L->vm_main_ractor, &ractor) < 0 || !ractor)
            return 0;
        __atomic_store_n(&rb.cached_vm, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&rb.cached_ractor, ractor, __ATOMIC_RELAXED);
        __atomic_store_n(&rb.cached_vm, vm, __ATOMIC_RELEASE);
    }
    uintptr_t owner, ec, tid;
    struct iovec lv[2] = { { &owner, 8 }, { &ec, 8 } };
    struct iovec rv[2] = { { (void *)(ractor + (uintptr_t)L->ractor_gvl_owner), 8 },
                           { (void *)(ractor + (uintptr_t)L->ractor_running_ec), 8 } };
    if (interp_read_vec(lv, rv, 2) != 16 || !owner || !ec)
        return 0;
    /* The context and the owner's thread id in one read. */
    size_t elen = (size_t)L->ec_thread_ptr + 8;
    struct iovec l2[2] = { { e, elen }, { &tid, 8 } };
    struct iovec r2[2] = { { (void *)ec, elen }, { (void *)(owner + (uintptr_t)L->th_thread_id), 8 } };
    if (interp_read_vec(l2, r2, 2) != (long)(elen + 8) || interp_word_at(e, L->ec_thread_ptr) != owner ||
        tid != (uintptr_t)pthread_self())
        return 0;               /* not the thread that holds the GVL */
    return ec;
}

/* Out of line: its buffers (about 13 KiB of stack) are taken only by the
 * thread that holds the GVL (a Ruby thread, with Ruby's large stacks). */
static __attribute__((noinline)) int capture(const struct rb_layout *L, const unsigned char *e,
                                             uintptr_t *words, int max)
{
    int n = 0;
    uintptr_t stack = interp_word_at(e, L->ec_vm_stack), size = interp_word_at(e, L->ec_vm_stack_size);
    uintptr_t cfp = interp_word_at(e, L->ec_cfp), end = stack + size * sizeof(uintptr_t);
    if (size >= ((uintptr_t)1 << 32) || cfp <= stack || cfp >= end ||
        (end - cfp) % (uintptr_t)L->cfp_size)
        return 0;
    unsigned char window[RB_FRAME_WINDOW];
    size_t wlen = end - cfp < sizeof window ? (size_t)(end - cfp) : sizeof window;
    wlen -= wlen % (size_t)L->cfp_size;
    if (rd(cfp, window, wlen) < 0)
        return 0;
    int nframes = (int)(wlen / (size_t)L->cfp_size);

    /* Every frame's ep[0] and iseq header, in one read. */
    enum { MAXF = RB_FRAME_WINDOW / 64 };
    uint64_t epf[MAXF];
    unsigned char ih[MAXF][24];
    struct iovec el[2 * MAXF], er[2 * MAXF];
    int idx[MAXF], k = 0;
    for (int i = 0; i < nframes && k < MAXF; i++) {
        const unsigned char *f = window + (size_t)i * (size_t)L->cfp_size;
        uintptr_t pc = interp_word_at(f, L->cfp_pc), iseq = interp_word_at(f, L->cfp_iseq), ep = interp_word_at(f, L->cfp_ep);
        if (!pc || !iseq || !ep || iseq < 4096 || ep < 4096)
            continue;
        el[2 * k] = (struct iovec){ &epf[k], 8 };
        er[2 * k] = (struct iovec){ (void *)ep, 8 };
        el[2 * k + 1] = (struct iovec){ ih[k], 24 };
        er[2 * k + 1] = (struct iovec){ (void *)iseq, 24 };
        idx[k++] = i;
    }
    unsigned char eok[2 * MAXF];
    rd_pieces(el, er, 2 * k, eok);

    /* The Ruby frames' iseq bodies, in one read. */
    unsigned char bodies[INTERP_MAX_FRAMES][RB_BODY_MAX];
    uintptr_t iseqs[INTERP_MAX_FRAMES], bptr[INTERP_MAX_FRAMES], pcs[INTERP_MAX_FRAMES];
    int finish[INTERP_MAX_FRAMES];
    struct iovec bl[INTERP_MAX_FRAMES], br[INTERP_MAX_FRAMES];
    int m = 0;
    for (int j = 0; j < k && m < max; j++) {
        if (!eok[2 * j] || !eok[2 * j + 1])
            continue;
        uint32_t fl = (uint32_t)epf[j];
        uint64_t iflags = interp_word_at(ih[j], 0);
        if ((fl & RB_FRAME_FLAG_CFRAME) || !known_magic(fl) ||
            (iflags & RB_T_MASK) != RB_T_IMEMO || ((iflags >> RB_FL_USHIFT) & 15) != RB_IMEMO_ISEQ)
            continue;
        const unsigned char *f = window + (size_t)idx[j] * (size_t)L->cfp_size;
        uintptr_t body = interp_word_at(ih[j], L->iseq_body);
        if (body < 4096)
            continue;
        iseqs[m] = interp_word_at(f, L->cfp_iseq);
        pcs[m] = interp_word_at(f, L->cfp_pc);
        bptr[m] = body;
        finish[m] = (fl & RB_FRAME_FLAG_FINISH) != 0;
        bl[m] = (struct iovec){ bodies[m], (size_t)L->body_hi };
        br[m] = (struct iovec){ (void *)body, (size_t)L->body_hi };
        m++;
    }
    unsigned char bok[INTERP_MAX_FRAMES];
    rd_pieces(bl, br, m, bok);
    for (int i = 0; i < m; i++) {
        if (!bok[i])
            continue;
        uintptr_t encoded = interp_word_at(bodies[i], L->body_iseq_encoded);
        uint32_t isize = interp_u32_at(bodies[i], L->body_iseq_size);
        if (pcs[i] < encoded || pcs[i] > encoded + (uintptr_t)isize * sizeof(uintptr_t))
            continue;           /* a pc outside its iseq: stale */
        struct rb_iseq_rec *r = iseq_record(iseqs[i], bptr[i], bodies[i]);
        if (!r)
            continue;
        words[2 * n] = (uintptr_t)r | INTERP_RUBY_BIT | (finish[i] ? INTERP_ENTRY_BIT : 0);
        words[2 * n + 1] = (pcs[i] - encoded) / sizeof(uintptr_t);
        n++;
    }
    if (n)
        words[2 * (n - 1)] |= INTERP_ENTRY_BIT;
    return n;
}

int ruby_capture(uintptr_t *words, int max)
{
    const struct rb_layout *L = __atomic_load_n(&rb.L, __ATOMIC_ACQUIRE);
    if (!L || __atomic_load_n(&rb.stopped, __ATOMIC_RELAXED) || max <= 0)
        return 0;
    uintptr_t vm = __atomic_load_n(rb.vm_ptr, __ATOMIC_RELAXED);
    if (!vm)
        return 0;
    int saved_errno = errno;
    int n = 0;
    int checked = __atomic_load_n(&rb.checked, __ATOMIC_ACQUIRE);
    if (!checked)
        checked = check_layout(L, vm);
    unsigned char e[64];
    if (checked > 0 && gvl_ec(L, vm, e))
        n = capture(L, e, words, max > INTERP_MAX_FRAMES ? INTERP_MAX_FRAMES : max);
    errno = saved_errno;
    return n;
}

/* ---- report time: lines ------------------------------------------------------ */

/* Ruby's succ_index_lookup: how many positions are <= x. */
static int succ_rank(const struct rb_iseq_rec *r, uint32_t x)
{
    const unsigned char *sd = r->succ;
    if (x < RB_SUCC_IMMEDIATE) {
        if ((x / 9 + 1) * 8 > r->succ_len)
            return -1;
        uint64_t v;
        memcpy(&v, sd + (x / 9) * 8, 8);
        return (int)((v >> ((x % 9) * 7)) & 0x7f);
    }
    uint32_t bi = (x - RB_SUCC_IMMEDIATE) / 512, bit = (x - RB_SUCC_IMMEDIATE) % 512;
    uint64_t at = RB_SUCC_IMMEDIATE / 9 * 8 + (uint64_t)bi * RB_SUCC_BLOCK;
    if (at + RB_SUCC_BLOCK > r->succ_len)
        return -1;
    uint32_t rank;
    uint64_t small, bits;
    memcpy(&rank, sd + at, 4);
    memcpy(&small, sd + at + 8, 8);
    uint32_t sb = bit / 64;
    memcpy(&bits, sd + at + 16 + sb * 8, 8);
    int small_rank = sb == 0 ? 0 : (int)((small >> ((sb - 1) * 9)) & 0x1ff);
    return (int)rank + small_rank + __builtin_popcountll(bits << (63 - bit % 64));
}

static int iseq_line(const struct rb_iseq_rec *r, uintptr_t pc_off)
{
    if (!r->lines || !r->entries || pc_off > r->iseq_size)
        return r->first_lineno;
    uint32_t pos = pc_off ? (uint32_t)pc_off - 1 : 0;
    int64_t entry;
    if (r->entries == 1) {
        entry = 0;
    } else if (r->positions) {
        /* the last position <= pos */
        uint32_t lo = 0, hi = r->entries;
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (r->positions[mid] <= pos)
                lo = mid;
            else
                hi = mid;
        }
        entry = lo;
    } else {
        entry = (int64_t)succ_rank(r, pos) - 1;
    }
    if (entry < 0 || entry >= r->entries)
        return r->first_lineno;
    int line;
    memcpy(&line, r->lines + (size_t)entry * (size_t)rb.L->insn_entry_size + rb.L->insn_line_no,
           sizeof line);
    return line;
}

/* Ruby's own library (rubylibprefix: stdlib, vendor and bundled gems):
 * beside libruby (Debian: /usr/lib/x86_64-linux-gnu/../ruby) or under its
 * lib (a ruby built with --prefix: lib/ruby, or bin/../lib/ruby for a
 * static one), the directory that holds <major>.<minor>.0; canonical, as
 * the files are compared canonical.  Report time only (realpath). */
static const char *ruby_libprefix(void)
{
    static int done;
    COLD_BSS static char prefix[PATH_MAX + 1];
    if (done)
        return prefix[0] ? prefix : NULL;
    done = 1;
    if (!rb.object || !rb_info)
        return NULL;
    int major = 0, minor = 0;
    if (sscanf(rb_info->version, "%d.%d", &major, &minor) != 2)
        return NULL;
    const char *slash = strrchr(rb.object, '/');
    if (!slash)
        return NULL;
    static const char *const rel[] = { "/../ruby", "/ruby", "/../lib/ruby" };
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char cand[PATH_MAX], abi[PATH_MAX + 16];
        snprintf(cand, sizeof cand, "%.*s%s", (int)(slash - rb.object), rb.object, rel[i]);
        snprintf(abi, sizeof abi, "%s/%d.%d.0", cand, major, minor);
        struct stat st;
        if (stat(abi, &st) == 0 && S_ISDIR(st.st_mode) && realpath(cand, prefix)) {
            size_t n = strlen(prefix);
            if (n + 1 < sizeof prefix) {
                prefix[n] = '/';
                prefix[n + 1] = 0;
                return prefix;
            }
        }
    }
    prefix[0] = 0;
    return NULL;
}

static int ruby_file_is_stdlib(const char *file)
{
    if (!file)
        return 0;
    if (!strncmp(file, "<internal:", 10))
        return 1;               /* Ruby's core methods written in Ruby */
    const char *prefix = ruby_libprefix();
    char real[PATH_MAX];
    return prefix && file[0] == '/' && realpath(file, real) &&
           !strncmp(real, prefix, strlen(prefix));
}

static void ruby_frame_fill(const uintptr_t *words, const void *arg, struct frame *f)
{
    const struct rb_iseq_rec *r = arg;
    f->function = r->label;
    f->file = r->filename;
    f->line = iseq_line(r, words[1]);
    f->language = "ruby";
    f->stdlib = ruby_file_is_stdlib(r->filename);
}

const struct frame *ruby_frame(const uintptr_t *words)
{
    const struct rb_iseq_rec *r = (const struct rb_iseq_rec *)(words[0] & ~INTERP_TAG_BITS);
    const struct frame *f = interp_frame_intern(words, ruby_frame_fill, r);
    static struct frame unknown = { .language = "ruby" };
    return f ? f : &unknown;
}
