"""`auditor curves`: exact resampling curves of a labeled corpus (text, JSON or CSV)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, assert_never

import click
import numpy as np

from auditor.cli import cli
from auditor.errors import InputError
from auditor.resampling import (
    AuditorSweep,
    CandidateArrays,
    Curves,
    TaskCounts,
    curves,
    parse_costs,
    rerank_curves,
    threshold_sweep,
)
from auditor.types import Label


class CurvesFormat(StrEnum):
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
    return None if isinstance(x, float) and not math.isfinite(x) else x


def render_json(run: CurvesRun) -> str:
    out: dict[str, Any] = {"source": run.source, **run.curves.to_json()}
    if run.sweep is not None and run.rerank is not None:
        sweep = run.sweep.to_json()
        sweep["thresholds"] = [_num(t) for t in sweep["thresholds"]]
        out["auditor"] = {"threshold_sweep": sweep, "rerank": run.rerank.to_json()}
        out["auditor"]["rerank"]["ceiling"] = _num(run.rerank.ceiling)
    return json.dumps(out, allow_nan=False) + "\n"


def _csv_rows(policy: str, threshold: float | None, cv: Curves) -> list[list[Any]]:
    rows = []
    for i, cost in enumerate(cv.costs):
        for j, k in enumerate(cv.k):
            rows.append(
                [
                    policy,
                    "" if threshold is None else threshold,
                    cost,
                    int(k),
                    f"{cv.accuracy[j]:.6g}",
                    f"{cv.coverage[j]:.6g}",
                    f"{cv.fp_share[j]:.6g}",
                    f"{cv.utility[i, j]:.6g}",
                ]
            )
    return rows


def render_csv(run: CurvesRun) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["policy", "threshold", "cost", "k", "accuracy", "coverage", "fp_share", "utility"])
    w.writerows(_csv_rows("first_pass", None, run.curves))
    if run.sweep is not None and run.rerank is not None:
        sw = run.sweep
        for h, t in enumerate(sw.thresholds):
            for i, cost in enumerate(sw.costs):
                for j, k in enumerate(sw.k):
                    w.writerow(
                        [
                            "auditor_filter",
                            t,
                            cost,
                            int(k),
                            f"{sw.accuracy[h, j]:.6g}",
                            f"{sw.coverage[h, j]:.6g}",
                            f"{sw.fp_share[h, j]:.6g}",
                            f"{sw.utility[h, i, j]:.6g}",
                        ]
                    )
        w.writerows(_csv_rows("auditor_rerank", None, run.rerank))
    return buf.getvalue()


def _show_ks(k: np.ndarray, extra: Sequence[int]) -> list[int]:
    kmax = int(k[-1])
    pts = {1, kmax, *(2**i for i in range(int(math.log2(kmax)) + 1)), *extra}
    return sorted(p for p in pts if 1 <= p <= kmax)


def _kopt_text(k: int, rising: bool) -> str:
    return f"{k} (still rising)" if rising else ("0 (abstain)" if k == 0 else str(k))


def render_text(run: CurvesRun) -> str:
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
                f"{cv.fp_share[j]:>9.4f} {cv.utility[i, j]:>9.4f}"
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
    if fmt is CurvesFormat.TEXT:
        return render_text(run)
    if fmt is CurvesFormat.JSON:
        return render_json(run)
    if fmt is CurvesFormat.CSV:
        return render_csv(run)
    assert_never(fmt)


# ---------------------------------------------------------------------- CLI


def _parse_thresholds(text: str | None) -> tuple[float, ...] | None:
    if not text:
        return None
    out = []
    for item in text.split(","):
        try:
            out.append(float(item))
        except ValueError:
            raise InputError(f"threshold {item.strip()!r} is not a number") from None
    return tuple(out)


@cli.command("curves")
@click.argument("labels", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--scores",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Risk scores for the auditor: JSONL or CSV of task_id, sample_id, risk, "
    "or the JSON of `auditor check`.",
)
@click.option(
    "--cost",
    "cost",
    default="0.5,1,2,4",
    show_default=True,
    help="Comma-separated false-positive cost ratios (>= 0).",
)
@click.option("--k-max", type=int, default=None, help="Largest k (default: the largest pool).")
@click.option("--replacement", is_flag=True, help="Draw with replacement (i.i.d.).")
@click.option(
    "--thresholds",
    default=None,
    help="Comma-separated risk thresholds (default: risk quantiles of weak-passers).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in CurvesFormat]),
    default="text",
    show_default=True,
)
def curves_command(
    labels: Path,
    scores: Path | None,
    cost: str,
    k_max: int | None,
    replacement: bool,
    thresholds: str | None,
    fmt: str,
) -> int:
    """Exact accuracy, coverage, false-positive share and utility against k for LABELS.

    LABELS is a labels.jsonl written by `auditor label`, or its output directory.
    """
    from auditor.corpus.labels import read_labels
    from auditor.study.scores import read_scores

    costs = parse_costs(cost)
    run = compute(
        read_labels(labels),
        costs,
        k_max=k_max,
        replacement=replacement,
        scores=read_scores(scores) if scores else None,
        thresholds=_parse_thresholds(thresholds),
        source=str(labels),
    )
    click.echo(render(run, CurvesFormat(fmt)), nl=False)
    return 0
