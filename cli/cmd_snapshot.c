/* cmd_snapshot.c: `retain snapshot PID` / `retain -p PID`: asks a process
 * running under libretain for a report through its RETAIN_SIGNAL, waits for
 * the report that answers (a new file, reason "signal", this pid) and prints
 * it.  Where the report goes comes from the process itself: its
 * RETAIN_OUTPUT (/proc/PID/environ), its directory, and whether its parent
 * is profiled too, as the library decides (proc_report.h). */
#include "args.h"
#include "config.h"
#include "fmt.h"
#include "outputs.h"
#include "proc_report.h"
#include "report_write.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: retain snapshot PID [--format FORMAT] [-o OUT] [--timeout SECONDS]\n"
    "       retain -p PID ...\n"
    "\n"
    "Asks PID, a process running under libretain, for a report now (it sends the\n"
    "process its RETAIN_SIGNAL), waits for that report and prints it.  The report\n"
    "is also left where the process writes its reports.\n"
    "  --format FORMAT   text (default), html, pprof, collapsed, speedscope\n"
    "  -o, --output OUT  write there instead of standard output\n"
    "  --timeout S       give up after S seconds (default 30)\n";

#define MAX_CANDIDATES 4

struct candidate {
    char path[PATH_MAX + 700];
    dev_t dev;
    ino_t ino;
    int existed;
};

/* The value of NAME in /proc/PID/environ, copied into buf; NULL if absent. */
static const char *environ_get(const char *env, size_t len, const char *name, char *buf, size_t cap)
{
    size_t n = strlen(name);
    for (size_t off = 0; off < len;) {
        const char *e = env + off;
        size_t elen = strnlen(e, len - off);
        if (elen > n && !strncmp(e, name, n) && e[n] == '=') {
            snprintf(buf, cap, "%.*s", (int)(elen - n - 1), e + n + 1);
            return buf;
        }
        off += elen + 1;
    }
    return NULL;
}

