"""`auditor train LABELS… -o MODEL`: fit the false-positive classifier on labeled corpora.

With `--card FILE` it also writes the model card (Markdown): data, grouped-CV metrics per
model family, the cross-model table (`--cross-model`), calibration and limits.
"""

from __future__ import annotations

import os

# Before anything imports scikit-learn: its OpenMP pool reads this once, and idle spinning
# threads make small fits and predictions several times slower on a busy machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import json
from pathlib import Path

import click

from auditor.cli import cli


def _command(
    labels: tuple[Path, ...],
    output: Path,
    families: tuple[str, ...],
    no_cv: bool,
    cv_sets: str,
    folds: int,
    inner: int,
    cross_model: bool,
    card: Path,
) -> str:
    """The `auditor train` command line that regenerates the model and its card."""
    return " ".join(
        [
            "auditor train",
            *map(str, labels),
            "-o",
            str(output),
            *(f"--family {f}" for f in families),
            *(["--no-cv"] if no_cv else []),
            *([f"--cv-sets {cv_sets}"] if not no_cv and cv_sets != "task,peers,solo" else []),
            *([f"--folds {folds}"] if folds != 5 else []),
            *([f"--inner {inner}"] if inner != 3 else []),
            *(["--cross-model"] if cross_model else []),
            "--card",
            str(card),
        ]
    )


@cli.command("train")
@click.argument("labels", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="Model file to write (.skops).",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    help="Data directory with the samples and benchmarks.",
)
@click.option(
    "--family",
    "families",
    multiple=True,
    type=click.Choice(["logreg", "hgb"]),
    help="Model families to compare (default: all).",
)
@click.option("--no-cv", is_flag=True, help="Skip the nested cross-validation report (faster).")
@click.option(
    "--cv-sets",
    default="task,peers,solo",
    show_default=True,
    help="Feature sets to cross-validate (comma separated).",
)
@click.option(
    "--folds", type=click.IntRange(2), default=5, show_default=True, help="Outer GroupKFold folds."
)
@click.option(
    "--inner",
    type=click.IntRange(2),
    default=3,
    show_default=True,
    help="Inner folds (selection, calibration).",
)
@click.option(
    "--cross-model",
    is_flag=True,
    help="Also train on all corpora but one and evaluate on it, for each.",
)
@click.option(
    "--card", type=click.Path(path_type=Path), help="Write the model card (Markdown) here."
)
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Feature cache directory.")
@click.option("--jobs", type=click.IntRange(1), default=2, show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def train_command(
    labels: tuple[Path, ...],
    output: Path,
    data_dir: Path | None,
    families: tuple[str, ...],
    no_cv: bool,
    cv_sets: str,
    folds: int,
    inner: int,
    cross_model: bool,
    card: Path | None,
    cache_dir: Path | None,
    jobs: int,
    quiet: bool,
) -> int:
    """Train on LABELS (label OUTDIRs or labels.jsonl files) and save the model to -o.

    Trains on candidates that pass the weak tests (positive = false positive), compares
    the model families by task-grouped nested cross-validation, calibrates, and prints
    the CV metrics as JSON.
    """
    from auditor.corpus.labels import load_labeled
    from auditor.io import atomic_write
    from auditor.model import (
        FAMILIES,
        corpus_table,
        cross_corpus,
        evaluate_data,
        save_model,
        stack_tables,
        train_tables,
    )
    from auditor.study.card import render_card

    def progress(msg: str) -> None:
        if not quiet:
            click.echo(f"auditor train: {msg}", err=True)

    corpora = [load_labeled(p, data_dir=data_dir) for p in labels]
    tables = []
    for c in corpora:
        progress(f"extracting features of {c.name}")
        tables.append((c.name, corpus_table(c, cache_dir=cache_dir, jobs=jobs)))
    fams = families or tuple(FAMILIES)
    model = train_tables(
        corpora,
        tables,
        families=fams,
        cv=() if no_cv else tuple(x.strip() for x in cv_sets.split(",") if x.strip()),
        outer=folds,
        inner=inner,
        progress=progress,
    )
    save_model(model, output)
    cross = (
        cross_corpus(tables, families=fams, inner=inner, progress=progress) if cross_model else []
    )
    if card is not None:
        ev = evaluate_data(model, stack_tables(tables), importance=15)
        importance = ev.to_json()["permutation_importance"]
        command = _command(
            labels, output, families, no_cv, cv_sets, folds, inner, cross_model, card
        )
        atomic_write(card, render_card(model.meta.to_json(), cross, importance, command))
    summary = {
        "model": str(output),
        "families": dict(model.meta.families),
        "cv": model.meta.cv,
        "cross_model": cross,
    }
    click.echo(json.dumps(summary, indent=2, sort_keys=True))
    return 0
