/* stacks.c: weighted stacks and the stack tree. */
#include "stacks.h"
#include "fmt.h"

#include <stdlib.h>
#include <string.h>

static const char *const names[WEIGHT_COUNT] = { "live", "peak", "retained", "allocations" };
static const char *const titles[WEIGHT_COUNT] = { "live bytes", "peak live bytes", "retained bytes",
                                                  "allocations" };

const char *weight_name(enum weight w) { return names[w]; }
const char *weight_title(enum weight w) { return titles[w]; }

int weight_parse(const char *s, enum weight *w)
{
    for (int i = 0; i < WEIGHT_COUNT; i++)
        if (!strcmp(s, names[i])) {
            *w = (enum weight)i;
            return 0;
        }
    return -1;
}

void weighted_stacks(const struct report *r, enum weight w,
                     void (*cb)(const struct stack *s, int64_t value, void *arg), void *arg)
{
    if (w == WEIGHT_RETAINED) {
        for (size_t i = 0; i < r->nfindings; i++)
            if (r->findings[i].retained_bytes > 0)
                cb(&r->findings[i].stack, (int64_t)r->findings[i].retained_bytes, arg);
        return;
    }
    for (size_t i = 0; i < r->nsites; i++) {
        const struct site *s = &r->sites[i];
        int64_t v = w == WEIGHT_LIVE ? s->live_bytes : w == WEIGHT_PEAK ? s->peak_live_bytes
                                                                        : (int64_t)s->allocations;
        if (v > 0)
            cb(&s->stack, v, arg);
    }
}

static void add_total(const struct stack *s, int64_t v, void *arg)
{
    (void)s;
    *(int64_t *)arg += v;
}

int64_t weighted_total(const struct report *r, enum weight w)
{
    int64_t t = 0;
    weighted_stacks(r, w, add_total, &t);
    return t;
}

static struct stack_node *node_new(const char *name, const struct frame *f)
{
    struct stack_node *n = calloc(1, sizeof *n);
    n->name = strdup(name);
    n->frame = f;
    return n;
}

static struct stack_node *child(struct stack_node *p, const struct frame *f)
{
    char buf[256];
    const char *name = frame_name(f, buf, sizeof buf);
    for (size_t i = 0; i < p->nkids; i++)
        if (!strcmp(p->kids[i]->name, name))
            return p->kids[i];
    if (p->nkids == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 4;
        p->kids = realloc(p->kids, p->cap * sizeof *p->kids);
    }
    return p->kids[p->nkids++] = node_new(name, f);
}

static void add_stack(const struct stack *s, int64_t v, void *arg)
{
    struct stack_node *n = arg;
    n->value += v;
    for (size_t i = s->n; i-- > 0;) {
        n = child(n, &s->frames[i]);
        n->value += v;
    }
}

struct stack_node *stack_tree(const struct report *r, enum weight w)
{
    struct stack_node *root = node_new("all", NULL);
    weighted_stacks(r, w, add_stack, root);
    return root;
}

void stack_tree_free(struct stack_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        stack_tree_free(n->kids[i]);
    free(n->kids);
    free((char *)n->name);
    free(n);
}

int stack_tree_depth(const struct stack_node *n)
{
    int d = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        int k = 1 + stack_tree_depth(n->kids[i]);
        if (k > d)
            d = k;
    }
    return d;
}
