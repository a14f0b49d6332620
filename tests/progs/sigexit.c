/*
 * sigexit: a SIGTERM handler ends the process while the main thread is busy
 * in malloc/free of varied sizes (16 bytes to 1.5 MiB, so both the arena
 * paths and mmap'd chunks are hit).  The process must end with status 3.
 *
 * usage: sigexit exit|_exit
 *   exit:  the handler calls exit(3) (not async-signal-safe by the letter,
 *          but common, and it works without a profiler)
 *   _exit: the handler calls write(2) then _exit(3) (async-signal-safe)
 * Prints "looping" once the loop has started (the harness then sends
 * SIGTERM), and never returns on its own within 60 s (exit status 1 then).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int use_exit;

static void on_term(int sig)
{
    (void)sig;
    if (use_exit)
        exit(3);
    static const char msg[] = "handler: _exit(3)\n";
    (void)!write(1, msg, sizeof msg - 1);
    _exit(3);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sigexit exit|_exit\n");
        return 2;
    }
    use_exit = !strcmp(argv[1], "exit");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    printf("looping\n");
    fflush(stdout);
    void *slots[256] = { 0 };
    uint32_t s = 2463534242u;
    time_t start = time(NULL);
    for (unsigned long it = 0;; it++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        unsigned i = s % 256;
        free(slots[i]);
        size_t size = (s & 0xf000) == 0 ? 64 * 1024 + (s >> 8) % (1536 * 1024) : 16 + (s >> 8) % 4000;
        slots[i] = (s & 0x10000) ? calloc(1, size) : malloc(size);
        if ((it & 0xffff) == 0 && time(NULL) - start > 60)
            return 1;
    }
}
