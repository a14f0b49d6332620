"""Real runtimes' tables (issue 11): Rust, Ruby, PHP, Lua, Perl, Tcl.

Each runtime runs one of tests/progs/rt_* (Rust's built by make test-progs;
the interpreters are Debian's, installed by tools/install-deps.sh) under the
preload with the default settings: a table of ~1M entries is filled, held
1.2 s, changed, held 2.5 s, and the program exits.  The program prints its
own truth, `TRUTH bytes=<the table's allocation> peak=<occupancy at the
peak> now=<at the end> live=<0|1>`.  A drained table must be a finding for
that block (capacity within 10% of bytes, a plausible peak, occupancy low);
the negatives (a table kept full, a table replaced by an empty one and
freed, a full table under churn, a byte buffer cleared for reuse) must
leave no finding at all.
The cases the corpus runs (tests/corpus: p15-p22 and n15-n28, from
tests/corpus/rt_*: Rust's HashMap drained and under churn, its byte
buffer; Ruby's Integer-keyed Hash and its byte String; PHP's integer-keyed
array with both allocators and under churn with Zend's; Lua's integer
keys drained and under churn; Perl's hash and Tcl's array drained) are not
repeated here: these are the ones the corpus lacks (string keys, tables
kept full or freed, Perl's undef, Tcl's dict, the clock)."""
import os
import re
import shutil

from harness import REPO, test

PROGS = os.path.join(REPO, "tests", "progs")
TIMEOUT = 180           # one preloaded run; 1M entries in an interpreter under the preload


def program(ctx, name):
    """Path of a runtime's interpreter, fatal when absent."""
    path = shutil.which(name)
    if not path:
        ctx.fatal(f"{name} missing (tools/install-deps.sh installs it)")
    return path


def rust_binary(ctx):
    """tests/bin/rt_rust (make test-progs builds it with rustc -O where a
    rustc is found)."""
    return ctx.bin("rt_rust")


def run_case(ctx, argv, label, env=None):
    """Runs one program preloaded; returns (truth dict, report)."""
    od = ctx.outdir(label)
    res = ctx.run(argv, outdir=od, env=env, timeout=TIMEOUT)
    m = re.search(rb"TRUTH bytes=(\d+) peak=([\d.]+) now=([\d.]+) live=([01])", res.out)
    if res.rc != 0 or not m:
        ctx.fatal(f"{label}: `{res.describe()}` exit {res.rc}, no TRUTH line "
                  f"(stdout {res.out[-200:]!r}, stderr {res.err.strip()[-300:]!r})")
    truth = {"bytes": int(m.group(1)), "peak": float(m.group(2)), "now": float(m.group(3)),
             "live": m.group(4) == b"1"}
    return truth, ctx.report(od, res.pid)


def describe(f):
    return (f"{f.get('capacity_bytes')} B peak {f.get('peak_occupancy')} now {f.get('occupancy')}"
            f" probe {f.get('probe')} container {f.get('container')!r}")


def for_block(rep, truth, slack=0.10):
    """The findings whose capacity is within `slack` of the table's size."""
    lo, hi = truth["bytes"] * (1 - slack), truth["bytes"] * (1 + slack) + 65536
    return [f for f in rep.get("findings") or []
            if isinstance(f.get("capacity_bytes"), int) and lo <= f["capacity_bytes"] <= hi]


def check_drained(ctx, argv, label, env=None):
    """The drained table is a finding: capacity within 10% of its
    allocation, a peak at least 40% of the truth's (and 0.2), occupancy at
    most 0.1 and at most a quarter of the peak seen."""
    truth, rep = run_case(ctx, argv, label, env)
    found = for_block(rep, truth)
    others = [describe(f) for f in rep.get("findings") or []]
    if not ctx.check(found, f"{label}: no finding for the drained table of {truth['bytes']} B "
                     f"(truth peak {truth['peak']}, now {truth['now']}; findings: {others or 'none'})"):
        return truth, rep
    f = found[0]
    pk, now = f.get("peak_occupancy"), f.get("occupancy")
    ctx.note(f"truth {truth['bytes']} B peak {truth['peak']} now {truth['now']}; measured {describe(f)}")
    ctx.check(isinstance(pk, (int, float)) and max(0.2, 0.4 * truth["peak"]) <= pk <= 1.0,
              f"{label}: peak_occupancy {pk}, truth {truth['peak']}")
    ctx.check(isinstance(now, (int, float)) and isinstance(pk, (int, float))
              and now <= 0.1 and now <= 0.25 * pk,
              f"{label}: occupancy {now} (peak {pk}), truth {truth['now']}")
    return truth, rep


