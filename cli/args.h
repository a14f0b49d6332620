/* args.h: command-line option matching shared by the subcommands, and the
 * subcommands' entry points. */
#ifndef RETAIN_CLI_ARGS_H
#define RETAIN_CLI_ARGS_H

/* Exit status for bad usage or bad input (a value, a file). */
#define EXIT_USAGE 2

/* If argv[*i] is `--name VALUE`, `--name=VALUE` (or `short VALUE` when
 * short_name is not NULL), sets *value, advances *i past it and returns 1;
 * 0 if it is another argument.  A missing value: one line, exit 2. */
int opt_value(int argc, char **argv, int *i, const char *name, const char *short_name,
              const char **value);
/* One line "retain: ..." on stderr, exit 2. */
void usage_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* 1 for -h / --help. */
int is_help(const char *arg);

int cmd_run(int argc, char **argv);        /* argv[0] is "run" */
int cmd_snapshot(int argc, char **argv);   /* argv[0] is "snapshot" */
int cmd_report(int argc, char **argv);     /* argv[0] is "report" */
int cmd_diff(int argc, char **argv);       /* argv[0] is "diff" */
#endif
