"""The report's sections: one function per section, each turning a `Study` into a `Section`.

The HTML page and the Markdown report both walk `sections(study)`, so they always say the
same thing. The paper's published numbers come from `auditor.study.paper`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from auditor.resampling import Estimate, two_type_optimum
from auditor.study.analysis import MIN_BENCHMARK_TASKS, BenchmarkFit, CorpusStudy, Study
from auditor.study.fit import Fit
from auditor.study.paper import BY_BENCHMARK, HUMANEVAL_PLUS, WORKED_EXAMPLE


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
    """A bootstrapped k_opt with its interval; '+' when utility still rises at the largest k."""
    plus = "+" if rising else ""
    return f"{int(e.value)}{plus} [{int(e.lo)}, {int(e.hi)}]"


def _k(k: int | np.integer, rising: bool | np.bool_) -> str:
    """A k_opt cell: '+' when utility still rises at the largest k."""
    return f"{int(k)}{'+' if rising else ''}"


# Below this many models a fit's section says what it cannot support.
SMALL_FIT = 10


def _kopt_headers(study: Study) -> tuple[str, ...]:
    return tuple(f"k_opt @ {c:g}" for c in study.costs)


def models_section(study: Study) -> Section:
    """Per-corpus point estimates with bootstrap intervals."""
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
    level = round(study.corpora[0].summary.level * 100)
    text = (
        f"Point estimates with {level}% percentile bootstrap intervals over tasks "
        f"({study.n_boot} replicates, seed {study.seed}). Ceiling = mean over tasks with "
        "a weak pass of P(strong | weak). FP share = false positives among weak passes. "
        "k_opt = smallest k maximising expected utility of draw-until-pass without "
        "replacement (+1 correct, -cost false positive, 0 no answer); 0 = abstain; "
        "'+' = still rising at the largest k."
    )
    headers = (
        "corpus",
        "model",
        "tasks",
        "samples",
        "pass@1 (strong)",
        "pass@1 (weak)",
        "ceiling",
        "FP share",
        *_kopt_headers(study),
    )
    return Section("models", "Per model", (text,), headers, tuple(rows))


def benchmarks_section(study: Study) -> Section:
    """Each corpus's pass@1 and ceiling over each benchmark's tasks separately."""
    rows = tuple(
        (p.corpus, bf.benchmark, str(p.n_tasks), _est(p.pass1), _est(p.ceiling))
        for bf in study.benchmark_fits
        for p in bf.points
    )
    mix = "; ".join(
        f"{c.name}: " + ", ".join(f"{n} {b}" for b, n in c.task_mix) for c in study.corpora
    )
    text = (
        f"Tasks per corpus by benchmark: {mix}. Each row uses one benchmark's tasks only "
        "(intervals: bootstrap over those tasks). A corpus that mixes benchmarks gets a row "
        f"for a benchmark only with at least {MIN_BENCHMARK_TASKS} of its tasks.",
    )
    return Section(
        "benchmarks",
        "Per model and benchmark",
        text,
        ("corpus", "benchmark", "tasks", "pass@1 (strong)", "ceiling"),
        rows,
    )


def _p(p: float) -> str:
    return f"{p:.2f}" if p >= 0.01 else f"{p:.1e}"


def _fit_cells(f: Fit | None) -> tuple[str, ...]:
    """slope [95% CI], intercept, R², F-test p (n/a where the fit cannot give them)."""
    if f is None:
        return ("n/a",) * 4
    slope = _f(f.slope, 2)
    if not math.isnan(f.slope_lo):
        slope += f" [{_f(f.slope_lo, 2)}, {_f(f.slope_hi, 2)}]"
    p = "" if math.isnan(f.p_value) else _p(f.p_value)
    return (slope, _f(f.intercept, 2), _f(f.r2, 2), p)


def _fit_rows(study: Study) -> list[tuple[str, ...]]:
    """Per benchmark our fit then the paper's; last, ours over all tasks."""
    rows: list[tuple[str, ...]] = []
    for bf in study.benchmark_fits:
        rows.append(("ours", bf.benchmark, *_fit_cells(bf.fit), str(len(bf.points))))
        if (paper := BY_BENCHMARK.get(bf.benchmark)) is not None:
            rows.append(("paper", paper.name, *_fit_cells(paper.fit), str(paper.fit.n)))
    mixed = len(study.benchmark_fits) > 1
    tasks = "all tasks (mixed benchmarks)" if mixed else "all tasks"
    rows.append(("ours", tasks, *_fit_cells(study.fit), str(len(study.corpora))))
    return rows


