"""The retain command (cli/): run, snapshot, report, diff, and every export.

Each output is judged by an independent reader where one exists: the HTML
page by Debian's chromium driven by playwright-core (tests/browser/), pprof
by `go tool pprof`, speedscope by the schema speedscope ships (ajv).  Those
come from tools/install-deps.sh; a test whose reader is missing fails and
says what to install.  Exported files go to an `exports` directory of the
test, apart from the report directories the contract check reads."""
import copy
import gzip
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import harness
from harness import REPO, base_env, check_basic, test

RETAIN = os.path.join(REPO, "retain")
BROWSER = os.path.join(REPO, "tests", "browser")
CORPUS = os.path.join(REPO, "tests", "corpus", "bin")


def retain(ctx, args, timeout=120, env=None, cwd=None):
    """Runs the retain command (not preloaded itself); returns the Result.
    RETAIN_LIB is the library under test (run_tests.py --lib, as
    make test-ubsan passes it), so `retain run` preloads that one."""
    if not os.access(RETAIN, os.X_OK):
        ctx.fatal("retain not built (run `make retain`)")
    env = dict(env or {}, RETAIN_LIB=harness.LIB)
    res = ctx.start([RETAIN] + list(args), preload=False, env=env, cwd=cwd).wait(timeout)
    if res.timed_out:
        ctx.fatal(f"`retain {' '.join(args)[:80]}` did not finish within {timeout}s")
    return res


def exports(ctx):
    d = os.path.join(ctx.tmp, "exports")
    os.makedirs(d, exist_ok=True)
    return d


def load(path):
    with open(path) as f:
        return json.load(f)


def corpus_report(ctx, name="p3_unordered_map", env=None):
    """A real report: a corpus program run under the preload, to its end."""
    exe = os.path.join(CORPUS, name)
    if not os.access(exe, os.X_OK):
        ctx.fatal(f"{exe} missing (run `make test-progs`)")
    od = ctx.outdir()
    res = ctx.run([exe], outdir=od, env=env, timeout=120)
    path = os.path.join(od, f"r.{res.pid}.json")
    return path, load(path)


def tool(ctx, name, hint):
    path = shutil.which(name)
    if not path:
        ctx.fatal(f"{name} is not installed ({hint}; tools/install-deps.sh installs it)")
    return path


def node_ready(ctx):
    tool(ctx, "node", "Debian's nodejs")
    for pkg in ("playwright-core", "speedscope", "ajv"):
        if not os.path.isdir(os.path.join(BROWSER, "node_modules", pkg)):
            ctx.fatal(f"tests/browser/node_modules/{pkg} missing (cd tests/browser && npm ci)")


def one_line_exit2(ctx, res, what, needle=None):
    lines = [l for l in res.err.splitlines() if l.strip()]
    ok = ctx.check(res.rc == 2, f"{what}: exit {res.rc}, expected 2 (stderr {res.err[-200:]!r})")
    ok &= ctx.check(len(lines) == 1, f"{what}: {len(lines)} stderr lines, expected one: {lines[:4]!r}")
    if needle is not None and lines:
        ok &= ctx.check(needle in lines[0], f"{what}: the line does not name {needle!r}: {lines[0]!r}")
    ctx.check("Traceback" not in res.err and "Segmentation" not in res.err, f"{what}: crashed")
    return ok


# --------------------------------------------------------------------------
# retain run


@test
def test_cli_help_version(ctx):
    """`retain --help` and `retain --version` answer (exit 0) instead of running
    a program named --help; each subcommand has its own --help naming its
    options; `retain` alone is a usage error (exit 2).  run --help lists one
    option per RETAIN_* variable, RETAIN_DEBUGINFO and RETAIN_REPORT_MODE
    included, each with the variable it sets."""
    res = retain(ctx, ["--help"])
    ctx.check(res.rc == 0 and b"snapshot" in res.out and b"report" in res.out and b"diff" in res.out,
              f"--help: exit {res.rc}, stdout {res.out[:200]!r}")
    res = retain(ctx, ["--version"])
    ctx.check(res.rc == 0 and re.match(rb"retain \d+\.\d+", res.out), f"--version: {res.rc} {res.out!r}")
    res = retain(ctx, [])
    ctx.check(res.rc == 2, f"retain alone: exit {res.rc}, expected 2")
    for sub, needle in (("run", b"--min-size"), ("snapshot", b"--timeout"), ("report", b"--format"),
                        ("diff", b"OLD.json")):
        res = retain(ctx, [sub, "--help"])
        ctx.check(res.rc == 0 and needle in res.out, f"{sub} --help: exit {res.rc}, {res.out[:120]!r}")
    out = retain(ctx, ["run", "--help"]).out.decode()
    for var in ("OUTPUT", "SIGNAL", "REPORT_INTERVAL", "MIN_SIZE", "MIN_AGE", "DROP", "INTERVAL",
                "DEPTH", "SAMPLE", "QUIET", "DEBUGINFO", "REPORT_MODE"):
        opt = "--" + var.lower().replace("_", "-")
        ctx.check(re.search(rf"^\s+{re.escape(opt)}\b.*RETAIN_{var}\b", out, re.M),
                  f"run --help has no {opt} line naming RETAIN_{var}")


@test
def test_run_exit_status(ctx):
    """`retain run` exits with the program's status: 0, 3, and 128+n for a
    program killed by signal n (SIGTERM 143, SIGKILL 137); a program that
    cannot be found gives 127 and one line.  The short form `retain PROGRAM`
    behaves the same."""
    od = ctx.outdir()
    base = ["run", "--output", os.path.join(od, "r.%p"), "--no-html", "--"]
    for argv, want in ((["true"], 0), (["sh", "-c", "exit 3"], 3),
                       (["sh", "-c", "kill -TERM $$"], 128 + signal.SIGTERM),
                       (["sh", "-c", "kill -KILL $$"], 128 + signal.SIGKILL)):
        res = retain(ctx, base + argv)
        ctx.check(res.rc == want, f"retain run {argv}: exit {res.rc}, expected {want}; {res.err[-200:]!r}")
    res = retain(ctx, ["--output", os.path.join(od, "r.%p"), "--no-html", "sh", "-c", "exit 7"])
    ctx.check(res.rc == 7, f"short form: exit {res.rc}, expected 7")
    res = retain(ctx, base + ["/nonexistent/program"])
    ctx.check(res.rc == 127 and "/nonexistent/program" in res.err,
              f"missing program: exit {res.rc}, stderr {res.err!r}")


