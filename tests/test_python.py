"""Python frames and container types (interp.h, container.h).

CPython programs (tests/progs/py_retain.py) on Debian's /usr/bin/python3.11
and the pyenv interpreters present (3.8, 3.12, 3.13 under
/root/.pyenv/versions; absent ones are noted, not failed): findings name the
script's line and the container; a stress run; programs that only look like
CPython (tests/progs/fake_python.c)."""
import glob
import os
import re

from harness import REPO, frames, test

SCRIPT = os.path.join(REPO, "tests", "progs", "py_retain.py")
DEBIAN = "/usr/bin/python3.11"
PYENV = "/root/.pyenv/versions"

CONTAINER = {"dict": "python dict keys", "set": "python set table",
             "attrs": "python dict keys", "thread": "python dict keys"}


def interpreter(ctx, minor):
    """Path of pyenv's python3.<minor>, or None (noted) when it is not there."""
    found = sorted(glob.glob(os.path.join(PYENV, f"3.{minor}.*", "bin", f"python3.{minor}")))
    if not found:
        ctx.note(f"pyenv python 3.{minor} not installed: not tested here")
        return None
    return found[-1]


def python_frames(stack):
    return [fr for fr in stack if fr.get("language") == "python"]


def read_text(ctx, outdir, pid):
    path = os.path.join(outdir, f"r.{pid}.txt")
    if not ctx.check(os.path.exists(path), f"no text report r.{pid}.txt"):
        return ""
    with open(path, errors="replace") as f:
        return f.read()


def run_mode(ctx, py, mode, label):
    """Runs one mode plain (no holds) and preloaded; returns (report, text,
    grow line) after checking the output is the program's own."""
    plain = ctx.run([py, SCRIPT, mode], preload=False, env={"PY_RETAIN_HOLD": "0"})
    od = ctx.outdir(label)
    pre = ctx.run([py, SCRIPT, mode], outdir=od, env={"PY_RETAIN_HOLD": "1.0"}, timeout=120)
    ctx.same_output(plain, pre, what=f"{label}: {os.path.basename(py)} py_retain.py {mode}")
    lines = [int(x) for x in re.findall(rb"GROW py_retain\.py:(\d+)", plain.out)]
    if not lines:
        ctx.fatal(f"{label}: py_retain.py printed no GROW line (rc {plain.rc}, {plain.err[-200:]!r})")
    return ctx.report(od, pre.pid), read_text(ctx, od, pre.pid), lines


def check_interpreter(ctx, rep, py, label):
    it = rep.get("interpreter")
    if not ctx.check(isinstance(it, dict), f"{label}: no \"interpreter\" object in the report"):
        return
    ctx.check(it.get("language") == "python" and it.get("frames") is True and not it.get("note"),
              f"{label}: interpreter {it!r}, expected python with frames and no note")
    want = re.search(r"python(3\.\d+)", py).group(1)
    ctx.check(isinstance(it.get("version"), str) and it["version"].startswith(want + "."),
              f"{label}: interpreter version {it.get('version')!r}, expected {want}.x")


