"""Server heaps (issue 10).

What a profiler left on in a server has to get right: the hash table among
many other large blocks (memcached's slab pages, buffers, full arrays), how
much of a retained block is resident, and its own memory under large-block
churn.  Runs that depend on the sampler's schedule are serial."""
import math
import os
import re
import shutil
import signal
import socket
import time

from harness import check_basic, free_port, test, Watcher

MIB = 1 << 20
VALUE_BYTES = 100


def env_int(name, default):
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def memcached_runs():
    """(runs, keys) for memcached_load: 3 runs of 1.5M keys in make test;
    RETAIN_TEST_MEMCACHED_RUNS and RETAIN_TEST_MEMCACHED_KEYS otherwise
    (make check-memcached: 10 runs of 3M keys, the issue's figures)."""
    return env_int("RETAIN_TEST_MEMCACHED_RUNS", 3), env_int("RETAIN_TEST_MEMCACHED_KEYS", 1_500_000)


class Memcached:
    """One memcached text-protocol connection."""

    def __init__(self, port):
        deadline = time.monotonic() + 20
        while True:
            try:
                self.conn = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def roundtrip(self, cmd, end=b"END\r\n"):
        self.conn.sendall(cmd)
        data = b""
        while not data.endswith(end):
            chunk = self.conn.recv(65536)
            if not chunk:
                break
            data += chunk
        return data

    def stats(self):
        return {k.decode(): v.decode() for k, v in
                re.findall(rb"STAT (\S+) (\S+)\r\n", self.roundtrip(b"stats\r\n"))}

    def send(self, commands):
        for i in range(0, len(commands), 5000):
            self.conn.sendall(b"".join(commands[i:i + 5000]))


def memcached_run(ctx, exe, n, label):
    """One run: fill, wait for the hash table to settle, delete 99%, ask for
    a report while serving.  Returns (expected peak occupancy, table bytes,
    findings of the signal report, problem or None)."""
    port = free_port()
    od = ctx.outdir(label)
    argv = [exe, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "2048", "-t", "2"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]
    proc = ctx.start(argv, outdir=od)
    w = Watcher(ctx, proc, os.path.join(od, f"r.{proc.pid}.json"))
    expected = table_bytes = None
    try:
        mc = Memcached(port)
        # 100-byte values: ~190-byte items, ~280 slab pages of 1 MiB for 1.5M
        pad = b"." * (VALUE_BYTES - 8)
        mc.send([b"set key%08d 0 0 %d noreply\r\nvalue%03d%s\r\n" % (j, VALUE_BYTES, j % 1000, pad)
                 for j in range(n)])
        # memcached grows its table (x2) once items exceed 1.5 x buckets, by a
        # maintenance thread that moves buckets over gradually: wait until no
        # expansion is running or due, so the table holds every item
        deadline = time.monotonic() + 120
        while True:
            st = mc.stats()
            hp, items = int(st["hash_power_level"]), int(st["curr_items"])
            if st["hash_is_expanding"] == "0" and items == n and items <= 1.5 * (1 << hp):
                break
            if time.monotonic() > deadline:
                return None, None, {}, f"memcached's table still expanding after 120 s: {st.get('hash_power_level')}"
            time.sleep(0.05)
        # a chained table of B buckets holding N items at random: a bucket is
        # empty with probability (1 - 1/B)^N ~ e^-a, a = N/B
        a = items / (1 << hp)
        expected = 1 - math.exp(-a)
        table_bytes = 8 << hp                      # one pointer per bucket
        time.sleep(1.2)                            # RETAIN_MIN_AGE and a measurement at the peak
        mc.send([b"delete key%08d noreply\r\n" % j for j in range(n) if j % 100])
        left = int(mc.stats()["curr_items"])
        if left != n // 100:
            return expected, table_bytes, {}, f"{left} items left after deleting 99% of {n}"
        time.sleep(1.5)
        proc.signal(signal.SIGUSR2)
        end = time.monotonic() + 30
        while time.monotonic() < end and not any(r.get("reason") == "signal" for _, _, r in w.seen):
            w.poll()
            time.sleep(0.05)
        answer = mc.roundtrip(b"get key%08d\r\n" % 100)
        if b"VALUE key00000100 0 %d\r\nvalue100%s\r\nEND" % (VALUE_BYTES, pad) not in answer:
            return expected, table_bytes, {}, f"memcached stopped answering after the signal report: {answer[-80:]!r}"
        mc.conn.close()
    finally:
        proc.signal(signal.SIGTERM)
        res = w.finish("memcached", 120)
    sig = [r for _, running, r in w.seen if running and r.get("reason") == "signal"]
    if not sig:
        return expected, table_bytes, {}, "no 'signal' report while memcached ran"
    ctx.check(res.rc == 0, f"{label}: memcached exited {res.rc} on SIGTERM")
    check_basic(ctx, ctx.report(od, res.pid), res.pid, "exit", "memcached", label=f"{label} exit report: ")
    return expected, table_bytes, sig[0], None


