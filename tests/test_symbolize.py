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

from harness import REPO, check_basic, check_report, check_totals, frames, sanitizer_build, site_sum, test


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


def has_symbols(path):
    """Does the ELF file at path have DWARF or a full symbol table?"""
    r = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True)
    return any(n in r.stdout for n in (".debug_info", ".zdebug_info", ".symtab", ".gnu_debugdata"))


@test
def test_offline_symbolize(ctx):
    """A stripped program: its frames have no names, but keep module and
    offset; tools/retain-symbolize, given the unstripped copy, names them
    (alloc_alpha at sites.c), and the report still conforms.  No object
    needs libdw: it is not loaded, and libc's frames are named from its
    loaded .dynsym."""
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
    # When no loaded object but libretain has DWARF or a .symtab (Debian's
    # libraries do not; a sanitizer build's runtime does), frames are named
    # from the loaded images' .dynsym and libdw is never loaded (nor listed
    # as a module).
    mods = [str(m.get("path")) for m in rep.get("modules") or []]
    rich = [m for m in mods if os.path.isfile(m) and "libretain" not in os.path.basename(m)
            and "libdw" not in m and "libelf" not in m and has_symbols(m)]
    if not rich:
        ctx.check(not any("libdw" in m or "libelf" in m for m in mods),
                  f"libdw loaded for a stripped program: {[m for m in mods if 'lib' in m][:8]}")
    libc = {f.get("function") for s in rep.get("sites", []) for f in frames(s)
            if "libc.so" in str(f.get("module"))}
    ctx.check("__libc_start_main" in libc or "__libc_start_call_main" in libc,
              f"libc's frames not named from its .dynsym: {sorted(map(str, libc))[:6]}")
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


# ---- demangling without the host's C++ runtime (src/demangle.c) ----------

RUST_NAMES = os.path.join(REPO, "tests", "progs", "rust", "rust_names.rs")
# A name still in its mangled form: C++/legacy Rust `_Z...`, Rust v0 `_R...`,
# or a legacy Rust hash left on a demangled one.
MANGLED = re.compile(r"^_Z|^_R[A-Z]|::h[0-9a-f]{16}$|17h[0-9a-f]{16}E")


def rustc():
    """Debian's rustc (tools/install-deps.sh), else rustup's."""
    found = shutil.which("rustc")
    rustup = os.path.expanduser("~/.cargo/bin/rustc")
    return found or (rustup if os.access(rustup, os.X_OK) else None)


