"""`rules.*`: auditor's own rule findings, counted per code and per family.

Also `rules.suppressions`: how many lines carry a suppression comment (noqa, pylint:,
type: ignore, nosec, ...; see `auditor.rules.suppress`). They silence nothing here;
their presence is a feature.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from auditor.features.base import Extraction, Item


@cache
def _rules_fingerprint() -> str:
    """Hash of the rule engine's source: any change to a rule invalidates cached counts."""
    import auditor.parse
    import auditor.rules

    h = hashlib.sha256()
    files = [Path(auditor.parse.__file__)]
    files += sorted(Path(auditor.rules.__file__).parent.rglob("*.py"))
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _family(code: str) -> str:
    return f"rules.{code[:4]}xx"  # AUD3xx


class RulesExtractor:
    """Counts of the rule engine's findings; one libcst parse and pass per program."""

    name = "rules"
    version = "1"

    @property
    def fingerprint(self) -> str:
        return _rules_fingerprint()

    @property
    def columns(self) -> tuple[str, ...]:
        from auditor.rules import RULES

        codes = sorted(RULES)
        families = sorted({_family(c) for c in codes})
        return ("rules.total", "rules.suppressions", *families, *(f"rules.{c}" for c in codes))

    def extract(self, batch: Sequence[Item]) -> list[Extraction]:
        return [self.extract_one(item) for item in batch]

    def extract_one(self, item: Item) -> Extraction:
        from auditor.parse import parse
        from auditor.rules import check_rules, count_suppressions

        parsed = parse(item.text)
        findings = check_rules(parsed, entry_point=item.entry_point)
        found: Counter[str] = Counter()
        for f in findings:
            found["rules.total"] += 1
            found[f"rules.{f.code}"] += 1
            found[_family(f.code)] += 1
        columns = self.columns
        row = {c: float(found.get(c, 0)) for c in columns}
        row["rules.suppressions"] = float(count_suppressions(parsed))
        return Extraction(features=row, findings=tuple(findings))
