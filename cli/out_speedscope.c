/* out_speedscope.c: speedscope's file format
 * (https://www.speedscope.app/file-format-schema.json): shared frames and
 * one "sampled" profile per weight, each stack root first with its bytes
 * as the sample's weight. */
#include "fmt.h"
#include "outputs.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct frames {
    const struct frame **f;     /* first frame seen of each distinct (name, file, line) */
    size_t n, cap;
};

static int same(const struct frame *a, const struct frame *b)
{
    char x[256], y[256];
    return !strcmp(frame_name(a, x, sizeof x), frame_name(b, y, sizeof y)) && a->line == b->line &&
           !strcmp(a->file ? a->file : "", b->file ? b->file : "");
}

static size_t intern(struct frames *fs, const struct frame *f)
{
    for (size_t i = 0; i < fs->n; i++)
        if (same(fs->f[i], f))
            return i;
    if (fs->n == fs->cap) {
        fs->cap = fs->cap ? 2 * fs->cap : 64;
        fs->f = realloc(fs->f, fs->cap * sizeof *fs->f);
    }
    fs->f[fs->n] = f;
    return fs->n++;
}

struct pass {
    FILE *fp;
    struct frames *fs;
    int emit;                   /* 0: intern only; 1: samples; 2: weights */
    int first;
};

static void visit(const struct stack *s, int64_t v, void *arg)
{
    struct pass *p = arg;
    if (p->emit == 0) {
        for (size_t i = 0; i < s->n; i++)
            intern(p->fs, &s->frames[i]);
        return;
    }
    fputs(p->first ? "" : ",", p->fp);
    p->first = 0;
    if (p->emit == 2) {
        fprintf(p->fp, "%" PRId64, v);
        return;
    }
    fputc('[', p->fp);
    for (size_t i = s->n; i-- > 0;)
        fprintf(p->fp, "%zu%s", intern(p->fs, &s->frames[i]), i ? "," : "");
    fputc(']', p->fp);
}

int out_speedscope(FILE *fp, const struct report *r)
{
    struct frames fs = { 0 };
    struct pass p = { fp, &fs, 0, 1 };
    for (int w = 0; w < WEIGHT_COUNT; w++)
        weighted_stacks(r, (enum weight)w, visit, &p);

    fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n"
          "\"exporter\":\"retain " RETAIN_VERSION "\",\n\"name\":\"", fp);
    json_escape(fp, r->ncommand ? base_name(r->command[0]) : "libretain report");
    fprintf(fp, " (pid %ld)\",\n\"activeProfileIndex\":0,\n\"shared\":{\"frames\":[", r->pid);
    for (size_t i = 0; i < fs.n; i++) {
        char buf[256];
        const struct frame *f = fs.f[i];
        fputs(i ? ",\n{\"name\":\"" : "\n{\"name\":\"", fp);
        json_escape(fp, frame_name(f, buf, sizeof buf));
        fputc('"', fp);
        if (f->file || f->module) {
            fputs(",\"file\":\"", fp);
            json_escape(fp, f->file ? f->file : f->module);
            fputc('"', fp);
        }
        if (f->line > 0)
            fprintf(fp, ",\"line\":%ld", f->line);
        fputc('}', fp);
    }
    fputs("]},\n\"profiles\":[", fp);
    /* retained first: what the tool is for */
    static const enum weight order[] = { WEIGHT_RETAINED, WEIGHT_LIVE, WEIGHT_PEAK, WEIGHT_ALLOCATIONS };
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        enum weight w = order[k];
        fprintf(fp, "%s\n{\"type\":\"sampled\",\"name\":\"%s\",\"unit\":\"%s\",\"startValue\":0,"
                    "\"endValue\":%" PRId64 ",\n\"samples\":[",
                k ? "," : "", weight_title(w), w == WEIGHT_ALLOCATIONS ? "none" : "bytes",
                weighted_total(r, w));
        p.emit = 1;
        p.first = 1;
        weighted_stacks(r, w, visit, &p);
        fputs("],\n\"weights\":[", fp);
        p.emit = 2;
        p.first = 1;
        weighted_stacks(r, w, visit, &p);
        fputs("]}", fp);
    }
    fputs("]}\n", fp);
    free(fs.f);
    return 0;
}
