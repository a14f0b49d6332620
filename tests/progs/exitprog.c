/*
 * exitprog: allocates, then leaves through _exit or _Exit, skipping stdio
 * flushing and atexit handlers.
 *
 * usage: exitprog _exit|_Exit|quick_exit
 * stdout: "flushed before _exit" only.  The line printed after the flush
 * stays in the stdio buffer and is lost (stdout is a pipe), and the atexit
 * handler never runs; a profiler that flushed stdio or ran exit handlers in
 * its _exit wrapper would change the output.  Exit status 3 (_exit) or
 * 4 (_Exit).  quick_exit (status 6) runs only the at_quick_exit handler,
 * which prints and flushes: stdout then also carries the buffered line.
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

static void quick_handler(void)
{
    printf("at_quick_exit handler ran\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "_exit";
    atexit(handler);
    at_quick_exit(quick_handler);
    exit_alloc();
    printf("flushed before %s\n", how);
    fflush(stdout);
    printf("still in the stdio buffer\n");
    if (strcmp(how, "_Exit") == 0)
        _Exit(4);
    if (strcmp(how, "quick_exit") == 0)
        quick_exit(6);
    _exit(3);
}
