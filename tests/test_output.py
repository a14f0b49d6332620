"""Real programs' output.

Programs nobody here wrote, and self-checking edge-case programs: stdout
byte-identical and the same exit status with and without the preload, one
report per process."""
import json
import os
import random
import shutil
import sys

from harness import check_basic, test


@test
def test_output_ls(ctx):
    """`ls -la /usr/bin`: stdout byte-identical and the same exit status with
    and without the preload; an exit report."""
    argv = ["ls", "-la", "/usr/bin"]
    plain = ctx.run(argv, preload=False)
    pre = ctx.run(argv)
    ctx.check(plain.rc == 0 and len(plain.out) > 1000, f"plain ls failed (rc {plain.rc})")
    ctx.same_output(plain, pre)
    check_basic(ctx, ctx.report(ctx.outdir(), pre.pid), pre.pid, "exit", "ls")


@test
def test_output_sort(ctx):
    """Four sorts of 60,000 lines (one with --parallel=2 and temporary files):
    stdout byte-identical and the same exit status with and without the
    preload; an exit report from each."""
    rnd = random.Random(1234)
    data = os.path.join(ctx.tmp, "data.txt")
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    with open(data, "w") as f:
        for i in range(60000):
            f.write(f"{rnd.choice(words)}-{rnd.randrange(10**6)} {rnd.randrange(-5000, 5000)}"
                    f" {rnd.random():.6f}\n")
    tmpdir = os.path.join(ctx.tmp, "sorttmp")
    os.makedirs(tmpdir)
    for argv in (["sort", data],
                 ["sort", "-S", "1M", "--parallel=2", "-T", tmpdir, data],   # threads + temp files
                 ["sort", "-n", "-r", "-k2,2", "-s", data],
                 ["sort", "-u", "-t-", "-k1,1", data]):
        plain = ctx.run(argv, preload=False)
        pre = ctx.run(argv)
        ctx.check(plain.rc == 0, f"plain `{plain.describe()}` failed")
        ctx.same_output(plain, pre, what=" ".join(argv).replace(ctx.tmp + "/", ""))
        rep = ctx.report(ctx.outdir(), pre.pid)
        check_basic(ctx, rep, pre.pid, "exit", "sort")


PY_SNIPPET = r"""
import collections, json
d = {}
for i in range(200000):
    d["k%d" % (i * 7919 % 200000)] = [i, str(i) * (i % 5)]
for i in range(0, 200000, 3):
    del d["k%d" % i]
lst = sorted(d.items(), key=lambda kv: (len(kv[1][1]), kv[0]))[:5]
c = collections.Counter(len(v[1]) for v in d.values())
s = {i % 1013 for i in range(100000)}
print(len(d), lst, sorted(c.items()), len(s))
print(json.dumps({"a": [1, 2, {"b": None}], "n": sum(v[0] for v in d.values())}, sort_keys=True))
print(" ".join(w[::-1] for w in "the quick brown fox jumps over the lazy dog".split()))
import subprocess
print(subprocess.run(["/bin/echo", "from a child"], capture_output=True, text=True).stdout.strip())
print(subprocess.run(["/bin/sh", "-c", "echo $((6 * 7))"], stdout=subprocess.PIPE).stdout)
try:
    subprocess.run(["/nonexistent/command"])   # vfork child fails to exec, _exit(255)
except FileNotFoundError as e:
    print("missing command:", e.errno)
print(sum(len(str(i)) for i in range(100000)))
"""


