/* config.c: RETAIN_* variables.  Parsing never allocates: it may run before
 * the real allocator is known. */
#include "config.h"
#include "log.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct retain_config retain_config;

static const struct { const char *name; int num; } signal_names[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "USR1", SIGUSR1 },
    { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
    { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
    { "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
    { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "PWR", SIGPWR },
    { "SYS", SIGSYS },
};

/* Signals that cannot be caught, or whose handler would hide a crash. */
static int signal_usable(int sig)
{
    return sig > 0 && sig < NSIG && sig != SIGKILL && sig != SIGSTOP && sig != SIGSEGV &&
           sig != SIGBUS && sig != SIGFPE && sig != SIGILL && sig != SIGABRT && sig != SIGTRAP;
}

static int config_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (!s || !*s)
        return -1;
    unsigned long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned long d = (unsigned long)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int config_parse_size(const char *s, size_t *out)
{
    char digits[32];
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= sizeof digits)
        return -1;
    memcpy(digits, s, n + 1);
    unsigned shift = 0;
    char last = digits[n - 1];
    if (last == 'b' || last == 'B')         /* accept 4KB, 4KiB, 4K */
        digits[--n] = 0;
    if (n >= 2 && (digits[n - 1] == 'i' || digits[n - 1] == 'I'))
        digits[--n] = 0;
    if (n == 0)
        return -1;
    switch (digits[n - 1]) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    }
    if (shift)
        digits[--n] = 0;
    unsigned long v;
    if (config_parse_uint(digits, (unsigned long)-1 >> shift, &v) < 0)
        return -1;
    *out = (size_t)v << shift;
    return 0;
}

static int config_parse_fraction(const char *s, double *out)
{
    /* Hand-rolled: strtod may consult the locale, which the host may change. */
    if (!s || !*s)
        return -1;
    double v = 0, scale = 1;
    int seen_digit = 0, seen_point = 0;
    for (; *s; s++) {
        if (*s == '.' && !seen_point) {
            seen_point = 1;
        } else if (*s >= '0' && *s <= '9') {
            seen_digit = 1;
            if (seen_point) {
                scale /= 10;
                v += (*s - '0') * scale;
            } else {
                v = v * 10 + (*s - '0');
            }
        } else {
            return -1;
        }
    }
    if (!seen_digit || v < 0 || v > 1)
        return -1;
    *out = v;
    return 0;
}

static int config_parse_signal(const char *s, int *out)
{
    if (!s || !*s)
        return -1;
    if (!strcasecmp(s, "off") || !strcmp(s, "0")) {
        *out = 0;
        return 0;
    }
    unsigned long num;
    if (config_parse_uint(s, NSIG, &num) == 0) {
        if (!signal_usable((int)num))
            return -1;
        *out = (int)num;
        return 0;
    }
    if (!strncasecmp(s, "SIG", 3))
        s += 3;
    if (!strncasecmp(s, "RTMIN+", 6) && config_parse_uint(s + 6, 32, &num) == 0 &&
        SIGRTMIN + (int)num <= SIGRTMAX) {
        *out = SIGRTMIN + (int)num;
        return 0;
    }
    for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
        if (!strcasecmp(s, signal_names[i].name) && signal_usable(signal_names[i].num)) {
            *out = signal_names[i].num;
            return 0;
        }
    return -1;
}

const char *const retain_debuginfo_names[] = { "auto", "full" };

static void bad(const char *var, const char *value, const char *form)
{
    log_error("ignoring %s=\"%.60s\": expected %s; using the default", var, value, form);
}

void config_load(void)
{
    struct retain_config *c = &retain_config;
    /* Defaults: see README "Configuration" for why each value. */
    strcpy(c->output, "retain.%p");
    c->signal = SIGUSR2;
    c->signal_explicit = 0;
    c->report_interval_s = 0;
    c->min_size = 1 << 20;
    c->min_age_ms = 1000;
    c->drop = 0.25;
    c->interval_ms = 100;
    c->depth = 16;
    c->sample_bytes = 512 * 1024;
    c->quiet = 0;
    c->debuginfo = DEBUGINFO_AUTO;

    const char *v;
    unsigned long u;
    size_t sz;
    double f;
    int sig;

    if ((v = getenv("RETAIN_QUIET"))) {
        if (!strcmp(v, "1"))
            c->quiet = 1;
        else if (strcmp(v, "0") && *v)
            bad("RETAIN_QUIET", v, "0 or 1");
    }
    if ((v = getenv("RETAIN_OUTPUT")) && *v) {
        if (strlen(v) >= sizeof c->output - 32)
            bad("RETAIN_OUTPUT", v, "a path prefix shorter than 480 bytes");
        else
            strcpy(c->output, v);
    }
    if ((v = getenv("RETAIN_SIGNAL"))) {
        if (config_parse_signal(v, &sig) == 0) {
            c->signal = sig;
            c->signal_explicit = 1;
        }
        else
            bad("RETAIN_SIGNAL", v, "a catchable signal name (USR2, SIGUSR1, RTMIN+3), a number, or off");
    }
    if ((v = getenv("RETAIN_REPORT_INTERVAL"))) {
        if (config_parse_uint(v, 86400 * 365, &u) == 0)
            c->report_interval_s = (unsigned)u;
        else
            bad("RETAIN_REPORT_INTERVAL", v, "whole seconds (0 = no periodic reports)");
    }
    if ((v = getenv("RETAIN_MIN_SIZE"))) {
        if (config_parse_size(v, &sz) == 0 && sz >= 4096)
            c->min_size = sz;
        else
            bad("RETAIN_MIN_SIZE", v, "a size of at least 4096 bytes, with optional K, M or G suffix");
    }
    if ((v = getenv("RETAIN_MIN_AGE"))) {
        if (config_parse_uint(v, 86400000UL * 365, &u) == 0)
            c->min_age_ms = (unsigned)u;
        else
            bad("RETAIN_MIN_AGE", v, "whole milliseconds");
    }
    if ((v = getenv("RETAIN_DROP"))) {
        if (config_parse_fraction(v, &f) == 0 && f > 0 && f < 1)
            c->drop = f;
        else
            bad("RETAIN_DROP", v, "a fraction between 0 and 1, such as 0.25");
    }
    if ((v = getenv("RETAIN_INTERVAL"))) {
        if (config_parse_uint(v, 3600000, &u) == 0 && u >= 1)
            c->interval_ms = (unsigned)u;
        else
            bad("RETAIN_INTERVAL", v, "whole milliseconds, at least 1");
    }
    if ((v = getenv("RETAIN_DEPTH"))) {
        if (config_parse_uint(v, RETAIN_MAX_DEPTH, &u) == 0 && u >= 1)
            c->depth = (unsigned)u;
        else
            bad("RETAIN_DEPTH", v, "a frame count from 1 to 64");
    }
    if ((v = getenv("RETAIN_DEBUGINFO"))) {
        int found = 0;
        for (int i = DEBUGINFO_AUTO; i <= DEBUGINFO_FULL; i++)
            if (!strcasecmp(v, retain_debuginfo_names[i])) {
                c->debuginfo = i;
                found = 1;
            }
        if (!found)
            bad("RETAIN_DEBUGINFO", v, "auto or full");
    }
    if ((v = getenv("RETAIN_SAMPLE"))) {
        if (config_parse_size(v, &sz) == 0)
            c->sample_bytes = sz;
        else
            bad("RETAIN_SAMPLE", v, "mean bytes between sampled allocations (K, M suffix), 0 = every allocation");
    }
}
