"""The execution signals as a FeatureTable (`exec.*` columns) for `train` / `evaluate`.

Rows are computed as `check` computes them: per task, among the candidates that pass the
weak tests (`passed[i]`; with labels, the weak-test passers), each one against the others;
rows that do not pass get NaN, as `check` reports them as failing instead. `hstack` joins
it to the static table of the same candidates.

A task's rows take minutes to compute, so they are kept in the feature cache
(`auditor.features.cache`, extractor "exec") under a key over everything they depend on:
the exec schema, the `ExecConfig`, the task id, its weak inputs and the ordered sha256 of
its passers. Each task is stored as soon as it is done, so a killed run resumes.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from auditor.behavior.mutate import input_key
from auditor.execution.amplify import AMPLIFY_VERSION
from auditor.execution.consensus import CONSENSUS_VERSION
from auditor.execution.harness import HARNESS_VERSION
from auditor.execution.mutants import MUTANTS_VERSION
from auditor.execution.properties import PROPERTIES_VERSION
from auditor.execution.runner import ExecRunner
from auditor.execution.signals import COLUMNS, SCORE_INPUTS, ExecConfig, peer_score, task_block
from auditor.features.base import Extraction
from auditor.features.cache import FeatureCache
from auditor.types import Candidate, FeatureTable, Task

# What a cached task block holds (the sandbox's work); the table adds derived columns.
SCHEMA_VERSION = (
    f"exec-{AMPLIFY_VERSION}.{HARNESS_VERSION}.{MUTANTS_VERSION}.{CONSENSUS_VERSION}"
    f".p{PROPERTIES_VERSION}"
)
CACHE_EXTRACTOR = "exec"
# Computed from the block's columns whenever a table is built (training and check alike),
# so adding one re-runs nothing: the fixed peer score (`signals.peer_score`).
DERIVED = ("exec.peer_score",)
TABLE_COLUMNS: tuple[str, ...] = (*COLUMNS, *DERIVED)
TABLE_VERSION = f"{SCHEMA_VERSION}+score3"  # bump when `signals.peer_score` changes


def with_derived(values: np.ndarray) -> np.ndarray:
    """`values` over COLUMNS with the DERIVED columns appended (NaN without peers)."""
    score = peer_score(*(values[:, COLUMNS.index(c)] for c in SCORE_INPUTS))
    return np.column_stack([values, score])


def schema_hash(columns: Sequence[str] = TABLE_COLUMNS, version: str = TABLE_VERSION) -> str:
    """Hash of a table's (or, with COLUMNS and SCHEMA_VERSION, a cached block's) schema."""
    payload = json.dumps([list(columns), version])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def task_key(task: Task, shas: Sequence[str], cfg: ExecConfig) -> str:
    """Cache key of one task's rows (see the module docstring)."""
    block = schema_hash(COLUMNS, SCHEMA_VERSION)
    h = hashlib.sha256(f"{SCHEMA_VERSION}|{block}|{cfg!r}|{task.task_id}|".encode())
    for inp in task.base_input:
        h.update(input_key(inp).encode("utf-8", "surrogatepass") + b"\x00")
    h.update(b"|" + "\n".join(shas).encode())
    return h.hexdigest()


def _encode(block: np.ndarray) -> Extraction:
    rows = [[float(v) if math.isfinite(v) else None for v in row] for row in block]
    return Extraction(features={}, aux={"columns": list(COLUMNS), "rows": rows})


def _decode(x: Extraction, n: int) -> np.ndarray | None:
    rows = x.aux.get("rows")
    if x.aux.get("columns") != list(COLUMNS) or not isinstance(rows, list) or len(rows) != n:
        return None
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


def exec_table(
    candidates: Sequence[Candidate],
    tasks: Mapping[str, Task],
    passed: Sequence[bool],
    *,
    jobs: int = 2,
    cfg: ExecConfig | None = None,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> FeatureTable:
    """`exec.*` columns for `candidates` in input order (NaN where not passed / no task).

    With `cache_dir`, tasks found in the cache are not run (see the module docstring)."""
    cfg = cfg or ExecConfig()
    values = np.full((len(candidates), len(COLUMNS)), np.nan)
    by_task: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        if passed[i] and c.task_id in tasks and tasks[c.task_id].base_input:
            by_task.setdefault(c.task_id, []).append(i)
    with FeatureCache(cache_dir) as cache, ExecRunner(jobs) as run:
        keys = {
            t: task_key(tasks[t], [candidates[i].sha256 for i in rows], cfg)
            for t, rows in by_task.items()
        }
        found = cache.get(CACHE_EXTRACTOR, SCHEMA_VERSION, list(keys.values()))
        hits = 0
        for k, (task_id, rows) in enumerate(by_task.items(), 1):
            x = found.get(keys[task_id])
            block = _decode(x, len(rows)) if x is not None else None
            if block is None:
                codes = [candidates[i].code for i in rows]
                block = task_block(run, tasks[task_id], codes, [True] * len(rows), cfg).values
                cache.put(CACHE_EXTRACTOR, SCHEMA_VERSION, {keys[task_id]: _encode(block)})
            else:
                hits += 1
            values[rows] = block
            if progress is not None:
                progress(f"execution: task {k}/{len(by_task)} ({hits} from the cache)")
    return FeatureTable(
        keys=tuple((c.task_id, c.sample_id, c.sha256) for c in candidates),
        columns=TABLE_COLUMNS,
        values=with_derived(values),
        schema_version=TABLE_VERSION,
        schema_hash=schema_hash(),
    )


def rows_table(
    keys: Sequence[tuple[str, str, str]], rows: Sequence[Mapping[str, float]]
) -> FeatureTable:
    """`exec.*` columns from per-row feature maps (`check`'s `ExecResult.features`; a
    column absent from a map is NaN), in the order of `keys`."""
    values = np.array([[r.get(c, np.nan) for c in COLUMNS] for r in rows], dtype=float)
    return FeatureTable(
        keys=tuple(keys),
        columns=TABLE_COLUMNS,
        values=with_derived(values.reshape(len(keys), len(COLUMNS))),
        schema_version=TABLE_VERSION,
        schema_hash=schema_hash(),
    )


def hstack(static: FeatureTable, execution: FeatureTable) -> FeatureTable:
    """The two tables side by side (same rows in the same order). The static schema stays
    `schema_*`; the execution schema becomes `exec_schema_*`."""
    if static.keys != execution.keys:
        raise ValueError("tables have different rows")
    if static.exec_schema_hash is not None:
        raise ValueError("the static table already has execution columns")
    return FeatureTable(
        keys=static.keys,
        columns=(*static.columns, *execution.columns),
        values=np.hstack([static.values, execution.values]),
        schema_version=static.schema_version,
        schema_hash=static.schema_hash,
        tool_versions=static.tool_versions,
        labels=static.labels,
        exec_schema_version=execution.schema_version,
        exec_schema_hash=execution.schema_hash,
    )
