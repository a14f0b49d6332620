#!/usr/bin/env python3
"""libretain benchmark runner (Python 3 standard library only).

Runs each workload plain, under libretain (default settings), under libretain
exact mode (RETAIN_SAMPLE=0) and under heaptrack, interleaved round by round,
then prints a Markdown table of median ratios vs plain, the targets side by
side, and a sampler-cost section.  The same text goes to --out.

Usually started by `make bench` (top level) or `make -C bench run`; see
README.md for what is measured.
"""

import argparse
import glob
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
import harness  # noqa: E402  (tests/harness.py: starting and killing programs)

MODES = ["plain", "default", "exact", "heaptrack"]
MODE_TITLE = {
    "plain": "plain",
    "default": "libretain",
    "exact": "libretain exact",
    "heaptrack": "heaptrack",
}

SIGNAMES = {getattr(signal, n): n for n in dir(signal)
            if n.startswith("SIG") and not n.startswith("SIG_") and isinstance(getattr(signal, n), int)}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Running one command under the `measure` helper
# --------------------------------------------------------------------------

class Result:
    """One run of one workload in one mode."""

    def __init__(self):
        self.error = None        # None when the run succeeded, else a short reason
        self.wall = None         # seconds, until the whole process tree exited
        self.maxrss_kb = None    # largest per-process peak RSS in the tree
        self.cpu = None          # utime + stime of the whole tree, seconds
        self.stdout = ""
        self.stderr = ""
        self.metric = None       # workload-specific (req/s for the server)
        self.extra = {}
        self.hung = False        # timed out / would not stop: don't retry this mode

    @property
    def ok(self):
        return self.error is None


def describe_status(status, sig):
    if sig:
        return "killed by %s" % SIGNAMES.get(sig, "signal %d" % sig)
    return "exit %d" % status


def read_measure(path, res):
    """Parse the line `measure` writes; fills res, returns (status, signal)."""
    try:
        with open(path) as f:
            fields = dict(kv.split("=", 1) for kv in f.read().split())
    except (OSError, ValueError):
        res.error = res.error or "no measurement (runner helper failed)"
        return None, None
    res.wall = float(fields["wall_all"])
    res.maxrss_kb = int(fields["maxrss_kb"])
    res.cpu = float(fields["utime"]) + float(fields["stime"])
    return int(fields["status"]), int(fields["signal"])


def kill_tree(proc):
    """End a measured run: its helper leads its own session and process group."""
    harness.kill_group(proc, harness.TERM_THEN_KILL)


class Runner:
    def __init__(self, args):
        self.args = args
        self.bin = os.path.abspath(args.bin)
        self.measure = os.path.join(self.bin, "measure")
        self.lib = os.path.abspath(args.lib)
        self.heaptrack = shutil.which("heaptrack")
        self.modes = set(filter(None, (m.strip() for m in args.modes.split(","))))
        self.lib_problem = None
        if not os.path.isfile(self.lib):
            self.lib_problem = "no libretain.so"
        # The environment every run starts from: nothing of a profiler the
        # caller may have set, so that "plain" is plain and "default" is
        # libretain's defaults.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("RETAIN_") and k not in ("LD_PRELOAD", "DUMP_HEAPTRACK_OUTPUT")}
        self.base_env = env
        self.logf = open(os.path.join(os.path.dirname(os.path.abspath(args.out)), "bench.log"), "w")

    def mode_unavailable(self, mode):
        if mode != "plain" and self.modes and mode not in self.modes:
            return "not selected"
        if mode in ("default", "exact") and self.lib_problem:
            return self.lib_problem
        if mode == "heaptrack" and not self.heaptrack:
            return "heaptrack not installed"
        return None

    def env_for(self, mode, tmp):
        env = dict(self.base_env)
        if mode in ("default", "exact"):
            env["LD_PRELOAD"] = self.lib
            env["RETAIN_QUIET"] = "1"
            env["RETAIN_OUTPUT"] = os.path.join(tmp, "r")
            if mode == "exact":
                env["RETAIN_SAMPLE"] = "0"
        return env

    def wrap(self, mode, cmd, tmp):
        if mode == "heaptrack":
            # heaptrack writes <tmp>/heaptrack.zst (or .gz); tmp is removed after
            return [self.heaptrack, "-o", os.path.join(tmp, "heaptrack")] + cmd
        return cmd

    def start(self, mode, cmd, tmp, stdout, stderr):
        full = [self.measure, os.path.join(tmp, "measure.txt")] + self.wrap(mode, cmd, tmp)
        return harness.spawn(full, self.env_for(mode, tmp), tmp, stdout, stderr)

    def finish(self, proc, res, tmp, mode, what):
        status, sig = read_measure(os.path.join(tmp, "measure.txt"), res)
        if res.error is None and status is not None and (status != 0 or sig):
            res.error = describe_status(status, sig)
        if res.error:
            self.logf.write("=== %s [%s]: %s\n--- stdout\n%s\n--- stderr\n%s\n"
                            % (what, mode, res.error, res.stdout[-3000:], res.stderr[-3000:]))
            self.logf.flush()

    def run(self, mode, cmd, timeout, what, inspect=None):
        """Run a command that ends by itself; returns a Result."""
        res = Result()
        tmp = tempfile.mkdtemp(prefix="retain-bench-")
        try:
            proc = self.start(mode, cmd, tmp, subprocess.PIPE, subprocess.PIPE)
            out, err, timed_out = harness.communicate(proc, timeout, harness.TERM_THEN_KILL)
            if timed_out:
                res.error = "timeout after %.0f s" % timeout
                res.hung = True
            res.stdout = out.decode(errors="replace")
            res.stderr = err.decode(errors="replace")
            self.finish(proc, res, tmp, mode, what)
            if inspect and res.ok:
                inspect(tmp, res)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return res


