/* fake_ruby: a program that looks like Ruby 3.1 to libretain without being
 * it (tests/test_ruby.py).  It exports ruby_current_vm_ptr and ruby_version
 * (linked with -rdynamic), then allocates and prints what it did.
 *
 *   fake_ruby garbage   a VM that passes the start-up layout check and whose
 *                       GVL this thread holds, leading to control frames that
 *                       are garbage: an iseq pointer into unmapped memory, an
 *                       ep into unmapped memory, an "iseq" that is no imemo,
 *                       a pc outside its iseq, an iseq whose path is no
 *                       String, a vm_stack_size that runs into unmapped
 *                       memory, the GVL released.  libretain must read
 *                       none of it as Ruby frames, and never fault; then one
 *                       right frame (fake_label at fake.rb:42) below the
 *                       garbage ones must be read.
 *   fake_ruby mismatch  first a VM whose main ractor lies in unmapped memory
 *                       (a VM being set up: looked at again), then one whose
 *                       pointers are all set but disagree (th->vm elsewhere):
 *                       no frames, and one note saying the layout does not
 *                       match.
 * Offsets: Ruby 3.1's (src/interp_ruby.c). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

__attribute__((used)) const char ruby_version[] = "3.1.2";
__attribute__((used)) void *ruby_current_vm_ptr;

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

static void put(void *base, int off, const void *v)
{
    memcpy((char *)base + off, &v, sizeof v);
}

static void put_word(void *base, int off, uint64_t v)
{
    memcpy((char *)base + off, &v, sizeof v);
}

/* 64-byte control frames: pc 0, iseq 16, ep 32. */
static void frame(unsigned char *cfp, const void *pc, const void *iseq, const void *ep)
{
    put(cfp, 0, pc);
    put(cfp, 16, iseq);
    put(cfp, 32, ep);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "garbage";
    static unsigned char vm[256], ractor[1024], th[256], ec[256], other_vm[256];
    static unsigned char stack[64 * 1024] __attribute__((aligned(64)));
    static unsigned char iseq_ok[64], iseq_bad[64], body[256], body2[256], junk[256];
    static uint64_t ep_method[4] = { 0x11110001u }, encoded[64];
    unsigned char *unmapped = mmap(NULL, 1 << 16, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (unmapped == MAP_FAILED)
        return 1;
    size_t total = churn(10);

    /* vm -> main ractor, main thread; ractor -> gvl.owner, running_ec,
     * threads.main; thread -> ractor, vm, ec, thread_id; ec -> stack. */
    put(vm, 32, ractor);
    put(vm, 40, th);
    put(ractor, 336, th);
    put(ractor, 520, ec);
    put(ractor, 528, th);
    put(th, 24, ractor);
    put(th, 32, vm);
    put(th, 40, ec);
    put_word(th, 80, (uint64_t)pthread_self());
    put(ec, 0, stack);
    put_word(ec, 8, sizeof stack / 8);
    put(ec, 48, th);
    unsigned char *end = stack + sizeof stack;
    unsigned char *cfp = end - 8 * 64;
    put(ec, 16, cfp);

    if (!strcmp(mode, "mismatch")) {
        put(vm, 32, unmapped);                      /* being set up */
        ruby_current_vm_ptr = vm;
        total += churn(10);
        put(vm, 32, ractor);
        put(th, 32, other_vm);                      /* set, and wrong */
        total += churn(10);
        put(th, 32, vm);                            /* right again: the check was made */
        total += churn(10);
        printf("result %zu\n", total);
        return 0;
    }

    /* An imemo_iseq (T_IMEMO 0x1a, imemo type 7 at bit 12) with a body. */
    put_word(iseq_ok, 0, 0x1a | (7u << 12));
    put(iseq_ok, 16, body);
    put(body, 8, encoded);                          /* iseq_encoded */
    put_word(body, 0, (uint64_t)64 << 32);          /* iseq_size 64 */
    put(body, 64, junk);                            /* pathobj: not a String */
    put(body, 80, junk);                            /* label */
    put_word(body, 88, 2 * 7 + 1);                  /* first_lineno 7 */
    put_word(iseq_bad, 0, 0x05);                    /* a T_STRING, not an iseq */
    put(iseq_bad, 16, body);
    memcpy(body2, body, sizeof body2);
    put(body2, 8, junk + 128);                      /* encoded elsewhere: pc outside */
    static unsigned char iseq_far[64];
    put_word(iseq_far, 0, 0x1a | (7u << 12));
    put(iseq_far, 16, body2);
    memset(junk, 0xAB, sizeof junk);

    frame(cfp + 0 * 64, encoded + 3, unmapped, ep_method);          /* iseq unmapped */
    frame(cfp + 1 * 64, encoded + 3, iseq_ok, unmapped);            /* ep unmapped */
    frame(cfp + 2 * 64, encoded + 3, iseq_bad, ep_method);          /* not an iseq */
    frame(cfp + 3 * 64, encoded + 3, iseq_far, ep_method);          /* pc outside */
    frame(cfp + 4 * 64, encoded + 3, iseq_ok, ep_method);           /* path no String */
    frame(cfp + 5 * 64, encoded + 3, junk, ep_method);              /* "iseq" of 0xAB */
    frame(cfp + 6 * 64, (void *)1, (void *)2, (void *)3);           /* small pointers */
    frame(cfp + 7 * 64, encoded + 3, iseq_ok, junk);                /* ep flags 0xAB.. */
    ruby_current_vm_ptr = vm;
    total += churn(10);
    /* A stack said to reach into unmapped memory. */
    put(ec, 0, unmapped);
    put_word(ec, 8, (1 << 16) / 8);
    put(ec, 16, unmapped + (1 << 16) - 4 * 64);
    total += churn(10);
    /* The GVL released: nothing read. */
    put(ractor, 336, NULL);
    total += churn(10);
    /* The control: the GVL held again and one frame that is right (path
     * "fake.rb", label "fake_label", one line entry: 42), so the reader is
     * shown to reach the frames above. */
    static unsigned char path[40], label[40], good_iseq[64], good_body[256];
    static int lines[3] = { 42, 0, 0 };
    put_word(path, 0, 0x05 | (7u << 14));
    memcpy(path + 16, "fake.rb", 7);
    put_word(label, 0, 0x05 | (10u << 14));
    memcpy(label + 16, "fake_label", 10);
    memcpy(good_body, body, sizeof good_body);
    put(good_body, 64, path);
    put(good_body, 80, label);
    put(good_body, 120, lines);
    put_word(good_body, 136, 1);
    put_word(good_iseq, 0, 0x1a | (7u << 12));
    put(good_iseq, 16, good_body);
    frame(cfp + 7 * 64, encoded + 3, good_iseq, ep_method);
    put(ec, 0, stack);
    put_word(ec, 8, sizeof stack / 8);
    put(ec, 16, cfp);
    put(ractor, 336, th);
    total += churn(10);
    printf("result %zu\n", total);
    return 0;
}
