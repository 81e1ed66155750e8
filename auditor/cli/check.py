"""`auditor check PATHS…`: the CI gate (findings and false-positive risk, exit 0/1/2/3)."""

from __future__ import annotations

import os

# Before anything imports scikit-learn: its OpenMP pool reads this once, and idle spinning
# threads make small fits and predictions several times slower on a busy machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from auditor.cli import cli
from auditor.cli._options import executor_options, path_type
from auditor.types import Severity

if TYPE_CHECKING:
    from collections.abc import Sequence

    from auditor.config import Config

SEVERITIES = [*(s.value for s in Severity), "none"]


@cli.command("check")
@click.argument("paths", nargs=-1, required=True, type=path_type())
@click.option(
    "--model",
    "model_path",
    type=path_type(),
    help="Model file (default: the packaged model).",
)
@click.option("--no-model", is_flag=True, help="Findings only; do not score risk.")
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="FMT[:FILE]",
    help="text (default), json, sarif, github or markdown; repeat for several outputs.",
)
@click.option(
    "--fail-on-risk",
    type=click.FloatRange(0.0, 1.0),
    help="Fail when a candidate's risk is at least P [0.5].",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES, case_sensitive=False),
    help="Fail on findings at or above this severity [high].",
)
@click.option(
    "--exit-zero",
    is_flag=True,
    default=None,
    help="Exit 0 even when something is over a threshold.",
)
@click.option(
    "--fail-on-unverified",
    is_flag=True,
    default=None,
    help="Fail when an executed candidate gets no verdict, or passes with asserts unjudged.",
)
@click.option(
    "--honor-suppressions/--ignore-suppressions",
    default=None,
    help="Let noqa / pylint: disable / auditor: ignore comments silence findings [ignore].",
)
@click.option(
    "--baseline",
    type=path_type(),
    help="Accept the findings recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    type=path_type(),
    help="Record the current findings into this baseline file.",
)
@click.option(
    "--ignore", multiple=True, metavar="CODE", help="Drop findings with this code (repeatable)."
)
@click.option(
    "--exclude", multiple=True, metavar="GLOB", help="Skip files matching this glob in directories."
)
@click.option(
    "--config",
    "config_file",
    type=path_type(),
    help="pyproject.toml to read [tool.auditor] from.",
)
@click.option("--jobs", type=click.IntRange(1), help="Worker processes for feature extraction [2].")
@executor_options
@click.option(
    "--rules-url",
    metavar="URL",
    help="Base URL of the rules/ pages, linked from SARIF (e.g. .../blob/main/rules/).",
)
@click.option(
    "--tasks",
    "tasks_spec",
    metavar="humaneval+|mbpp+|TASKFILE",
    help="Run the candidates against these tasks' weak tests and each other (samples files).",
)
@click.option(
    "--tests",
    "tests_file",
    type=path_type(),
    help="Run the candidates against this test module (asserts, pytest or unittest style).",
)
@click.option("--no-execute", is_flag=True, help="Static scoring only, even with tasks/tests.")
@click.option(
    "--execute-budget",
    type=float,  # range checked by `check_budget`: one line, for API callers too
    metavar="SECONDS",
    help="Time per task for execution; past half of it, guided inputs are skipped and "
    "single-candidate signals run only for the candidates best-of-n could still submit.",
)
@click.option(
    "--exec-seed",
    type=int,
    envvar="AUDITOR_EXEC_SEED",
    show_envvar=True,
    metavar="N",
    help="Seed of the generated inputs and sampled mutants (default 0). They are drawn from "
    "the task and this seed, so whoever knows both can compute them: keep it secret in CI.",
)
@click.option(
    "--exec-cache",
    type=path_type(),
    metavar="DIR",
    help="With --tasks: keep each task's execution results in DIR as it finishes; a rerun "
    "with the same candidates, tasks and settings reuses them (an interrupted run resumes).",
)
@click.option("--data-dir", type=path_type(), help="Where humaneval+/mbpp+ live.")
def check_command(
    paths: tuple[Path, ...],
    model_path: Path | None,
    no_model: bool,
    formats: tuple[str, ...],
    fail_on_risk: float | None,
    fail_on: str | None,
    exit_zero: bool | None,
    fail_on_unverified: bool | None,
    honor_suppressions: bool | None,
    baseline: Path | None,
    write_baseline: Path | None,
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    config_file: Path | None,
    jobs: int | None,
    rules_url: str | None,
    tasks_spec: str | None,
    tests_file: Path | None,
    no_execute: bool,
    execute_budget: float | None,
    exec_seed: int | None,
    exec_cache: Path | None,
    data_dir: Path | None,
) -> int:
    """Flag candidates that likely pass their tests but are wrong.

    PATHS are .py files, directories (searched recursively) or samples JSONL files.
    Exit codes: 0 nothing over threshold, 1 findings or risk over threshold,
    2 usage/config/input error, 3 internal error, 130 interrupted, 143 terminated.
    """
    from auditor.baseline import Baseline, read_baseline
    from auditor.check import check
    from auditor.io import atomic_write
    from auditor.model import model_loader
    from auditor.output import parse_specs, write_outputs

    specs = parse_specs(formats)
    if no_model and model_path is not None:
        from auditor.errors import UsageError

        raise UsageError("--model and --no-model: give one of them")
    _check_execution_options(execute_budget, exec_cache, tasks_spec, tests_file, no_execute)
    config = _config(
        paths,
        config_file,
        fail_on,
        model=model_path,
        fail_on_risk=fail_on_risk,
        exit_zero=exit_zero,
        fail_on_unverified=fail_on_unverified,
        honor_suppressions=honor_suppressions,
        baseline=baseline,
        ignore=ignore,
        exclude=exclude,
        jobs=jobs,
        rules_url=rules_url,
    )
    _check_outputs(specs, write_baseline)
    accepted = read_baseline(config.baseline) if config.baseline is not None else None
    model = None if no_model else model_loader(config.model)
    tasks = _tasks(tasks_spec, tests_file, data_dir)
    wanted = {"budget_s": execute_budget, "cache_dir": exec_cache, "seed": exec_seed or 0}
    execution = None if no_execute else _execution(tasks, tests_file, config.jobs, **wanted)
    run = check(paths, model=model, config=config, execution=execution, tasks=tasks)
    if not run.results:  # a gate on a folder a failed generation step left empty
        click.echo("auditor: warning: no candidates found: nothing was checked", err=True)
    _warn_unknown_codes(config.ignore)
    if execution is not None:
        _warn_unverified(run, tests_file)
    if write_baseline is not None:
        atomic_write(write_baseline, Baseline.from_run(run, write_baseline.parent).to_json())
    if accepted is not None:
        run = accepted.apply(run)
    write_outputs(specs, run, stdout=sys.stdout)
    code = 0 if config.exit_zero else run.exit_code
    click.get_current_context().exit(code)
    return code


