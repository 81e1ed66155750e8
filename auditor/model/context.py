"""Feature sets and the task context, in numpy only (the `check` load path imports this).

The task context of a row is each base column's mean and standard deviation over the rows
of its batch: the candidates of one task scored together (one model's samples of a task).
The estimators receive the feature columns plus one last column, the batch code, and compute
the context themselves (`auditor.model.transform.TaskContext`, or `ContextClassifier` around
a numpy export).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# Features that need the task itself (reference solution, prompt, tests, weak-test inputs).
# `auditor check` has them only when told the benchmark, so they get their own feature set.
NEEDS_TASK = (
    "rel.ref_",
    "rel.lits_not_in_ref",
    "rel.lits_in_prompt",
    "rel.lits_in_tests",
    "behavior.",
)
CONTEXT_PREFIX = "task."
# Columns the task's prompt drives rather than the candidate: a HumanEval-form candidate
# carries the prompt's docstring (its lines, long lines, comment share), an MBPP-form one has
# none, and chat models drop or rewrite it. Among one task's candidates they barely vary, so
# a single-candidate model learns from them which training tasks had many false positives and
# flags unseen tasks whose docstrings look alike. `exec-solo` leaves them out: in the model
# card's 3 task-grouped folds its held-out flags at risk 0.5 went from 227 (11 false
# positives; two tasks with none, whose long docstrings weighed most) to 2 (1), and over six
# shuffled splits within-task ROC-AUC stayed 0.63 (reports/execution/README.md). On static
# `solo` the same cut measured mixed (pooled -0.01, flags 95 (10 FPs) -> 30 (3)): kept there.
PROMPT_DRIVEN = (
    "radon.loc",
    "radon.sloc",
    "radon.blank",
    "radon.comments",
    "radon.multi",
    "radon.mi",
    "ruff.E501",
    "pylint.missing-function-docstring",
    "rules.AUD105",
)
SETS = ("task", "peers", "solo")
# Execution signals (`auditor.execution`, `exec.*` columns), present when a table was built
# with execution: `exec-peers` when the candidate had peers among the weak-test passers,
# `exec-solo` for a candidate alone. The static sets never see them.
EXEC_PREFIX = "exec."
EXEC_SETS = ("exec-peers", "exec-solo")
ALL_SETS = (*SETS, *EXEC_SETS)
EXEC_PEER_MARK = "exec.cluster_share"  # finite exactly when the candidate had peers
EXEC_SCORE = "exec.peer_score"  # the fixed peer score (`auditor.execution.table.DERIVED`)
# Exec columns get no task context: `exec-peers` is the fixed peer score alone and
# `exec-solo` reads single-candidate columns, so no set would read it. (Gradient boosting
# over every exec column with their context was the replaced `exec-peers`; dropping that
# context changed the columns a saved model indexes into: MODEL_FORMAT 2.)


def default_cv_sets(execute: bool) -> tuple[str, ...]:
    """The sets `train` cross-validates by default: every set its table has."""
    return ALL_SETS if execute else SETS


def context_base(columns: Sequence[str]) -> list[int]:
    """Columns whose per-task mean and std describe the task's candidates as a whole."""
    return [
        i
        for i, c in enumerate(columns)
        if not c.startswith((*NEEDS_TASK, "rel.", CONTEXT_PREFIX))
        and not c.endswith(".failed")
        and not c.startswith(EXEC_PREFIX)
    ]


def context_names(columns: Sequence[str]) -> tuple[str, ...]:
    """`columns` followed by the `task.mean.*` and `task.std.*` context columns."""
    base = context_base(columns)
    return (
        *columns,
        *(f"{CONTEXT_PREFIX}mean.{columns[i]}" for i in base),
        *(f"{CONTEXT_PREFIX}std.{columns[i]}" for i in base),
    )


