"""Renderers of a `Study`: pure functions returning HTML, Markdown and JSON text.

Both document renderers walk the same `sections(study)` so the HTML page and the Markdown
report always say the same thing; the HTML embeds its figures as base64 PNG, the Markdown
links them by file name.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from auditor import __version__
from auditor.resampling import Estimate, TwoTypeParams, two_type_optimum
from auditor.study.analysis import Study

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Section:
    """One titled part of the report: prose, an optional table and an optional figure."""

    key: str
    title: str
    text: tuple[str, ...]
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    figure: str | None = None


def _f(x: float, digits: int = 3) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _est(e: Estimate, digits: int = 3) -> str:
    if math.isnan(e.lo):
        return _f(e.value, digits)
    return f"{_f(e.value, digits)} [{_f(e.lo, digits)}, {_f(e.hi, digits)}]"


def _kopt(e: Estimate, rising: bool) -> str:
    plus = "+" if rising else ""
    return f"{int(e.value)}{plus} [{int(e.lo)}, {int(e.hi)}]"


def sections(study: Study) -> tuple[Section, ...]:
    """The report's sections in order."""
    costs = study.costs
    level = round(study.corpora[0].summary.level * 100)
    out: list[Section] = []

    rows = []
    for c in study.corpora:
        s = c.summary
        rows.append(
            (
                c.name,
                c.model or "",
                str(s.n_tasks),
                str(s.n_samples),
                _est(s.pass1),
                _est(s.weak_pass1),
                _est(s.ceiling),
                _est(s.fp_share),
                *(_kopt(e, r) for e, r in zip(s.k_opt, s.k_opt_rising, strict=True)),
            )
        )
    out.append(
        Section(
            "models",
            "Per model",
            (
                f"Point estimates with {level}% percentile bootstrap intervals over tasks "
                f"({study.n_boot} replicates, seed {study.seed}). Ceiling = mean over tasks with "
                "a weak pass of P(strong | weak). FP share = false positives among weak passes. "
                "k_opt = smallest k maximising expected utility of draw-until-pass without "
                "replacement (+1 correct, -cost false positive, 0 no answer); 0 = abstain; "
                "'+' = still rising at the largest k.",
            ),
            (
                "corpus",
                "model",
                "tasks",
                "samples",
                "pass@1 (strong)",
                "pass@1 (weak)",
                "ceiling",
                "FP share",
                *(f"k_opt @ {c:g}" for c in costs),
            ),
            tuple(rows),
        )
    )

    pf = study.paper_fit
    fit_rows = [
        (
            "paper (HumanEval+, 17 models)",
            _f(pf.slope, 2),
            _f(pf.intercept, 2),
            _f(pf.r2, 2),
            str(pf.n),
        )
    ]
    text = [
        "Each model's single-sample accuracy against its resampling ceiling (the paper's "
        "Figure 1a), with a least-squares line. The dotted line is the best model's "
        "single-sample accuracy: models whose ceiling lies below it cannot reach it by "
        "resampling against the weak tests, however many samples they draw. Grey squares are "
        "the paper's 17 published HumanEval+ points, shown for reference."
    ]
    if study.fit is not None:
        f = study.fit
        fit_rows.insert(0, ("ours", _f(f.slope, 2), _f(f.intercept, 2), _f(f.r2, 2), str(f.n)))
        if f.n <= 3:
            text.append(f"Our fit has only {f.n} models, so its R² says little.")
    else:
        text.append("Our fit needs at least two models with different pass@1.")
    best = study.best
    below = [c.name for c in study.corpora if c.summary.ceiling.value < best.summary.pass1.value]
    text.append(
        f"Best single-sample accuracy: {best.name} at {_f(best.summary.pass1.value)}. "
        + (
            f"Ceilings below it: {', '.join(below)}."
            if below
            else "No other model's ceiling lies below it."
        )
    )
    paper_rows = tuple((m, _f(p), _f(c)) for m, p, c in study.paper_points)
    text.append(
        "The paper's published HumanEval+ numbers are listed below for comparison (pass@1 -> "
        "ceiling); its MBPP+ fit was 0.23x + 0.67, R² = 0.89 (n = 10)."
    )
    out.append(
        Section(
            "ceiling",
            "Single-sample accuracy vs. resampling ceiling",
            tuple(text),
            ("fit", "slope", "intercept", "R²", "n"),
            tuple(fit_rows),
            "ceiling.png",
        )
    )
    out.append(
        Section(
            "paper_points",
            "The paper's HumanEval+ models (reference)",
            ("Read from the paper's notebooks (150 tasks after its exclusions).",),
            ("model", "pass@1", "ceiling"),
            paper_rows,
        )
    )

    util_rows = []
    for c in study.corpora:
        for i, cost in enumerate(c.curves.costs):
            ko = int(c.curves.k_opt[i])
            u = 0.0 if ko == 0 else float(c.curves.utility[i, ko - 1])
            util_rows.append(
                (
                    c.name,
                    f"{cost:g}",
                    f"{ko}{'+' if c.curves.rising[i] else ''}",
                    _f(u),
                    _f(float(c.curves.utility[i, 0])),
                    _f(float(c.curves.utility[i, -1])),
                )
            )
    out.append(
        Section(
            "utility",
            "Utility against k",
            (
                "Exact expected utility of draw-until-pass (without replacement, k up to the "
                "pool size) for each cost ratio; the shaded band is a 95% bootstrap interval "
                "over tasks.",
            ),
            ("corpus", "cost", "k_opt", "utility @ k_opt", "utility @ 1", "utility @ K"),
            tuple(util_rows),
            "utility.png",
        )
    )

    nb = max(len(c.buckets.lo) for c in study.corpora)
    longest = max(study.corpora, key=lambda c: len(c.buckets.lo)).buckets.labels()
    bucket_rows = []
    for j in range(nb):
        cells = [longest[j]]
        for c in study.corpora:
            b = c.buckets
            cells.append(f"{_f(b.fp_rate[j])} ({b.mass[j]:.1f})" if j < len(b.lo) else "n/a")
        bucket_rows.append(tuple(cells))
    out.append(
        Section(
            "first_pass",
            "False positives by first-pass draw",
            (
                "The false-positive rate of the accepted answer by the draw at which the first "
                "weak pass happened (power-of-2 buckets), computed exactly: P(first pass at draw "
                "j) per task, weighted by the task's (b - c)/b. In brackets: the expected number "
                "of tasks whose first pass falls in the bucket. Late first passes come from hard "
                "tasks, where most weak passes are false positives.",
            ),
            ("first pass at draw", *(c.name for c in study.corpora)),
            tuple(bucket_rows),
            "first_pass.png",
        )
    )

    tt_rows = []
    for c in study.corpora:
        p = c.two_type
        tt_rows.append(
            (
                c.name,
                _f(p.p1),
                _f(p.r1),
                _f(p.r2),
                _f(p.s),
                _f(p.boundary(2)),
                *("keep sampling" if o.keep_sampling else str(o.k_opt) for o in c.two_type_opt),
            )
        )
    worked = TwoTypeParams(p1=0.56, r1=0.874, r2=0.138, s=0.752)
    tt_rows.append(
        (
            "paper's worked example (Llama 3.1 8B)",
            _f(worked.p1),
            _f(worked.r1),
            _f(worked.r2),
            _f(worked.s),
            _f(worked.boundary(2)),
            *(
                "keep sampling" if o.keep_sampling else str(o.k_opt)
                for o in (two_type_optimum(worked, c) for c in costs)
            ),
        )
    )
    out.append(
        Section(
            "two_type",
            "The paper's two-type model",
            (
                "Parameters estimated as in the paper: easy tasks have pass@1 > 0.5 (share p₁, "
                "mean pass@1 r₁), hard tasks the rest (r₂); completeness c = 1 and soundness "
                "s = (1 - B - P + C·B)/(1 - P). Expected utility is exact: draw k contributes "
                "Σᵢ pᵢ βᵢ^(k-1) [rᵢ - cost (1 - rᵢ)(1 - s)] with βᵢ = s(1 - rᵢ), i.e. the prior "
                "probability of reaching draw k (the published heatmap used the posterior). "
                "k_opt comes from the closed-form sign change of the increments. Below the "
                "boundary ratio r₂/((1 - r₂)(1 - s)) every draw has positive value and utility "
                "keeps rising: 'keep sampling', not a large k from floating-point noise. The "
                "last row recomputes the paper's worked example (it reports k_opt = 3 / 2 / 1 at "
                "ratios 0.7 / 1 / 2; this model gives the same).",
            ),
            ("corpus", "p₁", "r₁", "r₂", "s", "boundary", *(f"k_opt @ {c:g}" for c in costs)),
            tuple(tt_rows),
            "two_type.png",
        )
    )

    if any(c.style for c in study.corpora):
        st_rows = []
        for c in study.corpora:
            for r in c.style or ():
                st_rows.append(
                    (
                        c.name,
                        r.title,
                        _est(r.fp),
                        _est(r.correct),
                        _est(r.weak),
                        _est(r.diff),
                        f"{_est(r.within)} ({r.n_tasks_both})",
                    )
                )
        out.append(
            Section(
                "style",
                "Style adherence: false positives vs. correct solutions",
                (
                    "The paper's Section 5 asked whether false positives follow style "
                    "instructions less often. Here 'adheres' means the candidate has no finding "
                    "of the rule family (auditor's own rules, one libcst pass per distinct "
                    "program), among candidates that pass the weak tests. Intervals resample "
                    "tasks; difference = correct - false positive, pooled. Pooled rates mix "
                    "tasks (false positives cluster in hard tasks, and candidates share their "
                    "task's prompt text), so the last column compares within each task having "
                    "both labels and averages over those tasks.",
                ),
                (
                    "corpus",
                    "family",
                    "given FP",
                    "given correct",
                    "given weak pass",
                    "difference",
                    "within-task difference (tasks)",
                ),
                tuple(st_rows),
                "style.png",
            )
        )
    else:
        out.append(
            Section(
                "style",
                "Style adherence: false positives vs. correct solutions",
                ("Skipped: no candidates (solution text) were available for these labels.",),
            )
        )

    if study.features:
        for fs in study.features:
            out.append(
                Section(
                    f"features_{fs.source}",
                    f"Features separating false positives from correct solutions ({fs.source})",
                    (
                        f"Within-task ROC-AUC of each feature for false positive ({fs.n_fp}) "
                        f"against correct ({fs.n_correct}), averaged over tasks having both; "
                        "ranked by distance from 0.5 (> 0.5: higher in false positives).",
                    ),
                    ("feature", "within-task AUC", "tasks"),
                    tuple((r.column, _f(r.auc), str(r.n_groups)) for r in fs.rows),
                )
            )
    else:
        out.append(
            Section(
                "features",
                "Features separating false positives from correct solutions",
                ("Skipped: no feature table was given (--features).",),
            )
        )

    aud = [c for c in study.corpora if c.auditor is not None]
    if aud:
        a_rows = []
        for c in aud:
            assert c.auditor is not None
            sw, rr = c.auditor.sweep, c.auditor.rerank
            a_rows.append(
                (
                    c.name,
                    "no auditor",
                    "1.000",
                    _f(c.curves.ceiling),
                    "0.000",
                    *(
                        f"{int(c.curves.k_opt[i])}{'+' if c.curves.rising[i] else ''}"
                        for i in range(len(costs))
                    ),
                )
            )
            for h in _pick_thresholds(sw.accepted_share):
                a_rows.append(
                    (
                        c.name,
                        f"filter risk < {sw.thresholds[h]:.3g}",
                        _f(float(sw.accepted_share[h])),
                        _f(float(sw.ceiling[h])),
                        _f(float(sw.correct_lost[h])),
                        *(
                            f"{int(sw.k_opt[h, i])}{'+' if sw.rising[h, i] else ''}"
                            for i in range(len(costs))
                        ),
                    )
                )
            a_rows.append(
                (
                    c.name,
                    "re-rank (lowest risk of k)",
                    "1.000",
                    _f(rr.ceiling),
                    "0.000",
                    *(
                        f"{int(rr.k_opt[i])}{'+' if rr.rising[i] else ''}"
                        for i in range(len(costs))
                    ),
                )
            )
        out.append(
            Section(
                "auditor",
                "What the auditor changes",
                (
                    "The auditor as a second verifier: a candidate is accepted only if it passes "
                    "the weak tests and its risk is under the threshold (b and c per task become "
                    "b' and c', ceiling c'/b'), or the re-rank policy draws k candidates and "
                    "submits the lowest-risk weak-passer (exact expectation via order statistics). "
                    "'accepted' = share of weak passes kept; 'correct lost' = share of correct "
                    "solutions the filter rejects.",
                ),
                (
                    "corpus",
                    "policy",
                    "accepted",
                    "ceiling",
                    "correct lost",
                    *(f"k_opt @ {c:g}" for c in costs),
                ),
                tuple(a_rows),
                "auditor.png",
            )
        )
    else:
        out.append(
            Section(
                "auditor",
                "What the auditor changes",
                ("Skipped: no risk scores were given (--scores).",),
            )
        )
    return tuple(out)


