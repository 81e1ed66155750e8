"""Sanitizer speed (and output agreement) against EvalPlus's sanitizer, side by side.

    python -m tests.benchmarks.sanitize [--tasks 30] [--evalplus-python PATH]
    python -m tests.benchmarks.sanitize --against REV   # same output as git revision REV?

Runs `auditor.sanitize.sanitize` over the first N HumanEval tasks of the raw CodeGen-16B
corpus (3,000 samples for N=30), then EvalPlus's `evalplus.sanitize.sanitize` on the same
programs in its own venv (subprocess, so auditor never imports evalplus), and prints both
times, the ratio, and the share of programs where both keep the same top-level statements
(EvalPlus puts imports first, so order is ignored). Then times auditor alone over all three
shared corpora. Needs ../shared/corpora.

With `--against REV`, compares instead the sanitizer of this tree with `auditor/sanitize.py`
of git revision REV on every sample of the three corpora (code, removed and parsed must be
identical: a refactoring or an extension for new inputs must not change plain code).
"""

from __future__ import annotations

import argparse
import ast
import gzip
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from auditor.sanitize import sanitize

REPO = Path(__file__).resolve().parents[2]
CORPORA = Path(os.environ.get("AUDITOR_SHARED_CORPORA", REPO.parent / "shared" / "corpora"))
CODEGEN = "samples/humaneval_codegen-16b-mono_t0.8_n100.jsonl.gz"
ALL = (
    CODEGEN,
    "samples/humaneval_code-davinci-002_t0.8_n200.jsonl.gz",
    "samples/evalperf_qwen2.5-coder-7b-instruct_t0.2_n40.jsonl.gz",
)
EVALPLUS_PYTHON = "/opt/evalplus-venv/bin/python"

# Runs inside the EvalPlus venv: read [[code, entry], ...] from argv[1], write outputs to argv[2].
_EVALPLUS_DRIVER = """
import json, sys, time
from evalplus.sanitize import sanitize
pairs = json.load(open(sys.argv[1]))
t = time.perf_counter()
out = [sanitize(code, entry) for code, entry in pairs]
json.dump({"seconds": time.perf_counter() - t, "codes": out}, open(sys.argv[2], "w"))
"""


def _entry_points() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("HumanEvalPlus-v0.1.10.jsonl.gz", "MbppPlus-v0.2.0.jsonl.gz"):
        with gzip.open(CORPORA / "benchmarks" / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                task = json.loads(line)
                out[task["task_id"]] = task["entry_point"]
    return out


def _pairs(relpath: str, entries: dict[str, str], tasks: int | None) -> list[tuple[str, str]]:
    keep = {f"HumanEval/{i}" for i in range(tasks)} if tasks is not None else None
    with gzip.open(CORPORA / relpath, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [
        (r["solution"], entries[r["task_id"]]) for r in rows if keep is None or r["task_id"] in keep
    ]


def _stmts(code: str) -> list[str] | None:
    """Top-level statements as sorted AST dumps: EvalPlus reorders (imports first)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sorted(ast.dump(s) for s in ast.parse(code).body)
    except SyntaxError:
        return None


def _evalplus(pairs: list[tuple[str, str]], python: str) -> tuple[float, list[str]] | None:
    if not Path(python).exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "in.json"), Path(tmp, "out.json")
        src.write_text(json.dumps(pairs), encoding="utf-8")
        subprocess.run([python, "-c", _EVALPLUS_DRIVER, str(src), str(dst)], check=True)
        res = json.loads(dst.read_text(encoding="utf-8"))
    return res["seconds"], res["codes"]


def against(rev: str, entries: dict[str, str]) -> int:
    """Differences between this sanitizer and the one of git revision `rev`, per corpus."""
    text = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{rev}:auditor/sanitize.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "old_sanitize.py")
        path.write_text(text, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("old_sanitize", path)
        assert spec is not None and spec.loader is not None
        old = importlib.util.module_from_spec(spec)
        sys.modules["old_sanitize"] = old  # dataclasses look their module up
        spec.loader.exec_module(old)
    total = 0
    for relpath in ALL:
        pairs = set(_pairs(relpath, entries, None))
        diff = 0
        for code, entry in pairs:
            a, b = old.sanitize(code, entry), sanitize(code, entry)
            diff += (a.code, a.removed, a.parsed) != (b.code, b.removed, b.parsed)
        print(f"  {Path(relpath).name:58s} {len(pairs):6d} distinct programs, {diff} differ")
        total += diff
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=30)
    ap.add_argument("--evalplus-python", default=EVALPLUS_PYTHON)
    ap.add_argument("--against", metavar="REV", help="compare outputs with git revision REV")
    args = ap.parse_args(argv)
    if not (CORPORA / "MANIFEST.json").is_file():
        print(f"shared corpora not found at {CORPORA}", file=sys.stderr)
        return 2
    entries = _entry_points()
    if args.against:
        print(f"sanitize output against {args.against}:")
        return 1 if against(args.against, entries) else 0

    pairs = _pairs(CODEGEN, entries, args.tasks)
    t = time.perf_counter()
    ours = [sanitize(code, entry) for code, entry in pairs]
    ours_s = time.perf_counter() - t
    print(f"CodeGen-16B, first {args.tasks} tasks: {len(pairs)} samples")
    print(f"  auditor : {ours_s:8.2f} s  ({len(pairs) / ours_s:,.0f} samples/s)")
    base = _evalplus(pairs, args.evalplus_python)
    if base is None:
        print(f"  evalplus: skipped ({args.evalplus_python} not found)")
    else:
        base_s, codes = base
        same = sum(_stmts(o.code) == _stmts(c) for o, c in zip(ours, codes, strict=True))
        print(f"  evalplus: {base_s:8.2f} s")
        print(f"  ratio   : {base_s / ours_s:8.1f}x faster")
        print(f"  same top-level statements as evalplus (any order): {same / len(pairs):.1%}")

    print("All shared corpora, auditor alone:")
    total_n, total_s = 0, 0.0
    for relpath in ALL:
        pairs = _pairs(relpath, entries, None)
        t = time.perf_counter()
        results = [sanitize(code, entry) for code, entry in pairs]
        secs = time.perf_counter() - t
        parsed = sum(r.parsed for r in results) / len(results)
        changed = sum(bool(r.removed) for r in results) / len(results)
        print(
            f"  {Path(relpath).name:58s} {len(pairs):6d} samples {secs:6.2f} s  "
            f"parsed {parsed:.2%}  changed {changed:.1%}"
        )
        total_n, total_s = total_n + len(pairs), total_s + secs
    print(f"  total {total_n} samples in {total_s:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