def _small_fit_text(label: str, bf: BenchmarkFit, paper: Fit | None) -> str | None:
    """What a fit over few models cannot support, in numbers; None when n is large enough."""
    f = bf.fit
    if f is None:
        names = ", ".join(p.corpus for p in bf.points)
        k = len(bf.points)
        return (
            f"{label}: only {k} model{'s' if k > 1 else ''} ({names}) and no two with "
            "different pass@1; a line needs at least two."
            if k > 1
            else f"{label}: only 1 model ({names}); a line needs at least two."
        )
    if f.n == 2:
        return f"{label}: a line through 2 points fits them exactly; its R² = 1 says nothing."
    if f.n >= SMALL_FIT:
        return None
    df = f.n - 2
    text = (
        f"{label}: n = {f.n} models, {df} residual degree{'s' if df > 1 else ''} of freedom. "
        f"Points with no linear relation at all would give R² ≥ {_f(f.r2, 2)} with "
        f"probability {_p(f.p_value)} (F-test), and the slope's 95% interval is "
        f"[{_f(f.slope_lo, 2)}, {_f(f.slope_hi, 2)}]: the fit cannot show that the ceiling "
        "rises linearly with pass@1"
    )
    if paper is not None and f.slope_lo <= paper.slope <= f.slope_hi:
        text += f", nor that its slope differs from the paper's {paper.slope:.2f}"
    sizes = sorted({p.n_tasks for p in bf.points})
    if len(sizes) > 1:
        text += (
            f". Its points also cover different numbers of {bf.benchmark} tasks "
            f"({sizes[0]} to {sizes[-1]}), and a subset's difficulty moves its point"
        )
    return text + "."


def _mixed_text(study: Study) -> str | None:
    """Why a line through corpora on different task sets is not the paper's per-benchmark fit."""
    if len(study.benchmark_fits) <= 1 and all(len(c.task_mix) <= 1 for c in study.corpora):
        return None
    mixed = [
        f"{c.name} ({', '.join(f'{n} {b}' for b, n in c.task_mix)})"
        for c in study.corpora
        if len(c.task_mix) > 1
    ]
    return (
        "The corpora cover different task sets"
        + (f"; mixed: {', '.join(mixed)}" if mixed else "")
        + ". A point's pass@1 and ceiling depend on its tasks as much as on its model "
        "(benchmarks differ in difficulty and in how weak their base tests are), so a line "
        "through points on different task sets compares task sets as well as models, and the "
        "paper's fits are per benchmark. Hence one line per benchmark, each over that "
        "benchmark's tasks only; the all-tasks line is listed for reference, not comparison."
    )


def _best_text(study: Study) -> list[str]:
    """Per benchmark: the best single-sample accuracy and the ceilings below it."""
    out = []
    for bf in study.benchmark_fits:
        if len(bf.points) < 2:
            continue
        best = max(bf.points, key=lambda p: p.pass1.value)
        below = [p.corpus for p in bf.points if p.ceiling.value < best.pass1.value]
        out.append(
            f"On {bf.benchmark} tasks the best single-sample accuracy is {best.corpus}'s "
            f"{_f(best.pass1.value)}. "
            + (
                f"Ceilings below it: {', '.join(below)}."
                if below
                else "No other model's ceiling lies below it."
            )
        )
    return out


