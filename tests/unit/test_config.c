/*
 * test_config: the RETAIN_* table (src/config.c), report files
 * (src/report_file.c) and JSON string escaping (src/strbuf.c), without the
 * preload.
 *
 * - every table default parses, and a load with nothing set gives them;
 * - numbers are stored in their field's type or rejected (no wrapping),
 *   boundaries exact; glibc's reserved signals rejected; modes validated;
 * - config_load_from: one line per rejected value, rejected values at their
 *   defaults, empty = unset, path variables untouched under secure execution;
 * - report_file_write: exact mode whatever the umask, planted symlinks never
 *   followed, nothing left after a failure (RLIMIT_FSIZE, missing directory);
 * - report_dir_safe: symlinks, foreign owners and group/other-writable
 *   directories refused, sticky ancestors accepted;
 * - sb_json_str: U+FFFD per maximal subpart, control characters escaped.
 */
#include "config.h"
#include "report_file.h"
#include "strbuf.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

static const struct config_var *var(const char *name)
{
    for (size_t i = 0; i < config_nvars; i++)
        if (!strcmp(config_vars[i].name, name))
            return &config_vars[i];
    printf("FAIL no variable %s\n", name);
    exit(1);
}

struct env { const char *pairs[32][2]; int n; };

static const char *env_get(const struct config_var *v, void *arg)
{
    const struct env *e = arg;
    for (int i = 0; i < e->n; i++)
        if (!strcmp(e->pairs[i][0], v->name))
            return e->pairs[i][1];
    return NULL;
}

static void test_defaults(void)
{
    struct retain_config c;
    for (size_t i = 0; i < config_nvars; i++) {
        memset(&c, 0, sizeof c);
        CHECK(config_parse(&config_vars[i], config_vars[i].fallback, &c) == 0,
              "%s's default \"%s\" does not parse", config_vars[i].name, config_vars[i].fallback);
        CHECK(config_vars[i].key && *config_vars[i].key && config_vars[i].form && *config_vars[i].form,
              "%s lacks a key or form", config_vars[i].name);
    }
    struct env none = { .n = 0 };
    CHECK(config_load_from(&c, env_get, &none, 0) == 0, "nothing set, yet rejections");
    CHECK(!strcmp(c.output, "retain.%p") && c.signal == SIGUSR2 && !c.signal_explicit &&
          c.min_size == 1 << 20 && c.min_age_ms == 1000 && c.drop == 0.25 && c.interval_ms == 100 &&
          c.depth == 16 && c.sample_bytes == 512 * 1024 && c.quiet == -1 &&
          c.debuginfo == DEBUGINFO_AUTO && c.report_mode == 0600 && c.report_interval_s == 0,
          "defaults");
}

static void expect(const char *name, const char *text, int ok, uint64_t want)
{
    struct retain_config c;
    memset(&c, 0, sizeof c);
    const struct config_var *v = var(name);
    int rc = config_parse(v, text, &c);
    CHECK((rc == 0) == ok, "%s=%s: %s", name, text, rc == 0 ? "accepted" : "rejected");
    if (rc != 0 || !ok)
        return;
    const void *f = config_value(v, &c);
    uint64_t got = v->kind == CONFIG_SIZE ? *(const size_t *)f
                 : v->kind == CONFIG_SIGNAL || v->kind == CONFIG_SWITCH || v->kind == CONFIG_CHOICE
                       ? (uint64_t)(int64_t)*(const int *)f : *(const unsigned *)f;
    CHECK(got == want, "%s=%s: stored %llu, expected %llu", name, text,
          (unsigned long long)got, (unsigned long long)want);
}

