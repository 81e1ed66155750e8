"""`auditor label`: weak/strong labels for a samples file (thin layer over auditor.label)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from auditor.cli import cli
from auditor.cli._options import executor_options, path_type
from auditor.corpus.benchmarks import BENCHMARKS
from auditor.corpus.datadir import resolve_data_dir
from auditor.errors import InputError
from auditor.label import WEAK_TESTS, SamplesRef, label
from auditor.sandbox import SandboxLimits


def resolve_samples(samples: str, data_dir: str | None) -> Path:
    """A samples path as given, else a file of the data directory (relpath or samples/NAME)."""
    if not samples:  # Path("") is the cwd
        raise InputError("SAMPLES: an empty path (an unset variable?)")
    p = Path(samples)
    if p.exists():
        return p
    root = resolve_data_dir(data_dir)
    for cand in (root / samples, root / "samples" / samples):
        if cand.exists():
            return cand
    raise InputError(f"{samples}: no such file (nor in data directory {root})")


def _parsed(kind: type[int] | type[float]) -> Callable[..., int | float | None]:
    """A click callback parsing an option as `kind`; a bad value is one line (exit 2).

    Ranges are checked by `auditor.label.check_settings`, for API callers too.
    """

    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> int | float | None:
        if value is None:
            return None
        try:
            return kind(value)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            flag = max(param.opts, key=len)
            raise InputError(f"{flag}: {value!r} is not {what}") from None

    return parse


@cli.command("label")
@click.argument("samples")
@click.option(
    "--benchmark",
    default="auto",
    show_default=True,
    help=f"{', '.join(BENCHMARKS)}, auto (HumanEval+/MBPP+ by task-id prefix) or a release file.",
)
@click.option(
    "--weak-tests",
    type=click.Choice(list(WEAK_TESTS)),
    default="evalplus-base",
    show_default=True,
    help="evalplus-base: base_input differential test; original: the benchmark's asserts.",
)
@click.option("--data-dir", default=None, help="Data directory (else $AUDITOR_DATA_DIR, cache).")
@click.option(
    "--jobs",
    "-j",
    metavar="N",
    callback=_parsed(int),
    default=None,
    help="Sandbox workers, 1..512 [default: CPUs].",
)
@executor_options
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=path_type(),
    required=True,
    help="Output directory (resumable).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--min-time-limit",
    metavar="SECONDS",
    callback=_parsed(float),
    default="1.0",
    show_default=True,
    help="Floor of the per-input time limit (EvalPlus: 1 s).",
)
@click.option(
    "--require-isolation",
    is_flag=True,
    help="Fail (exit 3) instead of falling back when namespaces (bubblewrap) are unavailable.",
)
def label_command(
    samples: str,
    benchmark: str,
    weak_tests: str,
    data_dir: str | None,
    jobs: int | None,
    out_dir: Path,
    quiet: bool,
    min_time_limit: float,
    require_isolation: bool,
) -> int:
    """Label SAMPLES: weak/strong status of every candidate, run in a sandbox."""
    from auditor.corpus.samples import read_samples, tasks_for_samples

    path = resolve_samples(samples, data_dir)
    tasks = tasks_for_samples(path, benchmark, data_dir)
    cands = read_samples(path, tasks).candidates
    run = label(
        cands,
        tasks,
        weak_tests=weak_tests,
        jobs=jobs,
        out_dir=out_dir,
        limits=SandboxLimits(
            min_time_limit=min_time_limit, isolation="require" if require_isolation else "auto"
        ),
        benchmark=benchmark,
        samples=SamplesRef.from_path(path, resolve_data_dir(data_dir)),
        progress=not quiet,
    )
    o = run.summary["overall"]
    notes = [f"resumed {run.resumed}"] if run.resumed else []
    notes += [f"retried {run.retried} errors"] if run.retried else []
    resumed = f" ({', '.join(notes)})" if notes else ""
    errors = f", sandbox errors {o['error']}" if o["error"] else ""
    click.echo(
        f"{o['n']} samples, {o['n_tasks']} tasks{resumed}: weak pass@1 {o['weak_pass@1']}, "
        f"strong pass@1 {o['strong_pass@1']}, ceiling {o['ceiling']}, "
        f"false positives {o['false_positive']}{errors} -> {out_dir}",
        err=True,
    )
    return 0
