"""corpus_util: helpers shared by the Python corpus programs (what corpus.h is
to the C and C++ ones).

Every program prints, on stderr, lines the harness (run_corpus.py) reads:
  CORPUS phase=NAME t=SECONDS rss_kb=N ...      progress of the timeline
  CORPUS-TRUTH capacity_bytes=N peak_occupancy=F occupancy=F
                                                the measured truth (positives)
The clock starts when this module is first imported (at the top of the
program).  The helpers allocate only small objects, never anything near
RETAIN_MIN_SIZE, so they add no findings of their own.
"""
import sys
import time

# Timeline of every program (seconds).
HOLD_PEAK_S = 1.2       # hold the table at its peak
HOLD_DRAINED_S = 1.5    # hold the drained table before exiting

T0 = time.monotonic()


def rss_kb():
    """Resident set size in KiB, from /proc/self/status (0 if not found)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def phase(name, text):
    """One progress line: phase name, elapsed time, RSS, and free text."""
    print(f"CORPUS phase={name} t={time.monotonic() - T0:.3f} rss_kb={rss_kb()} {text}",
          file=sys.stderr, flush=True)


def truth(capacity_bytes, peak_occupancy, occupancy, **extra):
    """The CORPUS-TRUTH line; `extra` fractions are appended as name=F."""
    more = "".join(f" {k}={v:.4f}" for k, v in extra.items())
    print(f"CORPUS-TRUTH capacity_bytes={capacity_bytes} peak_occupancy={peak_occupancy:.4f} "
          f"occupancy={occupancy:.4f}{more}", file=sys.stderr, flush=True)


def build_sessions(n):
    """A session map: n string tokens, as a web app's session store fills."""
    d = {}
    for i in range(n):
        d[f"tok{i:07d}"] = i
    return d


def drop_sessions(d, n, keep_every):
    """Deletes all sessions but every keep_every-th."""
    for i in range(n):
        if i % keep_every:
            del d[f"tok{i:07d}"]
