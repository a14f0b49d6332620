"""Ruby frames and Ruby Hash tables (interp_ruby.c, container.c).

Debian's ruby (3.1; tools/install-deps.sh installs ruby) runs
tests/progs/ruby_retain.rb: a finding names the script's line where the Hash
grew and its st_table entries, on the main thread and on another Thread; a
buffer that is no Hash is not named one; a stress run of Ruby threads under
RETAIN_SAMPLE=0; a libruby that says it is another version."""
import os
import re
import shutil
import subprocess

from harness import REPO, frames, test

SCRIPT = os.path.join(REPO, "tests", "progs", "ruby_retain.rb")
LIBRUBY = "/usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1"


def ruby_frames(stack):
    return [fr for fr in stack if fr.get("language") == "ruby"]


def need_ruby(ctx):
    ruby = shutil.which("ruby")
    if not ruby:
        ctx.fatal("ruby missing (tools/install-deps.sh installs ruby)")
    return ruby


def read_text(ctx, outdir, pid):
    path = os.path.join(outdir, f"r.{pid}.txt")
    if not ctx.check(os.path.exists(path), f"no text report r.{pid}.txt"):
        return ""
    with open(path, errors="replace") as f:
        return f.read()


def hash_run(ctx, mode, outers, keys="str"):
    """Runs ruby_retain.rb in `mode`; the largest finding must be the hash's
    table with Ruby frames: fill at the GROW line, then `outers` at the lines
    of their calls (the outermost one deep in <main>'s iseq, past the 54
    positions Ruby's line index keeps as immediate ranks)."""
    ruby = need_ruby(ctx)
    env = {"RUBY_RETAIN_MODE": mode, "RUBY_RETAIN_KEYS": keys}
    plain = ctx.run([ruby, SCRIPT], preload=False, env=dict(env, RUBY_RETAIN_HOLD="0"), timeout=120)
    m = re.search(rb"GROW ruby_retain\.rb:(\d+)", plain.out)
    if not m:
        ctx.fatal(f"ruby_retain.rb printed no GROW line (rc {plain.rc}, {plain.err[-200:]!r})")
    line = int(m.group(1))
    calls = re.search(rb"CALLS (\d+) (\d+)", plain.out)
    if not calls:
        ctx.fatal(f"ruby_retain.rb printed no CALLS line ({plain.out[:200]!r})")
    outer_lines = [int(calls.group(1)), int(calls.group(2))]
    mode = mode if keys == "str" else f"{mode}, {keys} keys"
    od = ctx.outdir(mode.replace(", ", "-").replace(" ", "_"))
    pre = ctx.run([ruby, SCRIPT], outdir=od, env=dict(env, RUBY_RETAIN_HOLD="2.5"), timeout=180)
    ctx.same_output(plain, pre, what=f"ruby ruby_retain.rb ({mode})")
    rep = ctx.report(od, pre.pid)
    it = rep.get("interpreter") or {}
    ctx.check(it.get("language") == "ruby" and it.get("frames") is True
              and (it.get("version") or "").startswith("3.1") and not it.get("note"),
              f"interpreter {it!r}: expected ruby 3.1 with frames and no note")
    fs = rep.get("findings") or []
    if not ctx.check(fs, f"{mode}: no finding (the drained hash must be one)"):
        return None
    f = max(fs, key=lambda x: x.get("retained_bytes") or 0)
    st = frames(f)
    rf = ruby_frames(st)
    got = [(fr.get("function"), os.path.basename(fr.get("file") or ""), fr.get("line")) for fr in rf]
    want = [("fill", "ruby_retain.rb", line)] + \
        [(o, "ruby_retain.rb", n) for o, n in zip(outers, outer_lines)]
    ctx.check(got[:len(want)] == want, f"{mode}: Ruby frames {got}, expected {want}")
    ctx.check(all(isinstance(fr.get("line"), int) and fr["line"] > 0 for fr in rf),
              f"{mode}: a Ruby frame without a line: {got}")
    ctx.check(not any(fr.get("stdlib") for fr in rf), f"{mode}: the script's frames marked stdlib")
    # Each run of Ruby frames sits just inside the rb_vm_exec that runs it.
    if rf and any(fr.get("function") == "rb_vm_exec" for fr in st):
        i = st.index(rf[0])
        j = i
        while j < len(st) and st[j].get("language") == "ruby":
            j += 1
        ctx.check(j < len(st) and st[j].get("function") == "rb_vm_exec",
                  f"{mode}: the innermost Ruby frames are not followed by rb_vm_exec")
    cont = f.get("container") or ""
    ctx.check(cont == "ruby st_table entries (2^20 slots)",
              f"{mode}: container {cont!r}, expected 'ruby st_table entries (2^20 slots)'")
    adv = f.get("advice") or ""
    ctx.check(f"ruby_retain.rb:{line}" in adv and "h.rehash" in adv,
              f"{mode}: advice is not the Hash's own naming ruby_retain.rb:{line}: {adv!r}")
    text = read_text(ctx, od, pre.pid)
    ctx.check(re.search(rf"fill  \S*ruby_retain\.rb:{line}  \[ruby\]", text),
              f"{mode}: the text report does not show 'fill  ruby_retain.rb:{line}  [ruby]'")
    return f


