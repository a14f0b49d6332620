/* retention.c: the registry of watched large blocks. */
#include "retention.h"
#include "arena.h"
#include "block_table.h"
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct watch {
    uintptr_t addr;
    uint64_t size;
    struct site *site;
    uint32_t birth_ms;
    int ended;
    struct watch *next;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct watch *watched;
static struct sampler_stats stats;

void retention_init(void) {}

struct watch *retention_watch(const struct block *b)
{
    struct watch *w = arena_alloc(sizeof *w);
    if (!w)
        return NULL;
    w->addr = b->addr;
    w->size = b->size;
    w->site = b->site;
    w->birth_ms = b->birth_ms;
    pthread_mutex_lock(&registry_lock);
    w->next = watched;
    watched = w;
    stats.watched_blocks++;
    stats.watched_bytes += b->size;
    pthread_mutex_unlock(&registry_lock);
    return w;
}

void retention_unwatch(struct watch *w, int reallocated)
{
    pthread_mutex_lock(&registry_lock);
    w->ended = 1;
    stats.watched_blocks--;
    stats.watched_bytes -= w->size;
    pthread_mutex_unlock(&registry_lock);
}

void retention_sample_pass(void) {}
uint64_t retention_next_wait_ms(void) { return retain_config.interval_ms; }

int retention_findings(struct finding **out, int final)
{
    *out = NULL;
    return 0;
}

void retention_stats(struct sampler_stats *out)
{
    pthread_mutex_lock(&registry_lock);
    *out = stats;
    pthread_mutex_unlock(&registry_lock);
}

void retention_annotate(const void *block, size_t used, size_t capacity) {}

void retention_lock(void) { pthread_mutex_lock(&registry_lock); }
void retention_unlock(void) { pthread_mutex_unlock(&registry_lock); }
void retention_after_fork_child(void) { pthread_mutex_init(&registry_lock, NULL); }

/* retain.h entry point. */
__attribute__((visibility("default"))) void retain_annotate_occupancy_impl(const void *block, size_t used,
                                                                          size_t capacity)
{
    retention_annotate(block, used, capacity);
}