# --------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------

def python_for_workload():
    if os.environ.get("BENCH_PYTHON"):
        return os.environ["BENCH_PYTHON"]
    # Debian's own interpreter: what a user profiles, not a private build
    if os.path.exists("/usr/bin/python3"):
        return "/usr/bin/python3"
    return sys.executable


class ProgramWorkload:
    """A program that runs to completion; measured by wall time."""

    kind = "time"

    def __init__(self, name, title, cmd, timeout_floor=60, metric=None, unit=None, duration=None):
        self.name = name
        self.title = title
        self.cmd = cmd
        self.timeout_floor = timeout_floor
        # metric: a regex whose group 1 is the run's throughput (a number the
        # program prints, higher is better); the workload is then measured by
        # it, stdout is not compared, and duration (seconds) turns CPU time
        # into CPU per unit of work
        self.metric = metric
        if metric:
            self.kind = "throughput"
            self.unit = unit
            self.duration = duration

    def timeout(self, mode, plain_wall):
        if plain_wall is None:
            return 300
        factor = 150 if mode == "heaptrack" else 60
        return max(self.timeout_floor, factor * plain_wall)

    def run(self, runner, mode, plain):
        res = runner.run(mode, self.cmd, self.timeout(mode, plain.wall if plain else None), self.name)
        if self.metric:
            m = re.search(self.metric, res.stdout)
            if res.ok and not m:
                res.error = "no %s in output" % self.unit
            elif m:
                res.metric = float(m.group(1))
            return res
        if res.ok and mode in ("default", "exact") and plain is not None and plain.ok:
            if res.stdout != plain.stdout:
                res.error = "wrong output"
                runner.logf.write("=== %s [%s]: output differs\n--- plain\n%s\n--- %s\n%s\n"
                                  % (self.name, mode, plain.stdout[-2000:], mode, res.stdout[-2000:]))
        return res


NGINX_CONF = """\
# generated by bench/run_bench.py; everything lives in this directory
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 1000000;
    default_type text/html;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {tmp}/www;
        location / {{
        }}
    }}
}}
"""


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class ServerWorkload:
    """nginx (started under the mode being measured) under wrk on loopback;
    measured by throughput."""

    kind = "throughput"
    name = "server"
    unit = "req/s"

    def __init__(self, duration, connections):
        self.nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
        self.wrk = shutil.which("wrk")
        self.duration = duration
        self.connections = connections
        self.title = "nginx + wrk (req/s)"
        self.missing = None
        if not self.nginx or not self.wrk:
            self.missing = "needs " + " and ".join(n for n, p in (("nginx", self.nginx), ("wrk", self.wrk)) if not p)

    def run(self, runner, mode, plain):
        res = Result()
        tmp = tempfile.mkdtemp(prefix="retain-bench-nginx-")
        proc = None
        died = False
        try:
            port = harness.free_port()
            os.makedirs(os.path.join(tmp, "www"))
            with open(os.path.join(tmp, "www", "index.html"), "w") as f:
                # a 4 KiB page
                body = "<html><body>\n" + ("<p>libretain benchmark page</p>\n" * 120)
                f.write(body[:4096 - 15] + "</body></html>\n")
            conf = os.path.join(tmp, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(tmp=tmp, port=port))
            cmd = [self.nginx, "-p", tmp, "-c", conf, "-e", os.path.join(tmp, "error.log")]
            errpath = os.path.join(tmp, "server.stderr")
            with open(os.path.join(tmp, "server.stdout"), "wb") as so, open(errpath, "wb") as se:
                proc = runner.start(mode, cmd, tmp, so, se)
            # wait until it listens (heaptrack and exact mode start slower)
            deadline = time.monotonic() + 30
            while not port_open(port):
                if proc.poll() is not None:
                    res.error = "server did not start"
                    break
                if time.monotonic() > deadline:
                    res.error = "server not listening after 30 s"
                    res.hung = True
                    break
                time.sleep(0.05)
            if res.ok:
                url = "http://127.0.0.1:%d/index.html" % port
                try:
                    w = subprocess.run([self.wrk, "-t1", "-c%d" % self.connections,
                                        "-d%ds" % self.duration, url],
                                       stdin=subprocess.DEVNULL, capture_output=True,
                                       timeout=self.duration + 60, env=runner.base_env)
                    out = w.stdout.decode(errors="replace")
                    res.stdout = out
                    m = re.search(r"Requests/sec:\s*([0-9.]+)", out)
                    if w.returncode != 0 or not m:
                        res.error = "wrk failed"
                    else:
                        res.metric = float(m.group(1))
                        if res.metric <= 0:
                            res.error = "no requests served"
                        bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
                        if bad:
                            res.error = "%s non-2xx responses" % bad.group(1)
                        elif "Socket errors" in out:
                            res.extra["socket_errors"] = re.search(r"Socket errors:.*", out).group(0)
                except subprocess.TimeoutExpired:
                    res.error = "wrk timed out"
                if proc.poll() is not None and res.ok:
                    res.error = "server died under load"
                    died = True
            # clean shutdown: SIGQUIT (graceful) to nginx itself, whose pid is
            # in the pid file also when heaptrack's script is its parent
            pid = None
            try:
                with open(os.path.join(tmp, "nginx.pid")) as f:
                    pid = int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
            if proc.poll() is None:
                try:
                    if pid:
                        os.kill(pid, signal.SIGQUIT)
                    else:
                        os.killpg(proc.pid, signal.SIGQUIT)
                except ProcessLookupError:
                    pass
                try:
                    # heaptrack still has to interpret what it recorded
                    proc.wait(timeout=120 if mode == "heaptrack" else 30)
                except subprocess.TimeoutExpired:
                    kill_tree(proc)
                    res.error = res.error or "server did not shut down"
                    res.hung = True
            try:
                with open(errpath, errors="replace") as f:
                    res.stderr = f.read()
                with open(os.path.join(tmp, "error.log"), errors="replace") as f:
                    res.stderr += "\n--- nginx error.log\n" + f.read()
            except OSError:
                pass
            if died or res.error == "server did not start":
                # say how it ended: "server died under load (killed by SIGSEGV)"
                probe = Result()
                status, sig = read_measure(os.path.join(tmp, "measure.txt"), probe)
                if status is not None:
                    res.error += " (%s)" % describe_status(status, sig)
            runner.finish(proc, res, tmp, mode, self.name)
        finally:
            if proc is not None and proc.poll() is None:
                kill_tree(proc)
            shutil.rmtree(tmp, ignore_errors=True)
        return res


