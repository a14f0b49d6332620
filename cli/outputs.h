/* outputs.h: every format `retain report` (and run, snapshot, diff) writes.
 * Each returns 0, or -1 after one line on stderr. */
#ifndef RETAIN_CLI_OUTPUTS_H
#define RETAIN_CLI_OUTPUTS_H
#include <stdio.h>
#include "report_model.h"
#include "stacks.h"

/* Findings, totals and the top call sites, for a terminal. */
int out_text(FILE *fp, const struct report *r);
/* Only the findings (what `retain run` prints when the program ends). */
int out_findings(FILE *fp, const struct report *r);
/* `root;...;leaf value` lines for flamegraph.pl / inferno. */
int out_collapsed(FILE *fp, const struct report *r, enum weight w);
/* speedscope's file format: one sampled profile per weight. */
int out_speedscope(FILE *fp, const struct report *r);
/* gzipped pprof profile.proto. */
int out_pprof(FILE *fp, const struct report *r);
/* One self-contained HTML page. */
int out_html(FILE *fp, const struct report *r);
/* What changed between two reports of the same program. */
int out_diff_text(FILE *fp, const struct report *old, const struct report *new);
int out_diff_html(FILE *fp, const struct report *old, const struct report *new);
#endif
