"""Markdown report: a summary and one table row per candidate, riskiest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.output.text import summary_line

if TYPE_CHECKING:
    from auditor.results import CheckRun


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|").replace("`", "'")


def render(run: CheckRun) -> str:
    out = ["# auditor check", "", summary_line(run), ""]
    rows = [r for r in run.by_risk() if r.risk is not None or r.findings]
    if rows:
        out += ["| candidate | risk | flagged | findings |", "|---|---:|:---:|---|"]
        for r in rows:
            name = f"{r.path} [{r.task_id}/{r.sample_id}]" if r.embedded else r.path
            risk = "n/a" if r.risk is None else f"{r.risk:.2f}"
            found = "<br>".join(
                cell(f"{x.finding.line}: {x.finding.code} {x.finding.symbol}") for x in r.findings
            )
            mark = "yes" if run.flagged(r) else ""
            out.append(f"| `{cell(name)}` | {risk} | {mark} | {found} |")
        out.append("")
    return "\n".join(out) + "\n"
