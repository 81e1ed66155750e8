"""Run every benchmark script in turn: `python -m tests.benchmarks [NAME ...]`.

Each script prints its own timings side by side with its baseline and the ratio. Timing is
never asserted in the test suite; this is where it is measured.
"""

from __future__ import annotations

import runpy
import sys
import time

BENCHMARKS = (
    "bench_read_samples",
    "sanitize",
    "bench_dedupe",
    "bench_label",
    "bench_ray",
    "rules_speed",
    "bench_features",
    "bench_behavior",
    "bench_resampling",
    "bench_check",
    "bench_check_execution",
)


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    failed = []
    for name in names:
        print(f"\n===== {name} =====", flush=True)
        start = time.perf_counter()
        sys.argv = [name]
        try:
            runpy.run_module(f"tests.benchmarks.{name}", run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (0, None):
                failed.append(name)
        print(f"===== {name}: {time.perf_counter() - start:.1f} s =====", flush=True)
    if failed:
        print(f"benchmarks that exited non-zero: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
