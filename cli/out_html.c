/* out_html.c: the report as one self-contained HTML page: summary cards,
 * each finding with its occupancy chart, stack (inlined frames folded) and
 * advice, the call sites in a sortable table, and flame graphs of live, peak
 * and retained bytes by stack. */
#include "fmt.h"
#include "html_page.h"
#include "outputs.h"
#include "svg.h"

#include <inttypes.h>
#include <jansson.h>
#include <string.h>

static void card(FILE *fp, const char *value, const char *what)
{
    fputs("<div class=\"card\"><b>", fp);
    html_escape(fp, value);
    fputs("</b><span>", fp);
    html_escape(fp, what);
    fputs("</span></div>\n", fp);
}

static void frame_line(FILE *fp, const struct frame *f)
{
    char nb[512], wb[600];
    fputs("<code>", fp);
    html_escape(fp, frame_name(f, nb, sizeof nb));
    fputs("</code> <span class=\"where\">", fp);
    html_escape(fp, frame_where(f, wb, sizeof wb));
    if (f->language) {
        fputs(" [", fp);
        html_escape(fp, f->language);
        fputs("]", fp);
    }
    fputs("</span>", fp);
}

/* One <li> per return address; the frames inlined into it folded inside. */
static void stack_html(FILE *fp, const struct stack *s)
{
    fputs("<ol class=\"stack\" start=\"0\">\n", fp);
    for (size_t i = 0; i < s->n; i++) {
        size_t end = stack_physical_end(s, i);
        fputs("<li>", fp);
        if (end > i) {
            fputs("<details><summary>", fp);
            frame_line(fp, &s->frames[end]);
            fprintf(fp, " <i>(+%zu inlined)</i></summary><ol class=\"inl\">", end - i);
            for (size_t k = i; k < end; k++) {
                fputs("<li>", fp);
                frame_line(fp, &s->frames[k]);
                fputs("</li>", fp);
            }
            fputs("</ol></details>", fp);
        } else {
            frame_line(fp, &s->frames[i]);
        }
        fputs("</li>\n", fp);
        i = end;
    }
    fputs("</ol>\n", fp);
}

static double config_drop(const struct report *r)
{
    json_t *v = r->config ? json_object_get(r->config, "drop") : NULL;
    return json_is_number(v) ? json_number_value(v) : 0.25;
}

static void finding_html(FILE *fp, const struct report *r, size_t i)
{
    const struct finding *f = &r->findings[i];
    char a[32], b[32], c[32], d[32];
    fprintf(fp, "<section class=\"finding\" id=\"finding-%zu\">\n<h3>[%zu] %s retained in %s%s", i + 1, i + 1,
            fmt_bytes((double)f->retained_bytes, a),
            !strcmp(f->kind, "site") ? "blocks totalling " : !strcmp(f->source, "mmap") ? "a mapping (mmap) of " : "a block of ",
            fmt_bytes((double)f->capacity_bytes, b));
    if (f->container) {
        fputs(" &mdash; ", fp);
        html_escape(fp, f->container);
    }
    fputs("</h3>\n<div class=\"facts\">", fp);
    fprintf(fp, "occupancy <b>%.1f%%</b> now, %.1f%% at its peak; retained for %s; age %s; %s; probe ",
            100 * f->occupancy, 100 * f->peak_occupancy, fmt_ms((double)f->retained_ms, c),
            fmt_ms((double)f->age_ms, d), f->live ? "still allocated" : "freed before the report");
    html_escape(fp, f->probe);
    fputs(", ", fp);
    html_escape(fp, f->confidence);
    fputs(" confidence", fp);
    if (!strcmp(f->kind, "site") && f->has_blocks)
        fprintf(fp, "; %" PRIu64 " blocks from one call site", f->blocks);
    if (!strcmp(f->kind, "site") && f->has_sampled)
        fprintf(fp, " (estimated from %" PRIu64 " watched blocks, %" PRIu64 " of them retained;"
                    " occupancies are the example block's%s%s)",
                f->sampled_blocks, f->sampled_retained, f->has_block_bytes ? ", of " : "",
                f->has_block_bytes ? fmt_bytes((double)f->block_bytes, b) : "");
    if (f->has_error)
        fprintf(fp, "; &plusmn; %s", fmt_bytes(f->retained_bytes_error, a));
    if (f->has_resident)
        fprintf(fp, "; %s resident in RAM", fmt_bytes((double)f->resident_bytes, a));
    if (f->address) {
        fputs("; at <code>", fp);
        html_escape(fp, f->address);
        fputs("</code>", fp);
    }
    fputs("</div>\n<div class=\"row\"><div>\n", fp);
    svg_occupancy_chart(fp, f, config_drop(r));
    fputs("</div><div>\n", fp);
    if (f->advice) {
        fputs("<p class=\"advice\"><b>What to do:</b> ", fp);
        html_escape(fp, f->advice);
        fputs("</p>\n", fp);
    }
    fprintf(fp, "<b>Allocated at</b> (site %" PRIu64 "):\n", f->site);
    stack_html(fp, &f->stack);
    fputs("</div></div>\n</section>\n", fp);
}

