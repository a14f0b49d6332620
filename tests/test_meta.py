"""The suite itself.

Checks on the test files rather than on libretain."""
from harness import test


@test
def test_readme_current(ctx):
    """tests/README.md lists every test with its docstring, as
    tests/gen_readme.py writes it, and every test has a docstring; when
    not, the failure says to run `python3 tests/gen_readme.py`."""
    import gen_readme
    for p in gen_readme.problems():
        ctx.problems.append(p)


@test
def test_layers_one_way(ctx):
    """The module graph is one-way: every src/ file belongs to a layer of
    docs/design.md's layer table, and no file includes a header of a higher
    layer (a call upwards must be a callback passed at start-up)."""
    import glob
    import os
    import re
    from harness import REPO
    doc = open(os.path.join(REPO, "docs", "design.md")).read()
    layer = {}
    for m in re.finditer(r"^\| (\d+) [^|]*\| ([a-z_0-9 ]+) \|$", doc, re.M):
        for name in m.group(2).split():
            layer[name] = int(m.group(1))
    if not ctx.check(len(layer) > 20, f"docs/design.md has no layer table ({len(layer)} modules)"):
        return
    for path in sorted(glob.glob(os.path.join(REPO, "src", "*.[ch]"))):
        mod = os.path.basename(path).rsplit(".", 1)[0]
        if mod not in layer:
            ctx.problems.append(f"src/{os.path.basename(path)}: module {mod} is in no layer of docs/design.md")
            continue
        for inc in re.findall(r'#include "([a-z_0-9]+)\.h"', open(path).read()):
            if inc in layer and layer[inc] > layer[mod]:
                ctx.problems.append(f"src/{os.path.basename(path)} (layer {layer[mod]}) includes "
                                    f"{inc}.h (layer {layer[inc]})")
            elif inc not in layer:
                ctx.problems.append(f"src/{os.path.basename(path)} includes {inc}.h, in no layer")
