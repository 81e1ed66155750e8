"""`check`'s execution results kept per task, so that an interrupted run resumes.

`check SAMPLES --tasks T --exec-cache DIR` stores each task's `ExecResult`s in the feature
cache's database in DIR (extractor "check-exec") as soon as the task is done; a rerun finds
them there and runs only the tasks it has not. The key is over everything a task's results
depend on: the exec schema and `ExecConfig`, the gate's version, the budget, every field of
the task the weak tests and the signals read, and the ordered sha256 of its candidates'
code (peers are part of each candidate's result). A task with a candidate the sandbox could
not run (`Outcome.ERROR`) is not stored, so a rerun tries it again, as `label` does.
Entries are written by the trusted side only; whoever can write DIR can change what `check`
reports, as for the feature cache.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.behavior.mutate import input_key
from auditor.execution.gate import ExecResult
from auditor.execution.signals import ExecConfig
from auditor.execution.table import SCHEMA_VERSION
from auditor.features.base import Extraction
from auditor.features.cache import FeatureCache
from auditor.types import Outcome, Task

EXTRACTOR = "check-exec"
# Bump when `gate.execute_task` (verdicts, which signals run, the risk) changes what it
# returns for the same inputs; the exec schema covers the signals themselves, except where
# a change must keep the packaged model's exec schema: 2, the pilots' drops confirmed by a
# second group of peers (`signals._pilot`) and the properties counted only on a rerun that
# gives its cluster's vector (`properties.violation_shares`), red team s23; 3, past half the
# budget the solo signals run for the contenders instead of for nobody, and a HumanEval-form
# test's `math.isclose`, `approx(rel=, abs=)` and ordering (`f(x) > V`) asserts are judged;
# 4, a test's loops over `D.items()`, `zip` and `enumerate` and a test class's setUp
# attributes (`self.x = V`) are followed, and `indirect=` parametrize arguments are not
# taken as the test's values, and only asserts that run are judged (a known `if`'s branch;
# not a skip/xfail test, an unknown branch or what follows a `continue`), membership
# (`f(x) in V`, assertIn) judged, a helper called as a statement read at each call (QA s25).
GATE_VERSION = "4"
VERSION = f"{SCHEMA_VERSION}|gate{GATE_VERSION}|{__version__}"


def task_key(task: Task, codes: Sequence[str], cfg: ExecConfig, budget_s: float | None) -> str:
    """Cache key of one task's results for these candidates, in this order."""
    h = hashlib.sha256(f"{cfg!r}|budget={budget_s!r}|atol={task.atol!r}".encode())
    for text in (
        task.task_id,
        task.prompt,
        task.entry_point,
        task.canonical_solution,
        task.contract,
        task.test,
        task.assertion,
    ):
        h.update(b"\x00" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
    for inp in task.base_input:
        h.update(b"\x01" + input_key(inp).encode("utf-8", "surrogatepass"))
    for code in codes:
        h.update(b"\x02" + hashlib.sha256(code.encode("utf-8", "surrogatepass")).digest())
    return h.hexdigest()


def _encode(results: Sequence[ExecResult]) -> Extraction:
    rows = [
        {
            "verdict": None if r.verdict is None else r.verdict.value,
            "weak_tests": r.weak_tests,
            "function": r.function,
            "unjudged": r.unjudged,
            "features": dict(r.features),
            "signals": list(r.signals),
            "risk": r.risk,
            "tampered": list(r.tampered),
            "failed": r.failed,
        }
        for r in results
    ]
    return Extraction(aux={"results": rows})


def _decode_one(row: dict[str, Any]) -> ExecResult:
    verdict = row["verdict"]
    return ExecResult(
        verdict=None if verdict is None else Outcome(verdict),
        weak_tests=str(row["weak_tests"]),
        function=str(row["function"]),
        unjudged=int(row["unjudged"]),
        features={str(k): float(v) for k, v in row["features"].items()},
        signals=tuple(str(s) for s in row["signals"]),
        risk=None if row["risk"] is None else float(row["risk"]),
        tampered=tuple(str(t) for t in row["tampered"]),
        failed=str(row.get("failed", "")),
    )


def _decode(x: Extraction, n: int) -> list[ExecResult] | None:
    """The stored results, or None when the entry is not n well-formed rows (then the task
    runs again: a damaged entry costs time, never a wrong report)."""
    rows = x.aux.get("results")
    if not isinstance(rows, list) or len(rows) != n:
        return None
    try:
        out = [_decode_one(row) for row in rows]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if any(r.risk is not None and not math.isfinite(r.risk) for r in out):
        return None
    return out


class TaskStore:
    """`gate.ResultStore` over the feature cache in `directory` (None: stores nothing)."""

    def __init__(self, directory: Path | None) -> None:
        self.cache = FeatureCache(directory)

    def get(
        self, task: Task, codes: Sequence[str], cfg: ExecConfig, budget_s: float | None
    ) -> list[ExecResult] | None:
        key = task_key(task, codes, cfg, budget_s)
        found = self.cache.get(EXTRACTOR, VERSION, [key]).get(key)
        return None if found is None else _decode(found, len(codes))

    def put(
        self,
        task: Task,
        codes: Sequence[str],
        cfg: ExecConfig,
        budget_s: float | None,
        results: Sequence[ExecResult],
    ) -> None:
        """Store a finished task, unless the sandbox failed to run one of its candidates."""
        if all(r.verdict is not Outcome.ERROR for r in results):
            key = task_key(task, codes, cfg, budget_s)
            self.cache.put(EXTRACTOR, VERSION, {key: _encode(results)})

    def __enter__(self) -> TaskStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cache.close()
