"""The research study behind `auditor report`: a frozen aggregate of per-corpus analyses.

`build_study` turns labeled corpora (plus optional risk scores, candidates for the style
comparison, and feature tables) into a `Study`; renderers in `auditor.study.render` turn a `Study`
into HTML, Markdown and JSON. Nothing here reads or writes files.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from auditor.errors import InputError
from auditor.resampling import (
    AuditorSweep,
    CandidateArrays,
    CorpusSummary,
    Curves,
    Estimate,
    FirstPassBuckets,
    TaskCounts,
    TwoTypeOptimum,
    TwoTypeParams,
    bootstrap_curve_band,
    curves,
    estimate_two_type,
    first_pass_buckets,
    parse_costs,
    rerank_curves,
    summarize_corpus,
    threshold_sweep,
    two_type_optimum,
)
from auditor.study.fit import Fit, fit_line
from auditor.types import Candidate, FeatureTable, Label, Outcome, Status, Task

DEFAULT_COSTS = (0.5, 1.0, 2.0, 4.0)

# EvalPlus task-id prefixes; the strong tests make them the "+" benchmarks.
BENCHMARK_NAMES = {"HumanEval": "HumanEval+", "Mbpp": "MBPP+"}
# A corpus mixing benchmarks gets a point on a benchmark's line only with this many of its tasks.
MIN_BENCHMARK_TASKS = 10


def benchmark_of(task_id: str) -> str:
    """The benchmark of a task, from its id prefix: "HumanEval/0" -> "HumanEval+"."""
    prefix = task_id.split("/", 1)[0]
    return BENCHMARK_NAMES.get(prefix, prefix)


# ------------------------------------------------------------------- inputs


@dataclass(frozen=True, eq=False)
class StudyInput:
    """One labeled corpus. `candidates[i]` belongs to `labels[i]` when given."""

    name: str
    labels: tuple[Label, ...]
    candidates: tuple[Candidate, ...] | None = None
    tasks: Mapping[str, Task] | None = None
    scores: Mapping[tuple[str, str], float] | None = None
    model: str | None = None


# ----------------------------------------------------------------- sections


@dataclass(frozen=True)
class StyleRow:
    """Adherence to one rule family (no finding of it) by label, with CIs over tasks."""

    family: str
    title: str
    fp: Estimate
    correct: Estimate
    weak: Estimate
    diff: Estimate  # correct - fp, pooled
    within: Estimate  # mean over tasks with both labels of (correct - fp) adherence
    n_fp: int
    n_correct: int
    n_tasks_both: int

    def to_json(self) -> dict[str, object]:
        return {
            "family": self.family,
            "title": self.title,
            "adherence_fp": self.fp.to_json(),
            "adherence_correct": self.correct.to_json(),
            "adherence_weak_pass": self.weak.to_json(),
            "difference_correct_minus_fp": self.diff.to_json(),
            "within_task_difference": self.within.to_json(),
            "n_fp": self.n_fp,
            "n_correct": self.n_correct,
            "n_tasks_both": self.n_tasks_both,
        }


@dataclass(frozen=True)
class FeatureRow:
    column: str
    auc: float  # within-task ROC-AUC of the feature for FP (1) against correct (0)
    n_groups: int


@dataclass(frozen=True)
class FeatureSection:
    """The features that best separate false positives from correct solutions within tasks."""

    source: str
    rows: tuple[FeatureRow, ...]
    n_fp: int
    n_correct: int

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "n_fp": self.n_fp,
            "n_correct": self.n_correct,
            "features": [
                {"column": r.column, "within_task_auc": r.auc, "n_tasks": r.n_groups}
                for r in self.rows
            ],
        }


@dataclass(frozen=True, eq=False)
class AuditorSection:
    """What the auditor changes: the filter sweep and the re-rank policy, against no auditor."""

    sweep: AuditorSweep
    rerank: Curves
    n_solvable: int  # tasks with at least one correct candidate (before the filter)


@dataclass(frozen=True)
class BenchmarkPoint:
    """One corpus's pass@1 and ceiling over its tasks of one benchmark only."""

    corpus: str
    n_tasks: int
    pass1: Estimate
    ceiling: Estimate

    def to_json(self) -> dict[str, object]:
        return {
            "corpus": self.corpus,
            "n_tasks": self.n_tasks,
            "pass1": self.pass1.to_json(),
            "ceiling": self.ceiling.to_json(),
        }