# --------------------------------------------------------------------------
# Statistics and formatting
# --------------------------------------------------------------------------

def fmt_ratio(x):
    return "%.2fx" % x if x < 100 else "%.0fx" % x


def fmt_mb(kb):
    return "%.1f MB" % (kb / 1024.0)


def cell(results, plain_results, value_of, fmt=fmt_ratio):
    """Median over rounds of value_of(run, plain_run) for rounds in which both
    succeeded, with failures spelled out."""
    if not results:
        return "n/a", None
    errs = [r.error for r in results if not r.ok]
    vals = []
    for r, p in zip(results, plain_results):
        if r.ok and p.ok:
            v = value_of(r, p)
            if v is not None:
                vals.append(v)
    if not vals:
        reason = errs[0] if errs else "plain failed"
        return "FAIL: %s" % reason, None
    med = statistics.median(vals)
    text = fmt(med)
    if errs:
        text += " (%d/%d failed: %s)" % (len(errs), len(results), errs[0])
    return text, med


def time_ratio(r, p):
    return r.wall / p.wall if p.wall else None


def tput_ratio(r, p):
    return r.metric / p.metric if p.metric else None


def rss_ratio(r, p):
    return r.maxrss_kb / p.maxrss_kb if p.maxrss_kb else None


def cpu_ratio(r, p):
    return r.cpu / p.cpu if p.cpu else None


def cpu_per_request_ratio(r, p):
    if not (p.cpu and p.metric and r.metric):
        return None
    return (r.cpu / r.metric) / (p.cpu / p.metric)


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def machine_lines():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = ", %.1f GiB RAM" % (kb / 1048576.0)
    except (OSError, ValueError, IndexError):
        pass

    def version(cmd, pattern=None):
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=10)
            text = (p.stdout + p.stderr).decode(errors="replace").strip().splitlines()
            return text[0] if text else "?"
        except (OSError, subprocess.TimeoutExpired):
            return "not installed"

    return [
        "- machine: %d CPUs (nproc), %s%s" % (len(os.sched_getaffinity(0)), cpu, mem),
        "- kernel: %s %s" % (platform.system(), platform.release()),
        "- tools: %s; %s; %s; %s" % (
            version(["heaptrack", "--version"]),
            version(["nginx", "-v"]) if shutil.which("nginx") else "nginx not installed",
            version(["wrk", "-v"]).split(" Copyright")[0] if shutil.which("wrk") else "wrk not installed",
            "interpreter " + version([python_for_workload(), "--version"])),
    ]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", default=os.path.join(HERE, "..", "libretain.so"), help="libretain.so to preload")
    ap.add_argument("--bin", default=os.path.join(HERE, "out", "bin"), help="where `make` put the workloads")
    ap.add_argument("--out", default=os.path.join(HERE, "out", "results.md"), help="Markdown output file")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "5")),
                    help="rounds per workload (env BENCH_ROUNDS, default 5)")
    ap.add_argument("--sampler-rounds", type=int, default=int(os.environ.get("BENCH_SAMPLER_ROUNDS", "3")),
                    help="rounds of the sampler-cost benchmark (env BENCH_SAMPLER_ROUNDS, default 3)")
    ap.add_argument("--server-seconds", type=int, default=int(os.environ.get("BENCH_SERVER_SECONDS", "5")),
                    help="wrk duration per server run (env BENCH_SERVER_SECONDS, default 5)")
    ap.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""),
                    help="comma-separated subset of: churn,interp,stl,server,bigchurn,bigchurn2s,sampler,"
                         "fork,exit (env BENCH_ONLY)")
    ap.add_argument("--bigchurn-blocks", type=int, default=int(os.environ.get("BENCH_BIGCHURN_BLOCKS", "100000")),
                    help="large blocks in the fixed-count large-block churn (env BENCH_BIGCHURN_BLOCKS, "
                         "default 100000)")
    ap.add_argument("--fork-rounds", type=int, default=int(os.environ.get("BENCH_FORK_ROUNDS", "1")),
                    help="rounds of the fork-latency benchmark (env BENCH_FORK_ROUNDS, default 1)")
    ap.add_argument("--fork-blocks", type=int, default=int(os.environ.get("BENCH_FORK_BLOCKS", "1000000")),
                    help="large blocks churned before the forks (env BENCH_FORK_BLOCKS, default 1000000)")
    ap.add_argument("--exit-rounds", type=int, default=int(os.environ.get("BENCH_EXIT_ROUNDS", "5")),
                    help="rounds of the exit-cost benchmark (env BENCH_EXIT_ROUNDS, default 5)")
    ap.add_argument("--exit-runs", type=int, default=int(os.environ.get("BENCH_EXIT_RUNS", "200")),
                    help="short processes per exit-cost round (env BENCH_EXIT_RUNS, default 200)")
    ap.add_argument("--modes", default=os.environ.get("BENCH_MODES", ""),
                    help="comma-separated subset of: plain,default,exact,heaptrack (env BENCH_MODES; "
                         "plain always runs)")
    return ap.parse_args()