@test
def test_ruby_hash(ctx):
    """A Ruby Hash of 1,000,000 String keys filled by Cache#load on the main
    thread, 99% deleted, then a 2.5 s sleep: the report's interpreter is ruby
    3.1 with frames; the largest finding is the hash's entries array
    ("container": "ruby st_table entries (2^20 slots)"), its stack has Ruby
    frames (language "ruby") innermost fill at the line where the hash grew,
    then load and <main> at the lines of their calls, placed just before the
    native rb_vm_exec that runs
    them; the advice is the Hash's own (h.rehash) and, like the text report,
    names the line.  Output and exit status as without the preload."""
    hash_run(ctx, "main", ["load", "<main>"])


@test
def test_ruby_hash_thread(ctx):
    """The same hash filled on a Ruby Thread other than the main one: its
    frames are read there (the thread holding the GVL): fill at the line,
    load, then the thread's block in <main>; the same container."""
    hash_run(ctx, "thread", ["load", "block in <main>"])


@test
def test_ruby_hash_int_keys(ctx):
    """The same Hash with 1,000,000 Integer (Fixnum) keys, 99% deleted: the
    finding is the same st_table entries array (Ruby hashes Fixnums with the
    same mixed bits as Strings), with fill's line and the Hash's advice."""
    hash_run(ctx, "main", ["load", "<main>"], keys="int")


