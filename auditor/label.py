"""Label candidates with EvalPlus semantics: weak and strong status by differential testing.

Strong status: every input of `base_input + plus_input` must match the canonical solution
(EvalPlus's base and plus runs both pass). Weak status: by default `base_input` alone
(EvalPlus's `base_status`), or the benchmark's own assert-based tests (`original`). All
candidate code runs in the sandbox (`auditor.sandbox`), never in this process.

Programs of a task that behave the same run once: equal up to layout, comments, docstrings
and (where the program cannot observe them) local names; see `auditor.dedupe`. Results are appended to OUTDIR/labels.jsonl as
whole lines as they arrive, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.corpus.labels import (
    LABELS_FILE,
    RESULTS_FILE,
    RUN_FILE,
    SCHEMA,
    SUMMARY_FILE,
    LabelAppender,
    LabelRow,
    benchmark_entry,
    read_label_rows,
    read_summary,
    recorded_benchmark_file,
    rewrite_labels,
)
from auditor.dedupe import behaviour_key
from auditor.errors import InputError
from auditor.executors import make_runner
from auditor.io import atomic_write, read_text, require_regular, sha256_file
from auditor.progress import progress_bar
from auditor.resampling import TaskCounts
from auditor.resampling import ceiling as resampling_ceiling
from auditor.sandbox import Job, JobResult, Runner, SandboxLimits
from auditor.sandbox.spec import task_spec
from auditor.types import Candidate, Label, Outcome, Status, Task

Key = tuple[str, str]  # (task_id, sample_id)
MAX_TRIES = 2  # runs of a candidate whose sandbox result is `error`: the first, one retry


# -- weak-test suites (one registry) ------------------------------------------------------------


@dataclass(frozen=True)
class WeakTests:
    """A weak-test suite: which sandbox phases to run and which one gives the weak status."""

    name: str
    phases: tuple[str, ...]
    weak_phase: str
    description: str


WEAK_TESTS: Mapping[str, WeakTests] = {
    w.name: w
    for w in (
        WeakTests(
            "evalplus-base",
            ("base", "plus"),
            "base",
            "differential test on base_input (EvalPlus base_status)",
        ),
        WeakTests(
            "original",
            ("original", "base", "plus"),
            "original",
            "the benchmark's own asserts (HumanEval `check`, MBPP `assertion`)",
        ),
    )
}


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SamplesRef:
    """Where the labeled samples came from (recorded in summary.json)."""

    file: str
    data_relpath: str | None = None
    sha256: str = ""

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], data_dir: Path | None = None) -> SamplesRef:
        p = Path(path).resolve()
        rel = None
        if data_dir is not None:
            try:
                rel = p.relative_to(Path(data_dir).resolve()).as_posix()
            except ValueError:
                rel = None
        digest = sha256_file(p) if p.is_file() else ""
        return cls(file=p.name if rel else str(p), data_relpath=rel, sha256=digest)


def _samples_entry(samples: SamplesRef | None) -> dict[str, str | None]:
    """The `samples` entry of summary.json and run.json (all None when not known)."""
    return {
        "file": samples.file if samples else None,
        "data_relpath": samples.data_relpath if samples else None,
        "sha256": samples.sha256 if samples else None,
    }


@dataclass(frozen=True)
class LabelRun:
    """Labels in input order and the summary (as written to summary.json)."""

    labels: tuple[Label, ...]
    summary: Mapping[str, Any]
    out_dir: Path | None = None
    base_status: Mapping[tuple[str, str], Outcome] = field(default_factory=dict)
    resumed: int = 0  # labels taken from an earlier, interrupted run in out_dir
    retried: int = 0  # `error` labels of an earlier run that were run again


def compose(
    res: JobResult, weak: WeakTests, n_base: int
) -> tuple[Outcome, Outcome, Outcome, int | None]:
    """(weak, strong, EvalPlus base status, first failing index) of one sandbox result."""
    ph = res.phases
    base = ph.get("base")
    if base is None:
        return Outcome.ERROR, Outcome.ERROR, Outcome.ERROR, None
    first_fail: int | None = None
    strong: Outcome
    if base.outcome is not Outcome.PASS:
        strong = base.outcome
        first_fail = base.fail_index
    elif (plus := ph.get("plus")) is None:
        strong = Outcome.ERROR
    else:
        strong = plus.outcome
        if strong is not Outcome.PASS and plus.fail_index is not None:
            first_fail = n_base + plus.fail_index
    if weak.weak_phase == "base":
        weak_outcome = base.outcome
    else:
        orig = ph.get(weak.weak_phase)
        weak_outcome = orig.outcome if orig is not None else Outcome.ERROR
    return weak_outcome, strong, base.outcome, first_fail


# -- summary (pure) ---------------------------------------------------------------------------


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 6) if b else None


def _counts(labels: Sequence[Label]) -> dict[str, Any]:
    n = len(labels)
    weak = sum(lb.weak_status is Outcome.PASS for lb in labels)
    strong = sum(lb.strong_status is Outcome.PASS for lb in labels)
    correct = sum(lb.status is Status.CORRECT for lb in labels)
    fp = sum(lb.status is Status.FALSE_POSITIVE for lb in labels)
    return {
        "n": n,
        "weak_pass": weak,
        "strong_pass": strong,
        "correct": correct,
        "false_positive": fp,
        "rejected": sum(lb.status is Status.REJECTED for lb in labels),
        "timeout": sum(lb.strong_status is Outcome.TIMEOUT for lb in labels),
        "error": sum(lb.status is Status.ERROR for lb in labels),  # not evaluated; not rejected
        "weak_pass@1": _ratio(weak, n),
        "strong_pass@1": _ratio(strong, n),
        "ceiling": _ratio(correct, weak),  # P(strong pass | weak pass)
        "fp_share": _ratio(fp, weak),  # share of weak passes that are false positives
        "fp_rate": _ratio(fp, n),
    }


def _ceiling(labels: Sequence[Label]) -> float:
    return round(resampling_ceiling(TaskCounts.from_labels(labels)), 6)


def summarize_labels(labels: Sequence[Label]) -> dict[str, Any]:
    """Per-task and overall counts and rates; false-negative tasks flagged."""
    by_task: dict[str, list[Label]] = {}
    for lb in labels:
        by_task.setdefault(lb.task_id, []).append(lb)
    tasks = {tid: _counts(lbs) for tid, lbs in by_task.items()}
    overall = _counts(labels)
    overall["n_tasks"] = len(tasks)

    def mean(key: str) -> float | None:
        vals = [t[key] for t in tasks.values() if t[key] is not None]
        return round(sum(vals) / len(vals), 6) if vals else None

    # EvalPlus reports pass@1 as the mean over tasks; pooled ratios are kept alongside.
    overall["weak_pass@1_pooled"] = overall["weak_pass@1"]
    overall["strong_pass@1_pooled"] = overall["strong_pass@1"]
    overall["weak_pass@1"] = mean("weak_pass@1")
    overall["strong_pass@1"] = mean("strong_pass@1")
    # One ceiling, as `curves` and the paper have it: the mean over tasks with a weak pass of
    # c/b. The pooled c/b over all candidates weighs tasks by their weak passes: its own name.
    overall["weak_pass_precision"] = overall["ceiling"]
    overall["ceiling"] = _ceiling(labels) if overall["weak_pass"] else None
    fn = sorted(tid for tid, t in tasks.items() if t["strong_pass"] > t["weak_pass"])
    return {"overall": overall, "tasks": tasks, "false_negative_tasks": fn}


def run_summary(
    labels: Sequence[Label],
    *,
    weak: WeakTests,
    limits: SandboxLimits,
    benchmark: str,
    samples: SamplesRef | None,
    unique_programs: int,
    isolation: Mapping[str, Any],
    broken_tasks: Mapping[str, str],
) -> dict[str, Any]:
    """summary.json: where the labels came from, how they were made, and their counts."""
    summary: dict[str, Any] = {
        "schema": SCHEMA,
        "samples": _samples_entry(samples),
        "benchmark": benchmark,
        "weak_tests": weak.name,
        "time_limits": {
            "per_input": f"max({limits.min_time_limit}, {limits.time_factor} x reference time)",
            "per_phase": f"min({limits.max_phase_s}, sum of per-input limits) + 2 s",
        },
        "unique_programs": unique_programs,
        **summarize_labels(labels),
    }
    if isolation:
        summary["isolation"] = dict(isolation)
    if broken_tasks:
        summary["broken_tasks"] = dict(broken_tasks)
    return summary


# -- plan: what is left to run ----------------------------------------------------------------


@dataclass(frozen=True)
class LabelPlan:
    """The sandbox work of a label run: `jobs[i]` runs the one program of `groups[i]`.

    `resumed` holds the rows kept from an earlier run; `task_ids` the tasks with jobs, in
    input order; `unique_programs` counts behaviours over all candidates, resumed or not.
    An `error` row is run once more (the sandbox may have failed for a passing reason), then
    kept: a task whose reference is broken errors every time.
    """

    resumed: Mapping[Key, LabelRow]
    retries: Mapping[Key, int]  # candidates run again after an error: runs that errored
    jobs: tuple[Job, ...]
    groups: tuple[tuple[Candidate, ...], ...]
    task_ids: tuple[str, ...]
    unique_programs: int

    @property
    def n_candidates(self) -> int:
        """Candidates the jobs will label."""
        return sum(len(g) for g in self.groups)


def plan_run(
    candidates: Sequence[Candidate], weak: WeakTests, previous: Iterable[LabelRow] = ()
) -> LabelPlan:
    """Keep the earlier rows whose program is unchanged; one job per behaviour of the rest."""
    shas = {(c.task_id, c.sample_id): c.sha256 for c in candidates}
    latest = {row.key: row for row in previous}  # a row appended later supersedes
    resumed: dict[Key, LabelRow] = {}
    retries: dict[Key, int] = {}
    for key, row in latest.items():
        if shas.get(key) != row.label.solution_sha256:
            continue
        if row.label.status is Status.ERROR and row.tries < MAX_TRIES:
            retries[key] = row.tries
        else:
            resumed[key] = row
    # one run per behaviour (see auditor.dedupe); digests keep the keys small
    key_of = {
        (c.task_id, c.sample_id): hashlib.blake2b(behaviour_key(c.code).encode()).hexdigest()
        for c in candidates
    }
    groups: dict[tuple[str, str], list[Candidate]] = {}
    for c in candidates:
        if (c.task_id, c.sample_id) not in resumed:
            groups.setdefault((c.task_id, key_of[(c.task_id, c.sample_id)]), []).append(c)
    task_ids = tuple(dict.fromkeys(tid for tid, _ in groups))
    task_order = {tid: i for i, tid in enumerate(task_ids)}
    keys = sorted(groups, key=lambda k: task_order[k[0]])
    return LabelPlan(
        resumed=resumed,
        retries=retries,
        jobs=tuple(Job(i, k[0], groups[k][0].code, weak.phases) for i, k in enumerate(keys)),
        groups=tuple(tuple(groups[k]) for k in keys),
        task_ids=task_ids,
        unique_programs=len({(k[0], v) for k, v in key_of.items()}),
    )


# -- run: drive the sandbox -------------------------------------------------------------------


@dataclass(frozen=True)
class RunOutcome:
    """What the sandbox run produced besides the labels it passed on."""

    isolation: Mapping[str, Any]
    broken_tasks: Mapping[str, str]  # task id -> why its reference fails


def _rows_of(
    res: JobResult, group: Sequence[Candidate], weak: WeakTests, plan: LabelPlan, n_base: int
) -> list[LabelRow]:
    """The label rows of every candidate sharing one job's result."""
    w, s, base, first_fail = compose(res, weak, n_base)
    status = Status.from_outcomes(w, s)
    rows = []
    for c in group:
        lb = Label(
            task_id=c.task_id,
            sample_id=c.sample_id,
            solution_sha256=c.sha256,
            weak_status=w,
            strong_status=s,
            status=status,
            first_fail=first_fail,
            runtime_s=round(res.runtime_s, 6),
            model=c.model,
        )
        rows.append(LabelRow(lb, base, plan.retries.get((c.task_id, c.sample_id), 0) + 1))
    return rows


