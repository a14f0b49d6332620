"""Real servers.

A server nobody here wrote, under load over its own protocol, asked for a
report while it serves.  Each takes a free port (harness.free_port() or port
0), since tests run in parallel."""
import os
import re
import shutil
import signal
import time

from harness import memcached_wait_grown, check_basic, test, Watcher


def memcached_client(port):
    """A minimal memcached text-protocol client: (send, roundtrip)."""
    import socket
    deadline = time.monotonic() + 10
    while True:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=10)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)

    def roundtrip(cmd, end=b"END\r\n"):
        conn.sendall(cmd)
        data = b""
        while not data.endswith(end):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        return data
    return conn, roundtrip


@test(serial=True)
def test_real_server_memcached(ctx):
    """A real server nobody here wrote: Debian's memcached under the preload,
    filled with 600,000 keys over its text protocol, left until its hash
    table has finished growing (stats: no expansion under way and at most
    1.5 items per bucket, so none due), then emptied.  memcached
    never shrinks its hash table, so a report asked for by SIGUSR2 while it
    serves must flag a table of at least 1 MiB (pointer probe, peak >= 0.5,
    now <= 0.05, live); the server keeps answering; SIGTERM ends it with an
    exit report that still holds the finding."""
    import socket
    exe = shutil.which("memcached")
    if not ctx.check(exe, "memcached is not installed (tools/install-deps.sh installs it)"):
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    od = ctx.outdir()
    argv = [exe, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "256", "-t", "2"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]
    proc = ctx.start(argv, outdir=od)
    w = Watcher(ctx, proc, os.path.join(od, f"r.{proc.pid}.json"))
    n = 600_000
    try:
        conn, roundtrip = memcached_client(port)
        for i in range(0, n, 2000):
            conn.sendall(b"".join(b"set key%08d 0 0 8 noreply\r\nvalue%03d\r\n" % (j, j % 1000)
                                  for j in range(i, min(n, i + 2000))))
        stats = roundtrip(b"stats\r\n")
        items = int(re.search(rb"STAT curr_items (\d+)", stats).group(1))
        ctx.check(items == n, f"memcached holds {items} items after {n} sets")
        ctx.check(memcached_wait_grown(lambda: roundtrip(b"stats\r\n"), n),
                  "memcached's hash table still growing after 60 s")
        time.sleep(1.3)
        for i in range(0, n, 2000):
            conn.sendall(b"".join(b"delete key%08d noreply\r\n" % j for j in range(i, min(n, i + 2000))))
        stats = roundtrip(b"stats\r\n")
        items = int(re.search(rb"STAT curr_items (\d+)", stats).group(1))
        ctx.check(items == 0, f"memcached holds {items} items after deleting them all")
        time.sleep(1.5)
        proc.signal(signal.SIGUSR2)
        end = time.monotonic() + 30
        while time.monotonic() < end and not any(r.get("reason") == "signal" for _, _, r in w.seen):
            w.poll()
            time.sleep(0.05)
        answer = roundtrip(b"set alive 0 0 2\r\nok\r\nget alive\r\n")
        ctx.check(b"VALUE alive 0 2\r\nok\r\nEND" in answer,
                  f"memcached stopped answering after the signal report: {answer[-80:]!r}")
        conn.close()
    finally:
        proc.signal(signal.SIGTERM)
        res = w.finish("memcached", 60)
    sig = [r for _, running, r in w.seen if running and r.get("reason") == "signal"]
    if not ctx.check(sig, f"no 'signal' report while memcached ran "
                          f"(seen {[r.get('reason') for _, _, r in w.seen]})"):
        return

    def table(rep, live):
        return [f for f in rep.get("findings", [])
                if f.get("capacity_bytes", 0) >= 1 << 20 and f.get("probe") == "pointer"
                and f.get("peak_occupancy", 0) >= 0.5 and f.get("occupancy", 1) <= 0.05
                and f.get("live") is live]
    ctx.check(table(sig[0], True), f"signal report does not flag memcached's hash table: "
              f"{[(f.get('capacity_bytes'), f.get('probe'), f.get('peak_occupancy'), f.get('occupancy')) for f in sig[0].get('findings', [])]}")
    ctx.check(res.rc == 0, f"memcached exited {res.rc} on SIGTERM; stderr {res.err.strip()[-200:]!r}")
    final = ctx.report(od, res.pid)
    check_basic(ctx, final, res.pid, "exit", "memcached", label="exit report: ")
    ctx.check(table(final, True), "exit report lost the hash-table finding")
