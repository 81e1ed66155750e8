"""Suppression comments inside candidates: counted always, honoured only on request.

Untrusted code must not be able to silence the auditor, so `check` ignores these
comments unless `RuleConfig.honor_suppressions` is set; their count is a feature.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from auditor.parse import Parsed

# Any tool's suppression: noqa, type: ignore, pylint: disable, nosec, pragma: no cover,
# fmt: off/skip, auditor: ignore.
SUPPRESSION = re.compile(
    r"#.*?\b(noqa|type:\s*ignore|pylint:\s*disable|nosec|pragma:\s*no\s*cover"
    r"|fmt:\s*(?:off|skip)|auditor:\s*ignore)\b",
    re.IGNORECASE,
)
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[\w\-]+(?:\s*,\s*[\w\-]+)*))?", re.IGNORECASE)
_AUDITOR = re.compile(r"#\s*auditor:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
ALL = "*"


def count_suppressions(parsed: Parsed) -> int:
    """Number of lines carrying a suppression comment for any tool."""
    return sum(1 for line in parsed.lines if "#" in line and SUPPRESSION.search(line))


def suppressed(parsed: Parsed) -> dict[int, frozenset[str]]:
    """Line -> codes/symbols that our own suppressions name there (`*` = all)."""
    out: dict[int, frozenset[str]] = {}
    for lineno, line in enumerate(parsed.lines, 1):
        if "#" not in line:
            continue
        names: set[str] = set()
        for pattern in (_NOQA, _AUDITOR):
            for m in pattern.finditer(line):
                codes = m.group("codes")
                if codes is None:
                    names.add(ALL)
                else:
                    names.update(c.strip() for c in codes.split(",") if c.strip())
        if names:
            out[lineno] = frozenset(names)
    return out


def is_suppressed(table: Mapping[int, frozenset[str]], line: int, names: Iterable[str]) -> bool:
    got = table.get(line)
    return got is not None and (ALL in got or any(n in got for n in names))
