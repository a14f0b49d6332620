#!/usr/bin/env python3
"""libretain test suite.

Run from the repository root after `make libretain.so test-progs`:

    python3 tests/run_tests.py [-k SUBSTRING]... [-v] [--keep] [--list]

Every program is started under LD_PRELOAD=libretain.so with RETAIN_OUTPUT in a
fresh temporary directory.  Each test prints `PASS name` or `FAIL name: reason`;
the last line is `N passed, N failed` and the exit status is 1 if any failed.
Every JSON report produced (including the intermediate signal and periodic
reports seen while a program runs) is checked with ../shared/tools/check-report.py
relative to the repository, when that tool exists.

Python 3 standard library only.  See tests/README.md for what each test asserts.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB = os.path.join(REPO, "libretain.so")
BIN = os.path.join(REPO, "tests", "bin")
CHECKER = os.path.normpath(os.path.join(REPO, "..", "shared", "tools", "check-report.py"))

VARIABLES = ["RETAIN_OUTPUT", "RETAIN_SIGNAL", "RETAIN_REPORT_INTERVAL", "RETAIN_MIN_SIZE",
             "RETAIN_MIN_AGE", "RETAIN_DROP", "RETAIN_INTERVAL", "RETAIN_DEPTH",
             "RETAIN_SAMPLE", "RETAIN_QUIET"]

VERBOSE = False


class Fatal(Exception):
    """Stops the current test (its problems so far are kept)."""


# --------------------------------------------------------------------------
# running programs

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

    def __init__(self, ctx, argv, env, cwd=None):
        Proc.counter += 1
        self.argv = [str(a) for a in argv]
        base = os.path.join(ctx.tmp, "io")
        os.makedirs(base, exist_ok=True)
        self.out_path = os.path.join(base, f"{Proc.counter}.out")
        self.err_path = os.path.join(base, f"{Proc.counter}.err")
        self.start = time.monotonic()
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.p = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                      env=env, cwd=cwd or ctx.tmp, start_new_session=True)
        self.pid = self.p.pid

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
            try:
                os.killpg(self.pid, signal.SIGKILL)   # the whole session we started
            except ProcessLookupError:
                pass
            rc = self.p.wait()
        secs = time.monotonic() - self.start
        with open(self.out_path, "rb") as f:
            out = f.read()
        with open(self.err_path, "rb") as f:
            err = f.read().decode("utf-8", "replace")
        return Result(self.argv, self.pid, rc, out, err, timed_out, secs)


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

_checked = {}


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
        proc = subprocess.run([sys.executable, CHECKER, p], env=base_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=60)
        if proc.returncode != 0:
            out = proc.stdout.decode("utf-8", "replace").strip().replace(ctx.tmp + "/", "")
            ctx.problems.append(f"check-report: {out[:400]}")


# --------------------------------------------------------------------------
# the tests

TESTS = []


def test(fn):
    TESTS.append((fn.__name__.removeprefix("test_"), fn))
    return fn


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


@test
def test_sites_exact(ctx):
    """Exact per-site counts (RETAIN_SAMPLE=0) for named functions, summed over
    every site whose stack names them; file/line/module of their frames."""
    exe = ctx.bin("sites")
    plain = ctx.run([exe], preload=False)
    pre = ctx.run([exe], env={"RETAIN_SAMPLE": "0"})
    ctx.same_output(plain, pre)
    exp, ranges = parse_expect(plain.out)
    ctx.check(len(exp) == 12 and len(ranges) == 9, "sites printed unexpected EXPECT/RANGE lines")
    rep = ctx.report(ctx.outdir(), pre.pid)
    check_basic(ctx, rep, pre.pid, "exit", "sites")
    for fn, a, f, l in exp:
        matched = check_counts(ctx, rep, fn, a, f, l)
        check_frames(ctx, matched, fn, "sites.c", "sites", ranges.get(fn))
    check_totals(ctx, rep)
    check_modules(ctx, rep, exe)
    txt = os.path.join(ctx.outdir(), f"r.{pre.pid}.txt")
    if os.path.exists(txt):
        with open(txt, errors="replace") as f:
            text = f.read()
        ctx.check("alloc_alpha" in text and "sites.c" in text,
                  "the text report does not show the top site (alloc_alpha, sites.c)")
    t = rep.get("totals") or {}
    own = sum(a for fn, a, _f, _l in exp if fn.startswith("alloc_"))
    ctx.check(isinstance(t.get("allocations"), int) and t["allocations"] >= own,
              f"totals.allocations {t.get('allocations')} < the {own} the program made")
    # totals are exact whatever the sampling: a default-settings run of this
    # deterministic program has the same totals
    od = ctx.outdir("default")
    dflt = ctx.run([exe], outdir=od)
    ctx.same_output(plain, dflt, what="sites (default settings)")
    dt = ctx.report(od, dflt.pid).get("totals") or {}
    for k in ("allocations", "frees", "live_bytes"):
        ctx.check(dt.get(k) == t.get(k), f"totals.{k}: {t.get(k)} with RETAIN_SAMPLE=0 but "
                  f"{dt.get(k)} with default settings (totals must be exact)")


def build_id_debug_file(elf):
    """The separate debug file of an ELF object (a -dbg package), if installed."""
    try:
        out = subprocess.run(["readelf", "-n", elf], capture_output=True, text=True).stdout
    except OSError:
        return None
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    path = m and f"/usr/lib/debug/.build-id/{m.group(1)[:2]}/{m.group(1)[2:]}.debug"
    return path if path and os.path.exists(path) else None


@test
def test_debuginfo_policy(ctx):
    """RETAIN_DEBUGINFO=auto (default) reads a separate debug file only for
    the executable: libc's frames get names but no file:line even where
    libc6-dbg is installed; the program's own frames keep file:line.  =full
    reads libc6-dbg too (checked only where it is installed)."""
    exe = ctx.bin("sites")
    od = ctx.outdir()
    runs = {}
    for mode in ("auto", "full"):
        r = ctx.run([exe], env={"RETAIN_SAMPLE": "0", "RETAIN_DEBUGINFO": mode}, outdir=od)
        rep = ctx.report(od, r.pid)
        ctx.check((rep.get("config") or {}).get("debuginfo") == mode,
                  f"config.debuginfo {(rep.get('config') or {}).get('debuginfo')!r}, expected {mode}")
        runs[mode] = [f for s in rep.get("sites") or [] for f in frames(s)]
    for mode, fr in runs.items():
        own = [f for f in fr if f.get("function") == "alloc_alpha"]
        ctx.check(own and all(str(f.get("file", "")).endswith("sites.c") and f.get("line", 0) > 0 for f in own),
                  f"{mode}: alloc_alpha frames without sites.c:line: {own[:2]}")
    libc_auto = [f for f in runs["auto"] if "libc.so" in str(f.get("module"))]
    ctx.check(libc_auto, "no libc frames in the stacks (expected __libc_start_main at the bottom)")
    ctx.check(not [f for f in libc_auto if f.get("file")],
              f"auto: libc frames with file:line: {[f for f in libc_auto if f.get('file')][:2]}")
    ctx.check(any(f.get("function") for f in libc_auto), f"auto: no libc frame named: {libc_auto[:3]}")
    dbg = libc_auto and build_id_debug_file(libc_auto[0]["module"])
    if dbg:
        libc_full = [f for f in runs["full"] if "libc.so" in str(f.get("module"))]
        ctx.check(any(f.get("file") for f in libc_full),
                  f"full with {dbg} installed: no libc frame has file:line: {libc_full[:3]}")


@test
def test_depth(ctx):
    """RETAIN_DEPTH=3: no site keeps more than 3 physical frames (frames marked
    "inlined" expand one of them); the innermost frame is
    still the program's function and counts stay exact."""
    exe = ctx.bin("sites")
    pre = ctx.run([exe], env={"RETAIN_SAMPLE": "0", "RETAIN_DEPTH": "3"})
    rep = ctx.report(ctx.outdir(), pre.pid)
    # frames marked "inlined" share their physical frame's address: RETAIN_DEPTH
    # counts physical frames
    phys = lambda x: [fr for fr in frames(x) if not fr.get("inlined")]
    long_ = [(x.get("id"), len(phys(x))) for x in rep.get("sites") or [] if len(phys(x)) > 3]
    ctx.check(not long_, f"sites with more than 3 physical frames (id, frames): {long_[:5]}")
    matched = check_counts(ctx, rep, "alloc_alpha", 100, 40, 6000)
    for x in matched:
        f0 = frames(x)[0].get("function") if frames(x) else None
        ctx.check(f0 == "alloc_alpha", f"site {x.get('id')}: innermost frame {f0!r}, expected alloc_alpha")
    check_counts(ctx, rep, "caller_one", 10, 0, 2000)
    check_counts(ctx, rep, "caller_two", 15, 0, 3000)
    check_totals(ctx, rep)


