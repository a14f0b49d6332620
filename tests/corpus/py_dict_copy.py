"""n9 py_dict_copy (NEGATIVE): the fix for p5, applied: after deleting most
keys, the program rebuilds the dict (`sessions = dict(sessions)`), which
copies the survivors into a right-sized table; the big keys block is freed
when the old dict goes.

Run by the real interpreter: `python3 tests/corpus/py_dict_copy.py`.

Timeline: 250,000 str keys (a 7.7 MB keys block, like py_dict.py's), hold
1.2 s, delete all but every 200th key, copy the dict (new table ~25 KiB),
hold 1.5 s, exit.  The big block was sparse only between the deletes and
the copy; the interpreter itself keeps no large sparse block: nothing to
flag.
"""
import sys
import time

from corpus_util import HOLD_DRAINED_S, HOLD_PEAK_S, build_sessions, drop_sessions, phase

N = 250_000
KEEP_EVERY = 200


sessions = build_sessions(N)
phase("peak", f"len={len(sessions)} getsizeof={sys.getsizeof(sessions)}")
time.sleep(HOLD_PEAK_S)
drop_sessions(sessions, N, KEEP_EVERY)
sessions = dict(sessions)             # compact: copy the survivors, free the big table
phase("compacted", f"len={len(sessions)} getsizeof={sys.getsizeof(sessions)}")
time.sleep(HOLD_DRAINED_S)
phase("exit", "done")