def ceiling_section(study: Study) -> Section:
    """Our pass@1-vs-ceiling fits per benchmark beside the paper's (Figure 1a)."""
    he = HUMANEVAL_PLUS
    ours = {bf.benchmark for bf in study.benchmark_fits}
    if he.name in ours:
        paper_note = (
            f"Grey squares are the paper's {len(he.points)} published {he.name} points, drawn "
            f"on the {he.name} panel only; grey dashed lines are the paper's fits."
        )
    elif ours & set(BY_BENCHMARK):
        paper_note = "Grey dashed lines are the paper's fits for the same benchmark."
    else:
        paper_note = "The paper published no fit for these benchmarks, so none is drawn."
    text = [
        "Each model's single-sample accuracy against its resampling ceiling (the paper's "
        "Figure 1a), one panel per benchmark, with a least-squares line per benchmark. The "
        "dotted line is the best model's single-sample accuracy on that benchmark: models "
        "whose ceiling lies below it cannot reach it by resampling against the weak tests, "
        f"however many samples they draw. {paper_note}"
    ]
    text += filter(None, [_mixed_text(study)])
    for bf in study.benchmark_fits:
        paper = BY_BENCHMARK.get(bf.benchmark)
        paper_fit = None if paper is None else paper.fit
        note = _small_fit_text(f"Our {bf.benchmark} fit", bf, paper_fit)
        text += filter(None, [note])
    text += _best_text(study)
    text.append(
        f"The paper's published {he.name} numbers are listed below for comparison (pass@1 -> "
        "ceiling)."
    )
    return Section(
        "ceiling",
        "Single-sample accuracy vs. resampling ceiling",
        tuple(text),
        ("fit", "tasks", "slope [95% CI]", "intercept", "R²", "F-test p", "n"),
        tuple(_fit_rows(study)),
        "ceiling.png",
    )


def paper_points_section(study: Study) -> Section:
    """The paper's published per-model points, for reference."""
    paper = HUMANEVAL_PLUS
    return Section(
        "paper_points",
        f"The paper's {paper.name} models (reference)",
        (f"Read from the paper's notebooks ({paper.n_tasks} tasks after its exclusions).",),
        ("model", "pass@1", "ceiling"),
        tuple((p.model, _f(p.pass1), _f(p.ceiling)) for p in paper.points),
    )


def utility_section(study: Study) -> Section:
    """Exact utility at k_opt, at k = 1 and at the largest k, per corpus and cost."""
    rows = []
    for c in study.corpora:
        cv = c.curves
        for i, cost in enumerate(cv.costs):
            ko = int(cv.k_opt[i])
            u = 0.0 if ko == 0 else float(cv.utility[i, ko - 1])
            rows.append(
                (
                    c.name,
                    f"{cost:g}",
                    _k(ko, cv.rising[i]),
                    _f(u),
                    _f(float(cv.utility[i, 0])),
                    _f(float(cv.utility[i, -1])),
                )
            )
    return Section(
        "utility",
        "Utility against k",
        (
            "Exact expected utility of draw-until-pass (without replacement, k up to the "
            "pool size) for each cost ratio; the shaded band is a 95% bootstrap interval "
            "over tasks.",
        ),
        ("corpus", "cost", "k_opt", "utility @ k_opt", "utility @ 1", "utility @ K"),
        tuple(rows),
        "utility.png",
    )


def first_pass_section(study: Study) -> Section:
    """False-positive rate of the accepted answer by first-pass bucket, one column per corpus."""
    nb = max(len(c.buckets.lo) for c in study.corpora)
    longest = max(study.corpora, key=lambda c: len(c.buckets.lo)).buckets.labels()
    rows = []
    for j in range(nb):
        cells = [longest[j]]
        for c in study.corpora:
            b = c.buckets
            cells.append(f"{_f(b.fp_rate[j])} ({b.mass[j]:.1f})" if j < len(b.lo) else "n/a")
        rows.append(tuple(cells))
    return Section(
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
        tuple(rows),
        "first_pass.png",
    )


def _two_type_cells(k_opts: list[int | None], keep: list[bool]) -> tuple[str, ...]:
    return tuple("keep sampling" if kp else str(k) for k, kp in zip(k_opts, keep, strict=True))


