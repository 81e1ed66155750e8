"""`check --tasks` / `--tests`: weak-test verdicts, execution risk, bad input, plus_input unread."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli, main

SUM_TASK = {
    "task_id": "toy/sum_to",
    "prompt": 'def sum_to(n: int) -> int:\n    """Sum of 1..n."""\n',
    "entry_point": "sum_to",
    "canonical_solution": "    return n * (n + 1) // 2\n",
    "base_input": [[3], [5], [10]],
    # A task file's plus_input is never read: this one would fail every candidate.
    "plus_input": [[-1]],
}
CODES = {
    "closed": "def sum_to(n):\n    return n * (n + 1) // 2\n",
    "range": "def sum_to(n):\n    return sum(range(n + 1))\n",
    "loop": "def sum_to(n):\n    t = 0\n    for i in range(1, n + 1):\n        t += i\n    return t\n",
    "table": "def sum_to(n):\n    return {3: 6, 5: 15, 10: 55}.get(n, 0)\n",
    "wrong": "def sum_to(n):\n    return n\n",
    "hangs": "def sum_to(n):\n    while True:\n        pass\n",
    "crashes": "def sum_to(n):\n    raise RuntimeError(n)\n",
}


def _files(tmp_path: Path, task: dict | None = None) -> tuple[Path, Path]:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps(task or SUM_TASK) + "\n")
    samples = tmp_path / "samples.jsonl"
    rows = [{"task_id": "toy/sum_to", "solution": c} for c in CODES.values()]
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tasks, samples


def _json(args: list[str]) -> tuple[int, dict]:
    res = CliRunner().invoke(cli, ["check", *args, "--no-model", "--format", "json"])
    return res.exit_code, json.loads(res.stdout) if res.stdout.strip() else {}


def test_check_tasks_runs_passers_and_reports_failers(tmp_path: Path) -> None:
    tasks, samples = _files(tmp_path)
    code, doc = _json([str(samples), "--tasks", str(tasks)])
    assert code == 1  # AUD001 is high
    by_id = {c["sample_id"]: c for c in doc["candidates"]}
    names = list(CODES)
    verdicts = {names[int(k)]: c["execution"]["verdict"] for k, c in by_id.items()}
    assert verdicts == {
        "closed": "pass", "range": "pass", "loop": "pass", "table": "pass",
        "wrong": "fail", "hangs": "timeout", "crashes": "fail",
    }  # fmt: skip
    for k, c in by_id.items():
        failing = verdicts[names[int(k)]] != "pass"
        assert ("AUD001" in [f["code"] for f in c["findings"]]) == failing
        assert c["risk"] is None  # --no-model (the risks: test_check_exec_model)
    assert by_id["0"]["execution"]["signals"] == ["weak-tests", "consensus", "solo"]
    assert by_id["0"]["execution"]["weak_tests"] == "reference"


@pytest.mark.parametrize("mode", ["tasks", "tests"])
def test_no_model_executes_but_scores_no_risk(tmp_path: Path, mode: str) -> None:
    """--no-model is findings only: execution still gives AUD001, but no candidate gets a
    risk (the special-cased passer is not flagged), so --fail-on none exits 0."""
    tasks, samples = _files(tmp_path)
    args = [str(samples), "--tasks", str(tasks)]
    if mode == "tests":
        for name in ("closed", "loop", "table"):
            (tmp_path / f"{name}.py").write_text(CODES[name])
        (tmp_path / "test_sum.py").write_text("def test():\n    assert sum_to(3) == 6\n")
        args = [str(tmp_path / f"{n}.py") for n in ("closed", "loop", "table")]
        args += ["--tests", str(tmp_path / "test_sum.py")]
    code, doc = _json([*args, "--fail-on", "none"])
    assert code == 0 and doc["model"] is None and doc["summary"]["scored"] == 0
    for c in doc["candidates"]:
        assert c["risk"] is None and not c["flagged"]
        assert c["execution"]["execution_risk"] is None


@pytest.mark.parametrize("bom_in", ["samples", "tasks", "samples.gz", "tests"])
def test_a_utf8_bom_is_accepted_in_every_input(tmp_path: Path, bom_in: str) -> None:
    """A BOM at the start of a samples, task or tests file is skipped, as Python does for
    a .py candidate (editors on Windows write one)."""
    import gzip

    tasks, samples = _files(tmp_path)
    cand, tests = tmp_path / "cand.py", tmp_path / "test_cand.py"
    cand.write_text(CODES["loop"])
    tests.write_text("from cand import sum_to\n\ndef test_it():\n    assert sum_to(3) == 6\n")
    target = {"samples": samples, "samples.gz": samples, "tasks": tasks, "tests": tests}[bom_in]
    data = b"\xef\xbb\xbf" + target.read_bytes()
    target.write_bytes(gzip.compress(data) if bom_in.endswith(".gz") else data)
    if bom_in == "tests":
        code, doc = _json([str(cand), "--tests", str(tests)])
    else:
        code, doc = _json([str(samples), "--tasks", str(tasks)])
    verdicts = [c["execution"]["verdict"] for c in doc["candidates"]]
    assert code in (0, 1) and verdicts[0] == "pass"
    assert len(verdicts) == (1 if bom_in == "tests" else len(CODES))


def test_a_tests_file_python_reads_otherwise_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team s21: under its UTF-7 cookie pytest runs an assert the UTF-8 text comments
    out; its asserts are not harvested from a reading pytest does not make."""
    cand, tests = tmp_path / "cand.py", tmp_path / "test_cand.py"
    cand.write_text(CODES["loop"])
    tests.write_bytes(
        b"# coding: utf-7\nfrom cand import sum_to\n\ndef test_it():\n"
        b"    #+AAo-    assert sum_to(3) == 7\n    assert sum_to(3) == 6\n"
    )
    code = main(["check", str(cand), "--tests", str(tests), "--no-model"])
    assert code == 2 and "declares coding utf-7" in capsys.readouterr().err