static void test_numbers(void)
{
    expect("RETAIN_MIN_AGE", "4294967295", 1, 4294967295u);
    expect("RETAIN_MIN_AGE", "4294967296", 0, 0);           /* became 0 */
    expect("RETAIN_MIN_AGE", "31536000000", 0, 0);          /* became 1471228928 */
    expect("RETAIN_MIN_AGE", "18446744073709551616", 0, 0);
    expect("RETAIN_MIN_AGE", "-1", 0, 0);
    expect("RETAIN_MIN_AGE", " 5", 0, 0);
    expect("RETAIN_MIN_AGE", "0", 1, 0);
    expect("RETAIN_INTERVAL", "0", 0, 0);
    expect("RETAIN_INTERVAL", "3600000", 1, 3600000);
    expect("RETAIN_INTERVAL", "3600001", 0, 0);
    expect("RETAIN_DEPTH", "64", 1, 64);
    expect("RETAIN_DEPTH", "65", 0, 0);
    expect("RETAIN_REPORT_INTERVAL", "31536000", 1, 31536000);
    expect("RETAIN_REPORT_INTERVAL", "31536001", 0, 0);
    expect("RETAIN_MIN_SIZE", "4095", 0, 0);
    expect("RETAIN_MIN_SIZE", "4K", 1, 4096);
    expect("RETAIN_MIN_SIZE", "4KiB", 1, 4096);
    expect("RETAIN_MIN_SIZE", "2mb", 1, 2 << 20);
    expect("RETAIN_MIN_SIZE", "17179869183G", 1, 17179869183ull << 30);
    expect("RETAIN_MIN_SIZE", "17179869184G", 0, 0);         /* 2^64: wraps */
    expect("RETAIN_MIN_SIZE", "K", 0, 0);
    expect("RETAIN_SAMPLE", "0", 1, 0);
    expect("RETAIN_SAMPLE", "144115188075855872", 1, RETAIN_SAMPLE_MAX);
    expect("RETAIN_SAMPLE", "144115188075855873", 0, 0);
    expect("RETAIN_SAMPLE", "134217728G", 1, RETAIN_SAMPLE_MAX);
    expect("RETAIN_SAMPLE", "134217729G", 0, 0);
    expect("RETAIN_SAMPLE", "300000000000000000", 0, 0);
    expect("RETAIN_REPORT_MODE", "0644", 1, 0644);
    expect("RETAIN_REPORT_MODE", "600", 1, 0600);
    expect("RETAIN_REPORT_MODE", "0666", 1, 0666);
    expect("RETAIN_REPORT_MODE", "0400", 0, 0);
    expect("RETAIN_REPORT_MODE", "0700", 0, 0);
    expect("RETAIN_REPORT_MODE", "4600", 0, 0);
    expect("RETAIN_REPORT_MODE", "0680", 0, 0);
    expect("RETAIN_QUIET", "", 1, (uint64_t)-1);
    expect("RETAIN_QUIET", "0", 1, 0);
    expect("RETAIN_QUIET", "1", 1, 1);
    expect("RETAIN_QUIET", "01", 0, 0);
    expect("RETAIN_DEBUGINFO", "FULL", 1, DEBUGINFO_FULL);
    expect("RETAIN_DEBUGINFO", "names", 0, 0);
    /* the drop fraction: strictly between 0 and 1 */
    struct retain_config c;
    CHECK(config_parse(var("RETAIN_DROP"), "0.5", &c) == 0 && c.drop == 0.5, "drop 0.5");
    CHECK(config_parse(var("RETAIN_DROP"), "1", &c) < 0 && config_parse(var("RETAIN_DROP"), "0", &c) < 0 &&
          config_parse(var("RETAIN_DROP"), "1.0", &c) < 0 && config_parse(var("RETAIN_DROP"), ".", &c) < 0 &&
          config_parse(var("RETAIN_DROP"), "1e-3", &c) < 0, "drop bounds");
}

static void test_signals(void)
{
    expect("RETAIN_SIGNAL", "USR1", 1, SIGUSR1);
    expect("RETAIN_SIGNAL", "sigusr2", 1, SIGUSR2);
    expect("RETAIN_SIGNAL", "off", 1, 0);
    expect("RETAIN_SIGNAL", "0", 1, 0);
    for (int s = __SIGRTMIN; s < SIGRTMIN; s++) {
        char n[16];
        snprintf(n, sizeof n, "%d", s);
        expect("RETAIN_SIGNAL", n, 0, 0);               /* glibc's own (32, 33) */
    }
    char n[16];
    snprintf(n, sizeof n, "%d", SIGRTMIN);
    expect("RETAIN_SIGNAL", n, 1, (uint64_t)SIGRTMIN);
    snprintf(n, sizeof n, "%d", SIGRTMAX);
    expect("RETAIN_SIGNAL", n, 1, (uint64_t)SIGRTMAX);
    snprintf(n, sizeof n, "%d", SIGRTMAX + 1);
    expect("RETAIN_SIGNAL", n, 0, 0);
    expect("RETAIN_SIGNAL", "RTMIN+0", 1, (uint64_t)SIGRTMIN);
    snprintf(n, sizeof n, "RTMIN+%d", SIGRTMAX - SIGRTMIN + 1);
    expect("RETAIN_SIGNAL", n, 0, 0);
    expect("RETAIN_SIGNAL", "KILL", 0, 0);
    expect("RETAIN_SIGNAL", "9", 0, 0);
    expect("RETAIN_SIGNAL", "SEGV", 0, 0);
    expect("RETAIN_SIGNAL", "11", 0, 0);
    expect("RETAIN_SIGNAL", "4294967308", 0, 0);         /* 12 + 2^32 */
}

