/* svg.h: the HTML report's pictures, drawn as inline SVG from C. */
#ifndef RETAIN_CLI_SVG_H
#define RETAIN_CLI_SVG_H
#include <stdio.h>
#include "report_model.h"
#include "stacks.h"

/* A finding's occupancy over its life: one circle (class "pt") per history
 * point, the peak, the drop (first point at or below drop * peak after
 * it) and the retained period marked, both axes labelled. */
void svg_occupancy_chart(FILE *fp, const struct finding *f, double drop);
/* A flame graph of the tree (root at the bottom), one rect per node with
 * its value in a tooltip; element id `id`, hidden unless `shown`. */
void svg_flame(FILE *fp, const struct stack_node *root, const char *id, enum weight w, int shown);
#endif
