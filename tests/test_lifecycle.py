"""Lifecycle: how a profiled process ends when several of its threads end it."""
import os

from harness import test


@test
def test_two_exits(ctx):
    """Two threads end the process at once (exit(0) and _exit(0)), 30 runs:
    every run exits 0 with a complete exit report (valid JSON and its .txt),
    and no temporary report file is left in the output directory: the second
    thread waits for the report the first one started instead of ending the
    process in the middle of it."""
    exe = ctx.bin("twoexits")
    od = ctx.outdir()
    for i in range(30):
        res = ctx.run([exe], env={"RETAIN_QUIET": "1", "RETAIN_SAMPLE": "0"}, outdir=od)
        ctx.check(res.rc == 0, f"run {i}: exit status {res.rc}")
        rep = ctx.report(od, res.pid, required=False)
        ctx.check(rep is not None and rep.get("reason") == "exit",
                  f"run {i}: no complete exit report for pid {res.pid}")
        ctx.check(os.path.exists(os.path.join(od, f"r.{res.pid}.txt")),
                  f"run {i}: no r.{res.pid}.txt")
    left = sorted(n for n in os.listdir(od) if not n.endswith((".json", ".txt")))
    ctx.check(not left, f"temporary report files left behind: {left[:5]}")


@test
def test_deepbind_library_seen(ctx):
    """A library loaded with dlopen(RTLD_DEEPBIND) binds malloc and free to
    the C library's; libretain points its slots at the wrappers (rebind.c),
    so its own large blocks are seen: the exit report has a site in the
    library's deep_churn.  The library is named bare ("libdeepalloc.so") and
    found through the program's RUNPATH ($ORIGIN): the dlopen hook must leave
    glibc seeing the program as the caller, so the load works as plain."""
    exe = ctx.bin("deepbind")
    ctx.bin("libdeepalloc.so")
    plain = ctx.run([exe, "libdeepalloc.so", "300"], preload=False, timeout=60)
    ctx.check(plain.rc == 0 and b"holds" in plain.out, f"plain deepbind: rc {plain.rc} {plain.out[:200]!r}")
    od = ctx.outdir()
    pre = ctx.run([exe, "libdeepalloc.so", "300"], timeout=120, outdir=od)
    holds = lambda out: [l for l in out.splitlines() if l.startswith(b"holds")]
    ctx.check(pre.rc == plain.rc and holds(pre.out) == holds(plain.out),
              f"deepbind (bare name, RUNPATH): plain rc {plain.rc} {holds(plain.out)}, "
              f"preloaded rc {pre.rc} {holds(pre.out)} (stderr {pre.err[-200:]!r})")
    rep = ctx.report(od, pre.pid)
    churn = [s for s in rep.get("sites") or []
             if any(fr.get("function") == "deep_churn" for fr in s.get("stack") or [])]
    ctx.check(churn and sum(s.get("allocations", 0) for s in churn) > 0,
              "no site in the deep-bound library's deep_churn: its allocations were not seen")