static void test_loader(void)
{
    struct retain_config c;
    struct env e = { .pairs = { { "RETAIN_MIN_AGE", "4294967296" }, { "RETAIN_SIGNAL", "33" },
                                { "RETAIN_DEPTH", "7" }, { "RETAIN_OUTPUT", "/x/y" },
                                { "RETAIN_REPORT_MODE", "0640" }, { "RETAIN_SAMPLE", "" },
                                { "RETAIN_DROP", "2" } }, .n = 7 };
    int fd2 = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2);                      /* the three error lines */
    int rejected = config_load_from(&c, env_get, &e, 0);
    dup2(fd2, 2);
    close(fd2);
    close(null);
    CHECK(rejected == 3, "rejected %d, expected 3 (MIN_AGE, SIGNAL, DROP)", rejected);
    CHECK(c.min_age_ms == 1000 && c.signal == SIGUSR2 && !c.signal_explicit && c.drop == 0.25,
          "rejected values not at their defaults");
    CHECK(c.depth == 7 && !strcmp(c.output, "/x/y") && c.report_mode == 0640 && c.sample_bytes == 512 * 1024,
          "accepted values (empty RETAIN_SAMPLE = unset)");
    CHECK(config_load_from(&c, env_get, &(struct env){ .pairs = { { "RETAIN_SIGNAL", "USR1" } }, .n = 1 }, 0) == 0 &&
          c.signal == SIGUSR1 && c.signal_explicit, "RETAIN_SIGNAL set: explicit");
    /* secure execution: the path and mode variables are not read at all */
    struct env sec = { .pairs = { { "RETAIN_OUTPUT", "/etc/evil" }, { "RETAIN_REPORT_MODE", "0666" },
                                  { "RETAIN_DEPTH", "5" } }, .n = 3 };
    CHECK(config_load_from(&c, env_get, &sec, 1) == 0, "secure load rejected something");
    CHECK(!strcmp(c.output, "retain.%p") && c.report_mode == 0600 && c.depth == 5 && c.secure,
          "secure: output %s, mode %o, depth %u", c.output, c.report_mode, c.depth);
}

/* ---- report files --------------------------------------------------------- */

static char base[4096];

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void slurp(const char *path, char *buf, size_t cap)
{
    buf[0] = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, cap - 1);
    buf[n > 0 ? n : 0] = 0;
    close(fd);
}

static void test_report_file(void)
{
    char dir[4200], path[4300], victim[4300], link_path[4300], buf[256];
    snprintf(dir, sizeof dir, "%s/files", base);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/r.json", dir);

    mode_t old = umask(077);
    CHECK(report_file_write(path, "{}\n", 3, 0644, 0) == 0, "write: %s", strerror(errno));
    umask(old);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644, "mode %o under umask 077, expected 0644",
          st.st_mode & 07777);
    umask(0);
    CHECK(report_file_write(path, "{}\n", 3, 0600, 0) == 0 && stat(path, &st) == 0 &&
          (st.st_mode & 07777) == 0600, "mode %o under umask 0, expected 0600", st.st_mode & 07777);
    umask(old);

    /* a symlink at the final name is replaced, its target untouched */
    snprintf(victim, sizeof victim, "%s/victim", base);
    int fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "precious\n", 9) == 9, "victim");
    close(fd);
    unlink(path);
    CHECK(symlink(victim, path) == 0, "symlink");
    CHECK(report_file_write(path, "report\n", 7, 0600, 0) == 0, "write over a symlink: %s", strerror(errno));
    slurp(victim, buf, sizeof buf);
    CHECK(!strcmp(buf, "precious\n"), "the symlink's target was written: %s", buf);
    CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode), "the report is not a regular file");
    CHECK(count_entries(dir) == 1, "%d entries in the directory, expected 1", count_entries(dir));

    /* RLIMIT_FSIZE: not started (no SIGXFSZ), nothing left */
    struct rlimit rl, small = { 100, RLIM_INFINITY };
    getrlimit(RLIMIT_FSIZE, &rl);
    small.rlim_max = rl.rlim_max;
    setrlimit(RLIMIT_FSIZE, &small);
    char big[200];
    memset(big, 'x', sizeof big);
    errno = 0;
    int rc = report_file_write(path, big, sizeof big, 0600, 0);
    int e = errno;
    setrlimit(RLIMIT_FSIZE, &rl);
    CHECK(rc < 0 && e == EFBIG, "over RLIMIT_FSIZE: rc %d errno %d", rc, e);
    slurp(path, buf, sizeof buf);
    CHECK(!strcmp(buf, "report\n"), "the old report was replaced after a failure");
    CHECK(count_entries(dir) == 1, "%d entries after a failed write", count_entries(dir));

    /* a missing directory: ENOENT */
    snprintf(link_path, sizeof link_path, "%s/missing/r.json", base);
    CHECK(report_file_write(link_path, "x", 1, 0600, 0) < 0 && errno == ENOENT, "missing directory");
}

