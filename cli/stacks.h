/* stacks.h: the report's stacks with a weight each (live, peak, retained
 * bytes, allocations), and the same folded into a tree root first: what the
 * flame graph, collapsed, speedscope and pprof outputs are made of. */
#ifndef RETAIN_CLI_STACKS_H
#define RETAIN_CLI_STACKS_H
#include <stdint.h>
#include "report_model.h"

enum weight { WEIGHT_LIVE, WEIGHT_PEAK, WEIGHT_RETAINED, WEIGHT_ALLOCATIONS, WEIGHT_COUNT };

/* "live", "peak", "retained", "allocations" */
const char *weight_name(enum weight w);
/* What the weight measures, for titles: "live bytes". */
const char *weight_title(enum weight w);
/* 0 if s names a weight. */
int weight_parse(const char *s, enum weight *w);

/* Calls cb once per stack with its value for w (> 0 only): the call sites
 * for live, peak and allocations, the findings for retained. */
void weighted_stacks(const struct report *r, enum weight w,
                     void (*cb)(const struct stack *s, int64_t value, void *arg), void *arg);
/* The sum over weighted_stacks. */
int64_t weighted_total(const struct report *r, enum weight w);

struct stack_node {
    const char *name;           /* the frame's function (or module+offset) */
    const struct frame *frame;  /* the first frame seen at this node */
    int64_t value;              /* this node and everything below it */
    struct stack_node **kids;
    size_t nkids, cap;
};

/* The weighted stacks as a tree whose root is "all"; children in the
 * order first seen.  Free with stack_tree_free. */
struct stack_node *stack_tree(const struct report *r, enum weight w);
void stack_tree_free(struct stack_node *n);
/* The deepest level below n (n itself: 0). */
int stack_tree_depth(const struct stack_node *n);
#endif