def rust_names_report(ctx, mangling):
    """Builds tests/progs/rust/rust_names.rs as crate core_tables with `mangling`
    (legacy: rustc's default; v0: -C symbol-mangling-version=v0), runs it
    plainly and preloaded; returns (report, exe, its path), or Nones after a note."""
    rc = rustc()
    if not rc:
        ctx.note("skip: no rustc (tools/install-deps.sh installs Debian's rustc)")
        return None, None, None
    exe = os.path.join(ctx.tmp, f"core_tables_{mangling}")
    argv = [rc, "-O", "-g", "--crate-name", "core_tables", "-o", exe, RUST_NAMES]
    if mangling == "v0":
        argv[1:1] = ["-C", "symbol-mangling-version=v0"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        if mangling == "v0" and "symbol-mangling-version" in r.stderr:
            ctx.note(f"skip: {rc} does not take -C symbol-mangling-version=v0: "
                     f"{r.stderr.strip().splitlines()[0][:200]}")
            return None, None, None
        ctx.fatal(f"{' '.join(argv)} failed: {r.stderr[-500:]}")
    nm = subprocess.run(["nm", exe], capture_output=True, text=True).stdout
    want = "_RNv" if mangling == "v0" else "_ZN11core_tables10fill_table17h"
    ctx.check(want in nm, f"{exe} has no {want}... symbol: not built with {mangling} mangling?")
    plain = ctx.run([exe], preload=False)
    od = ctx.outdir()
    pre = ctx.run([exe], outdir=od)
    ctx.same_output(plain, pre)
    rep = ctx.report(od, pre.pid)
    check_basic(ctx, rep, pre.pid, "exit", os.path.basename(exe))
    return rep, exe, os.path.join(od, f"r.{pre.pid}.json")


def check_rust_names(ctx, mangling, generic, closure):
    rep, exe, path = rust_names_report(ctx, mangling)
    if rep is None:
        return
    sites = rep.get("sites") or []
    ctx.check(sites and all(frames(s) for s in sites), "a site without a stack")
    own = [f for s in sites for f in frames(s) if f.get("module") == exe]
    raw = sorted({f.get("function") for f in own if MANGLED.search(str(f.get("function")))})
    ctx.check(not raw, f"{len(raw)} of the program's frames keep mangled names: {raw[:3]}")
    names = {f.get("function") for f in own}
    for want in ("core_tables::fill_table", "core_tables::alloc::build_index", generic, closure,
                 "core_tables::größe", "core_tables::main"):
        ctx.check(want in names, f"no frame named {want!r} (names: {sorted(map(str, names))[:12]})")
    fill = [f for f in own if f.get("function") == "core_tables::fill_table"]
    ctx.check(fill and all(str(f.get("file")).endswith("rust_names.rs") and f.get("line", 0) > 0
                           for f in fill), f"core_tables::fill_table without rust_names.rs:line: {fill[:1]}")
    std = [f.get("function") for f in own if str(f.get("function")).startswith(("alloc::", "<alloc::"))]
    ctx.check(std, "no alloc:: frame named (the standard library's frames inlined into the program)")
    # The finding: the drained index.  Its advice names the program's
    # function, not alloc::alloc::alloc_zeroed or alloc::vec::from_elem; the
    # program's module named `alloc` is the program's own.
    found = rep.get("findings") or []
    index = [f for f in found if any(fr.get("function") == "core_tables::alloc::build_index"
                                     for fr in f.get("stack") or [] if isinstance(fr, dict))]
    if ctx.check(index, f"no finding allocated in core_tables::alloc::build_index ({len(found)} findings)"):
        advice = index[0].get("advice") or ""
        ctx.check("(The array is allocated in core_tables::alloc::build_index.)" in advice,
                  f"advice does not name core_tables::alloc::build_index: {advice[-160:]!r}")
    # The report marks the standard library's frames ("stdlib": true), and
    # the retain command's "allocated in" line follows that judgement.
    marked = {f.get("function") for f in own if f.get("stdlib")}
    unmarked = {f.get("function") for f in own if not f.get("stdlib")}
    ctx.check("alloc::vec::from_elem" in {str(n).split("::<")[0] for n in marked},
              f"alloc::vec::from_elem not marked stdlib (marked: {sorted(map(str, marked))[:4]})")
    ctx.check(not [n for n in unmarked if str(n).startswith(("alloc::", "<alloc::", "core::"))],
              f"standard library frames not marked: {[n for n in unmarked if str(n).startswith(('alloc::', '<alloc::', 'core::'))][:3]}")
    ctx.check("core_tables::alloc::build_index" in unmarked, "the program's build_index marked stdlib")
    cli = subprocess.run([os.path.join(REPO, "retain"), "report", path], capture_output=True,
                         text=True, timeout=60)
    line = next((l for l in cli.stdout.splitlines() if "allocated in" in l and "what to do" not in l), "")
    ctx.check("allocated in core_tables::alloc::build_index" in line,
              f"retain report: {line.strip()!r} (rc {cli.returncode}, {cli.stderr[-200:]!r})")


@test
def test_rust_names_legacy(ctx):
    """A Rust program (tests/progs/rust/rust_names.rs, built with rustc -O -g and
    rustc's default legacy mangling) loads no C++ runtime: every one of its
    frames is demangled by libretain, hashes dropped (`core_tables::fill_table`
    with rust_names.rs:line, `core_tables::main::{{closure}}`, a non-ASCII
    `core_tables::größe` from its `$u..$` escapes), and the finding's advice
    names the function that allocated the drained index
    (`core_tables::alloc::build_index`), not the alloc:: frames inlined above
    it, though the program's own module is named `alloc`."""
    check_rust_names(ctx, "legacy", "core_tables::make_rows", "core_tables::main::{{closure}}")


@test
def test_rust_names_v0(ctx):
    """The same program with -C symbol-mangling-version=v0 (stable since Rust
    1.59; skipped with a note where rustc refuses it): v0 names, generics
    (`core_tables::make_rows::<u32>`), closures (`core_tables::main::{closure#0}`)
    and a punycode identifier (`core_tables::größe`) demangled, the advice as
    for legacy."""
    check_rust_names(ctx, "v0", "core_tables::make_rows::<u32>", "core_tables::main::{closure#0}")


@test
def test_cxx_names_without_libstdcxx(ctx):
    """A C program (tests/progs/dlcxx.c) that loads a C++ library with
    dlopen(RTLD_LOCAL): no __cxa_demangle is visible in the process (the
    program checks), yet the 16 MiB block's stack names
    `tables::Registry::grow(unsigned long)` and the std::vector frames
    demangled, as the C++ runtime would."""
    if sanitizer_build():
        ctx.note(f"skipped under {sanitizer_build()}: its runtime links libstdc++ into the "
                 f"global scope, so __cxa_demangle is visible there")
        return
    lib = ctx.bin("libcxxtables.so")
    argv = [ctx.bin("dlcxx"), lib]
    plain = ctx.run(argv, preload=False)
    if not ctx.check(b"__cxa_demangle visible: no" in plain.out,
                     f"the setup leaks libstdc++ into the global scope: {plain.out!r}"):
        return
    od = ctx.outdir()
    pre = ctx.run(argv, outdir=od)
    ctx.same_output(plain, pre)
    rep = ctx.report(od, pre.pid)
    check_basic(ctx, rep, pre.pid, "exit", "dlcxx")
    big = [s for s in rep.get("sites") or [] if s.get("peak_live_bytes", 0) >= 16 << 20]
    if not ctx.check(big, "no site of the 16 MiB vector"):
        return
    names = [f.get("function") for f in frames(big[0])]
    ctx.check("tables::Registry::grow(unsigned long)" in names, f"grow not demangled: {names[:12]}")
    ctx.check("operator new(unsigned long)" in names, f"operator new not demangled: {names[:3]}")
    raw = [n for n in names if MANGLED.search(str(n))]
    ctx.check(not raw, f"mangled names left: {raw[:3]}")


def own_frames(rep, fn):
    """Frames naming fn, over every site."""
    return [f for s in rep.get("sites") or [] for f in frames(s) if f.get("function") == fn]


@test
def test_libdw_loaded_lazily(ctx):
    """libdw and libelf are opened when a report first symbolizes a stack,
    not at start-up (src/dwlib.h): a preloaded `cat /proc/self/maps` shows
    libunwind mapped but no libdw, libelf or libbz2 (before,
    they were linked in and mapped in every process); a program's exit report
    is still symbolized: alloc_alpha at sites.c and a line inside its body,
    main named, no note."""
    od = ctx.outdir()
    maps = ctx.run(["cat", "/proc/self/maps"], outdir=od)
    text = maps.out.decode(errors="replace")
    ctx.check("libunwind" in text, "the preloaded cat's maps do not show libunwind (not preloaded?)")
    early = sorted({os.path.basename(l.split()[-1]) for l in text.splitlines()
                    if re.search(r"/lib(dw|elf|bz2)[-.]", l)})
    ctx.check(not early, f"mapped at start-up in a process that wrote no stack: {early}")
    exe = ctx.bin("sites")
    r = ctx.run([exe], env={"RETAIN_SAMPLE": "0"}, outdir=od)
    rep = ctx.report(od, r.pid)
    check_basic(ctx, rep, r.pid, "exit", "sites")
    m = re.search(rb"^RANGE alloc_alpha (\d+) (\d+)$", r.out, re.M)
    if not m:
        ctx.fatal(f"sites printed no RANGE for alloc_alpha: {r.out[:200]!r}")
    lo, hi = int(m.group(1)), int(m.group(2))
    own = own_frames(rep, "alloc_alpha")
    ctx.check(own and all(str(f.get("file", "")).endswith("sites.c") and lo <= f.get("line", 0) <= hi
                          for f in own),
              f"alloc_alpha frames without sites.c:{lo}-{hi}: {own[:2]}")
    ctx.check(own_frames(rep, "main"), "no frame names main")
    ctx.check(not rep.get("notes"), f"notes in a symbolized report: {rep.get('notes')}")


@test
def test_libdw_load_fails(ctx):
    """When libdw cannot be loaded at report time (RETAIN_TEST_LIBDW names a
    file that does not exist, as on a machine without libdw1 or in a
    sandbox), the program runs as plain (status, stdout), the report is
    written and conforms, it carries exactly one note naming libdw, the
    text report shows it, and frames keep the program's path and an offset
    (no names, no file:line; a stripped library's frames keep the names of
    its loaded .dynsym): tools/retain-symbolize can still resolve them.
    Also after a fork: the child's report is the same."""
    exe = ctx.bin("sites")
    plain = ctx.run([exe], preload=False)
    od = ctx.outdir()
    env = {"RETAIN_SAMPLE": "0", "RETAIN_TEST_LIBDW": "/nonexistent/libdw.so.1"}
    r = ctx.run([exe], env=env, outdir=od)
    ctx.same_output(plain, r)
    path = os.path.join(od, f"r.{r.pid}.json")
    rep = ctx.report(od, r.pid)
    check_basic(ctx, rep, r.pid, "exit", "sites")
    rc, out = check_report(path)
    ctx.check(rc == 0, f"check-report.py: {out.strip()[-300:]}")
    notes = rep.get("notes") or []
    dw = [n for n in notes if "libdw" in str(n)]
    ctx.check(len(dw) == 1, f"expected one note about libdw, got {notes}")
    try:
        with open(os.path.join(od, f"r.{r.pid}.txt")) as f:
            txt = f.read()
    except OSError as e:
        ctx.fatal(f"no text report: {e}")
    ctx.check(txt.count("note: libdw could not be loaded") == 1,
              "the text report lacks (or repeats) the libdw note")
    fr = [f for s in rep.get("sites") or [] for f in frames(s)]
    ctx.check(fr, "no frames in the report")
    # The program's own frames need its DWARF: no names, no file:line.
    # Stripped libraries' frames are named from their loaded .dynsym, which
    # needs no libdw (libc's __libc_start_main), never with file:line.
    mine = [f for f in fr if os.path.realpath(str(f.get("module"))) == os.path.realpath(exe)]
    named = [f for f in mine if f.get("function") or f.get("file")]
    ctx.check(not named, f"frames named without libdw: {named[:2]}")
    lines = [f for f in fr if f.get("file") or f.get("line")]
    ctx.check(not lines, f"frames with file:line without libdw: {lines[:2]}")
    ctx.check(mine and all(f.get("offset") not in (None, 0, "0x0") for f in mine),
              f"no frame keeps the program's module and offset: {fr[:3]}")
    # In a fork child too (tests/progs/forkthreads.c, one child; its frames
    # need the program's DWARF): both processes write a report with the
    # note, and both end as plain.
    prog = ctx.bin("forkthreads")
    p2 = ctx.run([prog, "1"], preload=False)
    od2 = ctx.outdir("fork")
    q2 = ctx.run([prog, "1"], env=env, outdir=od2, expect_report=False)
    ctx.check(p2.rc == q2.rc == 0 and b"child 0 done" in q2.out,
              f"forkthreads 1: plain rc {p2.rc}, preloaded rc {q2.rc}, {q2.out[-200:]!r}")
    reps = ctx.reports_in(od2)
    ctx.check(len(reps) == 2, f"forkthreads with a fork left {len(reps)} report(s), expected 2")
    for pid, rp in reps.items():
        n = [x for x in rp.get("notes") or [] if "libdw" in str(x)]
        ctx.check(len(n) == 1, f"fork: pid {pid}: notes {rp.get('notes')}")


@test
def test_sandbox_symbolized(ctx):
    """A program installs a seccomp filter that refuses every new executable
    mapping (mmap/mprotect with PROT_EXEC fail with EPERM; everything else
    allowed; tests/progs/seccompnoexec.c): profiling goes on under it, and
    since no shared object can be loaded any more, libdw is loaded when the
    filter is installed, before it applies.  The exit report names
    alloc_sandboxed at seccompnoexec.c:line, without a libdw note; status
    and stdout as plain (the program's own dlopen after the filter is
    refused in both runs)."""
    exe = ctx.bin("seccompnoexec")
    plain = ctx.run([exe], preload=False)
    if plain.rc != 0:
        ctx.fatal(f"plain seccompnoexec: rc {plain.rc}, {plain.out!r}")
    od = ctx.outdir()
    r = ctx.run([exe], env={"RETAIN_SAMPLE": "0"}, outdir=od)
    ctx.same_output(plain, r)
    rep = ctx.report(od, r.pid)
    m = re.search(rb"^RANGE alloc_sandboxed (\d+) (\d+)$", plain.out, re.M)
    lo, hi = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    own = own_frames(rep, "alloc_sandboxed")
    ctx.check(own and all(str(f.get("file", "")).endswith("seccompnoexec.c") and lo <= f.get("line", 0) <= hi
                          for f in own),
              f"alloc_sandboxed not at seccompnoexec.c:{lo}-{hi}: {own[:2]}; notes {rep.get('notes')}")
    ctx.check(not [n for n in rep.get("notes") or [] if "libdw" in str(n)],
              f"libdw note under a filter that allowed loading it first: {rep.get('notes')}")
