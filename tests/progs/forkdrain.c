/*
 * forkdrain: a forked child drains a table its parent filled, and then only
 * waits: the child's report must find it retained.  The child inherits the
 * parent's watch of the table and starts its own sampler lazily (at its
 * first allocation or free after fork), so this checks that freeing alone
 * is enough to start it.
 *
 * usage: forkdrain
 * The parent fills a 4M-slot pointer array (32 MiB) with 4M small items,
 * waits 1.5 s (the table is measured full), prints "filled", forks and waits for the child.
 * The child frees 99% of the items, zeroing their slots, prints "drained",
 * sleeps 2.5 s and exits 0; the parent prints the child's status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLOTS (4u << 20)

__attribute__((noinline)) static void **make_table(void)
{
    void **t = malloc(SLOTS * sizeof *t);
    for (unsigned i = 0; t && i < SLOTS; i++)
        t[i] = malloc(24);
    return t;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int main(void)
{
    void **table = make_table();
    if (!table)
        return 1;
    sleep_ms(1500);
    printf("filled\n");        /* stdout's buffer exists before fork: the child need not allocate */
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        for (unsigned i = 0; i < SLOTS; i++)
            if (i % 100 != 0) {
                free(table[i]);
                table[i] = NULL;
            }
        printf("drained %d\n", (int)getpid());
        fflush(stdout);
        sleep_ms(2500);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