def test_a_cookie_after_a_lone_carriage_return_is_the_one_python_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team s22: Python ends a line at a lone `\\r` before it looks for the cookie,
    `tokenize` does not; a file opening with `\\r# coding: utf-7` was read as UTF-8, and a
    wrong candidate (its `y = -y` a comment to UTF-8) passed where pytest failed it."""
    cand, tests = tmp_path / "cand.py", tmp_path / "test_cand.py"
    cand.write_bytes(
        b"\r# -*- coding: utf-7 -*-\rdef add(x, y):\r    #+AAo-    y = -y\r    return sum((x, y))\r"
    )
    tests.write_text("from cand import add\n\ndef test_it():\n    assert add(2, 3) == 5\n")
    code, doc = _json([str(cand), "--tests", str(tests)])
    (got,) = doc["candidates"]
    assert code == 1 and got["execution"] is None
    assert [f["code"] for f in got["findings"]] == ["AUD911"]
    tests.write_bytes(
        b"\r# coding: utf-7\rfrom cand import add\r\rdef test_it():\r"
        b"    #+AAo-    assert add(2, 3) == 6\r    assert add(2, 3) == 5\r"
    )
    cand.write_text("def add(x, y):\n    return x + y\n")
    code = main(["check", str(cand), "--tests", str(tests), "--no-model"])
    assert code == 2 and "declares coding utf-7" in capsys.readouterr().err


@pytest.mark.parametrize("latin_1", ["candidate", "tests", "both"])
def test_files_in_the_codec_they_declare_run_as_python_reads_them(
    tmp_path: Path, latin_1: str
) -> None:
    """QA s21: a latin-1 candidate was AUD911, a latin-1 tests file exit 2. The sandbox runs
    the text Python reads and the asserts are those pytest reads: `'caf\\xe9'` is `café`."""
    cand, tests = tmp_path / "cand.py", tmp_path / "test_cand.py"
    program = "def greet(name):\n    return 'caf\u00e9 ' + name\n"
    test = "from cand import greet\n\ndef test_it():\n    assert greet('x') == 'caf\u00e9 x'\n"
    cookie = "# -*- coding: latin-1 -*-\n"
    for path, text, side in ((cand, program, "candidate"), (tests, test, "tests")):
        coded = latin_1 in (side, "both")
        path.write_bytes((cookie + text).encode("latin-1") if coded else text.encode())
    code, doc = _json([str(cand), "--tests", str(tests)])
    (got,) = doc["candidates"]
    assert code == 0 and got["execution"]["verdict"] == "pass"
    assert not {"AUD001", "AUD911"} & {f["code"] for f in got["findings"]}


def test_no_execute_is_static_only(tmp_path: Path) -> None:
    tasks, samples = _files(tmp_path)
    _, doc = _json([str(samples), "--tasks", str(tasks), "--no-execute"])
    assert all(c["execution"] is None for c in doc["candidates"])
    assert not any(f["code"] == "AUD001" for c in doc["candidates"] for f in c["findings"])


def test_humaneval_form_task_file_uses_its_asserts(tmp_path: Path) -> None:
    task = {k: v for k, v in SUM_TASK.items() if k not in ("base_input", "canonical_solution")}
    task["test"] = (
        "def check(candidate):\n    assert candidate(3) == 6\n    assert candidate(4) == 10\n"
    )
    tasks, samples = _files(tmp_path, task)
    _, doc = _json([str(samples), "--tasks", str(tasks)])
    got = [c["execution"]["verdict"] for c in doc["candidates"]]
    assert got == ["pass", "pass", "pass", "fail", "fail", "timeout", "fail"]
    assert doc["candidates"][0]["execution"]["weak_tests"] == "asserts"
    # the asserted pairs also give the weak tests' properties (there is no reference)
    assert "exec.prop_violations" in doc["candidates"][0]["execution"]["features"]


def test_task_file_row_without_literal_calls_is_scored_statically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A HumanEval-form task whose test draws its inputs at random is not bad input: its
    candidates are scored without execution, and stderr says so once."""
    task = {k: v for k, v in SUM_TASK.items() if k not in ("base_input", "canonical_solution")}
    task["test"] = (
        "import random\ndef check(candidate):\n    n = random.randint(1, 9)\n"
        "    assert candidate(n) == n * (n + 1) // 2\n"
    )
    tasks, samples = _files(tmp_path, task)
    out = tmp_path / "out.json"
    code = main(["check", str(samples), "--tasks", str(tasks), "--no-model",
                 "--format", f"json:{out}"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    doc = json.loads(out.read_text())
    static = main(["check", str(samples), "--tasks", str(tasks), "--no-model", "--no-execute"])
    assert code == static  # the static findings alone decide
    assert len(err) == 1 and err[0].startswith(
        "auditor: warning: 7 of 7 executed candidate(s) not verified (toy/sum_to)"
    )
    for c in doc["candidates"]:
        assert c["execution"]["verdict"] is None and c["execution"]["weak_tests"] == "none"
        assert c["note"].startswith("not verified")  # visible per candidate (trial s18, 16)
        assert not any(f["code"] == "AUD001" for f in c["findings"])


def test_task_without_reference_or_test_is_unverified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An EvalPlus-form task without `canonical_solution` gives no expected output: its
    candidates get no verdict, a note, and one stderr line says how many (trial s18, 10)."""
    task = {k: v for k, v in SUM_TASK.items() if k != "canonical_solution"}
    tasks, samples = _files(tmp_path, task)
    out = tmp_path / "out.json"
    main(["check", str(samples), "--tasks", str(tasks), "--no-model", "--format", f"json:{out}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "7 of 7 executed candidate(s) not verified (toy/sum_to)" in err[0]
    for c in json.loads(out.read_text())["candidates"]:
        assert c["execution"]["verdict"] is None
        assert c["note"] == "not verified: its task gives no expected output"


def test_a_failing_candidate_s_finding_names_the_first_assert_it_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """AUD001 says which assert failed, as the test states it, on one line (QA s25: only
    'fails its weak tests (asserts)', leaving a CI user to rerun the tests to find it)."""
    cand = tmp_path / "cand.py"
    cand.write_text(CODES["wrong"])
    tests = tmp_path / "test_it.py"
    tests.write_text(
        "from cand import sum_to, other\n\ndef test_it():\n    assert sum_to(1) == 1\n"
        "    assert sum_to(4) == 10\n    assert 0 < sum_to(5) <= 100\n"
        f"    assert sum_to({'x' * 200!r}) in ('a',)\n"
    )
    out = tmp_path / "out.json"
    main(["check", str(cand), "--tests", str(tests), "--no-model", "--format", f"json:{out}"])
    capsys.readouterr()
    got = json.loads(out.read_text())["candidates"][0]["findings"]
    assert [f["message"] for f in got if f["code"] == "AUD001"] == [
        "fails its weak tests (asserts): sum_to(4) == 10"
    ]
    from auditor.execution.harvest import Expect
    from auditor.execution.verify import described

    long = described(["sum_to", "in", "", "x" * 200], Expect("in", ("a",), op="in"))
    assert long == f"sum_to('{'x' * 56}...) in ('a',)"
    assert described(["other", "callable", ""], Expect("truthy")) == (
        "other is not a function of the candidate"
    )


def test_asserts_not_judged_are_counted_and_none_judged_is_no_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Expected values a helper returns are not known: those asserts are counted on stderr
    and in the JSON, and with none judged the verdict is None, not pass (trial s18, 1)."""
    cand = tmp_path / "cand.py"
    cand.write_text(CODES["wrong"])
    tests = tmp_path / "test_it.py"
    helper = "def expected(n):\n    return {3: 6, 5: 15}[n]\n\n"
    tests.write_text(
        f"from cand import sum_to\n\n{helper}def test_it():\n    for n in [3, 5]:\n"
        "        assert sum_to(n) == expected(n)\n    assert True, 'done'\n"
    )
    out = tmp_path / "out.json"
    code = main(
        ["check", str(cand), "--tests", str(tests), "--no-model", "--format", f"json:{out}"]
    )
    err = capsys.readouterr().err.strip().splitlines()
    got = json.loads(out.read_text())["candidates"][0]
    assert (
        code == 0 and got["execution"]["verdict"] is None and got["note"].startswith("not verified")
    )
    assert got["execution"]["unjudged"] == 2  # `assert True` states nothing to judge
    assert len(err) == 2 and "1 of 1 executed candidate(s) not verified" in err[0]
    assert "2 assert(s) of the weak tests not judged" in err[1]
    tests.write_text(tests.read_text() + "\n\ndef test_more():\n    assert sum_to(4) == 10\n")
    code = main(
        ["check", str(cand), "--tests", str(tests), "--no-model", "--format", f"json:{out}"]
    )
    err = capsys.readouterr().err.strip().splitlines()
    got = json.loads(out.read_text())["candidates"][0]
    assert code == 1 and got["execution"]["verdict"] == "fail" and got["execution"]["unjudged"] == 2
    assert len(err) == 1 and "2 assert(s) of the weak tests not judged" in err[0]


def test_fail_on_unverified_fails_a_pass_with_asserts_left_unjudged(tmp_path: Path) -> None:
    """A pass with asserts of the tests left unjudged is a pass by default (counted); with
    `--fail-on-unverified` (or `fail-on-unverified = true`) it fails the run, and a fully
    judged pass still does not (red team s19, T3-T5: a CI gate wanting proof)."""
    cand = tmp_path / "cand.py"
    cand.write_text(CODES["loop"])
    tests = tmp_path / "test_it.py"
    judged = "def test_judged():\n    assert sum_to(4) == 10\n"
    tests.write_text(
        f"from cand import sum_to\n\n{judged}\ndef expected(n):\n    return n * (n + 1) // 2\n\n"
        "def test_helper():\n    assert sum_to(3) == expected(3)\n"
    )
    args = [str(cand), "--tests", str(tests)]
    code, doc = _json(args)
    ex = doc["candidates"][0]["execution"]
    assert code == 0 and ex["verdict"] == "pass" and ex["unjudged"] == 1
    assert doc["summary"]["unverified"] == 1 and not doc["thresholds"]["fail_on_unverified"]
    code, doc = _json([*args, "--fail-on-unverified"])
    assert (
        code == 1 and doc["summary"]["exit_code"] == 1 and doc["thresholds"]["fail_on_unverified"]
    )
    (tmp_path / "pyproject.toml").write_text("[tool.auditor]\nfail-on-unverified = true\n")
    assert _json(args)[0] == 1
    tests.write_text(f"from cand import sum_to\n\n{judged}")
    code, doc = _json(args)
    assert code == 0 and doc["summary"]["unverified"] == 0  # every assert judged
    cand.write_text(CODES["wrong"])  # a failing candidate fails as before, once
    code, doc = _json(args)
    assert code == 1 and doc["summary"]["unverified"] == 0


def test_a_correct_candidate_passes_whatever_standard_type_it_returns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A namedtuple passes `== (1, 2)` as under pytest (until session 19: AUD001, B7); an
    output with an `==` of its own is not judged: counted per candidate, which is then not
    verified, never passed on its word."""
    (tmp_path / "nt.py").write_text(
        "from collections import namedtuple\nP = namedtuple('P', 'x y')\n"
        "def f(a):\n    return P(a, a + 1)\n"
    )
    own_eq = (
        "class V:\n    def __init__(self, a):\n        self.a = a\n"
        "    def __eq__(self, other):\n        return other == (self.a, self.a + 1)\n"
    )
    (tmp_path / "own.py").write_text(own_eq + "def f(a):\n    return V(a)\n")
    (tmp_path / "some.py").write_text(
        own_eq + "def f(a):\n    return V(a) if a == 1 else (a, a + 1)\n"
    )
    tests = tmp_path / "test_f.py"
    tests.write_text("from cand import f\n\ndef test_f():\n    assert f(1) == (1, 2)\n"
                     "    assert f(2) == (2, 3)\n")  # fmt: skip
    out = tmp_path / "out.json"
    args = ["check", str(tmp_path), "--tests", str(tests), "--no-model", "--format", f"json:{out}"]
    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    got = {Path(c["path"]).name: c for c in json.loads(out.read_text())["candidates"]}
    assert code == 0 and got["nt.py"]["execution"]["verdict"] == "pass"
    assert got["nt.py"]["execution"]["unjudged"] == 0
    assert got["some.py"]["execution"]["verdict"] is None  # one assert judged, one not
    assert got["some.py"]["execution"]["unjudged"] == 1
    own = got["own.py"]
    assert own["execution"]["verdict"] is None and own["execution"]["unjudged"] == 2
    assert own["note"].startswith("not verified")
    assert all(f["code"] != "AUD001" for f in own["findings"])
    assert len(err) == 2 and "2 of 3 executed candidate(s) not verified" in err[0]
    assert "2 assert(s) of the weak tests not judged" in err[1] and "`==` of its own" in err[1]
    samples = tmp_path / "samples.jsonl"  # one task id: the most any candidate left unjudged
    rows = [own_eq + "def f(a):\n    return V(a)\n", (tmp_path / "some.py").read_text()]
    samples.write_text("".join(json.dumps({"task_id": "t", "solution": r}) + "\n" for r in rows))
    main(["check", str(samples), "--tests", str(tests), "--no-model", "--format", f"json:{out}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "2 assert(s) of the weak tests not judged" in err[1]


def test_check_one_file_with_harvested_tests(tmp_path: Path) -> None:
    cand = tmp_path / "cand.py"
    cand.write_text(CODES["loop"])
    tests = tmp_path / "test_cand.py"
    tests.write_text("from cand import sum_to\n\ndef test_it():\n    assert sum_to(3) == 6\n")
    code, doc = _json([str(cand), "--tests", str(tests)])
    ex = doc["candidates"][0]["execution"]
    assert code == 0 and ex["verdict"] == "pass" and ex["weak_tests"] == "asserts"
    assert "exec.missed_lines" in ex["features"] and ex["execution_risk"] is None
    cand.write_text(CODES["wrong"])
    code, doc = _json([str(cand), "--tests", str(tests)])
    assert code == 1 and doc["candidates"][0]["execution"]["verdict"] == "fail"


def test_tests_pick_the_function_they_call(tmp_path: Path) -> None:
    """A module with helpers after the tested function: the tests' function is executed,
    not the last def."""
    cand = tmp_path / "mod.py"
    cand.write_text(CODES["wrong"] + "\n\ndef helper(x):\n    return x\n")
    tests = tmp_path / "test_mod.py"
    tests.write_text(
        "import mod\n\ndef test_it():\n    assert mod.sum_to(3) == 6\n"
        "    assert mod.helper(1) == 1\n    assert mod.sum_to(4) == 10\n"
    )
    code, doc = _json([str(cand), "--tests", str(tests)])
    assert code == 1 and doc["candidates"][0]["execution"]["verdict"] == "fail"
    tests.write_text(  # keyword arguments find their parameters in the candidate
        "import mod\n\ndef test_it():\n    assert mod.sum_to(n=3) == 6\n"
        "    assert mod.helper(1) == 1\n    assert mod.sum_to(n=4) == 10\n"
    )
    code, doc = _json([str(cand), "--tests", str(tests)])
    assert code == 1 and doc["candidates"][0]["execution"]["verdict"] == "fail"
    cand.write_text(CODES["loop"] + "\n\ndef helper(x):\n    return x\n")
    code, doc = _json([str(cand), "--tests", str(tests)])
    assert doc["candidates"][0]["execution"]["verdict"] == "pass"
    assert doc["candidates"][0]["execution"]["function"] == "sum_to"  # not the last def


DECOY_TESTS = """from cand import first_item, running_max


def test_first():
    assert first_item([7, 8]) == 7


def test_max():
    assert running_max([1, 3, 2]) == [1, 3, 3]
    assert running_max([2, 1]) == [2, 2]
"""
RUNNING_MAX = {
    "try": "try:\n    from fastlib import running_max\nexcept ImportError:\n"
    "    def running_max(nums):\n        return list(nums)\n",
    "lambda": "running_max = lambda nums: list(nums)\n",
    "missing": "",
    "right": "import itertools\nrunning_max = lambda nums: list(itertools.accumulate(nums, max))\n",
}


@pytest.mark.parametrize("define", list(RUNNING_MAX))
def test_every_function_the_tests_call_is_judged(tmp_path: Path, define: str) -> None:
    """A candidate does not choose what is tested (red team s18, A1): a function bound in a
    `try`, by an assignment or a lambda is judged as a def is, and one it lacks fails."""
    cand = tmp_path / "cand.py"
    cand.write_text(RUNNING_MAX[define] + "\n\ndef first_item(xs):\n    return xs[0]\n")
    tests = tmp_path / "test_lib.py"
    tests.write_text(DECOY_TESTS)
    code, doc = _json([str(cand), "--tests", str(tests)])
    got = doc["candidates"][0]
    ex, codes = got["execution"], [f["code"] for f in got["findings"]]
    if define == "right":
        assert code == 0 and ex["verdict"] == "pass" and ex["function"] == "running_max"
    else:
        assert code == 1 and ex["verdict"] == "fail" and "AUD001" in codes


@pytest.mark.parametrize(
    "tests",
    [
        "from cand import running_max\n\ndef test_max():\n    assert running_max([2, 1]) == [2, 2]\n",
        "import cand\n\ndef test_max():\n    assert cand.running_max([2, 1]) == [2, 2]\n",
        "import cand as c\n\ndef test_max():\n    assert c.running_max([2, 1]) == [2, 2]\n",
    ],
    ids=["from-import", "import", "import-as"],
)
def test_a_function_the_tests_import_from_the_candidate_s_module_is_judged(
    tmp_path: Path, tests: str
) -> None:
    """The tests import from `cand` the one function `cand.py` lacks: that module is the
    candidate's by its file name, so it fails its asserts (AUD001, exit 1) as when the tests
    also import a function it has; it was exit 2, 'no call to first_item whose arguments
    are known', naming what the tests never call."""
    cand = tmp_path / "cand.py"
    cand.write_text("import math\n\n\ndef first_item(xs):\n    return xs[0]\n")
    (tmp_path / "test_cand.py").write_text(tests)
    code, doc = _json([str(cand), "--tests", str(tmp_path / "test_cand.py")])
    got = doc["candidates"][0]
    assert code == 1 and got["execution"]["verdict"] == "fail", doc
    assert got["execution"]["function"] == "running_max"
    assert "AUD001" in [f["code"] for f in got["findings"]]


@pytest.mark.parametrize("execute", [True, False])
def test_completions_get_their_prompt_with_tasks(tmp_path: Path, execute: bool) -> None:
    """EvalPlus/HumanEval `completion` rows (a body, or a chat answer in Markdown) are read
    against --tasks, with or without execution."""
    tasks, samples = _files(tmp_path)
    rows = [
        {"task_id": "toy/sum_to", "completion": "    return n * (n + 1) // 2\n"},
        {"task_id": "toy/sum_to", "completion": "    return n\n"},
        {"task_id": "toy/sum_to", "completion": f"Sure:\n\n```python\n{CODES['loop']}```\n"},
    ]
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, doc = _json([str(samples), "--tasks", str(tasks), *([] if execute else ["--no-execute"])])
    got = doc["candidates"]
    assert got[0]["note"] is None and got[2]["note"] is None  # parsed, scored
    assert got[2]["extracted"] != []
    if execute:
        assert code == 1
        assert [c["execution"]["verdict"] for c in got] == ["pass", "fail", "pass"]
    else:
        assert all(c["execution"] is None for c in got)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("unknown-task", "unknown task id 'toy/other'"),
        # an EvalPlus samples directory (toy_sum_to/0.py): its .py files' ids are their names
        ("py-file-task", "0.py: no task '0' (a .py file's task id is its name"),
        ("tests-no-parse", "does not parse"),
        ("tests-a-directory", "a directory, not a test module"),
        ("tests-no-call", "no call to sum_to"),
        ("tests-too-deep", "too many nested parentheses"),  # libcst alone would segfault
        ("no-entry-point", "no candidate defines a top-level function"),
        ("only-the-tests", "the tests file is the only file given"),
        ("no-such-tasks", "neither a benchmark"),
        ("sample-id-list", "samples.jsonl:1: `sample_id` must be a string or an integer, got list"),
        ("sample-id-blank", "samples.jsonl:1: `sample_id` must not be blank, got ''"),
        # A task file's broken reference is the file's fault, not every candidate's AUD001.
        ("reference-raises", "task toy/sum_to: its reference fails on base inputs"),
        ("reference-no-parse", "task toy/sum_to: its reference fails on base inputs"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, message: str
) -> None:
    tasks, samples = _files(tmp_path)
    cand = tmp_path / "cand.py"
    cand.write_text(CODES["loop"])
    tests = tmp_path / "t.py"
    tests.write_text("def test():\n    assert sum_to(3) == 6\n")
    if setup == "unknown-task":
        samples.write_text(json.dumps({"task_id": "toy/other", "solution": CODES["loop"]}) + "\n")
        args = [str(samples), "--tasks", str(tasks)]
    elif setup == "py-file-task":
        (tmp_path / "toy_sum_to").mkdir()
        (tmp_path / "toy_sum_to" / "0.py").write_text(CODES["loop"])
        args = [str(tmp_path / "toy_sum_to"), "--tasks", str(tasks)]
    elif setup == "sample-id-list":
        samples.write_text(json.dumps({"sample_id": [1], "task_id": "toy/sum_to", "solution": "x"}))
        args = [str(samples), "--tasks", str(tasks)]
    elif setup == "sample-id-blank":
        samples.write_text(json.dumps({"sample_id": "", "task_id": "toy/sum_to", "solution": "x"}))
        args = [str(samples), "--tasks", str(tasks)]
    elif setup == "tests-no-parse":
        tests.write_text("def test(:\n")
        args = [str(cand), "--tests", str(tests)]
    elif setup == "tests-a-directory":
        args = [str(cand), "--tests", str(tmp_path)]
    elif setup == "tests-too-deep":
        tests.write_text("def test():\n    assert sum_to(" + "[" * 5000 + "]" * 5000 + ") == 0\n")
        args = [str(cand), "--tests", str(tests)]
    elif setup == "tests-no-call":
        tests.write_text("def test():\n    assert other(3) == 6\n")
        args = [str(cand), "--tests", str(tests)]
    elif setup == "no-entry-point":
        cand.write_text("x = 1\n")
        args = [str(cand), "--tests", str(tests)]
    elif setup == "only-the-tests":
        args = [str(tests), "--tests", str(tests)]
    elif setup.startswith("reference-"):
        body = "    raise ValueError(n)\n" if setup == "reference-raises" else "    return (\n"
        tasks.write_text(json.dumps({**SUM_TASK, "canonical_solution": body}) + "\n")
        args = [str(samples), "--tasks", str(tasks)]
    else:
        args = [str(samples), "--tasks", str(tmp_path / "missing.jsonl")]
    code = main(["check", *args, "--no-model"])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in err


@pytest.mark.parametrize("code", ["def sum_to(n):\n    return n +\n", b"def sum_to(n):\x00\n"])
def test_candidate_that_cannot_be_read_with_tests_is_its_finding(
    tmp_path: Path, code: str | bytes
) -> None:
    """A candidate that does not parse (or is not text) is AUD901/AUD911 and exit 1, as
    without --tests, not an exit-2 "no candidate defines a function" that hides why."""
    cand = tmp_path / "cand.py"
    if isinstance(code, bytes):
        cand.write_bytes(code)
    else:
        cand.write_text(code)
    tests = tmp_path / "t.py"
    tests.write_text("def test():\n    assert sum_to(3) == 6\n")
    code_, doc = _json([str(cand), "--tests", str(tests)])
    assert code_ == 1
    (got,) = doc["candidates"]
    assert [f["code"] for f in got["findings"]] in (["AUD901"], ["AUD911"])
    assert got["execution"] is None


@pytest.mark.parametrize("budget", ["nan", "inf", "-1", "0"])
@pytest.mark.parametrize("execute", [True, False])
def test_bad_execute_budget_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], budget: str, execute: bool
) -> None:
    """A budget that is not a finite number of seconds > 0 is refused before anything runs
    (a NaN one used to skip the solo signals silently), with --no-execute too."""
    tasks, samples = _files(tmp_path)
    args = [str(samples), "--tasks", str(tasks), "--no-model", "--execute-budget", budget]
    code = main(["check", *args, *([] if execute else ["--no-execute"])])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "execute-budget" in err[0], err


