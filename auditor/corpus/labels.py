"""The label file format and labeled corpora.

A label OUTDIR holds `labels.jsonl` (one row per candidate: `Label.to_json()` plus the EvalPlus
`base_status`), `summary.json`, `eval_results.json` and `run.json` (the configuration a resumed
run must match). This module owns their names and the reading and writing of label rows;
`load_labeled` joins a labeled corpus to its samples.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.corpus.benchmarks import (
    BENCHMARKS,
    load_benchmark,
    load_benchmarks_for,
    read_jsonl_numbered,
)
from auditor.corpus.datadir import resolve_data_dir
from auditor.corpus.samples import read_samples
from auditor.errors import InputError
from auditor.io import atomic_write, sha256_file
from auditor.types import Candidate, Label, Outcome, Status, Task, sha256_text

SCHEMA = "auditor.labels/1"
LABELS_FILE = "labels.jsonl"
SUMMARY_FILE = "summary.json"
RESULTS_FILE = "eval_results.json"
RUN_FILE = "run.json"


@dataclass(frozen=True)
class LabelRow:
    """One row of labels.jsonl: a label, its EvalPlus base status and, for an `error`
    label, how many runs ended so (`tries`, written only on error rows)."""

    label: Label
    base_status: Outcome
    tries: int = 1

    @property
    def key(self) -> tuple[str, str]:
        return (self.label.task_id, self.label.sample_id)


# -- label rows: written while labeling -------------------------------------------------------


def label_line(row: LabelRow) -> str:
    """One line of labels.jsonl (without its newline)."""
    d = row.label.to_json()
    d["base_status"] = row.base_status.value
    if row.label.status is Status.ERROR:
        d["tries"] = row.tries
    return json.dumps(d, ensure_ascii=False)


def labels_text(rows: Iterable[LabelRow]) -> str:
    """The whole labels.jsonl of `rows`, in their order."""
    return "".join(label_line(row) + "\n" for row in rows)


def read_label_rows(path: Path) -> list[LabelRow]:
    """Rows an interrupted run left in a labels.jsonl, for resuming; malformed rows are skipped.

    A torn last line (the run was killed mid-write) is cut off the file, so that rows
    appended next start on a line of their own.
    """
    if not path.is_file():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end != len(data):
        with path.open("r+b") as fh:
            fh.truncate(end)
        data = data[:end]
    rows: list[LabelRow] = []
    for raw in data.splitlines():
        try:
            d = json.loads(raw)
            if not isinstance(d, dict) or "task_id" not in d or "sample_id" not in d:
                continue
            label = Label.from_json(d)
            base = Outcome(d.get("base_status") or label.weak_status)
            rows.append(LabelRow(label, base, int(d.get("tries") or 1)))
        except (KeyError, ValueError, TypeError):  # JSONDecodeError is a ValueError
            continue
    return rows


class LabelAppender:
    """Appends whole lines to labels.jsonl with one write each; fsyncs at most once a second."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.last_sync = time.monotonic()

    def write(self, rows: Iterable[LabelRow]) -> None:
        view = memoryview(labels_text(rows).encode("utf-8"))
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        if time.monotonic() - self.last_sync > 1.0:
            os.fsync(self.fd)
            self.last_sync = time.monotonic()

    def close(self) -> None:
        os.fsync(self.fd)
        os.close(self.fd)


def rewrite_labels(path: Path, rows: Iterable[LabelRow]) -> bool:
    """Make labels.jsonl exactly `rows` (one atomic replace); False if it already was.

    Appended rows come in completion order, and a resumed file may hold rows of programs
    that changed since; readers get one row per candidate, in input order.
    """
    text = labels_text(rows)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    atomic_write(path, text, fsync=True)
    return True


# -- reading labeled corpora ------------------------------------------------------------------


@dataclass(frozen=True)
class LabeledCorpus:
    """Labels of one corpus and, when its samples were found, their candidates.

    `candidates[i]` is the candidate that `labels[i]` labels.
    """

    name: str
    labels: tuple[Label, ...]
    candidates: tuple[Candidate, ...] | None
    tasks: Mapping[str, Task] | None


def _labels_file(path: Path) -> Path:
    if path.is_dir():
        path = path / LABELS_FILE
    if not path.is_file():
        raise InputError(f"{path}: no such labels file")
    return path


def read_labels(path: str | Path) -> tuple[Label, ...]:
    """Labels of a labels.jsonl (plain or gzip), or of a label OUTDIR containing one."""
    file = _labels_file(Path(path))
    rows = read_jsonl_numbered(file)
    if not rows:
        raise InputError(f"{file}: empty labels file")
    labels: list[Label] = []
    for lineno, row in rows:
        try:
            labels.append(Label.from_json(row))
        except KeyError as exc:
            raise InputError(f"{file}:{lineno}: label without field {exc}") from None
        except (TypeError, ValueError) as exc:
            raise InputError(f"{file}:{lineno}: bad label ({exc})") from None
    return tuple(labels)


def read_summary(outdir: Path) -> dict[str, Any] | None:
    """The summary.json of a label OUTDIR, or None if it has none."""
    file = outdir / SUMMARY_FILE
    if not file.is_file():
        return None
    try:
        summary = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{file}: unreadable summary ({exc})") from None
    if not isinstance(summary, dict):
        raise InputError(f"{file}: expected a JSON object")
    return summary


