"""Sample readers: each format, sniffing, the override, and bad inputs."""

from __future__ import annotations

import ast
import gzip
import json
import math
import os
import re
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest

from auditor.corpus.benchmarks import load_benchmark, load_benchmarks_for
from auditor.corpus.samples import READERS, detect_format, read_samples
from auditor.errors import InputError
from auditor.types import Outcome, Status, Task

REPO = Path(__file__).resolve().parents[1]
FIX = REPO / "tests" / "fixtures" / "readers"
TOY = REPO / "corpora" / "toy"


@pytest.fixture(scope="module")
def toy_tasks() -> dict[str, Task]:
    return load_benchmark(str(TOY / "benchmark.jsonl"))


# ------------------------------------------------------------------ sniffing


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (FIX / "evalplus_samples.jsonl", "evalplus-jsonl"),
        (TOY / "samples.jsonl", "evalplus-jsonl"),
        (FIX / "humaneval_samples.jsonl", "humaneval-jsonl"),
        (FIX / "evalplus_dir", "evalplus-dir"),
        (FIX / "eval_results_current.json", "eval-results"),
        (FIX / "legacy" / "samples_eval_results.json", "eval-results"),
    ],
)
def test_detect_format(path: Path, name: str) -> None:
    assert detect_format(path) == name
    assert read_samples(path, load_benchmark(str(TOY / "benchmark.jsonl"))).format == name


def test_every_reader_is_sniffable_and_described() -> None:
    assert set(READERS) == {"evalplus-jsonl", "evalplus-dir", "humaneval-jsonl", "eval-results"}
    for name, reader in READERS.items():
        assert reader.name == name
        assert reader.description


def test_format_override_picks_the_named_reader(toy_tasks: dict[str, Task]) -> None:
    # Sniffed as human-eval; forced to EvalPlus JSONL the rows are read the same way.
    path = FIX / "humaneval_samples.jsonl"
    forced = read_samples(path, toy_tasks, format="evalplus-jsonl")
    assert forced.format == "evalplus-jsonl"
    assert [c.code for c in forced.candidates] == [
        c.code for c in read_samples(path, toy_tasks).candidates
    ]


def test_format_override_unknown_name() -> None:
    with pytest.raises(InputError, match="unknown samples format 'nope'"):
        read_samples(FIX / "evalplus_samples.jsonl", format="nope")


def test_format_override_wrong_kind_of_path(toy_tasks: dict[str, Task]) -> None:
    with pytest.raises(InputError, match="needs a directory"):
        read_samples(FIX / "evalplus_samples.jsonl", toy_tasks, format="evalplus-dir")
    with pytest.raises(InputError, match="is a directory"):
        read_samples(FIX / "evalplus_dir", toy_tasks, format="evalplus-jsonl")


def test_missing_path() -> None:
    with pytest.raises(InputError, match="no such file"):
        read_samples(FIX / "absent.jsonl")


@pytest.mark.parametrize("fmt", [None, "evalplus-jsonl", "eval-results", "humaneval-jsonl"])
def test_fifo_and_device_are_refused_not_read(tmp_path: Path, fmt: str | None) -> None:
    fifo = tmp_path / "samples.jsonl"
    os.mkfifo(fifo)  # reading it would wait for a writer forever
    zero = tmp_path / "zero.jsonl"
    zero.symlink_to("/dev/zero")  # reading it would never end
    with pytest.raises(InputError, match="a FIFO, not a regular file"):
        read_samples(fifo, format=fmt)
    with pytest.raises(InputError, match="character device"):
        read_samples(zero, format=fmt)
    with pytest.raises(InputError, match="a FIFO"):
        load_benchmark(str(fifo))


def test_fifo_inside_an_evalplus_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Toy_0").mkdir()
    os.mkfifo(tmp_path / "Toy_0" / "0.py")
    with pytest.raises(InputError, match="a FIFO"):
        read_samples(tmp_path, sanitize=False)


# ------------------------------------------------------------------ readers


def test_evalplus_jsonl(toy_tasks: dict[str, Task]) -> None:
    s = read_samples(FIX / "evalplus_samples.jsonl", toy_tasks)
    assert s.labels is None
    assert s.source == str(FIX / "evalplus_samples.jsonl")
    keys = [(c.task_id, c.sample_id) for c in s.candidates]
    # Per-task counter by default; an explicit sample_id wins.
    assert keys == [("Toy/0", "0"), ("Toy/0", "1"), ("Toy/0", "2"), ("Toy/2", "7")]
    assert [c.line for c in s.candidates] == [1, 2, 3, 4]  # each row's line in the file
    completion = s.candidates[2]
    assert completion.raw == toy_tasks["Toy/0"].prompt + "    return 0\n"
    assert "def sum_of_evens" in completion.code
    assert s.candidates[3].model == "toy-model"


