"""Markdown report: a summary, one table row per candidate, riskiest first, and the
best-of-n pick per task of a samples file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.output.text import pick_text, summary_line

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
    out += picks_table(run)
    return "\n".join(out) + "\n"


def picks_table(run: CheckRun) -> list[str]:
    """Lines of the "Best of n" section: what best-of-n submits per task (none without picks)."""
    picks = run.picks()
    if not picks:
        return []
    rows = [f"| `{cell(p.task_id)}` | {cell(pick_text(p))} |" for p in picks]
    return ["## Best of n", "", "| task | submit |", "|---|---|", *rows, ""]
