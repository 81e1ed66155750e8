"""Evaluation metrics: one module for features --summary, train, evaluate, the card and
the report."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

THRESHOLDS = (0.3, 0.5, 0.7)


def within_task_auc(y: np.ndarray, score: np.ndarray, groups: np.ndarray) -> tuple[float, int]:
    """Mean per-group ROC-AUC of `score` for the binary `y`, and the number of groups used.

    Only groups having both classes count (and rows with a finite score). Returns
    (nan, 0) when no group qualifies.
    """
    score = np.asarray(score, dtype=np.float64)
    if not (len(y) == len(score) == len(groups)):
        raise ValueError("y, score and groups must have the same length")
    auc, used = within_task_auc_columns(y, score[:, None], groups)
    return float(auc[0]), int(used[0])


def within_task_auc_columns(
    y: np.ndarray, values: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`within_task_auc` for every column of `values` at once: (mean AUC, groups used)."""
    values = np.asarray(values, dtype=np.float64)
    total = np.zeros(values.shape[1])
    count = np.zeros(values.shape[1], dtype=np.int64)
    for _, auc, ok in _group_column_aucs(y, values, groups):
        total[ok] += auc[ok]
        count[ok] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan), count


def _group_column_aucs(
    y: np.ndarray, values: np.ndarray, groups: np.ndarray
) -> Iterator[tuple[Any, np.ndarray, np.ndarray]]:
    """Per group with both classes: (group, each column's ROC-AUC, where it is defined).

    AUC = Mann-Whitney U / (n1 n0) from average ranks, which equals ROC-AUC; ranking all
    columns of a group in one call avoids one sklearn call per group and column. Non-finite
    cells are left out; a column is defined where its finite cells hold both classes.
    """
    from scipy.stats import rankdata

    y = np.asarray(y).astype(bool)
    groups = np.asarray(groups)
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(groups[order][1:] != groups[order][:-1]) + 1
    for rows in np.split(order, bounds) if len(order) else []:
        yy = y[rows]
        if yy.all() or not yy.any():
            continue
        v = values[rows]
        finite = np.isfinite(v)
        # ranks of the finite cells only: non-finite ones go last and are masked out
        ranks = rankdata(np.where(finite, v, np.inf), axis=0)
        n1 = (finite & yy[:, None]).sum(0)
        n0 = (finite & ~yy[:, None]).sum(0)
        r1 = np.where(finite & yy[:, None], ranks, 0.0).sum(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            auc = (r1 - n1 * (n1 + 1) / 2) / (n1 * n0)
        yield groups[rows[0]], auc, (n1 > 0) & (n0 > 0)


def rank_columns(
    y: np.ndarray, values: np.ndarray, groups: np.ndarray, names: Sequence[str]
) -> list[tuple[str, float, int]]:
    """(column, within-task AUC, groups used) per column, strongest first: by |AUC - 0.5|,
    then by name; columns with no AUC (nan) last. What `features --summary` and the
    report's feature section both rank by."""
    aucs, used = within_task_auc_columns(y, values, groups)
    rows = [(str(n), float(a), int(k)) for n, a, k in zip(names, aucs, used, strict=True)]
    return sorted(rows, key=lambda r: (math.isnan(r[1]), -abs(np.nan_to_num(r[1] - 0.5)), r[0]))


Interval = tuple[float, float]


@dataclass(frozen=True)
class Scores:
    """Discrimination metrics of risk scores against labels.

    Within-task AUC is the mean ROC-AUC over the groups (one model's candidates of one
    task) having both classes: task difficulty cannot inflate it. Intervals are percentile
    bootstrap intervals over task ids (a task's rows from every corpus move together)."""

    within_task_auc: float
    n_tasks: int  # groups with both classes (the within-task mean's denominator)
    roc_auc: float  # pooled; for out-of-fold risk, over the pairs inside a fold (`pooled_auc`)
    pr_auc: float
    base_rate: float
    n_candidates: int  # rows scored (a baseline without a score for a row leaves it out)
    n_groups: int
    brier: float
    n_task_ids: int = 0  # distinct task ids among the scored rows (the bootstrap unit)
    within_task_ci: Interval | None = None
    roc_auc_ci: Interval | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            k: [num(x) for x in v] if isinstance(v, tuple) else num(v)
            for k, v in asdict(self).items()
        }


def num(v: Any) -> Any:
    """Floats rounded for JSON, NaN as null."""
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 6)
    return v


def score(
    y: np.ndarray,
    risk: np.ndarray,
    groups: np.ndarray,
    tasks: np.ndarray | None = None,
    *,
    n_boot: int = 0,
    seed: int = 0,
    folds: np.ndarray | None = None,
) -> Scores:
    """Within-task ROC-AUC (groups with both classes), pooled ROC-AUC/PR-AUC, Brier.

    Rows whose risk is not finite are left out (a baseline that has no score for them).
    With `n_boot`, 95% bootstrap intervals over `tasks` (default: `groups`). With `folds`
    (out-of-fold risk), the pooled ROC-AUC counts the pairs inside a fold (`pooled_auc`)."""
    from sklearn.metrics import average_precision_score, brier_score_loss

    ok = np.isfinite(np.asarray(risk, dtype=np.float64))
    y, risk, groups = np.asarray(y)[ok], np.asarray(risk, dtype=np.float64)[ok], groups[ok]
    tasks = groups if tasks is None else np.asarray(tasks)[ok]
    folds = None if folds is None else np.asarray(folds)[ok]
    both = len(np.unique(y)) == 2
    wt, n_tasks = within_task_auc(y, risk, groups)
    ci = (
        task_bootstrap(y, risk, groups, tasks, n_boot, seed, folds=folds)
        if n_boot and both
        else None
    )
    return Scores(
        within_task_auc=float(wt),
        n_tasks=int(n_tasks),
        roc_auc=pooled_auc(y, risk, folds) if both else float("nan"),
        pr_auc=float(average_precision_score(y, risk)) if both else float("nan"),
        base_rate=float(np.mean(y)) if len(y) else float("nan"),
        n_candidates=len(y),
        n_groups=len(np.unique(groups)),
        brier=float(brier_score_loss(y, np.clip(risk, 0, 1))) if len(y) else float("nan"),
        n_task_ids=len(np.unique(tasks)),
        within_task_ci=ci[0] if ci else None,
        roc_auc_ci=ci[1] if ci else None,
    )


