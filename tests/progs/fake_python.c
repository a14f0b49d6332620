/* fake_python: a program that looks like CPython to libretain without being
 * it (tests/test_python.py).  It exports _PyRuntime and Py_Version (linked
 * with -rdynamic), then allocates and prints what it did.
 *
 * Built twice (Makefile): FAKE_VERSION 0x030E00F0 ("3.14", a version
 * libretain does not know: no frames, one note), and 0x030C01F0 ("3.12"):
 * then it also exports PyCode_Type & co. and builds, in main, a thread state
 * that passes the GIL checks and leads to frames that are garbage: a frame
 * whose code is not a code object and whose previous frame is itself, a
 * code pointer into unmapped memory, a frame pointer into unmapped memory.
 * libretain must read none of it as Python frames, and never fault. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef FAKE_VERSION
#define FAKE_VERSION 0x030E00F0
#endif

__attribute__((used, aligned(64))) unsigned char _PyRuntime[4096];
__attribute__((used)) const uint32_t Py_Version = FAKE_VERSION;
#if FAKE_VERSION == 0x030C01F0
__attribute__((used)) unsigned char PyCode_Type[256], PyUnicode_Type[256], PyBytes_Type[256];
#endif

static size_t churn(int rounds)
{
    size_t total = 0;
    for (int i = 0; i < rounds; i++) {
        char *big = malloc(2 << 20);                /* large: always tracked */
        char *small = malloc(64 + (size_t)i);
        if (!big || !small)
            exit(1);
        memset(big, i, 4096);
        total += (size_t)big[100] + 64 + (size_t)i;
        free(small);
        free(big);
    }
    return total;
}

int main(void)
{
    size_t total = churn(20);
#if FAKE_VERSION == 0x030C01F0
    /* 3.12 offsets (src/interp_python_versions.h): autoTSSkey at 1544,
     * tstate->interp 16, thread_id 136, cframe 56, interp->ceval.gil 384,
     * gil {last_holder 8, locked 16}, frame {f_code 0, previous 8, owner 70}. */
    static unsigned char tstate[512], interp[512], gil[64], cframe[64], frame[128], junk[256];
    void *unmapped = mmap(NULL, 1 << 16, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pthread_key_t key;
    if (unmapped == MAP_FAILED || pthread_key_create(&key, NULL))
        return 1;
    uintptr_t self = (uintptr_t)pthread_self(), p;
    memcpy(tstate + 136, &self, 8);
    p = (uintptr_t)interp; memcpy(tstate + 16, &p, 8);
    p = (uintptr_t)gil; memcpy(interp + 384, &p, 8);
    p = (uintptr_t)tstate; memcpy(gil + 8, &p, 8);
    int one = 1; memcpy(gil + 16, &one, 4);
    p = (uintptr_t)cframe; memcpy(tstate + 56, &p, 8);
    p = (uintptr_t)frame; memcpy(cframe, &p, 8);
    p = (uintptr_t)junk; memcpy(frame, &p, 8);          /* code: not a code object */
    p = (uintptr_t)frame; memcpy(frame + 8, &p, 8);     /* previous: itself */
    pthread_setspecific(key, tstate);
    unsigned k = (unsigned)key;
    memcpy(_PyRuntime + 1544 + 4, &k, 4);
    memcpy(_PyRuntime + 1544, &one, 4);                 /* _is_initialized */
    total += churn(20);
    p = (uintptr_t)unmapped; memcpy(frame, &p, 8);      /* code: unmapped */
    total += churn(20);
    memcpy(cframe, &p, 8);                              /* frame: unmapped */
    total += churn(20);
    p = (uintptr_t)PyCode_Type; memcpy(junk + 8, &p, 8); /* a "code object" of garbage */
    p = (uintptr_t)junk; memcpy(frame, &p, 8);
    p = (uintptr_t)frame; memcpy(cframe, &p, 8);
    memset(junk + 16, 0xAB, sizeof junk - 16);
    total += churn(20);
#endif
    printf("fake python %#x: %zu\n", (unsigned)Py_Version, total);
    return 0;
}
