"""How a trained model scores on labeled data: metrics, importance, cross-model rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from auditor.metrics import Scores, reliability, score, threshold_table
from auditor.model.baselines import BaselineFit, baseline_scores
from auditor.model.context import SETS, is_exec, with_batch
from auditor.model.data import (
    CheckView,
    TrainingData,
    check_view,
    corpus_digest,
    corpus_table,
    stack_tables,
    stack_views,
)
from auditor.model.families import FAMILIES, SEED, calibrated_part, single_threaded
from auditor.model.selection import fit, headline_scores
from auditor.model.trained import TrainedModel
from auditor.types import FeatureTable

if TYPE_CHECKING:
    from pathlib import Path

    from auditor.corpus.labels import LabeledCorpus


_NOT_IN_ROWS = ("schema", "per_corpus", "reliability", "permutation_importance", "in_sample")

# How `check` builds each input kind, and the feature set whose baselines apply.
VIEWS: Mapping[str, str] = {
    "single_file": "solo",  # a .py file checked alone
    "samples_file": "peers",  # a samples file: every candidate of a task as peers
    "samples_file_with_tasks": "exec-peers",  # a samples file with --tasks: execution among passers
    "file_with_tests": "exec-solo",  # one file with --tests
    "benchmark": "task",  # with the benchmark's reference and weak inputs: benchmark-only
}


@dataclass(frozen=True)
class View:
    """The model's scores on one kind of input, beside the baselines on the same rows;
    `by_overlap` splits the rows by whether their task was in the training data."""

    model: Scores
    baselines: Mapping[str, Scores]
    by_overlap: Mapping[str, View] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model.to_json(),
            "baselines": {k: v.to_json() for k, v in self.baselines.items()},
            "by_overlap": {k: v.to_json() for k, v in self.by_overlap.items()},
        }


@dataclass(frozen=True)
class Evaluation:
    """How a model scores on labeled corpora.

    `scores` are the model's risks as `predict_risk` routes them on the benchmark table
    (peers = weak-passers, task known); `views` score each input kind as `check` builds it."""

    scores: Scores
    per_corpus: Mapping[str, Scores]
    reliability: tuple[Mapping[str, Any], ...]
    thresholds: tuple[Mapping[str, Any], ...]
    importance: tuple[tuple[str, float, float], ...]  # column, mean drop in ROC-AUC, std
    in_sample: tuple[str, ...]  # corpora the model was also trained on
    views: Mapping[str, View] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "auditor.evaluation/2",
            **self.scores.to_json(),
            "views": {
                k: {**v.to_json(), "benchmark_only": k == "benchmark"}
                for k, v in self.views.items()
            },
            "per_corpus": {k: v.to_json() for k, v in self.per_corpus.items()},
            "reliability": [dict(r) for r in self.reliability],
            "thresholds": [dict(r) for r in self.thresholds],
            "permutation_importance": [
                {"column": c, "mean": round(m, 6), "std": round(s, 6)}
                for c, m, s in self.importance
            ],
            "in_sample": list(self.in_sample),
        }


def _table(data: TrainingData) -> FeatureTable:
    """`data` as a feature table whose task key is the batch (so contexts stay per corpus)."""
    return FeatureTable(
        keys=tuple((str(g), str(i), "") for i, g in enumerate(data.batches)),
        columns=data.columns,
        values=data.X,
        schema_version=data.schema_version,
        schema_hash=data.schema_hash,
        exec_schema_version=data.exec_schema_version,
        exec_schema_hash=data.exec_schema_hash,
    )


def _view(fit_b: BaselineFit, data: TrainingData, risk: np.ndarray, feature_set: str) -> View:
    """Model and baselines on `data`, and split by task overlap with the training data."""

    def scored(rows: np.ndarray) -> tuple[Scores, dict[str, Scores]]:
        sub, r = data.take(rows), risk[rows]
        base = baseline_scores(fit_b, sub, feature_set)
        return headline_scores(sub, r), {k: headline_scores(sub, v) for k, v in base.items()}

    model, baselines = scored(np.ones(len(data.y), dtype=bool))
    overlap: dict[str, View] = {}
    if fit_b.prior:
        seen = np.isin(data.task_ids.astype(str), list(fit_b.prior))
        for name, rows in (("seen", seen), ("unseen", ~seen)):
            if rows.any():
                overlap[name] = View(*scored(rows))
    return View(model, baselines, overlap)


def _views(
    model: TrainedModel, data: TrainingData, risk: np.ndarray, view: CheckView | None
) -> dict[str, View]:
    # a model saved before baselines were recorded gets the random one only
    fit_b = BaselineFit.from_json(model.meta.baselines)
    out = {}
    if "solo" in model.estimators:
        X = model.matrix(_table(data))
        solo = model.estimators["solo"].predict_proba(with_batch(X, data.batches))[:, 1]
        out["single_file"] = _view(fit_b, data, solo, "solo")
    if view is not None:
        checked = model.predict_risk(_table(view.data))[view.weak]
        out["samples_file"] = _view(fit_b, view.data.take(view.weak), checked, "peers")
    if data.exec_schema_hash is not None and model.has_exec:
        out |= _exec_views(model, data, fit_b)
        # benchmark-only means the static `task` routing: without the exec columns, which
        # would route every passer with peers to exec-peers
        risk = model.predict_risk(_table(_static_only(data)))
    out["benchmark"] = _view(fit_b, data, risk, "task")
    return out


def _static_only(data: TrainingData) -> TrainingData:
    """`data` without its `exec.*` columns (as built without execution)."""
    static = data.with_columns([c for c in data.columns if not is_exec(c)])
    return replace(static, exec_schema_version=None, exec_schema_hash=None)


def _exec_views(model: TrainedModel, data: TrainingData, fit_b: BaselineFit) -> dict[str, View]:
    """The rows as `check` scores them with execution: a samples file with --tasks (the
    passers routed as check routes them: exec-peers with peers, else exec-solo) and one
    file with --tests (exec-solo alone)."""
    out = {}
    table = _table(data)
    risk, used = model.predict_routed(table)
    if "exec-peers" in set(used.tolist()):
        out["samples_file_with_tasks"] = _view(fit_b, data, risk, "exec-peers")
    if "exec-solo" in model.estimators:
        X = with_batch(model.matrix(table), data.batches)
        solo = model.estimators["exec-solo"].predict_proba(X)[:, 1]
        out["file_with_tests"] = _view(fit_b, data, solo, "exec-solo")
    return out


@single_threaded
def evaluate_data(
    model: TrainedModel,
    data: TrainingData,
    *,
    importance: int = 15,
    max_rows: int = 4000,
    view: CheckView | None = None,
) -> Evaluation:
    """Metrics of `model` on `data` (rows already restricted to weak-passers) and, with
    `view`, on the same corpora as `check` reads their samples files."""
    risk = model.predict_risk(_table(data))
    per = {
        str(name): score(data.y[m], risk[m], data.batches[m])
        for name in sorted(set(data.corpus.tolist()))
        if (m := data.corpus == name).any()
    }
    trained_on = {c.get("sha256") for c in model.meta.corpora}
    return Evaluation(
        scores=headline_scores(data, risk),
        per_corpus=per,
        reliability=tuple(reliability(data.y, risk)),
        thresholds=tuple(threshold_table(data.y, risk)),
        importance=_importance(model, data, importance, max_rows) if importance else (),
        in_sample=tuple(
            c["name"]
            for c in model.meta.corpora
            if c.get("sha256") in trained_on and c["name"] in per
        ),
        views=_views(model, data, risk, view),
    )


def _importance(
    model: TrainedModel, data: TrainingData, top: int, max_rows: int
) -> tuple[tuple[str, float, float], ...]:
    """Permutation importance (drop in ROC-AUC) of the `task` estimator on a row sample
    (task context is computed on all rows first, then rows are sampled)."""
    name = next((n for n in SETS if n in model.estimators), None)
    if len(np.unique(data.y)) < 2 or name is None:
        return ()
    est = model.estimators[name]
    X = model.matrix(_table(data))
    context = est[0]
    Xc, names = context.transform(with_batch(X, data.batches)), context.names
    rng = np.random.default_rng(SEED)
    rows = np.sort(rng.choice(len(data.y), size=min(max_rows, len(data.y)), replace=False))
    drops = _drops(calibrated_part(est), Xc[rows], data.y[rows])
    order = sorted((c for c in drops if drops[c][0] != 0), key=lambda c: -drops[c][0])[:top]
    return tuple((names[c], *drops[c]) for c in order)


def _drops(estimator: Any, X: np.ndarray, y: np.ndarray) -> dict[int, tuple[float, float]]:
    """Column -> mean and std of the drop in ROC-AUC when it is permuted (3 times).

    A column with one value over the rows permutes into itself: its drop is exactly 0, so
    only the others are permuted (on a small corpus most context columns are constant, and
    each permutation costs a prediction). sklearn shuffles every column from the same seed,
    so each one's drops are what permuting all of them would give."""
    from sklearn.inspection import permutation_importance

    moving = np.flatnonzero(_varies(X))
    if not moving.size:
        return {}
    res = permutation_importance(
        _embedded(estimator, X, moving),
        X[:, moving],
        y,
        scoring="roc_auc",
        n_repeats=3,
        random_state=SEED,
        n_jobs=1,
    )
    means, stds = res.importances_mean, res.importances_std
    return {int(c): (float(m), float(s)) for c, m, s in zip(moving, means, stds, strict=True)}


