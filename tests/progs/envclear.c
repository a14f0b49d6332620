/*
 * envclear: the program empties its environment (and sets a bogus
 * RETAIN_OUTPUT of its own) before it ends.  The profiler was configured when
 * the process started; the report must still go where the user asked.
 * Allocates 40 x 64 bytes in envclear_alloc(), kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noclone))

static void *keep[40];

NOINLINE void envclear_alloc(void)
{
    for (int i = 0; i < 40; i++) {
        keep[i] = malloc(64);
        memset(keep[i], i, 64);
    }
}

int main(void)
{
    if (clearenv() != 0)
        return 2;
    setenv("RETAIN_OUTPUT", "/nonexistent/envclear/r", 1);
    setenv("RETAIN_QUIET", "0", 1);
    envclear_alloc();
    printf("environment cleared\n");
    return 0;
}
