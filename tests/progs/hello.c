/*
 * hello: a small single-threaded program with deterministic output and a
 * chosen exit status.  Used by the configuration and exec tests.
 *
 * usage: hello [exit-status]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noclone))

static char *keep[50];

NOINLINE char *hello_alloc(size_t n, int i)
{
    char *p = malloc(n);
    memset(p, 'a' + i % 26, n);
    return p;
}

int main(int argc, char **argv)
{
    unsigned long sum = 0;
    for (int i = 0; i < 50; i++) {
        keep[i] = hello_alloc(100 + (size_t)i * 37, i);
        sum += (unsigned char)keep[i][i];
    }
    for (int i = 0; i < 50; i += 2)
        free(keep[i]);
    char *big = calloc(1 << 20, 1);
    big[12345] = 9;
    sum += (unsigned long)big[12345];
    free(big);
    printf("hello from a test program\n");
    printf("checksum %lu\n", sum);
    return argc > 1 ? atoi(argv[1]) : 0;
}
