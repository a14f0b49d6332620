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
