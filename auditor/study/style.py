"""Finding codes of candidates for the style comparison (H4's rules, one pass per program).

Resampled candidates repeat a lot, so each distinct program (by sha256) is checked once, from
the feature cache when `features` or `train` already ran the rules on it; only the
candidates that pass the weak tests are needed (FP, correct and weak pass are all subsets
of them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from auditor.types import Candidate, Label, Outcome, Task


def style_groups() -> dict[str, str]:
    """Code prefix -> title: each rule family, then each style rule (AUD1xx) on its own."""
    from auditor.rules import RULES
    from auditor.rules.base import Family

    groups = {
        fam.prefix: f"{fam.value} family ({fam.prefix}xx)"
        for fam in Family
        if fam is not Family.INTERNAL
    }
    for code in sorted(RULES):
        if code.startswith(Family.STYLE.prefix):
            groups[code] = f"{code} {RULES[code].SYMBOL}"
    return groups


def finding_codes(
    labels: Sequence[Label],
    candidates: Sequence[Candidate],
    tasks: Mapping[str, Task] | None = None,
    *,
    jobs: int = 2,
    cache_dir: Path | None = None,
) -> list[frozenset[str]]:
    """Rule codes found in each weak-passing candidate (empty for the others), through the
    feature runner: its cache, its pool and its per-program failure isolation."""
    from auditor.features import findings

    # One candidate per program, the first weak-passer's (its task gives the entry point).
    weak: dict[str, Candidate] = {}
    for label, cand in zip(labels, candidates, strict=True):
        if label.weak_status is Outcome.PASS:
            weak.setdefault(cand.sha256, cand)
    found = findings(
        list(weak.values()), tasks=tasks, cache_dir=cache_dir, jobs=jobs, sources=("rules",)
    )
    by_sha = {sha: frozenset(f.code for f in fs) for sha, fs in found.items()}
    return [
        by_sha[c.sha256] if lb.weak_status is Outcome.PASS else frozenset()
        for lb, c in zip(labels, candidates, strict=True)
    ]
