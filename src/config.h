/* config.h: the RETAIN_* environment variables (DESIGN §5), parsed once.
 *
 * One table (config_vars) describes every variable: its name, how it is
 * parsed, which field it fills, its default (as text, parsed like a user's
 * value), the form named in the error line, and the key under which the
 * report's "config" object shows it.  Parsing, defaults, error lines and the
 * report all walk that table, so the lists cannot drift apart. */
#ifndef RETAIN_CONFIG_H
#define RETAIN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct retain_config {
    char output[512];          /* RETAIN_OUTPUT, "%p" not yet expanded */
    int signal;                /* RETAIN_SIGNAL: signal number, 0 = off */
    int signal_explicit;       /* RETAIN_SIGNAL was set (not the default) */
    unsigned report_interval_s;/* RETAIN_REPORT_INTERVAL: 0 = no periodic reports */
    size_t min_size;           /* RETAIN_MIN_SIZE: smallest watched block */
    size_t medium_size;        /* RETAIN_MEDIUM_SIZE: smallest block sampled per site, 0 = off */
    unsigned min_age_ms;       /* RETAIN_MIN_AGE */
    double drop;               /* RETAIN_DROP: flag when occupancy <= drop * peak */
    unsigned interval_ms;      /* RETAIN_INTERVAL: between occupancy samples */
    unsigned depth;            /* RETAIN_DEPTH: frames kept per call site */
    size_t sample_bytes;       /* RETAIN_SAMPLE: mean bytes between samples, 0 = exact */
    int quiet;                 /* RETAIN_QUIET: -1 unset, 0, 1 (1: no lines at run time or exit) */
    int debuginfo;             /* RETAIN_DEBUGINFO: enum retain_debuginfo */
    unsigned report_mode;      /* RETAIN_REPORT_MODE: permission bits of report files */
    /* Decided at start-up from the above and the process's situation. */
    int summary;               /* write the one-line summary at exit */
    int secure;                /* secure execution (AT_SECURE: setuid, setgid, capabilities) */
};

/* How much debug information the report's symbolizer reads. */
enum retain_debuginfo {
    DEBUGINFO_AUTO,     /* a separate debug file for the executable only */
    DEBUGINFO_FULL,     /* every debug file found on this machine */
};
extern const char *const retain_debuginfo_names[];

#define RETAIN_MAX_DEPTH 64

/* RETAIN_SAMPLE's ceiling.  A sampling gap is -ln(u) * mean with u >= 2^-53
 * (alloc_sampling.c), at most 36.8 * mean, and is converted to int64_t and added to
 * a thread's int64_t countdown (interpose.c): 2^57 * 36.8 < 2^63 - 2^47
 * leaves room for any allocation's size on top. */
#define RETAIN_SAMPLE_MAX ((size_t)1 << 57)

/* How a variable's text becomes its field. */
enum config_kind {
    CONFIG_PATH,        /* char[]: a path prefix */
    CONFIG_SIGNAL,      /* int: a catchable signal, 0 = off */
    CONFIG_UINT,        /* unsigned: decimal, within [min, max] */
    CONFIG_SIZE,        /* size_t: decimal with K/M/G (KiB, KB) suffix, within [min, max] */
    CONFIG_FRACTION,    /* double: strictly between 0 and 1 */
    CONFIG_SWITCH,      /* int: "0" or "1"; empty = -1 (unset) */
    CONFIG_CHOICE,      /* int: index into choices, case-insensitive */
    CONFIG_MODE,        /* unsigned: octal permission bits within [min, max] as a mask */
};

/* Flags of a variable. */
#define CONFIG_SECURE_IGNORED 1u  /* not read under secure execution (names a path,
                                     or widens who may read the report) */
#define CONFIG_OFF_IS_ZERO 2u     /* CONFIG_SIZE: "off" or "0" is 0 (disabled), below min */

struct config_var {
    const char *name;               /* RETAIN_MIN_SIZE */
    const char *key;                /* the report's config key: min_size */
    enum config_kind kind;
    size_t offset;                  /* of the field in struct retain_config */
    size_t size;                    /* of the field (CONFIG_PATH: its capacity) */
    uint64_t min, max;              /* CONFIG_UINT, CONFIG_SIZE; CONFIG_MODE: required and allowed bits */
    const char *const *choices;     /* CONFIG_CHOICE, NULL-terminated */
    const char *fallback;           /* the default, as a user would write it */
    const char *form;               /* what the error line says is expected */
    unsigned flags;
};

extern const struct config_var config_vars[];
extern const size_t config_nvars;

extern struct retain_config retain_config;

/* Reads the environment into retain_config.  Each bad value gets one line on
 * stderr and leaves that variable at its default.  Async-signal-safe enough
 * to run inside the first malloc: no allocation, no stdio.  Under secure
 * execution the variables flagged CONFIG_SECURE_IGNORED are not read
 * (secure_getenv).  Also decides `summary` (RETAIN_QUIET unset: only when
 * fd 2 is a terminal now). */
void config_load(void);

/* The seam under config_load, for tests and fuzzers: fills *c from
 * get(var, arg) (NULL = unset) as config_load does from the environment,
 * `secure` standing for AT_SECURE.  Returns the number of rejected values
 * (one error line each).  Leaves `summary` to the caller. */
int config_load_from(struct retain_config *c,
                     const char *(*get)(const struct config_var *v, void *arg), void *arg, int secure);

/* One variable's text into its field of *c; 0 if accepted, -1 if rejected
 * (the field is then unchanged).  No message. */
int config_parse(const struct config_var *v, const char *text, struct retain_config *c);

/* The variable's field in *c. */
static inline void *config_field(const struct config_var *v, struct retain_config *c)
{
    return (char *)c + v->offset;
}
static inline const void *config_value(const struct config_var *v, const struct retain_config *c)
{
    return (const char *)c + v->offset;
}

#endif
