/* cmd_diff.c: `retain diff OLD.json NEW.json [--format text|html] [-o OUT]`. */
#include "args.h"
#include "fmt.h"
#include "outputs.h"
#include "report_write.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: retain diff OLD.json NEW.json [--format text|html] [-o OUT]\n"
    "\n"
    "Compares two reports (of one process over time, or two runs): findings that\n"
    "are new, gone, grew or shrank, call sites whose live bytes grew, and totals.\n";

int cmd_diff(int argc, char **argv)
{
    const char *files[2] = { NULL, NULL }, *format = "text", *out = NULL;
    int nfiles = 0;
    for (int i = 1; i < argc;) {
        if (is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if (opt_value(argc, argv, &i, "--format", "-f", &format) ||
            opt_value(argc, argv, &i, "--output", "-o", &out))
            continue;
        if (argv[i][0] == '-' && argv[i][1])
            usage_fail("diff: unknown option %s (retain diff --help)", argv[i]);
        if (nfiles == 2)
            usage_fail("diff: two reports, not more (%s)", argv[i]);
        files[nfiles++] = argv[i++];
    }
    if (nfiles < 2)
        usage_fail("diff: needs two reports, OLD.json NEW.json (retain diff --help)");
    int html = !strcmp(format, "html");
    if (!html && strcmp(format, "text"))
        usage_fail("diff: --format %s: expected text or html", format);
    struct report *a = report_read_or_exit(files[0]);
    struct report *b = report_read_or_exit(files[1]);
    FILE *fp = out_open(out, a->file_mode & b->file_mode);
    int rc = -1;
    if (fp) {
        rc = html ? out_diff_html(fp, a, b) : out_diff_text(fp, a, b);
        if (out_close(fp, out) < 0)
            rc = -1;
    }
    report_free(a);
    report_free(b);
    return rc < 0 ? 1 : 0;
}
