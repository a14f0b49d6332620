/* cmd_run.c: `retain run [OPTIONS] [--] PROGRAM ARGS`: runs PROGRAM with
 * libretain preloaded and the options as RETAIN_* variables, passes its
 * arguments untouched, exits with its status (killed by signal n: 128 + n),
 * then prints the findings of its report and writes the HTML page beside it. */
#include "args.h"
#include "fmt.h"
#include "outputs.h"
#include "proc_report.h"
#include "report_write.h"
#include "run_options.h"

#include <errno.h>
#include <glob.h>
#include <sys/stat.h>
#include <time.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void help(void)
{
    printf("usage: retain run [OPTIONS] [--] PROGRAM [ARGS...]\n"
           "       retain [OPTIONS] PROGRAM [ARGS...]\n"
           "\n"
           "Runs PROGRAM under libretain.  Its exit status is retain's (killed by\n"
           "signal N: 128+N).  At the end retain prints the findings from the report\n"
           "(<prefix>.json, .txt) and writes <prefix>.html beside it.\n"
           "Options (each sets the RETAIN_* variable named; checked before PROGRAM starts):\n");
    run_options_help();
    printf("  %-24s the libretain.so to preload (default: $RETAIN_LIB, else beside retain)\n"
           "  %-24s do not write <prefix>.html\n"
           "  %-24s do not print the findings at the end\n", "--lib PATH", "--no-html", "--no-findings");
}

static volatile sig_atomic_t child_pid;

/* What a terminal or a supervisor sends to retain is meant for the program. */
static void forward(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

static void after_run(const char *fmt, long pid, int print, int html, int not_started)
{
    char cwd[PATH_MAX], prefix[PATH_MAX + 600], path[PATH_MAX + 700];
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = 0;
    /* The program's parent is retain: ".PID" only if retain itself is profiled. */
    int suffix = maps_libretain((long)getpid()) == 1;
    report_prefix(fmt, cwd, pid, suffix, prefix, sizeof prefix);
    snprintf(path, sizeof path, "%s.json", prefix);
    if (access(path, R_OK) != 0) {
        if (print && !not_started)
            fprintf(stderr, "retain: no report at %s (the program ended before writing one)\n", path);
        return;
    }
    char err[512];
    struct report *r = report_load(path, err, sizeof err);
    if (!r) {
        fprintf(stderr, "retain: %s\n", err);
        return;
    }
    if (print) {
        out_findings(stderr, r);
        fprintf(stderr, "retain: report %s (and .txt)\n", path);
    }
    if (html) {
        char hpath[PATH_MAX + 700];
        snprintf(hpath, sizeof hpath, "%s.html", prefix);
        if (report_write(r, FORMAT_HTML, WEIGHT_LIVE, hpath) == 0 && print)
            fprintf(stderr, "retain: HTML report %s\n", hpath);
    }
    report_free(r);
}

/* Reports of the processes the program started (a shell's commands, a
 * server's workers) share the prefix with their own pid: those written
 * during the run are told too. */
static void other_reports(const char *fmt, long pid, time_t since)
{
    char cwd[PATH_MAX], pattern[PATH_MAX + 700], star[600];
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = 0;
    const char *p = strstr(fmt, "%p");
    if (p)
        snprintf(star, sizeof star, "%.*s*%s", (int)(p - fmt), fmt, p + 2);
    else
        snprintf(star, sizeof star, "%s.*", fmt);
    snprintf(pattern, sizeof pattern, "%s%s%s.json", fmt[0] == '/' ? "" : cwd, fmt[0] == '/' ? "" : "/", star);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0)
        return;
    int told = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct stat st;
        if (stat(g.gl_pathv[i], &st) != 0 || st.st_mtime < since)
            continue;
        char err[512];
        struct report *r = report_load(g.gl_pathv[i], err, sizeof err);
        if (!r)
            continue;
        if (r->pid != pid) {
            if (!told++)
                fprintf(stderr, "retain: reports of other processes written during the run:\n");
            out_findings(stderr, r);
            fprintf(stderr, "retain: report %s\n", r->path);
        }
        report_free(r);
    }
    globfree(&g);
}

int cmd_run(int argc, char **argv)
{
    struct run_setting set[64];
    size_t nset = 0;
    const char *lib = NULL;
    int print = 1, html = 1;
    int i = 1;
    while (i < argc) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (is_help(a)) {
            help();
            return 0;
        }
        if (opt_value(argc, argv, &i, "--lib", NULL, &lib) || run_option(argc, argv, &i, set, &nset))
            continue;
        if (!strcmp(a, "--no-html")) {
            html = 0;
            i++;
            continue;
        }
        if (!strcmp(a, "--no-findings")) {
            print = 0;
            i++;
            continue;
        }
        if (a[0] == '-' && a[1])
            usage_fail("unknown option %s (retain run --help)", a);
        break;
    }
    if (i >= argc)
        usage_fail("run: no program given (retain run --help)");
    char **prog = argv + i;
    lib = find_library(lib);
    if (access(lib, R_OK) != 0)
        usage_fail("cannot read the library %s: %s (give --lib PATH or set RETAIN_LIB)", lib,
                   strerror(errno));

    for (size_t k = 0; k < nset; k++)
        if (setenv(set[k].var, set[k].value, 1) < 0)
            usage_fail("cannot set %s: %s", set[k].var, strerror(errno));
    const char *old = getenv("LD_PRELOAD");
    char *preload = malloc(strlen(lib) + (old ? strlen(old) : 0) + 2);
    sprintf(preload, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "");
    const char *quiet = getenv("RETAIN_QUIET");
    if (quiet && !strcmp(quiet, "1"))
        print = 0;
    const char *fmt = getenv("RETAIN_OUTPUT");
    if (!fmt || !*fmt)
        fmt = "retain.%p";

    struct sigaction ign = { .sa_handler = SIG_IGN }, fwd = { .sa_handler = forward }, oint, oquit;
    sigemptyset(&ign.sa_mask);
    sigemptyset(&fwd.sa_mask);
    fflush(NULL);
    time_t started = time(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "retain: cannot fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        setenv("LD_PRELOAD", preload, 1);
        execvp(prog[0], prog);
        int e = errno;
        fprintf(stderr, "retain: cannot run %s: %s\n", prog[0], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }
    child_pid = pid;
    sigaction(SIGINT, &ign, &oint);
    sigaction(SIGQUIT, &ign, &oquit);
    sigaction(SIGTERM, &fwd, NULL);
    sigaction(SIGHUP, &fwd, NULL);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "retain: waitpid: %s\n", strerror(errno));
            return 1;
        }
    free(preload);
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
    /* 126, 127 without a report: the program never started (the child said why) */
    int not_started = WIFEXITED(status) && (WEXITSTATUS(status) == 126 || WEXITSTATUS(status) == 127);
    after_run(fmt, (long)pid, print, html, not_started);
    if (print)
        other_reports(fmt, (long)pid, started);
    return rc;
}
