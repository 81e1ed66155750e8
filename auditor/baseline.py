"""Baselines: accept the findings a project already has, so CI fails only on new ones.

A baseline is a multiset of (path, code, normalized line text): it survives line shifts,
and two identical findings on identical lines need two entries. The false-positive risk
of a flagged candidate is keyed with code AUD000, the text of its `def` line and the sha256
of its code: the risk is the whole candidate's, so a baseline accepts it for that code only
(keyed by the `def` line alone, a flagged function once accepted stayed accepted whatever
its body became: red team s21). Paths are
the files' resolved paths relative to the baseline file's directory, so the same file
matches whatever the cwd and however it was named (`check src/`, `check .`, an absolute
path); schema-1 files, whose paths are as a run showed them, are still matched that way.

A candidate in a samples file is also keyed by its task id and the sha256 of its code
(`CandidateResult.identity`): all candidates of a task share their `def` line, so without
it a baseline would accept any new candidate of the task. Schema-1 and -2 files have no
such keys, so their entries for samples files match nothing now (never silently accept);
schema-3 files keyed a `.py` file's risk by its `def` line only, so those risk entries match
nothing now either (their findings still do).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.io import read_text
from auditor.results import RISK_CODE, CandidateResult, CheckRun

SCHEMA = "auditor.baseline/4"
SCHEMA_PY_RISK_BY_LINE = "auditor.baseline/3"  # a .py file's risk keyed by its def line only
SCHEMA_BY_LINE = "auditor.baseline/2"  # samples candidates keyed by line text only
SCHEMA_AS_SHOWN = "auditor.baseline/1"  # paths as shown, relative to the writer's cwd
SCHEMAS = (SCHEMA, SCHEMA_PY_RISK_BY_LINE, SCHEMA_BY_LINE, SCHEMA_AS_SHOWN)


@dataclass(frozen=True, order=True)
class Key:
    """One accepted occurrence: a finding's (or, with code AUD000, a flagged risk's)."""

    path: str
    code: str
    line_text: str
    task_id: str = ""  # with sha256: the candidate in a samples file; "" for a .py file
    sha256: str = ""

    def to_json(self, count: int) -> dict[str, str | int]:
        row: dict[str, str | int] = {"path": self.path, "code": self.code}
        row |= {"line_text": self.line_text, "count": count}
        if self.sha256:  # a samples file's candidate
            row |= {"task_id": self.task_id, "sha256": self.sha256}
        return row

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> Key:
        """A row's key; rows written before schema 3 have no candidate identity."""
        text = (str(row["path"]), str(row["code"]), str(row["line_text"]))
        return cls(*text, str(row.get("task_id", "")), str(row.get("sha256", "")))


def result_keys(r: CandidateResult, path: str) -> tuple[list[Key], Key]:
    """The keys of a result's findings (in order) and of its risk, under baseline path
    `path`. The risk is keyed on the candidate's code in a .py file too (module docstring)."""
    task_id, sha = r.identity
    findings = [Key(path, f.finding.code, f.line_text, task_id, sha) for f in r.findings]
    return findings, Key(path, RISK_CODE, r.entry_text, task_id, sha or r.sha256)


def key_path(shown: str, root: Path, cwd: Path | None = None) -> str:
    """A result's path (as shown: relative to `cwd`, default the process's, or absolute) as
    a baseline key: the resolved file relative to the directory `root`, in posix form."""
    target = ((cwd or Path.cwd()) / shown).resolve()
    try:
        return Path(os.path.relpath(target, Path(root).resolve())).as_posix()
    except ValueError:  # on another drive (Windows): there is no relative path
        return target.as_posix()


@dataclass(frozen=True)
class Baseline:
    """Accepted (path, code, line text) occurrences with their counts."""

    entries: tuple[tuple[Key, int], ...]
    root: Path | None = None  # the directory the paths are relative to; None: as shown

    @classmethod
    def from_run(cls, run: CheckRun, root: Path) -> Baseline:
        """Every finding in `run`, plus the risk of each flagged candidate, with paths
        relative to `root` (the directory the baseline is written to)."""
        keys: Counter[Key] = Counter()
        for r in run.results:
            findings, risk = result_keys(r, key_path(r.path, root, run.cwd))
            keys.update(findings)
            if run.flagged(r):
                keys[risk] += 1
        return cls(tuple(sorted(keys.items())), Path(root).resolve())

    def _path(self, shown: str, cwd: Path | None) -> str:
        return shown if self.root is None else key_path(shown, self.root, cwd)

    def apply(self, run: CheckRun) -> CheckRun:
        """`run` without the findings (and flagged risks) this baseline accepts."""
        left: Counter[Key] = Counter(dict(self.entries))
        dropped = 0
        results = []
        for r in run.results:
            finding_keys, risk_key = result_keys(r, self._path(r.path, run.cwd))
            kept = []
            for f, key in zip(r.findings, finding_keys, strict=True):
                if left[key] > 0:
                    left[key] -= 1
                    dropped += 1
                else:
                    kept.append(f)
            accepted = run.flagged(r) and left[risk_key] > 0
            if accepted:
                left[risk_key] -= 1
                dropped += 1
            results.append(replace(r, findings=tuple(kept), risk_baselined=accepted))
        return replace(run, results=tuple(results), baselined=run.baselined + dropped)

    def to_json(self) -> str:
        schema = SCHEMA if self.root is not None else SCHEMA_AS_SHOWN
        rows = [key.to_json(n) for key, n in self.entries]
        return json.dumps({"schema": schema, "findings": rows}, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "baseline", root: Path | None = None) -> Baseline:
        """A baseline whose paths are relative to `root`, its file's directory (default: the
        cwd)."""
        data = _document(text, source)
        try:
            counts: Counter[Key] = Counter()
            for row in data["findings"]:
                if not isinstance(row, dict):
                    raise TypeError(f"a finding is not a JSON object: {row!r:.40}")
                counts[Key.from_json(row)] += int(row.get("count", 1))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{source}: malformed baseline: {exc}") from None
        as_shown = data["schema"] == SCHEMA_AS_SHOWN
        return cls(tuple(sorted(counts.items())), None if as_shown else (root or Path()).resolve())


def _document(text: str, source: str) -> dict[str, Any]:
    """The baseline's JSON object, of a schema this version reads, with a findings list
    (InputError naming what the file holds otherwise)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # past the digit or nesting limits too
        raise InputError(f"{source}: malformed baseline: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: malformed baseline: not a JSON object")
    schema = data.get("schema")
    if schema not in SCHEMAS:
        found = "no schema" if schema is None else f"schema {schema!r:.60}"
        raise InputError(
            f"{source}: not an auditor baseline ({found}; this version reads "
            f"{SCHEMA_AS_SHOWN} to {SCHEMA})"
        )
    if not isinstance(data.get("findings"), list):
        raise InputError(f"{source}: malformed baseline: 'findings' is not a list")
    return data


def read_baseline(path: Path) -> Baseline:
    """Load a baseline file; a missing or malformed file is an InputError."""
    try:
        text = read_text(path)  # through io: a FIFO is an InputError, not a hang
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: cannot read baseline: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    return Baseline.from_json(text, str(path), Path(path).parent)
