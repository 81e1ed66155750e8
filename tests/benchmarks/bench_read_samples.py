"""Reading + sanitizing the shared samples corpora, side by side with EvalPlus 0.3.1.

Run: python -m tests.benchmarks.bench_read_samples [DATA_DIR] [--rows N]

Side by side on the first N rows (default 3000) of each corpus: auditor's `read_samples`
(read, check task ids, sanitize every distinct program once) against EvalPlus's reading
plus `evalplus.sanitize.sanitize` per row, run in its own venv. Then auditor alone on each
whole corpus, read only and read + sanitize.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from auditor.corpus import load_benchmarks_for, read_samples

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO.parent / "shared" / "corpora"
EVALPLUS_PY = Path("/opt/evalplus-venv/bin/python")
CORPORA = (
    "humaneval_codegen-16b-mono_t0.8_n100.jsonl.gz",
    "humaneval_code-davinci-002_t0.8_n200.jsonl.gz",
    "evalperf_qwen2.5-coder-7b-instruct_t0.2_n40.jsonl.gz",
)
# Read like evalplus.data.load_solutions, sanitize like the `evalplus.sanitize` script.
EVALPLUS_SANITIZE = """
import sys, time, gzip, json
from evalplus.data.utils import load_solutions
from evalplus.sanitize import sanitize
eps = {}
for bench in sys.argv[2:]:
    for line in gzip.open(bench, "rt"):
        row = json.loads(line)
        eps[row["task_id"]] = row["entry_point"]
t0 = time.perf_counter()
n = 0
for s in load_solutions(sys.argv[1]):
    sanitize(s["solution"], eps[s["task_id"]])
    n += 1
print(n, time.perf_counter() - t0)
"""


def best_of(n: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def evalplus_sanitize(path: Path, data: Path) -> float | None:
    """Seconds EvalPlus takes to read and sanitize `path`, or None without its venv."""
    if not EVALPLUS_PY.is_file():
        return None
    benches = [str(p) for p in sorted((data / "benchmarks").glob("*Plus-v*.jsonl.gz"))]
    out = subprocess.run(
        [str(EVALPLUS_PY), "-c", EVALPLUS_SANITIZE, str(path), *benches],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[1])


def head(path: Path, rows: int, into: Path) -> Path:
    """The first `rows` lines of a samples file, as a plain JSONL in `into`."""
    out = into / path.name.removesuffix(".gz")
    with gzip.open(path, "rt", encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i >= rows:
                break
            dst.write(line)
    return out


def main(argv: list[str]) -> int:
    rows = int(argv[argv.index("--rows") + 1]) if "--rows" in argv else 3000
    positional = [a for i, a in enumerate(argv) if a != "--rows" and argv[i - 1 : i] != ["--rows"]]
    data = Path(positional[0]) if positional else DEFAULT
    tasks = load_benchmarks_for(None, data)
    warnings.simplefilter("ignore")  # candidates' invalid escapes warn while parsing

    print(f"side by side, first {rows} rows: read + sanitize")
    print(f"{'corpus':<55} {'auditor':>8} {'evalplus':>9} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in CORPORA:
            part = head(data / "samples" / name, rows, Path(tmp))
            ours = best_of(1, lambda p=part: read_samples(p, tasks))
            base = evalplus_sanitize(part, data)
            cells = (f"{base:8.2f}s", f"{base / ours:6.1f}x") if base else ("n/a", "n/a")
            print(f"{name:<55} {ours:7.2f}s {cells[0]:>9} {cells[1]:>7}")
    print("ratio = EvalPlus time / auditor time (higher is better for auditor)\n")

    print("auditor alone, whole corpora")
    print(f"{'corpus':<55} {'rows':>6} {'read':>7} {'+sanitize':>10}")
    for name in CORPORA:
        path = data / "samples" / name
        n = len(read_samples(path, tasks, sanitize=False).candidates)
        plain = best_of(3, lambda p=path: read_samples(p, tasks, sanitize=False))
        full = best_of(1, lambda p=path: read_samples(p, tasks))
        print(f"{name:<55} {n:>6} {plain:6.2f}s {full:9.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
