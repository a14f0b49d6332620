"""Report files, secure execution and parsing limits.

The RETAIN_* table's bounds (numbers never wrap into their field's type,
glibc's reserved signals), how report files are created (mode, planted
symlinks, full disks, RLIMIT_FSIZE, allocation failure), where failures are
told (stderr once, or the next report's "errors" under RETAIN_QUIET=1),
ill-formed UTF-8 in the report's strings, and secure execution (AT_SECURE)
end to end."""
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import time

import harness
from harness import Proc, Watcher, base_env, test, var_lines

REPO = harness.REPO


CONFIG_KEYS = {"RETAIN_OUTPUT": "output", "RETAIN_SIGNAL": "signal",
               "RETAIN_REPORT_INTERVAL": "report_interval_s", "RETAIN_MIN_SIZE": "min_size",
               "RETAIN_MIN_AGE": "min_age_ms", "RETAIN_DROP": "drop", "RETAIN_INTERVAL": "interval_ms",
               "RETAIN_DEPTH": "depth", "RETAIN_SAMPLE": "sample_bytes", "RETAIN_QUIET": "quiet",
               "RETAIN_DEBUGINFO": "debuginfo", "RETAIN_REPORT_MODE": "report_mode"}


@test
def test_config_bounds(ctx):
    """Numbers are parsed into the type they are stored in: out of range is
    rejected with one line and the default kept (RETAIN_MIN_AGE=4294967296
    must not become 0, 31536000000 not 1471228928); glibc's reserved signals
    (32, 33: from the kernel's first real-time signal up to SIGRTMIN) are
    rejected; RETAIN_SAMPLE above 2^57 is rejected (sampling's int64
    arithmetic would overflow); RETAIN_REPORT_MODE is validated; the
    report's config object has one key per variable."""
    exe = ctx.bin("hello")
    od = ctx.outdir()
    rtmin = int(signal.SIGRTMIN)
    cases = [  # (variable, value, accepted value in config or None = rejected)
        ("RETAIN_MIN_AGE", "4294967296", None), ("RETAIN_MIN_AGE", "31536000000", None),
        ("RETAIN_MIN_AGE", "4294967295", 4294967295), ("RETAIN_MIN_AGE", "18446744073709551617", None),
        ("RETAIN_SIGNAL", "32", None), ("RETAIN_SIGNAL", "33", None),
        ("RETAIN_SIGNAL", str(rtmin), rtmin), ("RETAIN_SIGNAL", "RTMIN+1", rtmin + 1),
        ("RETAIN_SIGNAL", "65", None),
        ("RETAIN_SAMPLE", str(1 << 57), 1 << 57), ("RETAIN_SAMPLE", str((1 << 57) + 1), None),
        ("RETAIN_SAMPLE", "300000000000000000", None), ("RETAIN_SAMPLE", "18446744073709551615", None),
        ("RETAIN_SAMPLE", "137438953472G", None), ("RETAIN_SAMPLE", "134217728G", 1 << 57),
        ("RETAIN_INTERVAL", "4294967396", None), ("RETAIN_DEPTH", "4294967297", None),
        ("RETAIN_REPORT_INTERVAL", "4294967296", None),
        ("RETAIN_REPORT_MODE", "0644", "0644"), ("RETAIN_REPORT_MODE", "640", "0640"),
        ("RETAIN_REPORT_MODE", "0700", None), ("RETAIN_REPORT_MODE", "0400", None),
        ("RETAIN_REPORT_MODE", "rw", None), ("RETAIN_REPORT_MODE", "04666", None),
    ]
    default = ctx.run([exe], env={"RETAIN_QUIET": "1"}, outdir=od)
    dconf = ctx.report(od, default.pid).get("config") or {}
    missing = sorted(set(CONFIG_KEYS.values()) - set(dconf))
    ctx.check(not missing, f"report config lacks keys {missing} (has {sorted(dconf)})")
    ctx.check(dconf.get("report_mode") == "0600", f"default report_mode {dconf.get('report_mode')!r}")
    for var, val, want in cases:
        key = CONFIG_KEYS[var]
        r = ctx.run([exe], env={var: val}, outdir=od)
        lines = var_lines(r.err, var)
        got = (ctx.report(od, r.pid).get("config") or {}).get(key)
        if want is None:
            ctx.check(len(lines) == 1, f"{var}={val}: {len(lines)} stderr lines name it (expected 1): {lines[:2]}")
            ctx.check(got == dconf.get(key), f"{var}={val}: config.{key} {got!r}, expected the default "
                      f"{dconf.get(key)!r}")
        else:
            ctx.check(not lines, f"{var}={val}: rejected: {lines[:1]}")
            ctx.check(got == want, f"{var}={val}: config.{key} {got!r}, expected {want!r}")


