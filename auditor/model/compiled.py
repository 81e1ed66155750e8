"""A numpy-only export of fitted, calibrated estimators, for fast start-up.

`auditor check` on one file must answer in well under two seconds, and importing
scikit-learn and skops and rebuilding the estimators takes longer than that on its own. So
`save_model` also writes the fitted numbers (tree nodes, imputer and scaler statistics,
coefficients, sigmoid parameters) as plain `.npy` arrays beside the skops payload, after
checking that this export predicts what scikit-learn predicts. Loading it is `np.load` with
`allow_pickle=False`: data only, nothing executes.

Supported: `CalibratedClassifierCV(method="sigmoid")` over the pipelines `auditor.model.families`
builds (column selection, `VarianceThreshold`, optional `SimpleImputer` + `StandardScaler`,
then `HistGradientBoostingClassifier` on numeric features or `LogisticRegression`).
Anything else is not exported and loads through skops instead.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FORMAT = "auditor.compiled/1"
INDEX = "auditor/compiled.json"  # zip member names, beside skops's own members
ARRAYS = "auditor/arrays/"
_TOLERANCE = 1e-9  # largest |difference| from scikit-learn accepted at export


@dataclass(frozen=True, eq=False)
class Trees:
    """Gradient-boosted trees, all nodes of all trees concatenated (numeric splits only)."""

    baseline: float
    roots: np.ndarray  # int32, first node of each tree
    feature: np.ndarray  # int32
    threshold: np.ndarray  # float64; x <= threshold goes left
    missing_left: np.ndarray  # bool; NaN goes left
    left: np.ndarray  # int32, global node index
    right: np.ndarray  # int32
    leaf: np.ndarray  # bool
    value: np.ndarray  # float64

    def decision(self, X: np.ndarray) -> np.ndarray:
        node = np.broadcast_to(self.roots, (len(X), len(self.roots))).copy()
        rows = np.arange(len(X))[:, None]
        while True:
            active = ~self.leaf[node]
            if not active.any():
                break
            x = X[np.broadcast_to(rows, node.shape)[active], self.feature[node[active]]]
            n = node[active]
            go_left = np.where(np.isnan(x), self.missing_left[n], x <= self.threshold[n])
            node[active] = np.where(go_left, self.left[n], self.right[n])
        leaves = self.value[node]
        raw = np.full(len(X), self.baseline)
        # tree by tree, in scikit-learn's order, so the sum rounds the same way
        for t in range(leaves.shape[1]):
            raw += leaves[:, t]
        return raw


@dataclass(frozen=True, eq=False)
class Linear:
    """A linear decision function."""

    coef: np.ndarray
    intercept: float

    def decision(self, X: np.ndarray) -> np.ndarray:
        return X @ self.coef + self.intercept


@dataclass(frozen=True, eq=False)
class Member:
    """One calibrated pipeline: column choice, optional impute/scale, head, sigmoid."""

    columns: np.ndarray  # int32 indices into the full feature matrix
    fill: np.ndarray | None  # value replacing NaN per selected column
    mean: np.ndarray | None
    scale: np.ndarray | None
    head: Trees | Linear
    a: float
    b: float

    def proba(self, X: np.ndarray) -> np.ndarray:
        Z = np.asarray(X, dtype=np.float64)[:, self.columns]
        if self.fill is not None:
            Z = np.where(np.isnan(Z), self.fill, Z)
        if self.mean is not None and self.scale is not None:
            Z = (Z - self.mean) / self.scale
        t = self.head.decision(Z)
        with np.errstate(over="ignore"):  # exp overflow is probability 0, as in expit
            return 1.0 / (1.0 + np.exp(self.a * t + self.b))


@dataclass(frozen=True, eq=False)
class CompiledClassifier:
    """Drop-in for a fitted binary `CalibratedClassifierCV` in `predict_proba`."""

    members: tuple[Member, ...]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = np.mean([m.proba(X) for m in self.members], axis=0)
        return np.column_stack([1.0 - p, p])


# --------------------------------------------------------------------------- export


class NotExportable(Exception):
    """The estimator has a part this module does not reproduce."""


def _kind(obj: Any) -> str:
    return type(obj).__name__


def _trees(clf: Any) -> Trees:
    if getattr(clf, "is_categorical_", None) is not None and np.any(clf.is_categorical_):
        raise NotExportable("categorical features")
    if clf.n_trees_per_iteration_ != 1:
        raise NotExportable("more than two classes")
    nodes = [p[0].nodes for p in clf._predictors]
    sizes = np.array([len(n) for n in nodes], dtype=np.int64)
    if sizes.sum() >= 2**31:
        raise NotExportable("too many tree nodes")
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int32)
    allnodes = np.concatenate(nodes)
    shift = np.repeat(offsets.astype(np.int64), sizes)
    return Trees(
        baseline=float(np.ravel(clf._baseline_prediction)[0]),
        roots=offsets,
        feature=allnodes["feature_idx"].astype(np.int32),
        threshold=allnodes["num_threshold"].astype(np.float64),
        missing_left=allnodes["missing_go_to_left"].astype(bool),
        left=(allnodes["left"] + shift).astype(np.int32),
        right=(allnodes["right"] + shift).astype(np.int32),
        leaf=allnodes["is_leaf"].astype(bool),
        value=allnodes["value"].astype(np.float64),
    )


@dataclass
class _Parts:
    """What the pipeline steps read so far set (each at most once, in pipeline order)."""

    columns: np.ndarray | None = None
    fill: np.ndarray | None = None
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    head: Trees | Linear | None = None


def _member(cal: Any) -> Member:
    if len(cal.calibrators) != 1 or _kind(cal.calibrators[0]) != "_SigmoidCalibration":
        raise NotExportable("calibration other than a binary sigmoid")
    if list(cal.classes) != [0, 1] or list(cal.estimator.classes_) != [0, 1]:
        raise NotExportable("classes other than 0/1")
    steps = list(cal.estimator.steps) if _kind(cal.estimator) == "Pipeline" else []
    if not steps:
        raise NotExportable("not a pipeline")
    parts = _Parts()
    for i, (_, step) in enumerate(steps):
        _read_step(parts, step, last=i == len(steps) - 1)
    if parts.columns is None or parts.head is None:
        raise NotExportable("pipeline without column selection or classifier")
    sig = cal.calibrators[0]
    return Member(
        parts.columns, parts.fill, parts.mean, parts.scale, parts.head, float(sig.a_), float(sig.b_)
    )


def _read_step(parts: _Parts, step: Any, last: bool) -> None:
    """Record what one pipeline step does in `parts`; NotExportable for a step out of
    place (a second column selection, a selection after imputation, a head before the
    end) or of another kind."""
    kind = _kind(step)
    if kind not in _STEPS or not _STEPS[kind][1](parts, last, step):
        raise NotExportable(f"pipeline step {kind}")
    _STEPS[kind][0](parts, step)


def _read_columns(parts: _Parts, step: Any) -> None:
    (_, how, cols), *rest = step.transformers_
    # fitted "passthrough" is an identity FunctionTransformer
    identity = how == "passthrough" or (_kind(how) == "FunctionTransformer" and how.func is None)
    if not identity or any(t[1] != "drop" for t in rest):
        raise NotExportable("column transformer other than one passthrough")
    parts.columns = np.asarray(cols, dtype=np.int32)


def _read_variance(parts: _Parts, step: Any) -> None:
    assert parts.columns is not None  # checked by its place in `_STEPS`
    parts.columns = parts.columns[step.get_support()]


def _read_imputer(parts: _Parts, step: Any) -> None:
    if not (isinstance(step.missing_values, float) and np.isnan(step.missing_values)):
        raise NotExportable("imputer for values other than NaN")
    assert parts.columns is not None  # checked by its place in `_STEPS`
    if len(step.statistics_) != len(parts.columns) or step.add_indicator:
        raise NotExportable("imputer that changes the columns")
    parts.fill = np.asarray(step.statistics_, dtype=np.float64)


def _read_scaler(parts: _Parts, step: Any) -> None:
    if not (step.with_mean and step.with_std):
        raise NotExportable("partial scaler")
    parts.mean = np.asarray(step.mean_, dtype=np.float64)
    parts.scale = np.asarray(step.scale_, dtype=np.float64)


def _read_trees(parts: _Parts, step: Any) -> None:
    parts.head = _trees(step)


def _read_linear(parts: _Parts, step: Any) -> None:
    parts.head = Linear(np.asarray(step.coef_[0], dtype=np.float64), float(step.intercept_[0]))


def _selected(parts: _Parts, last: bool, step: Any) -> bool:
    """Columns chosen and none imputed yet (the statistics are per selected column)."""
    return parts.columns is not None and parts.fill is None


_Reads = Callable[[_Parts, Any], None]
_Fits = Callable[[_Parts, bool, Any], bool]
# Per step kind: how to read it, and whether it may stand where it stands.
_STEPS: Mapping[str, tuple[_Reads, _Fits]] = {
    "ColumnTransformer": (_read_columns, lambda parts, last, step: parts.columns is None),
    "VarianceThreshold": (_read_variance, _selected),
    "SimpleImputer": (_read_imputer, _selected),
    "StandardScaler": (_read_scaler, lambda parts, last, step: parts.mean is None),
    "HistGradientBoostingClassifier": (_read_trees, lambda parts, last, step: last),
    "LogisticRegression": (
        _read_linear,
        lambda parts, last, step: last and step.coef_.shape[0] == 1,
    ),
}


def export(estimator: Any) -> CompiledClassifier:
    """The numpy form of a fitted `CalibratedClassifierCV`; NotExportable if unsupported."""
    if _kind(estimator) != "CalibratedClassifierCV" or estimator.method != "sigmoid":
        raise NotExportable("not a sigmoid CalibratedClassifierCV")
    return CompiledClassifier(tuple(_member(c) for c in estimator.calibrated_classifiers_))


def probe_rows(compiled: CompiledClassifier, n_features: int, n: int = 512) -> np.ndarray:
    """Rows that reach many branches: values on, just beside and between the split
    thresholds and imputation statistics, random magnitudes, and NaN."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, n_features)) * rng.choice([1.0, 10.0, 1000.0], (n, n_features))
    for m in compiled.members:
        if isinstance(m.head, Trees):
            split = ~m.head.leaf
            for f in np.unique(m.head.feature[split]):
                ts = m.head.threshold[split & (m.head.feature == f)]
                col = int(m.columns[f])
                picks = rng.choice(ts, n) + rng.choice([0.0, -1e-9, 1e-9, 0.5, -0.5], n)
                X[:, col] = np.where(rng.random(n) < 0.7, picks, X[:, col])
    X[rng.random(X.shape) < 0.1] = np.nan
    return X


