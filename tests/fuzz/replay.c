/*
 * replay: runs a fuzz target's LLVMFuzzerTestOneInput over files, once each,
 * without libFuzzer (any C compiler, deterministic): `make test` replays the
 * stored corpus this way so that a regression fails the suite.
 *
 * usage: replay FILE_OR_DIR...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int files = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            struct dirent **list;
            int k = scandir(argv[i], &list, NULL, alphasort);
            for (int j = 0; j < k; j++) {
                if (list[j]->d_name[0] != '.') {
                    char p[4096];
                    snprintf(p, sizeof p, "%s/%s", argv[i], list[j]->d_name);
                    bad |= run_file(p) < 0;
                    files++;
                }
                free(list[j]);
            }
            free(list);
        } else {
            bad |= run_file(argv[i]) < 0;
            files++;
        }
    }
    printf("replayed %d inputs\n", files);
    return bad || files == 0;
}
