/*
 * apiprog: the public header include/retain.h.  retain_report_now() writes a
 * report (reason "signal") from the calling thread and returns 0 under
 * libretain, -1 without it; retain_annotate_occupancy() is accepted on a
 * block (a no-op without libretain).
 *
 * Prints "report_now -1" without libretain.  Under libretain prints
 * "report_now 0", then whether <RETAIN_OUTPUT with %p expanded>.json exists
 * right after the call with reason "signal":
 *     "report file: signal"   (or "report file: missing" / "...: other")
 */
#include <retain.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[4096];

static void expand(const char *prefix)
{
    size_t n = 0;
    for (const char *s = prefix; *s && n < sizeof path - 64; s++) {
        if (s[0] == '%' && s[1] == 'p') {
            n += (size_t)snprintf(path + n, sizeof path - n, "%d", (int)getpid());
            s++;
        } else {
            path[n++] = *s;
        }
    }
    snprintf(path + n, sizeof path - n, ".json");
}

int main(void)
{
    size_t cap = 1 << 16;
    void **table = calloc(cap, sizeof(void *));
    for (size_t i = 0; i < cap; i += 2)
        table[i] = table;
    retain_annotate_occupancy(table, cap / 2, cap);

    int rc = retain_report_now();
    printf("report_now %d\n", rc);
    if (rc == 0) {
        const char *prefix = getenv("RETAIN_OUTPUT");
        expand(prefix ? prefix : "retain.%p");
        FILE *f = fopen(path, "r");
        if (!f) {
            printf("report file: missing\n");
        } else {
            static char buf[1 << 20];
            size_t len = fread(buf, 1, sizeof buf - 1, f);
            buf[len] = 0;
            fclose(f);
            printf("report file: %s\n", strstr(buf, "\"reason\": \"signal\"") || strstr(buf, "\"reason\":\"signal\"")
                                            ? "signal" : "other");
        }
    }
    retain_annotate_occupancy(table, 0, cap);
    free(table);
    return 0;
}
