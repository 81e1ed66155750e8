"""The result model of `auditor check`: what the run found, as frozen data.

The rule descriptions a run carries are `RuleInfo`s; their text is made by
`auditor.rules.catalogue`.

`check` builds a `CheckRun`; the output formats (`auditor.output`) and the baseline
(`auditor.baseline`) read it. Nothing here does I/O or imports the checker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from auditor import __version__
from auditor.errors import EXIT_FINDINGS, EXIT_OK
from auditor.types import Finding, Severity

RISK_CODE = "AUD000"
RISK_SYMBOL = "false-positive-risk"
# Codes of inputs that `check` could not read (their pages: auditor.rules.catalogue).
TOO_LARGE_CODE = "AUD910"
UNREADABLE_CODE = "AUD911"
# A candidate that fails the weak tests it was executed against (`check --tasks/--tests`).
FAILS_TESTS_CODE = "AUD001"
FAILS_TESTS_SYMBOL = "fails-tests"
# A passing candidate whose run rewrote what the harness reports about it (`check` with
# execution): caught by the harness's canaries; its risk is 1.
TAMPERS_CODE = "AUD002"
TAMPERS_SYMBOL = "tampers-with-measurement"


@dataclass(frozen=True)
class RuleInfo:
    """What SARIF and the docs need to know about one finding code."""

    code: str
    symbol: str
    short: str
    full: str
    severity: Severity = Severity.LOW
    documented: bool = False  # has a page rules/<CODE>.md
    page: str = ""  # that page's Markdown (SARIF help.markdown)


@dataclass(frozen=True)
class ReportedFinding:
    """A finding together with its line's normalized text (the baseline key)."""

    finding: Finding
    line_text: str = ""


@dataclass(frozen=True)
class ExecutionInfo:
    """What executing a candidate found (`check` with tasks or tests)."""

    verdict: str | None  # weak-test outcome (pass, fail, timeout, error); None: nothing asserted
    weak_tests: str  # where the weak tests came from: reference, asserts, none
    signals: tuple[str, ...]  # families behind the risk: weak-tests, consensus, solo, static
    features: tuple[tuple[str, float], ...] = ()  # exec.* values
    static_risk: float | None = None
    execution_risk: float | None = None
    function: str = ""  # the function the execution signals ran (the weak tests judge all)
    unjudged: int = 0  # asserts of the weak tests not judged (a value not known statically)
    tampered: tuple[str, ...] = ()  # what the harness's canaries caught (AUD002)


@dataclass(frozen=True)
class CandidateResult:
    """Everything `check` found out about one candidate."""

    path: str  # posix, relative to the cwd when under it
    task_id: str
    sample_id: str
    sha256: str
    risk: float | None  # None when the candidate was not scored (see `note`)
    entry_line: int = 1  # line of the entry point's `def`
    findings: tuple[ReportedFinding, ...] = ()
    embedded: bool = False  # inside a samples file: finding lines count within the candidate
    row_line: int | None = None  # embedded: the samples file's line holding its row, if known
    note: str | None = None
    entry_text: str = ""  # normalized `def` line, the baseline key of the risk result
    risk_baselined: bool = False  # a flagged risk accepted by the baseline
    # Where the program came from in a chat-style answer ("lines 3-9: fenced code (python)");
    # empty for plain code. Finding lines then count within the raw answer.
    extracted: tuple[str, ...] = ()
    execution: ExecutionInfo | None = None  # set when the candidate was executed

    @property
    def identity(self) -> tuple[str, str]:
        """What tells this candidate apart from the others in its file, for baseline keys
        and SARIF fingerprints: in a samples file, its task id and the sha256 of its code
        (every candidate of a task shares its `def` line, and often its finding lines);
        ("", "") for a .py file, whose path is enough and whose keys, by line text, survive
        edits elsewhere in it."""
        return (self.task_id, self.sha256) if self.embedded else ("", "")