def _pick_thresholds(
    accepted: np.ndarray, shares: tuple[float, ...] = (0.5, 0.7, 0.9)
) -> list[int]:
    """Sweep rows whose accepted share is nearest to a few round values."""
    finite = np.arange(len(accepted) - 1)  # the last row is 'no filter'
    if len(finite) == 0:
        return []
    return sorted({int(finite[np.argmin(np.abs(accepted[finite] - s))]) for s in shares})


# ------------------------------------------------------------------ markdown


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|")


def render_markdown(study: Study, figures: Mapping[str, str] | None = None) -> str:
    """Markdown report; `figures` maps a figure name to the path to link (omitted if absent)."""
    figures = figures or {}
    lines = [
        "# Resampling with imperfect verifiers: reproduction",
        "",
        f"Generated by auditor {__version__} (`auditor report`). Corpora: "
        + ", ".join(f"{c.name} ({c.summary.n_tasks} tasks)" for c in study.corpora)
        + ". Aggregates only; no solution text.",
        "",
    ]
    for note in study.notes:
        lines += [f"> {note}", ""]
    for sec in sections(study):
        lines += [f"## {sec.title}", ""]
        for t in sec.text:
            lines += [t, ""]
        if sec.headers:
            lines.append("| " + " | ".join(_md_cell(h) for h in sec.headers) + " |")
            lines.append("|" + "---|" * len(sec.headers))
            for row in sec.rows:
                lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
            lines.append("")
        if sec.figure and sec.figure in figures:
            lines += [f"![{sec.title}]({figures[sec.figure]})", ""]
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------------- html


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(study: Study, figures: Mapping[str, bytes] | None = None) -> str:
    """A self-contained HTML page; figures (PNG bytes) are embedded as data URIs."""
    if figures is None:
        from auditor.study.figures import make_figures

        figures = make_figures(study)
    images = {
        name: "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        for name, data in figures.items()
    }
    return (
        _env()
        .get_template("report.html.j2")
        .render(study=study, sections=sections(study), images=images, version=__version__)
    )