static char *read_environ(long pid, size_t *len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/environ", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    ssize_t got;
    while ((got = read(fd, buf + n, cap - n)) > 0) {
        n += (size_t)got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    int e = errno;
    close(fd);
    if (got < 0) {
        free(buf);
        errno = e;
        return NULL;
    }
    *len = n;
    return buf;
}

static const struct config_var *var_named(const char *name)
{
    for (size_t i = 0; i < config_nvars; i++)
        if (!strcmp(config_vars[i].name, name))
            return &config_vars[i];
    return NULL;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("retain: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void add_candidate(struct candidate *c, int *n, const char *fmt, const char *dir, long pid, int suffix)
{
    char prefix[PATH_MAX + 600];
    report_prefix(fmt, dir, pid, suffix, prefix, sizeof prefix);
    char path[sizeof c->path];
    snprintf(path, sizeof path, "%s.json", prefix);
    for (int i = 0; i < *n; i++)
        if (!strcmp(c[i].path, path))
            return;
    if (*n == MAX_CANDIDATES)
        return;
    struct candidate *k = &c[(*n)++];
    memset(k, 0, sizeof *k);
    strcpy(k->path, path);
    struct stat st;
    if (stat(path, &st) == 0) {
        k->existed = 1;
        k->dev = st.st_dev;
        k->ino = st.st_ino;
    }
}

/* A report that answers the request: a file other than the one there
 * before (reports are renamed into place: a new inode each time), for this
 * pid, with reason "signal". */
static struct report *answer(struct candidate *c, long pid)
{
    struct stat st;
    if (stat(c->path, &st) != 0 || (c->existed && st.st_ino == c->ino && st.st_dev == c->dev))
        return NULL;
    char err[512];
    struct report *r = report_load(c->path, err, sizeof err);
    c->existed = 1;
    c->dev = st.st_dev;
    c->ino = st.st_ino;
    if (!r)
        return NULL;
    if (r->pid == pid && r->reason && !strcmp(r->reason, "signal"))
        return r;
    report_free(r);
    return NULL;
}

/* libretain names its background thread; without it (a process that has
 * not watched a block yet) the signal is served at the next allocation. */
static int has_sampler_thread(long pid)
{
    char path[96], comm[64];
    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%ld/task/%.20s/comm", pid, e->d_name);
        FILE *fp = fopen(path, "r");
        if (fp) {
            found = fgets(comm, sizeof comm, fp) && !strncmp(comm, "retain-sampler", 14);
            fclose(fp);
        }
    }
    closedir(d);
    return found;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int cmd_snapshot(int argc, char **argv)
{
    const char *pid_s = NULL, *format = "text", *out = NULL, *timeout_s = "30";
    for (int i = 1; i < argc;) {
        if (is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if (opt_value(argc, argv, &i, "--format", "-f", &format) ||
            opt_value(argc, argv, &i, "--output", "-o", &out) ||
            opt_value(argc, argv, &i, "--timeout", NULL, &timeout_s))
            continue;
        if (argv[i][0] == '-' && argv[i][1])
            usage_fail("snapshot: unknown option %s (retain snapshot --help)", argv[i]);
        if (pid_s)
            usage_fail("snapshot: one process at a time (%s and %s)", pid_s, argv[i]);
        pid_s = argv[i++];
    }
    if (!pid_s)
        usage_fail("snapshot: no process id given (retain snapshot --help)");
    char *end;
    long pid = strtol(pid_s, &end, 10);
    if (*end || end == pid_s || pid <= 0 || pid > 4194304)
        usage_fail("snapshot: \"%.40s\" is not a process id", pid_s);
    double timeout = strtod(timeout_s, &end);
    if (*end || !(timeout > 0 && timeout <= 86400))
        usage_fail("snapshot: --timeout %.40s: expected seconds, more than 0", timeout_s);
    enum report_format fmt;
    if (report_format_parse(format, &fmt) < 0)
        usage_fail("snapshot: --format %s: expected text, html, pprof, collapsed or speedscope", format);

    if (kill((pid_t)pid, 0) < 0) {
        if (errno == ESRCH)
            fail("no process %ld (it is not running)", pid);
        if (errno == EPERM)
            fail("process %ld belongs to another user: retain can ask only your own processes", pid);
        fail("cannot signal process %ld: %s", pid, strerror(errno));
    }
    int mapped = maps_libretain(pid);
    if (mapped < 0) {
        if (errno == EACCES || errno == EPERM)
            fail("process %ld belongs to another user: its memory map is not readable", pid);
        if (errno == ENOENT || errno == ESRCH)
            fail("no process %ld (it ended)", pid);
        fail("cannot read /proc/%ld/maps: %s", pid, strerror(errno));
    }
    if (mapped == 0)
        fail("process %ld does not run under libretain (libretain.so is not in its maps); "
             "start it with `retain run` or LD_PRELOAD", pid);
    size_t envlen = 0;
    char *env = read_environ(pid, &envlen);
    if (!env)
        fail("cannot read the environment of process %ld: %s", pid, strerror(errno));

    /* The signal, parsed as the library parses it (a bad value: the default). */
    char sigbuf[128], outbuf[600], pwd[PATH_MAX];
    const struct config_var *sv = var_named("RETAIN_SIGNAL");
    struct retain_config cfg;
    memset(&cfg, 0, sizeof cfg);
    const char *sigtext = environ_get(env, envlen, "RETAIN_SIGNAL", sigbuf, sizeof sigbuf);
    if (!sigtext || !*sigtext || config_parse(sv, sigtext, &cfg) < 0)
        config_parse(sv, sv->fallback, &cfg);
    if (cfg.signal == 0)
        fail("process %ld has report signals off (RETAIN_SIGNAL=%s): it writes reports only at "
             "exit or every RETAIN_REPORT_INTERVAL", pid, sigtext ? sigtext : "off");
    const struct config_var *ov = var_named("RETAIN_OUTPUT");
    const char *prefix_fmt = environ_get(env, envlen, "RETAIN_OUTPUT", outbuf, sizeof outbuf);
    if (!prefix_fmt || !*prefix_fmt || config_parse(ov, prefix_fmt, &cfg) < 0)
        prefix_fmt = ov->fallback;

    /* The library resolves a relative prefix against its start directory:
     * the process's directory now, or $PWD if it has moved since. */
    struct candidate cands[MAX_CANDIDATES];
    int ncand = 0;
    char cwd_link[64], cwd[PATH_MAX];
    snprintf(cwd_link, sizeof cwd_link, "/proc/%ld/cwd", pid);
    ssize_t n = readlink(cwd_link, cwd, sizeof cwd - 1);
    cwd[n > 0 ? n : 0] = 0;
    const char *env_pwd = environ_get(env, envlen, "PWD", pwd, sizeof pwd);
    long ppid = parent_pid(pid);
    int suffix = ppid > 0 && maps_libretain(ppid) == 1;
    add_candidate(cands, &ncand, prefix_fmt, cwd, pid, suffix);
    if (env_pwd)
        add_candidate(cands, &ncand, prefix_fmt, env_pwd, pid, suffix);
    /* a forked child without a profiled parent (it died) still adds .PID */
    add_candidate(cands, &ncand, prefix_fmt, cwd, pid, !suffix);
    free(env);

    if (kill((pid_t)pid, cfg.signal) < 0)
        fail("cannot send signal %d to process %ld: %s", cfg.signal, pid, strerror(errno));
    double start = now_s();
    int idle = has_sampler_thread(pid) == 0, told = 0;
    struct report *r = NULL;
    while (!r) {
        for (int i = 0; i < ncand && !r; i++)
            r = answer(&cands[i], pid);
        if (r)
            break;
        if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
            fail("process %ld ended before it answered", pid);
        if (idle && !told && now_s() - start > 0.5) {
            fprintf(stderr, "retain: process %ld has no libretain thread yet (it has watched no large "
                            "block): it writes the report at its next allocation\n", pid);
            told = 1;
        }
        if (now_s() - start > timeout)
            fail("no report from process %ld within %g s (looked for %s)%s", pid, timeout, cands[0].path,
                 idle ? "; it has not allocated since the request" : "");
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "retain: report %s (reason signal, pid %ld, duration_ms %llu; %.0f ms after the request)\n",
            r->path, r->pid, (unsigned long long)r->duration_ms, (now_s() - start) * 1000);
    int rc = report_write(r, fmt, WEIGHT_LIVE, out);
    report_free(r);
    return rc < 0 ? 1 : 0;
}
