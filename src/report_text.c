/* report_text.c: the report for people.  Findings first (they are why the
 * tool exists), then totals, then the call sites holding the most memory. */
#include "config.h"
#include "interp.h"
#include "report.h"
#include "site_table.h"

#include <stdlib.h>
#include <string.h>

#define TOP_SITES 10
#define STACK_SHOWN 12

static const char *basename_of(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path ? path : "?";
}

static void frame_text(struct strbuf *sb, const char *indent, int i, const struct frame *f)
{
    char name[160];
    if (f->language) {          /* the script's own frame: function, file:line */
        sb_printf(sb, "%s#%-2d %s  %s:%d  [%s]\n", indent, i, f->function ? f->function : "??",
                  f->file ? f->file : "?", f->line, f->language);
        return;
    }
    sb_printf(sb, "%s#%-2d %s", indent, i,
              f->function ? short_function_name(f->function, name, sizeof name) : "??");
    if (f->file)
        sb_printf(sb, "  %s:%d", f->file, f->line);
    if (f->function)
        sb_printf(sb, "  [%s]%s\n", basename_of(f->module), f->inlined ? " (inlined)" : "");
    else    /* no symbol: where it is, for addr2line on an unstripped copy */
        sb_printf(sb, "  [%s+0x%lx]\n", basename_of(f->module), (unsigned long)f->offset);
}

/* The first STACK_SHOWN frames, and every interpreter frame after them:
 * the script's lines are what its author acts on. */
static void stack_text(struct report *r, struct strbuf *sb, struct site *s, const char *indent)
{
    const struct frame *frames[128];
    int n = s ? report_stack(r, s, frames, 128) : 0;
    int hidden = 0;
    for (int i = 0; i < n; i++) {
        if (i < STACK_SHOWN || frames[i]->language) {
            if (hidden)
                sb_printf(sb, "%s    ... %d native frames\n", indent, hidden);
            hidden = 0;
            frame_text(sb, indent, i, frames[i]);
        } else {
            hidden++;
        }
    }
    if (hidden)
        sb_printf(sb, "%s... %d more frames (see the JSON report)\n", indent, hidden);
    if (n == 0)
        sb_printf(sb, "%s(no stack)\n", indent);
}

static void history_chart(struct strbuf *sb, const struct finding *f)
{
    static const char *bars[] = { " ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
                                  "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
                                  "\xe2\x96\x87", "\xe2\x96\x88" };
    if (f->nhistory == 0)
        return;
    sb_puts(sb, "    occupancy over time: |");
    for (int i = 0; i < f->nhistory; i++) {
        double o = f->history_occ[i];
        int level = (int)(o * 8 + 0.5);
        if (level > 8)
            level = 8;
        if (level == 0 && o > 0)
            level = 1;
        sb_puts(sb, bars[level]);
    }
    sb_printf(sb, "|  (%u ms .. %u ms after allocation, full height = 100%%)\n",
              f->history_ms[0], f->history_ms[f->nhistory - 1]);
}

/* "<before>12 MiB<middle>16 MiB<after>" */
static void bytes_of(struct strbuf *sb, const char *before, uint64_t a, const char *middle, uint64_t b,
                     const char *after)
{
    sb_puts(sb, before);
    sb_bytes(sb, (double)a);
    sb_puts(sb, middle);
    sb_bytes(sb, (double)b);
    sb_puts(sb, after);
}

/* Many medium blocks of one site, estimated from the few watched. */
static void site_finding_text(struct report *r, struct strbuf *sb, int i, const struct finding *f)
{
    sb_printf(sb, "[%d] ", i + 1);
    sb_bytes(sb, (double)f->retained_bytes);
    sb_puts(sb, " (+/- ");
    sb_bytes(sb, (double)f->retained_bytes_error);
    sb_printf(sb, ") retained in about %llu blocks totalling ", (unsigned long long)f->blocks);
    sb_bytes(sb, (double)f->capacity_bytes);
    sb_printf(sb, " from one call site (%s confidence, probe: %s)\n", f->confidence, f->probe);
    sb_printf(sb, "    estimated from %d watched blocks, %d of them retained; %s\n",
              f->sampled_blocks, f->sampled_retained,
              f->live ? "still allocated" : "most freed before the report");
    if (f->nexamples) {
        sb_puts(sb, "    example occupancies (now / peak):");
        for (int k = 0; k < f->nexamples; k++)
            sb_printf(sb, " %.1f%%/%.1f%%%s", f->examples[k].occupancy * 100,
                      f->examples[k].peak_occupancy * 100, f->examples[k].retained ? "" : " (not retained)");
        sb_puts(sb, "\n");
    }
    sb_puts(sb, "    example block of ");
    sb_bytes(sb, (double)f->example_bytes);
    sb_printf(sb, " at 0x%lx: occupancy %.1f%% now, %.1f%% at its peak; retained for %.1f s; "
                  "age %.1f s\n",
              (unsigned long)f->address, f->occupancy * 100, f->peak_occupancy * 100,
              f->retained_ms / 1000.0, f->age_ms / 1000.0);
    history_chart(sb, f);
    if (f->container[0])
        sb_printf(sb, "    container: %s\n", f->container);
    sb_printf(sb, "    allocated at (site %u):\n", f->site ? f->site->id : 0);
    stack_text(r, sb, f->site, "      ");
    sb_printf(sb, "    what to do: %s\n\n", f->advice);
}

