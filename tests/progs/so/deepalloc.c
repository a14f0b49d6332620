/*
 * deepalloc: a shared library that deepbind.c loads with RTLD_DEEPBIND, so
 * that its malloc and free bind to libc's before any preloaded wrapper.
 *   deep_free(p):          frees a block the program allocated
 *   deep_churn(n, size):   allocates and frees n blocks of its own
 */
#include <stdlib.h>
#include <string.h>

void deep_free(void *p)
{
    free(p);
}

unsigned long deep_churn(int n, size_t size)
{
    unsigned long sum = 0;
    for (int i = 0; i < n; i++) {
        unsigned char *p = malloc(size);
        if (!p)
            continue;
        memset(p, i, 4096);
        sum += p[i % 4096];
        free(p);
    }
    return sum;
}
