# libretain: heap-retention profiler.  `make` builds ./libretain.so, `make test`
# runs every test, `make check` the C unit tests under ASan and UBSan,
# `make test-ubsan` the shim suite against a UBSan build of the library,
# `make bench` the side-by-side benchmarks.

CC      ?= cc
CXX     ?= c++
PREFIX  ?= /usr/local
CFLAGS  ?= -O2 -g

# Libraries from pkg-config (Debian 12 ships libunwind.pc, libdw.pc and
# libelf.pc); without pkg-config or a .pc file, the plain -l names.  libdw
# and libelf are headers only at build time: the library opens them when a
# report first symbolizes a stack (src/dwlib.h), so that a process which
# never does is not started with them and their compression libraries.
PKG_DEPS   = libunwind libdw libelf
PKG_CFLAGS := $(shell pkg-config --cflags $(PKG_DEPS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs libunwind 2>/dev/null || echo -lunwind)

# initial-exec TLS: the preloaded library must never reach __tls_get_addr,
# which can call malloc from inside our own malloc.
LIB_CFLAGS = $(CFLAGS) -std=gnu11 -fPIC -fvisibility=hidden -ftls-model=initial-exec \
             -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
             -Iinclude -Isrc $(PKG_CFLAGS)
# libiberty (libiberty-dev: a static, PIC archive) for the C++ and Rust
# demanglers (src/demangle.c); the linker takes only those members, and the
# version script keeps their symbols inside the library.
LIB_LDLIBS = $(PKG_LIBS) -liberty -lpthread -ldl
LIB_LDFLAGS = -shared -Wl,-z,defs -Wl,--version-script=src/exports.map
# Header dependencies: every compile writes a .d file beside its output.
DEPFLAGS   = -MMD -MP

SRCS = $(wildcard src/*.c)
OBJS = $(SRCS:src/%.c=build/%.o)

# Test programs: tests/progs/NAME.c or NAME.cc -> tests/bin/NAME, built with
# debug info and without inlining so stacks name the functions they call.
TEST_CFLAGS   = -O1 -g -fno-inline -fno-omit-frame-pointer -pthread -Iinclude
TEST_C_PROGS  = $(patsubst tests/progs/%.c,tests/bin/%,$(wildcard tests/progs/*.c))
TEST_CC_PROGS = $(patsubst tests/progs/%.cc,tests/bin/%,$(wildcard tests/progs/*.cc))
# Shared libraries the test programs load: tests/progs/so/NAME.c -> tests/bin/libNAME.so
TEST_SOS      = $(patsubst tests/progs/so/%.c,tests/bin/lib%.so,$(wildcard tests/progs/so/*.c)) \
                $(patsubst tests/progs/so/%.cc,tests/bin/lib%.so,$(wildcard tests/progs/so/*.cc))
CORPUS_C      = $(patsubst tests/corpus/%.c,tests/corpus/bin/%,$(wildcard tests/corpus/*.c))
CORPUS_CC     = $(patsubst tests/corpus/%.cc,tests/corpus/bin/%,$(wildcard tests/corpus/*.cc))
# Corpus programs are built as users build them: optimised, with debug info.
CORPUS_FLAGS  = -O2 -g -pthread -Iinclude

all: libretain.so retain

# ---- the retain command (cli/): reads reports with jansson, writes pprof
# with protobuf-c (code generated from cli/proto/profile.proto) and zlib.
# Two library modules are linked in so run options are checked by the very
# parser the library uses: src/config.c (and src/log.c, which it calls).
RETAIN_VERSION = $(shell sed -n 's/^\#define RETAIN_VERSION_MAJOR \([0-9]*\)/\1/p' include/retain.h).$(shell sed -n 's/^\#define RETAIN_VERSION_MINOR \([0-9]*\)/\1/p' include/retain.h)
CLI_PKGS    = jansson libprotobuf-c zlib
CLI_CFLAGS  = $(CFLAGS) -std=gnu11 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -Isrc -Icli -Ibuild/cli \
              -DRETAIN_VERSION='"$(RETAIN_VERSION)"' -DRETAIN_LIBDIR='"$(PREFIX)/lib"' \
              $(shell pkg-config --cflags $(CLI_PKGS) 2>/dev/null)
CLI_LDLIBS  = $(shell pkg-config --libs $(CLI_PKGS) 2>/dev/null || echo -ljansson -lprotobuf-c -lz) -lm
CLI_OBJS    = $(patsubst cli/%.c,build/cli/%.o,$(wildcard cli/*.c)) build/cli/profile.pb-c.o \
              build/cli/lib_config.o build/cli/lib_log.o

build/cli/profile.pb-c.c build/cli/profile.pb-c.h: cli/proto/profile.proto
	@mkdir -p build/cli
	protoc-c --c_out=build/cli --proto_path=cli/proto cli/proto/profile.proto

build/cli/%.o: cli/%.c build/cli/profile.pb-c.h
	$(CC) $(CLI_CFLAGS) $(DEPFLAGS) -c -o $@ $<

build/cli/profile.pb-c.o: build/cli/profile.pb-c.c
	$(CC) $(CLI_CFLAGS) -c -o $@ $<

build/cli/lib_%.o: src/%.c
	@mkdir -p build/cli
	$(CC) $(CLI_CFLAGS) $(DEPFLAGS) -c -o $@ $<

retain: $(CLI_OBJS)
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJS) $(CLI_LDLIBS)

libretain.so: $(OBJS) src/exports.map src/hooks.h
	tools/check-exports.sh "$(CC)"
	$(CC) -o $@ $(OBJS) $(LIB_LDFLAGS) $(LIB_LDLIBS)

build/%.o: src/%.c | build
	$(CC) $(LIB_CFLAGS) $(DEPFLAGS) -c -o $@ $<

build build/asan build/ubsan:
	mkdir -p $@

# ---- sanitizer builds: their own objects, the normal library is untouched

# GCC's -fsanitize=undefined leaves out float-to-integer overflow: named here.
ASAN_FLAGS  = -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all
UBSAN_FLAGS = -fsanitize=undefined,float-cast-overflow -fno-sanitize-recover=undefined,float-cast-overflow

build/asan/%.o: src/%.c | build/asan
	$(CC) $(LIB_CFLAGS) $(ASAN_FLAGS) $(DEPFLAGS) -c -o $@ $<

build/ubsan/%.o: src/%.c | build/ubsan
	$(CC) $(LIB_CFLAGS) $(UBSAN_FLAGS) $(DEPFLAGS) -c -o $@ $<

# C unit tests: tests/unit/test_NAME.c -> build/asan/unit/test_NAME, each a
# standalone program linked against an archive of the library's objects
# without the preload: the linker takes only the members a test needs.
# PRELOAD_ONLY are the modules that make a program preloaded (the exported
# malloc family, the constructor); a unit that needs one of their symbols
# defines it in the test itself (a link seam, see docs/design.md "Tests").
PRELOAD_ONLY = interpose interpose_mmap profiler
UNIT_OBJS    = $(patsubst %,build/asan/%.o,$(filter-out $(PRELOAD_ONLY),$(SRCS:src/%.c=%)))
UNIT_LIB     = build/asan/libretain-units.a
UNIT_CFLAGS  = -std=gnu11 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter \
               -D_GNU_SOURCE -pthread -Iinclude -Isrc -Itests/unit $(ASAN_FLAGS)
UNIT_BINS    = $(patsubst tests/unit/%.c,build/asan/unit/%,$(wildcard tests/unit/test_*.c))
# Unit tests that read ELF files themselves (test_demangle) link libelf.
UNIT_DWLIBS  := $(shell pkg-config --libs libdw libelf 2>/dev/null || echo -ldw -lelf)

$(UNIT_LIB): $(UNIT_OBJS)
	rm -f $@
	ar rcs $@ $(UNIT_OBJS)

build/asan/unit/%: tests/unit/%.c $(UNIT_LIB)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) $(DEPFLAGS) -o $@ $< $(UNIT_LIB) $(LIB_LDLIBS) $(UNIT_DWLIBS) -lm

unit-progs: $(UNIT_BINS)

check: unit-progs
	python3 tests/unit/run_units.py $(UNIT_BINS)

# The preloaded library built with UBSan, and the shim suite and the corpus
# run against it (tests/run_ubsan.py): any UBSan report fails the run.
UBSAN_OBJS = $(SRCS:src/%.c=build/ubsan/%.o)

build/ubsan/libretain.so: $(UBSAN_OBJS) src/exports.map
	$(CC) $(UBSAN_FLAGS) -o $@ $(UBSAN_OBJS) $(LIB_LDFLAGS) $(LIB_LDLIBS)

# A program with one known overflow: proves that reports reach the directory.
build/ubsan/canary: tests/ubsan_canary.c | build/ubsan
	$(CC) -O1 -g $(UBSAN_FLAGS) $(DEPFLAGS) -o $@ $<

ubsan: build/ubsan/libretain.so build/ubsan/canary

test-ubsan: ubsan test-progs
	python3 tests/run_ubsan.py $(if $(JOBS),-j $(JOBS))

-include $(wildcard build/*.d build/cli/*.d build/asan/*.d build/ubsan/*.d build/asan/unit/*.d build/deps/*.d)

# Programs' dependency files go to build/deps (not beside the binaries).
PROG_DEPFLAGS = -MMD -MP -MF build/deps/$(subst /,_,$@).d

tests/bin/%: tests/progs/%.c
	@mkdir -p tests/bin build/deps
	$(CC) $(TEST_CFLAGS) $(PROG_DEPFLAGS) -o $@ $< -lm $(PROG_LDFLAGS)

# deepbind finds its library through its own RUNPATH when given a bare name:
# a dlopen hook that changed the caller glibc sees would break that.
tests/bin/deepbind: PROG_LDFLAGS = -ldl -Wl,--enable-new-dtags,-rpath,'$$ORIGIN'

# fake_python exports _PyRuntime and Py_Version like a python executable
# (tests/test_python.py); fake_python312 is the same source as "3.12".
tests/bin/fake_python: TEST_CFLAGS += -rdynamic
# fake_ruby exports ruby_current_vm_ptr and ruby_version like libruby 3.1.
tests/bin/fake_ruby: TEST_CFLAGS += -rdynamic
tests/bin/fake_python312: tests/progs/fake_python.c
	@mkdir -p tests/bin build/deps
	$(CC) $(TEST_CFLAGS) -rdynamic -DFAKE_VERSION=0x030C01F0 $(PROG_DEPFLAGS) -o $@ $<

# medium_maps fills 12 million map entries: optimised as users build it
# (-O1 -fno-inline made the fill take 8 s); its own functions are noinline.
tests/bin/medium_maps: TEST_CFLAGS = -O2 -g -fno-omit-frame-pointer -pthread -Iinclude

tests/bin/%: tests/progs/%.cc
	@mkdir -p tests/bin build/deps
	$(CXX) $(TEST_CFLAGS) $(PROG_DEPFLAGS) -o $@ $<

tests/bin/lib%.so: tests/progs/so/%.c
	@mkdir -p tests/bin build/deps
	$(CC) $(TEST_CFLAGS) $(PROG_DEPFLAGS) -shared -fPIC -o $@ $<

# Rust test programs: tests/progs/NAME.rs -> tests/bin/NAME, optimised as
# users build them (std's HashMap is generic code compiled into the program).
# Built only where a rustc is found (tools/install-deps.sh installs Debian's);
# without one, the tests that need them say so.
RUSTC        ?= $(shell command -v rustc 2>/dev/null || ls /root/.cargo/bin/rustc 2>/dev/null)
TEST_RS_PROGS = $(if $(RUSTC),$(patsubst tests/progs/%.rs,tests/bin/%,$(wildcard tests/progs/*.rs)))

tests/bin/%: tests/progs/%.rs
	@mkdir -p tests/bin
	$(RUSTC) -O -g -o $@ $<

tests/bin/lib%.so: tests/progs/so/%.cc
	@mkdir -p tests/bin build/deps
	$(CXX) $(TEST_CFLAGS) $(PROG_DEPFLAGS) -shared -fPIC -o $@ $<

tests/corpus/bin/%: tests/corpus/%.c
	@mkdir -p tests/corpus/bin build/deps
	$(CC) $(CORPUS_FLAGS) $(PROG_DEPFLAGS) -o $@ $< -lm

tests/corpus/bin/%: tests/corpus/%.cc
	@mkdir -p tests/corpus/bin build/deps
	$(CXX) $(CORPUS_FLAGS) $(PROG_DEPFLAGS) -o $@ $<

# The corpus's Rust programs, built like tests/progs' (only where a rustc is found;
# run_corpus.py skips them, saying so, without one)
CORPUS_RS     = $(if $(RUSTC),$(patsubst tests/corpus/%.rs,tests/corpus/bin/%,$(wildcard tests/corpus/*.rs)))

tests/corpus/bin/%: tests/corpus/%.rs
	@mkdir -p tests/corpus/bin
	$(RUSTC) -O -g -o $@ $<

test-progs: $(TEST_C_PROGS) $(TEST_CC_PROGS) $(TEST_RS_PROGS) $(TEST_SOS) tests/bin/fake_python312 $(CORPUS_C) $(CORPUS_CC) $(CORPUS_RS)

# JOBS=N: tests run N at a time (default: one per CPU; tests/README.md)
test: libretain.so retain test-progs unit-progs fuzz-replay
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

# CPython's own regression tests, plain and preloaded (tests/check_real.py;
# needs libpython3.11-testsuite; about 5 minutes, at most 25: tests/README.md).
# Not part of `make test`; .ci/run runs it after make test-ubsan.
check-real: libretain.so
	python3 tests/check_real.py

# memcached_load at the issue's size: 10 runs of 3M keys (about 6 minutes;
# make test runs 3 of 1.5M).  tests/README.md.
check-memcached: libretain.so test-progs
	RETAIN_TEST_MEMCACHED_RUNS=10 RETAIN_TEST_MEMCACHED_KEYS=3000000 python3 tests/run_tests.py -k memcached_load

bench: libretain.so
	$(MAKE) -C bench run

install: libretain.so retain
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin \
	  $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 libretain.so $(DESTDIR)$(PREFIX)/lib/libretain.so
	install -m 644 include/retain.h $(DESTDIR)$(PREFIX)/include/retain.h
	install -m 755 retain $(DESTDIR)$(PREFIX)/bin/retain
	install -m 644 docs/retain.1 $(DESTDIR)$(PREFIX)/share/man/man1/retain.1
	install -m 755 tools/retain-symbolize $(DESTDIR)$(PREFIX)/bin/retain-symbolize

clean:
	rm -rf build libretain.so retain tests/bin tests/corpus/bin
	-$(MAKE) -C bench clean

.PHONY: all test test-progs unit-progs check check-real check-memcached ubsan test-ubsan bench install clean fuzz fuzz-replay