static void test_dir_safe(void)
{
    char d[4300], sub[4400], lnk[4500];
    uid_t uid = getuid();
    snprintf(d, sizeof d, "%s/safe", base);
    mkdir(d, 0700);
    int fd = report_dir_safe(d);
    /* base is mkdtemp's: 0700, ours; /tmp sticky; / root's */
    CHECK(fd >= 0, "own 0700 directory refused: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
    CHECK(report_dir_safe("relative/dir") < 0 && errno == EPERM, "relative path accepted");
    snprintf(sub, sizeof sub, "%s/open", base);
    mkdir(sub, 0700);
    chmod(sub, 0777);
    CHECK(report_dir_safe(sub) < 0 && errno == EPERM, "world-writable directory accepted");
    chmod(sub, 0770);
    CHECK(report_dir_safe(sub) < 0 && errno == EPERM, "group-writable directory accepted");
    chmod(sub, 01777);
    CHECK(report_dir_safe(sub) < 0, "sticky world-writable directory accepted as the report's own");
    snprintf(lnk, sizeof lnk, "%s/inner", sub);
    mkdir(lnk, 0700);
    fd = report_dir_safe(lnk);
    CHECK(fd >= 0, "directory under a sticky ancestor refused: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
    snprintf(lnk, sizeof lnk, "%s/link", base);
    CHECK(symlink(d, lnk) == 0, "symlink");
    CHECK(report_dir_safe(lnk) < 0, "a symlink as the directory accepted");
    snprintf(sub, sizeof sub, "%s/link/.", base);
    CHECK(report_dir_safe(sub) < 0, "a symlink in the path accepted");
    snprintf(sub, sizeof sub, "%s/safe/../safe", base);
    CHECK(report_dir_safe(sub) < 0, "\"..\" accepted");
    if (uid == 0) {                     /* owned by someone else */
        snprintf(sub, sizeof sub, "%s/foreign", base);
        mkdir(sub, 0700);
        CHECK(chown(sub, 65534, 65534) == 0, "chown");
        CHECK(report_dir_safe(sub) < 0 && errno == EPERM, "another user's directory accepted");
    }
    /* report_file_write refuses too when secure */
    snprintf(sub, sizeof sub, "%s/open/r.json", base);
    CHECK(report_file_write(sub, "x", 1, 0600, 1) < 0 && errno == EPERM, "secure write into an unsafe directory");
    snprintf(sub, sizeof sub, "%s/safe/r.json", base);
    CHECK(report_file_write(sub, "x", 1, 0600, 1) == 0, "secure write into a safe directory: %s", strerror(errno));
}

/* ---- JSON strings ---------------------------------------------------------- */

static void json_is(const char *in, const char *want)
{
    struct strbuf sb;
    sb_init(&sb);
    sb_json_str(&sb, in);
    CHECK(sb.data && !strcmp(sb.data, want), "sb_json_str gave %s, expected %s", sb.data, want);
    sb_free(&sb);
}

#define FFFD "\xef\xbf\xbd"

static void test_json(void)
{
    json_is("plain", "\"plain\"");
    json_is("q\"b\\n\nt\tc\x01\x1f\x7f", "\"q\\\"b\\\\n\\nt\\tc\\u0001\\u001f\x7f\"");
    json_is("caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    json_is("a\xff" "b", "\"a" FFFD "b\"");
    json_is("\xc0\xaf", "\"" FFFD FFFD "\"");                 /* overlong: each byte */
    json_is("\xe0\x80\x80", "\"" FFFD FFFD FFFD "\"");
    json_is("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");         /* surrogate */
    json_is("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");  /* above U+10FFFF */
    json_is("\xe2\x82", "\"" FFFD "\"");                       /* truncated: one */
    json_is("\xe2\x82x", "\"" FFFD "x\"");
    json_is("\xf0\x9f\x98", "\"" FFFD "\"");
    json_is("\xf0\x9f\x98\"", "\"" FFFD "\\\"\"");
    json_is(NULL, "null");
}

int main(void)
{
    snprintf(base, sizeof base, "/tmp/libretain-unit-config-XXXXXX");
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    UNIT_CASE("table defaults");
    test_defaults();
    UNIT_CASE("numbers in their field's type");
    test_numbers();
    UNIT_CASE("signals");
    test_signals();
    UNIT_CASE("config_load_from");
    test_loader();
    UNIT_CASE("report_file_write");
    test_report_file();
    UNIT_CASE("report_dir_safe");
    test_dir_safe();
    UNIT_CASE("sb_json_str");
    test_json();
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", base);
    return unit_done();
}