def test_bad_execute_budget_is_refused_by_the_api() -> None:
    from auditor import api
    from auditor.errors import UsageError

    with pytest.raises(UsageError, match="execute-budget"):
        api.Execution(budget_s=float("nan"))


def test_api_mirrors_the_cli(tmp_path: Path) -> None:
    from auditor import api
    from auditor.config import Config

    tasks, samples = _files(tmp_path)
    run = api.check(
        [samples], model=None, config=Config(),
        execution=api.Execution(tasks=api.load_tasks(str(tasks))),
    )  # fmt: skip
    assert [r.execution.verdict for r in run.results if r.execution][:5] == [
        "pass", "pass", "pass", "pass", "fail",
    ]  # fmt: skip


@pytest.mark.integration
def test_benchmark_tasks_never_carry_plus_input(shared_corpora: Path) -> None:
    from auditor.execution.tasks import load_tasks

    tasks = load_tasks("humaneval+", shared_corpora)
    assert tasks and all(t.plus_input == () for t in tasks.values())
    assert all(t.base_input for t in tasks.values())


def test_planted_false_positives_flagged_with_execution_not_without(tmp_path: Path) -> None:
    """With the packaged model: special-cased, missing-edge and beyond-range candidates
    pass the weak tests; execution flags them, static scoring alone does not, and no
    correct candidate is flagged."""
    planted = {
        "special": CODES["table"],
        "edge": "def sum_to(n):\n    return n * (n + 1) // 2 if n > 1 else 0\n",
        "beyond": "def sum_to(n):\n    return n * (n + 1) // 2 if n <= 10 else n * n // 2\n",
    }
    correct = [CODES["closed"], CODES["range"], CODES["loop"]]
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps(SUM_TASK) + "\n")
    samples = tmp_path / "samples.jsonl"
    rows = [{"task_id": "toy/sum_to", "solution": c} for c in [*correct, *planted.values()]]
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # The risk is a calibrated probability (base rate ~0.13 in training): here the three
    # correct passers agree (0.35-0.40; the closed form also disagrees with the two loops on
    # negative n, outside the domain) and each planted one stands alone (0.65-0.79).
    args = ["check", str(samples), "--format", "json", "--fail-on-risk", "0.5"]
    flagged, risk = {}, {}
    for mode in ("static", "exec"):
        extra = ["--tasks", str(tasks)] if mode == "exec" else []
        res = CliRunner().invoke(cli, [*args, *extra])
        doc = json.loads(res.stdout)
        flagged[mode] = [c["flagged"] for c in doc["candidates"]]
        risk[mode] = [c["risk"] for c in doc["candidates"]]
    assert flagged["exec"] == [False] * 3 + [True] * 3
    (pick,) = doc["picks"]  # best-of-n submits a correct one, chosen among all six
    assert pick["among"] == 6 and int(pick["sample_id"]) < 3 and not pick["flagged"]
    assert min(risk["exec"][3:]) > max(risk["exec"][:3])  # and every planted one ranks above
    assert flagged["static"][3:] != [True] * 3  # static alone misses some of them