def run_plan(
    plan: LabelPlan,
    tasks: Mapping[str, Task],
    weak: WeakTests,
    runner: Runner,
    on_rows: Callable[[list[LabelRow]], None],
) -> RunOutcome:
    """Run the plan's jobs; `on_rows` gets the rows of each result as it arrives."""
    if not plan.jobs:
        return RunOutcome({}, {})
    # ground truth is computed as tasks come up; heavy tasks' jobs run first
    specs = [task_spec(tasks[t], with_original=weak.name == "original") for t in plan.task_ids]
    runner.register(specs)
    for res in runner.run(list(plan.jobs)):
        group = plan.groups[res.job_id]
        on_rows(_rows_of(res, group, weak, plan, len(tasks[group[0].task_id].base_input)))
    broken: dict[str, str] = {}
    for tid in plan.task_ids:
        gt = runner.ground_truth(tid)
        if gt.error or gt.original_error:
            broken[tid] = gt.error or f"original tests fail on the reference: {gt.original_error}"
    # read after the run: a Ray runner learns how its nodes confine candidates as they work
    isolation = dict(getattr(runner, "isolation", {}))
    return RunOutcome(isolation, broken)


# -- write: the label OUTDIR ------------------------------------------------------------------


def _open_outdir(out: Path, config: Mapping[str, Any]) -> list[LabelRow]:
    """Create OUTDIR (or check it was made with `config`); the rows an earlier run left."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a directory (-o names the output directory)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {out}: {exc.strerror or exc}") from None
    for name in (LABELS_FILE, SUMMARY_FILE, RESULTS_FILE, RUN_FILE):
        require_regular(out / name)  # a FIFO here would hang the append or the read
    run_file = out / RUN_FILE
    previous = _read_run_config(run_file) if run_file.is_file() else None
    if previous is not None:
        _check_resumable(out, previous, config)
    if previous != config:  # new, or an older record of the same run (relative path, ...)
        atomic_write(run_file, json.dumps(config, indent=2) + "\n", fsync=True)
    return read_label_rows(out / LABELS_FILE)


def _read_run_config(run_file: Path) -> dict[str, Any]:
    try:
        previous = json.loads(read_text(run_file))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{run_file}: unreadable ({type(exc).__name__})") from None
    if not isinstance(previous, dict):
        raise InputError(f"{run_file}: expected a JSON object")
    return previous


def _check_resumable(out: Path, previous: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """InputError unless OUTDIR's labels came from `config`'s settings, benchmark and samples.

    Resuming with other samples would drop the labels of samples it lacks.
    """
    settings = {k: v for k, v in config.items() if k not in ("benchmark", "samples")}
    before = {k: v for k, v in previous.items() if k not in ("benchmark", "samples")}
    differ = [k for k in dict.fromkeys([*before, *settings]) if before.get(k) != settings.get(k)]
    if not _same_benchmark(previous.get("benchmark"), config, out):
        differ.append("benchmark")
    if differ:
        said = ", ".join(f"{k} {previous.get(k)!r} there, {config.get(k)!r} here" for k in differ)
        raise InputError(
            f"{out} holds labels from a different configuration ({said}); "
            "use a fresh output directory"
        )
    # older OUTDIRs record their samples in summary.json only
    recorded = previous.get("samples") or (read_summary(out) or {}).get("samples")
    if isinstance(recorded, dict) and not _same_samples(recorded, config["samples"]):
        raise InputError(
            f"{out} holds labels of other samples ({recorded.get('file')}); "
            "use a fresh output directory"
        )


def _same_benchmark(recorded: Any, config: Mapping[str, Any], out: Path) -> bool:
    """Is the recorded benchmark the configured one (a release file: the same file)?"""
    if recorded == config["benchmark"]:
        return True
    file = recorded_benchmark_file(recorded, out) if isinstance(recorded, str) else None
    return file is not None and str(file) == config["benchmark"]


def _same_samples(recorded: Mapping[str, Any], now: Mapping[str, Any]) -> bool:
    """The same samples file (by path, edited or not) or the same content; True if unknown."""
    if not (recorded.get("file") and now.get("file")):
        return True
    if all(recorded.get(k) == now.get(k) for k in ("file", "data_relpath")):
        return True
    return bool(now.get("sha256")) and recorded.get("sha256") == now.get("sha256")


def _write_outdir(
    out: Path, rows: Sequence[LabelRow], results: Mapping[str, Any], summary: Mapping[str, Any]
) -> None:
    # Rows were appended as they came (a kill loses none); the final file is in input order.
    rewrite_labels(out / LABELS_FILE, rows)
    atomic_write(out / RESULTS_FILE, json.dumps(results), fsync=True)
    atomic_write(out / SUMMARY_FILE, json.dumps(summary, indent=1) + "\n", fsync=True)


def _run_recorded(
    plan: LabelPlan,
    tasks: Mapping[str, Task],
    weak: WeakTests,
    runner: Runner,
    out: Path | None,
    progress: bool,
    sinks: Sequence[Callable[[list[LabelRow]], None]],
) -> RunOutcome:
    """`run_plan`, each result going to OUTDIR's labels.jsonl, the progress bar and `sinks`."""
    appender = LabelAppender(out / LABELS_FILE) if out is not None else None
    bar = progress_bar(plan.n_candidates, "sample", progress)

    def on_rows(batch: list[LabelRow]) -> None:
        if appender is not None:
            appender.write(batch)
        if bar is not None:
            bar.update(len(batch))
        for sink in sinks:
            sink(batch)

    try:
        return run_plan(plan, tasks, weak, runner, on_rows)
    finally:
        if bar is not None:
            bar.close()
        if appender is not None:
            appender.close()


