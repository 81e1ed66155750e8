"""The baselines every model row is shown beside.

- `random`: a seeded uniform score (what chance looks like with these counts);
- `task_prior`: a task's false-positive share in the training rows, no features at all.
  It has a score only for tasks present in training, so under task-disjoint folds it has
  none, and on a new corpus it shows how much a pooled AUC owes to knowing the task;
- `best_feature`: the single feature column (of the set being evaluated, sign included)
  with the best within-task AUC on the training rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from auditor.metrics import within_task_auc_columns
from auditor.model.context import with_task_context
from auditor.model.data import TrainingData

BASELINES = ("random", "task_prior", "best_feature")
SEED = 0


@dataclass(frozen=True)
class FeatureChoice:
    """One column (over the context columns), its sign, and the fill for missing values."""

    column: str
    sign: float
    fill: float
    within_task_auc: float  # on the training rows, after the sign

    def to_json(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "sign": self.sign,
            "fill": self.fill,
            "within_task_auc": round(self.within_task_auc, 6),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> FeatureChoice:
        return cls(
            str(d["column"]), float(d["sign"]), float(d["fill"]), float(d["within_task_auc"])
        )


@dataclass(frozen=True)
class BaselineFit:
    """What the baselines learned from training rows."""

    prior: Mapping[str, tuple[int, int]]  # task id -> (weak-passers, false positives)
    features: Mapping[str, FeatureChoice] = field(default_factory=dict)  # per feature set

    def to_json(self) -> dict[str, Any]:
        return {
            "task_prior": {t: list(v) for t, v in sorted(self.prior.items())},
            "best_feature": {k: v.to_json() for k, v in sorted(self.features.items())},
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> BaselineFit:
        return cls(
            {str(t): (int(v[0]), int(v[1])) for t, v in d.get("task_prior", {}).items()},
            {k: FeatureChoice.from_json(v) for k, v in d.get("best_feature", {}).items()},
        )


def _context(data: TrainingData) -> tuple[np.ndarray, tuple[str, ...]]:
    return with_task_context(data.X, data.columns, data.batches)


def choose_feature(data: TrainingData, cols: Sequence[int]) -> FeatureChoice | None:
    """The column among `cols` (context-column indices) whose within-task AUC on `data` is
    furthest from 0.5, oriented so that higher means riskier."""
    Xc, names = _context(data)
    values = Xc[:, list(cols)]
    auc, _ = within_task_auc_columns(data.y, values, data.batches)
    strength = np.where(np.isfinite(auc), np.abs(auc - 0.5), -1.0)
    if not len(strength) or strength.max() < 0:
        return None
    best = int(np.argmax(strength))
    finite = values[:, best][np.isfinite(values[:, best])]
    sign = 1.0 if auc[best] >= 0.5 else -1.0
    return FeatureChoice(
        column=names[cols[best]],
        sign=sign,
        fill=float(np.median(finite)) if len(finite) else 0.0,
        within_task_auc=float(0.5 + strength[best]),
    )


def fit_baselines(
    data: TrainingData, feature_sets: Mapping[str, Sequence[int]] | None = None
) -> BaselineFit:
    """The task prior of `data` and, for each feature set given, its best single feature."""
    prior: dict[str, tuple[int, int]] = {}
    for task, y in zip(data.task_ids, data.y, strict=True):
        n, fp = prior.get(str(task), (0, 0))
        prior[str(task)] = (n + 1, fp + int(y))
    chosen = {
        name: choice
        for name, cols in (feature_sets or {}).items()
        if (choice := choose_feature(data, cols)) is not None
    }
    return BaselineFit(prior, chosen)


def baseline_scores(fit: BaselineFit, data: TrainingData, feature_set: str) -> dict[str, Any]:
    """Each baseline's score per row of `data` (NaN where it has none)."""
    rng = np.random.default_rng(SEED)
    prior = np.array(
        [
            fit.prior[t][1] / fit.prior[t][0] if t in fit.prior else np.nan
            for t in map(str, data.task_ids)
        ],
        dtype=np.float64,
    )
    out: dict[str, Any] = {"random": rng.random(len(data.y)), "task_prior": prior}
    choice = fit.features.get(feature_set)
    if choice is not None:
        Xc, names = _context(data)
        if choice.column in names:
            v = Xc[:, names.index(choice.column)]
            out["best_feature"] = choice.sign * np.where(np.isfinite(v), v, choice.fill)
    return out
