"""The sanitizer on real junk shapes (hand-written), and over the shared corpora."""

from __future__ import annotations

import ast
import gzip
import json
import random
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.sanitize import LineMap, Sanitized, sanitize, sanitize_completion
from tests.benchmarks.chat_corpus import TEMPLATES


def _core(result: Sanitized) -> tuple[str, tuple[str, ...], bool]:
    """What the program and record are, without the line map and provenance."""
    return result.code, result.removed, result.parsed


CLEAN = '''from typing import List


def mean(xs: List[float]) -> float:
    """Average of xs."""
    # sum, then divide
    return sum(xs) / len(xs)  # no empty lists
'''

CASES: list[tuple[str, str, str | None, str, tuple[str, ...]]] = [
    # (id, raw code, entry point, expected code, expected removed)
    (
        "truncated-assert",
        "def add(a, b):\n    return a + b\n\n\nassert add(1, 2) == 3\nassert add(2,",
        "add",
        "def add(a, b):\n    return a + b\n",
        ("line 5: assert statement", "line 6: unparsable tail"),
    ),
    (
        "main-guard",
        "def add(a, b):\n    return a + b\n\nif __name__ == '__main__':\n    print(add(1, 2))\n",
        "add",
        "def add(a, b):\n    return a + b\n",
        ("lines 4-5: `if __name__ == '__main__'` block",),
    ),
    (
        "main-guard-reversed",
        "def add(a, b):\n    return a + b\nif '__main__' == __name__: add(1, 2)\n",
        "add",
        "def add(a, b):\n    return a + b\n",
        ("line 3: `if __name__ == '__main__'` block",),
    ),
    (
        "prints-and-test-calls",
        "def sq(x):\n    return x * x\n\n# tests\nprint(sq(3))\nsq(4)\nres = sq(5)\n",
        "sq",
        "def sq(x):\n    return x * x\n",
        ("line 5: print call", "line 6: top-level call to sq", "line 7: unused assignment to res"),
    ),
    (
        "doctest-runner",
        'def sq(x):\n    """\n    >>> sq(2)\n    4\n    """\n    return x * x\n\n\n'
        "import doctest\ndoctest.testmod()\n",
        "sq",
        'def sq(x):\n    """\n    >>> sq(2)\n    4\n    """\n    return x * x\n',
        (
            "line 9: unused stdlib import after the entry point: doctest",
            "line 10: doctest runner",
        ),
    ),
    (
        "doctest-runner-one-line",
        "def sq(x):\n    return x * x\nimport doctest; doctest.testmod(verbose=True)\n",
        "sq",
        "def sq(x):\n    return x * x\n",
        ("line 3: unused stdlib import after the entry point: doctest", "line 3: doctest runner"),
    ),
    (
        "helper-kept-unused-dropped",
        "def solve(xs):\n    return [helper(x) for x in xs]\n\n\ndef helper(x):\n"
        "    return _inner(x) + 1\n\n\ndef _inner(x):\n    return x\n\n\ndef unused(y):\n"
        "    return y\n",
        "solve",
        "def solve(xs):\n    return [helper(x) for x in xs]\n\n\ndef helper(x):\n"
        "    return _inner(x) + 1\n\n\ndef _inner(x):\n    return x\n",
        ("lines 13-14: unused function unused",),
    ),
    (
        "constant-and-import-after",
        "MOD = 10 ** 9 + 7\nLIMIT = 3\n\ndef count(n):\n    return comb(n, 2) % MOD\n"
        "from math import comb\nimport os\nn = int(input())\n",
        "count",
        "MOD = 10 ** 9 + 7\n\ndef count(n):\n    return comb(n, 2) % MOD\nfrom math import comb\n",
        (
            "line 2: unused assignment to LIMIT",
            "line 7: unused stdlib import after the entry point: os",
            "line 8: unused assignment to n",
        ),
    ),
    (
        "third-party-import-after-kept",
        "def f():\n    return 1\nimport flask\nfrom .utils import *\nimport os.path\n",
        "f",
        "def f():\n    return 1\nimport flask\nfrom .utils import *\n",
        ("line 5: unused stdlib import after the entry point: os.path",),
    ),
    (
        "local-shadows-junk-global",
        "def f(xs):\n    result = sorted(xs)\n    return result\nresult = f([2, 1])\n",
        "f",
        "def f(xs):\n    result = sorted(xs)\n    return result\n",
        ("line 4: unused assignment to result",),
    ),
    (
        "class-kept",
        "class Stack:\n    def __init__(self):\n        self.items = []\n\n\n"
        "def balanced(s):\n    st = Stack()\n    return not st.items\n\n\nclass Unused:\n    pass\n",
        "balanced",
        "class Stack:\n    def __init__(self):\n        self.items = []\n\n\n"
        "def balanced(s):\n    st = Stack()\n    return not st.items\n",
        ("lines 11-12: unused class Unused",),
    ),
    (
        "nested-function",
        "def outer(n):\n    def inner(k):\n        return k + n\n    return inner(1)\n\n"
        "def inner(k):\n    return 0\n",
        "outer",
        "def outer(n):\n    def inner(k):\n        return k + n\n    return inner(1)\n",
        ("lines 6-7: unused function inner",),
    ),
    (
        "decorators-and-attached-comment",
        "from functools import lru_cache\nprint('start')\n\n\n# memoized\n@lru_cache(None)\n"
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
        "fib",
        "from functools import lru_cache\n\n\n# memoized\n@lru_cache(None)\n"
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
        ("line 2: print call",),
    ),
    (
        "async-def",
        "import asyncio\n\nasync def fetch(x):\n    await asyncio.sleep(0)\n    return x\n\n"
        "asyncio.run(fetch(1))\n",
        "fetch",
        "import asyncio\n\nasync def fetch(x):\n    await asyncio.sleep(0)\n    return x\n",
        ("line 7: top-level call to asyncio.run",),
    ),
    (
        "redefinition-last-wins",  # what Python runs (EvalPlus keeps the first)
        "def f(x):\n    return x + 1\n\ndef f(x):\n    return x - 1\n",
        "f",
        "def f(x):\n    return x - 1\n",
        ("lines 1-2: function f, defined again below",),
    ),
    (
        "stray-string-and-name",
        "python\ndef f():\n    return 1\n'''\nExample usage\n'''\n",
        "f",
        "def f():\n    return 1\n",
        ("line 1: stray expression", "lines 4-6: stray string"),
    ),
    (
        "truncated-inside-entry-point",
        "def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    while n >\n",
        "f",
        "def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n",
        ("line 5: unparsable tail",),
    ),
    (
        "entry-point-missing",
        "import re\nPAT = re.compile('a')\n\ndef helper(s):\n    return PAT.match(s)\n"
        "print(helper('a'))\nfor i in range(3):\n    helper(str(i))\n",
        "not_there",
        "import re\nPAT = re.compile('a')\n\ndef helper(s):\n    return PAT.match(s)\n",
        ("line 6: print call", "lines 7-8: top-level for loop"),
    ),
    (
        "no-entry-point-given",
        "def a():\n    return 1\n\n\ndef b():\n    return a()\n\n\nassert b() == 1\n",
        None,
        "def a():\n    return 1\n\n\ndef b():\n    return a()\n",
        ("line 9: assert statement",),
    ),
    (
        "same-line-statements",
        "x = 1; print(x); y = 2\ndef f():\n    return x + y\n",
        "f",
        "x = 1\ny = 2\ndef f():\n    return x + y\n",
        ("line 1: print call",),
    ),
    (
        "surrogate-in-junk-tail",
        "def f():\n    return 'ok'\nprint('\udc80')\n",
        "f",
        "def f():\n    return 'ok'\n",
        ("line 3: unparsable tail",),
    ),
    (
        "non-ascii-columns",
        "def f():\n    return 'héllo'\nz = 'é'; print(z); w = f()\n",
        None,
        "def f():\n    return 'héllo'\nz = 'é'\nw = f()\n",
        ("line 3: print call",),
    ),
    (
        "store-through-subscript-kept",  # red team A0: the program reads what it stored
        '_cache = {}\n_cache["bias"] = 1\n\ndef f(xs):\n    return sum(xs) + _cache["bias"]\n',
        "f",
        '_cache = {}\n_cache["bias"] = 1\n\ndef f(xs):\n    return sum(xs) + _cache["bias"]\n',
        (),
    ),
    (
        "changes-to-used-objects-kept",
        "L = []\nL.append(3)\nd = {}\nd['k'] = 0\nd['k'] += 1\nclass O:\n    pass\no = O()\n"
        "o.x = 1\ndef f():\n    return L, d, o.x\nres = []\nres.append(f())\n",
        "f",
        "L = []\nL.append(3)\nd = {}\nd['k'] = 0\nd['k'] += 1\nclass O:\n    pass\no = O()\n"
        "o.x = 1\ndef f():\n    return L, d, o.x\n",
        ("line 12: unused assignment to res", "line 13: top-level call to res.append"),
    ),
    (
        "table-filled-by-a-loop-kept",
        "T = [0] * 9\nfor i in range(9):\n    T[i] = i * i\ndef f(i):\n    return T[i]\n"
        "for i in range(3):\n    print(f(i))\n",
        "f",
        "T = [0] * 9\nfor i in range(9):\n    T[i] = i * i\ndef f(i):\n    return T[i]\n",
        ("lines 6-7: top-level for loop",),
    ),
    (
        "interpreter-state-kept",  # the program relies on it without naming `sys`
        "def f(n):\n    return n if n < 1 else f(n - 1)\nimport sys\nsys.setrecursionlimit(10 ** 6)\n"
        "from sys import set_int_max_str_digits\nset_int_max_str_digits(0)\nprint(f(5))\n",
        "f",
        "def f(n):\n    return n if n < 1 else f(n - 1)\nimport sys\nsys.setrecursionlimit(10 ** 6)\n"
        "from sys import set_int_max_str_digits\nset_int_max_str_digits(0)\n",
        ("line 7: print call",),
    ),
    (
        "module-state-kept-when-used",
        "import random\nimport math\ndef f():\n    return random.random() + math.pi\n"
        "random.seed(1)\nmath.sqrt(2)\n",
        "f",
        "import random\nimport math\ndef f():\n    return random.random() + math.pi\n"
        "random.seed(1)\n",
        ("line 6: top-level call to math.sqrt",),
    ),
    (
        "state-behind-a-call-kept",
        "from decimal import Decimal, getcontext\ngetcontext().prec = 50\n"
        "def f():\n    return Decimal(1) / 3\n",
        "f",
        "from decimal import Decimal, getcontext\ngetcontext().prec = 50\n"
        "def f():\n    return Decimal(1) / 3\n",
        (),
    ),
    (
        "own-function-setting-a-global-kept",  # after A0: the call changes what f reads
        "_bias = 0\ndef _init():\n    global _bias\n    _bias = 1\n_init()\n"
        "def f(x):\n    return x + _bias\n",
        "f",
        "_bias = 0\ndef _init():\n    global _bias\n    _bias = 1\n_init()\n"
        "def f(x):\n    return x + _bias\n",
        (),
    ),
    (
        "own-function-filling-a-table-kept",
        "T = {}\ndef _fill(t):\n    t[1] = 2\n_fill(T)\ndef f(x):\n    return T.get(x, 0)\n",
        "f",
        "T = {}\ndef _fill(t):\n    t[1] = 2\n_fill(T)\ndef f(x):\n    return T.get(x, 0)\n",
        (),
    ),
    (
        "own-function-and-class-changing-read-data-kept",
        "T = {}\nL = []\ndef _init():\n    T[1] = 2\nclass _Setup:\n    def __init__(self):\n"
        "        L.append(3)\n_init()\n_Setup()\ndef f(x):\n    return T.get(x, 0) + len(L)\n",
        "f",
        "T = {}\nL = []\ndef _init():\n    T[1] = 2\nclass _Setup:\n    def __init__(self):\n"
        "        L.append(3)\n_init()\n_Setup()\ndef f(x):\n    return T.get(x, 0) + len(L)\n",
        (),
    ),
    (
        "a-check-of-the-entry-point-still-dropped",  # handed a function, not data
        "def f(x):\n    return x\ndef check(candidate):\n    assert candidate(1) == 2\ncheck(f)\n",
        "f",
        "def f(x):\n    return x\n",
        ("lines 3-4: unused function check", "line 5: top-level call to check"),
    ),
    (
        "call-on-an-unbound-name-dropped",  # test code using a module it never imported
        "def f(t):\n    return re.sub('a', 'b', t)\nt = 'aa'\nre.sub('a', '-', t)\n",
        "f",
        "def f(t):\n    return re.sub('a', 'b', t)\n",
        ("line 3: unused assignment to t", "line 4: top-level call to re.sub"),
    ),
    (
        "changes-kept-without-entry-point",
        "L = []\nL.append(1)\nM = []\nprint(L)\nundefined.append(2)\n",
        None,
        "L = []\nL.append(1)\nM = []\n",
        ("line 4: print call", "line 5: top-level call to undefined.append"),
    ),
    (
        "crlf-line-endings",
        "def f():\r\n    return 1\r\n\r\nprint(f())\r\n",
        "f",
        "def f():\r\n    return 1\r\n",
        ("line 4: print call",),
    ),
]


