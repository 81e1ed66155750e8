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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from auditor.cli import cli

DEFAULT_COMMAND = (
    "auditor train corpora/labels/codegen16b corpora/labels/davinci002 "
    "corpora/labels/qwen25coder7b -o auditor/data/default_model.skops "
    "--cross-model --card reports/model_card.md"
)


def _f(x: Any) -> str:
    return "n/a" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def _scores_row(label: str, sc: Mapping[str, Any]) -> str:
    return (
        f"| {label} | {_f(sc['roc_auc'])} | {_f(sc['pr_auc'])} | {_f(sc['base_rate'])} "
        f"| {_f(sc['within_task_auc'])} | {sc['n_tasks']} | {_f(sc['brier'])} | {sc['n_candidates']} |"
    )


HEADER = (
    "| | ROC-AUC | PR-AUC | base rate | within-task ROC-AUC | tasks (both classes) | Brier | candidates |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
)


def render_card(
    meta: Mapping[str, Any],
    cross: Sequence[Mapping[str, Any]],
    importance: Sequence[Mapping[str, Any]],
    command: str,
) -> str:
    """The model card as Markdown, from the model's metadata and the cross-model rows."""
    out = [
        "# Model card: auditor's default false-positive classifier",
        "",
        "`auditor/data/default_model.skops` estimates, for a candidate that passes its weak tests,",
        "the probability that it is a **false positive** (fails the stronger EvalPlus tests).",
        "",
        "Regenerate the model and this card with one command:",
        "",
        f"```console\n$ {command}\n```",
        "",
        "## Data",
        "",
        "Trained on the candidates that pass the weak tests (status `correct` or",
        "`false_positive`); positive class = `false_positive`.",
        "",
        "| corpus | weak-passers | false positives | base rate | labels sha256 |",
        "|---|---:|---:|---:|---|",
    ]
    for c in meta["corpora"]:
        rate = c["fp"] / c["n"] if c["n"] else None
        out.append(f"| {c['name']} | {c['n']} | {c['fp']} | {_f(rate)} | `{c['sha256'][:16]}` |")
    out += [
        "",
        "## Model",
        "",
        "Three calibrated estimators (sigmoid `CalibratedClassifierCV`: one estimator refit on",
        "all rows, sigmoid fitted on its task-grouped out-of-fold scores), one per feature set:",
        "`task` uses every column, including those that need the task (reference solution,",
        "prompt, weak tests: `rel.ref_*`, `behavior.*`), and scores candidates whose task is",
        f"known and that come with at least {meta['min_peers']} candidates of the same task;",
        "`peers` drops the task-only columns but keeps the relative `rel.*` and per-task",
        "`task.mean/std.*` context and scores such a batch when the task is unknown; `solo` uses",
        "neither and scores a candidate checked alone.",
        "",
        "The file also holds a numpy export of the fitted trees, imputer/scaler statistics and",
        "sigmoids (`auditor.compiled`), checked at save time to predict what scikit-learn",
        "predicts; `auditor check` scores with it, without importing scikit-learn or skops.",
        "",
        f"Chosen families: {', '.join(f'{k}: `{v}`' for k, v in sorted(meta['families'].items()))}.",
        f"Feature schema `{meta['schema_hash']}` ({meta['schema_version']}), {len(meta['columns'])} columns.",
        f"Versions: {', '.join(f'{k} {v}' for k, v in sorted(meta['versions'].items()))}.",
        "",
        "## Grouped cross-validation (held-out tasks)",
        "",
        "GroupKFold by (corpus, task): no task is split across folds. Selection is nested: in",
        "each outer fold the family is chosen by an inner grouped CV on the training part only,",
        "so the `nested` row never saw its test fold. Family rows are each family calibrated",
        "and scored on the same outer folds (fixed hyperparameters, no tuning).",
    ]
    for name, cv in sorted(meta["cv"].items()):
        if "nested" not in cv:
            continue
        out += [
            "",
            f"### `{name}` features ({cv['folds']} outer folds; chosen per fold: {', '.join(cv['chosen'])})",
            "",
            HEADER,
        ]
        for fam, sc in sorted(cv["families"].items()):
            out.append(_scores_row(f"`{fam}`", sc))
        out.append(_scores_row("**nested selection**", cv["nested"]))
        for corpus, sc in sorted(cv.get("per_corpus", {}).items()):
            out.append(_scores_row(f"nested, {corpus}", sc))
        if cv.get("thresholds"):
            out += [
                "",
                "| risk threshold | FPs caught | correct wrongly flagged | flagged |",
                "|---:|---:|---:|---:|",
            ]
            out += [
                f"| {r['threshold']} | {_f(r['fp_caught'])} | {_f(r['correct_flagged'])} | {r['flagged']} |"
                for r in cv["thresholds"]
            ]
        if cv.get("reliability"):
            out += [
                "",
                "Reliability (nested predictions):",
                "",
                "| risk bin | n | mean risk | observed FP rate |",
                "|---|---:|---:|---:|",
            ]
            out += [
                f"| {r['bin']} | {r['n']} | {_f(r['mean_risk'])} | {_f(r['fp_rate'])} |"
                for r in cv["reliability"]
                if r["n"]
            ]
    if cross:
        out += [
            "",
            "## Cross-model",
            "",
            "Trained on the other corpora (no CV report), evaluated on the held-out corpus.",
            "",
            "| held out | trained on | ROC-AUC | PR-AUC | base rate | within-task ROC-AUC | tasks | Brier |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        out += [
            f"| {r['held_out']} | {', '.join(r['trained_on'])} | {_f(r['roc_auc'])} | {_f(r['pr_auc'])} "
            f"| {_f(r['base_rate'])} | {_f(r['within_task_auc'])} | {r['n_tasks']} | {_f(r['brier'])} |"
            for r in cross
        ]
    if importance:
        out += [
            "",
            "## Permutation importance",
            "",
            "Drop in ROC-AUC of the `task` estimator when one column is shuffled (in-sample, on a",
            "row sample of the training data; read as a ranking, not as held-out evidence).",
            "",
            "| column | mean drop | std |",
            "|---|---:|---:|",
        ]
        out += [f"| `{r['column']}` | {r['mean']:.4f} | {r['std']:.4f} |" for r in importance]
    out += [
        "",
        "## Limits",
        "",
        "- Labels are EvalPlus weak (base) vs strong (plus) test outcomes on HumanEval+/MBPP+",
        "  tasks; a candidate the plus tests miss counts as correct. Python only.",
        "- The corpora come from a few code models on short, self-contained functions; risk on other",
        "  code (classes, I/O, long modules) is extrapolation.",
        "- A `.py` file checked alone is scored by the `solo` estimator, which cannot use the",
        "  within-task signal; scoring many candidates of one task together (a samples JSONL) is",
        "  the intended use and is what the `peers`/`task` numbers above describe.",
        "- The model is bound to its feature schema: a change to any extractor (including a rule)",
        "  changes the schema hash, and the model then refuses to load until retrained.",
        "- Probabilities are calibrated on the pooled training corpora; a corpus with another",
        "  base rate shifts them (see the cross-model Brier scores).",
        "",
    ]
    return "\n".join(out)


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
        command = " ".join(
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
        atomic_write(card, render_card(model.meta.to_json(), cross, importance, command))
    summary = {
        "model": str(output),
        "families": dict(model.meta.families),
        "cv": model.meta.cv,
        "cross_model": cross,
    }
    click.echo(json.dumps(summary, indent=2, sort_keys=True))
    return 0
