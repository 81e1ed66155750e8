"""The false-positive classifier: train, evaluate, save and load.

Training uses the candidates that pass the weak tests (status correct or false_positive);
the positive class is false_positive. Each model family is a scikit-learn Pipeline of
stock parts (ColumnTransformer -> SimpleImputer -> StandardScaler -> LogisticRegression,
or ColumnTransformer -> HistGradientBoostingClassifier), calibrated with
CalibratedClassifierCV over task-grouped folds.

Two feature sets are fitted: `peers` (all columns) for candidates scored together with
other candidates of their task, and `solo` (no `rel.*` columns) for a candidate alone,
whose relative features carry no information. Model selection is nested: in every outer
GroupKFold fold (group = corpus + task) the family is chosen by an inner grouped CV on the
training part only, so the reported CV metrics never saw their test fold.

Models are saved with skops (never pickle) and loaded against an explicit list of trusted
types, with metadata: feature-schema hash and columns, tool and interpreter versions,
training corpora with sha256, and CV metrics. The same file carries a verified numpy export
of the fitted estimators (`auditor.compiled`), which `auditor check` loads without importing
scikit-learn.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import math
import platform
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from auditor import __version__
from auditor.errors import InputError, ModelError
from auditor.types import FeatureTable, Status

if TYPE_CHECKING:
    from auditor.corpus.labels import LabeledCorpus

logger = logging.getLogger(__name__)

MODEL_FORMAT = "auditor.model/1"
THRESHOLDS = (0.3, 0.5, 0.7)
MIN_PEERS = 5  # a task needs this many candidates in a batch for the `peers` model
SEED = 0
HGB_MAX_ITER = 150  # boosting rounds (tests lower it for speed)
_F = TypeVar("_F", bound=Callable[..., Any])


# --------------------------------------------------------------------------- families


def single_threaded(fn: _F) -> _F:
    """Run `fn` with BLAS/OpenMP pools at one thread: on a shared machine, gradient
    boosting's OpenMP threads oversubscribe the cores and run several times slower."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _logreg(columns: Sequence[int]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline(
        [
            ("select", ColumnTransformer([("x", "passthrough", list(columns))])),
            ("drop_constant", VarianceThreshold(0.0)),
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(C=0.1, max_iter=2000, random_state=SEED)),
        ]
    )


def _hgb(columns: Sequence[int]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            ("select", ColumnTransformer([("x", "passthrough", list(columns))])),
            # all-NaN columns break the binning; constant ones carry nothing
            ("drop_constant", VarianceThreshold(0.0)),
            (
                "clf",
                HistGradientBoostingClassifier(
                    learning_rate=0.06,
                    max_iter=HGB_MAX_ITER,
                    max_leaf_nodes=15,
                    min_samples_leaf=40,
                    l2_regularization=1.0,
                    early_stopping=False,
                    random_state=SEED,
                ),
            ),
        ]
    )


FAMILIES: Mapping[str, Callable[[Sequence[int]], Any]] = {"logreg": _logreg, "hgb": _hgb}


# Features that need the task itself (reference solution, prompt, tests, weak-test inputs).
# `auditor check` has them only when told the benchmark, so they get their own feature set.
_NEEDS_TASK = (
    "rel.ref_",
    "rel.lits_not_in_ref",
    "rel.lits_in_prompt",
    "rel.lits_in_tests",
    "behavior.",
)
CONTEXT_PREFIX = "task."
SETS = ("task", "peers", "solo")


def _context_base(columns: Sequence[str]) -> list[int]:
    """Columns whose per-task mean and std describe the task's candidates as a whole."""
    return [
        i
        for i, c in enumerate(columns)
        if not c.startswith((*_NEEDS_TASK, "rel.", CONTEXT_PREFIX)) and not c.endswith(".failed")
    ]