@pytest.mark.parametrize(
    ("code", "entry", "expected", "removed"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_sanitize_junk_shapes(
    code: str, entry: str | None, expected: str, removed: tuple[str, ...]
) -> None:
    result = sanitize(code, entry)
    assert _core(result) == (expected, removed, True)
    ast.parse(result.code)


@pytest.mark.parametrize(
    "code",
    [
        CLEAN,
        CLEAN.rstrip("\n"),  # no final newline
        '"""Module docstring."""\n' + CLEAN + "\n\n# trailing comment\n",
        "#!/usr/bin/env python\n# header\n\n" + CLEAN,
        "import math\nfrom typing import List\nimport collections\n\n" + CLEAN,
    ],
    ids=["plain", "no-final-newline", "docstring-and-trailing-comment", "header", "many-imports"],
)
def test_clean_code_is_unchanged_byte_for_byte(code: str) -> None:
    result = sanitize(code, "mean")
    assert result.code is code
    assert result.removed == ()
    assert result.parsed


@pytest.mark.parametrize(
    "code",
    [
        "def f(:\n    return 1\n",
        "x = '\udc80'\n",
        "def f():\n    return '\udc80'\n",
        "def f(x):\n    return (x +\n",
        "x = 1\x00\n",
    ],
    ids=["bad-signature", "surrogate-only", "surrogate-in-entry", "unclosed-paren", "null-byte"],
)
def test_syntax_error_beyond_repair_returns_original(code: str) -> None:
    result = sanitize(code, "f")
    assert _core(result) == (code, (), False)
    assert result.reason is not None and result.reason.startswith("does not parse")


def test_truncation_never_repairs_by_dropping_the_entry_point() -> None:
    # A prefix (the import) parses, but it would lose the entry point the original defines.
    code = "import math\n\ndef f(x):\n    return math.(x)\n"
    assert _core(sanitize(code, "f")) == (code, (), False)
    # Without an entry point, the longest parseable prefix is fine.
    assert _core(sanitize(code, None)) == ("import math\n\n", ("lines 3-4: unparsable tail",), True)


def test_null_byte_in_junk_tail_is_cut_quickly() -> None:
    code = "def f():\n    return 1\nx = 1\x00\n" + "y = 2\n" * 5000
    result = sanitize(code, "f")
    assert _core(result) == ("def f():\n    return 1\n", ("lines 3-5003: unparsable tail",), True)


def test_huge_input_broken_at_the_top_gives_up() -> None:
    code = "def f(:\n" + "    x = (\n" * 3000
    assert _core(sanitize(code, None)) == (code, (), False)


@pytest.mark.parametrize("code", ["", "\n\n", "# only a comment\n"])
def test_empty_input(code: str) -> None:
    assert _core(sanitize(code, "f")) == (code, (), True)


def test_never_executes_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').close()\ndef f():\n    return 1\n"
    result = sanitize(code, "f")
    assert result.code == code  # it touches the world outside the program: kept
    assert not marker.exists()


def test_pre_entry_imports_kept_even_if_unused() -> None:
    code = "import os\nfrom typing import List\n\ndef f():\n    return 1\nprint(1)\n"
    assert (
        sanitize(code, "f").code == "import os\nfrom typing import List\n\ndef f():\n    return 1\n"
    )


def test_try_import_block_kept_when_it_binds_a_needed_name() -> None:
    code = (
        "def f(a, b):\n    return gcd(a, b)\n"
        "try:\n    from math import gcd\nexcept ImportError:\n    gcd = None\n"
        "try:\n    import numpy\nexcept ImportError:\n    pass\n"
    )
    result = sanitize(code, "f")
    assert result.code == (
        "def f(a, b):\n    return gcd(a, b)\n"
        "try:\n    from math import gcd\nexcept ImportError:\n    gcd = None\n"
    )
    assert result.removed == ("lines 7-10: unused top-level try block",)


# --- the shared corpora ----------------------------------------------------------------------


def _entry_points(corpora: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("HumanEvalPlus-v0.1.10.jsonl.gz", "MbppPlus-v0.2.0.jsonl.gz"):
        with gzip.open(corpora / "benchmarks" / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                task = json.loads(line)
                out[task["task_id"]] = task["entry_point"]
    return out


def _parse_quietly(code: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # corpus code has invalid escapes
        return ast.parse(code)


def _rows(path: Path) -> list[dict[str, object]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


_JUNK = (ast.Expr, ast.Assert, ast.If, ast.For, ast.While)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("name", "lower_bound"),
    [
        # Measured: all three reach 1.0 (every truncated completion has a parseable prefix
        # that still defines the entry point).
        ("humaneval_codegen-16b-mono_t0.8_n100.jsonl.gz", 0.99),
        ("humaneval_code-davinci-002_t0.8_n200.jsonl.gz", 0.99),
        ("evalperf_qwen2.5-coder-7b-instruct_t0.2_n40.jsonl.gz", 1.0),
    ],
)
def test_shared_corpora_parse_after_sanitizing(
    shared_corpora: Path, name: str, lower_bound: float
) -> None:
    entry = _entry_points(shared_corpora)
    rows = _rows(shared_corpora / "samples" / name)
    results = [sanitize(str(r["solution"]), entry[str(r["task_id"])]) for r in rows]
    share = sum(r.parsed for r in results) / len(results)
    assert share >= lower_bound
    for r in results:
        if r.parsed and r.removed:
            tree = _parse_quietly(r.code)
            assert not any(isinstance(s, ast.Assert) for s in tree.body)
    # Raw corpora really needed it.
    if "qwen" not in name:
        assert sum(bool(r.removed) for r in results) > 0.05 * len(results)


@pytest.mark.integration
def test_qwen_clean_solutions_come_through_unchanged(shared_corpora: Path) -> None:
    entry = _entry_points(shared_corpora)
    rows = _rows(
        shared_corpora / "samples" / "evalperf_qwen2.5-coder-7b-instruct_t0.2_n40.jsonl.gz"
    )
    clean = changed = 0
    for row in rows:
        code, ep = str(row["solution"]), entry[str(row["task_id"])]
        result = sanitize(code, ep)
        body = _parse_quietly(code).body
        if any(isinstance(s, _JUNK) for s in body):
            changed += result.code != code
            continue
        assert any(getattr(s, "name", None) == ep for s in body)
        assert result.code == code and result.removed == ()
        clean += 1
    assert clean > 0.99 * len(rows)
    assert changed == len(rows) - clean  # every junk-bearing solution was cleaned


# --- chat-style answers (Markdown and prose around the code) ---------------------------------

CHAT = Path(__file__).parent / "fixtures" / "chat"
CHAT_CASES: dict[str, dict[str, object]] = json.loads((CHAT / "cases.json").read_text("utf-8"))


def _raw(name: str) -> str:
    return (CHAT / f"{name}.md").read_bytes().decode("utf-8")  # bytes: keep CRLF answers


def _assert_lines_map_back(raw: str, result: Sanitized) -> None:
    """Every non-blank program line is (the end of) the raw line the map points at."""
    program = result.code.splitlines()
    raw_lines = re.split(r"\r\n|\r|\n", raw)
    assert result.line_map.lines == len(program)
    for i, line in enumerate(program, start=1):
        if line.strip():
            assert raw_lines[result.raw_line(i) - 1].strip().endswith(line.strip()), (i, line)


def test_chat_fixtures_cover_the_forms() -> None:
    assert len(CHAT_CASES) >= 30
    kinds = {d.split(": ")[1].split(" ")[0] for c in CHAT_CASES.values() for d in c["extracted"]}  # type: ignore[attr-defined]
    assert kinds == {"fenced", "indented", "bare"}


@pytest.mark.parametrize("name", sorted(CHAT_CASES))
def test_chat_fixture(name: str) -> None:
    case = CHAT_CASES[name]
    raw = _raw(name)
    result = sanitize(raw, case["entry_point"])  # type: ignore[arg-type]
    expected = CHAT / f"{name}.expected"
    assert result.code == (expected.read_bytes().decode("utf-8") if expected.exists() else raw)
    assert result.parsed is case["parsed"]
    assert result.reason == case["reason"]
    assert [b.describe() for b in result.extracted] == case["extracted"]
    if result.parsed and result.code.strip():
        _parse_quietly(result.code)
        _assert_lines_map_back(raw, result)
    # Whatever was not kept is on record, in raw lines.
    if result.extracted:
        assert any("text outside the code" in r for r in result.removed)


def test_fenced_answer_gives_exactly_the_fenced_program() -> None:
    raw = f"Sure! Here it is:\n\n```python\n{CLEAN}```\n\nIt averages `xs`.\n"
    result = sanitize(raw, "mean")
    assert result.code == CLEAN
    assert result.removed == (
        "lines 1-3: text outside the code",
        "lines 11-13: text outside the code",
    )
    assert [b.describe() for b in result.extracted] == ["lines 4-10: fenced code (python)"]
    assert result.line_map.runs == ((1, 4, 7),)
    assert [result.raw_line(i) for i in (1, 7)] == [4, 10]


@pytest.mark.parametrize("indent", ["    ", "\t", "  "])
def test_a_fence_indented_as_a_whole_gives_its_program(indent: str) -> None:
    # Red team s22, O3: the only fence holds code indented as a whole; it gave no program
    # ("no code block parses as Python"). Read as the C4 check reads shown blocks.
    body = "".join(indent + line for line in CLEAN.splitlines(keepends=True))
    raw = f"Here is the code:\n\n```python\n{body}```\n\nIt averages `xs`.\n"
    result = sanitize(raw, "mean")
    assert (result.code, result.reason) == (CLEAN, None)
    assert [b.describe() for b in result.extracted] == ["lines 4-10: fenced code (python)"]
    assert [result.raw_line(i) for i in (1, 7)] == [4, 10]
    # A fence whose code parses as it stands is taken as it stands: a leading comment.
    commented = f"```python\n    # the mean\n{CLEAN}```\n"
    assert sanitize(commented, "mean").code == f"    # the mean\n{CLEAN}"


@pytest.mark.parametrize("entry", ["f", None])
def test_an_indented_excerpt_after_the_answer_is_not_the_program(entry: str | None) -> None:
    # An indented fence after the answer is an excerpt (the function as a method): read
    # without its indentation it defines `f` too, but code as it stands ranks first.
    run = "def f(x):\n    return x + 1\n"
    method = "    def f(self, x):\n        return x + 1\n"
    raw = f"```python\n{run}```\n\nIn a class it would be:\n\n```python\n{method}```\n"
    result = sanitize(raw, entry)
    assert (result.code, result.reason) == (run, None)
    assert [b.describe() for b in result.extracted] == ["lines 2-3: fenced code (python)"]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("I'm sorry, I cannot help with that.", "no code in the answer"),
        ("", "empty answer"),
        ("   \n\n", "empty answer"),
        ("```text\nno python here at all\n```\n", "no code block parses as Python"),
        ("def f(:\n    return 1\n", "does not parse as Python (line 1)"),
    ],
    ids=["refusal", "empty", "blank", "non-python-block", "syntax-error"],
)
def test_no_program_has_a_reason(raw: str, reason: str) -> None:
    result = sanitize(raw, "f")
    assert result.reason == reason
    assert result.code == raw  # nothing was invented


def test_entry_point_block_preferred_and_only_needed_helpers_kept() -> None:
    raw = (
        "```python\nimport os\nLIMIT = 3\n\ndef helper(x):\n    return x + LIMIT\n\n"
        "def unrelated():\n    return os.getcwd()\n```\n\n"
        "```python\ndef solve(xs):\n    return [helper(x) for x in xs]\n\nprint(solve([1]))\n```\n"
    )
    result = sanitize(raw, "solve")
    assert result.code == (
        "LIMIT = 3\n\ndef helper(x):\n    return x + LIMIT\n\n\n"
        "def solve(xs):\n    return [helper(x) for x in xs]\n"
    )
    assert [b.describe() for b in result.extracted] == [
        "lines 13-16: fenced code (python)",
        "lines 2-9: fenced code (python)",
    ]
    assert "line 2: not needed by the program" in result.removed  # import os
    assert "lines 8-9: not needed by the program" in result.removed  # unrelated()
    assert "line 16: print call" in result.removed
    _assert_lines_map_back(raw, result)


def test_line_map_of_plain_code_with_dropped_statements() -> None:
    result = sanitize("x = 1; print(x); y = 2\ndef f():\n    return x + y\nprint(f())\n", "f")
    assert result.code == "x = 1\ny = 2\ndef f():\n    return x + y\n"
    assert [result.raw_line(i) for i in range(1, 5)] == [1, 1, 2, 3]
    for bad in (0, 5):
        with pytest.raises(ValueError, match="outside the program"):
            result.raw_line(bad)


def test_line_map_runs() -> None:
    assert LineMap.from_rows(range(1, 6)).runs == ((1, 1, 5),)
    assert LineMap.from_rows([]).runs == ()
    m = LineMap.from_rows([4, 5, 6, 6, 6, 10, 11])
    assert m.runs == ((1, 4, 3), (4, 6, 1), (5, 6, 1), (6, 10, 2))
    assert [m.raw_line(i) for i in range(1, 8)] == [4, 5, 6, 6, 6, 10, 11]
    assert m.lines == 7


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize(
    "program",
    [
        CLEAN,
        "def add(a, b):\n    return a + b\n\n\nassert add(1, 2) == 3\nassert add(2,",
        "import math\n\n\ndef mean(xs):\n\n    return math.fsum(xs) / len(xs)\nprint(mean([1]))\n",
    ],
    ids=["clean", "junk-tail", "blank-line-in-body"],
)
def test_benchmark_templates_give_back_the_plain_program(template: str, program: str) -> None:
    entry = "add" if "def add" in program else "mean"
    wrapped = TEMPLATES[template](program, entry, random.Random(0))
    plain, chat = sanitize(program, entry), sanitize(wrapped, entry)
    assert ast.dump(_parse_quietly(chat.code)) == ast.dump(_parse_quietly(plain.code))
    assert chat.extracted


PROMPT = 'def add(a: int, b: int) -> int:\n    """Sum of a and b."""\n'


def test_chat_completion_is_read_without_the_prompt_stub() -> None:
    # Prose, then the whole function: joined to the prompt, only the stub parsed.
    answer = "Sure! Here it is:\n\ndef add(a, b):\n    return a + b\n\nIt adds them.\n"
    result = sanitize_completion(PROMPT, answer, "add")
    assert result.code == sanitize(answer, "add").code == "def add(a, b):\n    return a + b\n\n"
    assert result.reason is None
    assert [b.describe() for b in result.extracted] == ["lines 5-7: bare code"]
    assert result.removed[0] == "lines 1-2: the prompt (the answer restates the function)"
    assert "line 3: text outside the code" in result.removed
    _assert_lines_map_back(PROMPT + answer, result)


def test_completion_restating_the_function_is_not_dropped_as_a_redefinition() -> None:
    answer = "def add(a, b):\n    return a + b\n"
    result = sanitize_completion(PROMPT, answer, "add")
    assert result.code == answer  # as Python runs prompt + completion: the later def wins
    assert result.removed == ("lines 1-2: function add, defined again below",)
    assert result.raw_line(1) == 3


def test_completion_without_code_gets_the_reason() -> None:
    result = sanitize_completion(PROMPT, "I cannot help with that, sorry.", "add")
    assert result.reason == "no code in the answer"
    assert not result.parsed
    assert result.code == PROMPT + "I cannot help with that, sorry."  # nothing invented


@pytest.mark.parametrize(
    "answer",
    [
        "<think>\nSimple:\n```python\ndef add(a, b):\n    return a + b\n```\nDone",
        "<think>\nSimple:\n```python\ndef add(a, b):\n    return a + b\n```\n</think>\n",
        "<think>\nSimple:\ndef add(a, b):\n    return a + b\n\nDone",
    ],
    ids=["unclosed", "closed", "bare"],
)
def test_completion_whose_code_is_all_in_reasoning_is_read_from_it(answer: str) -> None:
    # Trial 9: the blank lines the reasoning leaves made the prompt's stub pass for the
    # answer ("empty body"), though code in `<think>` counts when there is none outside.
    result = sanitize_completion(PROMPT, answer, "add")
    assert result.code == "def add(a, b):\n    return a + b\n"
    assert result.reason is None


def test_completion_defining_another_function_says_so() -> None:
    # Trial 11: a renamed function left the prompt's stub as the program ("empty body").
    answer = "Here you go:\n\n```python\ndef plus(a, b):\n    return a + b\n```\n"
    result = sanitize_completion(PROMPT, answer, "add")
    assert result.reason == "no code to keep; the answer defines no `add`"
    assert not result.parsed
    assert result.code == PROMPT + answer  # nothing invented


@pytest.mark.parametrize(
    "completion",
    [
        "    return a + b\n",
        "    return a + b\n\n\nassert add(1, 2) == 3\nassert add(2,",
        "    return a + b\nThis adds them.\n",
        "    for x in (a,\n",  # a broken body: the stub stands, as before
        "",
        "Sure!\n```python\ndef add(a, b):\n    return a + b\n```\n",
        "Sure!\n\ndef helper():\n    return 1\n",  # no entry point in the answer
        "\n\nprint(add(1, 2))\n",  # junk only: the stub stands
    ],
    ids=[
        "body",
        "body-junk-tail",
        "body-then-prose",
        "broken-body",
        "empty",
        "fenced",
        "no-entry",
        "junk-only",
    ],
)
def test_completions_continuing_the_prompt_are_sanitized_joined(completion: str) -> None:
    assert sanitize_completion(PROMPT, completion, "add") == sanitize(PROMPT + completion, "add")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "```",
                "```python",
                "~~~",
                "    ",
                "def f(x):",
                "    return x",
                "> ",
                "1. ",
                "\t",
                "print(1)",
                "Here is",
                "import os",
                "",
                "#",
                "'''",
                "\r\n",
                "<|im_end|>",
            ]
        ),
        max_size=30,
    ).map("\n".join)
)
def test_never_crashes_on_markdownish_text(raw: str) -> None:
    for entry in ("f", None):
        result = sanitize(raw, entry)
        assert result.parsed == (_parses(result.code))
        if result.code.strip() and result.parsed:
            assert result.line_map.lines == len(result.code.splitlines())


