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


def _sklearn_within(y: np.ndarray, score: np.ndarray, groups: np.ndarray) -> tuple[float, int]:
    """The definition, one sklearn call per group: the oracle for the rank-based code."""
    from sklearn.metrics import roc_auc_score

    ok = np.isfinite(score)
    aucs = [
        roc_auc_score(y[ok & (groups == g)], score[ok & (groups == g)])
        for g in np.unique(groups)
        if len(set(y[ok & (groups == g)])) == 2
    ]
    return (float(np.mean(aucs)), len(aucs)) if aucs else (math.nan, 0)


def test_columns_at_once_match_sklearn_per_group() -> None:
    from auditor.metrics import within_task_auc_columns

    rng = np.random.default_rng(4)
    n = 300
    groups = rng.integers(0, 12, n).astype(str)
    y = (rng.random(n) < 0.3).astype(int)
    values = rng.normal(size=(n, 4)) + y[:, None] * np.array([0.0, 0.5, 1.0, -1.0])
    values[:, 1] = np.round(values[:, 1])  # ties
    values[rng.random(values.shape) < 0.1] = np.nan
    auc, used = within_task_auc_columns(y, values, groups)
    for j in range(values.shape[1]):
        want, n_groups = _sklearn_within(y, values[:, j], groups)
        assert auc[j] == pytest.approx(want) and used[j] == n_groups
        assert within_task_auc(y, values[:, j], groups) == pytest.approx((want, n_groups))


def test_rank_columns_orders_by_distance_from_chance() -> None:
    from auditor.metrics import rank_columns

    y = np.array([0, 1, 0, 1])
    groups = np.zeros(4)
    values = np.column_stack([[1, 2, 1, 2], [2, 1, 1, 2], [2, 1, 2, 1], [np.nan] * 4])
    ranked = rank_columns(y, values, groups, ["up", "flat", "down", "none"])
    assert [(c, n) for c, _, n in ranked] == [("down", 1), ("up", 1), ("flat", 1), ("none", 0)]
    assert [a for _, a, _ in ranked[:3]] == [0.0, 1.0, 0.5] and math.isnan(ranked[3][1])


def test_weighted_auc_matches_sklearn() -> None:
    from sklearn.metrics import roc_auc_score

    from auditor.metrics import weighted_auc

    rng = np.random.default_rng(5)
    y = (rng.random(200) < 0.4).astype(int)
    s = np.round(rng.random(200) + 0.3 * y, 1)  # many ties
    w = rng.integers(0, 4, 200).astype(float)
    rank = np.unique(s, return_inverse=True)[1]
    assert weighted_auc(y, rank, w) == pytest.approx(roc_auc_score(y, s, sample_weight=w))


def test_pooled_auc_over_folds_counts_only_one_models_pairs() -> None:
    """Out-of-fold risks from two models: the pooled AUC is the pair-weighted mean of the
    folds' AUCs, and a per-fold monotone rescaling (another calibration) leaves it alone,
    while the AUC of the merged scores moves."""
    from sklearn.metrics import roc_auc_score

    from auditor.metrics import pooled_auc, score

    rng = np.random.default_rng(7)
    y = (rng.random(400) < 0.3).astype(int)
    s = rng.random(400) + 0.4 * y
    folds = np.repeat([0, 1], 200)
    assert pooled_auc(y, s) == pytest.approx(roc_auc_score(y, s))
    parts = [
        (roc_auc_score(y[m], s[m]), y[m].sum() * (~y[m].astype(bool)).sum())
        for m in (folds == 0, folds == 1)
    ]
    expected = sum(a * p for a, p in parts) / sum(p for _, p in parts)
    assert pooled_auc(y, s, folds) == pytest.approx(expected)
    shifted = np.where(folds == 1, 0.2 * s + 5.0, s)  # fold 1's model calibrates higher
    assert pooled_auc(y, shifted, folds) == pytest.approx(expected)
    assert abs(roc_auc_score(y, shifted) - expected) > 0.05
    got = score(y, shifted, np.repeat(["g"], 400), np.arange(400) % 40, n_boot=50, folds=folds)
    assert got.roc_auc == pytest.approx(expected)
    assert got.roc_auc_ci is not None and got.roc_auc_ci[0] <= expected <= got.roc_auc_ci[1]


def test_bootstrap_resamples_tasks_and_brackets_the_estimate() -> None:
    from auditor.metrics import score

    rng = np.random.default_rng(6)
    tasks = np.repeat([f"T{i}" for i in range(30)], 20)
    groups = np.array([f"{c}:{t}" for c, t in zip(np.tile(["a", "b"], 300), tasks, strict=True)])
    y = (rng.random(600) < 0.3).astype(int)
    risk = rng.random(600) + 0.4 * y
    sc = score(y, risk, groups, tasks, n_boot=300)
    assert sc.n_task_ids == 30 and sc.n_groups == 60
    assert sc.within_task_ci is not None and sc.roc_auc_ci is not None
    assert sc.within_task_ci[0] < sc.within_task_auc < sc.within_task_ci[1]
    assert sc.roc_auc_ci[0] < sc.roc_auc < sc.roc_auc_ci[1]
    # a score that only knows the task has no within-task signal at all
    flat = score(y, np.repeat(rng.random(30), 20), groups, tasks)
    assert flat.within_task_auc == pytest.approx(0.5)


def test_heaviest_task_is_the_one_whose_removal_moves_pooled_auc_most() -> None:
    """Ten tasks ranked well, and one whose many false positives all score as safe as its
    few correct ones (a shared mistake): it is found, and pooled AUC without it is higher."""
    from auditor.metrics import heaviest_task, pooled_auc

    rng = np.random.default_rng(3)
    tasks = np.repeat([f"t{i}" for i in range(10)], 40)
    y = rng.random(400) < 0.2
    s = rng.random(400) * 0.5 + 0.5 * y  # separated, not perfectly
    shared_y, shared_s = np.arange(60) < 55, np.full(60, 0.05)  # 55 wrong, all "safe"
    tasks, y, s = (np.concatenate([tasks, np.repeat(["shared"], 60)]),
                   np.concatenate([y, shared_y]), np.concatenate([s, shared_s]))  # fmt: skip
    task, without = heaviest_task(y, s, tasks)
    assert task == "shared"
    keep = tasks != "shared"
    assert without == pytest.approx(pooled_auc(y[keep], s[keep]))
    assert without > pooled_auc(y, s) + 0.1
    folds = np.arange(len(y)) % 2  # with folds: the pairs one fold's model scored
    assert heaviest_task(y, s, tasks, folds)[1] == pytest.approx(
        pooled_auc(y[keep], s[keep], folds[keep])
    )
