/* profiler.c: start-up, fork, exit and sandboxes: the composition root.
 *
 * Start-up runs as an ELF constructor.  The preloaded library is initialised
 * before the program's own constructors and finalised after its atexit
 * handlers and static destructors, so the exit report sees a C++ map
 * destroyed when main returns as freed. */
#include "profiler.h"
#include "modules.h"
#include "process.h"
#include "arena.h"
#include "block_table.h"
#include "clock.h"
#include "config.h"
#include "dwlib.h"
#include "fds.h"
#include "guard.h"
#include "internal_alloc.h"
#include "interp.h"
#include "lifecycle.h"
#include "log.h"
#include "real_alloc.h"
#include "rebind.h"
#include "registry.h"
#include "referents.h"
#include "report.h"
#include "seccomp_filter.h"
#include "retention.h"
#include "sampler.h"
#include "site_table.h"
#include "strbuf.h"
#include "symbolize.h"
#include "thread_state.h"
#include "unwind.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct profiler profiler;

/* profiler.finished: the final report not yet begun, being written, done
 * (or given up). */
enum { RUNNING, FINISHING, FINISHED };

/* The final report may take long in a large program (symbolization); past
 * this the exit goes on without it rather than hang. */
#define FINISH_TIMEOUT_MS 20000

/* A final report written on the exiting thread (there is no sampler thread)
 * runs on this stack, mapped at start-up: the thread's own stack may be
 * unable to grow by then (RLIMIT_AS used up) or be a signal handler's.
 * libdw recurses over DWARF trees; untouched pages cost nothing. */
#define REPORT_STACK_BYTES (1024 * 1024)
static void *exit_report_stack;

static struct guard fork_guard;

static void fork_prepare(void)
{
    fork_guard = guard_enter();
    unwind_prepare_fork();
    registry_prefork();
}

static void fork_parent(void)
{
    registry_postfork_parent();
    guard_leave(fork_guard);
}

static void fork_child(void)
{
    registry_postfork_child();
    process.pid = getpid();
    process.forked = 1;
    __atomic_store_n(&profiler.finished, RUNNING, __ATOMIC_RELEASE);
    fds_init();
    if (!profiler.sandboxed)
        sampler_after_fork_child();
    guard_leave(fork_guard);
}

/* "Seccomp:" of /proc/self/status: 0 none, 1 strict, 2 filter.  Reading it
 * takes only calls the dynamic loader made to load this library. */
static int seccomp_mode(void)
{
    size_t len;
    char *status = read_small_file("/proc/self/status", 1 << 16, &len);
    if (!status)
        return 0;
    const char *p = strstr(status, "\nSeccomp:");
    int mode = p ? atoi(p + 9) : 0;
    internal_free(status);
    return mode;
}