def test_sanitize_applies_to_code_not_raw(toy_tasks: dict[str, Task]) -> None:
    path = FIX / "evalplus_samples.jsonl"
    clean = read_samples(path, toy_tasks).candidates[1]
    raw = read_samples(path, toy_tasks, sanitize=False).candidates[1]
    assert "print(sum_of_evens" in clean.raw  # type: ignore[operator]
    assert "print(sum_of_evens" not in clean.code
    assert clean.removed  # the sanitizer says what it dropped
    assert raw.code == raw.raw == clean.raw
    assert raw.removed == ()


def test_completion_without_tasks_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"evalplus_samples\.jsonl:3: a `completion` needs"):
        read_samples(FIX / "evalplus_samples.jsonl")


def test_solutions_read_without_tasks() -> None:
    s = read_samples(TOY / "samples.jsonl", sanitize=False)
    assert len(s.candidates) == 16
    assert Counter(c.task_id for c in s.candidates) == {f"Toy/{i}": 4 for i in range(4)}


def test_gzip_samples_match_plain(tmp_path: Path, toy_tasks: dict[str, Task]) -> None:
    plain = read_samples(TOY / "samples.jsonl", toy_tasks)
    gz = tmp_path / "samples.jsonl.gz"
    gz.write_bytes(gzip.compress((TOY / "samples.jsonl").read_bytes()))
    # Gzip content under a plain name is recognised by its magic bytes.
    disguised = tmp_path / "disguised.jsonl"
    shutil.copy(gz, disguised)
    for path in (gz, disguised):
        got = read_samples(path, toy_tasks)
        assert got.format == "evalplus-jsonl"
        assert got.candidates == plain.candidates


def test_files_saved_with_a_bom_and_joined_read_as_one(
    tmp_path: Path, toy_tasks: dict[str, Task]
) -> None:
    """`cat a.jsonl b.jsonl` of files an editor saved with a BOM: a BOM opens a line."""
    lines = (TOY / "samples.jsonl").read_bytes().splitlines(keepends=True)
    joined = tmp_path / "joined.jsonl"
    joined.write_bytes(b"".join(b"\xef\xbb\xbf" + line for line in lines) + b"\xef\xbb\xbf\n")
    got = read_samples(joined, toy_tasks)
    assert got.candidates == read_samples(TOY / "samples.jsonl", toy_tasks).candidates


def test_humaneval_jsonl(toy_tasks: dict[str, Task]) -> None:
    s = read_samples(FIX / "humaneval_samples.jsonl", toy_tasks)
    assert [(c.task_id, c.sample_id) for c in s.candidates] == [
        ("Toy/0", "0"),
        ("Toy/1", "0"),
        ("Toy/1", "1"),
    ]
    truncated = s.candidates[1]
    assert truncated.raw.startswith(toy_tasks["Toy/1"].prompt)  # type: ignore[union-attr]
    assert truncated.raw.endswith("assert count_vowels(")  # type: ignore[union-attr]
    compile(truncated.code, "<sanitized>", "exec")  # the truncated assert is gone
    assert "assert count_vowels(" not in truncated.code


@pytest.mark.parametrize("first", ["completion", "solution"])
def test_rows_mix_solution_and_completion(
    tmp_path: Path, toy_tasks: dict[str, Task], first: str
) -> None:
    # Trial 8: the format was sniffed from the first row, and its reader refused the other
    # kind of row ("`completion` is missing") in a file whose first row is a completion.
    program = "def sum_of_evens(numbers):\n    return 0\n"
    rows = {
        "completion": {"task_id": "Toy/0", "completion": "    return 0\n"},
        "solution": {"task_id": "Toy/0", "solution": program},
    }
    second = "solution" if first == "completion" else "completion"
    path = _write_jsonl(tmp_path / "s.jsonl", [json.dumps(rows[first]), json.dumps(rows[second])])
    cands = {c.sample_id: c for c in read_samples(path, toy_tasks).candidates}
    by_kind = {first: cands["0"], second: cands["1"]}
    assert by_kind["solution"].raw == program
    assert by_kind["completion"].raw == toy_tasks["Toy/0"].prompt + "    return 0\n"


