"""Training data: the weak-passing candidates of labeled corpora as one feature matrix."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from auditor.errors import InputError
from auditor.model.context import is_exec, with_batch
from auditor.types import FeatureTable, Status

if TYPE_CHECKING:
    from auditor.corpus.labels import LabeledCorpus


@dataclass(frozen=True, eq=False)
class TrainingData:
    """Rows of the weak-passing candidates of one or more corpora."""

    columns: tuple[str, ...]
    X: np.ndarray
    y: np.ndarray  # 1 = false positive
    batches: np.ndarray  # "<corpus>:<task_id>": one model's candidates of one task
    corpus: np.ndarray  # corpus name per row
    schema_version: str
    schema_hash: str
    tool_versions: Mapping[str, str]
    exec_schema_version: str | None = None  # with `exec.*` columns (trained with execution)
    exec_schema_hash: str | None = None

    @property
    def task_ids(self) -> np.ndarray:
        """The task of each row, the same across corpora: the unit of every fold split
        (a task shared by two corpora is never on both sides of a split). A batch without
        its corpus prefix is taken as the task id itself."""
        return np.array(
            [
                b[len(c) + 1 :] if str(b).startswith(f"{c}:") else b
                for b, c in zip(self.batches, self.corpus, strict=True)
            ],
            dtype=object,
        )

    def inputs(self) -> np.ndarray:
        """What the estimators take: the feature columns and each row's batch code."""
        return with_batch(self.X, self.batches)

    def with_columns(self, columns: Sequence[str]) -> TrainingData:
        """The data over `columns` (their order); absent `exec.*` columns are NaN (a check
        view, built without execution, scored by estimators trained with it)."""
        if tuple(columns) == self.columns:
            return self
        X = np.full((len(self.y), len(columns)), np.nan)
        for j, c in enumerate(columns):
            if c in self.columns:
                X[:, j] = self.X[:, self.columns.index(c)]
            elif not is_exec(c):
                raise InputError(f"feature column {c!r} missing")
        return replace(self, columns=tuple(columns), X=X)

    def take(self, rows: np.ndarray) -> TrainingData:
        """The rows `rows` (indices or a mask) as training data."""
        return replace(
            self,
            X=self.X[rows],
            y=self.y[rows],
            batches=self.batches[rows],
            corpus=self.corpus[rows],
        )


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
    corpus: LabeledCorpus,
    *,
    cache_dir: Path | None = None,
    jobs: int = 2,
    execute: bool = False,
    progress: Callable[[str], None] | None = None,
) -> FeatureTable:
    """Features of a corpus's weak-passing candidates, peers = the other weak-passers.

    With `execute`, the `exec.*` columns are appended: every row passed its weak tests, so
    each task's rows are computed among all its weak-passers, as `check` does (cached per
    task in `cache_dir`, see `auditor.execution.table`)."""
    from auditor import features

    cands, labels = _weak_passers(corpus)
    if not cands:
        raise InputError(f"{corpus.name}: no candidate passes the weak tests")
    table = features.extract(
        cands, labels=labels, tasks=corpus.tasks, cache_dir=cache_dir, jobs=jobs
    )
    if not execute:
        return table
    from auditor.execution.table import exec_table, hstack
    from auditor.features.cache import default_cache_dir

    if not corpus.tasks:
        raise InputError(f"{corpus.name}: its benchmark tasks were not found; cannot execute")
    say = None if progress is None else (lambda m: progress(f"{corpus.name}: {m}"))
    ex = exec_table(
        cands,
        corpus.tasks,
        [True] * len(cands),
        jobs=jobs,
        cache_dir=cache_dir or default_cache_dir(),
        progress=say,
    )
    return hstack(table, ex)


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
        same = (t.schema_hash, t.exec_schema_hash) == (first.schema_hash, first.exec_schema_hash)
        if not same or t.columns != first.columns:
            raise InputError(f"{name}: feature schema differs from the other corpora")
        if t.labels is None:
            raise InputError(f"{name}: feature table has no labels")
    X, y, batches, corpus = [], [], [], []
    for name, t in tables:
        assert t.labels is not None
        keep = [i for i, s in enumerate(t.labels) if s in (Status.CORRECT, Status.FALSE_POSITIVE)]
        X.append(t.values[keep])
        y.append(np.array([t.labels[i] is Status.FALSE_POSITIVE for i in keep], dtype=int))
        batches.append(np.array([f"{name}:{t.keys[i][0]}" for i in keep], dtype=object))
        corpus.append(np.array([name] * len(keep), dtype=object))
    return TrainingData(
        columns=first.columns,
        X=np.vstack(X).astype(np.float64),
        y=np.concatenate(y),
        batches=np.concatenate(batches),
        corpus=np.concatenate(corpus),
        schema_version=first.schema_version,
        schema_hash=first.schema_hash,
        tool_versions=dict(first.tool_versions),
        exec_schema_version=first.exec_schema_version,
        exec_schema_hash=first.exec_schema_hash,
    )


@dataclass(frozen=True, eq=False)
class CheckView:
    """A corpus as `auditor check` scores its samples file: every candidate `check` can
    score is a row and a peer of its task (not only the weak-passers), and the features
    are extracted without the benchmark (no reference, no behavior). `weak` marks the rows
    with a label to score (weak-passers); the others are there as peers only."""

    data: TrainingData  # y = 1 for false positives, else 0 (meaningful where `weak`)
    weak: np.ndarray


def check_view(corpus: LabeledCorpus, *, cache_dir: Path | None = None, jobs: int = 2) -> CheckView:
    """`corpus` as `check` sees its samples file (see `CheckView`)."""
    from auditor import features
    from auditor.entrypoint import entry_point

    if corpus.candidates is None:
        raise InputError(f"{corpus.name}: its samples were not found; cannot extract features")
    keep = []
    for i, cand in enumerate(corpus.candidates):
        entry = entry_point(cand.code)
        if entry.error is None and entry.name is not None:
            keep.append(i)
    table = features.extract(
        [corpus.candidates[i] for i in keep], cache_dir=cache_dir, jobs=jobs, behavior=False
    )
    status = [corpus.labels[i].status for i in keep]
    data = TrainingData(
        columns=table.columns,
        X=table.values.astype(np.float64),
        y=np.array([s is Status.FALSE_POSITIVE for s in status], dtype=int),
        batches=np.array([f"{corpus.name}:{k[0]}" for k in table.keys], dtype=object),
        corpus=np.array([corpus.name] * len(keep), dtype=object),
        schema_version=table.schema_version,
        schema_hash=table.schema_hash,
        tool_versions=dict(table.tool_versions),
    )
    weak = np.array([s in (Status.CORRECT, Status.FALSE_POSITIVE) for s in status], dtype=bool)
    return CheckView(data, weak)


def stack_views(views: Sequence[CheckView]) -> CheckView:
    """Several corpora's views as one."""
    first = views[0].data
    data = replace(
        first,
        X=np.vstack([v.data.X for v in views]),
        y=np.concatenate([v.data.y for v in views]),
        batches=np.concatenate([v.data.batches for v in views]),
        corpus=np.concatenate([v.data.corpus for v in views]),
    )
    return CheckView(data, np.concatenate([v.weak for v in views]))


def corpus_digest(corpus: LabeledCorpus) -> str:
    """sha256 over a corpus's labels (task, sample, solution hash, status), order-independent."""
    rows = sorted(
        f"{lab.task_id}\t{lab.sample_id}\t{lab.solution_sha256}\t{lab.status.value}"
        for lab in corpus.labels
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()