# -- the labeler ----------------------------------------------------------------------------


def _check_inputs(candidates: Sequence[Candidate], tasks: Mapping[str, Task]) -> None:
    seen: set[tuple[str, str]] = set()
    for c in candidates:
        if c.task_id not in tasks:
            raise InputError(f"sample {c.sample_id}: unknown task id {c.task_id!r}")
        key = (c.task_id, c.sample_id)
        if key in seen:
            raise InputError(f"duplicate sample id {c.sample_id!r} in task {c.task_id}")
        seen.add(key)


# (low, high] of each numeric setting; a NaN fails every comparison, so it is refused too
_SETTING_RANGES: Mapping[str, tuple[float, float]] = {
    "min_time_limit": (0.0, 3600.0),
    "time_factor": (0.0, 1000.0),
    "max_phase_s": (0.0, 86400.0),
}
MAX_JOBS = 512


def check_settings(jobs: int | None, limits: SandboxLimits) -> None:
    """InputError for a worker count or time limit that is not a finite number in range."""
    if jobs is not None and (isinstance(jobs, bool) or not 1 <= jobs <= MAX_JOBS):
        raise InputError(f"jobs must be an integer from 1 to {MAX_JOBS}, got {jobs!r}")
    for name, (low, high) in _SETTING_RANGES.items():
        value = getattr(limits, name)
        if not (isinstance(value, int | float) and low < value <= high):
            raise InputError(f"{name} must be a number in ({low:g}, {high:g}], got {value!r}")


