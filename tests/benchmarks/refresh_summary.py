"""Recompute the label-derived part of a label OUTDIR's summary.json from its labels.jsonl.

    python -m tests.benchmarks.refresh_summary corpora/labels/*            # show what changes
    python -m tests.benchmarks.refresh_summary --write corpora/labels/*    # and write it

No candidate is run again: `overall`, `tasks` and `false_negative_tasks` come from
`auditor.label.summarize_labels` over the committed labels; provenance fields (samples,
benchmark, limits, isolation, ...) are kept as they are. Only fields listed in `ALLOWED`
may change (e.g. when the summary's definitions change); any other difference is refused,
so that a refresh cannot hide a relabeling.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from auditor.corpus.labels import SUMMARY_FILE, read_labels
from auditor.io import atomic_write
from auditor.label import summarize_labels

# overall fields whose definition changed (issue 10: one ceiling; the pooled c/b renamed)
ALLOWED = {"ceiling", "weak_pass_precision", "ceiling_task_mean"}


def changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(allowed, refused) differences between two summaries, as `section.key old -> new`."""
    allowed: list[str] = []
    refused: list[str] = []
    for section in ("overall", "tasks", "false_negative_tasks"):
        a, b = old.get(section), new.get(section)
        if section != "overall":
            if a != b:
                refused.append(f"{section} differs")
            continue
        a, b = a or {}, b or {}
        for key in sorted(set(a) | set(b)):
            if a.get(key, "<absent>") != b.get(key, "<absent>"):
                line = f"overall.{key}: {a.get(key, '<absent>')} -> {b.get(key, '<absent>')}"
                (allowed if key in ALLOWED else refused).append(line)
    return allowed, refused


def refresh(outdir: Path, write: bool) -> bool:
    file = outdir / SUMMARY_FILE
    old = json.loads(file.read_text(encoding="utf-8"))
    new = {**old, **summarize_labels(read_labels(outdir))}
    allowed, refused = changes(old, new)
    for line in allowed:
        print(f"{outdir.name}: {line}")
    for line in refused:
        print(f"{outdir.name}: REFUSED {line}")
    if refused:
        return False
    if write and allowed:
        atomic_write(file, json.dumps(new, indent=1) + "\n")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdirs", nargs="+", type=Path)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    ok = all([refresh(d, args.write) for d in args.outdirs])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