def main():
    args = parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    runner = Runner(args)
    if not os.access(runner.measure, os.X_OK):
        log("run_bench: %s missing: build with `make -C bench`" % runner.measure)
        return 2
    only = set(filter(None, (s.strip() for s in args.only.split(","))))
    want = lambda n: not only or n in only

    workloads = []
    if want("churn"):
        workloads.append(ProgramWorkload("churn", "churn (C, 2 threads)", [os.path.join(runner.bin, "churn")]))
    if want("interp"):
        workloads.append(ProgramWorkload("interp", "interpreter (python3)",
                                         [python_for_workload(), os.path.join(HERE, "interp.py")]))
    if want("stl"):
        workloads.append(ProgramWorkload("stl", "C++ STL", [os.path.join(runner.bin, "stl")]))
    if want("server"):
        workloads.append(ServerWorkload(args.server_seconds, 16))
    bigblocks = os.path.join(runner.bin, "bigblocks")
    if want("bigchurn"):
        workloads.append(ProgramWorkload("bigchurn", "large-block churn (3 threads, %d blocks of 1-4 MiB)"
                                         % args.bigchurn_blocks,
                                         [bigblocks, "count", str(args.bigchurn_blocks), "3"]))
    if want("bigchurn2s"):
        workloads.append(ProgramWorkload("bigchurn2s", "large-block churn for 2 s (3 threads, blocks/s)",
                                         [bigblocks, "seconds", "2", "3"],
                                         metric=r"blocks_per_s=([0-9.]+)", unit="blocks/s", duration=2))

    rounds = max(1, args.rounds)
    t_start = time.monotonic()
    runner.load_start = loadavg()
    log("libretain bench: rounds %d; lib %s%s" % (rounds, runner.lib,
                                                   " (%s)" % runner.lib_problem if runner.lib_problem else ""))

    all_results = {}
    for w in workloads:
        res = {m: [] for m in MODES}
        all_results[w.name] = res
        if getattr(w, "missing", None):
            log("%s: skipped (%s)" % (w.name, w.missing))
            continue
        for r in range(rounds):
            for mode in MODES:
                why = runner.mode_unavailable(mode)
                if why:
                    continue
                # once a mode hung, don't spend another timeout on it
                if any(x.hung for x in res[mode]):
                    continue
                plain = res["plain"][r] if len(res["plain"]) > r else None
                x = w.run(runner, mode, plain)
                res[mode].append(x)
                if x.ok:
                    val = ("%.0f %s" % (x.metric, w.unit)) if w.kind == "throughput" else ("%.3f s" % x.wall)
                    log("  %-7s round %d/%d %-9s %s  rss %s" % (w.name, r + 1, rounds, mode, val, fmt_mb(x.maxrss_kb)))
                else:
                    log("  %-7s round %d/%d %-9s FAILED: %s" % (w.name, r + 1, rounds, mode, x.error))

    sampler = None
    if want("sampler"):
        sampler = run_sampler(runner, max(1, args.sampler_rounds))
    forks = None
    if want("fork"):
        forks = run_fork(runner, max(1, args.fork_rounds), args.fork_blocks)
    exits = None
    if want("exit"):
        exits = run_exit(runner, max(1, args.exit_rounds), args.exit_runs)

    elapsed = time.monotonic() - t_start
    runner.load_end = loadavg()
    text = report(args, runner, workloads, all_results, sampler, rounds, elapsed, forks, exits)
    print(text)
    with open(args.out, "w") as f:
        f.write(text + "\n")
    log("written to %s (failure details, if any, in %s)" % (args.out, runner.logf.name))
    return 0


# --------------------------------------------------------------------------
# Sampler cost
# --------------------------------------------------------------------------

SAMPLER_SECONDS = 5