def _run_config(
    weak: WeakTests, limits: SandboxLimits, benchmark: str, samples: SamplesRef | None
) -> dict[str, Any]:
    """run.json: what a resumed run must match (`_check_resumable`)."""
    return {
        "schema": SCHEMA,
        "weak_tests": weak.name,
        "benchmark": benchmark,
        "min_time_limit": limits.min_time_limit,
        "time_factor": limits.time_factor,
        "max_phase_s": limits.max_phase_s,
        "samples": _samples_entry(samples),
    }


def label(
    candidates: Sequence[Candidate],
    tasks: Mapping[str, Task],
    *,
    weak_tests: str = "evalplus-base",
    jobs: int | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    limits: SandboxLimits | None = None,
    benchmark: str = "",
    samples: SamplesRef | None = None,
    progress: bool = False,
    runner: Runner | None = None,
    on_result: Callable[[int], None] | None = None,
) -> LabelRun:
    """Label every candidate; with `out_dir`, write (and resume) the label OUTDIR.

    `weak_tests` names an entry of WEAK_TESTS. `on_result(n)` is called with the number of
    candidates each sandbox result settles (for progress reporting by callers).
    """
    weak = WEAK_TESTS.get(weak_tests)
    if weak is None:
        raise InputError(f"unknown weak tests {weak_tests!r} (known: {', '.join(WEAK_TESTS)})")
    limits = limits or SandboxLimits()
    check_settings(jobs, limits)
    _check_inputs(candidates, tasks)
    benchmark = benchmark_entry(benchmark)
    out = Path(out_dir) if out_dir is not None else None
    config = _run_config(weak, limits, benchmark, samples)
    previous = _open_outdir(out, config) if out is not None else []
    plan = plan_run(candidates, weak, previous)

    rows: dict[Key, LabelRow] = dict(plan.resumed)
    sinks: list[Callable[[list[LabelRow]], None]] = [
        lambda batch: rows.update((row.key, row) for row in batch)
    ]
    if on_result is not None:
        sinks.append(lambda batch: on_result(len(batch)))
    outcome = RunOutcome({}, {})
    if plan.jobs:
        active = runner if runner is not None else make_runner(jobs=jobs, limits=limits)
        try:
            outcome = _run_recorded(plan, tasks, weak, active, out, progress, sinks)
        finally:
            if runner is None:
                active.close()

    ordered = [rows[(c.task_id, c.sample_id)] for c in candidates]
    labels = tuple(row.label for row in ordered)
    base_status = {row.key: row.base_status for row in ordered}
    summary = run_summary(
        labels,
        weak=weak,
        limits=limits,
        benchmark=benchmark,
        samples=samples,
        unique_programs=plan.unique_programs,
        isolation=outcome.isolation,
        broken_tasks=outcome.broken_tasks,
    )
    if out is not None:
        results = eval_results(candidates, labels, base_status, tasks, weak)
        _write_outdir(out, ordered, results, summary)
    return LabelRun(
        labels=labels,
        summary=summary,
        out_dir=out,
        base_status=base_status,
        resumed=len(plan.resumed),
        retried=len(plan.retries),
    )


