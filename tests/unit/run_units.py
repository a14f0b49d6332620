#!/usr/bin/env python3
"""Runs the C unit tests (build/asan/unit/test_*, built by `make unit-progs`
from tests/unit/test_*.c) one after another, printing their output, and ends with one line
`N passed, N failed` summing their checks.

A test whose source exists but whose binary does not, one that prints no
count line, exits non-zero (a sanitizer report aborts it) or runs past the
timeout counts as one more failure.  Exit status 1 if anything failed.

    python3 tests/unit/run_units.py [-j N] [--timeout SECONDS] [BINARY...]

-j N runs N tests at a time (default 1); each test's output is printed whole
when it ends, in the order given.
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
import harness  # noqa: E402  (spawn/communicate: a timed-out test's whole session is killed)
BIN = os.path.join(REPO, "build", "asan", "unit")


def default_binaries():
    names = sorted(f[:-2] for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".c"))
    return [os.path.join(BIN, n) for n in names]


def run_one(path, timeout):
    """Returns (passed, failed, output) for one unit test binary."""
    name = os.path.basename(path)
    lines = [f"== unit {name}"]
    if not os.path.exists(path):
        lines.append(f"FAIL {name}: {os.path.relpath(path, REPO)} not built (make unit-progs)")
        return 0, 1, lines
    env = dict(os.environ)
    # Sanitizer reports end the program with a message on stderr; leaks too.
    env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    proc = harness.spawn([path], env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _, timed_out = harness.communicate(proc, timeout)
    out = out.decode("utf-8", "replace")
    if timed_out:
        lines += out.splitlines()
        lines.append(f"FAIL {name}: timed out after {timeout:.0f} s")
        return 0, 1, lines
    last = None
    for line in out.splitlines():
        lines.append(line)
        m = re.fullmatch(r"(\d+) passed, (\d+) failed", line.strip())
        if m:
            last = m
    if last is None:
        why = f"exit status {proc.returncode}" if proc.returncode >= 0 else f"signal {-proc.returncode}"
        lines.append(f"FAIL {name}: ended ({why}) without its 'N passed, N failed' line: "
                     "a sanitizer report or crash above")
        return 0, 1, lines
    passed, failed = int(last.group(1)), int(last.group(2))
    if proc.returncode != 0 and failed == 0:
        lines.append(f"FAIL {name}: exit status {proc.returncode} with no failed check")
        failed = 1
    return passed, failed, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-j", "--jobs", type=int, default=1, help="tests run at once (default 1)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per test (default 300)")
    ap.add_argument("binaries", nargs="*", help="default: one per tests/unit/test_*.c")
    args = ap.parse_args()
    paths = [os.path.abspath(p) for p in args.binaries or default_binaries()]
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for p, f, lines in pool.map(lambda path: run_one(path, args.timeout), paths):
            print("\n".join(lines), flush=True)
            passed += p
            failed += f
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
