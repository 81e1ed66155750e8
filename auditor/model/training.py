"""`train`: the packaged model's whole recipe as one call.

Labeled corpora become training tables (and, with `as_check`, the views `check` reads), the
nested task-grouped CV report and the calibrated fit follow (`selection`), then the
cross-model rows and the model card. `auditor train` is this call plus writing the files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import InputError
from auditor.model.context import ALL_SETS, default_cv_sets
from auditor.model.data import check_view, corpus_table, stack_tables, stack_views
from auditor.model.evaluation import cross_corpus, evaluate_data
from auditor.model.families import FAMILIES
from auditor.model.selection import train_tables

if TYPE_CHECKING:
    from auditor.corpus.labels import LabeledCorpus
    from auditor.model.data import CheckView
    from auditor.model.trained import TrainedModel
    from auditor.types import FeatureTable

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainOptions:
    """How to train; the defaults are what `auditor train` does without options."""

    families: tuple[str, ...] = tuple(FAMILIES)  # the model families to compare
    cv: bool = True  # the nested CV report (False: fit only, faster)
    cv_sets: tuple[str, ...] | None = None  # sets to cross-validate; None: `default_cv_sets`
    outer: int = 5  # outer task-grouped folds
    inner: int = 3  # inner folds (selection, calibration)
    as_check: bool = False  # also score `peers` as `check` reads a samples file
    execute: bool = False  # also train on the execution signals (the exec sets)
    cross_model: bool = False  # also train on all corpora but one, evaluated on that one
    card_command: str | None = None  # render the model card, quoting this command line
    data_dir: str | os.PathLike[str] | None = None  # where corpora given as paths find samples
    cache_dir: Path | None = None  # feature cache
    jobs: int = 2

    def __post_init__(self) -> None:
        # A typo fails now, not after the feature extraction it would waste.
        unknown = set(self.families) - set(FAMILIES)
        if unknown:
            raise InputError(f"unknown model family: {', '.join(sorted(unknown))}")
        unknown = set(self.cv_sets or ()) - set(ALL_SETS)
        if unknown:
            raise InputError(f"unknown feature set(s): {', '.join(sorted(unknown))}")

    def report_sets(self) -> tuple[str, ...]:
        """The feature sets the nested CV report covers (none without `cv`)."""
        if not self.cv:
            return ()
        return self.cv_sets if self.cv_sets is not None else default_cv_sets(self.execute)


@dataclass(frozen=True)
class TrainResult:
    """The trained model, the cross-model rows (`cross_model`) and the card (`card_command`)."""

    model: TrainedModel
    cross: tuple[dict[str, Any], ...] = ()
    card: str | None = None


def _quiet(_msg: str) -> None:
    """No progress."""


def _tables(
    corpora: Sequence[LabeledCorpus], opts: TrainOptions, progress: Progress
) -> tuple[list[tuple[str, FeatureTable]], dict[str, CheckView]]:
    """Each corpus's training table and (with `as_check`) its view as `check` reads it."""
    tables, views = [], {}
    for c in corpora:
        progress(f"extracting features of {c.name}")
        table = corpus_table(
            c, cache_dir=opts.cache_dir, jobs=opts.jobs, execute=opts.execute, progress=progress
        )
        tables.append((c.name, table))
        if opts.as_check:
            progress(f"extracting features of {c.name} as check reads its samples file")
            views[c.name] = check_view(c, cache_dir=opts.cache_dir, jobs=opts.jobs)
    return tables, views


def _card(
    model: TrainedModel,
    tables: Sequence[tuple[str, FeatureTable]],
    cross: Sequence[Mapping[str, Any]],
    command: str,
) -> str:
    """The model card, with the permutation importance on the training rows."""
    from auditor.study.card import render_card

    ev = evaluate_data(model, stack_tables(tables), importance=15)
    importance = ev.to_json()["permutation_importance"]
    return render_card(model.meta.to_json(), cross, importance, command)


def train(
    corpora: Sequence[LabeledCorpus | str | Path],
    opts: TrainOptions = TrainOptions(),
    *,
    progress: Progress | None = None,
) -> TrainResult:
    """Train on the weak-passing candidates of `corpora` (label OUTDIRs, labels.jsonl files or
    loaded corpora; positive = false positive), as `opts` says."""
    from auditor.corpus.labels import LabeledCorpus, load_labeled

    say = progress or _quiet
    loaded = [
        c if isinstance(c, LabeledCorpus) else load_labeled(c, data_dir=opts.data_dir)
        for c in corpora
    ]
    tables, views = _tables(loaded, opts, say)
    model = train_tables(
        loaded,
        tables,
        families=opts.families,
        cv=opts.report_sets(),
        outer=opts.outer,
        inner=opts.inner,
        view=stack_views(list(views.values())) if views else None,
        progress=progress,
    )
    cross = (
        cross_corpus(
            tables, families=opts.families, inner=opts.inner, views=views, progress=progress
        )
        if opts.cross_model
        else []
    )
    card = _card(model, tables, cross, opts.card_command) if opts.card_command is not None else None
    return TrainResult(model, tuple(cross), card)
