/* report_write.h: a report in a named format to a path or standard output,
 * shared by report, run and snapshot. */
#ifndef RETAIN_CLI_REPORT_WRITE_H
#define RETAIN_CLI_REPORT_WRITE_H
#include "report_model.h"
#include "stacks.h"

enum report_format { FORMAT_TEXT, FORMAT_HTML, FORMAT_PPROF, FORMAT_COLLAPSED, FORMAT_SPEEDSCOPE };

int report_format_parse(const char *s, enum report_format *f);
/* Writes r to out (NULL or "-": standard output).  -1 after one line on stderr. */
int report_write(const struct report *r, enum report_format f, enum weight w, const char *out);
/* report_load, or one line on stderr and exit 2. */
struct report *report_read_or_exit(const char *path);
#endif
