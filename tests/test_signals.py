"""Signals and exit paths.

On-demand (signal) and periodic reports while a program runs, the program's
own handlers, and every way out of a process."""
import os
import signal
import time

from harness import VERBOSE, check_basic, check_counts, check_totals, test, var_lines, Watcher


def signal_test(ctx, env, sig, run_ms, send_at, od=None):
    """Starts busy, sends `sig` after `send_at` seconds, polls the report
    until the program ends.  Returns (result, watcher)."""
    exe = ctx.bin("busy")
    od = od or ctx.outdir()
    proc = ctx.start([exe, str(run_ms)], env=env, outdir=od)
    w = Watcher(ctx, proc, os.path.join(od, f"r.{proc.pid}.json"))
    w.run_until(send_at)
    early = w.reasons_while_running()
    ctx.check(not early, f"reports before the signal was sent: {early}")
    ctx.check(proc.running(), f"busy ended before {send_at}s")
    proc.signal(sig)
    res = w.finish("busy", run_ms / 1000 + 30)
    if VERBOSE:
        print(f"  [{ctx.name}] rc {res.rc} seen "
              f"{[(round(t, 2), run, r.get('reason')) for t, run, r in w.seen]} stderr={res.err[-300:]!r}")
    return res, w


@test
def test_signal(ctx):
    """SIGUSR2 (the default RETAIN_SIGNAL) while threads allocate: a report
    with reason "signal" appears while the program still runs, the program
    is not disturbed, and the final report has reason "exit"."""
    res, w = signal_test(ctx, {}, signal.SIGUSR2, 3000, 1.0)
    ctx.check(res.rc == 0, f"busy exited {res.rc} after SIGUSR2 (-12 = killed by it); stderr "
              f"{res.err.strip()[-200:]!r}")
    ctx.check(res.out == b"busy for 3000 ms\ndone, 3 threads\n", f"output {res.out!r}")
    sig = [(t, rep) for t, running, rep in w.seen if running and rep.get("reason") == "signal"]
    ctx.check(sig, f"no report with reason 'signal' appeared while the program ran "
              f"(seen: {[(round(t, 2), run, r.get('reason')) for t, run, r in w.seen]})")
    for t, rep in sig[:1]:
        check_basic(ctx, rep, res.pid, "signal", "busy", label="signal report: ")
    final = ctx.report(ctx.outdir(), res.pid)
    check_basic(ctx, final, res.pid, "exit", "busy", label="final report: ")
    d = final.get("duration_ms")
    ctx.check(isinstance(d, (int, float)) and 2900 <= d <= res.seconds * 1000 + 1000,
              f"final duration_ms {d!r} for a program that ran {res.seconds:.2f}s")
    if sig and isinstance(final.get("duration_ms"), int) and isinstance(sig[0][1].get("duration_ms"), int):
        ctx.check(sig[0][1]["duration_ms"] < final["duration_ms"],
                  "signal report's duration_ms is not below the final report's")
    check_totals(ctx, final)


@test
def test_signal_custom(ctx):
    """RETAIN_SIGNAL=USR1 and RETAIN_SIGNAL=<number>: that signal triggers the report."""
    for value in ("USR1", str(int(signal.SIGUSR1))):
        sub = ctx.outdir(f"sig-{value}")
        res, w = signal_test(ctx, {"RETAIN_SIGNAL": value}, signal.SIGUSR1, 1500, 0.6, od=sub)
        ctx.check(res.rc == 0, f"RETAIN_SIGNAL={value}: busy exited {res.rc} after SIGUSR1")
        reasons = w.reasons_while_running()
        ctx.check("signal" in reasons, f"RETAIN_SIGNAL={value}: no 'signal' report while running "
                  f"(seen {reasons})")
        ctx.check(not var_lines(res.err, "RETAIN_SIGNAL"),
                  f"RETAIN_SIGNAL={value} rejected: {var_lines(res.err, 'RETAIN_SIGNAL')}")


