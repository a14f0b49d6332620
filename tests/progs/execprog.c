/*
 * execprog: allocates, prints a line, then replaces itself with another
 * program: execprog PATH [ARGS...] runs execv(PATH, [PATH, ARGS...]).
 * The process keeps its pid, so the report comes from the new image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *keep[20];

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: execprog PATH [ARGS...]\n");
        return 2;
    }
    for (int i = 0; i < 20; i++) {
        keep[i] = malloc(1000 + (size_t)i);
        memset(keep[i], i, 1000);
    }
    printf("before exec of %s\n", strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1]);
    fflush(stdout);
    execv(argv[1], argv + 1);
    perror("execv");
    return 127;
}
