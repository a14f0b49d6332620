#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
    int known;                  /* fd 2 was open at start-up */
    dev_t dev;
    ino_t ino;
} start_stderr;

void log_init(void)
{
    struct stat st;
    start_stderr.known = fstat(2, &st) == 0;
    if (start_stderr.known) {
        start_stderr.dev = st.st_dev;
        start_stderr.ino = st.st_ino;
    }
}

static int stderr_unchanged(void)
{
    struct stat st;
    return start_stderr.known && fstat(2, &st) == 0 && st.st_dev == start_stderr.dev &&
           st.st_ino == start_stderr.ino;
}

int log_error(const char *fmt, ...)
{
    int saved = errno;
    int rc = -1;
    if (stderr_unchanged()) {
        char line[768];
        int n = snprintf(line, sizeof line, "libretain[%d]: ", (int)getpid());
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
        va_end(ap);
        if (m < 0)
            m = 0;
        n += m;
        if (n > (int)sizeof line - 2)
            n = (int)sizeof line - 2;
        line[n++] = '\n';
        rc = write(2, line, (size_t)n) == n ? 0 : -1;
    }
    errno = saved;
    return rc;
}
