/* diff_model.c: matching two reports' sites and findings. */
#include "diff_model.h"
#include "fmt.h"

#include <stdlib.h>
#include <string.h>

const char *change_name(enum change c)
{
    static const char *const n[] = { "new", "gone", "grew", "shrank", "same" };
    return n[c];
}

/* Stacks match when their frames name the same functions (or module
 * offsets) in the same order: site ids and load addresses differ between
 * processes. */
static int same_stack(const struct stack *a, const struct stack *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        char x[256], y[256];
        if (strcmp(frame_name(&a->frames[i], x, sizeof x), frame_name(&b->frames[i], y, sizeof y)))
            return 0;
    }
    return 1;
}

static int same_finding(const struct report *ro, const struct finding *a, const struct report *rn,
                        const struct finding *b)
{
    if (!same_stack(&a->stack, &b->stack))
        return 0;
    if (ro->pid == rn->pid && a->address && b->address && strcmp(a->kind, "site") != 0)
        return !strcmp(a->address, b->address);
    return 1;
}

static int by_delta(const void *x, const void *y)
{
    const struct site_change *a = x, *b = y;
    return a->delta < b->delta ? 1 : a->delta > b->delta ? -1 : 0;
}

void diff_compute(const struct report *ro, const struct report *rn, struct diff *d)
{
    memset(d, 0, sizeof *d);
    d->findings = calloc(ro->nfindings + rn->nfindings + 1, sizeof *d->findings);
    char *used = calloc(ro->nfindings + 1, 1);
    for (size_t i = 0; i < rn->nfindings; i++) {
        const struct finding *b = &rn->findings[i];
        struct finding_change *c = &d->findings[d->nfindings++];
        c->new = b;
        c->change = CHANGE_NEW;
        for (size_t k = 0; k < ro->nfindings; k++)
            if (!used[k] && same_finding(ro, &ro->findings[k], rn, b)) {
                used[k] = 1;
                c->old = &ro->findings[k];
                c->change = b->retained_bytes > c->old->retained_bytes   ? CHANGE_GREW
                            : b->retained_bytes < c->old->retained_bytes ? CHANGE_SHRANK
                                                                         : CHANGE_SAME;
                break;
            }
    }
    for (size_t k = 0; k < ro->nfindings; k++)
        if (!used[k]) {
            struct finding_change *c = &d->findings[d->nfindings++];
            c->old = &ro->findings[k];
            c->change = CHANGE_GONE;
        }
    free(used);

    d->sites = calloc(rn->nsites + 1, sizeof *d->sites);
    for (size_t i = 0; i < rn->nsites; i++) {
        const struct site *b = &rn->sites[i], *a = NULL;
        for (size_t k = 0; k < ro->nsites && !a; k++)
            if (same_stack(&ro->sites[k].stack, &b->stack))
                a = &ro->sites[k];
        int64_t delta = b->live_bytes - (a ? a->live_bytes : 0);
        if (delta > 0)
            d->sites[d->nsites++] = (struct site_change){ a, b, delta };
    }
    qsort(d->sites, d->nsites, sizeof *d->sites, by_delta);
}

void diff_free(struct diff *d)
{
    free(d->findings);
    free(d->sites);
}
