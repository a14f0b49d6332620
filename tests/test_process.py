"""Threads, fork and exec.

Exact counts across threads, per-process reports after fork, vfork and exec,
and the sampler reading blocks that other threads free."""
import os
import re
import signal
import time

from harness import (VERBOSE, check_basic, check_counts, check_frames, check_totals, first_diff,
                     site_sum, test, Watcher)


@test
def test_threads(ctx):
    """4 threads freeing each other's blocks for 3 s; exact accounting of the
    worker_alloc sites; the blocks kept at exit are live."""
    exe = ctx.bin("threads")
    plain = ctx.run([exe, "100"], preload=False)
    pre = ctx.run([exe, "3000"], env={"RETAIN_SAMPLE": "0"}, timeout=90)
    ctx.check(pre.rc == 0, f"threads exited {pre.rc}: {pre.out[-200:]!r} {pre.err[-200:]!r}")
    text = pre.out.decode()
    m1 = re.search(r"kept (\d+) blocks (\d+) bytes", text)
    m2 = re.search(r"worker allocations (\d+)", text)
    if not (m1 and m2):
        ctx.fatal(f"unexpected output {text!r}")
    ctx.check(pre.out.splitlines()[:2] == plain.out.splitlines()[:2],
              f"kept/corrupt lines differ from the plain run: {first_diff(plain.out, pre.out)}")
    kept, kept_bytes, events = int(m1.group(1)), int(m1.group(2)), int(m2.group(1))
    rep = ctx.report(ctx.outdir(), pre.pid)
    check_basic(ctx, rep, pre.pid, "exit", "threads")
    matched = check_counts(ctx, rep, "worker_alloc", events, events - kept, kept_bytes)
    check_frames(ctx, matched, "worker_alloc", "threads.c", "threads")
    check_totals(ctx, rep)
    t = rep.get("totals") or {}
    if isinstance(t.get("allocations"), int) and isinstance(t.get("frees"), int):
        ctx.check(t["allocations"] - t["frees"] >= kept,
                  f"totals.allocations - totals.frees = {t['allocations'] - t['frees']} < {kept} kept blocks")
        ctx.check(t["allocations"] >= events, f"totals.allocations {t['allocations']} < {events}")
    if isinstance(t.get("live_bytes"), int):
        ctx.check(t["live_bytes"] >= kept_bytes, f"totals.live_bytes {t['live_bytes']} < {kept_bytes}")
    if VERBOSE:
        print(f"  [threads] {events} worker allocations in 3 s under the preload")


@test
def test_fork_threads(ctx):
    """fork() while threads allocate: each child writes its own report with
    its own pid and exact counts of what it allocated; nothing deadlocks."""
    exe = ctx.bin("forkthreads")
    strip = lambda out: b"\n".join(l for l in out.splitlines() if not l.startswith(b"PID "))
    plain = ctx.run([exe], preload=False, timeout=30)
    pre = ctx.run([exe], env={"RETAIN_SAMPLE": "0"}, timeout=30)
    ctx.same_output(plain, pre, what="forkthreads (pids ignored)", filt=strip)
    children = [int(m) for m in re.findall(rb"^PID \d+ (\d+) status", pre.out, re.M)]
    ctx.check(len(children) == 4, f"expected 4 children, output: {pre.out!r}")
    outdir = ctx.outdir()
    parent = ctx.report(outdir, pre.pid)
    check_basic(ctx, parent, pre.pid, "exit", "forkthreads", label="parent: ")
    got, _ = site_sum(parent, "child_alloc")
    ctx.check(got["allocations"] == 0, f"parent report counts {got['allocations']} child_alloc "
              "allocations that happened in the children")
    ctx.check(len(set(children + [pre.pid])) == len(children) + 1, "pids are not distinct")
    for cpid in children:
        rep = ctx.report(outdir, cpid, required=False)
        if not ctx.check(rep is not None, f"no report from child pid {cpid}"):
            continue
        lab = f"child {cpid}: "
        check_basic(ctx, rep, cpid, "exit", "forkthreads", label=lab)
        check_counts(ctx, rep, "child_alloc", 1000, 500, 500 * 64, label=lab)
        check_counts(ctx, rep, "child_thread_alloc", 100, 0, 100 * 32, label=lab)
        check_totals(ctx, rep, label=lab)


