/* config.c: RETAIN_* variables, driven by one table.  Parsing never
 * allocates: it may run before the real allocator is known. */
#include "config.h"
#include "log.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/auxv.h>
#include <unistd.h>

struct retain_config retain_config;

const char *const retain_debuginfo_names[] = { "auto", "full", NULL };

#define FIELD(f) offsetof(struct retain_config, f), sizeof(((struct retain_config *)0)->f)

/* DESIGN §5's order, then libretain's own; README "Configuration" says
 * why each default. */
const struct config_var config_vars[] = {
    { "RETAIN_OUTPUT", "output", CONFIG_PATH, FIELD(output), 0, 0, NULL, "retain.%p",
      "a path prefix shorter than 480 bytes", CONFIG_SECURE_IGNORED },
    { "RETAIN_SIGNAL", "signal", CONFIG_SIGNAL, FIELD(signal), 0, 0, NULL, "USR2",
      "a catchable signal name (USR2, SIGUSR1, RTMIN+3), a number (not one glibc reserves), or off", 0 },
    { "RETAIN_REPORT_INTERVAL", "report_interval_s", CONFIG_UINT, FIELD(report_interval_s),
      0, 86400 * 365, NULL, "0", "whole seconds up to 31536000 (0 = no periodic reports)", 0 },
    { "RETAIN_MIN_SIZE", "min_size", CONFIG_SIZE, FIELD(min_size), 4096, SIZE_MAX, NULL, "1M",
      "a size of at least 4096 bytes, with optional K, M or G suffix", 0 },
    { "RETAIN_MEDIUM_SIZE", "medium_size", CONFIG_SIZE, FIELD(medium_size), 4096, SIZE_MAX, NULL, "64K",
      "a size of at least 4096 bytes, with optional K, M or G suffix, or off (0)", CONFIG_OFF_IS_ZERO },
    { "RETAIN_MIN_AGE", "min_age_ms", CONFIG_UINT, FIELD(min_age_ms), 0, UINT32_MAX, NULL, "1000",
      "whole milliseconds up to 4294967295", 0 },
    { "RETAIN_DROP", "drop", CONFIG_FRACTION, FIELD(drop), 0, 0, NULL, "0.25",
      "a fraction between 0 and 1, such as 0.25", 0 },
    { "RETAIN_INTERVAL", "interval_ms", CONFIG_UINT, FIELD(interval_ms), 1, 3600000, NULL, "100",
      "whole milliseconds from 1 to 3600000", 0 },
    { "RETAIN_DEPTH", "depth", CONFIG_UINT, FIELD(depth), 1, RETAIN_MAX_DEPTH, NULL, "16",
      "a frame count from 1 to 64", 0 },
    { "RETAIN_SAMPLE", "sample_bytes", CONFIG_SIZE, FIELD(sample_bytes), 0, RETAIN_SAMPLE_MAX, NULL,
      "512K", "mean bytes between sampled allocations (K, M, G suffix) up to 128 PiB, 0 = every allocation", 0 },
    { "RETAIN_QUIET", "quiet", CONFIG_SWITCH, FIELD(quiet), 0, 1, NULL, "",
      "0 or 1", 0 },
    { "RETAIN_DEBUGINFO", "debuginfo", CONFIG_CHOICE, FIELD(debuginfo), 0, 0, retain_debuginfo_names,
      "auto", "auto or full", 0 },
    { "RETAIN_REPORT_MODE", "report_mode", CONFIG_MODE, FIELD(report_mode), 0600, 0666, NULL,
      "0600", "an octal file mode from 0600 to 0666 (the owner reads and writes; no execute bits)",
      CONFIG_SECURE_IGNORED },
};
const size_t config_nvars = sizeof config_vars / sizeof config_vars[0];

static const struct { const char *name; int num; } signal_names[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "USR1", SIGUSR1 },
    { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
    { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
    { "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
    { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "PWR", SIGPWR },
    { "SYS", SIGSYS },
};

/* Signals that cannot be caught, whose handler would hide a crash, or that
 * glibc keeps for itself (thread cancellation, setxid: from the kernel's
 * first real-time signal up to SIGRTMIN as glibc reports it at run time). */
static int signal_usable(int sig)
{
    if (sig >= __SIGRTMIN && sig < SIGRTMIN)
        return 0;
    return sig > 0 && sig <= SIGRTMAX && sig != SIGKILL && sig != SIGSTOP && sig != SIGSEGV &&
           sig != SIGBUS && sig != SIGFPE && sig != SIGILL && sig != SIGABRT && sig != SIGTRAP;
}

/* Decimal digits only, at most max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* "4096", "4K", "4KB", "4KiB" (binary units); at most max bytes. */
static int parse_size(const char *s, uint64_t max, uint64_t *out)
{
    char digits[32];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof digits)
        return -1;
    memcpy(digits, s, n + 1);
    unsigned shift = 0;
    char last = digits[n - 1];
    if (last == 'b' || last == 'B')
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
    uint64_t v;
    if (parse_u64(digits, max >> shift, &v) < 0)
        return -1;
    *out = v << shift;
    return 0;
}

/* Hand-rolled: strtod may consult the locale, which the host may change. */
static int parse_fraction(const char *s, double *out)
{
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
                if (v > 1)
                    return -1;
            }
        } else {
            return -1;
        }
    }
    if (!seen_digit || !(v > 0 && v < 1))
        return -1;
    *out = v;
    return 0;
}

