"""The model card (Markdown) of a trained model: a pure renderer over its metadata."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


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
        *_intro(command),
        *_data(meta),
        *_model(meta),
        *_cv(meta),
        *_cross(cross),
        *_importance(importance),
        *_limits(),
    ]
    return "\n".join(out)


def _intro(command: str) -> list[str]:
    return [
        "# Model card: auditor's default false-positive classifier",
        "",
        "`auditor/data/default_model.skops` estimates, for a candidate that passes its weak tests,",
        "the probability that it is a **false positive** (fails the stronger EvalPlus tests).",
        "",
        "Regenerate the model and this card with one command:",
        "",
        f"```console\n$ {command}\n```",
        "",
    ]


def _data(meta: Mapping[str, Any]) -> list[str]:
    out = [
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
    return out


def _model(meta: Mapping[str, Any]) -> list[str]:
    return [
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
        "sigmoids (`auditor.model.compiled`), checked at save time to predict what scikit-learn",
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


def _cv(meta: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
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
    return out


def _cross(cross: Sequence[Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
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
    return out


def _importance(importance: Sequence[Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
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
    return out


def _limits() -> list[str]:
    return [
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
