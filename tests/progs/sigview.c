/*
 * sigview: what a program finds at SIGUSR2 (libretain's report signal),
 * and what it finds after putting things back, through each interface:
 * sigaction, signal, sysv_signal.  Every line must read as without the
 * profiler.  Then, with "own": a handler of its own installed, run by
 * raise(), and the saved disposition restored; with "default-raise": the
 * default restored by signal(SIG_DFL) and the signal raised (plain: killed
 * by it; preloaded: libretain's report handler, which stood over the
 * default at start-up, is still there, so a report is taken and the
 * program goes on).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void own(int sig)
{
    (void)sig;
    handled++;
}

static const char *name(void (*h)(int))
{
    return h == SIG_DFL ? "default" : h == SIG_IGN ? "ignored" : h == own ? "own" : "other";
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    struct sigaction old, sa;
    if (sigaction(SIGUSR2, NULL, &old) != 0)
        return 2;
    printf("sigaction query: %s\n", name(old.sa_handler));
    void (*prev)(int) = signal(SIGUSR2, SIG_DFL);
    printf("signal(SIG_DFL) returned: %s\n", name(prev));
    prev = sysv_signal(SIGUSR2, SIG_DFL);
    printf("sysv_signal(SIG_DFL) returned: %s\n", name(prev));
    if (sigaction(SIGUSR2, &old, NULL) != 0)        /* put back what was found */
        return 3;
    sigaction(SIGUSR2, NULL, &old);
    printf("after restoring: %s\n", name(old.sa_handler));
    if (!strcmp(mode, "own")) {
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = own;
        sigemptyset(&sa.sa_mask);
        struct sigaction saved;
        sigaction(SIGUSR2, &sa, &saved);
        printf("saved before own: %s\n", name(saved.sa_handler));
        raise(SIGUSR2);
        printf("own handler ran %d time(s)\n", (int)handled);
        sigaction(SIGUSR2, &saved, &old);
        printf("replaced by restore: %s\n", name(old.sa_handler));
        sigaction(SIGUSR2, NULL, &old);
        printf("after restore: %s\n", name(old.sa_handler));
        prev = signal(SIGUSR2, own);
        printf("signal(own) returned: %s\n", name(prev));
        raise(SIGUSR2);
        printf("own handler ran %d time(s)\n", (int)handled);
    } else if (!strcmp(mode, "default-raise")) {
        signal(SIGUSR2, SIG_DFL);
        fflush(stdout);
        raise(SIGUSR2);
        sleep(1);                   /* the report is written meanwhile */
        printf("alive after SIGUSR2\n");
    }
    return 0;
}