# ---------------------------------------------------------------------- json


def _clean(x: Any) -> Any:
    """JSON-safe: NaN/inf become None, numpy scalars become Python numbers."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return _clean(x.tolist())
    if isinstance(x, np.generic):
        return _clean(x.item())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def study_json(study: Study) -> dict[str, Any]:
    """The study as plain JSON data."""
    corpora = []
    for c in study.corpora:
        cv = c.curves
        entry: dict[str, Any] = {
            "name": c.name,
            "model": c.model,
            "summary": c.summary.to_json(),
            "curves": {
                "k": cv.k,
                "accuracy": cv.accuracy,
                "coverage": cv.coverage,
                "fp_share": cv.fp_share,
                "utility": {str(cost): cv.utility[i] for i, cost in enumerate(cv.costs)},
                "utility_ci_lo": {str(cost): c.utility_lo[i] for i, cost in enumerate(cv.costs)},
                "utility_ci_hi": {str(cost): c.utility_hi[i] for i, cost in enumerate(cv.costs)},
                "k_opt": {str(cost): int(cv.k_opt[i]) for i, cost in enumerate(cv.costs)},
                "rising_at_k_max": {
                    str(cost): bool(cv.rising[i]) for i, cost in enumerate(cv.costs)
                },
                "ceiling": cv.ceiling,
            },
            "first_pass_buckets": c.buckets.to_json(),
            "two_type_model": {
                "params": c.two_type.to_json(),
                "optimum": [o.to_json() for o in c.two_type_opt],
            },
            "style": None if c.style is None else [r.to_json() for r in c.style],
            "auditor": None,
        }
        if c.auditor is not None:
            entry["auditor"] = {
                "threshold_sweep": c.auditor.sweep.to_json(),
                "rerank": {
                    "ceiling": c.auditor.rerank.ceiling,
                    "k_opt": {
                        str(cost): int(c.auditor.rerank.k_opt[i])
                        for i, cost in enumerate(c.auditor.rerank.costs)
                    },
                    "accuracy": c.auditor.rerank.accuracy,
                },
            }
        corpora.append(entry)
    return _clean(
        {
            "schema": "auditor.study/1",
            "auditor_version": __version__,
            "seed": study.seed,
            "n_boot": study.n_boot,
            "costs": list(study.costs),
            "corpora": corpora,
            "fit": None if study.fit is None else study.fit.to_json(),
            "paper": {
                "fit": study.paper_fit.to_json(),
                "points": [
                    {"model": m, "pass1": p, "ceiling": c} for m, p, c in study.paper_points
                ],
            },
            "features": [f.to_json() for f in study.features],
            "notes": list(study.notes),
        }
    )


def render_json(study: Study) -> str:
    return json.dumps(study_json(study), indent=1, allow_nan=False) + "\n"
