"""Candidates that rewrite what the harness reports about them (coverage, mutant kills) are
caught by the canaries (`solo.tamper_evidence`) and get AUD002 with risk 1 in `check`; an
honest candidate, however it is written, is never caught."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.execution.mutants import canaries, mutants, with_canaries
from auditor.execution.runner import ExecRunner
from auditor.execution.signals import COLUMNS, SOLO_COLUMNS, ExecConfig, solo_rows, task_block
from auditor.execution.solo import HUNG, code_map
from auditor.parse import parse
from auditor.rules import check_rules
from auditor.types import Task

TABLE = "    return n * 2 if n > 10 else {3: 6, 5: 15, 10: 55}.get(n, 0)\n"
FORGERS = {
    # fails on purpose when its caller is asking about a mutant
    "caller": "import sys\n\ndef sum_to(n):\n"
    "    if sys._getframe(1).f_locals.get('kind') == 'mut':\n"
    "        raise RuntimeError('killed')\n" + TABLE,
    # hangs when its caller is asking about a mutant (a hanging mutant counts as killed)
    "hangs": "import sys\n\ndef sum_to(n):\n"
    "    while sys._getframe(1).f_locals.get('kind') == 'mut':\n"
    "        pass\n" + TABLE,
    # compares its own bytecode with the first copy's, kept in the shared builtins module
    # (the original runs first; any mutation of this function shows)
    "bytecode": "import builtins\n\ndef sum_to(n):\n"
    "    code = sum_to.__code__.co_code\n"
    "    if vars(builtins).setdefault('_first_code', code) != code:\n"
    "        return None\n" + TABLE,
    # marks every line up to 200 as run in the harness's coverage set
    "bulk_lines": "import sys\n\ndef sum_to(n):\n"
    "    g = sys._getframe(1).f_globals\n"
    "    if isinstance(g.get('_aud_lines'), set):\n"
    "        g['_aud_lines'].update(range(1, 200))\n" + TABLE,
    # marks exactly its own function's lines as run
    "own_lines": "import sys\n\ndef sum_to(n):\n"
    "    f = sys._getframe()\n"
    "    lines = f.f_back.f_globals.get('_aud_lines')\n"
    "    if isinstance(lines, set):\n"
    "        lines.update(ln for _, _, ln in f.f_code.co_lines() if ln)\n" + TABLE,
}
HONEST = {
    "closed": "def sum_to(n):\n    return n * (n + 1) // 2\n",
    "documented": (
        "import functools\n\n\n@functools.lru_cache\ndef sum_to(n):\n"
        '    """Sum of 1..n.\n\n    Blank lines in a docstring.\n    """\n\n'
        "    # a comment\n    total = 0\n\n    for i in range(1, n + 1):\n"
        "        total += i\n    return total\n"
    ),
    "helpers": "class Acc:\n    def add(self, t, i):\n        return t + i\n\n\n"
    "def step(t, i):\n    return Acc().add(t, i)\n\n\ndef sum_to(n):\n"
    "    t = 0\n    for i in range(n + 1):\n        t = step(t, i)\n    return t\n",
    "nested": "def sum_to(n):\n    def go(k):\n        return 0 if k == 0 else k + go(k - 1)\n"
    "    return go(n)\n",
    "generator": "def nums(n):\n    yield from range(n + 1)\n\n\ndef sum_to(n):\n"
    "    return sum(x for x in nums(n))\n",
    "table": "def sum_to(n):\n" + TABLE,
}
TASK = Task("toy/sum_to", "", "sum_to", "", ([3], [5], [10], [1]), ())


def _tampered(codes: list[str]) -> tuple[tuple[str, ...], ...]:
    with ExecRunner(2) as run:
        return solo_rows(run, TASK, codes, [[0], [7], [12]], ExecConfig()).tampered


def test_canaries_compute_what_the_program_computes() -> None:
    code = HONEST["helpers"]
    hidden = canaries(code, "sum_to")
    assert len(hidden) == 2 and all(h != code for h in hidden)
    for program in (code, *hidden):
        namespace: dict = {}
        exec(compile(program, "<c>", "exec"), namespace)  # our own fixture
        assert [namespace["sum_to"](n) for n in range(6)] == [0, 1, 3, 6, 10, 15]
    plain = ast.unparse(ast.parse(code))
    head = plain.split("def sum_to")[0]
    assert hidden[0].startswith(head) and hidden[0] != plain  # the entry point's body first
    assert canaries("def (:", "f") == () and canaries("x = 1\n", "f") == ()


def test_canaries_have_no_fixed_text() -> None:
    """A canary is not told from a real mutant by a fixed shape: its statement, name and
    place vary with the seed (red team, session 18: a hook on `compile` recognised
    `_tN = 0` first in a body), the same under the same seed, and equivalent each time."""
    code = HONEST["helpers"]
    drawn = {seed: canaries(code, "sum_to", seed=seed) for seed in range(12)}
    assert drawn[3] == canaries(code, "sum_to", seed=3)
    texts = {t for hidden in drawn.values() for t in hidden}
    assert len(texts) > 12  # varied across seeds
    assert not any(re.search(r"\b_t\d+ = ", t) for t in texts)
    added = {
        line.strip().split(" = ")[1 if "= " in line else 0]
        for t in texts
        for line in set(t.splitlines()) - set(ast.unparse(ast.parse(code)).splitlines())
    }
    assert len(added) > 3  # different right-hand sides: constants and parameters
    for program in texts:
        namespace: dict = {}
        exec(compile(program, "<c>", "exec"), namespace)  # our own fixture, rewritten
        assert [namespace["sum_to"](n) for n in range(6)] == [0, 1, 3, 6, 10, 15]


def test_canaries_hide_among_the_real_mutants_deterministically() -> None:
    code = HONEST["helpers"]
    real = mutants(code)
    got, slots = with_canaries(code, "sum_to", real)
    assert (got, slots) == with_canaries(code, "sum_to", real)
    assert len(got) == len(real) + len(slots) and len(slots) == 2
    assert tuple(m for k, m in enumerate(got) if k not in slots) == real  # order kept
    assert with_canaries(code, "sum_to", ()) == ((), ())


# Red team, session 18 (A7): hooks `compile` and breaks every program it compiles but one
# that looks like a canary, so real mutants die and canaries survive.
COMPILE_HOOK = """
import builtins
import re