def verify(estimator: Any, compiled: CompiledClassifier, X: np.ndarray) -> float:
    """Largest |difference| between the two `predict_proba` on `X`."""
    return float(np.max(np.abs(estimator.predict_proba(X) - compiled.predict_proba(X)), initial=0))


# --------------------------------------------------------------------------- storage


def _fields(obj: Any) -> Iterator[tuple[str, Any]]:
    yield from ((k, getattr(obj, k)) for k in obj.__dataclass_fields__)


def write(
    archive: zipfile.ZipFile, meta: Mapping[str, Any], compiled: Mapping[str, CompiledClassifier]
) -> None:
    """Add the compiled estimators (one `.npy` per array, a JSON index) to `archive`."""
    index: dict[str, Any] = {"format": FORMAT, "meta": dict(meta), "estimators": {}}
    for name, clf in sorted(compiled.items()):
        members = []
        for i, m in enumerate(clf.members):
            entry: dict[str, Any] = {"head": _kind(m.head)}
            for part, obj in (("member", m), ("head", m.head)):
                for key, val in _fields(obj):
                    if isinstance(val, np.ndarray):
                        member = f"{ARRAYS}{name}.{i}.{part}.{key}.npy"
                        buf = io.BytesIO()
                        np.save(buf, val, allow_pickle=False)
                        archive.writestr(member, buf.getvalue())
                        entry[f"{part}.{key}"] = member
                    elif isinstance(val, float):
                        entry[f"{part}.{key}"] = val
            members.append(entry)
        index["estimators"][name] = members
    archive.writestr(INDEX, json.dumps(index, sort_keys=True))


