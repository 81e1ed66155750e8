"""How well do the behavior features separate false positives from correct candidates?

Run as `python -m tests.benchmarks.bench_behavior_signal [--corpora DIR] [--data-dir DIR] [--out FILE]`.
For each labeled corpus it takes the weak-test passers (the candidates a best-of-n user
would have to choose among), computes `behavior.*` with those as peers, and scores
`1 - agree_plurality` and `1 - cluster_share` against the false-positive label: pooled and
within-task ROC-AUC, plus timing. Writes aggregates only (no solution text).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from auditor.behavior.mutate import DEFAULT_N, MUTATOR_VERSION
from auditor.behavior.prober import ProbeLimits, SandboxProber, Vector
from auditor.corpus.labels import load_labeled
from auditor.features.behavior import ALL_COLUMNS, behavior_features
from auditor.features.cache import FeatureCache
from auditor.metrics import within_task_auc
from auditor.types import Outcome, Status, Task

SCHEMA = "auditor.behavior_signal/1"
CORPORA = ("codegen16b", "davinci002", "qwen25coder7b")
# score name -> (column, sign): higher score = more likely a false positive
SCORES: Mapping[str, tuple[str, float]] = {
    "1-agree_plurality": ("behavior.agree_plurality", -1.0),
    "1-cluster_share": ("behavior.cluster_share", -1.0),
    "1-agree_mean": ("behavior.agree_mean", -1.0),
    "cluster_rank": ("behavior.cluster_rank", 1.0),
    "crash_rate_rel": ("behavior.crash_rate_rel", 1.0),
}


class CountingProber:
    """Wraps a prober to count the programs it actually ran (cache misses)."""

    def __init__(self, inner: SandboxProber) -> None:
        self.inner = inner
        self.programs = 0

    @property
    def version(self) -> str:
        return self.inner.version

    def probe(self, task: Task, codes: Sequence[str], inputs: Sequence[Any]) -> list[Vector | None]:
        self.programs += len(codes)
        return self.inner.probe(task, codes, inputs)


def _score_stats(y: np.ndarray, score: np.ndarray, groups: np.ndarray) -> dict[str, Any]:
    ok = np.isfinite(score)
    pooled = (
        float(roc_auc_score(y[ok], score[ok])) if ok.any() and 0 < y[ok].sum() < ok.sum() else None
    )
    within, n_tasks = within_task_auc(y, score, groups)
    return {
        "pooled_auc": None if pooled is None else round(pooled, 4),
        "within_task_auc": None if not np.isfinite(within) else round(within, 4),
        "within_tasks": n_tasks,
        "rows_scored": int(ok.sum()),
    }


def measure(
    label_dir: Path,
    data_dir: Path | None,
    cache: FeatureCache,
    jobs: int,
    *,
    name: str | None = None,
    samples: Path | None = None,
    max_tasks: int = 0,
) -> dict[str, Any]:
    """Signal of the behavior features on one labeled corpus (weak-test passers only).

    `max_tasks` > 0 keeps the first tasks in label-file order (a label-blind subset).
    """
    corpus = load_labeled(label_dir, data_dir=data_dir, samples=samples)
    if corpus.candidates is None:
        raise SystemExit(f"{label_dir}: samples not found (set --data-dir)")
    order = list(dict.fromkeys(lb.task_id for lb in corpus.labels))
    allowed = set(order[:max_tasks] if max_tasks > 0 else order)
    keep = [
        i
        for i, lb in enumerate(corpus.labels)
        if lb.weak_status is Outcome.PASS
        and lb.task_id in (corpus.tasks or {})
        and lb.task_id in allowed
    ]
    cands = [corpus.candidates[i] for i in keep]
    labels = [corpus.labels[i] for i in keep]
    y = np.array([lb.status is Status.FALSE_POSITIVE for lb in labels])
    groups = np.array([c.task_id for c in cands])
    unique = len({(c.task_id, c.sha256) for c in cands})
    with SandboxProber(jobs=jobs) as sandbox:
        prober = CountingProber(sandbox)
        t0 = time.perf_counter()
        block = behavior_features(
            cands, np.ones(len(cands), dtype=bool), corpus.tasks, cache=cache, prober=prober
        )
        elapsed = time.perf_counter() - t0
    col = {c: k for k, c in enumerate(ALL_COLUMNS)}
    scores = {
        name: _score_stats(y, sign * block[:, col[column]], groups)
        for name, (column, sign) in SCORES.items()
    }
    fp_tasks = {t for t, is_fp in zip(groups, y, strict=True) if is_fp}
    return {
        "corpus": name or corpus.name,
        "weak_passers": len(cands),
        "unique_programs": unique,
        "false_positives": int(y.sum()),
        "tasks": len(set(groups)),
        "tasks_with_fp": len(fp_tasks),
        "failed_rows": int(block[:, col["behavior.failed"]].sum()),
        "median_n_inputs": float(np.nanmedian(block[:, col["behavior.n_inputs"]])),
        "programs_probed": prober.programs,
        "seconds": round(elapsed, 1),
        "programs_per_s": round(prober.programs / elapsed, 2) if prober.programs else None,
        "scores": scores,
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=Path("corpora/labels"))
    ap.add_argument("--names", nargs="*", default=list(CORPORA))
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--cache-dir", type=Path, default=None, help="default: a fresh temp dir")
    # results of corpora not named here are kept from an existing --out file
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-tasks", type=int, default=0, help="first N tasks only (0: all)")
    # An extra, e.g. partial, label file (labels.jsonl) with its samples, measured as NAME.
    ap.add_argument("--labels", type=Path, default=None)
    ap.add_argument("--samples", type=Path, default=None)
    ap.add_argument("--labels-name", default=None)
    ap.add_argument("--note", default="")
    ap.add_argument("--out", type=Path, default=Path("reports/features/behavior_signal.json"))
    args = ap.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = args.cache_dir or Path(tmp)
        with FeatureCache(cache_dir) as cache:
            for name in args.names:
                res = measure(
                    args.corpora / name,
                    args.data_dir,
                    cache,
                    args.jobs,
                    max_tasks=args.max_tasks,
                )
                if args.max_tasks:
                    res["note"] = f"first {args.max_tasks} tasks in label order"
                print(json.dumps(res), file=sys.stderr, flush=True)
                results.append(res)
            if args.labels is not None:
                res = measure(
                    args.labels,
                    args.data_dir,
                    cache,
                    args.jobs,
                    name=args.labels_name,
                    samples=args.samples,
                )
                res["note"] = args.note
                print(json.dumps(res), file=sys.stderr, flush=True)
                results.append(res)
    # Corpora measured earlier (e.g. before another corpus had labels) are kept.
    if args.out.is_file():
        earlier = json.loads(args.out.read_text())
        if earlier.get("schema") == SCHEMA:
            done = {r["corpus"] for r in results}
            results = [r for r in earlier["corpora"] if r["corpus"] not in done] + results
    results.sort(key=lambda r: r["corpus"])
    limits = ProbeLimits()
    report = {
        "schema": SCHEMA,
        "what": "ROC-AUC of behavior scores for false positive vs correct among weak-test "
        "passers; peers = the task's weak-test passers (leave-one-out)",
        "settings": {
            "n_probe_inputs": DEFAULT_N,
            "mutator_version": MUTATOR_VERSION,
            "per_input_s": limits.per_input_s,
            "total_s": limits.total_s,
            "jobs": args.jobs,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "corpora": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps(report, indent=2) + "\n")
    os.replace(tmp_out, args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
