/*
 * fdlist.h: prints the descriptors a process holds, for the fault tests'
 * plain-versus-preloaded comparisons.  Each line is "fd N KIND [cloexec]"
 * where KIND is the basename of the file, "pipe", "socket" or the anon_inode
 * name, so that the listing does not depend on inode numbers or temporary
 * directories, and "cloexec" says that FD_CLOEXEC is set.
 * Uses write(2), not stdio, so that it can run after fd 1 was replaced;
 * /proc/thread-self, because /proc/self/fd is empty once main() has called
 * pthread_exit.
 */
#ifndef FDLIST_H
#define FDLIST_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fdlist_print(int out, const char *title)
{
    char line[512];
    int n = snprintf(line, sizeof line, "%s\n", title);
    if (write(out, line, (size_t)n) < 0)
        return;
    DIR *d = opendir("/proc/thread-self/fd");
    if (!d) {
        n = snprintf(line, sizeof line, "  cannot list /proc/thread-self/fd\n");
        (void)!write(out, line, (size_t)n);
        return;
    }
    int fds[1024], count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < 1024) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        int fd = atoi(e->d_name);
        if (fd != dirfd(d))
            fds[count++] = fd;
    }
    for (int i = 1; i < count; i++)          /* insertion sort: a few entries */
        for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
            int t = fds[j]; fds[j] = fds[j - 1]; fds[j - 1] = t;
        }
    for (int i = 0; i < count; i++) {
        char path[64], target[400];
        snprintf(path, sizeof path, "/proc/thread-self/fd/%d", fds[i]);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len < 0)
            len = 0;
        target[len] = 0;
        const char *kind = target;
        if (!strncmp(target, "pipe:", 5))
            kind = "pipe";
        else if (!strncmp(target, "socket:", 7))
            kind = "socket";
        else if (target[0] == '/') {
            const char *slash = strrchr(target, '/');
            kind = slash[1] ? slash + 1 : target;
        }
        int fl = fcntl(fds[i], F_GETFD);
        n = snprintf(line, sizeof line, "  fd %d %s%s\n", fds[i], kind,
                     fl >= 0 && (fl & FD_CLOEXEC) ? " cloexec" : "");
        (void)!write(out, line, (size_t)n);
    }
    closedir(d);
}

#endif