def check_negative(ctx, argv, label, env=None):
    """No finding at all: nothing in the program is a drained table."""
    truth, rep = run_case(ctx, argv, label, env)
    fs = rep.get("findings") or []
    ctx.check(not fs, f"{label}: {len(fs)} finding(s) where nothing is drained (table "
              f"{truth['bytes']} B): {'; '.join(describe(f) for f in fs[:3])}")
    return truth, rep


# -- Rust ------------------------------------------------------------------

@test
def test_rust_hashset_drained(ctx):
    """Rust std HashSet<String> of 900,000 strings in 2^20 buckets (26.2 MB:
    24-byte String buckets, control bytes at the end), retained to 1% (the
    strings of removed entries are freed): a finding for that allocation."""
    check_drained(ctx, [rust_binary(ctx), "set_drained"], "set_drained")


@test
def test_rust_negatives(ctx):
    """Rust, nothing drained: a HashMap<u64, u64> of 900,000 entries kept
    full; the same map replaced by HashMap::new() (the table freed) and the
    program living on.  No finding in either (the map under churn and the
    byte buffer are the corpus's n15 and n18)."""
    exe = rust_binary(ctx)
    for mode in ("map_full", "map_freed"):
        check_negative(ctx, [exe, mode], mode)


# -- Ruby ------------------------------------------------------------------

RUBY = os.path.join(PROGS, "rt_ruby.rb")


@test
def test_ruby_hash_str_drained(ctx):
    """Ruby Hash of 1,000,000 String keys (entries hold pointers to the
    frozen key strings), 99% deleted: a finding for the 24 MiB entries
    array."""
    check_drained(ctx, [program(ctx, "ruby"), RUBY, "str_drained"], "str_drained")


@test
def test_ruby_negatives(ctx):
    """Ruby, nothing drained: a Hash of 1,000,000 Integer keys kept full; the
    same Hash replaced by {} and GC.start; the Hash under churn (shift the
    oldest, add a new key, 300,000 times: deleted entries with all-ones
    hashes pile up at the front until st.c rebuilds the table).  No finding
    (the byte String is the corpus's n22, an LRU cache its n20)."""
    ruby = program(ctx, "ruby")
    for mode in ("int_full", "int_freed", "int_churn"):
        check_negative(ctx, [ruby, RUBY, mode], mode)


# -- PHP -------------------------------------------------------------------

PHP = os.path.join(PROGS, "rt_php.php")
MALLOC = {"USE_ZEND_ALLOC": "0"}


@test
def test_php_array_str_drained(ctx):
    """PHP array of 1,000,000 string keys (Buckets point to their
    zend_strings), USE_ZEND_ALLOC=0, 99% unset: a finding for the 40 MiB
    data allocation."""
    check_drained(ctx, [program(ctx, "php"), PHP, "str_drained"], "str_drained", MALLOC)


@test
def test_php_negatives(ctx):
    """PHP, nothing drained: the integer-keyed array kept full, the array
    replaced by [] (freed), and the array under churn (the oldest 300,000
    entries unset and replaced one at a time: IS_UNDEF buckets until the
    array compacts itself), each with USE_ZEND_ALLOC=0 and with Zend's
    allocator (its 2 MiB chunks and huge blocks are the careless mmap
    tracker's trap; the churn under Zend's is the corpus's n23).  No
    finding."""
    php = program(ctx, "php")
    for mode in ("int_full", "int_freed", "int_churn"):
        check_negative(ctx, [php, PHP, mode], mode, MALLOC)
        if mode != "int_churn":
            check_negative(ctx, [php, PHP, mode], "zend_" + mode)


# -- Lua -------------------------------------------------------------------

LUA = os.path.join(PROGS, "rt_lua.lua")