@test
def test_ruby_set_stdlib(ctx):
    """A Set of 1,000,000 Strings (Ruby's set.rb keeps a Hash), 99% deleted:
    the innermost Ruby frame is Set#add in Ruby's own library
    (/usr/lib/ruby/3.1.0/set.rb), marked "stdlib": true; the script's block
    at the line that fills the Set is not, and the advice (and the retain
    command's "allocated in" line) names that line, not set.rb's."""
    ruby = need_ruby(ctx)
    env = {"RUBY_RETAIN_MODE": "set"}
    plain = ctx.run([ruby, SCRIPT], preload=False, env=dict(env, RUBY_RETAIN_HOLD="0"), timeout=120)
    m = re.search(rb"GROW ruby_retain\.rb:(\d+)", plain.out)
    if not m:
        ctx.fatal(f"ruby_retain.rb printed no GROW line (rc {plain.rc}, {plain.err[-200:]!r})")
    line = int(m.group(1))
    od = ctx.outdir()
    pre = ctx.run([ruby, SCRIPT], outdir=od, env=dict(env, RUBY_RETAIN_HOLD="2.5"), timeout=180)
    ctx.same_output(plain, pre, what="ruby ruby_retain.rb (set)")
    rep = ctx.report(od, pre.pid)
    fs = rep.get("findings") or []
    if not ctx.check(fs, "the drained Set is not a finding"):
        return
    f = max(fs, key=lambda x: x.get("retained_bytes") or 0)
    rf = ruby_frames(frames(f))
    got = [(fr.get("function"), os.path.basename(fr.get("file") or ""), fr.get("line"),
            bool(fr.get("stdlib"))) for fr in rf]
    ctx.check(len(rf) >= 2 and got[0][0] == "add" and got[0][3]
              and (rf[0].get("file") or "").startswith("/usr/lib/ruby/")
              and got[1] == ("block in <main>", "ruby_retain.rb", line, False),
              f"Ruby frames {got}: expected add in Ruby's set.rb (stdlib), then block in <main> "
              f"at ruby_retain.rb:{line}")
    adv = f.get("advice") or ""
    ctx.check(f"ruby_retain.rb:{line}" in adv and "set.rb" not in adv,
              f"advice does not name the script's line ruby_retain.rb:{line}: {adv[-120:]!r}")
    # The retain command's "allocated in" line follows the mark too.
    cli = subprocess.run([os.path.join(REPO, "retain"), "report", os.path.join(od, f"r.{pre.pid}.json")],
                         capture_output=True, text=True)
    first = [l.strip() for l in cli.stdout.splitlines() if l.strip().startswith("allocated in")][:1]
    ctx.check(cli.returncode == 0 and first and first[0].startswith("allocated in block in <main>")
              and first[0].endswith(f"ruby_retain.rb:{line}"),
              f"retain report: {first or cli.stderr[-200:]!r}, expected allocated in block in <main> "
              f"at ruby_retain.rb:{line}")


@test
def test_ruby_buffer_not_a_hash(ctx):
    """Negative control for the st_table rule: a 24 MiB buffer (Fiddle's
    malloc, exactly the size of a 2^20-entry table's entries) of 3-word slots,
    80% used at its peak (held 1.5 s), spread as hashing spreads them, by
    Fixnum-like words and nil (every word a valid VALUE), then cut to 15%
    (held 3 s).  It is a finding (so
    a rule that took any 24 * 2^k block of VALUEs would name it), with the
    Ruby line of the malloc, but no container: its "hash" words are not
    Ruby's mixed hashes."""
    ruby = need_ruby(ctx)
    env = {"RUBY_RETAIN_MODE": "buffer"}
    plain = ctx.run([ruby, SCRIPT], preload=False, env=dict(env, RUBY_RETAIN_HOLD="0"), timeout=120)
    m = re.search(rb"GROW ruby_retain\.rb:(\d+)", plain.out)
    if not m:
        ctx.fatal(f"ruby_retain.rb printed no GROW line (rc {plain.rc}, {plain.err[-200:]!r})")
    line = int(m.group(1))
    od = ctx.outdir()
    pre = ctx.run([ruby, SCRIPT], outdir=od, env=dict(env, RUBY_RETAIN_HOLD="3"), timeout=180)
    ctx.same_output(plain, pre, what="ruby ruby_retain.rb (buffer)")
    rep = ctx.report(od, pre.pid)
    fs = [f for f in rep.get("findings") or [] if f.get("capacity_bytes") == 24 << 20]
    if not ctx.check(fs, "the drained 24 MiB buffer is not a finding (the control needs one)"):
        return
    f = fs[0]
    ctx.check(not (f.get("container") or "").startswith("ruby st_table"),
              f"a buffer that is no Hash named {f.get('container')!r}")
    rf = ruby_frames(frames(f))
    ctx.check(rf and rf[0].get("line") == line and rf[0].get("function") == "<main>",
              f"Ruby frames {[(x.get('function'), x.get('line')) for x in rf]}, "
              f"expected <main> at ruby_retain.rb:{line}")


