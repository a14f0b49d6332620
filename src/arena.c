#include "arena.h"
#include "mutex.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#define CHUNK (1u << 20)

static struct rmutex lock = RMUTEX_INIT(LOCK_RANK_ARENA);
static unsigned char *cur, *end;
static size_t mapped;

void *arena_map(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    __atomic_add_fetch(&mapped, size, __ATOMIC_RELAXED);
    return p;
}

void arena_unmap(void *p, size_t size)
{
    munmap(p, size);
    __atomic_sub_fetch(&mapped, size, __ATOMIC_RELAXED);
}

void *arena_alloc(size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size >= CHUNK / 4)
        return arena_map(size);
    rmutex_lock(&lock);
    if ((size_t)(end - cur) < size) {
        unsigned char *m = arena_map(CHUNK);
        if (!m) {
            rmutex_unlock(&lock);
            return NULL;
        }
        cur = m;
        end = m + CHUNK;
    }
    void *p = cur;
    cur += size;
    rmutex_unlock(&lock);
    return p;
}

size_t arena_bytes(void) { return __atomic_load_n(&mapped, __ATOMIC_RELAXED); }

void arena_lock(void) { rmutex_lock(&lock); }
void arena_unlock(void) { rmutex_unlock(&lock); }
void arena_after_fork_child(void) { rmutex_reset(&lock); }