static void finding_text(struct report *r, struct strbuf *sb, int i, const struct finding *f)
{
    if (f->kind == FINDING_SITE) {
        site_finding_text(r, sb, i, f);
        return;
    }
    sb_printf(sb, "[%d] ", i + 1);
    sb_bytes(sb, (double)f->retained_bytes);
    sb_puts(sb, " retained in a ");
    sb_bytes(sb, (double)f->capacity_bytes);
    sb_printf(sb, " %s at 0x%lx (%s confidence, probe: %s)\n",
              f->source && !strcmp(f->source, "mmap") ? "mapping (mmap)" : "block",
              (unsigned long)f->address, f->confidence, f->probe);
    sb_printf(sb, "    occupancy %.1f%% now, %.1f%% at its peak; retained for %.1f s; "
                  "block age %.1f s; %s\n",
              f->occupancy * 100, f->peak_occupancy * 100, f->retained_ms / 1000.0,
              f->age_ms / 1000.0, f->live ? "still allocated" : "freed before the report");
    if (f->live)
        bytes_of(sb, "    resident: ", f->resident_bytes, " of the block's ", f->capacity_bytes,
                 " are in RAM\n");
    history_chart(sb, f);
    if (f->container[0])
        sb_printf(sb, "    container: %s\n", f->container);
    sb_printf(sb, "    %s at (site %u):\n",
              f->source && !strcmp(f->source, "mmap") ? "mapped" : "allocated",
              f->site ? f->site->id : 0);
    stack_text(r, sb, f->site, "      ");
    sb_printf(sb, "    what to do: %s\n\n", f->advice);
}

static int by_peak_row(const void *a, const void *b)
{
    const struct site_row *x = *(const struct site_row *const *)a;
    const struct site_row *y = *(const struct site_row *const *)b;
    if (x->peak_live_bytes != y->peak_live_bytes)
        return x->peak_live_bytes < y->peak_live_bytes ? 1 : -1;
    return x->id > y->id ? 1 : -1;
}

static void site_text(struct report *r, struct strbuf *sb, const struct site_row *row)
{
    sb_printf(sb, "site %u: ", row->id);
    sb_bytes(sb, (double)row->live_bytes);
    sb_puts(sb, " live, peak ");
    sb_bytes(sb, (double)row->peak_live_bytes);
    sb_printf(sb, "; %llu allocations, %llu frees\n", (unsigned long long)row->allocations,
              (unsigned long long)row->frees);
    stack_text(r, sb, row->site, "    ");
    sb_puts(sb, "\n");
}

