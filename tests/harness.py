"""The libretain test harness: what every tests/test_*.py file builds on.

    python3 tests/run_tests.py [-k SUBSTRING]... [-j N] [-v] [--keep] [--list] [--lib PATH]

Sections, top to bottom:
- starting and ending programs (spawn, kill_group, communicate, Proc,
  Result): each program in its own session, its output to files or pipes,
  a hard timeout that kills its whole process group.  tests/corpus/run_corpus.py
  and bench/run_bench.py use these too;
- the per-test context Ctx: a fresh temporary directory, preloaded or plain
  runs, reports, and the problems found so far;
- report helpers (frames, site_sum, check_counts, check_totals, ...) and
  Watcher, which polls a report while its program runs;
- the contract check applied to every report a test leaves;
- registration (@test, @test(serial=True)) and the runner: discovers
  tests/test_*.py, runs the selected tests -j at a time, each in a forked
  process with its own temporary directory, then the serial ones alone.

Every preloaded program starts with RETAIN_OUTPUT in the test's temporary
directory.  Each test prints `PASS name` or `FAIL name: reason` as it ends;
the last line is `N passed, N failed` and the exit status is 1 if any failed
(a test marked @test(xfail=...) that fails prints XFAIL and counts as passed;
one that passes prints XPASS and counts as failed).
Every JSON report produced (including the intermediate signal and periodic
reports seen while a program runs) is checked with ../shared/tools/check-report.py
relative to the repository, when that tool exists.

Python 3 standard library only.  tests/README.md says how to add a test.
"""
import argparse
import glob
import importlib
import inspect
import io
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB = os.path.join(REPO, "libretain.so")
BIN = os.path.join(REPO, "tests", "bin")


def _find_checker():
    """../shared/tools/check-report.py relative to the repository; in a git
    worktree, relative to the main checkout (where ../shared lives)."""
    rel = os.path.join("..", "shared", "tools", "check-report.py")
    here = os.path.normpath(os.path.join(REPO, rel))
    if os.path.exists(here):
        return here
    try:
        common = subprocess.run(["git", "-C", REPO, "rev-parse", "--path-format=absolute",
                                 "--git-common-dir"], capture_output=True, text=True,
                                timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        common = ""
    main = os.path.normpath(os.path.join(os.path.dirname(common), rel)) if common else ""
    return main if main and os.path.exists(main) else here


CHECKER = _find_checker()

VARIABLES = ["RETAIN_OUTPUT", "RETAIN_SIGNAL", "RETAIN_REPORT_INTERVAL", "RETAIN_MIN_SIZE",
             "RETAIN_MIN_AGE", "RETAIN_DROP", "RETAIN_INTERVAL", "RETAIN_DEPTH",
             "RETAIN_SAMPLE", "RETAIN_QUIET"]

VERBOSE = False

# What `from harness import *` gives a test file.
__all__ = ["REPO", "LIB", "BIN", "CHECKER", "VARIABLES", "VERBOSE", "Fatal", "KILL_NOW",
           "TERM_THEN_KILL", "spawn", "kill_group", "communicate", "free_port", "base_env",
           "Result", "Proc", "Ctx", "first_line", "first_diff", "frames", "fn_matches",
           "site_sum", "check_counts", "check_totals", "check_frames", "elf_build_id",
           "check_modules", "check_basic", "stderr_lines", "var_lines", "Watcher",
           "contract_check", "parse_expect", "test"]


class Fatal(Exception):
    """Stops the current test (its problems so far are kept)."""


# --------------------------------------------------------------------------
# starting and ending programs (also used by tests/corpus/run_corpus.py and
# bench/run_bench.py)

KILL_NOW = ((signal.SIGKILL, 10.0),)
TERM_THEN_KILL = ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0))


def spawn(argv, env, cwd=None, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
    """Starts argv in its own session, stdin from /dev/null: its process group
    holds every descendant that does not leave it, so kill_group() can end
    them all."""
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                            env=env, cwd=cwd, start_new_session=True)


