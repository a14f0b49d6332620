"""n10 py_list_pop (NEGATIVE): a CPython list that shrinks as it is popped
(DESIGN 2a's "CPython list.pop: realloc smaller" negative control).

Run by the real interpreter: `python3 tests/corpus/py_list_pop.py`.

list.append grows the item array with realloc (over-allocating ~1/8); pop()
calls list_resize, which reallocs the array smaller whenever the size falls
below half the allocation.  The same block (often the same address) thus
ends up a fraction of its peak size: it must not be judged against the
capacity it had at its peak.

Timeline: append 300,000 objects (the item array reallocs up to 2.6 MB),
hold 1.2 s, pop all but 1,500 (the array shrinks step by step to ~15 KB),
hold 1.5 s, exit.  Nothing large is left sparse: nothing to flag.
"""
import ctypes
import time

from corpus_util import HOLD_DRAINED_S, HOLD_PEAK_S, phase

N = 300_000
KEEP = 1_500


def items_block(lst):
    """(ob_item address, allocated slots) of a CPython list."""
    return (ctypes.c_void_p.from_address(id(lst) + 24).value,
            ctypes.c_ssize_t.from_address(id(lst) + 32).value)


queue = []
for i in range(N):
    queue.append((i, "job"))
addr, alloc = items_block(queue)
phase("peak", f"len={len(queue)} items={addr:#x} allocated={alloc} bytes={alloc * 8}")
time.sleep(HOLD_PEAK_S)
while len(queue) > KEEP:
    queue.pop()
addr2, alloc2 = items_block(queue)
phase("drained", f"len={len(queue)} items={addr2:#x} allocated={alloc2} bytes={alloc2 * 8}")
time.sleep(HOLD_DRAINED_S)
phase("exit", "done")
