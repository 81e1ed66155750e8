"""Benchmark loaders: HumanEval+ (full and Mini) and MBPP+ in EvalPlus release format."""

from __future__ import annotations

import json
import math
import os
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.corpus.datadir import data_file
from auditor.errors import InputError
from auditor.io import open_text, require_regular
from auditor.types import Task


@dataclass(frozen=True)
class BenchmarkSpec:
    """A known benchmark: its CLI name and its release file in the data directory."""

    name: str
    relpath: str
    task_prefix: str


BENCHMARKS: Mapping[str, BenchmarkSpec] = {
    spec.name: spec
    for spec in (
        BenchmarkSpec("humaneval+", "benchmarks/HumanEvalPlus-v0.1.10.jsonl.gz", "HumanEval/"),
        BenchmarkSpec(
            "humaneval+mini", "benchmarks/HumanEvalPlus-Mini-v0.1.10.jsonl.gz", "HumanEval/"
        ),
        BenchmarkSpec("mbpp+", "benchmarks/MbppPlus-v0.2.0.jsonl.gz", "Mbpp/"),
    )
}


_MAX_DOCUMENT_BYTES = 64 << 20  # a pretty-printed file looked at whole, for the message only


def _one_document(path: Path) -> bool:
    """Whether `path` (its first row unreadable as JSON Lines) is one JSON document, e.g. a
    pretty-printed summary.json given where rows are read."""
    try:
        if not path.is_file() or path.stat().st_size > _MAX_DOCUMENT_BYTES:  # a FIFO would block
            return False
        with open_text(path) as fh:
            return isinstance(json.loads(fh.read()), dict | list)
    except (OSError, EOFError, zlib.error, ValueError, RecursionError):
        return False