@test
def test_many_sites(ctx):
    """4096 distinct call stacks: counted as 4096 sites, each listed one exact."""
    exe = ctx.bin("manysites")
    plain = ctx.run([exe], preload=False)
    pre = ctx.run([exe], env={"RETAIN_SAMPLE": "0"}, timeout=60)
    ctx.same_output(plain, pre)
    rep = ctx.report(ctx.outdir(), pre.pid)
    t = rep.get("totals") or {}
    ctx.check(isinstance(t.get("sites"), int) and t["sites"] >= 4096,
              f"totals.sites {t.get('sites')!r}, expected >= 4096")
    ctx.check(isinstance(t.get("allocations"), int) and t["allocations"] >= 4096,
              f"totals.allocations {t.get('allocations')!r} < 4096")
    listed = bad = 0
    pairs = set()
    for x in rep.get("sites") or []:
        names = [fr.get("function") for fr in frames(x)]
        inner = [n for n in names if isinstance(n, str) and re.fullmatch(r"inner_\d\d", n)]
        outer = [n for n in names if isinstance(n, str) and re.fullmatch(r"outer_\d\d", n)]
        if not inner:
            continue
        listed += 1
        j = int(inner[0][-2:])
        if (x.get("allocations"), x.get("frees"), x.get("live_bytes")) != (1, 0, 16 * (j + 1)):
            bad += 1
            if bad <= 3:
                ctx.problems.append(f"site {x.get('id')} ({inner[0]} from {outer[:1]}): allocations "
                                    f"{x.get('allocations')}, frees {x.get('frees')}, live_bytes "
                                    f"{x.get('live_bytes')}; expected 1, 0, {16 * (j + 1)}")
        pair = (inner[0], outer[0] if outer else None)
        ctx.check(pair not in pairs, f"two listed sites for {pair}")
        pairs.add(pair)
    ctx.check(listed >= min(1000, len(rep.get("sites") or []) - 5),
              f"only {listed} inner_* sites listed of {len(rep.get('sites') or [])}")
    if bad > 3:
        ctx.problems.append(f"... {bad} inner_* sites with wrong counts in all")
    check_totals(ctx, rep)


