#include "sampler.h"
#include "clock.h"
#include "config.h"
#include "guard.h"
#include "log.h"
#include "mutex.h"
#include "real_alloc.h"
#include "report.h"
#include "retention.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Requests to the thread, as bits. */
enum { REQ_NOW = 1, REQ_FINAL = 2, REQ_PARK = 4 };

/* How often the thread checks that it is not the last one left: soon after
 * a thread ended (in steps that double from 2 ms), else every second. */
#define ALONE_CHECK_MS 1000
#define ALONE_RECHECK_FIRST_MS 2
#define ALONE_RECHECK_STEPS 9
#define WAIT_MAX_MS 100

static struct {
    pthread_t thread;
    int running;                /* thread made and not parked */
    int made;                   /* a thread was made (or could not be): never again */
    int parked_for_good;        /* no thread may be made any more (sandbox, exit) */
    sem_t wake;                 /* posted for any request, signal or poke */
    sem_t now_done, final_done, parked;
    struct rmutex now_lock;     /* one retain_report_now() at a time */
    int now_rc;
    unsigned requests;          /* REQ_* bits, atomic */
    volatile sig_atomic_t signal_requested;
    sigset_t program_mask;      /* the mask of the thread that made us */
    int (*each_wake)(void);     /* returns 1 when it found work (new objects) */
    int soon;                   /* each_wake wanted soon: a load is under way (atomic) */
    int thread_ended;           /* a program thread ended: check soon (atomic) */
    struct measure_scratch *scratch;    /* this thread's (retention.h) */
} S = { .now_lock = RMUTEX_INIT(LOCK_RANK_SAMPLER_REQUEST) };

int sampler_wanted;

static void on_report_signal(int sig)
{
    int saved = errno;
    S.signal_requested = 1;
    if (!__atomic_load_n(&S.running, __ATOMIC_RELAXED))
        __atomic_store_n(&sampler_wanted, 1, __ATOMIC_RELAXED);
    sem_post(&S.wake);                  /* async-signal-safe */
    errno = saved;
}

/* The report signal while the handler below is installed: what the
 * program would see there without libretain (what it found at start-up,
 * or set since), told to it by sigaction and signal (interpose_signal.c).
 * A program that saves the disposition and restores it later (Python's
 * signal.getsignal: None for a handler it did not install, which
 * signal.signal then refuses) must find and put back what it would plain. */
static struct {
    int sig;                    /* 0: the handler is not installed */
    struct sigaction view;
} report_signal;

static void install_signal(void)
{
    int sig = retain_config.signal;
    if (!sig || !real.sigaction)
        return;
    struct sigaction old, sa;
    if (real.sigaction(sig, NULL, &old) < 0)
        return;
    /* A disposition the program chose (ignored, or its own handler, say
     * inherited through exec as "ignore") is left alone. */
    if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler != SIG_DFL) {
        /* Said only when the user chose the signal: an inherited "ignore"
         * would otherwise put this line in every process of a tree. */
        if (retain_config.signal_explicit)
            log_error("RETAIN_SIGNAL %d is already ignored or handled by the program; "
                      "reports on signal are off", sig);
        return;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_report_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    report_signal.view = old;
    if (real.sigaction(sig, &sa, NULL) == 0)
        __atomic_store_n(&report_signal.sig, sig, __ATOMIC_RELEASE);
}

int sampler_signal_view(int sig, struct sigaction *view)
{
    if (sig <= 0 || __atomic_load_n(&report_signal.sig, __ATOMIC_ACQUIRE) != sig)
        return 0;
    if (view)
        *view = report_signal.view;
    return 1;
}

void sampler_signal_set_view(const struct sigaction *view)
{
    report_signal.view = *view;
}

void sampler_signal_release(void)
{
    __atomic_store_n(&report_signal.sig, 0, __ATOMIC_RELEASE);
}

/* ---- the last thread standing ------------------------------------------ */

/* Field 3 (state) and field 20 (num_threads) of /proc/self/stat.  The
 * count includes a thread-group leader that has ended but stays a zombie
 * until the whole group ends (main() left through pthread_exit).  The file
 * is opened for each look and closed at once: a descriptor kept open would
 * be one more the program sees in /proc/self/fd. */
static int only_thread_left(void)
{
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *p = strrchr(buf, ')');        /* the name may hold spaces and ')' */
    if (!p || p[1] != ' ')
        return 0;
    char state = p[2];
    p += 2;
    for (int field = 3; field < 20; field++) {
        p = strchr(p, ' ');
        if (!p)
            return 0;
        p++;
    }
    long threads = strtol(p, NULL, 10);
    return threads == 1 || (threads == 2 && state == 'Z');
}