def with_task_context(
    X: np.ndarray, columns: Sequence[str], groups: np.ndarray
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Append `task.mean.<col>` and `task.std.<col>`: each base column's mean and standard
    deviation over the rows of the same group (the candidates scored together)."""
    base = context_base(columns)
    names = context_names(columns)
    if len(X) == 0:
        return np.empty((0, len(names))), names
    _, inv = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    V = X[:, base]
    ok = np.isfinite(V)
    Z = np.where(ok, V, 0.0)
    n_groups = int(inv.max()) + 1
    count = np.zeros((n_groups, len(base)))
    total = np.zeros((n_groups, len(base)))
    square = np.zeros((n_groups, len(base)))
    np.add.at(count, inv, ok)
    np.add.at(total, inv, Z)
    np.add.at(square, inv, Z * Z)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        std = np.sqrt(np.maximum(square / count - mean * mean, 0.0))
    return np.hstack([X, mean[inv], std[inv]]), names


def with_batch(X: np.ndarray, batches: Sequence[Any] | np.ndarray) -> np.ndarray:
    """`X` with the batch code of each row appended: the estimators' input."""
    _, codes = np.unique(np.asarray(batches, dtype=str), return_inverse=True)
    return np.column_stack([np.asarray(X, dtype=np.float64), codes.astype(np.float64)])


def is_exec(column: str) -> bool:
    """An execution column, or the task context of one."""
    return column.startswith(EXEC_PREFIX) or (
        column.startswith(CONTEXT_PREFIX) and f".{EXEC_PREFIX}" in column
    )


def feature_sets(columns: Sequence[str]) -> dict[str, list[int]]:
    """Column indices of each feature set (over the columns with task context appended):
    `task` every static column; `peers` what a batch of candidates without their task gives;
    `solo` what one candidate alone gives (no relative or context columns). With `exec.*`
    columns, also `exec-peers` (the fixed peer score `exec.peer_score` alone) and
    `exec-solo` (`solo` less PROMPT_DRIVEN, plus the single-candidate exec columns)."""
    static = [i for i, c in enumerate(columns) if not is_exec(c)]
    no_task = [i for i in static if not columns[i].startswith(NEEDS_TASK)]
    solo = [i for i in no_task if not columns[i].startswith(("rel.", CONTEXT_PREFIX))]
    sets = {"task": static, "peers": no_task, "solo": solo}
    execs = [i for i, c in enumerate(columns) if is_exec(c)]
    if execs:
        from auditor.execution.solo import SINGLE_COLUMNS  # training only: lazy

        # The fixed peer score alone: gradient boosting over every static and exec column
        # ranked worse within a task (0.795 vs 0.836, reports/execution/README.md); its
        # estimator is the score's calibration (`selection.SET_FAMILIES`).
        # A table without it (built before the score existed) has no exec-peers set.
        score = [i for i, c in enumerate(columns) if c == EXEC_SCORE]
        if score:
            sets["exec-peers"] = score
        own = [i for i in solo if columns[i] not in PROMPT_DRIVEN]
        sets["exec-solo"] = sorted([*own, *(i for i in execs if columns[i] in SINGLE_COLUMNS)])
    return sets


def has_task(X: np.ndarray, columns: Sequence[str]) -> np.ndarray:
    """Rows whose task-only features were computed (behavior ran, or a reference was known)."""
    if "behavior.failed" in columns:
        return X[:, columns.index("behavior.failed")] == 0
    ref = [i for i, c in enumerate(columns) if c.startswith("rel.ref_")]
    if not ref:
        return np.zeros(len(X), dtype=bool)
    return np.isfinite(X[:, ref]).any(axis=1)


@dataclass(frozen=True, eq=False)
class ContextClassifier:
    """A classifier over context columns (a numpy export) behind the task context: the
    same input and output as a saved pipeline, without scikit-learn."""

    columns: tuple[str, ...]
    classifier: Any  # predict_proba over `context_names(columns)`

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        Xc, _ = with_task_context(X[:, :-1], self.columns, X[:, -1])
        return np.asarray(self.classifier.predict_proba(Xc))