static int parse_signal(const char *s, int *out)
{
    if (!strcasecmp(s, "off") || !strcmp(s, "0")) {
        *out = 0;
        return 0;
    }
    uint64_t num;
    if (s[0] >= '0' && s[0] <= '9')
        return parse_u64(s, 1000, &num) == 0 && signal_usable((int)num) ? (*out = (int)num, 0) : -1;
    if (!strncasecmp(s, "SIG", 3))
        s += 3;
    if (!strncasecmp(s, "RTMIN+", 6)) {
        if (parse_u64(s + 6, 64, &num) < 0 || SIGRTMIN + (int)num > SIGRTMAX)
            return -1;
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

/* Octal digits (a leading 0 optional); every bit of `need` set, none
 * outside `allow`. */
static int parse_mode(const char *s, uint64_t need, uint64_t allow, unsigned *out)
{
    if (!*s || strlen(s) > 5)
        return -1;
    unsigned v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '7')
            return -1;
        v = v * 8 + (unsigned)(*s - '0');
    }
    if ((v & need) != need || (v & ~allow))
        return -1;
    *out = v;
    return 0;
}

int config_parse(const struct config_var *v, const char *s, struct retain_config *c)
{
    void *field = config_field(v, c);
    uint64_t u;
    switch (v->kind) {
    case CONFIG_PATH: {
        size_t n = strlen(s);
        /* room for the pid, ".<pid>" and ".json.tmp..." after it */
        if (n == 0 || n >= v->size - 32)
            return -1;
        memcpy(field, s, n + 1);
        return 0;
    }
    case CONFIG_SIGNAL:
        return parse_signal(s, field);
    case CONFIG_UINT:
        if (parse_u64(s, v->max, &u) < 0 || u < v->min)
            return -1;
        *(unsigned *)field = (unsigned)u;
        return 0;
    case CONFIG_SIZE:
        if ((v->flags & CONFIG_OFF_IS_ZERO) && (!strcasecmp(s, "off") || !strcmp(s, "0"))) {
            *(size_t *)field = 0;
            return 0;
        }
        if (parse_size(s, v->max, &u) < 0 || u < v->min)
            return -1;
        *(size_t *)field = (size_t)u;
        return 0;
    case CONFIG_FRACTION:
        return parse_fraction(s, field);
    case CONFIG_SWITCH:
        if (!*s) {
            *(int *)field = -1;
            return 0;
        }
        if ((s[0] == '0' || s[0] == '1') && !s[1]) {
            *(int *)field = s[0] - '0';
            return 0;
        }
        return -1;
    case CONFIG_CHOICE:
        for (int i = 0; v->choices[i]; i++)
            if (!strcasecmp(s, v->choices[i])) {
                *(int *)field = i;
                return 0;
            }
        return -1;
    case CONFIG_MODE:
        return parse_mode(s, v->min, v->max, field);
    }
    return -1;
}

int config_load_from(struct retain_config *c,
                     const char *(*get)(const struct config_var *v, void *arg), void *arg, int secure)
{
    int rejected = 0;
    memset(c, 0, sizeof *c);
    c->secure = secure;
    for (size_t i = 0; i < config_nvars; i++) {
        const struct config_var *v = &config_vars[i];
        /* The default parses with the same code (test_config checks it does). */
        config_parse(v, v->fallback, c);
        if (secure && (v->flags & CONFIG_SECURE_IGNORED))
            continue;
        const char *s = get(v, arg);
        if (!s || !*s)         /* empty: as if unset (`RETAIN_X= prog`) */
            continue;
        if (config_parse(v, s, c) < 0) {
            rejected++;
            log_error("ignoring %s=\"%.60s\": expected %s; using the default", v->name, s, v->form);
            config_parse(v, v->fallback, c);
        } else if (v->kind == CONFIG_SIGNAL) {
            c->signal_explicit = 1;
        }
    }
    return rejected;
}

static const char *environment(const struct config_var *v, void *arg)
{
    /* Under AT_SECURE the flagged variables are not even asked for;
     * secure_getenv (NULL then) is a second lock on the same door. */
    return v->flags & CONFIG_SECURE_IGNORED ? secure_getenv(v->name) : getenv(v->name);
}

void config_load(void)
{
    struct retain_config *c = &retain_config;
    int secure = getauxval(AT_SECURE) != 0;
    config_load_from(c, environment, NULL, secure);
    /* Programs that parse their stderr (test runners) must not see the
     * summary unless asked for; a person at a terminal sees it. */
    c->summary = c->quiet == 1 ? 0 : c->quiet == 0 ? 1 : isatty(2);
}