void sampler_thread_ended(void)
{
    if (__atomic_load_n(&S.running, __ATOMIC_RELAXED)) {
        __atomic_store_n(&S.thread_ended, 1, __ATOMIC_RELAXED);
        sem_post(&S.wake);
    }
}

/* glibc ends the process with exit(0) when its last thread ends; the
 * sampler does the same on the program's behalf.  Signals that arrived
 * while no thread could take them are delivered first, as the program's
 * own threads would have taken them. */
static void end_process_as_last_thread(void)
{
    pthread_sigmask(SIG_SETMASK, &S.program_mask, NULL);
    exit(0);
}

/* ---- the thread ---------------------------------------------------------- */

static void deadline_after(struct timespec *t, uint64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, t);
    t->tv_sec += (time_t)(ms / 1000);
    t->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static void park(void)
{
    __atomic_store_n(&S.parked_for_good, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&S.running, 0, __ATOMIC_RELEASE);
    sem_post(&S.parked);
    for (;;)
        pause();                        /* every signal is blocked here */
}

static void *sampler_main(void *arg)
{
    guard_enter();                      /* for the life of the thread */
    /* Named from inside: one prctl here, where naming it from the creating
     * thread opened /proc/self/task/TID/comm on the program's thread. */
    prctl(PR_SET_NAME, "retain-sampler", 0, 0, 0);
    if (!S.scratch)
        S.scratch = retention_scratch_new();
    retention_scratch_adopt(S.scratch);
    uint64_t next_periodic = 0, next_alone_check = clock_now_ns() + ALONE_CHECK_MS * 1000000ull;
    int recheck = 0;                    /* steps left after a thread ended */
    int soon_steps = 0;                 /* 1 ms looks left for a load under way */
    uint64_t recheck_ms = 0;
    if (retain_config.report_interval_s)
        next_periodic = clock_now_ns() + retain_config.report_interval_s * 1000000000ull;
    for (;;) {
        uint64_t wait_ms = retention_next_wait_ms(S.scratch);
        if (wait_ms > WAIT_MAX_MS)
            wait_ms = WAIT_MAX_MS;
        if (recheck && wait_ms > recheck_ms)
            wait_ms = recheck_ms;
        if (soon_steps && wait_ms > 1)
            wait_ms = 1;
        struct timespec until;
        deadline_after(&until, wait_ms);
        sem_clockwait(&S.wake, CLOCK_MONOTONIC, &until);

        unsigned req = __atomic_exchange_n(&S.requests, 0, __ATOMIC_ACQ_REL);
        if (req & REQ_PARK)
            park();
        if (req & REQ_NOW) {
            S.now_rc = report_write(REPORT_SIGNAL, S.scratch);
            sem_post(&S.now_done);
        }
        if (req & REQ_FINAL) {
            report_write(REPORT_EXIT, S.scratch);
            sem_post(&S.final_done);
            park();
        }
        if (__atomic_exchange_n(&S.soon, 0, __ATOMIC_ACQ_REL))
            soon_steps = 200;
        if (S.each_wake && S.each_wake())
            soon_steps = 0;             /* the load it waited for is seen */
        else if (soon_steps)
            soon_steps--;
        if (S.scratch)
            retention_sample_pass(S.scratch);
        if (S.signal_requested) {
            S.signal_requested = 0;
            report_write(REPORT_SIGNAL, S.scratch);
        }
        if (next_periodic && clock_now_ns() >= next_periodic) {
            report_write(REPORT_PERIODIC, S.scratch);
            next_periodic = clock_now_ns() + retain_config.report_interval_s * 1000000000ull;
        }
        if (__atomic_exchange_n(&S.thread_ended, 0, __ATOMIC_ACQ_REL)) {
            /* The thread is still ending: look again shortly, then less. */
            recheck = ALONE_RECHECK_STEPS;
            recheck_ms = ALONE_RECHECK_FIRST_MS;
        }
        uint64_t now = clock_now_ns();
        if (recheck || now >= next_alone_check) {
            if (only_thread_left())
                end_process_as_last_thread();
            next_alone_check = now + ALONE_CHECK_MS * 1000000ull;
            if (recheck && --recheck)
                recheck_ms *= 2;
        }
    }
    return arg;
}

static void spawn(void)
{
    /* The thread must never run the program's signal handlers. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &S.program_mask);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* Reports run libdw here, which recurses over DWARF trees; untouched
     * stack pages cost nothing, and this stack is reserved now, so a report
     * never needs to grow one later. */
    pthread_attr_setstacksize(&attr, 1024 * 1024);
    if (pthread_create(&S.thread, &attr, sampler_main, NULL) == 0) {
        S.running = 1;
    } else if (retain_config.quiet != 1) {
        log_error("could not start the sampler thread; reports on signal are off");
    }
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &S.program_mask, NULL);
}

