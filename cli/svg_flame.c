/* svg_flame.c: a flame graph of a stack tree, drawn as SVG: the root at the
 * bottom, each frame as wide as its share of the total. */
#include "fmt.h"
#include "svg.h"

#include <inttypes.h>
#include <string.h>

#define FW 1200.0
#define ROW 17

static unsigned colour_of(const char *name)
{
    unsigned h = 2166136261u;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return h;
}

static void node(FILE *fp, const struct stack_node *n, double x, int depth, int height, double scale,
                 int64_t total, enum weight w)
{
    double width = (double)n->value * scale;
    if (width < 0.3)
        return;
    double y = (double)(height - 1 - depth) * ROW;
    unsigned h = colour_of(n->name);
    char b[32];
    char nb[256];
    const char *label = n->frame ? frame_short_name(n->frame, nb, sizeof nb) : n->name;
    /* data-*: where the frame is, for the page's click-to-zoom */
    fprintf(fp, "<g data-x=\"%.2f\" data-w=\"%.2f\" data-d=\"%d\" data-l=\"", x, width, depth);
    html_escape(fp, label);
    fputs("\"><title>", fp);
    html_escape(fp, n->name);
    if (n->frame && n->frame->file) {
        char wb[600];
        fputs(" (", fp);
        html_escape(fp, frame_where(n->frame, wb, sizeof wb));
        fputs(")", fp);
    }
    if (w == WEIGHT_ALLOCATIONS)
        fprintf(fp, ": %" PRId64 " allocations (%.1f%%)</title>", n->value, 100.0 * (double)n->value / (double)total);
    else
        fprintf(fp, ": %s (%.1f%%)</title>", fmt_bytes((double)n->value, b), 100.0 * (double)n->value / (double)total);
    fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"rgb(%u,%u,%u)\"/>",
            x, y, width, ROW - 1, 205 + (h & 31), 90 + ((h >> 5) % 110), 40 + ((h >> 12) % 50));
    fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\">", x + 3, y + ROW - 5);
    if (width > 36) {
        size_t fit = (size_t)((width - 6) / 6.2);
        char cut[256];
        utf8_prefix(cut, sizeof cut, label, fit);
        html_escape(fp, cut);
    }
    fputs("</text>", fp);
    fputs("</g>\n", fp);
    double cx = x;
    for (size_t i = 0; i < n->nkids; i++) {
        node(fp, n->kids[i], cx, depth + 1, height, scale, total, w);
        cx += (double)n->kids[i]->value * scale;
    }
}

void svg_flame(FILE *fp, const struct stack_node *root, const char *id, enum weight w, int shown)
{
    int height = stack_tree_depth(root) + 1;
    fprintf(fp, "<div class=\"flame\" id=\"%s\"%s>\n", id, shown ? "" : " style=\"display:none\"");
    if (root->value <= 0) {
        fprintf(fp, "<p>No %s in this report.</p></div>\n", weight_title(w));
        return;
    }
    fprintf(fp, "<svg viewBox=\"0 0 %.0f %d\" width=\"100%%\" data-weight=\"%s\" data-total=\"%" PRId64 "\">\n",
            FW, height * ROW, weight_name(w), root->value);
    node(fp, root, 0, 0, height, FW / (double)root->value, root->value, w);
    fputs("</svg></div>\n", fp);
}
