#!/usr/bin/env python3
"""Runs the shim's suite and the corpus against the UBSan build of the
preloaded library (build/ubsan/libretain.so, `make ubsan`), with UBSan's
reports written to files, and fails when any report appears.

    python3 tests/run_ubsan.py [-j N] [--keep] [--no-corpus] [-- HARNESS ARGS...]

The library is built with -fno-sanitize-recover, so the first undefined
behaviour in a process ends it (exit status 1) and the test that ran it
fails on its own; the report files say why, and are printed at the end.
UBSAN_OPTIONS sends them to a fresh directory (log_path), so the programs'
own stderr, which the suite compares with plain runs, stays untouched.
First a canary, a program with one signed overflow built against the same
runtime, must leave its report there (else reports would go unseen).
Ends with one line `N passed, N failed`: the canary and the harnesses'
counts, plus one failure per report file.  Exit status 1 on any failure.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LIB = os.path.join(REPO, "build", "ubsan", "libretain.so")
CANARY = os.path.join(REPO, "build", "ubsan", "canary")


def canary_reports(options_for):
    """Runs the canary (one signed overflow) under the library; returns a
    problem, or None when its report reached log_path and it failed."""
    d = tempfile.mkdtemp(prefix="retain-ubsan-canary.")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RETAIN_")}
        env.update(UBSAN_OPTIONS=options_for(d), LD_PRELOAD=LIB,
                   RETAIN_OUTPUT=os.path.join(d, "r.%p"), RETAIN_QUIET="1")
        r = subprocess.run([CANARY, "2147483647"], env=env, capture_output=True, timeout=60)
        logs = [f for f in os.listdir(d) if f.startswith("ubsan.")]
        text = "".join(open(os.path.join(d, f), errors="replace").read() for f in logs)
        if "signed integer overflow" not in text:
            return f"no report in log_path (files {sorted(os.listdir(d))}, stderr {r.stderr[-300:]!r})"
        if r.returncode == 0:
            return "the overflow did not end the program (recovery is on)"
        return None
    finally:
        shutil.rmtree(d, ignore_errors=True)


def run_harness(argv, env):
    """Streams one harness's output; returns (passed, failed, exit status)."""
    print(f"== {' '.join(os.path.relpath(a) if os.path.exists(a) else a for a in argv[1:])}",
          flush=True)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace", env=env)
    last = None
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        m = re.fullmatch(r"(\d+) passed, (\d+) failed.*", line.strip())
        if m:
            last = m
    rc = proc.wait()
    if last is None:
        print(f"no 'N passed, N failed' line (exit {rc})")
        return 0, 1, rc
    return int(last.group(1)), int(last.group(2)), rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-j", "--jobs", type=int, help="passed to both harnesses (make test-ubsan JOBS=N)")
    ap.add_argument("--keep", action="store_true", help="keep the report directory")
    ap.add_argument("--no-corpus", action="store_true", help="the shim's suite only")
    ap.add_argument("harness_args", nargs="*", help="passed to tests/run_tests.py (e.g. -k NAME)")
    args = ap.parse_args()
    if not os.path.exists(LIB) or not os.path.exists(CANARY):
        print(f"{LIB} or the canary does not exist: run make ubsan first", file=sys.stderr)
        return 2

    # halt_on_error is implied by -fno-sanitize-recover; print_stacktrace
    # names the path to the bad operation.
    def options_for(d):
        return f"log_path={d}/ubsan:print_stacktrace=1:halt_on_error=1"

    problem = canary_reports(options_for)
    print(f"{'FAIL' if problem else 'PASS'} ubsan_canary" + (f": {problem}" if problem else ""),
          flush=True)
    reports = tempfile.mkdtemp(prefix="retain-ubsan.")
    env = dict(os.environ)
    env["UBSAN_OPTIONS"] = options_for(reports)
    env["CORPUS_LIB"] = LIB
    # Tests that a sanitizer runtime cannot live through (it exits when its
    # own mmap fails) ask for this and say they are skipped.
    env["LIBRETAIN_TEST_SANITIZER"] = "ubsan"
    jobs = ["-j", str(args.jobs)] if args.jobs else []
    runs = [[sys.executable, os.path.join(HERE, "run_tests.py"), "--lib", LIB] + jobs + args.harness_args]
    if not args.no_corpus and not args.harness_args:
        runs.append([sys.executable, os.path.join(HERE, "corpus", "run_corpus.py")] + jobs)
    passed, failed = (0, 1) if problem else (1, 0)
    ok = True
    for argv in runs:
        p, f, rc = run_harness(argv, env)
        passed += p
        failed += f
        ok = ok and rc == 0
    found = sorted(os.listdir(reports))
    for name in found:
        print(f"FAIL UBSan report {name}:")
        with open(os.path.join(reports, name), errors="replace") as fh:
            sys.stdout.write(fh.read())
    failed += len(found)
    print(f"UBSan: {len(found)} report(s)" + (f" in {reports}" if found and args.keep else ""))
    if args.keep:
        print(f"reports kept in {reports}")
    else:
        shutil.rmtree(reports, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if ok and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
