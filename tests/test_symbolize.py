"""Symbolization.

Which debug information is read, frames in libraries unloaded before the
report, offline symbolization of a stripped program, and no debuginfod
traffic from inside the host."""
import json
import os
import re
import shutil
import subprocess
import sys

from harness import REPO, check_basic, check_totals, frames, site_sum, test


def build_id_debug_file(elf):
    """The separate debug file of an ELF object (a -dbg package), if installed."""
    try:
        out = subprocess.run(["readelf", "-n", elf], capture_output=True, text=True).stdout
    except OSError:
        return None
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    path = m and f"/usr/lib/debug/.build-id/{m.group(1)[:2]}/{m.group(1)[2:]}.debug"
    return path if path and os.path.exists(path) else None


@test
def test_debuginfo_policy(ctx):
    """RETAIN_DEBUGINFO=auto (default) reads a separate debug file only for
    the executable: libc's frames get names but no file:line even where
    libc6-dbg is installed; the program's own frames keep file:line.  =full
    reads libc6-dbg too (checked only where it is installed)."""
    exe = ctx.bin("sites")
    od = ctx.outdir()
    runs = {}
    for mode in ("auto", "full"):
        r = ctx.run([exe], env={"RETAIN_SAMPLE": "0", "RETAIN_DEBUGINFO": mode}, outdir=od)
        rep = ctx.report(od, r.pid)
        ctx.check((rep.get("config") or {}).get("debuginfo") == mode,
                  f"config.debuginfo {(rep.get('config') or {}).get('debuginfo')!r}, expected {mode}")
        runs[mode] = [f for s in rep.get("sites") or [] for f in frames(s)]
    for mode, fr in runs.items():
        own = [f for f in fr if f.get("function") == "alloc_alpha"]
        ctx.check(own and all(str(f.get("file", "")).endswith("sites.c") and f.get("line", 0) > 0 for f in own),
                  f"{mode}: alloc_alpha frames without sites.c:line: {own[:2]}")
    libc_auto = [f for f in runs["auto"] if "libc.so" in str(f.get("module"))]
    ctx.check(libc_auto, "no libc frames in the stacks (expected __libc_start_main at the bottom)")
    ctx.check(not [f for f in libc_auto if f.get("file")],
              f"auto: libc frames with file:line: {[f for f in libc_auto if f.get('file')][:2]}")
    ctx.check(any(f.get("function") for f in libc_auto), f"auto: no libc frame named: {libc_auto[:3]}")
    dbg = libc_auto and build_id_debug_file(libc_auto[0]["module"])
    if dbg:
        libc_full = [f for f in runs["full"] if "libc.so" in str(f.get("module"))]
        ctx.check(any(f.get("file") for f in libc_full),
                  f"full with {dbg} installed: no libc frame has file:line: {libc_full[:3]}")


def dl_run(ctx):
    exe = ctx.bin("dlprog")
    plain = ctx.run([exe], preload=False)
    if plain.out.startswith(b"skip"):
        ctx.note(plain.out.decode().strip())
        return None, None
    pre = ctx.run([exe], env={"RETAIN_SAMPLE": "0"})
    ctx.same_output(plain, pre)
    ctx.check(b"libexpat unloaded: yes" in plain.out, f"libexpat was not unloaded: {plain.out!r}")
    rep = ctx.report(ctx.outdir(), pre.pid)
    check_basic(ctx, rep, pre.pid, "exit", "dlprog")
    return rep, pre


def expat_frames(rep):
    """(site, the frames inside the unloaded library) for sites naming use_expat."""
    out = []
    for s in rep.get("sites") or []:
        fr = frames(s)
        idx = [i for i, f in enumerate(fr) if f.get("function") == "use_expat"]
        if idx:
            out.append((s, fr[:idx[0]]))
    return out


@test
def test_dlclose(ctx):
    """Blocks allocated inside a library that is dlclose'd before the report
    (another one loaded after it): the report is written, valid, counts the
    blocks, and does not give their frames to the library loaded later."""
    rep, pre = dl_run(ctx)
    if rep is None:
        return
    got, matched = site_sum(rep, "use_expat")
    ctx.check(got["allocations"] >= 6 and got["frees"] >= 1 and got["live_bytes"] > 0,
              f"use_expat sites: {got} (expected >= 6 allocations, >= 1 free, live bytes)")
    for s, inner in expat_frames(rep):
        wrong = [f.get("module") for f in inner if "yaml" in str(f.get("module"))
                 or "yaml" in str(f.get("function"))]
        ctx.check(not wrong, f"site {s.get('id')}: frames in the unloaded libexpat attributed to {wrong[:2]}")
    got, _ = site_sum(rep, "use_yaml")
    ctx.check(got["allocations"] >= 2, f"use_yaml sites: {got}")
    check_totals(ctx, rep)


