/*
 * exitprog: allocates, then leaves through _exit or _Exit, skipping stdio
 * flushing and atexit handlers.
 *
 * usage: exitprog _exit|_Exit
 * stdout: "flushed before _exit" only.  The line printed after the flush
 * stays in the stdio buffer and is lost (stdout is a pipe), and the atexit
 * handler never runs; a profiler that flushed stdio or ran exit handlers in
 * its _exit wrapper would change the output.  Exit status 3 (_exit) or
 * 4 (_Exit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))

static void *keep[30];

NOINLINE void exit_alloc(void)
{
    for (int i = 0; i < 30; i++) {
        keep[i] = malloc(256);
        memset(keep[i], i, 256);
    }
}

static void handler(void)
{
    printf("atexit handler ran\n");
}

int main(int argc, char **argv)
{
    int use_Exit = argc > 1 && strcmp(argv[1], "_Exit") == 0;
    atexit(handler);
    exit_alloc();
    printf("flushed before %s\n", use_Exit ? "_Exit" : "_exit");
    fflush(stdout);
    printf("still in the stdio buffer\n");
    if (use_Exit)
        _Exit(4);
    _exit(3);
}