@test
def test_sampling(ctx):
    """RETAIN_SAMPLE=4K: totals stay exact (the same as in exact mode for this
    deterministic program); per-site figures are estimates close to the truth
    (loose bounds: 4096 allocations and 2129920 bytes, +-35%)."""
    exe = ctx.bin("manysites")
    od = ctx.outdir()
    exact = ctx.run([exe], env={"RETAIN_SAMPLE": "0"}, outdir=od)
    sampled = ctx.run([exe], env={"RETAIN_SAMPLE": "4K"}, outdir=od)
    ctx.same_output(exact, sampled, what="manysites exact vs sampled")
    ctx.check(not var_lines(sampled.err, "RETAIN_SAMPLE"), f"RETAIN_SAMPLE=4K rejected: {sampled.err[:200]!r}")
    te = ctx.report(od, exact.pid).get("totals") or {}
    rep = ctx.report(od, sampled.pid)
    ts = rep.get("totals") or {}
    for k in ("allocations", "frees", "live_bytes"):
        ctx.check(te.get(k) == ts.get(k), f"totals.{k}: {te.get(k)} exact, {ts.get(k)} with RETAIN_SAMPLE=4K")
    sites = rep.get("sites") or []
    ctx.check(0 < len(sites) < 4096, f"{len(sites)} sites with sampling (expected a sample of the 4096)")
    if ts.get("sites") == len(sites):
        a = b = 0
        for x in sites:
            if any(re.fullmatch(r"inner_\d\d", str(fr.get("function"))) for fr in frames(x)):
                a += x.get("allocations", 0)
                b += x.get("live_bytes", 0)
        ctx.check(0.65 * 4096 <= a <= 1.35 * 4096, f"estimated allocations of inner_*: {a}, true 4096")
        ctx.check(0.65 * 2129920 <= b <= 1.35 * 2129920, f"estimated live bytes of inner_*: {b}, true 2129920")
    check_totals(ctx, rep, estimates=True)


@test
def test_sampling_math(ctx):
    """src/sampling.c computes ln and expm1 itself (no libm in the host):
    within 1e-12 of libm, mean sampling gap within 0.5% of RETAIN_SAMPLE, and
    the same weights as the libm formula."""
    r = ctx.run([ctx.bin("sampling_math")], preload=False)
    ctx.check(r.rc == 0 and r.out.rstrip().endswith(b"ok"), f"sampling_math: {r.out!r}")


@test
def test_sampling_threads(ctx):
    """200 short-lived threads, one malloc(16) each.  Exact mode counts 200.
    With RETAIN_SAMPLE=64K the whole 3200 bytes are far below one sampling gap:
    an unbiased estimate is 0 or a few times 4096 (P(>= 4 samples) ~ 1e-7);
    ~200 x 4096 means every thread's first allocation is always sampled."""
    exe = ctx.bin("shortthreads")
    od = ctx.outdir()
    plain = ctx.run([exe], preload=False)
    exact = ctx.run([exe], env={"RETAIN_SAMPLE": "0"}, outdir=od)
    ctx.same_output(plain, exact, what="shortthreads (RETAIN_SAMPLE=0)")
    check_counts(ctx, ctx.report(od, exact.pid), "thread_one_alloc", 200, 0, 200 * 16,
                 label="RETAIN_SAMPLE=0: ")
    sampled = ctx.run([exe], env={"RETAIN_SAMPLE": "64K"}, outdir=od)
    ctx.same_output(plain, sampled, what="shortthreads (RETAIN_SAMPLE=64K)")
    rep = ctx.report(od, sampled.pid)
    got, matched = site_sum(rep, "thread_one_alloc")
    ctx.check(got["allocations"] <= 3 * 4096,
              f"RETAIN_SAMPLE=64K: thread_one_alloc estimated at {got['allocations']} allocations "
              f"({got['live_bytes']} bytes) over {got['sites']} site(s); true 200 (3200 bytes)")
    t = rep.get("totals") or {}
    ctx.check(isinstance(t.get("allocations"), int) and t["allocations"] >= 200,
              f"totals.allocations {t.get('allocations')!r} < 200")
    check_totals(ctx, rep, estimates=True)


@test
def test_api(ctx):
    """include/retain.h: retain_report_now() returns -1 without libretain and
    0 with it, the "signal" report exists when it returns; annotating a block
    is harmless; the exit report follows."""
    exe = ctx.bin("apiprog")
    plain = ctx.run([exe], preload=False)
    ctx.check(plain.out == b"report_now -1\n", f"plain apiprog: {plain.out!r}")
    pre = ctx.run([exe])
    ctx.check(pre.rc == 0 and pre.out == b"report_now 0\nreport file: signal\n",
              f"preloaded apiprog: rc {pre.rc}, output {pre.out!r}")
    check_basic(ctx, ctx.report(ctx.outdir(), pre.pid), pre.pid, "exit", "apiprog")


