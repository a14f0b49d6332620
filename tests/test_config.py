"""Configuration and output paths.

Bad and valid RETAIN_* values, where reports go (and what happens when they
cannot be written), and the stderr summary."""
import json
import os
import signal
import subprocess
import time

from harness import check_basic, check_counts, stderr_lines, test, var_lines


BAD_SETS = [
    {"RETAIN_MIN_SIZE": "banana", "RETAIN_SIGNAL": "NOTASIG", "RETAIN_DROP": "7",
     "RETAIN_DEPTH": "-3", "RETAIN_INTERVAL": "x", "RETAIN_SAMPLE": "q",
     "RETAIN_REPORT_INTERVAL": "-1", "RETAIN_MIN_AGE": "zz", "RETAIN_QUIET": "maybe",
     "RETAIN_DEBUGINFO": "most"},
    {"RETAIN_MIN_SIZE": "12Q", "RETAIN_SIGNAL": "999", "RETAIN_DROP": "-0.5",
     "RETAIN_DEPTH": "many", "RETAIN_INTERVAL": "-10", "RETAIN_SAMPLE": "-1",
     "RETAIN_REPORT_INTERVAL": "soon", "RETAIN_MIN_AGE": "-1", "RETAIN_QUIET": "yesplease"},
]


@test
def test_bad_config(ctx):
    """Garbage in every variable: output and status unchanged, exactly one
    stderr line naming each variable, defaults used (config equals that of a
    run without settings)."""
    exe = ctx.bin("hello")
    plain = ctx.run([exe, "7"], preload=False)
    od = ctx.outdir()
    default = ctx.run([exe, "7"], outdir=od)
    ctx.same_output(plain, default, what="hello 7 (no settings)")
    dconf = ctx.report(od, default.pid).get("config")
    for i, bad in enumerate(BAD_SETS):
        pre = ctx.run([exe, "7"], env=bad, outdir=od)
        label = f"set {i + 1}"
        ctx.same_output(plain, pre, what=f"hello 7 with bad settings ({label})")
        for var, val in bad.items():
            lines = var_lines(pre.err, var)
            ctx.check(len(lines) == 1, f"{label}: {var}={val}: {len(lines)} stderr lines name it "
                      f"(expected 1): {lines[:3]}")
        rep = ctx.report(od, pre.pid)
        conf = rep.get("config")
        if isinstance(conf, dict) and isinstance(dconf, dict):
            diff = {k: (dconf.get(k), conf.get(k)) for k in set(conf) | set(dconf)
                    if conf.get(k) != dconf.get(k)}
            ctx.check(not diff, f"{label}: config differs from the defaults (default, got): {diff}")
        else:
            ctx.problems.append(f"{label}: report config is {conf!r}")


@test
def test_valid_config(ctx):
    """Valid values are accepted silently and show in the report's config."""
    exe = ctx.bin("hello")
    plain = ctx.run([exe], preload=False)
    env = {"RETAIN_MIN_SIZE": "8K", "RETAIN_INTERVAL": "250", "RETAIN_SIGNAL": "USR1",
           "RETAIN_DEPTH": "20", "RETAIN_DROP": "0.25", "RETAIN_MIN_AGE": "500", "RETAIN_SAMPLE": "0",
           "RETAIN_REPORT_INTERVAL": "0", "RETAIN_QUIET": "1"}
    od = ctx.outdir()
    pre = ctx.run([exe], env=env, outdir=od)
    ctx.same_output(plain, pre)
    ctx.check(pre.err == "", f"stderr not empty with valid settings and RETAIN_QUIET=1: {pre.err[:300]!r}")
    conf = ctx.report(od, pre.pid).get("config") or {}
    ctx.check(conf.get("min_size") == 8192, f"RETAIN_MIN_SIZE=8K: config.min_size {conf.get('min_size')!r}")
    ctx.check(conf.get("interval_ms") == 250,
              f"RETAIN_INTERVAL=250: config.interval_ms {conf.get('interval_ms')!r}")
    for val, want in (("2M", 2 << 20), ("1G", 1 << 30), ("4096", 4096)):
        r = ctx.run([exe], env={"RETAIN_MIN_SIZE": val, "RETAIN_QUIET": "1"}, outdir=od)
        got = ctx.report(od, r.pid).get("config", {}).get("min_size")
        ctx.check(got == want, f"RETAIN_MIN_SIZE={val}: config.min_size {got!r}, expected {want}")
        ctx.check(r.err == "", f"RETAIN_MIN_SIZE={val}: stderr {r.err[:200]!r}")


