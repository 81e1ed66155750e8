"""Finding codes of candidates for the style comparison (H4's rules, one pass per program).

Resampled candidates repeat a lot, so each distinct program (by sha256) is checked once;
only the candidates that pass the weak tests are needed (FP, correct and weak pass are all
subsets of them).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from auditor.types import Candidate, Label, Outcome


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


def _codes(item: tuple[str, str | None]) -> frozenset[str]:
    from auditor.parse import parse
    from auditor.rules import check_rules

    code, entry_point = item
    return frozenset(f.code for f in check_rules(parse(code), entry_point=entry_point))


def finding_codes(
    labels: Sequence[Label],
    candidates: Sequence[Candidate],
    entry_points: dict[str, str] | None = None,
    *,
    jobs: int = 2,
) -> list[frozenset[str]]:
    """Codes found in each weak-passing candidate (empty for the others)."""
    eps = entry_points or {}
    todo: dict[str, tuple[str, str | None]] = {}
    for label, cand in zip(labels, candidates, strict=True):
        if label.weak_status is Outcome.PASS:
            todo.setdefault(cand.sha256, (cand.code, eps.get(cand.task_id)))
    keys = list(todo)
    items = [todo[k] for k in keys]
    if jobs > 1 and len(items) > 50:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            found = list(pool.map(_codes, items, chunksize=32))
    else:
        found = [_codes(it) for it in items]
    by_sha = dict(zip(keys, found, strict=True))
    return [
        by_sha[c.sha256] if lb.weak_status is Outcome.PASS else frozenset()
        for lb, c in zip(labels, candidates, strict=True)
    ]
