"""Benchmark loaders: HumanEval+ (full and Mini) and MBPP+ in EvalPlus release format."""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Mapping
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


def read_jsonl_numbered(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs of a JSONL file, plain or gzip; blank lines skipped.

    Errors name the file and line.
    """
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        with open_text(path) as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{lineno}: malformed JSON: {exc.msg}") from None
                if not isinstance(row, dict):
                    raise InputError(f"{path}:{lineno}: expected a JSON object")
                rows.append((lineno, row))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise InputError(f"{path}: no such file") from None
        raise InputError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None
    return rows


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file, plain or gzip; errors name the file and line."""
    return [row for _, row in read_jsonl_numbered(path)]


def task_from_row(row: Mapping[str, Any], benchmark: str = "") -> Task:
    """One release row as a Task."""
    try:
        return Task(
            task_id=row["task_id"],
            prompt=row["prompt"],
            entry_point=row["entry_point"],
            canonical_solution=row["canonical_solution"],
            base_input=tuple(row["base_input"]),
            plus_input=tuple(row.get("plus_input") or ()),
            atol=float(row.get("atol") or 0.0),
            contract=row.get("contract") or "",
            test=row.get("test") or "",
            assertion=row.get("assertion") or "",
            benchmark=benchmark,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"benchmark row {row.get('task_id', '?')}: bad field {exc}") from None


def load_benchmark_file(path: Path, name: str = "") -> dict[str, Task]:
    """Tasks of a release file by task id."""
    rows = read_jsonl(path)
    if not rows:
        raise InputError(f"{path}: empty benchmark file")
    return {t.task_id: t for t in (task_from_row(r, name) for r in rows)}


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
