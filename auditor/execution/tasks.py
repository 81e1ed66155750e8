"""Tasks for `check --tasks`: a named benchmark, or a task file in EvalPlus, HumanEval or
MBPP form.

EvalPlus form: `task_id`, `prompt`, `entry_point`, `base_input` (a list of argument lists),
optional `atol` and `canonical_solution` (which then gives the expected outputs of
`base_input`, and nothing else). HumanEval form: `test` holding a `check(candidate)`
function of asserts; its calls whose arguments are known without running it become
`base_input` (`harvest`). A test with none (inputs drawn at random) leaves `base_input`
empty. MBPP form (the rows of Google's MBPP releases): `test_list`, a list of assert
strings, read as a HumanEval-form test made of `test_imports`, `test_setup_code` and the
asserts (`mbpp_fields`); `code` (the reference) and `challenge_test_list` are never read.
A task id may be an integer (11 and "11" are one id, as in samples files). A task with no
expected output (neither reference nor test, or such a test) leaves its candidates without
a verdict ("not verified"), which `check` counts on stderr.
`plus_input` is never read from a task file. Rows are validated as `label`'s release rows
are (`corpus.benchmarks.task_from_row`), and a task id may appear only once.
"""

from __future__ import annotations

import ast
import builtins
import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from auditor.corpus.benchmarks import (
    BENCHMARKS,
    load_benchmark,
    read_jsonl_numbered,
    task_from_row,
    task_id_field,
    tasks_by_id,
    text_field,
)
from auditor.entrypoint import module_names, parameters
from auditor.errors import InputError
from auditor.execution.harvest import NoCalls, harvest
from auditor.parse import python_ast
from auditor.types import Task

# Fields of the other forms, which an MBPP-form row must not mix in: which would decide?
NOT_MBPP = ("test", "base_input", "canonical_solution")


def mbpp_fields(row: Mapping[str, Any], where: str, task_id: str) -> dict[str, Any]:
    """The HumanEval-form fields of an MBPP-form row: `test` (the imports, the setup code,
    the asserts), `entry_point` (given, or the function the asserts call) and `prompt`
    (the row's, when it is code defining the entry point; else "", and the task takes
    whole programs only). Nothing of the row is run."""
    mixed = [k for k in NOT_MBPP if row.get(k) is not None]
    if mixed:
        raise InputError(f"{where}: task {task_id}: test_list and {mixed[0]}: give one form")
    asserts = _strings(row, "test_list", where, task_id)
    if not asserts:
        raise InputError(f"{where}: task {task_id}: test_list is empty")
    setup = "\n".join([*_strings(row, "test_imports", where, task_id),
                       text_field(row, "test_setup_code", where, required=False)])  # fmt: skip
    entry = row.get("entry_point")
    if entry is None:
        entry = _called(asserts, module_names(setup), where, task_id)
    else:
        entry = text_field(row, "entry_point", where)
    prompt = text_field(row, "prompt", where, required=False)
    code = re.search(rf"^\s*(async\s+)?def\s+{re.escape(entry)}\s*\(", prompt, re.M)
    test = "\n".join([setup, *asserts]) + "\n"
    return {"test": test, "entry_point": entry, "prompt": prompt if code else ""}


def _strings(row: Mapping[str, Any], key: str, where: str, task_id: str) -> list[str]:
    """`row[key]` as a list of strings (absent or null: empty)."""
    value = row.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: task {task_id}: {key} is not a list of strings")
    return value


def _called(asserts: list[str], bound: frozenset[str], where: str, task_id: str) -> str:
    """The one function the asserts call by a name that is no builtin and not bound by the
    imports or setup code (`count_vowels` in `assert count_vowels("banana") == len("abc")`)."""
    tree = python_ast("\n".join(asserts))
    if not isinstance(tree, ast.Module):
        why = f" (line {tree.lineno}: {tree.msg})" if isinstance(tree, SyntaxError) else ""
        raise InputError(f"{where}: task {task_id}: test_list does not parse{why}")
    known = bound | set(dir(builtins))
    names = sorted(
        {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
         and isinstance(n.func, ast.Name) and n.func.id not in known}
    )  # fmt: skip
    if len(names) != 1:
        found = f"call {len(names)} functions ({', '.join(names)})" if names else "call no function"
        raise InputError(
            f"{where}: task {task_id}: its asserts {found}; give the tested one as entry_point"
        )
    return names[0]


def task_from_file_row(row: Mapping[str, Any], where: str, benchmark: str = "") -> Task:
    """One task-file row as a Task (plus_input empty; see the module docstring)."""
    task_id = task_id_field(row, where)
    mbpp = "test_list" in row
    if mbpp:
        row = {**row, **mbpp_fields(row, where, task_id)}
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
    task = task_from_row(fields, benchmark, where, reference=False)
    # A prose prompt was dropped: a completion would have nothing to follow.
    return replace(task, completes=not mbpp or bool(task.prompt))


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