def _array(archive: zipfile.ZipFile, member: str) -> np.ndarray:
    with archive.open(member) as fh:
        return np.load(io.BytesIO(fh.read()), allow_pickle=False)


_HEADS: Mapping[str, type[Trees] | type[Linear]] = {"Trees": Trees, "Linear": Linear}


def read(
    archive: zipfile.ZipFile,
) -> tuple[dict[str, Any], dict[str, CompiledClassifier]] | None:
    """(model metadata, compiled estimators), or None when `archive` has no export.
    A malformed export raises KeyError, ValueError or TypeError."""
    try:
        raw = archive.read(INDEX)
    except KeyError:
        return None
    index = json.loads(raw)
    if index.get("format") != FORMAT:
        return None
    out: dict[str, CompiledClassifier] = {}
    for name, entries in index["estimators"].items():
        members = []
        for entry in entries:

            def value(key: str, entry: Mapping[str, Any] = entry) -> Any:
                v = entry.get(key)
                if isinstance(v, str):
                    return _array(archive, v)
                return v

            cls = _HEADS[entry["head"]]
            head = cls(**{k: value(f"head.{k}") for k in cls.__dataclass_fields__})
            fields = {k: value(f"member.{k}") for k in Member.__dataclass_fields__ if k != "head"}
            members.append(Member(head=head, **fields))
        out[name] = CompiledClassifier(tuple(members))
    return dict(index["meta"]), out


