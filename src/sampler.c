#include "sampler.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "profiler.h"
#include "report.h"
#include "retention.h"
#include "thread_state.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <time.h>

static sem_t wake;
static pthread_t thread;
static int running;
static volatile sig_atomic_t report_requested;
static int stopping;

static void on_report_signal(int sig)
{
    int saved = errno;
    report_requested = 1;
    sem_post(&wake);                    /* async-signal-safe */
    errno = saved;
}

static void install_signal(void)
{
    int sig = retain_config.signal;
    if (!sig)
        return;
    struct sigaction old, sa;
    if (sigaction(sig, NULL, &old) < 0)
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
    sigaction(sig, &sa, NULL);
}

static void *sampler_main(void *arg)
{
    retain_guard = 1;
    uint64_t next_periodic = 0;
    if (retain_config.report_interval_s)
        next_periodic = clock_now_ns() + retain_config.report_interval_s * 1000000000ull;
    while (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
        uint64_t wait_ms = retention_next_wait_ms();
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        sem_clockwait(&wake, CLOCK_MONOTONIC, &until);
        if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
            break;
        retention_sample_pass();
        if (report_requested) {
            report_requested = 0;
            report_write(REPORT_SIGNAL);
        }
        if (next_periodic && clock_now_ns() >= next_periodic) {
            report_write(REPORT_PERIODIC);
            next_periodic = clock_now_ns() + retain_config.report_interval_s * 1000000000ull;
        }
    }
    return NULL;
}

static void spawn(void)
{
    /* The thread must never run the program's signal handlers. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* Reports run libdw here, which recurses over DWARF trees; untouched
     * stack pages cost nothing. */
    pthread_attr_setstacksize(&attr, 1024 * 1024);
    if (pthread_create(&thread, &attr, sampler_main, NULL) == 0) {
        running = 1;
        pthread_setname_np(thread, "retain-sampler");
    } else {
        log_error("could not start the sampler thread; reports on signal are off");
    }
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void sampler_start(void)
{
    sem_init(&wake, 0, 0);
    spawn();
    if (running)
        install_signal();
}

void sampler_poke(void)
{
    if (running)
        sem_post(&wake);
}

void sampler_stop(void)
{
    if (!running)
        return;
    __atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
    sem_post(&wake);
    /* Wait for the thread unless the caller is that thread, so that the exit
     * report never runs beside a periodic one.  The thread's waits are short. */
    if (!pthread_equal(pthread_self(), thread))
        pthread_join(thread, NULL);
    running = 0;
}

void sampler_after_fork_child(void)
{
    /* Threads do not survive fork: start a new sampler for the child. */
    running = 0;
    stopping = 0;
    report_requested = 0;
    sem_destroy(&wake);
    sem_init(&wake, 0, 0);
    spawn();
}
