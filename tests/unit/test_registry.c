/* test_registry: fork takes every lock the lifecycle table names.
 *
 * For each module, a thread makes a call that takes that module's lock
 * while the main thread holds the prefork locks: the call must not finish
 * until postfork_parent releases them.  A module whose lock prefork left
 * free (the arena's, before the table had it) lets the call through, and a
 * fork at that moment would leave the lock held in the child forever. */
#include "arena.h"
#include "block_table.h"
#include "guard.h"
#include "mapping_table.h"
#include "referents.h"
#include "registry.h"
#include "retention.h"
#include "site_table.h"
#include "unit.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

static int done;

static void sleep_ms(int ms)
{
    struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
}

static void *take_arena(void *arg) { (void)arg; arena_alloc(64); __atomic_store_n(&done, 1, __ATOMIC_RELEASE); return NULL; }

static void *take_sites(void *arg)
{
    uintptr_t ips[2] = { 0x1234, (uintptr_t)arg };
    site_intern(ips, 2);
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *take_blocks(void *arg)
{
    struct block b;
    memset(&b, 0, sizeof b);
    b.addr = 0x10000 + (uintptr_t)arg * 16;
    b.size = 16;
    block_insert(&b, NULL);
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *take_retention(void *arg)
{
    struct sampler_stats st;
    retention_stats(&st);
    (void)arg;
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *take_referents(void *arg)
{
    referents_lock();
    referents_unlock();
    (void)arg;
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *take_mappings(void *arg)
{
    struct mapping m;
    mapping_find((uintptr_t)arg, &m);
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* While prefork holds the locks, fn must block; after postfork_parent it
 * must finish. */
static void held_at_fork(const char *what, void *(*fn)(void *), uintptr_t arg)
{
    __atomic_store_n(&done, 0, __ATOMIC_RELEASE);
    registry_prefork();
    pthread_t t;
    pthread_create(&t, NULL, fn, (void *)arg);
    sleep_ms(100);
    int blocked = !__atomic_load_n(&done, __ATOMIC_ACQUIRE);
    registry_postfork_parent();
    pthread_join(t, NULL);
    CHECK(blocked, "%s: a call that takes its lock finished while prefork held the locks", what);
    CHECK(__atomic_load_n(&done, __ATOMIC_ACQUIRE), "%s: the call never finished", what);
}

int main(void)
{
    guard_enter();
    registry_init();
    UNIT_CASE("every module's lock is held from prefork to postfork");
    held_at_fork("arena", take_arena, 0);
    held_at_fork("site table", take_sites, 1);
    held_at_fork("block table", take_blocks, 2);
    held_at_fork("retention registry", take_retention, 3);
    held_at_fork("referents", take_referents, 4);
    struct mapping tracked = { .lo = 0x100000, .hi = 0x200000 };
    CHECK(mapping_insert(&tracked) == 0, "a mapping could not be inserted");
    held_at_fork("mapping table", take_mappings, 0x100000);
    UNIT_CASE("prefork and postfork can repeat");
    for (int i = 0; i < 100; i++) {
        registry_prefork();
        registry_postfork_parent();
    }
    held_at_fork("arena (again)", take_arena, 0);
    return unit_done();
}