def _parses(code: str) -> bool:
    try:
        _parse_quietly(code)
    except (SyntaxError, ValueError):
        return False
    return True


# -- which version of a chat answer counts ----------------------------------------------------

F = "```"
V1 = "def f(x):\n    y = x + 1\n    return y\n"  # a draft, longer than the answer
V2 = "def f(x):\n    return x + 2\n"  # the final answer


@pytest.mark.parametrize(
    "raw",
    [
        f"First version:\n\n{F}python\n{V1}{F}\n\nThat has a bug; fixed:\n\n{F}python\n{V2}{F}\n",
        f"Your code:\n{F}\n{V1}{F}\nHere is the fix:\n{F}py\n{V2}{F}\n",
        f"{F}python2\n{V1}print f(1)\n{F}\n\nIn Python 3:\n\n{F}python\n{V2}{F}\n",
        f"{F}python\n{V2}{F}\n\nThe same in Mojo:\n\n{F}mojo\n{V1}{F}\n",
    ],
    ids=["fix-after-draft", "user-code-then-fix", "python2-then-python3", "other-language-last"],
)
def test_the_last_python_block_defining_the_entry_point_wins(raw: str) -> None:
    result = sanitize(raw, "f")
    assert result.code == V2
    _assert_lines_map_back(raw, result)