@test(serial=True)
def test_memcached_load(ctx):
    """memcached -m 2048 -t 2 filled with 1,500,000 keys of 100-byte
    values: about 280 slab pages of 1 MiB are watched besides the hash table,
    as in the issue.  Once the table has stopped growing (stats:
    hash_is_expanding 0 and curr_items <= 1.5 x 2^hash_power_level) it has
    2^20 buckets and a load a = 1.43, the same as the issue's 3M keys in 2^21
    buckets, at half the time (~12 s a run).  1.2 s later 99% are deleted,
    and 1.5 s after that (15 x RETAIN_INTERVAL) a SIGUSR2 report is taken
    while it serves.  In every run (3 here; `make check-memcached` makes 10
    of 3M keys, about 550 slab pages) that report has a live finding for the
    8 << hash_power_level byte table whose peak occupancy is within 15% of
    what the server's own stats imply for a chained table, 1 - e^-a; the
    server still answers."""
    exe = shutil.which("memcached")
    if not ctx.check(exe, "memcached is not installed (tools/install-deps.sh installs it)"):
        return
    runs, n = memcached_runs()
    seen = []
    for i in range(runs):
        expected, table_bytes, rep, problem = memcached_run(ctx, exe, n, f"run{i + 1}")
        findings = rep.get("findings", [])
        smp = {k: v for k, v in rep.get("sampler", {}).items() if k in ("passes", "watched_blocks", "measurements")}
        if problem:
            ctx.check(False, f"run {i + 1}: {problem}")
            seen.append(f"run {i + 1}: {problem}")
            continue
        table = [f for f in findings if f.get("capacity_bytes") == table_bytes and f.get("live") is True
                 and f.get("kind", "block") == "block"]
        if not ctx.check(table, f"run {i + 1}: no live finding for the {table_bytes >> 20} MiB hash table "
                                f"(findings: {[(f.get('capacity_bytes'), f.get('peak_occupancy')) for f in findings]}; "
                                f"sampler {smp})"):
            seen.append(f"run {i + 1}: none")
            continue
        peak = table[0].get("peak_occupancy", 0)
        seen.append(f"run {i + 1}: peak {peak:.3f} vs {expected:.3f}, gap {table[0].get('longest_gap_ms')} ms, {smp}")
        ctx.check(abs(peak - expected) <= 0.15 * expected,
                  f"run {i + 1}: the table's peak occupancy {peak:.3f} is not within 15% of {expected:.3f} "
                  f"(1 - e^-a from memcached's stats)")
    ctx.note("; ".join(seen))


