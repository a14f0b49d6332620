/* site_table.h: call sites, deduplicated by their stack of return addresses
 * and, for allocations made by Python code, the Python frames (interp.h):
 * two allocations from one native path at different Python lines are two
 * sites.
 *
 * Lookups are lock-free (the allocation path finds an existing site with a
 * hash and a compare); creating a site takes a mutex.  Sites are never
 * freed, so a pointer to one stays valid for the life of the process. */
#ifndef RETAIN_SITE_TABLE_H
#define RETAIN_SITE_TABLE_H

#include <stdint.h>

struct medium_site;

struct site {
    uint32_t id;                /* 1, 2, ... in order of creation */
    uint32_t nframes;           /* native return addresses: ips[0 .. nframes) */
    uint32_t nwords;            /* interpreter words after them: ips[nframes .. nframes+nwords) */
    uint64_t hash;
    struct site *next_all;      /* list of every site, newest first */
    /* Statistics, updated atomically by every thread. In sampled mode they
     * are estimates scaled by each sample's weight. */
    uint64_t allocations;
    uint64_t frees;
    int64_t live_bytes;
    int64_t peak_live_bytes;
    /* Growth series (DESIGN §2): large blocks from this site that were
     * freed or realloc'd while a larger one from the same site was live. */
    uint32_t replaced_by_larger;
    uint32_t last_large_ms;     /* newest large block from here: when, how big */
    uint64_t last_large_size;
    uint32_t last_shed_ms;      /* newest large block realloc'd away: when, how big */
    uint64_t last_shed_size;
    struct medium_site *medium;  /* medium.h: its medium blocks, once one was sampled */
    uintptr_t ips[];
};

void site_table_init(void);
/* Finds or creates the site for this stack; NULL only when out of memory. */
struct site *site_intern(const uintptr_t *ips, int n);
/* The same, with nwords words of interpreter frames as part of the key. */
struct site *site_intern_with(const uintptr_t *ips, int n, const uintptr_t *words, int nwords);
/* Newest first; stable snapshot of the list head. */
struct site *site_list(void);
uint32_t site_count(void);

void site_account_alloc(struct site *s, uint64_t count, uint64_t bytes);
void site_account_free(struct site *s, uint64_t count, uint64_t bytes);

void site_table_lock(void);
void site_table_unlock(void);
void site_table_after_fork_child(void);

#endif