def run_sampler(runner, rounds):
    cmd = [os.path.join(runner.bin, "sampler_cost"), str(SAMPLER_SECONDS)]
    modes = ["plain", "default"]
    out = {m: [] for m in modes}

    def inspect(tmp, res):
        # libretain's JSON reports: RETAIN_OUTPUT=<tmp>/r -> <tmp>/r.json or
        # r.PID.json.  The measure wrapper runs preloaded too and writes one
        # of its own: take sampler_cost's, by its command.
        for path in sorted(glob.glob(os.path.join(tmp, "r*.json"))):
            try:
                with open(path) as f:
                    doc = json.load(f)
            except (OSError, ValueError):
                continue
            command = doc.get("command") if isinstance(doc, dict) else None
            if not (isinstance(command, list) and command and
                    os.path.basename(str(command[0])) == "sampler_cost"):
                continue
            if isinstance(doc.get("sampler"), dict):
                res.extra["sampler"] = doc["sampler"]
                break

    for r in range(rounds):
        for mode in modes:
            if runner.mode_unavailable(mode) or any(x.hung for x in out[mode]):
                continue
            res = runner.run(mode, cmd, 120, "sampler_cost", inspect)
            if res.ok:
                m = re.search(r"max_ns=(\d+) p999_ns=(\d+)", res.stdout)
                if m:
                    res.extra["max_ns"] = int(m.group(1))
                    res.extra["p999_ns"] = int(m.group(2))
                else:
                    res.error = "no latency line in output"
            out[mode].append(res)
            if res.ok:
                log("  sampler round %d/%d %-8s cpu %.2f s over %.2f s, max %.1f us" % (
                    r + 1, rounds, mode, res.cpu, res.wall, res.extra["max_ns"] / 1000.0))
            else:
                log("  sampler round %d/%d %-8s FAILED: %s" % (r + 1, rounds, mode, res.error))
    return out


# --------------------------------------------------------------------------
# fork() latency after large-block churn
# --------------------------------------------------------------------------

def run_fork(runner, rounds, blocks):
    cmd = [os.path.join(runner.bin, "bigblocks"), "fork", str(blocks), "3"]
    modes = ["plain", "default"]
    out = {m: [] for m in modes}
    for r in range(rounds):
        for mode in modes:
            if runner.mode_unavailable(mode) or any(x.hung for x in out[mode]):
                continue
            res = runner.run(mode, cmd, 900, "fork")
            if res.ok:
                m = re.search(r"fork_child_us=([0-9.]+) fork_parent_us=([0-9.]+)", res.stdout)
                if m:
                    res.extra["child_us"] = float(m.group(1))
                    res.extra["parent_us"] = float(m.group(2))
                else:
                    res.error = "no fork line in output"
            out[mode].append(res)
            if res.ok:
                log("  fork    round %d/%d %-8s churn+forks %.2f s, child running after %.1f us, "
                    "parent back after %.1f us" % (r + 1, rounds, mode, res.wall,
                                                   res.extra["child_us"], res.extra["parent_us"]))
            else:
                log("  fork    round %d/%d %-8s FAILED: %s" % (r + 1, rounds, mode, res.error))
    return out


def fork_report(runner, out, blocks):
    L = ["## fork() latency after %d large blocks" % blocks, "",
         "`bigblocks fork %d`: 3 threads churn %d blocks of 1-4 MiB (as in the large-block churn "
         "workload), are joined, 16 large blocks stay live, then 21 fork()s; each child writes "
         "the time it first ran to a pipe and _exits. Medians over the 21 forks (median over "
         "rounds): fork() called -> child running, fork() called -> fork() returned in the "
         "parent. Target: both <= 2x plain." % (blocks, blocks), "",
         "| mode | churn + forks wall | peak RSS | fork -> child running | ratio | fork -> parent returns | ratio |",
         "|---|---|---|---|---|---|---|"]
    plain = [r for r in out.get("plain", []) if r.ok]
    pc = statistics.median(r.extra["child_us"] for r in plain) if plain else None
    pp = statistics.median(r.extra["parent_us"] for r in plain) if plain else None
    verdicts = []
    for mode in ("plain", "default"):
        runs = out.get(mode, [])
        ok = [r for r in runs if r.ok]
        why = runner.mode_unavailable(mode)
        if why or not ok:
            L.append("| %s | FAIL: %s | | | | | |" % (MODE_TITLE[mode], why or (runs[0].error if runs else "not run")))
            continue
        c = statistics.median(r.extra["child_us"] for r in ok)
        p_ = statistics.median(r.extra["parent_us"] for r in ok)
        rc = c / pc if pc else None
        rp = p_ / pp if pp else None
        L.append("| %s | %.2f s | %s | %.1f us | %s | %.1f us | %s |" % (
            MODE_TITLE[mode], statistics.median(r.wall for r in ok),
            fmt_mb(statistics.median(r.maxrss_kb for r in ok)), c,
            fmt_ratio(rc) if rc else "", p_, fmt_ratio(rp) if rp else ""))
        if mode != "plain" and rc and rp:
            verdicts.append("- fork -> child running <= 2x plain: %s %s" % (fmt_ratio(rc), "met" if rc <= 2 else "**missed**"))
            verdicts.append("- fork -> parent returns <= 2x plain: %s %s" % (fmt_ratio(rp), "met" if rp <= 2 else "**missed**"))
    L.append("")
    L.extend(verdicts)
    return L


# --------------------------------------------------------------------------
# Exit cost of short processes
# --------------------------------------------------------------------------

