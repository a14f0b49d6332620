/* main.c: `retain` — run a program under libretain, ask a running one for a
 * report, turn reports into text, HTML, pprof, collapsed stacks or
 * speedscope, and compare two reports.  Subcommands in the style of perf and
 * memray; `retain PROGRAM ARGS` is `retain run PROGRAM ARGS`. */
#include "args.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: retain [run] [OPTIONS] [--] PROGRAM [ARGS...]   run PROGRAM under libretain\n"
    "       retain snapshot PID | retain -p PID              ask a running process for a report\n"
    "       retain report FILE.json [--format F] [-o OUT]    text, html, pprof, collapsed, speedscope\n"
    "       retain diff OLD.json NEW.json [--format text|html]\n"
    "       retain --help | --version\n"
    "\n"
    "libretain finds heap blocks (hash tables, buffers) that keep their capacity\n"
    "after their contents are gone.  `retain ./app` runs ./app, writes\n"
    "retain.<pid>.json, .txt and .html, and prints what it found.\n"
    "`retain SUBCOMMAND --help` describes each; man retain for everything.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (is_help(cmd) || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("retain %s (report schema libretain-report/1)\n", RETAIN_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "snapshot"))
        return cmd_snapshot(argc - 1, argv + 1);
    if (!strcmp(cmd, "-p")) {
        argv[1] = "snapshot";
        return cmd_snapshot(argc - 1, argv + 1);
    }
    if (!strcmp(cmd, "report"))
        return cmd_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "diff"))
        return cmd_diff(argc - 1, argv + 1);
    /* `retain [OPTIONS] PROGRAM ARGS`: the short form of run; argv[0]
     * stands in for the subcommand name */
    return cmd_run(argc, argv);
}
