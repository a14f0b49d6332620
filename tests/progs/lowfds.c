/*
 * lowfds: closes fds 0, 1 and 2, allocates (so that a profiler unwinds with
 * them closed), reopens them (/dev/null for 0, the file OUT for 1 and 2),
 * allocates again (small and 4 MiB blocks), and writes to OUT which fds the
 * opens returned and every fd open at the end.  Without a profiler the opens
 * return 0, 1, 2 and nothing else is open; the preloaded run must give the
 * same file byte for byte.
 *
 * usage: lowfds OUT
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdlist.h"

static void churn(int rounds)
{
    void *keep[32];
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < 32; i++)
            keep[i] = malloc(i % 4 == 0 ? (4u << 20) : 32u + (unsigned)i * 40);
        for (int i = 0; i < 32; i++) {
            memset(keep[i], 3, 16);
            free(keep[i]);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    close(0);
    close(1);
    close(2);
    churn(4);
    int in = open("/dev/null", O_RDONLY);
    int out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = dup(out);
    churn(4);
    char line[128];
    int n = snprintf(line, sizeof line, "stdin %d stdout %d stderr %d\n", in, out, err);
    if (out >= 0)
        (void)!write(out, line, (size_t)n);
    /* stdio on the reopened descriptors, as a program would use them */
    printf("printf reaches fd 1\n");
    fflush(stdout);
    fdlist_print(out >= 0 ? out : 1, "open at exit:");
    return 0;
}