def run_exit(runner, rounds, runs):
    """spawn_many runs `tiny` `runs` times per round and mode; the spawner
    itself is never preloaded (the mode's variables go to the children only),
    and reports go to a directory on tmpfs (/dev/shm) so that file-system
    costs do not dominate."""
    spawner = os.path.join(runner.bin, "spawn_many")
    tiny = os.path.join(runner.bin, "tiny")
    modes = ["plain", "default", "exact"]
    out = {m: [] for m in modes}
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    for r in range(rounds):
        for mode in modes:
            if runner.mode_unavailable(mode):
                continue
            res = Result()
            tmp = tempfile.mkdtemp(prefix="retain-bench-exit-", dir=shm)
            try:
                extra = {k: v for k, v in runner.env_for(mode, tmp).items() if runner.base_env.get(k) != v}
                if "RETAIN_OUTPUT" in extra:
                    extra["RETAIN_OUTPUT"] = os.path.join(tmp, "r.%p")
                cmd = [spawner, str(runs)]
                for k, v in sorted(extra.items()):
                    cmd += ["-e", "%s=%s" % (k, v)]
                cmd += ["--", tiny]
                try:
                    p = subprocess.run(cmd, env=runner.base_env, cwd=tmp, capture_output=True,
                                       timeout=300, stdin=subprocess.DEVNULL)
                    res.stdout = p.stdout.decode(errors="replace")
                    res.stderr = p.stderr.decode(errors="replace")
                    m = re.search(r"wall_us_mean=([0-9.]+) .*cpu_us_mean=([0-9.]+)", res.stdout)
                    if p.returncode != 0 or not m:
                        res.error = "spawn_many exit %d: %s" % (p.returncode, res.stderr.strip()[-200:])
                    else:
                        res.extra["wall_us"] = float(m.group(1))
                        res.extra["cpu_us"] = float(m.group(2))
                        res.extra["files"] = len(os.listdir(tmp))
                except subprocess.TimeoutExpired:
                    res.error = "timeout after 300 s"
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            out[mode].append(res)
            if res.ok:
                log("  exit    round %d/%d %-8s per process: cpu %.0f us, wall %.0f us (%d files left)" % (
                    r + 1, rounds, mode, res.extra["cpu_us"], res.extra["wall_us"], res.extra["files"]))
            else:
                log("  exit    round %d/%d %-8s FAILED: %s" % (r + 1, rounds, mode, res.error))
    out["shm"] = shm
    return out