@test
def test_ruby_stress(ctx):
    """Four Ruby threads allocating Strings, Arrays and Hashes of every size at
    once under RETAIN_SAMPLE=0 (every allocation tracked, the Ruby stack read
    on each, GVL switches between the threads): no crash, no deadlock
    (bounded run), output and exit status identical to the plain run, a
    report whose sites carry churn's Ruby frames with lines."""
    ruby = need_ruby(ctx)
    env = {"RUBY_RETAIN_MODE": "stress"}
    plain = ctx.run([ruby, SCRIPT], preload=False, env=env, timeout=60)
    od = ctx.outdir()
    pre = ctx.run([ruby, SCRIPT], outdir=od, env=dict(env, RETAIN_SAMPLE="0"), timeout=150)
    ctx.same_output(plain, pre, what="ruby ruby_retain.rb stress")
    ctx.check(plain.out.startswith(b"result "), f"plain stress printed {plain.out!r}")
    rep = ctx.report(od, pre.pid)
    sites = [s for s in rep.get("sites") or [] if any(fr.get("function") == "churn"
                                                      for fr in ruby_frames(frames(s)))]
    ctx.check(len(sites) >= 3, f"{len(sites)} sites with churn's Ruby frames")
    bad = [fr for s in sites for fr in ruby_frames(frames(s))
           if not fr.get("file") or not isinstance(fr.get("line"), int) or fr["line"] <= 0]
    ctx.check(not bad, f"Ruby frames without file or line: {bad[:3]}")


def patched_libruby(ctx):
    """A copy of Debian's libruby whose ruby_version says 9.9.x (every other
    byte the same): a Ruby libretain does not know.  Its directory, or None."""
    if not os.path.exists(LIBRUBY):
        ctx.fatal(f"{LIBRUBY} missing (tools/install-deps.sh installs ruby)")
    nm = subprocess.run(["nm", "-D", "--defined-only", LIBRUBY], capture_output=True, text=True)
    addr = [int(l.split()[0], 16) for l in nm.stdout.splitlines() if l.endswith(" ruby_version")]
    ph = subprocess.run(["readelf", "-lW", LIBRUBY], capture_output=True, text=True)
    loads = [l.split() for l in ph.stdout.splitlines() if l.strip().startswith("LOAD")]
    if not ctx.check(len(addr) == 1 and loads, "ruby_version or LOAD segments not found in libruby"):
        return None
    off = None
    for seg in loads:
        foff, vaddr, filesz = int(seg[1], 16), int(seg[2], 16), int(seg[4], 16)
        if vaddr <= addr[0] < vaddr + filesz:
            off = addr[0] - vaddr + foff
    with open(LIBRUBY, "rb") as f:
        data = bytearray(f.read())
    if not ctx.check(off is not None and data[off:off + 4] == b"3.1.", "ruby_version is not '3.1.*'"):
        return None
    data[off:off + 4] = b"9.9."
    d = os.path.join(ctx.tmp, "lib")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, os.path.basename(LIBRUBY)), "wb") as f:
        f.write(data)
    return d


