"""within_task_auc: per-group ROC-AUC averaged over groups having both classes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from auditor.metrics import within_task_auc


def test_mean_over_groups_with_both_classes() -> None:
    y = np.array([0, 1, 0, 1, 1, 1, 0, 0, 1])
    score = np.array([1, 2, 3, 1, 5, 6, 1, 2, 3.0])
    groups = np.array(["a", "a", "b", "b", "c", "c", "d", "d", "d"])
    # a: perfect (1.0); b: inverted (0.0); c: one class (skipped); d: 1.0
    auc, n = within_task_auc(y, score, groups)
    assert n == 3
    assert auc == pytest.approx(2 / 3)


def test_ties_count_half_and_nan_scores_are_dropped() -> None:
    y = np.array([0, 1, 0, 1])
    score = np.array([1.0, 1.0, np.nan, 2.0])
    groups = np.array([0, 0, 1, 1])
    # group 0: tie -> 0.5; group 1 loses its negative to NaN -> skipped
    assert within_task_auc(y, score, groups) == (0.5, 1)


def test_unordered_groups_match_sorted() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    score = rng.normal(size=200) + y
    groups = rng.integers(0, 10, 200)
    order = np.argsort(groups)
    assert within_task_auc(y, score, groups) == within_task_auc(
        y[order], score[order], groups[order]
    )
    assert within_task_auc(y, score, groups)[0] > 0.6


def test_no_group_with_both_classes() -> None:
    auc, n = within_task_auc(np.array([1, 1]), np.array([0.1, 0.2]), np.array(["a", "b"]))
    assert math.isnan(auc) and n == 0
    auc, n = within_task_auc(np.array([]), np.array([]), np.array([]))
    assert math.isnan(auc) and n == 0


def test_length_mismatch_raises() -> None:
    with pytest.raises(ValueError):
        within_task_auc(np.array([0, 1]), np.array([0.1]), np.array(["a", "a"]))
