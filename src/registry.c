/* registry.c: every module's start-up and fork hooks, in lock-rank order
 * (lifecycle.h): the one place that knows them all.  The composition root
 * (profiler.c) runs it; the unit tests run it too (tests/unit/test_registry.c
 * checks that prefork holds every lock the table names). */
#include "registry.h"
#include "arena.h"
#include "block_table.h"
#include "interp.h"
#include "lifecycle.h"
#include "mapping_table.h"
#include "modules.h"
#include "referents.h"
#include "report.h"
#include "retention.h"
#include "sampler.h"
#include "site_table.h"
#include "thread_state.h"

#include <stddef.h>

static void retention_start(void) { retention_init(sampler_poke); }
static void threads_start(void)
{
    thread_state_init();
    thread_state_on_exit(sampler_thread_ended);
}

/* Lock-rank order (lifecycle.h).  The report lock is not taken at fork: a
 * report can take long, and the child re-creates its state. */
static const struct module_lifecycle modules[] = {
    { "threads", LOCK_RANK_THREADS, threads_start, NULL, NULL, NULL },
    { "sampler", LOCK_RANK_SAMPLER_REQUEST, NULL, NULL, NULL, NULL },
    { "report", LOCK_RANK_REPORT, NULL, NULL, NULL, report_after_fork_child },
    { "modules", LOCK_RANK_MODULES, NULL, modules_lock, modules_unlock, modules_after_fork_child },
    { "retention", LOCK_RANK_RETENTION, retention_start, retention_lock, retention_unlock,
      retention_after_fork_child },
    { "referents", LOCK_RANK_REFERENTS, NULL, referents_lock, referents_unlock,
      referents_after_fork_child },
    { "interp", LOCK_RANK_SITES, interp_init, interp_lock, interp_unlock, interp_after_fork_child },
    { "sites", LOCK_RANK_SITES, site_table_init, site_table_lock, site_table_unlock,
      site_table_after_fork_child },
    { "thread pool", LOCK_RANK_THREADS, NULL, thread_state_lock, thread_state_unlock,
      thread_state_after_fork_child },
    { "blocks", LOCK_RANK_BLOCKS, NULL, block_table_lock_all, block_table_unlock_all,
      block_table_after_fork_child },
    { "mappings", LOCK_RANK_MAPPINGS, NULL, mapping_table_lock, mapping_table_unlock,
      mapping_table_after_fork_child },
    { "arena", LOCK_RANK_ARENA, NULL, arena_lock, arena_unlock, arena_after_fork_child },
};
#define NMODULES (sizeof modules / sizeof modules[0])

void registry_init(void)
{
    for (size_t i = 0; i < NMODULES; i++)
        if (modules[i].init)
            modules[i].init();
}

void registry_prefork(void)
{
    for (size_t i = 0; i < NMODULES; i++)
        if (modules[i].prefork)
            modules[i].prefork();
}

void registry_postfork_parent(void)
{
    for (size_t i = NMODULES; i-- > 0;)
        if (modules[i].postfork_parent)
            modules[i].postfork_parent();
}

void registry_postfork_child(void)
{
    for (size_t i = NMODULES; i-- > 0;)
        if (modules[i].postfork_child)
            modules[i].postfork_child();
}
