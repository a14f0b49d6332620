/*
 * measure: run one command and report what its whole process tree cost.
 *
 *     measure RESULT_FILE COMMAND [ARGS...]
 *
 * measure makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), so any
 * process the command leaves behind (heaptrack's heaptrack_interpret and
 * compressor, a server's workers) is re-parented to it and waited for.  When
 * the last descendant has exited it writes one line to RESULT_FILE:
 *
 *     wall_main=S wall_all=S maxrss_kb=K utime=S stime=S status=N signal=N
 *
 * wall_main  seconds from fork to the exit of COMMAND itself
 * wall_all   seconds from fork to the exit of the last descendant
 * maxrss_kb  getrusage(RUSAGE_CHILDREN).ru_maxrss: the largest peak resident
 *            set of any single process in the tree (the kernel's definition;
 *            it is a maximum over processes, not a sum)
 * utime/stime CPU seconds of the whole tree (sum over processes)
 * status     exit code of COMMAND (-1 if it was killed by a signal)
 * signal     the signal that killed COMMAND, else 0
 *
 * Why a C helper and not Python's subprocess: CPython spawns children with
 * vfork(), and the kernel then charges the parent's resident set to the
 * child's ru_maxrss at exec time.  A Python parent of 10-20 MB would set a
 * floor under every small workload's peak RSS.  This helper is tiny and uses
 * plain fork(), so the floor is its own ~1 MB.
 *
 * SIGTERM/SIGINT/SIGQUIT/SIGHUP sent to measure are forwarded to COMMAND.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child_pid;

static void forward(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv(struct timeval t)
{
    return t.tv_sec + t.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: measure RESULT_FILE COMMAND [ARGS...]\n");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        perror("measure: PR_SET_CHILD_SUBREAPER");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 2;
    }
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        execvp(argv[2], argv + 2);
        fprintf(stderr, "measure: exec %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    child_pid = pid;

    int status = 0, main_status = 0;
    double t_main = -1;
    for (;;) {
        pid_t w = waitpid(-1, &status, 0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break; /* ECHILD: the whole tree is gone */
        }
        if (w == pid) {
            t_main = now() - t0;
            main_status = status;
            child_pid = 0;
        }
    }
    double t_all = now() - t0;
    if (t_main < 0)
        t_main = t_all;

    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);

    int code = WIFEXITED(main_status) ? WEXITSTATUS(main_status) : -1;
    int sig = WIFSIGNALED(main_status) ? WTERMSIG(main_status) : 0;
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror("measure: result file");
        return 2;
    }
    fprintf(f, "wall_main=%.6f wall_all=%.6f maxrss_kb=%ld utime=%.6f stime=%.6f status=%d signal=%d\n",
            t_main, t_all, ru.ru_maxrss, tv(ru.ru_utime), tv(ru.ru_stime), code, sig);
    fclose(f);
    return 0;
}
