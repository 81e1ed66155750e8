"""Save, then compare, the user-visible outputs of a fixed set of commands.

A refactoring must not change what users see. Run once before it and once after:

    python -m tests.benchmarks.same_outputs --save /tmp/before
    python -m tests.benchmarks.same_outputs --compare /tmp/before

Each command's stdout (and the files it writes) go to one file per command; `--compare`
runs them again into a temporary folder and prints every file that differs. Outputs are
kept outside the repository: they may hold text derived from the shared corpora.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("AUDITOR_DATA_DIR", ROOT.parent / "shared" / "corpora"))
TOY = ROOT / "corpora" / "toy"
SHARED_LABELS = ROOT / "corpora" / "labels" / "codegen16b"


def _commands(out: Path) -> dict[str, list[str]]:
    """Name -> argv of `python -m auditor ...`; the report ones write into `out`."""
    toy_labels = out / "toy-labels"
    return {
        "check.json": ["check", "--format", "json", "--exit-zero", "examples/"],
        "check.sarif": ["check", "--format", "sarif", "--exit-zero", "examples/"],
        "check.text": ["check", "--exit-zero", "examples/"],
        "toy-label.txt": [
            "label",
            str(TOY / "samples.jsonl"),
            "--benchmark",
            str(TOY / "benchmark.jsonl"),
            "-o",
            str(toy_labels),
            "--jobs",
            "2",
        ],
        "toy-curves.txt": ["curves", str(toy_labels)],
        "toy-curves.json": ["curves", str(toy_labels), "--format", "json"],
        "toy-report.txt": [
            "report",
            str(toy_labels),
            "-o",
            str(out / "toy-report"),
            "--no-html",
            "--no-style",
            "--n-boot",
            "50",
        ],
        "shared-curves.txt": ["curves", str(SHARED_LABELS)],
        "shared-curves.json": ["curves", str(SHARED_LABELS), "--format", "json"],
        "shared-report.txt": [
            "report",
            str(SHARED_LABELS),
            "-o",
            str(out / "shared-report"),
            "--no-html",
            "--no-style",
            "--n-boot",
            "50",
        ],
    }


def run_all(out: Path) -> None:
    """Run every command, writing its stdout+stderr and exit code to `out/NAME`."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, AUDITOR_DATA_DIR=str(DATA), PYTHONPATH=str(ROOT))
    for name, argv in _commands(out).items():
        proc = subprocess.run(
            [sys.executable, "-m", "auditor", *argv],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        # Paths of the temporary output folder differ between runs; normalise them.
        text = (proc.stdout + proc.stderr).replace(str(out), "<OUT>").replace(str(ROOT), "<ROOT>")
        (out / name).write_text(f"exit {proc.returncode}\n{text}")
    for gone in ("toy-labels/run.json",):  # holds timings and host facts
        (out / gone).unlink(missing_ok=True)
    _drop_runtimes(out / "toy-labels" / "labels.jsonl")
    _drop_date(out / "toy-labels" / "eval_results.json")


def _drop_date(path: Path) -> None:
    """eval_results.json without its creation date."""
    if path.is_file():
        data = json.loads(path.read_text())
        data.pop("date", None)
        path.write_text(json.dumps(data, indent=1, sort_keys=True))


def _drop_runtimes(path: Path) -> None:
    """Labels without their measured run times (they vary from run to run), sorted."""
    if path.is_file():
        rows = [json.loads(line) for line in path.read_text().splitlines() if line]
        for row in rows:
            row.pop("runtime_s", None)
        path.write_text("".join(sorted(json.dumps(r) + "\n" for r in rows)))


def differences(before: Path, after: Path) -> list[str]:
    """Relative paths of files that differ or exist on one side only."""
    cmp = filecmp.dircmp(before, after)
    return _walk(cmp, Path())


def _walk(cmp: filecmp.dircmp, rel: Path) -> list[str]:
    diffs = [str(rel / n) for n in cmp.diff_files + cmp.left_only + cmp.right_only]
    for name, sub in cmp.subdirs.items():
        diffs += _walk(sub, rel / name)
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path, help="write the outputs here")
    group.add_argument("--compare", type=Path, help="compare against outputs saved here")
    args = parser.parse_args(argv)
    if args.save:
        run_all(args.save)
        print(f"saved {len(list(args.save.iterdir()))} outputs to {args.save}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        run_all(Path(tmp))
        diffs = differences(args.compare, Path(tmp))
    for d in diffs:
        print(f"DIFFERS: {d}")
    print("identical" if not diffs else f"{len(diffs)} output(s) differ")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
