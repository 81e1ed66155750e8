"""Held-out flags of a single-candidate model, with and without the prompt-driven columns.

    python -m tests.benchmarks.solo_flags corpora/labels/codegen16b corpora/labels/davinci002 \\
        corpora/labels/qwen25coder7b --data-dir ../shared/corpora [--set exec-solo] [--shuffled 3]

For one file (`check FILE.py --tests`, or a file alone) what matters is whether a risk over
the threshold means a false positive on a task the model never saw. On task-grouped splits
(the model card's 3 folds and exec_headline's 5, then `--shuffled` random task-to-fold
assignments of each), the product's calibrated estimator (`fit_calibrated`, hgb, inner 2)
of the set is fitted on the other folds; printed: within-task and pooled ROC-AUC and the
held-out passers at risk >= 0.4 / 0.5 (false positives among them), for the set as shipped
and with `context.PROMPT_DRIVEN` toggled (put back into `exec-solo`, taken out of `solo`).
Needs the exec tables (`--execute` cache) for `exec-solo`; ~35 s per split and variant
(the full default run, 16 of them: ~9 min on 2 cores).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from auditor.corpus.labels import load_labeled
from auditor.metrics import pooled_auc, within_task_auc
from auditor.model import corpus_table, stack_tables
from auditor.model.context import PROMPT_DRIVEN, context_names, feature_sets
from auditor.model.data import TrainingData
from auditor.model.selection import fit_calibrated, fold_ids, group_splits

THRESHOLDS = (0.4, 0.5)
TASK_GROUPED = (("card", 3), ("headline", 5))  # the model card's and exec_headline's splits
Splits = list[tuple[np.ndarray, np.ndarray]]


def shuffled_splits(tasks: np.ndarray, k: int, seed: int) -> Splits:
    """`k` folds of a random task-to-fold assignment (every row of a task in one fold)."""
    uniq = np.array(sorted(set(tasks.tolist())))
    perm = np.random.default_rng(seed).permutation(len(uniq))
    fold_of = {t: int(perm[i]) % k for i, t in enumerate(uniq.tolist())}
    fold = np.array([fold_of[t] for t in tasks.tolist()])
    return [(np.flatnonzero(fold != j), np.flatnonzero(fold == j)) for j in range(k)]


def toggled(data: TrainingData, feature_set: str) -> list[int]:
    """The set's columns with the prompt-driven static columns toggled."""
    names = context_names(data.columns)
    sets = feature_sets(names)
    prompt = {i for i in sets["solo"] if names[i] in PROMPT_DRIVEN}
    return sorted(set(sets[feature_set]) ^ prompt)


def evaluate(data: TrainingData, cols: Sequence[int], splits: Splits) -> str:
    """One line: within, pooled, flags at each threshold as n (false positives)."""
    X, y, groups = data.inputs(), data.y, data.batches.astype(str)
    risk = np.full(len(y), np.nan)
    for tr, te in splits:
        risk[te] = fit_calibrated("hgb", list(cols), data.take(tr), 2).predict_proba(X[te])[:, 1]
    within = within_task_auc(y, risk, groups)[0]
    pooled = pooled_auc(y, risk, fold_ids(len(y), splits))
    flags = "  ".join(
        f">={t}: {int((risk >= t).sum())} ({int(y[risk >= t].sum())})" for t in THRESHOLDS
    )
    return f"within {within:.3f}  pooled {pooled:.3f}  {flags}"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("labels", nargs="+", type=Path)
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/corpora"))
    ap.add_argument("--set", default="exec-solo", choices=("exec-solo", "solo"))
    ap.add_argument("--shuffled", type=int, default=3, help="random assignments per fold count")
    args = ap.parse_args(argv)
    corpora = [load_labeled(p, data_dir=args.data_dir) for p in args.labels]
    data = stack_tables(
        [(c.name, corpus_table(c, execute=args.set == "exec-solo")) for c in corpora]
    )
    tasks = data.task_ids
    shipped = feature_sets(context_names(data.columns))[args.set]
    variants = {"shipped": shipped, "toggled": toggled(data, args.set)}
    runs = [(f"the {who}'s {k} folds", group_splits(tasks, k)) for who, k in TASK_GROUPED]
    runs += [
        (f"shuffled {k} folds, seed {s}", shuffled_splits(tasks, k, s))
        for k in (3, 5)
        for s in range(args.shuffled)
    ]
    print(f"{args.set}: {len(data.y)} passers, {int(data.y.sum())} false positives")
    for label, splits in runs:
        for name, cols in variants.items():
            print(f"{label:<26} {name:<8} {evaluate(data, cols, splits)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
