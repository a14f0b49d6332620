/* proc_report.c: report paths and library detection for run and snapshot. */
#include "proc_report.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void report_prefix(const char *fmt, const char *start_dir, long pid, int suffix_pid, char *out,
                   size_t cap)
{
    size_t n = 0;
    int had_pid = 0;
    if (fmt[0] != '/' && start_dir && start_dir[0]) {
        n = (size_t)snprintf(out, cap, "%s/", start_dir);
        if (n >= cap / 2)
            n = 0;
    }
    for (const char *p = fmt; *p && n + 24 < cap; p++) {
        if (p[0] == '%' && p[1] == 'p') {
            n += (size_t)snprintf(out + n, cap - n, "%ld", pid);
            had_pid = 1;
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = 0;
    if (!had_pid && suffix_pid && n + 24 < cap)
        snprintf(out + n, cap - n, ".%ld", pid);
}

int maps_libretain(long pid)
{
    char path[64], buf[8192];
    snprintf(path, sizeof path, "/proc/%ld/maps", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int found = 0;
    size_t keep = 0;
    ssize_t got;
    while (!found && (got = read(fd, buf + keep, sizeof buf - 1 - keep)) > 0) {
        size_t len = keep + (size_t)got;
        buf[len] = 0;
        found = strstr(buf, "libretain") != NULL;
        keep = len > 16 ? 16 : len;
        memmove(buf, buf + len - keep, keep);
    }
    int e = errno;
    close(fd);
    if (got < 0 && !found) {
        errno = e;
        return -1;
    }
    return found;
}

long parent_pid(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    long ppid = -1;
    while (fgets(line, sizeof line, fp))
        if (sscanf(line, "PPid: %ld", &ppid) == 1)
            break;
    fclose(fp);
    return ppid;
}

static const char *exists(const char *dir, const char *rel, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", dir, rel);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

const char *find_library(const char *given)
{
    static char buf[PATH_MAX + 64];
    if (given)
        return given;
    const char *env = getenv("RETAIN_LIB");
    if (env && *env)
        return env;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = 0;
            if (exists(self, "libretain.so", buf, sizeof buf) ||
                exists(self, "../lib/libretain.so", buf, sizeof buf))
                return buf;
        }
    }
    return RETAIN_LIBDIR "/libretain.so";
}