EVENS_PROMPT = 'def sum_of_evens(numbers: list) -> int:\n    """Sum of the even integers."""\n'
EVENS_TASK = {
    "task_id": "toy/evens",
    "prompt": EVENS_PROMPT,
    "entry_point": "sum_of_evens",
    "canonical_solution": "    return sum(n for n in numbers if n % 2 == 0)\n",
    "base_input": [[[1, 2, 3, 4]], [[2, 4, 6]], [[0, 5, 8, 11, 14]], [[7]]],
}
EVENS = {
    # Wrong only on lists longer than 40, which no generated input reaches: its outputs are
    # the right programs' everywhere; only its surviving mutants tell it apart.
    "long": "    if len(numbers) > 40:\n        return sum(numbers) // 2\n"
    "    return sum(n for n in numbers if n % 2 == 0)\n",
    "right0": "    return sum(n for n in numbers if n % 2 == 0)\n",
    "right1": "    t = 0\n    for n in numbers:\n        if n % 2 == 0:\n            t += n\n    return t\n",
    "right2": "    return sum(filter(lambda n: n % 2 == 0, numbers))\n",
    "table": "    return {(1, 2, 3, 4): 6, (2, 4, 6): 12, (0, 5, 8, 11, 14): 22}.get(tuple(numbers), 0)\n",
}