@test
def test_fork_stress(ctx):
    """12 forks 5 ms apart while threads allocate and SIGUSR2 arrives every
    30 ms (reports being written while forking): no deadlock, every child
    reports under its own pid."""
    exe = ctx.bin("forkthreads")
    od = ctx.outdir()
    proc = ctx.start([exe, "12", "5"], outdir=od)
    time.sleep(0.1)
    sent = 0
    while proc.running() and time.monotonic() - proc.start < 45:
        proc.signal(signal.SIGUSR2)
        sent += 1
        time.sleep(0.03)
    res = proc.wait(60)
    if res.timed_out:
        ctx.fatal(f"forkthreads 12 5 did not finish (killed); output so far {res.out[-300:]!r}")
    ctx.check(res.rc == 0 and res.out.endswith(b"parent done, 0 failures\n"),
              f"rc {res.rc}, output ends {res.out[-200:]!r}, stderr {res.err.strip()[-200:]!r}")
    children = [int(m) for m in re.findall(rb"^PID \d+ (\d+) status 0", res.out, re.M)]
    ctx.check(len(children) == 12, f"{len(children)} children exited with status 0, expected 12")
    reps = ctx.reports_in(od)
    for cpid in children:
        r = reps.get(cpid)
        if ctx.check(r is not None, f"no report from child {cpid}"):
            check_basic(ctx, r, cpid, "exit", "forkthreads", label=f"child {cpid}: ")
    final = reps.get(res.pid)
    if ctx.check(final is not None, "no report from the parent"):
        check_basic(ctx, final, res.pid, "exit", "forkthreads", label="parent: ")
    if VERBOSE:
        print(f"  [fork_stress] {sent} signals sent, {res.seconds:.1f}s")


@test
def test_vfork(ctx):
    """vfork children that fail to exec and _exit(127): the parent is not
    disturbed; it still answers SIGUSR2 afterwards, counts exactly, and
    writes its exit report."""
    exe = ctx.bin("vforkprog")
    plain = ctx.run([exe, "100"], preload=False)
    od = ctx.outdir()
    proc = ctx.start([exe, "1500"], env={"RETAIN_SAMPLE": "0"}, outdir=od)
    w = Watcher(ctx, proc, os.path.join(od, f"r.{proc.pid}.json"))
    w.run_until(0.9)
    proc.signal(signal.SIGUSR2)
    res = w.finish("vforkprog")
    ctx.same_output(plain, res, what="vforkprog")
    ctx.check("signal" in w.reasons_while_running(),
              f"no 'signal' report after the vforks (seen {[r.get('reason') for _, _, r in w.seen]})")
    rep = ctx.report(od, res.pid)
    check_basic(ctx, rep, res.pid, "exit", "vforkprog")
    check_counts(ctx, rep, "after_vfork_alloc", 200, 0, 200 * 128)


@test
def test_exec(ctx):
    """A program that execs: output as expected, the new image reports under
    the same pid with its own argv and exact counts."""
    exe = ctx.bin("execprog")
    argv = [exe, "/bin/echo", "hello", "from", "echo"]
    plain = ctx.run(argv, preload=False)
    pre = ctx.run(argv)
    ctx.check(plain.out == b"before exec of echo\nhello from echo\n", f"plain output {plain.out!r}")
    ctx.same_output(plain, pre, what="execprog /bin/echo")
    rep = ctx.report(ctx.outdir(), pre.pid)
    check_basic(ctx, rep, pre.pid, "exit", "echo")
    ctx.check(rep.get("command", [None])[1:] == ["hello", "from", "echo"],
              f"report command {rep.get('command')!r}, expected echo's argv")

    hello = ctx.bin("hello")
    od = ctx.outdir("to-hello")
    argv = [exe, hello, "5"]
    plain = ctx.run(argv, preload=False)
    pre = ctx.run(argv, env={"RETAIN_SAMPLE": "0"}, outdir=od)
    ctx.check(plain.rc == 5, f"plain execprog hello 5 exited {plain.rc}")
    ctx.same_output(plain, pre, what="execprog hello 5")
    rep = ctx.report(od, pre.pid)
    check_basic(ctx, rep, pre.pid, "exit", "hello")
    live = sum(100 + i * 37 for i in range(1, 50, 2))
    check_counts(ctx, rep, "hello_alloc", 50, 25, live)


