"""Tasks for `check --tasks`: a named benchmark, or a task file in EvalPlus or HumanEval form.

EvalPlus form: `task_id`, `prompt`, `entry_point`, `base_input` (a list of argument lists),
optional `atol` and `canonical_solution` (which then gives the expected outputs of
`base_input`, and nothing else). HumanEval form: `test` holding a `check(candidate)`
function of asserts; its calls whose arguments are known without running it become
`base_input` (`harvest`). A test with none (inputs drawn at random) leaves `base_input`
empty. A task with no expected output (neither reference nor test, or such a test) leaves
its candidates without a verdict ("not verified"), which `check` counts on stderr.
`plus_input` is never read from a task file. Rows are validated as `label`'s release rows
are (`corpus.benchmarks.task_from_row`), and a task id may appear only once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from auditor.corpus.benchmarks import (
    BENCHMARKS,
    load_benchmark,
    read_jsonl_numbered,
    task_from_row,
    tasks_by_id,
    text_field,
)
from auditor.entrypoint import parameters
from auditor.errors import InputError
from auditor.execution.harvest import NoCalls, harvest
from auditor.types import Task


def task_from_file_row(row: Mapping[str, Any], where: str, benchmark: str = "") -> Task:
    """One task-file row as a Task (plus_input empty; see the module docstring)."""
    task_id = text_field(row, "task_id", where)
    prompt = text_field(row, "prompt", where)
    entry = text_field(row, "entry_point", where)
    test = text_field(row, "test", where, required=False)
    base = row.get("base_input")
    if base is None:
        if not test:
            raise InputError(f"{where}: task {task_id} has neither base_input nor test")
        try:
            found = harvest(test, {"candidate": entry, entry: entry}, where=where,
                            params=parameters(prompt, entry)).calls()  # fmt: skip
        except NoCalls:
            found = ()
        base = [list(args) for args in found]
    fields = {**row, "base_input": base, "plus_input": None}
    return task_from_row(fields, benchmark, where, reference=False)


def load_tasks(spec: str, data_dir: str | os.PathLike[str] | None = None) -> dict[str, Task]:
    """Tasks by id from a benchmark name (humaneval+, mbpp+) or a task file path."""
    if spec in BENCHMARKS:  # plus_input dropped here: nothing downstream can use it
        return {k: replace(t, plus_input=()) for k, t in load_benchmark(spec, data_dir).items()}
    path = Path(spec)
    if not path.is_file():
        known = ", ".join(BENCHMARKS)
        raise InputError(f"--tasks {spec}: neither a benchmark ({known}) nor a file")
    rows = read_jsonl_numbered(path)
    if not rows:
        raise InputError(f"{path}: no tasks")
    return tasks_by_id(
        path, ((n, task_from_file_row(r, f"{path}:{n}", path.name)) for n, r in rows)
    )