def test_redefinition_in_one_block_keeps_the_last_one() -> None:
    raw = f"{F}python\n{V1}\n# corrected\n{V2}{F}\n"
    result = sanitize(raw, "f")
    assert result.code == "# corrected\n" + V2  # what Python runs
    assert "lines 2-4: function f, defined again below" in result.removed
    # Raw code too (EvalPlus keeps the first: a wrong later def was judged by its draft).
    assert sanitize(V1 + "\n" + V2, "f").code == V2


@pytest.mark.parametrize(
    "raw",
    [
        f"<think>\n{F}python\nimport math\n\n{V1}{F}\nno, wrong\n</think>\n\n{F}python\n{V2}{F}\n",
        f"<think>\nFirst attempt:\n\n{F}python\n{V1}{F}\n</think>\n\n{F}python\n{V2}{F}\n",
        f"Drafting.\n{F}python\n{V1}{F}\n</think>\n{F}python\n{V2}{F}\n",  # opening tag in the prompt
        f"<details>\n{F}python\n{V1}{F}\n</details>\n\n{F}python\n{V2}{F}\n",
        f"<think>\nLet me write it.\n{F}python\n{V2}{F}\n",  # cut off while reasoning
    ],
    ids=["fence-under-tag", "draft-in-think", "closing-tag-only", "html-tag", "unclosed-think"],
)
def test_reasoning_and_html_tags_do_not_misalign_fences(raw: str) -> None:
    result = sanitize(raw, "f")
    assert result.code == V2
    assert [b.kind for b in result.extracted] == ["fenced"]
    _assert_lines_map_back(raw, result)


