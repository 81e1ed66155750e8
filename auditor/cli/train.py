"""`auditor train LABELS… -o MODEL`: fit the false-positive classifier on labeled corpora."""

from __future__ import annotations

import os

# Before anything imports scikit-learn: its OpenMP pool reads this once, and idle spinning
# threads make small fits and predictions several times slower on a busy machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import json
from pathlib import Path

import click

from auditor.cli import cli


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
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Feature cache directory.")
@click.option("--jobs", type=click.IntRange(1), default=2, show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def train_command(
    labels: tuple[Path, ...],
    output: Path,
    data_dir: Path | None,
    families: tuple[str, ...],
    no_cv: bool,
    cache_dir: Path | None,
    jobs: int,
    quiet: bool,
) -> int:
    """Train on LABELS (label OUTDIRs or labels.jsonl files) and save the model to -o.

    Trains on candidates that pass the weak tests (positive = false positive), compares
    the model families by task-grouped cross-validation, calibrates, and prints the CV
    metrics as JSON.
    """
    from auditor.corpus.labels import load_labeled
    from auditor.model import FAMILIES, save_model, train

    corpora = [load_labeled(p, data_dir=data_dir) for p in labels]

    def progress(msg: str) -> None:
        if not quiet:
            click.echo(f"auditor train: {msg}", err=True)

    model = train(
        corpora,
        families=families or tuple(FAMILIES),
        cv=not no_cv,
        cache_dir=cache_dir,
        jobs=jobs,
        progress=progress,
    )
    save_model(model, output)
    summary = {"model": str(output), "families": dict(model.meta.families), "cv": model.meta.cv}
    click.echo(json.dumps(summary, indent=2, sort_keys=True))
    return 0
