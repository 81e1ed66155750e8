"""The execution signals as a FeatureTable (`exec.*` columns) for `train` / `evaluate`.

Rows are computed as `check` computes them: per task, among the candidates that pass the
weak tests (`passed[i]`; with labels, the weak-test passers), each one against the others;
rows that do not pass get NaN, as `check` reports them as failing instead. `hstack` joins
it to the static table of the same candidates.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

import numpy as np

from auditor.execution.amplify import AMPLIFY_VERSION
from auditor.execution.harness import HARNESS_VERSION
from auditor.execution.mutants import MUTANTS_VERSION
from auditor.execution.runner import ExecRunner
from auditor.execution.signals import COLUMNS, ExecConfig, task_block
from auditor.types import Candidate, FeatureTable, Task

SCHEMA_VERSION = f"exec-{AMPLIFY_VERSION}.{HARNESS_VERSION}.{MUTANTS_VERSION}"


def schema_hash(columns: Sequence[str] = COLUMNS) -> str:
    payload = json.dumps([list(columns), SCHEMA_VERSION])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def exec_table(
    candidates: Sequence[Candidate],
    tasks: Mapping[str, Task],
    passed: Sequence[bool],
    *,
    jobs: int = 2,
    cfg: ExecConfig | None = None,
) -> FeatureTable:
    """`exec.*` columns for `candidates` in input order (NaN where not passed / no task)."""
    values = np.full((len(candidates), len(COLUMNS)), np.nan)
    by_task: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        if passed[i] and c.task_id in tasks and tasks[c.task_id].base_input:
            by_task.setdefault(c.task_id, []).append(i)
    with ExecRunner(jobs) as run:
        for task_id, rows in by_task.items():
            codes = [candidates[i].code for i in rows]
            block, _, _ = task_block(run, tasks[task_id], codes, [True] * len(rows), cfg)
            values[rows] = block
    return FeatureTable(
        keys=tuple((c.task_id, c.sample_id, c.sha256) for c in candidates),
        columns=COLUMNS,
        values=values,
        schema_version=SCHEMA_VERSION,
        schema_hash=schema_hash(),
    )


def hstack(static: FeatureTable, execution: FeatureTable) -> FeatureTable:
    """The two tables side by side (same rows in the same order)."""
    if static.keys != execution.keys:
        raise ValueError("tables have different rows")
    columns = (*static.columns, *execution.columns)
    return FeatureTable(
        keys=static.keys,
        columns=columns,
        values=np.hstack([static.values, execution.values]),
        schema_version=f"{static.schema_version}+{execution.schema_version}",
        schema_hash=hashlib.sha256(
            f"{static.schema_hash}|{execution.schema_hash}".encode()
        ).hexdigest()[:16],
        tool_versions=static.tool_versions,
        labels=static.labels,
    )
