"""Behavior probing speed against the weak-test run, side by side.

    python -m tests.benchmarks.bench_behavior                    # codegen16b, 5 tasks
    python -m tests.benchmarks.bench_behavior --corpus qwen25coder7b --tasks 10

Both sides run the same distinct programs of the first TASKS tasks in the sandbox with the
same number of workers, uncached: the baseline is the weak-test phase (`base`, what a
best-of-n user's verifier runs anyway, reference timings included), the other side is
`behavior.*`'s probe (24 mutated inputs, fingerprinted outputs). Prints programs/s of each
and the ratio.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from auditor.behavior.mutate import DEFAULT_N, probe_inputs
from auditor.behavior.prober import SandboxProber
from auditor.corpus.benchmarks import load_benchmarks_for
from auditor.corpus.samples import read_samples
from auditor.sandbox import Job, LocalRunner
from auditor.sandbox.spec import task_spec
from auditor.types import Candidate, Task

CORPORA = {
    "codegen16b": "samples/humaneval_codegen-16b-mono_t0.8_n100.jsonl.gz",
    "davinci002": "samples/humaneval_code-davinci-002_t0.8_n200.jsonl.gz",
    "qwen25coder7b": "samples/evalperf_qwen2.5-coder-7b-instruct_t0.2_n40.jsonl.gz",
}
DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"


def _programs(data: Path, corpus: str, n_tasks: int) -> tuple[dict[str, Task], list[Candidate]]:
    path = data / CORPORA[corpus]
    ids = sorted({c.task_id for c in read_samples(path, None, sanitize=False).candidates})
    keep = set(ids[:n_tasks])
    every = load_benchmarks_for(set(ids), data)
    tasks = {k: v for k, v in every.items() if k in keep}
    unique: dict[tuple[str, str], Candidate] = {}
    for c in read_samples(path, every).candidates:
        if c.task_id in keep:
            unique.setdefault((c.task_id, c.sha256), c)
    return tasks, list(unique.values())


def _weak_run(tasks: dict[str, Task], programs: list[Candidate], jobs: int) -> float:
    t0 = time.perf_counter()
    with LocalRunner(jobs) as runner:
        runner.prepare([task_spec(t) for t in tasks.values()])
        jobs_ = [Job(i, c.task_id, c.code, ("base",)) for i, c in enumerate(programs)]
        for _ in runner.run(jobs_):
            pass
    return time.perf_counter() - t0


def _probe_run(tasks: dict[str, Task], programs: list[Candidate], jobs: int) -> float:
    t0 = time.perf_counter()
    with SandboxProber(jobs) as prober:
        for task in tasks.values():
            codes = [c.code for c in programs if c.task_id == task.task_id]
            prober.probe(task, codes, probe_inputs(task.task_id, task.base_input, DEFAULT_N))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", choices=sorted(CORPORA), default="codegen16b")
    ap.add_argument("--tasks", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()
    tasks, programs = _programs(args.data_dir, args.corpus, args.tasks)
    n = len(programs)
    weak = _weak_run(tasks, programs, args.jobs)
    probe = _probe_run(tasks, programs, args.jobs)
    print(f"{args.corpus}: {len(tasks)} tasks, {n} distinct programs, {args.jobs} workers")
    print(f"  weak tests (base)      {weak:7.1f} s  {n / weak:7.1f} programs/s")
    print(f"  behavior probe ({DEFAULT_N:2d})  {probe:7.1f} s  {n / probe:7.1f} programs/s")
    print(f"  ratio probe/weak       {probe / weak:7.2f}")


if __name__ == "__main__":
    main()
