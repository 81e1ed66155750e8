"""`pylint.*`: pylint messages per category and for a pinned set of symbols, plus a score.

One in-process pylint run per batch, over the batch's programs written as
`m_<sha256>.py` (a name that depends on the program only). Only the pinned messages
are enabled, which keeps pylint to its cheap, mostly syntactic checkers (no import
resolution, no type inference checkers) and makes each module's messages independent
of the rest of the batch: `duplicate-code` and the other cross-module checks are off,
and nothing is persisted. Pragmas (`# pylint: disable=...`) in candidates are ignored:
untrusted code cannot silence the auditor.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
import tokenize
from collections import Counter
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from auditor.features.base import FAILED, Extraction, Item
from auditor.io import python_source_bytes
from auditor.types import Confidence, Finding, Severity

# Pinned messages (pylint 4.x symbols). Each is both enabled and a column.
SYMBOLS: tuple[str, ...] = (
    # refactoring (special cases, redundant branches)
    "no-else-return",
    "no-else-raise",
    "no-else-break",
    "no-else-continue",
    "inconsistent-return-statements",
    "simplifiable-if-statement",
    "simplifiable-if-expression",
    "consider-using-in",
    "chained-comparison",
    "consider-using-enumerate",
    "consider-using-dict-items",
    "too-many-nested-blocks",
    "consider-using-max-builtin",
    "consider-using-min-builtin",
    "consider-using-generator",
    "use-a-generator",
    "unnecessary-comprehension",
    "consider-using-get",
    "useless-return",
    "consider-merging-isinstance",
    "consider-using-ternary",
    "unnecessary-lambda-assignment",
    "comparison-with-itself",
    "comparison-of-constants",
    "literal-comparison",
    "singleton-comparison",
    "unidiomatic-typecheck",
    "use-implicit-booleaness-not-len",
    "redefined-argument-from-local",
    # design (size of functions)
    "too-many-return-statements",
    "too-many-branches",
    "too-many-statements",
    "too-many-locals",
    "too-many-arguments",
    "too-many-boolean-expressions",
    # variables
    "unused-variable",
    "unused-argument",
    "unused-import",
    "undefined-variable",
    "used-before-assignment",
    "possibly-used-before-assignment",
    "redefined-builtin",
    "redefined-outer-name",
    "cell-var-from-loop",
    "global-statement",
    # basic checks (dead code and no-ops)
    "unreachable",
    "pointless-statement",
    "pointless-string-statement",
    "expression-not-assigned",
    "unnecessary-pass",
    "dangerous-default-value",
    "duplicate-key",
    "self-assigning-variable",
    "using-constant-test",
    "missing-function-docstring",
    "invalid-name",
    "lost-exception",
    "return-in-finally",
    # exceptions
    "bare-except",
    "broad-exception-caught",
    "broad-exception-raised",
    "try-except-raise",
    # misc
    "fixme",
    "consider-using-f-string",
    "nested-min-max",
)
CATEGORIES: tuple[str, ...] = ("C", "R", "W", "E", "F", "I")
_SEVERITY = {"E": Severity.MEDIUM, "F": Severity.MEDIUM, "W": Severity.LOW}
_UNANALYSABLE = {"syntax-error", "astroid-error", "parse-error", "fatal"}


def pylint_args(files: Sequence[str]) -> list[str]:
    """Command-line arguments of one isolated, pinned pylint run."""
    return [
        "--rcfile=/dev/null",
        "--persistent=n",
        "--score=n",
        "--reports=n",
        "--jobs=1",
        "--disable=all",
        f"--enable={','.join(SYMBOLS)}",
        # Long lines are ruff's job; a huge limit also skips pylint's slow pragma regex.
        "--max-line-length=1000000",
        "--unsafe-load-any-extension=n",
        "--limit-inference-results=20",
        *files,
    ]


def _run_pylint(files: Sequence[str]) -> tuple[list[Any], dict[str, dict[str, int]]]:
    """Messages and per-module statistics of one in-process run."""
    import astroid
    from pylint.lint import PyLinter, Run
    from pylint.reporters import CollectingReporter

    class _NoPragmaLinter(PyLinter):
        def process_tokens(self, tokens: list[tokenize.TokenInfo]) -> None:
            """Skip pragma handling: candidates' `# pylint:` comments have no effect."""

    class _Run(Run):
        LinterClass = _NoPragmaLinter

    reporter = CollectingReporter()
    sink = io.StringIO()
    try:
        # pylint prints crash reports (with the whole program) itself: keep them quiet.
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            run = _Run(pylint_args(files), reporter=reporter, exit=False)
        stats = {
            name: {k: int(v) for k, v in mod.items() if isinstance(v, int | float)}
            for name, mod in run.linter.stats.by_module.items()
        }
        return list(reporter.messages), stats
    finally:
        # Forget the batch's modules (bounded memory) but keep the stdlib ones astroid
        # built: rebuilding those per batch would double the cost. Results never
        # depend on this cache.
        for file in files:
            astroid.MANAGER.astroid_cache.pop(Path(file).stem, None)