__attribute__((constructor)) static void profiler_start(void)
{
    struct guard g = guard_enter();
    real_alloc_resolve();
    real_alloc_identify();
    log_init();
    config_load();
    dwlib_init();
    fds_init();
    clock_start_ns = process.start_ns = clock_coarse_ns();
    process.pid = getpid();
    const char *preload = getenv("LD_PRELOAD");
    struct module_info self;
    process.preloaded_by_env =
        preload && (strstr(preload, "libretain") ||
                    (modules_object_at((uintptr_t)&profiler_finish, &self) && self.path[0] &&
                     strstr(preload, self.path)));
    /* A daemon may chdir("/") later; its report still goes where it started. */
    if (!getcwd(process.start_dir, sizeof process.start_dir))
        process.start_dir[0] = 0;
    exit_report_stack = mmap(NULL, REPORT_STACK_BYTES, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (exit_report_stack == MAP_FAILED)
        exit_report_stack = NULL;
    else
        mprotect(exit_report_stack, 4096, PROT_NONE);        /* guard page */
    int mode = seccomp_mode();
    if (mode) {
        /* Under a filter, any call of ours the program does not make itself
         * (the sampler's reads, the report's files) may be fatal. */
        if (retain_config.quiet != 1)
            log_error("a seccomp filter is active (mode %d): profiling is off in this process", mode);
        guard_leave(g);
        return;
    }
    registry_init();
    unwind_init();
    rebind_init();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    /* quick_exit skips destructors and leaves through libc's internal _exit;
     * registered first, this handler runs after the program's own. */
    at_quick_exit(profiler_finish);
    __atomic_store_n(&profiler.ready, 1, __ATOMIC_RELEASE);
    sampler_start(rebind_check);
    guard_leave(g);
}

/* A second thread ending the process while the first writes the final
 * report (exit in one thread, _exit in another) waits for it, a bounded
 * time: the report is the one thing the profiler adds to how a process
 * ends, and it should not be cut in half. */
static void wait_finished(void)
{
    struct timespec step = { 0, 1000000 };
    for (int ms = 0; ms < FINISH_TIMEOUT_MS &&
                     __atomic_load_n(&profiler.finished, __ATOMIC_ACQUIRE) != FINISHED; ms++)
        nanosleep(&step, NULL);
}

static ucontext_t caller_context, report_context;

static void final_report_on_stack(void)
{
    report_write(REPORT_EXIT, retention_scratch_fallback());
}

/* No sampler thread: the exit report is written here, on exit_report_stack. */
static void final_report_here(void)
{
    if (!exit_report_stack || getcontext(&report_context) != 0) {
        final_report_on_stack();
        return;
    }
    report_context.uc_stack.ss_sp = exit_report_stack;
    report_context.uc_stack.ss_size = REPORT_STACK_BYTES;
    report_context.uc_link = &caller_context;
    makecontext(&report_context, final_report_on_stack, 0);
    if (swapcontext(&caller_context, &report_context) != 0)
        final_report_on_stack();
}

void profiler_finish(void)
{
    if (!__atomic_load_n(&profiler.ready, __ATOMIC_ACQUIRE))
        return;
    if (getpid() != process.pid)       /* vfork child: not our memory to touch */
        return;
    int state = RUNNING;
    if (!__atomic_compare_exchange_n(&profiler.finished, &state, FINISHING, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        if (state == FINISHING && !guard_held())
            wait_finished();
        return;
    }
    if (guard_held() && !sampler_is_self()) {
        /* exit or _exit from a signal handler that interrupted malloc or
         * libretain on this thread: the locks this thread holds may be the
         * ones a report needs, and it will never release them.  Skipped,
         * and said: the last report written (signal, periodic) stays. */
        if (retain_config.quiet != 1)
            log_error("exit from a signal handler during an allocation: final report skipped");
        __atomic_store_n(&profiler.finished, FINISHED, __ATOMIC_RELEASE);
        return;
    }
    struct guard g = guard_enter();
    /* The exit report's stacks need libdw (dwlib.h): loaded here, on the
     * exiting thread, rather than by the sampler thread that writes the
     * report.  exit() called while this thread holds the dynamic loader's
     * lock (from a library constructor inside dlopen) would otherwise have
     * the sampler wait for the lock and this thread for the sampler.  Not
     * loaded when no object would need it (symbolize.h): a stripped server's
     * frames are named from the loaded images. */
    if (site_count() > 0 && symbolizer_needs_libdw())
        dwlib_load();
    int rc = sampler_finish(FINISH_TIMEOUT_MS);
    if (rc == SAMPLER_UNAVAILABLE) {
        if (sampler_is_self())
            report_write(REPORT_EXIT, sampler_scratch());
        else
            final_report_here();
    }
    else if (rc < 0 && retain_config.quiet != 1)
        log_error("the final report took over %d s; exiting without it", FINISH_TIMEOUT_MS / 1000);
    __atomic_store_n(&profiler.finished, FINISHED, __ATOMIC_RELEASE);
    guard_leave(g);
}

/* The system calls libretain makes after start-up, with the arguments it
 * passes (where a filter may look at them). */
enum call_place { ANY_THREAD, SAMPLER_THREAD };
static const struct profiler_call {
    enum call_place where;
    int nr;
    long args[6];
} profiler_calls[] = {
    /* the allocation path: arena and block-table memory, locks, exit */
    { ANY_THREAD, SYS_mmap, { 0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 } },
    { ANY_THREAD, SYS_munmap, { 0, 1 << 20 } },
    { ANY_THREAD, SYS_futex, { 0, FUTEX_WAIT_PRIVATE } },
    { ANY_THREAD, SYS_futex, { 0, FUTEX_WAKE_PRIVATE, 1 } },
    { ANY_THREAD, SYS_futex, { 0, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME } },
    { ANY_THREAD, SYS_sched_yield, { 0 } },
    { ANY_THREAD, SYS_getpid, { 0 } },
    { ANY_THREAD, SYS_write, { 2 } },
    { ANY_THREAD, SYS_newfstatat, { 2, 0, 0, AT_EMPTY_PATH } },
    { ANY_THREAD, SYS_fstat, { 2 } },
    /* libunwind, unwinding on the allocating thread: memory validation
     * (mincore, or msync, then a byte through its pipe), the pipe reopened */
    { ANY_THREAD, SYS_mincore, { 0, 4096, 0 } },
    { ANY_THREAD, SYS_msync, { 0, 4096, MS_ASYNC } },
    { ANY_THREAD, SYS_read, { 992 } },
    { ANY_THREAD, SYS_write, { 993 } },
    { ANY_THREAD, SYS_pipe2, { 0, O_CLOEXEC | O_NONBLOCK } },
    /* the sampler: measurements and every report */
    { SAMPLER_THREAD, SYS_openat, { AT_FDCWD, 0, O_RDONLY | O_CLOEXEC } },
    { SAMPLER_THREAD, SYS_openat, { AT_FDCWD, 0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600 } },
    { SAMPLER_THREAD, SYS_read, { 3 } },
    { SAMPLER_THREAD, SYS_pread64, { 3 } },
    { SAMPLER_THREAD, SYS_write, { 3 } },
    { SAMPLER_THREAD, SYS_close, { 3 } },
    { SAMPLER_THREAD, SYS_lseek, { 3 } },
    { SAMPLER_THREAD, SYS_rename, { 0 } },
    { SAMPLER_THREAD, SYS_renameat, { AT_FDCWD, 0, AT_FDCWD, 0 } },
    { SAMPLER_THREAD, SYS_unlink, { 0 } },
    { SAMPLER_THREAD, SYS_readlink, { 0 } },
    { SAMPLER_THREAD, SYS_getcwd, { 0 } },
    { SAMPLER_THREAD, SYS_getppid, { 0 } },
    { SAMPLER_THREAD, SYS_mprotect, { 0, 4096, PROT_READ } },
    { SAMPLER_THREAD, SYS_madvise, { 0, 4096, MADV_DONTNEED } },
    { SAMPLER_THREAD, SYS_brk, { 0 } },
    { SAMPLER_THREAD, SYS_clock_gettime, { CLOCK_THREAD_CPUTIME_ID } },
    { SAMPLER_THREAD, SYS_clock_nanosleep, { CLOCK_MONOTONIC } },
    { SAMPLER_THREAD, SYS_nanosleep, { 0 } },
    { SAMPLER_THREAD, SYS_rt_sigprocmask, { SIG_SETMASK } },
    { SAMPLER_THREAD, SYS_exit_group, { 0 } },
    { SAMPLER_THREAD, SYS_mincore, { 0, 4096, 0 } },
    { SAMPLER_THREAD, SYS_prctl, { PR_SET_NAME } },
    /* process_vm_readv failing with an errno is fine (memcpy under the
     * block's lock instead); killing is not */
    { SAMPLER_THREAD, SYS_process_vm_readv, { 0, 0, 1, 0, 1, 0 } },
};

/* Whether the filter would kill or trap one of the profiler's calls made
 * where it applies. */
static const char *fatal_call(const struct sock_fprog *prog, int sampler_filtered)
{
    for (size_t i = 0; i < sizeof profiler_calls / sizeof profiler_calls[0]; i++) {
        const struct profiler_call *c = &profiler_calls[i];
        if (c->where == SAMPLER_THREAD && !sampler_filtered)
            continue;
        struct seccomp_data d;
        memset(&d, 0, sizeof d);
        d.nr = c->nr;
        d.arch = seccomp_native_arch();
        for (int j = 0; j < 6; j++)
            d.args[j] = (uint64_t)c->args[j];
        if (!prog || seccomp_action_fatal(seccomp_filter_run(prog, &d)))
            return c->where == ANY_THREAD ? "the allocation path" : "the sampler";
    }
    return NULL;
}

void profiler_seccomp(const void *prog, int all_threads)
{
    if (!__atomic_load_n(&profiler.ready, __ATOMIC_ACQUIRE) || profiler.sandboxed)
        return;
    struct guard g = guard_enter();
    /* A filter on this thread alone still reaches the sampler's work when
     * there is no sampler thread (reports are then written here). */
    const char *where = fatal_call(prog, all_threads || !sampler_running());
    if (!where) {
        /* Profiling goes on under the filter: libdw is loaded now, while
         * opening and mapping files is still allowed (a filter that lets
         * the sampler's reads through may refuse dlopen's mmap). */
        dwlib_load();
    } else {
        if (retain_config.quiet != 1)
            log_error("the program installs a seccomp filter that forbids calls of %s: "
                      "profiling stops here, no further reports", where);
        sampler_park();
        profiler.sandboxed = 1;
        __atomic_store_n(&profiler.finished, FINISHED, __ATOMIC_RELEASE);
        __atomic_store_n(&profiler.ready, 0, __ATOMIC_RELEASE);
    }
    guard_leave(g);
}

__attribute__((destructor)) static void profiler_stop(void)
{
    profiler_finish();
}
