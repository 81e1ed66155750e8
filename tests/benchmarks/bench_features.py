"""Feature extraction throughput on CodeGen-16B candidates, side by side with a naive baseline.

Run: python -m tests.benchmarks.bench_features [DATA_DIR] [--unique N] [--naive M] [--jobs J]

auditor: `features.extract` (all static extractors and the relative features, no cache;
the sandboxed `behavior.*` block is left out: it executes code and has its own bench) on the
first N unique sanitized candidates (default 600), `--jobs` workers (default 2).
Naive baseline: per file, one ruff process, one radon process and one pylint process
(stock settings), on the first M of those candidates (default 20), extrapolated to N.
Prints unique candidates/s for both and their ratio, by wall clock and by CPU time
(user + system of this process and its children): on a shared machine the CPU figure,
scaled to the 2 cores the target assumes, is the one that does not depend on the load.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from auditor import features
from auditor.corpus import load_benchmark, read_samples
from auditor.features.ruff_features import ruff_bin
from auditor.types import Candidate

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO.parent / "shared" / "corpora"
CORPUS = "samples/humaneval_codegen-16b-mono_t0.8_n100.jsonl.gz"


def unique_candidates(data_dir: Path, n: int) -> tuple[list[Candidate], dict]:
    tasks = load_benchmark("humaneval+", data_dir)
    cands = read_samples(data_dir / CORPUS, tasks).candidates
    seen: dict[str, Candidate] = {}
    for c in cands:
        seen.setdefault(c.sha256, c)
    return list(seen.values())[:n], tasks


def cpu_seconds() -> float:
    """CPU time of this process and its (finished) children."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def naive(cands: list[Candidate]) -> float:
    """Seconds for one ruff, one radon and one pylint process per file."""
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, c in enumerate(cands):
            f = Path(tmp) / f"c{i}.py"
            f.write_text(c.code, encoding="utf-8", errors="replace")
            files.append(str(f))
        start = time.perf_counter()
        for f in files:
            for cmd in (
                [
                    ruff_bin(),
                    "check",
                    "--isolated",
                    "--no-cache",
                    "--exit-zero",
                    "--output-format=json",
                    f,
                ],
                [sys.executable, "-m", "radon", "cc", "-j", f],
                [
                    sys.executable,
                    "-m",
                    "pylint",
                    "--rcfile=/dev/null",
                    "--persistent=n",
                    "--disable=duplicate-code",
                    "--exit-zero",
                    "--output-format=json",
                    f,
                ],
            ):
                subprocess.run(cmd, capture_output=True, check=False)
        return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--unique", type=int, default=600)
    ap.add_argument("--naive", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    cands, tasks = unique_candidates(args.data_dir, args.unique)
    n = len(cands)

    start, cpu = time.perf_counter(), cpu_seconds()
    table = features.extract(cands, tasks=tasks, use_cache=False, jobs=args.jobs, behavior=False)
    ours, ours_cpu = time.perf_counter() - start, cpu_seconds() - cpu
    assert table.values.shape == (n, len(features.columns()))

    with tempfile.TemporaryDirectory() as tmp:
        features.extract(cands, tasks=tasks, cache_dir=Path(tmp), jobs=args.jobs, behavior=False)
        start = time.perf_counter()
        features.extract(cands, tasks=tasks, cache_dir=Path(tmp), jobs=args.jobs, behavior=False)
        cached = time.perf_counter() - start

    sample = cands[: args.naive]
    cpu = cpu_seconds()
    base = naive(sample) / len(sample) * n
    base_cpu = (cpu_seconds() - cpu) / len(sample) * n
    print(f"candidates: {n} unique CodeGen-16B (sanitized), {len(table.columns)} features")
    print(f"auditor   : {ours:7.2f} s  {n / ours:7.1f} unique/s  (jobs={args.jobs}, no cache)")
    print(f"  re-run  : {cached:7.2f} s  {n / cached:7.1f} unique/s  (warm cache)")
    print(
        f"naive     : {base:7.2f} s  {n / base:7.1f} unique/s  (3 processes/file, {len(sample)} files, extrapolated)"
    )
    print(f"ratio     : {base / ours:7.1f}x faster than naive (wall)")
    print(
        f"cpu       : auditor {ours_cpu:.1f} s = {2 * n / ours_cpu:.0f} unique/s on 2 cores; "
        f"naive {base_cpu:.1f} s = {2 * n / base_cpu:.1f} unique/s; ratio {base_cpu / ours_cpu:.1f}x"
    )


if __name__ == "__main__":
    main()
