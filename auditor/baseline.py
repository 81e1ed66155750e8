"""Baselines: accept the findings a project already has, so CI fails only on new ones.

A baseline is a multiset of (path, code, normalized line text): it survives line shifts,
and two identical findings on identical lines need two entries. The false-positive risk
of a flagged candidate is keyed with code AUD000 and the text of its `def` line.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from auditor.errors import InputError
from auditor.results import RISK_CODE, CheckRun, occurrence_keys

SCHEMA = "auditor.baseline/1"
Key = tuple[str, str, str]


@dataclass(frozen=True)
class Baseline:
    """Accepted (path, code, line text) occurrences with their counts."""

    entries: tuple[tuple[Key, int], ...]

    @classmethod
    def from_run(cls, run: CheckRun) -> Baseline:
        """Every finding in `run`, plus the risk of each flagged candidate."""
        keys = occurrence_keys(run.results)
        for r in run.results:
            if run.flagged(r):
                keys[(r.path, RISK_CODE, r.entry_text)] += 1
        return cls(tuple(sorted(keys.items())))

    def apply(self, run: CheckRun) -> CheckRun:
        """`run` without the findings (and flagged risks) this baseline accepts."""
        left: Counter[Key] = Counter(dict(self.entries))
        dropped = 0
        results = []
        for r in run.results:
            kept = []
            for f in r.findings:
                key = (r.path, f.finding.code, f.line_text)
                if left[key] > 0:
                    left[key] -= 1
                    dropped += 1
                else:
                    kept.append(f)
            risk_key = (r.path, RISK_CODE, r.entry_text)
            accepted = run.flagged(r) and left[risk_key] > 0
            if accepted:
                left[risk_key] -= 1
                dropped += 1
            results.append(replace(r, findings=tuple(kept), risk_baselined=accepted))
        return replace(run, results=tuple(results), baselined=run.baselined + dropped)

    def to_json(self) -> str:
        rows = [{"path": p, "code": c, "line_text": t, "count": n} for (p, c, t), n in self.entries]
        return json.dumps({"schema": SCHEMA, "findings": rows}, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "baseline") -> Baseline:
        try:
            data = json.loads(text)
            if data.get("schema") != SCHEMA:
                raise InputError(f"{source}: not an auditor baseline (schema {SCHEMA!r})")
            counts: Counter[Key] = Counter()
            for row in data["findings"]:
                counts[(str(row["path"]), str(row["code"]), str(row["line_text"]))] += int(
                    row.get("count", 1)
                )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{source}: malformed baseline: {exc}") from None
        return cls(tuple(sorted(counts.items())))


def read_baseline(path: Path) -> Baseline:
    """Load a baseline file; a missing or malformed file is an InputError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: cannot read baseline: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    return Baseline.from_json(text, str(path))
