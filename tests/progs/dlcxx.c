/* dlcxx LIB: a C program that loads a C++ library (tests/progs/so/cxxtables.cc)
 * with dlopen(RTLD_NOW | RTLD_LOCAL) and has it allocate 16 MiB in
 * tables::Registry::grow.  The library's libstdc++ is then in the library's
 * scope only, so no __cxa_demangle is visible to the program (or to a
 * preloaded library looking it up with dlsym): prints whether one is, then
 * `filled N`. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: dlcxx LIB\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    size_t (*fill)(size_t) = (size_t (*)(size_t))dlsym(h, "cxxtables_fill");
    void (*release)(void) = (void (*)(void))dlsym(h, "cxxtables_release");
    if (!fill || !release)
        return 1;
    printf("__cxa_demangle visible: %s\n", dlsym(RTLD_DEFAULT, "__cxa_demangle") ? "yes" : "no");
    printf("filled %zu\n", fill((size_t)2 << 20));
    release();
    return 0;
}