@test
def test_sites_cxx(ctx):
    """operator new / new[] counted exactly and attributed to demangled C++
    function names."""
    exe = ctx.bin("sites_cxx")
    plain = ctx.run([exe], preload=False)
    pre = ctx.run([exe], env={"RETAIN_SAMPLE": "0"})
    ctx.same_output(plain, pre)
    exp, _ = parse_expect(plain.out)
    rep = ctx.report(ctx.outdir(), pre.pid)
    check_basic(ctx, rep, pre.pid, "exit", "sites_cxx")
    for fn, a, f, l in exp:
        matched = check_counts(ctx, rep, fn, a, f, l)
        check_frames(ctx, matched, fn, "sites_cxx.cc", "sites_cxx")
    mangled = sorted({fr.get("function") for s in rep.get("sites") or [] for fr in frames(s)
                      if isinstance(fr.get("function"), str) and fr["function"].startswith("_ZN4demo")})
    ctx.check(not mangled, f"C++ names not demangled: {mangled[:3]}")
    check_totals(ctx, rep)


@test
def test_output_ls(ctx):
    argv = ["ls", "-la", "/usr/bin"]
    plain = ctx.run(argv, preload=False)
    pre = ctx.run(argv)
    ctx.check(plain.rc == 0 and len(plain.out) > 1000, f"plain ls failed (rc {plain.rc})")
    ctx.same_output(plain, pre)
    check_basic(ctx, ctx.report(ctx.outdir(), pre.pid), pre.pid, "exit", "ls")


@test
def test_output_sort(ctx):
    rnd = random.Random(1234)
    data = os.path.join(ctx.tmp, "data.txt")
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    with open(data, "w") as f:
        for i in range(60000):
            f.write(f"{rnd.choice(words)}-{rnd.randrange(10**6)} {rnd.randrange(-5000, 5000)}"
                    f" {rnd.random():.6f}\n")
    tmpdir = os.path.join(ctx.tmp, "sorttmp")
    os.makedirs(tmpdir)
    for argv in (["sort", data],
                 ["sort", "-S", "1M", "--parallel=2", "-T", tmpdir, data],   # threads + temp files
                 ["sort", "-n", "-r", "-k2,2", "-s", data],
                 ["sort", "-u", "-t-", "-k1,1", data]):
        plain = ctx.run(argv, preload=False)
        pre = ctx.run(argv)
        ctx.check(plain.rc == 0, f"plain `{plain.describe()}` failed")
        ctx.same_output(plain, pre, what=" ".join(argv).replace(ctx.tmp + "/", ""))
        rep = ctx.report(ctx.outdir(), pre.pid)
        check_basic(ctx, rep, pre.pid, "exit", "sort")


PY_SNIPPET = r"""
import collections, json
d = {}
for i in range(200000):
    d["k%d" % (i * 7919 % 200000)] = [i, str(i) * (i % 5)]
for i in range(0, 200000, 3):
    del d["k%d" % i]
lst = sorted(d.items(), key=lambda kv: (len(kv[1][1]), kv[0]))[:5]
c = collections.Counter(len(v[1]) for v in d.values())
s = {i % 1013 for i in range(100000)}
print(len(d), lst, sorted(c.items()), len(s))
print(json.dumps({"a": [1, 2, {"b": None}], "n": sum(v[0] for v in d.values())}, sort_keys=True))
print(" ".join(w[::-1] for w in "the quick brown fox jumps over the lazy dog".split()))
import subprocess
print(subprocess.run(["/bin/echo", "from a child"], capture_output=True, text=True).stdout.strip())
print(subprocess.run(["/bin/sh", "-c", "echo $((6 * 7))"], stdout=subprocess.PIPE).stdout)
try:
    subprocess.run(["/nonexistent/command"])   # vfork child fails to exec, _exit(255)
except FileNotFoundError as e:
    print("missing command:", e.errno)
print(sum(len(str(i)) for i in range(100000)))
"""