def _group_aucs(y: np.ndarray, risk: np.ndarray, groups: np.ndarray) -> dict[Any, float]:
    """Each group's ROC-AUC (groups with both classes among finite risks)."""
    risk = np.asarray(risk, dtype=np.float64)[:, None]
    return {g: float(auc[0]) for g, auc, ok in _group_column_aucs(y, risk, groups) if ok[0]}


def _pair_sums(y: np.ndarray, rank: np.ndarray, weight: np.ndarray) -> tuple[float, float]:
    """(concordant weight, pair weight) over the (positive, negative) row pairs, from each
    row's dense rank of its score (ties count half): one bincount and cumsum."""
    n = int(rank.max()) + 1 if len(rank) else 0
    w1 = np.bincount(rank, weights=weight * y, minlength=n)
    w0 = np.bincount(rank, weights=weight * ~y, minlength=n)
    below = np.cumsum(w0) - w0
    return float(np.sum(w1 * (below + 0.5 * w0))), float(w1.sum() * w0.sum())


def weighted_auc(
    y: np.ndarray, rank: np.ndarray, weight: np.ndarray, folds: np.ndarray | None = None
) -> float:
    """ROC-AUC with row weights, from each row's dense rank of its score (fast enough for a
    bootstrap of thousands). With `folds`, over the pairs inside one fold only
    (`pooled_auc`)."""
    y = np.asarray(y).astype(bool)
    parts = [np.ones(len(y), bool)] if folds is None else [folds == f for f in np.unique(folds)]
    sums = [_pair_sums(y[m], rank[m], weight[m]) for m in parts]
    pairs = sum(p for _, p in sums)
    return float(sum(c for c, _ in sums) / pairs) if pairs > 0 else float("nan")


def pooled_auc(y: np.ndarray, risk: np.ndarray, folds: np.ndarray | None = None) -> float:
    """ROC-AUC across tasks. With `folds` (out-of-fold risk, one model per fold), over the
    (false positive, correct) pairs that one model scored: pairs across folds would compare
    two models' calibrations, which no deployed model does, and understate the ranking one
    model gives unseen tasks (Forman & Scholz, SIGKDD Explorations 12(1), 2010)."""
    rank = np.unique(np.asarray(risk, dtype=np.float64), return_inverse=True)[1].ravel()
    return weighted_auc(y, rank, np.ones(len(rank)), folds)


def heaviest_task(
    y: np.ndarray, risk: np.ndarray, tasks: np.ndarray, folds: np.ndarray | None = None
) -> tuple[Any, float]:
    """The task whose removal moves the pooled ROC-AUC (`pooled_auc`) most, and the pooled
    AUC without it (a jackknife over tasks). Pooled AUC counts pairs, so one task with many
    false positives that all look safe -- most of its passers sharing one mistake, which no
    consensus sees -- can carry much of what a pooled figure misses."""
    y = np.asarray(y).astype(bool)
    rank = np.unique(np.asarray(risk, dtype=np.float64), return_inverse=True)[1].ravel()
    full = weighted_auc(y, rank, np.ones(len(rank)), folds)
    best: tuple[Any, float] = (None, full)
    for task in np.unique(tasks):
        auc = weighted_auc(y, rank, (tasks != task).astype(float), folds)
        if abs(auc - full) > abs(best[1] - full):
            best = (task, auc)
    return best


def task_bootstrap(
    y: np.ndarray,
    risk: np.ndarray,
    groups: np.ndarray,
    tasks: np.ndarray,
    n_boot: int,
    seed: int = 0,
    level: float = 0.95,
    folds: np.ndarray | None = None,
) -> tuple[Interval, Interval]:
    """Percentile intervals of (within-task AUC, pooled ROC-AUC; with `folds`, as
    `pooled_auc` takes it) when task ids are drawn with replacement: a drawn task brings
    all its rows (and groups), as often as drawn."""
    ids, task_of_row = np.unique(tasks, return_inverse=True)
    aucs = _group_aucs(y, risk, groups)
    # each group's task, for the groups with both classes
    g_task = {g: task_of_row[np.flatnonzero(groups == g)[0]] for g in aucs}
    g_auc = np.array(list(aucs.values()))
    g_idx = np.array([g_task[g] for g in aucs], dtype=np.int64)
    rank = np.unique(risk, return_inverse=True)[1].ravel()
    rng = np.random.default_rng(seed)
    within, pooled = [], []
    for _ in range(n_boot):
        w = np.bincount(rng.integers(0, len(ids), len(ids)), minlength=len(ids))
        gw = w[g_idx] if len(g_idx) else np.zeros(0)
        if gw.sum() > 0:
            within.append(float(np.sum(gw * g_auc) / gw.sum()))
        pooled.append(weighted_auc(y, rank, w[task_of_row], folds))
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2

    def interval(xs: list[float]) -> Interval:
        xs = [x for x in xs if not math.isnan(x)]
        if not xs:
            return (float("nan"), float("nan"))
        return (float(np.quantile(xs, lo)), float(np.quantile(xs, hi)))

    return interval(within), interval(pooled)


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
