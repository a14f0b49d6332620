"""Faults: exits, signals, descriptors, sandboxes and odd programs (issue 9).

Each test runs a small program of tests/progs plain and preloaded and
compares how it ends (exit status, or the signal that killed it), its stdout
bytes, the descriptors it holds at exit (the programs list
/proc/thread-self/fd after an "open at exit:" line, see tests/progs/fdlist.h)
(below 512 exactly the plain run's; the library's own, above, close-on-exec)
and the files it leaves behind.  Every run has a hard timeout: a hang is
reported as a failure with what was seen, and the program's whole session is
killed, so the suite never sticks.  Programs that must end in a particular way
are run many times, several at once."""
import os
import random
import re
import signal
import time

import harness
from harness import Watcher, check_totals, test

FD_MARK = b"open at exit:\n"
# Issue 9 lets the library keep descriptors of its own "only above a high
# number, never 0-2": below HIGH_FD the preloaded run's descriptors must be
# exactly the plain run's; above it, extra ones must be close-on-exec (so
# that no child inherits them) and are listed in the test's notes.
HIGH_FD = 512


def outcome(res, timeout=None):
    """How a run ended, as a comparable class."""
    if res.timed_out:
        return "hung" if timeout is None else f"hung (killed after {timeout:g} s)"
    if res.rc < 0:
        try:
            return f"killed by {signal.Signals(-res.rc).name}"
        except ValueError:
            return f"killed by signal {-res.rc}"
    return f"exit {res.rc}"


def split_fds(out):
    """(stdout before the fd listing, the listing's lines).  The harness's
    files for the program's stdout and stderr (N.out, N.err) are named by
    their role, so that two runs compare equal."""
    head, mark, tail = out.partition(FD_MARK)
    if not mark:
        return head, None
    lines = [l.strip() for l in tail.decode("utf-8", "replace").split("\n") if l.strip()]
    return head, [re.sub(r"^(fd \d+) \d+\.(out|err)$", r"\1 (std\2 file)", l) for l in lines]


def compare(ctx, plain, pre, what, timeout=None):
    """Same ending, same stdout, same fds at exit."""
    a, b = outcome(plain), outcome(pre, timeout)
    ctx.check(a == b, f"{what}: plain {a}, preloaded {b} (stderr: {pre.err.strip()[-200:]!r})")
    pout, pfds = split_fds(plain.out)
    qout, qfds = split_fds(pre.out)
    ctx.check(pout == qout, f"{what}: stdout plain {pout[-200:]!r}, preloaded {qout[-200:]!r}")
    check_fds(ctx, pfds, qfds, what)


def check_fds(ctx, pfds, qfds, what):
    """The fds open at exit: the same below HIGH_FD; extra ones above it
    close-on-exec."""
    if pfds is None and qfds is None:
        return
    if pfds is None or qfds is None:
        ctx.check(False, f"{what}: fds open at exit plain {fds_text(pfds)}, preloaded {fds_text(qfds)}")
        return

    def fdnum(line):
        return int(line.split()[1])

    low_p = [l for l in pfds if fdnum(l) < HIGH_FD]
    low_q = [l for l in qfds if fdnum(l) < HIGH_FD]
    extra = [l for l in qfds if fdnum(l) >= HIGH_FD and l not in pfds]
    ctx.check(low_p == low_q and all(l in qfds for l in pfds),
              f"{what}: fds open at exit plain {fds_text(pfds)}, preloaded {fds_text(qfds)}")
    inherited = [l for l in extra if not l.endswith(" cloexec")]
    ctx.check(not inherited, f"{what}: the library's fds {fds_text(inherited)} are not close-on-exec")
    if extra and not inherited:
        ctx.note(f"library fds at exit: {fds_text(extra)}")


def fds_text(lines):
    if lines is None:
        return "(not listed)"
    return "[" + ", ".join(l.removeprefix("fd ") for l in lines) + "]"


def run_many(ctx, argvs, preload, timeout, env=None, outdir=None, at_once=4, cwd=None, between=None):
    """Runs every argv (at most `at_once` at a time); returns the results in
    order.  `between(proc)`, if given, runs on each started program before
    it is waited for (to send it signals)."""
    results = []
    for i in range(0, len(argvs), at_once):
        procs = [ctx.start(a, preload=preload, env=env, outdir=outdir, cwd=cwd)
                 for a in argvs[i:i + at_once]]
        if between:
            for p in procs:
                between(p)
        results += [p.wait(timeout) for p in procs]
    return results


