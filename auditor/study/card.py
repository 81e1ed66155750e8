"""The model card (Markdown) of a trained model: a pure renderer over its metadata."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.study.score_text import HEADER, fmt, scores_row

BASELINE_NAMES = {
    "random": "baseline: random",
    "task_prior": "baseline: same-task prior",
    "best_feature": "baseline: best single feature",
}
# What `check` scores for each input kind: (label, feature set, CV entry).
INPUT_KINDS = (
    ("a `.py` file checked alone", "solo", "nested"),
    ("a samples file (every candidate of a task as peers)", "peers", "as_check"),
    ("a samples file with --tasks (execution among peers)", "exec-peers", "nested"),
    ("one file with --tests", "exec-solo", "nested"),
    ("benchmark-only: task known (reference, weak inputs)", "task", "nested"),
)


def _with_baselines(
    label: str, model: Mapping[str, Any], baselines: Mapping[str, Any]
) -> list[str]:
    return [
        scores_row(label, model),
        *(scores_row(BASELINE_NAMES.get(b, b), sc) for b, sc in baselines.items()),
    ]


def _headline(meta: Mapping[str, Any]) -> list[str]:
    """What `check` does, per input kind: nested CV over task-disjoint folds."""
    out = [
        "",
        "## Headline: what `auditor check` does, per input kind",
        "",
        "Nested cross-validation, outer and inner folds grouped by task id (a task shared by",
        "two corpora is never on both sides of a split). Within-task ROC-AUC first: the mean",
        "over tasks (one model's candidates of one task) having both classes, which task",
        "difficulty cannot inflate; intervals are 95% percentile bootstraps over task ids.",
        "Pooled ROC-AUC ranks candidates across held-out tasks, over the (false positive,",
        "correct) pairs one outer fold's model scored: pairs across folds would compare two",
        "models' calibrations, which the one shipped model never does (Forman & Scholz 2010).",
        "The same-task prior has no score under task-disjoint folds (no test task was seen).",
    ]
    for label, name, entry in INPUT_KINDS:
        cv = meta["cv"].get(name, {})
        sc = cv.get(entry) or (cv.get("nested") if entry == "as_check" else None)
        if not sc:
            continue
        note = ""
        if entry == "as_check" and not cv.get("as_check"):
            note = " (peers = weak-passers, not yet as `check` builds them: train with --as-check)"
        out += ["", f"**{label}** (`{name}` features){note}", "", HEADER]
        out += _with_baselines("model", sc, cv.get("baselines", {}))
    return out


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
        *_headline(meta),
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
        out.append(f"| {c['name']} | {c['n']} | {c['fp']} | {fmt(rate)} | `{c['sha256'][:16]}` |")
    return out


def _exec_model(meta: Mapping[str, Any]) -> list[str]:
    """The exec feature sets, when the model was trained with execution."""
    if not meta.get("exec_schema_hash"):
        return []
    return [
        "",
        "Trained with execution (`--execute`; execution schema",
        f"`{meta['exec_schema_hash']}`, {meta.get('exec_schema_version')}): `exec-peers` is the",
        "calibration (a logistic map, so it keeps the ranking) of the fixed peer score",
        "`exec.peer_score` = 1 - cluster share + 0.2 (1 - wide share) + 0.2 property excess",
        "+ 0.1 mutant survival + 0.02 slowdown, computed among the task's weak-test passers on",
        "amplified inputs (the wide share on inputs outside the implied domain; the property",
        "excess: how much more often than the cleanest peer its outputs break a property every",
        "weak test's expected output has); it scores a passer of",
        "`check --tasks` that has peers. Gradient boosting over every static and exec column",
        "ranked worse within a task on the same folds (reports/execution/README.md).",
        "`exec-solo` adds the single-candidate exec columns (no consensus, no context; the",
        "share of inputs whose output breaks a property of the weak tests among them) to",
        "`solo` less the columns the task's prompt docstring drives (line counts, comment",
        "share, long lines, a missing docstring: `context.PROMPT_DRIVEN`, which let it learn",
        "tasks rather than candidates) and scores a file checked alone with `--tests`.",
        "The static sets never see an",
        "`exec.*` column; without execution (`--no-execute`) they score as above.",
    ]


def _model(meta: Mapping[str, Any]) -> list[str]:
    return [
        "",
        "## Model",
        "",
        "Calibrated estimators (sigmoid `CalibratedClassifierCV`: one estimator refit on",
        "all rows, sigmoid fitted on its task-grouped out-of-fold scores), one per feature set:",
        "`task` uses every column, including those that need the task (reference solution,",
        "prompt, weak tests: `rel.ref_*`, `behavior.*`), and scores candidates whose task is",
        f"known and that come with at least {meta['min_peers']} candidates of the same task;",
        "`peers` drops the task-only columns but keeps the relative `rel.*` and per-task",
        "`task.mean/std.*` context and scores such a batch when the task is unknown; `solo` uses",
        "neither and scores a candidate checked alone.",
        *_exec_model(meta),
        "",
        "The file also holds a numpy export of the fitted trees, imputer/scaler statistics and",
        "sigmoids (`auditor.model.compiled`), checked at save time to predict what scikit-learn",
        "predicts; `auditor check` scores with it, without importing scikit-learn or skops.",
        "",
        f"Chosen families: {', '.join(f'{k}: `{v}`' for k, v in sorted(meta['families'].items()))}.",
        f"Feature schema `{meta['schema_hash']}` ({meta['schema_version']}), {len(meta['columns'])} columns.",
        f"Versions: {', '.join(f'{k} {v}' for k, v in sorted(meta['versions'].items()))}.",
        "",
        "## Task-grouped cross-validation (held-out tasks)",
        "",
        "GroupKFold by task id, across corpora: no task is split across folds, in the outer",
        "folds, the inner selection folds and the calibration folds. Selection is nested: in",
        "each outer fold the family is chosen by an inner grouped CV on the training part only,",
        "so the `nested` row never saw its test fold. Family rows are each family calibrated",
        "and scored on the same outer folds (fixed hyperparameters, no tuning). Baselines are",
        "fitted on the same training folds (the best single feature is chosen there, by",
        "within-task AUC).",
    ]


def _cv(meta: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for name, cv in sorted(meta["cv"].items()):
        if "nested" not in cv:
            continue
        tag = " (benchmark-only)" if cv.get("benchmark_only") else ""
        out += [
            "",
            f"### `{name}` features{tag} ({cv['folds']} outer folds; chosen per fold: {', '.join(cv['chosen'])})",
            "",
            HEADER,
        ]
        out += _with_baselines("**nested selection**", cv["nested"], cv.get("baselines", {}))
        if cv.get("as_check"):
            out.append(scores_row("nested, scored as `check` builds it", cv["as_check"]))
        for fam, sc in sorted(cv["families"].items()):
            out.append(scores_row(f"`{fam}`", sc))
        for corpus, sc in sorted(cv.get("per_corpus", {}).items()):
            out.append(scores_row(f"nested, {corpus}", sc))
        if cv.get("best_features"):
            out += [
                "",
                f"Best single feature per fold: {', '.join(f'`{c}`' for c in cv['best_features'])}.",
            ]
        if cv.get("thresholds"):
            out += [
                "",
                "| risk threshold | FPs caught | correct wrongly flagged | flagged |",
                "|---:|---:|---:|---:|",
            ]
            out += [
                f"| {r['threshold']} | {fmt(r['fp_caught'])} | {fmt(r['correct_flagged'])} | {r['flagged']} |"
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
                f"| {r['bin']} | {r['n']} | {fmt(r['mean_risk'])} | {fmt(r['fp_rate'])} |"
                for r in cv["reliability"]
                if r["n"]
            ]
    return out


def _cross(cross: Sequence[Mapping[str, Any]]) -> list[str]:
    """Held-out corpora, split by whether a task was in the training corpora."""
    if not cross:
        return []
    out = [
        "",
        "## Cross-model",
        "",
        "Trained on the other corpora (no CV report), evaluated on the held-out corpus as each",
        "input kind is scored. Rows are split by whether the task id was in the training",
        "corpora: only the unseen tasks say what a new task gets; on seen tasks the same-task",
        "prior (the task's false-positive share in training) is the bar to beat.",
    ]
    for r in cross:
        out += ["", f"### held out {r['held_out']} (trained on {', '.join(r['trained_on'])})"]
        for vname, view in r.get("views", {}).items():
            tag = " (benchmark-only)" if view.get("benchmark_only") else ""
            out += ["", f"{vname.replace('_', ' ')}{tag}:", "", HEADER]
            out += _with_baselines("model, all tasks", view["model"], view["baselines"])
            for part, sub in view.get("by_overlap", {}).items():
                out += _with_baselines(f"model, tasks {part}", sub["model"], sub["baselines"])
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
        "- A `.py` file checked alone is scored by the `solo` estimator; a samples file by",
        "  `peers` (every candidate of a task as a peer); with execution, a passer of",
        "  `check --tasks` that has peers by `exec-peers` and a file with `--tests` by",
        "  `exec-solo`. The `task` set needs the benchmark's reference and weak inputs, which",
        "  `check` does not have: its numbers are benchmark-only.",
        "- Consensus cannot see a mistake every passer shares: on a task where all passers give",
        "  the same outputs on every generated input, only the tie-breaks (mutant survival,",
        "  relative time, static features) rank them. Relative time also raises the risk of a",
        "  correct candidate that is only slower than its peers.",
        "- Times, coverage and mutant survival are measured inside the candidate's process: a",
        "  candidate written to fool auditor can lower its own risk through them (never its",
        "  weak-test verdict, decided on the trusted side; see docs/SANDBOX.md).",
        "- On HumanEval-style corpora pooled AUC mostly measures which tasks have weak tests;",
        "  read the within-task figures and the baselines first.",
        "- The model is bound to its feature schema: a change to any extractor (including a rule)",
        "  changes the schema hash, and the model then refuses to load until retrained; the",
        "  same holds for the execution schema (amplification, harness, mutants, consensus).",
        "- Probabilities are calibrated on the pooled training corpora; a corpus with another",
        "  base rate shifts them (see the cross-model Brier scores).",
        "",
    ]
