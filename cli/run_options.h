/* run_options.h: `retain run` options, one per RETAIN_* variable, made from
 * the library's own table (src/config.c config_vars) so the two cannot
 * drift: RETAIN_MIN_SIZE is --min-size, checked by the same parser the
 * library uses, before the program starts. */
#ifndef RETAIN_CLI_RUN_OPTIONS_H
#define RETAIN_CLI_RUN_OPTIONS_H
#include <stddef.h>

struct run_setting {
    const char *var;            /* RETAIN_MIN_SIZE */
    const char *value;
};

/* If argv[*i] is one of the variables' options, checks its value, records
 * it in set[] (*nset grows), advances *i and returns 1; 0 if it is not one.
 * A bad value: one line naming the option and the form, exit 2. */
int run_option(int argc, char **argv, int *i, struct run_setting *set, size_t *nset);
/* The options' help lines. */
void run_options_help(void);
/* --min-size for RETAIN_MIN_SIZE, into buf. */
const char *run_option_name(const char *var, char *buf, size_t cap);
#endif