@test
def test_dlclose_modules(ctx):
    """DESIGN section 3: "Record each module's path, load address and build-id
    so a report can be symbolized again offline".  Frames captured inside a
    library that was unloaded before the report still name that library, and
    the modules list has it."""
    rep, pre = dl_run(ctx)
    if rep is None:
        return
    bad = []
    for s, inner in expat_frames(rep):
        if not inner:
            bad.append(f"site {s.get('id')}: no frame inside libexpat")
            continue
        m = inner[-1].get("module")
        if not (isinstance(m, str) and os.path.basename(m).startswith("libexpat")):
            bad.append(f"site {s.get('id')}: frame {inner[-1].get('address')} has module {m!r}, "
                       f"function {inner[-1].get('function')!r}")
    ctx.check(not bad, f"{len(bad)} use_expat site(s) lose libexpat: {'; '.join(bad[:2])}")
    mods = [m.get("path") for m in rep.get("modules") or []]
    ctx.check(any("libexpat" in str(p) for p in mods), f"modules list lacks libexpat: {mods}")


@test
def test_offline_symbolize(ctx):
    """A stripped program: its frames have no names, but keep module and
    offset; tools/retain-symbolize, given the unstripped copy, names them
    (alloc_alpha at sites.c), and the report still conforms."""
    exe = os.path.join(ctx.tmp, "sites_stripped")
    shutil.copy(ctx.bin("sites"), exe)
    subprocess.run(["strip", "--strip-all", exe], check=True)
    od = ctx.outdir()
    res = ctx.run([exe], env={"RETAIN_SAMPLE": "0"}, outdir=od)
    path = os.path.join(od, f"r.{res.pid}.json")
    rep = ctx.report(od, res.pid)
    names = {f.get("function") for s in rep.get("sites", []) for f in frames(s)}
    ctx.check("alloc_alpha" not in names, "the stripped binary's frames were named without symbols")
    own = [f for s in rep.get("sites", []) for f in frames(s) if f.get("module") == exe]
    ctx.check(own and all(isinstance(f.get("offset"), str) and f["offset"].startswith("0x") for f in own),
              f"frames in the stripped binary lack offsets: {own[:2]}")
    out = os.path.join(ctx.tmp, "named.json")      # not a report directory
    tool = os.path.join(REPO, "tools", "retain-symbolize")
    r = subprocess.run([sys.executable, tool, path, "-o", out, "--file", f"{exe}={ctx.bin('sites')}"],
                       capture_output=True, text=True, timeout=120)
    if not ctx.check(r.returncode == 0 and os.path.exists(out), f"retain-symbolize failed: {r.stderr[-300:]}"):
        return
    ctx.snapshots.append(out)
    with open(out) as f:
        named = json.load(f)
    alpha = [f for s in named.get("sites", []) for f in frames(s) if f.get("function") == "alloc_alpha"]
    ctx.check(alpha and all(str(f.get("file", "")).endswith("sites.c") and f.get("line", 0) > 0 for f in alpha),
              f"alloc_alpha not named with sites.c:line after retain-symbolize: {alpha[:1]}")


@test
def test_no_debuginfod(ctx):
    """DEBUGINFOD_URLS in the environment (Debian and Ubuntu can set it in
    login shells, gdb users set it): writing a report must not make the
    profiled process contact a debuginfod server (network traffic and
    downloads from inside the host; with a slow or unreachable server its exit
    waits for the client's timeouts).  The server here is a local thread that
    records each request and answers 404 at once."""
    import socket
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    srv.settimeout(0.1)
    port = srv.getsockname()[1]
    requests, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except (socket.timeout, OSError):
                continue
            try:
                conn.settimeout(2)
                requests.append(conn.recv(300).split(b"\r\n")[0].decode("latin-1"))
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                requests.append("(connection, no request)")
            finally:
                conn.close()

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    try:
        env = {"DEBUGINFOD_URLS": f"http://127.0.0.1:{port}/", "DEBUGINFOD_TIMEOUT": "2",
               "DEBUGINFOD_CACHE_PATH": os.path.join(ctx.tmp, "debuginfod-cache")}
        argv = ["bash", "-c", "(echo sub); echo top"]     # bash has no debug info here
        plain = ctx.run(argv, preload=False, env=env)
        pre = ctx.run(argv, env=env, timeout=120)
        ctx.same_output(plain, pre, what="bash -c '(echo sub); echo top'")
    finally:
        stop.set()
        th.join(5)
        srv.close()
    ctx.check(not requests, f"{len(requests)} requests to the debuginfod server from the profiled "
              f"processes (e.g. {requests[:1]})")
