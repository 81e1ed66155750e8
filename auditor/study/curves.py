"""`auditor curves` as data and text: exact resampling curves of a labeled corpus.

`compute` runs the analyses (with risk scores also the auditor's threshold sweep and
re-rank policy) into a `CurvesRun`; `render` turns one into text, JSON or CSV. Pure: the
CLI reads the files and prints.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, assert_never

import numpy as np

from auditor.resampling import (
    AuditorSweep,
    CandidateArrays,
    Curves,
    TaskCounts,
    curves,
    rerank_curves,
    threshold_sweep,
)
from auditor.types import Label


class CurvesFormat(StrEnum):
    """The output formats of `auditor curves`."""

    TEXT = "text"
    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True, eq=False)
class CurvesRun:
    """Everything `auditor curves` computed; renderers turn it into text."""

    source: str
    curves: Curves
    sweep: AuditorSweep | None = None
    rerank: Curves | None = None


def default_thresholds(cands: CandidateArrays) -> tuple[float, ...]:
    """Risk quantiles of the weak-passers (keep 10%..90%), plus no filter (inf)."""
    risk = cands.risk[cands.weak]
    qs = np.quantile(risk, np.linspace(0.1, 0.9, 9))
    # `risk < t` keeps the quantile's share; nudge up so the quantile value itself is kept
    return (*sorted({float(np.nextafter(q, np.inf)) for q in qs}), math.inf)


def compute(
    labels: Sequence[Label],
    costs: Sequence[float],
    *,
    k_max: int | None = None,
    replacement: bool = False,
    scores: dict[tuple[str, str], float] | None = None,
    thresholds: Sequence[float] | None = None,
    source: str = "",
) -> CurvesRun:
    """The curves, and with scores the auditor's threshold sweep and re-rank curves."""
    counts = TaskCounts.from_labels(labels)
    base = curves(counts, costs, k_max, replacement)
    if scores is None:
        return CurvesRun(source, base)
    cands = CandidateArrays.from_labels(labels, scores)
    thr = tuple(thresholds) if thresholds else default_thresholds(cands)
    return CurvesRun(
        source,
        base,
        threshold_sweep(cands, thr, costs, k_max, replacement),
        rerank_curves(cands, costs, k_max),
    )


# ------------------------------------------------------------------ renderers


def _num(x: float) -> float | None:
    """JSON has no infinity (the 'no filter' threshold) or NaN: they become null."""
    return None if isinstance(x, float) and not math.isfinite(x) else x


def render_json(run: CurvesRun) -> str:
    """One JSON object: the curves, and under "auditor" the sweep and re-rank curves."""
    out: dict[str, Any] = {"source": run.source, **run.curves.to_json()}
    if run.sweep is not None and run.rerank is not None:
        sweep = run.sweep.to_json()
        sweep["thresholds"] = [_num(t) for t in sweep["thresholds"]]
        out["auditor"] = {"threshold_sweep": sweep, "rerank": run.rerank.to_json()}
        out["auditor"]["rerank"]["ceiling"] = _num(run.rerank.ceiling)
    return json.dumps(out, allow_nan=False) + "\n"


def _csv_row(policy: str, threshold: float | str, cost: float, k: int, values: Any) -> list[Any]:
    """One CSV row; `values` are accuracy, coverage, fp_share and utility at (cost, k)."""
    return [policy, threshold, cost, int(k), *(f"{v:.6g}" for v in values)]


def _csv_rows(policy: str, threshold: float | str, cv: Curves) -> list[list[Any]]:
    """Rows of one curve set, cost-major then k."""
    return [
        _csv_row(
            policy,
            threshold,
            cost,
            k,
            (cv.accuracy[j], cv.coverage[j], cv.fp_share[j], cv.utility[i, j]),
        )
        for i, cost in enumerate(cv.costs)
        for j, k in enumerate(cv.k)
    ]


def _sweep_rows(sw: AuditorSweep) -> list[list[Any]]:
    """Rows of the auditor's threshold sweep, threshold-major, then cost, then k."""
    return [
        _csv_row(
            "auditor_filter",
            t,
            cost,
            k,
            (sw.accuracy[h, j], sw.coverage[h, j], sw.fp_share[h, j], sw.utility[h, i, j]),
        )
        for h, t in enumerate(sw.thresholds)
        for i, cost in enumerate(sw.costs)
        for j, k in enumerate(sw.k)
    ]