def test_row_with_both_solution_and_completion_is_refused(tmp_path: Path) -> None:
    row = {"task_id": "Toy/0", "completion": "    return 0\n", "solution": "x = 1\n"}
    path = _write_jsonl(tmp_path / "s.jsonl", [json.dumps(row)])
    with pytest.raises(InputError, match=r"s\.jsonl:1: both `solution` and `completion` are given"):
        read_samples(path)


@pytest.mark.parametrize("field", ["sample_id", "solution", "model"])
def test_a_lone_surrogate_is_an_input_error(tmp_path: Path, field: str) -> None:
    # Red team s21: "\ud800" in a sample_id stopped check and label with an internal error
    # (exit 3) when they wrote their report; a surrogate pair is text and reads as before.
    row = {"task_id": "Toy/0", "sample_id": "a", "solution": "x = 1\n", field: "\ud800"}
    path = _write_jsonl(tmp_path / "s.jsonl", [json.dumps(row)])
    with pytest.raises(InputError, match=r"s\.jsonl:1: a string holds a lone surrogate"):
        read_samples(path)
    row[field] = "\ud83d\ude00"  # one character, U+1F600
    path = _write_jsonl(tmp_path / "s.jsonl", [json.dumps(row)])
    assert read_samples(path).candidates


def test_null_completion_is_not_called_a_missing_field(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"task_id": "Toy/0", "completion": None}) + "\n")
    with pytest.raises(
        InputError, match=r"s\.jsonl:1: `solution` or `completion` is missing or null"
    ):
        read_samples(path)


def test_chat_completion_keeps_its_unfenced_code(
    tmp_path: Path, toy_tasks: dict[str, Task]
) -> None:
    # A chat answer in `completion`: prose, then the whole function (no fence).
    body = "def sum_of_evens(numbers):\n    return sum(n for n in numbers if n % 2 == 0)\n"
    rows = [
        {"task_id": "Toy/0", "completion": "Sure!\n\n" + body},
        {"task_id": "Toy/0", "completion": "I cannot help with that, sorry."},
    ]
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, prose = read_samples(path, toy_tasks).candidates
    assert code.code == body
    assert code.reason is None
    prompt_lines = toy_tasks["Toy/0"].prompt.count("\n")
    assert code.line_map is not None and code.line_map.raw_line(1) == prompt_lines + 3
    assert prose.reason == "no code in the answer"
    assert prose.code == prose.raw  # no program: the raw answer, nothing invented


def test_evalplus_dir(toy_tasks: dict[str, Task]) -> None:
    s = read_samples(FIX / "evalplus_dir", toy_tasks)
    assert [(c.task_id, c.sample_id) for c in s.candidates] == [
        ("Toy/0", "0"),
        ("Toy/0", "1"),
        ("Toy/0", "2"),
        ("Toy/0", "10"),  # numeric order, not string order
        ("Toy/2", "0"),
    ]
    assert all(c.path and c.path.endswith(f"{c.sample_id}.py") for c in s.candidates)
    leap = s.candidates[-1]
    assert "print(" in leap.raw  # type: ignore[operator]
    assert "print(" not in leap.code


def test_a_bom_in_a_dir_sample_is_skipped(tmp_path: Path, toy_tasks: dict[str, Task]) -> None:
    """A .py sample saved with a BOM reads as Python reads it, not as a syntax error."""
    shutil.copytree(FIX / "evalplus_dir", tmp_path / "d")
    plain = read_samples(tmp_path / "d", toy_tasks).candidates
    file = tmp_path / "d" / "Toy_0" / "1.py"
    file.write_bytes(b"\xef\xbb\xbf" + file.read_bytes())
    with_bom = read_samples(tmp_path / "d", toy_tasks).candidates
    assert [(c.raw, c.code) for c in with_bom] == [(c.raw, c.code) for c in plain]


def test_eval_results_current(toy_tasks: dict[str, Task]) -> None:
    s = read_samples(FIX / "eval_results_current.json", toy_tasks)
    assert s.labels is not None
    got = [
        (lab.task_id, lab.sample_id, lab.weak_status, lab.strong_status, lab.status)
        for lab in s.labels
    ]
    assert got == [
        ("Toy/0", "0", Outcome.PASS, Outcome.PASS, Status.CORRECT),
        ("Toy/0", "1", Outcome.PASS, Outcome.FAIL, Status.FALSE_POSITIVE),
        ("Toy/2", "0", Outcome.TIMEOUT, Outcome.TIMEOUT, Status.REJECTED),
    ]
    assert [lab.solution_sha256 for lab in s.labels] == [c.sha256 for c in s.candidates]


