"""`check --tasks` with MBPP-form task files: `test_list` asserts read as a test (nothing
run), the entry point the asserts call, integer task ids, solutions only without a code
prompt. The rows are made up here, in MBPP's layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli import cli, main
from auditor.execution.tasks import load_tasks

VOWELS = {
    "task_id": 901,
    "text": "Write a function to count the vowels of a string.",
    # The reference is never run: were it, this one would fail every candidate.
    "code": "def count_vowels(s):\n    return -1\n",
    "test_list": [
        'assert count_vowels("banana") == 3',
        'assert count_vowels("xyz") == 0',
        'assert count_vowels("AEi") == 3',
    ],
    "test_setup_code": "",
    # Hidden tests are never read: a correct candidate fails this one.
    "challenge_test_list": ['assert count_vowels("") == 99'],
}
CODES = {
    "right": "def count_vowels(s):\n    return sum(c in 'aeiouAEIOU' for c in s)\n",
    "lower": "def count_vowels(s):\n    return sum(c in 'aeiou' for c in s)\n",
    "table": "def count_vowels(s):\n    return {'banana': 3, 'xyz': 0, 'AEi': 3}.get(s, 0)\n",
    "length": "def count_vowels(s):\n    return len(s)\n",
}


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _run(tmp_path: Path, task: dict[str, Any], rows: list[dict[str, Any]]) -> tuple[int, dict]:
    tasks = _write(tmp_path / "tasks.jsonl", [task])
    samples = _write(tmp_path / "samples.jsonl", rows)
    args = ["check", str(samples), "--tasks", str(tasks), "--no-model", "--format", "json"]
    res = CliRunner().invoke(cli, args)
    return res.exit_code, json.loads(res.stdout) if res.stdout.strip() else {}


def _solutions(codes: list[str], task_id: int | str = 901) -> list[dict[str, Any]]:
    return [{"task_id": task_id, "solution": c} for c in codes]


def test_mbpp_form_task_file_judges_by_its_asserts(tmp_path: Path) -> None:
    """Passers pass, failers get AUD001 (exit 1); `code` and `challenge_test_list` are not
    read; the samples' integer task ids match the task's."""
    code, doc = _run(tmp_path, VOWELS, _solutions(list(CODES.values())))
    assert code == 1
    got = {c["sample_id"]: c for c in doc["candidates"]}
    verdicts = [got[str(i)]["execution"]["verdict"] for i in range(len(CODES))]
    assert verdicts == ["pass", "fail", "pass", "fail"]
    for c in doc["candidates"]:
        assert c["task_id"] == "901" and c["execution"]["weak_tests"] == "asserts"
        failed = c["execution"]["verdict"] == "fail"
        assert ("AUD001" in [f["code"] for f in c["findings"]]) == failed
        assert c["execution"]["unjudged"] == 0
    aud001 = [f["message"] for f in got["1"]["findings"] if f["code"] == "AUD001"]
    assert aud001 == ["fails its weak tests (asserts): count_vowels('AEi') == 3"]


@pytest.mark.parametrize("task_id", [901, "901"])
def test_only_passers_exit_0_and_ids_match_as_int_or_text(tmp_path: Path, task_id: Any) -> None:
    code, doc = _run(tmp_path, VOWELS, _solutions([CODES["right"]], task_id))
    assert code == 0 and doc["candidates"][0]["execution"]["verdict"] == "pass"


def test_the_task_read_is_the_imports_setup_and_asserts(tmp_path: Path) -> None:
    """The test module a row is read as, its entry point and weak inputs; a name the setup
    binds (`words`) is not the entry point, and the prose prompt is no prompt."""
    row = {
        **VOWELS,
        "test_imports": ["import math"],
        "test_setup_code": "words = ['oo', 'k']",
        "test_list": [*VOWELS["test_list"], "assert count_vowels(words[0]) == 2"],
    }
    (task,) = load_tasks(str(_write(tmp_path / "t.jsonl", [row]))).values()
    assert task.task_id == "901" and task.entry_point == "count_vowels"
    assert task.test == ("import math\nwords = ['oo', 'k']\n" + "\n".join(row["test_list"]) + "\n")
    assert task.base_input == (["banana"], ["xyz"], ["AEi"], ["oo"])
    assert task.prompt == "" and not task.completes and task.canonical_solution == ""


@pytest.mark.parametrize(
    ("imports", "assertion"),
    [
        (["import math"], "assert math.isclose(half(3), 1.5)"),
        # `isclose` is bound by the imports: not a second function under test
        (["from math import isclose"], "assert isclose(half(3), 1.5)"),
    ],
)
def test_test_imports_are_honoured(tmp_path: Path, imports: list[str], assertion: str) -> None:
    """The imports make `math.isclose` an assert that is judged: floor division fails it.
    Without them the same assert is not read (counted unjudged, the candidate passes)."""
    task = {
        "task_id": 5,
        "text": "Halve a number.",
        "test_list": ["assert half(4) == 2", assertion],
    }
    floor = _solutions(["def half(x):\n    return x // 2\n"], 5)
    code, doc = _run(tmp_path, {**task, "test_imports": imports}, floor)
    assert doc["candidates"][0]["execution"]["verdict"] == "fail" and code == 1
    if imports == ["import math"]:
        _, doc = _run(tmp_path, task, floor)
        assert doc["candidates"][0]["execution"]["unjudged"] == 1


def test_an_explicit_entry_point_settles_two_called_functions(tmp_path: Path) -> None:
    task = {**VOWELS, "test_list": ['assert count_vowels("aa") == len("xy")',
                                    'assert count_vowels("ab") == other(1)'],
            "entry_point": "count_vowels"}  # fmt: skip
    code, doc = _run(tmp_path, task, _solutions([CODES["right"]]))
    assert doc["candidates"][0]["execution"]["verdict"] == "pass" and code == 0
    assert doc["candidates"][0]["execution"]["unjudged"] == 1  # other(1) is not known


def test_a_code_prompt_takes_completions(tmp_path: Path) -> None:
    prompt = 'def count_vowels(s):\n    """The number of vowels of s."""\n'
    rows = [{"task_id": 901, "completion": "    return sum(c in 'aeiouAEIOU' for c in s)\n"},
            {"task_id": 901, "completion": "    return len(s)\n"}]  # fmt: skip
    code, doc = _run(tmp_path, {**VOWELS, "prompt": prompt}, rows)
    assert [c["execution"]["verdict"] for c in doc["candidates"]] == ["pass", "fail"]
    assert code == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"test_list": ["assert 1 + 1 == 2"]}, "task 901: its asserts call no function; give"),
        (
            {"test_list": ["assert count_vowels('a') == other(1)"]},
            "task 901: its asserts call 2 functions (count_vowels, other); give the tested "
            "one as entry_point",
        ),
        ({"test_list": "assert count_vowels('a') == 1"}, "test_list is not a list of strings"),
        ({"test_list": [3]}, "task 901: test_list is not a list of strings"),
        ({"test_list": []}, "task 901: test_list is empty"),
        ({"test_list": ["assert count_vowels('a' == 1"]}, "task 901: test_list does not parse"),
        ({"test_imports": "import math"}, "task 901: test_imports is not a list of strings"),
        ({"test_setup_code": 3}, "field 'test_setup_code' missing or not a string"),
        ({"entry_point": ""}, "field 'entry_point' missing or not a string"),
        ({"test": "def check(candidate): pass"}, "task 901: test_list and test: give one form"),
        ({"base_input": [["a"]]}, "task 901: test_list and base_input: give one form"),
        ({"task_id": 9.5}, "field 'task_id' missing or not a string or an integer"),
        ({"task_id": True}, "field 'task_id' missing or not a string or an integer"),
        # a prose prompt is no code to append a completion to
        ("completion", "task 901 gives no code prompt (an MBPP-form task): it takes `solution`"),
    ],
)
def test_bad_mbpp_rows_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, message: str
) -> None:
    task = {**VOWELS, "prompt": "Write a function to count vowels."}
    rows = _solutions([CODES["right"]])
    if change == "completion":
        rows = [{"task_id": 901, "completion": "    return 0\n"}]
    else:
        task |= change
    tasks = _write(tmp_path / "tasks.jsonl", [task])
    samples = _write(tmp_path / "samples.jsonl", rows)
    code = main(["check", str(samples), "--tasks", str(tasks), "--no-model"])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and message in lines[0], err
    assert "tasks.jsonl:1" in lines[0] or "samples.jsonl:1" in lines[0]
