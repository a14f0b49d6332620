/*
 * tiny: a short process with nothing to report (the exit-cost workload runs
 * it many times): a hundred small allocations, half of them freed, then exit.
 */
#include <stdlib.h>
#include <string.h>

int main(void)
{
    void *p[100];
    for (int i = 0; i < 100; i++) {
        p[i] = malloc(16 + (size_t)i * 10);
        if (p[i])
            memset(p[i], i, 16);
    }
    for (int i = 0; i < 100; i += 2)
        free(p[i]);
    return 0;
}