def exit_report(runner, out, runs):
    L = ["## Exit cost of a short process (%d runs of `tiny` per round)" % runs, "",
         "`spawn_many` runs `tiny` (a hundred small mallocs, half freed, exit 0) one after the "
         "other and takes, per run, the child's CPU (utime+stime from wait4) and the wall time "
         "from fork() to the end of wait4(); means per round, then the median over rounds of "
         "(mode - plain) within the round. Reports go to %s. Target (issue 9): at most 0.5 ms "
         "over plain for a process with nothing to report." % (
             "a directory on tmpfs (/dev/shm)" if out.get("shm") else "**a temporary directory (no /dev/shm)**"), "",
         "| mode | CPU per process | extra CPU vs plain | wall per process | extra wall vs plain | report files per process |",
         "|---|---|---|---|---|---|"]
    plain = out.get("plain", [])
    verdicts = []
    for mode in ("plain", "default", "exact"):
        rs = out.get(mode, [])
        ok = [r for r in rs if r.ok]
        why = runner.mode_unavailable(mode)
        if why or not ok:
            L.append("| %s | FAIL: %s | | | | |" % (MODE_TITLE[mode], why or (rs[0].error if rs else "not run")))
            continue
        cpu = statistics.median(r.extra["cpu_us"] for r in ok)
        wall = statistics.median(r.extra["wall_us"] for r in ok)
        files = statistics.median(r.extra["files"] for r in ok) / runs
        if mode == "plain":
            L.append("| plain | %.0f us | | %.0f us | | %.1f |" % (cpu, wall, files))
            continue
        dc = [r.extra["cpu_us"] - p.extra["cpu_us"] for r, p in zip(rs, plain) if r.ok and p.ok]
        dw = [r.extra["wall_us"] - p.extra["wall_us"] for r, p in zip(rs, plain) if r.ok and p.ok]
        if not dc:
            continue
        xc, xw = statistics.median(dc), statistics.median(dw)
        L.append("| %s | %.0f us | %+.0f us | %.0f us | %+.0f us | %.1f |" % (
            MODE_TITLE[mode], cpu, xc, wall, xw, files))
        verdicts.append("- %s: extra CPU per process <= 0.5 ms: %.2f ms %s; extra wall <= 0.5 ms: %.2f ms %s" % (
            MODE_TITLE[mode], xc / 1000, "met" if xc <= 500 else "**missed**",
            xw / 1000, "met" if xw <= 500 else "**missed**"))
    L.append("")
    L.extend(verdicts)
    return L


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def report(args, runner, workloads, all_results, sampler, rounds, elapsed, forks=None, exits=None):
    L = []
    L.append("# libretain benchmarks")
    L.append("")
    L.extend(machine_lines())
    ls, le = getattr(runner, "load_start", None), getattr(runner, "load_end", None)
    if ls is not None:
        busy = ls > 0.5
        L.append("- 1-minute load average: %.2f before the run, %.2f after%s" % (
            ls, le if le is not None else float("nan"),
            " (**the machine was busy before the run started: other work competes for the CPUs "
            "and the wall-time ratios are noisy; the CPU-time ratios below suffer less**)" if busy else ""))
    cmdline = shlex.join(["python3", os.path.relpath(sys.argv[0])] + sys.argv[1:])
    level = os.environ.get("MAKELEVEL", "")
    if level.isdigit() and int(level) >= 2:
        cmdline = "make bench` -> `" + cmdline
    elif level == "1":
        cmdline = "make -C bench run` -> `" + cmdline
    L.append("- command: `%s` (BENCH_ROUNDS=%s): rounds %d, %.0f s in all"
             % (cmdline, os.environ.get("BENCH_ROUNDS", "unset"), rounds, elapsed))
    L.append("- libretain: `%s`%s" % (runner.lib, " (**%s**)" % runner.lib_problem if runner.lib_problem else ""))
    L.append("")
    L.append("Ratios are medians over rounds of (mode / plain) within the same round. "
             "Time = wall seconds until the whole process tree exited; for the server, "
             "throughput (req/s, higher is better). RSS = peak resident set of the largest "
             "single process in the tree (heaptrack: max of the app and heaptrack_interpret).")
    L.append("")
    L.append("| workload | plain | libretain | exact | heaptrack | RSS plain | RSS libretain | RSS exact | RSS heaptrack |")
    L.append("|---|---|---|---|---|---|---|---|---|")

    summary = {}   # (workload, mode) -> median ratio, ("rss", workload, mode) -> ratio
    for w in workloads:
        res = all_results[w.name]
        if getattr(w, "missing", None):
            L.append("| %s | skipped: %s | | | | | | | |" % (w.title, w.missing))
            continue
        plain = res["plain"]
        okp = [p for p in plain if p.ok]
        if okp:
            if w.kind == "throughput":
                pcell = "%.0f %s" % (statistics.median(p.metric for p in okp), w.unit)
            else:
                pcell = "%.3f s" % statistics.median(p.wall for p in okp)
            prss = fmt_mb(statistics.median(p.maxrss_kb for p in okp))
        else:
            pcell = "FAIL: %s" % (plain[0].error if plain else "not run")
            prss = "n/a"
        row = [w.title, pcell]
        rss_row = [prss]
        for mode in MODES[1:]:
            why = runner.mode_unavailable(mode)
            if why:
                row.append("n/a: %s" % why)
                rss_row.append("n/a")
                continue
            value_of = tput_ratio if w.kind == "throughput" else time_ratio
            text, med = cell(res[mode], plain, value_of)
            row.append(text)
            summary[(w.name, mode)] = med
            rtext, rmed = cell(res[mode], plain, rss_ratio)
            rss_row.append(rtext if rmed is not None else "n/a")
            summary[("rss", w.name, mode)] = rmed
        L.append("| " + " | ".join(row + rss_row) + " |")
    L.append("")

    # CPU time: less sensitive than wall time to other load on the machine
    L.append("CPU time (utime+stime of the whole process tree, heaptrack_interpret included) "
             "vs plain, median of per-round ratios; for the server, CPU time per request served.")
    L.append("")
    L.append("| workload | CPU plain | libretain | exact | heaptrack |")
    L.append("|---|---|---|---|---|")
    for w in workloads:
        res = all_results[w.name]
        if getattr(w, "missing", None):
            continue
        plain = res["plain"]
        okp = [p for p in plain if p.ok]
        if not okp:
            continue
        if w.kind == "throughput":
            pc = "%.1f us/%s" % (1e6 * statistics.median(p.cpu / (p.metric * w.duration) for p in okp),
                                 "req" if w.unit == "req/s" else "block")
            value_of = cpu_per_request_ratio
        else:
            pc = "%.3f s" % statistics.median(p.cpu for p in okp)
            value_of = cpu_ratio
        row = [w.title, pc]
        for mode in MODES[1:]:
            why = runner.mode_unavailable(mode)
            if why:
                row.append("n/a: %s" % why)
                continue
            text, med = cell(res[mode], plain, value_of)
            row.append(text)
            summary[("cpu", w.name, mode)] = med
        L.append("| " + " | ".join(row) + " |")
    L.append("")

    L.extend(targets(workloads, summary))

    if sampler is not None:
        L.append("")
        L.extend(sampler_report(runner, sampler))
    if forks is not None:
        L.append("")
        L.extend(fork_report(runner, forks, args.fork_blocks))
    if exits is not None:
        L.append("")
        L.extend(exit_report(runner, exits, args.exit_runs))
    return "\n".join(L)


