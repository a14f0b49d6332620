/*
 * forkbusy: a forked child that runs for a while, to check that the profiler
 * still works in it: it answers RETAIN_SIGNAL and writes periodic reports
 * under its own pid, not only its exit report.
 *
 * usage: forkbusy MILLISECONDS
 * The parent starts a thread that allocates, forks, and waits for the child.
 * The child prints "child <pid>" (flushed), allocates in two threads for the
 * given time, and exits normally.  The parent then prints the child's status.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long run_ms;
static volatile int stop;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void *churn(void *arg)
{
    uint32_t s = 88172645u + (uint32_t)(intptr_t)arg;
    void *slots[64] = { 0 };
    long start = now_ms();
    for (unsigned long it = 0; !stop; it++) {
        if (run_ms && (it & 1023) == 0 && now_ms() - start >= run_ms)
            break;
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        int i = s % 64;
        free(slots[i]);
        slots[i] = (s & 1) ? malloc(16 + (s >> 8) % 2000) : NULL;
    }
    for (int i = 0; i < 64; i++)
        free(slots[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 2500;
    pthread_t bg;
    pthread_create(&bg, NULL, churn, (void *)1); /* runs until stop */
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        printf("child %d\n", (int)getpid());
        fflush(stdout);
        run_ms = ms;
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, churn, (void *)(intptr_t)(i + 2));
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        printf("child done\n");
        return 0;
    }
    int status;
    waitpid(pid, &status, 0);
    stop = 1;
    pthread_join(bg, NULL);
    printf("parent: child status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}
