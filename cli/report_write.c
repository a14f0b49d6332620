/* report_write.c: format dispatch for report, run and snapshot. */
#include "report_write.h"
#include "args.h"
#include "fmt.h"
#include "outputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const names[] = { "text", "html", "pprof", "collapsed", "speedscope" };

int report_format_parse(const char *s, enum report_format *f)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(s, names[i])) {
            *f = (enum report_format)i;
            return 0;
        }
    return -1;
}

int report_write(const struct report *r, enum report_format f, enum weight w, const char *out)
{
    int to_stdout = !out || !strcmp(out, "-");
    if (f == FORMAT_PPROF && to_stdout && isatty(1)) {
        fprintf(stderr, "retain: a pprof profile is binary: give -o FILE.pb.gz (or redirect)\n");
        return -1;
    }
    FILE *fp = out_open(out, r->file_mode);
    if (!fp)
        return -1;
    int rc;
    switch (f) {
    case FORMAT_HTML: rc = out_html(fp, r); break;
    case FORMAT_PPROF: rc = out_pprof(fp, r); break;
    case FORMAT_COLLAPSED: rc = out_collapsed(fp, r, w); break;
    case FORMAT_SPEEDSCOPE: rc = out_speedscope(fp, r); break;
    default: rc = out_text(fp, r); break;
    }
    if (out_close(fp, out) < 0)
        rc = -1;
    return rc;
}

struct report *report_read_or_exit(const char *path)
{
    char err[512];
    struct report *r = report_load(path, err, sizeof err);
    if (!r) {
        fprintf(stderr, "retain: %s\n", err);
        exit(EXIT_USAGE);
    }
    return r;
}