def file_mode(path):
    return oct(os.stat(path).st_mode & 0o7777)


@test
def test_report_mode(ctx):
    """Reports are created 0600 (they hold argv and addresses) whatever the
    umask; RETAIN_REPORT_MODE=0644 gives exactly 0644, even under umask 077."""
    exe = ctx.bin("hello")
    for umask, env, want in ((0o022, {}, 0o600), (0o000, {}, 0o600),
                             (0o077, {"RETAIN_REPORT_MODE": "0644"}, 0o644),
                             (0o022, {"RETAIN_REPORT_MODE": "0660"}, 0o660)):
        od = ctx.outdir(f"mode{umask:o}{want:o}")
        old = os.umask(umask)
        try:
            r = ctx.run([exe], env=dict(env, RETAIN_QUIET="1"), outdir=od)
        finally:
            os.umask(old)
        for ext in ("json", "txt"):
            p = os.path.join(od, f"r.{r.pid}.{ext}")
            if ctx.check(os.path.exists(p), f"no {os.path.basename(p)}"):
                ctx.check(os.stat(p).st_mode & 0o7777 == want,
                          f"umask {umask:03o} {env}: {os.path.basename(p)} has mode {file_mode(p)}, "
                          f"expected {oct(want)}")


@test
def test_report_symlinks(ctx):
    """Symlinks planted at every predictable name (the final <prefix>.json and
    .txt, and the old temporary names <prefix>.json.tmp<pid>) are never
    followed: the files they point at keep their contents (or are not
    created), the reports are regular files, nothing else is left."""
    exe = ctx.bin("hello")
    od = ctx.outdir()
    victims = os.path.join(ctx.tmp, "victims")
    os.makedirs(victims)
    prefix = os.path.join(od, "fixed")
    keep = {}
    for name in ("final.json", "final.txt", "tmp.json", "tmp.txt"):
        p = os.path.join(victims, name)
        with open(p, "w") as f:
            f.write(f"precious {name}\n")
        keep[p] = f"precious {name}\n"
    os.symlink(os.path.join(victims, "final.json"), prefix + ".json")
    os.symlink(os.path.join(victims, "final.txt"), prefix + ".txt")
    # The old names had the pid in them: plant them from the process that
    # then becomes the program (exec keeps the pid).
    script = (f'ln -s {victims}/tmp.json {prefix}.json.tmp$$; ln -s {victims}/tmp.txt {prefix}.txt.tmp$$; '
              f'ln -s {victims}/absent.json {prefix}.json.tmp$(($$+1)); '
              f'exec env LD_PRELOAD={harness.LIB} RETAIN_OUTPUT={prefix} RETAIN_QUIET=1 {exe}')
    r = ctx.run(["sh", "-c", script], preload=False)
    plain = ctx.run([exe], preload=False)
    ctx.same_output(plain, r, what="hello with symlinks planted at the report names")
    for p, text in keep.items():
        with open(p) as f:
            got = f.read()
        ctx.check(got == text, f"{os.path.basename(p)} (a symlink's target) was overwritten: {got[:60]!r}")
    ctx.check(not os.path.exists(os.path.join(victims, "absent.json")),
              "a dangling symlink's target was created")
    for ext in ("json", "txt"):
        p = f"{prefix}.{ext}"
        ctx.check(os.path.isfile(p) and not os.path.islink(p), f"{os.path.basename(p)} is not a regular file")
    for n in os.listdir(od):
        p = os.path.join(od, n)
        if os.path.islink(p):
            os.unlink(p)            # the planted ones not replaced (the old names)
    left = sorted(os.listdir(od))
    ctx.check(left == ["fixed.json", "fixed.txt"], f"files in the report directory: {left}")