def score(stats: dict[str, int], fatal: bool) -> float:
    """pylint's default evaluation, per module, over the enabled messages."""
    statements = stats.get("statement", 0)
    if fatal:
        return 0.0
    if not statements:
        return 10.0
    bad = 5 * stats.get("error", 0) + sum(
        stats.get(k, 0) for k in ("warning", "refactor", "convention")
    )
    return max(0.0, 10.0 - bad / statements * 10.0)


# Bump when the findings change for the same pylint and astroid: the cache keys extractions
# by it (as the ruff extractor's). 2: a text under a non-UTF-8 coding cookie is written in
# its codec (`python_source_bytes`, session 22); before, pylint read its UTF-8 otherwise.
_FINDINGS_VERSION = "2"


class PylintExtractor:
    """Per-category and per-symbol counts, score and findings from one run per batch."""

    name = "pylint"
    version = "1"

    @property
    def fingerprint(self) -> str:
        # Not `version`: that one is part of the model's schema hash.
        pylint, astroid = metadata.version("pylint"), metadata.version("astroid")
        return f"{pylint}+astroid{astroid}+findings{_FINDINGS_VERSION}"

    columns: tuple[str, ...] = (
        "pylint.total",
        "pylint.score",
        "pylint.statements",
        *(f"pylint.{c}" for c in CATEGORIES),
        *(f"pylint.{s}" for s in SYMBOLS),
    )

    def extract(self, batch: Sequence[Item]) -> list[Extraction]:
        results: dict[str, Extraction] = {}
        with tempfile.TemporaryDirectory(prefix="auditor-pylint-") as tmp:
            paths: dict[str, str] = {}
            for item in batch:
                # pylint decodes a file by its coding cookie, as Python does: write the
                # bytes it reads `item.text` from, or nothing when there are none.
                data = python_source_bytes(item.text)
                if data is None:
                    results[item.sha256] = FAILED
                    continue
                path = Path(tmp) / f"m_{item.sha256}.py"
                path.write_bytes(data)
                paths[item.sha256] = str(path)
            messages, stats = _run_pylint(sorted(set(paths.values()))) if paths else ([], {})
        by_module: dict[str, list[Any]] = {}
        for m in messages:
            by_module.setdefault(m.module, []).append(m)
        for sha in paths:
            module = f"m_{sha}"
            results[sha] = self._one(by_module.get(module, []), stats.get(module, {}))
        return [results[item.sha256] for item in batch]

    def _one(self, messages: list[Any], stats: dict[str, int]) -> Extraction:
        if any(m.symbol in _UNANALYSABLE for m in messages):
            return Extraction(failed=True)
        found: Counter[str] = Counter()
        findings = []
        for m in messages:
            found["pylint.total"] += 1
            found[f"pylint.{m.C}"] += 1
            found[f"pylint.{m.symbol}"] += 1
            findings.append(
                Finding(
                    code=f"pylint:{m.msg_id}",
                    symbol=m.symbol,
                    message=m.msg,
                    line=int(m.line or 0),
                    col=int(m.column or 0),
                    severity=_SEVERITY.get(m.C, Severity.INFO),
                    confidence=Confidence.MEDIUM,
                    source="pylint",
                )
            )
        row = {c: float(found.get(c, 0)) for c in self.columns}
        row["pylint.score"] = score(stats, fatal=False)
        row["pylint.statements"] = float(stats.get("statement", math.nan))
        return Extraction(features=row, findings=tuple(findings))