@dataclass(frozen=True)
class BenchmarkFit:
    """The line through our corpora's points on one benchmark's tasks (None below 2 points)."""

    benchmark: str
    points: tuple[BenchmarkPoint, ...]
    fit: Fit | None

    def to_json(self) -> dict[str, object]:
        return {
            "benchmark": self.benchmark,
            "points": [p.to_json() for p in self.points],
            "fit": None if self.fit is None else self.fit.to_json(),
        }


@dataclass(frozen=True, eq=False)
class CorpusStudy:
    name: str
    model: str | None
    summary: CorpusSummary
    curves: Curves
    utility_lo: np.ndarray  # (C, K) bootstrap band
    utility_hi: np.ndarray
    buckets: FirstPassBuckets
    two_type: TwoTypeParams
    two_type_opt: tuple[TwoTypeOptimum, ...]
    style: tuple[StyleRow, ...] | None
    auditor: AuditorSection | None
    task_mix: tuple[tuple[str, int], ...] = ()  # (benchmark, tasks), largest first


@dataclass(frozen=True, eq=False)
class Study:
    corpora: tuple[CorpusStudy, ...]
    costs: tuple[float, ...]
    fit: Fit | None
    features: tuple[FeatureSection, ...]
    notes: tuple[str, ...]
    seed: int
    n_boot: int
    benchmark_fits: tuple[BenchmarkFit, ...] = ()

    @property
    def best(self) -> CorpusStudy:
        """The corpus with the highest single-sample accuracy."""
        return max(self.corpora, key=lambda c: c.summary.pass1.value)


# ----------------------------------------------------------------- builders


def _cluster_rate(
    hit: np.ndarray, mask: np.ndarray, task: np.ndarray, n_tasks: int, w: np.ndarray
) -> tuple[float, np.ndarray]:
    """Pooled rate of `hit` among `mask` rows, and its value on each bootstrap replicate."""
    num = np.bincount(task[mask], weights=hit[mask].astype(float), minlength=n_tasks)
    den = np.bincount(task[mask], minlength=n_tasks).astype(float)
    value = float(num.sum() / den.sum()) if den.sum() else math.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = (w @ num) / (w @ den)
    return value, reps


def _both(fp: np.ndarray, good: np.ndarray, task: np.ndarray, n_tasks: int) -> np.ndarray:
    """Tasks having at least one false positive and one correct candidate."""
    has_fp = np.bincount(task[fp], minlength=n_tasks) > 0
    has_ok = np.bincount(task[good], minlength=n_tasks) > 0
    return has_fp & has_ok


