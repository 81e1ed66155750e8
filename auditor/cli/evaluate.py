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


def render_text(doc: dict[str, Any]) -> str:
    """A readable summary of an evaluation's JSON document."""

    def fmt(x: Any) -> str:
        return "n/a" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)

    out = [
        f"ROC-AUC {fmt(doc['roc_auc'])}  PR-AUC {fmt(doc['pr_auc'])} (base rate {fmt(doc['base_rate'])})",
        f"within-task ROC-AUC {fmt(doc['within_task_auc'])} over {doc['n_tasks']} tasks with both classes",
        f"Brier {fmt(doc['brier'])}  candidates {doc['n_candidates']}",
    ]
    if doc["in_sample"]:
        out.append(
            f"note: in-sample for {', '.join(doc['in_sample'])} (the model was trained on it)"
        )
    for name, sc in doc["per_corpus"].items():
        out.append(
            f"  {name}: ROC-AUC {fmt(sc['roc_auc'])}, PR-AUC {fmt(sc['pr_auc'])} "
            f"(base {fmt(sc['base_rate'])}), within-task {fmt(sc['within_task_auc'])} "
            f"({sc['n_tasks']} tasks)"
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
@click.argument("model_path", metavar="MODEL", type=click.Path(path_type=Path))
@click.argument("labels", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    help="Data directory with the samples and benchmarks.",
)
@click.option(
    "--importance",
    type=click.IntRange(0),
    default=15,
    show_default=True,
    help="Top columns by permutation importance (0: skip).",
)
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Feature cache directory.")
@click.option("--jobs", type=click.IntRange(1), default=2, show_default=True)
def evaluate_command(
    model_path: Path,
    labels: tuple[Path, ...],
    fmt: str,
    data_dir: Path | None,
    importance: int,
    cache_dir: Path | None,
    jobs: int,
) -> int:
    """Evaluate MODEL on LABELS (label OUTDIRs or labels.jsonl files)."""
    from auditor.corpus.labels import load_labeled
    from auditor.model import evaluate, load_model

    model = load_model(model_path)
    corpora = [load_labeled(p, data_dir=data_dir) for p in labels]
    doc = evaluate(model, corpora, importance=importance, cache_dir=cache_dir, jobs=jobs).to_json()
    click.echo(json.dumps(doc, indent=2) if fmt == "json" else render_text(doc), nl=fmt == "json")
    return 0