def test_past_half_the_budget_the_solo_signals_run_for_the_contenders(tmp_path: Path) -> None:
    """Red team s23 A3: past half of --execute-budget the solo signals ran for nobody, so
    `long`, first in the file, tied the right programs and was submitted (hanging samples
    can push any task there). Now they still run for the candidates the pick could choose,
    so the pick is one the run without a budget could make; `table`, far behind, is not
    measured."""
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps(EVENS_TASK) + "\n")
    samples = tmp_path / "samples.jsonl"
    rows = [
        {"task_id": "toy/evens", "sample_id": k, "solution": EVENS_PROMPT + body}
        for k, body in EVENS.items()
    ]
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    picked, solo = {}, {}
    for budget in ([], ["--execute-budget", "0.001"]):
        args = ["check", str(samples), "--tasks", str(tasks), "--format", "json", *budget]
        doc = json.loads(CliRunner().invoke(cli, args).stdout)
        (pick,) = doc["picks"]
        picked[bool(budget)] = pick["sample_id"]
        solo[bool(budget)] = {
            c["sample_id"]: "solo" in c["execution"]["signals"] for c in doc["candidates"]
        }
    # The right programs differ only by `exec.slowdown` (timing noise), `long` by its
    # surviving mutants too (0.5 against 0), which outweighs that noise.
    assert picked[True].startswith("right") and picked[False].startswith("right")
    assert solo[False] == dict.fromkeys(EVENS, True)
    assert solo[True] == {**dict.fromkeys(EVENS, True), "table": False}


