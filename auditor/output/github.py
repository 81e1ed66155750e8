"""GitHub Actions output: at most 10 workflow annotations, the rest in the step summary.

`render` gives the `::error`/`::warning` lines for stdout; `render_summary` gives the
Markdown for `$GITHUB_STEP_SUMMARY` (the overall result and every item not annotated).
The cap goes to failing items first (flagged risks, and findings at or above `--fail-on`),
most severe first; within one severity the rules take turns, so that one rule's many items
(a best-of-n file's flagged risks) cannot hide another's (its weak-test failures).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.output.markdown import cell, picks_table
from auditor.output.text import summary_line, where_in_samples
from auditor.results import RISK_CODE
from auditor.types import Severity

if TYPE_CHECKING:
    from collections.abc import Sequence

    from auditor.results import CandidateResult, CheckRun

MAX_ANNOTATIONS = 10
RISK_SEVERITY = Severity.HIGH  # a flagged risk ranks with the high-severity findings


@dataclass(frozen=True)
class Annotation:
    level: str  # error | warning | notice
    path: str
    line: int
    col: int
    title: str
    message: str
    code: str
    severity: Severity
    risk: float = 0.0  # a flagged risk's value (higher first); 0 for findings

    @property
    def failing(self) -> bool:
        return self.level == "error"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _line(r: CandidateResult, line: int) -> int:
    """A line of the file: a samples file's candidate is at its row (1 when unknown)."""
    return (r.row_line or 1) if r.embedded else line


def _items(run: CheckRun, r: CandidateResult) -> list[Annotation]:
    """One candidate's flagged risk and findings, in input order."""
    items = []
    if run.flagged(r) and r.risk is not None:
        message = f"False-positive risk {r.risk:.2f} (threshold {run.fail_on_risk:.2f})"
        items.append(
            Annotation(
                "error",
                r.path,
                _line(r, r.entry_line),
                1,
                f"{RISK_CODE} false-positive-risk",
                message + where_in_samples(r),
                RISK_CODE,
                RISK_SEVERITY,
                r.risk,
            )
        )
    for rep in r.findings:
        f = rep.finding
        items.append(
            Annotation(
                "error" if run.failing(f) else "warning",
                r.path,
                _line(r, f.line),
                1 if r.embedded else f.col + 1,
                f"{f.code} {f.symbol}",
                f.message + where_in_samples(r, f.line),
                f.code,
                f.severity,
            )
        )
    return items


def _ordered(items: Sequence[Annotation]) -> list[Annotation]:
    """Failing first, then most severe; within one severity the rules take turns (every
    rule's k-th item before any rule's k+1-th), each rule's own items by risk. Sorts are
    stable, so ties keep input order and the output is deterministic."""
    by_rank = sorted(items, key=lambda a: (not a.failing, -a.severity.rank, -a.risk))
    turns: Counter[tuple[bool, str, str]] = Counter()
    keyed = []
    for a in by_rank:
        group = (a.failing, a.severity.value, a.code)
        keyed.append(((not a.failing, -a.severity.rank, turns[group]), a))
        turns[group] += 1
    return [a for _, a in sorted(keyed, key=lambda pair: pair[0])]


def collect(run: CheckRun) -> list[Annotation]:
    """Every flagged risk and every finding, in the order they get annotations."""
    return _ordered([a for r in run.results for a in _items(run, r)])


def left_out(rest: Sequence[Annotation]) -> str:
    """What the cap left out, by kind: "3 flagged risk(s), 2 high, 7 info"."""
    risks = sum(1 for a in rest if a.code == RISK_CODE)
    by_severity = Counter(a.severity for a in rest if a.code != RISK_CODE)
    parts = [f"{risks} flagged risk(s)"] if risks else []
    ranked = sorted(by_severity, key=lambda sev: -sev.rank)
    return ", ".join(parts + [f"{by_severity[sev]} {sev.value}" for sev in ranked])


def render(run: CheckRun) -> str:
    """Workflow-command annotations for the first MAX_ANNOTATIONS items."""
    out = []
    items = collect(run)
    for a in items[:MAX_ANNOTATIONS]:
        props = (
            f"file={_escape_prop(a.path)},line={a.line},col={a.col},title={_escape_prop(a.title)}"
        )
        out.append(f"::{a.level} {props}::{_escape_data(a.message)}")
    rest = items[MAX_ANNOTATIONS:]
    if rest:
        # The summary is written only under Actions ($GITHUB_STEP_SUMMARY); say so.
        out.append(
            f"auditor: {len(rest)} item(s) not annotated (annotations are capped at "
            f"{MAX_ANNOTATIONS}): {left_out(rest)}; the job summary lists them when "
            "$GITHUB_STEP_SUMMARY is set"
        )
    return "\n".join(out) + ("\n" if out else "")


def render_summary(run: CheckRun) -> str:
    """Markdown for the job summary: the result, the items beyond the annotation cap and
    what best-of-n submits per task of a samples file."""
    out = ["## auditor check", "", summary_line(run), ""]
    rest = collect(run)[MAX_ANNOTATIONS:]
    if rest:
        out += [
            f"{len(rest)} item(s) not shown as annotations ({left_out(rest)}):",
            "",
            "| file | line | rule | message |",
            "|---|---:|---|---|",
        ]
        out += [
            f"| `{cell(a.path)}` | {a.line} | {cell(a.title)} | {cell(a.message)} |" for a in rest
        ]
        out.append("")
    out += picks_table(run)  # a samples file's best-of-n picks, as the Markdown report has
    return "\n".join(out) + "\n"
