/*
 * dlprog: allocations made inside a library that is then dlclose'd (and
 * unmapped) before the report is written; another library is loaded after it,
 * possibly at the same address.  The report must still be written, valid, and
 * must not attribute the unloaded library's frames to the new one.
 *
 * use_expat() creates 5 expat parsers (kept) and 1 that is freed, through
 * libexpat.so.1 loaded with dlopen.  Then libexpat is dlclose'd, libyaml-0.so.2
 * is dlopen'd and use_yaml() initialises (and keeps) a YAML parser.
 * Prints "skip: ..." and exits 0 if a library is missing.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noclone))

typedef void *(*create_fn)(const char *);
typedef void (*free_fn)(void *);
typedef int (*yaml_init_fn)(void *);

static void *parsers[5];
static void *yaml_parser;

NOINLINE int use_expat(create_fn create, free_fn destroy)
{
    for (int i = 0; i < 5; i++)
        if (!(parsers[i] = create(NULL)))
            return -1;
    void *tmp = create("UTF-8");
    if (!tmp)
        return -1;
    destroy(tmp);
    return 0;
}

NOINLINE int use_yaml(yaml_init_fn init)
{
    yaml_parser = calloc(1, 4096); /* larger than sizeof(yaml_parser_t) */
    return init(yaml_parser) ? 0 : -1;
}

int main(void)
{
    void *h = dlopen("libexpat.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        printf("skip: no libexpat.so.1\n");
        return 0;
    }
    create_fn create = (create_fn)dlsym(h, "XML_ParserCreate");
    free_fn destroy = (free_fn)dlsym(h, "XML_ParserFree");
    if (!create || !destroy || use_expat(create, destroy) != 0) {
        printf("expat failed\n");
        return 1;
    }
    printf("5 expat parsers kept\n");
    dlclose(h);
    void *again = dlopen("libexpat.so.1", RTLD_NOW | RTLD_NOLOAD);
    printf("libexpat unloaded: %s\n", again ? "no" : "yes");
    if (again)
        dlclose(again);

    void *y = dlopen("libyaml-0.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!y) {
        printf("skip: no libyaml-0.so.2\n");
        return 0;
    }
    yaml_init_fn init = (yaml_init_fn)dlsym(y, "yaml_parser_initialize");
    if (!init || use_yaml(init) != 0) {
        printf("yaml failed\n");
        return 1;
    }
    printf("yaml parser kept\n");
    return 0; /* libyaml stays loaded */
}
