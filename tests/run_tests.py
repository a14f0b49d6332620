#!/usr/bin/env python3
"""libretain's shim tests: runs every test in tests/test_*.py via tests/harness.py.

Run from the repository root after `make libretain.so test-progs`:

    python3 tests/run_tests.py [-k SUBSTRING]... [-j N] [-v] [--keep] [--list] [--lib PATH]

Each test prints `PASS name` or `FAIL name: reason` as it ends; the last line
is `N passed, N failed` and the exit status is 1 if any failed.  Tests are
not written here: tests/README.md says where a new one goes.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402  (after the path is set)

if __name__ == "__main__":
    harness.run()
