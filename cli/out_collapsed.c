/* out_collapsed.c: folded stacks, root first, for flamegraph.pl and inferno. */
#include "fmt.h"
#include "outputs.h"

#include <inttypes.h>
#include <string.h>

/* flamegraph.pl splits on ';' and on the last space: neither may appear
 * inside a frame's name. */
static void put_frame(FILE *fp, const struct frame *f)
{
    char buf[256];
    for (const char *p = frame_name(f, buf, sizeof buf); *p; p++)
        fputc(*p == ';' ? ':' : *p == '\n' ? ' ' : *p, fp);
}

static void line(const struct stack *s, int64_t v, void *arg)
{
    FILE *fp = arg;
    for (size_t i = s->n; i-- > 0;) {
        put_frame(fp, &s->frames[i]);
        if (i)
            fputc(';', fp);
    }
    if (s->n == 0)
        fputs("[unknown]", fp);
    fprintf(fp, " %" PRId64 "\n", v);
}

int out_collapsed(FILE *fp, const struct report *r, enum weight w)
{
    weighted_stacks(r, w, line, fp);
    return 0;
}
