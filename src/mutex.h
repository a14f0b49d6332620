/* mutex.h: a mutex that knows its lock rank (lifecycle.h), so that debug
 * builds check the order in which a thread takes locks. */
#ifndef RETAIN_MUTEX_H
#define RETAIN_MUTEX_H

#include "lifecycle.h"

#include <pthread.h>

struct rmutex {
    pthread_mutex_t m;
    enum lock_rank rank;
};

#define RMUTEX_INIT(rank) { PTHREAD_MUTEX_INITIALIZER, rank }

static inline void rmutex_lock(struct rmutex *x)
{
    lock_rank_acquire(x->rank);
    pthread_mutex_lock(&x->m);
}

static inline void rmutex_unlock(struct rmutex *x)
{
    pthread_mutex_unlock(&x->m);
    lock_rank_release(x->rank);
}

/* Fork child: the lock is free again, whoever held it in the parent. */
static inline void rmutex_reset(struct rmutex *x)
{
    pthread_mutex_init(&x->m, NULL);
    lock_rank_release(x->rank);
}

#endif