def kill_group(p, steps=KILL_NOW):
    """Ends a program started by spawn() with its whole session: for each
    (signal, grace seconds) in turn, signals the group and waits that long.
    A leader already reaped is left alone (its group id may be reused).
    Returns True once the leader is reaped."""
    for sig, grace in steps:
        if p.poll() is not None:
            return True
        try:
            os.killpg(p.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            p.wait(timeout=grace)
            return True
        except subprocess.TimeoutExpired:
            pass
    return p.poll() is not None


def communicate(p, timeout, steps=KILL_NOW):
    """Waits for a spawn()ed program with stdout/stderr pipes: returns
    (stdout, stderr, timed_out); on timeout its session is killed (`steps`,
    as for kill_group) and what it wrote so far is returned."""
    try:
        out, err = p.communicate(timeout=timeout)
        return out, err, False
    except subprocess.TimeoutExpired:
        kill_group(p, steps)
    try:
        out, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:    # a descendant left the session and holds a pipe
        out, err = b"", b""
    return out or b"", err or b"", True


def free_port():
    """A loopback TCP port nothing listens on now.  Tests run in parallel:
    a server test must take its port from here (or bind port 0), never a
    fixed number."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sanitizer_build():
    """The name of the sanitizer the preloaded library is built with
    (tests/run_ubsan.py says so), or None."""
    return os.environ.get("LIBRETAIN_TEST_SANITIZER") or None


def base_env(extra=None):
    # DEBUGINFOD_URLS is removed so that the suite does not depend on the
    # network (test_no_debuginfod sets it on purpose).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RETAIN_") and not k.startswith("DEBUGINFOD_")
           and k not in ("LD_PRELOAD", "LD_LIBRARY_PATH_PRELOAD")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    env.pop("LANGUAGE", None)
    if extra:
        env.update(extra)
    return env


class Result:
    def __init__(self, argv, pid, rc, out, err, timed_out, seconds):
        self.argv, self.pid, self.rc = argv, pid, rc
        self.out, self.err = out, err
        self.timed_out, self.seconds = timed_out, seconds

    def describe(self):
        text = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(self.argv))
        text = " ".join(text.split())
        return text if len(text) <= 80 else text[:77] + "..."


class Proc:
    """A program started in its own session, stdout/stderr to files (so a
    grandchild holding a pipe open can never hang the harness)."""
    counter = 0
    started = []        # every Popen of this process, for kill_started()

    def __init__(self, ctx, argv, env, cwd=None):
        Proc.counter += 1
        self.argv = [str(a) for a in argv]
        base = os.path.join(ctx.tmp, "io")
        os.makedirs(base, exist_ok=True)
        self.out_path = os.path.join(base, f"{Proc.counter}.out")
        self.err_path = os.path.join(base, f"{Proc.counter}.err")
        self.start = time.monotonic()
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.p = spawn(self.argv, env, cwd or ctx.tmp, out, err)
        self.pid = self.p.pid
        Proc.started.append(self.p)

    def running(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.p.poll() is None:
            os.kill(self.pid, sig)

    def wait(self, timeout):
        timed_out = False
        try:
            rc = self.p.wait(timeout=max(0.1, timeout - (time.monotonic() - self.start)))
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(self.p)                        # the whole session we started
            rc = self.p.wait()
        secs = time.monotonic() - self.start
        with open(self.out_path, "rb") as f:
            out = f.read()
        with open(self.err_path, "rb") as f:
            err = f.read().decode("utf-8", "replace")
        return Result(self.argv, self.pid, rc, out, err, timed_out, secs)


def kill_started(*_):
    """Kills the sessions of every program Proc started here that still runs
    (a test stopped by the runner's timeout must not leave them behind)."""
    for p in Proc.started:
        kill_group(p, ((signal.SIGKILL, 2.0),))


# --------------------------------------------------------------------------
# per-test context

class Ctx:
    def __init__(self, name, tmp):
        self.name = name
        self.tmp = tmp
        self.problems = []
        self.notes = []
        self.outdirs = []
        self.snapshots = []       # intermediate reports copied while polling

    def check(self, cond, msg):
        if not cond:
            self.problems.append(msg)
        return bool(cond)

    def fatal(self, msg):
        self.problems.append(msg)
        raise Fatal(msg)

    def note(self, msg):
        if msg not in self.notes:
            self.notes.append(msg)

    def outdir(self, label="out"):
        d = os.path.join(self.tmp, label)
        os.makedirs(d, exist_ok=True)
        if d not in self.outdirs:
            self.outdirs.append(d)
        return d

    # -- programs ----------------------------------------------------------

    def bin(self, name):
        path = os.path.join(BIN, name)
        if not os.access(path, os.X_OK):
            self.fatal(f"{os.path.relpath(path, REPO)} missing (run `make test-progs`)")
        return path

    def preload_env(self, outdir, env=None, output=True):
        if not os.path.exists(LIB):
            self.fatal("libretain.so not built (run `make libretain.so`)")
        e = base_env()
        e["LD_PRELOAD"] = LIB
        if output:
            e["RETAIN_OUTPUT"] = os.path.join(outdir, "r.%p")
        if env:
            e.update(env)
        return e

    def start(self, argv, preload=True, env=None, outdir=None, cwd=None, output=True):
        if preload:
            outdir = outdir or self.outdir()
            e = self.preload_env(outdir, env, output)
        else:
            e = base_env(env)
        return Proc(self, argv, e, cwd)

    def run(self, argv, preload=True, env=None, outdir=None, cwd=None, timeout=60,
            expect_report=True, output=True):
        """Runs a program to completion.  Preloaded runs must leave a report
        named after their pid in outdir unless expect_report is False."""
        outdir = outdir or (self.outdir() if preload else None)
        proc = self.start(argv, preload, env, outdir, cwd, output)
        res = proc.wait(timeout)
        mode = "preloaded" if preload else "plain"
        if res.timed_out:
            self.fatal(f"{mode} `{res.describe()}` did not finish within {timeout}s (killed)")
        if preload and "ld.so" in res.err and "cannot be preloaded" in res.err:
            self.fatal(f"the dynamic loader refused libretain.so: {first_line(res.err, 'ld.so')}")
        if VERBOSE:
            print(f"  [{self.name}] {mode} `{res.describe()}` pid {res.pid} rc {res.rc} "
                  f"{res.seconds:.2f}s stderr={res.err[-300:]!r}")
        if preload and expect_report and output:
            path = os.path.join(outdir, f"r.{res.pid}.json")
            self.check(os.path.exists(path),
                       f"`{res.describe()}` (pid {res.pid}) left no report {os.path.basename(path)}"
                       f" (rc {res.rc}; stderr: {res.err.strip()[-200:]!r})")
        return res

    def same_output(self, plain, pre, what=None, filt=None):
        """stdout byte-identical and the same exit status."""
        what = what or plain.describe()
        a, b = plain.out, pre.out
        if filt:
            a, b = filt(a), filt(b)
        if a != b:
            self.problems.append(f"stdout of `{what}` differs under the preload: {first_diff(a, b)}")
        if plain.rc != pre.rc:
            self.problems.append(f"exit status of `{what}`: plain {plain.rc}, preloaded {pre.rc}"
                                 f" (stderr: {pre.err.strip()[-200:]!r})")

    # -- reports -----------------------------------------------------------

    def report(self, outdir, pid, required=True):
        path = os.path.join(outdir, f"r.{pid}.json")
        try:
            with open(path) as f:
                return json.load(f)
        except FileNotFoundError:
            if required:
                self.fatal(f"no report {os.path.basename(path)} for pid {pid}")
        except ValueError as e:
            self.fatal(f"{os.path.basename(path)} is not valid JSON: {e}")
        return None

    def reports_in(self, outdir):
        """{pid: report} for every r.<pid>.json in outdir."""
        found = {}
        for name in sorted(os.listdir(outdir)):
            m = re.fullmatch(r"r\.(\d+)\.json", name)
            if not m:
                continue
            try:
                with open(os.path.join(outdir, name)) as f:
                    found[int(m.group(1))] = json.load(f)
            except ValueError as e:
                self.problems.append(f"{name} is not valid JSON: {e}")
        return found


def first_line(text, needle):
    for line in text.splitlines():
        if needle in line:
            return line.strip()
    return ""


def first_diff(a, b):
    la, lb = a.splitlines(), b.splitlines()
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else b"<end of output>"
        y = lb[i] if i < len(lb) else b"<end of output>"
        if x != y:
            return f"line {i + 1}: plain {x[:120]!r}, preloaded {y[:120]!r}"
    return f"same lines, different bytes ({len(a)} vs {len(b)} bytes)"


# --------------------------------------------------------------------------
# report helpers

def frames(site):
    st = site.get("stack") or []
    return [fr for fr in st if isinstance(fr, dict)]


def fn_matches(name, want):
    """A frame's function names `want` (C: exact; C++: the demangled name,
    with or without its parameter list)."""
    if not isinstance(name, str):
        return False
    name = name.strip()
    if name == want:
        return True
    if "(" in want and name == want.split("(", 1)[0]:
        return True
    return False


def site_sum(report, want):
    """Sums over the sites whose stack names function `want`."""
    total = {"allocations": 0, "frees": 0, "live_bytes": 0, "sites": 0}
    matched = []
    for s in report.get("sites") or []:
        if any(fn_matches(fr.get("function"), want) for fr in frames(s)):
            for k in ("allocations", "frees", "live_bytes"):
                v = s.get(k)
                total[k] += v if isinstance(v, int) else 0
            total["sites"] += 1
            matched.append(s)
    return total, matched


def check_counts(ctx, report, want, allocs, frees, live, label=""):
    got, matched = site_sum(report, want)
    where = f"{label}{want}"
    if not matched and allocs == 0:
        return matched     # expected: frees alone never make a site
    if not matched:
        names = sorted({fr.get("function") for s in report.get("sites") or [] for fr in frames(s)
                        if isinstance(fr.get("function"), str)})
        ctx.problems.append(f"{where}: no site's stack names it (functions seen: "
                            f"{', '.join(map(str, names[:25]))}{' ...' if len(names) > 25 else ''})")
        return matched
    exp = {"allocations": allocs, "frees": frees, "live_bytes": live}
    bad = [f"{k} {got[k]} (expected {exp[k]})" for k in exp if got[k] != exp[k]]
    ctx.check(not bad, f"{where}: summed over {got['sites']} site(s): {', '.join(bad)}")
    for s in matched:
        pk, lv = s.get("peak_live_bytes"), s.get("live_bytes")
        if isinstance(pk, int) and isinstance(lv, int):
            ctx.check(pk >= lv, f"{where}: site {s.get('id')} peak_live_bytes {pk} < live_bytes {lv}")
    return matched


def check_totals(ctx, report, label="", estimates=False):
    """Consistency of totals and sites.  With sampling (estimates=True) site
    figures are estimates and may exceed the exact totals."""
    t = report.get("totals") or {}
    sites = report.get("sites") or []
    # The report says whether its site figures are sampled estimates.
    estimates = estimates or (report.get("config") or {}).get("sample_bytes", 0) != 0
    ints = all(isinstance(t.get(k), int) for k in ("allocations", "frees", "live_bytes",
                                                      "peak_live_bytes", "sites"))
    if not ctx.check(ints, f"{label}totals has non-integer fields: {t}"):
        return
    ctx.check(t["peak_live_bytes"] >= t["live_bytes"],
              f"{label}totals.peak_live_bytes {t['peak_live_bytes']} < live_bytes {t['live_bytes']}")
    ctx.check(t["frees"] <= t["allocations"],
              f"{label}totals.frees {t['frees']} > allocations {t['allocations']}")
    ctx.check(t["sites"] >= len(sites), f"{label}totals.sites {t['sites']} < {len(sites)} sites listed")
    for k in ("allocations", "frees", "live_bytes"):
        s = sum(x.get(k, 0) for x in sites if isinstance(x.get(k), int))
        ctx.check(estimates or t[k] >= s, f"{label}totals.{k} {t[k]} < sum over sites {s}")
    stacks = {}
    for s in sites:
        key = tuple(str(fr.get("address")) for fr in frames(s))
        if key and key in stacks:
            ctx.problems.append(f"{label}sites {stacks[key]} and {s.get('id')} have the same stack")
            break
        stacks[key] = s.get("id")
    for s in sites:
        if isinstance(s.get("peak_live_bytes"), int) and isinstance(s.get("live_bytes"), int):
            if s["peak_live_bytes"] < s["live_bytes"]:
                ctx.problems.append(f"{label}site {s.get('id')}: peak_live_bytes {s['peak_live_bytes']}"
                                    f" < live_bytes {s['live_bytes']}")
                break
        if isinstance(s.get("frees"), int) and isinstance(s.get("allocations"), int):
            if s["frees"] > s["allocations"] or s.get("live_bytes", 0) < 0:
                ctx.problems.append(f"{label}site {s.get('id')}: frees {s['frees']} > allocations "
                                    f"{s['allocations']} or negative live_bytes {s.get('live_bytes')}")
                break


def check_frames(ctx, matched, want, src, module, lines=None):
    """The frames naming `want` give the source file (basename `src`), a line
    inside `lines` (first, last), the module (basename `module`) and an address."""
    for s in matched:
        for fr in frames(s):
            if not fn_matches(fr.get("function"), want):
                continue
            f = fr.get("file")
            ctx.check(isinstance(f, str) and os.path.basename(f) == src,
                      f"{want}: frame file is {f!r}, expected a path ending in {src}")
            ln = fr.get("line")
            if lines:
                ctx.check(isinstance(ln, int) and lines[0] <= ln <= lines[1],
                          f"{want}: frame line {ln!r} is outside the function's lines {lines[0]}-{lines[1]}")
            m = fr.get("module")
            ctx.check(isinstance(m, str) and os.path.basename(m) == module,
                      f"{want}: frame module is {m!r}, expected a path ending in /{module}")
            a = fr.get("address")
            ok = False
            try:
                ok = int(a, 16) > 0 if isinstance(a, str) else (isinstance(a, int) and a > 0)
            except ValueError:
                pass
            ctx.check(ok, f"{want}: frame address {a!r} is not a (hex) address")
            return  # one frame is enough; the same function in every site


def elf_build_id(path):
    """The NT_GNU_BUILD_ID note of a 64-bit little-endian ELF file, as hex."""
    import struct
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    for i in range(shnum):
        off = shoff + i * shentsize
        sh_type, = struct.unpack_from("<I", data, off + 4)
        if sh_type != 7:                     # SHT_NOTE
            continue
        sec_off, sec_size = struct.unpack_from("<QQ", data, off + 0x18)
        pos, end = sec_off, sec_off + sec_size
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            name = data[pos + 12:pos + 12 + namesz]
            dpos = pos + 12 + (namesz + 3) // 4 * 4
            if ntype == 3 and name == b"GNU\0":
                return data[dpos:dpos + descsz].hex()
            pos = dpos + (descsz + 3) // 4 * 4
    return None


def check_modules(ctx, rep, exe):
    """The executable and libc appear in modules with their real build-ids
    and a hex base; the executable's frames lie above its base."""
    mods = [m for m in rep.get("modules") or [] if isinstance(m, dict)]
    libc = next((m for m in mods if os.path.basename(str(m.get("path"))) == "libc.so.6"), None)
    me = next((m for m in mods if os.path.realpath(str(m.get("path"))) == os.path.realpath(exe)), None)
    for m, what in ((me, exe), (libc, "libc.so.6")):
        if not ctx.check(m is not None, f"modules has no entry for {what}: "
                         f"{[x.get('path') for x in mods][:8]}"):
            continue
        want = elf_build_id(m["path"])
        if want:
            ctx.check(str(m.get("build_id")).lower() == want,
                      f"module {m['path']}: build_id {m.get('build_id')!r}, the file's is {want}")
        try:
            int(str(m.get("base")), 16)
        except ValueError:
            ctx.problems.append(f"module {m['path']}: base {m.get('base')!r} is not hex")
    if me:
        try:
            base = int(str(me.get("base")), 16)
        except ValueError:
            return
        for x in rep.get("sites") or []:
            for fr in frames(x):
                if fr.get("module") == me.get("path"):
                    try:
                        a = int(str(fr.get("address")), 16)
                    except ValueError:
                        continue
                    if not base <= a < base + (64 << 20):
                        ctx.problems.append(f"frame {fr.get('function')} at {fr.get('address')} is not "
                                            f"above its module's base {me.get('base')}")
                        return


def check_basic(ctx, rep, pid, reason="exit", argv0=None, label=""):
    ctx.check(rep.get("pid") == pid, f"{label}report pid {rep.get('pid')!r}, expected {pid}")
    ctx.check(rep.get("reason") == reason, f"{label}report reason {rep.get('reason')!r}, expected {reason!r}")
    if argv0 is not None:
        cmd = rep.get("command")
        ctx.check(isinstance(cmd, list) and cmd and isinstance(cmd[0], str)
                  and os.path.basename(cmd[0]) == argv0,
                  f"{label}report command {cmd!r}, expected argv[0] ending in {argv0}")


def stderr_lines(text, needle):
    return [l for l in text.splitlines() if needle in l]


def var_lines(text, var):
    """stderr lines naming exactly this variable (RETAIN_INTERVAL must not
    match RETAIN_REPORT_INTERVAL)."""
    pat = re.compile(r"(?<![A-Z0-9_])" + var + r"(?![A-Z0-9_])")
    return [l for l in text.splitlines() if pat.search(l)]


class Watcher:
    """Polls a report file while a program runs, keeping every distinct
    version seen (copied aside for the contract check)."""

    def __init__(self, ctx, proc, path):
        self.ctx, self.proc, self.path = ctx, proc, path
        self.last = None
        self.seen = []          # (seconds since start, running, report)
        self.snapdir = os.path.join(ctx.tmp, "snapshots")
        os.makedirs(self.snapdir, exist_ok=True)

    def poll(self):
        running = self.proc.running()
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return
        if data == self.last:
            return
        self.last = data
        t = time.monotonic() - self.proc.start
        try:
            rep = json.loads(data)
        except ValueError as e:
            self.ctx.problems.append(f"{os.path.basename(self.path)} read at {t:.2f}s is not valid JSON"
                                     f" ({e}; {len(data)} bytes): reports must be replaced atomically")
            return
        snap = os.path.join(self.snapdir, f"{len(self.seen)}-{rep.get('reason')}.json")
        with open(snap, "wb") as f:
            f.write(data)
        self.ctx.snapshots.append(snap)
        self.seen.append((t, running, rep))

    def run_until(self, seconds, step=0.04):
        end = self.proc.start + seconds
        while time.monotonic() < end and self.proc.running():
            self.poll()
            time.sleep(step)
        self.poll()

    def finish(self, what, seconds=60):
        """Polls until the program ends (at most `seconds` after its start),
        reaps it and polls once more; fatal if it had to be killed.  Returns
        the program's result."""
        self.run_until(seconds)
        res = self.proc.wait(60)
        self.poll()
        if res.timed_out:
            self.ctx.fatal(f"{what} did not finish (killed)")
        return res

    def reasons_while_running(self):
        return [rep.get("reason") for t, running, rep in self.seen if running]


# --------------------------------------------------------------------------
# contract check of every report

def contract_check(ctx):
    """Runs check-report.py on every JSON report left in the test's output
    directories and on the intermediate snapshots; checks each report's pid
    against its file name, the .txt twin, and leftovers (temporary files)."""
    paths = list(ctx.snapshots)
    for d in ctx.outdirs:
        if not os.path.isdir(d):
            continue
        names = os.listdir(d)
        for n in sorted(names):
            p = os.path.join(d, n)
            if n.endswith(".json"):
                paths.append(p)
                twin = p[:-5] + ".txt"
                ctx.check(os.path.exists(twin) and os.path.getsize(twin) > 0,
                          f"{n} has no non-empty {os.path.basename(twin)} next to it")
                m = re.fullmatch(r"r\.(\d+)\.json", n)
                if m:
                    try:
                        with open(p) as f:
                            pid = json.load(f).get("pid")
                        ctx.check(pid == int(m.group(1)), f"{n}: pid field is {pid!r}")
                    except ValueError:
                        pass  # reported by the checker below
            elif not n.endswith(".txt"):
                ctx.problems.append(f"leftover file {n!r} in the report directory "
                                    "(temporary report not renamed?)")
    if not os.path.exists(CHECKER):
        ctx.note("check-report.py absent, contract check skipped")
        return
    for p in paths:
        rc, out = check_report(p)
        if rc != 0:
            out = out.strip().replace(ctx.tmp + "/", "")
            ctx.problems.append(f"check-report: {out[:400]}")


_checker_main = []      # [main() of check-report.py, or None when it cannot be imported]


def check_report(path):
    """(exit status, output) of check-report.py on one report.  Its main(path)
    is called in this process: a Python start-up per report made the check
    the slowest part of the tests that keep many snapshots.  Run as a
    program when it cannot be imported that way."""
    if not _checker_main:
        main = None
        try:
            import importlib.util
            spec = importlib.util.spec_from_file_location("check_report", CHECKER)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            main = getattr(mod, "main", None)
        except Exception:
            pass
        _checker_main.append(main if callable(main) else None)
    main = _checker_main[0]
    if main is not None:
        import contextlib
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                rc = main(path)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except Exception as e:
            return 1, f"{buf.getvalue()}check-report.py raised {type(e).__name__}: {e}"
        return (rc or 0), buf.getvalue()
    proc = subprocess.run([sys.executable, CHECKER, path], env=base_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=60)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def parse_expect(out):
    exp, ranges = [], {}
    for line in out.decode().splitlines():
        p = line.split()
        if p and p[0] == "EXPECT":
            # EXPECT <function, may contain spaces> allocs frees live
            exp.append((" ".join(p[1:-3]), int(p[-3]), int(p[-2]), int(p[-1])))
        elif p and p[0] == "RANGE":
            ranges[p[1]] = (int(p[2]), int(p[3]))
    return exp, ranges


# --------------------------------------------------------------------------
# registration

class Test:
    """A registered test: `name` (the function's name without test_), the
    function, its topic module, `serial` (run alone, after the others) and
    `xfail` (why it is expected to fail, or None)."""

    def __init__(self, name, fn, serial, xfail=None):
        self.name, self.fn, self.serial, self.xfail = name, fn, serial, xfail
        self.module = fn.__module__
        self.doc = fn.__doc__ and inspect.cleandoc(fn.__doc__)


TESTS = []
HERE = os.path.dirname(os.path.abspath(__file__))


def test(fn=None, *, serial=False, xfail=None):
    """Registers `def test_NAME(ctx)` as the test NAME.  `@test(serial=True)`
    for a test that measures CPU time or depends on timing tightly enough
    that other tests running beside it could make it fail.
    `@test(xfail="issue N: why")` for a test that states what should hold
    but is known to fail now: failing, it is reported `XFAIL name: why
    (problems)` and does not fail the run; passing, it is reported `XPASS`
    and fails the run, so that the mark is removed with the fix."""
    def register(f):
        name = f.__name__.removeprefix("test_")
        if any(t.name == name for t in TESTS):
            raise ValueError(f"two tests named {name} ({f.__module__})")
        if xfail is not None and not (isinstance(xfail, str) and xfail.strip()):
            raise ValueError(f"test {name}: xfail must say why")
        TESTS.append(Test(name, f, serial, xfail))
        return f
    return register(fn) if fn is not None else register


def discover():
    """Imports every tests/test_*.py in name order; returns all registered tests."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        importlib.import_module(os.path.basename(path)[:-3])
    return TESTS


# --------------------------------------------------------------------------
# the runner

TEST_TIMEOUT = 900      # seconds; each program has its own, smaller timeout


def run_test(t, keep):
    """Runs one test in this process; returns its outcome (a dict)."""
    tmp = tempfile.mkdtemp(prefix=f"retain-{t.name}-")
    ctx = Ctx(t.name, tmp)
    start = time.monotonic()
    try:
        t.fn(ctx)
    except Fatal:
        pass
    except Exception as e:  # a harness bug or an unexpected report shape
        ctx.problems.append(f"exception {type(e).__name__}: {e}")
        if VERBOSE:
            print(traceback.format_exc().rstrip())
    try:
        contract_check(ctx)
    except Exception as e:
        ctx.problems.append(f"contract check raised {type(e).__name__}: {e}")
    took = time.monotonic() - start
    if not keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"problems": ctx.problems, "notes": ctx.notes, "seconds": took, "tmp": tmp}


def _child(t, keep, wfd):
    """In a forked process: runs the test with stdout captured, sends the
    outcome as JSON through wfd, and exits."""
    try:
        # the runner's timeout sends SIGTERM: end the test's programs, then exit
        signal.signal(signal.SIGTERM, lambda *_: (kill_started(), os._exit(1)))
        buf = io.StringIO()
        sys.stdout = buf
        try:
            out = run_test(t, keep)
        except BaseException as e:
            out = {"problems": [f"runner raised {type(e).__name__}: {e}"], "notes": [],
                   "seconds": 0.0, "tmp": ""}
        out["output"] = buf.getvalue()
        with os.fdopen(wfd, "wb") as f:
            f.write(json.dumps(out).encode())
    finally:
        kill_started()      # programs a failed test left running
        os._exit(0)


def run_batch(tests, jobs, keep):
    """Runs `tests`, `jobs` at a time, each in its own forked process; yields
    (test, outcome) as each one ends."""
    pending = list(tests)
    running = {}        # read end of the result pipe -> [test, pid, chunks, started, stopped at]
    sel = selectors.DefaultSelector()
    try:
        while pending or running:
            while pending and len(running) < jobs:
                t = pending.pop(0)
                r, w = os.pipe()
                sys.stdout.flush()
                pid = os.fork()
                if pid == 0:
                    os.close(r)
                    _child(t, keep, w)
                os.close(w)
                running[r] = [t, pid, [], time.monotonic(), None]
                sel.register(r, selectors.EVENT_READ)
            for key, _ in sel.select(timeout=1.0):
                entry = running[key.fd]
                data = os.read(key.fd, 1 << 16)
                if data:
                    entry[2].append(data)
                    continue
                sel.unregister(key.fd)
                os.close(key.fd)
                del running[key.fd]
                t, pid, chunks, started, stopped = entry
                _, status = os.waitpid(pid, 0)
                try:
                    out = json.loads(b"".join(chunks))
                except ValueError:
                    why = (f"stopped after {TEST_TIMEOUT} s" if stopped else "test process ended "
                           f"without a result (exit status {os.waitstatus_to_exitcode(status)})")
                    out = {"problems": [why], "notes": [], "output": "",
                           "seconds": time.monotonic() - started, "tmp": ""}
                yield t, out
            now = time.monotonic()
            for entry in running.values():
                if entry[4] is None and now - entry[3] > TEST_TIMEOUT:
                    entry[4] = now
                    os.kill(entry[1], signal.SIGTERM)     # it kills its programs, then exits
                elif entry[4] is not None and now - entry[4] > 15:
                    os.kill(entry[1], signal.SIGKILL)
    finally:
        stop_children([pid for _, pid, *_ in running.values()])


def stop_children(pids):
    """SIGTERM (each test process kills its programs), then SIGKILL, and reap."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        end = time.monotonic() + 5
        while pids and time.monotonic() < end:
            pids = [pid for pid in pids if os.waitpid(pid, os.WNOHANG) == (0, 0)]
            time.sleep(0.05)


def print_outcome(t, out, keep, quiet_fail=False):
    """Prints PASS/FAIL for one outcome; with quiet_fail a failure is only
    noted (the test will run again) and False returned."""
    sys.stdout.write(out.get("output", ""))
    problems = out["problems"]
    if t.xfail:
        # expected to fail: never run again; failing is the expected outcome
        if problems:
            msg = " ".join("; ".join(problems)[:300].split())
            print(f"XFAIL {t.name}: {t.xfail} ({msg})", flush=True)
        else:
            print(f"XPASS {t.name}: passes although marked xfail ({t.xfail}): "
                  f"remove the mark", flush=True)
        if keep:
            print(f"  [{t.name}] kept {out['tmp']}")
        return bool(problems)
    if problems and quiet_fail:
        print(f"# {t.name} failed, to run again: {' '.join('; '.join(problems)[:200].split())}",
              flush=True)
        return False
    if problems:
        msg = "; ".join(problems[:6])
        if len(problems) > 6:
            msg += f"; ... and {len(problems) - 6} more"
        msg = " ".join(msg.split("\n"))
        print(f"FAIL {t.name}: {msg}", flush=True)
    else:
        extra = f"  ({'; '.join(out['notes'])})" if out["notes"] else ""
        print(f"PASS {t.name}{extra}", flush=True)
    if VERBOSE:
        print(f"  [{t.name}] {out['seconds']:.1f}s, files in {out['tmp']}")
    if keep:
        print(f"  [{t.name}] kept {out['tmp']}")
    return not problems


def main(argv=None):
    global VERBOSE, LIB
    ap = argparse.ArgumentParser(description="Runs libretain's tests (tests/test_*.py).")
    ap.add_argument("-k", action="append", default=[], help="run tests whose name contains this")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="tests run at once, each in its own process (default: the number of CPUs);"
                         " tests marked serial run alone afterwards")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--lib", help="the library to preload (default: libretain.so in the repository)")
    ap.add_argument("--retries", type=int, default=1,
                    help="a failed test runs again, alone, up to this many times; one that then "
                         "passes is reported with its first failure (default 1; 0: never)")
    args = ap.parse_args(argv)
    # set before the test files are imported: they take these names with `import *`
    VERBOSE = args.verbose
    if args.lib:
        LIB = os.path.abspath(args.lib)
    selected = [t for t in discover() if not args.k or any(k in t.name for k in args.k)]
    if args.list:
        for t in selected:
            print(t.name)
        return 0
    passed = failed = 0
    xfailed = sum(1 for t in selected if t.xfail)
    t0 = time.monotonic()
    if not os.path.exists(CHECKER):
        print(f"# note: {CHECKER} absent: report contract checks skipped")
    batches = (([t for t in selected if not t.serial], max(1, args.jobs)),
               ([t for t in selected if t.serial], 1))
    failures = []
    xpassed = []
    for tests, jobs in batches:
        for t, out in run_batch(tests, jobs, args.keep):
            if print_outcome(t, out, args.keep, quiet_fail=args.retries > 0):
                passed += 1
            elif t.xfail:
                xpassed.append(t.name)
                failed += 1
            else:
                failures.append((t, out))
    # A failure can come from the machine (a loaded CPU starves a timing-
    # bound server test): the test runs again alone.  Passing then, it
    # counts as passed, and its first failure is printed, so that nothing
    # is hidden; failing again, it fails.
    flaky = []
    for t, first in failures:
        out = first
        for _ in range(args.retries):
            out = next(iter(run_batch([t], 1, args.keep)))[1]
            if not out["problems"]:
                break
        if not out["problems"]:
            out["notes"] = out["notes"] + [f"passed when run again; first run: "
                                           f"{'; '.join(first['problems'])[:300]}"]
            flaky.append(t.name)
        if print_outcome(t, out, args.keep):
            passed += 1
        else:
            failed += 1
    print(f"# {time.monotonic() - t0:.1f}s")
    if flaky:
        print(f"# passed only when run again: {', '.join(flaky)}")
    if xpassed:
        print(f"# marked xfail but passed (remove the mark): {', '.join(xpassed)}")
    xf = f" ({xfailed - len(xpassed)} of the passed are xfail)" if xfailed else ""
    print(f"{passed} passed, {failed} failed{xf}")
    return 1 if failed else 0


def run():
    """The command-line entry point (tests/run_tests.py)."""
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(1)


if __name__ == "__main__":
    # run as a script, this file is __main__: hand over to the `harness`
    # module the test files import, so they register with the same runner
    importlib.import_module("harness").run()


def memcached_wait_grown(stats, items, timeout=60):
    """Waits until memcached has finished growing its hash table for `items`
    items: no migration under way and none due (it grows when items exceed
    1.5 per bucket, one step at a time, in a background thread).  `stats` is
    a callable returning the server's `stats` answer.  Returns True when
    grown; a drain before that empties a table that never was full."""
    def growing(st):
        level = re.search(rb"STAT hash_power_level (\d+)", st)
        return (level is None or re.search(rb"STAT hash_is_expanding 1", st) is not None
                or items > 1.5 * (1 << int(level.group(1))))
    end = time.monotonic() + timeout
    st = stats()
    while growing(st) and time.monotonic() < end:
        time.sleep(0.05)
        st = stats()
    return not growing(st)