def with_task_context(
    X: np.ndarray, columns: Sequence[str], groups: np.ndarray
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Append `task.mean.<col>` and `task.std.<col>`: each base column's mean and standard
    deviation over the rows of the same task (the candidates scored together)."""
    base = _context_base(columns)
    names = (
        *columns,
        *(f"{CONTEXT_PREFIX}mean.{columns[i]}" for i in base),
        *(f"{CONTEXT_PREFIX}std.{columns[i]}" for i in base),
    )
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


def _feature_sets(columns: Sequence[str]) -> dict[str, list[int]]:
    """Column indices of each feature set (over the columns with task context appended):
    `task` everything; `peers` what a batch of candidates without their task gives;
    `solo` what one candidate alone gives (no relative or context columns)."""
    no_task = [i for i, c in enumerate(columns) if not c.startswith(_NEEDS_TASK)]
    return {
        "task": list(range(len(columns))),
        "peers": no_task,
        "solo": [i for i in no_task if not columns[i].startswith(("rel.", CONTEXT_PREFIX))],
    }


def has_task(X: np.ndarray, columns: Sequence[str]) -> np.ndarray:
    """Rows whose task-only features were computed (behavior ran, or a reference was known)."""
    if "behavior.failed" in columns:
        return X[:, columns.index("behavior.failed")] == 0
    ref = [i for i, c in enumerate(columns) if c.startswith("rel.ref_")]
    if not ref:
        return np.zeros(len(X), dtype=bool)
    return np.isfinite(X[:, ref]).any(axis=1)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, eq=False)
class TrainingData:
    """Rows of the weak-passing candidates of one or more corpora."""

    columns: tuple[str, ...]
    X: np.ndarray
    y: np.ndarray  # 1 = false positive
    groups: np.ndarray  # "<corpus>:<task_id>"
    corpus: np.ndarray  # corpus name per row
    schema_version: str
    schema_hash: str
    tool_versions: Mapping[str, str]

    @property
    def task_ids(self) -> np.ndarray:
        return self.groups


def _weak_passers(corpus: LabeledCorpus) -> tuple[list[Any], list[Any]]:
    if corpus.candidates is None:
        raise InputError(f"{corpus.name}: its samples were not found; cannot extract features")
    keep = [
        i
        for i, lab in enumerate(corpus.labels)
        if lab.status in (Status.CORRECT, Status.FALSE_POSITIVE)
    ]
    return [corpus.candidates[i] for i in keep], [corpus.labels[i] for i in keep]


def corpus_table(
    corpus: LabeledCorpus, *, cache_dir: Path | None = None, jobs: int = 2
) -> FeatureTable:
    """Features of a corpus's weak-passing candidates, peers = the other weak-passers."""
    from auditor import features

    cands, labels = _weak_passers(corpus)
    if not cands:
        raise InputError(f"{corpus.name}: no candidate passes the weak tests")
    return features.extract(
        cands, labels=labels, tasks=corpus.tasks, cache_dir=cache_dir, jobs=jobs
    )


def stack_tables(tables: Sequence[tuple[str, FeatureTable]]) -> TrainingData:
    """Join per-corpus tables (same schema) into one training set."""
    if not tables:
        raise InputError("no labeled corpus given")
    first = tables[0][1]
    names = [name for name, _ in tables]
    if len(set(names)) != len(names):
        raise InputError(
            f"corpus given twice: {', '.join(sorted({n for n in names if names.count(n) > 1}))}"
        )
    for name, t in tables:
        if t.schema_hash != first.schema_hash or t.columns != first.columns:
            raise InputError(f"{name}: feature schema differs from the other corpora")
        if t.labels is None:
            raise InputError(f"{name}: feature table has no labels")
    X, y, groups, corpus = [], [], [], []
    for name, t in tables:
        assert t.labels is not None
        keep = [i for i, s in enumerate(t.labels) if s in (Status.CORRECT, Status.FALSE_POSITIVE)]
        X.append(t.values[keep])
        y.append(np.array([t.labels[i] is Status.FALSE_POSITIVE for i in keep], dtype=int))
        groups.append(np.array([f"{name}:{t.keys[i][0]}" for i in keep], dtype=object))
        corpus.append(np.array([name] * len(keep), dtype=object))
    return TrainingData(
        columns=first.columns,
        X=np.vstack(X).astype(np.float64),
        y=np.concatenate(y),
        groups=np.concatenate(groups),
        corpus=np.concatenate(corpus),
        schema_version=first.schema_version,
        schema_hash=first.schema_hash,
        tool_versions=dict(first.tool_versions),
    )


# --------------------------------------------------------------------------- metrics


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
        return {k: _num(v) for k, v in asdict(self).items()}


def _num(v: Any) -> Any:
    """Floats rounded for JSON, NaN as null."""
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 6)
    return v


