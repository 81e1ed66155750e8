"""Exact resampling curves vs the paper's Monte Carlo, side by side.

Run: python -m tests.benchmarks.bench_resampling [LABELS]

Uses the code-davinci-002 labels (corpora/labels/davinci002) when present, else synthetic
counts of the same shape (161 tasks x 200 samples). Targets: exact curves for k = 1..200 and
5 cost ratios in <= 50 ms, and >= 1000x faster than the Monte Carlo at 1000 permutations.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from auditor.resampling import TaskCounts, curves
from tests.test_resampling import monte_carlo

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "corpora" / "labels" / "davinci002"
COSTS = (0.0, 0.5, 1.0, 2.0, 4.0)
K_MAX = 200
N_PERM = 1000


def load_counts(path: Path) -> tuple[TaskCounts, str]:
    if (path / "labels.jsonl").is_file() or path.is_file():
        from auditor.corpus.labels import read_labels

        return TaskCounts.from_labels(read_labels(path)), str(path)
    rng = np.random.default_rng(0)
    n = np.full(161, 200)
    b = rng.binomial(200, rng.beta(0.6, 0.6, 161))
    c = rng.binomial(b, rng.beta(4, 1, 161))
    return TaskCounts.from_arrays(n, b, c), "synthetic counts (161 tasks x 200)"


def main(argv: list[str]) -> int:
    counts, source = load_counts(Path(argv[0]) if argv else DEFAULT)
    print(f"corpus: {source}: {len(counts)} tasks, {int(counts.n.sum())} samples")
    curves(counts, COSTS, K_MAX)  # warm-up
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        cv = curves(counts, COSTS, K_MAX)
        times.append(time.perf_counter() - t0)
    exact = min(times)
    print(f"exact curves, k=1..{K_MAX}, {len(COSTS)} costs: {exact * 1e3:.2f} ms (best of 20)")

    ids = range(len(counts))
    weak = [np.arange(counts.n[i]) < counts.b[i] for i in ids]
    plus = [np.arange(counts.n[i]) < counts.c[i] for i in ids]
    t0 = time.perf_counter()
    acc, _ = monte_carlo(weak, plus, K_MAX, N_PERM, np.random.default_rng(0))
    mc = time.perf_counter() - t0
    print(f"Monte Carlo, {N_PERM} permutations: {mc * 1e3:.0f} ms")
    print(f"max |exact - MC| accuracy: {np.max(np.abs(cv.accuracy - acc[0])):.4f}")
    ratio = mc / exact
    ok = exact <= 0.050 and ratio >= 1000
    print(f"speed-up: {ratio:.0f}x  (targets: <= 50 ms, >= 1000x) -> {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
