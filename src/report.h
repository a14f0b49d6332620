/* report.h: writing reports (DESIGN §4): <prefix>.json for tools and
 * <prefix>.txt for people, each replaced atomically (temporary file, then
 * rename) so a reader never sees half a report. */
#ifndef RETAIN_REPORT_H
#define RETAIN_REPORT_H

#include <stdint.h>
#include "referents.h"
#include "retention.h"
#include "symbolize.h"
#include "strbuf.h"
#include "thread_state.h"

enum report_reason { REPORT_EXIT, REPORT_SIGNAL, REPORT_PERIODIC };

/* Writes both files; returns 0 on success.  Serialised by a mutex.  The
 * exit report first measures every live block with scratch (the caller's:
 * retention.h); other reports do not measure. */
int report_write(enum report_reason reason, struct measure_scratch *scratch);

void report_after_fork_child(void);

/* What the writers share: one consistent snapshot of the profiler's state. */
struct site_row {
    struct site *site;
    uint32_t id;
    uint64_t allocations, frees;
    int64_t live_bytes, peak_live_bytes;
};

struct report {
    enum report_reason reason;
    const char *reason_name;
    int pid;
    char *command;              /* NUL-separated argv from /proc/self/cmdline */
    size_t command_len;
    uint64_t duration_ms;
    struct thread_counters counters;
    uint64_t live_bytes, peak_live_bytes;
    uint32_t nsites_total;
    struct site_row *sites;     /* sorted: largest live, then peak, first */
    int nsites;                 /* written (the top ones) */
    struct finding *findings;
    int nfindings;
    struct module_info *modules;
    int nmodules;
    struct sampler_stats sampler;
    struct referents_stats liveness;    /* the liveness probe's registered referents */
    uint64_t tracked_blocks;
    uint64_t profiler_bytes;    /* libretain's own mappings (arena, block table) */
    uint64_t block_table_bytes; /* ...of which the block table's arrays */
    uint64_t rss_bytes;         /* the process's resident set at report time */
    struct symbolizer *sym;
    /* Why stacks carry no function names or file:line (libdw could not be
     * loaded), for the report's notes; NULL normally. */
    const char *symbolizer_note;
    char symbolizer_note_buf[512];
    char (*errors)[600];        /* report-write failures since the last report written */
    int nerrors;
    uint64_t errors_dropped;    /* beyond those kept */
};

/* A site's stack as logical frames (inlines expanded), up to max. */
int report_stack(struct report *r, struct site *s, const struct frame **out, int max);

/* Sums over the report's findings. */
uint64_t report_retained_bytes(const struct report *r);
uint64_t report_retained_resident_bytes(const struct report *r);
/* The longest time between two measurements of a finding's block. */
uint32_t report_longest_gap_ms(const struct report *r);

void report_json(struct report *r, struct strbuf *sb);
void report_text(struct report *r, struct strbuf *sb);

#endif
