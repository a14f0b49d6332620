#!/bin/sh
# Installs what libretain needs to build and test on Debian 12 (run as root).
#   libunwind-dev  stack capture (unw_backtrace)
#   uthash-dev     hash tables in the report path
#   libdw-dev      DWARF symbolization (elfutils' libdwfl): function, file:line, inlines
#   libiberty-dev  the C++ and Rust demanglers (static, PIC), linked into the library
#   pkg-config, gcc, g++, make: the build; g++ also builds the C++ test programs
#   libasan8, libubsan1: ASan and UBSan runtimes (make check, make test-ubsan);
#                  gcc-12 pulls them in already, named here because the tests need them
#   python3        the test harnesses, and a real interpreter to profile (Debian's
#                  python3.11: tests/test_python.py)
#   php-cli        a real PHP interpreter whose frames the reports name (tests/test_php.py)
#   ruby           Debian's Ruby 3.1, whose frames the reports name (tests/test_ruby.py);
#                  tools/ruby-offsets.c also needs ruby3.1-dev, the tests do not
#   git            a real program the tests run under the preload
#   memcached      a real server the tests fill, drain and report on
#   libexpat1, libyaml-0-2: real libraries the dlclose test loads and unloads
#   clang-14, libclang-rt-14-dev: `make fuzz` (libFuzzer runtime); `make test`
#                  replays the fuzz corpus with the ordinary compiler
#   util-linux     unshare and setpriv for the full-disk and secure-execution tests
#   python3.11, libpython3.11-testsuite: CPython's regression tests, the real
#                  workload of `make check-real` (tests/check_real.py)
#   libjansson-dev      the retain command reads reports with jansson
#   libprotobuf-c-dev, protobuf-c-compiler: retain's pprof output (profile.proto -> C)
#   zlib1g-dev          gzip for the pprof output
#   chromium, nodejs, npm: tests/test_frontend.py loads the HTML report in headless
#                  chromium through playwright-core (npm, tests/browser/package-lock.json)
#   golang-go      `go tool pprof` reads retain's pprof output in the tests
#   libjemalloc2, libtcmalloc-minimal4, libmimalloc2.0: allocators that map their
#                  chunks with mmap through the C library; tests/test_mmap.py runs
#                  under each and checks that their chunks are not taken for tables
#   ruby (also above), lua5.4, tcl, perl, rustc: real runtimes whose own hash tables
#                  (st_table, Lua nodes, Tcl_HashTable, HvARRAY, hashbrown)
#                  tests/test_runtimes.py fills, drains and looks for (issue 11);
#                  perl: perl-base lacks Time::HiRes (libperl5.36) that rt_perl.pl uses;
#                  rustc builds tests/progs/rt_rust.rs (Debian 12's 1.63 is enough) and
#                  tests/progs/rust/rust_names.rs (tests/test_symbolize.py: legacy and v0 names)
# With --bench, also what `make bench` compares against and drives.
set -e
PKGS="build-essential pkg-config libasan8 libubsan1 libunwind-dev uthash-dev libdw-dev libelf-dev libiberty-dev python3 php-cli ruby git procps memcached libexpat1 libyaml-0-2 clang-14 libclang-rt-14-dev util-linux python3.11 libpython3.11-testsuite libjansson-dev libprotobuf-c-dev protobuf-c-compiler zlib1g-dev chromium golang-go libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0 lua5.4 tcl perl rustc"
# npm: Debian's nodejs and npm, unless a node with npm is installed already
# (a NodeSource nodejs ships npm itself and conflicts with Debian's npm)
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
if [ "$1" = "--bench" ]; then
    PKGS="$PKGS $(grep -v '^#' "$(dirname "$0")/../bench/deps.txt" 2>/dev/null | tr '\n' ' ')"
fi
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $PKGS
# The browser tests' npm packages, exactly as locked (not in git: node_modules).
if command -v npm >/dev/null 2>&1; then
    (cd "$(dirname "$0")/../tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi
