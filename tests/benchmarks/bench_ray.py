"""Labeling on Ray vs locally at the same worker count, and on 1 vs 2 Ray nodes, side by side.

    python -m tests.benchmarks.bench_ray                       # 30-task CodeGen-16B subset, 2 workers
    python -m tests.benchmarks.bench_ray --rounds 2 --jobs 2

Every run labels the same candidates (read and sanitized once, not timed) with `jobs`
sandbox workers in all: local is one `LocalRunner(jobs)`; "ray, 1 node" is a one-node
cluster with `jobs` CPUs; "ray, 2 nodes" is two nodes of this machine sharing the same
`jobs` CPUs. Cluster start-up is printed apart (a real cluster is already running); the
driver's connect time is inside the Ray rows. Timings are wall-clock on a machine that may
be shared: the load average is printed with each row, and `--rounds` alternates the runs.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from auditor.corpus.benchmarks import load_benchmarks_for
from auditor.corpus.samples import read_samples
from auditor.label import label
from auditor.types import Candidate, Task
from tests.benchmarks.bench_label import CORPORA, DEFAULT_DATA, _subset, _write_jsonl
from tests.ray_cluster import local_cluster, ray_env

Statuses = dict[tuple[str, str], str]


def _statuses(run: Any) -> Statuses:
    return {(lb.task_id, lb.sample_id): lb.status.value for lb in run.labels}


def run_local(
    cands: Sequence[Candidate], tasks: dict[str, Task], jobs: int
) -> tuple[float, Statuses, int]:
    t0 = time.perf_counter()
    run = label(cands, tasks, jobs=jobs)
    return time.perf_counter() - t0, _statuses(run), 0


def run_ray(
    cands: Sequence[Candidate], tasks: dict[str, Task], jobs: int, nodes: int
) -> tuple[float, Statuses, int, float]:
    """(label seconds incl. connecting, statuses, nodes used, cluster start seconds)."""
    import ray

    from auditor.sandbox.ray_runner import RayRunner

    per_node = [jobs // nodes + (i < jobs % nodes) for i in range(nodes)]
    os.environ.update(ray_env())  # this driver joins a test cluster (no auth token)
    t0 = time.perf_counter()
    with local_cluster(per_node) as cluster:
        address = cluster.address
        started = time.perf_counter() - t0
        t1 = time.perf_counter()
        ray.init(address=address, logging_level="ERROR", log_to_driver=False)
        connect = time.perf_counter() - t1
        try:
            _wait_nodes(nodes)  # the nodes registering is start-up, not labeling
            t2 = time.perf_counter()
            with RayRunner(address, jobs=jobs) as runner:
                run = label(cands, tasks, runner=runner)
                used = len(runner.nodes)
            elapsed = connect + time.perf_counter() - t2
        finally:
            ray.shutdown()
    return elapsed, _statuses(run), used, started


def _wait_nodes(n: int, timeout: float = 120.0) -> None:
    import ray

    end = time.monotonic() + timeout
    while sum(x["Alive"] for x in ray.nodes()) < n:
        if time.monotonic() > end:
            raise RuntimeError(f"fewer than {n} Ray nodes came up")
        time.sleep(0.2)


def _row(
    name: str, nodes: str, jobs: int, secs: float, n: int, base: float | None, agree: str
) -> str:
    ratio = f"{secs / base:8.2f}x" if base else f"{'1.00x':>9}"
    load = os.getloadavg()[0]
    return (
        f"{name:<14}{nodes:>6}{jobs:>9}{secs:>10.1f}{n / secs:>11.1f}{ratio:>10}"
        f"{agree:>11}{load:>8.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", choices=list(CORPORA), default="codegen16b")
    ap.add_argument("--tasks", type=int, default=30, help="first N HumanEval tasks; 0 = all")
    ap.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("AUDITOR_DATA_DIR", DEFAULT_DATA))
    )
    ap.add_argument("--jobs", type=int, default=2, help="sandbox workers in all (each run)")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args(argv)
    if importlib.util.find_spec("ray") is None:
        print("ray is not installed (pip install 'auditor[ray]'): skipped")
        return 0

    with gzip.open(args.data_dir / CORPORA[args.corpus], "rt", encoding="utf-8") as fh:
        rows = _subset([json.loads(line) for line in fh], args.tasks)
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        subset = Path(tmp) / "subset.jsonl"
        _write_jsonl(subset, rows)
        ids = {r["task_id"] for r in rows}
        tasks = load_benchmarks_for(ids, args.data_dir)
        cands = read_samples(subset, tasks).candidates
    n = len(cands)
    print(
        f"corpus {args.corpus}, {n} samples, {len(ids)} tasks, {args.jobs} sandbox workers per run"
    )
    print(f"(machine shared with other sessions: {os.cpu_count()} CPUs; load average per row)")
    runs: dict[str, Callable[[], tuple[float, Statuses, int, float]]] = {
        "local": lambda: (*run_local(cands, tasks, args.jobs), 0.0),
        "ray, 1 node": lambda: run_ray(cands, tasks, args.jobs, 1),
        "ray, 2 nodes": lambda: run_ray(cands, tasks, args.jobs, 2),
    }
    print(
        f"{'run':<14}{'nodes':>6}{'workers':>9}{'label s':>10}{'samples/s':>11}"
        f"{'vs local':>10}{'agreement':>11}{'load':>8}"
    )
    times: dict[str, list[float]] = {k: [] for k in runs}
    reference: Statuses | None = None
    for _ in range(args.rounds):
        base = None
        for name, fn in runs.items():
            secs, statuses, used, started = fn()
            reference = reference or statuses
            same = sum(statuses.get(k) == v for k, v in reference.items()) / len(reference)
            times[name].append(secs)
            base = base or secs
            print(
                _row(
                    name,
                    str(used or "-"),
                    args.jobs,
                    secs,
                    n,
                    None if name == "local" else base,
                    f"{same:.2%}",
                ),
                flush=True,
            )
            if started:
                print(f"{'':<14}  (cluster start-up {started:.1f} s, not counted)")
            for key in [k for k, v in reference.items() if statuses.get(k) != v][:5]:
                print(
                    f"{'':<14}  differs from the first local run: {key} {reference[key]} -> "
                    f"{statuses.get(key)}"
                )
    if args.rounds > 1:
        local = statistics.median(times["local"])
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"median {name:<14} {med:8.1f} s  {med / local:5.2f}x local")
    return 0


if __name__ == "__main__":
    sys.exit(main())
