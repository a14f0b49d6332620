/*
 * fd2reuse: closes fd 2 and opens a data file, which gets fd 2, writes data
 * lines to it and exits.  The data file must hold exactly the program's data:
 * nothing a profiler writes to "stderr" may end up in it.
 *
 * usage: fd2reuse DATAFILE
 * Prints "data fd N" on stdout, then the fds open at exit (fdlist.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdlist.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    void *early = malloc(100);
    close(2);
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    printf("data fd %d\n", fd);
    if (fd < 0)
        return 1;
    char line[64];
    for (int i = 0; i < 100; i++) {
        void *p = malloc(64 + (size_t)i * 100);
        int n = snprintf(line, sizeof line, "record %03d\n", i);
        (void)!write(fd, line, (size_t)n);
        free(p);
    }
    void *big = malloc(2u << 20);
    memset(big, 0, 4096);
    free(big);
    free(early);
    fflush(stdout);
    fdlist_print(1, "open at exit:");
    return 0;
}
