/* out_diff.c: a diff (diff_model.h) as text or as an HTML page. */
#include "diff_model.h"
#include "fmt.h"
#include "html_page.h"
#include "outputs.h"

#include <inttypes.h>
#include <string.h>

static const char *where(const struct finding *f, char *buf, size_t cap)
{
    const struct frame *b = stack_blame_frame(&f->stack);
    if (!b)
        return "?";
    char nb[400], wb[400];
    snprintf(buf, cap, "%s  %s", frame_short_name(b, nb, sizeof nb), frame_where(b, wb, sizeof wb));
    return buf;
}

static const char *site_where(const struct site *s, char *buf, size_t cap)
{
    const struct frame *b = stack_blame_frame(&s->stack);
    if (!b)
        return "?";
    char nb[400], wb[400];
    snprintf(buf, cap, "%s  %s", frame_short_name(b, nb, sizeof nb), frame_where(b, wb, sizeof wb));
    return buf;
}

static void totals_line(FILE *fp, const char *what, double a, double b)
{
    char x[32], y[32], z[32];
    fprintf(fp, "  %-16s %12s -> %-12s (%s%s)\n", what, fmt_bytes(a, x), fmt_bytes(b, y), b >= a ? "+" : "",
            fmt_bytes(b - a, z));
}

int out_diff_text(FILE *fp, const struct report *ro, const struct report *rn)
{
    struct diff d;
    diff_compute(ro, rn, &d);
    char a[32], b[32], w[900];
    fprintf(fp, "retain diff: %s (pid %ld, %s) -> %s (pid %ld, %s)\n", ro->path, ro->pid, ro->reason,
            rn->path, rn->pid, rn->reason);
    fprintf(fp, "\n== Findings ==\n");
    size_t shown = 0;
    for (int pass = 0; pass < 5; pass++)
        for (size_t i = 0; i < d.nfindings; i++) {
            const struct finding_change *c = &d.findings[i];
            if ((int)c->change != pass)
                continue;
            const struct finding *f = c->new ? c->new : c->old;
            shown++;
            if (c->change == CHANGE_NEW || c->change == CHANGE_GONE)
                fprintf(fp, "%-6s %s retained in %s (%s, probe %s%s%s) at %s\n", change_name(c->change),
                        fmt_bytes((double)f->retained_bytes, a), fmt_bytes((double)f->capacity_bytes, b),
                        f->kind, f->probe ? f->probe : "?", f->container ? ", " : "",
                        f->container ? f->container : "", where(f, w, sizeof w));
            else
                fprintf(fp, "%-6s %s -> %s retained (%s, probe %s) at %s\n", change_name(c->change),
                        fmt_bytes((double)c->old->retained_bytes, a), fmt_bytes((double)c->new->retained_bytes, b),
                        f->kind, f->probe ? f->probe : "?", where(f, w, sizeof w));
        }
    if (!shown)
        fprintf(fp, "no findings in either report\n");
    fprintf(fp, "\n== Call sites whose live bytes grew ==\n");
    for (size_t i = 0; i < d.nsites && i < 20; i++) {
        const struct site_change *s = &d.sites[i];
        fprintf(fp, "+%-10s %s -> %s  %s%s\n", fmt_bytes((double)s->delta, a),
                fmt_bytes(s->old ? (double)s->old->live_bytes : 0, b),
                fmt_bytes((double)s->new->live_bytes, w), s->old ? "" : "(new site) ",
                site_where(s->new, w + 40, sizeof w - 40));
    }
    if (!d.nsites)
        fprintf(fp, "none\n");
    fprintf(fp, "\n== Totals ==\n");
    totals_line(fp, "live", (double)ro->totals.live_bytes, (double)rn->totals.live_bytes);
    totals_line(fp, "peak live", (double)ro->totals.peak_live_bytes, (double)rn->totals.peak_live_bytes);
    if (ro->totals.has_rss && rn->totals.has_rss)
        totals_line(fp, "RSS", (double)ro->totals.rss_bytes, (double)rn->totals.rss_bytes);
    if (ro->totals.has_profiler && rn->totals.has_profiler)
        totals_line(fp, "libretain itself", (double)ro->totals.profiler_bytes, (double)rn->totals.profiler_bytes);
    diff_free(&d);
    return 0;
}

int out_diff_html(FILE *fp, const struct report *ro, const struct report *rn)
{
    struct diff d;
    diff_compute(ro, rn, &d);
    char a[32], b[32], w[900];
    html_page_start(fp, "retain diff");
    fputs("<h1>retain diff</h1>\n<p>", fp);
    html_escape(fp, ro->path);
    fprintf(fp, " (pid %ld, %s) &rarr; ", ro->pid, ro->reason);
    html_escape(fp, rn->path);
    fprintf(fp, " (pid %ld, %s)</p>\n<h2>Findings</h2>\n", rn->pid, rn->reason);
    fputs("<table class=\"sortable\" id=\"diff-findings\"><thead><tr><th>change</th><th>old retained</th>"
          "<th>new retained</th><th>kind</th><th>probe</th><th>container</th><th>allocated in</th></tr></thead><tbody>\n", fp);
    for (size_t i = 0; i < d.nfindings; i++) {
        const struct finding_change *c = &d.findings[i];
        const struct finding *f = c->new ? c->new : c->old;
        fprintf(fp, "<tr class=\"change-%s\"><td>%s</td><td data-v=\"%" PRIu64 "\">%s</td><td data-v=\"%" PRIu64 "\">%s</td><td>",
                change_name(c->change), change_name(c->change), c->old ? c->old->retained_bytes : 0,
                c->old ? fmt_bytes((double)c->old->retained_bytes, a) : "&ndash;",
                c->new ? c->new->retained_bytes : 0, c->new ? fmt_bytes((double)c->new->retained_bytes, b) : "&ndash;");
        html_escape(fp, f->kind);
        fputs("</td><td>", fp);
        html_escape(fp, f->probe);
        fputs("</td><td>", fp);
        html_escape(fp, f->container);
        fputs("</td><td><code>", fp);
        html_escape(fp, where(f, w, sizeof w));
        fputs("</code></td></tr>\n", fp);
    }
    fputs("</tbody></table>\n<h2>Call sites whose live bytes grew</h2>\n"
          "<table class=\"sortable\"><thead><tr><th>growth</th><th>old live</th><th>new live</th><th>site</th></tr></thead><tbody>\n", fp);
    for (size_t i = 0; i < d.nsites; i++) {
        const struct site_change *s = &d.sites[i];
        int64_t old = s->old ? s->old->live_bytes : 0;
        fprintf(fp, "<tr><td data-v=\"%" PRId64 "\">+%s</td><td data-v=\"%" PRId64 "\">%s</td>", s->delta,
                fmt_bytes((double)s->delta, a), old, fmt_bytes((double)old, b));
        fprintf(fp, "<td data-v=\"%" PRId64 "\">%s</td><td><code>", s->new->live_bytes,
                fmt_bytes((double)s->new->live_bytes, a));
        html_escape(fp, site_where(s->new, w, sizeof w));
        fputs("</code></td></tr>\n", fp);
    }
    fputs("</tbody></table>\n", fp);
    html_page_end(fp);
    diff_free(&d);
    return 0;
}