def test_eval_results_legacy_joins_its_samples(toy_tasks: dict[str, Task]) -> None:
    s = read_samples(FIX / "legacy" / "samples_eval_results.json", toy_tasks)
    assert s.format == "eval-results"
    assert s.labels is not None
    assert [(lab.task_id, lab.sample_id, lab.status) for lab in s.labels] == [
        ("Toy/0", "0", Status.CORRECT),
        ("Toy/0", "1", Status.FALSE_POSITIVE),
        ("Toy/2", "0", Status.FALSE_POSITIVE),
    ]
    sibling = read_samples(FIX / "legacy" / "samples.jsonl", toy_tasks)
    assert s.candidates == sibling.candidates
    # a row's line is one of the samples file, never of the results file read
    assert [c.line for c in s.candidates] == [None] * 3
    assert all(c.line for c in sibling.candidates)


def test_eval_results_legacy_in_a_samples_dir(tmp_path: Path, toy_tasks: dict[str, Task]) -> None:
    root = tmp_path / "samples"
    shutil.copytree(FIX / "evalplus_dir", root)
    fail, ok = ["failed", []], ["success", []]
    legacy = {
        "eval": {
            "Toy/0": {"nfiles": 4, "base": [ok, ok, fail, ok], "plus": [ok, fail, fail, ok]},
            "Toy/2": {"nfiles": 1, "base": [ok], "plus": [["timed out", []]]},
        }
    }
    (root / "eval_results.json").write_text(json.dumps(legacy))
    s = read_samples(root / "eval_results.json", toy_tasks)
    assert s.labels is not None
    assert [lab.status.value for lab in s.labels] == [
        "correct",
        "false_positive",
        "rejected",
        "correct",
        "false_positive",
    ]
    assert s.labels[-1].strong_status is Outcome.TIMEOUT


def test_eval_results_legacy_count_mismatch(tmp_path: Path, toy_tasks: dict[str, Task]) -> None:
    shutil.copy(FIX / "legacy" / "samples.jsonl", tmp_path / "samples.jsonl")
    legacy = {
        "eval": {"Toy/0": {"nfiles": 1, "base": [["success", []]], "plus": [["success", []]]}}
    }
    (tmp_path / "samples_eval_results.json").write_text(json.dumps(legacy))
    with pytest.raises(InputError, match="Toy/0 has 1 results but 2 samples"):
        read_samples(tmp_path / "samples_eval_results.json", toy_tasks)


def test_eval_results_legacy_without_samples(tmp_path: Path) -> None:
    path = tmp_path / "x_eval_results.json"
    ok = ["success", []]
    path.write_text(json.dumps({"eval": {"Toy/0": {"nfiles": 1, "base": [ok], "plus": [ok]}}}))
    with pytest.raises(InputError, match=r"no solution text .* \(expected x\.jsonl or a"):
        read_samples(path)


def test_eval_results_legacy_base_plus_lengths_differ(tmp_path: Path) -> None:
    path = tmp_path / "x_eval_results.json"
    ok = ["success", []]
    path.write_text(json.dumps({"eval": {"Toy/0": {"nfiles": 2, "base": [ok, ok], "plus": [ok]}}}))
    with pytest.raises(InputError, match="Toy/0: 2 base but 1 plus results"):
        read_samples(path)


def test_eval_results_stripped_of_solutions_join_samples(
    tmp_path: Path, toy_tasks: dict[str, Task]
) -> None:
    # Copies committed without solution text still read, joined to their samples.
    doc = json.loads((FIX / "eval_results_current.json").read_text())
    for results in doc["eval"].values():
        for res in results:
            del res["solution"]
    (tmp_path / "eval_results.json").write_text(json.dumps(doc))
    (tmp_path / "Toy_0").mkdir()
    (tmp_path / "Toy_2").mkdir()
    full = read_samples(FIX / "eval_results_current.json", toy_tasks)
    for cand in full.candidates:
        (tmp_path / cand.task_id.replace("/", "_") / f"{cand.sample_id}.py").write_text(
            cand.raw or ""
        )
    got = read_samples(tmp_path / "eval_results.json", toy_tasks)
    assert got.labels == full.labels
    assert [c.code for c in got.candidates] == [c.code for c in full.candidates]