static void init_state(void)
{
    sem_init(&S.wake, 0, 0);
    sem_init(&S.now_done, 0, 0);
    sem_init(&S.final_done, 0, 0);
    sem_init(&S.parked, 0, 0);
    S.requests = 0;
    S.signal_requested = 0;
    S.running = 0;
    S.made = 0;
    S.parked_for_good = 0;
    sampler_wanted = 0;
}

void sampler_soon(void)
{
    __atomic_store_n(&S.soon, 1, __ATOMIC_RELEASE);
    sampler_poke();
}

void sampler_start(int (*each_wake)(void))
{
    S.each_wake = each_wake;
    init_state();
    install_signal();
    if (retain_config.report_interval_s)
        sampler_ensure();
}

void sampler_ensure(void)
{
    if (__builtin_expect(__atomic_load_n(&S.running, __ATOMIC_ACQUIRE), 1)) {
        if (__atomic_load_n(&sampler_wanted, __ATOMIC_RELAXED))
            __atomic_store_n(&sampler_wanted, 0, __ATOMIC_RELAXED);
        return;
    }
    __atomic_store_n(&sampler_wanted, 0, __ATOMIC_RELAXED);
    if (
        __atomic_load_n(&S.parked_for_good, __ATOMIC_ACQUIRE) ||
        __atomic_exchange_n(&S.made, 1, __ATOMIC_ACQ_REL))
        return;
    spawn();
    /* A signal that came before the thread: it writes that report now. */
    if (S.signal_requested)
        sem_post(&S.wake);
}

int sampler_is_self(void)
{
    return __atomic_load_n(&S.running, __ATOMIC_ACQUIRE) && pthread_equal(pthread_self(), S.thread);
}

struct measure_scratch *sampler_scratch(void) { return S.scratch; }

int sampler_running(void) { return __atomic_load_n(&S.running, __ATOMIC_ACQUIRE); }

static void request(unsigned bit)
{
    __atomic_or_fetch(&S.requests, bit, __ATOMIC_ACQ_REL);
    sem_post(&S.wake);
}

static int wait_until(sem_t *s, const struct timespec *until)
{
    for (;;) {
        int rc = until ? sem_clockwait(s, CLOCK_MONOTONIC, until) : sem_wait(s);
        if (rc == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

int sampler_report(enum report_reason reason)
{
    sampler_ensure();
    if (!sampler_running() || sampler_is_self())
        return SAMPLER_UNAVAILABLE;
    rmutex_lock(&S.now_lock);
    request(REQ_NOW);
    int rc;
    for (;;) {
        /* The thread may park (final report, sandbox) before it serves us. */
        struct timespec until;
        deadline_after(&until, WAIT_MAX_MS);
        if (wait_until(&S.now_done, &until) == 0) {
            rc = S.now_rc;
            break;
        }
        if (!sampler_running()) {
            rc = -1;
            break;
        }
    }
    rmutex_unlock(&S.now_lock);
    return rc;
}

int sampler_finish(unsigned timeout_ms)
{
    if (!sampler_running() || sampler_is_self())
        return SAMPLER_UNAVAILABLE;
    struct timespec until;
    deadline_after(&until, timeout_ms);
    request(REQ_FINAL);
    return wait_until(&S.final_done, &until);
}

void sampler_park(void)
{
    __atomic_store_n(&S.parked_for_good, 1, __ATOMIC_RELEASE);
    if (!sampler_running() || sampler_is_self())
        return;
    struct timespec until;
    deadline_after(&until, 2000);
    request(REQ_PARK);
    wait_until(&S.parked, &until);
}

void sampler_poke(void)
{
    if (__atomic_load_n(&S.running, __ATOMIC_RELAXED))
        sem_post(&S.wake);
}

void sampler_after_fork_child(void)
{
    /* Threads do not survive fork: a child whose parent had a sampler gets
     * its own (it has the parent's watched blocks), others stay lazy. */
    int had = S.running;
    rmutex_reset(&S.now_lock);
    sem_destroy(&S.wake);
    init_state();
    S.thread_ended = 0;
    /* Started by the child's next allocation or free (sampler_wanted), not
     * here: fork() returns to the child sooner (a thread spawned in the
     * child was most of fork's extra latency) and a child that execs at
     * once never makes one.  Periodic reports need it running now. */
    if (had && retain_config.report_interval_s)
        sampler_ensure();
    else if (had)
        __atomic_store_n(&sampler_wanted, 1, __ATOMIC_RELAXED);
}
