/* ubsan_canary: one signed overflow, under the UBSan build of the preloaded
 * library (tests/run_ubsan.py).  Built with -fsanitize=undefined, it shares
 * the library's UBSan runtime: that its report reaches UBSAN_OPTIONS'
 * log_path shows that reports from inside the preloaded malloc wrappers
 * would be seen too.  argv[1] is INT_MAX, so nothing is folded. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    char *p = malloc(64);
    int x = argc > 1 ? atoi(argv[1]) : 0;
    int y = x + 1;                      /* overflows for INT_MAX */
    snprintf(p, 64, "%d", y);
    puts(p);
    free(p);
    return 0;
}
