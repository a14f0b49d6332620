/* interpose_signal.c: the report signal's handler, invisible to the program.
 *
 * libretain installs a handler for RETAIN_SIGNAL (SIGUSR2) when the program
 * has none.  A program that asks what is installed there must not find it:
 * CPython's signal module reads every disposition at start-up and calls one
 * it did not install None; `old = signal.getsignal(SIGUSR2) ...
 * signal.signal(SIGUSR2, old)` then raised TypeError and the program exited
 * 1.  So, while the handler is installed (sampler.h):
 * - a query answers what the program would see plain (SIG_DFL at start-up,
 *   or what it set since);
 * - setting SIG_DFL only changes that answer: the handler stays, as it
 *   stood over the default at start-up;
 * - setting SIG_IGN or a handler of its own is done, and the signal is the
 *   program's from then on (reports on signal are off, as when the program
 *   had a handler at start-up).
 * Other signals, and every call once the signal is the program's, go
 * straight to the C library.  glibc's own internal calls (sigaction from
 * signal() inside libc, posix_spawn's resets) do not come through here. */
#include "real_alloc.h"
#include "sampler.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/* sigaction and __sigaction on the report signal; next is the C
 * library's (NULL until looked up: real_alloc_resolve). */
static int report_sigaction(int (*next)(int, const struct sigaction *, struct sigaction *),
                            int sig, const struct sigaction *act, struct sigaction *oldact)
{
    struct sigaction view;
    if (!next) {
        errno = ENOSYS;
        return -1;
    }
    if (!sampler_signal_view(sig, &view))
        return next(sig, act, oldact);
    if (act && act->sa_handler != SIG_DFL) {
        /* The program's own disposition: installed, and the signal is its. */
        int rc = next(sig, act, NULL);
        if (rc < 0)
            return rc;
        sampler_signal_release();
    } else if (act) {
        sampler_signal_set_view(act);
    }
    if (oldact)
        *oldact = view;
    return 0;
}

#define SIGACTION_HOOK(name)                                                                \
    EXPORT int name(int sig, const struct sigaction *act, struct sigaction *oldact)        \
    {                                                                                        \
        if (!real.name)                                                                      \
            real_alloc_resolve();                                                            \
        return report_sigaction(real.name, sig, act, oldact);                                \
    }

SIGACTION_HOOK(sigaction)
SIGACTION_HOOK(__sigaction)

/* signal() and its aliases on the report signal: the handler the program
 * would find there plain is the one returned. */
static sighandler_t report_signal_fn(sighandler_t (*next)(int, sighandler_t), int sig,
                                     sighandler_t handler)
{
    struct sigaction view;
    if (!next) {
        errno = ENOSYS;
        return SIG_ERR;
    }
    if (handler == SIG_ERR || !sampler_signal_view(sig, &view))
        return next(sig, handler);
    if (handler == SIG_DFL) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        sampler_signal_set_view(&dfl);
    } else {
        if (next(sig, handler) == SIG_ERR)
            return SIG_ERR;
        sampler_signal_release();
    }
    return view.sa_handler;
}

#define SIGNAL_HOOK(name)                                                \
    EXPORT sighandler_t name(int sig, sighandler_t handler)              \
    {                                                                    \
        if (!real.name)                                                  \
            real_alloc_resolve();                                        \
        return report_signal_fn(real.name, sig, handler);                \
    }

SIGNAL_HOOK(signal)
SIGNAL_HOOK(bsd_signal)
SIGNAL_HOOK(ssignal)
SIGNAL_HOOK(sysv_signal)
SIGNAL_HOOK(__sysv_signal)
