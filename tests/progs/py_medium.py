"""py_medium: 400 per-user dicts of 5,500 int keys each (dict keys tables of
2^14 slots, about 288 KiB: medium blocks; byte sampling picks 43% of them,
so the site's estimates have a 5.7% standard error), then, by mode,
  drained  every key deleted (the tables keep their size)
  full     kept as they are
Prints its truth: TRUTH blocks=N block_bytes=B (B: the keys object's size
from its own header, CPython 3.11's layout) retained=R."""
import ctypes
import sys
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "drained"
users = []
for u in range(400):
    d = {}
    for i in range(5500):
        d[u * 100000 + i] = i
    users.append(d)
# PyDictObject: refcnt, type, ma_used, ma_version_tag, ma_keys; keys: refcnt,
# log2_size, log2_index_bytes, kind, version, usable, nentries
keys = ctypes.c_void_p.from_address(id(users[0]) + 32).value
log2_index_bytes = ctypes.c_uint8.from_address(keys + 9).value
usable = 2 * (1 << ctypes.c_uint8.from_address(keys + 8).value) // 3
block = 32 + (1 << log2_index_bytes) + 24 * usable
time.sleep(0.6)
if mode == "drained":
    for d in users:
        for k in list(d):
            del d[k]
time.sleep(2.5)
print(f"TRUTH blocks={len(users)} block_bytes={block} capacity={block * len(users)} "
      f"retained={block * len(users) if mode == 'drained' else 0} entries={sum(len(d) for d in users)}")
