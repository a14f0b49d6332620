/* report.c: taking a snapshot of the profiler's state and writing it out. */
#include "report.h"
#include "cold.h"
#include "advice.h"
#include "arena.h"
#include "block_table.h"
#include "mapping_table.h"
#include "modules.h"
#include "clock.h"
#include "container.h"
#include "config.h"
#include "interp.h"
#include "log.h"
#include "internal_alloc.h"
#include "guard.h"
#include "process.h"
#include "report_file.h"
#include "site_table.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sites written per report: the biggest by live and by peak bytes.  A large
 * program can have hundreds of thousands; totals still count them all. */
#define REPORT_MAX_SITES 2000
#define REPORT_MAX_MODULES 1024

static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
COLD_BSS static char failed_path[4700];           /* last path that failed: say it once */
static int suffix_pid = -1;             /* add .<pid> to a shared prefix? decided once */

/* Failures since the last report written, for its "errors" list: with
 * RETAIN_QUIET=1 the report is the only place they are told.  Fixed room
 * (no allocation on the failure path); repeats are kept once. */
#define REPORT_MAX_ERRORS 8
COLD_BSS static char errors[REPORT_MAX_ERRORS][600];
static int nerrors;
static uint64_t errors_dropped;

void report_after_fork_child(void)
{
    pthread_mutex_init(&write_lock, NULL);
    failed_path[0] = 0;
    suffix_pid = -1;
    nerrors = 0;
    errors_dropped = 0;
}

static void note_failure(const char *path, int e)
{
    char why[48];
    if (strerrordesc_np(e))                     /* no locale, no allocation */
        snprintf(why, sizeof why, "%s", strerrordesc_np(e));
    else
        snprintf(why, sizeof why, "error %d", e);
    char msg[sizeof errors[0]];
    snprintf(msg, sizeof msg, "cannot write report %.500s: %s", path, why);
    int known = 0;
    for (int i = 0; i < nerrors; i++)
        known |= !strcmp(errors[i], msg);
    if (!known) {
        if (nerrors < REPORT_MAX_ERRORS)
            memcpy(errors[nerrors++], msg, sizeof msg);
        else
            errors_dropped++;
    }
    /* Once per path (periodic reports would repeat it); never under
     * RETAIN_QUIET=1, which silences every line after start-up. */
    if (retain_config.quiet != 1 && strcmp(failed_path, path) != 0) {
        log_error("cannot write report %s: %s", path, why);
        snprintf(failed_path, sizeof failed_path, "%s", path);
    }
}

/* RETAIN_OUTPUT with %p expanded.  A prefix without %p is shared by every
 * process of a tree (a shell's children, a wrapper like `timeout` and what
 * it runs): the process the user started keeps the name, and a process whose
 * parent runs under libretain too (maps this same library file, a copy
 * of it under another name included, or one named libretain) adds its pid,
 * so none overwrites another. */
static int parent_is_profiled(void)
{
    char path[64];
    /* This library's path as the loader opened it: the kernel shows the
     * same one in the parent's maps when it is absolute and has no
     * symbolic links on the way (else the name is all there is to go by). */
    struct module_info self;
    const char *own = modules_object_at((uintptr_t)&parent_is_profiled, &self) &&
                      self.path[0] ? self.path : "libretain";
    size_t len;
    if (process.preloaded_by_env) {
        /* Preloaded through the environment, as the parent was if it is
         * profiled: its environment at exec says so (a copy of memory, where
         * its maps are formatted line by line: 60 us of a short process's
         * exit). */
        snprintf(path, sizeof path, "/proc/%d/environ", (int)getppid());
        char *env = read_small_file(path, 1u << 22, &len);
        int found = 0;
        for (size_t i = 0; env && i < len && !found; i += strlen(env + i) + 1)
            found = !strncmp(env + i, "LD_PRELOAD=", 11) &&
                    (strstr(env + i, own) || strstr(env + i, "libretain"));
        free(env);
        return found;
    }
    snprintf(path, sizeof path, "/proc/%d/maps", (int)getppid());
    char *maps = read_small_file(path, 1u << 22, &len);
    if (!maps)
        return 0;
    int found = (own[0] == '/' && strstr(maps, own) != NULL) || strstr(maps, "libretain") != NULL;
    free(maps);
    return found;
}