def check_containers(ctx, py, label):
    """dict, set, attrs and thread modes: the largest finding is the
    container (its type named), its stack has the script's line where the
    container grew (innermost Python frame, language "python",
    interleaved before a _PyEval_EvalFrameDefault frame when that frame has
    a symbol), the advice names file:line and is specific to the container,
    and the text report shows both."""
    for mode in ("dict", "set", "attrs", "thread"):
        where = f"{label} {mode}"
        rep, text, lines = run_mode(ctx, py, mode, f"{label}-{mode}")
        check_interpreter(ctx, rep, py, where)
        fs = rep.get("findings") or []
        if not ctx.check(fs, f"{where}: no finding (the drained {mode} must be one)"):
            continue
        f = fs[0]
        cont = f.get("container")
        ctx.check(isinstance(cont, str) and cont.startswith(CONTAINER[mode])
                  and re.search(r"\(2\^\d+ slots\)$", cont),
                  f"{where}: container {cont!r}, expected '{CONTAINER[mode]} (2^N slots)'")
        st = frames(f)
        pyf = python_frames(st)
        if not ctx.check(pyf, f"{where}: the finding's stack has no Python frame"):
            continue
        top = pyf[0]
        ctx.check(os.path.basename(top.get("file") or "") == "py_retain.py" and top.get("line") in lines,
                  f"{where}: innermost Python frame {top.get('function')!r} "
                  f"{top.get('file')!r}:{top.get('line')!r}, expected py_retain.py:{lines}")
        line = top.get("line") if top.get("line") in lines else lines[0]
        want_fn = {"dict": ["fill_dict"], "thread": ["fill_dict"], "set": ["fill_set"],
                   "attrs": ["fill_attrs", "mode_attrs"]}[mode]
        ctx.check(top.get("function") == want_fn[lines.index(line)],
                  f"{where}: innermost Python frame is {top.get('function')!r}, expected {want_fn}")
        names = [fr.get("function") for fr in pyf]
        if mode == "thread":
            ctx.check(any(os.path.basename(fr.get("file") or "") == "threading.py"
                          and (fr.get("function") or "").endswith("run") for fr in pyf),
                      f"{where}: the thread's stack does not reach threading.py's run: {names}")
        # interleaving: the run of Python frames the evaluator runs is followed by that
        # evaluator's native frame (3.11+ run several Python frames in one call)
        i = st.index(top)
        while i < len(st) and st[i].get("language") == "python":
            i += 1
        if any(fr.get("function") == "_PyEval_EvalFrameDefault" for fr in st):
            ctx.check(i < len(st) and st[i].get("function") == "_PyEval_EvalFrameDefault",
                      f"{where}: the innermost run of Python frames is followed by "
                      f"{st[i].get('function') if i < len(st) else 'nothing'!r}, not by its "
                      f"_PyEval_EvalFrameDefault frame")
        adv = f.get("advice") or ""
        noun = "set" if mode == "set" else "dict"
        ctx.check(f"py_retain.py:{line}" in adv and f"The {noun} is built at" in adv,
                  f"{where}: advice does not name the {noun} built at py_retain.py:{line}: {adv!r}")
        ctx.check(("d = dict(d)" if noun == "dict" else "s = set(s)") in adv and "clear()" in adv,
                  f"{where}: advice is not the {noun}'s own (rebuild, clear()): {adv!r}")
        ctx.check(f"py_retain.py:{line}" in text and cont and cont.split(" (")[0] in text,
                  f"{where}: the text report shows neither the line py_retain.py:{line} nor the "
                  f"container")
        sites = [s for s in rep.get("sites") or [] if python_frames(frames(s))]
        ctx.check(sites, f"{where}: no site has Python frames")


def check_ctypes(ctx, py, label):
    """An 8 MiB block malloc'd by C code called from Python (ctypes.PyDLL,
    the GIL held as C extensions hold it): its site names the Python line of
    the call."""
    rep, _text, (line,) = run_mode(ctx, py, "ctypes", f"{label}-ctypes")
    big = [s for s in rep.get("sites") or [] if (s.get("peak_live_bytes") or 0) >= 8 << 20]
    ok = [s for s in big for fr in python_frames(frames(s))[:1]
          if fr.get("line") == line and fr.get("function") == "mode_ctypes"]
    ctx.check(ok, f"{label} ctypes: no site of the 8 MiB block names mode_ctypes at "
                  f"py_retain.py:{line} (sites >= 8 MiB: "
                  f"{[[(fr.get('function'), fr.get('line')) for fr in python_frames(frames(s))] for s in big]})")


@test
def test_python_debian(ctx):
    """Debian's own /usr/bin/python3.11 (stripped: the evaluator is named only
    by its dynamic symbol): a drained dict, a drained set, an instance's
    attribute dict and a dict drained on a second thread each give a finding
    naming the container ("python dict keys (2^N slots)", "python set table
    ...") and py_retain.py's line where it grew, with advice for that
    container naming the line; ctypes' big block names the Python line of
    the call.  Output and exit status as without the preload."""
    if not os.access(DEBIAN, os.X_OK):
        ctx.fatal(f"{DEBIAN} missing (tools/install-deps.sh installs python3)")
    check_containers(ctx, DEBIAN, "3.11-debian")
    check_ctypes(ctx, DEBIAN, "3.11-debian")


def pyenv_test(ctx, minor):
    py = interpreter(ctx, minor)
    if py:
        check_containers(ctx, py, f"3.{minor}")
        check_ctypes(ctx, py, f"3.{minor}")


@test
def test_python_38(ctx):
    """pyenv's CPython 3.8 (PyFrameObject chain, co_lnotab): the same checks as
    test_python_debian.  Noted, not failed, where pyenv's 3.8 is absent."""
    pyenv_test(ctx, 8)


