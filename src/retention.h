/* retention.h: watching large blocks for retained capacity (DESIGN §1-2).
 *
 * Every block of at least RETAIN_MIN_SIZE gets a watch when it is allocated:
 * a small record that ends with the block.  The sampler thread measures
 * each watched block's occupancy over time (the read plan and history are
 * made at the first measurement); a block whose occupancy fell far below its
 * peak while its capacity stayed the same becomes a finding. */
#ifndef RETAIN_RETENTION_H
#define RETAIN_RETENTION_H

#include <stddef.h>
#include <stdint.h>

struct block;
struct site;
struct watch;

#define FINDING_HISTORY_MAX 64
#define FINDING_EXAMPLES_MAX 8

enum finding_kind {
    FINDING_BLOCK,              /* one block (DESIGN §1) */
    FINDING_SITE,               /* many medium blocks of one site, estimated (DESIGN §4a) */
};

/* One watched block of a site finding: what it reads. */
struct finding_example {
    uintptr_t address;
    uint64_t capacity_bytes;
    float peak_occupancy, occupancy;
    int retained;
};

struct finding {
    int kind;                   /* enum finding_kind */
    uintptr_t address;          /* site: one example block */
    uint64_t capacity_bytes;    /* site: estimated total of its live medium blocks */
    uint64_t age_ms;
    double peak_occupancy, occupancy;
    uint64_t retained_bytes;    /* site: estimated total */
    const char *probe;          /* the probe's name */
    const char *source;         /* where the block came from: "malloc" or "mmap" */
    uintptr_t origin;           /* a mapping's mmap call site (return address); 0 for malloc */
    const char *advice_hint;    /* the probe's hint for generic advice, or NULL */
    const char *confidence;
    int live;
    uint64_t retained_ms;
    struct site *site;
    uint64_t resident_bytes;    /* of the block, in RAM when last measured */
    uint32_t longest_gap_ms;    /* longest time between two measurements */
    int nhistory;
    uint32_t history_ms[FINDING_HISTORY_MAX];
    float history_occ[FINDING_HISTORY_MAX];
    /* Site findings: blocks estimated live, the standard error of
     * retained_bytes, the example block's own size, how many blocks were
     * watched and measured and how many of them are retained. */
    uint64_t blocks;
    uint64_t retained_bytes_error;
    uint64_t example_bytes;
    int sampled_blocks, sampled_retained;
    int nexamples;
    struct finding_example examples[FINDING_EXAMPLES_MAX];
    char advice[768];
    char container[64];         /* what the block is, "" if unknown: from the probe, else container.h (set by the report) */
};

/* Start-up: wake is called when a pass is worth doing soon (a table grows). */
void retention_init(void (*wake)(void));

/* Allocation path: a new large block.  Returns its watch or NULL. */
struct watch *retention_watch(const struct block *b);
/* The same for a block that is an anonymous mapping of its own (mmap,
 * interpose_mmap.c): measured alike, its finding's source is "mmap".  Read
 * only while reads are safe (mem_read.h): a mapping may be unmapped or
 * protected behind the hooks' back, where the memcpy fallback would fault. */
struct watch *retention_watch_mapped(const struct block *b, uintptr_t origin);
/* A mapping found to be an allocator's arena (interpose_mmap.c): its watch
 * ends without a finding, and the findings kept of mappings already gone
 * from that call site (origin) with that size are dropped. */
void retention_discard(struct watch *w);
void retention_forget_mapped(uintptr_t origin, uint64_t size);
/* Allocation path: the block is about to be freed (or realloc'd); waits if
 * the sampler is reading it right now. */
void retention_unwatch(struct watch *w, int reallocated);

/* What measuring needs besides the registry (mapped ranges, the block copy,
 * the classification, the budget): owned by the one thread that makes
 * passes, which passes it explicitly; debug builds check the owner. */
struct measure_scratch;
struct measure_scratch *retention_scratch_new(void);
/* The calling thread becomes the owner (thread start, fork child). */
void retention_scratch_adopt(struct measure_scratch *s);
/* For a report written where there is no sampler thread (so no pass runs
 * beside it). */
struct measure_scratch *retention_scratch_fallback(void);

/* Sampler thread: one pass over the watched blocks that are due, within
 * the CPU budget. */
void retention_sample_pass(struct measure_scratch *s);
/* How long the sampler may sleep before the next pass is due. */
uint64_t retention_next_wait_ms(const struct measure_scratch *s);

/* Report: the current findings, largest retained_bytes first, in an array
 * from internal_malloc (internal_free it).  With final_pass (the exit
 * report), a last measurement of every live block is taken first. */
int retention_findings(struct finding **out, struct measure_scratch *final_pass);

/* Why a block was measured when it was (the schedule, retention.c). */
enum measure_class {
    MEASURE_FIRST,              /* its first look */
    MEASURE_TABLE,              /* its site grows tables (a growth series) */
    MEASURE_CHANGED,            /* its last reading moved */
    MEASURE_AT_REST,            /* none of these: measured with back-off (less for a table) */
    MEASURE_CLASSES
};
extern const char *const measure_class_names[MEASURE_CLASSES];

/* Sampler statistics for reports. */
struct sampler_stats {
    uint64_t passes;
    uint64_t bytes_scanned;
    uint64_t cpu_ns;
    uint64_t watched_blocks;
    uint64_t watched_bytes;
    uint64_t longest_hold_ns;   /* longest time a block lock was held by a scan */
    uint64_t measurements[MEASURE_CLASSES];
    uint64_t watch_records;     /* records held: live blocks, and ended ones a pass holds */
    uint64_t medium_watches;    /* of those, medium blocks watched for their site (medium.h) */
    uint64_t medium_sites;      /* sites that had a sampled medium block */
    uint64_t medium_watches_made;       /* medium watches ever made */
    uint64_t watched_mapped;    /* of watched_blocks, anonymous mappings (mmap) */
    uint64_t watched_mapped_bytes;
};
void retention_stats(struct sampler_stats *out);

/* Public API (retain.h): an exact occupancy stated by the program. */
void retention_annotate(const void *block, size_t used, size_t capacity);

void retention_lock(void);
void retention_unlock(void);
void retention_after_fork_child(void);

#endif
