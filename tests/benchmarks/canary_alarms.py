"""The harness's canaries on honest programs: false alarms, and columns left as they were.

For every distinct weak-passer of each labeled corpus, runs the solo harness (coverage and
mutant jobs on the weak inputs, with the canaries of `auditor.execution.mutants` and
`solo.code_map`) and prints per corpus how many programs the canaries caught
(`solo.tamper_evidence`: every one a false alarm, the corpora hold no candidate written
against auditor), and how many differ from the cached exec table (built before the canaries
when the cache is warm) in the columns that depend only on the weak inputs (mutant
survival, missed lines and arms, mutants tried). Those move run to run with the time limits
of slow tasks' mutants; rerunning the code of a commit before the canaries on the same
tasks gives the comparison. About 1.5 min per 2,500 programs on 2 cores, plus the exec
table when the cache is cold. With `--full`, every task's whole block runs (peers,
amplified inputs, properties: `signals.task_block`), as long as a cold
exec table.

    python -m tests.benchmarks.canary_alarms corpora/labels/codegen16b \\
        corpora/labels/davinci002 corpora/labels/qwen25coder7b --data-dir ../shared/corpora
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from auditor.corpus.labels import load_labeled
from auditor.execution import signals
from auditor.execution.runner import ExecRunner
from auditor.execution.table import exec_table
from auditor.features.cache import default_cache_dir
from auditor.types import Status, Task

WEAK_ONLY = ("exec.mutant_survival", "exec.missed_lines", "exec.missed_arms", "exec.n_mutants")


def _run(run: ExecRunner, task: Task, codes: list[str], full: bool) -> signals.SoloRows:
    """The solo columns and what the canaries caught (all of them with `full`)."""
    cfg = signals.ExecConfig()
    if not full:
        return signals.solo_rows(run, task, codes, [], cfg)
    block = signals.task_block(run, task, codes, [True] * len(codes), cfg)
    solo = [signals.COLUMNS.index(c) for c in signals.SOLO_COLUMNS]
    return signals.SoloRows(block.values[:, solo], block.tampered)


def _corpus(path: Path, data_dir: Path | None, tasks: set[str], full: bool) -> None:
    corpus = load_labeled(path, data_dir=data_dir)
    assert corpus.candidates is not None
    keep = [
        i
        for i, lab in enumerate(corpus.labels)
        if lab.status in (Status.CORRECT, Status.FALSE_POSITIVE)
        and (not tasks or lab.task_id in tasks)
    ]
    cands = [corpus.candidates[i] for i in keep]
    cached = exec_table(cands, corpus.tasks, [True] * len(cands), cache_dir=default_cache_dir())
    at = [list(cached.columns).index(c) for c in WEAK_ONLY]
    mine = [list(signals.SOLO_COLUMNS).index(c) for c in WEAK_ONLY]
    by_task: dict[str, dict[str, int]] = {}
    for i, c in enumerate(cands):
        if c.task_id in corpus.tasks and corpus.tasks[c.task_id].base_input:
            by_task.setdefault(c.task_id, {}).setdefault(c.sha256, i)
    caught: Counter[str] = Counter()
    moved: Counter[str] = Counter()
    why: Counter[str] = Counter()
    with ExecRunner(2) as run:
        for task_id, first in by_task.items():
            rows = list(first.values())
            codes = [cands[i].code for i in rows]
            got = _run(run, corpus.tasks[task_id], codes, full)
            for r, i in enumerate(rows):
                if got.tampered[r]:
                    caught[task_id] += 1
                    why.update(got.tampered[r])
                if not np.allclose(cached.values[i, at], got.values[r, mine], equal_nan=True):
                    moved[task_id] += 1
    programs = sum(len(f) for f in by_task.values())
    print(f"{corpus.name}: {programs} programs, {len(by_task)} tasks")
    print(f"  caught by a canary: {sum(caught.values())} {dict(caught.most_common(5))}")
    for what, n in why.most_common():
        print(f"    {n}: {what}")
    print(
        f"  weak-input columns unlike the cache: {sum(moved.values())} {dict(moved.most_common(5))}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpora", nargs="+", type=Path)
    ap.add_argument("--data-dir", type=Path)
    ap.add_argument("--tasks", default="", help="comma-separated task ids (default: all)")
    ap.add_argument("--full", action="store_true", help="run whole task blocks")
    args = ap.parse_args()
    tasks = set(filter(None, args.tasks.split(",")))
    for path in args.corpora:
        _corpus(path, args.data_dir, tasks, args.full)


if __name__ == "__main__":
    main()
