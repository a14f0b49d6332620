#!/usr/bin/env python3
"""CPython's own regression tests as a real workload for libretain.

    python3 tests/check_real.py [--python /usr/bin/python3.11] [--lib libretain.so]
                                [--timeout SECONDS] [--budget SECONDS] [--env VAR=VALUE]
                                [--keep] [MODULE ...]

Runs each test module of CPython's regression suite (Debian's
libpython3.11-testsuite) twice with `python3.11 -m test -j1 -v MODULE`: plain,
then under LD_PRELOAD=libretain.so with RETAIN_OUTPUT in a temporary
directory.  `-j1` runs the module in a worker process, as CPython's own `make
test` does: the worker's output is parsed by the runner, so anything the
library adds to stdout or stderr shows.  Every run has a hard timeout (the
whole process group is killed; a hang is a difference, never a stuck check),
and the whole check a budget (--budget): modules it leaves no time for count
as differences, so a library that hangs everywhere costs CI 25 minutes, not
hours.

Per module it compares what the two runs report: the runner's verdict (OK,
failed, crashed, timed out), unittest's counts (tests run, failures, errors,
skipped) and the names of the tests that failed or errored.  The exit status
is 1 if any module gives a different result preloaded than plain.  No test
reaches beyond loopback: regrtest's resources (-u) stay off, so the network
tests are skipped in both runs.

Python 3 standard library only.  Timings are printed per run; tests/README.md
says how long the whole check takes and why it is not part of `make test`.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = ["test_threading", "test_subprocess", "test_signal", "test_os", "test_json",
           "test_dict", "test_set", "test_gc", "test_weakref", "test_mmap"]


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RETAIN_") and not k.startswith("DEBUGINFOD_")
           and k not in ("LD_PRELOAD", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["LC_ALL"] = "C.UTF-8"
    env["LANG"] = "C.UTF-8"
    if extra:
        env.update(extra)
    return env


def run_module(python, module, env, timeout, workdir, log_path):
    """One `python -m test -j1 -v module` run; returns (returncode or None
    when it had to be killed, seconds, output text)."""
    # regrtest's own --timeout ends a stuck worker a little before ours ends
    # the whole session, so that its verdict ("timed out") is still printed.
    argv = [python, "-m", "test", "-j1", "-v", f"--timeout={max(30, timeout - 30)}", module]
    start = time.monotonic()
    with open(log_path, "wb") as log:
        # SIGINT back to its default: a check started in the background
        # inherits it ignored, and test_threading's interrupt_main tests fail
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             env=env, cwd=workdir, start_new_session=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = None
        # a test's grandchildren may outlive the runner: end the whole session
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(1)
        if rc is None:
            p.wait()
    secs = time.monotonic() - start
    with open(log_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return rc, secs, text


RESULT_LINE = re.compile(r"^(\S+) \(([\w.]+)\)(?: \.\.\.|\n.*?\.\.\.)? ?"
                         r"(ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$", re.M)


def summarize(rc, text, module):
    """What a run says about its module: a dict of comparable fields."""
    s = {"verdict": None, "ran": 0, "failures": 0, "errors": 0, "skipped": 0,
         "failed_tests": set(), "stray_lines": []}
    if rc is None:
        s["verdict"] = "killed by the check's timeout"
    m = re.findall(r"^Tests result: (.+)$", text, re.M)
    if m and s["verdict"] is None:
        s["verdict"] = m[-1].strip()
    for line in text.splitlines():
        if re.search(rf"\b{module} (crashed|timed out|failed|skipped|passed|resources? denied)\b", line):
            what = line.split(module, 1)[1].strip()
            # "passed (38.3 sec)", "(1 min 2 sec)": durations differ from run to run
            what = re.sub(r"\s*\((?:\d+ min )?[\d.]+ sec\)", "", what)
            s["verdict"] = (s["verdict"] or "") + f" [{what[:60]}]"
            break
    # unittest's summary: the last "Ran N tests" and the line after it
    for m in re.finditer(r"^Ran (\d+) tests? in [\d.]+s\s*\n\s*\n?(OK|FAILED)(?: \(([^)]*)\))?", text, re.M):
        s["ran"] = int(m.group(1))
        s["failures"] = s["errors"] = s["skipped"] = 0
        for part in (m.group(3) or "").split(","):
            k, _, v = part.strip().partition("=")
            if k in ("failures", "errors", "skipped") and v.isdigit():
                s[k] = int(v)
    hung = re.findall(r"^(\S+) \(([\w.]+)\) \.\.\. Timeout \(", text, re.M)
    if hung:
        s["verdict"] = (s["verdict"] or "") + f" [hung in {hung[-1][1]}]"
    for m in re.finditer(r"^(FAIL|ERROR): (\S+) \(([\w.]+)\)", text, re.M):
        s["failed_tests"].add(f"{m.group(3)}.{m.group(2)}" if not m.group(3).endswith(m.group(2))
                              else m.group(3))
    # lines only a preloaded run can have
    s["stray_lines"] = [l for l in text.splitlines() if l.startswith("libretain[")]
    return s


KNOWN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_real_known.txt")


def known_differences():
    """Tests that fail only preloaded for a reason README's "What it changes
    in the program" states: `test.module.Class.test_name  reason` a line."""
    known = {}
    if os.path.exists(KNOWN):
        for line in open(KNOWN):
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, why = line.partition(" ")
                known[name] = why.strip()
    return known


