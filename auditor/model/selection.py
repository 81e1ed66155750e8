"""Model selection and fitting: grouped folds, nested cross-validation, calibrated refit."""

from __future__ import annotations

import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from auditor import __version__
from auditor.errors import InputError
from auditor.metrics import Scores, reliability, score, threshold_table
from auditor.model.context import SETS, context_names, feature_sets, with_batch
from auditor.model.data import TrainingData, corpus_digest, corpus_table, stack_tables
from auditor.model.families import FAMILIES, calibrated, family, single_threaded
from auditor.model.trained import MODEL_FORMAT, ModelMeta, TrainedModel

if TYPE_CHECKING:
    from pathlib import Path

    from auditor.corpus.labels import LabeledCorpus
    from auditor.types import FeatureTable


def group_splits(groups: np.ndarray, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """GroupKFold folds: no group is split between training and test rows."""
    from sklearn.model_selection import GroupKFold

    k = min(n_splits, len(np.unique(groups)))
    if k < 2:
        raise InputError("need at least 2 tasks with weak-passing candidates to train")
    dummy = np.zeros(len(groups))
    return list(GroupKFold(n_splits=k).split(dummy, groups=groups))


def fit_calibrated(
    name: str,
    columns: Sequence[str],
    cols: Sequence[int],
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    inner: int,
) -> Any:
    """Family `name` on rows `X` (features + batch code), sigmoid-calibrated over grouped folds."""
    splits = group_splits(groups, inner)
    if all(len(np.unique(y[tr])) == 2 for tr, _ in splits):
        # One estimator refit on all rows plus a sigmoid fitted on the pooled out-of-fold
        # scores: a third of the size (and load time) of one estimator per fold.
        return calibrated(name, columns, cols, splits, ensemble=False).fit(X, y)
    # Out-of-fold prediction needs every fold trainable; on tiny data keep the folds
    # that have both classes on both sides, one estimator each.
    splits = [
        (tr, te) for tr, te in splits if len(np.unique(y[tr])) == 2 and len(np.unique(y[te])) == 2
    ]
    if not splits:
        raise InputError("too few false positives to train a calibrated model")
    return calibrated(name, columns, cols, splits, ensemble=True).fit(X, y)


def _oof(
    name: str,
    columns: Sequence[str],
    cols: Sequence[int],
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    k: int,
) -> np.ndarray:
    """Out-of-fold uncalibrated scores of a family (for model selection)."""
    out = np.full(len(y), np.nan)
    for tr, te in group_splits(groups, k):
        if len(np.unique(y[tr])) < 2:
            continue
        est = family(name, columns, cols).fit(X[tr], y[tr])
        out[te] = est.predict_proba(X[te])[:, 1]
    return out


def _selection_score(y: np.ndarray, s: np.ndarray, groups: np.ndarray) -> float:
    m = ~np.isnan(s)
    sc = score(y[m], s[m], groups[m])
    return float(np.nanmean([sc.roc_auc, sc.within_task_auc]))


def select(
    columns: Sequence[str],
    cols: Sequence[int],
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    families: Sequence[str],
    k: int,
) -> tuple[str, dict[str, float]]:
    """The family with the best inner grouped-CV score, and every family's score."""
    inner = {
        f: _selection_score(y, _oof(f, columns, cols, X, y, groups, k), groups) for f in families
    }
    return max(families, key=lambda f: (inner[f], -families.index(f))), inner


@dataclass(frozen=True)
class CVReport:
    """Grouped (by task) cross-validated metrics of one feature set."""

    feature_set: str
    folds: int
    families: Mapping[str, Scores]  # each family, calibrated, on the outer test folds
    nested: Scores  # the select-then-fit procedure on the outer test folds
    chosen: tuple[str, ...]  # family chosen in each outer fold
    per_corpus: Mapping[str, Scores] = field(default_factory=dict)  # nested, by corpus
    thresholds: tuple[Mapping[str, Any], ...] = ()  # nested predictions
    reliability: tuple[Mapping[str, Any], ...] = ()  # nested predictions

    def to_json(self) -> dict[str, Any]:
        return {
            "feature_set": self.feature_set,
            "folds": self.folds,
            "families": {k: v.to_json() for k, v in self.families.items()},
            "nested": self.nested.to_json(),
            "chosen": list(self.chosen),
            "per_corpus": {k: v.to_json() for k, v in self.per_corpus.items()},
            "thresholds": [dict(r) for r in self.thresholds],
            "reliability": [dict(r) for r in self.reliability],
        }


def _set_columns(data: TrainingData, feature_set: str) -> list[int]:
    return feature_sets(context_names(data.columns))[feature_set]


@single_threaded
def cross_validate(
    data: TrainingData,
    *,
    feature_set: str = "peers",
    families: Sequence[str] = tuple(FAMILIES),
    outer: int = 5,
    inner: int = 3,
    progress: Callable[[str], None] | None = None,
) -> CVReport:
    """Nested grouped CV: per outer fold, pick the family by inner grouped CV on the training
    part, and record every family's calibrated predictions on the test part."""
    X = with_batch(data.X, data.groups)
    cols = _set_columns(data, feature_set)
    y, g, columns = data.y, data.groups, data.columns
    preds = {f: np.full(len(y), np.nan) for f in families}
    nested = np.full(len(y), np.nan)
    chosen = []
    splits = group_splits(g, outer)
    for i, (tr, te) in enumerate(splits):
        best, inner_scores = select(columns, cols, X[tr], y[tr], g[tr], families, inner)
        chosen.append(best)
        for f in families:
            est = fit_calibrated(f, columns, cols, X[tr], y[tr], g[tr], inner)
            preds[f][te] = est.predict_proba(X[te])[:, 1]
        nested[te] = preds[best][te]
        if progress:
            progress(f"{feature_set} fold {i + 1}/{len(splits)}: inner {inner_scores} -> {best}")
    return CVReport(
        feature_set=feature_set,
        folds=len(splits),
        families={f: score(y, p, g) for f, p in preds.items()},
        nested=score(y, nested, g),
        chosen=tuple(chosen),
        per_corpus={
            str(c): score(y[m], nested[m], g[m])
            for c in sorted(set(data.corpus.tolist()))
            if (m := data.corpus == c).any()
        },
        thresholds=tuple(threshold_table(y, nested)),
        reliability=tuple(reliability(y, nested)),
    )


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
    sets: Sequence[str] = SETS,
    progress: Callable[[str], None] | None = None,
) -> TrainedModel:
    """Select a family per feature set by grouped CV, then fit it calibrated on all rows.

    `cv` is True (nested CV report for every set), False, or the sets to report on."""
    unknown = set(families) - set(FAMILIES)
    if unknown:
        raise InputError(f"unknown model family: {', '.join(sorted(unknown))}")
    if len(np.unique(data.y)) < 2:
        raise InputError("training data needs both correct and false-positive candidates")
    X = with_batch(data.X, data.groups)
    cv_sets = set(sets) if cv is True else set(cv or ())
    estimators: dict[str, Any] = {}
    chosen: dict[str, str] = {}
    cv_json: dict[str, Any] = {}
    for name in sets:
        cols = _set_columns(data, name)
        if name in cv_sets:
            report = cross_validate(
                data,
                feature_set=name,
                families=families,
                outer=outer,
                inner=inner,
                progress=progress,
            )
            cv_json[name] = report.to_json()
        best, inner_scores = select(data.columns, cols, X, data.y, data.groups, families, inner)
        cv_json.setdefault(name, {})["selection"] = {
            k: round(v, 6) for k, v in inner_scores.items()
        }
        chosen[name] = best
        estimators[name] = fit_calibrated(best, data.columns, cols, X, data.y, data.groups, inner)
        if progress:
            progress(f"{name}: fitted {best}")
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
    )
    return TrainedModel(estimators, meta)


def train(
    corpora: Sequence[LabeledCorpus],
    *,
    families: Sequence[str] = tuple(FAMILIES),
    cv: bool = True,
    cache_dir: Path | None = None,
    jobs: int = 2,
    progress: Callable[[str], None] | None = None,
) -> TrainedModel:
    """Train on the weak-passing candidates of `corpora` (positive = false positive)."""
    tables = [(c.name, corpus_table(c, cache_dir=cache_dir, jobs=jobs)) for c in corpora]
    return train_tables(corpora, tables, families=families, cv=cv, progress=progress)


def train_tables(
    corpora: Sequence[LabeledCorpus],
    tables: Sequence[tuple[str, FeatureTable]],
    *,
    families: Sequence[str] = tuple(FAMILIES),
    cv: bool | Sequence[str] = True,
    outer: int = 5,
    inner: int = 3,
    progress: Callable[[str], None] | None = None,
) -> TrainedModel:
    """`train` on already extracted per-corpus tables."""
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
        data, corpora=info, families=families, cv=cv, outer=outer, inner=inner, progress=progress
    )