@test(serial=True)
def test_resident_bytes(ctx):
    """residentprog: two 8 MiB pointer tables filled to 60%, held 1.5 s,
    drained; the program then gives the second one's pages back with
    madvise(MADV_DONTNEED) and keeps both 2 s more.  Both are findings; the
    one whose pages stayed in RAM reports resident_bytes >= 90% of its
    capacity, the one given back <= 10% (not exactly 0: the sampler's own
    reads of it afterwards map the kernel's shared zero page, which mincore
    counts as resident but RSS does not).  totals.retained_resident_bytes is
    between the two: at most the kept table's capacity plus 10%."""
    res = ctx.run([ctx.bin("residentprog")], timeout=60)
    m = re.search(rb"kept (0x[0-9a-f]+)\ndropped (0x[0-9a-f]+)\nmadvise 0", res.out)
    if not ctx.check(res.rc == 0 and m, f"residentprog failed: rc {res.rc}, {res.out[-200:]!r}"):
        return
    kept, dropped = int(m.group(1), 16), int(m.group(2), 16)
    rep = ctx.report(ctx.outdir(), res.pid)
    by_addr = {int(f["address"], 16): f for f in rep.get("findings", [])}
    for addr, what, lo, hi in ((kept, "kept", 0.9, 1.0), (dropped, "dropped", 0.0, 0.1)):
        f = by_addr.get(addr)
        if not ctx.check(f, f"no finding for the {what} table {hex(addr)}"):
            continue
        cap, resident = f.get("capacity_bytes", 0), f.get("resident_bytes")
        ctx.check(isinstance(resident, int) and lo * cap <= resident <= hi * cap,
                  f"{what} table: resident_bytes {resident} of {cap}, want {lo:.0%}..{hi:.0%}")
    total = rep.get("totals", {}).get("retained_resident_bytes")
    ctx.check(isinstance(total, int) and 0.9 * 8 * MIB <= total <= 1.1 * 8 * MIB,
              f"totals.retained_resident_bytes {total}, want about one 8 MiB table")


@test(serial=True)
def test_churn_bounded_metadata(ctx):
    """churnfork 4: two threads churn 1..4 MiB blocks (freed microseconds to
    milliseconds later; at most 32 large blocks alive, the program says) for
    4 s, about 100k blocks; reports are asked for at 1 s and at 3 s
    (retain_report_now), and the program forks at 2 s.  The profiler's own
    accounting stays bounded by what is alive, not by what has lived: in
    both reports sampler.watch_records <= 2 x 32 and totals.profiler_bytes
    <= 2 MiB + 64 KiB per block alive (4 MiB; a process with nothing watched
    reports 1 MiB), and profiler_bytes at 3 s is at most 512 KiB above that
    at 1 s, less the liveness probe's referent set (totals.profiler_memory:
    fixed in size, made when first needed, which may fall between them).  The fork child runs (its
    exit report too has watch_records <= 2 x 32), and its fork latency stays
    far from the seconds that a walk over history cost (bound 1 s; plain and
    preloaded values are noted, not compared: no timing targets here)."""
    plain = ctx.run([ctx.bin("churnfork"), "4"], preload=False, timeout=60)
    od = ctx.outdir()
    proc = ctx.start([ctx.bin("churnfork"), "4"], outdir=od)
    w = Watcher(ctx, proc, os.path.join(od, f"r.{proc.pid}.json"))
    res = w.finish("churnfork", 60)
    out = res.out.decode(errors="replace")
    nums = dict((k, float(v)) for k, v in re.findall(r"^(\w+) (-?[0-9.]+)$", out, re.M))
    if not ctx.check(res.rc == 0 and "blocks" in nums and nums.get("child_status") == 0,
                     f"churnfork failed: rc {res.rc}, stdout {out[-300:]!r}"):
        return
    live = int(nums["max_live"])
    sig = [r for t, running, r in w.seen if running and r.get("reason") == "signal"]
    if not ctx.check(len(sig) >= 2, f"want the reports at 1 s and 3 s, saw {[(round(t, 2), running, r.get('reason')) for t, running, r in w.seen]}; stdout {out!r}"):
        return
    a, b = sig[0], sig[-1]
    for name, rep in (("1 s", a), ("3 s", b)):
        recs = rep.get("sampler", {}).get("watch_records")
        ctx.check(isinstance(recs, int) and recs <= 2 * live,
                  f"report at {name}: sampler.watch_records {recs} with at most {live} large blocks alive")
    pa, pb = a.get("totals", {}).get("profiler_bytes"), b.get("totals", {}).get("profiler_bytes")
    bound = 2 * MIB + 64 * 1024 * live
    ctx.check(isinstance(pa, int) and isinstance(pb, int) and max(pa, pb) <= bound,
              f"totals.profiler_bytes {pa} at 1 s, {pb} at 3 s: above {bound} (2 MiB + 64 KiB per large "
              f"block alive) with at most {live} large blocks alive")
    # The liveness probe's referent set (fixed size, made at its first
    # registration) may come into being between the two reports: its bytes,
    # which totals.profiler_memory names, are not growth with history.
    ra = (a.get("totals", {}).get("profiler_memory") or {}).get("referents_bytes")
    rb = (b.get("totals", {}).get("profiler_memory") or {}).get("referents_bytes")
    ctx.check(isinstance(ra, int) and isinstance(rb, int),
              f"totals.profiler_memory.referents_bytes missing: {ra}, {rb}")
    if isinstance(pa, int) and isinstance(pb, int) and isinstance(ra, int) and isinstance(rb, int):
        ctx.check(pb - rb <= pa - ra + 512 * 1024,
                  f"totals.profiler_bytes grew from {pa} at 1 s to {pb} at 3 s over {int(nums['blocks'])} "
                  f"blocks churned (referent set {ra} -> {rb} bytes)")
    child = [r for pid, r in ctx.reports_in(od).items() if pid != res.pid]
    if ctx.check(len(child) == 1, f"want the fork child's exit report, found {len(child)}"):
        recs = child[0].get("sampler", {}).get("watch_records")
        ctx.check(isinstance(recs, int) and recs <= 2 * live,
                  f"fork child's report: sampler.watch_records {recs}")
    ctx.check(nums["child_fork_ms"] < 1000, f"the fork child ran {nums['child_fork_ms']:.0f} ms after fork()")
    pn = dict((k, float(v)) for k, v in re.findall(r"^(\w+) (-?[0-9.]+)$", plain.out.decode(errors="replace"), re.M))
    ctx.note(f"fork -> child running: preloaded {nums['child_fork_ms']:.2f} ms, plain {pn.get('child_fork_ms')} ms; "
             f"profiler_bytes {pa} -> {pb}; blocks {int(nums['blocks'])}")


