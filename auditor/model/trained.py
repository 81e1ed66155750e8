"""A trained model: fitted pipelines per feature set, their metadata, and risk scoring."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from auditor.errors import ModelError
from auditor.model.context import SETS, has_task, with_batch
from auditor.model.families import single_threaded
from auditor.types import FeatureTable

MODEL_FORMAT = "auditor.model/1"
MIN_PEERS = 5  # a task needs this many candidates in a batch for the `peers` model


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
    """Fitted, calibrated estimators per feature set, with their metadata.

    Each estimator takes the model's feature columns plus the batch code
    (`context.with_batch`) and computes the task context itself: a scikit-learn pipeline
    whose first step is `TaskContext`, or its numpy export behind `ContextClassifier`."""

    estimators: Mapping[str, Any]
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
        A missing estimator falls back to the next one in that order. Every estimator sees
        the whole table, so a row's task context is over all rows of its task."""
        X = self._matrix(table)
        if len(X) == 0:
            return np.zeros(0)
        tasks = np.array([k[0] for k in table.keys], dtype=object)
        Xb = with_batch(X, tasks)
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
            risk[mask] = self.estimators[use].predict_proba(Xb)[mask, 1]
        return risk

    def describe(self) -> str:
        names = "+".join(str(c["name"]) for c in self.meta.corpora) or "unknown data"
        fams = ",".join(f"{k}={v}" for k, v in sorted(self.meta.families.items()))
        return f"{fams} trained on {names} (schema {self.meta.schema_hash[:12]})"
