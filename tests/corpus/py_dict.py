"""p5 py_dict (POSITIVE): a CPython dict after `del` of most keys.

Run by the real interpreter: `python3 tests/corpus/py_dict.py`.

CPython 3.11 keeps a dict's table in one PyDictKeysObject block (malloc'd
through PyObject_Malloc): a 32-byte header, an index array (2**log2_size
int32 indices) and an entries array of USABLE_FRACTION(size) = 2/3 entries
(16 bytes {key, value} when every key is a str, 24 bytes {hash, key, value}
otherwise).  The table is replaced (grown) only by an insert that finds no
usable entry left; `del` never shrinks it.  A deleted entry's key and value
become NULL and its index becomes DKIX_DUMMY (-2).

Timeline: build_sessions() inserts 500,000 str keys "tok0000000".. with int
values (the keys object grows to 2**20 slots, 699,050 entries: a 15.4 MB
block), hold 1.2 s, drop_sessions() deletes all but every 200th key (0.5%
kept), hold 1.5 s, exit (the dict is a module global, freed during
interpreter shutdown).

The truth is read from the keys object itself with ctypes (CPython 3.11
layout), and printed on stderr like the C programs do:
  peak_occupancy / occupancy = live entries / usable entries, the dict's own
  notion of a slot.  Counted over the whole block (index array included,
  which is 27% of it) the fraction of pointer words at the peak is lower
  (also printed, as word_peak_occupancy).
"""
import ctypes
import sys
import time

from corpus_util import (HOLD_DRAINED_S, HOLD_PEAK_S, build_sessions, drop_sessions, phase,
                         truth)

N = 500_000
KEEP_EVERY = 200


def keys_object(d):
    """(address, bytes, slots, usable entries, live entries, kind, pointer-word
    fraction of the whole block) of d's keys block."""
    assert sys.version_info[:2] == (3, 11), "layout below is CPython 3.11's"
    rd = lambda addr, t: t.from_address(addr).value
    keys = rd(id(d) + 32, ctypes.c_void_p)             # PyDictObject.ma_keys
    log2_size = rd(keys + 8, ctypes.c_uint8)
    log2_index_bytes = rd(keys + 9, ctypes.c_uint8)
    kind = rd(keys + 10, ctypes.c_uint8)               # 0 general, 1 unicode
    nentries = rd(keys + 24, ctypes.c_ssize_t)
    size = 1 << log2_size
    usable = (size << 1) // 3
    esize = 24 if kind == 0 else 16
    entries = keys + 32 + (1 << log2_index_bytes)
    # Live entries: those whose key pointer is not NULL (deleted ones are zeroed).
    key_off = 8 if kind == 0 else 0
    buf = (ctypes.c_char * (nentries * esize)).from_address(entries)
    raw = memoryview(buf).cast("B").cast("Q")          # no copy
    step = esize // 8
    live = sum(1 for i in range(key_off // 8, nentries * step, step) if raw[i])
    nbytes = 32 + (1 << log2_index_bytes) + usable * esize
    ptr_words = live * 2                           # key + value of each live entry
    return keys, nbytes, size, usable, live, kind, ptr_words / (nbytes // 8)


sessions = build_sessions(N)
k, nbytes, size, usable, live, kind, wpeak = keys_object(sessions)
peak = live / usable
phase("peak", f"keys={k:#x} bytes={nbytes} slots={size} usable={usable} live={live} "
      f"kind={kind} len={len(sessions)} occupancy={peak:.4f} word_occupancy={wpeak:.4f} "
      f"getsizeof={sys.getsizeof(sessions)}")
time.sleep(HOLD_PEAK_S)

drop_sessions(sessions, N, KEEP_EVERY)
k2, nbytes2, size2, usable2, live2, kind2, wocc = keys_object(sessions)
assert k2 == k and nbytes2 == nbytes, "the keys block must not have been replaced"
occ = live2 / usable2
phase("drained", f"keys={k2:#x} bytes={nbytes2} live={live2} len={len(sessions)} "
      f"occupancy={occ:.4f} word_occupancy={wocc:.4f}")
truth(nbytes, peak, occ, word_peak_occupancy=wpeak)
time.sleep(HOLD_DRAINED_S)
phase("exit", "dict freed at interpreter shutdown")