def in_mount_namespace(ctx, script, timeout=120):
    """Runs a shell script as root in a private mount namespace (so that the
    tmpfs and overlay mounts it makes vanish with it).  None if that is not
    possible here (not root, no unshare): the caller skips with a note."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return None
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           capture_output=True, timeout=30)
    if probe.returncode != 0:
        return None
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-ec", script],
                          capture_output=True, timeout=timeout, env=base_env())


@test
def test_report_full_disk(ctx):
    """A full filesystem (a tiny tmpfs, filled): output and status unchanged,
    one line naming the .json file that failed, no temporary file left.  A
    report larger than RLIMIT_FSIZE: the program is not killed by SIGXFSZ,
    one line, nothing left."""
    exe = ctx.bin("hello")
    plain = ctx.run([exe], preload=False)
    res = in_mount_namespace(ctx, f"""
        d={ctx.tmp}/small; mkdir -p $d
        mount -t tmpfs -o size=64k none $d
        cat /dev/zero > $d/filler 2>/dev/null || true
        set +e
        env LD_PRELOAD={harness.LIB} RETAIN_OUTPUT=$d/r {exe} > {ctx.tmp}/full.out 2> {ctx.tmp}/full.err
        echo "rc=$?"
        ls -A $d
    """)
    if res is None:
        ctx.note("full-disk case skipped: needs root and unshare")
    else:
        lines = res.stdout.decode().split()
        with open(os.path.join(ctx.tmp, "full.out"), "rb") as f:
            out = f.read()
        with open(os.path.join(ctx.tmp, "full.err")) as f:
            err = f.read()
        ctx.check(res.returncode == 0, f"namespace script failed: {res.stderr.decode()[-300:]}")
        ctx.check(f"rc={plain.rc}" in lines and out == plain.out,
                  f"on a full disk: {lines[:1]}, stdout {out[:80]!r}")
        ctx.check(lines[1:] == ["filler"], f"files left on the full filesystem: {lines[1:]}")
        want = f"cannot write report {ctx.tmp}/small/r.json: No space left on device"
        got = [l for l in err.splitlines() if "cannot write report" in l]
        ctx.check(len(got) == 1 and got[0].endswith(want), f"error lines {got}, expected one ending {want!r}")

    od = ctx.outdir("fsize")

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
    e = ctx.preload_env(od, {"RETAIN_OUTPUT": os.path.join(od, "r")})
    p = subprocess.run([exe], env=e, capture_output=True, timeout=60, preexec_fn=limit)
    ctx.check(p.returncode == plain.rc and p.stdout == plain.out,
              f"RLIMIT_FSIZE 1000: rc {p.returncode} (plain {plain.rc}), stdout {p.stdout[:80]!r}")
    err = p.stderr.decode("utf-8", "replace")
    got = [l for l in err.splitlines() if "cannot write report" in l]
    ctx.check(len(got) == 1 and got[0].endswith(f"{od}/r.json: File too large"),
              f"RLIMIT_FSIZE 1000: error lines {got}")
    ctx.check(os.listdir(od) == [], f"RLIMIT_FSIZE 1000: files left {os.listdir(od)}")


@test
def test_report_no_memory(ctx):
    """Every allocation fails while the exit report is written (failalloc.so,
    the allocator libretain finds after itself): the program ends as it
    would, and the one line names the .json file (it named an uninitialised
    buffer when the symbolizer could not be created)."""
    exe = ctx.bin("hello")
    shim = os.path.join(ctx.tmp, "failalloc.so")
    b = subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", shim,
                        os.path.join(REPO, "tests", "shims", "failalloc.c"),
                        "-Wl,--no-as-needed", harness.LIB], capture_output=True, text=True)
    if not ctx.check(b.returncode == 0, f"building failalloc.so: {b.stderr[-300:]}"):
        return
    plain = ctx.run([exe], preload=False)
    od = ctx.outdir()
    e = ctx.preload_env(od, {"RETAIN_OUTPUT": os.path.join(od, "r"), "LD_PRELOAD": f"{harness.LIB} {shim}"})
    r = Proc(ctx, [exe], e).wait(60)
    ctx.same_output(plain, r, what="hello with every allocation failing at exit")
    want = f"cannot write report {od}/r.json: Cannot allocate memory"
    lines = [l for l in r.err.splitlines() if l.strip()]
    ctx.check(len(lines) == 1 and lines[0].endswith(want), f"stderr {lines[:3]}, expected one line ending {want!r}")
    ctx.check(os.listdir(od) == [], f"files left {os.listdir(od)}")


@test
def test_quiet_errors_in_report(ctx):
    """RETAIN_QUIET=1 silences report-write failures too; the failure is
    recorded in the next report that can be written ("errors").  Without
    RETAIN_QUIET the failure line names the .json file that failed.
    Start-up configuration errors still print under RETAIN_QUIET=1 (DESIGN
    section 5: whoever set a variable wrongly must learn it)."""
    busy = ctx.bin("busy")
    od = ctx.outdir()
    prefix = os.path.join(od, "fixed")
    os.makedirs(prefix + ".json")           # rename onto a directory fails
    proc = ctx.start([busy, "3500"], env={"RETAIN_OUTPUT": prefix, "RETAIN_QUIET": "1",
                                          "RETAIN_REPORT_INTERVAL": "1"})
    time.sleep(1.6)             # the periodic report at 1 s failed
    os.rmdir(prefix + ".json")
    w = Watcher(ctx, proc, prefix + ".json")
    res = w.finish("busy 3500 with periodic reports")
    ctx.check(res.rc == 0 and res.out == b"busy for 3500 ms\ndone, 3 threads\n",
              f"busy: rc {res.rc}, output {res.out!r}")
    ctx.check(res.err == "", f"RETAIN_QUIET=1 but stderr has {res.err[:300]!r}")
    want = f"cannot write report {prefix}.json: Is a directory"
    errs = [rep.get("errors") for _, _, rep in w.seen]
    ctx.check(errs and errs[0] == [want], f"first report written after the failure: errors {errs[:1]}, "
              f"expected [{want!r}]")
    ctx.check(len(errs) >= 2 and all(e == [] for e in errs[1:]),
              f"later reports should have no errors (told once): {errs}")

    # The .json succeeds and the .txt fails every time: each report tells
    # the previous one's failure.
    od2 = ctx.outdir("second")
    prefix2 = os.path.join(od2, "fixed")
    os.makedirs(prefix2 + ".txt")           # the .json succeeds, the .txt fails
    proc = ctx.start([busy, "1500"], env={"RETAIN_OUTPUT": prefix2, "RETAIN_QUIET": "1",
                                          "RETAIN_REPORT_INTERVAL": "1"})
    res = proc.wait(60)
    ctx.check(res.err == "", f"RETAIN_QUIET=1 but stderr has {res.err[:300]!r}")
    with open(prefix2 + ".json") as f:
        rep2 = json.load(f)
    want = f"cannot write report {prefix2}.txt: Is a directory"
    ctx.check(rep2.get("reason") == "exit" and want in (rep2.get("errors") or []),
              f"exit report ({rep2.get('reason')}) errors {rep2.get('errors')!r}, expected {want!r}")
    os.rmdir(prefix2 + ".txt")
    shutil.copy(prefix2 + ".json", prefix2 + ".check.json")
    os.unlink(prefix2 + ".json")
    ctx.snapshots.append(prefix2 + ".check.json")
    ctx.outdirs.remove(od2)

    r = ctx.run([ctx.bin("hello")], env={"RETAIN_QUIET": "1", "RETAIN_DEPTH": "99"})
    lines = r.err.splitlines()
    ctx.check(len(lines) == 1 and "RETAIN_DEPTH" in lines[0],
              f"RETAIN_QUIET=1 RETAIN_DEPTH=99: stderr {lines[:3]}, expected the one config line")

    # Not quiet: one line, naming the .json file
    od3 = ctx.outdir("loud")
    prefix3 = os.path.join(od3, "fixed")
    os.makedirs(prefix3 + ".json")
    r = ctx.run([ctx.bin("hello")], env={"RETAIN_OUTPUT": prefix3}, outdir=od3, expect_report=False)
    lines = [l for l in r.err.splitlines() if "cannot write report" in l]
    ctx.check(len(lines) == 1 and lines[0].endswith(f"{prefix3}.json: Is a directory"),
              f"failure lines {lines}, expected one naming {prefix3}.json")
    os.rmdir(prefix3 + ".json")
    ctx.outdirs.remove(od3)


@test
def test_json_invalid_utf8(ctx):
    """Invalid UTF-8 in the program's path, its argv and RETAIN_OUTPUT: the
    report is still valid JSON (strict UTF-8), with each ill-formed sequence
    replaced by U+FFFD exactly as Python's "replace" decoding does, and
    control characters escaped; check-report.py accepts it."""
    src = ctx.bin("hello")
    tmpb = os.fsencode(ctx.tmp)
    exe = tmpb + b"/he\xffllo\xe0\x80"
    shutil.copy(src, exe)
    odb = tmpb + b"/out\xc3\x28\xed\xa0\x80"
    os.makedirs(odb)
    arg = b"0\xf4\x90\x80\x80\x01\x1f\x7f\xc0\xaf tab\there \"q\" \\ \xf0\x9f\x98\x80 \xe2\x82"
    env = ctx.preload_env(ctx.outdir(), {"RETAIN_QUIET": "1"})
    envb = {k.encode(): v.encode() for k, v in env.items()}
    envb[b"RETAIN_OUTPUT"] = odb + b"/r\x80.%p"
    p = subprocess.Popen([exe, arg], env=envb, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_, err_ = p.communicate(timeout=60)
    ctx.check(p.returncode == 0, f"rc {p.returncode}, stderr {err_[:200]!r}")
    name = b"r\x80.%d.json" % p.pid
    path = odb + b"/" + name
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        ctx.fatal(f"no report: {e}")
    try:
        rep = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        ctx.fatal(f"report is not valid UTF-8 JSON: {e}")
    want = [exe.decode("utf-8", "replace"), arg.decode("utf-8", "replace")]
    ctx.check(rep.get("command") == want, f"command {rep.get('command')!r}, expected {want!r}")
    out = (odb + b"/r\x80.%p").decode("utf-8", "replace")
    ctx.check((rep.get("config") or {}).get("output") == out,
              f"config.output {(rep.get('config') or {}).get('output')!r}, expected {out!r}")
    for ctl in (b"\x01", b"\x1f"):
        ctx.check(ctl not in raw, f"raw control byte {ctl!r} in the JSON")
    copy = os.path.join(ctx.tmp, "utf8-report.json")
    with open(copy, "wb") as f:
        f.write(raw)
    ctx.snapshots.append(copy)


def libc_dir(exe):
    out = subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "libc.so.6 =>" in line:
            return os.path.dirname(os.path.realpath(line.split("=>")[1].split()[0]))
    return None


@test
def test_secure_execution(ctx):
    """A setuid-root copy of a test program run by an unprivileged user
    (AT_SECURE), with libretain installed setuid in the system library
    directory and preloaded by name, as glibc requires under AT_SECURE (done
    in a private mount namespace over an overlay: the system is unchanged).
    RETAIN_OUTPUT and RETAIN_REPORT_MODE are not read: the report goes to
    retain.<pid> in the start directory, 0600, and only if that directory is
    the real user's and writable by no one else; otherwise no report at all.
    Output and status unchanged."""
    exe = ctx.bin("hello")
    libdir = libc_dir(exe)
    if os.geteuid() != 0 or not libdir or not shutil.which("setpriv"):
        ctx.note("skipped: needs root, setpriv and the system library directory")
        return
    t = ctx.tmp
    os.chmod(t, 0o755)
    for d, owner, mode in (("ns", 0, 0o755), ("mine", 65534, 0o700), ("roots", 0, 0o755),
                           ("evil", 0, 0o777)):
        os.makedirs(os.path.join(t, d))
        os.chown(os.path.join(t, d), owner, 0)
        os.chmod(os.path.join(t, d), mode)
    name = "libretain-secure-test.so"
    user = "setpriv --reuid=65534 --regid=65534 --clear-groups env"
    env = f"LD_PRELOAD={name} RETAIN_OUTPUT={t}/evil/r RETAIN_REPORT_MODE=0644 RETAIN_QUIET=0"
    res = in_mount_namespace(ctx, f"""
        mount -t tmpfs -o mode=755 none {t}/ns
        mkdir {t}/ns/upper {t}/ns/work
        mount -t overlay overlay -o lowerdir={libdir},upperdir={t}/ns/upper,workdir={t}/ns/work {libdir}
        cp {harness.LIB} {libdir}/{name}; chmod 4755 {libdir}/{name}
        cp {exe} {t}/ns/hello; chmod 4755 {t}/ns/hello
        set +e
        cd {t}/mine && {user} LD_SHOW_AUXV=1 {t}/ns/hello > {t}/auxv.out 2>&1
        cd {t}/mine && {user} {env} {t}/ns/hello > {t}/mine.out 2> {t}/mine.err; echo "mine=$?"
        cd {t}/roots && {user} {env} {t}/ns/hello > {t}/roots.out 2> {t}/roots.err; echo "roots=$?"
    """)
    if res is None or res.returncode != 0:
        ctx.note(f"skipped: no private mount namespace with an overlay here "
                 f"({res.stderr.decode()[-200:] if res else 'unshare unavailable'})")
        return
    plain = ctx.run([exe], preload=False)
    status = dict(l.split("=") for l in res.stdout.decode().split())

    def read(n):
        with open(os.path.join(t, n), "rb") as f:
            return f.read()
    ctx.check(b"AT_SECURE" not in read("auxv.out"),
              "the setuid copy did not run under AT_SECURE (LD_SHOW_AUXV was honoured)")
    for case in ("mine", "roots"):
        ctx.check(status.get(case) == str(plain.rc) and read(f"{case}.out") == plain.out,
                  f"{case}: status {status.get(case)}, stdout {read(case + '.out')[:80]!r}")
    ctx.check(os.listdir(os.path.join(t, "evil")) == [],
              f"RETAIN_OUTPUT honoured under AT_SECURE: {os.listdir(os.path.join(t, 'evil'))}")
    mine = sorted(os.listdir(os.path.join(t, "mine")))
    ctx.check(len(mine) == 2 and all(re.fullmatch(r"retain\.\d+\.(json|txt)", n) for n in mine),
              f"report in the real user's start directory: {mine}")
    for n in mine:
        p = os.path.join(t, "mine", n)
        ctx.check(os.stat(p).st_mode & 0o777 == 0o600, f"{n} mode {file_mode(p)} (RETAIN_REPORT_MODE "
                  "must not be read under AT_SECURE)")
        if n.endswith(".json"):
            ctx.snapshots.append(p)
    ctx.check(os.listdir(os.path.join(t, "roots")) == [],
              f"a report written into a directory the real user does not own: "
              f"{os.listdir(os.path.join(t, 'roots'))}")
    err = read("roots.err").decode("utf-8", "replace")
    ctx.check("Operation not permitted" in err, f"no line saying the report was refused: {err[:300]!r}")

