#!/usr/bin/env python3
"""Runs every test harness (the C unit tests, the shim's suite, then the
corpus), streaming their output, and ends with one line `N passed, N failed`
over all of them.
Exit status 1 if any harness failed or did not report its counts.

    python3 tests/run_all.py [-j N]     # make test [JOBS=N]

-j N is passed to each: the unit tests run N at a time (default 1), the
shim tests N at a time (default: the number of CPUs), the corpus N programs
at a time (default 2)."""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESSES = [os.path.join(HERE, "unit", "run_units.py"), os.path.join(HERE, "run_tests.py"),
             os.path.join(HERE, "corpus", "run_corpus.py")]


def main():
    ap = argparse.ArgumentParser(description="Runs the unit tests, the shim tests and the corpus.")
    ap.add_argument("-j", "--jobs", type=int, help="tests (and corpus programs) run at once")
    args = ap.parse_args()
    extra = ["-j", str(args.jobs)] if args.jobs else []
    passed = failed = 0
    ok = True
    for h in HARNESSES:
        print(f"== {os.path.relpath(h)}", flush=True)
        proc = subprocess.Popen([sys.executable, h] + extra, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")
        last = None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            m = re.fullmatch(r"(\d+) passed, (\d+) failed.*", line.strip())
            if m:
                last = m
        rc = proc.wait()
        if last is None:
            print(f"{os.path.relpath(h)}: no 'N passed, N failed' line (exit {rc})")
            ok = False
            failed += 1
            continue
        passed += int(last.group(1))
        failed += int(last.group(2))
        ok = ok and rc == 0
    print(f"{passed} passed, {failed} failed")
    return 0 if ok and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
