"""`auditor evaluate MODEL LABELS…`: discrimination, calibration and importance on labeled data."""

from __future__ import annotations

import os

# Before anything imports scikit-learn: its OpenMP pool reads this once, and idle spinning
# threads make small fits and predictions several times slower on a busy machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import json
from pathlib import Path
from typing import Any

import click

from auditor.cli import cli
from auditor.cli._options import executor_options, path_type
from auditor.study.score_text import fmt, scores_line, view_lines


def render_text(doc: dict[str, Any]) -> str:
    """A readable summary of an evaluation's JSON document, within-task AUC first."""
    out = []
    if doc["in_sample"]:
        out.append(
            f"note: in-sample for {', '.join(doc['in_sample'])} (the model was trained on it)"
        )
    out.append("As `auditor check` scores each input kind (intervals: 95% bootstrap over tasks):")
    for name, view in doc.get("views", {}).items():
        out += view_lines(name, view, view.get("benchmark_only", False))
    out += [
        "All rows as the model routes them (benchmark table):",
        scores_line("model", doc),
        f"  PR-AUC {fmt(doc['pr_auc'])} (base rate {fmt(doc['base_rate'])}), "
        f"Brier {fmt(doc['brier'])}",
    ]
    for name, sc in doc["per_corpus"].items():
        out.append(
            f"  {name}: within-task {fmt(sc['within_task_auc'])} ({sc['n_tasks']} tasks), "
            f"ROC-AUC {fmt(sc['roc_auc'])}, PR-AUC {fmt(sc['pr_auc'])} "
            f"(base {fmt(sc['base_rate'])})"
        )
    out.append("threshold  FPs caught  correct flagged")
    out += [
        f"  {r['threshold']:.1f}      {fmt(r['fp_caught'])}       {fmt(r['correct_flagged'])}"
        for r in doc["thresholds"]
    ]
    out.append("reliability: bin  n  mean risk  FP rate")
    out += [
        f"  {r['bin']}  {r['n']}  {fmt(r['mean_risk'])}  {fmt(r['fp_rate'])}"
        for r in doc["reliability"]
        if r["n"]
    ]
    if doc["permutation_importance"]:
        out.append("permutation importance (drop in ROC-AUC):")
        out += [f"  {r['column']}: {r['mean']:.4f}" for r in doc["permutation_importance"]]
    return "\n".join(out) + "\n"


@cli.command("evaluate")
@click.argument("model_path", metavar="MODEL", type=path_type())
@click.argument("labels", nargs=-1, required=True, type=path_type())
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--data-dir",
    type=path_type(),
    help="Data directory with the samples and benchmarks.",
)
@click.option(
    "--importance",
    type=click.IntRange(0),
    default=15,
    show_default=True,
    help="Top columns by permutation importance (0: skip).",
)
@click.option(
    "--as-check",
    is_flag=True,
    help="Also score each samples file as `check` does (every candidate a peer; slower).",
)
@click.option(
    "--execute",
    is_flag=True,
    help="Also compute the execution signals (exec.* columns, cached) for the exec sets.",
)
@executor_options
@click.option("--cache-dir", type=path_type(), help="Feature cache directory.")
@click.option("--jobs", type=click.IntRange(1), default=2, show_default=True)
def evaluate_command(
    model_path: Path,
    labels: tuple[Path, ...],
    fmt: str,
    data_dir: Path | None,
    importance: int,
    as_check: bool,
    execute: bool,
    cache_dir: Path | None,
    jobs: int,
) -> int:
    """Evaluate MODEL on LABELS (label OUTDIRs or labels.jsonl files)."""
    from auditor.corpus.labels import load_labeled
    from auditor.model import evaluate, load_model

    model = load_model(model_path)
    corpora = [load_labeled(p, data_dir=data_dir) for p in labels]
    ev = evaluate(
        model,
        corpora,
        importance=importance,
        cache_dir=cache_dir,
        jobs=jobs,
        as_check=as_check,
        execute=execute,
        progress=lambda m: click.echo(f"auditor evaluate: {m}", err=True),
    )
    doc = ev.to_json()
    click.echo(json.dumps(doc, indent=2) if fmt == "json" else render_text(doc), nl=fmt == "json")
    return 0