@test
def test_output_python(ctx):
    py = os.path.realpath(sys.executable)
    argv = [py, "-c", PY_SNIPPET]
    env = {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    plain = ctx.run(argv, preload=False, env=env)
    pre = ctx.run(argv, env=env)
    ctx.check(plain.rc == 0, f"plain python failed: {plain.err[-300:]}")
    ctx.same_output(plain, pre, what="python3 -c ...")
    check_basic(ctx, ctx.report(ctx.outdir(), pre.pid), pre.pid, "exit")


GIT_SCRIPT = r"""
set -e
git init -q -b main .
printf 'hello\n' > a.txt
mkdir d
seq 1 500 > d/nums.txt
git add -A
git commit -q -m "first commit"
seq 1 500 | sed 's/5/five/' > d/nums.txt
echo more >> a.txt
git commit -q -a -m "second commit"
git log --stat --format='%H %an <%ae> %ad %s' --date=iso
git diff HEAD~1 --stat
git cat-file -p HEAD
git status --porcelain
git rev-list --count HEAD
git show HEAD:a.txt
"""


@test
def test_output_git(ctx):
    if not shutil.which("git"):
        ctx.note("git not installed, skipped")
        return
    home = os.path.join(ctx.tmp, "home")
    os.makedirs(home)
    env = {"HOME": home, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.com",
           "GIT_AUTHOR_DATE": "2020-01-02T03:04:05+0000",
           "GIT_COMMITTER_NAME": "Test Committer", "GIT_COMMITTER_EMAIL": "committer@example.com",
           "GIT_COMMITTER_DATE": "2020-01-02T03:04:05+0000", "GIT_PAGER": "cat", "PAGER": "cat"}
    repo = os.path.join(ctx.tmp, "repo")       # same path for both runs
    results = []
    for preload in (False, True):
        shutil.rmtree(repo, ignore_errors=True)
        os.makedirs(repo)
        results.append(ctx.run(["bash", "-c", GIT_SCRIPT], preload=preload, env=env, cwd=repo))
    plain, pre = results
    ctx.check(plain.rc == 0, f"plain git script failed: {plain.err[-300:]}")
    ctx.same_output(plain, pre, what="git script")
    reps = ctx.reports_in(ctx.outdir())
    cmds = [os.path.basename(r.get("command", ["?"])[0]) for r in reps.values()
            if isinstance(r.get("command"), list) and r["command"]]
    ctx.check(cmds.count("git") >= 8, f"expected a report from each of the >= 8 git processes, "
              f"got commands {sorted(cmds)}")
    for pid, r in reps.items():
        check_basic(ctx, r, pid, "exit", label=f"r.{pid}.json: ")


PIPELINE = ('seq 1 20000 | sort -r | head -5 | wc -l; '
            '(cd /; for i in 1 2 3; do echo sub $i; done | tac); '
            'x=$(seq 1 100 | awk \'{s += $1} END {print s}\'); echo "sum $x"')


@test
def test_output_bash_pipeline(ctx):
    """A bash pipeline with forks and execs: identical output; each process
    writes its own report (RETAIN_OUTPUT=<dir>/r.%p)."""
    argv = ["bash", "-c", PIPELINE]
    plain = ctx.run(argv, preload=False)
    pre = ctx.run(argv)
    ctx.check(plain.out == b"5\nsub 3\nsub 2\nsub 1\nsum 5050\n", f"plain output {plain.out!r}")
    ctx.same_output(plain, pre, what="bash pipeline")
    reps = ctx.reports_in(ctx.outdir())
    ctx.check(pre.pid in reps, f"no report from the top-level bash (pid {pre.pid}); "
              f"reports from pids {sorted(reps)}")
    cmds = {}
    for pid, r in reps.items():
        check_basic(ctx, r, pid, "exit", label=f"r.{pid}.json: ")
        c = r.get("command")
        if isinstance(c, list) and c and isinstance(c[0], str):
            cmds.setdefault(os.path.basename(c[0]), []).append(pid)
    ctx.check(len(reps) >= 7, f"only {len(reps)} reports from the pipeline's processes: {cmds}")
    for want in ("seq", "head", "wc", "tac", "awk"):
        ctx.check(want in cmds, f"no report from `{want}` (reports: {cmds})")
    ctx.check(len(cmds.get("bash", [])) >= 2,
              f"no report from a forked bash subshell (bash reports: {cmds.get('bash')})")


def edge_test(ctx, name):
    """Runs the self-checking program `name` plain, then preloaded with the
    default sampling and with RETAIN_SAMPLE=0: it passes its own checks each
    time and prints the same output."""
    exe = ctx.bin(name)
    plain = ctx.run([exe], preload=False)
    ctx.check(plain.rc == 0, f"{name} fails even without the preload: {fail_lines(plain.out)}")
    for env, label in (({}, "default"), ({"RETAIN_SAMPLE": "0"}, "RETAIN_SAMPLE=0")):
        pre = ctx.run([exe], env=env, outdir=ctx.outdir(label.replace("=", "-")))
        ctx.same_output(plain, pre, what=f"{name} ({label})")
        ctx.check(pre.rc == 0, f"{name} ({label}) failed checks: {fail_lines(pre.out)}")


@test
def test_edge_malloc(ctx):
    edge_test(ctx, "edge")


@test
def test_edge_cxx(ctx):
    edge_test(ctx, "edge_cxx")


def fail_lines(out):
    lines = [l for l in out.decode("utf-8", "replace").splitlines() if l.startswith("FAIL")]
    return "; ".join(lines[:6]) or "(no FAIL lines)"


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


def dl_run(ctx):
    exe = ctx.bin("dlprog")
    plain = ctx.run([exe], preload=False)
    if plain.out.startswith(b"skip"):
        ctx.note(plain.out.decode().strip())
        return None, None
    pre = ctx.run([exe], env={"RETAIN_SAMPLE": "0"})
    ctx.same_output(plain, pre)
    ctx.check(b"libexpat unloaded: yes" in plain.out, f"libexpat was not unloaded: {plain.out!r}")
    rep = ctx.report(ctx.outdir(), pre.pid)
    check_basic(ctx, rep, pre.pid, "exit", "dlprog")
    return rep, pre


def expat_frames(rep):
    """(site, the frames inside the unloaded library) for sites naming use_expat."""
    out = []
    for s in rep.get("sites") or []:
        fr = frames(s)
        idx = [i for i, f in enumerate(fr) if f.get("function") == "use_expat"]
        if idx:
            out.append((s, fr[:idx[0]]))
    return out


@test
def test_dlclose(ctx):
    """Blocks allocated inside a library that is dlclose'd before the report
    (another one loaded after it): the report is written, valid, counts the
    blocks, and does not give their frames to the library loaded later."""
    rep, pre = dl_run(ctx)
    if rep is None:
        return
    got, matched = site_sum(rep, "use_expat")
    ctx.check(got["allocations"] >= 6 and got["frees"] >= 1 and got["live_bytes"] > 0,
              f"use_expat sites: {got} (expected >= 6 allocations, >= 1 free, live bytes)")
    for s, inner in expat_frames(rep):
        wrong = [f.get("module") for f in inner if "yaml" in str(f.get("module"))
                 or "yaml" in str(f.get("function"))]
        ctx.check(not wrong, f"site {s.get('id')}: frames in the unloaded libexpat attributed to {wrong[:2]}")
    got, _ = site_sum(rep, "use_yaml")
    ctx.check(got["allocations"] >= 2, f"use_yaml sites: {got}")
    check_totals(ctx, rep)


@test
def test_dlclose_modules(ctx):
    """DESIGN section 3: "Record each module's path, load address and build-id
    so a report can be symbolized again offline".  Frames captured inside a
    library that was unloaded before the report still name that library, and
    the modules list has it."""
    rep, pre = dl_run(ctx)
    if rep is None:
        return
    bad = []
    for s, inner in expat_frames(rep):
        if not inner:
            bad.append(f"site {s.get('id')}: no frame inside libexpat")
            continue
        m = inner[-1].get("module")
        if not (isinstance(m, str) and os.path.basename(m).startswith("libexpat")):
            bad.append(f"site {s.get('id')}: frame {inner[-1].get('address')} has module {m!r}, "
                       f"function {inner[-1].get('function')!r}")
    ctx.check(not bad, f"{len(bad)} use_expat site(s) lose libexpat: {'; '.join(bad[:2])}")
    mods = [m.get("path") for m in rep.get("modules") or []]
    ctx.check(any("libexpat" in str(p) for p in mods), f"modules list lacks libexpat: {mods}")


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
    handlers), a report with reason "exit" written."""
    exit_test(ctx, "_exit", 3)


@test
def test_exit_Exit(ctx):
    exit_test(ctx, "_Exit", 4)


@test
def test_exit_quick(ctx):
    """quick_exit(6): the program's at_quick_exit handler runs (and flushes
    stdout), status kept, and a report with reason "exit" is written."""
    exit_test(ctx, "quick_exit", 6, "flushed before quick_exit\nstill in the stdio buffer\n"
                                     "at_quick_exit handler ran\n")


@test
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


def memcached_client(port):
    """A minimal memcached text-protocol client: (send, roundtrip)."""
    import socket
    deadline = time.monotonic() + 10
    while True:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=10)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)

    def roundtrip(cmd, end=b"END\r\n"):
        conn.sendall(cmd)
        data = b""
        while not data.endswith(end):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        return data
    return conn, roundtrip


@test
def test_real_server_memcached(ctx):
    """A real server nobody here wrote: Debian's memcached under the preload,
    filled with 600,000 keys over its text protocol, then emptied.  memcached
    never shrinks its hash table, so a report asked for by SIGUSR2 while it
    serves must flag a table of at least 1 MiB (pointer probe, peak >= 0.5,
    now <= 0.05, live); the server keeps answering; SIGTERM ends it with an
    exit report that still holds the finding."""
    import socket
    exe = shutil.which("memcached")
    if not ctx.check(exe, "memcached is not installed (tools/install-deps.sh installs it)"):
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    od = ctx.outdir()
    argv = [exe, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "256", "-t", "2"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]
    proc = ctx.start(argv, outdir=od)
    w = Watcher(ctx, proc, os.path.join(od, f"r.{proc.pid}.json"))
    n = 600_000
    try:
        conn, roundtrip = memcached_client(port)
        for i in range(0, n, 2000):
            conn.sendall(b"".join(b"set key%08d 0 0 8 noreply\r\nvalue%03d\r\n" % (j, j % 1000)
                                  for j in range(i, min(n, i + 2000))))
        stats = roundtrip(b"stats\r\n")
        items = int(re.search(rb"STAT curr_items (\d+)", stats).group(1))
        ctx.check(items == n, f"memcached holds {items} items after {n} sets")
        time.sleep(1.3)
        for i in range(0, n, 2000):
            conn.sendall(b"".join(b"delete key%08d noreply\r\n" % j for j in range(i, min(n, i + 2000))))
        stats = roundtrip(b"stats\r\n")
        items = int(re.search(rb"STAT curr_items (\d+)", stats).group(1))
        ctx.check(items == 0, f"memcached holds {items} items after deleting them all")
        time.sleep(1.5)
        proc.signal(signal.SIGUSR2)
        end = time.monotonic() + 30
        while time.monotonic() < end and not any(r.get("reason") == "signal" for _, _, r in w.seen):
            w.poll()
            time.sleep(0.05)
        answer = roundtrip(b"set alive 0 0 2\r\nok\r\nget alive\r\n")
        ctx.check(b"VALUE alive 0 2\r\nok\r\nEND" in answer,
                  f"memcached stopped answering after the signal report: {answer[-80:]!r}")
        conn.close()
    finally:
        proc.signal(signal.SIGTERM)
        res = w.finish("memcached", 60)
    sig = [r for _, running, r in w.seen if running and r.get("reason") == "signal"]
    if not ctx.check(sig, f"no 'signal' report while memcached ran "
                          f"(seen {[r.get('reason') for _, _, r in w.seen]})"):
        return

    def table(rep, live):
        return [f for f in rep.get("findings", [])
                if f.get("capacity_bytes", 0) >= 1 << 20 and f.get("probe") == "pointer"
                and f.get("peak_occupancy", 0) >= 0.5 and f.get("occupancy", 1) <= 0.05
                and f.get("live") is live]
    ctx.check(table(sig[0], True), f"signal report does not flag memcached's hash table: "
              f"{[(f.get('capacity_bytes'), f.get('probe'), f.get('peak_occupancy'), f.get('occupancy')) for f in sig[0].get('findings', [])]}")
    ctx.check(res.rc == 0, f"memcached exited {res.rc} on SIGTERM; stderr {res.err.strip()[-200:]!r}")
    final = ctx.report(od, res.pid)
    check_basic(ctx, final, res.pid, "exit", "memcached", label="exit report: ")
    ctx.check(table(final, True), "exit report lost the hash-table finding")


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
    line naming the path, no stray files."""
    exe = ctx.bin("hello")
    path = "/nonexistent/x/r"
    cwd = os.path.join(ctx.tmp, "cwd")
    os.makedirs(cwd)
    plain = ctx.run([exe, "3"], preload=False, cwd=cwd)
    pre = ctx.run([exe, "3"], env={"RETAIN_OUTPUT": path, "RETAIN_QUIET": "1"}, cwd=cwd,
                  expect_report=False)
    ctx.same_output(plain, pre, what="hello 3 with an unwritable RETAIN_OUTPUT")
    lines = stderr_lines(pre.err, path)
    ctx.check(len(lines) == 1, f"{len(lines)} stderr lines mention {path} (expected 1); stderr: "
              f"{pre.err.strip()[:300]!r}")
    # RETAIN_QUIET only silences the summary: without it the error must still be there
    loud = ctx.run([exe, "3"], env={"RETAIN_OUTPUT": path}, cwd=cwd, expect_report=False)
    ctx.same_output(plain, loud, what="hello 3 with an unwritable RETAIN_OUTPUT, not quiet")
    ctx.check(stderr_lines(loud.err, path), f"no stderr line mentions {path}: {loud.err[:300]!r}")
    ctx.check(os.listdir(cwd) == [], f"files left in the working directory: {os.listdir(cwd)}")

    # Repeated failures (periodic reports, a signal report, the exit report)
    # still give one line: DESIGN section 6, "write errors to stderr once".
    busy = ctx.bin("busy")
    proc = ctx.start([busy, "2500"], env={"RETAIN_OUTPUT": path, "RETAIN_QUIET": "1",
                                          "RETAIN_REPORT_INTERVAL": "1"}, cwd=cwd)
    time.sleep(1.3)
    proc.signal(signal.SIGUSR2)
    res = proc.wait(60)
    ctx.check(res.rc == 0 and res.out == b"busy for 2500 ms\ndone, 3 threads\n",
              f"busy with an unwritable RETAIN_OUTPUT: rc {res.rc}, output {res.out!r}")
    lines = stderr_lines(res.err, path)
    ctx.check(len(lines) == 1, f"busy with periodic, signal and exit reports to {path}: {len(lines)} "
              f"stderr lines mention it (expected 1): {lines[:4]}")


