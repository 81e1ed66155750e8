"""Scores as text: one reading of a `Scores` JSON dict, as a text line (`train`, `evaluate`)
and as a Markdown table row (the model card), so the two never disagree on a number."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def fmt(x: Any) -> str:
    """A JSON number for text output: 3 decimals, n/a for null."""
    return "n/a" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def fmt_ci(pair: Any) -> str:
    """` [lo, hi]` of an interval, or nothing when it is missing."""
    return f" [{fmt(pair[0])}, {fmt(pair[1])}]" if pair and None not in pair else ""


@dataclass(frozen=True)
class _Cells:
    """The formatted figures of one row of scores."""

    within: str  # within-task ROC-AUC with its interval
    n_tasks: str
    pooled: str  # pooled ROC-AUC with its interval
    pr_auc: str
    base_rate: str
    n_candidates: str
    n_task_ids: str


def _cells(sc: Mapping[str, Any]) -> _Cells | None:
    """The row's figures, or None when no row was scored."""
    if not sc.get("n_candidates"):
        return None
    return _Cells(
        within=f"{fmt(sc['within_task_auc'])}{fmt_ci(sc.get('within_task_ci'))}",
        n_tasks=str(sc["n_tasks"]),
        pooled=f"{fmt(sc['roc_auc'])}{fmt_ci(sc.get('roc_auc_ci'))}",
        pr_auc=fmt(sc.get("pr_auc")),
        base_rate=fmt(sc.get("base_rate")),
        n_candidates=str(sc["n_candidates"]),
        n_task_ids=str(sc.get("n_task_ids", "n/a")),
    )


def scores_line(label: str, sc: Mapping[str, Any]) -> str:
    """One text row of scores, within-task AUC first (with its interval and task count)."""
    c = _cells(sc)
    if c is None:
        return f"  {label:<14} n/a (no rows scored)"
    return (
        f"  {label:<14} within-task {c.within} over {c.n_tasks} tasks; pooled ROC-AUC"
        f" {c.pooled}, {c.n_candidates} candidates, {c.n_task_ids} task ids"
    )


def scores_row(label: str, sc: Mapping[str, Any]) -> str:
    """One Markdown row of scores under `HEADER`."""
    c = _cells(sc)
    if c is None:
        return f"| {label} | n/a | 0 | n/a | n/a | n/a | 0 | 0 |"
    return (
        f"| {label} | {c.within} | {c.n_tasks} | {c.pooled} | {c.pr_auc} | {c.base_rate} "
        f"| {c.n_candidates} | {c.n_task_ids} |"
    )


HEADER = (
    "| | within-task ROC-AUC [95% CI] | tasks (both classes) | pooled ROC-AUC [95% CI] "
    "| PR-AUC | base rate | candidates | task ids |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
)


def view_lines(name: str, view: Mapping[str, Any], benchmark_only: bool = False) -> list[str]:
    """A view's model row, its baselines, and the seen/unseen split, as text lines."""
    tag = " (benchmark-only: needs the reference and weak inputs)" if benchmark_only else ""
    out = [f"{name}{tag}:", scores_line("model", view["model"])]
    out += [scores_line(b, sc) for b, sc in view["baselines"].items()]
    for part, sub in view.get("by_overlap", {}).items():
        out.append(f"  tasks {part} in training:")
        out += ["  " + scores_line("model", sub["model"])]
        out += ["  " + scores_line(b, sc) for b, sc in sub["baselines"].items()]
    return out
