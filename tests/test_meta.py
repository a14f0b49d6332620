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