def targets(workloads, s):
    names = {w.name for w in workloads if not getattr(w, "missing", None)}
    if not names:
        return []
    L = ["## Targets (information, not assertions)", "",
         "| target | measured | |", "|---|---|---|"]

    def r(v):
        return None if v is None else fmt_ratio(v)

    def verdict(ok):
        return "met" if ok else "**missed**"

    def add(label, value, ok):
        if value is None:
            L.append("| %s | n/a | |" % label)
        else:
            L.append("| %s | %s | %s |" % (label, value, verdict(ok)))

    limits = [("churn", 1.2), ("interp", 1.05), ("stl", 1.05), ("bigchurn", 1.5)]
    for name, lim in limits:
        if name in names:
            v = s.get((name, "default"))
            add("%s time <= %.2fx plain" % (name, lim), r(v), v is not None and v <= lim)
    if "server" in names:
        v = s.get(("server", "default"))
        add("server throughput >= 0.95x plain", r(v), v is not None and v >= 0.95)
    if "bigchurn2s" in names:
        # the time target (<= 1.5x) read as throughput: >= 1/1.5 of plain's
        v = s.get(("bigchurn2s", "default"))
        add("bigchurn2s throughput >= 0.67x plain (1/1.5)", r(v), v is not None and v >= 1 / 1.5)

    # heaptrack's overhead (ratio - 1) at least 10x ours (3x for large-block churn)
    for name in ("churn", "interp", "stl", "server", "bigchurn", "bigchurn2s"):
        if name not in names:
            continue
        want = 3 if name.startswith("bigchurn") else 10
        ours, ht = s.get((name, "default")), s.get((name, "heaptrack"))
        if ours is None or ht is None:
            add("%s: heaptrack overhead >= %dx libretain's" % (name, want), None, False)
            continue
        if name in ("server", "bigchurn2s"):   # throughput: overhead = slowdown factor - 1
            o, h = 1.0 / ours - 1.0, 1.0 / ht - 1.0
        else:
            o, h = ours - 1.0, ht - 1.0
        if o <= 0:
            txt = "heaptrack %+.0f%%, libretain %+.1f%% (no measurable overhead)" % (100 * h, 100 * o)
            add("%s: heaptrack overhead >= %dx libretain's" % (name, want), txt, h > 0)
        else:
            txt = "heaptrack %+.0f%% vs libretain +%.1f%% = %.1fx" % (100 * h, 100 * o, h / o)
            add("%s: heaptrack overhead >= %dx libretain's" % (name, want), txt, h / o >= want)
        if name.startswith("bigchurn"):
            # the same in CPU time, which other load on the machine disturbs less
            # than the wall time of a program that spends most of it in the kernel
            oc, hc = s.get(("cpu", name, "default")), s.get(("cpu", name, "heaptrack"))
            if oc is not None and hc is not None:
                o, h = oc - 1.0, hc - 1.0
                if o <= 0:
                    add("%s: heaptrack CPU overhead >= %dx libretain's" % (name, want),
                        "heaptrack %+.0f%%, libretain %+.1f%%" % (100 * h, 100 * o), h > 0)
                else:
                    add("%s: heaptrack CPU overhead >= %dx libretain's" % (name, want),
                        "heaptrack %+.0f%% vs libretain +%.1f%% = %.1fx" % (100 * h, 100 * o, h / o),
                        h / o >= want)

    if "churn" in names:
        ex, ht = s.get(("churn", "exact")), s.get(("churn", "heaptrack"))
        if ex is None or ht is None:
            add("churn: exact-mode time <= 1/3 heaptrack time", None, False)
        else:
            add("churn: exact-mode time <= 1/3 heaptrack time",
                "exact %s vs heaptrack %s (= %.2f of it)" % (fmt_ratio(ex), fmt_ratio(ht), ex / ht),
                ex <= ht / 3.0)

    for name in ("churn", "interp", "stl", "server", "bigchurn", "bigchurn2s"):
        if name not in names:
            continue
        for mode, label in (("default", "libretain"), ("exact", "exact")):
            v = s.get(("rss", name, mode))
            add("%s: peak RSS <= 1.2x plain (%s)" % (name, label), r(v), v is not None and v <= 1.2)
    return L


def sampler_report(runner, out):
    L = ["## Sampler cost: 1 GiB of large blocks, mostly idle for %d s" % SAMPLER_SECONDS, "",
         "`sampler_cost` fills 64 x 16 MiB blocks with pointer-like words, then one thread does "
         "bursts of small malloc+free pairs (1 ms apart) for %d s, timing each pair. CPU = utime+stime "
         "of the process; %% of one core = CPU / wall. Medians over rounds; max latency is the worst "
         "of all rounds." % SAMPLER_SECONDS, "",
         "| mode | wall | CPU | % of one core | extra CPU vs plain (s, % of one core) | max malloc+free | p99.9 | sampler report |",
         "|---|---|---|---|---|---|---|---|"]
    plain_ok = [r for r in out.get("plain", []) if r.ok]
    plain_pct = statistics.median(r.cpu / r.wall * 100 for r in plain_ok) if plain_ok else None
    plain_cpu = statistics.median(r.cpu for r in plain_ok) if plain_ok else None
    for mode in ("plain", "default"):
        why = runner.mode_unavailable(mode)
        runs = out.get(mode, [])
        ok = [r for r in runs if r.ok]
        if why or not ok:
            reason = why or (runs[0].error if runs else "not run")
            L.append("| %s | FAIL: %s | | | | | | |" % (MODE_TITLE[mode], reason))
            continue
        wall = statistics.median(r.wall for r in ok)
        cpu = statistics.median(r.cpu for r in ok)
        pct = statistics.median(r.cpu / r.wall * 100 for r in ok)
        extra = "" if mode == "plain" or plain_pct is None else \
            "%+.2f s, %+.1f%%" % (cpu - plain_cpu, pct - plain_pct)
        mx = max(r.extra["max_ns"] for r in ok) / 1000.0
        p999 = statistics.median(r.extra["p999_ns"] for r in ok) / 1000.0
        smp = ""
        if mode != "plain":
            reps = [r.extra["sampler"] for r in ok if "sampler" in r.extra]
            if reps:
                rep = reps[-1]
                keys = [k for k in ("bytes_scanned", "cpu_ms") if k in rep]
                keys += [k for k in sorted(rep) if k not in keys and isinstance(rep[k], (int, float))][:4]
                smp = ", ".join("%s=%s" % (k, rep[k]) for k in keys)
            else:
                smp = "(no \"sampler\" object in the JSON report)"
        failed = len(runs) - len(ok)
        note = " (%d/%d failed: %s)" % (failed, len(runs), [r.error for r in runs if not r.ok][0]) if failed else ""
        L.append("| %s%s | %.2f s | %.2f s | %.1f%% | %s | %.1f us | %.1f us | %s |" % (
            MODE_TITLE[mode], note, wall, cpu, pct, extra, mx, p999, smp))
    return L


if __name__ == "__main__":
    sys.exit(main())