def _varies(values: np.ndarray) -> np.ndarray:
    """Per column: does it hold more than one value (NaN counting as one)?"""
    first = values[:1]
    same = (values == first) | (np.isnan(values) & np.isnan(first))
    return ~same.all(axis=0)


def _embedded(estimator: Any, X: np.ndarray, columns: np.ndarray) -> Any:
    """`estimator` fed `X` with its `columns` replaced by the input's (a classifier for
    sklearn's scorers: the pipeline takes its tags and classes from its last step)."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    def fill(part: np.ndarray) -> np.ndarray:
        out = X.copy()
        out[:, columns] = part
        return out

    return Pipeline([("fill", FunctionTransformer(fill)), ("model", estimator)])


def evaluate(
    model: TrainedModel,
    corpora: Sequence[LabeledCorpus],
    *,
    importance: int = 15,
    cache_dir: Path | None = None,
    jobs: int = 2,
    as_check: bool = False,
    execute: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Evaluation:
    """Evaluate on labeled corpora (features with peers = weak-passers, as in training);
    `as_check` adds the samples-file view (every candidate `check` can score as a peer);
    `execute` adds the execution columns (as `train --execute`)."""
    data = stack_tables(
        [
            (
                c.name,
                corpus_table(c, cache_dir=cache_dir, jobs=jobs, execute=execute, progress=progress),
            )
            for c in corpora
        ]
    )
    view = (
        stack_views([check_view(c, cache_dir=cache_dir, jobs=jobs) for c in corpora])
        if as_check
        else None
    )
    ev = evaluate_data(model, data, importance=importance, view=view)
    digests = {c.name: corpus_digest(c) for c in corpora}
    trained = {c.get("sha256") for c in model.meta.corpora}
    return replace(ev, in_sample=tuple(n for n, d in digests.items() if d in trained))


def cross_corpus(
    tables: Sequence[tuple[str, FeatureTable]],
    *,
    families: Sequence[str] = tuple(FAMILIES),
    inner: int = 3,
    views: Mapping[str, CheckView] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Train on all corpora but one and evaluate on that one, for each corpus in turn.

    Each row splits the held-out rows by whether their task id was in the training corpora
    (`views.*.by_overlap`): only the unseen tasks measure what a new task would get."""
    rows = []
    for i, (name, _) in enumerate(tables):
        rest = [t for j, t in enumerate(tables) if j != i]
        if not rest:
            break
        model = fit(stack_tables(rest), families=families, cv=False, inner=inner)
        view = (views or {}).get(name)
        ev = evaluate_data(model, stack_tables([tables[i]]), importance=0, view=view).to_json()
        rows.append(
            {
                "held_out": name,
                "trained_on": [n for n, _ in rest],
                "families": dict(model.meta.families),
                **{k: v for k, v in ev.items() if k not in _NOT_IN_ROWS},
            }
        )
        if progress:
            wt = ev["within_task_auc"]
            progress(f"cross-model: held out {name}: within-task ROC-AUC {wt}")
    return rows
