/* report_model.h: a libretain report (DESIGN §4, §4a) as the retain command
 * reads it.  Strings point into the parsed JSON document, which the report
 * owns; optional fields carry a has_ flag so every reader can show them when
 * present and stay quiet when absent. */
#ifndef RETAIN_CLI_REPORT_MODEL_H
#define RETAIN_CLI_REPORT_MODEL_H
#include <stddef.h>
#include <stdint.h>

struct frame {
    uint64_t address, offset;
    const char *function;       /* NULL when unknown */
    const char *file;           /* NULL when unknown */
    const char *module;         /* NULL when unknown */
    const char *language;       /* "python", "ruby", "php"; NULL = native */
    long line;                  /* 0 when unknown */
    int inlined;                /* inlined into the next frame (same address) */
    int stdlib;                 /* the language's runtime or standard library ("stdlib": true) */
};

/* Leaf first, as in the report. */
struct stack {
    struct frame *frames;
    size_t n;
};

struct history_point {
    double ms, occupancy;
};

struct finding {
    const char *kind;           /* "block" or "site" (absent: "block") */
    const char *address, *probe, *confidence, *container, *advice;
    const char *source;         /* "malloc" or "mmap" (absent: "malloc") */
    uint64_t capacity_bytes, retained_bytes, age_ms, retained_ms, site, blocks;
    double peak_occupancy, occupancy, retained_bytes_error;
    uint64_t resident_bytes;
    int has_resident, has_blocks, has_error, live;
    /* kind "site": how many blocks were watched, how many of those are
     * retained, and the example block's own size (the address's) */
    uint64_t sampled_blocks, sampled_retained, block_bytes;
    int has_sampled, has_block_bytes;
    struct stack stack;
    struct history_point *history;
    size_t nhistory;
};

struct site {
    uint64_t id, allocations, frees;
    int64_t live_bytes, peak_live_bytes;
    int64_t alloc_bytes;        /* when the report carries it */
    int has_alloc_bytes;
    struct stack stack;
};

struct module {
    const char *path, *build_id;
    uint64_t base;
};

struct totals {
    uint64_t allocations, frees, live_bytes, peak_live_bytes, sites, sites_written;
    uint64_t rss_bytes, profiler_bytes;
    int has_rss, has_profiler, has_sites_written;
};

struct report {
    const char *path;           /* the file it was read from */
    unsigned file_mode;         /* its permission bits: exports get the same */
    const char *schema, *reason;
    long pid;
    uint64_t duration_ms;
    const char **command;
    size_t ncommand;
    struct totals totals;
    const char **errors;
    size_t nerrors;
    struct finding *findings;
    size_t nfindings;
    struct site *sites;
    size_t nsites;
    struct module *modules;
    size_t nmodules;
    void *doc;                  /* json_t *: owns the strings */
    void *config;               /* json_t * of "config", or NULL */
};

/* Reads and checks `path`.  On failure returns NULL and writes one line
 * naming the file and what is wrong into err. */
struct report *report_load(const char *path, char *err, size_t errlen);
void report_free(struct report *r);

/* The physical (non-inlined) frame a frame's inline chain ends in. */
size_t stack_physical_end(const struct stack *s, size_t i);
#endif