def test_eval_results_partly_stripped(tmp_path: Path) -> None:
    doc = json.loads((FIX / "eval_results_current.json").read_text())
    del doc["eval"]["Toy/0"][1]["solution"]
    path = tmp_path / "eval_results.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="1 of 3 results lack a solution"):
        read_samples(path)


def test_eval_results_base_only_run_is_rejected(tmp_path: Path) -> None:
    res = {"eval": {"Toy/2": [{"solution": "x = 1\n", "base_status": "pass", "plus_status": None}]}}
    path = tmp_path / "eval_results.json"
    path.write_text(json.dumps(res))
    with pytest.raises(InputError, match="no plus-test status"):
        read_samples(path, sanitize=False)


def test_eval_results_unknown_status(tmp_path: Path) -> None:
    res = {"eval": {"Toy/2": [{"solution": "x = 1\n", "base_status": "ok", "plus_status": "pass"}]}}
    path = tmp_path / "eval_results.json"
    path.write_text(json.dumps(res))
    with pytest.raises(InputError, match="unknown status 'ok'"):
        read_samples(path, sanitize=False)


def test_eval_results_without_eval_object(tmp_path: Path) -> None:
    path = tmp_path / "eval_results.json"
    path.write_text(json.dumps({"date": "x"}))
    with pytest.raises(InputError, match="no `eval` object"):
        read_samples(path)


# ------------------------------------------------------------------ bad inputs


def _one_line(exc: pytest.ExceptionInfo[InputError]) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def _write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


GOOD = json.dumps({"task_id": "Toy/2", "solution": "def is_leap_year(year):\n    return True\n"})
HE_GOOD = json.dumps({"task_id": "Toy/0", "completion": "    return 0\n"})


@pytest.mark.parametrize(("fmt", "good"), [("evalplus-jsonl", GOOD), ("humaneval-jsonl", HE_GOOD)])
def test_malformed_json_line_names_file_and_line(
    tmp_path: Path, toy_tasks: dict[str, Task], fmt: str, good: str
) -> None:
    path = _write_jsonl(tmp_path / "s.jsonl", [good, good, '{"task_id": "Toy/0", '])
    with pytest.raises(InputError) as exc:
        read_samples(path, toy_tasks)
    assert _one_line(exc).startswith(f"{path}:3: malformed JSON")
    with pytest.raises(InputError, match=r"s\.jsonl:3: malformed JSON"):
        read_samples(path, toy_tasks, format=fmt)


@pytest.mark.parametrize(
    "bad",
    ['{"sample_id": 1' + "0" * 5000 + "}", '{"x": ' + "[" * 100_000],
    ids=["long-int", "deep"],
)
@pytest.mark.parametrize("row", [1, 2])
@pytest.mark.parametrize("command", ["check", "curves"])
def test_json_past_pythons_limits_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str, row: int, command: str
) -> None:
    """A number past Python's int digit limit, or nesting past its recursion limit, is
    malformed input naming its line (exit 2), not an internal error (exit 3)."""
    from auditor.cli import main

    lines = [GOOD, bad] if row == 2 else [bad, GOOD]
    path = _write_jsonl(tmp_path / "s.jsonl", lines)
    code = main([command, str(path), *(["--no-model"] if command == "check" else [])])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and f"s.jsonl:{row}: malformed JSON" in err[0], err


def test_malformed_json_line_says_where_in_the_line(tmp_path: Path) -> None:
    """Python's messages end in "at" and expect a position: a line cut mid-string (a
    writer killed mid-row) said "malformed JSON: Invalid control character at"."""
    path = _write_jsonl(tmp_path / "s.jsonl", [GOOD, '{"task_id": "Toy/0", "solution": "de'])
    with pytest.raises(InputError) as exc:
        read_samples(path)
    assert _one_line(exc).endswith("malformed JSON: Invalid control character at column 37")


def test_malformed_eval_results(tmp_path: Path) -> None:
    path = tmp_path / "eval_results.json"
    path.write_text('{"eval": {"Toy/0": [\n{"solution": }]}}')
    with pytest.raises(InputError) as exc:
        read_samples(path)
    assert _one_line(exc).startswith(f"{path}:2: malformed JSON")


