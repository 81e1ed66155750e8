"""Tasks for `check --tasks`: a named benchmark, or a task file in EvalPlus or HumanEval form.

EvalPlus form: `task_id`, `prompt`, `entry_point`, `base_input` (a list of argument lists),
optional `atol` and `canonical_solution` (which then gives the expected outputs of
`base_input`, and nothing else). HumanEval form: `test` holding a `check(candidate)`
function of asserts; its calls whose arguments are known without running it become
`base_input` (`harvest`). A test with none (inputs drawn at random) leaves `base_input`
empty: the task's candidates are then scored without execution, which `check` says once
on stderr.
`plus_input` is never read from a task file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from auditor.corpus.benchmarks import BENCHMARKS, load_benchmark, read_jsonl
from auditor.entrypoint import parameters
from auditor.errors import InputError
from auditor.execution.harvest import NoCalls, harvest
from auditor.types import Task


def _text(row: Mapping[str, Any], key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or (key != "prompt" and not value):
        raise InputError(f"{where}: field {key!r} missing or not a string")
    return value


def task_from_file_row(row: Mapping[str, Any], where: str) -> Task:
    """One task-file row as a Task (plus_input empty; see the module docstring)."""
    task_id = _text(row, "task_id", where)
    entry = _text(row, "entry_point", where)
    test = row.get("test") or ""
    base = row.get("base_input")
    if base is None:
        if not isinstance(test, str) or not test:
            raise InputError(f"{where}: task {task_id} has neither base_input nor test")
        try:
            found = harvest(test, ["candidate", entry], where=where,
                            params=parameters(row.get("prompt") or "", entry)).inputs  # fmt: skip
        except NoCalls:
            found = ()
        base = [list(args) for args in found]
    if not isinstance(base, list) or not all(isinstance(a, list | tuple) for a in base):
        raise InputError(f"{where}: task {task_id}: base_input is not a list of argument lists")
    try:
        atol = float(row.get("atol") or 0.0)
    except (TypeError, ValueError):
        raise InputError(f"{where}: task {task_id}: atol is not a number") from None
    return Task(
        task_id=task_id,
        prompt=_text(row, "prompt", where),
        entry_point=entry,
        canonical_solution=str(row.get("canonical_solution") or ""),
        base_input=tuple(base),
        plus_input=(),
        atol=atol,
        test=test if isinstance(test, str) else "",
        assertion=str(row.get("assertion") or ""),
        benchmark=Path(where).name,
    )


def load_tasks(spec: str, data_dir: str | os.PathLike[str] | None = None) -> dict[str, Task]:
    """Tasks by id from a benchmark name (humaneval+, mbpp+) or a task file path."""
    if spec in BENCHMARKS:  # plus_input dropped here: nothing downstream can use it
        return {k: replace(t, plus_input=()) for k, t in load_benchmark(spec, data_dir).items()}
    path = Path(spec)
    if not path.is_file():
        known = ", ".join(BENCHMARKS)
        raise InputError(f"--tasks {spec}: neither a benchmark ({known}) nor a file")
    rows = read_jsonl(path)
    if not rows:
        raise InputError(f"{path}: no tasks")
    tasks = [task_from_file_row(r, f"{path}:{k + 1}") for k, r in enumerate(rows)]
    return {t.task_id: t for t in tasks}