def two_type_section(study: Study) -> Section:
    """The two-type model's parameters and k_opt per corpus, and the paper's worked example."""
    rows = []
    for c in study.corpora:
        p = c.two_type
        opts = c.two_type_opt
        rows.append(
            (
                c.name,
                *(_f(v) for v in (p.p1, p.r1, p.r2, p.s, p.boundary(2))),
                *_two_type_cells([o.k_opt for o in opts], [o.keep_sampling for o in opts]),
            )
        )
    ex = WORKED_EXAMPLE
    w = ex.params
    ours = [two_type_optimum(w, c) for c in study.costs]
    rows.append(
        (
            f"paper's worked example ({ex.model})",
            *(_f(v) for v in (w.p1, w.r1, w.r2, w.s, w.boundary(2))),
            *_two_type_cells([o.k_opt for o in ours], [o.keep_sampling for o in ours]),
        )
    )
    reported = " / ".join(str(k) for k in ex.k_opt)
    ratios = " / ".join(f"{c:g}" for c in ex.costs)
    text = (
        "Parameters estimated as in the paper: easy tasks have pass@1 > 0.5 (share p₁, "
        "mean pass@1 r₁), hard tasks the rest (r₂); completeness c = 1 and soundness "
        "s = (1 - B - P + C·B)/(1 - P). Expected utility is exact: draw k contributes "
        "Σᵢ pᵢ βᵢ^(k-1) [rᵢ - cost (1 - rᵢ)(1 - s)] with βᵢ = s(1 - rᵢ), i.e. the prior "
        "probability of reaching draw k (the published heatmap used the posterior). "
        "k_opt comes from the closed-form sign change of the increments. Below the "
        "boundary ratio r₂/((1 - r₂)(1 - s)) every draw has positive value and utility "
        "keeps rising: 'keep sampling', not a large k from floating-point noise. The "
        f"last row recomputes the paper's worked example (it reports k_opt = {reported} at "
        f"ratios {ratios}; this model gives the same)."
    )
    return Section(
        "two_type",
        "The paper's two-type model",
        (text,),
        ("corpus", "p₁", "r₁", "r₂", "s", "boundary", *_kopt_headers(study)),
        tuple(rows),
        "two_type.png",
    )


_STYLE_TITLE = "Style adherence: false positives vs. correct solutions"


def style_section(study: Study) -> Section:
    """Rule-family adherence given false positive, correct and weak pass."""
    if not any(c.style for c in study.corpora):
        return Section(
            "style",
            _STYLE_TITLE,
            ("Skipped: no candidates (solution text) were available for these labels.",),
        )
    rows = [
        (
            c.name,
            r.title,
            _est(r.fp),
            _est(r.correct),
            _est(r.weak),
            _est(r.diff),
            f"{_est(r.within)} ({r.n_tasks_both})",
        )
        for c in study.corpora
        for r in c.style or ()
    ]
    text = (
        "The paper's Section 5 asked whether false positives follow style "
        "instructions less often. Here 'adheres' means the candidate has no finding "
        "of the rule family (auditor's own rules, one libcst pass per distinct "
        "program), among candidates that pass the weak tests. Intervals resample "
        "tasks; difference = correct - false positive, pooled. Pooled rates mix "
        "tasks (false positives cluster in hard tasks, and candidates share their "
        "task's prompt text), so the last column compares within each task having "
        "both labels and averages over those tasks."
    )
    headers = (
        "corpus",
        "family",
        "given FP",
        "given correct",
        "given weak pass",
        "difference",
        "within-task difference (tasks)",
    )
    return Section("style", _STYLE_TITLE, (text,), headers, tuple(rows), "style.png")


def feature_sections(study: Study) -> tuple[Section, ...]:
    """One section per feature table: the features that best separate FP from correct."""
    title = "Features separating false positives from correct solutions"
    if not study.features:
        return (Section("features", title, ("Skipped: no feature table was given (--features).",)),)
    return tuple(
        Section(
            f"features_{fs.source}",
            f"{title} ({fs.source})",
            (
                f"Within-task ROC-AUC of each feature for false positive ({fs.n_fp}) "
                f"against correct ({fs.n_correct}), averaged over tasks having both; "
                "ranked by distance from 0.5 (> 0.5: higher in false positives).",
            ),
            ("feature", "within-task AUC", "tasks"),
            tuple((r.column, _f(r.auc), str(r.n_groups)) for r in fs.rows),
        )
        for fs in study.features
    )