@test
def test_fork_child_reports(ctx):
    """A forked child that runs for 2.5 s writes periodic reports and answers
    SIGUSR2 under its own pid, like any profiled process."""
    exe = ctx.bin("forkbusy")
    od = ctx.outdir()
    proc = ctx.start([exe, "2500"], env={"RETAIN_REPORT_INTERVAL": "1"}, outdir=od)
    child = None
    while time.monotonic() - proc.start < 10 and proc.running():
        with open(proc.out_path, "rb") as f:
            m = re.search(rb"^child (\d+)$", f.read(), re.M)
        if m:
            child = int(m.group(1))
            break
        time.sleep(0.02)
    if child is None:
        proc.wait(30)
        ctx.fatal("forkbusy never printed its child's pid")
    wc = Watcher(ctx, proc, os.path.join(od, f"r.{child}.json"))
    wp = Watcher(ctx, proc, os.path.join(od, f"r.{proc.pid}.json"))

    def child_alive():
        try:
            os.kill(child, 0)
            with open(f"/proc/{child}/stat") as f:
                return f.read().split(")")[-1].split()[0] != "Z"
        except (ProcessLookupError, FileNotFoundError):
            return False

    seen_c, signalled = [], False
    while time.monotonic() - proc.start < 60 and proc.running():
        alive = child_alive()
        n = len(wc.seen)
        wc.poll()
        wp.poll()
        if alive:
            seen_c += [r.get("reason") for _, _, r in wc.seen[n:]]
        if not signalled and time.monotonic() - proc.start > 1.3 and alive:
            os.kill(child, signal.SIGUSR2)
            signalled = True
        time.sleep(0.04)
    res = proc.wait(60)
    wc.poll()
    wp.poll()
    if res.timed_out:
        ctx.fatal("forkbusy did not finish (killed)")
    ctx.check(res.rc == 0 and res.out.endswith(b"child done\nparent: child status 0\n"),
              f"rc {res.rc}, output {res.out!r}")
    ctx.check("periodic" in seen_c, f"child {child}: no 'periodic' report while it ran (seen {seen_c})")
    ctx.check("signal" in seen_c, f"child {child}: no 'signal' report after SIGUSR2 (seen {seen_c})")
    for _, _, r in wc.seen:
        ctx.check(r.get("pid") == child, f"r.{child}.json has pid {r.get('pid')}")
    ctx.check("periodic" in [r.get("reason") for _, _, r in wp.seen],
              f"parent: no 'periodic' report (seen {[r.get('reason') for _, _, r in wp.seen]})")
    check_basic(ctx, ctx.report(od, child), child, "exit", "forkbusy", label="child final: ")
    check_basic(ctx, ctx.report(od, proc.pid), proc.pid, "exit", "forkbusy", label="parent final: ")


@test(serial=True)
def test_free_while_sampled(ctx):
    """Two threads malloc, fill, realloc and free 1-8 MiB blocks (all watched)
    for 2.5 s while the sampler reads them every millisecond: no crash, the
    program's output unchanged, and the sampler keeps to its CPU budget.  Run
    twice: normally (blocks read with process_vm_readv, never held), and in a
    seccomp sandbox that forbids that call (memcpy under the block's lock)."""
    exe = ctx.bin("bigchurn")
    env = {"RETAIN_INTERVAL": "1", "RETAIN_MIN_AGE": "0"}
    for mode in ("normal", "sandbox"):
        argv = [exe, "2500"] + (["sandbox"] if mode == "sandbox" else [])
        plain = ctx.run(argv, preload=False)
        od = ctx.outdir(mode)
        pre = ctx.run(argv, env=env, outdir=od)
        ctx.same_output(plain, pre, what=f"bigchurn ({mode})")
        ctx.check(pre.out == b"rounds ok\n", f"{mode}: output {pre.out!r}")
        rep = ctx.report(od, pre.pid)
        smp = rep.get("sampler") or {}
        ctx.check(smp.get("passes", 0) >= 10, f"{mode}: only {smp.get('passes')} sampler passes")
        cpu, secs = smp.get("cpu_ms", 0), rep.get("duration_ms", 1) / 1000
        ctx.check(cpu <= 0.04 * 1000 * secs + 20,
                  f"{mode}: sampler used {cpu} ms of CPU in {secs:.1f} s (budget: 2% of a core)")
        held = smp.get("longest_hold_us", -1)
        if mode == "sandbox":
            ctx.check(held > 0, f"sandbox: the locked copy was never used (longest_hold_us {held})")
        else:
            ctx.check(held == 0, f"normal: frees waited on the sampler (longest_hold_us {held})")


@test
def test_fork_child_drains_inherited(ctx):
    """A forked child that only frees (tests/progs/forkdrain.c: it drains a
    32 MiB table its parent filled and watched, then sleeps, allocating
    nothing) gets a sampler of its own, started lazily after fork, and its
    report finds the table retained at make_table; the parent's report,
    whose table stayed full, has no finding."""
    exe = ctx.bin("forkdrain")
    od = ctx.outdir()
    res = ctx.run([exe], outdir=od, timeout=60)
    ctx.check(res.rc == 0, f"forkdrain exited {res.rc}: {res.err[-300:]!r}")
    m = re.search(rb"^drained (\d+)$", res.out, re.M)
    if not m:
        ctx.fatal(f"no 'drained PID' line: {res.out[-200:]!r}")
    child = int(m.group(1))
    ctx.check(b"child status 0" in res.out, f"child did not exit 0: {res.out[-200:]!r}")
    crep = ctx.report(od, child)
    prep = ctx.report(od, res.pid)
    found = [f for f in crep.get("findings", []) if f.get("capacity_bytes") == 32 << 20]
    ctx.check(len(found) == 1, f"child's findings {[(f.get('capacity_bytes'), f.get('occupancy')) for f in crep.get('findings', [])]}")
    if found:
        f = found[0]
        ctx.check((f.get("peak_occupancy") or 0) > 0.9 and (f.get("occupancy") or 1) < 0.05,
                  f"peak {f.get('peak_occupancy')}, now {f.get('occupancy')} (truth 1.0 and 0.01)")
        names = [fr.get("function") for fr in f.get("stack", [])]
        ctx.check("make_table" in names, f"stack {names[:5]}")
    ctx.check(not prep.get("findings"), f"parent's findings {prep.get('findings')}")
