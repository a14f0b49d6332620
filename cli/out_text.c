/* out_text.c: the report for a terminal. */
#include "fmt.h"
#include "outputs.h"

#include <string.h>

static void print_stack(FILE *fp, const struct stack *s, size_t max)
{
    char nb[512], wb[512];
    size_t shown = 0;
    for (size_t i = 0; i < s->n && shown < max; i++, shown++) {
        const struct frame *f = &s->frames[i];
        fprintf(fp, "      #%-2zu %s  %s%s%s%s%s\n", i, frame_short_name(f, nb, sizeof nb),
                frame_where(f, wb, sizeof wb), f->language ? "  [" : "", f->language ? f->language : "",
                f->language ? "]" : "", f->inlined ? " (inlined)" : "");
    }
    if (s->n > shown)
        fprintf(fp, "      ... %zu more frames\n", s->n - shown);
}

static void print_finding(FILE *fp, size_t i, const struct finding *f)
{
    char a[32], b[32], c[32], d[32];
    int site_kind = f->kind && !strcmp(f->kind, "site");
    fprintf(fp, "[%zu] %s retained in %s%s%s (%s confidence, probe %s%s%s)\n", i + 1,
            fmt_bytes((double)f->retained_bytes, a),
            site_kind ? "blocks totalling " : !strcmp(f->source, "mmap") ? "a mapping (mmap) of " : "a block of ",
            fmt_bytes((double)f->capacity_bytes, b), site_kind ? "" : "",
            f->confidence ? f->confidence : "?", f->probe ? f->probe : "?",
            f->container ? ", " : "", f->container ? f->container : "");
    if (site_kind && f->has_blocks)
        fprintf(fp, "    %llu blocks from one call site%s%s\n", (unsigned long long)f->blocks,
                f->has_error ? ", retained bytes \xc2\xb1 " : "",
                f->has_error ? fmt_bytes(f->retained_bytes_error, c) : "");
    if (site_kind && f->has_sampled)
        fprintf(fp, "    estimated from %llu watched blocks, %llu of them retained\n",
                (unsigned long long)f->sampled_blocks, (unsigned long long)f->sampled_retained);
    if (site_kind)
        fprintf(fp, "    example block%s%s:\n", f->has_block_bytes ? " of " : "",
                f->has_block_bytes ? fmt_bytes((double)f->block_bytes, c) : "");
    fprintf(fp, "    occupancy %.1f%% now, %.1f%% at peak; retained for %s; age %s; %s\n",
            100 * f->occupancy, 100 * f->peak_occupancy, fmt_ms((double)f->retained_ms, c),
            fmt_ms((double)f->age_ms, d), f->live ? "still allocated" : "freed before the report");
    if (f->has_resident)
        fprintf(fp, "    resident in RAM: %s\n", fmt_bytes((double)f->resident_bytes, a));
    const struct frame *blame = stack_blame_frame(&f->stack);
    if (blame) {
        char nb[512], wb[512];
        fprintf(fp, "    allocated in %s  %s\n", frame_short_name(blame, nb, sizeof nb),
                frame_where(blame, wb, sizeof wb));
    }
    if (f->advice)
        fprintf(fp, "    what to do: %s\n", f->advice);
}

int out_findings(FILE *fp, const struct report *r)
{
    char a[32];
    uint64_t total = 0;
    for (size_t i = 0; i < r->nfindings; i++)
        total += r->findings[i].retained_bytes;
    if (r->nfindings == 0)
        fprintf(fp, "retain: no retained blocks found in pid %ld (%s report)\n", r->pid,
                r->reason ? r->reason : "?");
    else
        fprintf(fp, "retain: %zu finding%s in pid %ld, %s retained (%s report)\n", r->nfindings,
                r->nfindings == 1 ? "" : "s", r->pid, fmt_bytes((double)total, a),
                r->reason ? r->reason : "?");
    for (size_t i = 0; i < r->nfindings; i++)
        print_finding(fp, i, &r->findings[i]);
    return 0;
}

int out_text(FILE *fp, const struct report *r)
{
    char a[32], b[32], c[32];
    fprintf(fp, "libretain report (%s) for pid %ld:", r->reason ? r->reason : "?", r->pid);
    for (size_t i = 0; i < r->ncommand; i++)
        fprintf(fp, " %s", r->command[i]);
    fprintf(fp, "\nafter %s; %s\n\n", fmt_ms((double)r->duration_ms, a), r->path);
    fprintf(fp, "== Findings ==\n");
    if (r->nfindings == 0)
        fprintf(fp, "none: no large block kept its capacity after its contents went\n");
    for (size_t i = 0; i < r->nfindings; i++) {
        print_finding(fp, i, &r->findings[i]);
        print_stack(fp, &r->findings[i].stack, 24);
        fputc('\n', fp);
    }
    const struct totals *t = &r->totals;
    fprintf(fp, "== Totals ==\nallocations %llu, frees %llu, live %s, peak live %s, %llu call sites\n",
            (unsigned long long)t->allocations, (unsigned long long)t->frees,
            fmt_bytes((double)t->live_bytes, a), fmt_bytes((double)t->peak_live_bytes, b),
            (unsigned long long)t->sites);
    if (t->has_rss || t->has_profiler) {
        fprintf(fp, "%s%s%s%s\n", t->has_rss ? "process RSS " : "", t->has_rss ? fmt_bytes((double)t->rss_bytes, a) : "",
                t->has_profiler ? (t->has_rss ? ", libretain's own memory " : "libretain's own memory ") : "",
                t->has_profiler ? fmt_bytes((double)t->profiler_bytes, c) : "");
    }
    for (size_t i = 0; i < r->nerrors; i++)
        fprintf(fp, "report error: %s\n", r->errors[i]);
    fprintf(fp, "\n== Call sites by live bytes ==\n");
    for (size_t i = 0; i < r->nsites && i < 10; i++) {
        const struct site *s = &r->sites[i];
        const struct frame *blame = stack_blame_frame(&s->stack);
        char nb[512], wb[512];
        fprintf(fp, "site %llu: %s live, peak %s; %llu allocations, %llu frees; %s  %s\n",
                (unsigned long long)s->id, fmt_bytes((double)s->live_bytes, a),
                fmt_bytes((double)s->peak_live_bytes, b), (unsigned long long)s->allocations,
                (unsigned long long)s->frees, blame ? frame_short_name(blame, nb, sizeof nb) : "?",
                blame ? frame_where(blame, wb, sizeof wb) : "");
    }
    if (r->nsites > 10)
        fprintf(fp, "... %zu more sites\n", r->nsites - 10);
    return 0;
}
