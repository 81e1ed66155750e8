"""`auditor check`: findings and false-positive risk for candidates on disk.

`check(paths, model=..., config=...)` reads .py files, directories and samples JSONL
(`auditor.discover`), finds each candidate's entry point (`auditor.entrypoint`), scores
them and collects the rule/ruff/pylint findings (`auditor.scoring`), applies `--ignore`
and suppressions, and returns one frozen `CheckRun` (`auditor.results`). Bad files become
findings (AUD901 syntax, AUD910 too large, AUD911 unreadable) so one bad file never stops
a run; a missing path or a symlink loop given on the command line is an `InputError`
(exit 2). The baseline is applied by the caller. Heavy modules are imported lazily.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from auditor.discover import (
    PYTEST_FILES,
    InputKind,
    display_path,
    input_kind,
    iter_files,
    read_source,
)
from auditor.entrypoint import PendingCandidate, python_candidate, sample_candidates
from auditor.io import source_lines
from auditor.results import CandidateResult, CheckRun, ReportedFinding, normalize_line
from auditor.scoring import ModelSource, Scores, score
from auditor.types import Candidate, Finding, Task

if TYPE_CHECKING:
    from auditor.config import Config
    from auditor.execution.for_check import Execution

__all__ = ["ModelSource", "check"]


def _pending(
    paths: Sequence[str | Path],
    config: Config,
    cwd: Path,
    tasks: Mapping[str, Task] | None,
    tests: bool = False,
) -> list[PendingCandidate]:
    """Every candidate of `paths`, in input order; with `tests` (a tests file given), a
    directory's files that pytest collects as tests are not candidates."""
    pending: list[PendingCandidate] = []
    exclude = (*config.exclude, *(PYTEST_FILES if tests else ()))
    for file in iter_files([Path(p) for p in paths], exclude):
        display = display_path(file, cwd)
        if input_kind(file) is InputKind.SAMPLES:
            pending.extend(sample_candidates(file, display, tasks, config.max_file_size))
        else:
            pending.append(python_candidate(read_source(file, display, config.max_file_size)))
    return pending


def _unique(findings: Iterable[Finding]) -> Iterator[Finding]:
    seen: set[tuple[str, int, int, str]] = set()
    for f in findings:
        key = (f.code, f.line, f.col, f.message)
        if key not in seen:
            seen.add(key)
            yield f


def _finding_order(r: ReportedFinding) -> tuple[int, int, str, str]:
    return (r.finding.line, r.finding.col, r.finding.code, r.finding.message)


def _reported(
    findings: Iterable[Finding], lines: Sequence[str], config: Config
) -> list[ReportedFinding]:
    """The findings left after `ignore` and (when honoured) suppression comments, in
    the order given (the first of each code describes tool codes in the SARIF rules)."""
    if config.honor_suppressions:
        from auditor.rules.suppress import is_suppressed_on
    out = []
    for f in _unique(findings):
        if f.code in config.ignore or f.code.split(":")[-1] in config.ignore:
            continue
        line = lines[f.line - 1] if 0 < f.line <= len(lines) else ""
        if config.honor_suppressions and is_suppressed_on(line, f):
            continue
        out.append(ReportedFinding(f, normalize_line(line)))
    return out


def _explained(findings: Iterable[Finding], cand: Candidate) -> list[Finding]:
    """The findings, a syntax error of an answer with no program saying why (the
    sanitizer's reason, "no code in the answer"), not what the parser says of its prose."""
    if cand.reason is None:
        return list(findings)
    from auditor.rules.internal import SyntaxErrorRule  # only for answers with no program

    return [
        replace(f, message=f"no program: {cand.reason}") if f.code == SyntaxErrorRule.CODE else f
        for f in findings
    ]


def _on_raw_lines(findings: Iterable[Finding], cand: Candidate) -> list[Finding]:
    """Findings moved from program lines to the lines of the raw answer the user sees
    (chat answers: the program was extracted from Markdown; plain code maps to itself)."""
    line_map = cand.line_map
    if line_map is None:
        return list(findings)
    return [
        replace(f, line=line_map.raw_line(f.line)) if 0 < f.line <= line_map.lines else f
        for f in findings
    ]


