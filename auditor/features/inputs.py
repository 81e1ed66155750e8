"""Resolve `auditor features` input: a label OUTDIR / labels.jsonl, or a samples file."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.corpus.labels import LABELS_FILE, load_labeled
from auditor.corpus.samples import read_samples, tasks_for_samples
from auditor.errors import InputError
from auditor.io import open_text
from auditor.types import Candidate, Label, Task


@dataclass(frozen=True)
class FeatureInput:
    """Candidates to featurize, with their labels and tasks when known."""

    candidates: tuple[Candidate, ...]
    labels: tuple[Label, ...] | None
    tasks: Mapping[str, Task] | None


def is_labels(path: Path) -> bool:
    """A label OUTDIR, or a JSONL whose first row is a label (has solution_sha256)."""
    if path.is_dir():
        return (path / LABELS_FILE).is_file()
    if not path.name.endswith((".jsonl", ".jsonl.gz")):
        return False
    try:
        with open_text(path) as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    return isinstance(row, dict) and "solution_sha256" in row and "status" in row
    except (OSError, ValueError, RecursionError, EOFError, InputError):
        return False
    return False


def load_input(
    source: Path,
    *,
    labels: Path | None = None,
    benchmark: str = "auto",
    data_dir: str | os.PathLike[str] | None = None,
) -> FeatureInput:
    """Candidates (sanitized), labels and tasks of `source` (see the CLI help)."""
    if source.suffix == ".py" and not source.is_dir():  # else read as JSONL: "malformed JSON"
        raise InputError(
            f"{source}: a .py file is not a features SOURCE (give a samples JSONL, "
            "labels.jsonl or a label OUTDIR; `auditor check` reads .py files)"
        )
    if labels is not None or is_labels(source):
        label_path, samples = (labels, source) if labels is not None else (source, None)
        named = None if benchmark == "auto" else benchmark
        corpus = load_labeled(label_path, data_dir=data_dir, samples=samples, benchmark=named)
        if corpus.candidates is None:
            raise InputError(
                f"{label_path}: its samples were not found (pass the samples file as "
                "SOURCE with --labels, or set --data-dir)"
            )
        return FeatureInput(corpus.candidates, corpus.labels, corpus.tasks)
    tasks = tasks_for_samples(source, benchmark, data_dir)
    read = read_samples(source, tasks)
    return FeatureInput(read.candidates, read.labels, tasks)
