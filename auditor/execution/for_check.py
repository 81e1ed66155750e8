"""Execution inside `check`: which candidates run against which weak tests, and what the
result adds to a `CandidateResult` (an AUD001/AUD002 finding, an execution risk, the record).

`Execution` is what the user asked for (`--tasks`, `--tests`, `--execute-budget`);
`run_pending` resolves every pending candidate to a task (bad input is an `InputError`
before anything runs) and executes them; `apply` folds one outcome into a result. A failing
candidate gets `AUD001 fails-tests` (high) and no risk; one the harness's canaries caught
rewriting its own measurement gets `AUD002 tampers-with-measurement` (high) and risk 1; any
other passing one keeps the static risk unless execution gave one, which then replaces it:
the model's exec feature sets' risk (`auditor.scoring`) when the model has them, else (a
model trained without execution) the calibrated peer score of `gate.execution_risk` when
the candidate had peers. With no model at all (`--no-model`: findings only) execution adds
its findings and no risk.
"""

from __future__ import annotations

import ast
import builtins
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from auditor.entrypoint import PendingCandidate, entry_point, module_names, parameters
from auditor.errors import InputError, UsageError
from auditor.execution.gate import ExecResult, execute
from auditor.execution.harvest import Harvest, harvest
from auditor.execution.signals import ExecConfig
from auditor.execution.task_store import TaskStore
from auditor.io import RESAVE, UnreadableSource, python_source_text
from auditor.parse import python_ast
from auditor.progress import progress_bar
from auditor.results import (
    FAILS_TESTS_CODE,
    FAILS_TESTS_SYMBOL,
    TAMPERS_CODE,
    TAMPERS_SYMBOL,
    CandidateResult,
    ExecutionInfo,
    ReportedFinding,
)
from auditor.types import Confidence, Finding, Outcome, Severity, Task

# The note of a candidate executed without a verdict, by where its weak tests came from.
UNVERIFIED = {
    "asserts": "not verified: no assert of its tests states a value known without running"
    " them, or an output with an `==` of its own left one unjudged",
    "none": "not verified: its task gives no expected output",
}


@dataclass(frozen=True)
class Execution:
    """Execution requested for a `check` run: a task source and/or a tests file."""

    tasks: Mapping[str, Task] | None = None
    tests: Path | None = None
    budget_s: float | None = None  # per task; past half, solo signals for the contenders only
    jobs: int = 2
    # Where each task's results are kept as it finishes (`task_store`): a rerun resumes.
    cache_dir: Path | None = None
    progress: bool = False  # a bar over the tasks on stderr, when it is a terminal
    # Of the generated inputs and sampled mutants (`ExecConfig.seed`): they are a function of
    # the task and the seed, so a candidate written knowing both could special-case them.
    seed: int = 0

    def __post_init__(self) -> None:
        check_budget(self.budget_s)
        if self.cache_dir is not None and self.tests is not None:
            raise UsageError("--exec-cache keeps the results of --tasks runs, not of --tests")


def check_budget(budget_s: float | None) -> None:
    """UsageError unless `budget_s` is None or a finite number of seconds > 0 (a NaN one
    would never run out, so the signals it guards would be skipped without a word)."""
    if budget_s is not None and not (math.isfinite(budget_s) and budget_s > 0):
        raise UsageError(f"execute-budget must be a finite number of seconds > 0, got {budget_s}")


def _tested_names(
    source: str, provided: frozenset[str], files: frozenset[str] = frozenset()
) -> dict[str, str]:
    """The names the test module calls the candidates' functions by (-> each one's name in
    the candidate): those it imports from the candidates' module, however the candidates
    define them (or lack them), and the `provided` names it neither binds itself, imports
    from elsewhere nor has as builtins (a test run with the candidate pasted above it). The
    candidates' module gives the test one of `provided` (the names the candidates bind), or
    is named as a candidate's file is (`files`: `from cand import f` for cand.py)."""
    tree = python_ast(source)
    if not isinstance(tree, ast.Module):
        return {n: n for n in provided}  # `harvest` says why it does not parse
    imports = {  # name bound -> (module, name in the module)
        a.asname or a.name: ("." * node.level + (node.module or ""), a.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for a in node.names
    }
    homes = {m for m, name in imports.values() if name in provided or m in files}
    homes -= set(sys.stdlib_module_names)
    own = module_names(source) - set(imports)
    pasted = provided - own - set(imports) - set(dir(builtins))
    return {
        **{n: n for n in sorted(pasted)},
        **{n: n for n in sorted(_called_on_modules(tree, files - set(sys.stdlib_module_names)))},
        **{alias: name for alias, (m, name) in imports.items() if m in homes and name != "*"},
    }


def _called_on_modules(tree: ast.Module, files: frozenset[str] | set[str]) -> set[str]:
    """The `f` of every `m.f(...)` where `m` is a module of `files` the test imports
    (`import cand`, `import cand as m`)."""
    aliases = {
        a.asname or a.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for a in node.names
        if a.name in files
    }
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in aliases
    }