@pytest.mark.parametrize(
    ("fmt", "good", "unknown"),
    [("evalplus-jsonl", GOOD, "Nope/2"), ("humaneval-jsonl", HE_GOOD, "Nope/0")],
)
def test_unknown_task_id_jsonl(
    tmp_path: Path, toy_tasks: dict[str, Task], fmt: str, good: str, unknown: str
) -> None:
    path = _write_jsonl(tmp_path / "s.jsonl", [good, good.replace('"Toy/', '"Nope/')])
    with pytest.raises(InputError) as exc:
        read_samples(path, toy_tasks, format=fmt)
    assert _one_line(exc) == f"{path}:2: unknown task id {unknown!r}"


def test_unknown_task_id_dir(tmp_path: Path, toy_tasks: dict[str, Task]) -> None:
    (tmp_path / "Nope_3").mkdir()
    (tmp_path / "Nope_3" / "0.py").write_text("x = 1\n")
    with pytest.raises(InputError, match="unknown task id 'Nope/3'") as exc:
        read_samples(tmp_path, toy_tasks)
    _one_line(exc)


def test_unknown_task_id_eval_results(tmp_path: Path, toy_tasks: dict[str, Task]) -> None:
    res = {
        "eval": {"Nope/1": [{"solution": "x = 1\n", "base_status": "pass", "plus_status": "pass"}]}
    }
    path = tmp_path / "eval_results.json"
    path.write_text(json.dumps(res))
    with pytest.raises(InputError, match="unknown task id 'Nope/1'") as exc:
        read_samples(path, toy_tasks)
    _one_line(exc)


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("s.jsonl", None, "empty samples file"),
        ("s.jsonl", "humaneval-jsonl", "empty samples file"),
        ("s.jsonl.gz", None, "empty samples file"),
        ("eval_results.json", None, "empty file"),
    ],
)
def test_empty_file(tmp_path: Path, name: str, fmt: str | None, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(b"") if name.endswith(".gz") else b"\n\n")
    with pytest.raises(InputError, match=message) as exc:
        read_samples(path, format=fmt)
    _one_line(exc)


def test_empty_dir(tmp_path: Path) -> None:
    (tmp_path / "Toy_0").mkdir()
    with pytest.raises(InputError, match="no samples") as exc:
        read_samples(tmp_path)
    _one_line(exc)


def test_a_samples_directory_nested_by_the_id_s_slash_says_the_layout(tmp_path: Path) -> None:
    """`HumanEval/0/0.py` (the id's `/` as a directory) was 'no samples (expected
    TASK_ID/N.py files)', which that layout seems to be; the message says `_` stands for `/`."""
    (tmp_path / "Toy" / "0").mkdir(parents=True)
    (tmp_path / "Toy" / "0" / "0.py").write_text("def f():\n    return 1\n")
    with pytest.raises(InputError, match=r"`_` for `/` in the id: Toy_0/0\.py") as exc:
        read_samples(tmp_path)
    _one_line(exc)


