"""The sandbox's view of a benchmark task: dataset kind, original tests, `TaskSpec`."""

from __future__ import annotations

from auditor.sandbox.runner import TaskSpec
from auditor.types import Task


def dataset_of(task: Task) -> str:
    """EvalPlus dataset kind of a task; selects the special oracles and MBPP input decoding."""
    if task.task_id.startswith("HumanEval"):
        return "humaneval"
    if task.task_id.startswith("Mbpp"):
        return "mbpp"
    return "humaneval" if task.test and not task.assertion else "mbpp"


def original_tests(task: Task) -> str:
    """Program suffix running the benchmark's own tests against the entry point."""
    if dataset_of(task) == "humaneval":
        return f"{task.test}\n\ncheck({task.entry_point})\n" if task.test else ""
    return task.assertion


def task_spec(task: Task, *, with_original: bool = False) -> TaskSpec:
    """The sandbox's view of a task (the reference is prompt + canonical solution)."""
    return TaskSpec(
        task_id=task.task_id,
        dataset=dataset_of(task),
        entry_point=task.entry_point,
        reference=task.reference,
        base_input=task.base_input,
        plus_input=task.plus_input,
        atol=task.atol,
        original=original_tests(task) if with_original else "",
    )