@test
def test_unwritable_output(ctx):
    """RETAIN_OUTPUT=/nonexistent/x/r: output and status unchanged, one stderr
    line naming the .json file that failed (none with RETAIN_QUIET=1), no
    stray files; repeated failures still give one line."""
    exe = ctx.bin("hello")
    path = "/nonexistent/x/r"
    cwd = os.path.join(ctx.tmp, "cwd")
    os.makedirs(cwd)
    plain = ctx.run([exe, "3"], preload=False, cwd=cwd)
    pre = ctx.run([exe, "3"], env={"RETAIN_OUTPUT": path, "RETAIN_QUIET": "1"}, cwd=cwd,
                  expect_report=False)
    ctx.same_output(plain, pre, what="hello 3 with an unwritable RETAIN_OUTPUT")
    # RETAIN_QUIET=1 silences report-write failures too (they go into the
    # next report that can be written); without it there is one line.
    ctx.check(pre.err == "", f"RETAIN_QUIET=1 but stderr has {pre.err.strip()[:300]!r}")
    loud = ctx.run([exe, "3"], env={"RETAIN_OUTPUT": path}, cwd=cwd, expect_report=False)
    ctx.same_output(plain, loud, what="hello 3 with an unwritable RETAIN_OUTPUT, not quiet")
    lines = stderr_lines(loud.err, path)
    ctx.check(len(lines) == 1 and lines[0].endswith(f"{path}.json: No such file or directory"),
              f"{len(lines)} stderr lines mention {path} (expected 1, naming {path}.json): "
              f"{loud.err.strip()[:300]!r}")
    ctx.check(os.listdir(cwd) == [], f"files left in the working directory: {os.listdir(cwd)}")

    # Repeated failures (periodic reports, a signal report, the exit report)
    # still give one line: DESIGN section 6, "write errors to stderr once".
    busy = ctx.bin("busy")
    proc = ctx.start([busy, "2500"], env={"RETAIN_OUTPUT": path, "RETAIN_REPORT_INTERVAL": "1"}, cwd=cwd)
    time.sleep(1.3)
    proc.signal(signal.SIGUSR2)
    res = proc.wait(60)
    ctx.check(res.rc == 0 and res.out == b"busy for 2500 ms\ndone, 3 threads\n",
              f"busy with an unwritable RETAIN_OUTPUT: rc {res.rc}, output {res.out!r}")
    lines = stderr_lines(res.err, path)
    ctx.check(len(lines) == 1, f"busy with periodic, signal and exit reports to {path}: {len(lines)} "
              f"stderr lines mention it (expected 1): {lines[:4]}")


@test
def test_output_after_chdir(ctx):
    """A daemon-like program that chdir("/")s: relative RETAIN_OUTPUT values
    (the default included) resolve against the directory it started in."""
    exe = ctx.bin("chdirprog")
    cwd = os.path.join(ctx.tmp, "start")
    os.makedirs(os.path.join(cwd, "rel"))
    r = ctx.run([exe], cwd=cwd, output=False, env={"RETAIN_QUIET": "1"})
    ctx.check(r.rc == 0 and r.out == b"in /\n", f"rc {r.rc}, output {r.out!r}")
    ctx.check(os.path.exists(os.path.join(cwd, f"retain.{r.pid}.json")),
              f"default output: no retain.{r.pid}.json where the program started (found {os.listdir(cwd)})")
    r2 = ctx.run([exe], cwd=cwd, output=False, env={"RETAIN_QUIET": "1", "RETAIN_OUTPUT": "rel/r.%p"})
    ctx.check(os.path.exists(os.path.join(cwd, "rel", f"r.{r2.pid}.json")),
              f"RETAIN_OUTPUT=rel/r.%p: report not in start/rel (found {os.listdir(os.path.join(cwd, 'rel'))})")
    for p in (os.path.join(cwd, f"retain.{r.pid}.json"), os.path.join(cwd, "rel", f"r.{r2.pid}.json")):
        if os.path.exists(p):
            ctx.snapshots.append(p)


