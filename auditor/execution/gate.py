"""Execution for `check`: weak-test verdicts, then execution signals of the passers.

`execute(candidates, tasks)` (a samples file with `--tasks`) or `execute(candidates, tasks,
tests=...)` (one file with `--tests`) returns one `ExecResult` per candidate: its weak-test
verdict, its `exec.*` features, which signals were used, and -- when it has peers -- an
execution risk: the fixed peer score (1 - cluster share + 0.2 (1 - wide share) + 0.2
property excess + 0.1 mutant survival + 0.02 slowdown, `signals.peer_score`) through a
logistic calibration measured on
the shared corpora (PEER_CALIBRATION; see reports/execution/README.md), used when the model
has no exec sets. No reference judges any generated input, and `plus_input` is
never read (tasks reach this module with it emptied, see `tasks.load_tasks`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from auditor.entrypoint import parameters
from auditor.execution.harvest import Harvest, harvest
from auditor.execution.runner import ExecRunner
from auditor.execution.signals import COLUMNS, SCORE_INPUTS, ExecConfig, peer_score, task_block
from auditor.execution.verify import AssertVerdict, by_asserts, by_reference
from auditor.types import Candidate, Outcome, Task

# Platt scaling of peer_score (with the wide-share, property and slowdown tie-breaks),
# fitted on the weak-test passers of codegen16b, davinci002 and qwen25coder7b (21,458 rows
# with peers; task-grouped out-of-fold Brier 0.091 vs 0.112 for the base rate, ECE 0.028;
# `bench_execution.calibration`). Used only when the model has no exec sets: the packaged
# model's `exec-peers` calibrates the same score.
PEER_CALIBRATION = (3.0831, -2.8302)


@dataclass(frozen=True)
class ExecResult:
    """What execution found about one candidate.

    `verdict` is the weak tests' outcome (None when no weak test asserts an output);
    `weak_tests` says where they came from (reference, asserts, none); `signals` lists the
    families used (weak-tests, consensus, solo); `risk` is the execution risk when the
    candidate passed and had peers, else None.
    """

    verdict: Outcome | None
    weak_tests: str
    # The function the execution signals ran: the entry point, or with a tests file the
    # one the tests call most (the weak tests judge every function they call).
    function: str = ""
    # Asserts of the weak tests not judged: `Harvest.unjudged`, and those on an output with
    # an `==` of its own (`verify.AssertVerdict`).
    unjudged: int = 0
    features: Mapping[str, float] = field(default_factory=dict)
    signals: tuple[str, ...] = ()
    risk: float | None = None
    # What the harness's canaries caught: the candidate's process rewrote what it reports
    # about its lines or mutants (`solo.tamper_evidence`); empty when nothing was caught.
    tampered: tuple[str, ...] = ()
    # The first weak-test assert it failed, as the test states it (`verify.described`).
    failed: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict in (Outcome.PASS, None)


def execution_risk(
    cluster_share: float,
    mutant_survival: float,
    slowdown: float = math.nan,
    wide_share: float = math.nan,
    prop_excess: float = math.nan,
) -> float | None:
    """The calibrated peer score as a probability (None without a cluster share)."""
    if not math.isfinite(cluster_share):
        return None
    values = (cluster_share, mutant_survival, slowdown, wide_share, prop_excess)
    raw = float(peer_score(*(np.array([v]) for v in values))[0])
    a, b = PEER_CALIBRATION
    return 1.0 / (1.0 + math.exp(-(a * raw + b)))


def _weak_asserts(task: Task, tests: Harvest | None) -> Harvest | None:
    """The asserts that are the weak tests: a tests file's, else a HumanEval-form task's
    (None when the reference decides, or when its test has no call to read, `tasks`)."""
    if tests is not None or task.canonical_solution or not (task.test and task.base_input):
        return tests
    params = parameters(task.prompt, task.entry_point)
    names = {"candidate": task.entry_point, task.entry_point: task.entry_point}
    return harvest(task.test, names, where=task.task_id, params=params)


def _verdicts(
    run: ExecRunner, task: Task, codes: Sequence[str], tests: Harvest | None
) -> tuple[list[AssertVerdict], str]:
    """Per code, its weak-test outcome, the asserts not judged and the first failed;
    where the tests came from."""
    if tests is not None:
        got = by_asserts(run, task.task_id, codes, tests)
        return [replace(g, unjudged=tests.unjudged + g.unjudged) for g in got], "asserts"
    if task.canonical_solution and task.base_input:
        return [AssertVerdict(o) for o in by_reference(run, task, codes)], "reference"
    return [AssertVerdict(None)] * len(codes), "none"


def execute_task(
    run: ExecRunner,
    task: Task,
    codes: Sequence[str],
    *,
    tests: Harvest | None = None,
    cfg: ExecConfig | None = None,
    budget_s: float | None = None,
) -> list[ExecResult]:
    """ExecResults of one task's candidates. With `budget_s`, the guided round runs only
    within the first half of it, and past that half the solo signals run only for the
    candidates the pick could still choose (`signals.contenders`); verdicts and the first
    consensus round always run (each program's own time limits bound them)."""
    cfg = cfg or ExecConfig()
    t0 = time.monotonic()
    tests = _weak_asserts(task, tests)
    own = None if tests is None else tests.of(task.entry_point)  # the signals' function
    if own is not None:
        task = replace(task, base_input=tuple(list(a) for a in own.calls()))
    judged, source = _verdicts(run, task, codes, tests)
    verdicts = [j.outcome for j in judged]
    ok = [i for i, v in enumerate(verdicts) if v in (Outcome.PASS, None)]
    out = [
        ExecResult(
            j.outcome,
            source,
            task.entry_point,
            signals=("weak-tests",) if j.outcome else (),
            unjudged=j.unjudged,
            failed=j.failed,
        )
        for j in judged
    ]
    if not ok or not task.base_input:
        return out
    solo_until = None if budget_s is None else t0 + budget_s / 2
    block = task_block(
        run, task, [codes[i] for i in ok], [True] * len(ok), cfg, solo_until=solo_until,
        tests=own,
    )  # fmt: skip
    for r, i in enumerate(ok):
        row, caught = block.values[r], block.tampered[r]
        out[i] = _result(out[i], row, len(ok) > 1, block.with_solo[r], caught)
    return out


def _result(
    base: ExecResult, row: np.ndarray, has_peers: bool, with_solo: bool, tampered: tuple[str, ...]
) -> ExecResult:
    features = {c: float(v) for c, v in zip(COLUMNS, row, strict=True) if np.isfinite(v)}
    signals = (
        base.signals + (("consensus",) if has_peers else ()) + (("solo",) if with_solo else ())
    )
    risk = None
    if has_peers:
        risk = execution_risk(*(features.get(c, math.nan) for c in SCORE_INPUTS))
    return replace(base, features=features, signals=signals, risk=risk, tampered=tampered)


class ResultStore(Protocol):
    """Where `execute` keeps each finished task's results (`task_store.TaskStore`)."""

    def get(
        self, task: Task, codes: Sequence[str], cfg: ExecConfig, budget_s: float | None
    ) -> list[ExecResult] | None: ...

    def put(
        self,
        task: Task,
        codes: Sequence[str],
        cfg: ExecConfig,
        budget_s: float | None,
        results: Sequence[ExecResult],
    ) -> None: ...


def execute(
    candidates: Sequence[Candidate],
    tasks: Mapping[str, Task],
    *,
    tests: Harvest | None = None,
    budget_s: float | None = None,
    jobs: int = 2,
    cfg: ExecConfig | None = None,
    store: ResultStore | None = None,
    done: Callable[[], object] | None = None,
) -> list[ExecResult]:
    """ExecResults in candidate order; every candidate's task must be in `tasks`. With a
    `store`, a task it holds for the same candidates is not run, and each task run is put
    there as soon as it is done (an interrupted run resumes). `done` is called after each
    task (a progress bar's tick)."""
    cfg = cfg or ExecConfig()
    by_task: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        by_task.setdefault(c.task_id, []).append(i)
    out: list[ExecResult | None] = [None] * len(candidates)
    with ExecRunner(jobs) as run:  # the sandbox starts only when a task is run
        for task_id, rows in by_task.items():
            task, codes = tasks[task_id], [candidates[i].code for i in rows]
            got = store.get(task, codes, cfg, budget_s) if store is not None else None
            if got is None:
                got = execute_task(run, task, codes, tests=tests, cfg=cfg, budget_s=budget_s)
                if store is not None:
                    store.put(task, codes, cfg, budget_s, got)
            for i, res in zip(rows, got, strict=True):
                out[i] = res
            if done is not None:
                done()
    return [r for r in out if r is not None]