def _config(
    paths: tuple[Path, ...],
    config_file: Path | None,
    fail_on: str | None,
    *,
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    **overrides: Any,
) -> Config:
    """The project's configuration ([tool.auditor] of the pyproject.toml found from the
    first path, or `config_file`) with the command line's options over it (`ignore` and
    `exclude` add)."""
    from dataclasses import replace

    from auditor.config import load_config, parse_severity

    start = paths[0] if paths and paths[0].exists() else Path.cwd()
    config = load_config(start.parent if start.is_file() else start, pyproject=config_file)
    config = config.with_overrides(
        ignore=(*config.ignore, *ignore) if ignore else None,
        exclude=(*config.exclude, *exclude) if exclude else None,
        **overrides,
    )
    return config if fail_on is None else replace(config, fail_on=parse_severity(fail_on))


def _check_outputs(specs: Sequence[Any], write_baseline: Path | None) -> None:
    """InputError now for an output file that could not be written at the end (a directory,
    no permission): found then, it threw the whole run away, other outputs written."""
    from auditor.io import check_writable

    for path in (*(s.file for s in specs), write_baseline):
        if path is not None:
            check_writable(path)


def _check_execution_options(
    budget: float | None,
    exec_cache: Path | None,
    tasks_spec: str | None,
    tests_file: Path | None,
    no_execute: bool,
) -> None:
    """UsageError, before any input is read, for a bad --execute-budget (with --no-execute
    too) or an --exec-cache that would keep nothing: a run that executes no --tasks (the
    option was silently ignored, as if the cache were being filled)."""
    from auditor.errors import UsageError
    from auditor.execution.for_check import check_budget

    check_budget(budget)
    if exec_cache is None:
        return
    if no_execute:
        raise UsageError("--exec-cache and --no-execute: give one of them")
    if tests_file is not None:
        raise UsageError("--exec-cache keeps the results of --tasks runs, not of --tests")
    if tasks_spec is None:
        raise UsageError("--exec-cache keeps the results of --tasks runs: give --tasks")


