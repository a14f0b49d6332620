/*
 * fuzz_config: libFuzzer target over the RETAIN_* parsers (src/config.c).
 *
 * Input byte 0 chooses the mode:
 *   even: one parser.  Byte 1 picks the variable (mod the table size); the
 *         rest is its text.  An accepted value must lie within the
 *         variable's bounds, and for numbers must equal what an independent
 *         reference parser (strtoull with explicit overflow checks) reads.
 *   odd:  the whole table-driven loader over a simulated environment: the
 *         rest is lines NAME=VALUE (bit 1 of byte 0: secure execution).
 *         One error line per rejected variable, rejected ones at their
 *         default, flagged ones untouched under secure execution.
 * Any violation aborts (a crash for libFuzzer).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int log_lines;

/* Link-time seam: the real log.c writes to fd 2. */
void log_error(const char *fmt, ...)
{
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (strchr(line, '\n'))
        abort();                        /* one line per message */
    log_lines++;
}

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)

/* Reference for decimal numbers: digits only, no sign, no spaces. */
static int ref_u64(const char *s, uint64_t *out)
{
    if (!*s)
        return -1;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

/* Reference for sizes: digits, then K/M/G, then optional i, then optional B. */
static int ref_size(const char *s, uint64_t max, uint64_t *out)
{
    char d[64];
    size_t n = strlen(s);
    if (n == 0 || n >= 32)
        return -1;
    memcpy(d, s, n + 1);
    int shift = 0;
    if (d[n - 1] == 'b' || d[n - 1] == 'B')
        d[--n] = 0;
    if (n >= 2 && (d[n - 1] == 'i' || d[n - 1] == 'I'))
        d[--n] = 0;
    if (n && strchr("kK", d[n - 1])) shift = 10;
    if (n && strchr("mM", d[n - 1])) shift = 20;
    if (n && strchr("gG", d[n - 1])) shift = 30;
    if (shift)
        d[--n] = 0;
    uint64_t v;
    if (ref_u64(d, &v) < 0 || v > (max >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

static void check_one(const struct config_var *v, const char *text)
{
    struct retain_config c, before;
    memset(&c, 0x5a, sizeof c);
    c.output[0] = 0;
    before = c;
    int rc = config_parse(v, text, &c);
    const void *f = config_value(v, &c);
    if (rc < 0) {
        CHECK(memcmp(&c, &before, sizeof c) == 0);      /* rejected: unchanged */
    }
    uint64_t want;
    switch (v->kind) {
    case CONFIG_UINT: {
        int ok = ref_u64(text, &want) == 0 && want >= v->min && want <= v->max;
        CHECK(ok == (rc == 0));
        if (ok)
            CHECK(*(const unsigned *)f == want);
        break;
    }
    case CONFIG_SIZE: {
        int ok = ref_size(text, v->max, &want) == 0 && want >= v->min;
        CHECK(ok == (rc == 0));
        if (ok)
            CHECK(*(const size_t *)f == want);
        break;
    }
    case CONFIG_FRACTION:
        if (rc == 0)
            CHECK(*(const double *)f > 0 && *(const double *)f < 1);
        break;
    case CONFIG_SIGNAL:
        if (rc == 0) {
            int sig = *(const int *)f;
            CHECK(sig == 0 || (sig > 0 && sig <= SIGRTMAX && !(sig >= 32 && sig < SIGRTMIN) &&
                               sig != SIGKILL && sig != SIGSTOP && sig != SIGSEGV));
        }
        break;
    case CONFIG_SWITCH:
        if (rc == 0)
            CHECK(*(const int *)f >= -1 && *(const int *)f <= 1);
        CHECK((rc == 0) == (!*text || !strcmp(text, "0") || !strcmp(text, "1")));
        break;
    case CONFIG_CHOICE: {
        int found = 0;
        for (int i = 0; v->choices[i]; i++)
            found |= !strcasecmp(text, v->choices[i]);
        CHECK(found == (rc == 0));
        break;
    }
    case CONFIG_MODE:
        if (rc == 0) {
            unsigned m = *(const unsigned *)f;
            CHECK((m & v->min) == v->min && !(m & ~(unsigned)v->max));
        }
        break;
    case CONFIG_PATH:
        CHECK((rc == 0) == (*text && strlen(text) < v->size - 32));
        if (rc == 0)
            CHECK(!strcmp((const char *)f, text));
        break;
    }
}

struct fake_env {
    char *names[64], *values[64];
    int n;
};

static const char *fake_get(const struct config_var *v, void *arg)
{
    const struct fake_env *e = arg;
    const char *found = NULL;
    for (int i = 0; i < e->n; i++)      /* the last one wins, as with putenv */
        if (!strcmp(e->names[i], v->name))
            found = e->values[i];
    return found;
}

static void check_loader(char *text, int secure)
{
    struct fake_env env = { .n = 0 };
    for (char *line = text; line && env.n < 64;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *eq = strchr(line, '=');
        if (eq) {
            *eq = 0;
            env.names[env.n] = line;
            env.values[env.n++] = eq + 1;
        }
        line = next;
    }
    struct retain_config c, defaults;
    log_lines = 0;
    struct fake_env none = { .n = 0 };
    CHECK(config_load_from(&defaults, fake_get, &none, secure) == 0 && log_lines == 0);
    int rejected = config_load_from(&c, fake_get, &env, secure);
    CHECK(rejected == log_lines);
    int expect = 0;
    for (size_t i = 0; i < config_nvars; i++) {
        const struct config_var *v = &config_vars[i];
        const char *s = fake_get(v, &env);
        size_t size = v->kind == CONFIG_PATH ? strlen((const char *)config_value(v, &defaults)) + 1 : v->size;
        if (secure && (v->flags & CONFIG_SECURE_IGNORED)) {
            CHECK(!memcmp(config_value(v, &c), config_value(v, &defaults), size));
            continue;
        }
        if (!s || !*s)
            continue;
        struct retain_config one = defaults;
        if (config_parse(v, s, &one) < 0) {
            expect++;
            CHECK(!memcmp(config_value(v, &c), config_value(v, &defaults), size));
        } else {
            size_t sz = v->kind == CONFIG_PATH ? strlen(s) + 1 : v->size;
            CHECK(!memcmp(config_value(v, &c), config_value(v, &one), sz));
        }
    }
    CHECK(expect == rejected);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 4096)
        return 0;
    /* the text stops at the first NUL, as an environment string does */
    char *text = malloc(size);
    memcpy(text, data + 2, size - 2);
    text[size - 2] = 0;
    if (!(data[0] & 1))
        check_one(&config_vars[data[1] % config_nvars], text);
    else {
        memcpy(text, data + 1, size - 1);   /* every byte after the mode is the environment */
        text[size - 1] = 0;
        check_loader(text, data[0] & 2);
    }
    free(text);
    return 0;
}