@test
def test_default_output(ctx):
    """Without RETAIN_OUTPUT the report is retain.<pid>.json/.txt in the cwd;
    a prefix without %p is used as given."""
    exe = ctx.bin("hello")
    cwd = os.path.join(ctx.tmp, "cwd")
    os.makedirs(cwd)
    r = ctx.run([exe], cwd=cwd, output=False, env={"RETAIN_QUIET": "1"})
    for ext in ("json", "txt"):
        ctx.check(os.path.exists(os.path.join(cwd, f"retain.{r.pid}.{ext}")),
                  f"no retain.{r.pid}.{ext} in the working directory (found {os.listdir(cwd)})")
    p = os.path.join(cwd, f"retain.{r.pid}.json")
    if os.path.exists(p):
        ctx.snapshots.append(p)
    od = ctx.outdir("fixed")
    fixed = os.path.join(od, "fixed")
    r2 = ctx.run([exe], env={"RETAIN_OUTPUT": fixed, "RETAIN_QUIET": "1"}, expect_report=False)
    ctx.check(os.path.exists(fixed + ".json") and os.path.exists(fixed + ".txt"),
              f"RETAIN_OUTPUT={fixed}: found {os.listdir(od)}")
    if os.path.exists(fixed + ".json"):
        with open(fixed + ".json") as f:
            check_basic(ctx, json.load(f), r2.pid, "exit", "hello")


@test
def test_env_cleared(ctx):
    """The program clears its environment and sets its own RETAIN_OUTPUT:
    the report still goes where RETAIN_OUTPUT said at start-up, with the
    settings given then (RETAIN_SAMPLE=0: exact counts)."""
    exe = ctx.bin("envclear")
    plain = ctx.run([exe], preload=False)
    pre = ctx.run([exe], env={"RETAIN_SAMPLE": "0", "RETAIN_QUIET": "1"})
    ctx.same_output(plain, pre)
    ctx.check("/nonexistent/envclear" not in pre.err, f"stderr: {pre.err.strip()[:300]!r}")
    rep = ctx.report(ctx.outdir(), pre.pid)
    check_basic(ctx, rep, pre.pid, "exit", "envclear")
    check_counts(ctx, rep, "envclear_alloc", 40, 0, 40 * 64)


@test
def test_summary_quiet(ctx):
    """The one-line exit summary: with RETAIN_QUIET unset only when stderr
    was a terminal at start-up (programs that parse their stderr are not
    disturbed), always with RETAIN_QUIET=0, never with RETAIN_QUIET=1;
    never anything on stdout."""
    import pty
    exe = ctx.bin("hello")
    plain = ctx.run([exe], preload=False)
    ctx.check(plain.err == "", f"plain hello wrote to stderr: {plain.err!r}")
    for env, lines, label in (({}, 0, "RETAIN_QUIET unset, stderr a file"),
                              ({"RETAIN_QUIET": "0"}, 1, "RETAIN_QUIET=0, stderr a file"),
                              ({"RETAIN_QUIET": "1"}, 0, "RETAIN_QUIET=1, stderr a file")):
        r = ctx.run([exe], env=env)
        ctx.same_output(plain, r, what=f"hello ({label})")
        n = len(r.err.splitlines())
        ctx.check(n == lines, f"{label}: {n} stderr lines, expected {lines}: {r.err[:300]!r}")
        if lines:
            ctx.check("allocations, peak" in r.err, f"{label}: not the summary: {r.err[:200]!r}")
    for env, lines, label in (({}, 1, "RETAIN_QUIET unset, stderr a terminal"),
                              ({"RETAIN_QUIET": "1"}, 0, "RETAIN_QUIET=1, stderr a terminal")):
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen([exe], env=ctx.preload_env(ctx.outdir(), env), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=slave, cwd=ctx.tmp)
            os.close(slave)
            slave = -1
            out, _ = p.communicate(timeout=60)
            err = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:         # EIO: the other side is closed
                    break
                if not chunk:
                    break
                err += chunk
        finally:
            os.close(master)
            if slave >= 0:
                os.close(slave)
        text = err.decode("utf-8", "replace")
        ctx.check(out == plain.out and p.returncode == plain.rc, f"{label}: rc {p.returncode}, stdout {out[:80]!r}")
        n = len(text.splitlines())
        ctx.check(n == lines, f"{label}: {n} stderr lines, expected {lines}: {text[:300]!r}")