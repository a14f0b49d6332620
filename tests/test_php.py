"""PHP frames and PHP arrays (interp_php.c, container.c).

Debian's php8.2-cli (tools/install-deps.sh installs php-cli) runs
tests/progs/php_retain.php: a finding names the script's line and the array."""
import os
import re
import shutil

from harness import REPO, frames, test

SCRIPT = os.path.join(REPO, "tests", "progs", "php_retain.php")


def php_frames(stack):
    return [fr for fr in stack if fr.get("language") == "php"]


@test
def test_php_array(ctx):
    """A PHP array of 400,000 entries unset to 1% (USE_ZEND_ALLOC=0, so that
    the Zend allocator's requests reach malloc): the finding's container is
    "php array data (2^N slots)", its stack has PHP frames (language "php")
    innermost fill() at the line where the array grew, then Cache::load and
    {main}, placed before the execute_ex frame that runs them; the advice is
    the array's own and names the line; the report's interpreter is php 8.2
    with frames.  Output and exit status as without the preload; with PHP's
    own allocator (the default) the program is unchanged too."""
    php = shutil.which("php")
    if not php:
        ctx.fatal("php missing (tools/install-deps.sh installs php-cli)")
    env = {"USE_ZEND_ALLOC": "0"}
    plain = ctx.run([php, SCRIPT], preload=False, env=dict(env, PHP_RETAIN_HOLD="0"))
    m = re.search(rb"GROW php_retain\.php:(\d+)", plain.out)
    if not m:
        ctx.fatal(f"php_retain.php printed no GROW line (rc {plain.rc}, {plain.err[-200:]!r})")
    line = int(m.group(1))
    od = ctx.outdir()
    pre = ctx.run([php, SCRIPT], outdir=od, env=dict(env, PHP_RETAIN_HOLD="1.0"), timeout=120)
    ctx.same_output(plain, pre)
    rep = ctx.report(od, pre.pid)
    it = rep.get("interpreter") or {}
    ctx.check(it.get("language") == "php" and it.get("frames") is True
              and (it.get("version") or "").startswith("8."),
              f"interpreter {it!r}: expected php 8.x with frames")
    fs = rep.get("findings") or []
    if not ctx.check(fs, "no finding (the drained array must be one)"):
        return
    f = fs[0]
    cont = f.get("container") or ""
    ctx.check(re.fullmatch(r"php array data \(2\^\d+ slots\)", cont),
              f"container {cont!r}, expected 'php array data (2^N slots)'")
    st = frames(f)
    pf = php_frames(st)
    names = [(fr.get("function"), fr.get("line")) for fr in pf]
    ctx.check(len(pf) >= 3 and pf[0].get("function") == "fill" and pf[0].get("line") == line
              and os.path.basename(pf[0].get("file") or "") == "php_retain.php"
              and pf[1].get("function") == "Cache::load" and pf[2].get("function") == "{main}",
              f"PHP frames {names}, expected fill at php_retain.php:{line}, Cache::load, {{main}}")
    if pf:
        i = st.index(pf[-1]) + 1
        if any(fr.get("function") == "execute_ex" for fr in st):
            ctx.check(i < len(st) and st[i].get("function") == "execute_ex",
                      "the PHP frames are not followed by the execute_ex frame that runs them")
    adv = f.get("advice") or ""
    ctx.check(f"php_retain.php:{line}" in adv and "array_slice" in adv,
              f"advice is not the array's own naming php_retain.php:{line}: {adv!r}")
    # PHP's own allocator: nothing asked of it changes
    od2 = ctx.outdir("zendmm")
    plain2 = ctx.run([php, SCRIPT], preload=False, env={"PHP_RETAIN_HOLD": "0"})
    pre2 = ctx.run([php, SCRIPT], outdir=od2, env={"PHP_RETAIN_HOLD": "0"})
    ctx.same_output(plain2, pre2, what="php php_retain.php (Zend allocator)")


@test
def test_php_packed_list(ctx):
    """A PHP list of 1,000,000 integers (a packed array: 16-byte zvals, no
    buckets) unset to 1% (USE_ZEND_ALLOC=0): unset() only sets each zval's
    type byte to IS_UNDEF and keeps its value, so only the tag probe sees it;
    the finding's probe is "tag", its container "php packed array (2^20
    slots)", peak above 0.9 and occupancy under 0.05, the advice is the
    list's own and names build() at the line where it grew."""
    php = shutil.which("php")
    if not php:
        ctx.fatal("php missing (tools/install-deps.sh installs php-cli)")
    script = os.path.join(os.path.dirname(SCRIPT), "php_packed.php")
    env = {"USE_ZEND_ALLOC": "0"}
    od = ctx.outdir()
    pre = ctx.run([php, script], outdir=od, env=env, timeout=120)
    m = re.search(rb"GROW php_packed\.php:(\d+)", pre.out)
    if not m:
        ctx.fatal(f"php_packed.php printed no GROW line (rc {pre.rc}, {pre.err[-200:]!r})")
    line = int(m.group(1))
    rep = ctx.report(od, pre.pid)
    fs = [f for f in rep.get("findings") or [] if (f.get("container") or "").startswith("php packed array")]
    if not ctx.check(len(fs) == 1, f"findings {[(f.get('probe'), f.get('container')) for f in rep.get('findings') or []]}: "
                     "want one named 'php packed array'"):
        return
    f = fs[0]
    ctx.check(f.get("container") == "php packed array (2^20 slots)" and f.get("probe") == "tag",
              f"container {f.get('container')!r}, probe {f.get('probe')!r}")
    ctx.check(f["peak_occupancy"] > 0.9 and f["occupancy"] < 0.05,
              f"occupancy {f['occupancy']} from peak {f['peak_occupancy']}")
    pf = php_frames(frames(f))
    ctx.check(pf and pf[0].get("function") == "build" and pf[0].get("line") == line,
              f"PHP frames {[(fr.get('function'), fr.get('line')) for fr in pf]}: want build at line {line}")
    ctx.check("array_values" in (f.get("advice") or "") and f"php_packed.php:{line}" in (f.get("advice") or ""),
              f"advice {f.get('advice')!r}")