def differences(plain, pre, known=None):
    """What differs, and which known differences explain the rest: a test in
    `known` that fails only preloaded is set aside (with its failure in the
    counts and the verdict), never a test that fails for another reason."""
    out = []
    known = known or {}
    excused = sorted((pre["failed_tests"] - plain["failed_tests"]) & set(known))
    if excused:
        pre = dict(pre, failed_tests=pre["failed_tests"] - set(excused))
        n = len(excused)
        if pre["failures"] + pre["errors"] - n == plain["failures"] + plain["errors"]:
            pre["failures"], pre["errors"] = plain["failures"], plain["errors"]
            if not pre["failed_tests"] - plain["failed_tests"]:
                pre["verdict"] = plain["verdict"]
    for k in ("verdict", "ran", "failures", "errors", "skipped"):
        if plain[k] != pre[k]:
            out.append(f"{k}: plain {plain[k]!r}, preloaded {pre[k]!r}")
    only_pre = sorted(pre["failed_tests"] - plain["failed_tests"])
    only_plain = sorted(plain["failed_tests"] - pre["failed_tests"])
    if only_pre:
        out.append(f"failed only preloaded ({len(only_pre)}): {', '.join(only_pre[:8])}"
                   f"{' ...' if len(only_pre) > 8 else ''}")
    if only_plain:
        out.append(f"failed only plain ({len(only_plain)}): {', '.join(only_plain[:8])}")
    return out, excused


def fmt(s):
    return (f"{s['verdict']}; ran {s['ran']}, failures {s['failures']}, errors {s['errors']}, "
            f"skipped {s['skipped']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", default=MODULES)
    ap.add_argument("--python", default="/usr/bin/python3.11",
                    help="the interpreter whose test suite runs (Debian's, with libpython3.11-testsuite)")
    ap.add_argument("--lib", default=os.path.join(REPO, "libretain.so"))
    ap.add_argument("--timeout", type=int, default=300, help="hard timeout per run, seconds")
    ap.add_argument("--budget", type=int, default=1500,
                    help="seconds for the whole check: a module not started in time is a difference")
    ap.add_argument("--keep", action="store_true", help="keep the logs and reports")
    ap.add_argument("--env", action="append", default=[], metavar="VAR=VALUE",
                    help="also set this in the preloaded runs (e.g. RETAIN_QUIET=1)")
    args = ap.parse_args()
    lib = os.path.abspath(args.lib)
    if not os.path.exists(lib):
        print(f"{lib} not built (run `make libretain.so`)")
        return 2
    probe = subprocess.run([args.python, "-c", "import test.test_threading"], capture_output=True,
                           env=clean_env(), timeout=120)
    if probe.returncode != 0:
        print(f"{args.python} has no regression tests (Debian: apt-get install libpython3.11-testsuite)")
        return 2
    tmp = tempfile.mkdtemp(prefix="retain-check-real-")
    reports = os.path.join(tmp, "reports")
    os.makedirs(reports)
    differ = []
    known = known_differences()
    totals = {"plain": 0.0, "preloaded": 0.0}
    t0 = time.monotonic()
    deadline = t0 + args.budget
    for module in args.modules:
        results = {}
        if deadline - time.monotonic() < 2 * 60:
            differ.append(module)
            print(f"DIFF {module}: not run, the check's budget of {args.budget} s is spent", flush=True)
            continue
        for mode in ("plain", "preloaded"):
            work = os.path.join(tmp, f"{module}-{mode}")
            os.makedirs(work)
            extra = {}
            if mode == "preloaded":
                extra = {"LD_PRELOAD": lib, "RETAIN_OUTPUT": os.path.join(reports, "r.%p")}
                extra.update(kv.split("=", 1) for kv in args.env)
            timeout = int(max(60, min(args.timeout, deadline - time.monotonic())))
            rc, secs, text = run_module(args.python, module, clean_env(extra), timeout, work,
                                        os.path.join(tmp, f"{module}-{mode}.log"))
            totals[mode] += secs
            results[mode] = summarize(rc, text, module)
            print(f"  {module:16} {mode:9} {secs:7.1f}s  {fmt(results[mode])}", flush=True)
        diff, excused = differences(results["plain"], results["preloaded"], known)
        stray = results["preloaded"]["stray_lines"]
        if diff:
            differ.append(module)
            print(f"DIFF {module}: " + "; ".join(diff), flush=True)
        else:
            print(f"SAME {module}", flush=True)
        for name in excused:
            print(f"  known: {name} fails only preloaded: {known[name]}", flush=True)
        if stray:   # the runner's own summary line at least, while that is the default
            print(f"  note: {len(stray)} libretain line(s) in the output, e.g. {stray[0][:100]!r}")
    n_reports = len([n for n in os.listdir(reports) if n.endswith(".json")])
    print(f"# {time.monotonic() - t0:.0f}s in all: plain {totals['plain']:.0f}s, preloaded "
          f"{totals['preloaded']:.0f}s; {n_reports} reports written")
    print(f"{len(args.modules) - len(differ)} same, {len(differ)} differ"
          f"{': ' + ' '.join(differ) if differ else ''}")
    if args.keep:
        print(f"# logs and reports kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
