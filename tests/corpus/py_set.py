"""p9 py_set (POSITIVE): a CPython set after discard() of most members.

Run by the real interpreter: `python3 tests/corpus/py_set.py`.

CPython 3.11 keeps a set's members in one table of setentry {key, hash}
(16 bytes each, 2**k entries, malloc'd through PyMem_Malloc), replaced by a
larger one by set_table_resize when fill reaches 3/5 of it, never shrunk by
discard.  A discarded entry keeps a pointer to the one shared `dummy` object
as its key and -1 as its hash: every deleted slot holds the same two words,
which still point into mapped memory and are not zero.  Only a "marker"
reading (one value repeated across many slots) sees the drop.

Timeline: remember_urls() adds 500,000 str members "/item/0000000".. (the
table grows to 2**20 entries = 16 MiB), hold 1.2 s, discard all but every
200th (0.5% kept), hold 1.5 s, exit (the set is a module global, freed
during interpreter shutdown).

The truth is read from the set object with ctypes (CPython 3.11 layout):
  occupancy = entries holding a live key (not NULL, not dummy) / table size.
"""
import ctypes
import sys
import time

from corpus_util import HOLD_DRAINED_S, HOLD_PEAK_S, phase, truth

N = 500_000
KEEP_EVERY = 200


def set_table(s):
    """(table address, bytes, entries, live, dummy-marked) of set s."""
    assert sys.version_info[:2] == (3, 11), "layout below is CPython 3.11's"
    rd = lambda addr, t: t.from_address(addr).value
    used = rd(id(s) + 24, ctypes.c_ssize_t)               # PySetObject.used
    mask = rd(id(s) + 32, ctypes.c_ssize_t)
    table = rd(id(s) + 40, ctypes.c_void_p)
    n = mask + 1
    raw = memoryview((ctypes.c_char * (16 * n)).from_address(table)).cast("B").cast("Q")
    keys = raw[0::2]
    dummy = dummy_key()
    dummies = sum(1 for k in keys if k == dummy)
    live = sum(1 for k in keys if k and k != dummy)
    assert live == used, (live, used)
    return table, 16 * n, n, live, dummies


def dummy_key():
    """Address of CPython's shared `dummy` key: discard from a small set and
    read the key its (inline) table keeps."""
    tmp = {"x"}
    tmp.discard("x")
    table = ctypes.c_void_p.from_address(id(tmp) + 40).value
    mask = ctypes.c_ssize_t.from_address(id(tmp) + 32).value
    keys = [ctypes.c_void_p.from_address(table + 16 * i).value for i in range(mask + 1)]
    found = [k for k in keys if k]
    assert len(found) == 1, found
    return found[0]


def remember_urls():
    s = set()
    for i in range(N):
        s.add(f"/item/{i:07d}")
    return s


def forget_urls(s):
    for i in range(N):
        if i % KEEP_EVERY:
            s.discard(f"/item/{i:07d}")


seen = remember_urls()
t, nbytes, n, live, dummies = set_table(seen)
peak = live / n
phase("peak", f"table={t:#x} bytes={nbytes} entries={n} live={live} dummies={dummies} "
      f"occupancy={peak:.4f} getsizeof={sys.getsizeof(seen)}")
time.sleep(HOLD_PEAK_S)

forget_urls(seen)
t2, nbytes2, n2, live2, dummies2 = set_table(seen)
assert t2 == t, "the table must not have been replaced"
occ = live2 / n2
phase("drained", f"table={t2:#x} bytes={nbytes2} live={live2} dummies={dummies2} "
      f"len={len(seen)} occupancy={occ:.4f}")
truth(nbytes, peak, occ)
time.sleep(HOLD_DRAINED_S)
phase("exit", "set freed at interpreter shutdown")
