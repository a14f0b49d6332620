/* args.c: option matching shared by the subcommands. */
#include "args.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void usage_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("retain: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(EXIT_USAGE);
}

int is_help(const char *arg)
{
    return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int opt_value(int argc, char **argv, int *i, const char *name, const char *short_name,
              const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (!strncmp(a, name, n) && a[n] == '=') {
        *value = a + n + 1;
        (*i)++;
        return 1;
    }
    if (strcmp(a, name) != 0 && !(short_name && !strcmp(a, short_name)))
        return 0;
    if (*i + 1 >= argc)
        usage_fail("%s needs a value", a);
    *value = argv[*i + 1];
    *i += 2;
    return 1;
}