@test
def test_lua_str_drained(ctx):
    """Lua 5.4 table of 1,000,000 string keys (24 MiB node array), 99% set to
    nil and collectgarbage(): the dead keys' strings are freed; a finding for
    the node array."""
    check_drained(ctx, [program(ctx, "lua5.4"), LUA, "str_drained"], "str_drained")


@test
def test_lua_negatives(ctx):
    """Lua, nothing drained: the integer-keyed table kept full; the table
    replaced by {} and collectgarbage().  No finding (the table under churn
    is the corpus's n26)."""
    lua = program(ctx, "lua5.4")
    for mode in ("int_full", "int_freed"):
        check_negative(ctx, [lua, LUA, mode], mode)


# -- Perl ------------------------------------------------------------------

PERL = os.path.join(PROGS, "rt_perl.pl")


@test
def test_perl_negatives(ctx):
    """Perl, nothing drained: the hash (and PL_strtab with it) kept full.  No
    finding."""
    check_negative(ctx, [program(ctx, "perl"), PERL, "full"], "full")


@test
def test_perl_hash_undef(ctx):
    """Perl hash of 1,000,000 keys emptied with undef %h: its bucket array is
    freed as soon as its entries are (no finding for a freed 16 MiB block:
    it was sparse only while undef ran), while PL_strtab, the shared-key
    table, keeps its 2^21 buckets (16 MiB) with its million keys gone: that
    one is really retained, and must be a live finding."""
    truth, rep = run_case(ctx, [program(ctx, "perl"), PERL, "freed"], "freed")
    found = for_block(rep, truth)
    freed = [f for f in found if f.get("live") is False]
    live = [f for f in found if f.get("live") is True]
    ctx.check(not freed, f"a finding for the freed bucket array: {'; '.join(map(describe, freed))}")
    ctx.check(len(live) == 1 and (live[0].get("occupancy") or 0) <= 0.1,
              f"expected one live finding (PL_strtab drained), found {len(live)}: "
              f"{'; '.join(map(describe, live))}")


# -- Tcl -------------------------------------------------------------------

TCL = os.path.join(PROGS, "rt_tcl.tcl")


@test
def test_tcl_dict_drained(ctx):
    """Tcl dict of 1,000,000 keys (also a Tcl_HashTable, 8 MiB of buckets),
    99% removed with dict unset: a finding for the bucket array."""
    check_drained(ctx, [program(ctx, "tclsh"), TCL, "dict_drained"], "dict_drained")


@test
def test_tcl_negatives(ctx):
    """Tcl, nothing drained: the array kept full; the array removed with
    array unset (the table freed).  No finding."""
    tcl = program(ctx, "tclsh")
    for mode in ("array_full", "array_freed"):
        check_negative(ctx, [tcl, TCL, mode], mode)


# -- the clock --------------------------------------------------------------

@test
def test_first_alloc_min_age(ctx):
    """A 16 MiB table allocated first thing in main (tests/progs/clockfirst.c),
    drained to 1% and held 3 s: with the defaults it is a finding (so the
    table is one the profiler sees); with RETAIN_MIN_AGE=10000 there is none
    (its age, counted from a birth in the process's first milliseconds, must
    not underflow past the minimum; the default run's age_ms is at most the
    run's duration_ms).  A library from before 0c6ef69 fails it: age_ms
    140,466,917, ~39 hours."""
    exe = ctx.bin("clockfirst")
    truth, rep = check_drained(ctx, [exe], "default")
    dur = rep.get("duration_ms")
    for f in for_block(rep, truth):
        ctx.check(isinstance(f.get("age_ms"), int) and isinstance(dur, int)
                  and 0 <= f["age_ms"] <= dur + 100,
                  f"default: age_ms {f.get('age_ms')} for a block born in a run of {dur} ms")
    truth, rep = run_case(ctx, [exe], "min_age", {"RETAIN_MIN_AGE": "10000"})
    fs = rep.get("findings") or []
    ctx.check(not fs, f"RETAIN_MIN_AGE=10000: a finding for a block at most ~5 s old: "
              f"{'; '.join(describe(f) + ' age_ms ' + str(f.get('age_ms')) for f in fs[:3])}")