@test
def test_python_312(ctx):
    """pyenv's CPython 3.12 (_PyInterpreterFrame via cframe, the GIL from
    interp->ceval.gil, entry frames owned by the C stack): the same checks as
    test_python_debian.  Noted, not failed, where pyenv's 3.12 is absent."""
    pyenv_test(ctx, 12)


@test
def test_python_313(ctx):
    """pyenv's CPython 3.13 (tstate->current_frame, f_executable, the
    holds_gil status bit): the same checks as test_python_debian.  Noted, not
    failed, where pyenv's 3.13 is absent."""
    pyenv_test(ctx, 13)


@test
def test_python_stress(ctx):
    """Eight Python threads allocating large (300 KB bytearrays) and small
    objects for 3 s under RETAIN_SAMPLE=0 (every allocation tracked, Python
    frames read on each): no crash, no deadlock (bounded run), output and exit
    status identical to the plain run, a valid report whose sites carry
    Python frames.  On Debian's 3.11 and, when present, pyenv's 3.13."""
    pys = [DEBIAN] + [p for p in [interpreter(ctx, 13)] if p]
    for py in pys:
        label = os.path.basename(py)
        env = {"PY_RETAIN_SECONDS": "3"}
        plain = ctx.run([py, SCRIPT, "stress"], preload=False, env=env, timeout=60)
        od = ctx.outdir(f"stress-{label}")
        pre = ctx.run([py, SCRIPT, "stress"], outdir=od, env=dict(env, RETAIN_SAMPLE="0"), timeout=90)
        ctx.same_output(plain, pre, what=f"{label} py_retain.py stress")
        ctx.check(plain.out.strip() == b"result 8", f"{label}: plain stress printed {plain.out!r}")
        rep = ctx.report(od, pre.pid)
        sites = [s for s in rep.get("sites") or [] if python_frames(frames(s))]
        ctx.check(len(sites) >= 3, f"{label} stress: {len(sites)} sites with Python frames")


@test
def test_python_unknown_version(ctx):
    """A program exporting _PyRuntime and Py_Version = 3.14 (not a version
    libretain knows): no Python frames, exactly one note naming the version
    (JSON "notes" and interpreter.note, one "note:" line in the text report),
    output and exit status unchanged."""
    exe = ctx.bin("fake_python")
    plain = ctx.run([exe], preload=False)
    od = ctx.outdir()
    pre = ctx.run([exe], outdir=od)
    ctx.same_output(plain, pre)
    rep = ctx.report(od, pre.pid)
    it = rep.get("interpreter") or {}
    ctx.check(it.get("language") == "python" and it.get("frames") is False
              and "3.14" in (it.get("note") or ""),
              f"interpreter {it!r}: expected python, frames false, a note naming 3.14")
    notes = rep.get("notes")
    ctx.check(isinstance(notes, list) and len(notes) == 1 and "3.14" in notes[0],
              f"notes {notes!r}: expected one note naming 3.14")
    text = read_text(ctx, od, pre.pid)
    ctx.check(text.count("note: ") == 1 and "3.14" in text,
              "the text report does not carry exactly one note naming 3.14")
    allf = [fr for s in rep.get("sites") or [] for fr in frames(s)]
    ctx.check(allf and not python_frames(allf), "Python frames in a process that runs no Python")


@test
def test_python_bogus_structures(ctx):
    """A program posing as CPython 3.12 (Py_Version, _PyRuntime, PyCode_Type,
    ...) whose thread state passes the GIL checks and leads to a frame that is
    its own previous frame, a code pointer into unmapped memory, a frame
    pointer into unmapped memory and a "code object" of garbage: no fault, no
    Python frames in any site, output and exit status unchanged."""
    exe = ctx.bin("fake_python312")
    plain = ctx.run([exe], preload=False)
    od = ctx.outdir()
    pre = ctx.run([exe], outdir=od)
    ctx.same_output(plain, pre)
    rep = ctx.report(od, pre.pid)
    it = rep.get("interpreter") or {}
    ctx.check(it.get("version", "").startswith("3.12") and it.get("frames") is True,
              f"interpreter {it!r}: expected 3.12 with frames read")
    allf = [fr for s in rep.get("sites") or [] for fr in frames(s)]
    ctx.check(allf and not python_frames(allf), "garbage read as Python frames")