@test
def test_offline_symbolize(ctx):
    """A stripped program: its frames have no names, but keep module and
    offset; tools/retain-symbolize, given the unstripped copy, names them
    (alloc_alpha at sites.c), and the report still conforms."""
    exe = os.path.join(ctx.tmp, "sites_stripped")
    shutil.copy(ctx.bin("sites"), exe)
    subprocess.run(["strip", "--strip-all", exe], check=True)
    od = ctx.outdir()
    res = ctx.run([exe], env={"RETAIN_SAMPLE": "0"}, outdir=od)
    path = os.path.join(od, f"r.{res.pid}.json")
    rep = ctx.report(od, res.pid)
    names = {f.get("function") for s in rep.get("sites", []) for f in frames(s)}
    ctx.check("alloc_alpha" not in names, "the stripped binary's frames were named without symbols")
    own = [f for s in rep.get("sites", []) for f in frames(s) if f.get("module") == exe]
    ctx.check(own and all(isinstance(f.get("offset"), str) and f["offset"].startswith("0x") for f in own),
              f"frames in the stripped binary lack offsets: {own[:2]}")
    out = os.path.join(ctx.tmp, "named.json")      # not a report directory
    tool = os.path.join(REPO, "tools", "retain-symbolize")
    r = subprocess.run([sys.executable, tool, path, "-o", out, "--file", f"{exe}={ctx.bin('sites')}"],
                       capture_output=True, text=True, timeout=120)
    if not ctx.check(r.returncode == 0 and os.path.exists(out), f"retain-symbolize failed: {r.stderr[-300:]}"):
        return
    ctx.snapshots.append(out)
    with open(out) as f:
        named = json.load(f)
    alpha = [f for s in named.get("sites", []) for f in frames(s) if f.get("function") == "alloc_alpha"]
    ctx.check(alpha and all(str(f.get("file", "")).endswith("sites.c") and f.get("line", 0) > 0 for f in alpha),
              f"alloc_alpha not named with sites.c:line after retain-symbolize: {alpha[:1]}")


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
def test_no_debuginfod(ctx):
    """DEBUGINFOD_URLS in the environment (Debian and Ubuntu can set it in
    login shells, gdb users set it): writing a report must not make the
    profiled process contact a debuginfod server (network traffic and
    downloads from inside the host; with a slow or unreachable server its exit
    waits for the client's timeouts).  The server here is a local thread that
    records each request and answers 404 at once."""
    import socket
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    srv.settimeout(0.1)
    port = srv.getsockname()[1]
    requests, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except (socket.timeout, OSError):
                continue
            try:
                conn.settimeout(2)
                requests.append(conn.recv(300).split(b"\r\n")[0].decode("latin-1"))
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                requests.append("(connection, no request)")
            finally:
                conn.close()

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    try:
        env = {"DEBUGINFOD_URLS": f"http://127.0.0.1:{port}/", "DEBUGINFOD_TIMEOUT": "2",
               "DEBUGINFOD_CACHE_PATH": os.path.join(ctx.tmp, "debuginfod-cache")}
        argv = ["bash", "-c", "(echo sub); echo top"]     # bash has no debug info here
        plain = ctx.run(argv, preload=False, env=env)
        pre = ctx.run(argv, env=env, timeout=120)
        ctx.same_output(plain, pre, what="bash -c '(echo sub); echo top'")
    finally:
        stop.set()
        th.join(5)
        srv.close()
    ctx.check(not requests, f"{len(requests)} requests to the debuginfod server from the profiled "
              f"processes (e.g. {requests[:1]})")