@test
def test_run_arguments_untouched(ctx):
    """Arguments reach the program byte for byte: spaces, quotes, an empty
    argument, `--`, options that retain itself knows (`--min-size`, `-p`),
    `$HOME`, a newline, a backslash.  The program prints its argv as JSON
    and the report's `command` is the same list."""
    od = ctx.outdir()
    args = ["a b", "'single'", '"double"', "", "--", "--min-size", "3x", "-p", "$HOME", "line\nbreak",
            "back\\slash", "*"]
    prog = [sys.executable, "-c", "import json, sys; print(json.dumps(sys.argv[1:]))"]
    res = retain(ctx, ["run", "--output", os.path.join(od, "r.%p"), "--no-html", "--"] + prog + args)
    ctx.check(res.rc == 0, f"exit {res.rc}: {res.err[-300:]!r}")
    try:
        got = json.loads(res.out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        got = None
    ctx.check(got == args, f"the program saw {got!r}, expected {args!r}")
    reps = ctx.reports_in(od)
    if ctx.check(len(reps) == 1, f"{len(reps)} reports, expected 1"):
        cmd = list(reps.values())[0].get("command")
        ctx.check(cmd and cmd[-len(args):] == args, f"report command {cmd!r}")


@test
def test_run_options_checked(ctx):
    """Each option is checked with the library's own parser before the program
    starts: a bad value gets one line naming the option (exit 2) and the
    program never runs (it would create a file).  Good values reach the
    program as RETAIN_* variables: the report's config shows them."""
    od = ctx.outdir()
    marker = os.path.join(ctx.tmp, "started")
    # the shell's own redirection: one process, no fork, no dlopen.  (Python
    # here, with --min-size 64K starting the sampler during its imports, hung
    # in about 1 run of 4: the sampler's rebind_check calls dlopen inside
    # dl_iterate_phdr while the program's dlopen holds the loader lock.)
    prog = ["sh", "-c", f": > '{marker}'"]
    bad = [("--min-size", "3x"), ("--interval", "0"), ("--signal", "KILL"), ("--drop", "2"),
           ("--depth", "0"), ("--sample", "-1"), ("--report-interval", "soon"), ("--min-age", "-5"),
           ("--debuginfo", "some"), ("--report-mode", "0777"), ("--quiet=2", None), ("--output", "")]
    for opt, val in bad:
        argv = ["run", opt] + ([val] if val is not None else []) + ["--"] + prog
        res = retain(ctx, argv)
        one_line_exit2(ctx, res, f"retain run {opt} {val!r}", opt.split("=")[0])
        ctx.check(not os.path.exists(marker), f"{opt} {val!r}: the program ran despite the bad value")
    res = retain(ctx, ["run", "--no-such-option", "--"] + prog)
    one_line_exit2(ctx, res, "an unknown option", "--no-such-option")
    res = retain(ctx, ["run", "--output", os.path.join(od, "r.%p"), "--no-html", "--min-size", "64K",
                       "--interval", "50", "--sample=0", "--debuginfo", "full", "--report-mode", "0640",
                       "--signal", "USR1", "--depth", "8", "--quiet", "--"] + prog)
    ctx.check(res.rc == 0 and os.path.exists(marker), f"good options: exit {res.rc}, {res.err[-200:]!r}")
    reps = ctx.reports_in(od)
    if ctx.check(len(reps) == 1, f"{len(reps)} reports with good options, expected 1"):
        cfg = list(reps.values())[0].get("config", {})
        want = {"min_size": 65536, "interval_ms": 50, "sample_bytes": 0, "debuginfo": "full",
                "report_mode": "0640", "signal": int(signal.SIGUSR1), "depth": 8, "quiet": 1}
        for k, v in want.items():
            ctx.check(cfg.get(k) == v, f"config {k} = {cfg.get(k)!r}, expected {v!r}")


@test
def test_run_forking_program(ctx):
    """A program that forks: `sh -c 'p3_unordered_map; exit 5'` under retain
    run exits 5 (the shell's status), both the shell and the corpus program
    it started leave reports, and retain prints the child's finding (its
    report written during the run) after the shell's."""
    od = ctx.outdir()
    exe = os.path.join(CORPUS, "p3_unordered_map")
    res = retain(ctx, ["run", "--output", os.path.join(od, "r.%p"), "--no-html", "--",
                       "sh", "-c", f"{exe} >/dev/null 2>&1; exit 5"])
    ctx.check(res.rc == 5, f"exit {res.rc}, expected 5")
    reps = ctx.reports_in(od)
    ctx.check(len(reps) == 2 and res.pid not in reps,
              f"reports of pids {sorted(reps)} (retain {res.pid}): expected the shell's and the child's")
    child = [r for r in reps.values() if r.get("findings")]
    ctx.check(child, "no report with the unordered_map finding")
    ctx.check("reports of other processes" in res.err and "fill_sessions" in res.err,
              f"retain did not print the child's finding: {res.err[-600:]!r}")


# --------------------------------------------------------------------------
# retain report: text, collapsed, speedscope, pprof, HTML


@test
def test_report_text_and_collapsed(ctx):
    """On a real report (corpus p3): `--format text` names the finding's
    retained bytes, its advice and the function that allocated it;
    `--format collapsed` has one `root;...;leaf value` line per call site
    (leaf = the stack's first frame, root = its last) whose values sum to
    the JSON's: live and peak bytes of the sites, retained bytes of the
    findings, allocations."""
    path, rep = corpus_report(ctx)
    res = retain(ctx, ["report", path])
    text = res.out.decode()
    ctx.check(res.rc == 0 and rep["findings"], f"text: exit {res.rc}; findings {len(rep['findings'])}")
    for f in rep["findings"]:
        ctx.check(f["advice"][:40] in text, "text lacks the finding's advice")
    ctx.check("fill_sessions" in text, "text does not name fill_sessions")
    sums = {"live": sum(max(0, s["live_bytes"]) for s in rep["sites"]),
            "peak": sum(max(0, s["peak_live_bytes"]) for s in rep["sites"]),
            "allocations": sum(s["allocations"] for s in rep["sites"]),
            "retained": sum(f["retained_bytes"] for f in rep["findings"])}
    ctx.check(sums["retained"] > 0 and sums["peak"] > 0, f"nothing to compare: {sums}")
    for value, want in sums.items():
        res = retain(ctx, ["report", path, "--format", "collapsed", "--value", value])
        lines = res.out.decode().splitlines()
        total = 0
        for line in lines:
            m = re.fullmatch(r"(.+) (\d+)", line)
            if not ctx.check(m, f"collapsed {value}: malformed line {line[:100]!r}"):
                break
            total += int(m.group(2))
        ctx.check(total == want, f"collapsed {value}: lines sum to {total}, the JSON to {want}")
    lines = retain(ctx, ["report", path, "--format", "collapsed", "--value", "peak"]).out.decode().splitlines()
    sites = [s for s in rep["sites"] if s["peak_live_bytes"] > 0]
    ctx.check(len(lines) == len(sites), f"{len(lines)} peak lines for {len(sites)} sites")
    for line, s in zip(lines, sites):
        frames = line.rsplit(" ", 1)[0].split(";")
        leaf, root = s["stack"][0], s["stack"][-1]
        ctx.check(len(frames) == len(s["stack"]), f"site {s['id']}: {len(frames)} frames in its line")
        ctx.check(leaf["function"] and frames[-1] == leaf["function"].replace(";", ":"),
                  f"site {s['id']}: line ends with {frames[-1]!r}, leaf is {leaf['function']!r}")
        ctx.check(root["function"] is None or frames[0] == root["function"],
                  f"site {s['id']}: line starts with {frames[0]!r}, root is {root['function']!r}")


@test
def test_exports_as_private_as_the_report(ctx):
    """A report holds the program's arguments and addresses and is created
    0600: every file retain writes from it (each --format with -o, the HTML
    page `retain run` leaves beside the report, a diff) has the report's
    permission bits, not the umask's 0644; a report made 0640 gives 0640
    exports, and an existing wider file is narrowed."""
    path, rep = corpus_report(ctx)
    ex = exports(ctx)
    for fmt in ("text", "html", "pprof", "collapsed", "speedscope"):
        out = os.path.join(ex, f"r.{fmt}")
        retain(ctx, ["report", path, "--format", fmt, "-o", out])
        mode = os.stat(out).st_mode & 0o777 if os.path.exists(out) else None
        ctx.check(mode == 0o600, f"--format {fmt}: mode {mode and oct(mode)}, the report's is 0600")
    wide = os.path.join(ex, "wide.html")
    with open(wide, "w") as f:
        f.write("old")
    os.chmod(wide, 0o644)
    retain(ctx, ["report", path, "--format", "html", "-o", wide])
    ctx.check(os.stat(wide).st_mode & 0o777 == 0o600, "an existing 0644 file kept its bits")
    retain(ctx, ["diff", path, path, "--format", "html", "-o", os.path.join(ex, "d.html")])
    ctx.check(os.stat(os.path.join(ex, "d.html")).st_mode & 0o777 == 0o600, "diff output is not 0600")
    shared = os.path.join(ex, "shared.json")
    shutil.copy(path, shared)
    os.chmod(shared, 0o640)
    retain(ctx, ["report", shared, "--format", "pprof", "-o", os.path.join(ex, "s.pb.gz")])
    ctx.check(os.stat(os.path.join(ex, "s.pb.gz")).st_mode & 0o777 == 0o640, "a 0640 report's export is not 0640")
    runs = os.path.join(ctx.tmp, "run")
    os.makedirs(runs)
    res = retain(ctx, ["run", "--output", os.path.join(runs, "r.%p"), "--", "true"])
    # retain's own pid is not the program's: find the page it wrote
    pages = [n for n in os.listdir(runs) if n.endswith(".html")]
    ctx.check(len(pages) == 1 and os.stat(os.path.join(runs, pages[0])).st_mode & 0o777 == 0o600,
              f"retain run's HTML page: {pages} {[oct(os.stat(os.path.join(runs, n)).st_mode) for n in pages]}")


@test
def test_report_speedscope(ctx):
    """`--format speedscope` on a real report passes the file-format schema
    that the npm speedscope package ships (checked with ajv), every frame
    index exists, and each profile's endValue is the JSON's total for its
    weight.  speedscope's own web app (the package's dist/release, served
    to chromium from disk) imports it: the tab is named after the profile
    and shows the retained-bytes profile first; a file that fails the
    schema is refused by both."""
    node_ready(ctx)
    path, rep = corpus_report(ctx)
    out = os.path.join(exports(ctx), "r.speedscope.json")
    res = retain(ctx, ["report", path, "--format", "speedscope", "-o", out])
    ctx.check(res.rc == 0, f"exit {res.rc}: {res.err!r}")
    chk = subprocess.run(["node", os.path.join(BROWSER, "check_speedscope.js"), out], env=base_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    ctx.check(chk.returncode == 0 and chk.stdout.strip() == b"ok",
              f"speedscope schema check: {chk.stdout.decode()[-400:]}")
    ss = load(out)
    ends = {p["name"]: p["endValue"] for p in ss["profiles"]}
    ctx.check(ends.get("retained bytes") == sum(f["retained_bytes"] for f in rep["findings"]),
              f"retained profile endValue {ends.get('retained bytes')}")
    ctx.check(ends.get("peak live bytes") == sum(s["peak_live_bytes"] for s in rep["sites"]),
              f"peak profile endValue {ends.get('peak live bytes')}")
    for p in ss["profiles"]:
        ctx.check(sum(p["weights"]) == p["endValue"], f"{p['name']}: weights do not sum to endValue")
    bad = os.path.join(exports(ctx), "bad.json")
    with open(bad, "w") as f:
        json.dump({"shared": {"frames": []}, "profiles": [{"type": "sampled"}]}, f)
    chk = subprocess.run(["node", os.path.join(BROWSER, "check_speedscope.js"), bad], env=base_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    ctx.check(chk.returncode != 0, "the schema check accepts a file without $schema and samples")

    # speedscope's own app imports it (and does not import the bad file)
    tool(ctx, "chromium", "Debian's chromium")
    for f, loads in ((out, True), (bad, False)):
        chk = subprocess.run(["node", os.path.join(BROWSER, "load_speedscope.js"), f,
                              "30000" if loads else "4000"], env=base_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
        try:
            got = json.loads(chk.stdout.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            ctx.fatal(f"load_speedscope.js: exit {chk.returncode}: {chk.stderr[-400:]!r}")
        ctx.check(got.get("outside") == [], f"speedscope asked the network for {got.get('outside')}")
        name = ss["name"]
        if loads:
            ctx.check(got.get("title") == f"{name} - speedscope" and
                      f"retained bytes (1/{len(ss['profiles'])})" in got.get("body", ""),
                      f"speedscope did not import the file: title {got.get('title')!r} body {got.get('body', '')[:200]!r}")
            ctx.check(got.get("console_errors") == [] and got.get("page_errors") == [],
                      f"speedscope errors: {got.get('console_errors')} {got.get('page_errors')}")
        else:
            ctx.check(got.get("title") == "speedscope", f"speedscope imported a bad file: {got.get('title')!r}")


def pprof_top(ctx, path, index):
    go = tool(ctx, "go", "Debian's golang-go")
    env = base_env({"HOME": ctx.tmp, "GOCACHE": os.path.join(ctx.tmp, "gocache"),
                    "GOFLAGS": "", "GOTOOLCHAIN": "local", "PPROF_TMPDIR": ctx.tmp})
    res = subprocess.run([go, "tool", "pprof", "-top", f"-sample_index={index}", "-unit=B",
                          "-nodecount=200", path], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=300)
    out = res.stdout.decode("utf-8", "replace")
    ctx.check(res.returncode == 0, f"go tool pprof -sample_index={index}: exit {res.returncode}: {out[-300:]}")
    m = re.search(r"Total samples = (\d+)B", out)
    return out, int(m.group(1)) if m else None


@test
def test_report_pprof(ctx):
    """`--format pprof` is a gzipped profile that `go tool pprof` reads: with
    -sample_index=retained_space on corpus p3 the total is the findings'
    retained bytes and the row of fill_sessions (the function that filled
    the map) carries all of it (cum); inline frames are marked (inline) and
    the main binary's build-id is given.  On tests/bin/sites with
    RETAIN_SAMPLE=0, -sample_index=inuse_space totals the sites' live bytes
    exactly (at most totals.live_bytes, which also counts allocations made
    before stacks could be taken); on a sampled report of 50 MB of live
    Python objects, totals.live_bytes within four standard errors of the
    sampling."""
    path, rep = corpus_report(ctx)
    out = os.path.join(exports(ctx), "p3.pb.gz")
    res = retain(ctx, ["report", path, "--format", "pprof", "-o", out])
    ctx.check(res.rc == 0, f"exit {res.rc}: {res.err!r}")
    with open(out, "rb") as f:
        ctx.check(f.read(2) == b"\x1f\x8b", "the pprof file is not gzipped")
    text, total = pprof_top(ctx, out, "retained_space")
    want = sum(f["retained_bytes"] for f in rep["findings"])
    ctx.check(total == want, f"retained_space total {total}, findings retain {want}")
    row = [l for l in text.splitlines() if re.search(r"\bfill_sessions\b", l)]
    ctx.check(row and re.match(rf"\s*\d+B?\s+[\d.]+%\s+[\d.]+%\s+{want}B\s+100%", row[0]),
              f"fill_sessions does not carry the retained bytes: {row[:1]!r}\n{text[-800:]}")
    ctx.check("(inline)" in text, "no inline frames in pprof's view")
    bid = rep["modules"][0]["build_id"]
    ctx.check(bid and f"Build ID: {bid}" in text, f"pprof does not show the main build-id {bid}")

    od = ctx.outdir("sites")
    res = ctx.run([ctx.bin("sites")], outdir=od, env={"RETAIN_SAMPLE": "0"})
    spath = os.path.join(od, f"r.{res.pid}.json")
    srep = load(spath)
    sout = os.path.join(exports(ctx), "sites.pb.gz")
    retain(ctx, ["report", spath, "--format", "pprof", "-o", sout])
    _, inuse = pprof_top(ctx, sout, "inuse_space")
    site_sum = sum(s["live_bytes"] for s in srep["sites"])
    live = srep["totals"]["live_bytes"]
    ctx.check(inuse == site_sum, f"inuse_space total {inuse}, the sites' live bytes {site_sum}")
    # totals also count what was allocated before call sites could be taken
    # (the loader's, a sanitizer runtime's): the sites' sum is at most that
    ctx.check(inuse is not None and 0 < inuse <= live,
              f"inuse_space total {inuse} vs totals.live_bytes {live}")

    od = ctx.outdir("python")
    # After the signal it allocates a little now and then until its report is
    # there: the library may serve the signal at the next allocation.
    code = ("import os, signal, sys, time\n"
            "keep = [bytearray(1000) for _ in range(50000)]\n"
            "os.kill(os.getpid(), signal.SIGUSR2)\n"
            "path = sys.argv[1] % os.getpid()\n"
            "end = time.time() + 20\n"
            "while time.time() < end and not os.path.exists(path):\n"
            "    junk = [bytearray(64) for _ in range(10)]\n"
            "    time.sleep(0.02)\n"
            "time.sleep(0.5)\n")
    proc = ctx.start([sys.executable, "-c", code, os.path.join(od, "r.%d.json")], outdir=od)
    ppath = os.path.join(od, f"r.{proc.pid}.json")
    deadline = time.monotonic() + 30
    prep = None
    while time.monotonic() < deadline and prep is None:
        try:
            r = load(ppath)
            prep = r if r.get("reason") == "signal" else None
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    if ctx.check(prep, "python3 wrote no signal report"):
        snap = os.path.join(exports(ctx), "python.json")
        with open(snap, "w") as f:
            json.dump(prep, f)
        pout = os.path.join(exports(ctx), "python.pb.gz")
        retain(ctx, ["report", snap, "--format", "pprof", "-o", pout])
        _, inuse = pprof_top(ctx, pout, "inuse_space")
        live = prep["totals"]["live_bytes"]
        mean = prep["config"]["sample_bytes"]
        err = 4 * math.sqrt(live * mean) + mean
        ctx.check(live >= 50_000_000, f"only {live} bytes live in the signal report")
        ctx.check(inuse is not None and abs(inuse - live) <= err,
                  f"sampled inuse_space total {inuse} vs totals.live_bytes {live} (allowed {err:.0f})")
    proc.wait(30)


@test
def test_report_html_in_browser(ctx):
    """The HTML page of a real report (corpus p3) in Debian's chromium,
    headless, driven by playwright-core: no console error, no request leaves
    the page (every request other than the page is aborted and counted), as
    many findings as the JSON, each finding's chart has one circle per
    history point, the peak, drop and retained period marked and both axes
    labelled; the inlined frames are folded in <details>; the three flame
    graphs total the JSON's live, peak and retained bytes, the tabs switch
    them, and a click on a frame zooms it to the full width (the root
    restores); the site table sorts by a click; a screenshot is saved."""
    node_ready(ctx)
    tool(ctx, "chromium", "Debian's chromium")
    path, rep = corpus_report(ctx)
    page = os.path.join(exports(ctx), "p3.html")
    res = retain(ctx, ["report", path, "--format", "html", "-o", page])
    ctx.check(res.rc == 0, f"exit {res.rc}: {res.err!r}")
    with open(page) as f:
        html = f.read()
    ctx.check(not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html), "the page links out")
    shot = os.path.join(exports(ctx), "p3.png")
    chk = subprocess.run(["node", os.path.join(BROWSER, "check_html.js"), page, shot], env=base_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
    try:
        got = json.loads(chk.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        ctx.fatal(f"check_html.js: exit {chk.returncode}: {chk.stdout[-300:]!r} {chk.stderr[-500:]!r}")
    if not ctx.check("fatal" not in got, f"browser: {got.get('fatal')}"):
        return
    ctx.check(got["console_errors"] == [] and got["page_errors"] == [],
              f"console errors {got['console_errors'][:3]} page errors {got['page_errors'][:3]}")
    ctx.check(got["requests"] == [], f"the page asked for {got['requests'][:5]}")
    n = len(rep["findings"])
    ctx.check(n >= 1 and got["findings"] == n and got["summary_findings"] == str(n),
              f"page shows {got['findings']} findings (summary {got['summary_findings']}), the JSON has {n}")
    for i, (chart, f) in enumerate(zip(got["charts"], rep["findings"])):
        if not ctx.check(chart, f"finding {i + 1} has no chart"):
            continue
        ctx.check(chart["points"] == len(f["history"]),
                  f"finding {i + 1}: {chart['points']} points drawn, {len(f['history'])} in the JSON")
        ctx.check(chart["peak"] == 1 and chart["drop"] == 1 and chart["retained"] == (f["retained_ms"] > 0),
                  f"finding {i + 1}: marks peak {chart['peak']} drop {chart['drop']} retained {chart['retained']}")
        ctx.check("milliseconds" in chart["xlabel"] and "occupancy" in chart["ylabel"],
                  f"finding {i + 1}: axis labels {chart['xlabel']!r} {chart['ylabel']!r}")
        ctx.check(chart["width"] > 300, f"finding {i + 1}: chart only {chart['width']}px wide")
    ctx.check(got["inlined_folded"] >= 1, "no inlined frames folded in the findings' stacks")
    flames = got["flames"]
    want = {"live": sum(max(0, s["live_bytes"]) for s in rep["sites"]),
            "peak": sum(max(0, s["peak_live_bytes"]) for s in rep["sites"]),
            "retained": sum(f["retained_bytes"] for f in rep["findings"])}
    for w, total in want.items():
        fl = flames.get(w)
        if ctx.check(fl is not None, f"no {w} flame graph"):
            ctx.check(fl["total"] == total and (total == 0 or fl["rects"] > 1),
                      f"{w} flame graph: total {fl['total']}, {fl['rects']} frames; the JSON {total}")
    ctx.check(flames["retained"]["visible"] and not flames["peak"]["visible"] and got["peak_visible_after_click"],
              "flame graph tabs do not switch")
    z = got.get("zoom")
    if ctx.check(z, "the peak flame graph has no frame narrower than the graph to zoom into"):
        ctx.check(abs(z["width"] - z["graph"]) < 1 and z["hidden"] > 0 and z["hidden_after_root"] == 0
                  and abs(z["root_width"] - z["graph"]) < 1, f"flame graph zoom: {z}")
    ctx.check(got["sorted_asc"] == sorted(got["sorted_asc"]) and got["sorted_desc"] == sorted(got["sorted_desc"], reverse=True)
              and len(got["sorted_asc"]) == len(rep["sites"]), f"site table sort: {got['sorted_asc']} {got['sorted_desc']}")
    ok = os.path.exists(shot) and os.path.getsize(shot) > 10000
    if ctx.check(ok, "no screenshot"):
        with open(shot, "rb") as f:
            ctx.check(f.read(8) == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG")
        keep = os.environ.get("RETAIN_SCREENSHOT")
        if keep:
            shutil.copy(shot, keep)


@test
def test_report_added_fields(ctx):
    """DESIGN §4a's added fields, shown by every reader when present: a real
    report with a site-kind finding (blocks, retained_bytes_error),
    resident_bytes, container, a python frame, totals.rss_bytes and
    profiler_bytes and an error added.  text and HTML show each; pprof
    carries container and resident_bytes as labels (go tool pprof -tags);
    collapsed and speedscope still work; diff of the real report against
    the extended one runs.  The real report without them works everywhere
    (the other tests)."""
    path, rep = corpus_report(ctx)
    ext = copy.deepcopy(rep)
    f = ext["findings"][0]
    f.update({"kind": "site", "blocks": 37, "retained_bytes_error": 123456, "resident_bytes": 4321000,
              "container": "python dict keys"})
    f["stack"].insert(0, {"address": "0x0", "function": "fill_cache", "file": "app/cache.py", "line": 88,
                          "module": None, "language": "python"})
    ext["totals"]["rss_bytes"] = 987654321
    ext["totals"]["profiler_bytes"] = 2222222
    ext["errors"] = ["cannot write report /x/y.json: No space left on device"]
    epath = os.path.join(exports(ctx), "extended.json")
    with open(epath, "w") as fp:
        json.dump(ext, fp)
    text = retain(ctx, ["report", epath]).out.decode()
    for needle in ("37 blocks", "python dict keys", "resident in RAM: 4.12 MiB", "process RSS 942 MiB",
                   "libretain's own memory 2.12 MiB", "No space left on device", "app/cache.py:88", "[python]"):
        ctx.check(needle in text, f"text lacks {needle!r}")
    page = os.path.join(exports(ctx), "extended.html")
    retain(ctx, ["report", epath, "--format", "html", "-o", page])
    with open(page) as fp:
        html = fp.read()
    for needle in ("37 blocks from one call site", "python dict keys", "4.12 MiB resident in RAM", "process RSS",
                   "libretain&#39;s own memory", "No space left on device", "[python]", "&plusmn;"):
        ctx.check(needle in html, f"HTML lacks {needle!r}")
    pb = os.path.join(exports(ctx), "extended.pb.gz")
    ctx.check(retain(ctx, ["report", epath, "--format", "pprof", "-o", pb]).rc == 0, "pprof failed")
    go = tool(ctx, "go", "Debian's golang-go")
    env = base_env({"HOME": ctx.tmp, "GOCACHE": os.path.join(ctx.tmp, "gocache"), "GOTOOLCHAIN": "local"})
    tags = subprocess.run([go, "tool", "pprof", "-tags", "-sample_index=retained_space", pb], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300).stdout.decode()
    ctx.check("python dict keys" in tags and "resident_bytes" in tags and "site" in tags,
              f"pprof -tags lacks the container / resident_bytes / kind labels: {tags[-500:]}")
    for fmt in ("collapsed", "speedscope"):
        res = retain(ctx, ["report", epath, "--format", fmt, "--value", "retained"])
        ctx.check(res.rc == 0 and b"fill_cache" in res.out, f"{fmt}: exit {res.rc}, python frame missing")
    res = retain(ctx, ["diff", path, epath])
    ctx.check(res.rc == 0, f"diff with the extended report: exit {res.rc} {res.err!r}")


DICT_DRAIN = """\
import time
def fill():
    d = {}
    for i in range(400000):
        d[i] = i
    return d
def main():
    d = fill()
    time.sleep(1.2)
    for i in range(400000):
        del d[i]
    time.sleep(2.0)
    return d
keep = main()
"""


@test
def test_report_python_frames(ctx):
    """A real CPython program under `retain run`: a dict filled with 400,000
    keys in fill() and emptied by del.  The report's finding has the added
    fields from the library itself (container, resident_bytes, python
    frames); retain's printed summary and text name the script's line
    (`fill  .../dict_drain.py:5`) as where the table was allocated, not the C
    function of the interpreter; the HTML page tags the python frames and
    names the container; in pprof the python frames are functions with the
    script as their file (go tool pprof -traces)."""
    od = ctx.outdir()
    script = os.path.join(ctx.tmp, "dict_drain.py")
    with open(script, "w") as f:
        f.write(DICT_DRAIN)
    res = retain(ctx, ["run", "--output", os.path.join(od, "r.%p"), "--no-html", "--", sys.executable, script])
    reps = ctx.reports_in(od)
    if not ctx.check(res.rc == 0 and len(reps) == 1, f"exit {res.rc}, {len(reps)} reports"):
        return
    path = os.path.join(od, f"r.{list(reps)[0]}.json")
    rep = list(reps.values())[0]
    dicts = [f for f in rep["findings"] if "dict" in (f.get("container") or "")]
    if not ctx.check(dicts, f"no dict finding: {[(f.get('container'), f['probe']) for f in rep['findings']]}"):
        return
    f = dicts[0]
    py = [fr for fr in f["stack"] if fr.get("language") == "python"]
    ctx.check(py and py[0]["function"] == "fill" and py[0]["line"] == 5, f"python frames {py[:2]}")
    where = f"allocated in fill  {script}:5"
    ctx.check(where in res.err, f"retain run's summary does not say {where!r}: {res.err[-500:]!r}")
    text = retain(ctx, ["report", path]).out.decode()
    ctx.check(where in text and f["container"] in text and "[python]" in text,
              f"text lacks the script line, the container or the python tag")
    html = retain(ctx, ["report", path, "--format", "html"]).out.decode()
    ctx.check("[python]" in html and f["container"] in html and "resident in RAM" in html,
              "HTML lacks the python tag, container or resident bytes")
    pb = os.path.join(exports(ctx), "py.pb.gz")
    retain(ctx, ["report", path, "--format", "pprof", "-o", pb])
    go = tool(ctx, "go", "Debian's golang-go")
    env = base_env({"HOME": ctx.tmp, "GOCACHE": os.path.join(ctx.tmp, "gocache"), "GOTOOLCHAIN": "local"})
    out = subprocess.run([go, "tool", "pprof", "-traces", "-lines", "-sample_index=retained_space", pb],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300).stdout.decode()
    ctx.check(re.search(rf"\bfill {re.escape(script)}:5\b", out),
              f"pprof -traces does not show fill at {script}:5: {out[-600:]}")


# --------------------------------------------------------------------------
# snapshot and diff on a real server

def start_memcached(ctx, od, env=None):
    exe = tool(ctx, "memcached", "Debian's memcached")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [exe, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "256", "-t", "2"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]
    proc = ctx.start(argv, outdir=od, env=env)
    deadline = time.monotonic() + 10
    while True:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=10)
            return proc, conn
        except OSError:
            if time.monotonic() > deadline:
                ctx.fatal("memcached did not start listening")
            time.sleep(0.05)


def roundtrip(conn, cmd, end=b"END\r\n"):
    conn.sendall(cmd)
    data = b""
    while not data.endswith(end):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def snapshot(ctx, pid, extra=()):
    """retain snapshot PID: (Result, the report path it names, that report).
    The report is read from the path afterwards, so its duration_ms must be
    the one retain says it printed: the same report, not a later one."""
    res = retain(ctx, ["snapshot", str(pid)] + list(extra), timeout=60)
    m = re.search(r"retain: report (\S+) \(reason signal, pid (\d+), duration_ms (\d+);", res.err)
    path = m.group(1) if m else None
    rep = None
    if path and os.path.exists(path):
        rep = load(path)
        ctx.check(int(m.group(2)) == pid and rep.get("duration_ms") == int(m.group(3)),
                  f"retain printed the report of pid {m.group(2)}, duration_ms {m.group(3)}; the file "
                  f"holds duration_ms {rep.get('duration_ms')}")
    else:
        ctx.check(False, f"snapshot named no report: {res.err[-300:]!r}")
    return res, path, rep


@test(serial=True)
def test_snapshot_memcached(ctx):
    """retain snapshot on Debian's memcached under the preload: it finds the
    report path from the process (RETAIN_OUTPUT in /proc/PID/environ), and the
    report it prints is the one it asked for: reason signal, this pid, a file
    written after the request (an earlier report, asked for by hand, is not
    taken: the snapshot's duration_ms is larger), the printed text is that
    report's.  `retain -p PID --format collapsed` works the same.  Then the
    refusals, one line and a non-zero exit each: a dead pid, a process not
    under libretain, a process whose RETAIN_SIGNAL is off, another user's
    process; and a preloaded process without libretain's thread that never
    allocates again is said to answer only at its next allocation, then
    timed out (--timeout 2)."""
    od = ctx.outdir()
    proc, conn = start_memcached(ctx, od)
    try:
        for i in range(0, 100_000, 2000):
            conn.sendall(b"".join(b"set key%08d 0 0 8 noreply\r\nvalue%03d\r\n" % (j, j % 1000)
                                  for j in range(i, i + 2000)))
        roundtrip(conn, b"stats\r\n")
        own = os.path.join(od, f"r.{proc.pid}.json")
        proc.signal(signal.SIGUSR2)             # an earlier report, asked for by hand
        deadline = time.monotonic() + 20
        while not os.path.exists(own) and time.monotonic() < deadline:
            time.sleep(0.05)
        before = load(own)
        time.sleep(0.3)
        asked = time.time()
        res, path, rep = snapshot(ctx, proc.pid)
        ctx.check(res.rc == 0, f"snapshot: exit {res.rc}: {res.err[-300:]!r}")
        ctx.check(path == own, f"snapshot read {path!r}, the process writes {own!r}")
        if ctx.check(rep, "snapshot named no report"):
            check_basic(ctx, rep, proc.pid, "signal", "memcached", label="snapshot: ")
            ctx.check(rep["duration_ms"] > before["duration_ms"],
                      f"snapshot printed an old report (duration {rep['duration_ms']} <= {before['duration_ms']})")
            ctx.check(os.stat(path).st_mtime >= asked - 0.05, "the report is older than the request")
            text = res.out.decode()
            ctx.check(text.startswith(f"libretain report (signal) for pid {proc.pid}:") and
                      f"allocations {rep['totals']['allocations']}," in text,
                      f"printed text is not that report's: {text[:200]!r}")
        res2, path2, rep2 = snapshot(ctx, proc.pid, ["--format", "collapsed"])
        ctx.check(res2.rc == 0 and rep2 and rep and rep2["duration_ms"] > rep["duration_ms"],
                  f"second snapshot: exit {res2.rc}, not newer")
        ctx.check(re.search(rb"^\S.* \d+$", res2.out, re.M), "second snapshot printed no collapsed lines")
        ctx.check(roundtrip(conn, b"get key00000007\r\n").startswith(b"VALUE key00000007"),
                  "memcached stopped answering after the snapshots")
    finally:
        conn.close()
        proc.signal(signal.SIGTERM)
        proc.wait(60)

    # refusals
    gone = ctx.start(["true"], preload=False)
    gone.wait(10)
    res = retain(ctx, ["snapshot", str(gone.pid)])
    ctx.check(res.rc == 1 and "no process" in res.err and len(res.err.strip().splitlines()) == 1,
              f"dead pid: exit {res.rc} {res.err!r}")
    plain = ctx.start(["sleep", "30"], preload=False)
    try:
        time.sleep(0.2)
        res = retain(ctx, ["snapshot", str(plain.pid)])
        ctx.check(res.rc == 1 and "does not run under libretain" in res.err
                  and len(res.err.strip().splitlines()) == 1, f"unprofiled: exit {res.rc} {res.err!r}")
    finally:
        plain.signal(signal.SIGKILL)
        plain.wait(10)
    # a preloaded process that never allocates again and has no libretain
    # thread: told, then a timeout (no report can come)
    idle = ctx.start(["sleep", "30"], outdir=ctx.outdir("idle"))
    try:
        time.sleep(0.3)
        res = retain(ctx, ["snapshot", str(idle.pid), "--timeout", "2"])
        ctx.check(res.rc == 1 and "no libretain thread yet" in res.err and "within 2 s" in res.err,
                  f"idle process: exit {res.rc} {res.err!r}")
    finally:
        idle.signal(signal.SIGKILL)
        idle.wait(10)
    off = ctx.start(["sleep", "30"], outdir=ctx.outdir("off"), env={"RETAIN_SIGNAL": "off"})
    try:
        time.sleep(0.3)
        res = retain(ctx, ["snapshot", str(off.pid)])
        ctx.check(res.rc == 1 and "off" in res.err and len(res.err.strip().splitlines()) == 1,
                  f"signal off: exit {res.rc} {res.err!r}")
        ctx.check(off.running(), "the process with signals off was signalled anyway")
        # another user's process: as root, ask as nobody; otherwise pid 1 is root's
        if os.geteuid() == 0 and shutil.which("setpriv"):
            # a copy nobody can run: the checkout may sit in a directory only root enters
            import tempfile
            pub = tempfile.mkdtemp(prefix="retain-pub-")
            try:
                os.chmod(pub, 0o755)
                exe = os.path.join(pub, "retain")
                shutil.copy(RETAIN, exe)
                os.chmod(exe, 0o755)
                argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", exe, "snapshot", str(off.pid)]
                r = ctx.start(argv, preload=False, cwd=pub).wait(30)
            finally:
                shutil.rmtree(pub, ignore_errors=True)
        else:
            r = retain(ctx, ["snapshot", "1"])
        ctx.check(r.rc == 1 and "another user" in r.err and len(r.err.strip().splitlines()) == 1,
                  f"another user's process: exit {r.rc} {r.err!r}")
    finally:
        off.signal(signal.SIGKILL)
        off.wait(10)


def table_findings(rep):
    return [f for f in rep.get("findings", []) if f.get("probe") == "pointer"
            and f.get("capacity_bytes", 0) >= 1 << 20]


@test(serial=True)
def test_diff_memcached_drain(ctx):
    """retain diff of two reports of one memcached, taken with retain snapshot
    before and after deleting its 600,000 keys: the hash-table finding shows
    as new, in text (a `new` line naming the pointer probe) and in HTML (a
    row of class change-new)."""
    od = ctx.outdir()
    proc, conn = start_memcached(ctx, od)
    ex = exports(ctx)
    try:
        n = 600_000
        for i in range(0, n, 2000):
            conn.sendall(b"".join(b"set key%08d 0 0 8 noreply\r\nvalue%03d\r\n" % (j, j % 1000)
                                  for j in range(i, i + 2000)))
        ctx.check(harness.memcached_wait_grown(lambda: roundtrip(conn, b"stats\r\n"), n),
                  "memcached's hash table still growing after 60 s")
        time.sleep(1.3)
        res, path, before = snapshot(ctx, proc.pid)
        ctx.check(res.rc == 0 and before, f"first snapshot: exit {res.rc} {res.err[-200:]!r}")
        old = os.path.join(ex, "before.json")
        shutil.copy(path, old)
        for i in range(0, n, 2000):
            conn.sendall(b"".join(b"delete key%08d noreply\r\n" % j for j in range(i, i + 2000)))
        roundtrip(conn, b"stats\r\n")
        # detection takes a few sampler passes after the drain: on a loaded
        # machine more than the usual second and a half, so ask until it shows
        deadline = time.monotonic() + 15
        time.sleep(1.5)
        while True:
            res, path, after = snapshot(ctx, proc.pid)
            if not after or table_findings(after) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        ctx.check(res.rc == 0 and after, f"second snapshot: exit {res.rc}")
        new = os.path.join(ex, "after.json")
        shutil.copy(path, new)
    finally:
        conn.close()
        proc.signal(signal.SIGTERM)
        proc.wait(60)
    tables = table_findings(after)
    ctx.check(tables and not [f for f in before["findings"] if f["address"] == tables[0]["address"]],
              f"the drain left no new finding to diff: {[(f['probe'], f['capacity_bytes']) for f in after['findings']]}")
    res = retain(ctx, ["diff", old, new])
    text = res.out.decode()
    ctx.check(res.rc == 0 and re.search(r"^new +\S+ \S+ retained in .*probe pointer", text, re.M),
              f"diff text shows no new pointer finding:\n{text[:800]}")
    page = os.path.join(ex, "diff.html")
    res = retain(ctx, ["diff", old, new, "--format", "html", "-o", page])
    with open(page) as f:
        ctx.check(res.rc == 0 and 'class="change-new"' in f.read(), "diff HTML has no new finding row")
    res = retain(ctx, ["diff", new, old])
    ctx.check(re.search(r"^gone ", res.out.decode(), re.M), "reversed diff does not show the finding as gone")


# --------------------------------------------------------------------------
# bad input


@test
def test_bad_input(ctx):
    """Bad input to every subcommand gets one line on stderr and exit 2, no
    crash: report and diff given an empty file, truncated JSON, a binary
    file, JSON of another schema, a JSON array, a directory, a missing file
    (the line names the file); an unknown format or option; snapshot given
    a non-number or no pid; run given no program."""
    path, rep = corpus_report(ctx)
    ex = exports(ctx)
    with open(path, "rb") as f:
        data = f.read()
    cases = {"empty.json": b"", "truncated.json": data[:len(data) // 2],
             "binary.json": open("/bin/true", "rb").read()[:4096],
             "other.json": json.dumps({"schema": "memray/2", "pid": 1}).encode(),
             "array.json": b"[1, 2, 3]", "nofindings.json": json.dumps(
                 {k: v for k, v in rep.items() if k != "findings"}).encode()}
    files = {}
    for name, content in cases.items():
        files[name] = os.path.join(ex, name)
        with open(files[name], "wb") as f:
            f.write(content)
    files["a directory"] = ex
    files["missing.json"] = os.path.join(ex, "missing.json")
    for name, p in files.items():
        for fmt in ("text", "html", "pprof", "collapsed", "speedscope"):
            res = retain(ctx, ["report", p, "--format", fmt, "-o", os.path.join(ex, "out")])
            one_line_exit2(ctx, res, f"report {name} as {fmt}", p)
        one_line_exit2(ctx, retain(ctx, ["diff", path, p]), f"diff against {name}", p)
        one_line_exit2(ctx, retain(ctx, ["diff", p, path]), f"diff from {name}", p)
    one_line_exit2(ctx, retain(ctx, ["report", path, "--format", "svg"]), "an unknown format", "svg")
    one_line_exit2(ctx, retain(ctx, ["report", path, "--bogus"]), "an unknown report option", "--bogus")
    one_line_exit2(ctx, retain(ctx, ["report"]), "report without a file")
    one_line_exit2(ctx, retain(ctx, ["diff", path]), "diff with one file")
    one_line_exit2(ctx, retain(ctx, ["diff", path, path, "--format", "pprof"]), "diff as pprof", "pprof")
    one_line_exit2(ctx, retain(ctx, ["snapshot", "abc"]), "snapshot abc", "abc")
    one_line_exit2(ctx, retain(ctx, ["snapshot"]), "snapshot without a pid")
    one_line_exit2(ctx, retain(ctx, ["-p", "12x"]), "-p 12x", "12x")
    one_line_exit2(ctx, retain(ctx, ["snapshot", "1", "--timeout", "never"]), "snapshot --timeout never", "--timeout")
    one_line_exit2(ctx, retain(ctx, ["run"]), "run without a program")
    one_line_exit2(ctx, retain(ctx, ["run", "--min-size"]), "an option without its value", "--min-size")
