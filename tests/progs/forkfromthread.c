/*
 * forkfromthread: a thread other than main forks; in the child that thread
 * is the only one, and it ends by returning from its start routine or by
 * pthread_exit(NULL).  The child must then exit with status 0, as it does
 * without a profiler (CPython's test_threading
 * test_3_join_in_forked_from_thread).  Before forking, the parent allocates
 * 2 MiB blocks so that the profiler's sampler has work.
 *
 * usage: forkfromthread return|pthread_exit
 * The parent waits at most 10 s for the child and prints how it ended:
 *   "child exited 0" | "child killed by N" | "child still running after 10 s"
 * (then kills it with SIGKILL), then the fds open in the parent (fdlist.h);
 * exit status 0 only for "child exited 0".
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdlist.h"

static int use_pthread_exit;
static pid_t child;

static void *forker(void *arg)
{
    (void)arg;
    fflush(stdout);
    child = fork();
    if (child < 0) {
        perror("fork");
        return NULL;
    }
    if (child == 0) {
        /* the child's only thread: allocate a little, then end it */
        void *p = malloc(3u << 20);
        memset(p, 2, 4096);
        free(p);
        printf("child thread ends\n");
        fflush(stdout);
        if (use_pthread_exit)
            pthread_exit(NULL);
        return NULL;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: forkfromthread return|pthread_exit\n");
        return 2;
    }
    use_pthread_exit = !strcmp(argv[1], "pthread_exit");
    void *blocks[8];
    for (int i = 0; i < 8; i++) {
        blocks[i] = malloc(2u << 20);
        memset(blocks[i], 1, 2u << 20);
    }
    usleep(200 * 1000);             /* a few sampler passes over the blocks */
    pthread_t t;
    if (pthread_create(&t, NULL, forker, NULL) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(t, NULL);
    if (child <= 0)
        return 1;
    int status = 0;
    for (int waited = 0;; waited += 20) {
        pid_t r = waitpid(child, &status, WNOHANG);
        if (r == child)
            break;
        if (r < 0 && errno != EINTR) {
            perror("waitpid");
            return 1;
        }
        if (waited >= 10000) {
            printf("child still running after 10 s\n");
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            fflush(stdout);
            fdlist_print(1, "open at exit:");
            return 1;
        }
        usleep(20 * 1000);
    }
    for (int i = 0; i < 8; i++)
        free(blocks[i]);
    if (WIFEXITED(status))
        printf("child exited %d\n", WEXITSTATUS(status));
    else
        printf("child killed by %d\n", WTERMSIG(status));
    fflush(stdout);
    fdlist_print(1, "open at exit:");
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
