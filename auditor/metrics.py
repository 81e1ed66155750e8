"""Evaluation metrics: one module for features --summary, train, evaluate, the card and
the report."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

THRESHOLDS = (0.3, 0.5, 0.7)


def within_task_auc(y: np.ndarray, score: np.ndarray, groups: np.ndarray) -> tuple[float, int]:
    """Mean per-group ROC-AUC of `score` for the binary `y`, and the number of groups used.

    Only groups having both classes count (and rows with a finite score). Returns
    (nan, 0) when no group qualifies.
    """
    y = np.asarray(y).astype(bool)
    score = np.asarray(score, dtype=np.float64)
    groups = np.asarray(groups)
    if not (len(y) == len(score) == len(groups)):
        raise ValueError("y, score and groups must have the same length")
    ok = np.isfinite(score)
    y, score, groups = y[ok], score[ok], groups[ok]
    order = np.argsort(groups, kind="stable")
    y, score, groups = y[order], score[order], groups[order]
    bounds = np.flatnonzero(groups[1:] != groups[:-1]) + 1 if len(groups) else np.array([], int)
    aucs = []
    for ys, ss in zip(np.split(y, bounds), np.split(score, bounds), strict=True):
        if len(ys) and ys.any() and not ys.all():
            aucs.append(float(roc_auc_score(ys, ss)))
    if not aucs:
        return float("nan"), 0
    return float(np.mean(aucs)), len(aucs)


@dataclass(frozen=True)
class Scores:
    """Discrimination metrics of risk scores against labels."""

    roc_auc: float
    pr_auc: float
    base_rate: float
    within_task_auc: float
    n_tasks: int  # tasks with both classes (the within-task mean's denominator)
    n_candidates: int
    n_groups: int
    brier: float

    def to_json(self) -> dict[str, Any]:
        return {k: num(v) for k, v in asdict(self).items()}


def num(v: Any) -> Any:
    """Floats rounded for JSON, NaN as null."""
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 6)
    return v


def score(y: np.ndarray, risk: np.ndarray, groups: np.ndarray) -> Scores:
    """Pooled ROC-AUC/PR-AUC, within-task ROC-AUC (tasks with both classes), Brier."""
    from sklearn.metrics import average_precision_score, brier_score_loss

    both = len(np.unique(y)) == 2
    wt, n_tasks = within_task_auc(y, risk, groups)
    return Scores(
        roc_auc=float(roc_auc_score(y, risk)) if both else float("nan"),
        pr_auc=float(average_precision_score(y, risk)) if both else float("nan"),
        base_rate=float(np.mean(y)) if len(y) else float("nan"),
        within_task_auc=float(wt),
        n_tasks=int(n_tasks),
        n_candidates=len(y),
        n_groups=len(np.unique(groups)),
        brier=float(brier_score_loss(y, np.clip(risk, 0, 1))) if len(y) else float("nan"),
    )


def reliability(y: np.ndarray, risk: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Calibration table: per equal-width risk bin, count, mean risk and observed FP rate."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(risk, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        m = idx == b
        n = int(m.sum())
        rows.append(
            {
                "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                "n": n,
                "mean_risk": round(float(risk[m].mean()), 4) if n else None,
                "fp_rate": round(float(y[m].mean()), 4) if n else None,
            }
        )
    return rows


def threshold_table(y: np.ndarray, risk: np.ndarray) -> list[dict[str, Any]]:
    """At each threshold: share of false positives caught, of correct ones wrongly flagged."""
    rows = []
    for t in THRESHOLDS:
        flagged = risk >= t
        pos, neg = y == 1, y == 0
        rows.append(
            {
                "threshold": t,
                "fp_caught": round(float(flagged[pos].mean()), 4) if pos.any() else None,
                "correct_flagged": round(float(flagged[neg].mean()), 4) if neg.any() else None,
                "flagged": int(flagged.sum()),
            }
        )
    return rows
