/*
 * vforkprog: vfork() children that fail to exec and leave with _exit(127),
 * as a shell or Python's subprocess does for a missing command.  A vfork
 * child shares the parent's memory, so a profiler hooking _exit must not act
 * on it (stop the parent's sampler thread, mark the parent finished, ...).
 *
 * After the vforks the parent keeps going for a while: allocates 200 x 128
 * bytes in after_vfork_alloc() (kept) while a thread churns, so that the
 * harness can check it still answers RETAIN_SIGNAL and counts exactly.
 *
 * usage: vforkprog [MILLISECONDS]   (how long the parent runs on; default 1500)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))

static volatile int stop;
static void *kept[200];

static void *churn(void *arg)
{
    uint32_t s = 362436069u;
    void *slots[64] = { 0 };
    while (!stop) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        int i = s % 64;
        free(slots[i]);
        slots[i] = malloc(16 + (s >> 8) % 1000);
    }
    for (int i = 0; i < 64; i++)
        free(slots[i]);
    return NULL;
}

NOINLINE void after_vfork_alloc(void)
{
    for (int i = 0; i < 200; i++) {
        kept[i] = malloc(128);
        memset(kept[i], i, 128);
    }
}

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 1500;
    pthread_t t;
    pthread_create(&t, NULL, churn, NULL);

    char *const bad_argv[] = { "/nonexistent/command", NULL };
    for (int k = 0; k < 3; k++) {
        fflush(stdout);
        pid_t pid = vfork();
        if (pid == 0) {
            execv(bad_argv[0], bad_argv);
            _exit(127);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        printf("vfork child %d: %s %d\n", k, WIFEXITED(status) ? "exit" : "signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        char *const ok_argv[] = { "/bin/echo", "vfork exec ok", NULL };
        execv(ok_argv[0], ok_argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);

    after_vfork_alloc();
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
    stop = 1;
    pthread_join(t, NULL);
    printf("parent done\n");
    return 0;
}
