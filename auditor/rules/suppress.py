"""Suppression comments inside candidates: counted always, honoured only on request.

Untrusted code must not be able to silence the auditor, so `check` and the rule engine
ignore these comments unless asked to honour them; their count is a feature. The one
grammar of what silences a finding is here: `# noqa[: CODES]`, `# pylint: disable=CODES`
and `# auditor: ignore[CODES]`, where a code matches a finding's code, the part of it
after `tool:`, its symbol, or a prefix of any of them; a bare `noqa` or `auditor: ignore`
silences everything on its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from auditor.parse import Parsed
from auditor.types import Finding

# Any tool's suppression: noqa, type: ignore, pylint: disable, nosec, pragma: no cover,
# fmt: off/skip, auditor: ignore.
SUPPRESSION = re.compile(
    r"#.*?\b(noqa|type:\s*ignore|pylint:\s*disable|nosec|pragma:\s*no\s*cover"
    r"|fmt:\s*(?:off|skip)|auditor:\s*ignore)\b",
    re.IGNORECASE,
)
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[\w\-]+(?:[\s,]+[\w\-]+)*))?", re.I)
_PYLINT = re.compile(r"#\s*pylint:\s*disable\s*=\s*(?P<codes>[\w\-]+(?:\s*,\s*[\w\-]+)*)", re.I)
_AUDITOR = re.compile(r"#\s*auditor:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.I)
ALL = "*"


def count_suppressions(parsed: Parsed) -> int:
    """Number of lines carrying a suppression comment for any tool."""
    return sum(1 for line in parsed.lines if "#" in line and SUPPRESSION.search(line))


def line_suppressions(line: str) -> frozenset[str]:
    """Codes/symbols (or prefixes) that the comments on `line` silence; `*` = all."""
    if "#" not in line:
        return frozenset()
    names: set[str] = set()
    for pattern in (_NOQA, _PYLINT, _AUDITOR):
        for m in pattern.finditer(line):
            codes = m.group("codes")
            if codes is None:
                names.add(ALL)
            else:
                names.update(c for c in re.split(r"[\s,]+", codes) if c)
    return frozenset(names)


def finding_names(finding: Finding) -> frozenset[str]:
    """The names a suppression may use for `finding`: code, code without `tool:`, symbol."""
    return frozenset({finding.code, finding.code.split(":")[-1], finding.symbol})


def silences(wanted: frozenset[str], names: Iterable[str]) -> bool:
    """Whether suppressions `wanted` (from `line_suppressions`) silence any of `names`."""
    return ALL in wanted or any(n.startswith(w) for w in wanted for n in names)


def is_suppressed_on(line: str, finding: Finding) -> bool:
    """Whether a comment on `line` (the finding's source line) silences `finding`."""
    wanted = line_suppressions(line)
    return bool(wanted) and silences(wanted, finding_names(finding))


def suppressed(parsed: Parsed) -> dict[int, frozenset[str]]:
    """Line -> what the suppressions on it silence (only lines that have some)."""
    out: dict[int, frozenset[str]] = {}
    for lineno, line in enumerate(parsed.lines, 1):
        wanted = line_suppressions(line)
        if wanted:
            out[lineno] = wanted
    return out


def is_suppressed(table: Mapping[int, frozenset[str]], line: int, names: Iterable[str]) -> bool:
    """Whether the suppressions of `table` at `line` silence any of `names`."""
    got = table.get(line)
    return got is not None and silences(got, names)