@dataclass(frozen=True)
class Pick:
    """What best-of-n submits for one task of a samples file (None: nothing to submit)."""

    task_id: str
    result: CandidateResult | None
    among: int  # the task's candidates that could be picked
    # Other programs among them ranked exactly as the pick (same risk, same failing-finding
    # status, other code): the file's order chose among them, which a sample can choose to be.
    # Copies of the pick's own code are not counted: whichever is submitted, it is the same.
    tied: int = 0


@dataclass(frozen=True)
class CheckRun:
    """The aggregate the output formats render."""

    results: tuple[CandidateResult, ...]
    rules: tuple[RuleInfo, ...]
    fail_on_risk: float
    fail_on: Severity | None
    model: str | None  # short description of the model used, None when not scoring
    rules_url: str = ""
    version: str = __version__
    baselined: int = 0
    cwd: Path | None = None  # what the results' paths are shown relative to (None: the cwd)
    fail_on_unverified: bool = False

    def flagged(self, result: CandidateResult) -> bool:
        """Whether a candidate's risk is at or over the threshold."""
        return (
            result.risk is not None
            and result.risk >= self.fail_on_risk
            and not result.risk_baselined
        )

    def failing(self, finding: Finding) -> bool:
        """Whether a finding is at or above the failing severity."""
        return self.fail_on is not None and finding.severity.rank >= self.fail_on.rank

    @staticmethod
    def unverified(result: CandidateResult) -> bool:
        """Whether a candidate was executed and passed without every assert of its weak
        tests judged (no verdict, or asserts left unjudged), so its pass is not proof."""
        e = result.execution
        return e is not None and (e.verdict is None or (e.verdict == "pass" and e.unjudged > 0))

    @property
    def n_unverified(self) -> int:
        return sum(1 for r in self.results if self.unverified(r))

    @property
    def n_flagged(self) -> int:
        return sum(1 for r in self.results if self.flagged(r))

    @property
    def n_failing_findings(self) -> int:
        return sum(1 for r in self.results for f in r.findings if self.failing(f.finding))

    @property
    def exit_code(self) -> int:
        """0 when nothing is over a threshold (nor, with `fail_on_unverified`, a candidate
        unverified), else 1."""
        unverified = self.fail_on_unverified and self.n_unverified
        failed = self.n_flagged or self.n_failing_findings or unverified
        return EXIT_FINDINGS if failed else EXIT_OK

    def picks(self) -> tuple[Pick, ...]:
        """Per task of a samples file (first-seen order), the candidate to submit: one
        without a failing finding if the task has any, then the lowest risk, then the first.
        Candidates with no risk (failing the weak tests, unreadable) and AUD002's
        tamperers are never picked: the re-rank that `curves --scores` measures. Without a
        model (`--no-model`) nothing is ranked, so there is no pick to report."""
        if self.model is None:
            return ()
        tasks: dict[str, list[CandidateResult]] = {}
        for r in self.results:
            if r.embedded:
                tasks.setdefault(r.task_id, [])
                if r.risk is not None and not (r.execution and r.execution.tampered):
                    tasks[r.task_id].append(r)
        return tuple(self._pick(t, rs) for t, rs in tasks.items())

    def _pick(self, task_id: str, candidates: list[CandidateResult]) -> Pick:
        if not candidates:
            return Pick(task_id, None, 0)
        best = min(candidates, key=self._pick_key)
        same = {r.sha256 for r in candidates if self._pick_key(r) == self._pick_key(best)}
        return Pick(task_id, best, len(candidates), len(same - {best.sha256}))

    def _pick_key(self, r: CandidateResult) -> tuple[bool, float]:
        return any(self.failing(f.finding) for f in r.findings), r.risk or 0.0

    def by_risk(self) -> tuple[CandidateResult, ...]:
        """Results riskiest first (unscored last), ties in input order."""
        return tuple(sorted(self.results, key=lambda r: -1.0 if r.risk is None else -r.risk))


def normalize_line(text: str) -> str:
    """The baseline key of a line: whitespace collapsed and stripped."""
    return " ".join(text.split())
