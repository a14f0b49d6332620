/* lifecycle.h: how the modules start and survive fork, in one place.
 *
 * Every module with state names its hooks in the registry (profiler.c), in
 * lock-rank order: a thread that holds a lock of one module may take the
 * locks of modules listed after it, never of those before it.  fork() takes
 * every module's locks in that order (prefork), so the child never inherits
 * a lock held by a thread that does not exist in it; the parent releases
 * them in reverse order and the child re-initialises them (jemalloc's
 * witness ranks and jemalloc_fork.c, musl's malloc_atfork). */
#ifndef RETAIN_LIFECYCLE_H
#define RETAIN_LIFECYCLE_H

enum lock_rank {
    LOCK_RANK_SAMPLER_REQUEST,  /* sampler.c: one retain_report_now() at a time */
    LOCK_RANK_REPORT,           /* report.c: one report at a time (not taken at fork) */
    LOCK_RANK_MODULES,          /* symbolize.c: modules unloaded by dlclose */
    LOCK_RANK_RETENTION,        /* retention.c: the watch registry */
    LOCK_RANK_WATCH,            /* retention.c: one watch, while its block is copied */
    LOCK_RANK_REFERENTS,        /* referents.c: freed-address set */
    LOCK_RANK_SITES,            /* site_table.c: inserting a site */
    LOCK_RANK_THREADS,          /* thread_state.c: the record pool */
    LOCK_RANK_BLOCKS,           /* block_table.c: the 64 shards */
    LOCK_RANK_MAPPINGS,         /* mapping_table.c: tracked mappings (nothing taken under it) */
    LOCK_RANK_ARENA,            /* arena.c: leaf, taken under several of the above */
};

/* Debug builds (-DRETAIN_DEBUG) check the ranks as locks are taken: a
 * thread may take a lock only while every lock it holds has a lower rank,
 * or the same rank where a module takes a group (the 64 shards at fork). */
#ifdef RETAIN_DEBUG
void lock_rank_violation(enum lock_rank held, enum lock_rank taking);
extern __thread unsigned lock_ranks_held;
static inline void lock_rank_acquire(enum lock_rank r)
{
    unsigned above = lock_ranks_held & ~((2u << r) - 1);
    if (above)
        lock_rank_violation((enum lock_rank)(31 - __builtin_clz(above)), r);
    lock_ranks_held |= 1u << r;
}
static inline void lock_rank_release(enum lock_rank r) { lock_ranks_held &= ~(1u << r); }
#else
static inline void lock_rank_acquire(enum lock_rank r) { (void)r; }
static inline void lock_rank_release(enum lock_rank r) { (void)r; }
#endif

struct module_lifecycle {
    const char *name;
    enum lock_rank rank;        /* of the module's first lock */
    void (*init)(void);         /* start-up, in table order; NULL if none */
    void (*prefork)(void);      /* take the module's locks */
    void (*postfork_parent)(void);
    void (*postfork_child)(void);   /* re-initialise: only this thread exists */
};

#endif
