"""Findings and false-positive risk for `check`'s candidates.

When the model is given as a loader, features are extracted in a forked child while this
process loads the model: both can take a second or more of CPU (pylint and libcst
start-up; a model without its numpy export imports scikit-learn and skops) and are
independent, so on two cores they overlap. The child is only an optimisation: if it
fails, the features are computed here.

With execution (`check --tasks` / `--tests`), only the candidates that passed their weak
tests are scored, as training sees them: their static table is built among the passers of
each task, and a model trained with execution scores it again with the passers' `exec.*`
columns appended (`exec_risks`: the rows its exec feature sets scored).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from auditor.entrypoint import PendingCandidate
from auditor.types import Candidate, Finding

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from auditor.execution.gate import ExecResult
    from auditor.model import TrainedModel
    from auditor.types import FeatureTable

# A loaded model, or a loader that `check` calls while features are being extracted.
ModelSource = Union["TrainedModel", Callable[[], "TrainedModel"], None]
_Features = tuple[dict[str, tuple[Finding, ...]], "FeatureTable | None"]


@dataclass(frozen=True)
class Scores:
    """Risk by candidate index, findings by candidate sha256, and the model used.

    `risks` are static (no execution column); `exec_risks` the risks of the rows a model
    trained with execution scored with its exec feature sets (`exec_model`)."""

    risks: dict[int, float] = field(default_factory=dict)
    findings: dict[str, tuple[Finding, ...]] = field(default_factory=dict)
    model: TrainedModel | None = None
    exec_risks: dict[int, float] = field(default_factory=dict)

    @property
    def exec_model(self) -> bool:
        """Whether the model has exec feature sets (else execution's own risk is used)."""
        return self.model is not None and self.model.has_exec


def _features(readable: list[Candidate], scoreable: list[Candidate], jobs: int) -> _Features:
    """Findings of the readable candidates and the feature table of the scoreable ones.

    Findings first: the table then reuses their cached rules/ruff/pylint runs, so each tool
    runs once per candidate."""
    from auditor import features

    found = dict(features.findings(readable, jobs=jobs)) if readable else {}
    table = features.extract(scoreable, jobs=jobs) if scoreable else None
    return found, table


def _features_child(conn: Connection, *args: Any) -> None:
    # SIGTERM (`_stop`) ends the child. It was blocked across the fork (`_start`): the CLI's
    # handler, inherited, raises, and raised in an at-fork callback (random's reseed) it is
    # only printed, "Exception ignored", and the child went on computing every feature.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    os.setpgid(0, 0)  # its own process group, so the parent can stop it with its workers
    try:
        result: _Features | None = _features(*args)
    except BaseException:  # the parent recomputes in-process and reports the real error
        result = None
    try:
        conn.send(result)
    finally:
        conn.close()


def _features_while_loading(
    readable: list[Candidate],
    scoreable: list[Candidate],
    jobs: int,
    load: Callable[[], TrainedModel],
) -> tuple[_Features, TrainedModel]:
    """Extract features in a forked child while this process loads the model."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        model = load()
        return _features(readable, scoreable, jobs), model
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_features_child, args=(send, readable, scoreable, jobs))
    for stream in (sys.stdout, sys.stderr):  # or the child would write their buffers again
        stream.flush()
    _start(child)
    send.close()
    result: _Features | None = None
    try:
        model = load()
        try:
            result = receive.recv()  # before join: a large result fills the pipe
        except EOFError:  # the child died
            result = None
    finally:
        receive.close()
        if child.is_alive() and result is None:
            _stop(child.pid)
        child.join()
    return (result if result is not None else _features(readable, scoreable, jobs)), model


def _start(child: BaseProcess) -> None:
    """Start the features child with SIGTERM blocked until it has its own handling of it
    (`_features_child`); here a SIGTERM waits the few milliseconds of the fork."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        child.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _stop(pid: int | None) -> None:
    """Stop the features child and the workers it started (its process group)."""
    if pid is None:
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:  # not a group leader yet, so it has no workers yet
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def _exec_risks(
    model: TrainedModel, table: FeatureTable, idx: Sequence[int], executed: Mapping[int, ExecResult]
) -> dict[int, float]:
    """Risk of the rows the model's exec sets score, on `table` with the exec columns."""
    from auditor.execution.table import hstack, rows_table
    from auditor.model.context import EXEC_SETS

    rows = [executed[i].features if i in executed else {} for i in idx]
    joined = hstack(table, rows_table(table.keys, rows))
    risk, used = model.predict_routed(joined)
    return {i: float(r) for i, r, u in zip(idx, risk, used, strict=True) if u in EXEC_SETS}


def score(
    pending: Sequence[PendingCandidate],
    model: ModelSource,
    jobs: int,
    executed: Mapping[int, ExecResult] | None = None,
) -> Scores:
    """Findings for every readable candidate and risk for the scoreable ones (with
    `executed`, the scoreable ones that passed their weak tests; see the module doc)."""
    executed = executed or {}
    readable = [it.candidate for it in pending if not it.problems]
    idx = (
        [
            i
            for i, it in enumerate(pending)
            if it.scoreable and (i not in executed or executed[i].passed)
        ]
        if model is not None
        else []
    )
    scoreable = [pending[i].candidate for i in idx]
    if callable(model):
        if readable:
            (found, table), model = _features_while_loading(readable, scoreable, jobs, model)
        else:
            (found, table), model = ({}, None), model()
    else:
        found, table = _features(readable, scoreable, jobs)
    risks: dict[int, float] = {}
    exec_risks: dict[int, float] = {}
    if model is not None and table is not None:
        values = model.predict_risk(table)
        risks = {i: float(v) for i, v in zip(idx, values, strict=True)}
        if executed and model.has_exec:
            exec_risks = _exec_risks(model, table, idx, executed)
    return Scores(risks, found, model, exec_risks)