def _within_diff(
    hit: np.ndarray,
    fp: np.ndarray,
    good: np.ndarray,
    task: np.ndarray,
    n_tasks: int,
    w: np.ndarray,
) -> tuple[float, np.ndarray]:
    """Mean over tasks with both labels of rate(correct) - rate(FP): free of task mix."""
    both = _both(fp, good, task, n_tasks)
    if not both.any():
        return math.nan, np.full(len(w), math.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        r_ok = np.bincount(task[good], weights=hit[good], minlength=n_tasks) / np.bincount(
            task[good], minlength=n_tasks
        )
        r_fp = np.bincount(task[fp], weights=hit[fp], minlength=n_tasks) / np.bincount(
            task[fp], minlength=n_tasks
        )
    d = np.where(both, r_ok - r_fp, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = (w @ d) / (w @ both.astype(float))
    return float(d[both].mean()), reps


def _estimate(value: float, reps: np.ndarray, level: float = 0.95) -> Estimate:
    finite = reps[np.isfinite(reps)]
    if finite.size == 0 or math.isnan(value):
        return Estimate(value, math.nan, math.nan)
    a = (1 - level) / 2
    lo, hi = np.quantile(finite, [a, 1 - a])
    return Estimate(value, float(lo), float(hi))


def style_rows(
    labels: Sequence[Label],
    codes: Sequence[frozenset[str]],
    groups: Mapping[str, str],
    *,
    rng: np.random.Generator,
    n_boot: int,
) -> tuple[StyleRow, ...]:
    """Adherence (no finding with the group's code prefix) given FP / correct / weak pass.

    `codes[i]` are the finding codes of `labels[i]`'s candidate; `groups` maps a code prefix
    (a family such as "AUD1" or a single rule code) to its title. CIs resample tasks.
    """
    index: dict[str, int] = {}
    task = np.array([index.setdefault(lb.task_id, len(index)) for lb in labels])
    status = [lb.status for lb in labels]
    fp = np.array([s is Status.FALSE_POSITIVE for s in status])
    good = np.array([s is Status.CORRECT for s in status])
    weak = fp | good
    n_tasks = len(index)
    w = rng.multinomial(n_tasks, np.full(n_tasks, 1 / n_tasks), size=n_boot).astype(float)
    rows = []
    for prefix, title in groups.items():
        adheres = np.array([not any(c.startswith(prefix) for c in cs) for cs in codes])
        v_fp, r_fp = _cluster_rate(adheres, fp, task, n_tasks, w)
        v_ok, r_ok = _cluster_rate(adheres, good, task, n_tasks, w)
        v_wk, r_wk = _cluster_rate(adheres, weak, task, n_tasks, w)
        v_in, r_in = _within_diff(adheres, fp, good, task, n_tasks, w)
        rows.append(
            StyleRow(
                family=prefix,
                title=title,
                fp=_estimate(v_fp, r_fp),
                correct=_estimate(v_ok, r_ok),
                weak=_estimate(v_wk, r_wk),
                diff=_estimate(v_ok - v_fp, r_ok - r_fp),
                within=_estimate(v_in, r_in),
                n_fp=int(fp.sum()),
                n_correct=int(good.sum()),
                n_tasks_both=int(_both(fp, good, task, n_tasks).sum()),
            )
        )
    return tuple(rows)


def feature_section(
    source: str, table: FeatureTable, *, top: int = 15, min_groups: int = 1
) -> FeatureSection | None:
    """Rank feature columns by how far their within-task AUC (FP vs correct) is from 0.5."""
    if table.labels is None:
        return None
    status = table.labels
    keep = np.array([s in (Status.FALSE_POSITIVE, Status.CORRECT) for s in status])
    if not keep.any():
        return None
    y = np.array([s is Status.FALSE_POSITIVE for s in status])[keep].astype(int)
    tasks = np.array([k[0] for k in table.keys])[keep]
    # Only tasks having both labels carry within-task signal; dropping the rest first makes
    # the per-column AUCs much cheaper.
    both = set(tasks[y == 1]) & set(tasks[y == 0])
    sel = np.array([t in both for t in tasks])
    n_fp, n_ok = int(y.sum()), int((1 - y).sum())
    values = table.values[keep][sel]
    y, tasks = y[sel], tasks[sel]
    from auditor.metrics import rank_columns  # scipy: not at CLI start-up

    varies = [len(x) > 0 and not np.all(x == x[0]) for x in values.T]
    rows = [
        FeatureRow(col, auc, n)
        for col, auc, n in rank_columns(y, values, tasks, table.columns)
        if varies[table.columns.index(col)] and n >= min_groups and math.isfinite(auc)
    ]
    return FeatureSection(source, tuple(rows[:top]), n_fp, n_ok)


def corpus_study(
    inp: StudyInput,
    costs: Sequence[float],
    *,
    rng: np.random.Generator,
    n_boot: int,
    k_max: int | None = None,
    style_codes: Sequence[frozenset[str]] | None = None,
    style_groups: Mapping[str, str] | None = None,
) -> CorpusStudy:
    counts = TaskCounts.from_labels(inp.labels)
    cv = curves(counts, costs, k_max)
    lo, hi = bootstrap_curve_band(counts, costs, rng=rng, k_max=k_max, n_boot=min(n_boot, 500))
    params = estimate_two_type(counts)
    auditor = None
    if inp.scores is not None:
        cands = CandidateArrays.from_labels(inp.labels, inp.scores)
        risk = cands.risk[cands.weak]
        qs = np.quantile(risk, np.linspace(0.05, 0.95, 19))
        thr = (*sorted({float(np.nextafter(q, np.inf)) for q in qs}), math.inf)
        auditor = AuditorSection(
            threshold_sweep(cands, thr, costs, k_max),
            rerank_curves(cands, costs, k_max),
            int((counts.c > 0).sum()),
        )
    style = None
    if style_codes is not None and style_groups:
        style = style_rows(inp.labels, style_codes, style_groups, rng=rng, n_boot=n_boot)
    return CorpusStudy(
        name=inp.name,
        model=inp.model,
        summary=summarize_corpus(counts, costs, rng=rng, k_max=k_max, n_boot=n_boot),
        curves=cv,
        utility_lo=lo,
        utility_hi=hi,
        buckets=first_pass_buckets(counts, k_max),
        two_type=params,
        two_type_opt=tuple(two_type_optimum(params, c) for c in costs),
        style=style,
        auditor=auditor,
        task_mix=tuple(Counter(map(benchmark_of, counts.task_ids)).most_common()),
    )


def false_negative_tasks(labels: Sequence[Label]) -> set[str]:
    """Tasks where more candidates pass the strong tests than the weak ones (as in the paper,
    a sign that the weak tests reject correct programs)."""
    diff: dict[str, int] = {}
    for lb in labels:
        d = (lb.strong_status is Outcome.PASS) - (lb.weak_status is Outcome.PASS)
        diff[lb.task_id] = diff.get(lb.task_id, 0) + d
    return {t for t, d in diff.items() if d > 0}


def _drop_tasks(
    inp: StudyInput, codes: Sequence[frozenset[str]] | None, drop: set[str]
) -> tuple[StudyInput, Sequence[frozenset[str]] | None]:
    keep = [i for i, lb in enumerate(inp.labels) if lb.task_id not in drop]
    if len(keep) == len(inp.labels):
        return inp, codes
    cands = None if inp.candidates is None else tuple(inp.candidates[i] for i in keep)
    return (
        StudyInput(
            inp.name,
            tuple(inp.labels[i] for i in keep),
            cands,
            inp.tasks,
            inp.scores,
            inp.model,
        ),
        None if codes is None else [codes[i] for i in keep],
    )


def _exclude_false_negatives(
    inputs: Sequence[StudyInput], codes_by: dict[str, Sequence[frozenset[str]]]
) -> tuple[Sequence[StudyInput], str | None]:
    """Drop every corpus's false-negative tasks (any corpus's) from all corpora, as the paper
    did; `codes_by` (style codes by corpus name) is updated in place. Returns a note."""
    drop = set().union(*(false_negative_tasks(inp.labels) for inp in inputs))
    if not drop:
        return inputs, None
    kept = []
    for inp in inputs:
        new_inp, codes = _drop_tasks(inp, codes_by.get(inp.name), drop)
        kept.append(new_inp)
        if codes is not None:
            codes_by[inp.name] = codes
    note = (
        f"Excluded {len(drop)} false-negative task(s), where a corpus has more strong "
        f"than weak passes (as the paper did): {', '.join(sorted(drop)[:20])}"
        + (" ..." if len(drop) > 20 else "")
    )
    return kept, note


def _benchmark_point(
    inp: StudyInput,
    c: CorpusStudy,
    benchmark: str,
    costs: Sequence[float],
    *,
    rng: np.random.Generator,
    n_boot: int,
    k_max: int | None,
) -> BenchmarkPoint | None:
    """`c`'s pass@1 and ceiling over its `benchmark` tasks; None with too few of them."""
    n_tasks = dict(c.task_mix).get(benchmark, 0)
    if c.task_mix == ((benchmark, n_tasks),):  # the whole corpus is this benchmark
        return BenchmarkPoint(c.name, n_tasks, c.summary.pass1, c.summary.ceiling)
    if n_tasks < MIN_BENCHMARK_TASKS:
        return None
    labels = [lb for lb in inp.labels if benchmark_of(lb.task_id) == benchmark]
    try:
        s = summarize_corpus(
            TaskCounts.from_labels(labels), costs, rng=rng, k_max=k_max, n_boot=n_boot
        )
    except InputError:  # e.g. no weak pass on these tasks: no ceiling
        return None
    return BenchmarkPoint(c.name, n_tasks, s.pass1, s.ceiling)


def benchmark_fits(
    inputs: Sequence[StudyInput],
    corpora: Sequence[CorpusStudy],
    costs: Sequence[float],
    *,
    rng: np.random.Generator,
    n_boot: int,
    k_max: int | None = None,
) -> tuple[BenchmarkFit, ...]:
    """Per benchmark (most tasks first): our points on its tasks only, and the line."""
    totals: Counter[str] = Counter()
    for c in corpora:
        totals.update(dict(c.task_mix))
    out = []
    for bench, _ in totals.most_common():
        points = tuple(
            p
            for inp, c in zip(inputs, corpora, strict=True)
            if (p := _benchmark_point(inp, c, bench, costs, rng=rng, n_boot=n_boot, k_max=k_max))
            is not None
        )
        if points:
            out.append(_fit_points(bench, points))
    if not out:  # only mixed corpora with few tasks of each benchmark: one line over all
        points = tuple(
            BenchmarkPoint(c.name, c.summary.n_tasks, c.summary.pass1, c.summary.ceiling)
            for c in corpora
        )
        out.append(_fit_points("all tasks", points))
    return tuple(out)


def _fit_points(benchmark: str, points: tuple[BenchmarkPoint, ...]) -> BenchmarkFit:
    fit = fit_line([p.pass1.value for p in points], [p.ceiling.value for p in points])
    return BenchmarkFit(benchmark, points, fit)


def build_study(
    inputs: Sequence[StudyInput],
    *,
    costs: Sequence[float] = DEFAULT_COSTS,
    seed: int = 0,
    n_boot: int = 1000,
    k_max: int | None = None,
    style_codes: Mapping[str, Sequence[frozenset[str]]] | None = None,
    style_groups: Mapping[str, str] | None = None,
    features: Sequence[tuple[str, FeatureTable]] = (),
    notes: Sequence[str] = (),
    exclude_false_negatives: bool = True,
) -> Study:
    """The whole study. `style_codes[name][i]` are the finding codes of corpus `name`'s i-th label.

    Like the paper, tasks where any corpus has more strong than weak passes are dropped from
    every corpus (`exclude_false_negatives`). Randomness (bootstrap) comes from one
    `np.random.default_rng(seed)`, so a study is reproducible from its inputs and seed.
    """
    cost_t = parse_costs(costs)
    rng = np.random.default_rng(seed)
    all_notes = list(notes)
    codes_by = dict(style_codes or {})
    if exclude_false_negatives:
        inputs, note = _exclude_false_negatives(inputs, codes_by)
        if note:
            all_notes.append(note)
    studies = []
    for inp in inputs:
        try:
            studies.append(
                corpus_study(
                    inp,
                    cost_t,
                    rng=rng,
                    n_boot=n_boot,
                    k_max=k_max,
                    style_codes=codes_by.get(inp.name),
                    style_groups=style_groups,
                )
            )
        except InputError as exc:
            raise InputError(f"{inp.name}: {exc}") from None
    corpora = tuple(studies)
    fit = fit_line(
        [c.summary.pass1.value for c in corpora], [c.summary.ceiling.value for c in corpora]
    )
    sections = tuple(s for name, t in features if (s := feature_section(name, t)) is not None)
    # After every corpus study, so the bootstrap draws above do not depend on this step.
    per_bench = benchmark_fits(inputs, corpora, cost_t, rng=rng, n_boot=n_boot, k_max=k_max)
    return Study(
        corpora=corpora,
        costs=cost_t,
        fit=fit,
        features=sections,
        notes=tuple(all_notes),
        seed=seed,
        n_boot=n_boot,
        benchmark_fits=per_bench,
    )
