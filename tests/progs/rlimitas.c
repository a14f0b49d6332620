/*
 * rlimitas: the address space is nearly used up when the process exits.
 * Sets RLIMIT_AS to the current size (VmSize) plus MARGIN MiB, allocates
 * 1 MiB, 64 KiB and 4 KiB blocks until malloc fails, frees them all (or
 * keeps them), and exits 0.  A profiler's exit report must not crash
 * (SIGSEGV on a stack that cannot grow) or change the status.
 *
 * usage: rlimitas free|keep|tight [MARGIN_MIB]   (default margin 16)
 *   tight: no allocation loop: the limit is set just before exit, to the
 *          size the process has then plus the margin (as a parent's
 *          `ulimit -v` leaves a program that has grown to its limit)
 * Prints "limit set", "allocation failed: ENOMEM", then "kept", or "freed"
 * and the fds open at exit (fdlist.h); counts go to stderr: they differ
 * under a profiler, whose memory counts too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fdlist.h"

static long vm_size_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmSize:", 7))
            kib = atol(line + 7);
    if (f)
        fclose(f);
    return kib;
}

struct chunk {
    struct chunk *next;
};

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int keep = !strcmp(argv[1], "keep");
    long margin_mib = argc > 2 ? atol(argv[2]) : 16;
    long kib = vm_size_kib();
    if (kib <= 0) {
        printf("cannot read VmSize\n");
        return 1;
    }
    printf("limit set\n");
    fflush(stdout);
    if (!strcmp(argv[1], "tight")) {
        fdlist_print(1, "open at exit:");
        kib = vm_size_kib();
        struct rlimit now = { (rlim_t)(kib + margin_mib * 1024) * 1024, RLIM_INFINITY };
        if (setrlimit(RLIMIT_AS, &now) != 0) {
            perror("setrlimit");
            return 1;
        }
        return 0;
    }
    struct rlimit rl = { (rlim_t)(kib + margin_mib * 1024) * 1024, RLIM_INFINITY };
    if (setrlimit(RLIMIT_AS, &rl) != 0) {
        perror("setrlimit");
        return 1;
    }
    struct chunk *list = NULL;
    long count = 0;
    int err = 0;
    for (size_t size = 1u << 20; size >= 4u << 10; size /= 16) {
        for (;;) {
            struct chunk *c = malloc(size);
            if (!c) {
                err = errno;
                break;
            }
            memset(c, 1, 64);
            c->next = list;
            list = c;
            count++;
        }
    }
    printf("allocation failed: %s\n", err == ENOMEM ? "ENOMEM" : strerror(err));
    fprintf(stderr, "rlimitas: %ld blocks under a limit of VmSize %ld KiB + %ld MiB\n",
            count, kib, margin_mib);
    if (keep) {
        printf("kept\n");
        return 0;
    }
    while (list) {
        struct chunk *next = list->next;
        free(list);
        list = next;
    }
    printf("freed\n");
    fflush(stdout);
    fdlist_print(1, "open at exit:");
    return 0;
}