def test_test_modules_among_the_checked_files_are_not_candidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --tests, a directory's files pytest collects (test_*.py, *_test.py, conftest.py)
    are not scored (trial s18, item 15); the tests file named on its own is not either."""
    for k, name in enumerate(("closed", "loop", "table")):
        (tmp_path / f"cand{k}.py").write_text(CODES[name])
    tests = tmp_path / "test_sum.py"
    tests.write_text("def test_it():\n    assert sum_to(3) == 6\n    assert sum_to(5) == 15\n")
    for other in ("test_other.py", "other_test.py", "conftest.py"):
        (tmp_path / other).write_text("def helper(x):\n    return x\n")
    monkeypatch.chdir(tmp_path)
    _, doc = _json([".", "--tests", "test_sum.py"])
    by_path = {c["path"]: c for c in doc["candidates"]}
    assert sorted(by_path) == ["cand0.py", "cand1.py", "cand2.py"]
    _, doc = _json(["test_sum.py", "cand0.py", "--tests", "test_sum.py"])
    assert doc["candidates"][0]["execution"] is None
    shares = [
        by_path[f"cand{k}.py"]["execution"]["features"]["exec.cluster_share"] for k in range(3)
    ]
    assert shares == [0.5, 0.5, 0.0]  # the special-cased one is alone


@pytest.mark.parametrize("mode", ["tasks", "tests"])
def test_the_exec_seed_reaches_the_signals_and_stays_out_of_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Generated inputs are a function of the task and the seed: `--exec-seed` (or
    AUDITOR_EXEC_SEED, for a CI secret) picks it, and no output format shows it."""
    from auditor.execution import gate

    seen: list[int] = []
    real = gate.execute_task

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(kwargs["cfg"].seed)  # type: ignore[attr-defined]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gate, "execute_task", spy)
    tasks, samples = _files(tmp_path)
    args = [str(samples), "--tasks", str(tasks)]
    if mode == "tests":
        (tmp_path / "closed.py").write_text(CODES["closed"])
        (tmp_path / "test_sum.py").write_text("def test():\n    assert sum_to(3) == 6\n")
        args = [str(tmp_path / "closed.py"), "--tests", str(tmp_path / "test_sum.py")]
    check = ["check", *args, "--no-model", "--format", "json"]
    for how, env in ((["--exec-seed", "918273"], {}), ([], {"AUDITOR_EXEC_SEED": "918273"})):
        res = CliRunner().invoke(cli, [*check, *how], env=env)
        assert res.exit_code in (0, 1) and "918273" not in res.stdout
    assert seen == [918273, 918273]
    CliRunner().invoke(cli, check, env={"AUDITOR_EXEC_SEED": None})
    assert seen[-1] == 0
    res = CliRunner().invoke(cli, [*check, "--exec-seed", "x"])
    assert res.exit_code == 2 and "--exec-seed" in res.output