def _tasks(tasks_spec: str | None, tests_file: Path | None, data_dir: Path | None) -> Any:
    """The tasks of --tasks, or None (bad input: a UsageError or InputError, exit 2). They
    are read even with --no-execute: a samples file's completions need their prompts."""
    from auditor.errors import UsageError
    from auditor.execution.tasks import load_tasks

    if tasks_spec == "":  # not "no tasks": a CI line's unset variable would skip execution
        raise UsageError("--tasks: an empty path or name (an unset variable?)")
    if tasks_spec and tests_file:
        raise UsageError("--tasks and --tests: give one of them")
    if tests_file is not None and not tests_file.is_file():
        why = "a directory, not a test module" if tests_file.is_dir() else "no such file"
        raise UsageError(f"--tests {tests_file}: {why}")
    return load_tasks(tasks_spec, data_dir) if tasks_spec else None


def _warn_unknown_codes(ignore: Sequence[str]) -> None:
    """One stderr line naming the auditor codes of --ignore (or `ignore`) that match no
    rule: a typo there silences nothing, which the run would not otherwise show."""
    from auditor.rules.catalogue import unknown_codes

    unknown = unknown_codes(ignore)
    if unknown:
        click.echo(f"auditor: warning: ignore: no rule has the code {', '.join(unknown)}", err=True)


def _warn_unverified(run: Any, tests_file: Path | None) -> None:
    """Stderr lines, one each: how many executed candidates got no weak-test verdict (their
    weak tests state no output known without running them, or an output of theirs with an
    `==` of its own left an assert unjudged; no AUD001 is possible), and how many asserts
    of the weak tests were not judged (of the tests file, or per task: the most any one
    candidate left unjudged)."""
    executed = [r for r in run.results if r.execution is not None]
    bare = [r for r in executed if r.execution.verdict is None]
    if bare:
        where = str(tests_file) if tests_file is not None else _tasks_named(bare)
        click.echo(
            f"auditor: warning: {len(bare)} of {len(executed)} executed candidate(s) not"
            f" verified ({where}): their weak tests state no output known without running"
            " them, or an output with an `==` of its own left an assert unjudged, so they"
            " get no verdict (JSON: execution.verdict null)",
            err=True,
        )
    per_task: dict[str, int] = {}
    for r in executed:
        if r.execution.unjudged:
            per_task[r.task_id] = max(per_task.get(r.task_id, 0), r.execution.unjudged)
    if per_task:
        # one tests file: the same asserts for every candidate, whatever its task id
        n = max(per_task.values()) if tests_file is not None else sum(per_task.values())
        where = str(tests_file) if tests_file is not None else _tasks_named(per_task)
        click.echo(
            f"auditor: warning: {n} assert(s) of the weak tests not judged ({where}): an"
            " expected value or argument is not known without running the tests (a helper's"
            " value, a random input, a value a later statement changes), the check is not"
            " read (a message pattern, isinstance and the like), the assert may not run (a"
            " skip or xfail test, a branch not known to be taken), or an output has an `==`"
            " of its own (JSON: execution.unjudged, per candidate)",
            err=True,
        )


def _tasks_named(items: Any) -> str:
    """The first three task ids of `items` (results, or task ids), and how many more."""
    ids = list(dict.fromkeys(getattr(r, "task_id", r) for r in items))
    more = f" and {len(ids) - 3} more" if len(ids) > 3 else ""
    return ", ".join(ids[:3]) + more


def _execution(tasks: Any, tests_file: Path | None, jobs: int, **wanted: Any) -> Any:
    """The execution request of --tasks / --tests (None without either); `wanted`: the
    `Execution` fields the options set."""
    from auditor.execution.for_check import Execution

    if not (tasks or tests_file):
        return None
    return Execution(tasks=tasks, tests=tests_file, jobs=jobs, progress=True, **wanted)