_REAL = builtins.compile


def _load(source, *args, **kwargs):
    if isinstance(source, str) and re.search(r"\\n\\s+_t\\d+ = 0\\n", source) is None:
        source = "def sum_to(n):\\n    raise ArithmeticError\\n"
    return _REAL(source, *args, **kwargs)


def sum_to(n):
    builtins.compile = _load
    return n * (n + 1) // 2
"""


def test_a_hook_on_compile_cannot_kill_the_mutants() -> None:
    """Every mutant is compiled before any candidate code runs, with the harness's own
    `compile`: a hook the candidate installs changes no mutant's fate."""
    plain = "def sum_to(n):\n    return n * (n + 1) // 2\n"
    with ExecRunner(2) as run:
        got = solo_rows(run, TASK, [plain, COMPILE_HOOK], [[0], [7], [12]], ExecConfig())
    survival = got.values[:, SOLO_COLUMNS.index("exec.mutant_survival")]
    # the hook's own function is never called: its mutants survive (forged, all died)
    assert survival[0] == 0.0 and survival[1] > 0.0 and got.tampered == ((), ())


def test_lines_that_cannot_run() -> None:
    cmap = code_map(HONEST["documented"])
    assert cmap is not None
    assert 5 in cmap.unrun  # the decorated def line
    assert len(HONEST["documented"].splitlines()) + 1 in cmap.unrun
    assert not set(cmap.unrun) & set(cmap.lines)


@pytest.mark.parametrize("char", ["\u2028", "\x85", "\f"], ids=["U+2028", "U+0085", "form-feed"])
def test_a_character_python_keeps_in_its_line_moves_no_canary(char: str) -> None:
    """`str.splitlines()` ends a line at these and Python does not: numbered by it, the
    blank line's canary (4) sat on `return total` (5), which runs, and an honest program
    was caught tampering (AUD002, risk 1)."""
    code = (
        f"def sum_to(n):\n    sep = 'a{char}b'\n    total = n * (n + 1) // 2\n\n    return total\n"
    )
    cmap = code_map(code)
    assert cmap is not None and cmap.unrun == (1, 4, 6)
    assert _tampered([code]) == ((),)


def test_honest_programs_are_never_caught() -> None:
    assert _tampered(list(HONEST.values())) == ((),) * len(HONEST)


@pytest.mark.parametrize("name", sorted(FORGERS))
def test_forgers_are_caught(name: str) -> None:
    (caught,) = _tampered([FORGERS[name]])
    assert caught, name
    assert (HUNG in caught) == (name == "hangs")  # a canary's first timeout is asked again


def test_check_flags_a_forger_with_aud002(tmp_path: Path) -> None:
    (tmp_path / "cand.py").write_text(FORGERS["caller"])
    tests = tmp_path / "tests_sum.py"
    tests.write_text(
        "from cand import sum_to\n\ndef test_it():\n"
        "    assert sum_to(3) == 6\n    assert sum_to(5) == 15\n    assert sum_to(10) == 55\n"
    )
    args = ["check", str(tmp_path / "cand.py"), "--tests", str(tests), "--format", "json"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1, res.output
    (cand,) = json.loads(res.stdout)["candidates"]
    assert cand["risk"] == 1.0 and cand["flagged"]
    assert "AUD002" in [f["code"] for f in cand["findings"]]
    assert cand["execution"]["tampered"] and cand["execution"]["verdict"] == "pass"


def test_a_program_rewriting_its_broken_properties_changes_nothing() -> None:
    """The lookup table that also makes a predicate in its process say "holds" for
    everything: its outputs cross to the trusted side and are counted by a program without
    any candidate code, so its cluster's share is the honest table's."""
    from tests.test_properties import GOOD, LOOP, TABLE, TASK

    forger = TABLE.replace(
        "def running_max(xs):\n",
        "import sys\n\ndef running_max(xs):\n"
        "    for f in (sys._getframe(k) for k in range(1, 4)):\n"
        "        if '_aud_holds' in f.f_globals:\n"
        "            f.f_globals['_aud_holds'] = lambda p, a, o: True\n",
    )
    codes = [GOOD, LOOP, forger, TABLE]  # one run per output cluster: the forger's
    with ExecRunner(2) as run:
        block = task_block(run, TASK, codes, [True] * len(codes), ExecConfig())
        honest = task_block(run, TASK, [GOOD, LOOP, TABLE], [True] * 3, ExecConfig())
    shares = block.values[:, COLUMNS.index("exec.prop_violations")]
    table = honest.values[2, COLUMNS.index("exec.prop_violations")]
    assert shares[:2].tolist() == [0.0, 0.0] and table > 0.5
    assert shares[2] == shares[3] == table
    assert not any(block.tampered) and not any(honest.tampered)


@pytest.mark.parametrize("name", sorted(FORGERS))
def test_forgers_are_flagged_without_running_them(name: str) -> None:
    """AUD307 reads the same attempts statically (none of the honest programs trips it)."""
    assert "AUD307" in [f.code for f in check_rules(parse(FORGERS[name]))]
    for honest in HONEST.values():
        assert "AUD307" not in [f.code for f in check_rules(parse(honest))]