@test
def test_output_python(ctx):
    """Python dict, list and set work and subprocesses, including a missing
    command (a vfork child that fails to exec and _exits): stdout
    byte-identical and the same exit status with and without the preload."""
    py = os.path.realpath(sys.executable)
    argv = [py, "-c", PY_SNIPPET]
    env = {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    plain = ctx.run(argv, preload=False, env=env)
    pre = ctx.run(argv, env=env)
    ctx.check(plain.rc == 0, f"plain python failed: {plain.err[-300:]}")
    ctx.same_output(plain, pre, what="python3 -c ...")
    check_basic(ctx, ctx.report(ctx.outdir(), pre.pid), pre.pid, "exit")


GIT_SCRIPT = r"""
set -e
git init -q -b main .
printf 'hello\n' > a.txt
mkdir d
seq 1 500 > d/nums.txt
git add -A
git commit -q -m "first commit"
seq 1 500 | sed 's/5/five/' > d/nums.txt
echo more >> a.txt
git commit -q -a -m "second commit"
git log --stat --format='%H %an <%ae> %ad %s' --date=iso
git diff HEAD~1 --stat
git cat-file -p HEAD
git status --porcelain
git rev-list --count HEAD
git show HEAD:a.txt
"""


@test
def test_output_git(ctx):
    """A git repository built with fixed dates (init, add, two commits, log,
    diff, cat-file, status): identical output with and without the preload,
    and an exit report from each of the >= 8 git processes."""
    if not shutil.which("git"):
        ctx.note("git not installed, skipped")
        return
    home = os.path.join(ctx.tmp, "home")
    os.makedirs(home)
    env = {"HOME": home, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.com",
           "GIT_AUTHOR_DATE": "2020-01-02T03:04:05+0000",
           "GIT_COMMITTER_NAME": "Test Committer", "GIT_COMMITTER_EMAIL": "committer@example.com",
           "GIT_COMMITTER_DATE": "2020-01-02T03:04:05+0000", "GIT_PAGER": "cat", "PAGER": "cat"}
    repo = os.path.join(ctx.tmp, "repo")       # same path for both runs
    results = []
    for preload in (False, True):
        shutil.rmtree(repo, ignore_errors=True)
        os.makedirs(repo)
        results.append(ctx.run(["bash", "-c", GIT_SCRIPT], preload=preload, env=env, cwd=repo))
    plain, pre = results
    ctx.check(plain.rc == 0, f"plain git script failed: {plain.err[-300:]}")
    ctx.same_output(plain, pre, what="git script")
    reps = ctx.reports_in(ctx.outdir())
    cmds = [os.path.basename(r.get("command", ["?"])[0]) for r in reps.values()
            if isinstance(r.get("command"), list) and r["command"]]
    ctx.check(cmds.count("git") >= 8, f"expected a report from each of the >= 8 git processes, "
              f"got commands {sorted(cmds)}")
    for pid, r in reps.items():
        check_basic(ctx, r, pid, "exit", label=f"r.{pid}.json: ")


PIPELINE = ('seq 1 20000 | sort -r | head -5 | wc -l; '
            '(cd /; for i in 1 2 3; do echo sub $i; done | tac); '
            'x=$(seq 1 100 | awk \'{s += $1} END {print s}\'); echo "sum $x"')


@test
def test_output_bash_pipeline(ctx):
    """A bash pipeline with forks and execs: identical output; each process
    writes its own report (RETAIN_OUTPUT=<dir>/r.%p)."""
    argv = ["bash", "-c", PIPELINE]
    plain = ctx.run(argv, preload=False)
    pre = ctx.run(argv)
    ctx.check(plain.out == b"5\nsub 3\nsub 2\nsub 1\nsum 5050\n", f"plain output {plain.out!r}")
    ctx.same_output(plain, pre, what="bash pipeline")
    reps = ctx.reports_in(ctx.outdir())
    ctx.check(pre.pid in reps, f"no report from the top-level bash (pid {pre.pid}); "
              f"reports from pids {sorted(reps)}")
    cmds = {}
    for pid, r in reps.items():
        check_basic(ctx, r, pid, "exit", label=f"r.{pid}.json: ")
        c = r.get("command")
        if isinstance(c, list) and c and isinstance(c[0], str):
            cmds.setdefault(os.path.basename(c[0]), []).append(pid)
    ctx.check(len(reps) >= 7, f"only {len(reps)} reports from the pipeline's processes: {cmds}")
    for want in ("seq", "head", "wc", "tac", "awk"):
        ctx.check(want in cmds, f"no report from `{want}` (reports: {cmds})")
    ctx.check(len(cmds.get("bash", [])) >= 2,
              f"no report from a forked bash subshell (bash reports: {cmds.get('bash')})")


def edge_test(ctx, name):
    """Runs the self-checking program `name` plain, then preloaded with the
    default sampling and with RETAIN_SAMPLE=0: it passes its own checks each
    time and prints the same output."""
    exe = ctx.bin(name)
    plain = ctx.run([exe], preload=False)
    ctx.check(plain.rc == 0, f"{name} fails even without the preload: {fail_lines(plain.out)}")
    for env, label in (({}, "default"), ({"RETAIN_SAMPLE": "0"}, "RETAIN_SAMPLE=0")):
        pre = ctx.run([exe], env=env, outdir=ctx.outdir(label.replace("=", "-")))
        ctx.same_output(plain, pre, what=f"{name} ({label})")
        ctx.check(pre.rc == 0, f"{name} ({label}) failed checks: {fail_lines(pre.out)}")


@test
def test_edge_malloc(ctx):
    """tests/progs/edge.c, malloc-family edge cases: every check in the
    program passes and its output equals the plain run's, with the default
    settings and with RETAIN_SAMPLE=0."""
    edge_test(ctx, "edge")


@test
def test_edge_cxx(ctx):
    """tests/progs/edge_cxx.cc, C++ allocation paths (new/delete forms,
    aligned and nothrow variants): every check passes and the output equals
    the plain run's, with the default settings and with RETAIN_SAMPLE=0."""
    edge_test(ctx, "edge_cxx")


def fail_lines(out):
    lines = [l for l in out.decode("utf-8", "replace").splitlines() if l.startswith("FAIL")]
    return "; ".join(lines[:6]) or "(no FAIL lines)"


@test
def test_tree_shares_prefix_renamed_library(ctx):
    """RETAIN_OUTPUT without %p, shared by a shell and the program it runs,
    with the library preloaded from a copy whose name does not say
    libretain (an install under another name): the shell keeps r.json, the
    child adds its pid, and neither report overwrites the other.  The child
    used to look for "libretain" in its parent's maps, missed the copy, and
    both wrote r.json."""
    lib_copy = os.path.join(ctx.tmp, "profiler-copy.so")
    shutil.copy(harness_lib(), lib_copy)
    od = ctx.outdir()
    hello = ctx.bin("hello")
    res = ctx.run(["/bin/sh", "-c", f"{hello} 3; true"], outdir=od, expect_report=False,
                  env={"LD_PRELOAD": lib_copy, "RETAIN_OUTPUT": os.path.join(od, "r")})
    ctx.check(res.rc == 0, f"sh exited {res.rc}: {res.err[-200:]!r}")
    names = sorted(n for n in os.listdir(od) if n.endswith(".json"))
    commands = {}
    for n in names:
        with open(os.path.join(od, n)) as f:
            commands[n] = os.path.basename(str((json.load(f).get("command") or ["?"])[0]))
    ctx.check(commands.get("r.json") == "sh", f"reports {commands} (r.json should be the shell's)")
    child = [n for n, c in commands.items() if c == "hello"]
    ctx.check(len(child) == 1 and child[0] != "r.json",
              f"reports {commands} (hello's should be r.<pid>.json)")


def harness_lib():
    import harness
    return harness.LIB
