"""GitHub Actions output: at most 10 workflow annotations, the rest in the step summary.

`render` gives the `::error`/`::warning` lines for stdout; `render_summary` gives the
Markdown for `$GITHUB_STEP_SUMMARY` (the overall result and every item not annotated).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.output.markdown import cell
from auditor.output.text import summary_line
from auditor.results import RISK_CODE
from auditor.types import Severity

if TYPE_CHECKING:
    from auditor.results import CheckRun

MAX_ANNOTATIONS = 10


@dataclass(frozen=True)
class Annotation:
    level: str  # error | warning | notice
    path: str
    line: int
    col: int
    title: str
    message: str
    rank: tuple[int, float]  # higher first


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def collect(run: CheckRun) -> list[Annotation]:
    """Every flagged risk and every finding, most important first."""
    items: list[Annotation] = []
    for r in run.results:
        where = f" [{r.task_id}/{r.sample_id}]" if r.embedded else ""
        if run.flagged(r) and r.risk is not None:
            items.append(
                Annotation(
                    "error",
                    r.path,
                    1 if r.embedded else r.entry_line,
                    1,
                    f"{RISK_CODE} false-positive-risk",
                    f"False-positive risk {r.risk:.2f} (threshold {run.fail_on_risk:.2f}){where}",
                    (Severity.HIGH.rank + 1, r.risk),
                )
            )
        for rep in r.findings:
            f = rep.finding
            level = "error" if run.failing(f) else "warning"
            items.append(
                Annotation(
                    level,
                    r.path,
                    1 if r.embedded else f.line,
                    1 if r.embedded else f.col + 1,
                    f"{f.code} {f.symbol}",
                    f"{f.message}{where}",
                    (f.severity.rank, 0.0),
                )
            )
    # Stable sort: equal ranks keep input order, so the output is deterministic.
    return sorted(items, key=lambda a: (-a.rank[0], -a.rank[1]))


def render(run: CheckRun) -> str:
    """Workflow-command annotations for the first MAX_ANNOTATIONS items."""
    out = []
    items = collect(run)
    for a in items[:MAX_ANNOTATIONS]:
        props = (
            f"file={_escape_prop(a.path)},line={a.line},col={a.col},title={_escape_prop(a.title)}"
        )
        out.append(f"::{a.level} {props}::{_escape_data(a.message)}")
    if len(items) > MAX_ANNOTATIONS:
        out.append(
            f"auditor: {len(items) - MAX_ANNOTATIONS} more item(s) in the job summary "
            "(annotations are capped at 10)"
        )
    return "\n".join(out) + ("\n" if out else "")


def render_summary(run: CheckRun) -> str:
    """Markdown for the job summary: the result and the items beyond the annotation cap."""
    out = ["## auditor check", "", summary_line(run), ""]
    rest = collect(run)[MAX_ANNOTATIONS:]
    if rest:
        out += [
            f"{len(rest)} item(s) not shown as annotations:",
            "",
            "| file | line | rule | message |",
            "|---|---:|---|---|",
        ]
        out += [
            f"| `{cell(a.path)}` | {a.line} | {cell(a.title)} | {cell(a.message)} |" for a in rest
        ]
        out.append("")
    return "\n".join(out) + "\n"