def _pick_thresholds(
    accepted: np.ndarray, shares: tuple[float, ...] = (0.5, 0.7, 0.9)
) -> list[int]:
    """Sweep rows whose accepted share is nearest to a few round values."""
    finite = np.arange(len(accepted) - 1)  # the last row is 'no filter'
    if len(finite) == 0:
        return []
    return sorted({int(finite[np.argmin(np.abs(accepted[finite] - s))]) for s in shares})


def _tasks_lost(share: float, n_solvable: int) -> str:
    return f"{_f(share)} ({round(share * n_solvable)}/{n_solvable})"


def _auditor_rows(c: CorpusStudy) -> list[tuple[str, ...]]:
    """No auditor, a few filter thresholds, and the re-rank policy for one corpus.

    'accuracy @ K' is over all tasks (a task with no accepted answer scores 0), unlike the
    ceiling, which averages over the tasks that keep a weak pass.
    """
    assert c.auditor is not None
    sw, rr, cv = c.auditor.sweep, c.auditor.rerank, c.curves
    n_solvable = c.auditor.n_solvable
    n_costs = len(cv.costs)
    rows = [
        (
            c.name,
            "no auditor",
            "1.000",
            _f(cv.ceiling),
            "0.000",
            _tasks_lost(0.0, n_solvable),
            _f(float(cv.accuracy[-1])),
            *(_k(cv.k_opt[i], cv.rising[i]) for i in range(n_costs)),
        )
    ]
    for h in _pick_thresholds(sw.accepted_share):
        rows.append(
            (
                c.name,
                f"filter risk < {sw.thresholds[h]:.3g}",
                _f(float(sw.accepted_share[h])),
                _f(float(sw.ceiling[h])),
                _f(float(sw.correct_lost[h])),
                _tasks_lost(float(sw.tasks_lost[h]), n_solvable),
                _f(float(sw.accuracy[h, -1])),
                *(_k(sw.k_opt[h, i], sw.rising[h, i]) for i in range(n_costs)),
            )
        )
    rows.append(
        (
            c.name,
            "re-rank (lowest risk of k)",
            "1.000",
            _f(rr.ceiling),
            "0.000",
            _tasks_lost(0.0, n_solvable),
            _f(float(rr.accuracy[-1])),
            *(_k(rr.k_opt[i], rr.rising[i]) for i in range(n_costs)),
        )
    )
    return rows


def auditor_section(study: Study) -> Section:
    """What the auditor changes as a second verifier (filter) or a re-ranker."""
    title = "What the auditor changes"
    with_scores = [c for c in study.corpora if c.auditor is not None]
    if not with_scores:
        return Section("auditor", title, ("Skipped: no risk scores were given (--scores).",))
    text = (
        "The auditor as a second verifier: a candidate is accepted only if it passes "
        "the weak tests and its risk is under the threshold (b and c per task become "
        "b' and c', ceiling c'/b'), or the re-rank policy draws k candidates and "
        "submits the lowest-risk weak-passer (exact expectation via order statistics). "
        "'accepted' = share of weak passes kept; 'correct lost' = share of correct "
        "solutions the filter rejects.",
        "The ceiling averages only over the tasks that keep a weak pass, so a filter can "
        "raise it while answering fewer tasks correctly. 'solvable tasks lost' = share (and "
        "count) of the tasks with a correct candidate whose every correct candidate the "
        "filter rejects; 'accuracy @ K' = expected accuracy over all tasks at the largest k "
        "(a task with no accepted answer counts as wrong).",
    )
    headers = (
        "corpus",
        "policy",
        "accepted",
        "ceiling",
        "correct lost",
        "solvable tasks lost",
        "accuracy @ K (all tasks)",
        *_kopt_headers(study),
    )
    rows = tuple(row for c in with_scores for row in _auditor_rows(c))
    return Section("auditor", title, text, headers, rows, "auditor.png")


def sections(study: Study) -> tuple[Section, ...]:
    """The report's sections in order."""
    return (
        models_section(study),
        benchmarks_section(study),
        ceiling_section(study),
        paper_points_section(study),
        utility_section(study),
        first_pass_section(study),
        two_type_section(study),
        style_section(study),
        *feature_sections(study),
        auditor_section(study),
    )
