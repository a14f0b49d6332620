/* svg_chart.c: occupancy-over-time chart of one finding. */
#include "fmt.h"
#include "svg.h"

#include <math.h>

#define W 640
#define H 230
#define ML 52   /* margins: room for the axis labels */
#define MR 16
#define MT 16
#define MB 42

static double nice_step(double span)
{
    double raw = span / 6, p = pow(10, floor(log10(raw > 0 ? raw : 1)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

void svg_occupancy_chart(FILE *fp, const struct finding *f, double drop)
{
    double tmax = (double)f->age_ms;
    for (size_t i = 0; i < f->nhistory; i++)
        if (f->history[i].ms > tmax)
            tmax = f->history[i].ms;
    if (!(tmax >= 1) || !isfinite(tmax))
        tmax = tmax > 1 ? 1e15 : 1;
    const double pw = W - ML - MR, ph = H - MT - MB;
#define X(ms) (ML + (ms) / tmax * pw)
#define Y(o) (MT + (1 - (o)) * ph)
    fprintf(fp, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
                "aria-label=\"occupancy over time\" data-points=\"%zu\">\n", W, H, f->nhistory);
    /* the retained period: the last retained_ms of the block's life */
    if (f->retained_ms > 0) {
        double t0 = tmax - (double)f->retained_ms;
        if (t0 < 0)
            t0 = 0;
        fprintf(fp, "<rect class=\"retained\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.0f\" fill=\"#f9d9d5\"/>\n"
                    "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#a93226\">retained %.0f ms</text>\n",
                X(t0), MT, X(tmax) - X(t0), ph, X(t0) + 4, MT + 12, (double)f->retained_ms);
    }
    /* grid and axes */
    for (int p = 0; p <= 100; p += 25)
        fprintf(fp, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e5ec\"/>"
                    "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" fill=\"#556\">%d%%</text>\n",
                ML, W - MR, Y(p / 100.0), Y(p / 100.0), ML - 6, Y(p / 100.0) + 4, p);
    double step = nice_step(tmax);
    if (!(step > 0) || !isfinite(step) || tmax / step > 20)    /* absurd times in a damaged report */
        step = tmax;
    for (double t = 0; t <= tmax + 1e-9; t += step)
        fprintf(fp, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#889\"/>"
                    "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" fill=\"#556\">%g</text>\n",
                X(t), X(t), H - MB, H - MB + 4, X(t), H - MB + 16, t);
    fprintf(fp, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#556\"/>"
                "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#556\"/>\n",
            ML, W - MR, H - MB, H - MB, ML, ML, MT, H - MB);
    fprintf(fp, "<text class=\"xlabel\" x=\"%.0f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">"
                "milliseconds since the block was allocated</text>\n", ML + pw / 2, H - 6);
    fprintf(fp, "<text class=\"ylabel\" transform=\"translate(13 %.0f) rotate(-90)\" font-size=\"12\" "
                "text-anchor=\"middle\">occupancy</text>\n", MT + ph / 2);

    /* peak and drop */
    size_t peak = 0;
    for (size_t i = 1; i < f->nhistory; i++)
        if (f->history[i].occupancy > f->history[peak].occupancy)
            peak = i;
    size_t dropped = f->nhistory;
    for (size_t i = peak + 1; i < f->nhistory; i++)
        if (f->history[i].occupancy <= drop * f->history[peak].occupancy) {
            dropped = i;
            break;
        }

    if (f->nhistory) {
        fputs("<polyline fill=\"none\" stroke=\"#2c3e70\" stroke-width=\"2\" points=\"", fp);
        for (size_t i = 0; i < f->nhistory; i++)
            fprintf(fp, "%s%.1f,%.1f", i ? " " : "", X(f->history[i].ms), Y(f->history[i].occupancy));
        fputs("\"/>\n", fp);
    }
    for (size_t i = 0; i < f->nhistory; i++)
        fprintf(fp, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"#2c3e70\">"
                    "<title>%.0f ms: %.1f%%</title></circle>\n",
                X(f->history[i].ms), Y(f->history[i].occupancy), f->history[i].ms,
                100 * f->history[i].occupancy);
    if (f->nhistory) {
        const struct history_point *p = &f->history[peak];
        fprintf(fp, "<circle class=\"peak\" cx=\"%.1f\" cy=\"%.1f\" r=\"5.5\" fill=\"none\" stroke=\"#e67e22\" "
                    "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#b9570e\">peak %.1f%%</text>\n",
                X(p->ms), Y(p->occupancy), X(p->ms) + 7, Y(p->occupancy) - 6 < MT + 10 ? Y(p->occupancy) + 14 : Y(p->occupancy) - 6,
                100 * p->occupancy);
    }
    if (dropped < f->nhistory) {
        const struct history_point *p = &f->history[dropped];
        fprintf(fp, "<line class=\"drop\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#c0392b\" "
                    "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#c0392b\">"
                    "drop at %.0f ms</text>\n",
                X(p->ms), X(p->ms), MT, H - MB, X(p->ms) + 4, H - MB - 6, p->ms);
    }
    fputs("</svg>\n", fp);
#undef X
#undef Y
}
