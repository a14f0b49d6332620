/* probe.h: the probe interface (DESIGN §2; docs/design.md "Probes").
 *
 * A probe turns one measurement of a block into an occupancy: the fraction
 * of the block's slots in use.  Each probe is one struct probe_ops in its
 * own file (probe_<name>.c) and one row of the table in probes.c; retention
 * loops over that table and names no probe.  Everything that differs
 * between probes is stated here, by the probe:
 *   - how it reads the block (measure, and optionally plan: bytes of its
 *     own added to the block's read plan);
 *   - whether a reading at its peak showed a table (table_like): only then
 *     may a later drop of this probe make a finding;
 *   - whether its reading is the truth (exact: preferred over every other
 *     probe when it saw a table);
 *   - how sure a finding made by it is (confidence);
 *   - a hint for the advice, if its layout suggests one.
 * The interface follows SQLite's sqlite3_mem_methods and Redis's dictType:
 * a struct of functions and properties, chosen by table, called blind. */
#ifndef RETAIN_PROBE_H
#define RETAIN_PROBE_H

#include "block_read.h"
#include "classify.h"

#include <stddef.h>
#include <stdint.h>

/* What a probe may know about the block besides its copy. */
struct block_facts {
    uintptr_t addr;
    uint64_t size;
    uint32_t measured;          /* measurements taken before this one */
    int stated;                 /* the program stated an occupancy (retain.h) */
    uint64_t stated_used, stated_capacity;
};

/* A probe's own state for one block, zeroed when the block's watch starts. */
union probe_memo {
    float f[12];
    uint32_t u[12];
};

struct probe_result {
    float occ;                  /* fraction of slots in use, 0..1 */
    uint8_t valid;              /* 0: no reading this time */
    uint8_t uniform;            /* used slots spread evenly (table_like's evidence) */
    /* This reading shows the block is a table whatever its peak: slots
     * marked deleted while their other fields stay (tombstones), which a
     * buffer that is cleared or refilled never has. */
    uint8_t proves_table;
};

/* One probe's readings on one block, kept by retention. */
struct probe_track {
    float now, peak;
    uint8_t valid;              /* now is the latest measurement's */
    uint8_t peak_table_like;    /* table_like of the reading that set peak, or proven */
    uint8_t proven_table;       /* some reading had proves_table */
    union probe_memo memo;
};

enum probe_confidence { CONFIDENCE_MEDIUM, CONFIDENCE_HIGH };

struct probe_ops {
    const char *name;           /* the report's "probe" string: never change one */
    int exact;                  /* its reading is the block's true occupancy */
    const char *advice_hint;    /* appended to generic advice, or NULL */
    /* Optional.  Before the copy is taken: add a region of the probe's own to
     * the block's plan (block_read_plan_add_region, owner = the ops).  Runs
     * while the block is held when reads are not safe (mem_read.h). */
    void (*plan)(const struct block_facts *b, union probe_memo *memo, struct block_read_plan *plan);
    /* The reading; out is zeroed by the caller, so "no reading" is valid=0. */
    void (*measure)(const struct classified *c, const struct block_facts *b, union probe_memo *memo,
                    struct probe_result *out);
    /* Did this reading see a table?  Some slots used and some free, spread
     * as a table spreads them.  Asked of each new peak. */
    int (*table_like)(const struct classified *c, const struct probe_result *r);
    /* How sure a finding this probe explains is; site_grows: the block's
     * site replaced blocks by larger ones (a growing table). */
    enum probe_confidence (*confidence)(const struct probe_track *t, int site_grows);
    /* Optional: what the block is, when the probe's own evidence says
     * (the ctrl probe knows a hashbrown table from an absl one); "" if not. */
    void (*container)(const union probe_memo *memo, char *out, size_t cap);
};

/* Records reading r of probe ops in its track: the latest value, and a new
 * peak with the ops' table_like verdict on it. */
void probe_track_update(struct probe_track *t, const struct probe_ops *ops, const struct classified *c,
                        const struct probe_result *r);

/* Shared rules the probes pick from. */
enum probe_confidence probe_confidence_from_growth(const struct probe_track *t, int site_grows);
enum probe_confidence probe_confidence_high(const struct probe_track *t, int site_grows);
/* table_like for probes that count pointers: plenty of them
 * (classified.pointer_evidence) is what makes a table of pointers. */
int probe_table_like_by_pointers(const struct classified *c, const struct probe_result *r);
/* Some used and some free (5%..97%): a hash table always has free slots, a
 * filled buffer has none. */
int probe_partly_used(float occ);
/* Tombstones: at least 64 slots, and a quarter of the slots holding data,
 * marked deleted with their other fields kept. */
int probe_tombstones_prove_table(uint32_t tombstones, uint32_t used);

#endif
