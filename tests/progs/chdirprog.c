/*
 * chdirprog: allocates, then moves to "/" as a daemon does, and exits.  A
 * relative RETAIN_OUTPUT must still put the report where the program started.
 * stdout: "in /".
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    void *p = malloc(1000);
    if (chdir("/") != 0)
        return 1;
    printf("in /\n");
    free(p);
    return 0;
}
