# libretain: heap-retention profiler.  `make` builds ./libretain.so, `make test`
# runs every test, `make bench` the side-by-side benchmarks.

CC      ?= cc
CXX     ?= c++
PREFIX  ?= /usr/local
CFLAGS  ?= -O2 -g
# initial-exec TLS: the preloaded library must never reach __tls_get_addr,
# which can call malloc from inside our own malloc.
LIB_CFLAGS = $(CFLAGS) -std=gnu11 -fPIC -fvisibility=hidden -ftls-model=initial-exec \
             -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
             -Iinclude -Isrc $(shell pkg-config --cflags libdw 2>/dev/null)
LIB_LDLIBS = -lunwind -ldw -lelf -lpthread -ldl

SRCS = $(wildcard src/*.c)
OBJS = $(SRCS:src/%.c=build/%.o)

# Test programs: tests/progs/NAME.c or NAME.cc -> tests/bin/NAME, built with
# debug info and without inlining so stacks name the functions they call.
TEST_CFLAGS   = -O1 -g -fno-inline -fno-omit-frame-pointer -pthread -Iinclude
TEST_C_PROGS  = $(patsubst tests/progs/%.c,tests/bin/%,$(wildcard tests/progs/*.c))
TEST_CC_PROGS = $(patsubst tests/progs/%.cc,tests/bin/%,$(wildcard tests/progs/*.cc))
CORPUS_C      = $(patsubst tests/corpus/%.c,tests/corpus/bin/%,$(wildcard tests/corpus/*.c))
CORPUS_CC     = $(patsubst tests/corpus/%.cc,tests/corpus/bin/%,$(wildcard tests/corpus/*.cc))
# Corpus programs are built as users build them: optimised, with debug info.
CORPUS_FLAGS  = -O2 -g -pthread -Iinclude

all: libretain.so

libretain.so: $(OBJS) src/exports.map src/hooks.h
	tools/check-exports.sh "$(CC)"
	$(CC) -shared -o $@ $(OBJS) $(LIB_LDLIBS) -Wl,-z,defs -Wl,--version-script=src/exports.map

build/%.o: src/%.c $(wildcard src/*.h) include/retain.h | build
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

build:
	mkdir -p build

tests/bin/%: tests/progs/%.c include/retain.h
	@mkdir -p tests/bin
	$(CC) $(TEST_CFLAGS) -o $@ $< -lm

tests/bin/%: tests/progs/%.cc include/retain.h
	@mkdir -p tests/bin
	$(CXX) $(TEST_CFLAGS) -o $@ $<

tests/corpus/bin/%: tests/corpus/%.c include/retain.h
	@mkdir -p tests/corpus/bin
	$(CC) $(CORPUS_FLAGS) -o $@ $< -lm

tests/corpus/bin/%: tests/corpus/%.cc include/retain.h
	@mkdir -p tests/corpus/bin
	$(CXX) $(CORPUS_FLAGS) -o $@ $<

test-progs: $(TEST_C_PROGS) $(TEST_CC_PROGS) $(CORPUS_C) $(CORPUS_CC)

# JOBS=N: tests run N at a time (default: one per CPU; tests/README.md)
test: libretain.so test-progs fuzz-replay
	python3 tests/run_all.py $(if $(JOBS),-j $(JOBS))

# Fuzzing (tests/fuzz/README.md): `make fuzz` runs each libFuzzer target for
# FUZZ_SECONDS over its corpus in tests/fuzz/corpus/<target>/ (new inputs go
# to build/fuzz/new/<target>/; merge the useful ones into the corpus);
# `make fuzz-replay` (part of `make test`) runs every stored input once
# through the same checks, built with the ordinary compiler, under ASan and
# UBSan: fast and deterministic.
FUZZ_TARGETS = fuzz_config fuzz_json_str
FUZZ_SRC_fuzz_config   = src/config.c
FUZZ_SRC_fuzz_json_str = src/strbuf.c
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_FLAGS    = -g -O1 -D_GNU_SOURCE -Isrc -fsanitize=address,undefined -fno-sanitize-recover=undefined

build/fuzz/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(wildcard src/*.h) src/config.c src/strbuf.c
	@mkdir -p build/fuzz
	$(CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/$*.c tests/fuzz/replay.c $(FUZZ_SRC_$*)

build/fuzz/%: tests/fuzz/%.c $(wildcard src/*.h) src/config.c src/strbuf.c
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ tests/fuzz/$*.c $(FUZZ_SRC_$*)

fuzz-replay: $(FUZZ_TARGETS:%=build/fuzz/replay_%)
	@for t in $(FUZZ_TARGETS); do build/fuzz/replay_$$t tests/fuzz/corpus/$$t || exit 1; done

fuzz: $(FUZZ_TARGETS:%=build/fuzz/%)
	@for t in $(FUZZ_TARGETS); do mkdir -p build/fuzz/new/$$t; \
	  build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=512 -artifact_prefix=build/fuzz/ \
	    build/fuzz/new/$$t tests/fuzz/corpus/$$t || exit 1; done

bench: libretain.so
	$(MAKE) -C bench run

install: libretain.so
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin
	install -m 755 libretain.so $(DESTDIR)$(PREFIX)/lib/libretain.so
	install -m 644 include/retain.h $(DESTDIR)$(PREFIX)/include/retain.h
	sed 's|@LIBDIR@|$(PREFIX)/lib|' tools/retain > $(DESTDIR)$(PREFIX)/bin/retain
	chmod 755 $(DESTDIR)$(PREFIX)/bin/retain
	install -m 755 tools/retain-symbolize $(DESTDIR)$(PREFIX)/bin/retain-symbolize

clean:
	rm -rf build libretain.so tests/bin tests/corpus/bin
	-$(MAKE) -C bench clean

.PHONY: all test test-progs bench install clean fuzz fuzz-replay