@pytest.mark.parametrize(
    "raw",
    [
        f"Here:\n\n{F}python\n{V2}{F}\n\nDone.\n\n<!--\n{F}python\n{V1}{F}\n-->\n",
        f"<!-- draft:\n{F}python\n{V1}{F}\n-->\n{F}python\n{V2}{F}\n",
        f"> <!--\n> {F}python\n> {V1.replace(chr(10), chr(10) + '> ')}{F}\n> -->\n\n{F}python\n{V2}{F}\n",
        f"{F}python\n{V2}{F}\n<!-- never closed\n{F}python\n{V1}{F}\n",
        "".join(f"<!-- {i} -->\n" for i in range(40))
        + f"{F}python\n{V2}{F}\n<!--\n{F}\n{V1}{F}\n-->\n",
    ],
    ids=["after-the-answer", "before-the-answer", "in-a-quote", "unclosed", "many-comments"],
)
def test_code_in_an_html_comment_is_not_the_answer(raw: str) -> None:
    # Red team A4: rendered Markdown shows nothing of a comment; the visible block is judged.
    result = sanitize(raw, "f")
    assert result.code == V2
    assert [b.kind for b in result.extracted] == ["fenced"]
    _assert_lines_map_back(raw, result)


@pytest.mark.parametrize(
    "marker",
    ["note the `<!--` marker is HTML", "a version \\<!-- better -- below", "it is <!-- not"],
    ids=["code-span", "escaped", "mid-line-unclosed"],
)
def test_a_comment_marker_that_opens_no_line_hides_nothing(marker: str) -> None:
    """Red team s18, B4: a `<!--` in a code span, escaped, or mid-line before a later `-->`
    is text when rendered; the visible last block is the answer."""
    raw = f"First:\n\n{F}python\n{V1}{F}\n\nFinal ({marker}):\n\n{F}python\n{V2}{F}\n\nflow --> sum.\n"
    assert sanitize(raw, "f").code == V2


