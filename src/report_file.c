/* report_file.c: one report file, written beside its final name and renamed
 * into place (see report_file.h for the guarantees). */
#include "report_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A directory that no one but root and `uid` can change entries of. */
static int dir_trusted(const struct stat *st, uid_t uid, int last)
{
    if (!S_ISDIR(st->st_mode))
        return 0;
    if (last)       /* the report's own directory: the real user's, no one else's */
        return st->st_uid == uid && !(st->st_mode & (S_IWGRP | S_IWOTH));
    if (st->st_uid != 0 && st->st_uid != uid)
        return 0;
    /* sticky: others may add entries but not rename or remove ours */
    return !(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX);
}

static int refuse(int fd)
{
    if (fd >= 0)
        close(fd);
    errno = EPERM;
    return -1;
}

int report_dir_safe(const char *dir)
{
    if (dir[0] != '/')
        return refuse(-1);
    uid_t uid = getuid();
    int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    for (const char *p = dir; fd >= 0;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;              /* fd is the directory itself */
        char name[256];
        if (n >= sizeof name || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return refuse(fd);
        if (fstat(fd, &st) < 0 || !dir_trusted(&st, uid, 0))
            return refuse(fd);
        memcpy(name, p, n);
        name[n] = 0;
        int next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = next;
        p += n;
    }
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !dir_trusted(&st, uid, 1))
        return refuse(fd);
    return fd;
}

/* 64 unpredictable bits for a temporary name: getrandom, or if the kernel
 * refuses (seccomp, very old kernels) a mix of what differs per call. */
static uint64_t name_bits(void)
{
    static uint64_t counter;
    uint64_t x;
    if (getrandom(&x, sizeof x, GRND_NONBLOCK) == (ssize_t)sizeof x)
        return x;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 40) ^
        (uintptr_t)&ts ^ __atomic_add_fetch(&counter, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 29;
    return x;
}

/* Writing past RLIMIT_FSIZE raises SIGXFSZ, which kills the process unless
 * the program handles it: never start a file that cannot fit. */
static int fits_file_limit(size_t len)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && len > rl.rlim_cur) {
        errno = EFBIG;
        return 0;
    }
    return 1;
}

static int write_all(int fd, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

int report_file_write(const char *path, const char *data, size_t len, unsigned mode, int secure)
{
    char dir[4800];
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dlen = slash ? (size_t)(slash - path) : 0;
    /* room for ".<16 hex>.tmp" within NAME_MAX */
    if (!*base || dlen >= sizeof dir || strlen(base) > NAME_MAX - 21) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (slash) {
        memcpy(dir, path, dlen);
        dir[dlen] = 0;
        if (dlen == 0)
            strcpy(dir, "/");
    } else {
        strcpy(dir, ".");
    }
    if (!fits_file_limit(len))
        return -1;
    int dirfd = secure ? report_dir_safe(dir) : open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return -1;

    char tmp[256];
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 4; tries++) {
        snprintf(tmp, sizeof tmp, "%s.%016llx.tmp", base, (unsigned long long)name_bits());
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int e = errno;
        close(dirfd);
        errno = e;
        return -1;
    }
    /* fchmod: the exact mode, whatever the program's umask */
    int rc = fchmod(fd, mode) == 0 && write_all(fd, data, len) == 0 ? 0 : -1;
    int e = errno;
    if (close(fd) < 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc == 0 && renameat(dirfd, tmp, dirfd, base) < 0) {
        rc = -1;
        e = errno;
    }
    if (rc < 0)
        unlinkat(dirfd, tmp, 0);
    close(dirfd);
    errno = e;
    return rc;
}