def render_csv(run: CurvesRun) -> str:
    """Long-format CSV: one row per (policy, threshold, cost, k)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["policy", "threshold", "cost", "k", "accuracy", "coverage", "fp_share", "utility"])
    w.writerows(_csv_rows("first_pass", "", run.curves))
    if run.sweep is not None and run.rerank is not None:
        w.writerows(_sweep_rows(run.sweep))
        w.writerows(_csv_rows("auditor_rerank", "", run.rerank))
    return buf.getvalue()


def _show_ks(k: np.ndarray, extra: Sequence[int]) -> list[int]:
    """The k shown in the text table: 1, powers of 2, the largest k and `extra` (k_opt)."""
    kmax = int(k[-1])
    pts = {1, kmax, *(2**i for i in range(int(math.log2(kmax)) + 1)), *extra}
    return sorted(p for p in pts if 1 <= p <= kmax)


def _utility_cell(value: float) -> str:
    """A utility in the table's 9 columns: 4 decimals, or 4 significant digits once that
    would be wider (a cost ratio of 1e308 gave 300-digit utilities)."""
    fixed = f"{value:>9.4f}"
    return fixed if len(fixed) <= 9 else f"{value:>9.3e}"


def _kopt_text(k: int, rising: bool) -> str:
    return f"{k} (still rising)" if rising else ("0 (abstain)" if k == 0 else str(k))


def render_text(run: CurvesRun) -> str:
    """A readable summary: per cost ratio a table at a few k, then the auditor's policies."""
    cv = run.curves
    mode = "with replacement" if cv.replacement else "without replacement"
    lines = [
        f"{run.source}: {cv.n_tasks} tasks, draws {mode}, k = 1..{int(cv.k[-1])}",
        f"resampling ceiling (mean c/b over tasks with a weak pass): {cv.ceiling:.3f}",
        "",
    ]
    for i, cost in enumerate(cv.costs):
        lines.append(f"cost ratio {cost:g}: k_opt = {_kopt_text(int(cv.k_opt[i]), cv.rising[i])}")
        lines.append(f"  {'k':>5} {'accuracy':>9} {'coverage':>9} {'fp_share':>9} {'utility':>9}")
        for k in _show_ks(cv.k, [int(cv.k_opt[i])]):
            j = k - 1
            lines.append(
                f"  {k:>5} {cv.accuracy[j]:>9.4f} {cv.coverage[j]:>9.4f} "
                f"{cv.fp_share[j]:>9.4f} {_utility_cell(cv.utility[i, j])}"
            )
        lines.append("")
    if run.sweep is not None and run.rerank is not None:
        sw = run.sweep
        lines.append("auditor as a second verifier (accept iff weak pass and risk < threshold):")
        head = "".join(f" {'k_opt@' + format(c, 'g'):>10}" for c in sw.costs)
        lines.append(f"  {'threshold':>10} {'accepted':>9} {'ceiling':>8} {'corr.lost':>9}{head}")
        for h, t in enumerate(sw.thresholds):
            ks = "".join(
                f" {str(int(sw.k_opt[h, i])) + ('+' if sw.rising[h, i] else ''):>10}"
                for i in range(len(sw.costs))
            )
            ceil = "n/a" if math.isnan(sw.ceiling[h]) else f"{sw.ceiling[h]:.3f}"
            lines.append(
                f"  {t:>10.4g} {sw.accepted_share[h]:>9.3f} {ceil:>8} {sw.correct_lost[h]:>9.3f}{ks}"
            )
        rr = run.rerank
        lines.append("  (k_opt+ : utility still rising at the largest k)")
        lines.append("")
        lines.append(
            f"re-rank (draw k, submit the lowest-risk weak-passer): ceiling {rr.ceiling:.3f}; "
            + ", ".join(
                f"k_opt@{c:g} = {_kopt_text(int(rr.k_opt[i]), rr.rising[i])}"
                for i, c in enumerate(rr.costs)
            )
        )
    return "\n".join(lines).rstrip() + "\n"


def render(run: CurvesRun, fmt: CurvesFormat) -> str:
    """`run` as text in format `fmt` (pure)."""
    if fmt is CurvesFormat.TEXT:
        return render_text(run)
    if fmt is CurvesFormat.JSON:
        return render_json(run)
    if fmt is CurvesFormat.CSV:
        return render_csv(run)
    assert_never(fmt)