def tally(results, timeout=None):
    counts = {}
    for r in results:
        k = outcome(r, timeout)
        counts[k] = counts.get(k, 0) + 1
    return ", ".join(f"{n}x {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def wait_for_output(proc, needle, seconds):
    """Polls the program's stdout file until `needle` shows (True) or the
    program ends or `seconds` pass (False)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with open(proc.out_path, "rb") as f:
            if needle in f.read():
                return True
        if not proc.running():
            return False
        time.sleep(0.01)
    return False


def listing(path):
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


# --------------------------------------------------------------------------
# exits and signals

@test
def test_pthread_exit_main(ctx):
    """main() ends with pthread_exit(NULL) while a worker allocates for
    0.3 s (tests/progs/mainexit.c): the process must exit when the worker
    returns, within 15 s, with the plain run's status (0), stdout and fds at
    exit.  If it is still alive, the test also sends SIGTERM and says whether
    that ended it (it must: signals meant for the process are delivered)."""
    exe = ctx.bin("mainexit")
    plain = ctx.run([exe, "300"], preload=False, timeout=30)
    proc = ctx.start([exe, "300"])
    end = time.monotonic() + 15
    while proc.running() and time.monotonic() < end:
        time.sleep(0.05)
    if proc.running():
        proc.signal(signal.SIGTERM)
        t = time.monotonic()
        while proc.running() and time.monotonic() < t + 3:
            time.sleep(0.05)
        after = "then died of SIGTERM" if not proc.running() else "and SIGTERM did not end it either"
        pre = proc.wait(0.1)
        ctx.check(False, f"preloaded: still running 15 s after main's pthread_exit (the worker "
                  f"ended after 0.3 s; stdout {pre.out[:40]!r}), {after}")
        return
    pre = proc.wait(1)
    compare(ctx, plain, pre, "mainexit 300")


@test
def test_pthread_exit_sigterm(ctx):
    """main() has ended with pthread_exit(NULL) and the worker still runs
    (tests/progs/mainexit.c, 30 s): SIGTERM sent 0.3 s after "main exits"
    must kill the process by its default action, as it does plain
    (status -SIGTERM within 10 s, same stdout)."""
    exe = ctx.bin("mainexit")
    ends = {}
    for mode, preload in (("plain", False), ("preloaded", True)):
        proc = ctx.start([exe, "30000"], preload=preload)
        if not wait_for_output(proc, b"main exits\n", 10):
            ctx.check(False, f"{mode}: no 'main exits' within 10 s")
        time.sleep(0.3)
        proc.signal(signal.SIGTERM)
        ends[mode] = proc.wait(10.5 + (time.monotonic() - proc.start))
    compare(ctx, ends["plain"], ends["preloaded"], "mainexit 30000 + SIGTERM", 10)
    ctx.check(ends["plain"].rc == -signal.SIGTERM, f"plain run ended {outcome(ends['plain'])}")


@test
def test_fork_from_thread(ctx):
    """A thread other than main forks while the sampler runs; in the child
    that thread is the only one and returns from its start routine, or calls
    pthread_exit (tests/progs/forkfromthread.c; CPython's test_threading
    test_3_join_in_forked_from_thread).  The child must exit 0 within 10 s
    as it does plain: the parent's stdout says how the child ended, and the
    parent's status, stdout and fds at exit must equal the plain run's."""
    exe = ctx.bin("forkfromthread")
    for how in ("return", "pthread_exit"):
        plain = ctx.run([exe, how], preload=False, timeout=30)
        pre = ctx.run([exe, how], timeout=30)
        compare(ctx, plain, pre, f"forkfromthread {how}")


def signal_exit_runs(ctx, how, runs, preload, env=None):
    exe = ctx.bin("sigexit")

    def send_term(proc):
        if wait_for_output(proc, b"looping\n", 10):
            time.sleep(random.uniform(0.02, 0.25))     # somewhere inside malloc/free
        proc.signal(signal.SIGTERM)

    return run_many(ctx, [[exe, how]] * runs, preload, 8, env=env, at_once=5, between=send_term)


@test
def test_signal_handler_exit(ctx):
    """A SIGTERM handler calls exit(3) while the main thread loops in
    malloc/free of 16 B to 1.5 MiB (tests/progs/sigexit.c exit): 20
    preloaded runs with the default settings and 20 with RETAIN_SAMPLE=0,
    SIGTERM at a random moment, 5 at a time.  Every run must
    end with status 3 within 8 s and the plain run's stdout, like the plain
    runs.  A report is not required (the library may skip it and say so),
    but any report left must be valid and complete (no temporary files)."""
    signal_exit_check(ctx, "exit", b"looping\n")


@test
def test_signal_handler_underscore_exit(ctx):
    """As signal_handler_exit with a handler that calls write() and
    _exit(3) (async-signal-safe; tests/progs/sigexit.c _exit): the 40
    preloaded runs must all end with status 3 within 8 s and print the
    handler's line."""
    signal_exit_check(ctx, "_exit", b"looping\nhandler: _exit(3)\n")


def signal_exit_check(ctx, how, want_out):
    plain = signal_exit_runs(ctx, how, 2, False)
    # exact mode (every allocation takes the site table's locks) as well as
    # the default: more chances that the signal lands inside the library
    pre = signal_exit_runs(ctx, how, 20, True) + signal_exit_runs(ctx, how, 20, True,
                                                                 {"RETAIN_SAMPLE": "0"})
    ok_plain = [r for r in plain if outcome(r) == "exit 3" and r.out == want_out]
    if len(ok_plain) != len(plain):
        ctx.fatal(f"plain runs ended {tally(plain)} (stdout {plain[0].out!r}): the test is wrong here")
    bad = [r for r in pre if outcome(r) != "exit 3" or r.out != want_out]
    ctx.check(not bad, f"sigexit {how}: {len(bad)} of {len(pre)} preloaded runs did not end with "
              f"status 3 and stdout {want_out!r}: {tally(pre, 8)}"
              + (f"; e.g. stdout {bad[0].out!r}, stderr {bad[0].err.strip()[-160:]!r}" if bad else ""))


@test
def test_signal_handler_malloc(ctx):
    """The program's own SIGALRM handler (every 0.2 ms) calls malloc/free,
    which is not async-signal-safe, while main loops in malloc/free
    (tests/progs/sigmalloc.c, 1 s): plain it crashes (glibc aborts on the
    corrupted heap) or finishes.  4 runs each way, 15 s each: no preloaded
    run may hang, and each preloaded run must end in a class plain runs
    ended in ("exit N", or killed by a signal: which signal may differ)."""
    exe = ctx.bin("sigmalloc")

    def cls(r):
        o = outcome(r, 15)
        return "killed by a signal" if o.startswith("killed by") else o

    plain = run_many(ctx, [[exe, "1000"]] * 4, False, 15)
    pre = run_many(ctx, [[exe, "1000"]] * 4, True, 15)
    plain_classes = {cls(r) for r in plain}
    if any(r.timed_out for r in plain):
        ctx.note(f"plain runs hung too: {tally(plain, 15)}")
    hung = [r for r in pre if r.timed_out]
    ctx.check(not hung, f"{len(hung)} of {len(pre)} preloaded runs hung (plain: {tally(plain)}; "
              f"preloaded: {tally(pre, 15)})")
    other = [r for r in pre if not r.timed_out and cls(r) not in plain_classes]
    ctx.check(not other, f"preloaded runs ended {tally(other)}, a way no plain run ended "
              f"(plain: {tally(plain)})")


@test
def test_rlimit_as_exit(ctx):
    """Exit with the address space nearly used up (tests/progs/rlimitas.c):
    RLIMIT_AS set to the current size plus 0 or 1 MiB, then 1 MiB, 64 KiB
    and 4 KiB blocks until ENOMEM, then all freed ("free") or kept ("keep"),
    or the limit set just before exit ("tight"); exit 0.  With
    RETAIN_SAMPLE=0 (every allocation a site to symbolize at exit) 3 runs of
    each of free 0, free 1, tight 0, keep 0, and 10 runs of free 0 with the
    default settings: every preloaded run must exit 0 as plain (not die of
    SIGSEGV: the exit report needs memory and stack it may not get), within
    20 s, with the plain run's stdout and fds at exit."""
    if harness.sanitizer_build():
        ctx.note(f"skipped under {harness.sanitizer_build()}: its runtime exits when its own "
                 f"mmap fails, as it must under RLIMIT_AS")
        return
    exe = ctx.bin("rlimitas")
    exact = [("free", "0"), ("free", "1"), ("tight", "0"), ("keep", "0")] * 3
    default = [("free", "0")] * 10
    plain = {}
    for how, margin in sorted(set(exact + default)):
        plain[(how, margin)] = ctx.run([exe, how, margin], preload=False, timeout=20)
        if outcome(plain[(how, margin)]) != "exit 0":
            ctx.fatal(f"plain rlimitas {how} {margin} ended {outcome(plain[(how, margin)])}")
    runs = [(how, m, "RETAIN_SAMPLE=0", r) for (how, m), r in
            zip(exact, run_many(ctx, [[exe, how, m] for how, m in exact], True, 20,
                                env={"RETAIN_SAMPLE": "0"}))]
    runs += [(how, m, "default", r) for (how, m), r in
             zip(default, run_many(ctx, [[exe, how, m] for how, m in default], True, 20))]
    ended = [(f"{how} {m} ({cfg})", r) for how, m, cfg, r in runs if outcome(r, 20) != "exit 0"]
    summary = {}
    for what, r in ended:
        summary.setdefault(what, []).append(outcome(r, 20))
    ctx.check(not ended, f"{len(ended)} of {len(runs)} preloaded runs did not exit 0 as plain: "
              + "; ".join(f"{what}: {', '.join(v)}" for what, v in summary.items()))
    for how, m, cfg, r in runs:
        if outcome(r, 20) == "exit 0":      # the first one that got to the end
            compare(ctx, plain[(how, m)], r, f"rlimitas {how} {m} ({cfg})")
            break


@test
def test_malloc_state_unchanged(ctx):
    """glibc's allocator as the program finds it (tests/progs/mallocstate.c):
    which block sizes are mapped and whether the heap's top is trimmed must
    be as plain.  libretain's start-up check of glibc's chunk headers once
    freed a 300 KB mapped block, which raised the program's dynamic mmap
    threshold: its 160 KiB blocks then came from the heap; so did every
    report (its 600 KB module array).  With "report", the program asks for a
    report first (retain_report_now) and must still find glibc as plain."""
    exe = ctx.bin("mallocstate")
    for args in ([], ["report"]):
        plain = ctx.run([exe] + args, preload=False)
        for env in ({}, {"RETAIN_SAMPLE": "0"}):
            pre = ctx.run([exe] + args, env=env)
            compare(ctx, plain, pre, f"mallocstate {' '.join(args)} {env or 'default'}")


@test
def test_sparse_block_pages_unmapped(ctx):
    """A 32 MiB block of which the program wrote only the first 2 MiB
    (tests/progs/sparseblock.c), measured by the sampler for 1.5 s: the
    7,679 pages it never wrote must stay unmapped (mincore), as plain.
    Reading them mapped the kernel's zero page into the program's page
    tables (248 pages with the library before), and every fork() copies
    each such entry (16 sparse watched blocks made fork 3x slower).  Only
    on a machine without swap, where an absent page can only be an unwritten
    one (mem_read.h); the report must show the block measured, so that the
    check is not passed by a sampler that never looked."""
    with open("/proc/swaps") as f:
        if len(f.read().splitlines()) > 1:
            ctx.note("swap is configured here: absent pages are read, the check does not apply")
            return
    exe = ctx.bin("sparseblock")
    od = ctx.outdir("sparse")
    plain = ctx.run([exe], preload=False)
    pre = ctx.run([exe], outdir=od)
    pat = rb"unwritten pages (\d+), mapped (\d+)"
    mp, mq = re.search(pat, plain.out), re.search(pat, pre.out)
    if not ctx.check(mp and mq, f"no page counts: {plain.out!r} / {pre.out!r}"):
        return
    ctx.check(int(mp.group(2)) == 0, f"plain run: {mp.group(0)!r}")
    ctx.check(int(mq.group(2)) == int(mp.group(2)),
              f"preloaded: {mq.group(0).decode()} (plain {mp.group(0).decode()})")
    s = ctx.report(od, pre.pid).get("sampler") or {}
    n = sum((s.get("measurements") or {}).values())
    ctx.check(n >= 3, f"the block was measured {n} times ({s.get('measurements')})")


# --------------------------------------------------------------------------
# file descriptors and output

@test
def test_low_fds(ctx):
    """A program closes fds 0-2, allocates, reopens them (/dev/null, then a
    file twice) and allocates small and 4 MiB blocks (tests/progs/lowfds.c):
    the opens must return 0, 1, 2 as plain, and its output file (which fds
    it got, a printf through stdout) must equal the plain run's byte for
    byte, with the same fds open at exit (the library's own only above 512,
    close-on-exec); no other files appear in its directory."""
    exe = ctx.bin("lowfds")
    got = {}
    for mode, preload in (("plain", False), ("preloaded", True)):
        cwd = os.path.join(ctx.tmp, f"cwd-{mode}")
        os.makedirs(cwd)
        res = ctx.run([exe, "out.txt"], preload=preload, cwd=cwd, timeout=30)
        with open(os.path.join(cwd, "out.txt"), "rb") as f:
            got[mode] = (res, f.read(), listing(cwd))
    (pr, pdata, pls), (qr, qdata, qls) = got["plain"], got["preloaded"]
    ctx.check(outcome(pr) == outcome(qr), f"plain {outcome(pr)}, preloaded {outcome(qr)}")
    first = qdata.split(b"\n", 1)[0]
    ctx.check(first == b"stdin 0 stdout 1 stderr 2",
              f"preloaded, the reopened descriptors are {first.decode(errors='replace')!r} "
              "(plain: 0, 1, 2)")
    phead, pfds = split_fds(pdata)
    qhead, qfds = split_fds(qdata)
    ctx.check(phead == qhead, f"output file plain {phead!r}, preloaded {qhead!r}")
    check_fds(ctx, pfds, qfds, "lowfds")
    ctx.check(pls == qls, f"files in the program's directory plain {pls}, preloaded {qls}")
    ctx.check(pr.out == qr.out, f"stdout plain {pr.out!r}, preloaded {qr.out!r}")


@test
def test_fd2_reused(ctx):
    """A program closes fd 2 and opens a data file, which gets fd 2, and
    writes 100 records to it (tests/progs/fd2reuse.c), with RETAIN_QUIET=0
    so that the exit summary is due: the data file must hold exactly what
    the plain run's holds (no summary line appended), and status, stdout and
    fds at exit must be the plain run's."""
    exe = ctx.bin("fd2reuse")
    got = {}
    for mode, preload in (("plain", False), ("preloaded", True)):
        cwd = os.path.join(ctx.tmp, f"cwd-{mode}")
        os.makedirs(cwd)
        res = ctx.run([exe, "data"], preload=preload, cwd=cwd, timeout=30,
                      env={"RETAIN_QUIET": "0"} if preload else None)
        with open(os.path.join(cwd, "data"), "rb") as f:
            got[mode] = (res, f.read(), listing(cwd))
    (pr, pdata, pls), (qr, qdata, qls) = got["plain"], got["preloaded"]
    extra = qdata[len(pdata):] if qdata.startswith(pdata) else qdata[-200:]
    ctx.check(pdata == qdata, f"the data file on fd 2 differs preloaded: {len(pdata)} bytes plain, "
              f"{len(qdata)} preloaded, ending {extra[-200:]!r}")
    compare(ctx, pr, qr, "fd2reuse")
    ctx.check(pls == qls, f"files in the program's directory plain {pls}, preloaded {qls}")


# --------------------------------------------------------------------------
# sandboxes and odd programs

@test
def test_seccomp_allow_list(ctx):
    """A program installs a seccomp allow-list (raw BPF: what it and an
    ordinary glibc program need, SECCOMP_RET_KILL_PROCESS for the rest) and
    allocates small and 2 MiB blocks on two threads
    (tests/progs/seccompprog.c): preloaded it must not die of SIGSYS; its
    status and stdout must be the plain run's (exit 0), with at most one
    libretain line on stderr (disabling itself is allowed, a report is not
    required)."""
    exe = ctx.bin("seccompprog")
    plain = ctx.run([exe], preload=False, timeout=30)
    if outcome(plain) != "exit 0":
        ctx.fatal(f"plain seccompprog ended {outcome(plain)} (stdout {plain.out!r}): the allow-list "
                  "misses a call this system's glibc needs")
    pre = ctx.run([exe], timeout=30, expect_report=False)
    compare(ctx, plain, pre, "seccompprog")
    lines = [l for l in pre.err.splitlines() if "libretain" in l]
    ctx.check(len(lines) <= 1, f"{len(lines)} libretain lines on stderr: {lines[:3]}")


@test
def test_deepbind_frees(ctx):
    """A library loaded with dlopen(RTLD_DEEPBIND) frees 1500 blocks of
    2 MiB that the program allocated, at reused addresses, and churns large
    blocks of its own (tests/progs/deepbind.c, tests/progs/so/deepalloc.c);
    the program holds 4 blocks (8 MiB) at exit.  The exit report's
    totals.live_bytes must lie between what the program holds and that plus
    4 blocks (it must not count the freed blocks as live), and
    sampler.watched_blocks must be at most 4 + 4 (no orphaned watches).
    Status, stdout and fds at exit as plain."""
    exe = ctx.bin("deepbind")
    lib = ctx.bin("libdeepalloc.so")
    plain = ctx.run([exe, lib], preload=False, timeout=60)
    od = ctx.outdir()
    pre = ctx.run([exe, lib], timeout=120, outdir=od)
    compare(ctx, plain, pre, "deepbind")
    m = re.search(rb"^holds (\d+) blocks (\d+) bytes$", plain.out, re.M)
    if not m:
        ctx.fatal(f"plain deepbind printed {plain.out!r}")
    blocks, held = int(m.group(1)), int(m.group(2))
    block = held // blocks
    rep = ctx.report(od, pre.pid)
    live = (rep.get("totals") or {}).get("live_bytes")
    watched = (rep.get("sampler") or {}).get("watched_blocks")
    ctx.check(isinstance(live, int) and held <= live <= held + 4 * block,
              f"totals.live_bytes {live!r} ({(live or 0) / 2**20:.0f} MiB) for a program holding "
              f"{held / 2**20:.0f} MiB (allowed up to {(held + 4 * block) / 2**20:.0f} MiB)")
    ctx.check(isinstance(watched, int) and watched <= blocks + 4,
              f"sampler.watched_blocks {watched!r} for a program holding {blocks} large blocks")
    check_totals(ctx, rep)


@test
def test_report_now_threads(ctx):
    """4 program threads call retain_report_now() every 5 ms for 3 s while
    two threads churn 1-4 MiB blocks and the sampler watches them
    (tests/progs/reportnow.c; RETAIN_INTERVAL=10, RETAIN_MIN_AGE=50), twice:
    no crash or hang (status 0 within 60 s), stdout and fds at exit as plain,
    every call returns 0, every report seen while it runs is valid JSON
    (checked against the contract like all reports) and the final one has
    reason "exit"."""
    exe = ctx.bin("reportnow")
    plain = ctx.run([exe, "3000", "4"], preload=False, timeout=60)
    env = {"RETAIN_INTERVAL": "10", "RETAIN_MIN_AGE": "50"}
    for round_ in range(2):
        od = ctx.outdir(f"round{round_}")
        proc = ctx.start([exe, "3000", "4"], env=env, outdir=od)
        w = Watcher(ctx, proc, os.path.join(od, f"r.{proc.pid}.json"))
        w.run_until(60, step=0.02)
        res = proc.wait(60)
        w.poll()
        compare(ctx, plain, res, f"reportnow round {round_ + 1}", 60)
        m = re.search(r"report_now ok (\d+) failed (\d+)", res.err)
        ctx.check(m and int(m.group(1)) > 0 and m.group(2) == "0",
                  f"round {round_ + 1}: retain_report_now results: {m.group(0) if m else res.err[-200:]!r}")
        if not res.timed_out and res.rc == 0:
            rep = ctx.report(od, res.pid)
            ctx.check(rep.get("reason") == "exit", f"final report reason {rep.get('reason')!r}")
            check_totals(ctx, rep)


@test
def test_small_state_packed(ctx):
    """libretain's own zero-initialised state a short process touches sits
    in few pages: the library's .bss (small variables) is at most 32 KiB,
    the large arrays (bucket heads, filters, the unloaded-modules list) are
    in .lbss after it (src/cold.h).  Interleaved, they spread the small
    variables over ~20 pages, each a page fault in every process: a
    profiled short process took 170 faults against plain's 81, 149 after."""
    import subprocess
    out = subprocess.run(["readelf", "-S", "-W", harness.LIB], capture_output=True, text=True).stdout
    sizes = {}
    for m in re.finditer(r"\]\s+(\.l?bss)\s+NOBITS\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)", out):
        sizes[m.group(1)] = int(m.group(2), 16)
    if not ctx.check(".bss" in sizes, "readelf shows no .bss in libretain.so"):
        return
    ctx.note(f".bss {sizes['.bss']} bytes, .lbss {sizes.get('.lbss', 0)} bytes")
    if sizes[".bss"] > 32 * 1024:
        syms = subprocess.run(["nm", "-S", "--size-sort", "-t", "d", harness.LIB],
                              capture_output=True, text=True).stdout.split("\n")
        big = [l.split()[-1] for l in syms if re.search(r" [bB] ", l) and int(l.split()[1]) >= 4096]
        ctx.problems.append(f".bss holds {sizes['.bss']} bytes (at most 32768); arrays of 4 KiB or "
                            f"more there (mark them COLD_BSS, src/cold.h): {', '.join(big[-12:])}")