def validate(compiled: Mapping[str, CompiledClassifier], width: int) -> None:
    """Raise ValueError unless every export is well formed for `width` input columns: a
    corrupt file must fail at load, not index out of range or loop at prediction."""
    for clf in compiled.values():
        if not clf.members:
            raise ValueError("estimator without members")
        for m in clf.members:
            _validate_member(m, width)


def _validate_member(m: Member, width: int) -> None:
    _validate_columns(m.columns, width)
    k = len(m.columns)
    for arr in (m.fill, m.mean, m.scale):
        if arr is not None and not (isinstance(arr, np.ndarray) and arr.shape == (k,)):
            raise ValueError("statistics")
    if not all(isinstance(v, float) for v in (m.a, m.b)):
        raise ValueError("sigmoid")
    if isinstance(m.head, Linear):
        if not (isinstance(m.head.coef, np.ndarray) and m.head.coef.shape == (k,)):
            raise ValueError("coefficients")
        return
    _validate_trees(m.head, k)


def _validate_columns(cols: Any, width: int) -> None:
    if not (isinstance(cols, np.ndarray) and cols.ndim == 1 and cols.dtype.kind in "iu"):
        raise ValueError("columns")
    if len(cols) and (cols.min() < 0 or cols.max() >= width):
        raise ValueError("columns out of range")


def _validate_trees(head: Trees, k: int) -> None:
    """Raise ValueError unless `head` is trees over `k` columns whose every walk ends."""
    n = len(head.value)
    arrays = (head.feature, head.threshold, head.missing_left, head.left, head.right, head.leaf)
    if any(not isinstance(a, np.ndarray) or a.shape != (n,) for a in arrays):
        raise ValueError("tree arrays")
    if head.leaf.dtype != bool or head.missing_left.dtype != bool:
        raise ValueError("tree flags")
    indices = (head.roots, head.feature, head.left, head.right)
    if any(not isinstance(a, np.ndarray) or a.dtype.kind not in "iu" for a in indices):
        raise ValueError("tree indices")
    roots = head.roots
    if (
        roots.ndim != 1
        or not len(roots)
        or roots[0] != 0
        or np.any(np.diff(roots) <= 0)
        or roots[-1] >= n
    ):
        raise ValueError("tree roots")
    # children come after their parent within the same tree (pre-order), so a walk ends
    idx = np.arange(n)
    tree_end = np.append(roots[1:], n)[np.searchsorted(roots, idx, side="right") - 1]
    split = ~head.leaf
    for child in (head.left, head.right):
        if not np.all((child[split] > idx[split]) & (child[split] < tree_end[split])):
            raise ValueError("tree links")
    if np.any(head.feature[split] < 0) or np.any(head.feature[split] >= k):
        raise ValueError("tree features")


def compile_all(
    estimators: Mapping[str, Any], n_features: Mapping[str, int]
) -> tuple[dict[str, CompiledClassifier], list[str]]:
    """Export and verify each estimator; returns the exported ones and, for the others,
    why not (unsupported part, or predictions that differ from scikit-learn's)."""
    done: dict[str, CompiledClassifier] = {}
    skipped: list[str] = []
    for name, est in estimators.items():
        try:
            compiled = export(est)
        except NotExportable as exc:
            skipped.append(f"{name}: {exc}")
            continue
        try:
            validate({name: compiled}, n_features[name])
            diff = verify(est, compiled, probe_rows(compiled, n_features[name]))
        except (ValueError, IndexError) as exc:
            skipped.append(f"{name}: export is malformed ({exc})")
            continue
        if not diff <= _TOLERANCE:
            skipped.append(f"{name}: export differs from scikit-learn by {diff:.3g}")
            continue
        done[name] = compiled
    return done, skipped


__all__: Sequence[str] = (
    "CompiledClassifier",
    "NotExportable",
    "compile_all",
    "export",
    "read",
    "validate",
    "write",
)
