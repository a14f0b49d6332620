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

N = 250_000
KEEP_EVERY = 200
T0 = time.monotonic()


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def phase(name, text):
    print(f"CORPUS phase={name} t={time.monotonic() - T0:.3f} rss_kb={rss_kb()} {text}",
          file=sys.stderr, flush=True)


def build_sessions():
    d = {}
    for i in range(N):
        d[f"tok{i:07d}"] = i
    return d


def drop_sessions(d):
    for i in range(N):
        if i % KEEP_EVERY:
            del d[f"tok{i:07d}"]


sessions = build_sessions()
phase("peak", f"len={len(sessions)} getsizeof={sys.getsizeof(sessions)}")
time.sleep(1.2)
drop_sessions(sessions)
sessions = dict(sessions)             # compact: copy the survivors, free the big table
phase("compacted", f"len={len(sessions)} getsizeof={sys.getsizeof(sessions)}")
time.sleep(1.5)
phase("exit", "done")