static void output_prefix(char *out, size_t cap)
{
    const char *fmt = retain_config.output;
    size_t n = 0;
    int had_pid = 0;
    if (fmt[0] != '/' && process.start_dir[0]) {
        n = (size_t)snprintf(out, cap, "%s/", process.start_dir);
        if (n >= cap / 2)
            n = 0;                      /* absurdly deep: stay relative */
    }
    for (const char *p = fmt; *p && n + 24 < cap; p++) {
        if (p[0] == '%' && p[1] == 'p') {
            n += (size_t)snprintf(out + n, cap - n, "%d", (int)process.pid);
            had_pid = 1;
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = 0;
    if (had_pid)
        return;
    if (suffix_pid < 0)
        suffix_pid = process.forked || parent_is_profiled();
    if (suffix_pid && n + 24 < cap)
        snprintf(out + n, cap - n, ".%d", (int)process.pid);
}

/* NULL if written; else the path, and *e why. */
static const char *write_file(const char *path, const struct strbuf *sb, int *e)
{
    if (sb->failed) {
        *e = ENOMEM;
        return path;
    }
    if (report_file_write(path, sb->data, sb->len, retain_config.report_mode, retain_config.secure) < 0) {
        *e = errno;
        return path;
    }
    return NULL;
}

static int by_importance(const void *a, const void *b)
{
    const struct site_row *x = a, *y = b;
    if (x->live_bytes != y->live_bytes)
        return x->live_bytes < y->live_bytes ? 1 : -1;
    if (x->peak_live_bytes != y->peak_live_bytes)
        return x->peak_live_bytes < y->peak_live_bytes ? 1 : -1;
    return x->id > y->id ? 1 : -1;
}

static int by_peak(const void *a, const void *b)
{
    const struct site_row *x = a, *y = b;
    if (x->peak_live_bytes != y->peak_live_bytes)
        return x->peak_live_bytes < y->peak_live_bytes ? 1 : -1;
    return x->id > y->id ? 1 : -1;
}

/* Keeps the top sites by live bytes and the top by peak bytes, so that both
 * tables of the text report are complete. */
static void snapshot_sites(struct report *r)
{
    uint32_t n = site_count();
    r->nsites_total = n;
    r->sites = malloc((n + 1) * sizeof *r->sites);
    if (!r->sites)
        return;
    int k = 0;
    for (struct site *s = site_list(); s && k < (int)n + 1; s = s->next_all) {
        struct site_row *row = &r->sites[k++];
        row->site = s;
        row->id = s->id;
        row->allocations = __atomic_load_n(&s->allocations, __ATOMIC_RELAXED);
        row->frees = __atomic_load_n(&s->frees, __ATOMIC_RELAXED);
        row->live_bytes = __atomic_load_n(&s->live_bytes, __ATOMIC_RELAXED);
        row->peak_live_bytes = __atomic_load_n(&s->peak_live_bytes, __ATOMIC_RELAXED);
        if (row->peak_live_bytes < row->live_bytes)
            row->peak_live_bytes = row->live_bytes;
    }
    if (k > REPORT_MAX_SITES) {
        /* Half the room for the largest peaks, the rest by live bytes. */
        qsort(r->sites, (size_t)k, sizeof *r->sites, by_peak);
        qsort(r->sites + REPORT_MAX_SITES / 2, (size_t)(k - REPORT_MAX_SITES / 2),
              sizeof *r->sites, by_importance);
        k = REPORT_MAX_SITES;
    }
    qsort(r->sites, (size_t)k, sizeof *r->sites, by_importance);
    r->nsites = k;
}

/* Python frames go where the evaluator is: each run of them (one
 * _PyEval_EvalFrameDefault call's frames, innermost first) just inside the
 * native evaluator frame that runs it.  Runs left over (the native stack was
 * cut at RETAIN_DEPTH, or the evaluator has no symbol) follow the native
 * frames, as the outermost callers they are. */
int report_stack(struct report *r, struct site *s, const struct frame **out, int max)
{
    int n = 0;
    uint32_t py = 0, npy = s->nwords / INTERP_WORDS_PER_FRAME;
    const uintptr_t *words = s->ips + s->nframes;
    for (uint32_t i = 0; i < s->nframes && n < max; i++) {
        const struct frame *f;
        int k = symbolize(r->sym, s->ips[i], &f);
        for (int j = 0; j < k && n < max; j++) {
            if (py < npy && interp_is_evaluator(f[j].function)) {
                int end = 0;
                while (py < npy && !end && n < max)
                    out[n++] = interp_frame(words + INTERP_WORDS_PER_FRAME * py++, &end);
            }
            if (n < max)
                out[n++] = &f[j];
        }
    }
    while (py < npy && n < max) {
        int end;
        out[n++] = interp_frame(words + INTERP_WORDS_PER_FRAME * py++, &end);
    }
    return n;
}

static const char *reason_names[] = { "exit", "signal", "periodic" };

uint64_t report_retained_bytes(const struct report *r)
{
    uint64_t sum = 0;
    for (int i = 0; i < r->nfindings; i++)
        sum += r->findings[i].retained_bytes;
    return sum;
}

/* Of each finding's retained bytes, the resident share of its block. */
uint64_t report_retained_resident_bytes(const struct report *r)
{
    double sum = 0;
    for (int i = 0; i < r->nfindings; i++) {
        const struct finding *f = &r->findings[i];
        if (f->capacity_bytes)
            sum += (double)f->retained_bytes * (double)f->resident_bytes / (double)f->capacity_bytes;
    }
    return (uint64_t)sum;
}

uint32_t report_longest_gap_ms(const struct report *r)
{
    uint32_t gap = 0;
    for (int i = 0; i < r->nfindings; i++)
        if (r->findings[i].longest_gap_ms > gap)
            gap = r->findings[i].longest_gap_ms;
    return gap;
}

/* VmRSS from /proc/self/statm (pages). */
static uint64_t rss_bytes(void)
{
    size_t len;
    char *statm = read_small_file("/proc/self/statm", 4096, &len);
    if (!statm)
        return 0;
    unsigned long long size = 0, resident = 0;
    sscanf(statm, "%llu %llu", &size, &resident);
    internal_free(statm);
    return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void summary_line(struct report *r, const char *prefix, int ok)
{
    uint64_t retained = report_retained_bytes(r);
    struct strbuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%llu allocations, peak ", (unsigned long long)r->counters.allocations);
    sb_bytes(&sb, (double)r->peak_live_bytes);
    /* A site finding stands for its (estimated) blocks. */
    uint64_t blocks = 0;
    for (int i = 0; i < r->nfindings; i++)
        blocks += r->findings[i].kind == FINDING_SITE ? r->findings[i].blocks : 1;
    sb_printf(&sb, " live; %llu retained block%s", (unsigned long long)blocks, blocks == 1 ? "" : "s");
    if (r->nfindings) {
        sb_puts(&sb, " holding ");
        sb_bytes(&sb, (double)retained);
        sb_puts(&sb, " unused (");
        sb_bytes(&sb, (double)report_retained_resident_bytes(r));
        sb_puts(&sb, " of it resident)");
    }
    if (ok)
        log_error("%s; report: %s.txt", sb.data ? sb.data : "", prefix);
    else
        log_error("%s", sb.data ? sb.data : "");
    sb_free(&sb);
}

int report_write(enum report_reason reason, struct measure_scratch *scratch)
{
    int saved_errno = errno;
    struct guard guard = guard_enter();
    pthread_mutex_lock(&write_lock);

    struct report r;
    memset(&r, 0, sizeof r);
    r.reason = reason;
    r.reason_name = reason_names[reason];
    r.pid = (int)process.pid;
    r.duration_ms = (clock_now_ns() - process.start_ns) / 1000000u;
    /* NUL-separated argv; the last argument may have been cut short. */
    r.command = read_small_file("/proc/self/cmdline", 1u << 20, &r.command_len);
    thread_state_totals(&r.counters);
    live_gauge_read(&r.live_bytes, &r.peak_live_bytes);
    /* The gauge lags by the threads' unflushed slack; the counters do not. */
    r.live_bytes = r.counters.bytes_allocated > r.counters.bytes_freed
                       ? r.counters.bytes_allocated - r.counters.bytes_freed : 0;
    if (r.peak_live_bytes < r.live_bytes)
        r.peak_live_bytes = r.live_bytes;
    r.nfindings = retention_findings(&r.findings, reason == REPORT_EXIT ? scratch : NULL);
    snapshot_sites(&r);
    /* Room for a few loaded meanwhile (dlopen in another thread). */
    int max_modules = modules_count() + 16;
    if (max_modules > REPORT_MAX_MODULES)
        max_modules = REPORT_MAX_MODULES;
    r.modules = malloc((size_t)max_modules * sizeof *r.modules);
    if (r.modules)
        r.nmodules = modules_collect(r.modules, max_modules);
    retention_stats(&r.sampler);
    referents_stats(&r.liveness);
    r.tracked_blocks = block_table_count() + __atomic_load_n(&mapping_count, __ATOMIC_RELAXED);
    r.profiler_bytes = arena_bytes();
    r.block_table_bytes = block_table_bytes();
    r.rss_bytes = rss_bytes();
    r.sym = symbolizer_new();
    /* Stacks to write: libdw is loaded now (dwlib.h) if some object's
     * frames need it (symbolize.h), and if it cannot be, the report says so
     * once. */
    if (r.sym && (r.nsites > 0 || r.nfindings > 0) && symbolizer_needs_libdw() &&
        !symbolizer_available(r.sym)) {
        const char *why = symbolizer_error();
        snprintf(r.symbolizer_note_buf, sizeof r.symbolizer_note_buf,
                 "libdw could not be loaded (%s): frames have module and offset but no "
                 "function names or file:line; tools/retain-symbolize resolves them from "
                 "the modules' build-ids", why ? why : "unknown reason");
        r.symbolizer_note = r.symbolizer_note_buf;
    }

    /* One buffer for both paths, built in turn: the exit report runs on a
     * stack of its own whose every page is a fresh fault. */
    char prefix[4600], path[4700];
    output_prefix(prefix, sizeof prefix);
    snprintf(path, sizeof path, "%s.json", prefix);
    r.errors = errors;
    r.nerrors = nerrors;
    r.errors_dropped = errors_dropped;
    struct strbuf json, text;
    sb_init(&json);
    sb_init(&text);
    /* the path that failed (NULL: both written), and why */
    const char *failed = path;
    int e = ENOMEM;
    if (r.sym) {
        for (int i = 0; i < r.nfindings; i++) {
            struct finding *f = &r.findings[i];
            /* The block's own header, when recognised, names it; else
             * what the explaining probe said (retention).  A site
             * finding's block is its example, of example_bytes. */
            uint64_t block_bytes = f->kind == FINDING_SITE ? f->example_bytes : f->capacity_bytes;
            struct container c = container_of(f->address, block_bytes, f->site, f->live);
            if (c.kind != CONTAINER_NONE)
                container_name(c, f->container, sizeof f->container);
            advice_write(&r, f);
        }
        report_json(&r, &json);
        report_text(&r, &text);
        /* Both or neither: a new .json beside an old .txt would be two
         * reports that disagree (out of memory while building the text). */
        if (text.failed && !json.failed) {
            snprintf(path, sizeof path, "%s.txt", prefix);
            failed = path;
        } else {
            failed = write_file(path, &json, &e);
        }
        if (!failed) {
            nerrors = 0;                /* told in the report just written */
            errors_dropped = 0;
            snprintf(path, sizeof path, "%s.txt", prefix);
            failed = write_file(path, &text, &e);
        }
    }
    int rc = failed ? -1 : 0;
    if (failed)
        note_failure(failed, e);
    if (reason == REPORT_EXIT && retain_config.summary)
        summary_line(&r, prefix, rc == 0);

    sb_free(&json);
    sb_free(&text);
    symbolizer_free(r.sym);
    free(r.command);
    free(r.sites);
    internal_free(r.findings);
    free(r.modules);
    pthread_mutex_unlock(&write_lock);
    guard_leave(guard);
    errno = saved_errno;
    return rc;
}
