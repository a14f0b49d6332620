#include "fds.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

static int high_base;           /* 0: leave descriptors where they are */

void fds_init(void)
{
    struct rlimit r;
    rlim_t top = 1024;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < top)
        top = r.rlim_cur;
    /* Too few descriptors to set any apart: stay low. */
    high_base = top >= 128 ? (int)top - 32 : 0;
}

int fd_move_high(int fd)
{
    if (fd < 0)
        return fd;
    if (high_base && fd < high_base) {
        int moved = fcntl(fd, F_DUPFD_CLOEXEC, high_base);
        if (moved >= 0) {
            close(fd);
            return moved;
        }
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}
