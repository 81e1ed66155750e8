"""Headline figures of `check --tasks` (execution with peers) from bench_execution's rows.

    python -m tests.benchmarks.exec_headline ROWS.csv [ROWS.csv ...] [--scores-dir DIR]

Prints within-task ROC-AUC (groups = one corpus's candidates of one task, as the model
card) with a bootstrap CI over task ids, then pooled ROC-AUC, for the transparent score
`check` uses, cluster share alone and a random score; with --scores-dir it also writes one
`task_id,sample_id,risk` CSV per corpus for `auditor curves LABELS --scores FILE` (the
auditor as a second verifier). The score is a fixed formula (only a monotone calibration
is fitted), so no fold can leak a task into its own score.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from auditor.metrics import task_bootstrap, within_task_auc


def _num(text: str) -> float:
    return float(text) if text not in ("", "nan") else float("nan")


def transparent_score(row: dict[str, str]) -> float:
    """1 - cluster share + 0.1 * mutant survival (auditor.execution.signals); 0.5 alone."""
    share, survival = _num(row["exec.cluster_share"]), _num(row["exec.mutant_survival"])
    if np.isnan(share):
        return 0.5
    return 1.0 - share + 0.1 * (0.0 if np.isnan(survival) else survival)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="+", type=Path)
    parser.add_argument("--scores-dir", type=Path)
    args = parser.parse_args(argv)
    rows = [r for path in args.rows for r in csv.DictReader(path.open())]
    y = np.array([int(r["false_positive"]) for r in rows])
    groups = np.array([f"{r['corpus']}:{r['task_id']}" for r in rows])
    tasks = np.array([r["task_id"] for r in rows])
    scores = {
        "check --tasks score": np.array([transparent_score(r) for r in rows]),
        "1 - cluster share": np.array([1 - _num(r["exec.cluster_share"]) for r in rows]),
        "random": np.random.default_rng(0).random(len(rows)),
    }
    print(f"{len(rows)} weak-passers, {y.sum()} false positives, {len(set(tasks))} task ids")
    print(f"{'score':<22} {'within-task [95% CI]':<26} groups  {'pooled [95% CI]':<24}")
    for name, s in scores.items():
        s = np.nan_to_num(s, nan=0.5)
        within, n = within_task_auc(y, s, groups)
        w_ci, p_ci = task_bootstrap(y, s, groups, tasks, n_boot=1000)
        print(
            f"{name:<22} {within:.3f} [{w_ci[0]:.3f}, {w_ci[1]:.3f}]      {n:>4}  "
            f"{roc_auc_score(y, s):.3f} [{p_ci[0]:.3f}, {p_ci[1]:.3f}]"
        )
    if args.scores_dir:
        args.scores_dir.mkdir(parents=True, exist_ok=True)
        for corpus in sorted({r["corpus"] for r in rows}):
            with (args.scores_dir / f"{corpus}.csv").open("w", newline="") as fh:
                out = csv.writer(fh)
                out.writerow(["task_id", "sample_id", "risk"])
                out.writerows(
                    (r["task_id"], r["sample_id"], transparent_score(r))
                    for r in rows
                    if r["corpus"] == corpus
                )
        print(f"scores for `auditor curves --scores` in {args.scores_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