def read_jsonl_numbered(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs of a JSONL file, plain or gzip; blank lines skipped.

    Errors name the file and line.
    """
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        with open_text(path) as fh:
            for lineno, text in enumerate(fh, 1):
                line = text.removeprefix("\ufeff")  # files saved with a BOM, joined by `cat`
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    if not rows and _one_document(path):
                        raise InputError(
                            f"{path}: one JSON document over several lines, not JSON Lines "
                            "(one object per line)"
                        ) from None
                    # Python's messages end in "at", expecting the position.
                    why = f"{exc.msg.removesuffix(' at')} at column {exc.colno}"
                    raise InputError(f"{path}:{lineno}: malformed JSON: {why}") from None
                except (ValueError, RecursionError) as exc:  # past Python's limits
                    why = str(exc).partition(";")[0]  # a digit count, or the depth
                    raise InputError(f"{path}:{lineno}: malformed JSON: {why}") from None
                if not isinstance(row, dict):
                    raise InputError(f"{path}:{lineno}: expected a JSON object")
                if "\\u" in line and not is_text(row):
                    raise InputError(
                        f"{path}:{lineno}: a string holds a lone surrogate (a \\ud800-\\udfff "
                        f"escape not in a pair), which is not text"
                    )
                rows.append((lineno, row))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise InputError(f"{path}: no such file") from None
        raise InputError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None
    return rows


def is_text(row: Any) -> bool:
    """Whether every string of a parsed JSON value is text: JSON escapes may write a lone surrogate,
    which no file, terminal or report can encode (red team s21: a `sample_id` of "\\ud800"
    stopped `check` and `label` with an internal error when they wrote their output)."""
    try:
        json.dumps(row, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text_field(row: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    """`row[key]` as a string; an optional field may be null or absent ("").

    A required field other than `prompt` must be non-empty.
    """
    value = row.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and key != "prompt" and not value):
        raise InputError(f"{where}: field {key!r} missing or not a string")
    return value


def id_text(value: Any) -> str | None:
    """An id as text: a string, or an integer as EvalPlus writes sample ids and MBPP numbers
    its tasks (11 and "11" are one id); None for anything else (`str()` made `[1]` an id
    "[1]" and NaN one "nan", which no user meant). bool is no integer here."""
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return str(value)
    return None


def task_id_field(row: Mapping[str, Any], where: str) -> str:
    """A row's `task_id` as text (`id_text`), not empty."""
    value = id_text(row.get("task_id"))
    if not value:
        raise InputError(f"{where}: field 'task_id' missing or not a string or an integer")
    return value


def _arg_lists(row: Mapping[str, Any], key: str, where: str, task_id: str) -> tuple[Any, ...]:
    """`row[key]` as a tuple of argument lists; `plus_input` may be null or empty ({} too)."""
    value = row.get(key)
    if key == "plus_input" and not value:
        return ()
    if not isinstance(value, list) or not all(isinstance(a, list) for a in value):
        raise InputError(f"{where}: task {task_id}: {key} is not a list of argument lists")
    return tuple(value)


def _atol(row: Mapping[str, Any], where: str, task_id: str) -> float:
    value = row.get("atol") or 0.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise InputError(f"{where}: task {task_id}: atol is not a finite number >= 0")
    return float(value)


def task_from_row(
    row: Mapping[str, Any], benchmark: str = "", where: str = "", *, reference: bool = True
) -> Task:
    """One release row as a Task; a missing or mistyped field is an InputError at `where`.

    This is the one validation of task rows (`label`'s release files and `check --tasks`
    files); `reference` False lets `canonical_solution` be absent.
    """
    where = where or f"benchmark row {row.get('task_id', '?')}"
    task_id = task_id_field(row, where)
    return Task(
        task_id=task_id,
        prompt=text_field(row, "prompt", where),
        entry_point=text_field(row, "entry_point", where),
        canonical_solution=text_field(row, "canonical_solution", where, required=reference),
        base_input=_arg_lists(row, "base_input", where, task_id),
        plus_input=_arg_lists(row, "plus_input", where, task_id),
        atol=_atol(row, where, task_id),
        contract=text_field(row, "contract", where, required=False),
        test=text_field(row, "test", where, required=False),
        assertion=text_field(row, "assertion", where, required=False),
        benchmark=benchmark,
    )


def tasks_by_id(path: Path, rows: Iterable[tuple[int, Task]]) -> dict[str, Task]:
    """(line number, task) pairs of `path` by task id; a repeated id is an InputError."""
    tasks: dict[str, Task] = {}
    lines: dict[str, int] = {}
    for lineno, task in rows:
        if task.task_id in tasks:
            first = lines[task.task_id]
            raise InputError(
                f"{path}:{lineno}: duplicate task id {task.task_id!r} (first on line {first})"
            )
        tasks[task.task_id] = task
        lines[task.task_id] = lineno
    return tasks


def load_benchmark_file(path: Path, name: str = "") -> dict[str, Task]:
    """Tasks of a release file by task id."""
    rows = read_jsonl_numbered(path)
    if not rows:
        raise InputError(f"{path}: empty benchmark file")
    return tasks_by_id(path, ((n, task_from_row(r, name, f"{path}:{n}")) for n, r in rows))


def load_benchmark(name: str, data_dir: str | os.PathLike[str] | None = None) -> dict[str, Task]:
    """Tasks of a named benchmark (see BENCHMARKS) or of a release file given by path."""
    spec = BENCHMARKS.get(name)
    if spec is None:
        require_regular(name)
        if Path(name).is_file():
            return load_benchmark_file(Path(name), Path(name).name)
        known = ", ".join(BENCHMARKS)
        raise InputError(f"unknown benchmark {name!r} (known: {known}, or a release file path)")
    return load_benchmark_file(data_file(spec.relpath, data_dir), spec.name)


def load_benchmarks_for(
    task_ids: set[str] | None, data_dir: str | os.PathLike[str] | None = None
) -> dict[str, Task]:
    """Full HumanEval+ and MBPP+ tasks covering the given ids (for mixed corpora)."""
    tasks: dict[str, Task] = {}
    for spec in (BENCHMARKS["humaneval+"], BENCHMARKS["mbpp+"]):
        if task_ids is None or any(t.startswith(spec.task_prefix) for t in task_ids):
            tasks.update(load_benchmark(spec.name, data_dir))
    return tasks
