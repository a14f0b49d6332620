"""Python containers that keep their tables after most entries go, for
tests/test_python.py.  `python py_retain.py MODE`; each mode prints
`GROW <file>:<line>` for the line where its container grows, then what it
computed (the same with and without the preload).

Modes: dict, set, attrs (a class instance's attribute dict), thread (a dict
filled and drained on a second thread), ctypes (an 8 MiB block malloc'd by C
code called from Python, GIL held), stress (threads allocating large and
small objects; no holds)."""
import os
import sys
import threading
import time

HOLD_PEAK = float(os.environ.get("PY_RETAIN_HOLD", "0.8"))
HOLD_DRAINED = HOLD_PEAK * 1.5
HERE = os.path.basename(__file__)


def grow_line(tag):
    """The line (in this file) that carries the marker comment `# GROW:tag`."""
    with open(__file__) as f:
        for i, line in enumerate(f, 1):
            if line.rstrip().endswith("# GROW:" + tag):
                return i
    raise SystemExit("no marker " + tag)


def fill_dict(n):
    d = {}
    for i in range(n):
        d[i] = i  # GROW:dict
    return d


def fill_set(n):
    s = set()
    for i in range(n):
        s.add(i)  # GROW:set
    return s


class Session:
    pass


def fill_attrs(n):
    o = Session()
    for i in range(n):
        setattr(o, "a%d" % i, i)  # GROW:attrs
    return o


def drain_dict(d, keep_every):
    for k in [k for k in d if k % keep_every]:
        del d[k]


def mode_dict():
    d = fill_dict(700_000)
    time.sleep(HOLD_PEAK)
    drain_dict(d, 100)
    time.sleep(HOLD_DRAINED)
    return len(d)


def mode_set():
    s = fill_set(400_000)
    time.sleep(HOLD_PEAK)
    for i in range(400_000):
        if i % 100:
            s.discard(i)
    time.sleep(HOLD_DRAINED)
    return len(s)


def mode_attrs():
    o = fill_attrs(300_000)
    time.sleep(HOLD_PEAK)
    for i in range(300_000):
        if i % 100:
            delattr(o, "a%d" % i)  # GROW:attrs-split
    time.sleep(HOLD_DRAINED)
    return len(vars(o))


def mode_thread():
    out = []
    t = threading.Thread(target=lambda: out.append(mode_dict()), name="filler")
    t.start()
    t.join()
    return out[0]


def mode_ctypes():
    import ctypes
    libc = ctypes.PyDLL(None)           # a C call that keeps the GIL, as C extensions do
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    p = libc.malloc(8 << 20)  # GROW:ctypes
    ctypes.memset(p, 1, 8 << 20)
    time.sleep(0.2)
    libc.free(p)
    return 8 << 20


def mode_stress():
    seconds = float(os.environ.get("PY_RETAIN_SECONDS", "3"))
    results = [0] * 8

    def work(k):
        end = time.monotonic() + seconds
        rounds = 0
        while time.monotonic() < end:
            big = bytearray(300_000 + k)            # large: tracked every time
            small = [str(i) for i in range(200)]    # many small ones
            d = {i: i for i in range(2000)}
            del big, small, d
            rounds += 1
        results[k] = 1 if rounds else 0

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(results)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode != "stress":
        print("GROW %s:%d" % (HERE, grow_line(mode if mode != "thread" else "dict")))
    if mode == "attrs":
        # CPython 3.8-3.10 keep a new instance's attributes in a split-keys
        # dict and build a combined table at the first delattr: that table
        # is the one that is retained, grown here.
        print("GROW %s:%d" % (HERE, grow_line("attrs-split")))
    print("result", globals()["mode_" + mode]())
