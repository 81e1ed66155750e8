"""Evaluation metrics shared by `auditor features --summary`, evaluate and report."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score


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
