"""Latency of `auditor check` in a fresh process, beside a baseline run.

Run: python -m tests.benchmarks.bench_check [--files N] [--model MODEL]

Cases (each a fresh `python -m auditor check` process, cold feature cache; `cpu s` is the
user+system time of the process and its children, steadier than wall on a busy machine):
  one file      target <= 2 s wall   baseline: `python -c "import auditor"` (interpreter start)
  N files       target <= 30 s wall  baseline: `ruff check` on the same directory
The files are distinct small solutions generated here (no corpus text). Uses the packaged
model unless --model is given, or --no-model for findings only.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATES = (
    "def f_{i}(values):\n    total = {i}\n    for v in values:\n        total += v * {j}\n    return total\n",
    "def f_{i}(text):\n    if text == 'case {i}':\n        return {j}\n    return len(text) + {i}\n",
    "def f_{i}(n):\n    table = {{{i}: {j}, {j}: {i}, 77: 1}}\n    return table.get(n, n % {k})\n",
    "def f_{i}(xs):\n    out = []\n    for x in xs:\n        if x > {j}:\n            out.append(x - {i})\n    return sorted(out)\n",
)


def write_files(root: Path, n: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = TEMPLATES[i % len(TEMPLATES)].format(i=i, j=i % 17 + 2, k=i % 5 + 2)
        (root / f"cand_{i:04d}.py").write_text(body)


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall s, CPU s of the process and its children, exit code)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if proc.returncode > 1 or os.environ.get("BENCH_DEBUG"):
        print(proc.stderr[-2000:], file=sys.stderr)
    if proc.returncode > 1:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    return wall, cpu, proc.returncode


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--model", help="model file (default: packaged)")
    ap.add_argument("--no-model", action="store_true")
    args = ap.parse_args(argv)
    model = ["--no-model"] if args.no_model else (["--model", args.model] if args.model else [])
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        write_files(tmpdir / "one", 1)
        write_files(tmpdir / "many", args.files)
        rows = []
        for name, target, path, baseline in (
            ("1 file", 2.0, tmpdir / "one", [sys.executable, "-c", "import auditor"]),
            (
                f"{args.files} files",
                30.0,
                tmpdir / "many",
                [
                    sys.executable,
                    "-m",
                    "ruff",
                    "check",
                    "--no-cache",
                    "--exit-zero",
                    "-q",
                    str(tmpdir / "many"),
                ],
            ),
        ):
            env = dict(os.environ, XDG_CACHE_HOME=str(tmpdir / f"cache-{path.name}"))
            cmd = [sys.executable, "-m", "auditor", "check", str(path), "--format", "json", *model]
            wall, cpu, code = timed(cmd, env)
            base, _, _ = timed(baseline, env)
            rows.append((name, wall, cpu, base, target, code))
    print(
        f"{'case':<12} {'auditor s':>10} {'cpu s':>7} {'baseline s':>11} {'ratio':>7} "
        f"{'target s':>9}  ok"
    )
    for name, wall, cpu, base, target, code in rows:
        ok = "yes" if wall <= target else "NO"
        print(
            f"{name:<12} {wall:>10.2f} {cpu:>7.2f} {base:>11.2f} {wall / base:>7.1f} "
            f"{target:>9.1f}  {ok} (exit {code})"
        )
    print(f"machine: {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
