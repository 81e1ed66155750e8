"""Model selection and fitting: grouped folds, nested cross-validation, calibrated refit."""

from __future__ import annotations

import math
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from auditor import __version__
from auditor.errors import InputError
from auditor.metrics import Scores, reliability, score, threshold_table
from auditor.model.baselines import BASELINES, baseline_scores, fit_baselines
from auditor.model.context import ALL_SETS, context_names, feature_sets
from auditor.model.data import (
    CheckView,
    TrainingData,
    corpus_digest,
    stack_tables,
)
from auditor.model.families import FAMILIES, calibrated, family, single_threaded
from auditor.model.trained import MODEL_FORMAT, ModelMeta, TrainedModel

if TYPE_CHECKING:
    from auditor.corpus.labels import LabeledCorpus
    from auditor.types import FeatureTable


BOOTSTRAP = 1000  # task resamples behind every reported interval


def group_splits(groups: np.ndarray, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """GroupKFold folds: no group (task id) is split between training and test rows."""
    from sklearn.model_selection import GroupKFold

    k = min(n_splits, len(np.unique(groups)))
    if k < 2:
        raise InputError("need at least 2 tasks with weak-passing candidates to train")
    dummy = np.zeros(len(groups))
    return list(GroupKFold(n_splits=k).split(dummy, groups=groups))


def fit_calibrated(name: str, cols: Sequence[int], data: TrainingData, inner: int) -> Any:
    """Family `name` on context columns `cols`, sigmoid-calibrated over task-grouped folds."""
    X, y = data.inputs(), data.y
    splits = group_splits(data.task_ids, inner)
    if all(len(np.unique(y[tr])) == 2 for tr, _ in splits):
        # One estimator refit on all rows plus a sigmoid fitted on the pooled out-of-fold
        # scores: a third of the size (and load time) of one estimator per fold.
        return calibrated(name, data.columns, cols, splits, ensemble=False).fit(X, y)
    # Out-of-fold prediction needs every fold trainable; on tiny data keep the folds
    # that have both classes on both sides, one estimator each.
    splits = [
        (tr, te) for tr, te in splits if len(np.unique(y[tr])) == 2 and len(np.unique(y[te])) == 2
    ]
    if not splits:
        raise InputError("too few false positives to train a calibrated model")
    return calibrated(name, data.columns, cols, splits, ensemble=True).fit(X, y)


def _oof(
    name: str, cols: Sequence[int], data: TrainingData, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold uncalibrated scores of a family over task-grouped folds (for selection),
    and each row's fold."""
    X, y = data.inputs(), data.y
    out = np.full(len(y), np.nan)
    splits = group_splits(data.task_ids, k)
    for tr, te in splits:
        if len(np.unique(y[tr])) < 2:
            continue
        est = family(name, data.columns, cols).fit(X[tr], y[tr])
        out[te] = est.predict_proba(X[te])[:, 1]
    return out, fold_ids(len(y), splits)


def fold_ids(n: int, splits: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Each row's test fold (-1: in none), for metrics over out-of-fold scores."""
    out = np.full(n, -1)
    for i, (_, te) in enumerate(splits):
        out[te] = i
    return out


def _selection_score(data: TrainingData, oof: tuple[np.ndarray, np.ndarray]) -> float:
    s, folds = oof
    m = ~np.isnan(s)
    sc = score(data.y[m], s[m], data.batches[m], folds=folds[m])
    aucs = [a for a in (sc.roc_auc, sc.within_task_auc) if not np.isnan(a)]
    return float(np.mean(aucs)) if aucs else math.nan  # nanmean would warn on stderr


def select(
    cols: Sequence[int], data: TrainingData, families: Sequence[str], k: int
) -> tuple[str, dict[str, float]]:
    """The family with the best inner task-grouped CV score, and every family's score."""
    inner = {f: _selection_score(data, _oof(f, cols, data, k)) for f in families}
    return max(families, key=lambda f: (inner[f], -families.index(f))), inner


@dataclass(frozen=True)
class CVReport:
    """Task-grouped cross-validated metrics of one feature set, beside the baselines."""

    feature_set: str
    folds: int
    families: Mapping[str, Scores]  # each family, calibrated, on the outer test folds
    nested: Scores  # the select-then-fit procedure on the outer test folds
    chosen: tuple[str, ...]  # family chosen in each outer fold
    per_corpus: Mapping[str, Scores] = field(default_factory=dict)  # nested, by corpus
    thresholds: tuple[Mapping[str, Any], ...] = ()  # nested predictions
    reliability: tuple[Mapping[str, Any], ...] = ()  # nested predictions
    baselines: Mapping[str, Scores] = field(default_factory=dict)  # on the same test folds
    best_features: tuple[str, ...] = ()  # the best single feature chosen in each outer fold
    as_check: Scores | None = None  # nested, test tasks scored as `check` builds them

    def to_json(self) -> dict[str, Any]:
        return {
            "feature_set": self.feature_set,
            "benchmark_only": self.feature_set not in CHECK_SETS,
            "folds": self.folds,
            "grouping": "task_id",
            "families": {k: v.to_json() for k, v in self.families.items()},
            "nested": self.nested.to_json(),
            "baselines": {k: v.to_json() for k, v in self.baselines.items()},
            "best_features": list(self.best_features),
            "as_check": self.as_check.to_json() if self.as_check else None,
            "chosen": list(self.chosen),
            "per_corpus": {k: v.to_json() for k, v in self.per_corpus.items()},
            "thresholds": [dict(r) for r in self.thresholds],
            "reliability": [dict(r) for r in self.reliability],
        }


# The feature sets `auditor check` uses (single files: solo; a samples file: peers; with
# execution, exec-solo and exec-peers). `task` needs the benchmark's reference and weak
# inputs: its numbers are benchmark-only.
CHECK_SETS = ("solo", "peers", "exec-peers", "exec-solo")


# Sets whose family is fixed: `exec-peers` is one score whose within-task ranking is the
# point, so its estimator is a logistic calibration (monotone: the ranking is kept).
SET_FAMILIES: Mapping[str, tuple[str, ...]] = {"exec-peers": ("logreg",)}


def set_families(feature_set: str, families: Sequence[str]) -> tuple[str, ...]:
    """The families compared for `feature_set`."""
    return SET_FAMILIES.get(feature_set, tuple(families))


def _set_columns(columns: Sequence[str], feature_set: str) -> list[int]:
    sets = feature_sets(context_names(columns))
    if feature_set not in sets:
        known = ", ".join(sets)
        raise InputError(f"unknown feature set {feature_set!r} for these features ({known})")
    return sets[feature_set]


def trainable_sets(columns: Sequence[str]) -> tuple[str, ...]:
    """The feature sets of `columns`: the exec sets only when they have `exec.*` columns."""
    sets = feature_sets(context_names(columns))
    return tuple(n for n in ALL_SETS if n in sets)


def headline_scores(
    data: TrainingData, risk: np.ndarray, folds: np.ndarray | None = None
) -> Scores:
    """Scores with bootstrap intervals over task ids (the figures printed first); `folds`
    for out-of-fold risk (`metrics.pooled_auc`)."""
    return score(data.y, risk, data.batches, data.task_ids, n_boot=BOOTSTRAP, folds=folds)


@single_threaded
def cross_validate(
    data: TrainingData,
    *,
    feature_set: str = "peers",
    families: Sequence[str] = tuple(FAMILIES),
    outer: int = 5,
    inner: int = 3,
    view: CheckView | None = None,
    progress: Callable[[str], None] | None = None,
) -> CVReport:
    """Nested CV over task-disjoint folds: per outer fold, pick the family by inner
    task-grouped CV on the training part, record every family's calibrated predictions and
    the baselines' on the test part, and (with `view`) the chosen family's risk on the test
    tasks' rows as `check` builds them."""
    cols = _set_columns(data.columns, feature_set)
    X, y, tasks = data.inputs(), data.y, data.task_ids
    if view is not None:
        view = CheckView(view.data.with_columns(data.columns), view.weak)
    preds = {f: np.full(len(y), np.nan) for f in families}
    base = {b: np.full(len(y), np.nan) for b in BASELINES}
    nested = np.full(len(y), np.nan)
    checked = np.full(len(view.weak), np.nan) if view is not None else None
    chosen, best_features = [], []
    splits = group_splits(tasks, outer)
    fold = fold_ids(len(y), splits)
    for i, (tr, te) in enumerate(splits):
        train, test = data.take(tr), data.take(te)
        best, inner_scores = select(cols, train, families, inner)
        chosen.append(best)
        for f in families:
            est = fit_calibrated(f, cols, train, inner)
            preds[f][te] = est.predict_proba(X[te])[:, 1]
            if f == best and view is not None and checked is not None:
                rows = np.isin(view.data.task_ids, np.unique(tasks[te]))
                checked[rows] = est.predict_proba(view.data.take(rows).inputs())[:, 1]
        nested[te] = preds[best][te]
        fit_b = fit_baselines(train, {feature_set: cols})
        best_features.append(fit_b.features[feature_set].column if fit_b.features else "")
        for b, s in baseline_scores(fit_b, test, feature_set).items():
            base[b][te] = s
        if progress:
            progress(f"{feature_set} fold {i + 1}/{len(splits)}: inner {inner_scores} -> {best}")
    g = data.batches
    return CVReport(
        feature_set=feature_set,
        folds=len(splits),
        families={f: score(y, p, g, folds=fold) for f, p in preds.items()},
        nested=headline_scores(data, nested, fold),
        chosen=tuple(chosen),
        per_corpus={
            str(c): score(y[m], nested[m], g[m], folds=fold[m])
            for c in sorted(set(data.corpus.tolist()))
            if (m := data.corpus == c).any()
        },
        thresholds=tuple(threshold_table(y, nested)),
        reliability=tuple(reliability(y, nested)),
        baselines={b: headline_scores(data, s, fold) for b, s in base.items()},
        best_features=tuple(best_features),
        as_check=_as_check(view, checked, tasks, fold),
    )


def _as_check(
    view: CheckView | None, checked: np.ndarray | None, tasks: np.ndarray, fold: np.ndarray
) -> Scores | None:
    """The nested risk of the rows as `check` builds them, each in its task's fold."""
    if view is None or checked is None:
        return None
    data = view.data.take(view.weak)
    of_task = dict(zip(tasks.tolist(), fold.tolist(), strict=True))
    folds = np.array([of_task.get(t, -1) for t in data.task_ids.tolist()])
    return headline_scores(data, checked[view.weak], folds)


def versions() -> dict[str, str]:
    """Versions of the libraries a saved model depends on."""
    import sklearn
    import skops

    return {
        "auditor": __version__,
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "skops": skops.__version__,
        "numpy": np.__version__,
    }


@single_threaded
def fit(
    data: TrainingData,
    *,
    corpora: Sequence[Mapping[str, Any]] = (),
    families: Sequence[str] = tuple(FAMILIES),
    cv: bool | Sequence[str] = True,
    outer: int = 5,
    inner: int = 3,
    sets: Sequence[str] | None = None,
    view: CheckView | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainedModel:
    """Select a family per feature set by task-grouped CV, then fit it calibrated on all rows.

    `sets` defaults to every set the columns have (`trainable_sets`); `cv` is True (nested
    CV report for every set), False, or the sets to report on; `view` (the training corpora
    as `check` sees them) adds the `peers` set scored as `check` does."""
    unknown = set(families) - set(FAMILIES)
    if unknown:
        raise InputError(f"unknown model family: {', '.join(sorted(unknown))}")
    if len(np.unique(data.y)) < 2:
        raise InputError("training data needs both correct and false-positive candidates")
    sets = trainable_sets(data.columns) if sets is None else tuple(sets)
    cv_sets = set(sets) if cv is True else set(cv or ())
    unknown_cv = cv_sets - set(trainable_sets(data.columns))
    if unknown_cv:
        raise InputError(
            f"feature set(s) {', '.join(sorted(unknown_cv))} need columns these features lack"
            " (the exec sets need `--execute`)"
            if unknown_cv <= set(ALL_SETS)
            else f"unknown feature set(s): {', '.join(sorted(unknown_cv))}"
        )
    estimators: dict[str, Any] = {}
    chosen: dict[str, str] = {}
    cv_json: dict[str, Any] = {}
    for name in sets:
        cols = _set_columns(data.columns, name)
        if name in cv_sets:
            report = cross_validate(
                data,
                feature_set=name,
                families=set_families(name, families),
                outer=outer,
                inner=inner,
                view=view if name == "peers" else None,
                progress=progress,
            )
            cv_json[name] = report.to_json()
        best, inner_scores = select(cols, data, set_families(name, families), inner)
        cv_json.setdefault(name, {})["selection"] = {
            k: round(v, 6) for k, v in inner_scores.items()
        }
        chosen[name] = best
        estimators[name] = fit_calibrated(best, cols, data, inner)
        if progress:
            progress(f"{name}: fitted {best}")
    baselines = fit_baselines(data, {n: _set_columns(data.columns, n) for n in sets})
    meta = ModelMeta(
        format=MODEL_FORMAT,
        schema_version=data.schema_version,
        schema_hash=data.schema_hash,
        columns=data.columns,
        families=chosen,
        tool_versions=dict(data.tool_versions),
        versions=versions(),
        corpora=tuple(corpora),
        cv=cv_json,
        baselines=baselines.to_json(),
        exec_schema_version=data.exec_schema_version,
        exec_schema_hash=data.exec_schema_hash,
    )
    return TrainedModel(estimators, meta)


def train_tables(
    corpora: Sequence[LabeledCorpus],
    tables: Sequence[tuple[str, FeatureTable]],
    *,
    families: Sequence[str] = tuple(FAMILIES),
    cv: bool | Sequence[str] = True,
    outer: int = 5,
    inner: int = 3,
    view: CheckView | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainedModel:
    """Train on already extracted per-corpus tables (`training.train` extracts them)."""
    data = stack_tables(tables)
    info = [
        {
            "name": c.name,
            "sha256": corpus_digest(c),
            "n": int((data.corpus == c.name).sum()),
            "fp": int(data.y[data.corpus == c.name].sum()),
        }
        for c in corpora
    ]
    return fit(
        data,
        corpora=info,
        families=families,
        cv=cv,
        outer=outer,
        inner=inner,
        view=view,
        progress=progress,
    )
