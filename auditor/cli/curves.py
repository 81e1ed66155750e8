"""`auditor curves`: exact resampling curves of a labeled corpus (text, JSON or CSV)."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.cli import cli
from auditor.cli._options import path_type
from auditor.resampling import parse_costs, parse_thresholds
from auditor.study.curves import CurvesFormat, compute, render


@cli.command("curves")
@click.argument("labels", type=path_type(exists=True))
@click.option(
    "--scores",
    type=path_type(exists=True),
    default=None,
    help="Risk scores for the auditor: JSONL or CSV of task_id, sample_id, risk, "
    "or the JSON of `auditor check`.",
)
@click.option(
    "--cost",
    "cost",
    default="0.5,1,2,4",
    show_default=True,
    help="Comma-separated false-positive cost ratios (>= 0).",
)
@click.option("--k-max", type=int, default=None, help="Largest k (default: the largest pool).")
@click.option("--replacement", is_flag=True, help="Draw with replacement (i.i.d.).")
@click.option(
    "--thresholds",
    default=None,
    help="Comma-separated risk thresholds in [0, 1] (default: risk quantiles of weak-passers).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in CurvesFormat]),
    default="text",
    show_default=True,
)
def curves_command(
    labels: Path,
    scores: Path | None,
    cost: str,
    k_max: int | None,
    replacement: bool,
    thresholds: str | None,
    fmt: str,
) -> int:
    """Exact accuracy, coverage, false-positive share and utility against k for LABELS.

    LABELS is a labels.jsonl written by `auditor label`, or its output directory.
    """
    from auditor.corpus.labels import read_labels
    from auditor.study.scores import read_scores

    costs = parse_costs(cost)
    risk_thresholds = parse_thresholds(thresholds) if thresholds else None
    if risk_thresholds is not None and scores is None:  # they cut risks; without any, unused
        from auditor.errors import UsageError

        raise UsageError("--thresholds needs --scores (the risks they are thresholds of)")
    run = compute(
        read_labels(labels),
        costs,
        k_max=k_max,
        replacement=replacement,
        scores=read_scores(scores) if scores else None,
        thresholds=risk_thresholds,
        source=str(labels),
    )
    click.echo(render(run, CurvesFormat(fmt)), nl=False)
    return 0
