/* cmd_report.c: `retain report FILE.json [--format F] [-o OUT]`. */
#include "args.h"
#include "fmt.h"
#include "outputs.h"
#include "report_write.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: retain report FILE.json [--format FORMAT] [--value WEIGHT] [-o OUT]\n"
    "\n"
    "Reads a libretain report and writes it in another form.\n"
    "  --format text        findings, totals and top call sites (default)\n"
    "  --format html        one self-contained page: charts, stacks, flame graphs\n"
    "  --format pprof       gzipped profile.proto for go tool pprof, Pyroscope, Parca\n"
    "  --format collapsed   'root;...;leaf bytes' lines for flamegraph.pl / inferno\n"
    "  --format speedscope  speedscope's JSON file format\n"
    "  --value WEIGHT       collapsed only: live (default), peak, retained, allocations\n"
    "  -o, --output OUT     write to OUT instead of standard output\n";

int cmd_report(int argc, char **argv)
{
    const char *file = NULL, *format = "text", *out = NULL, *value = "live";
    for (int i = 1; i < argc;) {
        if (is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if (opt_value(argc, argv, &i, "--format", "-f", &format) ||
            opt_value(argc, argv, &i, "--output", "-o", &out) ||
            opt_value(argc, argv, &i, "--value", NULL, &value))
            continue;
        if (argv[i][0] == '-' && argv[i][1])
            usage_fail("report: unknown option %s (retain report --help)", argv[i]);
        if (file)
            usage_fail("report: one report at a time (%s and %s)", file, argv[i]);
        file = argv[i++];
    }
    if (!file)
        usage_fail("report: no report file given (retain report --help)");
    enum report_format fmt;
    if (report_format_parse(format, &fmt) < 0)
        usage_fail("report: --format %s: expected text, html, pprof, collapsed or speedscope", format);
    enum weight w;
    if (weight_parse(value, &w) < 0)
        usage_fail("report: --value %s: expected live, peak, retained or allocations", value);
    struct report *r = report_read_or_exit(file);
    int rc = report_write(r, fmt, w, out);
    report_free(r);
    return rc < 0 ? 1 : 0;
}
