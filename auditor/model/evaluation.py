"""How a trained model scores on labeled data: metrics, importance, cross-model rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from auditor.metrics import Scores, reliability, score, threshold_table
from auditor.model.context import SETS, with_batch
from auditor.model.data import TrainingData, corpus_digest, corpus_table, stack_tables
from auditor.model.families import FAMILIES, SEED, calibrated_part, single_threaded
from auditor.model.selection import fit
from auditor.model.trained import TrainedModel
from auditor.types import FeatureTable

if TYPE_CHECKING:
    from pathlib import Path

    from auditor.corpus.labels import LabeledCorpus


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
    est = model.estimators[name]
    X = data.X[:, [data.columns.index(c) for c in model.meta.columns]]
    context = est[0]
    Xc, names = context.transform(with_batch(X, data.groups)), context.names_
    rng = np.random.default_rng(SEED)
    rows = np.sort(rng.choice(len(data.y), size=min(max_rows, len(data.y)), replace=False))
    res = permutation_importance(
        calibrated_part(est),
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