def test_empty_eval_results(tmp_path: Path) -> None:
    path = tmp_path / "eval_results.json"
    path.write_text(json.dumps({"eval": {}}))
    with pytest.raises(InputError, match="empty eval results"):
        read_samples(path)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("s.jsonl.gz", None),
        ("s.jsonl.gz", "humaneval-jsonl"),
        ("eval_results.json.gz", None),
    ],
)
def test_gzip_corruption(tmp_path: Path, name: str, fmt: str | None) -> None:
    good = gzip.compress((TOY / "samples.jsonl").read_bytes())
    truncated = tmp_path / name
    truncated.write_bytes(good[: len(good) // 2])
    flipped = tmp_path / ("x" + name)
    flipped.write_bytes(good[:10] + bytes(b ^ 0xFF for b in good[10:40]) + good[40:])
    for path in (truncated, flipped):
        with pytest.raises(InputError, match="unreadable") as exc:
            read_samples(path, format=fmt)
        assert _one_line(exc).startswith(str(path))


def test_bad_utf8_in_dir_sample(tmp_path: Path) -> None:
    """Neither UTF-8 nor declaring another codec: one line naming the file, saying which
    byte and what to do, as `check` says of a .py file (it said `unreadable
    (UnicodeDecodeError)`)."""
    (tmp_path / "Toy_0").mkdir()
    (tmp_path / "Toy_0" / "0.py").write_bytes(b"x = '\xff'\n")
    with pytest.raises(InputError) as exc:
        read_samples(tmp_path)
    assert _one_line(exc) == (
        f"{tmp_path / 'Toy_0' / '0.py'}: not UTF-8 text (byte 0xff at offset 5) and declares "
        f"no other coding (PEP 263) (save it as UTF-8, with no coding line naming another codec)"
    )


def test_a_dir_sample_in_the_codec_it_declares_is_read_as_python_reads_it(
    tmp_path: Path,
) -> None:
    """A latin-1 sample with its coding cookie is read as Python (and `check`) reads it,
    not refused as not UTF-8; its line ends read as `\\n`, as before and as EvalPlus reads
    the file."""
    (tmp_path / "Toy_0").mkdir()
    data = b"# -*- coding: latin-1 -*-\r\ndef f(x):\r\n    return 'caf\xe9'\n"
    (tmp_path / "Toy_0" / "0.py").write_bytes(data)
    (cand,) = read_samples(tmp_path).candidates
    assert cand.raw == "# -*- coding: latin-1 -*-\ndef f(x):\n    return 'caf\u00e9'\n"
    assert ast.dump(ast.parse(data)) == ast.dump(ast.parse(cand.raw))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"solution": "x = 1\n"}, r"s\.jsonl:1: missing or empty `task_id`"),
        ({"task_id": "", "solution": "x = 1\n"}, r"s\.jsonl:1: missing or empty `task_id`"),
        *(
            (
                {"task_id": bad, "solution": "x = 1\n"},
                rf"s\.jsonl:1: `task_id` must be a string or an integer, got {kind}$",
            )
            for bad, kind in [(True, "bool"), (11.0, "float"), (["a"], "list")]
        ),
        ({"task_id": "Toy/2"}, r"s\.jsonl:1: `solution` or `completion` is missing or null"),
        ({"task_id": "Toy/2", "solution": ["a"]}, r"s\.jsonl:1: `solution` must be a string"),
        # QA s21: str() made these ids "[1]", "{}", "True", "nan", "inf" and "1.5".
        *(
            (
                {"task_id": "Toy/2", "solution": "x = 1\n", "sample_id": bad},
                rf"s\.jsonl:1: `sample_id` must be a string or an integer, got {kind}$",
            )
            for bad, kind in [
                ([1], "list"),
                ({}, "dict"),
                (True, "bool"),
                (math.nan, "float"),
                (math.inf, "float"),
                (1.5, "float"),
            ]
        ),
        # s23: a blank id keys nothing a user can find (baselines, reports, SARIF).
        *(
            (
                {"task_id": "Toy/2", "solution": "x = 1\n", "sample_id": blank},
                rf"s\.jsonl:1: `sample_id` must not be blank, got {re.escape(repr(blank))}$",
            )
            for blank in ["", " ", "\t"]
        ),
    ],
)
def test_bad_rows(tmp_path: Path, row: dict[str, object], message: str) -> None:
    path = _write_jsonl(tmp_path / "s.jsonl", [json.dumps(row)])
    with pytest.raises(InputError, match=message):
        read_samples(path)


def test_sample_ids_are_strings_or_integers_and_default_to_the_row_index(tmp_path: Path) -> None:
    """An integer id (EvalPlus writes them) is its digits; a missing or null one is the row's
    index among its task's rows, counting every row of the task."""
    rows = [{"task_id": "Toy/2", "solution": "x = 1\n"} | extra for extra in (
        {"sample_id": 7}, {"sample_id": "a"}, {"sample_id": None}, {},
    )]  # fmt: skip
    path = _write_jsonl(tmp_path / "s.jsonl", [json.dumps(r) for r in rows])
    assert [c.sample_id for c in read_samples(path).candidates] == ["7", "a", "2", "3"]


def test_an_integer_task_id_is_its_digits(tmp_path: Path) -> None:
    """MBPP numbers its tasks: `"task_id": 11` and `"11"` are one task (sample ids counted
    per task across both), as they are in a task file (`execution.tasks`)."""
    rows = [{"task_id": 11, "solution": "x = 1\n"}, {"task_id": "11", "solution": "x = 2\n"}]
    path = _write_jsonl(tmp_path / "s.jsonl", [json.dumps(r) for r in rows])
    got = [(c.task_id, c.sample_id) for c in read_samples(path).candidates]
    assert got == [("11", "0"), ("11", "1")]


