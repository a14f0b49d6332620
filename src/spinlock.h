/* spinlock.h: the one spinlock of libretain (base layer), for critical
 * sections of a few dozen instructions on the allocation path (block-table
 * shards, a watch while its block is copied), where a mutex's system call
 * on contention would cost more than the wait.  After a thousand spins the
 * waiter yields: the holder was probably preempted. */
#ifndef RETAIN_SPINLOCK_H
#define RETAIN_SPINLOCK_H

#include <sched.h>

struct spinlock {
    int held;
};

#define SPINLOCK_INIT { 0 }

static inline void spin_lock(struct spinlock *l)
{
    for (unsigned spins = 0; __atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE);) {
        while (__atomic_load_n(&l->held, __ATOMIC_RELAXED)) {
            __builtin_ia32_pause();
            if (++spins > 1000) {
                sched_yield();
                spins = 0;
            }
        }
    }
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

/* Fork child: the holder, if any, did not survive. */
static inline void spin_reset(struct spinlock *l)
{
    __atomic_store_n(&l->held, 0, __ATOMIC_RELAXED);
}

#endif