def _tested_functions(
    codes: Sequence[str], last: set[str | None], source: str, tests: Path, files: frozenset[str]
) -> tuple[str, Harvest]:
    """The harvest of every function the tests call the candidates' by (`_tested_names`),
    and the one they call on the most inputs (ties: the candidates' entry points `last`),
    which the execution signals run."""
    provided = frozenset[str]().union(*(module_names(c) for c in codes))
    names = _tested_names(source, provided, files)
    if not names:
        raise InputError(f"{tests}: calls no function the candidates define")
    params = {f: next((p for c in codes if (p := parameters(c, f))), ()) for f in names.values()}
    found = harvest(source, names, where=str(tests), params=params)
    counts = {f: len(found.of(f).calls()) for f in dict.fromkeys(found.functions)}
    main = max(counts, key=lambda f: (counts[f], f in last))
    return main, found


def _tests_task(pending: Sequence[PendingCandidate], tests: Path) -> tuple[Task, Harvest]:
    """One task for every candidate checked against `tests` (see `_tested_functions`)."""
    codes = [p.candidate.code for p in pending if p.scoreable]
    last = {entry_point(c).name for c in codes}
    if not codes or None in last:
        raise InputError(f"{tests}: no candidate defines a top-level function to test")
    try:
        source = python_source_text(tests.read_bytes())  # the asserts pytest reads
    except OSError as exc:
        raise InputError(f"{tests}: cannot read: {exc}") from None
    except UnreadableSource as exc:
        raise InputError(f"{tests}: {exc} ({RESAVE})") from None
    files = frozenset(Path(p.display).stem for p in pending if p.scoreable and not p.embedded)
    name, found = _tested_functions(codes, last, source, tests, files)
    inputs = tuple(list(a) for a in found.of(name).calls())
    return Task(f"tests:{tests.name}", "", name, "", inputs, ()), found


def _is_tests(p: PendingCandidate, tests: Path | None) -> bool:
    """The tests file itself, when it sits among the checked files, is not a candidate."""
    return tests is not None and not p.embedded and Path(p.display).resolve() == tests.resolve()


def _check_known(tasks: Mapping[str, Task], pending: Sequence[PendingCandidate]) -> None:
    """InputError naming the first task id --tasks lacks; for a .py file, which gets its
    name as its id (an EvalPlus samples directory's `0.py`), naming the file too."""
    unknown = sorted({p.candidate.task_id for p in pending} - set(tasks))
    if not unknown:
        return
    file = next((p for p in pending if not p.embedded and p.candidate.task_id in unknown), None)
    if file is None:
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise InputError(f"--tasks: unknown task id {unknown[0]!r}{more}")
    also = f"; {len(unknown) - 1} more unknown" if len(unknown) > 1 else ""
    raise InputError(
        f"--tasks: {file.display}: no task {file.candidate.task_id!r} (a .py file's task id is"
        f" its name; best-of-n reads a samples JSONL, `label` a samples directory too){also}"
    )


def _nothing_to_test(pending: Sequence[PendingCandidate], tests: Path) -> str:
    """Why --tests found no candidate: only the tests file was given, or nothing defines one."""
    if pending and all(_is_tests(p, tests) for p in pending):
        return "the tests file is the only file given: name the candidates' files too"
    return "no candidate defines a top-level function to test"


