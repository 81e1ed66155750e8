"""Training data: the weak-passing candidates of labeled corpora as one feature matrix."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from auditor.errors import InputError
from auditor.types import FeatureTable, Status

if TYPE_CHECKING:
    from auditor.corpus.labels import LabeledCorpus


@dataclass(frozen=True, eq=False)
class TrainingData:
    """Rows of the weak-passing candidates of one or more corpora."""

    columns: tuple[str, ...]
    X: np.ndarray
    y: np.ndarray  # 1 = false positive
    groups: np.ndarray  # "<corpus>:<task_id>": the batch of candidates scored together
    corpus: np.ndarray  # corpus name per row
    schema_version: str
    schema_hash: str
    tool_versions: Mapping[str, str]


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


def corpus_digest(corpus: LabeledCorpus) -> str:
    """sha256 over a corpus's labels (task, sample, solution hash, status), order-independent."""
    rows = sorted(
        f"{lab.task_id}\t{lab.sample_id}\t{lab.solution_sha256}\t{lab.status.value}"
        for lab in corpus.labels
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()
