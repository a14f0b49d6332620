/*
 * spawn_many: what each short process costs, start to exit.
 *
 *     spawn_many N [-e NAME=VALUE]... -- PROGRAM [ARGS...]
 *
 * Runs PROGRAM N times, one after the other (fork, setenv each NAME=VALUE in
 * the child only, execv), and for each run takes the wall time from fork()
 * to the end of wait4() and the child's CPU time (utime + stime from
 * wait4's rusage).  The variables go to the children only, so the spawner
 * itself is never preloaded and its own cost is the same in every mode.
 * Prints one line:
 *
 *     runs=N wall_us_mean=W wall_us_median=M cpu_us_mean=C cpu_us_median=D
 *
 * and exits 1 if any run did not exit 0.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: spawn_many N [-e NAME=VALUE]... -- PROGRAM [ARGS...]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    char *vars[64];
    int nvars = 0, i = 2;
    for (; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "-e") && i + 1 < argc && nvars < 64)
            vars[nvars++] = argv[++i];
    if (i + 1 >= argc || n < 1)
        return 2;
    char **prog = &argv[i + 1];
    double *wall = malloc(sizeof *wall * (size_t)n), *cpu = malloc(sizeof *cpu * (size_t)n);
    double sw = 0, sc = 0;
    int bad = 0;
    for (int r = 0; r < n; r++) {
        double t0 = now_us();
        pid_t pid = fork();
        if (pid == 0) {
            for (int k = 0; k < nvars; k++)
                putenv(vars[k]);
            execv(prog[0], prog);
            _exit(127);
        }
        if (pid < 0)
            return 1;
        int st;
        struct rusage ru;
        if (wait4(pid, &st, 0, &ru) != pid)
            return 1;
        double t1 = now_us();
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad++;
        wall[r] = t1 - t0;
        cpu[r] = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
        sw += wall[r];
        sc += cpu[r];
    }
    qsort(wall, (size_t)n, sizeof *wall, cmp);
    qsort(cpu, (size_t)n, sizeof *cpu, cmp);
    printf("runs=%d wall_us_mean=%.1f wall_us_median=%.1f cpu_us_mean=%.1f cpu_us_median=%.1f\n",
           n, sw / n, wall[n / 2], sc / n, cpu[n / 2]);
    if (bad)
        fprintf(stderr, "spawn_many: %d of %d runs did not exit 0\n", bad, n);
    return bad ? 1 : 0;
}