def test_a_dir_sample_named_blank_is_refused(tmp_path: Path) -> None:
    """A directory sample's id is its file's name: ` .py` would be a blank id."""
    (tmp_path / "Toy_0").mkdir()
    (tmp_path / "Toy_0" / " .py").write_text("x = 1\n")
    with pytest.raises(InputError) as exc:
        read_samples(tmp_path)
    assert (
        _one_line(exc) == f"{tmp_path / 'Toy_0' / ' .py'}: `sample_id` must not be blank, got ' '"
    )


def test_json_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "s.jsonl", [GOOD, "[1, 2]"])
    with pytest.raises(InputError, match=r"s\.jsonl:2: expected a JSON object"):
        read_samples(path)


def test_duplicate_sample_id(tmp_path: Path) -> None:
    row = json.loads(GOOD) | {"sample_id": 4}
    path = _write_jsonl(tmp_path / "s.jsonl", [json.dumps(row), json.dumps(row)])
    with pytest.raises(InputError, match=r"s\.jsonl:2: duplicate sample Toy/2 #4"):
        read_samples(path)


# ------------------------------------------------------------------ shared corpora

CORPORA = [
    ("humaneval_codegen-16b-mono_t0.8_n100.jsonl.gz", 16400, {"HumanEval"}),
    ("humaneval_code-davinci-002_t0.8_n200.jsonl.gz", 32200, {"HumanEval"}),
    ("evalperf_qwen2.5-coder-7b-instruct_t0.2_n40.jsonl.gz", 4720, {"HumanEval", "Mbpp"}),
]


@pytest.mark.integration
@pytest.mark.parametrize(("name", "rows", "benchmarks"), CORPORA)
def test_shared_corpora_read_and_sanitize(
    shared_corpora: Path, name: str, rows: int, benchmarks: set[str]
) -> None:
    path = shared_corpora / "samples" / name
    with gzip.open(path, "rt") as fh:
        ids = {json.loads(line)["task_id"] for line in fh}
    tasks = load_benchmarks_for(ids, shared_corpora)
    start = time.perf_counter()
    s = read_samples(path, tasks)  # unknown task ids would raise here
    elapsed = time.perf_counter() - start
    print(f"{name}: read+sanitize {len(s.candidates)} rows in {elapsed:.2f}s")
    assert len(s.candidates) == rows
    assert {c.task_id.split("/")[0] for c in s.candidates} == benchmarks
    assert all(c.task_id in tasks for c in s.candidates)
    assert len({(c.task_id, c.sample_id) for c in s.candidates}) == rows
    entry_defined = sum(f"def {tasks[c.task_id].entry_point}" in c.code for c in s.candidates)
    assert entry_defined / rows > 0.95


def test_repeated_programs_are_sanitized_once(
    tmp_path: Path, toy_tasks: dict[str, Task], monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditor.corpus.samples as samples_mod

    calls: list[tuple[str, str | None]] = []
    real = samples_mod.sanitize_completion

    def counting(prompt: str, code: str, entry_point: str | None) -> object:
        calls.append((prompt + code, entry_point))
        return real(prompt, code, entry_point)

    monkeypatch.setattr(samples_mod, "sanitize_completion", counting)
    path = _write_jsonl(tmp_path / "s.jsonl", [GOOD, GOOD, GOOD.replace("True", "False")])
    s = read_samples(path, toy_tasks)
    assert len(calls) == 2
    assert calls[0][1] == "is_leap_year"
    assert s.candidates[0].code == s.candidates[1].code != s.candidates[2].code
    assert [c.sample_id for c in s.candidates] == ["0", "1", "2"]


def test_completion_read_alone_when_neither_tasks_nor_sanitizing() -> None:
    # How `--benchmark auto` learns the task ids before it has the prompts.
    s = read_samples(FIX / "evalplus_samples.jsonl", sanitize=False)
    assert [c.task_id for c in s.candidates] == ["Toy/0", "Toy/0", "Toy/0", "Toy/2"]
    assert s.candidates[2].code == s.candidates[2].raw == "    return 0\n"


@pytest.mark.parametrize("command", ["check", "curves"])
def test_a_pretty_printed_json_document_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """A JSON document over several lines (a pretty-printed row, a summary.json given to
    `curves`) where JSON Lines are read said "1: malformed JSON: Expecting property name..."
    (QA s24)."""
    from auditor.cli import main

    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"task_id": "Toy/0", "solution": "def f(): pass"}, indent=2))
    code = main([command, str(path), *(["--no-model"] if command == "check" else [])])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "one JSON document over several lines, not JSON Lines" in err[0]
