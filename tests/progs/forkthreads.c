/*
 * forkthreads: fork while other threads are busy in malloc/free.
 *
 * Three threads allocate and free continuously.  Meanwhile main forks NFORK
 * children, one after another.  Each child allocates in child_alloc() (1000 x
 * 64 bytes, frees 500), starts a thread of its own that allocates 100 x 32
 * bytes in child_thread_alloc() (kept), and exits normally.  The parent waits
 * for each child.  A deadlock in the child (a lock held by a thread that does
 * not exist after fork) shows up as a hang; the harness has a timeout.
 *
 * stdout: "child K done" from each child, "PID K <pid> status S" from the
 * parent (the harness uses the pids and ignores them when comparing output).
 *
 * usage: forkthreads [NFORK [GAP_MS]]   (default 4 children, 50 ms apart)
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
static void *child_blocks[1000];
static void *child_thread_blocks[100];

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void *churn(void *arg)
{
    uint32_t s = 12345u + (uint32_t)(intptr_t)arg * 7777u;
    void *slots[256] = { 0 };
    while (!stop) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        int i = s % 256;
        if (slots[i]) {
            if (s & 0x100) {
                free(slots[i]);
                slots[i] = NULL;
            } else {
                slots[i] = realloc(slots[i], 8 + (s >> 12) % 8000);
            }
        } else {
            slots[i] = malloc(8 + (s >> 12) % 4000);
        }
    }
    for (int i = 0; i < 256; i++)
        free(slots[i]);
    return NULL;
}

NOINLINE void child_alloc(void)
{
    for (int i = 0; i < 1000; i++) {
        child_blocks[i] = malloc(64);
        memset(child_blocks[i], 'c', 64);
    }
    for (int i = 0; i < 1000; i += 2)
        free(child_blocks[i]);
}

NOINLINE void child_thread_alloc(void)
{
    for (int i = 0; i < 100; i++) {
        child_thread_blocks[i] = malloc(32);
        memset(child_thread_blocks[i], 't', 32);
    }
}

static void *child_thread(void *arg)
{
    child_thread_alloc();
    return NULL;
}

static void child_main(int k)
{
    child_alloc();
    pthread_t t;
    if (pthread_create(&t, NULL, child_thread, NULL) != 0)
        exit(20);
    pthread_join(t, NULL);
    printf("child %d done\n", k);
    exit(0); /* normal exit: stdio flushed, atexit handlers run */
}

int main(int argc, char **argv)
{
    int nfork = argc > 1 ? atoi(argv[1]) : 4;
    long gap_ms = argc > 2 ? atol(argv[2]) : 50;
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, churn, (void *)(intptr_t)i);
    sleep_ms(200);

    int failures = 0;
    for (int k = 0; k < nfork; k++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0)
            child_main(k);
        int status = 0;
        if (waitpid(pid, &status, 0) != pid)
            failures++;
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (code != 0)
            failures++;
        printf("PID %d %d status %d\n", k, (int)pid, code);
        sleep_ms(gap_ms);
    }

    stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    printf("parent done, %d failures\n", failures);
    return failures != 0;
}