@test
def test_signal_off(ctx):
    """RETAIN_SIGNAL=off: SIGUSR2 keeps its default action (the program dies
    of it, as it would without the profiler) and no signal report is written."""
    res, w = signal_test(ctx, {"RETAIN_SIGNAL": "off"}, signal.SIGUSR2, 2000, 0.5)
    ctx.check(res.rc == -signal.SIGUSR2, f"exit status {res.rc}, expected death by SIGUSR2 "
              f"({-signal.SIGUSR2}) as without the preload")
    ctx.check("signal" not in [r.get("reason") for _, _, r in w.seen],
              "a 'signal' report was written although RETAIN_SIGNAL=off")
    ctx.check(not var_lines(res.err, "RETAIN_SIGNAL"),
              f"RETAIN_SIGNAL=off rejected: {var_lines(res.err, 'RETAIN_SIGNAL')}")


@test
def test_signal_storm(ctx):
    """~70 SIGUSR2 in 1.5 s while threads allocate: the program is not
    disturbed, reports stay valid, the final report says "exit"."""
    exe = ctx.bin("busy")
    od = ctx.outdir()
    proc = ctx.start([exe, "2500"], outdir=od)
    w = Watcher(ctx, proc, os.path.join(od, f"r.{proc.pid}.json"))
    w.run_until(0.3)
    sent = 0
    while time.monotonic() - proc.start < 1.8 and proc.running():
        proc.signal(signal.SIGUSR2)
        sent += 1
        w.poll()
        time.sleep(0.02)
    res = w.finish("busy")
    ctx.check(res.rc == 0 and res.out == b"busy for 2500 ms\ndone, 3 threads\n",
              f"after {sent} signals: rc {res.rc}, output {res.out!r}, stderr {res.err[-200:]!r}")
    ctx.check("signal" in w.reasons_while_running(),
              f"no 'signal' report seen while running after {sent} signals")
    final = ctx.report(od, res.pid)
    check_basic(ctx, final, res.pid, "exit", "busy", label="final report: ")


@test
def test_signal_program_handler(ctx):
    """A program that installs its own SIGUSR2 handler gets the signal, as
    without the profiler."""
    exe = ctx.bin("usr2prog")
    results = []
    for preload in (False, True):
        proc = ctx.start([exe], preload=preload)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.running():
            with open(proc.out_path, "rb") as f:
                if b"handler installed" in f.read():
                    break
            time.sleep(0.02)
        time.sleep(0.2)
        proc.signal(signal.SIGUSR2)
        res = proc.wait(30)
        if res.timed_out:
            ctx.fatal(f"usr2prog ({'preloaded' if preload else 'plain'}) did not finish")
        results.append(res)
    plain, pre = results
    ctx.check(plain.rc == 0, f"plain usr2prog: rc {plain.rc}, output {plain.out!r}")
    ctx.same_output(plain, pre, what="usr2prog")
    ctx.report(ctx.outdir(), pre.pid)


@test
def test_periodic(ctx):
    """RETAIN_REPORT_INTERVAL=1 on a 2.5 s program: a "periodic" report
    appears while it runs; the final one says "exit"."""
    exe = ctx.bin("busy")
    od = ctx.outdir()
    proc = ctx.start([exe, "2500"], env={"RETAIN_REPORT_INTERVAL": "1"}, outdir=od)
    w = Watcher(ctx, proc, os.path.join(od, f"r.{proc.pid}.json"))
    res = w.finish("busy")
    ctx.check(res.rc == 0 and res.out == b"busy for 2500 ms\ndone, 3 threads\n",
              f"rc {res.rc}, output {res.out!r}")
    per = [(t, rep) for t, running, rep in w.seen if running and rep.get("reason") == "periodic"]
    ctx.check(per, f"no 'periodic' report while running (seen "
              f"{[(round(t, 2), run, r.get('reason')) for t, run, r in w.seen]})")
    for t, rep in per:
        check_basic(ctx, rep, res.pid, "periodic", "busy", label=f"periodic report at {t:.2f}s: ")
    final = ctx.report(od, res.pid)
    check_basic(ctx, final, res.pid, "exit", "busy", label="final report: ")


@test
def test_exit_threads(ctx):
    """exit() while other threads are inside malloc/free (never joined), from
    main and from one of those threads: status and output kept, no hang,
    an exit report."""
    exe = ctx.bin("exitthreads")
    for ms, mode, env in ((150, "main", {}), (300, "main", {"RETAIN_SAMPLE": "0"}),
                          (150, "thread", {}), (300, "thread", {"RETAIN_SAMPLE": "0"})):
        code = 5 if mode == "main" else 6
        expect = b"main calls exit(5)\n" if mode == "main" else b"thread 0 calls exit(6)\n"
        od = ctx.outdir(f"{mode}-{ms}")
        pre = ctx.run([exe, str(ms), mode], env=env, outdir=od, timeout=30)
        ctx.check(pre.rc == code and pre.out == expect,
                  f"exitthreads {ms} {mode} {env}: rc {pre.rc} (expected {code}), output {pre.out!r}, "
                  f"stderr {pre.err.strip()[-200:]!r}")
        rep = ctx.report(od, pre.pid, required=False)
        if rep is not None:
            check_basic(ctx, rep, pre.pid, "exit", "exitthreads", label=f"{mode} {ms}: ")


