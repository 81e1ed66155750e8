"""`auditor report`: the research report (HTML, Markdown, JSON, PNG figures) for labeled corpora."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import click

from auditor.cli import cli
from auditor.cli._options import path_type
from auditor.errors import UsageError
from auditor.resampling import parse_costs


def _parse_scores(items: Sequence[str], names: Sequence[str]) -> dict[str, Path]:
    """`NAME=FILE` per corpus, or a bare FILE when there is a single corpus."""
    out: dict[str, Path] = {}
    for item in items:
        name, sep, file = item.partition("=")
        if not sep:
            if len(names) != 1:
                raise UsageError(f"--scores {item}: with several corpora write NAME=FILE")
            name, file = names[0], item
        if name not in names:
            raise UsageError(f"--scores {item}: no corpus named {name!r} (have {', '.join(names)})")
        out[name] = Path(file)
    return out


def write_report(out_dir: Path, files: dict[str, str | bytes]) -> None:
    """Write every output file atomically under out_dir."""
    from auditor.io import atomic_write

    for rel, data in files.items():
        atomic_write(out_dir / rel, data)


@cli.command("report")
@click.argument("labels", nargs=-1, required=True, type=path_type(exists=True))
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=path_type(),
    help="Directory to write index.html, report.md, report.json and figures/ to.",
)
@click.option(
    "--scores",
    multiple=True,
    help="Risk scores as NAME=FILE (corpus name = its label directory's name).",
)
@click.option(
    "--features",
    "feature_tables",
    multiple=True,
    type=path_type(exists=True),
    help="Feature table(s) with labels, as `auditor features` writes them.",
)
@click.option(
    "--cost",
    default="0.5,1,2,4",
    show_default=True,
    help="Comma-separated false-positive cost ratios.",
)
@click.option("--k-max", type=int, default=None, help="Largest k (default: the largest pool).")
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Bootstrap seed."
)
@click.option("--n-boot", type=int, default=1000, show_default=True, help="Bootstrap replicates.")
@click.option(
    "--style/--no-style",
    default=True,
    show_default=True,
    help="Compare rule-family adherence of false positives and correct solutions.",
)
@click.option("--data-dir", default=None, help="Where the corpora's samples live.")
@click.option("--jobs", type=click.IntRange(1), default=2, show_default=True)
@click.option("--html/--no-html", default=True, show_default=True, help="Also write index.html.")
@click.option(
    "--keep-false-negative-tasks",
    is_flag=True,
    help="Keep tasks with more strong than weak passes (the paper drops them).",
)
def report_command(
    labels: tuple[Path, ...],
    out_dir: Path,
    scores: tuple[str, ...],
    feature_tables: tuple[Path, ...],
    cost: str,
    k_max: int | None,
    seed: int,
    n_boot: int,
    style: bool,
    data_dir: str | None,
    jobs: int,
    html: bool,
    keep_false_negative_tasks: bool,
) -> int:
    """Reproduce the paper's analyses on labeled corpora (label OUTDIRs or labels.jsonl)."""
    from auditor.io import check_writable
    from auditor.study.report import ReportOptions, corpus_names, report

    costs = parse_costs(cost)
    if n_boot < 10:
        raise UsageError("--n-boot must be at least 10")
    score_files = _parse_scores(scores, corpus_names(labels))
    check_writable(out_dir / "report.md")  # before the analyses, not after them
    files = report(
        labels,
        ReportOptions(
            costs=costs,
            k_max=k_max,
            seed=seed,
            n_boot=n_boot,
            style=style,
            html=html,
            exclude_false_negatives=not keep_false_negative_tasks,
            scores=score_files,
            features=feature_tables,
            data_dir=data_dir,
            jobs=jobs,
        ),
    )
    write_report(out_dir, files)
    click.echo(f"wrote {len(files)} files to {os.fspath(out_dir)}")
    return 0
