/*
 * usr2prog: a program that handles SIGUSR2 itself (installed in main, after
 * the profiler started).  Its handler must run exactly as without the
 * profiler: the program allocates until the handler fires, then prints
 * "caught SIGUSR2" and exits 0.  Gives up (exit 1) after 10 seconds.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t caught;

static void on_usr2(int sig)
{
    (void)sig;
    caught++;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR2, &sa, NULL) != 0)
        return 2;
    printf("handler installed\n");
    fflush(stdout);
    time_t start = time(NULL);
    void *slots[100] = { 0 };
    unsigned i = 0;
    while (!caught && time(NULL) - start < 10) {
        free(slots[i % 100]);
        slots[i % 100] = malloc(32 + i % 500);
        i++;
    }
    for (int k = 0; k < 100; k++)
        free(slots[k]);
    if (!caught) {
        printf("no SIGUSR2 within 10 s\n");
        return 1;
    }
    printf("caught SIGUSR2\n");
    return 0;
}
