/* twoexits: two threads end the process at the same moment, one with exit(0),
 * the other with _exit(0), after allocating a large block and a few small
 * ones.  Plain, whichever comes first ends the process.  Under libretain the
 * final report must still be written whole: never two writers at once, never
 * a half-written temporary file left behind. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_barrier_t go;

static void *other(void *arg)
{
    pthread_barrier_wait(&go);
    _exit(0);
}

int main(void)
{
    void *keep = malloc(4 << 20);
    for (int i = 0; i < 1000; i++)
        free(malloc(100 + i));
    pthread_barrier_init(&go, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, other, NULL);
    pthread_barrier_wait(&go);
    (void)keep;
    exit(0);
}
