"""Weak verdicts of a HumanEval-form task file against EvalPlus's, sample by sample.

Run: python -m tests.benchmarks.he_form_fidelity corpora/labels/codegen16b [--data-dir DIR]

`check --tasks FILE` with HumanEval-form rows (`test` holding `check(candidate)`) judges the
weak tests by the asserts `auditor.execution.harvest` reads from that function; `label`
judges them on EvalPlus's `base_input` against the reference. This runs the first on every
sample of a labeled HumanEval corpus (the test text comes from the HumanEval+ file, whose
`test` field is the original HumanEval test) and prints the agreement with the labels'
`weak_status`, per pair of verdicts and per task where they differ. Prints counts and task
ids only (no corpus text).
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

from auditor.corpus.benchmarks import load_benchmark
from auditor.corpus.labels import load_labeled
from auditor.entrypoint import parameters
from auditor.execution.harvest import NoCalls, harvest
from auditor.execution.runner import ExecRunner
from auditor.execution.verify import by_asserts


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("labels", type=Path)
    ap.add_argument("--data-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    corpus = load_labeled(args.labels, data_dir=args.data_dir)
    tasks = load_benchmark("humaneval+", args.data_dir)
    by_task: dict[str, list[int]] = collections.defaultdict(list)
    for i, cand in enumerate(corpus.candidates or ()):
        by_task[cand.task_id].append(i)
    pairs: collections.Counter[tuple[str, str]] = collections.Counter()
    where: collections.Counter[tuple[str, str, str]] = collections.Counter()
    unread, t0 = [], time.perf_counter()
    with ExecRunner(2) as run:
        for task_id, rows in by_task.items():
            task = tasks[task_id]
            names = {"candidate": task.entry_point, task.entry_point: task.entry_point}
            params = parameters(task.prompt, task.entry_point)
            try:  # as the gate reads a HumanEval-form task (`gate._weak_asserts`)
                tests = harvest(task.test, names, where=task_id, params=params)
            except NoCalls:
                unread.append(task_id)
                continue
            codes = [corpus.candidates[i].code for i in rows]  # type: ignore[index]
            got = by_asserts(run, task_id, codes, tests)
            for i, verdict in zip(rows, got, strict=True):
                key = (str(corpus.labels[i].weak_status.value), str(verdict.outcome))
                pairs[key] += 1
                if key[0] != key[1]:
                    where[(task_id, *key)] += 1
    total = sum(pairs.values())
    same = sum(n for (a, b), n in pairs.items() if a == b)
    print(f"{corpus.name}: {total} samples of {len(by_task) - len(unread)} tasks "
          f"({time.perf_counter() - t0:.0f} s); tests without a readable call: {unread}")  # fmt: skip
    print(f"same verdict: {same} ({same / max(total, 1):.2%})")
    print("EvalPlus base -> HumanEval-form asserts: count")
    for (a, b), n in sorted(pairs.items()):
        print(f"  {a:>8} -> {b:<8} {n}")
    for (task_id, a, b), n in sorted(where.items()):
        print(f"    {task_id}: {a} -> {b} {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