def test_comment_markers_in_code_stay_code() -> None:
    code = 'S = "<!--"\ndef f(x):\n    return S + "-->"\n'
    raw = f"{F}python\n{code}{F}\n\nIt returns `S`. -->\n\n<!-- a note -->\n"
    result = sanitize(raw, "f")
    assert result.code == code
    # A closed comment whose `<!--` is in a fence hides nothing after the fence.
    raw = f"{F}html\n<!-- x\n{F}\n\n{F}python\n{V2}{F}\n\n-->\n"
    assert sanitize(raw, "f").code == V2


def test_think_tags_in_code_are_code() -> None:
    """A `<think>` line in a string or docstring of a block is code the reader sees: cut as
    reasoning (to a `</think>` in a later string), the visible final block vanished and
    the draft before it was judged (red team s19, C1)."""
    final = "TAGS = '''\n<think>\n'''\n" + V2 + 'END = "</think>"\n'
    raw = f"First:\n{F}python\n{V1}{F}\n\nFinal:\n{F}python\n{final}{F}\n"
    result = sanitize(raw, "f")
    assert result.code == V2
    _assert_lines_map_back(raw, result)
    # reasoning before the answer is still left out
    raw = f"<think>\n{F}python\n{V1}{F}\n</think>\n{F}python\n{final}{F}\n"
    assert sanitize(raw, "f").code == V2


def test_a_link_reference_definition_shows_no_code() -> None:
    """A link reference definition renders as nothing, and its title may run over lines:
    the bare code in it supplied a helper the reader never saw (red team s19, C3)."""
    hidden = "def helper(x):\n    return x + 1\n"
    shown = "def helper(x):\n    return x - 1\n"
    use = "def f(x):\n    return helper(x)\n"
    raw = f'[note]: <> "\n{hidden}"\n\n{F}python\n{shown}{F}\n\n{F}python\n{use}{F}\n'
    assert sanitize(raw, "f").code == shown + "\n\n" + use
    assert not sanitize(f'Use it:\n\n[x]: /url "\n{hidden}"\n', "helper").parsed


def test_a_helper_defined_in_several_blocks_is_the_last_one() -> None:
    """As for the entry point, the last block defining a helper is the one used: a "fixed
    helper" block after a first try was ignored, and the first try judged (red team s19,
    C2)."""
    first = "def helper(x):\n    return x + 1\n"
    fixed = "def helper(x):\n    return x - 1\n"
    use = "def f(x):\n    return helper(x)\n"
    raw = f"{F}python\n{first}{F}\nFixed:\n{F}python\n{fixed}{F}\n\n{F}python\n{use}{F}\n"
    assert sanitize(raw, "f").code == fixed + "\n\n" + use


def test_star_import_in_its_own_block_is_kept_when_names_are_unbound() -> None:
    use = "def f(x):\n    return list(combinations(x, 2))\n"
    raw = f"{F}python\nfrom itertools import *\n{F}\n\n{F}python\n{use}{F}\n"
    assert sanitize(raw, "f").code == "from itertools import *\n\n\n" + use
    # The answer's own module in a test block is not an import the program needs.
    raw = f"{F}python\n{use}{F}\n\n{F}python\nfrom solution import *\nassert f([1])\n{F}\n"
    assert sanitize(raw, "f").code == use


def test_answer_wrapped_in_a_markdown_fence_is_read_inside() -> None:
    raw = f"````markdown\nHere it is:\n\n{F}python\n{V2}{F}\n````\n"
    result = sanitize(raw, "f")
    assert result.code == V2
    assert [b.describe() for b in result.extracted] == ["lines 5-6: fenced code (python)"]


def test_repl_transcript_loses_its_prompts() -> None:
    raw = f"{F}pycon\n>>> def f(x):\n...     return x + 2\n...\n>>> f(1)\n3\n{F}\n"
    result = sanitize(raw, "f")
    assert result.code == V2
    _assert_lines_map_back(raw, result)
    # Real code beats a session that defines the function too.
    raw = f"{F}python\n{V2}{F}\n{F}pycon\n>>> def f(x):\n...     return 0\n{F}\n"
    assert sanitize(raw, "f").code == V2


def test_body_at_column_zero_in_a_solution_says_why_there_is_no_program() -> None:
    result = sanitize(f"Use this as the body:\n\n{F}python\nreturn x + 2\n{F}\n", "f")
    assert result.code == ""
    assert result.reason == "no code to keep; the answer defines no `f`"


@pytest.mark.parametrize(
    "answer",
    [
        f"{F}python\n    return a + b\n{F}\n",
        f"The body:\n\n{F}python\n    total = a + b\n    return total\n{F}\n\nIt adds.\n",
    ],
    ids=["fence-only", "prose-around"],
)
@pytest.mark.parametrize(
    "head", ["", "\n\nimport math\n\n\n"], ids=["def-first", "blank-lines-first"]
)
def test_completion_with_a_fenced_body_is_the_prompt_plus_the_body(answer: str, head: str) -> None:
    result = sanitize_completion(head + PROMPT, answer, "add")
    body = answer.split(f"{F}python\n")[1].split(F)[0]
    assert result.code == head + PROMPT + body
    assert result.reason is None
    assert len(result.extracted) == 1
    _assert_lines_map_back(head + PROMPT + answer, result)


# --- an answer that is two programs: Python runs one, Markdown shows another (C4) -----------

_SHOWN = "def f(x):\n    return x - 1\n"  # what the rendered answer's code block holds
_RUN = "def f(x):\n    return x + 1\n"  # what Python runs
_INDENTED = "    def f(x):\n        return x - 1\n"