static void sites_table(FILE *fp, const struct report *r)
{
    char a[32], b[32];
    fputs("<table class=\"sortable\" id=\"sites\"><thead><tr><th>site</th><th>live</th><th>peak live</th>"
          "<th>allocations</th><th>frees</th><th>allocated in</th></tr></thead><tbody>\n", fp);
    for (size_t i = 0; i < r->nsites; i++) {
        const struct site *s = &r->sites[i];
        fprintf(fp, "<tr><td class=\"num\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td>"
                    "<td class=\"num\" data-v=\"%" PRId64 "\">%s</td><td class=\"num\" data-v=\"%" PRId64 "\">%s</td>"
                    "<td class=\"num\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td><td class=\"num\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td><td>",
                s->id, s->id, s->live_bytes, fmt_bytes((double)s->live_bytes, a), s->peak_live_bytes,
                fmt_bytes((double)s->peak_live_bytes, b), s->allocations, s->allocations, s->frees, s->frees);
        const struct frame *blame = stack_blame_frame(&s->stack);
        if (blame) {
            fputs("<details><summary>", fp);
            frame_line(fp, blame);
            fputs("</summary>", fp);
            stack_html(fp, &s->stack);
            fputs("</details>", fp);
        }
        fputs("</td></tr>\n", fp);
    }
    fputs("</tbody></table>\n", fp);
}

int out_html(FILE *fp, const struct report *r)
{
    char title[300], a[32];
    snprintf(title, sizeof title, "retain: %s (pid %ld)", r->ncommand ? base_name(r->command[0]) : "report", r->pid);
    html_page_start(fp, title);
    fputs("<h1>", fp);
    html_escape(fp, title);
    fputs("</h1>\n<p class=\"mono\">", fp);
    for (size_t i = 0; i < r->ncommand; i++) {
        html_escape(fp, r->command[i]);
        fputc(' ', fp);
    }
    fprintf(fp, "</p>\n<p>%s report after %s, from <code>", r->reason, fmt_ms((double)r->duration_ms, a));
    html_escape(fp, r->path);
    fputs("</code></p>\n<div class=\"cards\" id=\"summary\">\n", fp);
    uint64_t retained = 0;
    for (size_t i = 0; i < r->nfindings; i++)
        retained += r->findings[i].retained_bytes;
    char n[32];
    snprintf(n, sizeof n, "%zu", r->nfindings);
    card(fp, n, r->nfindings == 1 ? "finding" : "findings");
    card(fp, fmt_bytes((double)retained, a), "retained by findings");
    card(fp, fmt_bytes((double)r->totals.live_bytes, a), "live at report");
    card(fp, fmt_bytes((double)r->totals.peak_live_bytes, a), "peak live");
    if (r->totals.has_rss)
        card(fp, fmt_bytes((double)r->totals.rss_bytes, a), "process RSS");
    if (r->totals.has_profiler)
        card(fp, fmt_bytes((double)r->totals.profiler_bytes, a), "libretain's own memory");
    snprintf(n, sizeof n, "%" PRIu64, r->totals.allocations);
    card(fp, n, "allocations");
    snprintf(n, sizeof n, "%" PRIu64, r->totals.sites);
    card(fp, n, "call sites");
    fputs("</div>\n", fp);
    if (r->nerrors) {
        fputs("<ul class=\"errors\">", fp);
        for (size_t i = 0; i < r->nerrors; i++) {
            fputs("<li>report error: ", fp);
            html_escape(fp, r->errors[i]);
            fputs("</li>", fp);
        }
        fputs("</ul>\n", fp);
    }

    fprintf(fp, "<h2>Findings (%zu)</h2>\n", r->nfindings);
    if (!r->nfindings)
        fputs("<p>No large block kept its capacity after its contents went.</p>\n", fp);
    for (size_t i = 0; i < r->nfindings; i++)
        finding_html(fp, r, i);

    fputs("<h2>Flame graphs</h2>\n<div class=\"tabs\">", fp);
    static const enum weight ws[] = { WEIGHT_LIVE, WEIGHT_PEAK, WEIGHT_RETAINED };
    enum weight first = r->nfindings ? WEIGHT_RETAINED : WEIGHT_LIVE;
    for (size_t k = 0; k < 3; k++)
        fprintf(fp, "<button data-show=\"flame-%s\"%s>%s</button>", weight_name(ws[k]),
                ws[k] == first ? " class=\"on\"" : "", weight_title(ws[k]));
    fputs("</div>\n", fp);
    for (size_t k = 0; k < 3; k++) {
        struct stack_node *t = stack_tree(r, ws[k]);
        char id[32];
        snprintf(id, sizeof id, "flame-%s", weight_name(ws[k]));
        svg_flame(fp, t, id, ws[k], ws[k] == first);
        stack_tree_free(t);
    }
    fprintf(fp, "<h2>Call sites (%zu)</h2>\n", r->nsites);
    sites_table(fp, r);
    html_page_end(fp);
    return 0;
}
