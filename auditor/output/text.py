"""Plain-text report: the riskiest candidates first, each with its findings, then the
best-of-n pick per task of a samples file."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.results import CandidateResult, CheckRun, Pick


# Characters a terminal acts on instead of showing (C0 and C1 controls but the tab; the
# bidirectional controls, which reorder what follows): written out as escapes. A samples
# file's `sample_id` "\x1b[1A\x1b[2K" erased the report line above it (red team s21).
_HIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(line: str) -> str:
    """`line` with the characters a terminal would act on written as escapes."""
    return _HIDDEN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), line)


def _risk(run: CheckRun, r: CandidateResult) -> str:
    if r.risk is None:
        return f"risk  n/a ({r.note})" if r.note else "risk  n/a"
    mark = "  FLAGGED" if run.flagged(r) else ""
    mark = "  (baselined)" if r.risk_baselined else mark
    return f"risk {r.risk:.2f}{mark}"


def _name(r: CandidateResult) -> str:
    return f"{r.path}{where_in_samples(r)}"


def where_in_samples(r: CandidateResult, line: int | None = None) -> str:
    """ " [task/sample]" for a candidate of a samples file, with the finding's `line` inside
    it when given (the file's own line is its row, so a line of the candidate must be said
    in words); "" for a .py file."""
    if not r.embedded:
        return ""
    inside = "" if line is None else f", line {line} of the candidate"
    return f" [{r.task_id}/{r.sample_id}{inside}]"


def summary_line(run: CheckRun) -> str:
    """One sentence: what was checked and what fails."""
    scored = sum(1 for r in run.results if r.risk is not None)
    n_findings = sum(len(r.findings) for r in run.results)
    parts = [
        f"{len(run.results)} candidate(s), {scored} scored",
        f"{run.n_flagged} at or over risk {run.fail_on_risk:.2f}",
        f"{n_findings} finding(s)",
    ]
    if run.fail_on is not None:
        parts.append(f"{run.n_failing_findings} at or above {run.fail_on.value}")
    if run.n_unverified:
        fails = " (failing)" if run.fail_on_unverified else ""
        parts.append(f"{run.n_unverified} executed but not fully verified{fails}")
    if run.baselined:
        parts.append(f"{run.baselined} baselined")
    return ", ".join(parts) + "."


def pick_text(p: Pick) -> str:
    """What best-of-n submits for one task, in a few words."""
    if p.result is None:
        return "nothing to submit (no candidate scored: all failed or were unreadable)"
    e = p.result.execution
    unverified = ", not verified by the weak tests" if e is not None and e.verdict is None else ""
    others = f"{p.tied} other" + ("s" if p.tied > 1 else "")
    tied = f", tied with {others} (the first in the file is submitted)" if p.tied else ""
    return (
        f"sample {p.result.sample_id}, risk {p.result.risk:.2f}, lowest of {p.among} scored"
        + tied
        + unverified
    )


def render(run: CheckRun) -> str:
    """Readable summary, riskiest candidates first."""
    out: list[str] = []
    for r in run.by_risk():
        if r.risk is None and not r.findings:
            continue
        out.append(f"{_name(r)}  {_risk(run, r)}")
        for rep in r.findings:
            f = rep.finding
            out.append(f"  {f.line}:{f.col}  {f.code} [{f.severity.value}] {f.symbol}: {f.message}")
    picks = run.picks()
    if picks:
        out.append("best of n (per task, what to submit):")
        out += [f"  {p.task_id}: {pick_text(p)}" for p in picks]
    model = f"model: {run.model}" if run.model else "model: none (findings only)"
    out.append(f"{summary_line(run)} ({model})")
    return "".join(visible(line) + "\n" for line in out)