def _off_the_prompt(findings: Iterable[Finding], cand: Candidate, entry: int) -> list[Finding]:
    """The findings but those on the task's prompt (a completion row's imports, docstring
    and helpers: the benchmark wrote them, not the candidate). The entry point's `def`
    line stays: findings on the whole function sit there; so do the internal AUD9xx (a
    syntax error, unreadable input). Raw-answer lines."""
    return [
        f
        for f in findings
        if f.line > cand.prompt_lines or f.line == entry or f.code.startswith("AUD9")
    ]


def _raw_line(cand: Candidate, line: int) -> int:
    """`line` of the program as a line of the raw answer (itself for plain code)."""
    if cand.line_map is None or not 0 < line <= cand.line_map.lines:
        return line
    return cand.line_map.raw_line(line)


def _result(i: int, it: PendingCandidate, scores: Scores, config: Config) -> CandidateResult:
    """One candidate's result from its static findings and its risk (before execution)."""
    cand = it.candidate
    lines = source_lines(cand.code)
    found = _explained((*it.problems, *scores.findings.get(cand.sha256, ())), cand)
    raw = _off_the_prompt(_on_raw_lines(found, cand), cand, _raw_line(cand, it.entry_line))
    shown = source_lines(cand.raw or cand.code) if cand.line_map else lines
    entry = lines[it.entry_line - 1] if 0 < it.entry_line <= len(lines) else ""
    return CandidateResult(
        path=it.display,
        task_id=cand.task_id,
        sample_id=cand.sample_id,
        sha256=cand.sha256,
        risk=scores.risks.get(i),
        entry_line=_raw_line(cand, it.entry_line),
        findings=tuple(sorted(_reported(raw, shown, config), key=_finding_order)),
        extracted=cand.extracted,
        embedded=it.embedded,
        row_line=cand.line if it.embedded else None,
        note=None if i in scores.risks or scores.model is None else it.note,
        entry_text=normalize_line(entry),
    )


def check(
    paths: Sequence[str | Path],
    *,
    model: ModelSource | Literal["packaged"] = "packaged",
    config: Config | None = None,
    cwd: Path | None = None,
    execution: Execution | None = None,
    tasks: Mapping[str, Task] | None = None,
) -> CheckRun:
    """Check `paths` and return the run (no output is written here).

    `model` is the packaged model (the default), a loaded model, a loader (called while the
    features are extracted, so the two overlap: `model.model_loader`), or None to report
    findings only; `config` defaults to `Config()`, what the CLI uses with no
    pyproject. With `execution`, candidates also run against the given tasks or tests
    (`auditor.execution.for_check`). The samples files' rows are read against `tasks`
    (default: the execution's), so that a `completion` gets its task's prompt and an
    unknown task id is an `InputError` naming its line."""
    if isinstance(model, str):
        from auditor.model import model_loader

        model = model_loader()
    if config is None:
        from auditor.config import Config

        config = Config()
    if tasks is None and execution is not None:
        tasks = execution.tasks
    cwd = (cwd or Path.cwd()).absolute()
    with_tests = execution is not None and execution.tests is not None
    pending = _pending(paths, config, cwd, tasks, with_tests)
    executed = {}
    if execution is not None:
        from auditor.execution.for_check import run_pending

        executed = run_pending(pending, execution)
    scores = score(pending, model, config.jobs, executed)
    results: list[CandidateResult] = []
    all_found: dict[str, Finding] = {}
    for i, it in enumerate(pending):
        result = _result(i, it, scores, config)
        steps = [result]
        if i in executed:
            from auditor.execution.for_check import apply

            exec_risk = scores.exec_risks.get(i)
            result = apply(
                result,
                executed[i],
                exec_risk,
                model_exec=scores.exec_model,
                scored=scores.model is not None,
            )
            steps.append(result)
        for rep in (rep for step in steps for rep in step.findings):
            all_found.setdefault(rep.finding.code, rep.finding)
        results.append(result)
    from auditor.rules.catalogue import describe_rules  # after scoring: it imports libcst

    return CheckRun(
        results=tuple(results),
        rules=describe_rules(all_found, all_found),
        fail_on_risk=config.fail_on_risk,
        fail_on=config.fail_on,
        model=scores.model.describe() if scores.model is not None else None,
        rules_url=config.rules_url,
        cwd=cwd,
        fail_on_unverified=config.fail_on_unverified,
    )
