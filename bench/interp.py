"""Interpreter workload: dict / list / string churn in CPython.

    python3 interp.py [ROUNDS]      (default 50)

CPython serves objects of 512 bytes or less from its own arenas (pymalloc),
so a malloc interposer sees what a real Python program sends to malloc: the
item arrays of growing lists, dict tables past a few dozen keys, strings and
bytes over 512 bytes, and the arenas themselves.  This script makes plenty of
each and keeps a moderately sized live set that it keeps replacing.
Deterministic (fixed seed).
"""
import random
import sys


def make_record(rng, i):
    # a small dict with short and long strings (long ones bypass pymalloc)
    return {
        "id": i,
        "name": "user%06d" % i,
        "tags": [rng.choice(("red", "green", "blue", "cyan")) for _ in range(rng.randint(1, 8))],
        "blob": "x" * rng.choice((16, 100, 600, 2000, 5000)),
    }


def churn_round(rng, live, r):
    # 1. build a big dict of records, then drop half of it
    table = {}
    for i in range(4000):
        table["k%d_%d" % (r, i)] = make_record(rng, i)
    for k in list(table)[::2]:
        del table[k]

    # 2. list growth and slicing (item arrays realloc through malloc)
    seq = []
    for i in range(20000):
        seq.append(i * 3)
    seq = seq[1000:] + seq[:1000]
    seq.sort(reverse=bool(r & 1))

    # 3. string building: joins, splits, formatting
    words = ["w%d" % (i % 977) for i in range(6000)]
    text = " ".join(words)
    parts = text.split(" ")
    upper = [p.upper() for p in parts[::3]]
    doc = "\n".join("%s=%s" % (a, b) for a, b in zip(upper, parts))

    # 4. counting into a dict, then sorting its items
    counts = {}
    for w in parts:
        counts[w] = counts.get(w, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:50]

    # keep some of it alive across rounds, replacing older survivors
    slot = r % len(live)
    live[slot] = (table, seq[:5000], doc[: 1 + (r * 97) % len(doc)], top)
    return len(table) + len(seq) + len(doc) + len(top)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    rng = random.Random(12345)
    live = [None] * 8
    total = 0
    for r in range(rounds):
        total += churn_round(rng, live, r)
    print("interp: %d rounds, checksum %d" % (rounds, total))


if __name__ == "__main__":
    main()
