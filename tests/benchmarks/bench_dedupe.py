"""How many programs the sandbox runs, with `behaviour_key` against exact-AST dedupe.

    python -m tests.benchmarks.bench_dedupe [--corpus NAME ...] [--data-dir DIR]

Per shared corpus: candidates, groups under exact ASTs (the baseline) and under
`auditor.dedupe.behaviour_key`, the ratio, the time to compute the keys, and a soundness
check against the committed labels (corpora/labels/NAME): a group whose members carry
different committed statuses would mean the key merged programs that behave differently
(or a flaky label). Reads the shared corpora; writes nothing.
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import sys
import time
from pathlib import Path

from auditor.corpus.benchmarks import load_benchmarks_for
from auditor.corpus.samples import read_samples
from auditor.dedupe import behaviour_key

from .bench_label import CORPORA, DEFAULT_DATA

REPO = Path(__file__).resolve().parents[2]


def _exact(code: str) -> str:
    try:
        return ast.dump(ast.parse(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--corpus", nargs="*", default=list(CORPORA), choices=list(CORPORA))
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)
    print(
        f"{'corpus':14s} {'samples':>8s} {'exact AST':>10s} {'behaviour':>10s} "
        f"{'ratio':>6s} {'key s':>6s} {'mixed':>6s}"
    )
    for name in args.corpus:
        path = args.data_dir / CORPORA[name]
        ids = {c.task_id for c in read_samples(path, None, sanitize=False).candidates}
        cands = read_samples(path, load_benchmarks_for(ids, args.data_dir)).candidates
        t0 = time.perf_counter()
        groups = collections.defaultdict(list)
        for c in cands:
            groups[(c.task_id, behaviour_key(c.code))].append(c)
        seconds = time.perf_counter() - t0
        exact = {(c.task_id, _exact(c.code)) for c in cands}
        labels_file = REPO / "corpora" / "labels" / name / "labels.jsonl"
        status = {
            (r["task_id"], r["sample_id"]): r["status"]
            for r in map(json.loads, labels_file.read_text().splitlines())
        }
        mixed = sum(len({status[(c.task_id, c.sample_id)] for c in g}) > 1 for g in groups.values())
        print(
            f"{name:14s} {len(cands):8d} {len(exact):10d} {len(groups):10d} "
            f"{len(groups) / len(exact):6.3f} {seconds:6.2f} {mixed:6d}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