def _find_samples(
    outdir: Path, summary: Mapping[str, Any] | None, data_dir: str | os.PathLike[str] | None
) -> Path | None:
    """The samples named by summary.json: `data_relpath` in the data dir, else `file`."""
    entry = (summary or {}).get("samples")
    if not isinstance(entry, dict):
        return None
    relpath = entry.get("data_relpath")
    candidates: list[Path] = []
    if relpath:
        candidates.append(resolve_data_dir(data_dir) / relpath)
    if entry.get("file"):
        file = Path(entry["file"])
        candidates += [file] if file.is_absolute() else [file, outdir / file]
    found = next((p for p in candidates if p.exists()), None)
    expected = entry.get("sha256")
    if found is not None and found.is_file() and expected and sha256_file(found) != expected:
        raise InputError(
            f"{found}: sha256 differs from the one recorded in {outdir / SUMMARY_FILE} "
            f"(the samples changed since labeling)"
        )
    return found


def benchmark_entry(benchmark: str) -> str:
    """The benchmark as a label OUTDIR records it: a name as given, a release file by its
    absolute path (the OUTDIR is read from other directories)."""
    if benchmark in BENCHMARKS or benchmark == "auto" or not Path(benchmark).is_file():
        return benchmark
    return str(Path(benchmark).resolve())


def recorded_benchmark_file(benchmark: str, outdir: Path) -> Path | None:
    """The release file an OUTDIR recorded as its benchmark, if found; None for a name.

    Older OUTDIRs recorded the path as typed, relative to a directory they did not record:
    such a path is looked for next to the OUTDIR (`-o NAME` run from there), then in the cwd.
    """
    if not benchmark or benchmark in BENCHMARKS or benchmark == "auto":
        return None
    path = Path(benchmark)
    tries = [path] if path.is_absolute() else [outdir.resolve().parent / path, path]
    return next((p.resolve() for p in tries if p.is_file()), None)


def _load_tasks(
    benchmark: str | None, outdir: Path, task_ids: set[str], data_dir: str | os.PathLike[str] | None
) -> dict[str, Task]:
    """Tasks of the summary's benchmark; a mixed or unnamed one is resolved by task id."""
    if benchmark is not None and benchmark in BENCHMARKS:
        return load_benchmark(benchmark, data_dir)
    file = recorded_benchmark_file(benchmark or "", outdir)
    if file is not None:
        return load_benchmark(str(file), data_dir)
    tasks = load_benchmarks_for(task_ids, data_dir)
    if benchmark and benchmark != "auto" and not task_ids <= tasks.keys():
        # else every sample would be blamed for an "unknown task id"
        raise InputError(
            f"{outdir / SUMMARY_FILE}: the benchmark file it records ({benchmark}) is not found"
        )
    return tasks


def _join(
    labels: tuple[Label, ...], candidates: tuple[Candidate, ...], where: str
) -> tuple[Candidate, ...]:
    """The candidate of each label, by (task id, sample id), with matching sha256.

    A label's sha256 may be of the sanitized program or of the raw one (labels made
    with sanitizing off), so either matches.
    """
    by_key = {(c.task_id, c.sample_id): c for c in candidates}
    joined: list[Candidate] = []
    missing: list[Label] = []
    mismatched: list[Label] = []
    for label in labels:
        cand = by_key.get((label.task_id, label.sample_id))
        if cand is None:
            missing.append(label)
            continue
        raw_sha = sha256_text(cand.raw) if cand.raw is not None else None
        if label.solution_sha256 not in (cand.sha256, raw_sha):
            mismatched.append(label)
        joined.append(cand)
    if missing:
        first = missing[0]
        raise InputError(
            f"{where}: {len(missing)} labels have no sample "
            f"(first: {first.task_id} #{first.sample_id})"
        )
    if mismatched:
        first = mismatched[0]
        raise InputError(
            f"{where}: {len(mismatched)} of {len(labels)} labels do not match their sample's "
            f"sha256 (first: {first.task_id} #{first.sample_id}); samples or sanitizer changed?"
        )
    return tuple(joined)


def load_labeled(
    path: str | Path,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    samples: str | Path | None = None,
    benchmark: str | None = None,
) -> LabeledCorpus:
    """A label OUTDIR (or its labels.jsonl) with its candidates and tasks when found.

    The samples are `samples` if given (then they must load), else the summary's
    `samples` entry; `candidates` and `tasks` are None when neither is available. The
    tasks are `benchmark`'s if given (a name or file), else the benchmark the summary records.
    """
    p = Path(path)
    outdir = p if p.is_dir() else p.parent
    labels = read_labels(p)
    summary = read_summary(outdir)
    name = outdir.resolve().name
    sample_path = Path(samples) if samples is not None else _find_samples(outdir, summary, data_dir)
    if samples is not None and not Path(samples).exists():
        raise InputError(f"{samples}: no such samples file or directory")
    if sample_path is None:
        return LabeledCorpus(name, labels, None, None)
    task_ids = {label.task_id for label in labels}
    if benchmark is not None:
        tasks = load_benchmark(benchmark, data_dir)
    else:
        recorded = (summary or {}).get("benchmark")
        recorded = recorded if isinstance(recorded, str) else None
        tasks = _load_tasks(recorded, outdir, task_ids, data_dir)
    read = read_samples(sample_path, tasks)
    return LabeledCorpus(name, labels, _join(labels, read.candidates, str(outdir)), tasks)