@test
def test_summary_quiet(ctx):
    """A one-line summary on stderr at exit, none with RETAIN_QUIET=1;
    never anything on stdout."""
    exe = ctx.bin("hello")
    plain = ctx.run([exe], preload=False)
    ctx.check(plain.err == "", f"plain hello wrote to stderr: {plain.err!r}")
    for env, label in (({}, "RETAIN_QUIET unset"), ({"RETAIN_QUIET": "0"}, "RETAIN_QUIET=0")):
        loud = ctx.run([exe], env=env)
        ctx.same_output(plain, loud, what=f"hello ({label})")
        n = len(loud.err.splitlines())
        ctx.check(n == 1, f"{label}: {n} stderr lines, expected the one-line summary: {loud.err[:300]!r}")
    quiet = ctx.run([exe], env={"RETAIN_QUIET": "1"})
    ctx.same_output(plain, quiet, what="hello (RETAIN_QUIET=1)")
    ctx.check(quiet.err == "", f"RETAIN_QUIET=1 but stderr has {quiet.err[:300]!r}")


# --------------------------------------------------------------------------

def main():
    global VERBOSE, LIB
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", action="append", default=[], help="run tests whose name contains this")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--lib", help="the library to preload (default: libretain.so in the repository)")
    args = ap.parse_args()
    VERBOSE = args.verbose
    if args.lib:
        LIB = os.path.abspath(args.lib)
    selected = [(n, f) for n, f in TESTS if not args.k or any(k in n for k in args.k)]
    if args.list:
        for n, f in selected:
            print(n)
        return 0
    passed = failed = 0
    t0 = time.monotonic()
    if not os.path.exists(CHECKER):
        print(f"# note: {CHECKER} absent: report contract checks skipped")
    for name, fn in selected:
        tmp = tempfile.mkdtemp(prefix=f"retain-{name}-")
        ctx = Ctx(name, tmp)
        start = time.monotonic()
        try:
            fn(ctx)
        except Fatal:
            pass
        except Exception as e:  # a harness bug or an unexpected report shape
            ctx.problems.append(f"exception {type(e).__name__}: {e}")
        try:
            contract_check(ctx)
        except Exception as e:
            ctx.problems.append(f"contract check raised {type(e).__name__}: {e}")
        took = time.monotonic() - start
        if ctx.problems:
            failed += 1
            msg = "; ".join(ctx.problems[:6])
            if len(ctx.problems) > 6:
                msg += f"; ... and {len(ctx.problems) - 6} more"
            msg = " ".join(msg.split("\n"))
            print(f"FAIL {name}: {msg}", flush=True)
        else:
            passed += 1
            extra = f"  ({'; '.join(ctx.notes)})" if ctx.notes else ""
            print(f"PASS {name}{extra}", flush=True)
        if VERBOSE:
            print(f"  [{name}] {took:.1f}s, files in {tmp}")
        if args.keep:
            print(f"  [{name}] kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"# {time.monotonic() - t0:.1f}s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(1)
