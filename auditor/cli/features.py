"""`auditor features`: the feature table of a corpus, and which features carry signal."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditor.cli import cli
from auditor.cli._options import executor_options, path_type

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from auditor.types import Candidate, FeatureTable, Task


@cli.command("features")
@click.argument("source", type=path_type(exists=True))
@click.option(
    "--labels",
    type=path_type(exists=True),
    help="Labels (labels.jsonl or label OUTDIR) for a SOURCE samples file.",
)
@click.option(
    "--benchmark",
    default="auto",
    show_default=True,
    help="Benchmark of the samples: auto, humaneval+, humaneval+mini, mbpp+ or a file "
    "(auto: by task id, or the one labels record).",
)
@click.option("--data-dir", type=path_type(), help="Corpus data directory.")
@click.option("--jobs", type=click.IntRange(1), default=2, show_default=True)
@executor_options
@click.option("--cache-dir", type=path_type(), help="Feature cache directory.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the feature cache.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=path_type(),
    help="Table (.parquet or .csv).",
)
@click.option(
    "--behavior/--no-behavior",
    default=True,
    show_default=True,
    help="Run candidates in the sandbox on probe inputs (behavior.* columns; needs tasks).",
)
@click.option(
    "--execute",
    is_flag=True,
    help="Append the execution signals (exec.* columns) of the weak-test passers, computed "
    "per task among them as `check` does (needs labels and tasks; cached per task).",
)
@click.option(
    "--summary", is_flag=True, help="Print each feature's within-task AUC (needs labels)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def features_command(
    source: Path,
    labels: Path | None,
    benchmark: str,
    data_dir: Path | None,
    jobs: int,
    cache_dir: Path | None,
    no_cache: bool,
    output: Path,
    behavior: bool,
    execute: bool,
    summary: bool,
    fmt: str,
) -> int:
    """Extract features of SOURCE (samples, labels.jsonl or a label OUTDIR) into a table.

    One row per candidate keyed by (task id, sample id, solution sha256), joined with
    the labels when there are some.
    """
    from auditor import features
    from auditor.errors import UsageError
    from auditor.features.inputs import load_input
    from auditor.features.summary import feature_signals, render_json, render_text
    from auditor.features.table import check_table_path
    from auditor.io import check_writable

    if no_cache and cache_dir is not None:
        raise UsageError("--cache-dir and --no-cache exclude each other")
    check_table_path(output)
    check_writable(output)  # before the extraction, not after it
    got = load_input(source, labels=labels, benchmark=benchmark, data_dir=data_dir)
    if summary and got.labels is None:
        raise UsageError("--summary needs labels (a label OUTDIR, labels.jsonl or --labels)")
    tasks = got.tasks or {}
    if execute and (got.labels is None or not tasks):  # before the long extraction
        raise UsageError("--execute needs labels and the benchmark's tasks (the weak inputs)")
    table = features.extract(
        got.candidates,
        labels=got.labels,
        tasks=got.tasks,
        cache_dir=cache_dir,
        use_cache=not no_cache,
        jobs=jobs,
        behavior=behavior,
    )
    if execute:
        from auditor.features.cache import default_cache_dir

        cache = None if no_cache else (cache_dir or default_cache_dir())
        table = _with_execution(table, got.candidates, tasks, cache, jobs)
    features.write_table(table, output)
    if summary:
        signals = feature_signals(table)
        click.echo(render_json(signals) if fmt == "json" else render_text(signals), nl=False)
    else:
        click.echo(
            f"wrote {output}: {len(table.keys)} rows x {len(table.columns)} features "
            f"(schema {table.schema_hash})",
            err=True,
        )
    return 0


def _with_execution(
    table: FeatureTable,
    candidates: Sequence[Candidate],
    tasks: Mapping[str, Task],
    cache_dir: Path | None,
    jobs: int,
) -> FeatureTable:
    """`table` (joined with labels) with the exec.* columns of its weak-test passers (cached
    per task in `cache_dir` unless None)."""
    from auditor.execution.table import exec_table, hstack
    from auditor.types import Status

    weak = (Status.CORRECT, Status.FALSE_POSITIVE)
    passed = [s in weak for s in table.labels or ()]
    ex = exec_table(
        candidates,
        tasks,
        passed,
        jobs=jobs,
        cache_dir=cache_dir,
        progress=lambda m: click.echo(f"auditor features: {m}", err=True),
    )
    return hstack(table, ex)
