/* config.h: the RETAIN_* environment variables (DESIGN §5), parsed once. */
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
    unsigned min_age_ms;       /* RETAIN_MIN_AGE */
    double drop;               /* RETAIN_DROP: flag when occupancy <= drop * peak */
    unsigned interval_ms;      /* RETAIN_INTERVAL: between occupancy samples */
    unsigned depth;            /* RETAIN_DEPTH: frames kept per call site */
    size_t sample_bytes;       /* RETAIN_SAMPLE: mean bytes between samples, 0 = exact */
    int quiet;                 /* RETAIN_QUIET */
    int debuginfo;             /* RETAIN_DEBUGINFO: enum retain_debuginfo */
};

/* How much debug information the report's symbolizer reads. */
enum retain_debuginfo {
    DEBUGINFO_AUTO,     /* a separate debug file for the executable only */
    DEBUGINFO_FULL,     /* every debug file found on this machine */
};
extern const char *const retain_debuginfo_names[];

#define RETAIN_MAX_DEPTH 64

extern struct retain_config retain_config;

/* Reads the environment into retain_config.  Each bad value gets one line on
 * stderr and leaves that variable at its default.  Async-signal-safe enough
 * to run inside the first malloc: no allocation, no stdio. */
void config_load(void);

#endif