void report_text(struct report *r, struct strbuf *sb)
{
    sb_puts(sb, "libretain report (");
    sb_puts(sb, r->reason_name);
    sb_printf(sb, ") for pid %d: ", r->pid);
    for (size_t off = 0; r->command && off < r->command_len;) {
        size_t len = strnlen(r->command + off, r->command_len - off);
        sb_put(sb, r->command + off, len);
        sb_puts(sb, " ");
        off += len + 1;
    }
    sb_printf(sb, "\nafter %.1f s\n\n", r->duration_ms / 1000.0);

    if (r->nerrors) {
        sb_puts(sb, "== Earlier reports that could not be written ==\n");
        for (int i = 0; i < r->nerrors; i++)
            sb_printf(sb, "%s\n", r->errors[i]);
        if (r->errors_dropped)
            sb_printf(sb, "and %llu more\n", (unsigned long long)r->errors_dropped);
        sb_puts(sb, "\n");
    }

    const struct interp_info *in = interp_info();
    if (in && in->note)
        sb_printf(sb, "note: %s\n\n", in->note);
    if (r->symbolizer_note)
        sb_printf(sb, "note: %s\n\n", r->symbolizer_note);

    uint64_t retained = report_retained_bytes(r);
    sb_puts(sb, "== Retained blocks ==\n");
    uint64_t blocks = 0;
    int sites = 0;
    for (int i = 0; i < r->nfindings; i++) {
        sites += r->findings[i].kind == FINDING_SITE;
        blocks += r->findings[i].kind == FINDING_SITE ? r->findings[i].blocks : 1;
    }
    if (r->nfindings == 0) {
        sb_puts(sb, "None: no watched block (");
        sb_bytes(sb, (double)retain_config.min_size);
        sb_puts(sb, " or larger) has kept its capacity after its contents went away");
        if (retain_config.medium_size && retain_config.medium_size < retain_config.min_size) {
            sb_puts(sb, ", nor have the blocks of any call site of medium blocks (");
            sb_bytes(sb, (double)retain_config.medium_size);
            sb_puts(sb, " or larger)");
        }
        sb_puts(sb, ".\n\n");
    } else {
        if (sites)
            sb_printf(sb, "%d finding%s (%d for a call site's medium blocks, estimated): "
                          "about %llu blocks keep ", r->nfindings, r->nfindings == 1 ? "" : "s", sites,
                      (unsigned long long)blocks);
        else
            sb_printf(sb, "%d block%s keep%s ", r->nfindings, r->nfindings == 1 ? "" : "s",
                      r->nfindings == 1 ? "s" : "");
        sb_bytes(sb, (double)retained);
        sb_printf(sb, " beyond what %s contents need; ", blocks == 1 ? "its" : "their");
        sb_bytes(sb, (double)report_retained_resident_bytes(r));
        sb_puts(sb, " of that is resident.\n\n");
        for (int i = 0; i < r->nfindings; i++)
            finding_text(r, sb, i, &r->findings[i]);
    }

    sb_puts(sb, "== Totals ==\n");
    sb_printf(sb, "allocations %llu, frees %llu, live ", (unsigned long long)r->counters.allocations,
              (unsigned long long)r->counters.frees);
    sb_bytes(sb, (double)r->live_bytes);
    sb_puts(sb, ", peak live ");
    sb_bytes(sb, (double)r->peak_live_bytes);
    sb_printf(sb, ", %u call sites\n", r->nsites_total);
    if (r->rss_bytes) {
        bytes_of(sb, "resident set ", r->rss_bytes, ", of which libretain's own mappings ",
                 r->profiler_bytes, " (");
        sb_puts(sb, "block table ");
        sb_bytes(sb, (double)r->block_table_bytes);
        sb_puts(sb, ", liveness referents ");
        sb_bytes(sb, (double)r->liveness.bytes);
        sb_puts(sb, ")\n");
    }
    if (retain_config.sample_bytes)
        sb_printf(sb, "small allocations sampled every %zu bytes on average: per-site figures "
                      "are estimates (RETAIN_SAMPLE=0 for exact counts)\n",
                  retain_config.sample_bytes);
    sb_printf(sb, "watched %llu blocks (", (unsigned long long)r->sampler.watched_blocks);
    sb_bytes(sb, (double)r->sampler.watched_bytes);
    if (r->sampler.medium_sites)
        sb_printf(sb, "; %llu medium blocks of %llu call site(s) among them",
                  (unsigned long long)r->sampler.medium_watches,
                  (unsigned long long)r->sampler.medium_sites);
    sb_printf(sb, "), sampler: %llu passes, ", (unsigned long long)r->sampler.passes);
    sb_bytes(sb, (double)r->sampler.bytes_scanned);
    sb_printf(sb, " scanned, %.0f ms CPU\n\n", r->sampler.cpu_ns / 1e6);

    int n = r->nsites < TOP_SITES ? r->nsites : TOP_SITES;
    sb_puts(sb, "== Top call sites by live bytes ==\n");
    for (int i = 0; i < n; i++)
        if (r->sites[i].live_bytes > 0)
            site_text(r, sb, &r->sites[i]);

    const struct site_row **byp = malloc((size_t)(r->nsites ? r->nsites : 1) * sizeof *byp);
    if (byp) {
        for (int i = 0; i < r->nsites; i++)
            byp[i] = &r->sites[i];
        qsort(byp, (size_t)r->nsites, sizeof *byp, by_peak_row);
        sb_puts(sb, "== Top call sites by peak live bytes ==\n");
        for (int i = 0; i < n; i++)
            site_text(r, sb, byp[i]);
        free(byp);
    }
}
