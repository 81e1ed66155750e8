"""A trained model: fitted pipelines per feature set, their metadata, and risk scoring."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from auditor.errors import ModelError
from auditor.model.context import (
    EXEC_PEER_MARK,
    EXEC_PREFIX,
    EXEC_SETS,
    SETS,
    has_task,
    is_exec,
    with_batch,
)
from auditor.model.families import single_threaded
from auditor.types import FeatureTable

MODEL_FORMAT = "auditor.model/2"  # 2: exec columns have no task context
MIN_PEERS = 5  # a task needs this many candidates in a batch for the `peers` model


@dataclass(frozen=True)
class ModelMeta:
    """What a model was trained on and how well it did.

    `schema_*` is the static feature schema; `exec_schema_*` the execution columns' schema
    when the model was trained with them (None otherwise, and in files written before)."""

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
    baselines: Mapping[str, Any] = field(default_factory=dict)  # `BaselineFit.to_json()`
    exec_schema_version: str | None = None
    exec_schema_hash: str | None = None

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
            baselines=dict(d.get("baselines", {})),
            exec_schema_version=d.get("exec_schema_version"),
            exec_schema_hash=d.get("exec_schema_hash"),
        )


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """Fitted, calibrated estimators per feature set, with their metadata.

    Each estimator takes the model's feature columns plus the batch code
    (`context.with_batch`) and computes the task context itself: a scikit-learn pipeline
    whose first step is `TaskContext`, or its numpy export behind `ContextClassifier`."""

    estimators: Mapping[str, Any]
    meta: ModelMeta

    def matrix(self, table: FeatureTable) -> np.ndarray:
        """The model's columns of `table`. A table without execution columns scored by a
        model trained with them gets NaN there (what `check --no-execute` gives)."""
        meta = self.meta
        if table.schema_hash != meta.schema_hash:
            raise ModelError(
                f"model was trained for feature schema {meta.schema_hash[:12]} "
                f"({meta.schema_version}) but the features are {table.schema_hash[:12]} "
                f"({table.schema_version}); retrain it with `auditor train`"
            )
        has_exec = table.exec_schema_hash is not None
        if has_exec and meta.exec_schema_hash not in (None, table.exec_schema_hash):
            raise ModelError(
                f"model was trained for execution schema {str(meta.exec_schema_hash)[:12]} "
                f"({meta.exec_schema_version}) but the execution signals are "
                f"{str(table.exec_schema_hash)[:12]} ({table.exec_schema_version}); "
                "retrain it with `auditor train --execute`"
            )
        out = np.full((len(table.keys), len(meta.columns)), np.nan)
        where = {c: i for i, c in enumerate(table.columns)}
        for j, c in enumerate(meta.columns):
            if c in where:
                out[:, j] = table.values[:, where[c]]
            elif has_exec or not is_exec(c):
                raise ModelError(f"feature table lacks a model column: {c!r}")
        return out

    def routes(self, table: FeatureTable) -> np.ndarray:
        """The feature set scoring each row (see `predict_risk`)."""
        return self._routes(self.matrix(table), table.keys)

    def _routes(self, X: np.ndarray, keys: Sequence[tuple[str, ...]]) -> np.ndarray:
        tasks = np.array([k[0] for k in keys], dtype=object)
        _, inverse, counts = np.unique(tasks.astype(str), return_inverse=True, return_counts=True)
        crowd = counts[inverse] >= self.meta.min_peers
        known = has_task(X, self.meta.columns)
        want = np.where(crowd & known, 0, np.where(crowd, 1, 2))
        out = np.empty(len(X), dtype=object)
        for i in range(len(SETS)):
            order = [*SETS[i:], *reversed(SETS[:i])]
            out[want == i] = next(n for n in order if n in self.estimators)
        for name, rows in zip(EXEC_SETS, self._exec_rows(X), strict=True):
            if name in self.estimators:
                out[rows] = name
        return out

    def _exec_rows(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows that had peers (finite consensus), and rows with solo signals but no peers."""
        cols = self.meta.columns
        none = np.zeros(len(X), dtype=bool)
        if EXEC_PEER_MARK not in cols:
            return none, none
        peers = np.isfinite(X[:, cols.index(EXEC_PEER_MARK)])
        execs = [i for i, c in enumerate(cols) if c.startswith(EXEC_PREFIX)]
        if not np.isfinite(X[:, execs]).any():
            return peers, none
        from auditor.execution.solo import SINGLE_COLUMNS  # executed: already loaded

        solo = [i for i in execs if cols[i] in SINGLE_COLUMNS]
        return peers, ~peers & np.isfinite(X[:, solo]).any(axis=1)

    def predict_risk(self, table: FeatureTable) -> np.ndarray:
        """Calibrated P(false positive) per row.

        Rows with execution signals use `exec-peers` when the candidate had peers (finite
        consensus columns), else `exec-solo` when its single-candidate signals ran. Other
        rows: those of a task with at least `min_peers` rows in the table use the `task`
        estimator when their task-only features were computed, else `peers`; the rest use
        `solo`. A missing static estimator falls back to the next one in that order; a
        missing exec estimator to the static routing. Every estimator sees the whole table,
        so a row's task context is over all rows of its task."""
        return self.predict_routed(table)[0]

    @single_threaded
    def predict_routed(self, table: FeatureTable) -> tuple[np.ndarray, np.ndarray]:
        """(`predict_risk`, the feature set of each row)."""
        X = self.matrix(table)
        if len(X) == 0:
            return np.zeros(0), np.empty(0, dtype=object)
        use = self._routes(X, table.keys)
        Xb = with_batch(X, [k[0] for k in table.keys])
        risk = np.empty(len(X))
        for name in dict.fromkeys(use.tolist()):
            mask = use == name
            risk[mask] = self.estimators[name].predict_proba(Xb)[mask, 1]
        return risk, use

    @property
    def has_exec(self) -> bool:
        """Whether the model scores with execution signals (has an exec feature set)."""
        return any(n in self.estimators for n in EXEC_SETS)

    def describe(self) -> str:
        names = "+".join(str(c["name"]) for c in self.meta.corpora) or "unknown data"
        fams = ",".join(f"{k}={v}" for k, v in sorted(self.meta.families.items()))
        return f"{fams} trained on {names} (schema {self.meta.schema_hash[:12]})"