@pytest.mark.parametrize(
    "answer",
    [
        # The red team's shape: prose and a fence in a module-level raw string, a bare def.
        f"r'''\nHere is the solution:\n\n{F}python\n{_SHOWN}{F}\n'''\n{_RUN}",
        f'"""\nHere is the solution:\n\n{F}python\n{_SHOWN}{F}\n"""\n{_RUN}',
        f"notes = r'''\nHere is the solution:\n\n{F}python\n{_SHOWN}{F}\n'''  # notes\n{_RUN}",
        f"r'''\n~~~\n{_SHOWN}~~~\n'''\n{_RUN}",
        f"{_RUN}x = '''\n{F}python\n{_SHOWN}{F}\n'''\n",  # the run def first
        f"r'''\nHere is the solution:\n\n{_INDENTED}'''\n{_RUN}",  # an indented code block
        f"r'''\n> {F}python\n> {_SHOWN.replace(chr(10) + '    ', chr(10) + '>     ')}> {F}\n'''\n{_RUN}",
        f"if True:\n\n{_INDENTED}{_RUN}",  # shown as code, replaced by the later def
        f'"""\n{F}python\n{_SHOWN}{F}\n"""\nfrom operator import pos as f\n',  # imported
        f"r'''\n{F}javascript\n{_SHOWN}{F}\n'''\n{_RUN}",  # any tag: the reader sees code
        f"r'''\n{F}pycon\n>>> def f(x):\n...     return x - 1\n{F}\n'''\n{_RUN}",  # a session
        # In the run function's own docstring, a fence at column 0 is a fence.
        f'def f(x):\n    """\n{F}python\n{_SHOWN}{F}\n"""\n    return x + 1\n',
        f"if True:\n\n    match lambda x: x - 1:\n        case f:\n            pass\n{_RUN}",
        # Red team s21: the run def's name on a backslash-continued line, a tuple target
        # over two lines, lone carriage returns: the precheck saw one binding line only.
        f"r'''\n{F}python\n{_SHOWN}{F}\n'''\ndef \\\n{_RUN[4:]}",
        f"r'''\n{F}python\n{_SHOWN}{F}\n'''\n(f,\n _) = (lambda x: x + 1, 0)\n",
        f"r'''\n{F}python\n{_SHOWN}{F}\n'''\n{_RUN}".replace("\n", "\r"),
        # Red team s21: the block shows one branch, Python may run the other's def.
        f"if False:\n\n{_INDENTED}else:\n    {_RUN.replace(chr(10) + '    ', chr(10) + '        ')}",
        f"try:\n\n{_INDENTED}    raise ImportError\nexcept ImportError:\n"
        f"    {_RUN.replace(chr(10) + '    ', chr(10) + '        ')}",
        # Red team s21/s22: an indented block in bare code is shown as code on its own: a
        # method `f` of `class f` (whose `__new__` Python runs), with or without a class
        # line before the blank, or a nested `def f` after the `return` (dead code).
        f"class f:\n\n{_INDENTED}    def __new__(cls, x):\n        return x + 1\n",
        f"class f:\n    n = 1\n\n{_INDENTED}    def __new__(cls, x):\n        return x + 1\n",
        f"{_RUN}\n{_INDENTED}",
        # Red team s21: the shown block binds `f` through a target list over lines.
        f"r'''\n{F}python\n(f,\n _) = (lambda x: x - 1, 0)\n{F}\n'''\n{_RUN}",
        f"r'''\n{F}python\n[\n    f,\n] = [lambda x: x - 1]\n{F}\n'''\n{_RUN}",
        f"r'''\n{F}python\n(\n    _, f\n) = (0, lambda x: x - 1)\n{F}\n'''\n{_RUN}",
        # Red team s22: the shown block runs not alone (a stray `return`, `break`), yet it
        # shows `def f` (or a lambda) as the answer; or it opens indented (in a fence, or
        # past the four spaces), which as it stands does not parse.
        f"{_RUN}\n{_INDENTED}    return f\n",
        f"{_RUN}\n    f = lambda x: x - 1\n    return f\n",
        "def f(x):\n    for _ in (0,):\n        return x + 1\n\n"
        "        def f(x):\n            return x - 1\n        break\n",
        f"r'''\n{F}python\n{_INDENTED}{F}\n'''\n{_RUN}",
        "def f(x):\n    if x:\n        return x + 1\n\n"
        "        def f(x):\n            return x - 1\n    return 1\n",
        # Red team s22: the shown block imports another function as `f`.
        f"r'''\n{F}python\nfrom operator import sub as f\n{F}\n'''\n{_RUN}",
        f"{_RUN}\n    from operator import neg as f\n    return f\n",
        # Red team s22: the shown block opens with a line that does not parse.
        f"r'''\n{F}\n$ cat solution.py\n{_SHOWN}{F}\n'''\n{_RUN}",
        f"r'''\n{F}python\nfrom typing import List,\n{_SHOWN}{F}\n'''\n{_RUN}",
        # Red team s22, O1: a body fragment after a `return` (dead code) binds `f` by a
        # plain assignment; the honest fragment (`longest = strings[0]`) is live code.
        f"import operator\n{_RUN}\n    f = operator.sub\n    return f\n",
        f"{_RUN}\n    f = x - 1\n    return f\n",
        "def f(x):\n    for _ in (0,):\n        continue\n\n        f = x - 1\n    return x + 1\n",
        # The very `def f` run, shown with a helper that is not the one run.
        f"r'''\n{F}python\ndef g(x):\n    return x - 1\n\n\ndef f(x):\n    return g(x)\n{F}\n'''\n"
        "def g(x):\n    return x + 1\n\n\ndef f(x):\n    return g(x)\n",
        # ... with that helper in a block of its own; the very `def f`, patched after it.
        f"r'''\n{F}python\ng = 0\n{F}\n\n{F}python\ndef f(x):\n    return x + g\n{F}\n'''\n"
        "g = 1\n\n\ndef f(x):\n    return x + g\n",
        f"r'''\n{F}python\n{_SHOWN}{F}\n'''\n{_SHOWN}f.__code__ = (lambda x: x + 1).__code__\n",
    ],
    ids=[
        "raw-string",
        "double-quotes",
        "assigned",
        "tildes",
        "run-first",
        "indented",
        "quote",
        "if",
        "import",
        "other-language",
        "session",
        "own-docstring",
        "case",
        "backslash",
        "tuple-over-lines",
        "carriage-returns",
        "if-else",
        "try-except",
        "class",
        "class-line-first",
        "dead-nested-def",
        "shown-tuple-over-lines",
        "shown-list-over-lines",
        "shown-name-inside-lines",
        "shown-def-then-return",
        "shown-lambda-then-return",
        "shown-def-then-break",
        "shown-fence-indented",
        "shown-indented-past-four",
        "shown-import-as",
        "shown-import-as-then-return",
        "shown-after-a-shell-line",
        "shown-after-a-broken-line",
        "shown-assignment-after-return",
        "shown-value-after-return",
        "shown-assignment-after-continue",
        "shown-same-def-other-helper",
        "shown-same-def-helper-elsewhere",
        "shown-same-def-patched",
    ],
)
def test_answer_python_and_markdown_read_differently_is_refused(answer: str) -> None:
    # Red team s19, C4: the text parses, so it was judged as plain code (x + 1), while the
    # only code block a chat UI renders is x - 1. Neither reading is judged.
    # `check` without tasks reads the last top-level function, when there is one.
    defs = [s for s in ast.parse(answer).body if isinstance(s, ast.FunctionDef)]
    for entry in ("f", None) if defs else ("f",):
        result = sanitize(answer, entry)
        assert (result.code, result.parsed, result.extracted) == ("", False, ())
        assert result.reason is not None and result.reason.startswith("ambiguous answer: ")
        assert "defines `f` on line" in result.reason
    # Joined to a prompt, as a completion row is read, the refusal stands.
    joined = sanitize_completion("", answer, "f")
    assert joined.code == "" and joined.reason == sanitize(answer, "f").reason


def test_bare_code_then_prose_then_an_indented_block_is_refused() -> None:
    # Red team s21: no fence, and the text does not parse (a line of prose), so the bare
    # code before the prose was judged (x + 1); rendered, that code is a paragraph and the
    # only code block is the indented one after "Final answer:" (x - 1).
    answer = f"{_RUN}That was a draft. Final answer:\n\n{_INDENTED}"
    result = sanitize(answer, "f")
    assert (result.code, result.parsed) == ("", False)
    assert result.reason is not None and result.reason.startswith("ambiguous answer: ")
    # Red team s22: so is one that does not run alone (a stray `return` after the `def`).
    stray = f"{answer}    return f\n"
    assert sanitize(stray, "f").reason == result.reason
    # An indented block after the prose that defines another name leaves the code as it was.
    other = answer.replace("    def f(x):", "    def g(x):")
    assert sanitize(other, "f").code == _RUN


_CLASS = f"class f:\n\n{_INDENTED}    def __new__(cls, x):\n        return x + 1\n"


