"""Task-disjoint headline of `check --tasks`: how well its risk ranks false positives, and
what it does to the resampling ceiling as a second verifier.

    python -m tests.benchmarks.exec_headline corpora/labels/codegen16b corpora/labels/davinci002 \
        corpora/labels/qwen25coder7b [--data-dir ../shared/corpora] [--folds 5] [--json OUT]

Rows: the weak-test passers of the labeled corpora with their static and `exec.*` columns
(`corpus_table(execute=True)`, cached per task). Every score is out of fold: folds grouped
by task id across corpora (a task's candidates of every corpus are on one side); in each
fold the product pipeline (`auditor.model.fit`, family hgb) is fitted on the other folds and
scores the held-out tasks. Compared on the same rows: the model's `exec-peers` set (what
`check --tasks` reports for a passer with peers), `exec-solo` (one file with `--tests`), the
static `peers` set (a samples file without `--tasks`), the transparent peer score
(1 - cluster share + 0.1 mutant survival, no fitting), the same score with the static risk
as a second tie-break, and the baselines (random; same-task prior, which has no score for
unseen tasks; the best single feature chosen on the training folds).

Within-task ROC-AUC (groups: one corpus's passers of one task) leads, with a 95% bootstrap
interval over task ids, then pooled ROC-AUC (over the pairs inside one fold, which one model
scored: `metrics.pooled_auc`) and without the one task whose removal moves it most
(`metrics.heaviest_task`); each `exec.*` signal alone beside (direction
fixed beforehand, `bench_execution.SIGNS`). Then, per corpus, the ceiling (mean over tasks
of P(correct | accepted)) with `check` as a second verifier: accept a weak-passer iff its
out-of-fold risk is below a threshold; the best ceiling that rejects at most 10% of the
correct passers, and the exact re-rank ceiling (submit the lowest-risk passer of k draws).
With --scores-dir, every out-of-fold score per corpus for `auditor curves --scores`.

With --unseen-models, every score is computed a second time with each corpus's held-out
tasks scored by models fitted on the other corpora only (the other tasks of the other
models): what `check` does for a model and tasks it has never seen. Its pooled AUC over
every corpus counts pairs within one corpus only (one model scored them). `exec-peers` is one
fixed score under a monotone calibration, so its within-task ranking cannot change; the
static and single-candidate sets, fitted on many columns, can learn a model's style.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold

from auditor.corpus.labels import load_labeled
from auditor.execution.signals import SCORE_INPUTS, peer_score
from auditor.io import atomic_write
from auditor.metrics import heaviest_task, pooled_auc, task_bootstrap, within_task_auc
from auditor.model import corpus_table, stack_tables
from auditor.model.baselines import baseline_scores, fit_baselines
from auditor.model.context import context_names, feature_sets
from auditor.model.data import TrainingData
from auditor.model.selection import fit, fold_ids
from auditor.study.curves import compute
from auditor.types import Label, Status
from tests.benchmarks.bench_execution import SIGNS

SETS = ("exec-peers", "exec-solo", "peers")
WEAK = (Status.CORRECT, Status.FALSE_POSITIVE)  # the rows `stack_tables` keeps
MAX_CORRECT_LOST = 0.10
TIE_BREAK = 0.1  # the weight of mutant survival in the transparent score, reused a priori


def out_of_fold(
    data: TrainingData, splits: Sequence[Any], inner: int, unseen_models: bool = False
) -> dict[str, np.ndarray]:
    """Out-of-fold risk of each feature set, and the baselines of `exec-peers`. With
    `unseen_models`, each corpus's held-out rows are scored by a model fitted without that
    corpus too (the other models' samples of the other tasks): a model and tasks never seen."""
    baselines = ("random", "task_prior", "best_feature")
    out = {name: np.full(len(data.y), np.nan) for name in (*SETS, *baselines)}
    X = data.inputs()
    sets = feature_sets(context_names(data.columns))
    for k, (tr, te) in enumerate(splits):
        held = (
            [(tr[data.corpus[tr] != c], te[data.corpus[te] == c]) for c in sorted(set(data.corpus))]
            if unseen_models
            else [(tr, te)]
        )
        for fit_rows, rows in held:
            if len(rows) == 0:  # a corpus without the fold's tasks
                continue
            print(f"fold {k + 1}/{len(splits)}: fitting on {len(fit_rows)} rows, scoring "
                  f"{len(rows)}", file=sys.stderr, flush=True)  # fmt: skip
            model = fit(data.take(fit_rows), families=("hgb",), cv=False, inner=inner, sets=SETS)
            for name in SETS:
                out[name][rows] = model.estimators[name].predict_proba(X[rows])[:, 1]
            base = fit_baselines(data.take(fit_rows), {"exec-peers": sets["exec-peers"]})
            got = baseline_scores(base, data.take(rows), "exec-peers")
            for name in baselines:
                out[name][rows] = got[name]
    return out


def transparent(data: TrainingData, static: np.ndarray) -> dict[str, np.ndarray]:
    """The fixed-formula scores (nothing fitted but the static risk, out of fold)."""
    col = {c: data.X[:, data.columns.index(c)] for c in data.columns if c.startswith("exec.")}
    # a passer alone in its task has no peer score: 0.5, as before (mid-range)
    score = np.nan_to_num(
        peer_score(col["exec.cluster_share"], col["exec.mutant_survival"]), nan=0.5
    )
    # the shipped score without its wide term: what the wide inputs add, on the same rows
    no_wide = np.nan_to_num(peer_score(*(col[c] for c in SCORE_INPUTS[:3])), nan=0.5)
    # ... and without its property term: what the weak tests' properties add
    no_props = np.nan_to_num(peer_score(*(col[c] for c in SCORE_INPUTS[:4])), nan=0.5)
    return {
        "transparent": score,
        "transparent+static": score + TIE_BREAK * static,
        "score without wide": no_wide,
        "score without properties": no_props,
        "1 - cluster share": 1.0 - col["exec.cluster_share"],
    }


def auc_row(
    y: np.ndarray, s: np.ndarray, groups: np.ndarray, tasks: np.ndarray, folds: np.ndarray
) -> dict[str, Any]:
    """Within-task and pooled ROC-AUC (over the pairs one fold's model scored,
    `metrics.pooled_auc`) with 95% bootstrap intervals over task ids."""
    ok = np.isfinite(s)
    if ok.sum() < 2 or len(set(y[ok])) < 2:
        return {"rows": int(ok.sum())}
    y, s, groups, tasks, folds = y[ok], s[ok], groups[ok], tasks[ok], folds[ok]
    within, n = within_task_auc(y, s, groups)
    w_ci, p_ci = task_bootstrap(y, s, groups, tasks, n_boot=500, folds=folds)
    heavy, without = heaviest_task(y, s, tasks, folds)
    return {
        "within": round(within, 3),
        "within_ci": [round(w_ci[0], 3), round(w_ci[1], 3)],
        "groups": n,
        "pooled": round(pooled_auc(y, s, folds), 3),
        "pooled_ci": [round(p_ci[0], 3), round(p_ci[1], 3)],
        "rows": len(y),
        "task_ids": len(set(tasks)),
        "heaviest_task": str(heavy),
        "pooled_without_it": round(without, 3),
    }


def auc_table(
    data: TrainingData, scores: Mapping[str, np.ndarray], fold: np.ndarray
) -> dict[str, dict[str, Any]]:
    """Per score, its AUC row over every corpus ("all") and over each corpus alone."""
    groups, tasks = data.batches.astype(str), data.task_ids.astype(str)
    subsets = {"all": np.ones(len(data.y), dtype=bool)}
    subsets |= {str(c): data.corpus == c for c in dict.fromkeys(data.corpus.tolist())}
    return {
        name: {
            key: auc_row(data.y[m], s[m], groups[m], tasks[m], fold[m])
            for key, m in subsets.items()
        }
        for name, s in scores.items()
    }


def scored_by(data: TrainingData, fold: np.ndarray) -> np.ndarray:
    """Under unseen models, which model scored each row: its fold's, one per corpus. Pooled
    AUC counts only pairs one model scored (`metrics.pooled_auc`), so across corpora it
    does not compare calibrations that no deployed model mixes."""
    _, corpus = np.unique(data.corpus.astype(str), return_inverse=True)
    return fold * (int(corpus.max()) + 1) + corpus


def second_verifier(labels: Sequence[Label], risk: Mapping[tuple[str, str], float]) -> dict:
    """Ceiling without the auditor, the best one rejecting <= 10% of correct passers, the
    share rejected there, and the re-rank ceiling."""
    thresholds = np.unique(np.quantile(list(risk.values()), np.linspace(0.02, 0.98, 49)))
    run = compute(labels, [1.0], scores=dict(risk), thresholds=(*thresholds, math.inf))
    sw, rr = run.sweep, run.rerank
    assert sw is not None and rr is not None
    ok = [h for h in range(len(sw.thresholds)) if sw.correct_lost[h] <= MAX_CORRECT_LOST]
    best = max(ok, key=lambda h: (np.nan_to_num(sw.ceiling[h]), -sw.correct_lost[h]))
    none = len(sw.thresholds) - 1  # the last threshold (inf) rejects nothing
    return {
        "ceiling_without": round(float(sw.ceiling[none]), 3),
        "ceiling_at_max_10pct_lost": round(float(sw.ceiling[best]), 3),
        "correct_lost": round(float(sw.correct_lost[best]), 3),
        "accepted_share": round(float(sw.accepted_share[best]), 3),
        "rerank_ceiling": round(float(rr.ceiling), 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("labels", nargs="+", type=Path)
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/corpora"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--inner", type=int, default=2)
    ap.add_argument("--json", type=Path, help="write every number here")
    ap.add_argument(
        "--unseen-models",
        action="store_true",
        help="also score each corpus by models fitted without it (unseen model and tasks)",
    )
    ap.add_argument(
        "--scores-dir",
        type=Path,
        help="write <corpus>.<score>.csv (task_id, sample_id, risk) for `auditor curves --scores`",
    )
    args = ap.parse_args(argv)
    corpora = [load_labeled(p, data_dir=args.data_dir) for p in args.labels]
    tables = [(c.name, corpus_table(c, execute=True)) for c in corpora]
    data = stack_tables(tables)
    splits = list(GroupKFold(args.folds).split(data.X, data.y, data.task_ids))
    fold = fold_ids(len(data.y), splits)
    scores = out_of_fold(data, splits, args.inner)
    scores |= transparent(data, scores["peers"])
    signals = {  # each signal alone, its direction fixed beforehand (bench_execution.SIGNS)
        col: sign * data.X[:, data.columns.index(col)]
        for col, sign in SIGNS.items()
        if col in data.columns
    }
    groups, tasks = data.batches.astype(str), data.task_ids.astype(str)
    result: dict[str, Any] = {"rows": len(data.y), "false_positives": int(data.y.sum())}
    result["auc"] = auc_table(data, scores, fold)
    unseen = None
    if args.unseen_models:
        unseen = out_of_fold(data, splits, args.inner, unseen_models=True)
        # pairs one model scored: within a corpus in both, so the two read on the same pairs
        by = scored_by(data, fold)
        result["unseen_models"] = {
            "seen": auc_table(data, {n: scores[n] for n in unseen}, by),
            "unseen": auc_table(data, unseen, by),
        }
    result["signals"] = {
        name: auc_row(data.y, s, groups, tasks, fold) for name, s in signals.items()
    }
    result["second_verifier"] = {}
    for (name, table), c in zip(tables, corpora, strict=True):
        m = data.corpus == name
        keys = [k for k, lab in zip(table.keys, table.labels or (), strict=True) if lab in WEAK]
        result["second_verifier"][name] = {
            s: second_verifier(c.labels, _risk_by_sample(keys, scores[s][m]))
            for s in (
                "exec-peers",
                "score without wide",
                "score without properties",
                "transparent",
                "transparent+static",
                "peers",
            )
        }
        if unseen is not None:  # the same ranking; a threshold sees another calibration
            by_sample = _risk_by_sample(keys, unseen["exec-peers"][m])
            result["second_verifier"][name]["exec-peers, unseen model"] = second_verifier(
                c.labels, by_sample
            )
        if args.scores_dir:
            named = scores | {f"unseen-model.{s}": r for s, r in (unseen or {}).items()}
            for s, risk in named.items():
                write_scores(
                    args.scores_dir / f"{name}.{s.replace(' ', '')}.csv",
                    _risk_by_sample(keys, risk[m]),
                )
    print(render(result))
    if args.json:
        atomic_write(args.json, json.dumps(result, indent=2) + "\n")
    return 0


def _risk_by_sample(keys: Sequence[tuple[str, ...]], risk: np.ndarray) -> dict:
    """(task id, sample id) -> risk, in the order `stack_tables` keeps a table's rows."""
    assert len(keys) == len(risk)
    return {(k[0], k[1]): float(r) for k, r in zip(keys, risk, strict=True) if np.isfinite(r)}


def write_scores(path: Path, risk: Mapping[tuple[str, str], float]) -> None:
    """task_id, sample_id, risk rows (no solution text), as `auditor curves --scores` reads."""
    rows = ["task_id,sample_id,risk", *(f"{t},{i},{r:.6g}" for (t, i), r in risk.items())]
    atomic_write(path, "\n".join(rows) + "\n")


def _auc_line(name: str, a: Mapping[str, Any]) -> str:
    if "within" not in a:
        return f"{name:<20} (no score on unseen tasks)"
    return (
        f"{name:<20} {a['within']:.3f} [{a['within_ci'][0]:.3f}, {a['within_ci'][1]:.3f}]"
        f"   {a['groups']:>6} {a['pooled']:.3f} [{a['pooled_ci'][0]:.3f}, "
        f"{a['pooled_ci'][1]:.3f}]; {a['pooled_without_it']:.3f} without "
        f"{a['heaviest_task']}"
    )


def render(result: Mapping[str, Any]) -> str:
    """The tables as text: AUCs per score, then the second-verifier ceilings per corpus."""
    out = [f"{result['rows']} weak-passers, {result['false_positives']} false positives"]
    out.append(f"{'score':<20} {'within [95% CI]':<24} {'groups':>6} {'pooled [95% CI]':<24}")
    out += [_auc_line(name, per["all"]) for name, per in result["auc"].items()]
    if "unseen_models" in result:
        out.append("pairs within one corpus: models fitted with it -> without it (unseen model):")
        seen, unseen = result["unseen_models"]["seen"], result["unseen_models"]["unseen"]
        for name, per in unseen.items():
            out += [_auc_line(name, seen[name]["all"]), _auc_line("  -> unseen", per["all"])]
    out.append("each execution signal alone (all corpora):")
    for name, a in result["signals"].items():
        if "within" in a:
            out.append(
                f"  {name:<24} within {a['within']:.3f} ({a['groups']}) pooled {a['pooled']:.3f}"
            )
    for corpus, per in result["second_verifier"].items():
        out.append(f"{corpus}: ceiling as a second verifier (<= 10% of correct passers lost)")
        for name, v in per.items():
            out.append(
                f"  {name:<20} {v['ceiling_without']:.3f} -> {v['ceiling_at_max_10pct_lost']:.3f}"
                f" ({v['correct_lost']:.1%} correct lost); re-rank {v['rerank_ceiling']:.3f}"
            )
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