@test(serial=True)
def test_table_among_many_blocks(ctx):
    """manyblocks: 250 large blocks that are not tables (150 byte buffers
    and 100 arrays of full records, 1..1.5 MiB each, unchanged), then a 2 MiB
    pointer table filled to 70%, held full for 600 ms and drained 900 ms
    after it was made; it stays allocated, drained, for 1.5 s, and is freed
    with the others just before exit (so the exit report's last pass cannot
    see it: the finding must come from measurements made while it lived).
    The exit report has a finding for the table (probe pointer, peak >= 0.5)
    and none for any of the 250 others: the table must be measured while
    full although the budget is shared with hundreds of blocks at rest."""
    res = ctx.run([ctx.bin("manyblocks")], timeout=120)
    m = re.search(rb"table (0x[0-9a-f]+)\nothers (\d+)", res.out)
    if not ctx.check(res.rc == 0 and m, f"manyblocks failed: rc {res.rc}, {res.out[-200:]!r}"):
        return
    addr = int(m.group(1), 16)
    rep = ctx.report(ctx.outdir(), res.pid)
    blocks = [f for f in rep.get("findings", []) if f.get("kind", "block") == "block"]
    table = [f for f in blocks if int(f["address"], 16) == addr]
    others = [f for f in blocks if int(f["address"], 16) != addr and f.get("capacity_bytes", 0) >= MIB]
    smp = rep.get("sampler", {})
    ctx.check(table and table[0].get("peak_occupancy", 0) >= 0.5 and table[0].get("probe") == "pointer",
              f"the drained table {hex(addr)} is not found ({[(f.get('peak_occupancy'), f.get('probe')) for f in table]}); "
              f"sampler {smp.get('passes')} passes, measurements {smp.get('measurements')}")
    ctx.check(not others, f"findings for blocks that are not the table: "
                          f"{[(f['address'], f.get('capacity_bytes'), f.get('peak_occupancy')) for f in others]}")
