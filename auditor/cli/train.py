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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from auditor.cli import cli
from auditor.cli._options import executor_options, path_type
from auditor.model.context import default_cv_sets


def _command(labels: tuple[Path, ...], output: Path, opts: dict[str, Any]) -> str:
    """The `auditor train` command line that regenerates the model and its card."""
    cv_sets = opts["cv_sets"]
    return " ".join(
        [
            "auditor train",
            *map(str, labels),
            "-o",
            str(output),
            *(f"--family {f}" for f in opts["families"]),
            *(["--no-cv"] if opts["no_cv"] else []),
            *([f"--cv-sets {cv_sets}"] if not opts["no_cv"] and cv_sets != _default(opts) else []),
            *([f"--folds {opts['folds']}"] if opts["folds"] != 5 else []),
            *([f"--inner {opts['inner']}"] if opts["inner"] != 3 else []),
            *(["--as-check"] if opts["as_check"] else []),
            *(["--execute"] if opts["execute"] else []),
            *(["--cross-model"] if opts["cross_model"] else []),
            "--card",
            str(opts["card"]),
        ]
    )


def _default(opts: Mapping[str, Any]) -> str:
    """The --cv-sets default: every set the training table has."""
    return ",".join(default_cv_sets(opts["execute"]))


def render_text(summary: Mapping[str, Any]) -> str:
    """The training summary as text: per feature set, the nested-CV model row first (within-
    task AUC with its interval and task count), then the baselines on the same folds."""
    from auditor.study.score_text import scores_line, view_lines

    out = [f"model {summary['model']}: families {summary['families']}"]
    nested = {name: cv for name, cv in summary["cv"].items() if "nested" in cv}
    if nested:  # none with --no-cv: no header over nothing
        out.append("Nested CV, folds grouped by task id (intervals: 95% bootstrap over tasks):")
    for name, cv in sorted(nested.items()):
        tag = " (benchmark-only)" if cv.get("benchmark_only") else ""
        out.append(f"{name}{tag}: chosen {', '.join(cv['chosen'])}")
        out.append(scores_line("model", cv["nested"]))
        if cv.get("as_check"):
            out.append(scores_line("model, as check", cv["as_check"]))
        out += [scores_line(b, sc) for b, sc in cv.get("baselines", {}).items()]
        if cv.get("best_features"):
            out.append(f"  best single feature per fold: {', '.join(cv['best_features'])}")
    for row in summary["cross_model"]:
        out.append(f"Cross-model: held out {row['held_out']}, trained on {row['trained_on']}")
        for vname, view in row.get("views", {}).items():
            out += ["  " + line for line in view_lines(vname, view, view["benchmark_only"])]
    return "\n".join(out) + "\n"


@cli.command("train")
@click.argument("labels", nargs=-1, required=True, type=path_type())
@click.option(
    "-o",
    "--output",
    required=True,
    type=path_type(),
    help="Model file to write (.skops).",
)
@click.option(
    "--data-dir",
    type=path_type(),
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
    default=None,
    help=f"Feature sets to cross-validate (comma separated) [default: "
    f"{','.join(default_cv_sets(False))}; with --execute: {','.join(default_cv_sets(True))}].",
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
    "--as-check",
    is_flag=True,
    help="Also score the peers set as `check` reads a samples file (every candidate a peer).",
)
@click.option(
    "--cross-model",
    is_flag=True,
    help="Also train on all corpora but one and evaluate on it, for each.",
)
@click.option(
    "--execute",
    is_flag=True,
    help="Also train on the execution signals (exec.* columns, cached per task): the "
    "exec-peers and exec-solo sets `check` uses with --tasks / --tests.",
)
@executor_options
@click.option("--card", type=path_type(), help="Write the model card (Markdown) here.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True
)
@click.option("--cache-dir", type=path_type(), help="Feature cache directory.")
@click.option("--jobs", type=click.IntRange(1), default=2, show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def train_command(labels: tuple[Path, ...], output: Path, **opts: Any) -> int:
    """Train on LABELS (label OUTDIRs or labels.jsonl files) and save the model to -o.

    Trains on candidates that pass the weak tests (positive = false positive), compares
    the model families by nested cross-validation with folds grouped by task id, beside
    three baselines (random, same-task prior, best single feature), calibrates, and prints
    the CV metrics (JSON, or text with --format text).
    """
    from auditor.io import atomic_write, check_writable
    from auditor.model import FAMILIES, TrainOptions, save_model, train

    def progress(msg: str) -> None:
        if not opts["quiet"]:
            click.echo(f"auditor train: {msg}", err=True)

    for out in (output, opts["card"]):  # before training, which a late failure would waste
        if out is not None:
            check_writable(out)
    opts["cv_sets"] = opts["cv_sets"] or _default(opts)
    result = train(
        labels,
        TrainOptions(
            families=opts["families"] or tuple(FAMILIES),
            cv=not opts["no_cv"],
            cv_sets=tuple(x.strip() for x in opts["cv_sets"].split(",") if x.strip()),
            outer=opts["folds"],
            inner=opts["inner"],
            as_check=opts["as_check"],
            execute=opts["execute"],
            cross_model=opts["cross_model"],
            card_command=None if opts["card"] is None else _command(labels, output, opts),
            data_dir=opts["data_dir"],
            cache_dir=opts["cache_dir"],
            jobs=opts["jobs"],
        ),
        progress=progress,
    )
    model = result.model
    save_model(model, output)
    if result.card is not None:
        atomic_write(opts["card"], result.card)
    summary = {
        "model": str(output),
        "families": dict(model.meta.families),
        "cv": model.meta.cv,
        "cross_model": result.cross,
    }
    if opts["fmt"] == "text":
        click.echo(render_text(summary), nl=False)
    else:
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
    return 0