def eval_results(
    candidates: Sequence[Candidate],
    labels: Sequence[Label],
    base_status: Mapping[tuple[str, str], Outcome],
    tasks: Mapping[str, Task],
    weak: WeakTests,
) -> dict[str, Any]:
    """EvalPlus-compatible results. `plus_status` is the status on base + plus inputs
    (EvalPlus runs plus inputs separately; the derived correct/FP/rejected is the same)."""

    def evalplus(o: Outcome) -> str:
        return "fail" if o is Outcome.ERROR else o.value

    out: dict[str, list[dict[str, Any]]] = {}
    for c, lb in zip(candidates, labels, strict=True):
        task = tasks[c.task_id]
        base = base_status[(c.task_id, c.sample_id)]
        n_base = len(task.base_input)
        base_fail: list[Any] = []
        plus_fail: list[Any] = []
        ff = lb.first_fail
        if ff is not None and lb.strong_status is not Outcome.PASS:
            if ff < n_base:
                base_fail = [task.base_input[ff]]
            elif ff - n_base < len(task.plus_input):
                plus_fail = [task.plus_input[ff - n_base]]
        out.setdefault(c.task_id, []).append(
            {
                "task_id": c.task_id,
                "sample_id": c.sample_id,
                "solution": c.code,
                "base_status": evalplus(base),
                "plus_status": evalplus(lb.strong_status),
                "base_fail_tests": base_fail,
                "plus_fail_tests": plus_fail,
            }
        )
    return {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "hash": None,
        "weak_tests": weak.name,
        "eval": out,
    }