def exit_test(ctx, how, code, expected_out=None):
    exe = ctx.bin("exitprog")
    plain = ctx.run([exe, how], preload=False)
    pre = ctx.run([exe, how], env={"RETAIN_SAMPLE": "0"})
    expected_out = expected_out or f"flushed before {how}\n"
    ctx.check(plain.rc == code and plain.out == expected_out.encode(),
              f"plain run: rc {plain.rc}, output {plain.out!r}")
    ctx.same_output(plain, pre, what=f"exitprog {how}")
    rep = ctx.report(ctx.outdir(), pre.pid)
    check_basic(ctx, rep, pre.pid, "exit", "exitprog")
    check_counts(ctx, rep, "exit_alloc", 30, 0, 30 * 256)


@test
def test_exit_underscore(ctx):
    """_exit(3): status and output preserved (no stdio flush, no atexit
    handlers), a report with reason "exit" written, with exact counts."""
    exit_test(ctx, "_exit", 3)


@test
def test_exit_Exit(ctx):
    """_Exit(4): status and output preserved (no stdio flush, no atexit
    handlers), a report with reason "exit" written, with exact counts."""
    exit_test(ctx, "_Exit", 4)


@test
def test_exit_quick(ctx):
    """quick_exit(6): the program's at_quick_exit handler runs (and flushes
    stdout), status kept, and a report with reason "exit" is written."""
    exit_test(ctx, "quick_exit", 6, "flushed before quick_exit\nstill in the stdio buffer\n"
                                     "at_quick_exit handler ran\n")


PY_RESTORE = """\
import signal, os
old = signal.getsignal(signal.SIGUSR2)
print("found", old)
signal.signal(signal.SIGUSR2, lambda s, f: print("handled"))
os.kill(os.getpid(), signal.SIGUSR2)
signal.signal(signal.SIGUSR2, old)
print("restored", signal.getsignal(signal.SIGUSR2))
"""

RB_RESTORE = 'p trap("USR2", "IGNORE"); p trap("USR2", "DEFAULT"); p trap("USR2", "SYSTEM_DEFAULT")'


@test
def test_signal_disposition_invisible(ctx):
    """The report signal's handler is invisible to the program
    (src/interpose_signal.c): tests/progs/sigview.c queries SIGUSR2 through
    sigaction, signal and sysv_signal, puts back what it found, installs
    its own handler, raises, restores, and must print exactly what it
    prints plain.  CPython's save-and-restore idiom
    (`old = signal.getsignal(SIGUSR2)` ... `signal.signal(SIGUSR2, old)`)
    raised TypeError under the library (getsignal said None), exit 1;
    Ruby's `trap` said nil instead of "DEFAULT".  And with signal(SIG_DFL)
    put back, a raised SIGUSR2 still meets libretain's handler (it stood
    over the default at start-up): the preloaded program goes on."""
    exe = ctx.bin("sigview")
    for args in ([], ["own"]):
        plain = ctx.run([exe] + args, preload=False)
        pre = ctx.run([exe] + args)
        ctx.same_output(plain, pre, what=f"sigview {' '.join(args)}")
    pre = ctx.run([exe, "default-raise"])
    ctx.check(pre.rc == 0 and b"alive after SIGUSR2" in pre.out,
              f"sigview default-raise preloaded: rc {pre.rc}, output {pre.out[-200:]!r}")
    import shutil
    for interp, argv in (("/usr/bin/python3.11", ["-c", PY_RESTORE]), (shutil.which("ruby"), ["-e", RB_RESTORE])):
        if not interp or not os.path.exists(interp):
            ctx.note(f"{interp or 'ruby'} not installed: its check skipped")
            continue
        plain = ctx.run([interp] + argv, preload=False)
        pre = ctx.run([interp] + argv)
        ctx.same_output(plain, pre, what=os.path.basename(interp))
