/* run_options.c: RETAIN_* variables as command-line options. */
#include "run_options.h"
#include "args.h"
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char *run_option_name(const char *var, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "--");
    for (const char *p = var + strlen("RETAIN_"); *p && n + 1 < cap; p++)
        buf[n++] = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
    buf[n] = 0;
    return buf;
}

int run_option(int argc, char **argv, int *i, struct run_setting *set, size_t *nset)
{
    for (size_t k = 0; k < config_nvars; k++) {
        const struct config_var *v = &config_vars[k];
        char name[64];
        run_option_name(v->name, name, sizeof name);
        const char *value;
        const char *a = argv[*i];
        /* a switch alone means on: `--quiet` */
        if (v->kind == CONFIG_SWITCH && !strcmp(a, name)) {
            value = "1";
            (*i)++;
        } else if (v->kind == CONFIG_SWITCH) {
            size_t n = strlen(name);
            if (strncmp(a, name, n) || a[n] != '=')
                continue;
            value = a + n + 1;
            (*i)++;
        } else if (!opt_value(argc, argv, i, name, NULL, &value)) {
            continue;
        }
        struct retain_config scratch;
        memset(&scratch, 0, sizeof scratch);
        if (!*value || config_parse(v, value, &scratch) < 0)
            usage_fail("%s \"%.60s\": expected %s", name, value, v->form);
        size_t j = 0;
        while (j < *nset && strcmp(set[j].var, v->name))
            j++;
        set[j].var = v->name;
        set[j].value = value;
        if (j == *nset)
            (*nset)++;
        return 1;
    }
    return 0;
}

void run_options_help(void)
{
    for (size_t k = 0; k < config_nvars; k++) {
        const struct config_var *v = &config_vars[k];
        char name[64], left[96];
        run_option_name(v->name, name, sizeof name);
        snprintf(left, sizeof left, "%s%s", name, v->kind == CONFIG_SWITCH ? "[=0|1]" : " VALUE");
        printf("  %-24s %s (default %s):\n  %-24s %s\n", left, v->name, *v->fallback ? v->fallback : "unset",
               "", v->form);
    }
}
