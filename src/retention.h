/* retention.h: watching large blocks for retained capacity (DESIGN §1-2).
 *
 * Every block of at least RETAIN_MIN_SIZE gets a watch when it is allocated.
 * The sampler thread measures each watched block's occupancy over time; a
 * block whose occupancy fell far below its peak while its capacity stayed
 * the same becomes a finding. */
#ifndef RETAIN_RETENTION_H
#define RETAIN_RETENTION_H

#include <stddef.h>
#include <stdint.h>

struct block;
struct site;
struct watch;

#define FINDING_HISTORY_MAX 64

struct finding {
    uintptr_t address;
    uint64_t capacity_bytes;
    uint64_t age_ms;
    double peak_occupancy, occupancy;
    uint64_t retained_bytes;
    const char *probe;          /* the probe's name */
    const char *advice_hint;    /* the probe's hint for generic advice, or NULL */
    const char *confidence;
    int live;
    uint64_t retained_ms;
    struct site *site;
    int nhistory;
    uint32_t history_ms[FINDING_HISTORY_MAX];
    float history_occ[FINDING_HISTORY_MAX];
    char advice[768];
};

/* Start-up: wake is called when a pass is worth doing soon (a table grows). */
void retention_init(void (*wake)(void));

/* Allocation path: a new large block.  Returns its watch or NULL. */
struct watch *retention_watch(const struct block *b);
/* Allocation path: the block is about to be freed (or realloc'd); waits if
 * the sampler is reading it right now. */
void retention_unwatch(struct watch *w, int reallocated);

/* Sampler thread: one pass over the watched blocks, within the CPU budget. */
void retention_sample_pass(void);
/* How long the sampler may sleep before the next pass is due. */
uint64_t retention_next_wait_ms(void);

/* Report: the current findings, largest retained_bytes first, in an array
 * from malloc (free it).  final = the exit report (a last measurement of
 * every live block is taken first). */
int retention_findings(struct finding **out, int final);

/* Sampler statistics for reports. */
struct sampler_stats {
    uint64_t passes;
    uint64_t bytes_scanned;
    uint64_t cpu_ns;
    uint64_t watched_blocks;
    uint64_t watched_bytes;
    uint64_t longest_hold_ns;   /* longest time a block lock was held by a scan */
};
void retention_stats(struct sampler_stats *out);

/* Public API (retain.h): an exact occupancy stated by the program. */
void retention_annotate(const void *block, size_t used, size_t capacity);

void retention_lock(void);
void retention_unlock(void);
void retention_after_fork_child(void);

#endif