def score(y: np.ndarray, risk: np.ndarray, groups: np.ndarray) -> Scores:
    """Pooled ROC-AUC/PR-AUC, within-task ROC-AUC (tasks with both classes), Brier."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    from auditor.metrics import within_task_auc

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


# --------------------------------------------------------------------------- fitting


def _group_splits(groups: np.ndarray, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import GroupKFold

    k = min(n_splits, len(np.unique(groups)))
    if k < 2:
        raise InputError("need at least 2 tasks with weak-passing candidates to train")
    dummy = np.zeros(len(groups))
    return list(GroupKFold(n_splits=k).split(dummy, groups=groups))


def _fit_calibrated(
    family: str, cols: Sequence[int], X: np.ndarray, y: np.ndarray, groups: np.ndarray, inner: int
) -> Any:
    from sklearn.calibration import CalibratedClassifierCV

    splits = _group_splits(groups, inner)
    if all(len(np.unique(y[tr])) == 2 for tr, _ in splits):
        # One estimator refit on all rows plus a sigmoid fitted on the pooled out-of-fold
        # scores: a third of the size (and load time) of one estimator per fold.
        cal = CalibratedClassifierCV(
            FAMILIES[family](cols), method="sigmoid", cv=splits, ensemble=False
        )
        return cal.fit(X, y)
    # Out-of-fold prediction needs every fold trainable; on tiny data keep the folds
    # that have both classes on both sides, one estimator each.
    splits = [
        (tr, te) for tr, te in splits if len(np.unique(y[tr])) == 2 and len(np.unique(y[te])) == 2
    ]
    if not splits:
        raise InputError("too few false positives to train a calibrated model")
    cal = CalibratedClassifierCV(FAMILIES[family](cols), method="sigmoid", cv=splits)
    return cal.fit(X, y)


def _oof(
    family: str, cols: Sequence[int], X: np.ndarray, y: np.ndarray, groups: np.ndarray, k: int
) -> np.ndarray:
    """Out-of-fold uncalibrated scores of a family (for model selection)."""
    out = np.full(len(y), np.nan)
    for tr, te in _group_splits(groups, k):
        if len(np.unique(y[tr])) < 2:
            continue
        est = FAMILIES[family](cols).fit(X[tr], y[tr])
        out[te] = est.predict_proba(X[te])[:, 1]
    return out


def _selection_score(y: np.ndarray, s: np.ndarray, groups: np.ndarray) -> float:
    m = ~np.isnan(s)
    sc = score(y[m], s[m], groups[m])
    return float(np.nanmean([sc.roc_auc, sc.within_task_auc]))


def _select(
    cols: Sequence[int],
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    families: Sequence[str],
    k: int,
) -> tuple[str, dict[str, float]]:
    inner = {f: _selection_score(y, _oof(f, cols, X, y, groups, k), groups) for f in families}
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
    X, names = with_task_context(data.X, data.columns, data.groups)
    cols = _feature_sets(names)[feature_set]
    y, g = data.y, data.groups
    preds = {f: np.full(len(y), np.nan) for f in families}
    nested = np.full(len(y), np.nan)
    chosen = []
    splits = _group_splits(g, outer)
    for i, (tr, te) in enumerate(splits):
        best, inner_scores = _select(cols, X[tr], y[tr], g[tr], families, inner)
        chosen.append(best)
        for f in families:
            preds[f][te] = _fit_calibrated(f, cols, X[tr], y[tr], g[tr], inner).predict_proba(
                X[te]
            )[:, 1]
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


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class ModelMeta:
    """What a model was trained on and how well it did."""

    format: str
    schema_version: str
    schema_hash: str
    columns: tuple[str, ...]
    families: Mapping[str, str]  # feature set -> chosen family
    tool_versions: Mapping[str, str]
    versions: Mapping[str, str]  # auditor, python, sklearn, skops, numpy
    corpora: tuple[Mapping[str, Any], ...]  # name, sha256, n (weak-passers), fp
    cv: Mapping[str, Any] = field(default_factory=dict)
    min_peers: int = MIN_PEERS

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["columns"] = list(self.columns)
        d["corpora"] = [dict(c) for c in self.corpora]
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ModelMeta:
        return cls(
            format=d["format"],
            schema_version=d["schema_version"],
            schema_hash=d["schema_hash"],
            columns=tuple(d["columns"]),
            families=dict(d["families"]),
            tool_versions=dict(d["tool_versions"]),
            versions=dict(d["versions"]),
            corpora=tuple(dict(c) for c in d["corpora"]),
            cv=dict(d.get("cv", {})),
            min_peers=int(d.get("min_peers", MIN_PEERS)),
        )


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """Fitted, calibrated estimators per feature set, with their metadata."""

    estimators: Mapping[str, Any]  # set -> fitted CalibratedClassifierCV, or its numpy export
    meta: ModelMeta

    def _matrix(self, table: FeatureTable) -> np.ndarray:
        if table.schema_hash != self.meta.schema_hash:
            raise ModelError(
                f"model was trained for feature schema {self.meta.schema_hash[:12]} "
                f"({self.meta.schema_version}) but the features are {table.schema_hash[:12]} "
                f"({table.schema_version}); retrain it with `auditor train`"
            )
        try:
            idx = [table.columns.index(c) for c in self.meta.columns]
        except ValueError as exc:
            raise ModelError(f"feature table lacks a model column: {exc}") from None
        return table.values[:, idx]

    @single_threaded
    def predict_risk(self, table: FeatureTable) -> np.ndarray:
        """Calibrated P(false positive) per row.

        Rows of a task with at least `min_peers` rows in the table use the `task` estimator
        when their task-only features were computed, else `peers`; other rows use `solo`.
        A missing estimator falls back to the next one in that order."""
        X = self._matrix(table)
        if len(X) == 0:
            return np.zeros(0)
        tasks = np.array([k[0] for k in table.keys], dtype=object)
        Xc, _ = with_task_context(X, self.meta.columns, tasks)
        _, inverse, counts = np.unique(tasks.astype(str), return_inverse=True, return_counts=True)
        crowd = counts[inverse] >= self.meta.min_peers
        known = has_task(X, self.meta.columns)
        want = np.where(crowd & known, 0, np.where(crowd, 1, 2))
        risk = np.empty(len(X))
        for i in range(len(SETS)):
            mask = want == i
            if not mask.any():
                continue
            order = [*SETS[i:], *reversed(SETS[:i])]
            use = next(n for n in order if n in self.estimators)
            risk[mask] = self.estimators[use].predict_proba(Xc[mask])[:, 1]
        return risk

    def describe(self) -> str:
        names = "+".join(str(c["name"]) for c in self.meta.corpora) or "unknown data"
        fams = ",".join(f"{k}={v}" for k, v in sorted(self.meta.families.items()))
        return f"{fams} trained on {names} (schema {self.meta.schema_hash[:12]})"


def _versions() -> dict[str, str]:
    import sklearn
    import skops

    return {
        "auditor": __version__,
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "skops": skops.__version__,
        "numpy": np.__version__,
    }


def corpus_digest(corpus: LabeledCorpus) -> str:
    """sha256 over a corpus's labels (task, sample, solution hash, status), order-independent."""
    rows = sorted(
        f"{lab.task_id}\t{lab.sample_id}\t{lab.solution_sha256}\t{lab.status.value}"
        for lab in corpus.labels
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


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
    X, names = with_task_context(data.X, data.columns, data.groups)
    all_sets = _feature_sets(names)
    cv_sets = set(sets) if cv is True else set(cv or ())
    estimators: dict[str, Any] = {}
    chosen: dict[str, str] = {}
    cv_json: dict[str, Any] = {}
    for name in sets:
        cols = all_sets[name]
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
        best, inner_scores = _select(cols, X, data.y, data.groups, families, inner)
        cv_json.setdefault(name, {})["selection"] = {
            k: round(v, 6) for k, v in inner_scores.items()
        }
        chosen[name] = best
        estimators[name] = _fit_calibrated(best, cols, X, data.y, data.groups, inner)
        if progress:
            progress(f"{name}: fitted {best}")
    meta = ModelMeta(
        format=MODEL_FORMAT,
        schema_version=data.schema_version,
        schema_hash=data.schema_hash,
        columns=data.columns,
        families=chosen,
        tool_versions=dict(data.tool_versions),
        versions=_versions(),
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


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    """How a model scores on labeled corpora."""

    scores: Scores
    per_corpus: Mapping[str, Scores]
    reliability: tuple[Mapping[str, Any], ...]
    thresholds: tuple[Mapping[str, Any], ...]
    importance: tuple[tuple[str, float, float], ...]  # column, mean drop in ROC-AUC, std
    in_sample: tuple[str, ...]  # corpora the model was also trained on

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "auditor.evaluation/1",
            **self.scores.to_json(),
            "per_corpus": {k: v.to_json() for k, v in self.per_corpus.items()},
            "reliability": [dict(r) for r in self.reliability],
            "thresholds": [dict(r) for r in self.thresholds],
            "permutation_importance": [
                {"column": c, "mean": round(m, 6), "std": round(s, 6)}
                for c, m, s in self.importance
            ],
            "in_sample": list(self.in_sample),
        }


@single_threaded
def evaluate_data(
    model: TrainedModel,
    data: TrainingData,
    *,
    importance: int = 15,
    max_rows: int = 4000,
) -> Evaluation:
    """Metrics of `model` on `data` (rows already restricted to weak-passers)."""
    table = FeatureTable(
        keys=tuple((str(g), str(i), "") for i, g in enumerate(data.groups)),
        columns=data.columns,
        values=data.X,
        schema_version=data.schema_version,
        schema_hash=data.schema_hash,
    )
    risk = model.predict_risk(table)
    per = {
        str(name): score(data.y[m], risk[m], data.groups[m])
        for name in sorted(set(data.corpus.tolist()))
        if (m := data.corpus == name).any()
    }
    trained_on = {c.get("sha256") for c in model.meta.corpora}
    return Evaluation(
        scores=score(data.y, risk, data.groups),
        per_corpus=per,
        reliability=tuple(reliability(data.y, risk)),
        thresholds=tuple(threshold_table(data.y, risk)),
        importance=_importance(model, data, importance, max_rows) if importance else (),
        in_sample=tuple(
            c["name"]
            for c in model.meta.corpora
            if c.get("sha256") in trained_on and c["name"] in per
        ),
    )


def _importance(
    model: TrainedModel, data: TrainingData, top: int, max_rows: int
) -> tuple[tuple[str, float, float], ...]:
    """Permutation importance (drop in ROC-AUC) of the `task` estimator on a row sample
    (task context is computed on all rows first, then rows are sampled)."""
    from sklearn.inspection import permutation_importance

    name = next((n for n in SETS if n in model.estimators), None)
    if len(np.unique(data.y)) < 2 or name is None:
        return ()
    X = data.X[:, [data.columns.index(c) for c in model.meta.columns]]
    Xc, names = with_task_context(X, model.meta.columns, data.groups)
    rng = np.random.default_rng(SEED)
    rows = np.sort(rng.choice(len(data.y), size=min(max_rows, len(data.y)), replace=False))
    res = permutation_importance(
        model.estimators[name],
        Xc[rows],
        data.y[rows],
        scoring="roc_auc",
        n_repeats=3,
        random_state=SEED,
        n_jobs=1,
    )
    order = [i for i in np.argsort(-res.importances_mean) if res.importances_mean[i] != 0][:top]
    return tuple(
        (names[i], float(res.importances_mean[i]), float(res.importances_std[i])) for i in order
    )


def evaluate(
    model: TrainedModel,
    corpora: Sequence[LabeledCorpus],
    *,
    importance: int = 15,
    cache_dir: Path | None = None,
    jobs: int = 2,
) -> Evaluation:
    """Evaluate on labeled corpora (features with peers = weak-passers, as in training)."""
    data = stack_tables(
        [(c.name, corpus_table(c, cache_dir=cache_dir, jobs=jobs)) for c in corpora]
    )
    ev = evaluate_data(model, data, importance=importance)
    digests = {c.name: corpus_digest(c) for c in corpora}
    trained = {c.get("sha256") for c in model.meta.corpora}
    return Evaluation(
        ev.scores,
        ev.per_corpus,
        ev.reliability,
        ev.thresholds,
        ev.importance,
        tuple(n for n, d in digests.items() if d in trained),
    )


def cross_corpus(
    tables: Sequence[tuple[str, FeatureTable]],
    *,
    families: Sequence[str] = tuple(FAMILIES),
    inner: int = 3,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Train on all corpora but one and evaluate on that one, for each corpus in turn."""
    rows = []
    for i, (name, _) in enumerate(tables):
        rest = [t for j, t in enumerate(tables) if j != i]
        if not rest:
            break
        model = fit(stack_tables(rest), families=families, cv=False, inner=inner, sets=("task",))
        ev = evaluate_data(model, stack_tables([tables[i]]), importance=0)
        rows.append(
            {
                "held_out": name,
                "trained_on": [n for n, _ in rest],
                "families": dict(model.meta.families),
                **ev.scores.to_json(),
                "thresholds": [dict(r) for r in ev.thresholds],
            }
        )
        if progress:
            progress(f"cross-model: held out {name}: ROC-AUC {ev.scores.roc_auc:.3f}")
    return rows


# --------------------------------------------------------------------------- persistence

# Everything a saved model may contain beyond skops' default-trusted builtins/numpy/sklearn.
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.feature_selection._variance_threshold.VarianceThreshold",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn.utils._bunch.Bunch",
    "builtins.slice",
    "numpy.dtype",
    "numpy.ndarray",
    "collections.OrderedDict",
)


def default_model_path() -> Path:
    """The packaged pretrained model."""
    return Path(__file__).resolve().parent / "data" / "default_model.skops"


def _feature_names(columns: Sequence[str]) -> tuple[str, ...]:
    """The estimators' input columns: `columns` plus the task-context ones."""
    return with_task_context(np.empty((0, len(columns))), columns, np.empty(0))[1]


def save_model(model: TrainedModel, path: str | Path) -> None:
    """Write `model` with skops (atomic), plus its numpy export for fast loading when
    every estimator exports exactly (see `auditor.compiled`)."""
    import skops.io as sio

    from auditor import compiled

    meta = model.meta.to_json()
    payload = {"meta": json.dumps(meta, sort_keys=True), "estimators": dict(model.estimators)}
    data = sio.dumps(payload, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    width = len(_feature_names(model.meta.columns))
    exported, skipped = compiled.compile_all(
        model.estimators, dict.fromkeys(model.estimators, width)
    )
    if skipped:
        logger.warning("model saved without its fast export (%s)", "; ".join(skipped))
    else:
        buf = io.BytesIO(data)
        with zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            compiled.write(zf, meta, exported)
        data = buf.getvalue()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


_MALFORMED = (
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    TypeError,
    json.JSONDecodeError,
    OSError,
    AttributeError,
    EOFError,
)


def _read_export(path: Path, data: bytes) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The model's numpy export, or None when it has none."""
    from auditor import compiled

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            found = compiled.read(zf)
        if found is not None:
            compiled.validate(found[1], len(_feature_names(found[0]["columns"])))
        return found
    except _MALFORMED as exc:
        raise ModelError(f"{path}: not a valid auditor model ({type(exc).__name__})") from None


def _read_skops(path: Path, data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        # One pass: skops refuses any type outside the list (a second audit pass with
        # get_untrusted_types would double the load time).
        payload = sio.loads(data, trusted=list(TRUSTED_TYPES))
        return json.loads(payload["meta"]), dict(payload["estimators"])
    except UntrustedTypesFoundException as exc:
        raise ModelError(f"{path}: model contains untrusted types: {exc}") from None
    except _MALFORMED as exc:
        raise ModelError(f"{path}: not a valid auditor model ({type(exc).__name__})") from None


def load_model(
    path: str | Path, *, check_schema: bool = True, predict_only: bool = False
) -> TrainedModel:
    """Load a saved model; a corrupt file or a model for another feature schema is a
    ModelError.

    The scikit-learn estimators come from skops, refusing unknown types. With
    `predict_only`, the model's numpy export is used when it has one: the same
    predictions without importing scikit-learn (what `auditor check` needs)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model: {exc.strerror or exc}") from None
    found = _read_export(path, data) if predict_only else None
    raw_meta, estimators = found if found is not None else _read_skops(path, data)
    try:
        meta = ModelMeta.from_json(raw_meta)
    except _MALFORMED as exc:
        raise ModelError(f"{path}: not a valid auditor model ({type(exc).__name__})") from None
    if meta.format != MODEL_FORMAT:
        raise ModelError(f"{path}: model format {meta.format!r}, expected {MODEL_FORMAT!r}")
    if not estimators or not set(estimators) <= set(SETS):
        raise ModelError(f"{path}: model lacks its estimators")
    if check_schema:
        from auditor import features

        current = features.schema_hash()
        if meta.schema_hash != current:
            raise ModelError(
                f"{path}: model was trained for feature schema {meta.schema_hash[:12]} "
                f"({meta.schema_version}) but this auditor extracts {current[:12]} "
                f"({features.SCHEMA_VERSION}); retrain it with `auditor train`"
            )
    return TrainedModel(estimators, meta)