def run_pending(pending: Sequence[PendingCandidate], ex: Execution) -> dict[int, ExecResult]:
    """Outcome per index of `pending` for the candidates that could be executed."""
    todo = [i for i, p in enumerate(pending) if p.scoreable and not _is_tests(p, ex.tests)]
    # Candidates that do not parse or cannot be read are their own findings (AUD901, AUD911):
    # only when none is, "nothing to test" is the input's fault.
    if (
        not todo
        and ex.tests is not None
        and not any(p.problems for p in pending if not _is_tests(p, ex.tests))
    ):
        raise InputError(f"--tests {ex.tests}: {_nothing_to_test(pending, ex.tests)}")
    if not todo:
        return {}
    cfg = ExecConfig(seed=ex.seed)
    if ex.tests is not None:
        task, found = _tests_task([pending[i] for i in todo], ex.tests)
        cands = [replace(pending[i].candidate, task_id=task.task_id) for i in todo]
        got = execute(
            cands, {task.task_id: task}, tests=found, budget_s=ex.budget_s, jobs=ex.jobs, cfg=cfg
        )
        return dict(zip(todo, got, strict=True))
    tasks = ex.tasks or {}
    _check_known(tasks, [pending[i] for i in todo])
    cands = [pending[i].candidate for i in todo]
    n_tasks = len({c.task_id for c in cands})
    bar = progress_bar(n_tasks, "task", ex.progress and n_tasks > 1)
    try:
        with TaskStore(ex.cache_dir) as store:
            tick = bar.update if bar is not None else None
            got = execute(
                cands, tasks, budget_s=ex.budget_s, jobs=ex.jobs, cfg=cfg, store=store, done=tick
            )
    finally:
        if bar is not None:
            bar.close()
    return dict(zip(todo, got, strict=True))


def _fails(res: ExecResult, line: int) -> Finding:
    what = {Outcome.TIMEOUT: "times out on", Outcome.ERROR: "could not be run on"}.get(
        res.verdict or Outcome.FAIL, "fails"
    )
    return Finding(
        FAILS_TESTS_CODE,
        FAILS_TESTS_SYMBOL,
        f"{what} its weak tests ({res.weak_tests})" + (f": {res.failed}" if res.failed else ""),
        line,
        0,
        Severity.HIGH,
        Confidence.HIGH,
        source="auditor",
    )


def _tampers(res: ExecResult, line: int) -> Finding:
    return Finding(
        TAMPERS_CODE,
        TAMPERS_SYMBOL,
        f"its process rewrote what it reports to the auditor: {'; '.join(res.tampered)}",
        line,
        0,
        Severity.HIGH,
        Confidence.HIGH,
        source="auditor",
    )


def apply(
    result: CandidateResult,
    res: ExecResult,
    model_risk: float | None = None,
    *,
    model_exec: bool = False,
    scored: bool = True,
) -> CandidateResult:
    """`result` with the execution outcome folded in (see the module docstring).

    `model_risk` is the model's exec-set risk of the candidate; `model_exec` says the model
    has exec sets (so `res.risk`, the fallback, is not used); `scored` is False without a
    model, when no risk of any kind is reported."""
    static = result.risk
    exec_risk = (model_risk if model_exec else res.risk) if scored else None
    # The families behind the reported risk: the model's sets all use the static features;
    # the fallback peer score uses execution alone.
    uses_static = res.passed and static is not None and (model_exec or exec_risk is None)
    signals = (*res.signals, *(("static",) if uses_static else ()))
    info = ExecutionInfo(
        verdict=None if res.verdict is None else res.verdict.value,
        weak_tests=res.weak_tests,
        signals=signals,
        features=tuple(sorted(res.features.items())),
        static_risk=static,
        execution_risk=exec_risk,
        function=res.function,
        unjudged=res.unjudged,
        tampered=res.tampered,
    )
    if not res.passed:
        finding = ReportedFinding(_fails(res, result.entry_line), result.entry_text)
        return replace(
            result,
            risk=None,
            note="fails its weak tests",
            findings=(finding, *result.findings),
            execution=info,
        )
    if res.tampered:  # what it reported about itself cannot be believed: treat it as wrong
        finding = ReportedFinding(_tampers(res, result.entry_line), result.entry_text)
        note = "tampers with its measurement"
        findings = (finding, *result.findings)
        risk = 1.0 if scored else None
        return replace(result, risk=risk, note=note, findings=findings, execution=info)
    risk = exec_risk if exec_risk is not None else static
    why = result.note if res.verdict is not None else UNVERIFIED.get(res.weak_tests)
    return replace(result, risk=risk, note=why, execution=info)
