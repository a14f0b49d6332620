/*
 * p2_uthash (POSITIVE): a uthash table (Debian uthash-dev, /usr/include/uthash.h)
 * after HASH_DEL of most items.
 *
 * uthash keeps one bucket array of UT_hash_bucket {hh_head, count,
 * expand_mult} (16 bytes each), doubled by HASH_EXPAND_BUCKETS (new array,
 * move, free the old: a growth series) whenever a chain grows past 10.  It
 * never shrinks: HASH_DEL only unlinks, and frees the table and its buckets
 * when the last item goes.  An emptied bucket has hh_head NULL and count 0;
 * expand_mult may stay stale.
 *
 * Timeline: add 360,000 users from add_users() (262,144 buckets = 4 MiB),
 * hold 1.2 s, HASH_DEL + free all but every 200th (0.5% kept), hold 1.5 s,
 * then delete the rest (uthash frees the bucket array with the last item,
 * so the drained array is freed only at the very end) and exit.
 *
 * Truth: occupancy = fraction of buckets whose hh_head is not NULL.
 */
#include "corpus.h"
#include <uthash.h>

struct user {
    int64_t id;
    int32_t logins;
    int32_t flags;
    UT_hash_handle hh;
};

static struct user *users = NULL;

NOINLINE void add_users(int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        struct user *u = corpus_xmalloc(sizeof *u);
        u->id = (int64_t)(corpus_mix((uint64_t)i) >> 1);
        u->logins = (int32_t)(i & 0xffff) + 1;
        u->flags = 1;
        HASH_ADD(hh, users, id, sizeof(int64_t), u);
    }
}

NOINLINE void remove_users(int64_t n, int64_t keep_every)
{
    for (int64_t i = 0; i < n; i++) {
        if (i % keep_every == 0)
            continue;
        int64_t id = (int64_t)(corpus_mix((uint64_t)i) >> 1);
        struct user *u;
        HASH_FIND(hh, users, &id, sizeof(int64_t), u);
        if (u) {
            HASH_DEL(users, u);
            free(u);
        }
    }
}

static void bucket_stats(size_t *nb, size_t *nonempty)
{
    UT_hash_table *t = users->hh.tbl;
    size_t k = 0;
    for (unsigned i = 0; i < t->num_buckets; i++)
        k += t->buckets[i].hh_head != NULL;
    *nb = t->num_buckets;
    *nonempty = k;
}

#define N_USERS 360000
#define KEEP_EVERY 200

int main(void)
{
    corpus_start();
    add_users(N_USERS);
    size_t nb, ne;
    bucket_stats(&nb, &ne);
    double peak = (double)ne / (double)nb;
    corpus_phase("peak", "buckets=%zu bytes=%zu items=%u nonempty=%zu occupancy=%.4f ineff_expands=%u",
                 nb, nb * sizeof(UT_hash_bucket), HASH_COUNT(users), ne, peak,
                 users->hh.tbl->ineff_expands);
    corpus_sleep(HOLD_PEAK_S);

    remove_users(N_USERS, KEEP_EVERY);
    size_t nb2, ne2;
    bucket_stats(&nb2, &ne2);
    double occ = (double)ne2 / (double)nb2;
    size_t stale_mult = 0;        /* empty buckets whose count word is not zero */
    for (unsigned i = 0; i < users->hh.tbl->num_buckets; i++)
        stale_mult += !users->hh.tbl->buckets[i].hh_head && users->hh.tbl->buckets[i].expand_mult;
    corpus_phase("drained", "buckets=%zu items=%u nonempty=%zu occupancy=%.4f "
                 "empty_with_stale_expand_mult=%zu",
                 nb2, HASH_COUNT(users), ne2, occ, stale_mult);
    corpus_truth(nb2 * sizeof(UT_hash_bucket), peak, occ);
    corpus_sleep(HOLD_DRAINED_S);

    struct user *u, *tmp;
    HASH_ITER(hh, users, u, tmp) {
        HASH_DEL(users, u);
        free(u);
    }
    corpus_phase("exit", "table freed at exit");
    return 0;
}
