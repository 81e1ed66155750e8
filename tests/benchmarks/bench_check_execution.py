"""`check` of one task's candidates with execution, beside static-only (issue 13: <= 20 s).

    PYTHONPATH=$PWD python3 -m tests.benchmarks.bench_check_execution [--tasks HumanEval/0 ...]

For each task, all of codegen16b's samples of it (100) are written to a temporary samples
file (deleted afterwards; nothing of them is kept) and checked with the packaged model,
once static-only and once with `--tasks humaneval+`. Prints seconds and their ratio; the
machine is shared, so the ratio is the figure to compare.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from auditor.config import Config
from auditor.corpus.labels import load_labeled
from auditor.execution.for_check import Execution
from auditor.execution.tasks import load_tasks
from auditor.types import Outcome, Status


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=Path("corpora/labels/codegen16b"))
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/corpora"))
    ap.add_argument("--tasks", nargs="*", default=["HumanEval/0", "HumanEval/12", "HumanEval/35"])
    ap.add_argument("--auc", type=int, default=0, help="AUC of check's risk on the first N tasks")
    args = ap.parse_args(argv)
    from auditor.check import check
    from auditor.model import default_model_path, load_model

    corpus = load_labeled(args.labels, data_dir=args.data_dir)
    assert corpus.candidates is not None
    tasks = load_tasks("humaneval+", args.data_dir)
    model = load_model(default_model_path(), predict_only=True)
    if args.auc:
        return auc_of_check(corpus, tasks, model, args.auc)
    print(f"{'task':14s} {'n':>4s} {'static s':>9s} {'exec s':>8s} {'ratio':>6s} {'failing':>8s}")
    for task_id in args.tasks:
        cands = [c for c in corpus.candidates if c.task_id == task_id]
        with tempfile.TemporaryDirectory() as tmp:
            samples = Path(tmp) / "samples.jsonl"
            samples.write_text(
                "".join(
                    json.dumps({"task_id": c.task_id, "solution": c.code}) + "\n" for c in cands
                )
            )
            t0 = time.perf_counter()
            check([samples], model=model, config=Config())
            static = time.perf_counter() - t0
            t0 = time.perf_counter()
            run = check([samples], model=model, config=Config(), execution=Execution(tasks=tasks))
            execd = time.perf_counter() - t0
        failing = sum(1 for r in run.results if r.execution and r.execution.verdict != "pass")
        print(f"{task_id:14s} {len(cands):4d} {static:9.1f} {execd:8.1f} "
              f"{execd / static:6.1f} {failing:8d}")  # fmt: skip
    return 0


def auc_of_check(corpus: Any, tasks: Any, model: Any, n_tasks: int) -> int:
    """Pooled and within-task AUC of `check`'s risk, static vs with execution, on the
    weak-test passers (by the committed labels) of the corpus's first `n_tasks` tasks."""
    from auditor.check import check
    from auditor.metrics import within_task_auc

    order = list(dict.fromkeys(lb.task_id for lb in corpus.labels))[:n_tasks]
    rows: dict[str, list[Any]] = {"static": [], "exec": [], "y": [], "g": []}
    for task_id in order:
        idx = [i for i, lb in enumerate(corpus.labels) if lb.task_id == task_id]
        with tempfile.TemporaryDirectory() as tmp:
            samples = Path(tmp) / "samples.jsonl"
            samples.write_text("".join(
                json.dumps({"task_id": task_id, "solution": corpus.candidates[i].code}) + "\n"
                for i in idx))  # fmt: skip
            static = check([samples], model=model, config=Config())
            run = check([samples], model=model, config=Config(), execution=Execution(tasks=tasks))
        for k, i in enumerate(idx):
            lb = corpus.labels[i]
            if lb.weak_status is not Outcome.PASS or run.results[k].risk is None:
                continue
            rows["static"].append(static.results[k].risk)
            rows["exec"].append(run.results[k].risk)
            rows["y"].append(lb.status is Status.FALSE_POSITIVE)
            rows["g"].append(task_id)
    y, g = np.array(rows["y"]), np.array(rows["g"])
    for name in ("static", "exec"):
        s = np.array(rows[name], dtype=float)
        pooled = roc_auc_score(y, s) if 0 < y.sum() < len(y) else float("nan")
        within, n = within_task_auc(y, s, g)
        print(f"check risk, {name:6s}: pooled {pooled:.3f}, within-task {within:.3f} ({n} tasks, "
              f"{len(y)} passers)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