@pytest.mark.parametrize(
    "answer",
    [
        f"Here is the solution:\n\n{_CLASS}",  # read through the blocks
        f"{_CLASS}\nIt returns x + 1.\n",  # cut before the prose
        f"Here is the solution:\n\n{_CLASS}\nUse it so:\n\n{F}python\nprint(f(1))\n{F}\n",
        f"A draft:\n{_RUN}That was a draft. Final answer:\n\n{_INDENTED}",
        # C4 shapes with a line of prose after them: the text no longer parses.
        f"r'''\nHere is the solution:\n\n{_INDENTED}'''\n{_RUN}Hope this helps!\n",
        f"if True:\n\n{_INDENTED}{_RUN}Hope this helps!\n",
        # Red team s22, O2: the indented block opens with a line that does not parse.
        f"{_RUN}\n    from typing import List,\n{_INDENTED}",
        # Its text in the run function's docstring: a wrong function as the example.
        f'def f(x):\n    """Add one.\n\n    Example:\n{_INDENTED}    """\n    return x + 1\n',
    ],
    ids=[
        "prose-first",
        "prose-after",
        "usage-fence",
        "c7-prose-first",
        "string",
        "if",
        "broken-first-line",
        "docstring-example",
    ],
)
def test_an_indented_block_in_bare_code_is_shown_on_its_own(answer: str) -> None:
    # Red team s21/s22: bare code takes in the indented blocks inside it (a function's
    # body after a blank line), so the answer was judged as the class (x + 1) while the
    # only code block a renderer shows is the method (x - 1); and the C4 check ran on text
    # that parses as a whole and, for bare code cut before prose, on blocks after the cut.
    result = sanitize(answer, "f")
    assert (result.code, result.parsed, result.extracted) == ("", False, ())
    assert result.reason is not None and result.reason.startswith("ambiguous answer: ")
    assert "a code block it shows as Markdown defines `f` on line" in result.reason


_BODY = "def f(xs):\n    if not xs:\n        return None\n\n    f = xs[0]\n    return f\n"
_SOLUTION = (
    "class Solution:\n    def g(self, x):\n        return x\n\n"
    "    def h(self, x):\n        return self.g(x) + 1\n\n\ndef f(x):\n    return Solution().h(x)\n"
)


_LOOP = (
    "def f(xs):\n    f = 0\n    for x in xs:\n        if not x:\n            break\n\n"
    "        f += x\n        continue\n    return f\n"
)
_FALLBACK = "try:\n    from m import f\nexcept ImportError:\n\n    def f(x):\n        return x\n"


@pytest.mark.parametrize(
    ("code", "program"),
    [
        (_BODY, _BODY),  # a body binding a local of the function's name: no program alone
        (_SOLUTION, _SOLUTION),
        ("def f(x):\n\n    def g(y):\n        return y + 1\n    return g(x)\n", None),
        # No `f` to judge, with prose around it no program; the fallback's indented block.
        ("class Solution:\n\n    def f(self, x):\n        return x + 1\n", ""),
        (_FALLBACK, "def f(x):\n    return x\n"),
        (_LOOP, _LOOP),  # a local of the name in a loop, after a nested `break`: live code
    ],
    ids=["local-of-the-name", "solution-class", "nested-helper", "method-only", "fallback", "loop"],
)
@pytest.mark.parametrize(
    "wrap",
    ["{}", "Here is the solution:\n\n{}", "{}\nIt returns the value.\n"],
    ids=["plain", "prose-first", "prose-after"],
)
def test_indented_bodies_in_bare_code_stay_as_they_were(
    code: str, program: str | None, wrap: str
) -> None:
    # As before the indented blocks inside bare code were read as shown (red team s22).
    result = sanitize(wrap.format(code), "f")
    if wrap == "{}":
        assert (result.code, result.reason) == (code, None)
    elif program == "":
        assert (result.parsed, result.extracted) == (False, ())
        assert (result.reason or "").startswith("does not parse as Python")
    else:
        assert result.reason is None
        assert result.code.rstrip("\n") == (program or code).rstrip("\n")


@pytest.mark.parametrize(
    ("code", "kept"),
    [
        # A fenced example in a function docstring is indented: no fence for Markdown.
        (
            f'def f(x):\n    """Add one.\n\n    {F}python\n    def f(x):\n        return x + 1\n'
            f'    {F}\n    """\n    return x + 1\n',
            None,
        ),
        # A string holding ``` not at a line start; a second line binding `f`.
        (
            f"{_RUN}\n\nDOC = 'use f like this: {F}f(1){F}'\nf = f\n",
            f"{_RUN}f = f\n",
        ),
        # A module docstring whose code block is only a usage example.
        (f'"""Tools.\n\n{F}python\nprint(f(1))\n{F}\n"""\n{_RUN}', None),
        # A draft then the final version, both plain code: Python's last one.
        (f"{_SHOWN}\n\n{_RUN}", _RUN),
        # A fallback in `try`: an indented block for Markdown, the statement binding `f`.
        (f"try:\n    from m import f\nexcept ImportError:\n\n{_INDENTED}", None),
        # A session in the module docstring that only calls `f`.
        (f'"""Tools.\n\n{F}pycon\n>>> f(1)\n2\n>>> g = f\n{F}\n"""\n{_RUN}', None),
        # A continued `def` line, and lone carriage returns, with a usage example.
        (f'"""Tools.\n\n{F}python\nprint(f(1))\n{F}\n"""\ndef \\\n{_RUN[4:]}', None),
        (f'"""Tools.\r\r{F}python\rprint(f(1))\r{F}\r"""\r{_RUN}'.replace("\n", "\r"), None),
        # A call over lines in a usage example: read as Markdown, and nothing binds `f`.
        (f'"""Tools.\n\n{F}python\nprint(f,\n      f(1))\n{F}\n"""\n{_RUN}', None),
        # A usage example importing `f` itself, and one that indents it (red team s22).
        (f'"""Tools.\n\n{F}python\nfrom tools import f\nprint(f(1))\n{F}\n"""\n{_RUN}', None),
        (f'"""Tools.\n\n{F}python\n    print(f(1))\n{F}\n"""\n{_RUN}', None),
        # The function itself as its docstring's example, its docstring aside (s23, O2),
        # and a dead copy of it after its `return` (an indented block the same as it).
        (
            'def f(x):\n    """Add one.\n\n    Example:\n    def f(x):\n        return x + 1\n'
            '    """\n    return x + 1\n',
            None,
        ),
        (f"{_RUN}\n\n    def f(x):\n        return x + 1\n", None),
        (f'"""Tools.\n\n{F}python\n{_RUN}{F}\n"""\n{_RUN}', None),  # the module's own copy
    ],
    ids=[
        "docstring-fence",
        "inline-backticks",
        "usage-example",
        "drafts",
        "try",
        "session",
        "backslash",
        "carriage-returns",
        "call-over-lines",
        "usage-import",
        "usage-indented",
        "docstring-example",
        "dead-copy",
        "docstring-copy",
    ],
)
def test_plain_code_with_fences_in_strings_stays_plain(code: str, kept: str | None) -> None:
    result = sanitize(code, "f")
    assert result.reason is None and result.parsed and result.extracted == ()
    assert result.code == (code if kept is None else kept)  # as before: the plain reading
