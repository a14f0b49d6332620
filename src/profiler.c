/* profiler.c: start-up, fork and exit.
 *
 * Start-up runs as an ELF constructor.  The preloaded library is initialised
 * before the program's own constructors and finalised after its atexit
 * handlers and static destructors, so the exit report sees a C++ map
 * destroyed when main returns as freed. */
#include "profiler.h"
#include "arena.h"
#include "block_table.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "real_alloc.h"
#include "referents.h"
#include "report.h"
#include "retention.h"
#include "sampler.h"
#include "site_table.h"
#include "thread_state.h"
#include "unwind.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct profiler profiler;

static void fork_prepare(void)
{
    retain_guard++;
    /* Fixed order, the same everywhere locks nest.  The report lock is not
     * taken: a report can take long, and the child re-creates its state. */
    retention_lock();
    referents_lock();
    site_table_lock();
    thread_state_lock();
    block_table_lock_all();
}

static void fork_parent(void)
{
    block_table_unlock_all();
    thread_state_unlock();
    site_table_unlock();
    referents_unlock();
    retention_unlock();
    retain_guard--;
}

static void fork_child(void)
{
    block_table_after_fork_child();
    thread_state_after_fork_child();
    site_table_after_fork_child();
    retention_after_fork_child();
    referents_after_fork_child();
    report_after_fork_child();
    profiler.pid = getpid();
    profiler.forked = 1;
    profiler.finished = 0;
    sampler_after_fork_child();
    retain_guard--;
}

__attribute__((constructor)) static void profiler_start(void)
{
    retain_guard++;
    real_alloc_resolve();
    real_alloc_identify();
    config_load();
    profiler.start_ns = clock_now_ns();
    profiler.pid = getpid();
    /* A daemon may chdir("/") later; its report still goes where it started. */
    if (!getcwd(profiler.start_dir, sizeof profiler.start_dir))
        profiler.start_dir[0] = 0;
    thread_state_init();
    site_table_init();
    block_table_init();
    unwind_init();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    /* quick_exit skips destructors and leaves through libc's internal _exit;
     * registered first, this handler runs after the program's own. */
    at_quick_exit(profiler_finish);
    __atomic_store_n(&profiler.ready, 1, __ATOMIC_RELEASE);
    sampler_start();
    retain_guard--;
}

void profiler_finish(void)
{
    if (!__atomic_load_n(&profiler.ready, __ATOMIC_ACQUIRE) || profiler.finished)
        return;
    if (getpid() != profiler.pid)       /* vfork child: not our memory to touch */
        return;
    retain_guard++;
    sampler_stop();
    report_write(REPORT_EXIT);
    profiler.finished = 1;
    retain_guard--;
}

__attribute__((destructor)) static void profiler_stop(void)
{
    profiler_finish();
}