@test
def test_ruby_unknown_version(ctx):
    """Debian's ruby on a copy of its libruby whose ruby_version reads 9.9.2
    (LD_LIBRARY_PATH; --disable-gems, as rubygems' rbconfig would refuse the
    mismatch): no Ruby frames, exactly one note naming the version (JSON
    "notes" and interpreter.note, one "note:" line in the text report), the
    hash still found, output and exit status unchanged."""
    ruby = need_ruby(ctx)
    d = patched_libruby(ctx)
    if not d:
        return
    env = {"RUBY_RETAIN_MODE": "main", "RUBY_RETAIN_HOLD": "1.5", "LD_LIBRARY_PATH": d}
    argv = [ruby, "--disable-gems", SCRIPT]
    plain = ctx.run(argv, preload=False, env=env, timeout=120)
    od = ctx.outdir()
    pre = ctx.run(argv, outdir=od, env=env, timeout=180)
    ctx.same_output(plain, pre, what="ruby 9.9.2 ruby_retain.rb")
    ctx.check(plain.out.startswith(b"GROW "), f"the patched ruby printed {plain.out[:100]!r}")
    rep = ctx.report(od, pre.pid)
    it = rep.get("interpreter") or {}
    ctx.check(it.get("language") == "ruby" and it.get("frames") is False
              and "9.9.2" in (it.get("note") or ""),
              f"interpreter {it!r}: expected ruby, frames false, a note naming 9.9.2")
    notes = rep.get("notes")
    ctx.check(isinstance(notes, list) and len(notes) == 1 and "9.9.2" in notes[0],
              f"notes {notes!r}: expected one note naming 9.9.2")
    text = read_text(ctx, od, pre.pid)
    ctx.check(text.count("note: ") == 1 and "9.9.2" in text,
              "the text report does not carry exactly one note naming 9.9.2")
    allf = [fr for s in rep.get("sites") or [] for fr in frames(s)]
    ctx.check(allf and not ruby_frames(allf), "Ruby frames from a Ruby of unknown layout")
    ctx.check(rep.get("findings"), "the drained hash is not a finding without Ruby frames")


@test
def test_ruby_bogus_structures(ctx):
    """A program posing as Ruby 3.1 (ruby_version, ruby_current_vm_ptr) whose
    VM passes the layout check and whose GVL this thread holds, leading to
    control frames that are garbage (iseq or ep in unmapped memory, an iseq
    that is no imemo, a pc outside its iseq, a path that is no String, a
    stack running into unmapped memory), then the GVL released: no fault, no
    Ruby frames from any of it, output and exit status unchanged; the one
    right frame it then adds below the garbage (fake_label at fake.rb:42)
    is read, so the reader did reach the frames."""
    exe = ctx.bin("fake_ruby")
    plain = ctx.run([exe, "garbage"], preload=False)
    od = ctx.outdir()
    pre = ctx.run([exe, "garbage"], outdir=od, env={"RETAIN_SAMPLE": "0"})
    ctx.same_output(plain, pre)
    rep = ctx.report(od, pre.pid)
    it = rep.get("interpreter") or {}
    ctx.check(it.get("version") == "3.1.2" and it.get("frames") is True and not it.get("note"),
              f"interpreter {it!r}: expected 3.1.2 with frames read")
    rf = [(fr.get("function"), fr.get("file"), fr.get("line"))
          for s in rep.get("sites") or [] for fr in ruby_frames(frames(s))]
    ctx.check(rf and all(f == ("fake_label", "fake.rb", 42) for f in rf),
              f"Ruby frames {sorted(set(rf))[:5]}: expected only fake_label at fake.rb:42")


@test
def test_ruby_layout_mismatch(ctx):
    """A program posing as Ruby 3.1 whose VM first lies in unmapped memory (a
    VM being set up: looked at again, no fault), then has every pointer set
    but its main thread's vm pointing elsewhere: no Ruby frames, exactly one
    note saying the structures do not match, output unchanged."""
    exe = ctx.bin("fake_ruby")
    plain = ctx.run([exe, "mismatch"], preload=False)
    od = ctx.outdir()
    pre = ctx.run([exe, "mismatch"], outdir=od, env={"RETAIN_SAMPLE": "0"})
    ctx.same_output(plain, pre)
    rep = ctx.report(od, pre.pid)
    it = rep.get("interpreter") or {}
    ctx.check(it.get("language") == "ruby" and it.get("frames") is False
              and "do not match" in (it.get("note") or ""),
              f"interpreter {it!r}: expected ruby, frames false, a note on the layout")
    notes = rep.get("notes")
    ctx.check(isinstance(notes, list) and len(notes) == 1, f"notes {notes!r}: expected one")
    allf = [fr for s in rep.get("sites") or [] for fr in frames(s)]
    ctx.check(allf and not ruby_frames(allf), "Ruby frames from a VM that failed the layout check")
